//! `Idempotency-Key` (api.md section 3): the claim a request makes on its key, fingerprinted
//! by its operation and raw body.

use actix_web::HttpRequest;
use hostpay_domain::idempotency::{fingerprint, IdempotencyClaim, IdempotencyKey};
use hostpay_domain::miniapp::Miniapp;

use crate::edge::envelope::ApiError;

/// The idempotency claim of a request, when it carries an `Idempotency-Key`.
pub fn idempotency_claim(
    req: &HttpRequest,
    app: &Miniapp,
    operation: &str,
    raw: &[u8],
) -> Result<Option<IdempotencyClaim>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::invalid("Idempotency-Key", "must be visible ASCII"))?;
    let key = IdempotencyKey::parse(text)
        .map_err(|error| ApiError::invalid("Idempotency-Key", error.message))?;
    Ok(Some(IdempotencyClaim {
        app_id: app.id.clone(),
        key,
        fingerprint: fingerprint(operation, raw),
        owner: String::new(),
    }))
}
