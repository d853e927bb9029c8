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

/// A stored document as written by [`to_row`]: every key any subject has (each subject
/// uses its own).
#[derive(serde::Deserialize)]
struct Stored {
    object: Option<String>,
    id: Option<String>,
    currency: Option<String>,
    status: Option<String>,
    amount: Option<String>,
    refunded_amount: Option<String>,
    user_id: Option<String>,
    miniapp_order_id: Option<String>,
    fail_reason: Option<String>,
    custom_attributes: Option<Value>,
    payment_id: Option<String>,
    reason: Option<String>,
    payment_status: Option<String>,
}

/// A stored document (`outbox_events.data`'s text) read back.
pub(crate) fn from_text(text: &str) -> DbResult<EventData> {
    let row: Stored =
        serde_json::from_str(text).map_err(|error| corrupt(format!("{COLUMN}: {error}")))?;
    let required = |value: &Option<String>, key: &str| -> DbResult<String> {
        value
            .clone()
            .ok_or_else(|| corrupt(format!("{COLUMN}.{key}")))
    };
    let currency = Currency::parse(&required(&row.currency, "currency")?)
        .map_err(|error| corrupt(format!("{COLUMN}.currency: {error}")))?;
    let money = |value: &Option<String>, key: &str| -> DbResult<Money> {
        Money::parse_in(&required(value, key)?, currency)
            .map_err(|error| corrupt(format!("{COLUMN}.{key}: {error}")))
    };
    let payment_status = |value: &Option<String>, key: &str| -> DbResult<PaymentStatus> {
        PaymentStatus::parse(&required(value, key)?)
            .ok_or_else(|| corrupt(format!("{COLUMN}.{key}")))
    };
    Ok(match row.object.as_deref() {
        Some("payment") => EventData::Payment(PaymentSnapshot {
            id: PaymentId::from_trusted(required(&row.id, "id")?),
            status: payment_status(&row.status, "status")?,
            amount: money(&row.amount, "amount")?,
            refunded_amount: money(&row.refunded_amount, "refunded_amount")?,
            currency,
            user_id: NonEmptyString::parse(&required(&row.user_id, "user_id")?)
                .map_err(|error| corrupt(format!("{COLUMN}.user_id: {error}")))?,
            miniapp_order_id: row
                .miniapp_order_id
                .as_deref()
                .map(NonEmptyString::parse)
                .transpose()
                .map_err(|error| corrupt(format!("{COLUMN}.miniapp_order_id: {error}")))?,
            fail_reason: row.fail_reason,
            custom_attributes: row.custom_attributes,
        }),
        Some("refund") => EventData::Refund(RefundSnapshot {
            id: RefundId::from_trusted(required(&row.id, "id")?),
            payment_id: PaymentId::from_trusted(required(&row.payment_id, "payment_id")?),
            amount: money(&row.amount, "amount")?,
            currency,
            status: RefundStatus::parse(&required(&row.status, "status")?)
                .ok_or_else(|| corrupt(format!("{COLUMN}.status")))?,
            reason: row
                .reason
                .as_deref()
                .map(BoundedString::parse)
                .transpose()
                .map_err(|error| corrupt(format!("{COLUMN}.reason: {error}")))?,
            fail_reason: row.fail_reason,
        }),
        Some("charge_reversal") => EventData::ChargeReversal(ChargeReversalSnapshot {
            id: RefundId::from_trusted(required(&row.id, "id")?),
            payment_id: PaymentId::from_trusted(required(&row.payment_id, "payment_id")?),
            amount: money(&row.amount, "amount")?,
            currency,
            payment_status: payment_status(&row.payment_status, "payment_status")?,
        }),
        other => return Err(corrupt(format!("{COLUMN}.object: {other:?}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: EventData) {
        let text = to_row(&data).to_string();
        assert_eq!(from_text(&text).unwrap(), data, "{text}");
    }

    #[test]
    fn every_subject_reads_back_as_written() {
        let usd = Currency::parse("USD").unwrap();
        let kwd = Currency::parse("KWD").unwrap();
        round_trip(EventData::Payment(PaymentSnapshot {
            id: PaymentId::from_trusted("pay_1".into()),
            status: PaymentStatus::Paid,
            amount: Money::parse_in("12.50", usd).unwrap(),
            refunded_amount: Money::parse_in("2.50", usd).unwrap(),
            currency: usd,
            user_id: NonEmptyString::parse("user \"quoted\" \u{e9}").unwrap(),
            miniapp_order_id: Some(NonEmptyString::parse("order-1").unwrap()),
            fail_reason: None,
            custom_attributes: Some(json!({"b": [1, 2], "a": {"z": null}})),
        }));
        round_trip(EventData::Refund(RefundSnapshot {
            id: RefundId::from_trusted("ref_1".into()),
            payment_id: PaymentId::from_trusted("pay_1".into()),
            amount: Money::parse_in("1.250", kwd).unwrap(),
            currency: kwd,
            status: RefundStatus::Failed,
            reason: Some(BoundedString::parse("line\nbreak").unwrap()),
            fail_reason: Some("declined".into()),
        }));
        round_trip(EventData::ChargeReversal(ChargeReversalSnapshot {
            id: RefundId::from_trusted("ref_2".into()),
            payment_id: PaymentId::from_trusted("pay_2".into()),
            amount: Money::parse_in("10.00", usd).unwrap(),
            currency: usd,
            payment_status: PaymentStatus::Failed,
        }));
    }

    #[test]
    fn a_damaged_document_is_refused_naming_the_column() {
        for text in [
            "",
            "{}",
            r#"{"object":"payment","currency":"USD"}"#,
            r#"{"object":"nope","currency":"USD"}"#,
            r#"{"object":"refund","currency":"USD","id":1}"#,
        ] {
            let error = from_text(text).unwrap_err();
            assert!(format!("{error:?}").contains(COLUMN), "{text}: {error:?}");
        }
    }
}
