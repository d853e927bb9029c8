//! Audit: a charge the processor approved must never be left on a payment that ends
//! anything but `paid`. A confirm marks its charge before asking the processor
//! (`charging_since`); a cancel or an expiry that lands meanwhile is refused, and the
//! expiry sweep reconciles a charge that never got an answer by asking the processor again
//! with the same idempotency key.

use std::sync::Arc;

use actix_web::test::TestRequest;
use async_trait::async_trait;
use chrono::Duration;
use hostpay_domain::payment::ChargeOutcome;
use hostpay_domain::ports::{ChargeRequest, PaymentProcessor, ProcessorError, RefundRequest};
use hostpay_testkit::app::{Backend, Harness};
use tokio::sync::Notify;

/// Approves every charge, but only once the test lets it answer.
struct SlowProcessor {
    started: Arc<Notify>,
    release: Arc<Notify>,
}

#[async_trait]
impl PaymentProcessor for SlowProcessor {
    fn can_simulate(&self) -> bool {
        false
    }
    async fn charge(&self, _request: &ChargeRequest) -> Result<ChargeOutcome, ProcessorError> {
        self.started.notify_one();
        self.release.notified().await;
        Ok(ChargeOutcome::Approved)
    }
    async fn refund(&self, _request: &RefundRequest) -> Result<Result<(), String>, ProcessorError> {
        Ok(Ok(()))
    }
}

async fn charged_while_cancelled(backend: Backend, expire: bool) {
    let started = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let (s, r) = (started.clone(), release.clone());
    let h = Harness::start_custom(
        backend,
        Some(hostpay_testkit::app::ADMIN_TOKEN),
        move |ports| {
            ports.processor = Arc::new(SlowProcessor {
                started: s,
                release: r,
            });
        },
    )
    .await;
    let a = h.register_app("Pizza").await;
    let (id, _) = h.new_session(&a, "u", "25.00").await;
    if expire {
        // Paid one minute before the session (15 min) ends...
        h.handles.clock.advance(Duration::minutes(14));
    }
    let grant = h.grant(&id, "u").await;
    grant.assert_ok(201);
    let token = grant.data()["grant"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let interfere = async {
        started.notified().await;
        if expire {
            // ...and the sweep runs 90 s later, past the end, while the charge is still
            // in flight (younger than the reconcile delay).
            h.handles.clock.advance(Duration::seconds(90));
            let settled = h.services.payments.expire_due(10).await.unwrap_or(99);
            assert_eq!(settled, 0, "the sweep must leave a charge in flight alone");
        } else {
            let cancel = h
                .public(
                    TestRequest::post()
                        .uri(&format!("/checkout/{id}/cancel"))
                        .insert_header(("Authorization", format!("Bearer {token}"))),
                )
                .await;
            cancel.assert_error(409, "CHARGE_IN_PROGRESS");
            assert!(cancel.text.contains("being charged"), "{}", cancel.text);
        }
        release.notify_one();
    };
    let (confirmed, ()) = futures::join!(h.confirm(&id, &token, None), interfere);
    let read = h.get_payment(&a, &id).await;
    // The processor approved the charge: the payment reads paid.
    assert_eq!(
        read.data()["status"],
        "paid",
        "approved charge dropped: confirm answered {} {}",
        confirmed.status,
        confirmed.text
    );
}

#[actix_web::test]
async fn a_cancel_during_the_charge_does_not_drop_it() {
    charged_while_cancelled(Backend::Memory, false).await;
    charged_while_cancelled(Backend::Sqlite, false).await;
}

#[actix_web::test]
async fn an_expiry_during_the_charge_does_not_drop_it() {
    charged_while_cancelled(Backend::Memory, true).await;
    charged_while_cancelled(Backend::Sqlite, true).await;
}

/// Charges once per payment like a real wallet, but the first answer is lost (a timeout).
#[derive(Default)]
struct LostAnswerProcessor {
    calls: std::sync::Mutex<u32>,
}

#[async_trait]
impl PaymentProcessor for LostAnswerProcessor {
    fn can_simulate(&self) -> bool {
        false
    }
    async fn charge(&self, _request: &ChargeRequest) -> Result<ChargeOutcome, ProcessorError> {
        let mut calls = self.calls.lock().unwrap();
        *calls += 1;
        if *calls == 1 {
            Err(ProcessorError::Timeout)
        } else {
            Ok(ChargeOutcome::Approved)
        }
    }
    async fn refund(&self, _request: &RefundRequest) -> Result<Result<(), String>, ProcessorError> {
        Ok(Ok(()))
    }
}

#[actix_web::test]
async fn a_charge_without_an_answer_is_reconciled_not_cancelled() {
    for backend in [Backend::Memory, Backend::Sqlite] {
        let h = Harness::start_custom(backend, Some(hostpay_testkit::app::ADMIN_TOKEN), |ports| {
            ports.processor = Arc::new(LostAnswerProcessor::default());
        })
        .await;
        let a = h.register_app("Pizza").await;
        let (id, token) = h.new_payment(&a, "u", "25.00").await;
        // The wallet charged, but its answer was lost: 502, the payment stays in_process.
        h.confirm(&id, &token, None)
            .await
            .assert_error(502, "PROCESSOR_UNAVAILABLE");
        assert_eq!(h.get_payment(&a, &id).await.data()["status"], "in_process");
        // Past the session's end the expiry sweep leaves it alone; the charge check asks
        // the wallet again and records its answer.
        h.handles.clock.advance(Duration::minutes(16));
        assert_eq!(h.services.payments.expire_due(10).await.unwrap(), 0);
        assert_eq!(h.services.payments.check_charges(10).await.unwrap(), 1);
        let read = h.get_payment(&a, &id).await;
        assert_eq!(read.data()["status"], "paid", "{}", read.text);
    }
}
