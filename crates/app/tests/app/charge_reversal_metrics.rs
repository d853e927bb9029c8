//! An approved charge that cannot be recorded is reversed, and the operator sees it: the
//! `hostpay_charge_reversals_total` counter moves (alert on any increase) and each
//! attempt to refund it through the processor is counted by outcome.

use std::sync::Arc;

use hostpay_app::metered::MeteredPayments;
use hostpay_domain::miniapp::MiniappRegistration;
use hostpay_domain::money::{Currency, Money, PositiveMoney};
use hostpay_domain::order::{PaymentDetails, UserRef};
use hostpay_domain::payment::PaymentStatus;
use hostpay_domain::ports::StoreError;
use hostpay_domain::services::{CreatePayment, Idempotent, PaymentServiceError, Services};
use hostpay_domain::validation::NonEmptyString;
use hostpay_testkit::faults::{FaultyPayments, ScriptedProcessor};
use hostpay_testkit::{in_memory_ports, test_settings};
use metrics_exporter_prometheus::PrometheusBuilder;

#[test]
fn a_reversed_charge_is_counted_and_its_refund_attempts_too() {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    metrics::with_local_recorder(&recorder, || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(reverse_one_charge());
    });
    let text = handle.render();
    assert!(
        text.contains("hostpay_charge_reversals_total 1"),
        "the reversal is counted:\n{text}"
    );
    assert!(
        text.contains(r#"hostpay_charge_reversal_attempts_total{outcome="accepted"} 1"#),
        "the accepted refund of the reversal is counted:\n{text}"
    );
}

async fn reverse_one_charge() {
    let (mut ports, _handles) = in_memory_ports();
    let processor = Arc::new(ScriptedProcessor::new());
    ports.processor = processor.clone();
    // The store refuses, for good, to record any payment as paid.
    let refusing = FaultyPayments::new(ports.payments.clone(), |write| {
        (write.payment.status() == PaymentStatus::Paid).then_some(StoreError::Conflict)
    });
    ports.payments = Arc::new(MeteredPayments::new(Arc::new(refusing)));
    let services = Services::new(ports, test_settings());
    let (app, _) = services
        .apps
        .register(MiniappRegistration {
            name: NonEmptyString::parse("Pizza").unwrap(),
            webhook_url: None,
        })
        .await
        .unwrap();
    let request = CreatePayment {
        user_id: UserRef::parse("user-1".to_owned()).unwrap(),
        amount: PositiveMoney::new(Money::parse("80.00").unwrap()).unwrap(),
        currency: Currency::parse("USD").unwrap(),
        miniapp_order_id: None,
        details: PaymentDetails::default(),
    };
    let created = match services.payments.create(&app, request, None).await.unwrap() {
        Idempotent::Fresh(created) => created,
        Idempotent::Replayed(_) => panic!("nothing to replay"),
        Idempotent::NeedsReply(_) => panic!("no key, no reply to render"),
    };
    let id = created.payment.id().clone();
    let grant = services
        .payments
        .grant(&id, created.payment.user_id())
        .await
        .unwrap()
        .grant;
    let refused = services.payments.confirm(&id, &grant, false).await;
    assert!(
        matches!(&refused, Err(PaymentServiceError::Rejected { current, .. }) if current.status() == PaymentStatus::Failed),
        "{refused:?}"
    );
    let refunds = processor.refunds();
    assert_eq!(refunds.len(), 1, "refunded through the processor at once");
    assert_eq!(refunds[0].amount.to_string(), "80.00");
}
