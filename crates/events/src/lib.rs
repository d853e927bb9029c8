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
use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::Value;

/// An event's `data` as it is published: the subject with `object` naming it, amounts as
/// strings in the currency's decimals, keys in sorted order.
pub fn data_json(data: &EventData) -> Value {
    serde_json::to_value(Published(data)).unwrap_or(Value::Null)
}

/// `data` written as [`data_json`] writes it, straight to the output (no intermediate
/// document): the same bytes (test `the_published_bytes_are_the_documents`).
#[derive(Debug, Clone, Copy)]
pub struct Published<'a>(pub &'a EventData);

impl Serialize for Published<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Fields in sorted key order, as a JSON object's keys are when rendered from a
        // document.
        match self.0 {
            EventData::Payment(payment) => {
                let mut out = serializer.serialize_struct("PaymentData", 10)?;
                out.serialize_field(
                    "amount",
                    &payment.amount.to_currency_string(payment.currency),
                )?;
                out.serialize_field("currency", &payment.currency)?;
                out.serialize_field("custom_attributes", &payment.custom_attributes)?;
                out.serialize_field("fail_reason", &payment.fail_reason)?;
                out.serialize_field("id", payment.id.as_str())?;
                out.serialize_field(
                    "miniapp_order_id",
                    &payment.miniapp_order_id.as_ref().map(|id| id.as_str()),
                )?;
                out.serialize_field("object", "payment")?;
                out.serialize_field(
                    "refunded_amount",
                    &payment.refunded_amount.to_currency_string(payment.currency),
                )?;
                out.serialize_field("status", payment.status.as_str())?;
                out.serialize_field("user_id", payment.user_id.as_str())?;
                out.end()
            }
            EventData::Refund(refund) => {
                let mut out = serializer.serialize_struct("RefundData", 8)?;
                out.serialize_field("amount", &refund.amount.to_currency_string(refund.currency))?;
                out.serialize_field("currency", &refund.currency)?;
                out.serialize_field("fail_reason", &refund.fail_reason)?;
                out.serialize_field("id", refund.id.as_str())?;
                out.serialize_field("object", "refund")?;
                out.serialize_field("payment_id", refund.payment_id.as_str())?;
                out.serialize_field(
                    "reason",
                    &refund.reason.as_ref().map(|reason| reason.as_str()),
                )?;
                out.serialize_field("status", refund.status.as_str())?;
                out.end()
            }
            EventData::ChargeReversal(reversal) => {
                let mut out = serializer.serialize_struct("ChargeReversalData", 6)?;
                out.serialize_field(
                    "amount",
                    &reversal.amount.to_currency_string(reversal.currency),
                )?;
                out.serialize_field("currency", &reversal.currency)?;
                out.serialize_field("id", reversal.id.as_str())?;
                out.serialize_field("object", "charge_reversal")?;
                out.serialize_field("payment_id", reversal.payment_id.as_str())?;
                out.serialize_field("payment_status", reversal.payment_status.as_str())?;
                out.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use hostpay_domain::event::{ChargeReversalSnapshot, PaymentSnapshot, RefundSnapshot};
    use hostpay_domain::ids::{PaymentId, RefundId};
    use hostpay_domain::money::{Currency, Money};
    use hostpay_domain::payment::{PaymentStatus, RefundStatus};
    use hostpay_domain::validation::{BoundedString, NonEmptyString};
    use serde_json::json;

    use super::*;

    fn samples() -> Vec<EventData> {
        let usd = Currency::parse("USD").unwrap();
        let jpy = Currency::parse("JPY").unwrap();
        let mut out = Vec::new();
        for (fail_reason, order, attributes) in [
            (None, None, None),
            (
                Some("card \"declined\"\n".to_owned()),
                Some(NonEmptyString::parse("o-1 \u{e9}").unwrap()),
                Some(json!({"z": 1, "a": [true, null], "m": {"y": "x"}})),
            ),
        ] {
            out.push(EventData::Payment(PaymentSnapshot {
                id: PaymentId::from_trusted("pay_1".into()),
                status: PaymentStatus::Paid,
                amount: Money::parse_in("1000", jpy).unwrap(),
                refunded_amount: Money::parse_in("0", jpy).unwrap(),
                currency: jpy,
                user_id: NonEmptyString::parse("u-\u{1F600}").unwrap(),
                miniapp_order_id: order,
                fail_reason: fail_reason.clone(),
                custom_attributes: attributes,
            }));
            out.push(EventData::Refund(RefundSnapshot {
                id: RefundId::from_trusted("ref_1".into()),
                payment_id: PaymentId::from_trusted("pay_1".into()),
                amount: Money::parse_in("2.50", usd).unwrap(),
                currency: usd,
                status: RefundStatus::Succeeded,
                reason: fail_reason
                    .as_deref()
                    .map(|reason| BoundedString::parse(reason).unwrap()),
                fail_reason,
            }));
        }
        out.push(EventData::ChargeReversal(ChargeReversalSnapshot {
            id: RefundId::from_trusted("ref_2".into()),
            payment_id: PaymentId::from_trusted("pay_2".into()),
            amount: Money::parse_in("12.50", usd).unwrap(),
            currency: usd,
            payment_status: PaymentStatus::Failed,
        }));
        out
    }

    /// What webhooks and the API have always published for these events (the document
    /// `json!` wrote before, keys sorted by its map), byte for byte.
    const PUBLISHED: [&str; 5] = [
        r#"{"amount":"1000","currency":"JPY","custom_attributes":null,"fail_reason":null,"id":"pay_1","miniapp_order_id":null,"object":"payment","refunded_amount":"0","status":"paid","user_id":"u-😀"}"#,
        r#"{"amount":"2.50","currency":"USD","fail_reason":null,"id":"ref_1","object":"refund","payment_id":"pay_1","reason":null,"status":"succeeded"}"#,
        r#"{"amount":"1000","currency":"JPY","custom_attributes":{"a":[true,null],"m":{"y":"x"},"z":1},"fail_reason":"card \"declined\"\n","id":"pay_1","miniapp_order_id":"o-1 é","object":"payment","refunded_amount":"0","status":"paid","user_id":"u-😀"}"#,
        r#"{"amount":"2.50","currency":"USD","fail_reason":"card \"declined\"\n","id":"ref_1","object":"refund","payment_id":"pay_1","reason":"card \"declined\"\n","status":"succeeded"}"#,
        r#"{"amount":"12.50","currency":"USD","id":"ref_2","object":"charge_reversal","payment_id":"pay_2","payment_status":"failed"}"#,
    ];

    #[test]
    fn the_published_bytes_are_the_documents() {
        let samples = samples();
        assert_eq!(samples.len(), PUBLISHED.len());
        for (data, expected) in samples.iter().zip(PUBLISHED) {
            assert_eq!(serde_json::to_string(&Published(data)).unwrap(), expected);
            assert_eq!(data_json(data).to_string(), expected);
        }
    }
}
