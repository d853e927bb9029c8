//! Request ids, request metrics and the log line of every request.
//!
//! [`request_context`] is the outermost middleware of both listeners: it takes the
//! request's `X-Request-Id` (or makes one), runs the request inside a tracing span that
//! carries it (so every log line of the request names it), sets it on the response, counts
//! the request and its latency by route pattern and status, and logs one line when done.
//! Only the path is logged, never the query string or headers: they may carry tokens.

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use rand::RngExt;
use tracing::Instrument;

/// The request-id header.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Metric names (Prometheus), in one place so docs and alerts can rely on them.
pub mod names {
    /// Counter: HTTP requests by `method`, `route` (pattern) and `status`.
    pub const HTTP_REQUESTS: &str = "hostpay_http_requests_total";
    /// Histogram: HTTP request latency in seconds, by `method`, `route` and `status`.
    pub const HTTP_DURATION: &str = "hostpay_http_request_duration_seconds";
    /// Counter: payment status transitions by `event` (`payment.paid`, ...).
    pub const PAYMENT_TRANSITIONS: &str = "hostpay_payment_transitions_total";
    /// Counter: refunds by `status` they reached (`requested`, `succeeded`, `failed`).
    pub const REFUNDS: &str = "hostpay_refunds_total";
    /// Gauge: outbox deliveries waiting.
    pub const OUTBOX_PENDING: &str = "hostpay_outbox_pending";
    /// Gauge: outbox deliveries given up (dead letters).
    pub const OUTBOX_DEAD: &str = "hostpay_outbox_dead";
    /// Counter: delivery attempts by `target` and `outcome`.
    pub const DELIVERY_ATTEMPTS: &str = "hostpay_delivery_attempts_total";
    /// Gauge: database pool connections by `state` (`in_use`, `idle`, `max`).
    pub const DB_POOL: &str = "hostpay_db_pool_connections";
    /// Counter: requests refused by the rate limit.
    pub const RATE_LIMITED: &str = "hostpay_rate_limited_total";
    /// Counter: requests abandoned by the request timeout.
    pub const TIMEOUTS: &str = "hostpay_request_timeouts_total";
    /// Counter: background sweep results by `worker` and `outcome`.
    pub const WORKER_RUNS: &str = "hostpay_worker_runs_total";
    /// Counter: approved charges that could not be recorded and were reversed (alert on
    /// any increase).
    pub const CHARGE_REVERSALS: &str = "hostpay_charge_reversals_total";
    /// Counter: attempts to refund a reversed charge through the processor, by `outcome`
    /// (`accepted`, `refused`).
    pub const REVERSAL_ATTEMPTS: &str = "hostpay_charge_reversal_attempts_total";
}

/// The request id of the current request (in the request's extensions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide Prometheus recorder once and returns its handle (`None` when
/// another recorder was installed first).
pub fn metrics_handle() -> Option<&'static PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let latency_buckets = [
                0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ];
            let recorder = PrometheusBuilder::new()
                .set_buckets(&latency_buckets)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            // Counters that may stay at zero for a long time still show on /metrics, so a
            // dashboard or alert on them works from the first scrape.
            metrics::counter!(names::RATE_LIMITED).absolute(0);
            metrics::counter!(names::TIMEOUTS).absolute(0);
            metrics::counter!(names::CHARGE_REVERSALS).absolute(0);
            Some(handle)
        })
        .as_ref()
}

/// The current metrics in Prometheus text format.
pub fn render_metrics() -> String {
    metrics_handle()
        .map(PrometheusHandle::render)
        .unwrap_or_default()
}

/// Whether a caller's request id is safe to echo (1-128 visible ASCII characters).
fn acceptable(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic())
}

fn new_request_id() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes: [u8; 16] = rand::rng().random();
    let mut id = String::with_capacity(32);
    for byte in bytes {
        id.push(char::from(HEX[usize::from(byte >> 4)]));
        id.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    id
}

/// The outermost middleware: request id, span, metrics and the request's log line.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let _ = metrics_handle();
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| acceptable(id))
        .map(str::to_owned)
        .unwrap_or_else(new_request_id);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().clone();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %method,
        path = %req.path(),
    );
    let started = Instant::now();
    let mut response = match next.call(req).instrument(span.clone()).await {
        Ok(response) => response.map_into_boxed_body(),
        Err(error) => {
            let status = error.as_response_error().status_code().as_u16();
            record(
                &span,
                method.as_str(),
                "unmatched".to_owned(),
                status,
                started,
            );
            return Err(WithRequestId { error, request_id }.into());
        }
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let status = response.status().as_u16();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    record(&span, method.as_str(), route, status, started);
    Ok(response)
}

/// Counts a finished request and writes its log line.
fn record(span: &tracing::Span, method: &str, route: String, status: u16, started: Instant) {
    let elapsed = started.elapsed();
    let method = method_label(method);
    let (requests, duration) = request_metrics(method, route, status);
    requests.increment(1);
    duration.record(elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(
            status,
            latency_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            "request finished"
        );
    });
}

/// The `method` label: the standard methods by name, any other as `other` (a client
/// choosing methods must not grow the metrics without bound).
fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

/// Most label sets a thread keeps handles for (routes x methods x statuses in use are far
/// fewer; past it the cache starts over).
const CACHED_LABEL_SETS: usize = 1024;

/// The request counter and latency histogram of one label set. Looking a metric up by its
/// labels builds and hashes a key in the registry, so each thread keeps the handles it has
/// used (a handle is the registry's entry itself: same series, same values).
type RequestMetrics = (metrics::Counter, metrics::Histogram);

thread_local! {
    static REQUEST_METRICS: std::cell::RefCell<
        std::collections::HashMap<(&'static str, String, u16), RequestMetrics>,
    > = std::cell::RefCell::new(std::collections::HashMap::new());
}

/// The handles of the label set (`method`, `route`, `status`): this thread's cached ones,
/// registered on first use.
fn request_metrics(method: &'static str, route: String, status: u16) -> RequestMetrics {
    let register = |route: &str| -> RequestMetrics {
        let labels = [
            ("method", method.to_owned()),
            ("route", route.to_owned()),
            ("status", status.to_string()),
        ];
        (
            metrics::counter!(names::HTTP_REQUESTS, &labels),
            metrics::histogram!(names::HTTP_DURATION, &labels),
        )
    };
    let mut route = Some(route);
    let cached = REQUEST_METRICS.try_with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= CACHED_LABEL_SETS {
            cache.clear();
        }
        let route = route.take().unwrap_or_default();
        cache
            .entry((method, route, status))
            .or_insert_with_key(|(_, route, _)| register(route))
            .clone()
    });
    match (cached, route) {
        (Ok(handles), _) => handles,
        // The thread is ending (its cache is gone): the registry directly.
        (Err(_), route) => register(route.as_deref().unwrap_or("unmatched")),
    }
}

/// An error that escaped the handlers, answered with its own response plus the request id.
#[derive(Debug)]
struct WithRequestId {
    error: Error,
    request_id: String,
}

impl std::fmt::Display for WithRequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl ResponseError for WithRequestId {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.error.as_response_error().status_code()
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let mut response = self.error.error_response();
        if let Ok(value) = HeaderValue::from_str(&self.request_id) {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_only_sane_request_ids() {
        assert!(acceptable("abc-123"));
        assert!(!acceptable(""));
        assert!(!acceptable("has space"));
        assert!(!acceptable(&"x".repeat(129)));
        assert_eq!(new_request_id().len(), 32);
    }

    #[test]
    fn a_client_cannot_invent_method_labels() {
        assert_eq!(method_label("GET"), "GET");
        assert_eq!(method_label("DELETE"), "DELETE");
        assert_eq!(method_label("BREW"), "other");
        assert_eq!(method_label("get"), "other");
    }

    #[test]
    fn a_thread_keeps_a_bounded_set_of_handles() {
        for status in 0..(CACHED_LABEL_SETS as u16 + 10) {
            let _ = request_metrics("GET", "/r".to_owned(), status);
        }
        let kept = REQUEST_METRICS.with(|cache| cache.borrow().len());
        assert!(kept <= CACHED_LABEL_SETS, "{kept} label sets kept");
    }
}
