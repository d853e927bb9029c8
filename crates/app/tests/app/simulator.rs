//! `hostpay simulate boxo` against a real `hostpay serve` (a child process): every check
//! passes (exit 0) when the simulator has the host's settings, and the failing checks are
//! reported (exit non-zero) against a host configured with another signing secret or
//! another hash.

use std::path::{Path, PathBuf};

use hostpay_testkit::process::{free_port, run, Server, TempDir, ADMIN_TOKEN};

const CLIENT_ID: &str = "sim-host-client";
const SECRET_KEY: &str = "sim-host-secret-key-0123456789";
const SIGNING_SECRET: &str = "sim-signing-secret-0123456789";

/// Starts a hostpay whose complete-order goes to `127.0.0.1:<listen>`, signing and
/// verifying with `secret` and `hash`.
async fn host(listen: u16, secret: &str, hash: &str) -> Server {
    host_with(
        listen,
        &[
            ("HOSTPAY__BOXO__SIGNING__SECRET", secret),
            ("HOSTPAY__BOXO__SIGNING__HASH", hash),
        ],
    )
    .await
}

async fn host_with(listen: u16, signing: &[(&str, &str)]) -> Server {
    let platform = format!("http://127.0.0.1:{listen}");
    let mut env = vec![
        ("HOSTPAY__BOXO__CLIENT_ID", CLIENT_ID),
        ("HOSTPAY__BOXO__SECRET_KEY", SECRET_KEY),
        ("HOSTPAY__BOXO__PLATFORM_URL", platform.as_str()),
        ("HOSTPAY__BOXO__SIGNING__VERIFY_INCOMING", "true"),
    ];
    env.extend_from_slice(signing);
    let mut server = Server::start(&env);
    server.wait_up().await;
    server
}

fn fixture(name: &str) -> String {
    format!(
        "{}/../boxo/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// The simulator's configuration: the host's settings, as a host team writes them.
fn simulator_config(dir: &TempDir, secret: &str) -> PathBuf {
    let path = dir.path().join("simulator.toml");
    std::fs::write(
        &path,
        format!(
            "[internal]\nadmin_token = \"{ADMIN_TOKEN}\"\n\n\
             [boxo]\nclient_id = \"{CLIENT_ID}\"\nsecret_key = \"{SECRET_KEY}\"\n\n\
             [boxo.signing]\nsecret = \"{secret}\"\nverify_incoming = true\n"
        ),
    )
    .unwrap();
    path
}

fn simulate(server: &Server, config: &Path, listen: u16) -> (bool, String) {
    simulate_with(server, config, listen, &[])
}

fn simulate_with(server: &Server, config: &Path, listen: u16, extra: &[&str]) -> (bool, String) {
    let listen = format!("127.0.0.1:{listen}");
    let mut args = vec![
        "--config",
        config.to_str().unwrap(),
        "simulate",
        "boxo",
        "--target",
        &server.public,
        "--internal-url",
        &server.internal,
        "--listen",
        &listen,
        "--wait-seconds",
        "30",
    ];
    args.extend_from_slice(extra);
    let output = run(&[], &args);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.success(), format!("{stdout}\n{stderr}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_check_passes_against_hostpay_itself() {
    let listen = free_port();
    let server = host(listen, SIGNING_SECRET, "sha256").await;
    let dir = TempDir::new();
    let config = simulator_config(&dir, SIGNING_SECRET);
    let (ok, output) = simulate(&server, &config, listen);
    assert!(ok, "{output}\n{}", server.logs());
    assert!(!output.contains("FAIL"), "{output}");
    assert!(!output.contains("SKIP"), "{output}");
    for check in [
        "PASS create order payment",
        "PASS order payment status",
        "PASS a wrong credential: ACCESS_DENIED",
        "PASS a bad signature: INVALID_SIGNATURE",
        "PASS a replayed nonce: INVALID_SIGNATURE",
        "PASS an unknown order: ORDER_NOT_FOUND",
        "PASS connect: auth code -> access token -> user data",
        "PASS connect: a code used twice: EXPIRED_AUTH_CODE",
        "PASS complete-order received, signed",
    ] {
        assert!(output.contains(check), "{check}:\n{output}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_check_passes_with_ecdsa_keys_on_both_sides() {
    // The host signs with ec256.pem and verifies the platform with other_ec256_pub.pem;
    // the simulator (the platform) signs with other_ec256.pem and verifies the host's
    // complete-order with ec256_pub.pem.
    let listen = free_port();
    let (host_key, platform_public) = (fixture("ec256.pem"), fixture("other_ec256_pub.pem"));
    let server = host_with(
        listen,
        &[
            ("HOSTPAY__BOXO__SIGNING__ALGORITHM", "ecdsa"),
            ("HOSTPAY__BOXO__SIGNING__PRIVATE_KEY_FILE", &host_key),
            (
                "HOSTPAY__BOXO__SIGNING__PLATFORM_PUBLIC_KEY_FILE",
                &platform_public,
            ),
        ],
    )
    .await;
    let dir = TempDir::new();
    let config = dir.path().join("simulator.toml");
    std::fs::write(
        &config,
        format!(
            "[internal]\nadmin_token = \"{ADMIN_TOKEN}\"\n\n\
             [boxo]\nclient_id = \"{CLIENT_ID}\"\nsecret_key = \"{SECRET_KEY}\"\n\n\
             [boxo.signing]\nalgorithm = \"ecdsa\"\nprivate_key_file = \"{host_key}\"\n\
             platform_public_key_file = \"{platform_public}\"\nverify_incoming = true\n"
        ),
    )
    .unwrap();
    let (platform_key, host_public) = (fixture("other_ec256.pem"), fixture("ec256_pub.pem"));
    let (ok, output) = simulate_with(
        &server,
        &config,
        listen,
        &[
            "--platform-private-key",
            &platform_key,
            "--host-public-key",
            &host_public,
        ],
    );
    assert!(ok, "{output}\n{}", server.logs());
    assert!(
        !output.contains("FAIL") && !output.contains("SKIP"),
        "{output}"
    );
    assert!(
        output.contains("PASS complete-order received, signed"),
        "{output}"
    );
    assert!(output.contains("ecdsa sha256"), "{output}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_misconfigured_host_fails_the_checks_and_the_exit_status() {
    // The host verifies with another secret: every signed call is refused.
    let listen = free_port();
    let server = host(listen, "another-signing-secret-0123", "sha256").await;
    let dir = TempDir::new();
    let config = simulator_config(&dir, SIGNING_SECRET);
    let (ok, output) = simulate(&server, &config, listen);
    assert!(!ok, "{output}");
    assert!(output.contains("FAIL create order payment"), "{output}");
    assert!(output.contains("INVALID_SIGNATURE"), "{output}");
    assert!(output.contains("checks failed"), "{output}");

    // The same secret with another hash: refused too.
    let listen = free_port();
    let server = host(listen, SIGNING_SECRET, "sha512").await;
    let (ok, output) = simulate(&server, &config, listen);
    assert!(!ok, "{output}");
    assert!(output.contains("FAIL create order payment"), "{output}");
}
