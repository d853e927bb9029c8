//! Boxo Connect, the host side (api.md section 4a): `POST /boxo/v1/connect/access-token`
//! trades an auth code for an access token, `POST` and `GET /boxo/v1/connect/user-data`
//! read the profile an access token carries. HTTP 200 always, Boxo's error codes on
//! failure; the same admission as the payment calls (integration, IP allow-list,
//! signature, credentials), then `X-Miniapp-App-ID` names the miniapp and
//! `X-Hostapp-Client-ID`, when sent, must be `boxo.client_id`.
//!
//! Their OpenAPI operations and schemas are written here too ([`access_token_doc`],
//! [`user_data_doc`], [`schemas`]).

use actix_web::{web, HttpRequest, HttpResponse};
use hostpay_domain::connect::ConnectProfile;
use hostpay_domain::services::ConnectError;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::boxo::admission::{admit_as, Accepts, Caller};
use crate::boxo::order_payments::parse;
use crate::boxo::{respond, BoxoErrorCode, BoxoFailure};
use crate::state::AppState;

/// The header naming the miniapp of a Connect call.
pub const MINIAPP_HEADER: &str = "X-Miniapp-App-ID";

/// The header naming the host's client id on a Connect call.
pub const CLIENT_HEADER: &str = "X-Hostapp-Client-ID";

/// Body of the access-token call.
#[derive(Debug, Deserialize)]
pub struct AccessTokenRequest {
    /// The auth code the host app handed the Boxo SDK.
    pub auth_code: String,
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
            let request: AccessTokenRequest = parse(&body)?;
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
            let app_id = miniapp(&req, &state)?;
            let Caller::AccessToken(token) = caller else {
                return Err(BoxoFailure::new(
                    BoxoErrorCode::InvalidAccessToken,
                    "the Authorization header carries no access token",
                ));
            };
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

fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn connect_headers() -> Vec<Value> {
    vec![
        json!({
            "name": MINIAPP_HEADER,
            "in": "header",
            "required": false,
            "description": "The miniapp (`app_...`); missing or unknown: `MINIAPP_NOT_FOUND`.",
            "schema": { "type": "string" },
        }),
        json!({
            "name": CLIENT_HEADER,
            "in": "header",
            "required": false,
            "description": "The host's client id; when sent, `boxo.client_id` (else `ACCESS_DENIED`).",
            "schema": { "type": "string" },
        }),
    ]
}

fn parameters() -> Value {
    let mut list = connect_headers();
    if let Value::Array(signature) = crate::openapi::written::signature_headers() {
        list.extend(signature);
    }
    Value::Array(list)
}

fn answer(result: &str, description: &str) -> Value {
    json!({
        "200": {
            "description": description,
            "content": json_content(json!({
                "oneOf": [reference(result), reference("BoxoError")],
            })),
        },
    })
}

/// `POST /boxo/v1/connect/access-token`, documented.
pub fn access_token_doc() -> Value {
    json!({
        "tags": ["boxo"],
        "operationId": "boxo_connect_access_token",
        "summary": "Boxo Connect: trade an auth code for an access token (Boxo wire format)",
        "description": "The auth code the host's backend minted (`POST /internal/v1/connect/auth-codes`) for the miniapp of `X-Miniapp-App-ID`, traded once for an access token of that user. Unknown code: `INVALID_AUTH_CODE`; expired, used already or minted for another miniapp: `EXPIRED_AUTH_CODE`. Same admission as the payment calls (integration, IP allow-list, signature, `Authorization: <prefix> base64(client_id:secret_key)`). Always HTTP 200.",
        "security": [{ "boxo_client": [] }],
        "parameters": parameters(),
        "requestBody": {
            "required": true,
            "content": json_content(reference("BoxoConnectAccessTokenRequest")),
        },
        "responses": answer(
            "BoxoConnectAccessToken",
            "The access token, or `{error_code, error_message}` (`INVALID_AUTH_CODE`, `EXPIRED_AUTH_CODE`, `MINIAPP_NOT_FOUND`, `ACCESS_DENIED` and the admission codes)",
        ),
    })
}

fn user_data_operation(id: &str) -> Value {
    json!({
        "tags": ["boxo"],
        "operationId": id,
        "summary": "Boxo Connect: the profile an access token carries (Boxo wire format)",
        "description": "With `Authorization: <prefix> <access_token>` and the token's miniapp in `X-Miniapp-App-ID`: the profile the user agreed to share. Unknown, garbage or another miniapp's token: `INVALID_ACCESS_TOKEN`; past its lifetime: `EXPIRED_ACCESS_TOKEN`; no Authorization: `ACCESS_DENIED`. No body is read. Always HTTP 200.",
        "security": [{ "boxo_client": [] }],
        "parameters": parameters(),
        "responses": answer(
            "BoxoConnectUserData",
            "The user data, or `{error_code, error_message}` (`INVALID_ACCESS_TOKEN`, `EXPIRED_ACCESS_TOKEN`, `MINIAPP_NOT_FOUND`, `ACCESS_DENIED` and the admission codes)",
        ),
    })
}

/// `POST /boxo/v1/connect/user-data`, documented.
pub fn user_data_doc() -> Value {
    user_data_operation("boxo_connect_user_data")
}

/// `GET /boxo/v1/connect/user-data`, documented.
pub fn user_data_get_doc() -> Value {
    user_data_operation("boxo_connect_user_data_get")
}

/// The schemas of the Connect operations.
pub fn schemas() -> Vec<(&'static str, Value)> {
    let text =
        |description: &str| json!({ "type": ["string", "null"], "description": description });
    vec![
        (
            "BoxoConnectAccessTokenRequest",
            crate::openapi::schemas::object(
                &["auth_code"],
                json!({
                    "auth_code": {
                        "type": "string",
                        "pattern": crate::openapi::schemas::NO_CONTROLS,
                        "description": "The auth code (`ac_...`).",
                    },
                }),
            ),
        ),
        (
            "BoxoConnectAccessToken",
            json!({
                "type": "object",
                "required": ["access_token"],
                "properties": {
                    "access_token": {
                        "type": "string",
                        "pattern": "^at_",
                        "maxLength": 1000,
                        "description": "Works for `connect.access_token_ttl_seconds` (default 1 h).",
                    },
                },
            }),
        ),
        (
            "BoxoConnectUserData",
            json!({
                "type": "object",
                "required": ["user_data"],
                "properties": {
                    "user_data": {
                        "type": "object",
                        "required": ["reference", "email", "phone", "first_name", "last_name", "custom_attributes"],
                        "properties": {
                            "reference": { "type": "string", "maxLength": 100 },
                            "email": text("Email, when shared."),
                            "phone": text("E.164, when shared."),
                            "first_name": text("When shared."),
                            "last_name": text("When shared."),
                            "custom_attributes": { "type": ["object", "null"] },
                        },
                    },
                },
            }),
        ),
    ]
}
