//! Money: amounts keep exactly their currency's decimals through every store (ISO 4217
//! minor units: JPY none, USD 2, KWD 3, CLF 4), at the largest amount each currency
//! allows too; payments, their items and refunds, and order activities alike.

use hostpay_domain::access::PaymentSession;
use hostpay_domain::ids::{PaymentId, RefundId};
use hostpay_domain::miniapp::Miniapp;
use hostpay_domain::money::{Currency, Money, PositiveMoney};
use hostpay_domain::order::PaymentDetails;
use hostpay_domain::order_activity::{OrderActivity, OrderActivityStatus, OrderActivityUpsert};
use hostpay_domain::payment::{Channel, ChargeOutcome, NewPayment, Payment, Transition};
use hostpay_domain::ports::NewPaymentWrite;

use super::fixture::{stored, text255, utc, Fixture, Must};
use super::ports::StorePorts;

/// One currency's amounts, as sent and as they must be written back.
struct Case {
    currency: &'static str,
    /// The payment's amount, as sent, and as written in the currency.
    amount: (&'static str, &'static str),
    /// An item's price.
    price: (&'static str, &'static str),
    /// That item's discount.
    discount: (&'static str, &'static str),
    /// A partial refund.
    refund: (&'static str, &'static str),
    /// The largest amount the currency allows (20 digits in all, 18 before the point).
    largest: &'static str,
}

const CASES: &[Case] = &[
    Case {
        currency: "JPY",
        amount: ("1000", "1000"),
        price: ("250.0", "250"),
        discount: ("50", "50"),
        refund: ("300", "300"),
        largest: "999999999999999999",
    },
    Case {
        currency: "USD",
        amount: ("12.5", "12.50"),
        price: ("4.50", "4.50"),
        discount: ("0.25", "0.25"),
        refund: ("2.25", "2.25"),
        largest: "999999999999999999.99",
    },
    Case {
        currency: "KWD",
        amount: ("10.500", "10.500"),
        price: ("1.255", "1.255"),
        discount: ("0.005", "0.005"),
        refund: ("0.125", "0.125"),
        largest: "99999999999999999.999",
    },
    Case {
        currency: "KWD",
        amount: ("10.505", "10.505"),
        price: ("10.5", "10.500"),
        discount: ("0.001", "0.001"),
        refund: ("10.504", "10.504"),
        largest: "12345678901234567.891",
    },
    Case {
        currency: "CLF",
        amount: ("1.2345", "1.2345"),
        price: ("0.0001", "0.0001"),
        discount: ("0", "0.0000"),
        refund: ("0.0045", "0.0045"),
        largest: "9999999999999999.9999",
    },
];

fn currency(code: &str) -> Currency {
    Currency::parse(code).must("a supported currency")
}

fn amount_in(text: &str, currency: Currency) -> Money {
    Money::parse_in(text, currency).must(&format!("{text} is a valid amount in {currency}"))
}

fn details(case: &Case, currency: Currency) -> PaymentDetails {
    let mut details: PaymentDetails = crate::orders::payment_details(serde_json::json!({
        "items": [
            {"product_name": "Dates", "quantity": 2, "price": case.price.0, "discount": case.discount.0},
            {"product_name": "Coffee"}
        ],
    }));
    details.subtotal_amount = Some(amount_in(case.amount.0, currency));
    details
}

/// A new miniapp payment of `app` in `currency`, with its session and routed events.
fn open(
    fx: &Fixture,
    app: &Miniapp,
    amount: Money,
    currency: Currency,
    details: PaymentDetails,
) -> NewPaymentWrite {
    let request = NewPayment {
        app_id: app.id.clone(),
        channel: Channel::Miniapp,
        user_id: text255("user-money"),
        amount: PositiveMoney::new(amount).must("a positive amount"),
        currency,
        miniapp_order_id: None,
        details,
    };
    let Transition {
        payment,
        mut events,
    } = Payment::open(
        request,
        PaymentId::generate(fx.ids.as_ref()),
        fx.now(),
        fx.ttl,
    );
    payment.route(&mut events, app.webhook_url.is_some());
    let session = PaymentSession {
        token_hash: fx.hash(),
        payment_id: payment.id().clone(),
        created_at: fx.now(),
        expires_at: payment.expires_at(),
    };
    NewPaymentWrite {
        payment,
        session,
        events,
        idempotent: None,
    }
}

/// Asserts that the stored payment is exactly `expected` and that its amounts are
/// written with the currency's decimals.
async fn assert_written(ports: &StorePorts, expected: &Payment, case: &Case, what: &str) {
    let got = stored(ports, expected.id()).await;
    assert_eq!(
        &got, expected,
        "contract: money {what} in {}: PaymentRepository::get must return exactly what was written",
        case.currency
    );
    let currency = got.currency();
    assert_eq!(
        got.amount().to_currency_string(currency),
        case.amount.1,
        "contract: money {what}: the amount in {currency} reads back with its decimals"
    );
    let item = got.details().items.first().must("the payment's first item");
    assert_eq!(
        (
            item.price.map(|price| price.to_currency_string(currency)),
            item.discount
                .map(|discount| discount.to_currency_string(currency))
        ),
        (
            Some(case.price.1.to_owned()),
            Some(case.discount.1.to_owned())
        ),
        "contract: money {what}: the item's price and discount in {currency} read back exactly"
    );
    assert_eq!(
        got.details()
            .subtotal_amount
            .map(|subtotal| subtotal.to_currency_string(currency)),
        Some(case.amount.1.to_owned()),
        "contract: money {what}: the subtotal in {currency} reads back exactly"
    );
}

/// Payments, items, refunds and order activities in JPY, USD, KWD and CLF keep every
/// decimal their currency has (and no more is invented): each reads back equal to what
/// was written and is written back with exactly the currency's decimals.
pub async fn money_minor_units(ports: &StorePorts) {
    let fx = Fixture::new("mny", utc(2026, 2, 21));
    let app = fx.stored_app(ports, false).await;
    for case in CASES {
        let currency = currency(case.currency);
        fx.tick(1);
        let write = open(
            &fx,
            &app,
            amount_in(case.amount.0, currency),
            currency,
            details(case, currency),
        );
        ports
            .payments
            .insert(write.clone())
            .await
            .must("PaymentRepository::insert");
        assert_written(ports, &write.payment, case, "insert").await;

        fx.tick(1);
        let transition = write
            .payment
            .record_charge(&ChargeOutcome::Approved, fx.now())
            .must("record_charge on an in_process payment");
        let (paid, _) = fx.save(ports, &app, transition, "save of paid").await;
        fx.tick(1);
        let refund = PositiveMoney::new(amount_in(case.refund.0, currency)).must("a refund");
        let (transition, asked) = paid
            .request_refund(
                RefundId::generate(fx.ids.as_ref()),
                Some(refund),
                None,
                fx.now(),
            )
            .must("request_refund on a paid payment");
        let (pending, _) = fx.save(ports, &app, transition, "save of a refund").await;
        assert_written(ports, &pending, case, "pending refund").await;
        fx.tick(1);
        let transition = pending
            .record_refund(&asked.id, Ok(()), fx.now())
            .must("record_refund");
        let (refunded, _) = fx
            .save(ports, &app, transition, "save of a refund outcome")
            .await;
        assert_written(ports, &refunded, case, "refund").await;
        let got = stored(ports, refunded.id()).await;
        let refund = got.refunds().first().must("the stored refund");
        assert_eq!(
            (
                refund.amount.to_currency_string(currency),
                got.refunded_amount().to_currency_string(currency)
            ),
            (case.refund.1.to_owned(), case.refund.1.to_owned()),
            "contract: money: a refund in {currency} reads back with its decimals"
        );

        // The largest amount the currency allows, exactly.
        let largest = amount_in(case.largest, currency);
        let write = open(&fx, &app, largest, currency, PaymentDetails::default());
        ports
            .payments
            .insert(write.clone())
            .await
            .must("PaymentRepository::insert of the largest amount");
        let got = stored(ports, write.payment.id()).await;
        assert_eq!(
            got, write.payment,
            "contract: money: the largest amount in {currency} must read back exactly"
        );
        assert_eq!(got.amount().to_currency_string(currency), case.largest);

        // An order activity's total and items in the currency.
        let order_id = fx.unique("order-money-");
        let upsert = OrderActivityUpsert {
            order_id: text255(&order_id),
            user_id: text255("user-money"),
            status: OrderActivityStatus::Created,
            title: None,
            items: Some(details(case, currency).items),
            total: Some(amount_in(case.amount.0, currency)),
            currency: Some(currency),
            payment_id: Some(write.payment.id().clone()),
            delivery: None,
            note: None,
        };
        let activity = OrderActivity::create(upsert, app.id.clone(), fx.ids.as_ref(), fx.now());
        activity
            .check_amounts()
            .must("the order's amounts fit its currency");
        ports
            .order_activities
            .insert(&activity)
            .await
            .must("OrderActivityRepository::insert");
        let got = ports
            .order_activities
            .get_by_order(&app.id, &order_id)
            .await
            .must("OrderActivityRepository::get_by_order")
            .must("the order just inserted");
        assert_eq!(
            got, activity,
            "contract: money: an order activity in {currency} must read back exactly"
        );
        assert_eq!(
            got.total.map(|total| total.to_currency_string(currency)),
            Some(case.amount.1.to_owned()),
            "contract: money: an order's total in {currency} reads back with its decimals"
        );
        let item = got.items.first().must("the order's first item");
        assert_eq!(
            item.price.map(|price| price.to_currency_string(currency)),
            Some(case.price.1.to_owned()),
            "contract: money: an order item's price in {currency} reads back exactly"
        );
    }
}
