//! Who may call the Boxo surface: the checks that come before the body is read as an
//! order, in the documented order (integration, IP, signature, credentials).

use actix_web::http::header::AUTHORIZATION;
use actix_web::web::{self, BytesMut};
use actix_web::HttpRequest;
use base64::Engine;
use futures::StreamExt;
use hostpay_boxo::signing::{IncomingRequest, RefusalCode};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::boxo::client_ip::{client_ip, is_allowed};
use crate::edge::boxo::{misfit_code, BoxoErrorCode, BoxoFailure};
use crate::edge::json::BODY_LIMIT;
use crate::state::{AppState, BoxoSettings};

/// How far a signed request's timestamp may be from now, in seconds.
pub const TIMESTAMP_WINDOW_SECONDS: i64 = hostpay_boxo::signing::TIMESTAMP_TOLERANCE_SECONDS;

/// The shortest nonce a signed request may carry (api.md section 6: 16+ characters).
pub const MIN_NONCE_LENGTH: usize = hostpay_boxo::signing::MIN_INCOMING_NONCE_LENGTH;

/// Which credential a call presented in its `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub enum Caller {
    /// `<prefix> base64(client_id:secret_key)`: the Boxo platform itself.
    Platform,
    /// `<prefix> <access_token>`: a Boxo Connect access token (only where accepted); it
    /// is checked by the use case, against the call's miniapp.
    AccessToken(String),
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Caller::Platform => f.write_str("Platform"),
            Caller::AccessToken(_) => f.write_str("AccessToken(<redacted>)"),
        }
    }
}

/// Which credentials a call accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepts {
    /// The client credentials only.
    Platform,
    /// The client credentials, or an access token (`boxo.accept_access_token` on the
    /// payment calls).
    PlatformOrToken,
    /// An access token only (Boxo Connect's user-data call).
    Token,
}

/// The configured integration credentials.
#[derive(Clone, Copy)]
pub struct Integration<'a> {
    /// `boxo.client_id`.
    pub client_id: &'a str,
    /// `boxo.secret_key`.
    pub secret_key: &'a str,
}

impl std::fmt::Debug for Integration<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Integration")
            .field("client_id", &self.client_id)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

/// Runs every check before parsing and returns the raw body (client credentials only).
pub async fn admit(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<web::Bytes, BoxoFailure> {
    admit_as(req, payload, state, Accepts::Platform)
        .await
        .map(|(body, _)| body)
}

/// Runs every check before parsing (integration, IP, signature, credentials) and returns
/// the raw body with the credential the call presented, among those it `accepts`.
pub async fn admit_as(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    accepts: Accepts,
) -> Result<(web::Bytes, Caller), BoxoFailure> {
    let settings = &state.settings.boxo;
    let integration = integration(settings)?;
    check_ip(req, settings)?;
    // A body that cannot be read (over 64 KiB) is refused only after the credentials: a
    // caller without them hears ACCESS_DENIED whatever it sends.
    let body = read_body(payload, misfit_code(req.path())).await;
    if settings.verify_incoming {
        if let Ok(body) = &body {
            check_signature(req, body, state).await?;
        }
    }
    let caller = check_credentials(req, settings, integration, accepts)?;
    body.map(|body| (body, caller))
}

/// `NO_INTEGRATION` unless both credentials are configured.
pub fn integration(settings: &BoxoSettings) -> Result<Integration<'_>, BoxoFailure> {
    match (
        settings.client_id.as_deref(),
        settings.secret_key.as_deref(),
    ) {
        (Some(client_id), Some(secret_key)) if !client_id.is_empty() && !secret_key.is_empty() => {
            Ok(Integration {
                client_id,
                secret_key,
            })
        }
        (Some(_) | None, Some(_) | None) => Err(BoxoFailure::new(
            BoxoErrorCode::NoIntegration,
            "the Boxo integration is not configured on this host (boxo.client_id, boxo.secret_key)",
        )),
    }
}

fn check_ip(req: &HttpRequest, settings: &BoxoSettings) -> Result<(), BoxoFailure> {
    if settings.allowed_ips.is_empty() {
        return Ok(());
    }
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("X-Forwarded-For")
        .filter_map(|value| value.to_str().ok())
        .collect();
    let caller = client_ip(
        req.peer_addr().map(|address| address.ip()),
        &forwarded,
        &settings.trusted_proxies,
    );
    if is_allowed(caller, &settings.allowed_ips) {
        Ok(())
    } else {
        let shown = caller.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
        Err(BoxoFailure::new(
            BoxoErrorCode::NotAWhitelistedIp,
            format!("{shown} is not an allowed IP"),
        ))
    }
}

/// The body, or `misfit` when it is over [`BODY_LIMIT`].
async fn read_body(
    mut payload: web::Payload,
    misfit: BoxoErrorCode,
) -> Result<web::Bytes, BoxoFailure> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| {
            BoxoFailure::new(
                BoxoErrorCode::ParsingErrorInvalidRequestBody,
                format!("the body could not be read: {error}"),
            )
        })?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(BoxoFailure::new(
                misfit,
                format!("the body is over {BODY_LIMIT} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

async fn check_signature(
    req: &HttpRequest,
    body: &[u8],
    state: &AppState,
) -> Result<(), BoxoFailure> {
    let Some(verifier) = &state.settings.boxo.verifier else {
        return Err(BoxoFailure::new(
            BoxoErrorCode::MissingRequestSignatureSettings,
            "boxo.signing.verify_incoming is on but the key that verifies it is not configured",
        ));
    };
    let url = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path().to_owned(), |pq| pq.as_str().to_owned());
    let now = state.services.clock.now();
    let headers = req.headers();
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let request = IncomingRequest {
        method: req.method().as_str(),
        url: &url,
        body,
    };
    let refused = |error: hostpay_boxo::VerifyError| {
        let code = match error.code() {
            RefusalCode::MissingHeader => BoxoErrorCode::MissingHeader,
            RefusalCode::InvalidSignature => BoxoErrorCode::InvalidSignature,
        };
        BoxoFailure::new(code, error.to_string())
    };
    let verified = verifier.verify(header, &request, now).map_err(refused)?;
    let Some(nonce) = verified.nonce else {
        return Ok(());
    };
    match state.services.nonces.remember(&nonce, now).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(refused(hostpay_boxo::VerifyError::ReplayedNonce)),
        Err(error) => {
            tracing::error!(%error, "cannot record a Boxo nonce");
            Err(BoxoFailure::new(
                BoxoErrorCode::UnknownError,
                "temporary failure; try again later",
            ))
        }
    }
}

/// `ACCESS_DENIED` unless `Authorization: <prefix> base64(client_id:secret_key)` matches
/// (constant time over SHA-256 digests: neither content nor length leaks), or, where
/// `accepts` allows it, `Authorization: <prefix> at_...` (an access token, checked later).
fn check_credentials(
    req: &HttpRequest,
    settings: &BoxoSettings,
    integration: Integration<'_>,
    accepts: Accepts,
) -> Result<Caller, BoxoFailure> {
    let denied = || {
        let expected = match accepts {
            Accepts::Platform => "base64(client_id:secret_key)",
            Accepts::PlatformOrToken => "base64(client_id:secret_key) or an access token",
            Accepts::Token => "<access_token>",
        };
        BoxoFailure::new(
            BoxoErrorCode::AccessDenied,
            format!(
                "missing or wrong Authorization; expected {} {expected}",
                settings.auth_prefix
            ),
        )
    };
    let value = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(denied)?
        .trim();
    let prefix = settings.auth_prefix.trim();
    let encoded = if prefix.is_empty() {
        value
    } else {
        let (scheme, encoded) = value.split_once(' ').ok_or_else(denied)?;
        if scheme != prefix {
            return Err(denied());
        }
        encoded.trim()
    };
    match accepts {
        // Whatever it presents is its token; the use case tells a garbage one apart.
        Accepts::Token if !encoded.is_empty() => {
            return Ok(Caller::AccessToken(encoded.to_owned()))
        }
        Accepts::Token => return Err(denied()),
        Accepts::PlatformOrToken
            if encoded.starts_with(hostpay_domain::connect::ACCESS_TOKEN_PREFIX) =>
        {
            return Ok(Caller::AccessToken(encoded.to_owned()))
        }
        Accepts::PlatformOrToken | Accepts::Platform => {}
    }
    let presented = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| denied())?;
    let expected = format!("{}:{}", integration.client_id, integration.secret_key);
    let matches: bool = Sha256::digest(&presented)
        .as_slice()
        .ct_eq(Sha256::digest(expected.as_bytes()).as_slice())
        .into();
    if matches {
        Ok(Caller::Platform)
    } else {
        Err(denied())
    }
}
