//! Audit: a charge the processor approved must never be left on a payment that ends
//! anything but `paid`. Known defect (reported, not fixed: it needs a persisted
//! "charging" claim that cancel and the expiry sweep honour, a store change): a cancel or
//! an expiry that lands while the processor is charging wins, and the approved charge is
//! then dropped (409 to the payer, payment `cancelled`, money taken).

mod common;

use std::sync::Arc;

use actix_web::test::TestRequest;
use async_trait::async_trait;
use chrono::Duration;
use common::{Backend, Harness};
use hostpay_domain::payment::ChargeOutcome;
use hostpay_domain::ports::{ChargeRequest, PaymentProcessor, ProcessorError, RefundRequest};
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

async fn charged_while_cancelled(expire: bool) {
    let started = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let (s, r) = (started.clone(), release.clone());
    let h = Harness::start_custom(Backend::Memory, Some(common::ADMIN_TOKEN), move |ports| {
        ports.processor = Arc::new(SlowProcessor {
            started: s,
            release: r,
        });
    })
    .await;
    let a = h.register_app("Pizza").await;
    let (id, token) = h.new_payment(&a, "u", "25.00").await;
    let interfere = async {
        started.notified().await;
        if expire {
            h.handles.clock.advance(Duration::minutes(16));
            h.services.payments.expire_due(10).await.unwrap_or(0);
        } else {
            h.public(
                TestRequest::post()
                    .uri(&format!("/checkout/{id}/cancel"))
                    .insert_header(("Authorization", format!("Bearer {token}"))),
            )
            .await;
        }
        release.notify_one();
    };
    let (confirmed, ()) = futures::join!(h.confirm(&id, &token, None), interfere);
    let read = h.get_payment(&a, &id).await;
    // The processor approved the charge: the payment must read paid (or the charge must
    // have been given back); today it reads cancelled and the confirm answers 409.
    assert_eq!(
        read.data()["status"],
        "paid",
        "approved charge dropped: confirm answered {} {}",
        confirmed.status,
        confirmed.text
    );
}

#[actix_web::test]
#[ignore = "known defect: a cancel during the charge drops an approved charge"]
async fn a_cancel_during_the_charge_does_not_drop_it() {
    charged_while_cancelled(false).await;
}

#[actix_web::test]
#[ignore = "known defect: an expiry during the charge drops an approved charge"]
async fn an_expiry_during_the_charge_does_not_drop_it() {
    charged_while_cancelled(true).await;
}
