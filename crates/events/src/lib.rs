//! # hostpay-events
//!
//! An event as hostpay publishes it (architecture rule 10: one home per fact). The same
//! `data` document goes out in a miniapp's webhook (`hostpay-upstream`) and is shown in a
//! payment's `events[]` and the internal deliveries list (`hostpay-http`); a receiver
//! that compares the two must see the same bytes, so both adapters render it here.
//!
//! What the store keeps in `outbox_events.data` is the store's own row (today the same
//! document, read back into the domain's typed `EventData`); it stays in `hostpay-store`,
//! so a change of the published shape never rewrites stored rows.
//!
//! Owns: the published JSON of [`EventData`]. Never imports: actix, reqwest, diesel, or
//! another adapter crate.

#![warn(missing_docs)]

use hostpay_domain::event::EventData;
use serde_json::{json, Value};

/// An event's `data` as it is published: the subject with `object` naming it, amounts as
/// strings in the currency's decimals, keys in sorted order.
pub fn data_json(data: &EventData) -> Value {
    match data {
        EventData::Payment(payment) => json!({
            "id": payment.id,
            "object": "payment",
            "status": payment.status.as_str(),
            "amount": payment.amount.to_currency_string(payment.currency),
            "refunded_amount": payment.refunded_amount.to_currency_string(payment.currency),
            "currency": payment.currency,
            "user_id": payment.user_id,
            "miniapp_order_id": payment.miniapp_order_id,
            "fail_reason": payment.fail_reason,
            "custom_attributes": payment.custom_attributes,
        }),
        EventData::Refund(refund) => json!({
            "id": refund.id,
            "object": "refund",
            "payment_id": refund.payment_id,
            "amount": refund.amount.to_currency_string(refund.currency),
            "currency": refund.currency,
            "status": refund.status.as_str(),
            "reason": refund.reason,
            "fail_reason": refund.fail_reason,
        }),
        EventData::ChargeReversal(reversal) => json!({
            "id": reversal.id,
            "object": "charge_reversal",
            "payment_id": reversal.payment_id,
            "amount": reversal.amount.to_currency_string(reversal.currency),
            "currency": reversal.currency,
            "payment_status": reversal.payment_status.as_str(),
        }),
    }
}
