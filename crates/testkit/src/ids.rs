//! Deterministic ids and secrets.

use std::sync::atomic::{AtomicU64, Ordering};

use hostpay_domain::ids::IdGenerator;

/// Ids `pay_0000000001`, `app_0000000002`... (one counter over every prefix, so ids are
/// ordered by creation) and secrets `sk_test_0001_<32 hex digits>` (128 bits beyond the
/// counter, derived from it: deterministic, distinct, never guessable by accident).
#[derive(Debug, Default)]
pub struct SequentialIds {
    namespace: String,
    ids: AtomicU64,
    secrets: AtomicU64,
}

impl SequentialIds {
    /// A generator starting at 1.
    pub fn new() -> SequentialIds {
        SequentialIds::default()
    }

    /// A generator whose ids and secrets all carry `namespace` after the prefix
    /// (`pay_<namespace>0000000001`), so several generators can share one database.
    /// `namespace` should be ASCII letters, digits, `_` or `-`.
    pub fn with_namespace(namespace: &str) -> SequentialIds {
        SequentialIds {
            namespace: namespace.to_owned(),
            ..SequentialIds::default()
        }
    }

    /// How many ids were handed out.
    pub fn issued(&self) -> u64 {
        self.ids.load(Ordering::SeqCst)
    }
}

/// SplitMix64: spreads a counter over 64 bits.
fn mix(mut value: u64) -> u64 {
    value = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    value = (value ^ (value >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    value = (value ^ (value >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    value ^ (value >> 31)
}

impl IdGenerator for SequentialIds {
    fn new_id(&self, prefix: &str) -> String {
        let n = self.ids.fetch_add(1, Ordering::SeqCst) + 1;
        format!("{prefix}{}{n:010}", self.namespace)
    }

    fn new_secret(&self, prefix: &str) -> String {
        let n = self.secrets.fetch_add(1, Ordering::SeqCst) + 1;
        format!(
            "{prefix}test_{}{n:04}_{:016x}{:016x}",
            self.namespace,
            mix(n),
            mix(!n)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hostpay_domain::ids::PaymentId;

    #[test]
    fn ids_are_sequential_and_valid() {
        let ids = SequentialIds::new();
        let first = PaymentId::generate(&ids);
        assert_eq!(first.as_str(), "pay_0000000001");
        assert!(PaymentId::parse(first.as_str()).is_ok());
        assert_eq!(ids.new_id("app_"), "app_0000000002");
        assert_eq!(ids.issued(), 2);
    }

    #[test]
    fn secrets_are_distinct_and_long() {
        let ids = SequentialIds::new();
        let a = ids.new_secret("sk_");
        let b = ids.new_secret("sk_");
        assert!(a.starts_with("sk_test_0001_"));
        assert!(b.starts_with("sk_test_0002_"));
        assert_ne!(a, b);
        // 32 hex digits = 128 bits after the counter.
        assert_eq!(a.len(), "sk_test_0001_".len() + 32);
    }

    #[test]
    fn namespaces_keep_generators_apart() {
        let ids = SequentialIds::with_namespace("k1x");
        assert_eq!(ids.new_id("pay_"), "pay_k1x0000000001");
        assert!(ids.new_secret("ps_").starts_with("ps_test_k1x0001_"));
    }
}
