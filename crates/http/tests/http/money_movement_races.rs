// Review findings on the money-movement paths (pay grants, reversals, retries).
// Each test states what the contract promises; a failing test is a finding.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::Duration;
use hostpay_domain::ids::PaymentId;
use hostpay_domain::payment::{ChargeOutcome, PaymentStatus, ReversalStatus};
use hostpay_domain::ports::{
    ChargeRequest, PaymentProcessor, ProcessorError, RefundRequest, StoreError,
};
use hostpay_testkit::app::{Backend, Harness};
use hostpay_testkit::faults::{FaultyPayments, ScriptedProcessor};
use serde_json::json;

fn pid(id: &str) -> PaymentId {
    PaymentId::parse(id).unwrap()
}

/// Finding 1: a charge is reversed once per in-flight answer, not once per charge.
///
/// Two answers for the same charge (the user's double click on Pay, or a confirm and the
/// charge check, or two instances' charge checks) are both `Approved` (same idempotency
/// key). When the first cannot be recorded (one refused write), `reverse_charge` fails the
/// payment and refunds it; the second answer then finds the payment `failed`, counts as
/// "unrecordable" again and issues a SECOND reversal with a NEW refund id: the user is
/// refunded twice for one charge.
async fn one_charge_is_reversed_at_most_once(backend: Backend) {
    let wallet = Arc::new(SlowWallet::default());
    let w = wallet.clone();
    let refused_once = Arc::new(AtomicBool::new(false));
    let h = Harness::start_custom(
        backend,
        Some(hostpay_testkit::app::ADMIN_TOKEN),
        move |ports| {
            ports.processor = w;
            ports.payments = Arc::new(FaultyPayments::new(ports.payments.clone(), move |write| {
                // The store refuses the first `paid` write once (e.g. a unique violation).
                (write.payment.status() == PaymentStatus::Paid
                    && !refused_once.swap(true, Ordering::SeqCst))
                .then(|| StoreError::Duplicate("event_id".to_owned()))
            }));
        },
    )
    .await;
    let a = h.register_app("Pizza").await;
    let (id, grant) = h.new_payment(&a, "user-1", "80.00").await;

    // A double click on Pay: both confirms reach the wallet (same idempotency key, one
    // charge); the first answer comes back after 300 ms, the second after 1.5 s.
    let (first, second) = futures::join!(h.confirm(&id, &grant, None), async {
        tokio::time::sleep(StdDuration::from_millis(50)).await;
        h.confirm(&id, &grant, None).await
    });
    eprintln!("first: {} {}", first.status, first.code());
    eprintln!("second: {} {}", second.status, second.code());
    assert_eq!(wallet.charges.load(Ordering::SeqCst), 2);

    let reversals = h.ports.payments.reversals(&pid(&id)).await.unwrap();
    let mut refund_keys = wallet.refund_keys.lock().unwrap().clone();
    refund_keys.sort();
    refund_keys.dedup();
    assert_eq!(
        (reversals.len(), refund_keys.len()),
        (1, 1),
        "one approved charge of 80.00 must be reversed once; reversals: {reversals:?}, \
         distinct processor refunds: {refund_keys:?}"
    );
}

/// A wallet that approves every charge (idempotent per payment), the first answer after
/// 300 ms and any later one after 1.5 s, and accepts every refund.
#[derive(Default)]
struct SlowWallet {
    charges: AtomicUsize,
    refund_keys: std::sync::Mutex<Vec<String>>,
}

#[async_trait]
impl PaymentProcessor for SlowWallet {
    fn can_simulate(&self) -> bool {
        false
    }
    async fn charge(&self, _request: &ChargeRequest) -> Result<ChargeOutcome, ProcessorError> {
        let call = self.charges.fetch_add(1, Ordering::SeqCst);
        let wait = if call == 0 { 300 } else { 1500 };
        tokio::time::sleep(StdDuration::from_millis(wait)).await;
        Ok(ChargeOutcome::Approved)
    }
    async fn refund(&self, request: &RefundRequest) -> Result<Result<(), String>, ProcessorError> {
        self.refund_keys
            .lock()
            .unwrap()
            .push(request.refund_id.to_string());
        Ok(Ok(()))
    }
}

#[actix_web::test]
async fn one_charge_is_reversed_at_most_once_memory() {
    one_charge_is_reversed_at_most_once(Backend::Memory).await;
}

#[actix_web::test]
async fn one_charge_is_reversed_at_most_once_postgres() {
    one_charge_is_reversed_at_most_once(Backend::Postgres).await;
}

/// A wallet whose decline reason the database cannot store (a NUL character: valid JSON
/// `"\u0000"`, refused by PostgreSQL TEXT/JSON).
#[derive(Default)]
struct NulReasonWallet {
    charges: AtomicUsize,
}

#[async_trait]
impl PaymentProcessor for NulReasonWallet {
    fn can_simulate(&self) -> bool {
        false
    }
    async fn charge(&self, _request: &ChargeRequest) -> Result<ChargeOutcome, ProcessorError> {
        self.charges.fetch_add(1, Ordering::SeqCst);
        Ok(ChargeOutcome::Declined {
            reason: "card declined\u{0}".to_owned(),
        })
    }
    async fn refund(&self, _request: &RefundRequest) -> Result<Result<(), String>, ProcessorError> {
        Ok(Ok(()))
    }
}

/// Finding 2: an outcome whose write fails with `Unavailable` is never deferred.
///
/// `record_outcome` treats every `Unavailable` as "the database is down, the charge check
/// will record it later", and `check_charge` only defers on a processor error. A write
/// that fails for good with `Unavailable` (here: the wallet's decline reason carries a NUL,
/// which PostgreSQL refuses) leaves the payment `in_process` with its charge marker
/// forever: it can never be cancelled (CHARGE_IN_PROGRESS), settled (CHARGE_IN_PROGRESS)
/// or expired (the sweep skips charges in flight), and the charge check asks the
/// processor again on EVERY cycle (10 s), with no backoff.
#[actix_web::test]
async fn an_unstorable_decline_neither_wedges_the_payment_nor_loops_hot() {
    let wallet = Arc::new(NulReasonWallet::default());
    let w = wallet.clone();
    let h = Harness::start_custom(
        Backend::Postgres,
        Some(hostpay_testkit::app::ADMIN_TOKEN),
        move |ports| {
            ports.processor = w;
        },
    )
    .await;
    let a = h.register_app("Pizza").await;
    let (id, session) = h.new_session(&a, "user-1", "80.00").await;
    let grant = h.grant(&id, "user-1").await.data()["grant"]
        .as_str()
        .unwrap()
        .to_owned();
    let confirmed = h.confirm(&id, &grant, None).await;
    eprintln!("confirm answered {}: {}", confirmed.status, confirmed.text);

    // Six worker cycles (10 s apart) after the 2-minute reconcile delay.
    h.handles.clock.advance(Duration::minutes(2));
    for _ in 0..6 {
        let _ = h.services.payments.check_charges(100).await;
        h.handles.clock.advance(Duration::seconds(10));
    }
    let asked = wallet.charges.load(Ordering::SeqCst);
    // Neither the user nor the host can end it...
    let cancel = h
        .public(
            actix_web::test::TestRequest::post()
                .uri(&format!("/checkout/{id}/cancel"))
                .insert_header(("Authorization", format!("Bearer {session}"))),
        )
        .await;
    let settle = h
        .admin(
            actix_web::test::TestRequest::post()
                .uri(&format!("/internal/v1/payments/{id}/settle"))
                .set_json(json!({"status": "cancelled"})),
        )
        .await;
    // ...nor the expiry sweep, two hours later.
    h.handles.clock.advance(Duration::hours(2));
    let _ = h.services.payments.expire_due(100).await;
    let payment = h.services.payments.get(&pid(&id)).await.unwrap();
    eprintln!(
        "after 1 confirm + 6 charge-check cycles: wallet asked {asked} times; cancel {} {}, \
         settle {} {}; 2 h later: status {:?}, charging_since {:?}",
        cancel.status,
        cancel.code(),
        settle.status,
        settle.code(),
        payment.status(),
        payment.charging_since(),
    );
    assert!(
        asked <= 3,
        "the processor was asked {asked} times in one minute: no backoff when the outcome \
         cannot be written"
    );
    assert_ne!(
        payment.status(),
        PaymentStatus::InProcess,
        "the payment is wedged in_process with a charge marker (cannot cancel, settle or expire)"
    );
}

/// Finding 3: the expiry sweep stops at the first payment it cannot write.
///
/// `expire_due` cancels sequentially and `return Err` on the first non-`Rejected` error;
/// the failing payment has the oldest `expires_at`, so it is first again on every cycle
/// and no later expiry ever happens ("one stuck item can never hold back another").
#[actix_web::test]
async fn one_unwritable_expiry_does_not_hold_back_the_others() {
    let stuck: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
    let s = stuck.clone();
    let h = Harness::start_custom(
        Backend::Memory,
        Some(hostpay_testkit::app::ADMIN_TOKEN),
        move |ports| {
            ports.payments = Arc::new(FaultyPayments::new(ports.payments.clone(), move |write| {
                let stuck = s.lock().unwrap();
                (stuck.as_deref() == Some(write.payment.id().as_str())
                    && write.payment.status() == PaymentStatus::Cancelled)
                    .then(|| StoreError::Unavailable("this row cannot be written".to_owned()))
            }));
        },
    )
    .await;
    let a = h.register_app("Pizza").await;
    let (first, _) = h.new_session(&a, "user-1", "5.00").await;
    h.handles.clock.advance(Duration::seconds(1));
    let (second, _) = h.new_session(&a, "user-2", "7.00").await;
    *stuck.lock().unwrap() = Some(first.clone());

    h.handles.clock.advance(Duration::minutes(16));
    for _ in 0..3 {
        let _ = h.services.payments.expire_due(100).await;
        h.handles.clock.advance(Duration::seconds(5));
    }
    let status = h
        .services
        .payments
        .get(&pid(&second))
        .await
        .unwrap()
        .status();
    assert_eq!(
        status,
        PaymentStatus::Cancelled,
        "an unrelated expired payment is never cancelled while {first} cannot be written"
    );
}

/// Finding 4: `save_reversal` overwrites whatever is stored (no condition on status).
///
/// Two instances retry the same due reversal: instance A's refund is accepted and saved
/// `succeeded`; instance B's call to the same refund gets no answer and saves `pending`
/// over it. The reversal is asked again (and again, hourly, if the wallet answers a
/// repeated key with a refusal).
#[actix_web::test]
async fn an_accepted_reversal_is_never_made_pending_again() {
    let processor = Arc::new(ScriptedProcessor::new());
    processor.leave_all_refunds_unanswered(true);
    let p = processor.clone();
    let h = Harness::start_custom(
        Backend::Memory,
        Some(hostpay_testkit::app::ADMIN_TOKEN),
        move |ports| {
            ports.processor = p;
            ports.payments = Arc::new(FaultyPayments::new(ports.payments.clone(), |write| {
                (write.payment.status() == PaymentStatus::Paid).then_some(StoreError::Conflict)
            }));
        },
    )
    .await;
    let a = h.register_app("Pizza").await;
    let (id, grant) = h.new_payment(&a, "user-1", "80.00").await;
    h.confirm(&id, &grant, None)
        .await
        .assert_error(409, "INVALID_STATE");
    assert_eq!(
        h.ports.payments.reversals(&pid(&id)).await.unwrap().len(),
        1
    );

    // Both instances find it due; A is answered, B (100 ms later) is not.
    processor.leave_all_refunds_unanswered(false);
    processor.set_delay(StdDuration::from_millis(200));
    h.handles.clock.advance(Duration::minutes(2));
    let instance_a = h.services.payments.retry_reversals(10);
    let instance_b = async {
        tokio::time::sleep(StdDuration::from_millis(100)).await;
        h.services.payments.retry_reversals(10).await
    };
    let wallet_goes_silent = async {
        tokio::time::sleep(StdDuration::from_millis(250)).await;
        processor.leave_all_refunds_unanswered(true);
    };
    let (a_done, b_done, ()) = futures::join!(instance_a, instance_b, wallet_goes_silent);
    eprintln!("instance A accepted {a_done:?}, instance B accepted {b_done:?}");
    let reversal = h.ports.payments.reversals(&pid(&id)).await.unwrap()[0].clone();
    assert_eq!(
        reversal.status,
        ReversalStatus::Succeeded,
        "the processor accepted the reversal, yet it is stored as {reversal:?}"
    );
}

/// Sound (passes): what the miniapp holds never pays, whatever parameter carries it.
#[actix_web::test]
async fn a_session_token_never_pays_whatever_the_parameter() {
    let processor = Arc::new(ScriptedProcessor::new());
    let p = processor.clone();
    let h = Harness::start_custom(
        Backend::Memory,
        Some(hostpay_testkit::app::ADMIN_TOKEN),
        move |ports| {
            ports.processor = p;
        },
    )
    .await;
    let a = h.register_app("Pizza").await;
    let (id, session) = h.new_session(&a, "victim-user-7", "499.00").await;
    let (other, other_grant) = h.new_payment(&a, "victim-user-7", "1.00").await;

    // The session token in the `grant` parameter: read-only page, the form is refused.
    let sheet = h
        .public(actix_web::test::TestRequest::get().uri(&format!("/checkout/{id}?grant={session}")))
        .await;
    assert_eq!(sheet.status, 200);
    assert!(!sheet.text.contains(r#"id="pay""#));
    let form = h
        .public(
            actix_web::test::TestRequest::post()
                .uri(&format!("/checkout/{id}?grant={session}"))
                .set_form([("action", "pay")]),
        )
        .await;
    assert_eq!(form.status, 403, "{}", form.text);
    // Case or whitespace games do not turn a session into a grant.
    for token in [
        format!(" {session}"),
        session.to_uppercase(),
        format!("pg_{session}"),
    ] {
        let answer = h.confirm(&id, &token, None).await;
        assert!(
            matches!(answer.status, 401 | 403),
            "{token}: {}",
            answer.text
        );
    }
    // Another payment's grant (same user, same miniapp) does not pay this one.
    h.confirm(&id, &other_grant, None)
        .await
        .assert_error(401, "UNAUTHENTICATED");
    assert!(processor.charges().is_empty());
    // A miniapp's replayed create or payment read carries no grant.
    let read = h.get_payment(&a, &other).await;
    assert!(!read.text.contains("pg_"), "{}", read.text);
    assert_eq!(
        h.services.payments.get(&pid(&id)).await.unwrap().status(),
        PaymentStatus::InProcess
    );
}

/// Finding 5: after the wallet approved, an unreachable database makes the sheet tell the
/// user "Nothing was charged" (503), and the JSON confirm "nothing changed"; the charge is
/// in fact taken and recorded later by the charge check.
#[actix_web::test]
async fn the_sheet_never_says_nothing_was_charged_after_an_approved_charge() {
    let processor = Arc::new(ScriptedProcessor::new());
    let p = processor.clone();
    let database_down = Arc::new(AtomicBool::new(false));
    let down = database_down.clone();
    let h = Harness::start_custom(
        Backend::Memory,
        Some(hostpay_testkit::app::ADMIN_TOKEN),
        move |ports| {
            ports.processor = p;
            ports.payments = Arc::new(FaultyPayments::new(ports.payments.clone(), move |write| {
                (down.load(Ordering::SeqCst) && write.payment.status() == PaymentStatus::Paid)
                    .then(|| StoreError::Unavailable("connection refused".to_owned()))
            }));
        },
    )
    .await;
    let a = h.register_app("Pizza").await;
    let (id, grant) = h.new_payment(&a, "user-1", "80.00").await;
    database_down.store(true, Ordering::SeqCst);
    let page = h
        .public(
            actix_web::test::TestRequest::post()
                .uri(&format!("/checkout/{id}?grant={grant}"))
                .set_form([("action", "pay")]),
        )
        .await;
    let (id2, grant2) = {
        database_down.store(false, Ordering::SeqCst);
        let pair = h.new_payment(&a, "user-1", "80.00").await;
        database_down.store(true, Ordering::SeqCst);
        pair
    };
    let json = h.confirm(&id2, &grant2, None).await;
    eprintln!(
        "sheet: {} ... json confirm: {} {}",
        page.status, json.status, json.text
    );
    // The wallet approved both charges; the charge check records them once the DB is back.
    assert_eq!(processor.charges().len(), 2);
    database_down.store(false, Ordering::SeqCst);
    h.handles.clock.advance(Duration::minutes(2));
    assert_eq!(h.services.payments.check_charges(10).await.unwrap(), 2);
    assert_eq!(
        h.services.payments.get(&pid(&id)).await.unwrap().status(),
        PaymentStatus::Paid
    );
    assert!(
        !page.text.contains("Nothing was charged") && !json.text.contains("nothing changed"),
        "the user was told nothing was charged, yet 80.00 was: {} / {}",
        page.text,
        json.text
    );
}
