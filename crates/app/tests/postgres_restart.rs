//! Chaos: PostgreSQL restarts under load (issue 10, "Outages"; api.md section 3).
//!
//! Starts its own throwaway PostgreSQL cluster (initdb in a temporary folder, trust auth,
//! 127.0.0.1 and a free port only; never the shared server), runs `hostpay serve` on it,
//! and lets 8 clients create and read payments for about 9 s while the cluster is
//! restarted (`pg_ctl -m fast restart`) 3 s in. A client that gets a 503, a connection
//! error or a timeout sends the same request (same `Idempotency-Key`) again after
//! `Retry-After`, until it has a final answer. Then:
//!
//! * no response was a 5xx other than 503 (and every 503 is `UNAVAILABLE` with
//!   `Retry-After`);
//! * every 201 reads back (200, same amount), before and after the restart;
//! * every `Idempotency-Key` ended as exactly one payment: a replay returns the same id,
//!   and the user's payment list holds each key's payment once and nothing else;
//! * a retry after a 503 never finds its key still held (409 `IDEMPOTENCY_IN_PROGRESS`):
//!   a key whose request failed that way is free to retry at once;
//! * requests succeed again within 10 s of the restart completing;
//! * the server is still alive (answers `/healthz`, stops cleanly on SIGTERM).
//!
//! Whether the restart was visible to the clients (503s, connection errors) or transparent
//! is printed, not asserted. Needs Debian's PostgreSQL binaries (`/usr/lib/postgresql/*/bin`;
//! `scripts/test.sh` installs them): fails, never skips, without them. As root, the cluster
//! runs as the `postgres` user. Run with
//! `cargo test -p hostpay-app --test postgres_restart -- --nocapture` to see the numbers.
//!
//! A binary of its own (the app's other tests are `tests/app/`): it owns a PostgreSQL
//! cluster's lifecycle and asserts recovery times, so it runs alone, not beside the
//! other tests' servers and load on the same cores.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use hostpay_testkit::process::{app_auth, free_port, Server, ADMIN_TOKEN};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};

/// Concurrent clients.
const CLIENTS: usize = 8;
/// How long the clients start new payments.
const LOAD: Duration = Duration::from_secs(9);
/// When the cluster restarts (from the start of the load).
const RESTART_AT: Duration = Duration::from_secs(3);
/// How long a client keeps retrying one request before it gives up (a failure).
const FINAL_ANSWER_WITHIN: Duration = Duration::from_secs(30);
/// How soon after the restart completed requests must succeed again.
const RECOVERY_WITHIN: Duration = Duration::from_secs(10);
/// One HTTP request's limit (a timeout counts as a connection-level failure).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Pause before retrying after a connection error, a timeout or a 409 in progress.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

static CLUSTERS: AtomicU32 = AtomicU32::new(0);

/// A throwaway PostgreSQL cluster: stopped (`-m immediate`) and deleted on drop, also when
/// the test panics.
struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    /// Run as root: the binaries run as `postgres` (initdb refuses root).
    as_postgres: bool,
}

/// The newest `/usr/lib/postgresql/<version>/bin` holding an `initdb`.
fn postgres_bindir() -> Option<PathBuf> {
    let mut found: Vec<(Vec<u64>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let version = name
                .split('.')
                .map(|part| part.parse::<u64>().ok())
                .collect::<Option<Vec<u64>>>()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

fn describe(output: &Output) -> String {
    format!(
        "{}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

impl Cluster {
    /// initdb + start on a free port; panics (never skips) when PostgreSQL is not installed.
    fn start() -> Cluster {
        let bin = postgres_bindir().unwrap_or_else(|| {
            panic!(
                "the PostgreSQL restart test needs PostgreSQL's server binaries (initdb, pg_ctl) \
                 in /usr/lib/postgresql/<version>/bin and found none: install Debian's \
                 postgresql (`apt-get install postgresql`; scripts/test.sh installs it)"
            )
        });
        let as_postgres = is_root();
        if as_postgres {
            let known = Command::new("id")
                .arg("postgres")
                .output()
                .map(|out| out.status.success())
                .unwrap_or(false);
            assert!(
                known,
                "running as root, the throwaway cluster runs as the `postgres` user, which \
                 does not exist: install Debian's postgresql (scripts/test.sh installs it)"
            );
        }
        let dir = std::env::temp_dir().join(format!(
            "hostpay-chaos-pg-{}-{}-{}",
            std::process::id(),
            CLUSTERS.fetch_add(1, Ordering::SeqCst),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        // From here on, Drop cleans up.
        let cluster = Cluster {
            dir,
            bin,
            port: free_port(),
            as_postgres,
        };
        if as_postgres {
            let output = Command::new("chown")
                .arg("postgres")
                .arg(&cluster.dir)
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "chown postgres {}: {}",
                cluster.dir.display(),
                describe(&output)
            );
        }
        let output = cluster
            .command("initdb")
            .arg("-D")
            .arg(cluster.data())
            .args(["-A", "trust", "-U", "postgres", "-N"])
            .output()
            .unwrap();
        assert!(output.status.success(), "initdb: {}", describe(&output));
        cluster
            .pg_ctl(&["-w", "start"])
            .unwrap_or_else(|error| panic!("{error}"));
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn log(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// `<bin>/<program>`, as the `postgres` user when running as root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        };
        command.current_dir(&self.dir);
        command
    }

    /// `pg_ctl -D <data> -l <log> -o <options> <args>`; the error carries the server log.
    fn pg_ctl(&self, args: &[&str]) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.display()
        );
        let output = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.log())
            .args(["-o", &options])
            .args(args)
            .output()
            .map_err(|error| format!("pg_ctl {args:?}: {error}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "pg_ctl {args:?} failed: {}\nserver log:\n{}",
                describe(&output),
                std::fs::read_to_string(self.log()).unwrap_or_default()
            ))
        }
    }

    /// `pg_ctl -m fast restart -w`: stops (disconnecting every session) and starts again.
    fn restart(&self) -> Result<(), String> {
        self.pg_ctl(&["-m", "fast", "-w", "restart"])
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What one client saw.
#[derive(Default)]
struct Tally {
    requests: u64,
    statuses: BTreeMap<u16, u64>,
    unavailable: u64,
    connection_errors: u64,
    timeouts: u64,
    in_progress: u64,
    /// 409 `IDEMPOTENCY_IN_PROGRESS` answered to a retry whose previous attempt got a 503
    /// (nothing of ours in flight): api.md says such a key is free to retry at once.
    in_progress_after_503: Vec<String>,
    replays: u64,
    /// Responses or outcomes that break the contract (a 500, a 503 without `Retry-After`,
    /// a wrong amount, no final answer...).
    bad: Vec<String>,
    /// (logical payment key, user, payment id, amount) for every 201.
    created: Vec<(String, String, String, String)>,
}

/// What the clients share.
struct Shared {
    public: String,
    auth: String,
    http: reqwest::Client,
    start: Instant,
    restart_started: OnceLock<Instant>,
    restart_done: OnceLock<Instant>,
    /// The first success received after the restart completed.
    first_success_after_restart: Mutex<Option<Instant>>,
    /// The first and last failures (503, connection error, timeout) seen.
    failures: Mutex<Option<(Instant, Instant)>>,
}

impl Shared {
    fn failed(&self) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap();
        *failures = Some(match *failures {
            Some((first, _)) => (first, now),
            None => (now, now),
        });
    }

    fn succeeded(&self) {
        let now = Instant::now();
        if let Some(done) = self.restart_done.get() {
            if now >= *done {
                let mut first = self.first_success_after_restart.lock().unwrap();
                if first.is_none() {
                    *first = Some(now);
                }
            }
        }
    }

    /// Sends `make()` until a final answer: retries the same request after a 503 (after
    /// `Retry-After`), a connection error, a timeout or a 409 `IDEMPOTENCY_IN_PROGRESS`;
    /// another 5xx is recorded as bad and retried too. Errors: no final answer in time.
    async fn call(
        &self,
        tally: &mut Tally,
        what: &str,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<(u16, HeaderMap, Value), String> {
        let began = Instant::now();
        let mut previous_503 = false;
        loop {
            if began.elapsed() > FINAL_ANSWER_WITHIN {
                return Err(format!(
                    "{what}: no final answer within {FINAL_ANSWER_WITHIN:?}"
                ));
            }
            tally.requests += 1;
            let response = match make().send().await {
                Ok(response) => response,
                Err(error) => {
                    if error.is_timeout() {
                        tally.timeouts += 1;
                    } else {
                        tally.connection_errors += 1;
                    }
                    previous_503 = false;
                    self.failed();
                    tokio::time::sleep(RETRY_PAUSE).await;
                    continue;
                }
            };
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let text = match response.text().await {
                Ok(text) => text,
                Err(error) => {
                    if error.is_timeout() {
                        tally.timeouts += 1;
                    } else {
                        tally.connection_errors += 1;
                    }
                    previous_503 = false;
                    self.failed();
                    tokio::time::sleep(RETRY_PAUSE).await;
                    continue;
                }
            };
            *tally.statuses.entry(status).or_default() += 1;
            let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let code = body["error"]["code"].as_str().unwrap_or_default();
            match status {
                503 => {
                    previous_503 = true;
                    tally.unavailable += 1;
                    self.failed();
                    let retry_after = headers
                        .get("retry-after")
                        .and_then(|value| value.to_str().ok())
                        .and_then(|value| value.trim().parse::<u64>().ok());
                    if retry_after.is_none() || code != "UNAVAILABLE" {
                        tally.bad.push(format!(
                            "{what}: 503 without `Retry-After: <seconds>` or code UNAVAILABLE \
                             (Retry-After {:?}): {text}",
                            headers.get("retry-after")
                        ));
                    }
                    let wait = Duration::from_secs(retry_after.unwrap_or(1).min(5));
                    tokio::time::sleep(wait).await;
                }
                500..=599 => {
                    previous_503 = false;
                    tally.bad.push(format!("{what}: {status} {text}"));
                    self.failed();
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                409 if code == "IDEMPOTENCY_IN_PROGRESS" => {
                    tally.in_progress += 1;
                    if previous_503 {
                        tally.in_progress_after_503.push(format!(
                            "{what}: 409 IDEMPOTENCY_IN_PROGRESS right after a 503 (at {:?})",
                            self.start.elapsed()
                        ));
                    }
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                _ => {
                    if (200..300).contains(&status) {
                        self.succeeded();
                    }
                    return Ok((status, headers, body));
                }
            }
        }
    }

    fn create(&self, key: &str, user: &str, amount: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}/api/v1/payments", self.public))
            .header("Authorization", &self.auth)
            .header("Idempotency-Key", key)
            .json(&json!({
                "user_id": user,
                "amount": amount,
                "currency": "USD",
                "description": key,
            }))
    }

    fn read(&self, id: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}/api/v1/payments/{id}", self.public))
            .header("Authorization", &self.auth)
    }

    /// GET the payment: must be 200 with `amount`; records what else it got.
    async fn read_back(&self, tally: &mut Tally, id: &str, amount: &str) {
        let what = format!("GET {id}");
        match self.call(tally, &what, || self.read(id)).await {
            Ok((200, _, body))
                if body["data"]["id"] == json!(id) && body["data"]["amount"] == json!(amount) => {}
            Ok((status, _, body)) => tally.bad.push(format!(
                "{what}: expected 200 with amount {amount}, got {status} {body}"
            )),
            Err(error) => tally.bad.push(error),
        }
    }
}

/// One client: new payments until the load ends, each read back after its 201.
async fn client_loop(shared: Arc<Shared>, client: usize) -> Tally {
    let mut tally = Tally::default();
    let user = format!("chaos-user-{client}");
    let mut n = 0u64;
    while shared.start.elapsed() < LOAD {
        let key = format!("chaos-{client}-{n}");
        let amount = format!("{}.{:02}", client + 1, n % 100);
        let what = format!("POST payment {key}");
        match shared
            .call(&mut tally, &what, || shared.create(&key, &user, &amount))
            .await
        {
            Ok((201, headers, body)) => {
                let id = body["data"]["id"].as_str().unwrap_or_default().to_owned();
                if headers.get("idempotent-replayed").is_some() {
                    tally.replays += 1;
                }
                if id.is_empty() || body["data"]["amount"] != json!(amount) {
                    tally
                        .bad
                        .push(format!("{what}: 201 without id or amount {amount}: {body}"));
                } else {
                    tally
                        .created
                        .push((key.clone(), user.clone(), id.clone(), amount.clone()));
                    shared.read_back(&mut tally, &id, &amount).await;
                }
            }
            Ok((status, _, body)) => tally
                .bad
                .push(format!("{what}: expected 201, got {status} {body}")),
            Err(error) => tally.bad.push(error),
        }
        n += 1;
    }
    tally
}

/// After the load: every 201 reads back, a replay of its key gives the same id, and the
/// user's list holds each key's payment exactly once.
async fn verify_client(
    shared: Arc<Shared>,
    created: Vec<(String, String, String, String)>,
) -> Tally {
    let mut tally = Tally::default();
    let mut expected: HashMap<String, String> = HashMap::new();
    let mut user = String::new();
    for (key, owner, id, amount) in &created {
        shared.read_back(&mut tally, id, amount).await;
        let what = format!("replay of {key}");
        match shared
            .call(&mut tally, &what, || shared.create(key, owner, amount))
            .await
        {
            Ok((201, headers, body)) if body["data"]["id"] == json!(id) => {
                if headers.get("idempotent-replayed").map(|v| v.as_bytes()) != Some(b"true") {
                    tally
                        .bad
                        .push(format!("{what}: 201 without `Idempotent-Replayed: true`"));
                }
            }
            Ok((status, _, body)) => tally.bad.push(format!(
                "{what}: expected 201 replaying {id}, got {status} {body}"
            )),
            Err(error) => tally.bad.push(error),
        }
        expected.insert(key.clone(), id.clone());
        user.clone_from(owner);
    }
    if user.is_empty() {
        return tally;
    }
    // The user's payments: exactly one per key, and no payment without a 201.
    let mut listed: HashMap<String, Vec<String>> = HashMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{}/api/v1/users/{user}/payments?limit=100", shared.public);
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let what = format!("list {user}");
        let page = shared
            .call(&mut tally, &what, || {
                shared.http.get(&url).header("Authorization", &shared.auth)
            })
            .await;
        let body = match page {
            Ok((200, _, body)) => body,
            Ok((status, _, body)) => {
                tally
                    .bad
                    .push(format!("{what}: expected 200, got {status} {body}"));
                return tally;
            }
            Err(error) => {
                tally.bad.push(error);
                return tally;
            }
        };
        for item in body["data"]["items"].as_array().into_iter().flatten() {
            let key = item["description"].as_str().unwrap_or_default().to_owned();
            let id = item["id"].as_str().unwrap_or_default().to_owned();
            listed.entry(key).or_default().push(id);
        }
        match body["data"]["next_cursor"].as_str() {
            Some(next) if body["data"]["has_more"] == json!(true) => cursor = Some(next.to_owned()),
            _ => break,
        }
    }
    for (key, ids) in &listed {
        match expected.get(key) {
            Some(id) if ids == std::slice::from_ref(id) => {}
            Some(id) => tally.bad.push(format!(
                "{key}: answered {id}, but {user}'s list holds {ids:?}"
            )),
            None => tally.bad.push(format!(
                "{user}'s list holds {ids:?} for {key:?}, which never got a 201"
            )),
        }
    }
    for (key, id) in &expected {
        if !listed.contains_key(key) {
            tally
                .bad
                .push(format!("{key}: {id} is missing from {user}'s list"));
        }
    }
    tally
}

fn add(total: &mut Tally, part: Tally) {
    total.requests += part.requests;
    for (status, count) in part.statuses {
        *total.statuses.entry(status).or_default() += count;
    }
    total.unavailable += part.unavailable;
    total.connection_errors += part.connection_errors;
    total.timeouts += part.timeouts;
    total.in_progress += part.in_progress;
    total
        .in_progress_after_503
        .extend(part.in_progress_after_503);
    total.replays += part.replays;
    total.bad.extend(part.bad);
    total.created.extend(part.created);
}

fn summary(label: &str, tally: &Tally) -> String {
    format!(
        "{label}: {} requests, statuses {:?}, {} x 201 created, {} x 503, {} connection errors, \
         {} timeouts, {} x 409 IDEMPOTENCY_IN_PROGRESS ({} right after a 503), {} replays, \
         {} bad",
        tally.requests,
        tally.statuses,
        tally.created.len(),
        tally.unavailable,
        tally.connection_errors,
        tally.timeouts,
        tally.in_progress,
        tally.in_progress_after_503.len(),
        tally.replays,
        tally.bad.len()
    )
}

/// What the server logged: its ERROR lines, and the distinct reasons (with counts) of the
/// 503s it answered.
fn server_log_digest(server: &Server) -> (Vec<String>, BTreeMap<String, usize>) {
    let logs = server.logs();
    let errors = logs
        .lines()
        .filter(|line| line.contains("\"level\":\"ERROR\""))
        .map(str::to_owned)
        .collect();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for line in logs.lines().filter(|line| line.contains("answering 503")) {
        let parsed: Value = serde_json::from_str(line).unwrap_or(Value::Null);
        let reason = match (parsed["error"].as_str(), parsed["span"]["method"].as_str()) {
            (Some(error), Some(method)) => format!("{method}: {error}"),
            _ => line.to_owned(),
        };
        *reasons.entry(reason).or_default() += 1;
    }
    (errors, reasons)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgres_restart_under_load_answers_503_loses_nothing_and_recovers() {
    let cluster = Cluster::start();
    let url = cluster.url();
    let mut server = Server::start(&[
        ("HOSTPAY__DATABASE__URL", &url),
        ("HOSTPAY__DATABASE__MIGRATE_ON_START", "true"),
        ("HOSTPAY__RATE_LIMIT__PER_SECOND", "100000"),
        ("HOSTPAY__RATE_LIMIT__BURST", "100000"),
    ]);
    server.wait_up().await;
    let admin = hostpay_testkit::process::client();
    let (status, _, body) = hostpay_testkit::process::send(
        admin
            .post(format!("{}/internal/v1/apps", server.internal))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({"name": "Chaos Shop"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let auth = app_auth(
        body["data"]["app_id"].as_str().unwrap(),
        body["data"]["secret_key"].as_str().unwrap(),
    );

    let shared = Arc::new(Shared {
        public: server.public.clone(),
        auth,
        http: reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .pool_max_idle_per_host(CLIENTS)
            .build()
            .unwrap(),
        start: Instant::now(),
        restart_started: OnceLock::new(),
        restart_done: OnceLock::new(),
        first_success_after_restart: Mutex::new(None),
        failures: Mutex::new(None),
    });
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| tokio::spawn(client_loop(shared.clone(), client)))
        .collect();

    tokio::time::sleep(RESTART_AT.saturating_sub(shared.start.elapsed())).await;
    shared.restart_started.set(Instant::now()).unwrap();
    let restarted = tokio::task::block_in_place(|| cluster.restart());
    shared.restart_done.set(Instant::now()).unwrap();
    if let Err(error) = restarted {
        panic!("{error}");
    }

    let mut load = Tally::default();
    let mut per_client = Vec::new();
    for handle in clients {
        let tally = handle.await.expect("a client panicked");
        per_client.push(tally.created.clone());
        add(&mut load, tally);
    }
    let load_took = shared.start.elapsed();

    let started = shared.start;
    let restart_started = *shared.restart_started.get().unwrap();
    let restart_done = *shared.restart_done.get().unwrap();
    let at = |instant: Instant| instant.saturating_duration_since(started);
    let first_success = *shared.first_success_after_restart.lock().unwrap();
    let failures = *shared.failures.lock().unwrap();

    let verifiers: Vec<_> = per_client
        .into_iter()
        .map(|created| tokio::spawn(verify_client(shared.clone(), created)))
        .collect();
    let mut verify = Tally::default();
    for handle in verifiers {
        add(&mut verify, handle.await.expect("a verifier panicked"));
    }

    let health = admin
        .get(format!("{}/healthz", server.public))
        .send()
        .await
        .map(|response| response.status().as_u16())
        .map_err(|error| error.to_string());
    let (error_lines, reasons_503) = server_log_digest(&server);

    // The numbers, whatever the outcome.
    let visible = load.unavailable + load.connection_errors + load.timeouts;
    let recovery = first_success.map(|first| first.saturating_duration_since(restart_done));
    println!("{}", summary("load", &load));
    println!("{}", summary("verification", &verify));
    println!(
        "restart: started at {:?}, done at {:?} (took {:?}); load ran {:?}",
        at(restart_started),
        at(restart_done),
        restart_done - restart_started,
        load_took
    );
    match failures {
        Some((first, last)) => println!(
            "the restart was visible: {visible} failures (503 {}, connection errors {}, \
             timeouts {}) from {:?} to {:?}",
            load.unavailable,
            load.connection_errors,
            load.timeouts,
            at(first),
            at(last)
        ),
        None => println!("the restart was transparent: no 503, connection error or timeout"),
    }
    println!(
        "first success after the restart completed: {:?} later",
        recovery
    );
    println!(
        "server log: {} lines 'answering 503', {} ERROR lines",
        reasons_503.values().sum::<usize>(),
        error_lines.len()
    );
    for (reason, count) in &reasons_503 {
        println!("  503 x {count}: {reason}");
    }
    for line in error_lines.iter().take(10) {
        println!("  {line}");
    }

    let mut problems: Vec<String> = Vec::new();
    problems.extend(load.bad.iter().cloned());
    // api.md: a key whose request got a 503 is free to retry at once.
    problems.extend(load.in_progress_after_503.iter().cloned());
    problems.extend(verify.bad.iter().cloned());
    if load.created.is_empty() {
        problems.push("no payment was created at all".to_owned());
    }
    match recovery {
        Some(recovery) if recovery < RECOVERY_WITHIN => {}
        Some(recovery) => problems.push(format!(
            "the first success came {recovery:?} after the restart completed (limit {RECOVERY_WITHIN:?})"
        )),
        None => problems.push("no request succeeded after the restart completed".to_owned()),
    }
    if health != Ok(200) {
        problems.push(format!("/healthz after the load: {health:?}"));
    }
    if !problems.is_empty() {
        let shown: Vec<&String> = problems.iter().take(30).collect();
        panic!(
            "{} problems (first {}):\n{}\nserver ERROR lines ({}):\n{}\npostgres log:\n{}",
            problems.len(),
            shown.len(),
            shown
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            error_lines.len(),
            error_lines
                .iter()
                .take(30)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n"),
            std::fs::read_to_string(cluster.log()).unwrap_or_default()
        );
    }
    let exit = server.stop();
    assert!(
        exit.success(),
        "hostpay did not stop cleanly after the restart ({exit}):\n{}",
        server.logs()
    );
    let dir = cluster.dir.clone();
    drop(cluster);
    assert!(!dir.exists(), "{} is still there", dir.display());
}
