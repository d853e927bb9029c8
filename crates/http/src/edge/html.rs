//! The HTML answers of the payment sheet: a page, and the one mapping of a payment
//! error to the page (and status) shown for it.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;
use hostpay_domain::services::PaymentServiceError;

use crate::edge::envelope::RETRY_AFTER_SECONDS;
use crate::views::checkout::ErrorPage;

/// `page` as an HTML answer with `status` (never cached, no referrer).
pub fn html(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .insert_header(("Referrer-Policy", "no-referrer"))
            .body(body),
        Err(error) => {
            tracing::error!(error = %error, "checkout template failed");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("internal error")
        }
    }
}

/// The page of a payment-sheet error: its status and a sentence for people (503 with
/// `Retry-After`); internal detail only in the log.
pub fn error_page(error: &PaymentServiceError) -> HttpResponse {
    let (status, title, message) = match error {
        PaymentServiceError::NotFound => (
            StatusCode::NOT_FOUND,
            "Payment not found",
            "This payment does not exist.".to_owned(),
        ),
        PaymentServiceError::InvalidSession => (
            StatusCode::UNAUTHORIZED,
            "Payment link expired",
            "This payment link is invalid or has expired. Go back to the app and try again."
                .to_owned(),
        ),
        PaymentServiceError::Processor(_) => (
            StatusCode::BAD_GATEWAY,
            "Payment service unavailable",
            "The payment service did not answer yet. If you pressed Pay, the payment may still go through: its outcome is recorded as soon as it is known. Check the payment before trying again.".to_owned(),
        ),
        PaymentServiceError::Invalid(field) => (
            StatusCode::BAD_REQUEST,
            "Invalid request",
            field.to_string(),
        ),
        PaymentServiceError::Forbidden(_) => (
            StatusCode::FORBIDDEN,
            "Open the payment in the app",
            "This link can show the payment but not pay it. Pay from the app you are signed in to."
                .to_owned(),
        ),
        PaymentServiceError::Store(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Briefly unavailable",
            "The service is briefly unavailable. If you pressed Pay, the payment may still go through: check it again in a moment.".to_owned(),
        ),
        PaymentServiceError::Rejected { .. }
        | PaymentServiceError::IdempotencyKeyReused
        | PaymentServiceError::IdempotencyInProgress => {
            tracing::error!(error = %error, "checkout page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Please try again later.".to_owned(),
            )
        }
    };
    let mut response = html(
        status,
        &ErrorPage {
            title: title.to_owned(),
            message,
        },
    );
    if status == StatusCode::SERVICE_UNAVAILABLE {
        if let Ok(value) =
            actix_web::http::header::HeaderValue::from_str(&RETRY_AFTER_SECONDS.to_string())
        {
            response
                .headers_mut()
                .insert(actix_web::http::header::RETRY_AFTER, value);
        }
    }
    response
}
