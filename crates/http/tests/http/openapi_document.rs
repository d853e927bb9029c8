//! Each listener's `GET /openapi.json` documents exactly the routes that listener serves
//! (and nothing else), with precise request schemas, every status, the security schemes
//! and links; a method a documented path does not serve is 405 with `Allow`.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::test::TestRequest;
use hostpay_domain::money::{Currency, Money, PositiveMoney};
use hostpay_http::openapi::schemas::{
    all_currency_codes, money_pattern, not_blank, Digits, FREE_TEXT, NO_CONTROLS,
};
use hostpay_http::routes::{endpoints, Listener};
use hostpay_testkit::app::{Backend, Harness, Resp};
use regex::Regex;
use serde_json::{json, Value};

/// Every route of the public listener (api.md, plus the no-JavaScript form of the sheet).
const PUBLIC: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
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
    ("post", "/boxo/v1/connect/access-token"),
    ("post", "/boxo/v1/connect/user-data"),
    ("get", "/boxo/v1/connect/user-data"),
    ("get", "/checkout/{payment_id}"),
    ("post", "/checkout/{payment_id}"),
    ("post", "/checkout/{payment_id}/confirm"),
    ("post", "/checkout/{payment_id}/cancel"),
];

/// Every route of the internal listener (api.md, plus the app list).
const INTERNAL: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("post", "/internal/v1/apps"),
    ("get", "/internal/v1/apps"),
    ("post", "/internal/v1/apps/{app_id}/rotate-secret"),
    ("post", "/internal/v1/user-tokens"),
    ("get", "/internal/v1/payments/{payment_id}"),
    ("post", "/internal/v1/payments/{payment_id}/grants"),
    ("post", "/internal/v1/payments/{payment_id}/settle"),
    ("post", "/internal/v1/connect/auth-codes"),
    ("get", "/internal/v1/deliveries"),
    ("get", "/internal/v1/deliveries/{delivery_id}"),
    ("post", "/internal/v1/deliveries/{delivery_id}/retry"),
];

const METHODS: [&str; 7] = ["get", "post", "put", "patch", "delete", "head", "options"];

fn expected(listener: Listener) -> BTreeSet<(String, String)> {
    let routes = match listener {
        Listener::Public => PUBLIC,
        Listener::Internal => INTERNAL,
    };
    routes
        .iter()
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
        .collect()
}

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            if item.get(method).is_some() {
                found.insert((method.to_owned(), path.clone()));
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
    let method = actix_web::http::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .unwrap_or(actix_web::http::Method::GET);
    TestRequest::default().method(method).uri(&concrete(path))
}

async fn call(h: &Harness, listener: Listener, request: TestRequest) -> Resp {
    match listener {
        Listener::Public => h.public(request).await,
        Listener::Internal => h.internal(request).await,
    }
}

/// The default service's 404 (no route has this path).
fn unrouted(resp: &Resp) -> bool {
    resp.status == 404 && resp.json["error"]["details"]["unrouted"] == true
}

/// The fallback's 405 (the path is routed, not with this method).
fn not_allowed(resp: &Resp) -> bool {
    resp.status == 405 && resp.json["error"]["code"] == "METHOD_NOT_ALLOWED"
}

async fn document(h: &Harness, listener: Listener) -> Value {
    let resp = call(h, listener, TestRequest::get().uri("/openapi.json")).await;
    assert_eq!(resp.status, 200);
    assert!(resp
        .header("content-type")
        .is_some_and(|value| value.starts_with("application/json")));
    assert!(resp.json["openapi"]
        .as_str()
        .is_some_and(|version| version.starts_with("3.1")));
    resp.json
}

#[actix_web::test]
async fn each_listener_documents_exactly_what_it_serves() {
    let h = Harness::start(Backend::Memory).await;
    let mut all_paths: BTreeSet<String> = BTreeSet::new();
    for listener in Listener::ALL {
        let doc = document(&h, listener).await;
        assert_eq!(
            documented(&doc),
            expected(listener),
            "the {} document lists exactly the served routes",
            listener.as_str()
        );
        // The document is built from the route table the router is built from.
        let table: BTreeSet<(String, String)> = endpoints(listener)
            .iter()
            .map(|endpoint| {
                (
                    endpoint.method.as_str().to_ascii_lowercase(),
                    endpoint.path.clone(),
                )
            })
            .collect();
        assert_eq!(table, expected(listener));
        all_paths.extend(expected(listener).into_iter().map(|(_, path)| path));
    }
    // Every method on every path of either listener: served exactly when documented on
    // that listener; another method on a documented path is 405 with `Allow`; a path the
    // listener does not have is the JSON 404.
    for listener in Listener::ALL {
        let served = expected(listener);
        let own_paths: BTreeSet<&String> = served.iter().map(|(_, path)| path).collect();
        for path in &all_paths {
            let allowed: BTreeSet<String> = served
                .iter()
                .filter(|(_, documented_path)| documented_path == path)
                .map(|(method, _)| method.to_ascii_uppercase())
                .collect();
            for method in METHODS {
                let resp = call(&h, listener, request(method, path)).await;
                let name = listener.as_str();
                assert!(
                    resp.header("content-type").is_some() || method == "head",
                    "{method} {path} on {name}: every answer has a Content-Type"
                );
                if served.contains(&(method.to_owned(), path.clone())) {
                    assert!(
                        !unrouted(&resp) && !not_allowed(&resp),
                        "{method} {path} is documented on {name} but not routed: {} {}",
                        resp.status,
                        resp.text
                    );
                } else if own_paths.contains(path) {
                    assert!(
                        resp.status == 405,
                        "{method} {path} on {name}: 405, got {} {}",
                        resp.status,
                        resp.text
                    );
                    let allow: BTreeSet<String> = resp
                        .header("allow")
                        .unwrap_or_default()
                        .split(',')
                        .map(|method| method.trim().to_owned())
                        .filter(|method| !method.is_empty())
                        .collect();
                    assert_eq!(allow, allowed, "{method} {path} on {name}: Allow");
                    if method != "head" {
                        assert!(not_allowed(&resp), "{method} {path}: {}", resp.text);
                        assert_eq!(resp.json["status_code"], 405);
                    }
                } else {
                    assert!(
                        unrouted(&resp) || (method == "head" && resp.status == 404),
                        "{method} {path} is served on {name} too: {} {}",
                        resp.status,
                        resp.text
                    );
                }
            }
        }
        let resp = call(&h, listener, TestRequest::get().uri("/no/such/path")).await;
        assert!(unrouted(&resp));
        assert!(resp.header("content-type").is_some());
    }
}

/// Every `$ref` of `value`.
fn references(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                if key == "$ref" {
                    if let Some(target) = child.as_str() {
                        found.insert(target.to_owned());
                    }
                }
                references(child, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                found.push((method.to_owned(), path.clone(), operation.clone()));
            }
        }
    }
    found
}

#[actix_web::test]
async fn operations_describe_their_statuses_security_and_links() {
    let h = Harness::start(Backend::Memory).await;
    let public = document(&h, Listener::Public).await;
    let internal = document(&h, Listener::Internal).await;
    for doc in [&public, &internal] {
        let mut refs = BTreeSet::new();
        references(doc, &mut refs);
        for target in refs {
            assert!(
                doc.pointer(target.trim_start_matches('#')).is_some(),
                "{target} resolves"
            );
        }
        let mut ids = BTreeSet::new();
        for (method, path, operation) in operations(doc) {
            let id = operation["operationId"].as_str().unwrap_or_default();
            assert!(
                !id.is_empty() && ids.insert(id.to_owned()),
                "{method} {path}: unique operationId {id:?}"
            );
            let responses = operation["responses"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            assert!(!responses.is_empty(), "{method} {path} has responses");
            for (status, response) in &responses {
                let content = response["content"].as_object();
                assert!(
                    content.is_some_and(|content| !content.is_empty()),
                    "{method} {path} {status} names its Content-Type"
                );
            }
            let envelope = path.starts_with("/api/")
                || path.starts_with("/internal/")
                || path.ends_with("/confirm")
                || path.ends_with("/cancel");
            if envelope {
                for status in ["401", "500", "503"] {
                    assert!(responses.contains_key(status), "{method} {path} {status}");
                }
                assert_eq!(
                    responses["503"]["headers"]["Retry-After"]["required"], true,
                    "{method} {path}: 503 with Retry-After"
                );
                if operation.get("requestBody").is_some() {
                    for status in ["400", "413"] {
                        assert!(responses.contains_key(status), "{method} {path} {status}");
                    }
                }
                if operation["parameters"]
                    .as_array()
                    .is_some_and(|parameters| !parameters.is_empty())
                {
                    assert!(responses.contains_key("400"), "{method} {path} 400");
                }
            }
            if path.starts_with("/api/") {
                assert!(responses.contains_key("429"), "{method} {path} 429");
                assert_eq!(responses["429"]["headers"]["Retry-After"]["required"], true);
                assert_eq!(operation["security"], json!([{ "miniapp_token": [] }]));
            }
            if path.starts_with("/internal/") {
                assert_eq!(operation["security"], json!([{ "admin_token": [] }]));
            }
            if path.starts_with("/boxo/") {
                assert_eq!(operation["security"], json!([{ "boxo_client": [] }]));
                assert_eq!(
                    responses.keys().collect::<Vec<_>>(),
                    vec!["200"],
                    "Boxo answers HTTP 200 only"
                );
                let answer = &responses["200"]["content"]["application/json"]["schema"];
                assert_eq!(answer["oneOf"][1]["$ref"], "#/components/schemas/BoxoError");
                let body = &operation["requestBody"]["content"]["application/json"]["schema"];
                if path.ends_with("/connect/user-data") {
                    // Boxo Connect's user-data call reads no body.
                    assert!(operation.get("requestBody").is_none(), "{method} {path}");
                } else {
                    assert!(body["$ref"]
                        .as_str()
                        .is_some_and(|target| target.contains("Boxo")));
                }
                let headers: Vec<&str> = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|parameter| parameter["name"].as_str())
                    .collect();
                for header in ["X-Signature", "X-Timestamp", "X-Nonce"] {
                    assert!(headers.contains(&header), "{path} documents {header}");
                }
            }
        }
    }
    let schemes = &public["components"]["securitySchemes"];
    for scheme in [
        "miniapp_token",
        "boxo_client",
        "pay_grant",
        "payment_session",
    ] {
        assert!(schemes.get(scheme).is_some(), "public scheme {scheme}");
    }
    assert_eq!(schemes["boxo_client"]["name"], "Authorization");
    assert!(internal["components"]["securitySchemes"]
        .get("admin_token")
        .is_some());
    assert!(internal["components"]["securitySchemes"]
        .get("miniapp_token")
        .is_none());

    let create = &public["paths"]["/api/v1/payments"]["post"];
    for status in [
        "201", "400", "401", "409", "413", "422", "429", "500", "503",
    ] {
        assert!(create["responses"].get(status).is_some(), "create {status}");
    }
    let links = &create["responses"]["201"]["links"];
    assert_eq!(links["GetPayment"]["operationId"], "get_payment");
    assert_eq!(
        links["GetPayment"]["parameters"]["payment_id"],
        "$response.body#/data/id"
    );
    assert_eq!(links["RefundPayment"]["operationId"], "refund_payment");
    let upsert = &public["paths"]["/api/v1/order-activities"]["post"];
    assert_eq!(
        upsert["responses"]["201"]["links"]["GetOrderActivity"]["operationId"],
        "get_order_activity"
    );
    let refund = &public["paths"]["/api/v1/payments/{payment_id}/refunds"]["post"];
    for status in ["201", "400", "404", "409", "422"] {
        assert!(refund["responses"].get(status).is_some(), "refund {status}");
    }
    let confirm = &public["paths"]["/checkout/{payment_id}/confirm"]["post"];
    for status in ["200", "401", "403", "404", "409", "502", "503"] {
        assert!(
            confirm["responses"].get(status).is_some(),
            "confirm {status}"
        );
    }
    let apps = &internal["paths"]["/internal/v1/apps"]["post"];
    assert_eq!(
        apps["responses"]["201"]["links"]["RotateSecret"]["operationId"],
        "rotate_app_secret"
    );
    let deliveries = &internal["paths"]["/internal/v1/deliveries"]["get"];
    let names: BTreeSet<&str> = deliveries["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|parameter| parameter["name"].as_str())
        .collect();
    assert_eq!(names, BTreeSet::from(["state", "limit", "cursor"]));
    assert!(internal["paths"]["/metrics"]["get"].is_object());
    assert!(public["paths"].get("/metrics").is_none());

    let text = public.to_string() + &internal.to_string();
    for code in [
        "INVALID_REQUEST",
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "NOT_FOUND",
        "METHOD_NOT_ALLOWED",
        "INVALID_STATE",
        "CHARGE_IN_PROGRESS",
        "PAYMENT_NOT_REFUNDABLE",
        "IDEMPOTENCY_IN_PROGRESS",
        "REFUND_EXCEEDS_AMOUNT",
        "IDEMPOTENCY_KEY_REUSED",
        "RATE_LIMITED",
        "INTERNAL",
        "PROCESSOR_UNAVAILABLE",
        "PAYLOAD_TOO_LARGE",
        "UNAVAILABLE",
        "ACCESS_DENIED",
        "INVALID_ORDER_DATA",
    ] {
        assert!(text.contains(code), "{code} is documented");
    }
}

fn property_names(schema: &Value) -> BTreeSet<String> {
    schema["properties"]
        .as_object()
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn the_precise_request_schemas_have_the_request_types_fields() {
    let public = hostpay_http::openapi::document(Listener::Public);
    let internal = hostpay_http::openapi::document(Listener::Internal);
    for (name, derived) in hostpay_http::openapi::derived_request_schemas() {
        let derived = serde_json::to_value(derived).unwrap_or_default();
        let written = public["components"]["schemas"]
            .get(name)
            .or_else(|| internal["components"]["schemas"].get(name))
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            property_names(&written),
            property_names(&derived),
            "{name}: the written schema has exactly the request type's fields"
        );
        let required = |schema: &Value| -> BTreeSet<String> {
            schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|name| name.as_str().map(str::to_owned))
                .collect()
        };
        assert_eq!(required(&written), required(&derived), "{name}: required");
    }
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|error| panic!("{pattern}: {error}"))
}

/// Decimal texts around every edge the parser has.
fn decimal_samples() -> Vec<String> {
    let mut samples: Vec<String> = [
        "0",
        "-0",
        "+0",
        "0.0",
        ".0",
        "0.",
        "00",
        "-0.00",
        "1",
        "+1",
        "-1",
        "01",
        "1.",
        ".5",
        "0.5",
        "0.05",
        "0.005",
        "0.0005",
        "0.00005",
        "1.5",
        "1.50",
        "1.500000",
        "1.25",
        "1.255",
        "1.2555",
        "1.25555",
        "12.30",
        " 12.30",
        "12.30 ",
        "\u{a0}7",
        "1e2",
        "1E2",
        "1.5e1",
        "1e-2",
        "1..2",
        "1.2.3",
        "abc",
        "",
        " ",
        ".",
        "+",
        "-",
        "+.5",
        "-.5",
        "1_000",
        "0x10",
        "١٢",
        "12\u{2003}",
        "\u{3000}3",
    ]
    .iter()
    .map(|sample| (*sample).to_owned())
    .collect();
    for digits in [15, 16, 17, 18, 19, 20] {
        let nines = "9".repeat(digits);
        samples.push(nines.clone());
        samples.push(format!("{nines}.9"));
        samples.push(format!("{nines}.99"));
        samples.push(format!("{nines}.999"));
        samples.push(format!("{nines}.9999"));
        samples.push(format!("000{nines}"));
    }
    samples
}

#[test]
fn money_patterns_accept_exactly_what_the_parser_accepts() {
    for code in all_currency_codes() {
        let Ok(currency) = Currency::parse(&code) else {
            continue;
        };
        let digits = Digits::of(currency);
        let positive = regex(&money_pattern(digits, true));
        let any = regex(&money_pattern(digits, false));
        for sample in decimal_samples() {
            if sample.contains(['e', 'E']) {
                continue; // Exponent notation: accepted, described, not in the pattern.
            }
            let parsed = Money::parse_any_currency(&sample)
                .ok()
                .and_then(|money| money.fits_currency(currency).ok());
            assert_eq!(
                any.is_match(&sample),
                parsed.is_some(),
                "{code} {sample:?}: pattern vs parser"
            );
            let positive_parsed = parsed.and_then(|money| PositiveMoney::new(money).ok());
            assert_eq!(
                positive.is_match(&sample),
                positive_parsed.is_some(),
                "{code} {sample:?}: positive pattern vs parser"
            );
        }
    }
    let generic = regex(&money_pattern(Digits::GENERIC, false));
    for sample in decimal_samples() {
        if sample.contains(['e', 'E']) {
            continue;
        }
        assert_eq!(
            generic.is_match(&sample),
            Money::parse(&sample).is_ok(),
            "generic {sample:?}"
        );
    }
}

#[test]
fn text_patterns_refuse_exactly_the_control_characters() {
    let plain = regex(NO_CONTROLS);
    let free = regex(FREE_TEXT);
    let identifier = regex(&not_blank());
    for code in 0u32..0x30 {
        let Some(c) = char::from_u32(code) else {
            continue;
        };
        let text = format!("a{c}b");
        assert_eq!(plain.is_match(&text), code >= 0x20, "{code:#x}");
        assert_eq!(
            free.is_match(&text),
            code >= 0x20 || matches!(c, '\t' | '\n' | '\r'),
            "{code:#x}"
        );
    }
    for (text, ok) in [
        ("a", true),
        (" a ", true),
        (" ", false),
        ("\u{a0}\u{3000}", false),
        ("", false),
        ("ü", true),
    ] {
        assert_eq!(identifier.is_match(text), ok, "{text:?}");
        assert_eq!(
            hostpay_domain::validation::NonEmptyString::<255>::parse(text).is_ok(),
            ok,
            "{text:?}: the parser agrees"
        );
    }
}

#[actix_web::test]
async fn currency_enum_is_every_code_the_api_accepts() {
    let doc = hostpay_http::openapi::document(Listener::Public);
    let schema = &doc["components"]["schemas"]["CreatePaymentRequest"];
    let listed: BTreeSet<String> = schema["properties"]["currency"]["enum"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|code| code.as_str().map(str::to_owned))
        .collect();
    assert!(listed.contains("USD") && listed.contains("JPY") && listed.contains("KWD"));
    assert!(!listed.contains("ABC"));
    // The oneOf branches split the codes by their minor unit, each code in one branch.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for branch in schema["oneOf"].as_array().into_iter().flatten() {
        for code in branch["properties"]["currency"]["enum"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            *seen.entry(code.to_owned()).or_default() += 1;
        }
    }
    assert_eq!(seen.keys().cloned().collect::<BTreeSet<_>>(), listed);
    assert!(seen.values().all(|count| *count == 1));
}

#[actix_web::test]
async fn a_user_token_lives_at_most_what_the_schema_says() {
    let h = Harness::start(Backend::Memory).await;
    let app = h.register_app("ttl").await;
    let max = hostpay_http::openapi::schemas::MAX_TOKEN_TTL_SECONDS;
    for (ttl, status) in [(max, 201), (max + 1, 400), (0, 400)] {
        let resp = h
            .admin(
                TestRequest::post()
                    .uri("/internal/v1/user-tokens")
                    .set_json(json!({"user_id": "u1", "app_id": app.id, "ttl_seconds": ttl})),
            )
            .await;
        assert_eq!(resp.status, status, "ttl {ttl}: {}", resp.text);
    }
}

/// `HOSTPAY_OPENAPI_DUMP=<dir> cargo test -p hostpay-http --test http openapi_document::dump_documents`
/// writes both documents there (`public.json`, `internal.json`) for reading.
#[test]
fn dump_documents() {
    let Ok(dir) = std::env::var("HOSTPAY_OPENAPI_DUMP") else {
        return;
    };
    for listener in Listener::ALL {
        let doc = hostpay_http::openapi::document(listener);
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        std::fs::write(format!("{dir}/{}.json", listener.as_str()), text)
            .unwrap_or_else(|error| panic!("cannot write to {dir}: {error}"));
    }
}

/// The coordinate texts around every edge of `Latitude`/`Longitude`.
fn coordinate_samples() -> Vec<String> {
    let mut samples: Vec<String> = [
        "0",
        "-0",
        "+0",
        "0.0",
        ".5",
        "5.",
        "-.5",
        "+.5",
        "1_0",
        "1e1",
        "1E-3",
        "90",
        "90.0",
        "90.000000",
        "90.0000000000000001",
        "-90",
        "-90.5",
        "89.999999999999999",
        "89.9999999999999999",
        "180",
        "-180",
        "180.1",
        "179.123456789012345",
        "179.1234567890123456",
        "1.000000000000000000000000000",
        "0.000000000000001",
        "0.0000000000000001",
        " 45",
        "45 ",
        "\u{a0}45",
        "abc",
        "",
        " ",
        ".",
        "-",
        "+",
        "0000000000000000000000000000045",
        "45.0000000000000000000000000000000",
        "٤٥",
        "1.2.3",
        "--1",
        "0x10",
        "1,5",
        "00090",
        "090.00",
        "99",
        "100",
        "179.9999",
        "-179",
    ]
    .iter()
    .map(|sample| (*sample).to_owned())
    .collect();
    samples.extend((0..40).map(|zeros| format!("1.{}", "0".repeat(zeros))));
    samples.extend((0..40).map(|zeros| format!("{}1", "0".repeat(zeros))));
    samples
}

#[test]
fn coordinate_patterns_accept_what_the_parser_accepts() {
    use hostpay_domain::validation::{Latitude, Longitude};
    let doc = hostpay_http::openapi::document(Listener::Public);
    let address = &doc["components"]["schemas"]["ShippingAddressInput"]["properties"];
    let latitude = regex(address["latitude"]["pattern"].as_str().unwrap_or_default());
    let longitude = regex(address["longitude"]["pattern"].as_str().unwrap_or_default());
    let mut samples = coordinate_samples();
    for int in [
        "0",
        "5",
        "89",
        "90",
        "179",
        "180",
        "0000000000",
        "000000000089",
    ] {
        for fraction in [
            "".to_owned(),
            ".".to_owned(),
            ".5".to_owned(),
            format!(".{}", "1".repeat(15)),
            format!(".{}", "1".repeat(16)),
            format!(".{}1{}", "0".repeat(14), "0".repeat(13)),
            format!(".{}", "0".repeat(28)),
            format!(".{}", "0".repeat(29)),
        ] {
            samples.push(format!("{int}{fraction}"));
            samples.push(format!("-{int}{fraction}"));
        }
    }
    for sample in samples {
        let (lat, lon) = (
            Latitude::parse(&sample).is_ok(),
            Longitude::parse(&sample).is_ok(),
        );
        // Schema-valid is accepted, always.
        if latitude.is_match(&sample) {
            assert!(
                lat,
                "latitude {sample:?}: the pattern admits what the parser refuses"
            );
        }
        if longitude.is_match(&sample) {
            assert!(
                lon,
                "longitude {sample:?}: the pattern admits what the parser refuses"
            );
        }
        // And what the parser accepts is schema-valid, except its known quirks: `_`
        // between digits (rust_decimal reads `1_0` as 10), more than 10 leading zeros,
        // more than 25 digits after the point.
        let fraction = sample
            .split_once('.')
            .map_or(0, |(_, after)| after.trim().len());
        let quirk = sample.contains('_')
            || sample
                .trim_start_matches(['-', '+'])
                .starts_with("00000000000")
            || fraction > 25;
        if !quirk {
            assert_eq!(latitude.is_match(&sample), lat, "latitude {sample:?}");
            assert_eq!(longitude.is_match(&sample), lon, "longitude {sample:?}");
        }
    }
}

/// The Boxo security scheme holds for any call: without credentials the answer is Boxo's
/// `ACCESS_DENIED` (HTTP 200), whatever the body, an oversized one included.
#[actix_web::test]
async fn boxo_calls_without_credentials_are_access_denied() {
    let h = Harness::start(Backend::Memory).await;
    let huge = "a".repeat(70 * 1024);
    for path in [
        "/boxo/v1/order-payments",
        "/boxo/v1/order-payments/status",
        "/boxo/v1/connect/access-token",
        "/boxo/v1/connect/user-data",
    ] {
        for body in [
            json!({}).to_string(),
            "not json".to_owned(),
            json!({"app_id": "x", "order": {"note": huge}}).to_string(),
        ] {
            let resp = h
                .public(
                    TestRequest::post()
                        .uri(path)
                        .insert_header(("Content-Type", "application/json"))
                        .set_payload(body),
                )
                .await;
            assert_eq!(resp.status, 200, "{path}");
            assert_eq!(
                resp.json["error_code"], "ACCESS_DENIED",
                "{path}: {}",
                resp.text
            );
        }
    }
}
