//! Typed, prefixed identifiers (`pay_...`, `ref_...`) and the generator port that makes them.

use std::fmt;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::validation::FieldError;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The prefix every id of this kind starts with.
            pub const PREFIX: &'static str = $prefix;

            /// Makes a new id from the generator.
            pub fn generate(ids: &dyn IdGenerator) -> $name {
                $name(ids.new_id(Self::PREFIX))
            }

            /// Parses an id, checking its prefix and characters.
            pub fn parse(text: &str) -> Result<$name, FieldError> {
                let rest = text.strip_prefix(Self::PREFIX).ok_or_else(|| {
                    FieldError::new(format!("must start with {}", Self::PREFIX))
                })?;
                if rest.is_empty()
                    || text.len() > 64
                    || !rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    return Err(FieldError::new("is not a valid id"));
                }
                Ok($name(text.to_owned()))
            }

            /// Wraps a value read back from storage without checking it.
            pub fn from_trusted(text: String) -> $name {
                $name(text)
            }

            /// The id's text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                $name::parse(&text).map_err(de::Error::custom)
            }
        }
    };
}

typed_id!(
    /// A payment's id (`pay_...`); the platform calls it the order payment id.
    PaymentId,
    "pay_"
);
typed_id!(
    /// A refund's id (`ref_...`).
    RefundId,
    "ref_"
);
typed_id!(
    /// An order activity's id (`oa_...`).
    OrderActivityId,
    "oa_"
);
typed_id!(
    /// An event's id (`evt_...`); receivers dedupe on it.
    EventId,
    "evt_"
);
typed_id!(
    /// A delivery's id (`dlv_...`): one event to one receiver.
    DeliveryId,
    "dlv_"
);
typed_id!(
    /// A miniapp's id (`app_...`).
    AppId,
    "app_"
);

impl EventId {
    /// The stable id of the event `kind` of `subject`: the same transition always gets the
    /// same id, so it can be stored at most once and receivers can dedupe on it.
    pub fn for_transition(subject: &str, kind: &str) -> EventId {
        let digest = Sha256::digest(format!("{subject}:{kind}").as_bytes());
        EventId(format!("evt_{}", &hex::encode(digest)[..26]))
    }
}

/// The source of new ids and random secrets (a port: the real one is random and
/// time-ordered, the test one deterministic).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait IdGenerator: Send + Sync {
    /// A new unique id starting with `prefix`, roughly ordered by creation time.
    fn new_id(&self, prefix: &str) -> String;
    /// A new unguessable secret of at least 128 bits, starting with `prefix`.
    fn new_secret(&self, prefix: &str) -> String;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prefixed_ids() {
        assert!(PaymentId::parse("pay_01ABC").is_ok());
        assert!(PaymentId::parse("ref_01ABC").is_err());
        assert!(PaymentId::parse("pay_").is_err());
        assert!(PaymentId::parse("pay_a b").is_err());
    }

    #[test]
    fn transition_event_ids_are_stable() {
        let a = EventId::for_transition("pay_1", "payment.paid");
        assert_eq!(a, EventId::for_transition("pay_1", "payment.paid"));
        assert_ne!(a, EventId::for_transition("pay_1", "payment.failed"));
        assert!(a.as_str().starts_with("evt_"));
    }
}
