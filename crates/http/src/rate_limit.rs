//! Protection of the listeners: the per-miniapp rate limit of the miniapp API
//! (`rate_limit.per_second` sustained, `rate_limit.burst` at once; 429 `RATE_LIMITED` with
//! `Retry-After`) and the request timeout.
//!
//! The limit is taken where the miniapp is authenticated ([`crate::edge::auth`]): an
//! authenticated miniapp has one bucket for its `app_id`, however its header is spelled;
//! a caller whose credentials fail (missing, malformed or wrong) draws from its peer
//! address's bucket, so it can neither drain the real app's bucket nor guess secrets
//! without limit. Bucket keys are kept only as keyed 64-bit hashes in memory.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};

use crate::edge::boxo::{BoxoErrorCode, BoxoFailure};
use crate::edge::envelope::{ApiError, ErrorCode};
use crate::observability::names;

/// Buckets kept before idle (full) ones are dropped.
const MAX_BUCKETS: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Token buckets, one per miniapp credential.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    hasher: RandomState,
    buckets: Mutex<HashMap<u64, Bucket>>,
}

impl RateLimiter {
    /// `per_second` sustained requests with bursts of up to `burst` (both at least 1).
    pub fn new(per_second: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            per_second: f64::from(per_second.max(1)),
            burst: f64::from(burst.max(1)),
            hasher: RandomState::new(),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token of `key`'s bucket at `now`, or says how long until one is there.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let id = self.hasher.hash_one(key);
        let mut buckets = match self.buckets.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(&id) {
            let (per_second, burst) = (self.per_second, self.burst);
            buckets.retain(|_, bucket| refilled(bucket, now, per_second, burst) < burst);
        }
        let bucket = buckets.entry(id).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        bucket.tokens = refilled(bucket, now, self.per_second, self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / self.per_second,
            ))
        }
    }
}

fn refilled(bucket: &Bucket, now: Instant, per_second: f64, burst: f64) -> f64 {
    let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
    (bucket.tokens + elapsed * per_second).min(burst)
}

/// Takes one token of the bucket `key` (`app:<app_id>` for an authenticated miniapp,
/// `peer:<ip>` for a caller whose credentials failed) from the app's [`RateLimiter`];
/// an empty bucket is 429 `RATE_LIMITED` with `Retry-After`.
pub fn take(limiter: Option<&RateLimiter>, key: &str) -> Result<(), ApiError> {
    let Some(limiter) = limiter else {
        return Ok(());
    };
    limiter.check(key, Instant::now()).map_err(|wait| {
        metrics::counter!(names::RATE_LIMITED).increment(1);
        let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        let mut refused = ApiError::new(
            ErrorCode::RateLimited,
            format!("too many requests; retry after {seconds} s"),
        );
        refused.retry_after = Some(seconds);
        refused
    })
}

/// How long one request may take (`server.request_timeout_seconds`), in `app_data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestTimeout(pub Duration);

/// Middleware: a request still running after [`RequestTimeout`] is abandoned and answered
/// 503 with the envelope, or, on a Boxo path (`/boxo/`), HTTP 200 with `UNKNOWN_ERROR`
/// (every Boxo answer is HTTP 200 with an `error_code`, api.md section 4).
pub async fn request_timeout(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(limit) = req.app_data::<RequestTimeout>().copied() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let boxo = req.path().starts_with("/boxo/");
    match actix_web::rt::time::timeout(limit.0, next.call(req)).await {
        Ok(result) => Ok(result?.map_into_boxed_body()),
        Err(_elapsed) => {
            metrics::counter!(names::TIMEOUTS).increment(1);
            tracing::warn!(timeout_s = limit.0.as_secs(), "request timed out");
            if boxo {
                // Boxo's rule: HTTP 200 with an `error_code`, whatever happens.
                let response =
                    BoxoFailure::new(BoxoErrorCode::UnknownError, TimedOut.to_string()).response();
                return Err(InternalError::from_response(TimedOut, response).into());
            }
            Err(TimedOut.into())
        }
    }
}

/// A request that ran past its [`RequestTimeout`]: 503 with the envelope.
#[derive(Debug, thiserror::Error)]
#[error("the request took too long and was abandoned; retry later")]
pub struct TimedOut;

impl ResponseError for TimedOut {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::SERVICE_UNAVAILABLE
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        actix_web::HttpResponse::ServiceUnavailable()
            .insert_header((
                "Retry-After",
                crate::edge::envelope::RETRY_AFTER_SECONDS.to_string(),
            ))
            .json(serde_json::json!({
                "status_code": 503,
                "result": self.to_string(),
                "success": false,
                "data": null,
                "error": {"code": "TIMEOUT", "details": null},
            }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_the_rate() {
        let limiter = RateLimiter::new(2, 3);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check("app", start).is_ok());
        }
        let wait = limiter.check("app", start).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(500));
        assert!(limiter.check("other", start).is_ok());
        assert!(limiter
            .check("app", start + Duration::from_millis(500))
            .is_ok());
        assert!(limiter
            .check("app", start + Duration::from_millis(500))
            .is_err());
    }
}

#[cfg(test)]
mod middleware_tests {
    use actix_web::middleware::from_fn;
    use actix_web::{test, web, App, HttpResponse};

    use super::*;

    #[actix_web::test]
    async fn an_empty_bucket_is_a_429_envelope_with_retry_after() {
        let limiter = RateLimiter::new(1, 1);
        assert!(take(Some(&limiter), "app:app_a").is_ok());
        let refused = take(Some(&limiter), "app:app_a").unwrap_err();
        assert!(
            take(Some(&limiter), "app:app_b").is_ok(),
            "buckets are per key"
        );
        assert!(take(None, "app:app_a").is_ok(), "no limiter, no limit");
        let response = refused.error_response();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers().get("retry-after").unwrap(), "1");
        let body = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["status_code"], 429);
        assert_eq!(body["success"], false);
        assert_eq!(body["data"], serde_json::Value::Null);
        assert_eq!(body["error"]["code"], "RATE_LIMITED");
    }

    #[actix_web::test]
    async fn a_request_past_its_timeout_is_answered_503() {
        let app = test::init_service(
            App::new()
                .app_data(RequestTimeout(Duration::from_millis(20)))
                .wrap(from_fn(request_timeout))
                .route(
                    "/forever",
                    web::get().to(|| async {
                        std::future::pending::<()>().await;
                        HttpResponse::Ok().finish()
                    }),
                )
                .route("/quick", web::get().to(HttpResponse::Ok)),
        )
        .await;
        let get = |path: &str| test::TestRequest::get().uri(path).to_request();
        let response = test::call_service(&app, get("/quick")).await;
        assert_eq!(response.status(), 200);
        let response = test::try_call_service(&app, get("/forever")).await;
        let error = response.err().unwrap();
        let response = error.error_response();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers().get("retry-after").unwrap(), "1");
    }
}
