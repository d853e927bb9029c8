//! The auth extractors of the envelope surfaces:
//!
//! - [`Authenticated`]: the miniapp API's `Authorization: Token base64(app_id:secret_key)`,
//!   checked by [`hostpay_domain::services::AppService::authenticate`] (keyed hash,
//!   constant time), rate limited per miniapp;
//! - [`AdminAuth`]: the internal API's `Authorization: Bearer <internal.admin_token>`,
//!   compared in constant time;
//! - [`session_token`]: checkout's `Authorization: Bearer <pay grant or payment session
//!   token>` (the service decides what the token may do).

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpRequest};
use base64::Engine;
use futures::future::{ready, LocalBoxFuture, Ready};
use hostpay_domain::miniapp::Miniapp;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::edge::envelope::ApiError;
use crate::rate_limit::{take, RateLimiter};
use crate::state::AppState;

/// The calling miniapp, authenticated.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Miniapp);

/// The shared state of the app serving `req`.
pub fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("AppState is not registered as app data"))
}

/// `(app_id, secret_key)` of a `Token base64(app_id:secret_key)` header value.
pub fn token_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("token") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (app_id, secret) = text.split_once(':')?;
    Some((app_id.to_owned(), secret.to_owned()))
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let state = app_state(req);
        let credentials = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(token_credentials);
        let limiter = req.app_data::<web::Data<RateLimiter>>().cloned();
        let peer = req.peer_addr().map(|address| address.ip());
        Box::pin(async move {
            let state = state?;
            let limiter = limiter.as_ref().map(|data| data.get_ref());
            let outcome = authenticate(&state, credentials).await;
            match outcome {
                // One bucket per miniapp, however its header was spelled.
                Ok(app) => {
                    take(limiter, &format!("app:{}", app.id))?;
                    Ok(Authenticated(app))
                }
                // Failed credentials draw from the caller's address, never the app's.
                Err(refused) => {
                    let peer = peer.map(|ip| ip.to_string()).unwrap_or_default();
                    take(limiter, &format!("peer:{peer}"))?;
                    Err(refused)
                }
            }
        })
    }
}

async fn authenticate(
    state: &AppState,
    credentials: Option<(String, String)>,
) -> Result<Miniapp, ApiError> {
    let (app_id, secret) = credentials.ok_or_else(|| {
        ApiError::unauthenticated(
            "missing or malformed Authorization header; expected Token base64(app_id:secret_key)",
        )
    })?;
    // Awaited in place, no task of its own: the credential cache answers most calls
    // without waiting, and a store read it makes cannot be cancelled midway however this
    // future is dropped (actix drops the other extractors' futures when one fails): the
    // store runs each operation to its end on its own (see `hostpay_store`'s `detached!`
    // and `sqlite_reader`).
    Ok(state.services.apps.authenticate(&app_id, &secret).await?)
}

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

/// The grant or session token of `Authorization: Bearer <token>`.
pub fn session_token(req: &HttpRequest) -> Result<String, ApiError> {
    req.headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_owned())
        })
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            ApiError::unauthenticated(
                "missing Authorization: Bearer <pay grant or payment session token>",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_token_credentials() {
        let encoded = base64::engine::general_purpose::STANDARD.encode("app_1:sk_x:y");
        assert_eq!(
            token_credentials(&format!("Token {encoded}")),
            Some(("app_1".to_owned(), "sk_x:y".to_owned()))
        );
        assert_eq!(token_credentials(&format!("Bearer {encoded}")), None);
        assert_eq!(token_credentials("Token !!"), None);
    }

    #[test]
    fn reads_the_documented_known_answer() {
        // docs/signing-vectors.md, "Token auth header".
        assert_eq!(
            token_credentials("Token YXBwX2RlbW86c2tfZGVtb19zZWNyZXQ="),
            Some(("app_demo".to_owned(), "sk_demo_secret".to_owned()))
        );
    }

    #[test]
    fn compares_admin_tokens() {
        assert!(admin_token_matches(Some("s3cret"), "s3cret"));
        assert!(!admin_token_matches(Some("s3cret"), "s3cre"));
        assert!(!admin_token_matches(None, ""));
        assert!(!admin_token_matches(Some(""), ""));
    }
}
