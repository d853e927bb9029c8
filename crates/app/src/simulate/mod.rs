//! `hostpay simulate boxo`: plays the Boxo platform against a host deployment (hostpay
//! or any other implementation of Boxo's host API) with the host's configured credentials
//! and signing, and prints one `PASS`/`FAIL`/`SKIP` line per check. Exit status 1 when
//! any check fails.
//!
//! What it reads from the configuration (the host's own file format): `boxo.client_id`,
//! `boxo.secret_key`, `boxo.auth_prefix` and `boxo.signing.*`. With `hmac` the platform
//! and the host share `boxo.signing.secret`; with `rsa`/`ecdsa` the simulator signs the
//! calls it makes with the PLATFORM's private key (`--platform-private-key`, the
//! counterpart of the host's `boxo.signing.platform_public_key`) and verifies the
//! complete-order it receives with the HOST's public key (`--host-public-key`, the
//! counterpart of `boxo.signing.private_key`).
//!
//! The checks, in order: create an order payment and read its status (Boxo's wire
//! format); a wrong credential (`ACCESS_DENIED`), a bad signature (`INVALID_SIGNATURE`),
//! a replayed nonce (`INVALID_SIGNATURE`), an unknown order (`ORDER_NOT_FOUND`); Boxo
//! Connect with an auth code (`--auth-code`, or one minted on the internal API); then the
//! signed complete-order on `--listen`, once the payment is settled (by the internal API
//! when given, else by whoever runs the host app, within `--wait-seconds`).

mod listener;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use chrono::Utc;
use clap::Args;
use hostpay_boxo::signing::{
    Algorithm, IncomingRequest, OutgoingRequest, Placeholder, Signer, Verifier,
};
use hostpay_boxo::SigningSettings;
use serde_json::{json, Value};

use crate::config::Config;

pub use listener::{CompleteOrderListener, ReceivedCall};

/// `hostpay simulate boxo`. Its `Debug` hides `--auth-code` and `--admin-token`.
#[derive(Clone, Args)]
pub struct SimulateBoxo {
    /// The host's public base URL (where `/boxo/v1/...` is served).
    #[arg(long, value_name = "URL")]
    pub target: String,
    /// Where to listen for the host's complete-order call; the host's `boxo.platform_url`
    /// must point here (e.g. `http://127.0.0.1:9099`).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9099")]
    pub listen: SocketAddr,
    /// A Boxo Connect auth code the host app minted for this run's miniapp.
    #[arg(long, value_name = "CODE")]
    pub auth_code: Option<String>,
    /// The miniapp to order for (`app_...`); registered through the internal API when
    /// absent and `--internal-url` is given.
    #[arg(long, value_name = "APP_ID")]
    pub app_id: Option<String>,
    /// hostpay's internal API (to register a miniapp, mint an auth code, settle the
    /// payment); its bearer token is `--admin-token` or `internal.admin_token`.
    #[arg(long, value_name = "URL")]
    pub internal_url: Option<String>,
    /// The internal API's bearer token (default: `internal.admin_token`).
    #[arg(long, value_name = "TOKEN", env = "HOSTPAY_SIMULATE_ADMIN_TOKEN")]
    pub admin_token: Option<String>,
    /// `rsa`/`ecdsa`: the platform's private key (PEM or DER file) that signs the calls
    /// to the host; the host verifies them with `boxo.signing.platform_public_key`.
    #[arg(long, value_name = "FILE")]
    pub platform_private_key: Option<PathBuf>,
    /// `rsa`/`ecdsa`: the host's public key (PEM or DER file) that verifies the
    /// complete-order; the host signs with `boxo.signing.private_key`.
    #[arg(long, value_name = "FILE")]
    pub host_public_key: Option<PathBuf>,
    /// How long to wait for the complete-order call.
    #[arg(long, default_value_t = 60)]
    pub wait_seconds: u64,
}

impl std::fmt::Debug for SimulateBoxo {
    /// The auth code and the admin token are secrets: `********` when given.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |value: &Option<String>| value.as_ref().map(|_| "********");
        f.debug_struct("SimulateBoxo")
            .field("target", &self.target)
            .field("listen", &self.listen)
            .field("auth_code", &hidden(&self.auth_code))
            .field("app_id", &self.app_id)
            .field("internal_url", &self.internal_url)
            .field("admin_token", &hidden(&self.admin_token))
            .field("platform_private_key", &self.platform_private_key)
            .field("host_public_key", &self.host_public_key)
            .field("wait_seconds", &self.wait_seconds)
            .finish()
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// As expected.
    Pass,
    /// Not as expected, and why.
    Fail(String),
    /// Not run, and why.
    Skip(String),
}

/// The checks of a run, in order.
#[derive(Debug, Default)]
pub struct Report {
    /// `(check, verdict)`.
    pub checks: Vec<(String, Verdict)>,
}

impl Report {
    fn record(&mut self, name: &str, verdict: Verdict) {
        let line = match &verdict {
            Verdict::Pass => format!("PASS {name}"),
            Verdict::Fail(why) => format!("FAIL {name}: {why}"),
            Verdict::Skip(why) => format!("SKIP {name}: {why}"),
        };
        println!("{line}");
        self.checks.push((name.to_owned(), verdict));
    }

    /// How many checks failed.
    pub fn failures(&self) -> usize {
        self.checks
            .iter()
            .filter(|(_, verdict)| matches!(verdict, Verdict::Fail(_)))
            .count()
    }
}

/// Why the simulator cannot run at all (as opposed to a failing check).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SetupError(String);

/// The platform's side of the signing: what it signs with and verifies with.
struct PlatformSigning {
    signer: Option<Signer>,
    verifier: Option<Verifier>,
    /// Whether the host verifies incoming calls (`boxo.signing.verify_incoming`).
    host_verifies: bool,
    /// Whether the template has `{nonce}` (replays are detectable).
    has_nonce: bool,
}

fn platform_signing(config: &Config, args: &SimulateBoxo) -> Result<PlatformSigning, SetupError> {
    let host = &config.boxo.signing;
    let host_signs = config
        .signing_setup()
        .map_err(|error| SetupError(error.to_string()))?
        .signer
        .is_some();
    let has_nonce = host
        .payload_template
        .contains(&format!("{{{}}}", Placeholder::Nonce.name()));
    let settings = match host.algorithm {
        Algorithm::Hmac => SigningSettings {
            verify_incoming: host_signs,
            ..host.clone()
        },
        Algorithm::Rsa | Algorithm::Ecdsa => {
            let Some(private_key) = &args.platform_private_key else {
                return Ok(PlatformSigning {
                    signer: None,
                    verifier: None,
                    host_verifies: host.verify_incoming,
                    has_nonce,
                });
            };
            SigningSettings {
                secret: None,
                private_key: None,
                private_key_file: Some(private_key.clone()),
                platform_public_key: None,
                platform_public_key_file: args.host_public_key.clone(),
                verify_incoming: args.host_public_key.is_some(),
                ..host.clone()
            }
        }
    };
    let setup = settings
        .validate()
        .map_err(|error| SetupError(format!("the platform's signing: {error}")))?;
    Ok(PlatformSigning {
        signer: setup.signer,
        verifier: setup.verifier,
        host_verifies: host.verify_incoming,
        has_nonce,
    })
}

/// One call to the host, built and signed like the platform does.
struct Platform {
    http: reqwest::Client,
    target: String,
    client_id: String,
    authorization: String,
    auth_prefix: String,
    signing: PlatformSigning,
}

/// An answer: HTTP status and JSON body (`Value::Null` when not JSON).
struct Answer {
    status: u16,
    body: Value,
}

impl Answer {
    fn error_code(&self) -> Option<&str> {
        self.body.get("error_code").and_then(Value::as_str)
    }

    fn describe(&self) -> String {
        format!("HTTP {} {}", self.status, self.body)
    }
}

/// How to tamper with a call.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tamper {
    None,
    /// Sign one body, send another.
    Body,
}

/// One call: what is sent, and how.
struct Call<'a> {
    method: reqwest::Method,
    path: &'a str,
    body: &'a [u8],
    authorization: &'a str,
    /// Headers besides Authorization, Content-Type and the signature's.
    extra: &'a [(&'a str, String)],
    /// The nonce to sign with (a fresh one when `None`).
    nonce: Option<&'a str>,
    tamper: Tamper,
}

impl Platform {
    async fn call(&self, call: Call<'_>) -> Result<(Answer, Option<String>), String> {
        let Call {
            method,
            path,
            body,
            authorization,
            extra,
            nonce,
            tamper,
        } = call;
        let url = format!("{}{path}", self.target.trim_end_matches('/'));
        let mut request = self
            .http
            .request(method.clone(), &url)
            .header("Authorization", authorization)
            .header("Content-Type", "application/json");
        for (name, value) in extra {
            request = request.header(*name, value);
        }
        let mut used_nonce = None;
        if let Some(signer) = &self.signing.signer {
            let nonce = nonce.map_or_else(|| signer.new_nonce(), str::to_owned);
            let headers = signer
                .sign(&OutgoingRequest {
                    method: method.as_str(),
                    url: path,
                    body,
                    timestamp: Utc::now(),
                    nonce: &nonce,
                    client_id: &self.client_id,
                })
                .map_err(|error| format!("cannot sign: {error}"))?;
            for (name, value) in headers.iter() {
                request = request.header(name, value);
            }
            used_nonce = Some(nonce);
        }
        let sent = match tamper {
            Tamper::None => body.to_vec(),
            Tamper::Body => {
                let mut changed = body.to_vec();
                changed.extend_from_slice(b" ");
                changed
            }
        };
        let response = request
            .body(sent)
            .send()
            .await
            .map_err(|error| format!("{url}: {error}"))?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|error| format!("{url}: {error}"))?;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((Answer { status, body }, used_nonce))
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Answer, String> {
        let raw = body.to_string().into_bytes();
        self.call(Call {
            method: reqwest::Method::POST,
            path,
            body: &raw,
            authorization: &self.authorization,
            extra: &[],
            nonce: None,
            tamper: Tamper::None,
        })
        .await
        .map(|(answer, _)| answer)
    }
}

/// A `Verdict` from an answer expected to be `code`.
fn expect_code(outcome: Result<Answer, String>, code: &str) -> Verdict {
    match outcome {
        Ok(answer) if answer.status == 200 && answer.error_code() == Some(code) => Verdict::Pass,
        Ok(answer) => Verdict::Fail(format!(
            "expected HTTP 200 {code}, got {}",
            answer.describe()
        )),
        Err(error) => Verdict::Fail(error),
    }
}

/// Runs every check against `args.target`; prints a line per check.
pub async fn run(config: &Config, args: &SimulateBoxo) -> Result<Report, SetupError> {
    hostpay_upstream::install_crypto_provider();
    let (Some(client_id), Some(secret_key)) = (&config.boxo.client_id, &config.boxo.secret_key)
    else {
        return Err(SetupError(
            "boxo.client_id and boxo.secret_key are required: the simulator sends the \
             host's credentials"
                .to_owned(),
        ));
    };
    let signing = platform_signing(config, args)?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|error| SetupError(error.to_string()))?;
    let prefix = config.boxo.auth_prefix.trim().to_owned();
    let credentials = base64::engine::general_purpose::STANDARD
        .encode(format!("{client_id}:{}", secret_key.expose()));
    let platform = Platform {
        http: http.clone(),
        target: args.target.clone(),
        client_id: client_id.clone(),
        authorization: format!("{prefix} {credentials}"),
        auth_prefix: prefix,
        signing,
    };
    let admin_token = args.admin_token.clone().or_else(|| {
        config
            .internal
            .admin_token
            .as_ref()
            .map(|token| token.expose().to_owned())
    });
    let internal = match (&args.internal_url, admin_token) {
        (Some(url), Some(token)) => Some(Internal {
            http: http.clone(),
            url: url.trim_end_matches('/').to_owned(),
            token,
        }),
        (Some(_), None) => {
            return Err(SetupError(
                "--internal-url needs --admin-token (or internal.admin_token)".to_owned(),
            ))
        }
        (None, _) => None,
    };
    let listener = CompleteOrderListener::start(args.listen)
        .map_err(|error| SetupError(format!("--listen {}: {error}", args.listen)))?;
    let mut report = Report::default();
    println!(
        "simulating the Boxo platform against {} (client_id {client_id}, signing {}, complete-order expected on http://{})",
        args.target,
        describe_signing(&config.boxo.signing, &platform.signing),
        listener.address()
    );

    let app_id = match (&args.app_id, &internal) {
        (Some(app_id), _) => app_id.clone(),
        (None, Some(internal)) => match internal.register_app().await {
            Ok(app_id) => app_id,
            Err(error) => return Err(SetupError(format!("registering a miniapp: {error}"))),
        },
        (None, None) => {
            return Err(SetupError(
                "--app-id (a registered miniapp) or --internal-url is required".to_owned(),
            ))
        }
    };

    // 1. Create an order payment.
    let order_id = format!("sim-{}", Utc::now().timestamp_millis());
    let order = json!({
        "app_id": app_id,
        "order": {
            "currency": "SAR",
            "amount": "10.00",
            "miniapp_order_id": order_id,
            "hostapp_user_id": "simulator-user",
            "custom_attributes": {"simulator": true},
            "items": [{"product_name": "Simulated tea", "quantity": 1, "price": "10.00"}],
        },
    });
    let created = platform.post("/boxo/v1/order-payments", &order).await;
    let payment_id = match &created {
        Ok(answer) if answer.status == 200 => match answer.body["order_payment_id"].as_str() {
            Some(id) if !id.is_empty() => {
                report.record("create order payment: {order_payment_id}", Verdict::Pass);
                Some(id.to_owned())
            }
            _ => {
                report.record(
                    "create order payment: {order_payment_id}",
                    Verdict::Fail(format!(
                        "expected order_payment_id, got {}",
                        answer.describe()
                    )),
                );
                None
            }
        },
        Ok(answer) => {
            report.record(
                "create order payment: {order_payment_id}",
                Verdict::Fail(format!("expected HTTP 200, got {}", answer.describe())),
            );
            None
        }
        Err(error) => {
            report.record(
                "create order payment: {order_payment_id}",
                Verdict::Fail(error.clone()),
            );
            None
        }
    };

    // 2. Its status.
    let status_name = "order payment status: Boxo's fields and in_process";
    match &payment_id {
        Some(id) => {
            let body = json!({"app_id": app_id, "client_id": client_id, "order_payment_id": id});
            let verdict = match platform.post("/boxo/v1/order-payments/status", &body).await {
                Ok(answer) => status_verdict(&answer, &app_id, client_id, id),
                Err(error) => Verdict::Fail(error),
            };
            report.record(status_name, verdict);
        }
        None => report.record(status_name, Verdict::Skip("no order payment".to_owned())),
    }

    // 3. Refusals.
    let wrong = base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:wrong"));
    let raw = order.to_string().into_bytes();
    let denied = platform
        .call(Call {
            method: reqwest::Method::POST,
            path: "/boxo/v1/order-payments",
            body: &raw,
            authorization: &format!("{} {wrong}", platform.auth_prefix),
            extra: &[],
            nonce: None,
            tamper: Tamper::None,
        })
        .await
        .map(|(answer, _)| answer);
    report.record(
        "a wrong credential: ACCESS_DENIED",
        expect_code(denied, "ACCESS_DENIED"),
    );

    let signature_checks = if !platform.signing.host_verifies {
        Some("boxo.signing.verify_incoming is off".to_owned())
    } else if platform.signing.signer.is_none() {
        Some("no platform key to sign with (--platform-private-key)".to_owned())
    } else {
        None
    };
    match &signature_checks {
        Some(why) => report.record(
            "a bad signature: INVALID_SIGNATURE",
            Verdict::Skip(why.clone()),
        ),
        None => {
            let tampered = platform
                .call(Call {
                    method: reqwest::Method::POST,
                    path: "/boxo/v1/order-payments",
                    body: &raw,
                    authorization: &platform.authorization,
                    extra: &[],
                    nonce: None,
                    tamper: Tamper::Body,
                })
                .await
                .map(|(answer, _)| answer);
            report.record(
                "a bad signature: INVALID_SIGNATURE",
                expect_code(tampered, "INVALID_SIGNATURE"),
            );
        }
    }
    let replay_skip = signature_checks.or_else(|| {
        (!platform.signing.has_nonce).then(|| "the payload template has no {nonce}".to_owned())
    });
    let status_body = json!({
        "app_id": app_id,
        "client_id": client_id,
        "order_payment_id": payment_id.clone().unwrap_or_else(|| "pay_unknown".to_owned()),
    })
    .to_string()
    .into_bytes();
    match replay_skip {
        Some(why) => report.record("a replayed nonce: INVALID_SIGNATURE", Verdict::Skip(why)),
        None => {
            let nonce = platform
                .signing
                .signer
                .as_ref()
                .map(Signer::new_nonce)
                .unwrap_or_default();
            let send = || {
                platform.call(Call {
                    method: reqwest::Method::POST,
                    path: "/boxo/v1/order-payments/status",
                    body: &status_body,
                    authorization: &platform.authorization,
                    extra: &[],
                    nonce: Some(&nonce),
                    tamper: Tamper::None,
                })
            };
            let verdict = match send().await {
                Ok((first, _)) if first.error_code().is_none() => {
                    expect_code(send().await.map(|(answer, _)| answer), "INVALID_SIGNATURE")
                }
                Ok((first, _)) => Verdict::Fail(format!(
                    "the first call was refused already: {}",
                    first.describe()
                )),
                Err(error) => Verdict::Fail(error),
            };
            report.record("a replayed nonce: INVALID_SIGNATURE", verdict);
        }
    }
    let unknown = json!({
        "app_id": app_id,
        "client_id": client_id,
        "order_payment_id": "pay_00000000000000000000000000",
    });
    report.record(
        "an unknown order: ORDER_NOT_FOUND",
        expect_code(
            platform
                .post("/boxo/v1/order-payments/status", &unknown)
                .await,
            "ORDER_NOT_FOUND",
        ),
    );

    // 4. Boxo Connect.
    connect(&platform, &mut report, args, internal.as_ref(), &app_id).await;

    // 5. The signed complete-order.
    let complete_name = "complete-order received, signed, with Boxo's fields";
    match &payment_id {
        None => report.record(complete_name, Verdict::Skip("no order payment".to_owned())),
        Some(id) => {
            match &internal {
                Some(internal) => {
                    if let Err(error) = internal.settle(id).await {
                        report.record(
                            complete_name,
                            Verdict::Fail(format!("settling {id}: {error}")),
                        );
                        return Ok(report);
                    }
                }
                None => println!(
                    "waiting up to {} s: pay or cancel order payment {id} in the host app",
                    args.wait_seconds
                ),
            }
            let verdict = match listener
                .next(Duration::from_secs(args.wait_seconds))
                .await
            {
                Some(call) => complete_order_verdict(&call, &platform.signing, id, &app_id, client_id),
                None => Verdict::Fail(format!(
                    "nothing arrived on http://{} within {} s (is boxo.platform_url pointing here?)",
                    listener.address(),
                    args.wait_seconds
                )),
            };
            report.record(complete_name, verdict);
        }
    }
    listener.stop().await;
    Ok(report)
}

fn describe_signing(host: &SigningSettings, signing: &PlatformSigning) -> String {
    let verifies = if signing.host_verifies {
        "verified by the host"
    } else {
        "not verified by the host"
    };
    format!(
        "{} {} {} {}, {verifies}",
        host.algorithm, host.hash, host.encoding, host.timespec
    )
}

fn status_verdict(answer: &Answer, app_id: &str, client_id: &str, id: &str) -> Verdict {
    if answer.status != 200 {
        return Verdict::Fail(format!("expected HTTP 200, got {}", answer.describe()));
    }
    let body = &answer.body;
    let fields_ok = body["app_id"] == app_id
        && body["client_id"] == client_id
        && body["order_payment_id"] == id
        && body.get("payment_fail_reason").is_some();
    let status = body["payment_status"].as_str().unwrap_or_default();
    if !fields_ok {
        return Verdict::Fail(format!(
            "expected app_id, client_id, order_payment_id, payment_status, payment_fail_reason; got {}",
            answer.describe()
        ));
    }
    if status != "in_process" {
        return Verdict::Fail(format!(
            "expected payment_status in_process, got {status:?}"
        ));
    }
    Verdict::Pass
}

async fn connect(
    platform: &Platform,
    report: &mut Report,
    args: &SimulateBoxo,
    internal: Option<&Internal>,
    app_id: &str,
) {
    let name = "connect: auth code -> access token -> user data";
    let code = match (&args.auth_code, internal) {
        (Some(code), _) => code.clone(),
        (None, Some(internal)) => match internal.mint_auth_code(app_id).await {
            Ok(code) => code,
            Err(error) => {
                report.record(
                    name,
                    Verdict::Fail(format!("minting an auth code: {error}")),
                );
                return;
            }
        },
        (None, None) => {
            report.record(
                name,
                Verdict::Skip("no --auth-code and no --internal-url to mint one".to_owned()),
            );
            report.record(
                "connect: a code used twice: EXPIRED_AUTH_CODE",
                Verdict::Skip("no auth code".to_owned()),
            );
            return;
        }
    };
    let header_values = [
        ("X-Miniapp-App-ID", app_id.to_owned()),
        ("X-Hostapp-Client-ID", platform.client_id.clone()),
    ];
    let headers: &[(&str, String)] = &header_values;
    let exchange = |code: &str| {
        let raw = json!({ "auth_code": code }).to_string().into_bytes();
        async move {
            platform
                .call(Call {
                    method: reqwest::Method::POST,
                    path: "/boxo/v1/connect/access-token",
                    body: &raw,
                    authorization: &platform.authorization,
                    extra: headers,
                    nonce: None,
                    tamper: Tamper::None,
                })
                .await
                .map(|(answer, _)| answer)
        }
    };
    let verdict = match exchange(&code).await {
        Ok(answer) => match answer.body["access_token"].as_str() {
            Some(token) if answer.status == 200 && !token.is_empty() => {
                let authorization = format!("{} {token}", platform.auth_prefix);
                let data = platform
                    .call(Call {
                        method: reqwest::Method::POST,
                        path: "/boxo/v1/connect/user-data",
                        body: b"",
                        authorization: &authorization,
                        extra: headers,
                        nonce: None,
                        tamper: Tamper::None,
                    })
                    .await
                    .map(|(answer, _)| answer);
                match data {
                    Ok(data)
                        if data.status == 200
                            && data.body["user_data"]["reference"].is_string() =>
                    {
                        Verdict::Pass
                    }
                    Ok(data) => Verdict::Fail(format!(
                        "user-data: expected {{user_data: {{reference, ...}}}}, got {}",
                        data.describe()
                    )),
                    Err(error) => Verdict::Fail(error),
                }
            }
            _ => Verdict::Fail(format!(
                "access-token: expected {{access_token}}, got {}",
                answer.describe()
            )),
        },
        Err(error) => Verdict::Fail(error),
    };
    report.record(name, verdict);
    report.record(
        "connect: a code used twice: EXPIRED_AUTH_CODE",
        expect_code(exchange(&code).await, "EXPIRED_AUTH_CODE"),
    );
}

fn complete_order_verdict(
    call: &ReceivedCall,
    signing: &PlatformSigning,
    id: &str,
    app_id: &str,
    client_id: &str,
) -> Verdict {
    let body: Value = match serde_json::from_slice(&call.body) {
        Ok(body) => body,
        Err(error) => return Verdict::Fail(format!("the body is not JSON: {error}")),
    };
    for field in [
        "order_payment_id",
        "app_id",
        "client_id",
        "payment_status",
        "payment_fail_reason",
        "custom_attributes",
    ] {
        if body.get(field).is_none() {
            return Verdict::Fail(format!("the body has no {field}: {body}"));
        }
    }
    if body["order_payment_id"] != id || body["app_id"] != app_id || body["client_id"] != client_id
    {
        return Verdict::Fail(format!("the body names another payment or host: {body}"));
    }
    if !matches!(
        body["payment_status"].as_str(),
        Some("paid" | "failed" | "cancelled")
    ) {
        return Verdict::Fail(format!("payment_status is not final: {body}"));
    }
    let Some(verifier) = &signing.verifier else {
        return if signing.signer.is_none() && call.header("X-Signature").is_none() {
            Verdict::Pass
        } else {
            Verdict::Skip(
                "received, but no key to verify its signature (--host-public-key)".to_owned(),
            )
        };
    };
    let lookup = |name: &str| call.header(name);
    match verifier.verify(
        lookup,
        &IncomingRequest {
            method: &call.method,
            url: &call.url,
            body: &call.body,
        },
        Utc::now(),
    ) {
        Ok(_) => Verdict::Pass,
        Err(error) => Verdict::Fail(format!("{}: {error}", error.code())),
    }
}

/// hostpay's internal API, when the simulator may use it.
struct Internal {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Internal {
    async fn post(&self, path: &str, body: &Value) -> Result<Value, String> {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .map_err(|error| error.to_string())?;
        let status = response.status();
        let body: Value = response.json().await.map_err(|error| error.to_string())?;
        if status.is_success() {
            Ok(body["data"].clone())
        } else {
            Err(format!("HTTP {status} {body}"))
        }
    }

    async fn register_app(&self) -> Result<String, String> {
        let data = self
            .post("/internal/v1/apps", &json!({"name": "Boxo simulator"}))
            .await?;
        data["app_id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no app_id in {data}"))
    }

    async fn mint_auth_code(&self, app_id: &str) -> Result<String, String> {
        let data = self
            .post(
                "/internal/v1/connect/auth-codes",
                &json!({
                    "user_id": "simulator-user",
                    "app_id": app_id,
                    "user_data": {"email": "simulator@example.com", "first_name": "Sim"},
                }),
            )
            .await?;
        data["auth_code"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no auth_code in {data}"))
    }

    async fn settle(&self, payment_id: &str) -> Result<(), String> {
        self.post(
            &format!("/internal/v1/payments/{payment_id}/settle"),
            &json!({"status": "paid"}),
        )
        .await
        .map(|_| ())
    }
}

#[cfg(test)]
mod debug_tests {
    use super::*;

    #[test]
    fn debug_hides_the_auth_code_and_the_admin_token() {
        let args = SimulateBoxo {
            target: "http://127.0.0.1:8080".to_owned(),
            listen: "127.0.0.1:9099".parse().unwrap(),
            auth_code: Some("ac_secret-code-never-printed".to_owned()),
            app_id: Some("app_1".to_owned()),
            internal_url: None,
            admin_token: Some("admin-token-never-printed".to_owned()),
            platform_private_key: None,
            host_public_key: None,
            wait_seconds: 60,
        };
        let shown = format!("{args:?}");
        assert!(!shown.contains("never-printed"), "{shown}");
        assert!(shown.contains("********"), "{shown}");
        assert!(shown.contains("app_1"), "{shown}");
    }
}
