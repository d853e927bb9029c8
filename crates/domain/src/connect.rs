//! Single sign-on (Connect), the one a miniapp's `login()` starts: the host's backend mints
//! an [`AuthCode`] carrying the [`ConnectProfile`] its logged-in user agreed to share with
//! one miniapp; the miniapp platform trades the code for an [`AccessToken`], and the token for
//! the profile. Codes and tokens are random secrets stored only as keyed hashes, bound to
//! one miniapp and one user, and expiring; a code works once.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::AppId;
use crate::miniapp::SecretHash;
use crate::order::UserRef;
use crate::validation::{BoundedString, FieldError, InvalidField, NonEmptyString};

/// How long an auth code can be exchanged for an access token.
pub const AUTH_CODE_LIFETIME: Duration = Duration::minutes(5);
/// What every auth code starts with.
pub const AUTH_CODE_PREFIX: &str = "ac_";
/// What every access token starts with.
pub const ACCESS_TOKEN_PREFIX: &str = "at_";
/// The default lifetime of an access token (`connect.access_token_ttl_seconds`).
pub const DEFAULT_ACCESS_TOKEN_TTL_SECONDS: i64 = 3600;
/// The shortest access-token lifetime the configuration accepts.
pub const MIN_ACCESS_TOKEN_TTL_SECONDS: i64 = 60;
/// The longest access-token lifetime the configuration accepts (one day).
pub const MAX_ACCESS_TOKEN_TTL_SECONDS: i64 = 86_400;
/// The longest `custom_attributes` object, in bytes of compact JSON.
pub const MAX_CUSTOM_ATTRIBUTES_BYTES: usize = 16_384;
/// The longest presented code or token worth hashing; anything longer is garbage.
pub const MAX_SECRET_LENGTH: usize = 1000;

/// Where the profile's fields sit in a request; errors name `user_data.<field>`.
const FIELD_PREFIX: &str = "user_data";

fn field(name: &str) -> String {
    format!("{FIELD_PREFIX}.{name}")
}

/// An email address: at most 254 characters, one `@` between a local part (1 to 64
/// characters) and a domain with a dot, no white space or control characters.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Checks the shape (not deliverability).
    pub fn parse(text: &str) -> Result<Email, FieldError> {
        let invalid = || FieldError::new("must be an email address (name@example.com)");
        if text.chars().count() > 254 {
            return Err(FieldError::new("must be at most 254 characters"));
        }
        if text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"".contains(c))
        {
            return Err(invalid());
        }
        let (local, domain) = text.split_once('@').ok_or_else(invalid)?;
        let domain_ok = !domain.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with(['.', '-'])
            && !domain.ends_with(['.', '-'])
            && !domain.contains("..");
        let local_ok = !local.is_empty()
            && local.chars().count() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        if domain_ok && local_ok {
            Ok(Email(text.to_owned()))
        } else {
            Err(invalid())
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number in E.164: `+`, then 8 to 15 digits, the first not `0`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Checks the E.164 shape.
    pub fn parse(text: &str) -> Result<PhoneNumber, FieldError> {
        let digits = text.strip_prefix('+').unwrap_or("");
        let valid = (8..=15).contains(&digits.len())
            && digits.chars().all(|c| c.is_ascii_digit())
            && !digits.starts_with('0');
        if valid {
            Ok(PhoneNumber(text.to_owned()))
        } else {
            Err(FieldError::new(
                "must be an E.164 phone number: + and 8 to 15 digits (+966501234567)",
            ))
        }
    }

    /// The number, `+` included.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! text_value {
    ($name:ident) => {
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(..)"))
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
text_value!(Email);
text_value!(PhoneNumber);

/// The profile as asked for, before any check: what the internal API's `user_data` and
/// the CLI carry. [`ConnectProfile::parse`] turns it into a profile.
#[derive(Clone, Default, PartialEq)]
pub struct ProfileDraft {
    /// The user's reference for the miniapp, String(100); defaults to the user id.
    pub reference: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Phone number in E.164.
    pub phone: Option<String>,
    /// First name, String(250).
    pub first_name: Option<String>,
    /// Last name, String(250).
    pub last_name: Option<String>,
    /// Any JSON object (or null).
    pub custom_attributes: Option<serde_json::Value>,
}

/// The user data a user agreed to share with one miniapp (the platform's `UserData`): checked,
/// with an email or a phone number (or both).
#[derive(Clone, PartialEq)]
pub struct ConnectProfile {
    reference: NonEmptyString<100>,
    email: Option<Email>,
    phone: Option<PhoneNumber>,
    first_name: Option<BoundedString<250>>,
    last_name: Option<BoundedString<250>>,
    custom_attributes: Option<serde_json::Map<String, serde_json::Value>>,
}

/// What `Debug` prints for personal data or a secret that is present.
pub const REDACTED: &str = "********";

/// `Some("********")` for a value that is present, `None` for one that is not.
pub fn redacted<T>(value: &Option<T>) -> Option<&'static str> {
    value.as_ref().map(|_| REDACTED)
}

impl fmt::Debug for ProfileDraft {
    /// Personal data stays out of logs: only the reference is shown; the rest only
    /// says whether it was given.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileDraft")
            .field("reference", &self.reference)
            .field("email", &redacted(&self.email))
            .field("phone", &redacted(&self.phone))
            .field("first_name", &redacted(&self.first_name))
            .field("last_name", &redacted(&self.last_name))
            .field("custom_attributes", &redacted(&self.custom_attributes))
            .finish()
    }
}

impl fmt::Debug for ConnectProfile {
    /// Personal data stays out of logs: only the reference is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectProfile")
            .field("reference", &self.reference)
            .finish_non_exhaustive()
    }
}

impl ConnectProfile {
    /// Checks a draft for `user_id`: `reference` (default: `user_id`) 1 to 100
    /// characters, `email` an address, `phone` E.164, `first_name` and `last_name` at most
    /// 250 characters, `custom_attributes` a JSON object (null = none) of at most
    /// [`MAX_CUSTOM_ATTRIBUTES_BYTES`]; `email` or `phone` required. The error names the
    /// field: `user_data.phone`.
    pub fn parse(draft: ProfileDraft, user_id: &UserRef) -> Result<ConnectProfile, InvalidField> {
        let given_reference = draft.reference.is_some();
        let reference = draft
            .reference
            .unwrap_or_else(|| user_id.as_str().to_owned());
        let reference = NonEmptyString::<100>::parse(reference).map_err(|error| {
            let message = if given_reference {
                error.message
            } else {
                format!("is required when user_id is longer than 100 characters ({error})")
            };
            InvalidField::new(field("reference"), message)
        })?;
        let at = |name: &'static str| {
            move |error: FieldError| InvalidField::new(field(name), error.message)
        };
        let email = draft
            .email
            .map(|text| Email::parse(&text))
            .transpose()
            .map_err(at("email"))?;
        let phone = draft
            .phone
            .map(|text| PhoneNumber::parse(&text))
            .transpose()
            .map_err(at("phone"))?;
        if email.is_none() && phone.is_none() {
            return Err(InvalidField::new(
                field("email"),
                "an email or a phone number is required",
            ));
        }
        let first_name = draft
            .first_name
            .map(BoundedString::parse)
            .transpose()
            .map_err(at("first_name"))?;
        let last_name = draft
            .last_name
            .map(BoundedString::parse)
            .transpose()
            .map_err(at("last_name"))?;
        let custom_attributes = match draft.custom_attributes {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::Object(map)) => {
                let size = serde_json::to_string(&map).map_or(usize::MAX, |text| text.len());
                if size > MAX_CUSTOM_ATTRIBUTES_BYTES {
                    return Err(InvalidField::new(
                        field("custom_attributes"),
                        format!("must be at most {MAX_CUSTOM_ATTRIBUTES_BYTES} bytes of JSON"),
                    ));
                }
                Some(map)
            }
            Some(
                serde_json::Value::Bool(_)
                | serde_json::Value::Number(_)
                | serde_json::Value::String(_)
                | serde_json::Value::Array(_),
            ) => {
                return Err(InvalidField::new(
                    field("custom_attributes"),
                    "must be a JSON object",
                ))
            }
        };
        Ok(ConnectProfile {
            reference,
            email,
            phone,
            first_name,
            last_name,
            custom_attributes,
        })
    }

    /// The user's reference for the miniapp.
    pub fn reference(&self) -> &str {
        self.reference.as_str()
    }
    /// The email address, if shared.
    pub fn email(&self) -> Option<&Email> {
        self.email.as_ref()
    }
    /// The phone number, if shared.
    pub fn phone(&self) -> Option<&PhoneNumber> {
        self.phone.as_ref()
    }
    /// The first name, if shared.
    pub fn first_name(&self) -> Option<&str> {
        self.first_name.as_ref().map(BoundedString::as_str)
    }
    /// The last name, if shared.
    pub fn last_name(&self) -> Option<&str> {
        self.last_name.as_ref().map(BoundedString::as_str)
    }
    /// The custom attributes, if any.
    pub fn custom_attributes(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        self.custom_attributes.as_ref()
    }
}

impl TryFrom<ProfileDraft> for ConnectProfile {
    type Error = InvalidField;

    /// A stored profile read back: its reference must be there (no user id to default to).
    fn try_from(draft: ProfileDraft) -> Result<ConnectProfile, InvalidField> {
        let Some(reference) = draft.reference.clone() else {
            return Err(InvalidField::new(field("reference"), "is required"));
        };
        let user_id = UserRef::parse(reference)
            .map_err(|error| InvalidField::new(field("reference"), error.message))?;
        ConnectProfile::parse(draft, &user_id)
    }
}

/// An auth code as stored: bound to one miniapp and one user, carrying the profile to
/// share, single-use, living [`AUTH_CODE_LIFETIME`].
#[derive(Debug, Clone, PartialEq)]
pub struct AuthCode {
    /// Keyed hash of the code.
    pub code_hash: SecretHash,
    /// The miniapp it was minted for.
    pub app_id: AppId,
    /// The host app's user.
    pub user_id: UserRef,
    /// What the user agreed to share with the miniapp.
    pub profile: ConnectProfile,
    /// Minted.
    pub created_at: DateTime<Utc>,
    /// Stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was exchanged; `None` while unused.
    pub used_at: Option<DateTime<Utc>>,
}

impl AuthCode {
    /// Whether `app_id` may exchange the code at `now`: unused, its miniapp's, not expired.
    pub fn redeemable_by(&self, app_id: &AppId, now: DateTime<Utc>) -> bool {
        self.used_at.is_none() && self.app_id == *app_id && now < self.expires_at
    }
}

/// An access token as stored: bound to one miniapp and one user, carrying the profile.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessToken {
    /// Keyed hash of the token.
    pub token_hash: SecretHash,
    /// The miniapp it was issued to.
    pub app_id: AppId,
    /// The host app's user.
    pub user_id: UserRef,
    /// What the user agreed to share with the miniapp.
    pub profile: ConnectProfile,
    /// Issued.
    pub created_at: DateTime<Utc>,
    /// Stops working.
    pub expires_at: DateTime<Utc>,
}

/// Why an access token does not work for a miniapp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    /// It was issued to another miniapp.
    OtherMiniapp,
    /// It has expired.
    Expired,
}

impl AccessToken {
    /// Whether the token works for `app_id` at `now` (another miniapp's token is refused
    /// as such before its expiry is looked at).
    pub fn check(&self, app_id: &AppId, now: DateTime<Utc>) -> Result<(), TokenRefusal> {
        if self.app_id != *app_id {
            Err(TokenRefusal::OtherMiniapp)
        } else if now >= self.expires_at {
            Err(TokenRefusal::Expired)
        } else {
            Ok(())
        }
    }
}

/// A minted auth code as handed to the host's backend, once.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedAuthCode {
    /// The code (`ac_...`); only its hash is kept.
    pub auth_code: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for IssuedAuthCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedAuthCode")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// An access token as handed to the miniapp platform, once.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedAccessToken {
    /// The token (`at_...`); only its hash is kept.
    pub access_token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for IssuedAccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedAccessToken")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(text: &str) -> UserRef {
        UserRef::parse(text).unwrap()
    }

    fn draft() -> ProfileDraft {
        ProfileDraft {
            email: Some("ada@example.com".into()),
            ..ProfileDraft::default()
        }
    }

    fn refused(draft: ProfileDraft, user_id: &str) -> InvalidField {
        ConnectProfile::parse(draft, &user(user_id)).unwrap_err()
    }

    #[test]
    fn the_reference_defaults_to_the_user_id() {
        let profile = ConnectProfile::parse(draft(), &user("user-7")).unwrap();
        assert_eq!(profile.reference(), "user-7");
        assert_eq!(profile.email().map(Email::as_str), Some("ada@example.com"));
        let given = ProfileDraft {
            reference: Some("ref-1".into()),
            ..draft()
        };
        assert_eq!(
            ConnectProfile::parse(given, &user("user-7"))
                .unwrap()
                .reference(),
            "ref-1"
        );
        let long_user = "u".repeat(101);
        assert_eq!(refused(draft(), &long_user).field, "user_data.reference");
        let long_reference = ProfileDraft {
            reference: Some("r".repeat(101)),
            ..draft()
        };
        assert_eq!(
            refused(long_reference, "user-7").field,
            "user_data.reference"
        );
    }

    #[test]
    fn an_email_or_a_phone_is_required() {
        let neither = ProfileDraft::default();
        let error = refused(neither, "user-7");
        assert_eq!(error.field, "user_data.email");
        let phone_only = ProfileDraft {
            phone: Some("+966501234567".into()),
            ..ProfileDraft::default()
        };
        let profile = ConnectProfile::parse(phone_only, &user("user-7")).unwrap();
        assert_eq!(
            profile.phone().map(PhoneNumber::as_str),
            Some("+966501234567")
        );
        assert!(profile.email().is_none());
    }

    #[test]
    fn phones_are_e164() {
        for good in ["+12345678", "+966501234567", "+123456789012345"] {
            assert!(PhoneNumber::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "+",
            "966501234567",
            "+1234567",
            "+1234567890123456",
            "+0123456789",
            "+96650 1234567",
            "+9665-01234567",
            "++966501234567",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
            let draft = ProfileDraft {
                phone: Some(bad.into()),
                ..draft()
            };
            assert_eq!(refused(draft, "u").field, "user_data.phone", "{bad}");
        }
    }

    #[test]
    fn emails_have_a_shape() {
        for good in ["a@b.co", "first.last+tag@mail.example.com", "ü@exämple.de"] {
            assert!(Email::parse(good).is_ok(), "{good}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        let too_long = format!("a@{}.com", "b".repeat(250));
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "ada@@example.com",
            "a@b@example.com",
            "ada @example.com",
            "ada@.example.com",
            "ada@example..com",
            ".ada@example.com",
            "ada\u{7}@example.com",
            long_local.as_str(),
            too_long.as_str(),
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
            let draft = ProfileDraft {
                email: Some(bad.into()),
                phone: Some("+966501234567".into()),
                ..ProfileDraft::default()
            };
            assert_eq!(refused(draft, "u").field, "user_data.email", "{bad:?}");
        }
    }

    #[test]
    fn names_and_attributes_are_bounded() {
        let long_name = ProfileDraft {
            first_name: Some("n".repeat(251)),
            ..draft()
        };
        assert_eq!(refused(long_name, "u").field, "user_data.first_name");
        let long_last = ProfileDraft {
            last_name: Some("n".repeat(251)),
            ..draft()
        };
        assert_eq!(refused(long_last, "u").field, "user_data.last_name");
        for not_object in [
            serde_json::json!([1]),
            serde_json::json!("x"),
            serde_json::json!(3),
            serde_json::json!(true),
        ] {
            let draft = ProfileDraft {
                custom_attributes: Some(not_object),
                ..draft()
            };
            assert_eq!(refused(draft, "u").field, "user_data.custom_attributes");
        }
        let huge = ProfileDraft {
            custom_attributes: Some(
                serde_json::json!({"x": "y".repeat(MAX_CUSTOM_ATTRIBUTES_BYTES)}),
            ),
            ..draft()
        };
        assert_eq!(refused(huge, "u").field, "user_data.custom_attributes");
        let null = ProfileDraft {
            custom_attributes: Some(serde_json::Value::Null),
            ..draft()
        };
        assert!(ConnectProfile::parse(null, &user("u"))
            .unwrap()
            .custom_attributes()
            .is_none());
    }

    #[test]
    fn a_stored_profile_reads_back_checked() {
        let full = ProfileDraft {
            reference: Some("ref-ü".into()),
            email: Some("ada@example.com".into()),
            phone: Some("+966501234567".into()),
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            custom_attributes: Some(serde_json::json!({"tier": "gold", "n": 1})),
        };
        let profile = ConnectProfile::parse(full.clone(), &user("u")).unwrap();
        let back = ConnectProfile::try_from(full).unwrap();
        assert_eq!(back, profile);
        assert_eq!(back.first_name(), Some("Ada"));
        assert_eq!(back.last_name(), Some("Lovelace"));
        assert_eq!(back.custom_attributes().unwrap()["tier"], "gold");
        let no_reference = ProfileDraft {
            email: Some("a@b.co".into()),
            ..ProfileDraft::default()
        };
        assert!(ConnectProfile::try_from(no_reference).is_err());
        let no_contact = ProfileDraft {
            reference: Some("r".into()),
            ..ProfileDraft::default()
        };
        assert!(ConnectProfile::try_from(no_contact).is_err());
        let debug = format!("{profile:?}");
        assert!(!debug.contains("ada@example.com") && !debug.contains("+966"));
    }

    #[test]
    fn codes_and_tokens_are_bound_to_their_miniapp_and_expire() {
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 1, 1, 0, 0, 0).unwrap();
        let app = AppId::parse("app_1").unwrap();
        let other = AppId::parse("app_2").unwrap();
        let profile = ConnectProfile::parse(draft(), &user("u")).unwrap();
        let code = AuthCode {
            code_hash: SecretHash::from_stored("h".into()),
            app_id: app.clone(),
            user_id: user("u"),
            profile: profile.clone(),
            created_at: now,
            expires_at: now + AUTH_CODE_LIFETIME,
            used_at: None,
        };
        assert!(code.redeemable_by(&app, now));
        assert!(!code.redeemable_by(&other, now));
        assert!(!code.redeemable_by(&app, now + AUTH_CODE_LIFETIME));
        let used = AuthCode {
            used_at: Some(now),
            ..code
        };
        assert!(!used.redeemable_by(&app, now));
        let token = AccessToken {
            token_hash: SecretHash::from_stored("t".into()),
            app_id: app.clone(),
            user_id: user("u"),
            profile,
            created_at: now,
            expires_at: now + Duration::seconds(60),
        };
        assert_eq!(token.check(&app, now), Ok(()));
        assert_eq!(
            token.check(&other, now + Duration::hours(2)),
            Err(TokenRefusal::OtherMiniapp)
        );
        assert_eq!(
            token.check(&app, now + Duration::seconds(60)),
            Err(TokenRefusal::Expired)
        );
    }
}
