//! The hand-written OpenAPI operations and schemas of Boxo Connect: the Boxo routes
//! (`crate::boxo::connect`, Boxo's wire format) and the internal auth-code route
//! (`crate::internal::connect`).

use serde_json::{json, Value};

fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn connect_headers() -> Vec<Value> {
    vec![
        json!({
            "name": "X-Miniapp-App-ID",
            "in": "header",
            "required": false,
            "description": "The miniapp (`app_...`); missing or unknown: `MINIAPP_NOT_FOUND`.",
            "schema": { "type": "string" },
        }),
        json!({
            "name": "X-Hostapp-Client-ID",
            "in": "header",
            "required": false,
            "description": "The host's client id; when sent, `boxo.client_id` (else `ACCESS_DENIED`).",
            "schema": { "type": "string" },
        }),
    ]
}

fn parameters(signature_headers: Value) -> Value {
    let mut list = connect_headers();
    if let Value::Array(signature) = signature_headers {
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
/// `signature_headers`: the signature headers' parameters, as the payment calls document them.
pub fn access_token_doc(signature_headers: Value) -> Value {
    json!({
        "tags": ["boxo"],
        "operationId": "boxo_connect_access_token",
        "summary": "Boxo Connect: trade an auth code for an access token (Boxo wire format)",
        "description": "The auth code the host's backend minted (`POST /internal/v1/connect/auth-codes`) for the miniapp of `X-Miniapp-App-ID`, traded once for an access token of that user. Unknown code: `INVALID_AUTH_CODE`; expired, used already or minted for another miniapp: `EXPIRED_AUTH_CODE`. Same admission as the payment calls (integration, IP allow-list, signature, `Authorization: <prefix> base64(client_id:secret_key)`). Always HTTP 200.",
        "security": [{ "boxo_client": [] }],
        "parameters": parameters(signature_headers),
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

fn user_data_operation(id: &str, signature_headers: Value) -> Value {
    json!({
        "tags": ["boxo"],
        "operationId": id,
        "summary": "Boxo Connect: the profile an access token carries (Boxo wire format)",
        "description": "With `Authorization: <prefix> <access_token>` and the token's miniapp in `X-Miniapp-App-ID`: the profile the user agreed to share. Unknown, garbage or another miniapp's token: `INVALID_ACCESS_TOKEN`; past its lifetime: `EXPIRED_ACCESS_TOKEN`; no Authorization: `ACCESS_DENIED`. No body is read. Always HTTP 200.",
        "security": [{ "boxo_client": [] }],
        "parameters": parameters(signature_headers),
        "responses": answer(
            "BoxoConnectUserData",
            "The user data, or `{error_code, error_message}` (`INVALID_ACCESS_TOKEN`, `EXPIRED_ACCESS_TOKEN`, `MINIAPP_NOT_FOUND`, `ACCESS_DENIED` and the admission codes)",
        ),
    })
}

/// `POST /boxo/v1/connect/user-data`, documented.
pub fn user_data_doc(signature_headers: Value) -> Value {
    user_data_operation("boxo_connect_user_data", signature_headers)
}

/// `GET /boxo/v1/connect/user-data`, documented.
pub fn user_data_get_doc(signature_headers: Value) -> Value {
    user_data_operation("boxo_connect_user_data_get", signature_headers)
}

/// The schemas of the Boxo Connect operations (public listener).
pub fn public_schemas() -> Vec<(&'static str, Value)> {
    let text =
        |description: &str| json!({ "type": ["string", "null"], "description": description });
    vec![
        (
            "BoxoConnectAccessTokenRequest",
            super::schemas::object(
                &["auth_code"],
                json!({
                    "auth_code": {
                        "type": "string",
                        "pattern": super::schemas::NO_CONTROLS,
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

/// `POST /internal/v1/connect/auth-codes`, documented.
/// `created`: the 201 answer's schema (the enveloped `ConnectAuthCode`); `not_found`:
/// the 404 response.
pub fn mint_doc(created: Value, not_found: Value) -> Value {
    json!({
        "tags": ["internal"],
        "operationId": "mint_connect_auth_code",
        "summary": "Mint a Boxo Connect auth code for the host's logged-in user",
        "description": "The host app hands the code to the Boxo SDK when a miniapp calls `login()`; the Boxo platform trades it once (`POST /boxo/v1/connect/access-token`) within 5 minutes, for that miniapp only. `user_data` is the profile the user agreed to share: `email` or `phone` (E.164) required; `reference` defaults to `user_id`.",
        "security": [{ "admin_token": [] }],
        "requestBody": {
            "required": true,
            "content": { "application/json": { "schema": reference("MintConnectAuthCodeRequest") } },
        },
        "responses": {
            "201": {
                "description": "Minted",
                "content": { "application/json": { "schema": created } },
            },
            "404": not_found,
        },
    })
}

/// The schemas of the auth-code operation. The profile's fields are checked by
/// `ConnectProfile::parse` (an email's shape, `email` or `phone` required): a value the
/// schema allows may still be 400 naming `user_data.<field>`.
pub fn internal_schemas() -> Vec<(&'static str, Value)> {
    use super::schemas::{identifier, nullable, object, prefixed_id, text, NO_CONTROLS};
    let described = |mut schema: Value, description: &str| {
        schema["description"] = json!(description);
        schema
    };
    vec![
        (
            "MintConnectAuthCodeRequest",
            object(
                &["user_id", "app_id", "user_data"],
                json!({
                    "user_id": described(identifier(255), "The host app's logged-in user, String(255)."),
                    "app_id": described(prefixed_id("app_"), "A registered miniapp (else 404)."),
                    "user_data": described(
                        object(
                            &[],
                            json!({
                                "reference": described(nullable(identifier(100)), "The user's reference for the miniapp, String(100); defaults to `user_id`."),
                                "email": described(nullable(text(254)), "An email address (name@example.com)."),
                                "phone": described(nullable(json!({"type": "string", "pattern": "^\\+[1-9][0-9]{7,14}$"})), "E.164: + and 8 to 15 digits."),
                                "first_name": nullable(text(250)),
                                "last_name": nullable(text(250)),
                                "custom_attributes": {
                                    "type": ["object", "null"],
                                    "description": "Any JSON object, at most 16 KiB.",
                                    "propertyNames": { "pattern": NO_CONTROLS },
                                    "additionalProperties": reference("JsonValue"),
                                },
                            }),
                        ),
                        "The profile the user agreed to share: `email` or `phone` required (else 400 naming `user_data`).",
                    ),
                }),
            ),
        ),
        (
            "ConnectAuthCode",
            json!({
                "type": "object",
                "required": ["auth_code", "expires_at"],
                "properties": {
                    "auth_code": { "type": "string", "pattern": "^ac_", "description": "Shown once." },
                    "expires_at": { "type": "string", "format": "date-time" },
                },
            }),
        ),
    ]
}
