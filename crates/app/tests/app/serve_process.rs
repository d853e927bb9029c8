//! `hostpay serve` as a process: both listeners, health and readiness, request ids, the
//! rate limit, configuration errors and a clean stop on SIGTERM.

use std::time::Duration;

use hostpay_testkit::process::{app_auth, client, run_ok, send, Server, TempDir, ADMIN_TOKEN};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn serves_health_and_openapi_on_both_listeners_metrics_on_the_internal_one() {
    let mut server = Server::start(&[]);
    server.wait_up().await;
    let http = client();
    // /metrics is the internal listener's only: the public one never shows it.
    let public_metrics = http
        .get(format!("{}/metrics", server.public))
        .send()
        .await
        .unwrap();
    assert_eq!(public_metrics.status(), 404);
    for base in [&server.public, &server.internal] {
        let paths: &[&str] = if *base == server.internal {
            &["/healthz", "/readyz", "/metrics", "/openapi.json"]
        } else {
            &["/healthz", "/readyz", "/openapi.json"]
        };
        for path in paths {
            let response = http.get(format!("{base}{path}")).send().await.unwrap();
            assert_eq!(response.status(), 200, "{base}{path}");
            let id = response.headers()["x-request-id"].to_str().unwrap();
            assert_eq!(id.len(), 32, "generated request id {id}");
        }
        let response = http
            .get(format!("{base}/healthz"))
            .header("X-Request-Id", "caller-chosen-id-1")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["x-request-id"], "caller-chosen-id-1");
        let response = http
            .get(format!("{base}/no-such-route"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
        assert!(response.headers().contains_key("x-request-id"));
    }
    let metrics = http
        .get(format!("{}/metrics", server.internal))
        .send()
        .await
        .unwrap();
    assert!(metrics.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains(r#"hostpay_http_requests_total{method="GET",route="/healthz",status="200"}"#),
        "{text}"
    );
    assert!(text.contains("hostpay_http_request_duration_seconds_bucket"));
    assert!(text.contains("hostpay_outbox_pending 0"));
    assert!(text.contains("hostpay_outbox_dead 0"));

    // SIGTERM: listeners drain, workers stop, exit 0.
    assert!(server.stop().success());
    let logs = server.logs();
    assert!(
        logs.contains("worker stopped") && logs.contains("hostpay stopped"),
        "{logs}"
    );
    for line in logs.lines() {
        serde_json::from_str::<Value>(line)
            .unwrap_or_else(|e| panic!("log.format=json wrote a non-JSON line ({e}): {line}"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_with_no_configuration_uses_sqlite_and_migrates() {
    // Exactly the README's path: no file, no variables (ports are the defaults, so this
    // only checks the database default through `config check`, and serving itself is
    // exercised on free ports by the other tests).
    let json: Value = serde_json::from_str(&run_ok(&[], &["config", "check", "--json"])).unwrap();
    assert_eq!(json["database.url"], "sqlite://hostpay.db");
    assert_eq!(json["server.bind"], "127.0.0.1:8080");
    assert_eq!(json["internal.bind"], "127.0.0.1:8081");
    // The effective value: SQLite migrates on start by default.
    assert_eq!(json["database.migrate_on_start"], Value::Bool(true));

    let mut server = Server::start(&[]);
    server.wait_up().await;
    let (status, _, body) = send(client().get(format!("{}/readyz", server.public))).await;
    assert_eq!((status, &body["status"]), (200, &json!("ready")));
    assert!(server.dir.path().join("hostpay.db").exists());
    assert!(server.logs().contains("applied migration"));
}

#[tokio::test(flavor = "multi_thread")]
async fn readyz_is_503_until_migrations_are_applied_then_200() {
    let mut server = Server::start(&[("HOSTPAY__DATABASE__MIGRATE_ON_START", "false")]);
    server.wait_up().await;
    let http = client();
    let (status, _, body) = send(http.get(format!("{}/readyz", server.public))).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "unavailable");
    let (status, _, _) = send(http.get(format!("{}/readyz", server.internal))).await;
    assert_eq!(status, 503);
    let (status, _, _) = send(http.get(format!("{}/healthz", server.public))).await;
    assert_eq!(status, 200, "liveness does not depend on the database");

    // The handler's own log line carries the request's id.
    let logs = server.logs();
    let not_ready: Vec<Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["message"] == "not ready")
        .collect();
    assert!(!not_ready.is_empty(), "{logs}");
    for line in &not_ready {
        assert_eq!(
            line["span"]["request_id"].as_str().map(str::len),
            Some(32),
            "{line}"
        );
    }

    let env = server.env();
    run_ok(&env, &["migrate"]);
    let (status, _, body) = send(http.get(format!("{}/readyz", server.public))).await;
    assert_eq!(status, 200, "{body}");
    let (status, _, _) = send(http.get(format!("{}/readyz", server.internal))).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_miniapp_api_is_rate_limited_per_miniapp() {
    let mut server = Server::start(&[
        ("HOSTPAY__RATE_LIMIT__PER_SECOND", "1"),
        ("HOSTPAY__RATE_LIMIT__BURST", "3"),
    ]);
    server.wait_up().await;
    let http = client();
    let mut apps = Vec::new();
    for name in ["first", "second"] {
        let (status, _, body) = send(
            http.post(format!("{}/internal/v1/apps", server.internal))
                .bearer_auth(ADMIN_TOKEN)
                .json(&json!({"name": name})),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        apps.push(app_auth(
            body["data"]["app_id"].as_str().unwrap(),
            body["data"]["secret_key"].as_str().unwrap(),
        ));
    }
    let list = |auth: String| {
        http.get(format!("{}/api/v1/users/u1/payments", server.public))
            .header("Authorization", auth)
    };
    for _ in 0..3 {
        let (status, _, body) = send(list(apps[0].clone())).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, headers, body) = send(list(apps[0].clone())).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["status_code"], 429);
    assert_eq!(body["success"], false);
    assert_eq!(body["data"], Value::Null);
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert_eq!(
        retry_after, 1,
        "Retry-After is the wait for one token, rounded up"
    );
    assert!(headers.contains_key("x-request-id"));

    // Another miniapp has its own budget; health and the internal API are not limited.
    let (status, _, _) = send(list(apps[1].clone())).await;
    assert_eq!(status, 200);
    for _ in 0..5 {
        let (status, _, _) = send(http.get(format!("{}/healthz", server.public))).await;
        assert_eq!(status, 200);
    }
    // The budget comes back at the configured rate.
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let (status, _, _) = send(list(apps[0].clone())).await;
    assert_eq!(status, 200);
    let metrics = http
        .get(format!("{}/metrics", server.internal))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("hostpay_rate_limited_total 1"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listener_that_cannot_bind_stops_start_up_naming_its_key() {
    let blocker = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = blocker.local_addr().unwrap().to_string();
    let dir = TempDir::new();
    let url = dir.sqlite_url("bind.db");
    let output = hostpay_testkit::process::run(
        &[
            ("HOSTPAY__DATABASE__URL", &url),
            ("HOSTPAY__INTERNAL__BIND", &taken),
            ("HOSTPAY__SERVER__BIND", "127.0.0.1:0"),
        ],
        &["serve"],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("internal.bind"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_expiry_worker_cancels_payments_whose_session_ended() {
    let mut server = Server::start(&[("HOSTPAY__CHECKOUT__SESSION_TTL_SECONDS", "1")]);
    server.wait_up().await;
    let http = client();
    let (status, _, body) = send(
        http.post(format!("{}/internal/v1/apps", server.internal))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({"name": "Slow Buyer Shop"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let auth = app_auth(
        body["data"]["app_id"].as_str().unwrap(),
        body["data"]["secret_key"].as_str().unwrap(),
    );
    let (status, _, body) = send(
        http.post(format!("{}/api/v1/payments", server.public))
            .header("Authorization", &auth)
            .json(&json!({"user_id": "u1", "amount": "1.00", "currency": "USD"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_owned();
    let mut payment = Value::Null;
    for _ in 0..300 {
        let (_, _, body) = send(
            http.get(format!("{}/api/v1/payments/{id}", server.public))
                .header("Authorization", &auth),
        )
        .await;
        payment = body["data"].clone();
        if payment["status"] == "cancelled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        payment["status"],
        "cancelled",
        "{payment}\n{}",
        server.logs()
    );
    let events: Vec<&str> = payment["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|event| event["type"].as_str())
        .collect();
    assert_eq!(events, ["payment.created", "payment.cancelled"]);
}
