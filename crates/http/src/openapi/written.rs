//! Operations documented by hand (their handlers live in modules without
//! `#[utoipa::path]`): health, metrics, this document, the Boxo host API (Boxo's wire
//! format) and the outbox deliveries of the internal API; and the schemas they use.

use serde_json::{json, Value};

use crate::edge::boxo::BoxoErrorCode;
use crate::openapi::schemas::{object, prefixed_id, reference};
use crate::routes::{Listener, Written};

/// The operation documented by hand as `which`.
pub fn operation(which: Written) -> Value {
    match which {
        Written::Healthz => healthz(),
        Written::Readyz => readyz(),
        Written::Metrics => metrics(),
        Written::OpenapiJson => openapi_json(),
        Written::BoxoCreate => boxo_create(),
        Written::BoxoStatus => boxo_status(),
        Written::DeliveriesList => deliveries_list(),
        Written::DeliveriesShow => deliveries_show(),
        Written::DeliveriesRetry => deliveries_retry(),
    }
}

fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

/// `GET /healthz`.
pub fn healthz() -> Value {
    json!({
        "tags": ["operations"],
        "operationId": "healthz",
        "summary": "Liveness: the process is up (both listeners)",
        "responses": {
            "200": {
                "description": "Alive",
                "content": json_content(json!({
                    "type": "object",
                    "required": ["status"],
                    "properties": { "status": { "const": "ok" } },
                })),
            },
        },
    })
}

/// `GET /readyz`.
pub fn readyz() -> Value {
    json!({
        "tags": ["operations"],
        "operationId": "readyz",
        "summary": "Readiness: the database answers and every migration is applied (both listeners)",
        "responses": {
            "200": {
                "description": "Ready",
                "content": json_content(json!({
                    "type": "object",
                    "required": ["status"],
                    "properties": { "status": { "const": "ready" } },
                })),
            },
            "503": {
                "description": "Not ready: the database is unreachable or its migrations are not applied",
                "content": json_content(json!({
                    "type": "object",
                    "required": ["status", "reason"],
                    "properties": {
                        "status": { "const": "unavailable" },
                        "reason": { "type": "string" },
                    },
                })),
            },
        },
    })
}

/// `GET /metrics` (internal listener only).
pub fn metrics() -> Value {
    json!({
        "tags": ["operations"],
        "operationId": "metrics",
        "summary": "Prometheus metrics (internal listener only; rendered from memory, never counted per scrape)",
        "responses": {
            "200": {
                "description": "Prometheus text exposition format 0.0.4",
                "content": { "text/plain": { "schema": { "type": "string" } } },
            },
        },
    })
}

/// `GET /openapi.json`.
pub fn openapi_json() -> Value {
    json!({
        "tags": ["operations"],
        "operationId": "openapi",
        "summary": "This document: the operations of this listener",
        "responses": {
            "200": {
                "description": "The OpenAPI 3.1 document",
                "content": json_content(json!({ "type": "object" })),
            },
        },
    })
}

/// The error codes of the Boxo surface.
const BOXO_ERROR_CODES: [BoxoErrorCode; 12] = [
    BoxoErrorCode::NoIntegration,
    BoxoErrorCode::NotAWhitelistedIp,
    BoxoErrorCode::MissingHeader,
    BoxoErrorCode::InvalidSignature,
    BoxoErrorCode::MissingRequestSignatureSettings,
    BoxoErrorCode::AccessDenied,
    BoxoErrorCode::ParsingErrorInvalidRequestBody,
    BoxoErrorCode::InvalidOrderData,
    BoxoErrorCode::MiniappNotFound,
    BoxoErrorCode::HostappUserIdRequired,
    BoxoErrorCode::OrderNotFound,
    BoxoErrorCode::UnknownError,
];

/// The optional signature headers of a Boxo call (default names; `boxo.signing.headers.*`
/// renames them). Required when `boxo.signing.verify_incoming` is on.
fn signature_headers() -> Value {
    let header = |name: &str, description: &str, schema: Value| {
        json!({
            "name": name,
            "in": "header",
            "required": false,
            "description": description,
            "schema": schema,
        })
    };
    // Read only when `boxo.signing.verify_incoming` is on (ignored otherwise), so any
    // value is schema-valid; what a verifying host requires is in the descriptions.
    json!([
        header(
            "X-Signature",
            "The request signature (api.md section 6), encoded and templated as configured (`boxo.signing.*`). Checked only when `boxo.signing.verify_incoming` is on: missing `MISSING_HEADER`, wrong `INVALID_SIGNATURE`.",
            json!({ "type": "string" }),
        ),
        header(
            "X-Timestamp",
            "Signed requests: unix seconds, within 300 s of now (else `INVALID_SIGNATURE`).",
            json!({ "type": "string" }),
        ),
        header(
            "X-Nonce",
            "Signed requests: at least 16 characters, not seen within the last 300 s (else `INVALID_SIGNATURE`).",
            json!({ "type": "string" }),
        ),
        header(
            "X-Client-Id",
            "Signed requests: the `{client_id}` of the payload template.",
            json!({ "type": "string" }),
        ),
    ])
}

fn boxo_answer(result: &str, description: &str) -> Value {
    json!({
        "200": {
            "description": description,
            "content": json_content(json!({
                "oneOf": [reference(result), reference("BoxoError")],
            })),
        },
    })
}

const BOXO_CHECKS: &str = "Checks, in this order: integration configured (`NO_INTEGRATION`), IP \
    allow-list (`NOT_A_WHITELISTED_IP`), request signature when `boxo.signing.verify_incoming` \
    is on (`MISSING_HEADER`, `INVALID_SIGNATURE`), credentials (`ACCESS_DENIED`), body (not \
    JSON or empty: `PARSING_ERROR_INVALID_REQUEST_BODY`; a field missing, of the wrong type, \
    out of its limits or holding a C0 control character: `INVALID_ORDER_DATA`), then the use \
    case's own (`MINIAPP_NOT_FOUND`...). A failure on hostpay's side (the database cannot be \
    reached) is `UNKNOWN_ERROR`: retry later. Always HTTP 200.";

/// `POST /boxo/v1/order-payments`.
pub fn boxo_create() -> Value {
    let mut parameters = vec![json!({
        "name": "X-User-ID",
        "in": "header",
        "required": false,
        "description": "The host app's user when `order.hostapp_user_id` is absent: String(255); blank reads as absent (else `INVALID_ORDER_DATA`).",
        "schema": {
            "type": "string",
            "anyOf": [
                { "pattern": "^ *$" },
                { "maxLength": 255, "pattern": "^[\\x20-\\x7E]*[\\x21-\\x7E][\\x20-\\x7E]*$" },
            ],
        },
    })];
    if let Value::Array(headers) = signature_headers() {
        parameters.extend(headers);
    }
    json!({
        "tags": ["boxo"],
        "operationId": "boxo_create_order_payment",
        "summary": "Create an order payment (Boxo wire format)",
        "description": format!("Creates (or finds again) the payment of a Boxo order: `{{\"order_payment_id\": \"pay_...\"}}`, the payment's id (the miniapp owning `app_id` can read and refund it on the miniapp API). The same `(app_id, order.miniapp_order_id)` with the same order returns the same id; with another order `INVALID_ORDER_DATA`. {BOXO_CHECKS}"),
        "security": [{ "boxo_client": [] }],
        "parameters": parameters,
        "requestBody": {
            "required": true,
            "content": json_content(reference("BoxoCreateOrderPaymentRequest")),
        },
        "responses": boxo_answer(
            "BoxoOrderPaymentCreated",
            "The order payment's id, or `{error_code, error_message}` (`ACCESS_DENIED`, `NO_INTEGRATION`, `MINIAPP_NOT_FOUND`, `INVALID_ORDER_DATA`, `HOSTAPP_USER_ID_REQUIRED`, `PARSING_ERROR_INVALID_REQUEST_BODY`, `NOT_A_WHITELISTED_IP`, `INVALID_SIGNATURE`, `MISSING_HEADER`, `UNKNOWN_ERROR`)",
        ),
    })
}

/// `POST /boxo/v1/order-payments/status`.
pub fn boxo_status() -> Value {
    json!({
        "tags": ["boxo"],
        "operationId": "boxo_order_payment_status",
        "summary": "Status of an order payment (Boxo wire format)",
        "description": format!("The payment's status in Boxo's terms: `in_process`, `paid`, `cancelled` or `failed` (a partly or fully refunded payment reads `paid`). Another miniapp's or an unknown payment: `ORDER_NOT_FOUND`; a `client_id` other than `boxo.client_id`: `ACCESS_DENIED`. {BOXO_CHECKS}"),
        "security": [{ "boxo_client": [] }],
        "parameters": signature_headers(),
        "requestBody": {
            "required": true,
            "content": json_content(reference("BoxoOrderPaymentStatusRequest")),
        },
        "responses": boxo_answer(
            "BoxoOrderPaymentStatus",
            "The status, or `{error_code, error_message}` (`ORDER_NOT_FOUND` and the codes of create)",
        ),
    })
}

fn page_query() -> Vec<Value> {
    vec![
        json!({
            "name": "limit",
            "in": "query",
            "required": false,
            "description": "Page size, 1..=100 (default 20).",
            "schema": { "type": "integer", "minimum": 1, "maximum": 100 },
        }),
        json!({
            "name": "cursor",
            "in": "query",
            "required": false,
            "description": "The `next_cursor` of the previous page: opaque; one this API did not return is 400 naming `cursor`.",
            "schema": { "type": "string", "maxLength": 128, "pattern": "^[A-Za-z0-9_-]*$" },
        }),
    ]
}

fn delivery_id() -> Value {
    json!({
        "name": "delivery_id",
        "in": "path",
        "required": true,
        "description": "`dlv_...` (a malformed id is simply not found: 404)",
        "schema": prefixed_id("dlv_"),
    })
}

/// `GET /internal/v1/deliveries`.
pub fn deliveries_list() -> Value {
    let mut parameters = vec![json!({
        "name": "state",
        "in": "query",
        "required": false,
        "description": "Only deliveries in this state (`dead`: the dead letters); all when absent.",
        "schema": { "type": "string", "enum": ["pending", "dead", "delivered"] },
    })];
    parameters.extend(page_query());
    json!({
        "tags": ["internal"],
        "operationId": "list_deliveries",
        "summary": "Outbox deliveries, newest first",
        "security": [{ "admin_token": [] }],
        "parameters": parameters,
        "responses": {
            "200": {
                "description": "A page of deliveries",
                "content": json_content(envelope(json!({
                    "type": "object",
                    "required": ["items", "next_cursor", "has_more"],
                    "properties": {
                        "items": { "type": "array", "items": reference("DeliveryView") },
                        "next_cursor": { "type": ["string", "null"] },
                        "has_more": { "type": "boolean" },
                    },
                }))),
            },
            "400": error("INVALID_REQUEST naming `state`, `limit` or `cursor`"),
        },
    })
}

/// `GET /internal/v1/deliveries/{delivery_id}`.
pub fn deliveries_show() -> Value {
    json!({
        "tags": ["internal"],
        "operationId": "get_delivery",
        "summary": "One delivery with its event data and every attempt",
        "security": [{ "admin_token": [] }],
        "parameters": [delivery_id()],
        "responses": {
            "200": {
                "description": "The delivery",
                "content": json_content(envelope(reference("DeliveryDetail"))),
            },
            "404": error("NOT_FOUND"),
        },
    })
}

/// `POST /internal/v1/deliveries/{delivery_id}/retry`.
pub fn deliveries_retry() -> Value {
    json!({
        "tags": ["internal"],
        "operationId": "retry_delivery",
        "summary": "Send a dead letter again now",
        "description": "Only a dead letter can be retried: it becomes `pending`, due now (202). A pending or delivered delivery is 409 INVALID_STATE.",
        "security": [{ "admin_token": [] }],
        "parameters": [delivery_id()],
        "responses": {
            "202": {
                "description": "Scheduled",
                "content": json_content(envelope(reference("DeliveryView"))),
            },
            "404": error("NOT_FOUND"),
            "409": error("INVALID_STATE: the delivery is not a dead letter"),
        },
    })
}

/// The success envelope around `data`.
pub fn envelope(data: Value) -> Value {
    json!({
        "type": "object",
        "required": ["status_code", "result", "success", "data"],
        "properties": {
            "status_code": { "type": "integer" },
            "result": { "type": "string" },
            "success": { "const": true },
            "data": data,
        },
    })
}

/// An error answer in the envelope.
pub fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": json_content(reference("ErrorEnvelope")),
    })
}

fn date_time(nullable_value: bool) -> Value {
    if nullable_value {
        json!({ "type": ["string", "null"], "format": "date-time" })
    } else {
        json!({ "type": "string", "format": "date-time" })
    }
}

/// The schemas the written operations of `listener` use.
pub fn schemas(listener: Listener) -> Vec<(&'static str, Value)> {
    match listener {
        Listener::Public => boxo_schemas(),
        Listener::Internal => delivery_schemas(),
    }
}

fn boxo_schemas() -> Vec<(&'static str, Value)> {
    let codes: Vec<&str> = BOXO_ERROR_CODES.iter().map(|code| code.as_str()).collect();
    vec![
        (
            "BoxoCreateOrderPaymentRequest",
            object(
                &["app_id", "order"],
                json!({
                    "app_id": {
                        "type": "string",
                        "pattern": crate::openapi::schemas::NO_CONTROLS,
                        "description": "The miniapp (a registered `app_...`; else `MINIAPP_NOT_FOUND`).",
                    },
                    "order": reference("BoxoOrderDetails"),
                }),
            ),
        ),
        ("BoxoOrderDetails", crate::openapi::schemas::boxo_order()),
        (
            "BoxoOrderPaymentStatusRequest",
            object(
                &["app_id", "order_payment_id"],
                json!({
                    "app_id": {
                        "type": "string",
                        "pattern": crate::openapi::schemas::NO_CONTROLS,
                        "description": "The miniapp the payment belongs to.",
                    },
                    "client_id": {
                        "type": ["string", "null"],
                        "pattern": crate::openapi::schemas::NO_CONTROLS,
                        "description": "The host's client id as Boxo knows it: when given, `boxo.client_id` (else `ACCESS_DENIED`).",
                    },
                    "order_payment_id": {
                        "type": "string",
                        "pattern": crate::openapi::schemas::NO_CONTROLS,
                        "description": "The payment's id (`pay_...`; another or an unknown one: `ORDER_NOT_FOUND`).",
                    },
                }),
            ),
        ),
        (
            "BoxoOrderPaymentCreated",
            json!({
                "type": "object",
                "required": ["order_payment_id"],
                "properties": {
                    "order_payment_id": {
                        "type": "string",
                        "pattern": "^pay_",
                        "description": "The payment's id: also readable and refundable on the miniapp API by the miniapp owning it.",
                    },
                },
            }),
        ),
        (
            "BoxoOrderPaymentStatus",
            json!({
                "type": "object",
                "required": ["app_id", "client_id", "order_payment_id", "payment_status", "payment_fail_reason"],
                "properties": {
                    "app_id": { "type": "string" },
                    "client_id": { "type": "string" },
                    "order_payment_id": { "type": "string", "pattern": "^pay_" },
                    "payment_status": { "type": "string", "enum": ["in_process", "paid", "cancelled", "failed"] },
                    "payment_fail_reason": { "type": ["string", "null"] },
                },
            }),
        ),
        (
            "BoxoError",
            json!({
                "type": "object",
                "description": "A refusal, in Boxo's wire format (HTTP 200).",
                "required": ["error_code", "error_message"],
                "properties": {
                    "error_code": { "type": "string", "enum": codes },
                    "error_message": { "type": "string", "description": "For people." },
                },
            }),
        ),
    ]
}

fn delivery_schemas() -> Vec<(&'static str, Value)> {
    let view = json!({
        "type": "object",
        "description": "One event to one receiver.",
        "required": [
            "id", "target", "state", "event_id", "event_type", "app_id", "payment_id",
            "attempts", "next_attempt_at", "last_status", "last_error", "created_at", "updated_at",
        ],
        "properties": {
            "id": { "type": "string", "pattern": "^dlv_" },
            "target": { "type": "string", "enum": ["boxo_complete_order", "miniapp_webhook"] },
            "state": { "type": "string", "enum": ["pending", "delivered", "dead"] },
            "event_id": { "type": "string", "pattern": "^evt_" },
            "event_type": { "type": "string" },
            "app_id": { "type": "string" },
            "payment_id": { "type": "string" },
            "attempts": { "type": "integer", "minimum": 0 },
            "next_attempt_at": { "description": "When the next attempt is due (pending only).", "type": ["string", "null"], "format": "date-time" },
            "last_status": { "type": ["integer", "null"], "description": "The last attempt's HTTP status." },
            "last_error": { "type": ["string", "null"], "description": "The last attempt's error (URLs without query or user-info)." },
            "created_at": date_time(false),
            "updated_at": date_time(false),
        },
    });
    let attempt = json!({
        "type": "object",
        "required": ["at", "http_status", "outcome", "error", "latency_ms"],
        "properties": {
            "at": date_time(false),
            "http_status": { "type": ["integer", "null"] },
            "outcome": { "type": "string", "enum": ["acknowledged", "retryable", "permanent"] },
            "error": { "type": ["string", "null"] },
            "latency_ms": { "type": "integer" },
        },
    });
    let detail = json!({
        "allOf": [
            reference("DeliveryView"),
            {
                "type": "object",
                "required": ["data", "attempt_log"],
                "properties": {
                    "data": { "description": "The event's `data`." },
                    "attempt_log": { "type": "array", "items": reference("DeliveryAttempt") },
                },
            },
        ],
    });
    vec![
        ("DeliveryView", view),
        ("DeliveryAttempt", attempt),
        ("DeliveryDetail", detail),
    ]
}
