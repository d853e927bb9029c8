//! The internal API (`/internal/v1`, api.md section 7), bearer `internal.admin_token`
//! compared in constant time; with no token configured every call is refused. Its routes
//! are registered by [`crate::routes`].

pub mod apps;
pub mod connect;
pub mod deliveries;
pub mod payments;
pub mod user_tokens;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest};
use futures::future::{ready, Ready};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::envelope::ApiError;
use crate::miniapp::auth::app_state;

/// Proof that the caller presented the admin bearer token. Put it first among a
/// handler's extractors.
#[derive(Debug, Clone, Copy)]
pub struct AdminAuth;

/// Whether `presented` is the configured admin token (constant time over SHA-256
/// digests, so neither content nor length leaks); `None` configured refuses all.
pub fn admin_token_matches(configured: Option<&str>, presented: &str) -> bool {
    match configured {
        Some(expected) if !expected.is_empty() => {
            let expected = Sha256::digest(expected.as_bytes());
            let presented = Sha256::digest(presented.as_bytes());
            expected.as_slice().ct_eq(presented.as_slice()).into()
        }
        Some(_) | None => false,
    }
}

impl FromRequest for AdminAuth {
    type Error = ApiError;
    type Future = Ready<Result<AdminAuth, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(authorize(req))
    }
}

fn authorize(req: &HttpRequest) -> Result<AdminAuth, ApiError> {
    let state = app_state(req)?;
    let presented = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .ok_or_else(|| ApiError::unauthenticated("missing Authorization: Bearer <admin token>"))?;
    if admin_token_matches(state.settings.admin_token.as_deref(), presented) {
        Ok(AdminAuth)
    } else {
        Err(ApiError::unauthenticated("invalid admin token"))
    }
}

#[cfg(test)]
mod tests {
    use super::admin_token_matches;

    #[test]
    fn compares_admin_tokens() {
        assert!(admin_token_matches(Some("s3cret"), "s3cret"));
        assert!(!admin_token_matches(Some("s3cret"), "s3cre"));
        assert!(!admin_token_matches(None, ""));
        assert!(!admin_token_matches(Some(""), ""));
    }
}
