//! The hosted payment sheet as shown (api.md section 9): the page of a payment opened with
//! a pay grant (Pay, Cancel) or a payment-session token (read-only), and the page shown
//! when it cannot be opened. Rendered by askama from `templates/`.

use askama::Template;
use hostpay_domain::payment::{Payment, PaymentStatus};
use hostpay_domain::services::Checkout;

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

/// The sentence for people of a payment's status.
pub fn status_text(payment: &Payment) -> String {
    let reason = payment.fail_reason().unwrap_or_default();
    match payment.status() {
        PaymentStatus::InProcess => "Waiting for payment".to_owned(),
        PaymentStatus::Paid => "Payment successful".to_owned(),
        PaymentStatus::Refunded => "Paid and refunded".to_owned(),
        PaymentStatus::Failed => format!("Payment failed: {reason}"),
        PaymentStatus::Cancelled => format!("Payment cancelled: {reason}"),
    }
}

/// The sheet of `checkout` opened with `token` (a `grant` or a `session`, `token_kind`).
pub fn sheet(checkout: &Checkout, token_kind: &'static str, token: &str) -> SheetPage {
    let payment = &checkout.payment;
    let waiting = payment.status() == PaymentStatus::InProcess;
    SheetPage {
        app_name: checkout.app.name.to_string(),
        payment_id: payment.id().to_string(),
        token: token.to_owned(),
        token_kind,
        description: payment
            .details()
            .description
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        lines: payment
            .details()
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
                    .map(|price| price.to_currency_string(payment.currency()))
                    .unwrap_or_default(),
            })
            .collect(),
        amount: payment.amount().to_currency_string(payment.currency()),
        currency: payment.currency().to_string(),
        status: payment.status().as_str(),
        status_text: status_text(payment),
        open: waiting && checkout.can_pay,
        read_only: waiting && !checkout.can_pay,
        can_simulate: checkout.can_simulate,
    }
}
