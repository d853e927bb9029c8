//! Adapters that misbehave on purpose, to prove what the core does on a bad day: a
//! payment repository that refuses chosen writes, and a processor whose answers (and
//! silences) the test scripts.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hostpay_domain::access::{PayGrant, PaymentSession};
use hostpay_domain::event::DomainEvent;
use hostpay_domain::ids::{AppId, PaymentId, RefundId};
use hostpay_domain::miniapp::SecretHash;
use hostpay_domain::page::{Page, PageRequest};
use hostpay_domain::payment::{ChargeOutcome, ChargeReversal, Payment};
use hostpay_domain::ports::{
    ChargeRequest, NewPaymentWrite, PaymentProcessor, PaymentRepository, PaymentWrite,
    ProcessorError, RefundRequest, StoreError,
};
use tokio::sync::Notify;

/// Decides whether a save is refused, and with what.
pub type SaveFault = dyn Fn(&PaymentWrite) -> Option<StoreError> + Send + Sync;
/// Decides whether an insert is refused, and with what.
pub type InsertFault = dyn Fn(&NewPaymentWrite) -> Option<StoreError> + Send + Sync;

/// A [`PaymentRepository`] that refuses the saves `fault` picks (nothing written) and
/// passes everything else to `inner`.
pub struct FaultyPayments {
    inner: Arc<dyn PaymentRepository>,
    fault: Box<SaveFault>,
    insert_fault: Option<Box<InsertFault>>,
}

impl FaultyPayments {
    /// Wraps `inner`.
    pub fn new(
        inner: Arc<dyn PaymentRepository>,
        fault: impl Fn(&PaymentWrite) -> Option<StoreError> + Send + Sync + 'static,
    ) -> FaultyPayments {
        FaultyPayments {
            inner,
            fault: Box::new(fault),
            insert_fault: None,
        }
    }

    /// Also refuses the inserts `fault` picks.
    pub fn with_insert_fault(
        mut self,
        fault: impl Fn(&NewPaymentWrite) -> Option<StoreError> + Send + Sync + 'static,
    ) -> FaultyPayments {
        self.insert_fault = Some(Box::new(fault));
        self
    }
}

#[async_trait]
impl PaymentRepository for FaultyPayments {
    async fn insert(&self, write: NewPaymentWrite) -> Result<(), StoreError> {
        if let Some(error) = self.insert_fault.as_ref().and_then(|fault| fault(&write)) {
            return Err(error);
        }
        self.inner.insert(write).await
    }
    async fn get(&self, id: &PaymentId) -> Result<Option<Payment>, StoreError> {
        self.inner.get(id).await
    }
    async fn read(
        &self,
        id: &PaymentId,
    ) -> Result<Option<hostpay_domain::ports::PaymentRecord>, StoreError> {
        self.inner.read(id).await
    }
    async fn find_platform_order(
        &self,
        app_id: &AppId,
        miniapp_order_id: &str,
    ) -> Result<Option<Payment>, StoreError> {
        self.inner
            .find_platform_order(app_id, miniapp_order_id)
            .await
    }
    async fn list_for_user(
        &self,
        app_id: &AppId,
        user_id: &str,
        page: &PageRequest,
    ) -> Result<Page<hostpay_domain::ports::PaymentRecord>, StoreError> {
        self.inner.list_for_user(app_id, user_id, page).await
    }
    async fn save(&self, write: PaymentWrite) -> Result<(), StoreError> {
        match (self.fault)(&write) {
            Some(error) => Err(error),
            None => self.inner.save(write).await,
        }
    }
    async fn events(&self, id: &PaymentId) -> Result<Vec<DomainEvent>, StoreError> {
        self.inner.events(id).await
    }
    async fn get_many(&self, ids: &[PaymentId]) -> Result<Vec<Payment>, StoreError> {
        self.inner.get_many(ids).await
    }
    async fn add_session(&self, session: &PaymentSession) -> Result<(), StoreError> {
        self.inner.add_session(session).await
    }
    async fn find_session(
        &self,
        token_hash: &SecretHash,
    ) -> Result<Option<PaymentSession>, StoreError> {
        self.inner.find_session(token_hash).await
    }
    async fn add_grant(&self, grant: &PayGrant) -> Result<(), StoreError> {
        self.inner.add_grant(grant).await
    }
    async fn find_grant(&self, token_hash: &SecretHash) -> Result<Option<PayGrant>, StoreError> {
        self.inner.find_grant(token_hash).await
    }
    async fn expired_in_process(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PaymentId>, StoreError> {
        self.inner.expired_in_process(now, limit).await
    }
    async fn due_refunds(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(PaymentId, RefundId)>, StoreError> {
        self.inner.due_refunds(now, limit).await
    }
    async fn due_charge_checks(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PaymentId>, StoreError> {
        self.inner.due_charge_checks(now, limit).await
    }
    async fn due_reversals(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ChargeReversal>, StoreError> {
        self.inner.due_reversals(now, limit).await
    }
    async fn reversals(&self, payment_id: &PaymentId) -> Result<Vec<ChargeReversal>, StoreError> {
        self.inner.reversals(payment_id).await
    }
    async fn save_reversal(&self, reversal: &ChargeReversal) -> Result<(), StoreError> {
        self.inner.save_reversal(reversal).await
    }
}

/// How a [`ScriptedProcessor`] answers charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ChargeMode {
    /// Approve at once.
    Approve,
    /// Decline at once.
    Decline,
    /// No answer (a timeout) at once.
    NoAnswer,
    /// Approve once the test calls [`ScriptedProcessor::release_charge`].
    Held,
}

/// A processor that records every call and answers as scripted: charges by
/// [`ChargeMode`], refunds refused (no answer) for the refund ids the test names.
pub struct ScriptedProcessor {
    mode: AtomicU8,
    charges: Mutex<Vec<ChargeRequest>>,
    refunds: Mutex<Vec<RefundRequest>>,
    unanswered_refunds: Mutex<HashSet<RefundId>>,
    refuse_all_refunds: Mutex<bool>,
    started: Notify,
    release: Notify,
    delay: Mutex<Duration>,
}

impl Default for ScriptedProcessor {
    fn default() -> Self {
        ScriptedProcessor {
            mode: AtomicU8::new(ChargeMode::Approve as u8),
            charges: Mutex::new(Vec::new()),
            refunds: Mutex::new(Vec::new()),
            unanswered_refunds: Mutex::new(HashSet::new()),
            refuse_all_refunds: Mutex::new(false),
            started: Notify::new(),
            release: Notify::new(),
            delay: Mutex::new(Duration::ZERO),
        }
    }
}

impl ScriptedProcessor {
    /// Approves everything until told otherwise.
    pub fn new() -> ScriptedProcessor {
        ScriptedProcessor::default()
    }

    /// How charges are answered from now on.
    pub fn set_charges(&self, mode: ChargeMode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
    }

    /// Each call waits this long before answering (a slow processor).
    pub fn set_delay(&self, delay: Duration) {
        *lock(&self.delay) = delay;
    }

    /// Refunds with these ids get no answer.
    pub fn leave_refunds_unanswered(&self, ids: impl IntoIterator<Item = RefundId>) {
        lock(&self.unanswered_refunds).extend(ids);
    }

    /// Every refund gets no answer (or, with `false`, an answer again).
    pub fn leave_all_refunds_unanswered(&self, unanswered: bool) {
        *lock(&self.refuse_all_refunds) = unanswered;
    }

    /// Waits until a held charge has reached the processor.
    pub async fn charge_started(&self) {
        self.started.notified().await;
    }

    /// Lets one held charge answer (approved).
    pub fn release_charge(&self) {
        self.release.notify_one();
    }

    /// Every charge asked, in order.
    pub fn charges(&self) -> Vec<ChargeRequest> {
        lock(&self.charges).clone()
    }

    /// Every refund asked (answered or not), in order.
    pub fn refunds(&self) -> Vec<RefundRequest> {
        lock(&self.refunds).clone()
    }

    fn mode(&self) -> ChargeMode {
        match self.mode.load(Ordering::SeqCst) {
            0 => ChargeMode::Approve,
            1 => ChargeMode::Decline,
            2 => ChargeMode::NoAnswer,
            _ => ChargeMode::Held,
        }
    }

    async fn pause(&self) {
        let delay = *lock(&self.delay);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait]
impl PaymentProcessor for ScriptedProcessor {
    fn can_simulate(&self) -> bool {
        false
    }

    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeOutcome, ProcessorError> {
        lock(&self.charges).push(request.clone());
        self.pause().await;
        match self.mode() {
            ChargeMode::Approve => Ok(ChargeOutcome::Approved),
            ChargeMode::Decline => Ok(ChargeOutcome::Declined {
                reason: "insufficient funds".to_owned(),
            }),
            ChargeMode::NoAnswer => Err(ProcessorError::Timeout),
            ChargeMode::Held => {
                self.started.notify_one();
                self.release.notified().await;
                Ok(ChargeOutcome::Approved)
            }
        }
    }

    async fn refund(&self, request: &RefundRequest) -> Result<Result<(), String>, ProcessorError> {
        lock(&self.refunds).push(request.clone());
        self.pause().await;
        let unanswered = *lock(&self.refuse_all_refunds)
            || lock(&self.unanswered_refunds).contains(&request.refund_id);
        if unanswered {
            return Err(ProcessorError::Timeout);
        }
        Ok(Ok(()))
    }
}
