//! The hosted payment sheet: `GET /checkout/{payment_id}?grant=...` (HTML: Pay, Cancel,
//! Simulate decline), or `?session=...` (what a miniapp holds: read-only, no buttons),
//! and the no-JavaScript fallback `POST /checkout/{payment_id}?grant=...` (form
//! `action=pay|cancel|decline`) that performs the action and shows the page again.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use hostpay_domain::services::PaymentServiceError;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::edge::html::{error_page, html};
use crate::edge::ids::payment_id;
use crate::state::AppState;
use crate::views::checkout::sheet;

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

async fn render(state: &AppState, path: &str, query: &SessionQuery) -> HttpResponse {
    let Ok(id) = payment_id(path) else {
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
    let Ok(id) = payment_id(&path) else {
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
