//! Payments of the miniapp API: create (idempotent), read, list per user, refund
//! (idempotent).

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use hostpay_domain::money::{AmountRule, Currency, PositiveMoney};
use hostpay_domain::order::{PaymentDetails, UserRef};
use hostpay_domain::services::{CreatePayment, Idempotent};
use hostpay_domain::validation::{BoundedString, NonEmptyString};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::edge::auth::Authenticated;
use crate::edge::envelope::{self, ApiError, ErrorEnvelope};
use crate::edge::idempotency::idempotency_claim;
use crate::edge::ids::{payment_id, user_id};
use crate::edge::json::JsonBody;
use crate::edge::order::{OrderItemInput, ShippingAddressInput};
use crate::edge::pagination::ListQuery;
use crate::edge::strict_json::Strict;
use crate::state::AppState;
use crate::views::envelopes::{
    PaymentEnvelope, PaymentPageEnvelope, PaymentWithSessionEnvelope, RefundEnvelope,
};
use crate::views::page::PageView;
use crate::views::payment::{
    EventView, ItemView, PaymentView, PaymentWithSession, RefundView, SessionView,
    ShippingAddressView,
};

/// `POST /api/v1/payments`
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreatePaymentRequest {
    /// The paying user, String(255).
    #[schema(value_type = String, example = "user-42")]
    pub user_id: UserRef,
    /// Greater than 0, with at most the currency's decimals (ISO 4217 minor unit: JPY
    /// none, USD 2, KWD 3); a JSON number or a string.
    #[schema(value_type = String, example = "25.00")]
    pub amount: PositiveMoney,
    /// ISO 4217 alpha-3, upper case.
    #[schema(value_type = String, example = "USD")]
    pub currency: Currency,
    /// The miniapp's order id, String(255), unique per miniapp.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub miniapp_order_id: Option<NonEmptyString<255>>,
    /// Free text for the payment sheet, String(1000).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Option<BoundedString<1000>>,
    /// The lines (Boxo's OrderItem).
    #[serde(default)]
    #[schema(value_type = Option<Vec<ItemView>>)]
    pub items: Option<Vec<OrderItemInput>>,
    /// Where it goes (Boxo's OrderShippingAddress).
    #[serde(default)]
    #[schema(value_type = Option<ShippingAddressView>)]
    pub shipping_address: Option<ShippingAddressInput>,
    /// Arbitrary JSON, returned as given.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub custom_attributes: Option<serde_json::Value>,
}

impl CreatePaymentRequest {
    /// The use case's input, once `amount` and the items' amounts are checked against
    /// `currency` (400 naming `amount` or `items[0].price`...).
    fn into_domain(self) -> Result<CreatePayment, ApiError> {
        let details = PaymentDetails {
            description: self.description,
            items: OrderItemInput::all_into_domain(self.items.unwrap_or_default()),
            shipping_address: self.shipping_address.map(ShippingAddressInput::into_domain),
            custom_attributes: self.custom_attributes,
            ..PaymentDetails::default()
        };
        let amount = fits_currency("amount", self.amount, self.currency)?;
        details.check_amounts(AmountRule::Currency(self.currency))?;
        Ok(CreatePayment {
            user_id: self.user_id,
            amount,
            currency: self.currency,
            miniapp_order_id: self.miniapp_order_id,
            details,
        })
    }
}

/// `amount`, when it has no more decimals than `currency` (else 400 naming `field`).
fn fits_currency(
    field: &str,
    amount: PositiveMoney,
    currency: Currency,
) -> Result<PositiveMoney, ApiError> {
    amount
        .get()
        .fits_currency(currency)
        .map(|_| amount)
        .map_err(|error| ApiError::invalid(field, error.to_string()))
}

/// `POST /api/v1/payments/{payment_id}/refunds`
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateRefundRequest {
    /// How much (default: all that remains refundable); at most the payment currency's
    /// decimals.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "5.00")]
    pub amount: Option<PositiveMoney>,
    /// Why, String(500).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub reason: Option<BoundedString<500>>,
}

/// Create a payment and its payment session.
#[utoipa::path(
    tag = "payments",
    operation_id = "create_payment",
    request_body = CreatePaymentRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Stripe-style idempotency key (1 to 255 visible ASCII characters, kept 24 h)")),
    responses(
        (status = 201, description = "Created (`in_process`) with its session", body = PaymentWithSessionEnvelope,
            headers(("Idempotent-Replayed" = String, description = "`true` when this is the replay of an earlier response"))),
        (status = 400, description = "INVALID_REQUEST naming the field: out of its limits, more decimals than `currency` has (`amount`, `items[0].price`), an unknown currency, a `miniapp_order_id` this miniapp used already, a malformed `Idempotency-Key`", body = ErrorEnvelope),
        (status = 409, description = "IDEMPOTENCY_IN_PROGRESS: the first request with this `Idempotency-Key` is still running", body = ErrorEnvelope),
        (status = 422, description = "IDEMPOTENCY_KEY_REUSED: this `Idempotency-Key` came with another request", body = ErrorEnvelope),
    ),
    security(("miniapp_token" = []))
)]
#[post("/api/v1/payments")]
pub async fn create(
    state: web::Data<AppState>,
    Authenticated(app): Authenticated,
    req: HttpRequest,
    body: JsonBody<Strict<CreatePaymentRequest>>,
) -> Result<HttpResponse, ApiError> {
    let claim = idempotency_claim(&req, &app, "POST /api/v1/payments", &body.raw)?;
    let request = body.into_inner().into_inner().into_domain()?;
    let payments = &state.services.payments;
    let created = match payments.create(&app, request, claim).await? {
        Idempotent::Fresh(created) => created,
        Idempotent::NeedsReply(pending) => {
            // The reply kept for the key is rendered here and saved with the payment.
            let reply = envelope::stored(StatusCode::CREATED, &created_view(pending.created()));
            payments.resume_create(pending, reply).await?
        }
        Idempotent::Replayed(stored) => return Ok(envelope::replay(&stored)),
    };
    Ok(envelope::success(
        StatusCode::CREATED,
        &created_view(&created),
    ))
}

fn created_view(created: &hostpay_domain::services::CreatedPayment) -> PaymentWithSession {
    PaymentWithSession {
        payment: PaymentView::of(&created.payment, vec![EventView::created(&created.payment)]),
        session: Some(SessionView::of(&created.session)),
    }
}

/// Read a payment: amounts, items, refunds, events, timestamps.
#[utoipa::path(
    tag = "payments",
    operation_id = "get_payment",
    params(("payment_id" = String, Path, description = "`pay_...` (a malformed id is simply not found)")),
    responses(
        (status = 200, description = "The payment", body = PaymentEnvelope),
        (status = 404, description = "NOT_FOUND (also another miniapp's payment)", body = ErrorEnvelope),
    ),
    security(("miniapp_token" = []))
)]
#[get("/api/v1/payments/{payment_id}")]
pub async fn get(
    state: web::Data<AppState>,
    Authenticated(app): Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = payment_id(&path)?;
    let record = state.services.payments.read_for_app(&app.id, &id).await?;
    Ok(envelope::success(
        StatusCode::OK,
        &PaymentView::with_events(&record.payment, &record.events),
    ))
}

/// This miniapp's payments of a user, newest first.
#[utoipa::path(
    tag = "payments",
    operation_id = "list_user_payments",
    params(("user_id" = String, Path, description = "The user, String(255)"), ListQuery),
    responses(
        (status = 200, description = "A page", body = PaymentPageEnvelope),
        (status = 400, description = "INVALID_REQUEST naming `user_id`, `limit` (out of 1..=100) or `cursor` (not one this API returned)", body = ErrorEnvelope),
    ),
    security(("miniapp_token" = []))
)]
#[get("/api/v1/users/{user_id}/payments")]
pub async fn list_for_user(
    state: web::Data<AppState>,
    Authenticated(app): Authenticated,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let user = user_id(&path)?;
    let page = query.page()?;
    let found = state
        .services
        .payments
        .list_for_user(&app.id, user.as_str(), &page)
        .await?;
    let items = found
        .items
        .iter()
        .map(|record| PaymentView::with_events(&record.payment, &record.events))
        .collect();
    Ok(envelope::success(
        StatusCode::OK,
        &PageView::of(found, items),
    ))
}

/// Refund (part of) a paid payment.
#[utoipa::path(
    tag = "payments",
    operation_id = "refund_payment",
    request_body = CreateRefundRequest,
    params(
        ("payment_id" = String, Path, description = "`pay_...`"),
        ("Idempotency-Key" = Option<String>, Header, description = "Stripe-style idempotency key"),
    ),
    responses(
        (status = 201, description = "The refund (`succeeded`, `failed`, or `pending` while the processor has not answered)", body = RefundEnvelope,
            headers(("Idempotent-Replayed" = String, description = "`true` on a replay"))),
        (status = 400, description = "INVALID_REQUEST naming the field: `amount` with more decimals than the payment's currency has, a field out of its limits, a malformed `Idempotency-Key`", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND (also another miniapp's payment)", body = ErrorEnvelope),
        (status = 409, description = "PAYMENT_NOT_REFUNDABLE (not `paid`) or IDEMPOTENCY_IN_PROGRESS", body = ErrorEnvelope),
        (status = 422, description = "REFUND_EXCEEDS_AMOUNT (more than remains) or IDEMPOTENCY_KEY_REUSED", body = ErrorEnvelope),
    ),
    security(("miniapp_token" = []))
)]
#[post("/api/v1/payments/{payment_id}/refunds")]
pub async fn refund(
    state: web::Data<AppState>,
    Authenticated(app): Authenticated,
    req: HttpRequest,
    path: web::Path<String>,
    body: JsonBody<Strict<CreateRefundRequest>>,
) -> Result<HttpResponse, ApiError> {
    let id = payment_id(&path)?;
    let payment = state.services.payments.get_for_app(&app.id, &id).await?;
    let operation = format!("POST /api/v1/payments/{id}/refunds");
    let claim = idempotency_claim(&req, &app, &operation, &body.raw)?;
    let currency = payment.currency();
    let request = body.into_inner().into_inner();
    let amount = request
        .amount
        .map(|amount| fits_currency("amount", amount, payment.currency()))
        .transpose()?;
    let payments = &state.services.payments;
    let mut outcome = payments
        .refund(&app, &id, amount, request.reason, claim)
        .await?;
    // Each write of a keyed refund (the reservation, then the processor's outcome) keeps
    // the reply rendered here from the refund it saves.
    let refund = loop {
        match outcome {
            Idempotent::Fresh(refund) => break refund,
            Idempotent::NeedsReply(pending) => {
                let reply = envelope::stored(
                    StatusCode::CREATED,
                    &RefundView::of(pending.refund(), currency),
                );
                outcome = payments.resume_refund(pending, reply).await?;
            }
            Idempotent::Replayed(stored) => return Ok(envelope::replay(&stored)),
        }
    };
    Ok(envelope::success(
        StatusCode::CREATED,
        &RefundView::of(&refund, currency),
    ))
}
