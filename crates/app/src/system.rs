//! The real id source (the tests use testkit's deterministic one).

use chrono::Utc;
use hostpay_domain::ids::IdGenerator;
use rand::RngExt;

/// Ids of 26 Crockford base-32 characters: 48 bits of milliseconds then 80 random bits
/// (time-ordered, like a ULID); secrets of 256 random bits in hex.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl IdGenerator for RandomIds {
    fn new_id(&self, prefix: &str) -> String {
        let millis = u128::try_from(Utc::now().timestamp_millis().max(0)).unwrap_or(0);
        let random: [u8; 10] = rand::rng().random();
        let mut value = millis << 80;
        for (index, byte) in random.iter().enumerate() {
            value |= u128::from(*byte) << (8 * (9 - index));
        }
        let mut text = String::with_capacity(prefix.len() + 26);
        text.push_str(prefix);
        for position in (0..26).rev() {
            let digit = (value >> (5 * position)) & 0x1f;
            text.push(char::from(CROCKFORD[digit as usize]));
        }
        text
    }

    fn new_secret(&self, prefix: &str) -> String {
        let bytes: [u8; 32] = rand::rng().random();
        format!("{prefix}{}", hex::encode(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefixed_unique_and_ordered_by_time() {
        let ids = RandomIds;
        let first = ids.new_id("pay_");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = ids.new_id("pay_");
        assert!(first.starts_with("pay_") && first.len() == 30);
        assert!(first < second);
        assert!(hostpay_domain::ids::PaymentId::parse(&first).is_ok());
    }

    #[test]
    fn secrets_are_long_and_distinct() {
        let ids = RandomIds;
        let a = ids.new_secret("sk_");
        assert_eq!(a.len(), 3 + 64);
        assert_ne!(a, ids.new_secret("sk_"));
    }
}
