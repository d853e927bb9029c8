//! An event's `data` as `outbox_events.data` keeps it: the JSON document hostpay has always
//! written (keys in sorted order, amounts as strings in the currency's decimals, `object`
//! naming the subject), read back into the domain's typed [`EventData`].

use hostpay_domain::event::{ChargeReversalSnapshot, EventData, PaymentSnapshot, RefundSnapshot};
use hostpay_domain::ids::{PaymentId, RefundId};
use hostpay_domain::money::{Currency, Money};
use hostpay_domain::payment::{PaymentStatus, RefundStatus};
use hostpay_domain::validation::{BoundedString, NonEmptyString};
use serde_json::{json, Value};

use crate::error::{corrupt, DbResult};

const COLUMN: &str = "outbox_events.data";

/// The stored document of an event's data.
pub(crate) fn to_row(data: &EventData) -> Value {
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

/// A stored document read back.
pub(crate) fn from_row(row: &Value) -> DbResult<EventData> {
    let currency = Currency::parse(text(row, "currency")?)
        .map_err(|error| corrupt(format!("{COLUMN}.currency: {error}")))?;
    let payment_id = |key: &str| -> DbResult<PaymentId> {
        Ok(PaymentId::from_trusted(text(row, key)?.to_owned()))
    };
    Ok(match text(row, "object")? {
        "payment" => EventData::Payment(PaymentSnapshot {
            id: payment_id("id")?,
            status: payment_status(row, "status")?,
            amount: money(row, "amount", currency)?,
            refunded_amount: money(row, "refunded_amount", currency)?,
            currency,
            user_id: NonEmptyString::parse(text(row, "user_id")?)
                .map_err(|error| corrupt(format!("{COLUMN}.user_id: {error}")))?,
            miniapp_order_id: optional_text(row, "miniapp_order_id")?
                .map(NonEmptyString::parse)
                .transpose()
                .map_err(|error| corrupt(format!("{COLUMN}.miniapp_order_id: {error}")))?,
            fail_reason: optional_text(row, "fail_reason")?.map(str::to_owned),
            custom_attributes: match row.get("custom_attributes") {
                None | Some(Value::Null) => None,
                Some(value) => Some(value.clone()),
            },
        }),
        "refund" => EventData::Refund(RefundSnapshot {
            id: RefundId::from_trusted(text(row, "id")?.to_owned()),
            payment_id: payment_id("payment_id")?,
            amount: money(row, "amount", currency)?,
            currency,
            status: RefundStatus::parse(text(row, "status")?)
                .ok_or_else(|| corrupt(format!("{COLUMN}.status")))?,
            reason: optional_text(row, "reason")?
                .map(BoundedString::parse)
                .transpose()
                .map_err(|error| corrupt(format!("{COLUMN}.reason: {error}")))?,
            fail_reason: optional_text(row, "fail_reason")?.map(str::to_owned),
        }),
        "charge_reversal" => EventData::ChargeReversal(ChargeReversalSnapshot {
            id: RefundId::from_trusted(text(row, "id")?.to_owned()),
            payment_id: payment_id("payment_id")?,
            amount: money(row, "amount", currency)?,
            currency,
            payment_status: payment_status(row, "payment_status")?,
        }),
        other => return Err(corrupt(format!("{COLUMN}.object: {other:?}"))),
    })
}

fn text<'a>(row: &'a Value, key: &str) -> DbResult<&'a str> {
    row.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| corrupt(format!("{COLUMN}.{key}")))
}

fn optional_text<'a>(row: &'a Value, key: &str) -> DbResult<Option<&'a str>> {
    match row.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(corrupt(format!("{COLUMN}.{key}"))),
    }
}

fn money(row: &Value, key: &str, currency: Currency) -> DbResult<Money> {
    Money::parse_in(text(row, key)?, currency)
        .map_err(|error| corrupt(format!("{COLUMN}.{key}: {error}")))
}

fn payment_status(row: &Value, key: &str) -> DbResult<PaymentStatus> {
    PaymentStatus::parse(text(row, key)?).ok_or_else(|| corrupt(format!("{COLUMN}.{key}")))
}
