//! The `hostpay` binary as a process: run as a command or as a server on free ports in a
//! temporary folder, and a small HTTP client for it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::Value;

pub use super::auth::{token_header as app_auth, ADMIN_TOKEN, HASH_KEY};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A temporary folder, removed on drop.
pub struct TempDir(#[doc = "The folder."] pub PathBuf);

impl TempDir {
    /// Creates a fresh folder under the system's temporary folder.
    #[allow(clippy::new_without_default)]
    pub fn new() -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "hostpay-app-test-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// `sqlite:///<dir>/<name>`.
    pub fn sqlite_url(&self, name: &str) -> String {
        format!("sqlite://{}", self.0.join(name).display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `hostpay` binary Cargo built for these tests: `HOSTPAY_BIN` when set, else
/// `hostpay` in the profile folder (`target/debug`) above the running test executable
/// (`target/debug/deps/...`), where Cargo puts a package's binaries before it runs the
/// package's integration tests (what `CARGO_BIN_EXE_hostpay` names, which only the app
/// crate's own tests can read).
pub fn hostpay_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("HOSTPAY_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap_or_else(|error| panic!("current_exe: {error}"));
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .unwrap_or_else(|| panic!("{} has no profile folder", exe.display()));
    let binary = profile.join(format!("hostpay{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.is_file(),
        "no hostpay binary at {} (run the app crate's tests through cargo, or set HOSTPAY_BIN)",
        binary.display()
    );
    binary
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The `hostpay` binary with a clean environment plus `env`.
pub fn hostpay(env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(hostpay_binary());
    command.env_clear();
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// Runs `hostpay args...` and returns its output.
pub fn run(env: &[(&str, &str)], args: &[&str]) -> Output {
    hostpay(env).args(args).output().unwrap()
}

/// Runs a command that must succeed; returns its stdout.
pub fn run_ok(env: &[(&str, &str)], args: &[&str]) -> String {
    let output = run(env, args);
    assert!(
        output.status.success(),
        "hostpay {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Runs a `--json` command that must succeed; returns the parsed JSON.
pub fn run_json(env: &[(&str, &str)], args: &[&str]) -> Value {
    let stdout = run_ok(env, args);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

/// A running `hostpay serve`, stopped (SIGTERM, then kill) on drop.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:<port>` of the public listener.
    pub public: String,
    /// `http://127.0.0.1:<port>` of the internal listener.
    pub internal: String,
    /// The file the server logs into.
    pub log: PathBuf,
    /// Its temporary folder (the SQLite database, the log).
    pub dir: TempDir,
    /// The environment it runs with.
    pub env: Vec<(String, String)>,
}

impl Server {
    /// Starts `hostpay serve` on free ports, a fresh SQLite database (unless `extra` sets
    /// `HOSTPAY__DATABASE__URL`), JSON logs into `<dir>/hostpay.log`.
    pub fn start(extra: &[(&str, &str)]) -> Server {
        let dir = TempDir::new();
        let (public_port, internal_port) = (free_port(), free_port());
        let mut env: Vec<(String, String)> = vec![
            (
                "HOSTPAY__DATABASE__URL".into(),
                dir.sqlite_url("hostpay.db"),
            ),
            (
                "HOSTPAY__SERVER__BIND".into(),
                format!("127.0.0.1:{public_port}"),
            ),
            (
                "HOSTPAY__SERVER__PUBLIC_URL".into(),
                format!("http://127.0.0.1:{public_port}"),
            ),
            (
                "HOSTPAY__INTERNAL__BIND".into(),
                format!("127.0.0.1:{internal_port}"),
            ),
            ("HOSTPAY__INTERNAL__ADMIN_TOKEN".into(), ADMIN_TOKEN.into()),
            ("HOSTPAY__SECURITY__HASH_KEY".into(), HASH_KEY.into()),
            ("HOSTPAY__LOG__FORMAT".into(), "json".into()),
        ];
        for (key, value) in extra {
            env.retain(|(k, _)| k != key);
            env.push(((*key).to_owned(), (*value).to_owned()));
        }
        let log = dir.path().join("hostpay.log");
        let file = std::fs::File::create(&log).unwrap();
        let mut command = Command::new(hostpay_binary());
        command
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file);
        let child = command.spawn().unwrap();
        Server {
            child: Some(child),
            public: format!("http://127.0.0.1:{public_port}"),
            internal: format!("http://127.0.0.1:{internal_port}"),
            log,
            dir,
            env,
        }
    }

    /// The environment the server runs with (for CLI calls on the same database).
    pub fn env(&self) -> Vec<(&str, &str)> {
        self.env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// Waits until `/healthz` answers on both listeners (the process may take a while
    /// to migrate); panics with the log when it exits or never answers.
    pub async fn wait_up(&mut self) {
        let client = client();
        for _ in 0..600 {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!("hostpay exited with {status}:\n{}", self.logs());
            }
            let public = client.get(format!("{}/healthz", self.public)).send().await;
            let internal = client
                .get(format!("{}/healthz", self.internal))
                .send()
                .await;
            if matches!((&public, &internal), (Ok(a), Ok(b)) if a.status() == 200 && b.status() == 200)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("hostpay never answered /healthz:\n{}", self.logs());
    }

    /// Sends SIGTERM and waits for the exit.
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        child.wait().unwrap()
    }

    /// Everything the server logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// An HTTP client (installs the rustls provider reqwest needs).
pub fn client() -> reqwest::Client {
    hostpay_upstream::install_crypto_provider();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Sends a request and returns (status, headers, JSON body or Null).
pub async fn send(request: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, headers, body)
}
