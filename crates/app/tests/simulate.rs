//! `hostpay simulate boxo` against a real `hostpay serve` (a child process): every check
//! passes (exit 0) when the simulator has the host's settings, and the failing checks are
//! reported (exit non-zero) against a host configured with another signing secret or
//! another hash.

mod support;

use std::path::PathBuf;

use support::{free_port, run, Server, TempDir, ADMIN_TOKEN};

const CLIENT_ID: &str = "sim-host-client";
const SECRET_KEY: &str = "sim-host-secret-key-0123456789";
const SIGNING_SECRET: &str = "sim-signing-secret-0123456789";

/// Starts a hostpay whose complete-order goes to `127.0.0.1:<listen>`, signing and
/// verifying with `secret` and `hash`.
async fn host(listen: u16, secret: &str, hash: &str) -> Server {
    let platform = format!("http://127.0.0.1:{listen}");
    let mut server = Server::start(&[
        ("HOSTPAY__BOXO__CLIENT_ID", CLIENT_ID),
        ("HOSTPAY__BOXO__SECRET_KEY", SECRET_KEY),
        ("HOSTPAY__BOXO__PLATFORM_URL", &platform),
        ("HOSTPAY__BOXO__SIGNING__SECRET", secret),
        ("HOSTPAY__BOXO__SIGNING__HASH", hash),
        ("HOSTPAY__BOXO__SIGNING__VERIFY_INCOMING", "true"),
    ]);
    server.wait_up().await;
    server
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

fn simulate(server: &Server, config: &PathBuf, listen: u16) -> (bool, String) {
    let output = run(
        &[],
        &[
            "--config",
            config.to_str().unwrap(),
            "simulate",
            "boxo",
            "--target",
            &server.public,
            "--internal-url",
            &server.internal,
            "--listen",
            &format!("127.0.0.1:{listen}"),
            "--wait-seconds",
            "30",
        ],
    );
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
