//! The hosted payment sheet: `GET /checkout/{payment_id}?grant=...` (HTML: Pay, Cancel,
//! Simulate decline), or `?session=...` (what a miniapp holds: read-only, no buttons),
//! and the no-JavaScript fallback `POST /checkout/{payment_id}?grant=...` (form
//! `action=pay|cancel|decline`) that performs the action and shows the page again.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use hostpay_domain::payment::{Payment, PaymentStatus};
use hostpay_domain::services::{Checkout, PaymentServiceError};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::state::AppState;

/// `?grant=<pay grant>` (the full sheet) or `?session=<token>` (read-only).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionQuery {
    /// A pay grant the host minted for its logged-in user: the sheet with Pay.
    pub grant: Option<String>,
    /// The payment-session token a miniapp received: the sheet read-only.
    pub session: Option<String>,
}

impl SessionQuery {
    /// The credential and the query parameter it came in (a grant wins).
    fn credential(&self) -> (&'static str, String) {
        match (&self.grant, &self.session) {
            (Some(grant), _) => ("grant", grant.clone()),
            (None, Some(session)) => ("session", session.clone()),
            (None, None) => ("session", String::new()),
        }
    }
}

/// The no-JavaScript form.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FormAction {
    /// `pay`, `cancel` or `decline` (`decline`: sandbox processor only).
    #[schema(value_type = String, pattern = "^(pay|cancel|decline)$", example = "pay")]
    pub action: String,
}

/// One line of the sheet.
pub struct Line {
    /// Product name (and variant).
    pub name: String,
    /// Quantity.
    pub quantity: u32,
    /// Unit price, when given.
    pub price: String,
}

/// The payment sheet.
#[derive(Template)]
#[template(path = "checkout.html")]
pub struct SheetPage {
    /// The merchant.
    pub app_name: String,
    /// `pay_...`
    pub payment_id: String,
    /// The credential (the page's own URL carries it already).
    pub token: String,
    /// Its query parameter: `grant` or `session`.
    pub token_kind: &'static str,
    /// Description.
    pub description: String,
    /// The lines.
    pub lines: Vec<Line>,
    /// The total.
    pub amount: String,
    /// Currency.
    pub currency: String,
    /// Wire status.
    pub status: &'static str,
    /// Sentence for people.
    pub status_text: String,
    /// Whether Pay/Cancel are offered (an `in_process` payment opened with a grant).
    pub open: bool,
    /// Whether the payment waits for the user but this credential cannot pay (a session).
    pub read_only: bool,
    /// Whether "Simulate decline" is offered.
    pub can_simulate: bool,
}

/// A page that could not be shown.
#[derive(Template)]
#[template(path = "checkout_error.html")]
pub struct ErrorPage {
    /// Heading.
    pub title: String,
    /// Sentence for people.
    pub message: String,
}

fn status_text(payment: &Payment) -> String {
    let reason = payment.fail_reason.clone().unwrap_or_default();
    match payment.status {
        PaymentStatus::InProcess => "Waiting for payment".to_owned(),
        PaymentStatus::Paid => "Payment successful".to_owned(),
        PaymentStatus::Refunded => "Paid and refunded".to_owned(),
        PaymentStatus::Failed => format!("Payment failed: {reason}"),
        PaymentStatus::Cancelled => format!("Payment cancelled: {reason}"),
    }
}

fn sheet(checkout: &Checkout, token_kind: &'static str, token: &str) -> SheetPage {
    let payment = &checkout.payment;
    let waiting = payment.status == PaymentStatus::InProcess;
    SheetPage {
        app_name: checkout.app.name.to_string(),
        payment_id: payment.id.to_string(),
        token: token.to_owned(),
        token_kind,
        description: payment
            .details
            .description
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        lines: payment
            .details
            .items
            .iter()
            .map(|item| Line {
                name: match &item.product_variant_name {
                    Some(variant) if !variant.as_str().is_empty() => {
                        format!("{} ({})", item.product_name, variant)
                    }
                    Some(_) | None => item.product_name.to_string(),
                },
                quantity: item.quantity.get(),
                price: item
                    .price
                    .map(|price| price.to_currency_string(payment.currency))
                    .unwrap_or_default(),
            })
            .collect(),
        amount: payment.amount.to_currency_string(payment.currency),
        currency: payment.currency.to_string(),
        status: payment.status.as_str(),
        status_text: status_text(payment),
        open: waiting && checkout.can_pay,
        read_only: waiting && !checkout.can_pay,
        can_simulate: checkout.can_simulate,
    }
}

fn html(status: StatusCode, page: &impl Template) -> HttpResponse {
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

fn error_page(error: &PaymentServiceError) -> HttpResponse {
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
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(
            &crate::edge::envelope::RETRY_AFTER_SECONDS.to_string(),
        ) {
            response
                .headers_mut()
                .insert(actix_web::http::header::RETRY_AFTER, value);
        }
    }
    response
}

async fn render(state: &AppState, path: &str, query: &SessionQuery) -> HttpResponse {
    let Ok(id) = crate::edge::ids::payment_id(path) else {
        return error_page(&PaymentServiceError::NotFound);
    };
    let (kind, token) = query.credential();
    match state.services.payments.checkout(&id, &token).await {
        Ok(checkout) => html(StatusCode::OK, &sheet(&checkout, kind, &token)),
        Err(error) => error_page(&error),
    }
}

/// The hosted payment sheet.
#[utoipa::path(
    tag = "checkout",
    operation_id = "show_checkout",
    params(("payment_id" = String, Path, description = "`pay_...`"), SessionQuery),
    responses(
        (status = 200, description = "The payment sheet (HTML): with a grant, Pay / Cancel (and Simulate decline with the sandbox processor); with a session, read-only", content_type = "text/html"),
        (status = 401, description = "Invalid or expired grant or session (HTML)", content_type = "text/html"),
        (status = 404, description = "Unknown payment (HTML)", content_type = "text/html"),
    )
)]
#[get("/checkout/{payment_id}")]
pub async fn show(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<SessionQuery>,
) -> HttpResponse {
    render(&state, &path, &query).await
}

/// The no-JavaScript fallback of the sheet's buttons: performs the action, then shows the
/// sheet with the outcome.
#[utoipa::path(
    tag = "checkout",
    operation_id = "submit_checkout",
    params(("payment_id" = String, Path, description = "`pay_...`"), SessionQuery),
    request_body(content = FormAction, content_type = "application/x-www-form-urlencoded", description = "`action=pay|cancel|decline`"),
    responses(
        (status = 200, description = "The payment sheet after the action (HTML)", content_type = "text/html"),
        (status = 400, description = "Unknown action (HTML)", content_type = "text/html"),
        (status = 401, description = "Invalid or expired grant or session (HTML)", content_type = "text/html"),
        (status = 403, description = "Pay with a session instead of a grant (HTML)", content_type = "text/html"),
        (status = 404, description = "Unknown payment (HTML)", content_type = "text/html"),
        (status = 502, description = "The payment processor did not answer; nothing was charged (HTML)", content_type = "text/html"),
    )
)]
#[post("/checkout/{payment_id}")]
pub async fn submit(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<SessionQuery>,
    form: web::Form<FormAction>,
) -> HttpResponse {
    let (_, token) = query.credential();
    let Ok(id) = crate::edge::ids::payment_id(&path) else {
        return error_page(&PaymentServiceError::NotFound);
    };
    let payments = &state.services.payments;
    let outcome = match form.action.as_str() {
        "pay" => payments.confirm(&id, &token, false).await,
        "decline" => payments.confirm(&id, &token, true).await,
        "cancel" => payments.cancel(&id, &token).await,
        _ => {
            return error_page(&PaymentServiceError::Invalid(
                hostpay_domain::validation::InvalidField::new(
                    "action",
                    "must be pay, cancel or decline",
                ),
            ))
        }
    };
    match outcome {
        // A refused transition (already paid...) simply shows the current state.
        Ok(_) | Err(PaymentServiceError::Rejected { .. }) => render(&state, &path, &query).await,
        Err(error) => error_page(&error),
    }
}
