//! The hosted payment sheet in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`) through chromedriver and fantoccini, against the app on a real
//! listener. Clicking Pay makes the payment `paid`; "Simulate decline" makes it `failed`
//! (both read back through the miniapp API). A missing chromedriver fails the test:
//! `scripts/test.sh` installs it.
//!
//! A binary of its own (the HTTP adapter's other tests are `tests/http/`): it drives a
//! chromedriver process group and a browser, with start-up deadlines, so it runs alone,
//! not beside a few hundred in-process tests on the same cores.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpServer};
use fantoccini::{Client, ClientBuilder, Locator};
use hostpay_http::{public_app, AppState, HttpSettings};
use hostpay_testkit::app::{Backend, Harness, ADMIN_TOKEN};

/// chromedriver in its own process group, killed (with every browser it started) on drop.
struct Driver {
    child: Child,
    port: u16,
    profile: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|error| panic!("no free port: {error}"))
}

impl Driver {
    fn start() -> Driver {
        let port = free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot start chromedriver ({error}); install Debian's browser with \
                     `apt-get install -y --no-install-recommends chromium chromium-driver` \
                     (scripts/test.sh does it)"
                )
            });
        let profile = TempDir(
            std::env::temp_dir().join(format!("hostpay-chromium-{}-{port}", std::process::id())),
        );
        let driver = Driver {
            child,
            port,
            profile,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen within 10 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }

    async fn client(&self) -> Client {
        let caps = serde_json::json!({ "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", format!("--user-data-dir={}", self.profile.0.display())]
        }});
        let caps = caps.as_object().cloned().unwrap_or_default();
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .unwrap_or_else(|error| panic!("cannot open a browser session: {error}"))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let pgid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) on the process group this driver started; no memory is touched.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until `#status` reads `status` (data-status), for at most 10 s.
async fn wait_for_status(client: &Client, status: &str) -> Result<String, String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let element = client
            .find(Locator::Css("#status"))
            .await
            .map_err(|error| error.to_string())?;
        let now = element
            .attr("data-status")
            .await
            .map_err(|error| error.to_string())?;
        if now.as_deref() == Some(status) {
            return element.text().await.map_err(|error| error.to_string());
        }
        if Instant::now() > deadline {
            return Err(format!("#status stayed {now:?}, expected {status}"));
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn click_and_read(button: &str, expected: &str) {
    let h = Harness::start(Backend::Memory).await;
    let state = AppState {
        services: h.services.clone(),
        settings: HttpSettings {
            admin_token: Some(ADMIN_TOKEN.to_owned()),
            ..HttpSettings::default()
        },
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|error| panic!("{error}"));
    let port = listener
        .local_addr()
        .unwrap_or_else(|error| panic!("{error}"))
        .port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .configure(public_app)
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap_or_else(|error| panic!("{error}"))
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let app = h.register_app("Pizza Planet").await;
    let (id, token) = h.new_payment(&app, "browser-user", "25.00").await;
    let url = format!("http://127.0.0.1:{port}/checkout/{id}?grant={token}");

    let driver = Driver::start();
    let outcome = tokio::time::timeout(Duration::from_secs(60), async {
        let client = driver.client().await;
        let result = async {
            client.goto(&url).await.map_err(|error| error.to_string())?;
            let heading = client
                .find(Locator::Css("h1"))
                .await
                .map_err(|error| error.to_string())?
                .text()
                .await
                .map_err(|error| error.to_string())?;
            if heading != "Pizza Planet" {
                return Err(format!("heading {heading}"));
            }
            wait_for_status(&client, "in_process").await?;
            client
                .find(Locator::Css(button))
                .await
                .map_err(|error| error.to_string())?
                .click()
                .await
                .map_err(|error| error.to_string())?;
            wait_for_status(&client, expected).await
        }
        .await;
        let _ = client.close().await;
        result
    })
    .await;
    drop(driver);
    handle.stop(true).await;
    let shown = match outcome {
        Ok(Ok(text)) => text,
        Ok(Err(error)) => panic!("browser: {error}"),
        Err(_) => panic!("the browser test took over 60 s"),
    };
    assert!(!shown.is_empty());
    let read = h.get_payment(&app, &id).await;
    read.assert_ok(200);
    assert_eq!(read.data()["status"], expected, "{}", read.text);
}

#[actix_web::test]
async fn clicking_pay_makes_the_payment_paid() {
    click_and_read("#pay", "paid").await;
}

#[actix_web::test]
async fn simulate_decline_makes_the_payment_failed() {
    click_and_read("#decline", "failed").await;
}

#[actix_web::test]
async fn cancel_makes_the_payment_cancelled() {
    click_and_read("#cancel", "cancelled").await;
}
