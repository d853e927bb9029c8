//! Property tests of the payment state machine: for any sequence of operations a payment
//! never leaves a final state, never returns to `in_process`, refunds never exceed the
//! amount, `refunded` holds exactly when refunds cover the amount, and each transition
//! emits exactly its events.

use chrono::{DateTime, Duration, TimeZone, Utc};
use hostpay_domain::event::EventKind;
use hostpay_domain::ids::{AppId, PaymentId, RefundId};
use hostpay_domain::money::{Currency, Money, PositiveMoney};
use hostpay_domain::order::PaymentDetails;
use hostpay_domain::payment::{
    CancelReason, Channel, ChargeOutcome, NewPayment, Payment, PaymentStatus, RefundStatus,
};
use hostpay_domain::validation::NonEmptyString;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    BeginCharge,
    Approve,
    Decline,
    Cancel,
    Expire,
    Refund(Option<i64>),
    RefundOutcome(usize, bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::BeginCharge),
        Just(Op::Approve),
        Just(Op::Decline),
        Just(Op::Cancel),
        Just(Op::Expire),
        proptest::option::of(1i64..6000).prop_map(Op::Refund),
        (0usize..8, any::<bool>()).prop_map(|(i, ok)| Op::RefundOutcome(i, ok)),
    ]
}

fn start(amount_cents: i64) -> Payment {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap();
    let request = NewPayment {
        app_id: AppId::parse("app_test").unwrap(),
        channel: Channel::Miniapp,
        user_id: NonEmptyString::parse("user-1").unwrap(),
        amount: PositiveMoney::new(Money::from_minor(amount_cents).unwrap()).unwrap(),
        currency: Currency::parse("USD").unwrap(),
        miniapp_order_id: None,
        details: PaymentDetails::default(),
    };
    let opened = Payment::open(
        request,
        PaymentId::parse("pay_test").unwrap(),
        now,
        Duration::minutes(15),
    );
    assert_eq!(kinds(&opened.events), vec![EventKind::PaymentCreated]);
    opened.payment
}

fn kinds(events: &[hostpay_domain::event::DomainEvent]) -> Vec<EventKind> {
    events.iter().map(|event| event.kind).collect()
}

fn non_failed_refunds(payment: &Payment) -> Money {
    Money::sum(
        payment
            .refunds()
            .iter()
            .filter(|refund| refund.status != RefundStatus::Failed)
            .map(|refund| refund.amount),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn payment_invariants_hold_for_any_sequence(
        amount_cents in 1i64..10_000,
        ops in proptest::collection::vec(op(), 0..40),
    ) {
        let mut payment = start(amount_cents);
        let mut now: DateTime<Utc> = payment.created_at();
        let mut refund_seq = 0;
        for op in ops {
            now += Duration::seconds(1);
            let before = payment.clone();
            let result = match &op {
                Op::BeginCharge => payment.begin_charge(now),
                Op::Approve => payment.record_charge(&ChargeOutcome::Approved, now),
                Op::Decline => payment.record_charge(
                    &ChargeOutcome::Declined { reason: "declined".into() }, now),
                Op::Cancel => payment.cancel(CancelReason::ByUser, now),
                Op::Expire => payment.cancel(CancelReason::Expired, now),
                Op::Refund(cents) => {
                    refund_seq += 1;
                    let amount = cents.map(|c| PositiveMoney::new(Money::from_minor(c).unwrap()).unwrap());
                    payment
                        .request_refund(RefundId::parse(&format!("ref_{refund_seq}")).unwrap(), amount, None, now)
                        .map(|(transition, refund)| {
                            assert_eq!(refund.status, RefundStatus::Pending);
                            transition
                        })
                }
                Op::RefundOutcome(index, ok) => match payment.refunds().get(*index) {
                    Some(refund) => {
                        let outcome = if *ok { Ok(()) } else { Err("refused".to_owned()) };
                        payment.record_refund(&refund.id.clone(), outcome, now)
                    }
                    None => continue,
                },
            };
            match result {
                Ok(transition) => {
                    let next = transition.payment;
                    // Each transition bumps the version by one and emits exactly its events.
                    prop_assert_eq!(next.version(), before.version() + 1);
                    let expected = match &op {
                        Op::BeginCharge => vec![],
                        Op::Approve => vec![EventKind::PaymentPaid],
                        Op::Decline => vec![EventKind::PaymentFailed],
                        Op::Cancel | Op::Expire => vec![EventKind::PaymentCancelled],
                        Op::Refund(_) => vec![EventKind::RefundCreated],
                        Op::RefundOutcome(_, true) if next.status() == PaymentStatus::Refunded =>
                            vec![EventKind::RefundSucceeded, EventKind::PaymentRefunded],
                        Op::RefundOutcome(_, true) => vec![EventKind::RefundSucceeded],
                        Op::RefundOutcome(_, false) => vec![EventKind::RefundFailed],
                    };
                    prop_assert_eq!(kinds(&transition.events), expected);
                    // Event ids are stable per (subject, kind) and unique within a payment.
                    for event in &transition.events {
                        prop_assert!(event.id.as_str().starts_with("evt_"));
                    }
                    // Never back to in_process; nothing leaves a final status.
                    if before.status().is_settled() {
                        prop_assert!(next.status().is_settled());
                    }
                    prop_assert!(!before.status().is_final(), "{:?} changed after final", before.status());
                    payment = next;
                }
                Err(_) => {
                    // A refused operation changes nothing (the caller keeps `before`).
                    // A charge in flight is never cancelled by the user or by expiry.
                    if matches!(op, Op::Cancel | Op::Expire)
                        && before.status() == PaymentStatus::InProcess
                    {
                        prop_assert!(before.charging_since().is_some());
                    }
                }
            }
            // Only an in_process payment can have a charge in flight.
            if payment.charging_since().is_some() {
                prop_assert_eq!(payment.status(), PaymentStatus::InProcess);
            }
            // Refunds never exceed the amount; refunded iff succeeded refunds cover it.
            prop_assert!(non_failed_refunds(&payment) <= payment.amount());
            prop_assert_eq!(
                payment.status() == PaymentStatus::Refunded,
                payment.refunded_amount() == payment.amount()
            );
            prop_assert!(payment.refunded_amount() <= payment.amount());
            // Refunds exist only on payments that were paid.
            if !payment.refunds().is_empty() {
                prop_assert!(matches!(payment.status(), PaymentStatus::Paid | PaymentStatus::Refunded));
            }
        }
    }

    #[test]
    fn refund_default_takes_what_remains(amount_cents in 1i64..100_000, first in 1i64..100_000) {
        let now = Utc::now();
        let paid = start(amount_cents).record_charge(&ChargeOutcome::Approved, now).unwrap().payment;
        let first = first.min(amount_cents);
        let (t, refund) = paid.request_refund(
            RefundId::parse("ref_a").unwrap(),
            Some(PositiveMoney::new(Money::from_minor(first).unwrap()).unwrap()),
            None,
            now,
        ).unwrap();
        prop_assert_eq!(refund.amount, Money::from_minor(first).unwrap());
        let rest = t.payment.refundable_amount();
        prop_assert_eq!(rest, Money::from_minor(amount_cents - first).unwrap());
        let second = t.payment.request_refund(RefundId::parse("ref_b").unwrap(), None, None, now);
        if rest.is_zero() {
            prop_assert!(second.is_err());
        } else {
            prop_assert_eq!(second.unwrap().1.amount, rest);
        }
    }
}

#[test]
fn errors_name_the_current_status() {
    let now = Utc::now();
    let failed = start(1000)
        .record_charge(
            &ChargeOutcome::Declined {
                reason: "no funds".into(),
            },
            now,
        )
        .unwrap()
        .payment;
    let error = failed
        .request_refund(RefundId::parse("ref_x").unwrap(), None, None, now)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "payment pay_test is failed; only paid payments can be refunded"
    );
    let error = failed.cancel(CancelReason::ByUser, now).unwrap_err();
    assert!(error.to_string().contains("is failed"));
}
