//! Every `hostpay` subcommand, run as the real binary against a real SQLite database.

use std::time::Duration;

use hostpay_testkit::process::{
    app_auth, client, free_port, run, run_json, run_ok, send, Server, TempDir,
};
use serde_json::{json, Value};

fn db_env(dir: &TempDir) -> Vec<(String, String)> {
    vec![
        ("HOSTPAY__DATABASE__URL".into(), dir.sqlite_url("cli.db")),
        (
            "HOSTPAY__SECURITY__HASH_KEY".into(),
            hostpay_testkit::process::HASH_KEY.into(),
        ),
    ]
}

fn as_refs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[test]
fn every_subcommand_explains_itself() {
    let cases: [(&[&str], &str); 16] = [
        (&["--help"], "payments, refunds and order activities"),
        (
            &["serve", "--help"],
            "Run the public and internal listeners",
        ),
        (&["migrate", "--help"], "Apply pending database migrations"),
        (&["apps", "--help"], "Register miniapps"),
        (&["apps", "create", "--help"], "Register a miniapp"),
        (&["apps", "list", "--help"], "List registered miniapps"),
        (
            &["apps", "rotate-secret", "--help"],
            "Issue a new secret key",
        ),
        (&["tokens", "mint", "--help"], "Mint a user token"),
        (&["payments", "--help"], "Mint pay grants"),
        (
            &["payments", "grant", "--help"],
            "Mint a pay grant for the payment's user",
        ),
        (&["connect", "--help"], "Boxo Connect"),
        (
            &["connect", "auth-code", "--help"],
            "Mint a Boxo Connect auth code",
        ),
        (&["deliveries", "list", "--help"], "List deliveries"),
        (
            &["deliveries", "retry", "--help"],
            "Make a delivery due now",
        ),
        (
            &["config", "check", "--help"],
            "Print the effective configuration",
        ),
        (&["deliveries", "--help"], "retry dead letters"),
    ];
    for (args, expected) in cases {
        let stdout = run_ok(&[], args);
        assert!(stdout.contains(expected), "{args:?}: {stdout}");
        let leaf = !stdout.contains("Commands:");
        if leaf && args[0] != "serve" {
            assert!(
                stdout.contains("--json"),
                "{args:?} offers --json: {stdout}"
            );
        }
    }
}

#[test]
fn config_check_prints_the_effective_configuration_with_secrets_masked() {
    let env = [
        ("HOSTPAY__SERVER__BIND", "0.0.0.0:9999"),
        (
            "HOSTPAY__INTERNAL__ADMIN_TOKEN",
            "very-secret-admin-token-1234",
        ),
        (
            "HOSTPAY__DATABASE__URL",
            "postgres://hostpay:db-password-xyz@db:5432/hostpay",
        ),
        (
            "HOSTPAY__SECURITY__HASH_KEY",
            "hash-key-that-must-not-print",
        ),
    ];
    let table = run_ok(&env, &["config", "check"]);
    assert!(
        table.contains("server.bind") && table.contains("0.0.0.0:9999"),
        "{table}"
    );
    assert!(table.contains("configuration is valid"));
    let json = run_json(&env, &["config", "check", "--json"]);
    assert_eq!(json["server.bind"], "0.0.0.0:9999");
    assert_eq!(json["internal.admin_token"], "********");
    assert_eq!(
        json["database.url"],
        "postgres://hostpay:********@db:5432/hostpay"
    );
    assert_eq!(json["rate_limit.per_second"], 500);
    // The effective value: PostgreSQL does not migrate on start unless told to.
    assert_eq!(json["database.migrate_on_start"], Value::Bool(false));
    for output in [table, json.to_string()] {
        assert!(!output.contains("very-secret-admin-token-1234"));
        assert!(!output.contains("db-password-xyz"));
        assert!(!output.contains("hash-key-that-must-not-print"));
    }
}

#[test]
fn an_invalid_configuration_exits_non_zero_naming_the_key() {
    let cases = [
        ("HOSTPAY__SERVER__BIND", "nonsense", "server.bind"),
        ("HOSTPAY__LOG__FORMAT", "yaml", "log.format"),
        (
            "HOSTPAY__DELIVERY__MAX_ATTEMPTS",
            "-1",
            "delivery.max_attempts",
        ),
    ];
    for (key, value, named) in cases {
        for args in [&["config", "check"][..], &["serve"][..]] {
            let output = run(&[(key, value)], args);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(!output.status.success(), "{key}={value} {args:?} succeeded");
            assert!(stderr.contains(named), "{key}={value} {args:?}: {stderr}");
        }
    }
    let dir = TempDir::new();
    let file = dir.path().join("hostpay.toml");
    std::fs::write(&file, "[checkout]\nsession_ttl_seconds = \"soon\"\n").unwrap();
    let output = run(
        &[],
        &["--config", file.to_str().unwrap(), "config", "check"],
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("checkout.session_ttl_seconds"));
}

#[test]
fn migrate_applies_once() {
    let dir = TempDir::new();
    let env = db_env(&dir);
    let env = as_refs(&env);
    let first = run_json(&env, &["migrate", "--json"]);
    assert!(!first["applied"].as_array().unwrap().is_empty(), "{first}");
    let second = run_json(&env, &["migrate", "--json"]);
    assert_eq!(second["applied"], json!([]));
    assert!(run_ok(&env, &["migrate"]).contains("up to date"));
}

#[tokio::test(flavor = "multi_thread")]
async fn apps_tokens_and_deliveries_work_on_the_database_the_server_uses() {
    let dir = TempDir::new();
    let dead_port = free_port();
    let mut env = db_env(&dir);
    env.push(("HOSTPAY__DELIVERY__MAX_ATTEMPTS".into(), "1".into()));
    let cli_env = as_refs(&env);

    // apps create / list / rotate-secret
    let webhook = format!("http://127.0.0.1:{dead_port}/hook");
    let created = run_json(
        &cli_env,
        &[
            "apps",
            "create",
            "--name",
            "Corner Shop",
            "--webhook-url",
            &webhook,
            "--json",
        ],
    );
    let app_id = created["app_id"].as_str().unwrap().to_owned();
    let first_secret = created["secret_key"].as_str().unwrap().to_owned();
    assert!(app_id.starts_with("app_") && first_secret.starts_with("sk_"));
    assert!(created["webhook_secret"].as_str().is_some());

    let table = run_ok(&cli_env, &["apps", "list"]);
    assert!(
        table.contains(&app_id) && table.contains("Corner Shop"),
        "{table}"
    );
    assert!(!table.contains(&first_secret));
    let list = run_json(&cli_env, &["apps", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["app_id"], app_id.as_str());
    assert!(list[0].get("secret_key").is_none());

    let rotated = run_json(&cli_env, &["apps", "rotate-secret", &app_id, "--json"]);
    let secret = rotated["secret_key"].as_str().unwrap().to_owned();
    assert_ne!(secret, first_secret);
    assert!(!run(&cli_env, &["apps", "rotate-secret", "app_unknown"])
        .status
        .success());

    // tokens mint
    let minted = run_json(
        &cli_env,
        &[
            "tokens",
            "mint",
            "--app-id",
            &app_id,
            "--user-id",
            "user-7",
            "--json",
        ],
    );
    let token = minted["token"].as_str().unwrap().to_owned();
    assert!(minted["expires_at"].as_str().is_some());
    assert!(run_ok(
        &cli_env,
        &["tokens", "mint", "--app-id", &app_id, "--user-id", "user-7"]
    )
    .contains("expires_at"));

    // the server on the same database accepts what the CLI made
    let mut server_env: Vec<(&str, &str)> = cli_env.clone();
    server_env.retain(|(k, _)| *k != "HOSTPAY__DATABASE__URL");
    let url = dir.sqlite_url("cli.db");
    server_env.push(("HOSTPAY__DATABASE__URL", &url));
    let mut server = Server::start(&server_env);
    server.wait_up().await;
    let http = client();
    let (status, _, body) = send(
        http.post(format!("{}/api/v1/users/verify-token", server.public))
            .header("Authorization", app_auth(&app_id, &secret))
            .header("miniapp-user-token", &token),
    )
    .await;
    assert_eq!(
        (status, &body["data"]["id"]),
        (200, &json!("user-7")),
        "{body}"
    );
    let (status, _, _) = send(
        http.post(format!("{}/api/v1/users/verify-token", server.public))
            .header("Authorization", app_auth(&app_id, &first_secret))
            .header("miniapp-user-token", &token),
    )
    .await;
    assert_eq!(status, 401, "the rotated-out secret still works");
    let (status, _, body) = send(
        http.post(format!("{}/api/v1/payments", server.public))
            .header("Authorization", app_auth(&app_id, &secret))
            .json(&json!({"user_id": "user-7", "amount": "3.00", "currency": "EUR"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");

    // deliveries list / retry: the webhook to a closed port dies after its one attempt
    let mut dead = Value::Null;
    for _ in 0..300 {
        dead = run_json(
            &cli_env,
            &["deliveries", "list", "--state", "dead", "--json"],
        );
        if !dead.as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let dead = dead.as_array().unwrap().clone();
    assert_eq!(dead.len(), 1, "no dead letter appeared:\n{}", server.logs());
    assert_eq!(dead[0]["event_type"], "payment.created");
    assert_eq!(dead[0]["target"], "miniapp_webhook");
    assert_eq!(dead[0]["attempts"], 1);
    let delivery_id = dead[0]["id"].as_str().unwrap().to_owned();
    assert!(server.stop().success());

    let table = run_ok(&cli_env, &["deliveries", "list"]);
    assert!(
        table.contains(&delivery_id) && table.contains("dead"),
        "{table}"
    );
    let retried = run_json(&cli_env, &["deliveries", "retry", &delivery_id, "--json"]);
    assert_eq!(retried["state"], "pending");
    assert_eq!(retried["id"], delivery_id.as_str());
    let pending = run_json(
        &cli_env,
        &["deliveries", "list", "--state", "pending", "--json"],
    );
    assert_eq!(pending[0]["id"], delivery_id.as_str());
    assert!(run_json(
        &cli_env,
        &["deliveries", "list", "--state", "dead", "--json"]
    )
    .as_array()
    .unwrap()
    .is_empty());
    let unknown = run(&cli_env, &["deliveries", "retry", "dlv_unknown"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not found"));
    // An out-of-range page size is refused, not silently changed.
    let zero = run(&cli_env, &["deliveries", "list", "--limit", "0"]);
    assert_eq!(zero.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&zero.stderr).contains("--limit"));
}

#[tokio::test(flavor = "multi_thread")]
async fn payments_grant_mints_a_pay_grant_only_for_the_payments_user() {
    let mut server = Server::start(&[]);
    server.wait_up().await;
    let env = server.env();
    let http = client();

    // A miniapp (CLI) and a payment for user-7 (miniapp API of the running server).
    let app = run_json(&env, &["apps", "create", "--name", "Grant Shop", "--json"]);
    let app_id = app["app_id"].as_str().unwrap().to_owned();
    let auth = app_auth(&app_id, app["secret_key"].as_str().unwrap());
    let (status, _, body) = send(
        http.post(format!("{}/api/v1/payments", server.public))
            .header("Authorization", &auth)
            .json(&json!({"user_id": "user-7", "amount": "4.20", "currency": "EUR"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let payment_id = body["data"]["id"].as_str().unwrap().to_owned();

    // The table: grant, checkout_url with ?grant=, expires_at.
    let table = run_ok(
        &env,
        &["payments", "grant", &payment_id, "--user", "user-7"],
    );
    assert!(table.contains("grant") && table.contains("pg_"), "{table}");
    assert!(table.contains("expires_at"), "{table}");
    let url_prefix = format!("{}/checkout/{payment_id}?grant=pg_", server.public);
    assert!(table.contains(&url_prefix), "{table}");

    // --json: the same three fields; the grant is what the sheet's URL carries.
    let granted = run_json(
        &env,
        &[
            "payments",
            "grant",
            &payment_id,
            "--user",
            "user-7",
            "--json",
        ],
    );
    let grant = granted["grant"].as_str().unwrap().to_owned();
    assert!(grant.starts_with("pg_"), "{granted}");
    assert_eq!(
        granted["checkout_url"],
        format!("{}/checkout/{payment_id}?grant={grant}", server.public).as_str()
    );
    let expires_at = granted["expires_at"].as_str().unwrap();
    let expires_at = chrono::DateTime::parse_from_rfc3339(expires_at).unwrap();
    let lifetime = expires_at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(
        lifetime > chrono::Duration::zero() && lifetime <= chrono::Duration::minutes(5),
        "{granted}"
    );

    // Another user's payment: refused, like an unknown one, and nothing printed on stdout.
    for (id, user) in [
        (payment_id.as_str(), "user-8"),
        ("pay_01M8RMNTCXP8EZ3HG8MXT29E03", "user-7"),
    ] {
        let refused = run(&env, &["payments", "grant", id, "--user", user]);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(1), "{id} {user}: {stderr}");
        assert!(
            stderr.contains("payment not found"),
            "{id} {user}: {stderr}"
        );
        assert!(!String::from_utf8_lossy(&refused.stdout).contains("pg_"));
    }

    // A malformed payment id names PAYMENT_ID; a missing --user is a usage error.
    let malformed = run(&env, &["payments", "grant", "nonsense", "--user", "user-7"]);
    assert_eq!(malformed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&malformed.stderr).contains("PAYMENT_ID"));
    let no_user = run(&env, &["payments", "grant", &payment_id]);
    assert_eq!(no_user.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_user.stderr).contains("--user"));

    // The grant the CLI printed pays the payment; a paid payment gets no more grants.
    let (status, _, body) = send(
        http.post(format!("{}/checkout/{payment_id}/confirm", server.public))
            .bearer_auth(&grant),
    )
    .await;
    assert_eq!(
        (status, &body["data"]["status"]),
        (200, &json!("paid")),
        "{body}"
    );
    let spent = run(
        &env,
        &["payments", "grant", &payment_id, "--user", "user-7"],
    );
    assert_eq!(spent.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&spent.stderr).contains("is paid"));
    assert!(server.stop().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_auth_code_mints_a_code_the_connect_service_exchanges_once() {
    let dir = TempDir::new();
    let env = db_env(&dir);
    let env = as_refs(&env);
    let app = run_json(
        &env,
        &["apps", "create", "--name", "Connect Shop", "--json"],
    );
    let app_id = app["app_id"].as_str().unwrap().to_owned();

    // --json: the code and its expiry, at most 5 minutes away.
    let minted = run_json(
        &env,
        &[
            "connect",
            "auth-code",
            "--app-id",
            &app_id,
            "--user",
            "user-7",
            "--email",
            "ada@example.com",
            "--phone",
            "+966501234567",
            "--first-name",
            "Ada",
            "--last-name",
            "Lovelace",
            "--custom-attributes",
            r#"{"tier": "gold"}"#,
            "--json",
        ],
    );
    let code = minted["auth_code"].as_str().unwrap().to_owned();
    assert!(code.starts_with("ac_"), "{minted}");
    let expires_at = minted["expires_at"].as_str().unwrap();
    let expires_at = chrono::DateTime::parse_from_rfc3339(expires_at).unwrap();
    let lifetime = expires_at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(
        lifetime > chrono::Duration::zero() && lifetime <= chrono::Duration::minutes(5),
        "{minted}"
    );

    // The table: a phone-only profile with its own reference.
    let table = run_ok(
        &env,
        &[
            "connect",
            "auth-code",
            "--app-id",
            &app_id,
            "--user",
            "user-8",
            "--phone",
            "+12025550123",
            "--reference",
            "ref-8",
        ],
    );
    assert!(
        table.contains("auth_code") && table.contains("ac_") && table.contains("expires_at"),
        "{table}"
    );

    // Refusals exit 1 naming the flag (or the unknown miniapp), printing no code.
    let refusals: [(&[&str], &str); 5] = [
        (&["--app-id", &app_id, "--user", "u"], "--email"),
        (
            &["--app-id", &app_id, "--user", "u", "--phone", "0501234567"],
            "--phone",
        ),
        (
            &[
                "--app-id",
                &app_id,
                "--user",
                "u",
                "--email",
                "not-an-email",
            ],
            "--email",
        ),
        (
            &[
                "--app-id",
                &app_id,
                "--user",
                "u",
                "--email",
                "a@b.co",
                "--custom-attributes",
                "[1]",
            ],
            "--custom-attributes",
        ),
        (
            &[
                "--app-id",
                "app_unknown",
                "--user",
                "u",
                "--email",
                "a@b.co",
            ],
            "no miniapp app_unknown",
        ),
    ];
    for (flags, named) in refusals {
        let mut args = vec!["connect", "auth-code"];
        args.extend_from_slice(flags);
        let refused = run(&env, &args);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(1), "{flags:?}: {stderr}");
        assert!(stderr.contains(named), "{flags:?}: {stderr}");
        assert!(!String::from_utf8_lossy(&refused.stdout).contains("ac_"));
    }

    // The code is stored (as a keyed hash under security.hash_key) in the database the
    // server uses: the Connect service there exchanges it once, for the profile given.
    let store = hostpay_store::connect(&dir.sqlite_url("cli.db"), Default::default())
        .await
        .unwrap();
    let (mut ports, _handles) = hostpay_testkit::in_memory_ports();
    ports.apps = store.apps();
    ports.connect = store.connect();
    let mut settings = hostpay_testkit::test_settings();
    settings.keyring =
        hostpay_domain::miniapp::SecretKeyring::new(hostpay_testkit::process::HASH_KEY);
    let services = hostpay_domain::services::Services::new(ports, settings);
    let token = services
        .connect
        .exchange(&app_id, &code)
        .await
        .unwrap()
        .access_token;
    assert_eq!(
        services.connect.exchange(&app_id, &code).await,
        Err(hostpay_domain::services::ConnectError::ExpiredAuthCode)
    );
    let profile = services.connect.user_data(&app_id, &token).await.unwrap();
    assert_eq!(profile.reference(), "user-7");
    assert_eq!(profile.email().unwrap().as_str(), "ada@example.com");
    assert_eq!(profile.phone().unwrap().as_str(), "+966501234567");
    assert_eq!(profile.first_name(), Some("Ada"));
    assert_eq!(profile.last_name(), Some("Lovelace"));
    assert_eq!(profile.custom_attributes().unwrap()["tier"], "gold");
}

#[test]
fn the_file_comes_from_config_or_hostpay_config_and_the_environment_wins() {
    let dir = TempDir::new();
    let file = dir.path().join("hostpay.toml");
    std::fs::write(
        &file,
        "[server]\npublic_url = \"https://pay.example.com\"\n[rate_limit]\nburst = 42\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let by_flag = run_json(&[], &["--config", path, "config", "check", "--json"]);
    let by_env = run_json(&[("HOSTPAY_CONFIG", path)], &["config", "check", "--json"]);
    for json in [&by_flag, &by_env] {
        assert_eq!(json["server.public_url"], "https://pay.example.com");
        assert_eq!(json["rate_limit.burst"], 42);
    }
    let overridden = run_json(
        &[
            ("HOSTPAY_CONFIG", path),
            ("HOSTPAY__RATE_LIMIT__BURST", "7"),
        ],
        &["config", "check", "--json"],
    );
    assert_eq!(overridden["rate_limit.burst"], 7);
    let missing = run(
        &[],
        &["--config", "/nonexistent/hostpay.toml", "config", "check"],
    );
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/hostpay.toml"));
}
