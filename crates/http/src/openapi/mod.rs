//! The OpenAPI documents: one per listener (`GET /openapi.json` on each), listing exactly
//! the operations that listener serves ([`crate::routes::endpoints`]: this module reads
//! the route table and the views; nothing in the crate but its root imports it), with request
//! schemas precise enough that a request valid by the schema is never refused as
//! invalid, every status each operation can answer, the auth schemes, and links from
//! what creates an object to what reads it.
//!
//! The document is built in three steps ([`document`]):
//!
//! 1. the operations: from each handler's `#[utoipa::path]`, or written out
//!    ([`written`]: health, metrics, this document, the Boxo host API, deliveries);
//! 2. the schemas: the response views from their `ToSchema` derives; the request bodies
//!    replaced by the precise ones of [`schemas`] (lengths, patterns, money, currencies,
//!    ids), whose properties a test compares with the derived ones so neither drifts;
//! 3. what every operation of a surface shares ([`common`]): the answers of the
//!    middleware and extractors (400, 401, 413, 429, 500, 503 with `Retry-After`), the
//!    security schemes of the listener, and the links.

pub mod common;
pub mod schemas;
pub mod written;

use std::sync::OnceLock;

use actix_web::HttpResponse;
use serde_json::{json, Map, Value};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;

use crate::routes::{self, Doc, Listener};
use crate::{checkout, internal, miniapp};

/// `GET /openapi.json` of the public listener.
pub async fn serve_public() -> HttpResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    serve(&DOCUMENT, Listener::Public)
}

/// `GET /openapi.json` of the internal listener.
pub async fn serve_internal() -> HttpResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    serve(&DOCUMENT, Listener::Internal)
}

fn serve(cache: &OnceLock<String>, listener: Listener) -> HttpResponse {
    let body = cache.get_or_init(|| {
        serde_json::to_string(&document(listener)).unwrap_or_else(|error| {
            tracing::error!(error = %error, "OpenAPI document failed to serialize");
            "{}".to_owned()
        })
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body.clone())
}

/// The OpenAPI document of `listener`.
pub fn document(listener: Listener) -> Value {
    let mut paths = Map::new();
    let mut derived: Vec<(String, RefOr<Schema>)> = Vec::new();
    for endpoint in routes::endpoints(listener) {
        let operation = match endpoint.doc {
            Doc::Annotated { operation, schemas } => {
                schemas(&mut derived);
                serde_json::to_value(operation()).unwrap_or_else(|error| {
                    tracing::error!(error = %error, path = %endpoint.path, "operation failed to serialize");
                    json!({})
                })
            }
            Doc::Written(which) => written::operation(which),
        };
        let item = paths
            .entry(endpoint.path.clone())
            .or_insert_with(|| json!({}));
        item[endpoint.method.as_str().to_ascii_lowercase()] = operation;
    }
    let mut components = Map::new();
    for (name, schema) in derived {
        if let Ok(value) = serde_json::to_value(schema) {
            components.insert(name, value);
        }
    }
    // The precise request schemas (and the shapes they use) replace the derived ones.
    for (name, schema) in schemas::request_schemas() {
        components.insert(name.to_owned(), schema);
    }
    for (name, schema) in written::schemas(listener) {
        components.insert(name.to_owned(), schema);
    }
    let mut document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": format!("hostpay ({} listener)", listener.as_str()),
            "version": env!("CARGO_PKG_VERSION"),
            "description": description(listener),
        },
        "paths": paths,
        "components": { "schemas": components },
        "tags": tags(listener),
    });
    common::apply(&mut document, listener);
    prune_components(&mut document);
    document
}

/// Drops the component schemas no operation of this document refers to (directly or
/// through other components): each listener's document describes only what it serves.
fn prune_components(document: &mut Value) {
    fn refs(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(object) => {
                for (key, child) in object {
                    match (key.as_str(), child) {
                        ("$ref", Value::String(target)) => {
                            if let Some(name) = target.strip_prefix("#/components/schemas/") {
                                found.push(name.to_owned());
                            }
                        }
                        _ => refs(child, found),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| refs(item, found)),
            _ => {}
        }
    }
    let mut pending = Vec::new();
    refs(&document["paths"], &mut pending);
    let mut reachable = std::collections::BTreeSet::new();
    while let Some(name) = pending.pop() {
        if reachable.insert(name.clone()) {
            if let Some(schema) = document["components"]["schemas"].get(&name) {
                refs(schema, &mut pending);
            }
        }
    }
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.retain(|name, _| reachable.contains(name));
    }
}

fn description(listener: Listener) -> &'static str {
    match listener {
        Listener::Public => {
            "The public listener (`server.bind`): the miniapp API (`Authorization: Token \
             base64(app_id:secret_key)`; every answer is an envelope whose `status_code` equals \
             the HTTP status), the Boxo host API (Boxo's wire format: always HTTP 200, with the \
             result or `{error_code, error_message}`), the hosted checkout (a pay grant or the \
             payment-session token as bearer), health and this document. A method a path does \
             not serve is 405 `METHOD_NOT_ALLOWED` with `Allow`; an unknown path is 404 \
             `NOT_FOUND`. No string, path segment or header value may hold a C0 control \
             character (tab, CR and LF only in `description`, `note` and `reason`): 400 naming \
             the field (Boxo: `INVALID_ORDER_DATA`)."
        }
        Listener::Internal => {
            "The internal listener (`internal.bind`): the host's own systems and operators \
             (`Authorization: Bearer <internal.admin_token>`; every answer is an envelope \
             whose `status_code` equals the HTTP status), health, Prometheus metrics and this \
             document. A method a path does not serve is 405 `METHOD_NOT_ALLOWED` with \
             `Allow`; an unknown path is 404 `NOT_FOUND`. No string, path segment or header \
             value may hold a C0 control character: 400 naming the field."
        }
    }
}

fn tags(listener: Listener) -> Value {
    let operations = json!({"name": "operations", "description": "Health, metrics, this document"});
    match listener {
        Listener::Public => json!([
            {"name": "users", "description": "User tokens (miniapp API)"},
            {"name": "payments", "description": "Payments and refunds (miniapp API)"},
            {"name": "order-activities", "description": "Order progress shown by the host app (miniapp API)"},
            {"name": "boxo", "description": "The Boxo host API: HTTP 200 always, with the result or `{error_code, error_message}`"},
            {"name": "checkout", "description": "The hosted payment sheet"},
            operations,
        ]),
        Listener::Internal => json!([
            {"name": "internal", "description": "The host's own systems and operators"},
            operations,
        ]),
    }
}

/// The derived schemas of the request bodies [`schemas::request_schemas`] replaces, for
/// the test that compares their properties.
pub fn derived_request_schemas() -> Vec<(&'static str, RefOr<Schema>)> {
    use utoipa::PartialSchema;
    vec![
        (
            "CreatePaymentRequest",
            miniapp::payments::CreatePaymentRequest::schema(),
        ),
        (
            "CreateRefundRequest",
            miniapp::payments::CreateRefundRequest::schema(),
        ),
        (
            "UpsertOrderActivityRequest",
            miniapp::order_activities::UpsertOrderActivityRequest::schema(),
        ),
        (
            "ConfirmRequest",
            checkout::actions::ConfirmRequest::schema(),
        ),
        (
            "RegisterAppRequest",
            internal::apps::RegisterAppRequest::schema(),
        ),
        (
            "MintUserTokenRequest",
            internal::user_tokens::MintUserTokenRequest::schema(),
        ),
        ("GrantRequest", internal::payments::GrantRequest::schema()),
        ("SettleRequest", internal::payments::SettleRequest::schema()),
    ]
}
