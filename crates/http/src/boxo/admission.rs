//! Who may call the Boxo surface: the checks that come before the body is read as an
//! order, in the documented order (integration, IP, signature, credentials).

use actix_web::http::header::AUTHORIZATION;
use actix_web::web::{self, BytesMut};
use actix_web::HttpRequest;
use base64::Engine;
use futures::StreamExt;
use hostpay_domain::signing::{verify_boxo_signature, SignedRequest};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::boxo::client_ip::{client_ip, is_allowed};
use crate::edge::boxo::{BoxoErrorCode, BoxoFailure};
use crate::edge::json::BODY_LIMIT;
use crate::state::{AppState, BoxoSettings};

/// How far a signed request's timestamp may be from now, in seconds.
pub const TIMESTAMP_WINDOW_SECONDS: i64 = 300;

/// The shortest nonce a signed request may carry (api.md section 6: 16+ characters).
pub const MIN_NONCE_LENGTH: usize = 16;

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

/// Runs every check before parsing and returns the raw body.
pub async fn admit(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<web::Bytes, BoxoFailure> {
    let settings = &state.settings.boxo;
    let integration = integration(settings)?;
    check_ip(req, settings)?;
    // A body that cannot be read (over 64 KiB) is refused only after the credentials: a
    // caller without them hears ACCESS_DENIED whatever it sends.
    let body = read_body(payload).await;
    if settings.signing.verify_incoming {
        if let Ok(body) = &body {
            check_signature(req, body, state).await?;
        }
    }
    check_credentials(req, settings, integration)?;
    body
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

async fn read_body(mut payload: web::Payload) -> Result<web::Bytes, BoxoFailure> {
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
                BoxoErrorCode::InvalidOrderData,
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
    let signing = &state.settings.boxo.signing;
    let Some(secret) = signing
        .secret
        .as_deref()
        .filter(|secret| !secret.is_empty())
    else {
        return Err(BoxoFailure::new(
            BoxoErrorCode::MissingRequestSignatureSettings,
            "boxo.signing.verify_incoming is on but boxo.signing.secret is not set",
        ));
    };
    let header = |name: &str| -> Result<String, BoxoFailure> {
        req.headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                BoxoFailure::new(
                    BoxoErrorCode::MissingHeader,
                    format!("Missing required header: {name}"),
                )
            })
    };
    let signature_value = header(&signing.signature_header)?;
    let timestamp = header(&signing.timestamp_header)?;
    let nonce = header(&signing.nonce_header)?;
    let client_id = req
        .headers()
        .get(signing.client_id_header.as_str())
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let invalid = |why: &str| BoxoFailure::new(BoxoErrorCode::InvalidSignature, why.to_owned());
    if nonce.chars().count() < MIN_NONCE_LENGTH {
        return Err(invalid("the nonce must be at least 16 characters"));
    }
    let seconds: i64 = timestamp
        .parse()
        .map_err(|_| invalid("the timestamp is not unix seconds"))?;
    let now = state.services.clock.now();
    if (now.timestamp() - seconds).abs() > TIMESTAMP_WINDOW_SECONDS {
        return Err(invalid("the timestamp is more than 300 seconds away"));
    }
    let url = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path().to_owned(), |pq| pq.as_str().to_owned());
    let request = SignedRequest {
        timestamp: &timestamp,
        nonce: &nonce,
        method: req.method().as_str(),
        url: &url,
        client_id: &client_id,
        body,
    };
    if !verify_boxo_signature(
        secret,
        &signing.payload_template,
        &request,
        &signature_value,
    ) {
        return Err(invalid("the signature does not match"));
    }
    match state.services.nonces.remember(&nonce, now).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(invalid("the nonce was already used")),
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
/// (constant time over SHA-256 digests: neither content nor length leaks).
fn check_credentials(
    req: &HttpRequest,
    settings: &BoxoSettings,
    integration: Integration<'_>,
) -> Result<(), BoxoFailure> {
    let denied = || {
        BoxoFailure::new(
            BoxoErrorCode::AccessDenied,
            format!(
                "missing or wrong Authorization; expected {} base64(client_id:secret_key)",
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
    let presented = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| denied())?;
    let expected = format!("{}:{}", integration.client_id, integration.secret_key);
    let matches: bool = Sha256::digest(&presented)
        .as_slice()
        .ct_eq(Sha256::digest(expected.as_bytes()).as_slice())
        .into();
    if matches {
        Ok(())
    } else {
        Err(denied())
    }
}
