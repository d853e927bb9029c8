//! A Connect profile as `connect_auth_codes.profile` and `connect_access_tokens.profile`
//! keep it: a JSON document with the field names hostpay has always written (every field
//! present, `null` when not shared), read back through the domain's checks
//! ([`ConnectProfile`]'s `TryFrom<ProfileDraft>`), so a stored profile is as valid as a
//! fresh one.

use hostpay_domain::connect::{ConnectProfile, ProfileDraft};
use serde::{Deserialize, Serialize};

use crate::error::{corrupt, DbResult};

/// The `profile` document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ProfileRow {
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    custom_attributes: Option<serde_json::Value>,
}

impl ProfileRow {
    /// The document of `profile`.
    pub(crate) fn of(profile: &ConnectProfile) -> ProfileRow {
        ProfileRow {
            reference: Some(profile.reference().to_owned()),
            email: profile.email().map(|email| email.as_str().to_owned()),
            phone: profile.phone().map(|phone| phone.as_str().to_owned()),
            first_name: profile.first_name().map(str::to_owned),
            last_name: profile.last_name().map(str::to_owned),
            custom_attributes: profile
                .custom_attributes()
                .map(|map| serde_json::Value::Object(map.clone())),
        }
    }

    /// The domain's profile, checked again (`column` names where it was read).
    pub(crate) fn into_domain(self, column: &str) -> DbResult<ConnectProfile> {
        ConnectProfile::try_from(ProfileDraft {
            reference: self.reference,
            email: self.email,
            phone: self.phone,
            first_name: self.first_name,
            last_name: self.last_name,
            custom_attributes: self.custom_attributes,
        })
        .map_err(|error| corrupt(format!("{column}: {error}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Profiles as hostpay wrote them before the row was the store's own: they read, and
    /// they are written back byte for byte.
    #[test]
    fn stored_profiles_read_and_write_back_unchanged() {
        for stored in [
            r#"{"reference":"ref-ü","email":"ada@example.com","phone":"+966501234567","first_name":"Ada","last_name":"Lovelace","custom_attributes":{"n":1,"tier":"gold"}}"#,
            r#"{"reference":"user-2","email":null,"phone":"+966501234567","first_name":null,"last_name":null,"custom_attributes":null}"#,
        ] {
            let row: ProfileRow = serde_json::from_str(stored).unwrap();
            let profile = row.into_domain("profile").unwrap();
            let written = serde_json::to_string(&ProfileRow::of(&profile)).unwrap();
            assert_eq!(written, stored);
        }
        let no_reference: ProfileRow = serde_json::from_str(r#"{"email":"a@b.co"}"#).unwrap();
        assert!(no_reference.into_domain("profile").is_err());
        let no_contact: ProfileRow = serde_json::from_str(r#"{"reference":"r"}"#).unwrap();
        assert!(no_contact.into_domain("profile").is_err());
    }
}
