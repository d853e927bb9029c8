//! `GET /openapi.json` describes every route both listeners serve (and nothing else), with
//! schemas and error responses.

mod common;

use std::collections::BTreeSet;

use actix_web::test::TestRequest;
use common::{Backend, Harness};
use serde_json::Value;

/// The router's own 404 (no body) or the envelope surfaces' catch-all.
fn unrouted(resp: &common::Resp) -> bool {
    resp.status == 404
        && (resp.text.is_empty() || resp.json["error"]["details"]["unrouted"] == true)
}

/// Every route of the contract (api.md), plus the no-JavaScript form of the sheet and the
/// app list of the internal API.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("post", "/api/v1/users/verify-token"),
    ("post", "/api/v1/payments"),
    ("get", "/api/v1/users/{user_id}/payments"),
    ("get", "/api/v1/payments/{payment_id}"),
    ("post", "/api/v1/payments/{payment_id}/refunds"),
    ("post", "/api/v1/order-activities"),
    ("get", "/api/v1/users/{user_id}/order-activities"),
    ("get", "/api/v1/order-activities/{order_id}"),
    ("post", "/boxo/v1/order-payments"),
    ("post", "/boxo/v1/order-payments/status"),
    ("get", "/checkout/{payment_id}"),
    ("post", "/checkout/{payment_id}"),
    ("post", "/checkout/{payment_id}/confirm"),
    ("post", "/checkout/{payment_id}/cancel"),
    ("post", "/internal/v1/apps"),
    ("get", "/internal/v1/apps"),
    ("post", "/internal/v1/apps/{app_id}/rotate-secret"),
    ("post", "/internal/v1/user-tokens"),
    ("get", "/internal/v1/payments/{payment_id}"),
    ("post", "/internal/v1/payments/{payment_id}/grants"),
    ("post", "/internal/v1/payments/{payment_id}/settle"),
    ("get", "/internal/v1/deliveries"),
    ("get", "/internal/v1/deliveries/{delivery_id}"),
    ("post", "/internal/v1/deliveries/{delivery_id}/retry"),
];

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in METHODS {
                if item.get(method).is_some() {
                    found.insert((method.to_owned(), path.clone()));
                }
            }
        }
    }
    found
}

fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "x_probe"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn request(method: &str, path: &str) -> TestRequest {
    let request = match method {
        "get" => TestRequest::get(),
        "post" => TestRequest::post(),
        "put" => TestRequest::put(),
        "patch" => TestRequest::patch(),
        _ => TestRequest::delete(),
    };
    request.uri(&concrete(path))
}

#[actix_web::test]
async fn every_route_is_documented_and_every_documented_route_is_served() {
    let h = Harness::start(Backend::Memory).await;
    let public = h.public(TestRequest::get().uri("/openapi.json")).await;
    let internal = h.internal(TestRequest::get().uri("/openapi.json")).await;
    assert_eq!(public.status, 200);
    assert_eq!(internal.status, 200);
    assert_eq!(public.json, internal.json, "one document on both listeners");
    assert!(public.json["openapi"]
        .as_str()
        .is_some_and(|version| version.starts_with('3')));

    let documented = documented(&public.json);
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    assert_eq!(
        documented, expected,
        "the document lists exactly the served routes"
    );

    // Each route is served by a handler on its listener (the router's own 404 has no body).
    for (method, path) in ROUTES {
        let internal_only = path.starts_with("/internal/");
        let both = ["/healthz", "/readyz", "/metrics", "/openapi.json"].contains(path);
        let mut listeners = Vec::new();
        if internal_only || both {
            listeners.push(h.internal(request(method, path)).await);
        }
        if !internal_only || both {
            listeners.push(h.public(request(method, path)).await);
        }
        for resp in listeners {
            assert!(
                !unrouted(&resp),
                "{method} {path} is documented but not routed"
            );
        }
        // And not on the other listener.
        if !both {
            let other = if internal_only {
                h.public(request(method, path)).await
            } else {
                h.internal(request(method, path)).await
            };
            assert!(
                unrouted(&other),
                "{method} {path} is served on the wrong listener too"
            );
        }
    }
    // A method the document does not list is not routed.
    let resp = h
        .public(TestRequest::delete().uri("/api/v1/payments"))
        .await;
    assert!(resp.status == 404 || resp.status == 405);
}

#[actix_web::test]
async fn operations_describe_their_errors_and_schemas() {
    let h = Harness::start(Backend::Memory).await;
    let doc = h.public(TestRequest::get().uri("/openapi.json")).await.json;
    let text = doc.to_string();
    for code in [
        "INVALID_REQUEST",
        "UNAUTHENTICATED",
        "NOT_FOUND",
        "INVALID_STATE",
        "PAYMENT_NOT_REFUNDABLE",
        "IDEMPOTENCY_IN_PROGRESS",
        "REFUND_EXCEEDS_AMOUNT",
        "IDEMPOTENCY_KEY_REUSED",
        "RATE_LIMITED",
        "INTERNAL",
        "PROCESSOR_UNAVAILABLE",
        "PAYLOAD_TOO_LARGE",
    ] {
        assert!(text.contains(code), "{code} is documented");
    }
    for schema in [
        "PaymentView",
        "RefundView",
        "EventView",
        "SessionView",
        "OrderActivityView",
        "OrderItemDoc",
        "ShippingAddressDoc",
        "ErrorEnvelope",
        "CreatePaymentRequest",
        "UpsertOrderActivityRequest",
    ] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "schema {schema}"
        );
    }
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    for (path, item) in &paths {
        let envelope_surface = path.starts_with("/api/") || path.starts_with("/internal/");
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let responses = operation["responses"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            assert!(!responses.is_empty(), "{method} {path} has responses");
            if envelope_surface {
                assert!(
                    responses.contains_key("401"),
                    "{method} {path} documents 401"
                );
            }
        }
    }
    let create = &doc["paths"]["/api/v1/payments"]["post"];
    for status in ["201", "400", "401", "409", "413", "422"] {
        assert!(create["responses"].get(status).is_some(), "create {status}");
    }
    assert!(create["requestBody"].is_object());
    let refund = &doc["paths"]["/api/v1/payments/{payment_id}/refunds"]["post"];
    for status in ["201", "404", "409", "422"] {
        assert!(refund["responses"].get(status).is_some(), "refund {status}");
    }
}
