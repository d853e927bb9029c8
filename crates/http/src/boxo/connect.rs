//! Boxo Connect, the host side (api.md section 4a): `POST /boxo/v1/connect/access-token`
//! trades an auth code for an access token, `POST` and `GET /boxo/v1/connect/user-data`
//! read the profile an access token carries. HTTP 200 always, Boxo's error codes on
//! failure; the same admission as the payment calls (integration, IP allow-list,
//! signature, credentials), then `X-Miniapp-App-ID` names the miniapp and
//! `X-Hostapp-Client-ID`, when sent, must be `boxo.client_id`.
//!
//! Their OpenAPI operations and schemas are written in `crate::openapi::connect`.

use actix_web::{web, HttpRequest, HttpResponse};
use hostpay_domain::connect::ConnectProfile;
use hostpay_domain::services::ConnectError;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::boxo::admission::{admit_as, Accepts, Caller};
use crate::boxo::order_payments::parse_as;
use crate::edge::boxo::{misfit_code, respond, BoxoErrorCode, BoxoFailure};
use crate::state::AppState;

/// The header naming the miniapp of a Connect call.
pub const MINIAPP_HEADER: &str = "X-Miniapp-App-ID";

/// The header naming the host's client id on a Connect call.
pub const CLIENT_HEADER: &str = "X-Hostapp-Client-ID";

/// Body of the access-token call.
#[derive(Deserialize)]
pub struct AccessTokenRequest {
    /// The auth code the host app handed the Boxo SDK.
    pub auth_code: String,
}

impl std::fmt::Debug for AccessTokenRequest {
    /// The auth code is a secret: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessTokenRequest")
            .field("auth_code", &hostpay_domain::connect::REDACTED)
            .finish()
    }
}

impl From<ConnectError> for BoxoFailure {
    fn from(error: ConnectError) -> BoxoFailure {
        let code = match &error {
            ConnectError::MiniappNotFound(_) => BoxoErrorCode::MiniappNotFound,
            ConnectError::InvalidAuthCode => BoxoErrorCode::InvalidAuthCode,
            ConnectError::ExpiredAuthCode => BoxoErrorCode::ExpiredAuthCode,
            ConnectError::InvalidAccessToken => BoxoErrorCode::InvalidAccessToken,
            ConnectError::ExpiredAccessToken => BoxoErrorCode::ExpiredAccessToken,
            ConnectError::AccessDenied => BoxoErrorCode::AccessDenied,
            ConnectError::Store(store) => {
                tracing::error!(error = %store, "Boxo Connect call failed in the store");
                return BoxoFailure::new(
                    BoxoErrorCode::UnknownError,
                    "temporary failure; try again later",
                );
            }
        };
        BoxoFailure::new(code, error.to_string())
    }
}

/// The miniapp a Connect call is for (`X-Miniapp-App-ID`; missing: `MINIAPP_NOT_FOUND`),
/// after checking `X-Hostapp-Client-ID` when sent (another: `ACCESS_DENIED`).
fn miniapp(req: &HttpRequest, state: &AppState) -> Result<String, BoxoFailure> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|value| !value.is_empty())
    };
    if let Some(client_id) = header(CLIENT_HEADER) {
        if Some(client_id) != state.settings.boxo.client_id.as_deref() {
            return Err(BoxoFailure::new(
                BoxoErrorCode::AccessDenied,
                format!("{CLIENT_HEADER} is not this host's client id"),
            ));
        }
    }
    header(MINIAPP_HEADER).map(str::to_owned).ok_or_else(|| {
        BoxoFailure::new(
            BoxoErrorCode::MiniappNotFound,
            format!("the {MINIAPP_HEADER} header naming the miniapp is required"),
        )
    })
}

/// `POST /boxo/v1/connect/access-token`: `{access_token}` for a valid auth code.
pub async fn access_token(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    respond(
        async {
            let (body, _) = admit_as(&req, payload, &state, Accepts::Platform).await?;
            let app_id = miniapp(&req, &state)?;
            let request: AccessTokenRequest = parse_as(&body, misfit_code(req.path()))?;
            let issued = state
                .services
                .connect
                .exchange(&app_id, &request.auth_code)
                .await?;
            Ok(json!({ "access_token": issued.access_token }))
        }
        .await,
    )
}

/// `POST` or `GET /boxo/v1/connect/user-data` with `Authorization: <prefix> <access_token>`:
/// `{user_data: {...}}`.
pub async fn user_data(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    respond(
        async {
            let (_, caller) = admit_as(&req, payload, &state, Accepts::Token).await?;
            let Caller::AccessToken(token) = caller else {
                return Err(BoxoFailure::new(
                    BoxoErrorCode::InvalidAccessToken,
                    "the Authorization header carries no access token",
                ));
            };
            // The token first: a caller without a valid one must not learn whether a
            // guessed `X-Hostapp-Client-ID` is this host's.
            state.services.connect.validate_access_token(&token).await?;
            let app_id = miniapp(&req, &state)?;
            let profile = state.services.connect.user_data(&app_id, &token).await?;
            Ok(json!({ "user_data": profile_json(&profile) }))
        }
        .await,
    )
}

/// Boxo's `UserData`: every field present (`null` when not shared).
pub fn profile_json(profile: &ConnectProfile) -> Value {
    json!({
        "reference": profile.reference(),
        "email": profile.email().map(|email| email.as_str()),
        "phone": profile.phone().map(|phone| phone.as_str()),
        "first_name": profile.first_name(),
        "last_name": profile.last_name(),
        "custom_attributes": profile.custom_attributes(),
    })
}
