//! The HTTP harness (`spawn_app` in zero2prod's words): the real actix app (the public
//! and internal listeners' routes, as the binary builds them) over the testkit's
//! in-memory ports, or over the SQLite / PostgreSQL store from `hostpay-store` with the
//! testkit's clock, ids, sandbox processor and fakes; requests as a miniapp, as the host
//! (admin token) or anonymous, and the usual steps of a payment.

use std::rc::Rc;

use actix_web::dev::ServiceResponse;
use actix_web::middleware::from_fn;
use actix_web::test::{self, TestRequest};
use actix_web::{web, App};
use futures::future::LocalBoxFuture;
use hostpay_domain::services::{Ports, Services};
use hostpay_http::edge::control_chars::refuse_control_characters;
use hostpay_http::rate_limit::RateLimiter;
use hostpay_http::{internal_app, public_app, AppState, HttpSettings};
use hostpay_store::testing::{PgTestDb, SqliteTestDb};
use serde_json::{json, Value};

pub use super::auth::{token_header, ADMIN_TOKEN, BOXO_CLIENT_ID, BOXO_SECRET_KEY};
use crate::wiring::{in_memory_ports, test_settings, Handles};

/// Which store serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The testkit's `MemoryStore`.
    Memory,
    /// A temporary SQLite file.
    Sqlite,
    /// A fresh PostgreSQL database.
    Postgres,
}

type Caller = Rc<dyn Fn(TestRequest) -> LocalBoxFuture<'static, ServiceResponse>>;

/// A response, read.
#[derive(Debug, Clone)]
pub struct Resp {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: actix_web::http::header::HeaderMap,
    /// Body text.
    pub text: String,
    /// Body as JSON (`Null` when not JSON).
    pub json: Value,
}

impl Resp {
    /// `data` of the envelope.
    pub fn data(&self) -> &Value {
        &self.json["data"]
    }
    /// `error.code` of the envelope.
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    }
    /// Asserts an error envelope with this status and code.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "status of {}", self.text);
        assert_eq!(self.json["status_code"], status, "{}", self.text);
        assert_eq!(self.json["success"], false, "{}", self.text);
        assert_eq!(self.code(), code, "{}", self.text);
        assert!(
            self.header("content-type")
                .is_some_and(|value| value.starts_with("application/json")),
            "content type of {}",
            self.text
        );
    }
    /// Asserts a success envelope with this status.
    pub fn assert_ok(&self, status: u16) {
        assert_eq!(self.status, status, "status of {}", self.text);
        assert_eq!(self.json["status_code"], status, "{}", self.text);
        assert_eq!(self.json["success"], true, "{}", self.text);
        assert_eq!(
            self.json["result"], "Operation Completed Successfully",
            "{}",
            self.text
        );
    }
}

/// A registered miniapp.
#[derive(Debug, Clone)]
pub struct TestApp {
    /// `app_...`
    pub id: String,
    /// Its secret key.
    pub secret: String,
    /// Its webhook secret.
    pub webhook_secret: String,
}

impl TestApp {
    /// `Token base64(app_id:secret_key)`.
    pub fn auth(&self) -> String {
        token_header(&self.id, &self.secret)
    }
}

/// The running app.
pub struct Harness {
    /// The testkit handles (clock, ids, sandbox processor, fakes).
    pub handles: Handles,
    /// The services.
    pub services: Services,
    /// The ports the services run on.
    pub ports: Ports,
    /// Which store serves.
    pub backend: Backend,
    public: Caller,
    internal: Caller,
    _sqlite: Option<SqliteTestDb>,
    _postgres: Option<PgTestDb>,
}

async fn internal_caller(state: AppState) -> Caller {
    let app = App::new()
        .app_data(web::Data::new(state))
        .wrap(from_fn(refuse_control_characters))
        .configure(internal_app);
    let service = Rc::new(test::init_service(app).await);
    Rc::new(move |request| {
        let service = service.clone();
        Box::pin(async move {
            test::call_service(&*service, request.to_request())
                .await
                .map_into_boxed_body()
        })
    })
}

/// The public listener as the binary builds it: the per-miniapp rate limit in front.
async fn public_caller(state: AppState, limits: (u32, u32)) -> Caller {
    let app = App::new()
        .app_data(web::Data::new(state))
        .app_data(web::Data::new(RateLimiter::new(limits.0, limits.1)))
        .wrap(from_fn(refuse_control_characters))
        .configure(public_app);
    let service = Rc::new(test::init_service(app).await);
    Rc::new(move |request| {
        let service = service.clone();
        Box::pin(async move {
            test::call_service(&*service, request.to_request())
                .await
                .map_into_boxed_body()
        })
    })
}

impl Harness {
    /// Starts the app over `backend`.
    pub async fn start(backend: Backend) -> Harness {
        Harness::start_with(backend, Some(ADMIN_TOKEN)).await
    }

    /// Starts the app over `backend` with this admin token (or none).
    pub async fn start_with(backend: Backend, admin_token: Option<&str>) -> Harness {
        Harness::start_custom(backend, admin_token, |_| {}).await
    }

    /// Starts the app over `backend`, letting `customize` replace ports (a failing
    /// processor...).
    pub async fn start_custom(
        backend: Backend,
        admin_token: Option<&str>,
        customize: impl FnOnce(&mut Ports),
    ) -> Harness {
        Harness::build(backend, admin_token, (500, 1000), customize).await
    }

    /// Starts the app over `backend` with this rate limit (per second, burst).
    pub async fn start_limited(backend: Backend, per_second: u32, burst: u32) -> Harness {
        Harness::build(backend, Some(ADMIN_TOKEN), (per_second, burst), |_| {}).await
    }

    async fn build(
        backend: Backend,
        admin_token: Option<&str>,
        limits: (u32, u32),
        customize: impl FnOnce(&mut Ports),
    ) -> Harness {
        let (mut ports, handles) = in_memory_ports();
        let mut sqlite = None;
        let mut postgres = None;
        let url = match backend {
            Backend::Memory => None,
            Backend::Sqlite => {
                let db = SqliteTestDb::create();
                let url = db.url.clone();
                sqlite = Some(db);
                Some(url)
            }
            Backend::Postgres => {
                let db = PgTestDb::migrated().await;
                let url = db.url.clone();
                postgres = Some(db);
                Some(url)
            }
        };
        if let Some(url) = url {
            let store = hostpay_store::connect(&url, hostpay_store::StoreOptions::default())
                .await
                .unwrap_or_else(|error| panic!("cannot open the store at {url}: {error}"));
            ports.use_store(store.ports());
        }
        customize(&mut ports);
        let services = Services::new(ports.clone(), test_settings());
        let state = AppState {
            services: services.clone(),
            settings: HttpSettings {
                admin_token: admin_token.map(str::to_owned),
                rate_limit_per_second: limits.0,
                rate_limit_burst: limits.1,
                boxo: hostpay_http::BoxoSettings {
                    client_id: Some(BOXO_CLIENT_ID.to_owned()),
                    secret_key: Some(BOXO_SECRET_KEY.to_owned()),
                    ..hostpay_http::BoxoSettings::default()
                },
            },
        };
        Harness {
            handles,
            services,
            ports,
            backend,
            public: public_caller(state.clone(), limits).await,
            internal: internal_caller(state).await,
            _sqlite: sqlite,
            _postgres: postgres,
        }
    }

    async fn run(caller: &Caller, request: TestRequest) -> Resp {
        let response = caller(request).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = test::read_body(response).await;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            text,
            json,
        }
    }

    /// A request to the public listener.
    pub async fn public(&self, request: TestRequest) -> Resp {
        Harness::run(&self.public, request).await
    }

    /// A request to the internal listener.
    pub async fn internal(&self, request: TestRequest) -> Resp {
        Harness::run(&self.internal, request).await
    }

    /// An internal request with the admin token.
    pub async fn admin(&self, request: TestRequest) -> Resp {
        self.internal(request.insert_header(("Authorization", format!("Bearer {ADMIN_TOKEN}"))))
            .await
    }

    /// A miniapp API request as `app`.
    pub async fn as_app(&self, app: &TestApp, request: TestRequest) -> Resp {
        self.public(request.insert_header(("Authorization", app.auth())))
            .await
    }

    /// Registers a miniapp through the internal API.
    pub async fn register_app(&self, name: &str) -> TestApp {
        let resp = self
            .admin(
                TestRequest::post()
                    .uri("/internal/v1/apps")
                    .set_json(json!({ "name": name })),
            )
            .await;
        resp.assert_ok(201);
        TestApp {
            id: resp.data()["app_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            secret: resp.data()["secret_key"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            webhook_secret: resp.data()["webhook_secret"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        }
    }

    /// Mints a user token through the internal API.
    pub async fn mint(&self, app: &TestApp, user_id: &str) -> String {
        let resp = self
            .admin(
                TestRequest::post()
                    .uri("/internal/v1/user-tokens")
                    .set_json(json!({ "user_id": user_id, "app_id": app.id })),
            )
            .await;
        resp.assert_ok(201);
        resp.data()["token"].as_str().unwrap_or_default().to_owned()
    }

    /// Creates a payment for `user_id` of `amount` USD; returns the response.
    pub async fn create_payment(&self, app: &TestApp, user_id: &str, amount: &str) -> Resp {
        self.as_app(
            app,
            TestRequest::post().uri("/api/v1/payments").set_json(json!({
                "user_id": user_id,
                "amount": amount,
                "currency": "USD",
                "description": "Two pizzas",
                "items": [{"product_name": "Margherita", "quantity": 2, "price": "12.50"}],
            })),
        )
        .await
    }

    /// Creates a payment and returns `(payment_id, session_token)`: what the miniapp
    /// holds (view and cancel only).
    pub async fn new_session(
        &self,
        app: &TestApp,
        user_id: &str,
        amount: &str,
    ) -> (String, String) {
        let resp = self.create_payment(app, user_id, amount).await;
        resp.assert_ok(201);
        (
            resp.data()["id"].as_str().unwrap_or_default().to_owned(),
            resp.data()["session"]["token"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    }

    /// Creates a payment and returns `(payment_id, pay_grant)`: the grant the host mints
    /// for the payment's user, which can pay (and cancel).
    pub async fn new_payment(
        &self,
        app: &TestApp,
        user_id: &str,
        amount: &str,
    ) -> (String, String) {
        let (id, _) = self.new_session(app, user_id, amount).await;
        let grant = self.grant(&id, user_id).await;
        grant.assert_ok(201);
        let grant = grant.data()["grant"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        (id, grant)
    }

    /// `POST /internal/v1/payments/{payment_id}/grants` for `user_id`.
    pub async fn grant(&self, payment_id: &str, user_id: &str) -> Resp {
        self.admin(
            TestRequest::post()
                .uri(&format!("/internal/v1/payments/{payment_id}/grants"))
                .set_json(json!({ "user_id": user_id })),
        )
        .await
    }

    /// Confirms through checkout with an optional body.
    pub async fn confirm(&self, payment_id: &str, token: &str, body: Option<Value>) -> Resp {
        let mut request = TestRequest::post()
            .uri(&format!("/checkout/{payment_id}/confirm"))
            .insert_header(("Authorization", format!("Bearer {token}")));
        if let Some(body) = body {
            request = request.set_json(body);
        }
        self.public(request).await
    }

    /// A paid payment: `(payment_id, pay_grant)`.
    pub async fn paid_payment(
        &self,
        app: &TestApp,
        user_id: &str,
        amount: &str,
    ) -> (String, String) {
        let (id, token) = self.new_payment(app, user_id, amount).await;
        self.confirm(&id, &token, None).await.assert_ok(200);
        (id, token)
    }

    /// Reads a payment through the miniapp API.
    pub async fn get_payment(&self, app: &TestApp, payment_id: &str) -> Resp {
        self.as_app(
            app,
            TestRequest::get().uri(&format!("/api/v1/payments/{payment_id}")),
        )
        .await
    }

    /// Refunds through the miniapp API.
    pub async fn refund(&self, app: &TestApp, payment_id: &str, body: Value) -> Resp {
        self.as_app(
            app,
            TestRequest::post()
                .uri(&format!("/api/v1/payments/{payment_id}/refunds"))
                .set_json(body),
        )
        .await
    }
}
