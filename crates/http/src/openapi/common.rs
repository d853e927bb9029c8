//! What the operations of a surface share, added to the document in one place: the
//! answers that come from the middleware and extractors rather than the handler (400 for
//! a C0 control character or malformed input, 401, 413, 429, 500, 503 with
//! `Retry-After`), the security schemes of the listener, the error codes, and the links
//! from what creates an object to what reads it (so stateful testing reaches real
//! objects).

use serde_json::{json, Map, Value};

use crate::edge::envelope::ErrorCode;
use crate::openapi::schemas::{identifier, prefixed_id, NO_CONTROLS};
use crate::routes::Listener;

/// Which surface a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    /// `/api/v1/...`: envelope, miniapp token, rate limited.
    Miniapp,
    /// `/internal/v1/...`: envelope, admin token.
    Internal,
    /// `/checkout/...`: envelope for confirm and cancel, HTML for the sheet.
    Checkout,
    /// `/boxo/v1/...`: HTTP 200 always.
    Boxo,
    /// Health, metrics, the document.
    Operations,
}

impl Surface {
    fn of(path: &str) -> Surface {
        if path.starts_with("/api/") {
            Surface::Miniapp
        } else if path.starts_with("/internal/") {
            Surface::Internal
        } else if path.starts_with("/checkout/") {
            Surface::Checkout
        } else if path.starts_with("/boxo/") {
            Surface::Boxo
        } else {
            Surface::Operations
        }
    }
}

/// `Retry-After`, in seconds.
fn retry_after(description: &str) -> Value {
    json!({
        "Retry-After": {
            "description": description,
            "required": true,
            "schema": { "type": "integer", "minimum": 1 },
        },
    })
}

fn envelope_error(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorEnvelope" } } },
    })
}

fn html_or_envelope(description: &str) -> Value {
    json!({
        "description": description,
        "content": {
            "text/html": { "schema": { "type": "string" } },
            "application/json": { "schema": { "$ref": "#/components/schemas/ErrorEnvelope" } },
        },
    })
}

/// Adds `response` under `status` unless the operation documents that status already.
fn ensure(responses: &mut Map<String, Value>, status: &str, response: Value) {
    responses.entry(status.to_owned()).or_insert(response);
}

/// Adds headers to a documented response.
fn with_headers(responses: &mut Map<String, Value>, status: &str, headers: Value) {
    if let Some(response) = responses.get_mut(status) {
        let existing = response
            .as_object_mut()
            .map(|object| object.entry("headers").or_insert_with(|| json!({})));
        if let (Some(Value::Object(existing)), Value::Object(headers)) = (existing, headers) {
            for (name, header) in headers {
                existing.entry(name).or_insert(header);
            }
        }
    }
}

/// Whether `parameters` (an operation's) has the header `name`.
fn operation_has_header(parameters: &Value, name: &str) -> bool {
    parameters.as_array().is_some_and(|parameters| {
        parameters
            .iter()
            .any(|parameter| parameter["in"] == "header" && parameter["name"] == name)
    })
}

/// Whether the operation reads anything a caller chooses (a parameter or a body), so the
/// C0-control check and the extractors can refuse it with 400.
fn has_input(operation: &Value) -> bool {
    operation["parameters"]
        .as_array()
        .is_some_and(|parameters| !parameters.is_empty())
        || operation.get("requestBody").is_some()
}

/// Completes `document` (built by [`crate::openapi::document`]) for `listener`.
pub fn apply(document: &mut Value, listener: Listener) {
    security_schemes(document, listener);
    if let Some(paths) = document["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            let surface = Surface::of(path);
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for operation in item.values_mut() {
                optional_body(operation);
                parameters(operation, surface);
                complete_operation(operation, surface);
            }
        }
    }
    error_codes(document);
    links(document);
}

fn complete_operation(operation: &mut Value, surface: Surface) {
    let html = operation["responses"]["200"]["content"]
        .get("text/html")
        .is_some();
    match (surface, html) {
        (Surface::Miniapp | Surface::Internal, _) | (Surface::Checkout, false) => {
            envelope_answers(operation, surface);
        }
        (Surface::Checkout, true) => sheet_answers(operation),
        (Surface::Boxo | Surface::Operations, _) => {}
    }
}

/// What an envelope operation may answer besides its own statuses.
fn envelope_answers(operation: &mut Value, surface: Surface) {
    let input = has_input(operation);
    let body = operation.get("requestBody").is_some();
    let secured = operation["security"]
        .as_array()
        .is_some_and(|security| !security.is_empty());
    let idempotent = operation_has_header(&operation["parameters"], "Idempotency-Key");
    let Some(responses) = operation["responses"].as_object_mut() else {
        return;
    };
    if input {
        ensure(
            responses,
            "400",
            envelope_error("INVALID_REQUEST naming the field (also a C0 control character in a path segment, header or query value)"),
        );
    }
    if secured {
        ensure(
            responses,
            "401",
            envelope_error("UNAUTHENTICATED: missing or wrong credentials"),
        );
    }
    if body {
        ensure(
            responses,
            "413",
            envelope_error("PAYLOAD_TOO_LARGE: the body is over 64 KiB"),
        );
    }
    if surface == Surface::Miniapp {
        ensure(
            responses,
            "429",
            envelope_error("RATE_LIMITED: this miniapp sent more than `rate_limit.per_second` (bursts of `rate_limit.burst`); retry after `Retry-After` seconds"),
        );
        with_headers(
            responses,
            "429",
            retry_after("Seconds until a request will be accepted again"),
        );
    }
    ensure(
        responses,
        "500",
        envelope_error("INTERNAL: something broke on hostpay's side (details only in its log)"),
    );
    ensure(
        responses,
        "503",
        envelope_error(if idempotent {
            "UNAVAILABLE: the database cannot be reached; nothing changed, retry after `Retry-After` seconds (with the same `Idempotency-Key`)"
        } else {
            "UNAVAILABLE: the database cannot be reached; nothing changed, retry after `Retry-After` seconds"
        }),
    );
    with_headers(
        responses,
        "503",
        retry_after("Seconds to wait before retrying"),
    );
}

/// What the HTML payment sheet may answer besides its own pages: the envelope where the
/// edge refuses before the handler (a C0 control character, a malformed form), and the
/// error pages.
fn sheet_answers(operation: &mut Value) {
    let Some(responses) = operation["responses"].as_object_mut() else {
        return;
    };
    ensure(
        responses,
        "400",
        html_or_envelope("Refused input: a C0 control character (envelope) or a malformed form or unknown action"),
    );
    if let Some(response) = responses.get_mut("400") {
        response["content"]["application/json"] = json!({
            "schema": { "$ref": "#/components/schemas/ErrorEnvelope" },
        });
    }
    ensure(
        responses,
        "500",
        html_or_envelope("Something broke on hostpay's side"),
    );
    ensure(
        responses,
        "503",
        html_or_envelope(
            "The database cannot be reached: nothing was charged; retry after `Retry-After` seconds",
        ),
    );
    with_headers(
        responses,
        "503",
        retry_after("Seconds to wait before retrying"),
    );
}

/// An optional body (`Option<T>` in the handler) is documented as the object, not
/// required, rather than as "the object or JSON `null`": no body reads as `{}`, and a
/// `null` body is 400.
fn optional_body(operation: &mut Value) {
    let Some(body) = operation.get_mut("requestBody") else {
        return;
    };
    let Some(content) = body.get_mut("content").and_then(Value::as_object_mut) else {
        return;
    };
    let mut optional = false;
    for media in content.values_mut() {
        let branches = media["schema"]["oneOf"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let (nulls, others): (Vec<Value>, Vec<Value>) = branches
            .into_iter()
            .partition(|branch| branch["type"] == "null");
        if !nulls.is_empty() && others.len() == 1 {
            media["schema"] = others[0].clone();
            optional = true;
        }
    }
    if optional {
        body["required"] = json!(false);
    }
}

/// The schema of a parameter, by where it is and its name: the same name means the same
/// rule everywhere.
fn parameter_schema(location: &str, name: &str, surface: Surface) -> Option<Value> {
    Some(match (location, name) {
        ("query", "limit") if surface == Surface::Miniapp => json!({
            "description": "1..=100; empty or absent: 20.",
            "anyOf": [
                { "type": "integer", "minimum": 1, "maximum": 100 },
                { "type": "string", "maxLength": 0 },
            ],
        }),
        ("query", "limit") => json!({ "type": "integer", "minimum": 1, "maximum": 100 }),
        ("query", "cursor") if surface == Surface::Miniapp => json!({
            "type": "string",
            "format": "hostpay-cursor",
            "maxLength": 128,
            "description": "The `next_cursor` of the previous page, as returned: opaque (base64url); one this API did not return is 400 naming `cursor`; empty or absent: the first page.",
        }),
        ("query", "cursor") => json!({
            "type": "string",
            "format": "hostpay-cursor",
            "minLength": 1,
            "maxLength": 128,
            "description": "The `next_cursor` of the previous page, as returned: opaque (base64url); one this API did not return is 400 naming `cursor`.",
        }),
        ("path", "payment_id") => prefixed_id("pay_"),
        ("path", "app_id") => prefixed_id("app_"),
        ("path", "delivery_id") => prefixed_id("dlv_"),
        ("path", "user_id" | "order_id") => identifier(255),
        ("header", "Idempotency-Key") => json!({
            "type": "string",
            "pattern": "^[\\x21-\\x7E]{1,255}$",
        }),
        ("header", "miniapp-user-token") => json!({ "type": "string", "pattern": NO_CONTROLS }),
        ("query", "grant" | "session") => json!({ "type": "string", "pattern": NO_CONTROLS }),
        _ => return None,
    })
}

/// Gives every parameter its precise schema ([`parameter_schema`]).
fn parameters(operation: &mut Value, surface: Surface) {
    let Some(parameters) = operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for parameter in parameters {
        let location = parameter["in"].as_str().unwrap_or_default().to_owned();
        let name = parameter["name"].as_str().unwrap_or_default().to_owned();
        if let Some(schema) = parameter_schema(&location, &name, surface) {
            parameter["schema"] = schema;
        }
    }
}

fn security_schemes(document: &mut Value, listener: Listener) {
    let schemes = match listener {
        Listener::Public => json!({
            "miniapp_token": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Token base64(app_id:secret_key)`: the credentials `POST /internal/v1/apps` returned (the scheme name is matched case-insensitively).",
            },
            "boxo_client": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`<prefix> base64(client_id:secret_key)`: `boxo.auth_prefix` (default `Token`), `boxo.client_id` and `boxo.secret_key`. Missing or wrong: `{\"error_code\": \"ACCESS_DENIED\"}` with HTTP 200 (Boxo's wire format). When `boxo.signing.verify_incoming` is on, the request must also carry a valid signature (the `X-Signature`, `X-Timestamp`, `X-Nonce` headers).",
            },
            "pay_grant": {
                "type": "http",
                "scheme": "bearer",
                "description": "A pay grant the host minted for its logged-in user (`POST /internal/v1/payments/{payment_id}/grants` on the internal listener): the only credential that can confirm.",
            },
            "payment_session": {
                "type": "http",
                "scheme": "bearer",
                "description": "The payment-session token a miniapp receives (`session.token`): view and cancel only (confirm is 403).",
            },
        }),
        Listener::Internal => json!({
            "admin_token": {
                "type": "http",
                "scheme": "bearer",
                "description": "`internal.admin_token`; with none configured every call is 401.",
            },
        }),
    };
    document["components"]["securitySchemes"] = schemes;
}

/// The codes `ErrorBody.code` takes: every [`ErrorCode`], and `TIMEOUT` (a request that
/// ran past `server.request_timeout_seconds`: 503).
fn error_codes(document: &mut Value) {
    let mut codes: Vec<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
    codes.push("TIMEOUT");
    let code = document
        .pointer_mut("/components/schemas/ErrorBody/properties/code")
        .and_then(Value::as_object_mut);
    if let Some(code) = code {
        code.insert("enum".to_owned(), json!(codes));
    }
}

/// A link to operation `operation_id` with these parameters.
fn link(operation_id: &str, description: &str, parameters: Value) -> Value {
    json!({
        "operationId": operation_id,
        "description": description,
        "parameters": parameters,
    })
}

/// `(path, method, status, name, link)`: what each creation leads to.
fn link_table() -> Vec<(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Value,
)> {
    let payment = "$response.body#/data/id";
    vec![
        (
            "/api/v1/payments",
            "post",
            "201",
            "GetPayment",
            link(
                "get_payment",
                "Read the payment just created",
                json!({ "payment_id": payment }),
            ),
        ),
        (
            "/api/v1/payments",
            "post",
            "201",
            "RefundPayment",
            link(
                "refund_payment",
                "Refund it (409 until it is paid)",
                json!({ "payment_id": payment }),
            ),
        ),
        (
            "/api/v1/payments",
            "post",
            "201",
            "ListUserPayments",
            link(
                "list_user_payments",
                "The user's payments",
                json!({ "user_id": "$response.body#/data/user_id" }),
            ),
        ),
        (
            "/api/v1/payments",
            "post",
            "201",
            "ShowPaymentSheet",
            link(
                "show_checkout",
                "The payment sheet, read-only with the session token",
                json!({ "payment_id": payment, "session": "$response.body#/data/session/token" }),
            ),
        ),
        (
            "/api/v1/payments/{payment_id}/refunds",
            "post",
            "201",
            "GetRefundedPayment",
            link(
                "get_payment",
                "Read the refunded payment",
                json!({ "payment_id": "$response.body#/data/payment_id" }),
            ),
        ),
        (
            "/api/v1/order-activities",
            "post",
            "201",
            "GetOrderActivity",
            link(
                "get_order_activity",
                "Read the order activity just created",
                json!({ "order_id": "$response.body#/data/order_id" }),
            ),
        ),
        (
            "/api/v1/order-activities",
            "post",
            "201",
            "ListUserOrderActivities",
            link(
                "list_user_order_activities",
                "The user's order activities",
                json!({ "user_id": "$response.body#/data/user_id" }),
            ),
        ),
        (
            "/api/v1/order-activities",
            "post",
            "200",
            "GetUpdatedOrderActivity",
            link(
                "get_order_activity",
                "Read the order activity just updated",
                json!({ "order_id": "$response.body#/data/order_id" }),
            ),
        ),
        (
            "/internal/v1/apps",
            "post",
            "201",
            "RotateSecret",
            link(
                "rotate_app_secret",
                "Rotate the new miniapp's secret",
                json!({ "app_id": "$response.body#/data/app_id" }),
            ),
        ),
        (
            "/internal/v1/apps",
            "get",
            "200",
            "RotateFirstSecret",
            link(
                "rotate_app_secret",
                "Rotate the first miniapp's secret",
                json!({ "app_id": "$response.body#/data/0/app_id" }),
            ),
        ),
        (
            "/internal/v1/deliveries",
            "get",
            "200",
            "GetFirstDelivery",
            link(
                "get_delivery",
                "The first delivery of the page, with its attempts",
                json!({ "delivery_id": "$response.body#/data/items/0/id" }),
            ),
        ),
        (
            "/internal/v1/deliveries",
            "get",
            "200",
            "GetFirstDeliveryPayment",
            link(
                "get_internal_payment",
                "The payment of the page's first delivery",
                json!({ "payment_id": "$response.body#/data/items/0/payment_id" }),
            ),
        ),
        (
            "/internal/v1/payments/{payment_id}",
            "get",
            "200",
            "GrantPayment",
            link(
                "grant_payment",
                "A pay grant for it (409 unless it is `in_process`)",
                json!({ "payment_id": "$response.body#/data/id" }),
            ),
        ),
        (
            "/internal/v1/payments/{payment_id}",
            "get",
            "200",
            "SettlePayment",
            link(
                "settle_payment",
                "Settle it (409 unless it is `in_process`)",
                json!({ "payment_id": "$response.body#/data/id" }),
            ),
        ),
        (
            "/internal/v1/deliveries",
            "get",
            "200",
            "RetryFirstDelivery",
            link(
                "retry_delivery",
                "Retry the first delivery of the page (409 unless it is a dead letter)",
                json!({ "delivery_id": "$response.body#/data/items/0/id" }),
            ),
        ),
    ]
}

fn links(document: &mut Value) {
    let operation_ids: Vec<String> = document["paths"]
        .as_object()
        .map(|paths| {
            paths
                .values()
                .filter_map(Value::as_object)
                .flat_map(|item| item.values())
                .filter_map(|operation| operation["operationId"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    for (path, method, status, name, link) in link_table() {
        let target = link["operationId"].as_str().unwrap_or_default();
        if !operation_ids.iter().any(|id| id == target) {
            continue;
        }
        let response = document
            .get_mut("paths")
            .and_then(|paths| paths.get_mut(path))
            .and_then(|item| item.get_mut(method))
            .and_then(|operation| operation.get_mut("responses"))
            .and_then(|responses| responses.get_mut(status));
        if let Some(Value::Object(response)) = response {
            let links = response.entry("links").or_insert_with(|| json!({}));
            links[name] = link;
        }
    }
}
