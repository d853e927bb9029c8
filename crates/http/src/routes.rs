//! The route table of both listeners: every operation a listener serves is declared once,
//! as an [`Endpoint`], and both the router and that listener's OpenAPI document
//! (`GET /openapi.json`) are built from the same list, so they cannot drift apart.
//!
//! - [`public`] and [`internal`] register a listener's endpoints, then one fallback
//!   resource per path that answers any other method with 405 `METHOD_NOT_ALLOWED` and an
//!   `Allow` header listing the path's methods, then a default service answering unknown
//!   paths with the JSON 404 envelope (so no answer goes out without a `Content-Type`);
//! - [`endpoints`] is the list itself, which the `openapi` module reads to build the
//!   document (this module never imports it: the document is built from the routes, not
//!   the other way round).
//!
//! Handlers written with actix's route macros and `#[utoipa::path]` are added with
//! [`Endpoint::service`] (their method and path come from the macro); the few routes
//! documented by hand (a [`Written`] operation) with [`Endpoint::handler`]; routes
//! registered elsewhere (health and metrics by [`crate::health`], the document itself by
//! the crate root) with [`Endpoint::elsewhere`].

use std::collections::BTreeMap;

use actix_web::dev::HttpServiceFactory;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::{web, FromRequest, Handler, HttpResponse, Responder, ResponseError};
use serde_json::json;
use utoipa::openapi::path::HttpMethod;

use crate::edge::envelope::{ApiError, ErrorCode};
use crate::{boxo, checkout, internal, miniapp};

/// Which listener a route table or document is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Listener {
    /// `server.bind`: the miniapp API, the Boxo host API, checkout, health, the document.
    Public,
    /// `internal.bind`: the internal API, health, metrics, the document.
    Internal,
}

impl Listener {
    /// Both listeners.
    pub const ALL: [Listener; 2] = [Listener::Public, Listener::Internal];

    /// `public` or `internal`.
    pub fn as_str(self) -> &'static str {
        match self {
            Listener::Public => "public",
            Listener::Internal => "internal",
        }
    }
}

/// How an endpoint is described in the OpenAPI document.
#[derive(Clone, Copy)]
pub enum Doc {
    /// From the handler's `#[utoipa::path]`: its operation and the component schemas it
    /// refers to.
    Annotated {
        /// The operation object.
        operation: fn() -> utoipa::openapi::path::Operation,
        /// The schemas its request and responses name.
        schemas: fn(
            &mut Vec<(
                String,
                utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
            )>,
        ),
    },
    /// Written out as JSON by the `openapi` module, which knows each [`Written`]
    /// operation.
    Written(Written),
}

/// The operations documented by hand (their request or answer is not a derived schema:
/// health, metrics, the document, the Boxo host API, deliveries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// `GET /healthz`.
    Healthz,
    /// `GET /readyz`.
    Readyz,
    /// `GET /metrics`.
    Metrics,
    /// `GET /openapi.json`.
    OpenapiJson,
    /// `POST /boxo/v1/order-payments`.
    BoxoCreate,
    /// `POST /boxo/v1/order-payments/status`.
    BoxoStatus,
    /// `GET /internal/v1/deliveries`.
    DeliveriesList,
    /// `GET /internal/v1/deliveries/{delivery_id}`.
    DeliveriesShow,
    /// `POST /internal/v1/deliveries/{delivery_id}/retry`.
    DeliveriesRetry,
}

type Install = Box<dyn FnOnce(&mut web::ServiceConfig)>;

/// One operation of a listener: its method and path, its documentation, and (unless
/// another module registers it) how it is routed.
pub struct Endpoint {
    /// The HTTP method.
    pub method: Method,
    /// The path, OpenAPI style (`/api/v1/payments/{payment_id}`), which is also actix's.
    pub path: String,
    /// Its documentation.
    pub doc: Doc,
    install: Option<Install>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("routed_here", &self.install.is_some())
            .finish()
    }
}

impl Endpoint {
    /// A handler written with an actix route macro (`#[post("/api/v1/payments")]`) and
    /// `#[utoipa::path]`: the macro's method and path route it and document it.
    pub fn service<S>(service: S) -> Endpoint
    where
        S: HttpServiceFactory + utoipa::Path + utoipa::__dev::SchemaReferences + 'static,
    {
        let method = S::methods().first().map_or(Method::GET, actix_method);
        Endpoint {
            method,
            path: S::path(),
            doc: Doc::Annotated {
                operation: S::operation,
                schemas: S::schemas,
            },
            install: Some(Box::new(move |cfg: &mut web::ServiceConfig| {
                cfg.service(service);
            })),
        }
    }

    /// A plain handler, documented by `doc` (a written operation).
    pub fn handler<F, Args>(method: Method, path: &str, doc: Written, handler: F) -> Endpoint
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let route_path = path.to_owned();
        let route_method = method.clone();
        Endpoint {
            method,
            path: path.to_owned(),
            doc: Doc::Written(doc),
            install: Some(Box::new(move |cfg: &mut web::ServiceConfig| {
                cfg.route(&route_path, web::method(route_method).to(handler));
            })),
        }
    }

    /// A route registered elsewhere (health, metrics, the document); documented here.
    pub fn elsewhere(method: Method, path: &str, doc: Written) -> Endpoint {
        Endpoint {
            method,
            path: path.to_owned(),
            doc: Doc::Written(doc),
            install: None,
        }
    }
}

fn actix_method(method: &HttpMethod) -> Method {
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Trace => Method::TRACE,
    }
}

/// Every operation `listener` serves, in routing order.
pub fn endpoints(listener: Listener) -> Vec<Endpoint> {
    let mut list = vec![
        Endpoint::elsewhere(Method::GET, "/healthz", Written::Healthz),
        Endpoint::elsewhere(Method::GET, "/readyz", Written::Readyz),
    ];
    match listener {
        Listener::Public => {
            list.push(Endpoint::elsewhere(
                Method::GET,
                "/openapi.json",
                Written::OpenapiJson,
            ));
            list.extend([
                Endpoint::service(miniapp::users::verify_token),
                Endpoint::service(miniapp::payments::create),
                Endpoint::service(miniapp::payments::list_for_user),
                Endpoint::service(miniapp::payments::get),
                Endpoint::service(miniapp::payments::refund),
                Endpoint::service(miniapp::order_activities::upsert),
                Endpoint::service(miniapp::order_activities::list_for_user),
                Endpoint::service(miniapp::order_activities::get),
                Endpoint::handler(
                    Method::POST,
                    "/boxo/v1/order-payments",
                    Written::BoxoCreate,
                    boxo::order_payments::create,
                ),
                Endpoint::handler(
                    Method::POST,
                    "/boxo/v1/order-payments/status",
                    Written::BoxoStatus,
                    boxo::order_payments::status,
                ),
                Endpoint::service(checkout::actions::confirm),
                Endpoint::service(checkout::actions::cancel),
                Endpoint::service(checkout::page::show),
                Endpoint::service(checkout::page::submit),
            ]);
        }
        Listener::Internal => {
            list.push(Endpoint::elsewhere(
                Method::GET,
                "/metrics",
                Written::Metrics,
            ));
            list.push(Endpoint::elsewhere(
                Method::GET,
                "/openapi.json",
                Written::OpenapiJson,
            ));
            list.extend([
                Endpoint::service(internal::apps::register),
                Endpoint::service(internal::apps::list),
                Endpoint::service(internal::apps::rotate_secret),
                Endpoint::service(internal::user_tokens::mint),
                Endpoint::service(internal::payments::get),
                Endpoint::service(internal::payments::grant),
                Endpoint::service(internal::payments::settle),
                Endpoint::handler(
                    Method::GET,
                    "/internal/v1/deliveries",
                    Written::DeliveriesList,
                    internal::deliveries::list,
                ),
                Endpoint::handler(
                    Method::GET,
                    "/internal/v1/deliveries/{delivery_id}",
                    Written::DeliveriesShow,
                    internal::deliveries::show,
                ),
                Endpoint::handler(
                    Method::POST,
                    "/internal/v1/deliveries/{delivery_id}/retry",
                    Written::DeliveriesRetry,
                    internal::deliveries::retry,
                ),
            ]);
        }
    }
    list
}

/// The routes of the public listener (after `health::configure` and `/openapi.json`).
pub fn public(cfg: &mut web::ServiceConfig) {
    install(cfg, Listener::Public);
}

/// The routes of the internal listener (after `health::configure`,
/// `health::configure_metrics` and `/openapi.json`).
pub fn internal(cfg: &mut web::ServiceConfig) {
    install(cfg, Listener::Internal);
}

fn install(cfg: &mut web::ServiceConfig, listener: Listener) {
    crate::edge::json::configure(cfg);
    let mut allowed: BTreeMap<String, Vec<Method>> = BTreeMap::new();
    for endpoint in endpoints(listener) {
        allowed
            .entry(endpoint.path.clone())
            .or_default()
            .push(endpoint.method.clone());
        if let Some(install) = endpoint.install {
            install(cfg);
        }
    }
    // After every route: a path's other methods are 405 with `Allow`.
    for (path, methods) in allowed {
        let allow = methods
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        cfg.service(web::resource(path).default_service(web::to(
            move |req: actix_web::HttpRequest| {
                let allow = allow.clone();
                async move { method_not_allowed(&req, &allow) }
            },
        )));
    }
    cfg.default_service(web::to(crate::edge::envelope::unrouted));
}

/// 405 `METHOD_NOT_ALLOWED` with `Allow: <the path's methods>`, in the envelope.
pub fn method_not_allowed(req: &actix_web::HttpRequest, allow: &str) -> HttpResponse {
    let methods: Vec<&str> = allow.split(", ").collect();
    let mut response = ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!(
            "{} is not served on {}; allowed: {allow}",
            req.method(),
            req.path()
        ),
    )
    .with_details(json!({ "method": req.method().as_str(), "allowed": methods }))
    .error_response();
    if let Ok(value) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}
