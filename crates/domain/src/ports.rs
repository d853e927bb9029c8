//! The ports: what the core needs from the outside world. Stores, upstream clients, the
//! clock and the id source implement them; each method's doc says which errors it must
//! return. Every write that changes an aggregate also writes its events (and their
//! deliveries) in the same transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::access::{PayGrant, PaymentSession, UserToken};
use crate::connect::{AccessToken, AuthCode};
use crate::delivery::AttemptOutcome;
use crate::delivery::{
    ClaimToken, ClaimedDelivery, Delivery, DeliveryAttempt, DeliveryState, NextStep,
};
use crate::event::DomainEvent;
use crate::idempotency::{IdempotencyBegin, IdempotencyClaim, IdempotentResult};
use crate::ids::RefundId;
use crate::ids::{AppId, DeliveryId, OrderActivityId, PaymentId};
use crate::miniapp::{Miniapp, SecretHash, WebhookUrl};
use crate::money::{Currency, Money};
use crate::order_activity::{ActivityEvent, OrderActivity};
use crate::page::{Page, PageRequest};
use crate::payment::{ChargeOutcome, ChargeReversal, Payment, PaymentStatus};

/// What any store port may fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A conditional write lost a race (the version or status moved): reload and retry.
    #[error("the record changed concurrently")]
    Conflict,
    /// A unique key is already taken; names the key (`id`, `miniapp_order_id`, `order_id`).
    #[error("{0} is already taken")]
    Duplicate(String),
    /// The database failed or cannot be reached (details for the log, not the caller).
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

/// A new payment with everything written with it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPaymentWrite {
    /// The payment (version 0).
    pub payment: Payment,
    /// Its first payment session.
    pub session: PaymentSession,
    /// `payment.created` (routed).
    pub events: Vec<DomainEvent>,
    /// The idempotent response to keep, if the request had a key.
    pub idempotent: Option<IdempotentResult>,
}

/// A payment transition with everything written with it.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentWrite {
    /// The new state; stored only if the stored version is `payment.version - 1`.
    pub payment: Payment,
    /// The transition's events (routed): inserted with one delivery per target.
    pub events: Vec<DomainEvent>,
    /// History entries for order activities linked to the payment.
    pub activity_events: Vec<(OrderActivityId, ActivityEvent)>,
    /// The idempotent response to keep (insert or replace), if any.
    pub idempotent: Option<IdempotentResult>,
    /// A charge reversal to insert with the transition (see [`Payment::reverse_charge`]).
    pub reversal: Option<ChargeReversal>,
}

/// A payment as shown: with its refunds (inside `payment`) and its events, oldest first,
/// read together in one port call.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentRecord {
    /// The payment with its refunds (oldest first).
    pub payment: Payment,
    /// Its events, oldest first.
    pub events: Vec<DomainEvent>,
}

/// An order activity as shown: with its history and the status of its linked payment,
/// read together in one port call.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderActivityRecord {
    /// The activity with its history (oldest first).
    pub activity: OrderActivity,
    /// The status of the linked payment; `None` without one, or when that payment is not
    /// the activity's miniapp's (or is unknown).
    pub payment_status: Option<PaymentStatus>,
}

/// Payments, their refunds, sessions and events.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait PaymentRepository: Send + Sync {
    /// Inserts a new payment, its session, its events and deliveries, and the idempotent
    /// response, in one transaction. Errors: `Duplicate("id")`; `Duplicate("miniapp_order_id")`
    /// when a payment the platform opened for the app already has
    /// that order id; `Unavailable`.
    async fn insert(&self, write: NewPaymentWrite) -> Result<(), StoreError>;

    /// A payment with its refunds (oldest first). Errors: `Unavailable`.
    async fn get(&self, id: &PaymentId) -> Result<Option<Payment>, StoreError>;

    /// The payment the platform opened for `app_id`'s order `miniapp_order_id`. Errors: `Unavailable`.
    async fn find_platform_order(
        &self,
        app_id: &AppId,
        miniapp_order_id: &str,
    ) -> Result<Option<Payment>, StoreError>;

    /// A payment with its refunds and its events (oldest first), in one read: what `get`
    /// and `events` return together. Errors: `Unavailable`.
    async fn read(&self, id: &PaymentId) -> Result<Option<PaymentRecord>, StoreError>;

    /// The app's payments of a user, newest first (`created_at`, then `id`, descending),
    /// starting strictly after the page's cursor, each with its refunds and its events
    /// (oldest first), in one read. Errors: `Unavailable`.
    async fn list_for_user(
        &self,
        app_id: &AppId,
        user_id: &str,
        page: &PageRequest,
    ) -> Result<Page<PaymentRecord>, StoreError>;

    /// Saves a transition in one transaction, serialised per payment (row lock or
    /// `BEGIN IMMEDIATE`): the payment row only if its stored version is
    /// `payment.version - 1`, every refund (insert new, update changed), the events with
    /// their deliveries, the activity events, the idempotent response (only while its
    /// claim's owner still holds the key), the reversal. Errors: `Conflict` when the
    /// version moved (nothing written); `Duplicate("idempotency_key")` when another
    /// request took the key over (nothing written); `Unavailable`.
    async fn save(&self, write: PaymentWrite) -> Result<(), StoreError>;

    /// The payment's events, oldest first. Errors: `Unavailable`.
    async fn events(&self, id: &PaymentId) -> Result<Vec<DomainEvent>, StoreError>;

    /// These payments with their refunds (oldest first) in one read, in no particular
    /// order; unknown ids are left out, an empty `ids` reads nothing. Errors: `Unavailable`.
    async fn get_many(&self, ids: &[PaymentId]) -> Result<Vec<Payment>, StoreError>;

    /// Adds a payment session. Errors: `Duplicate("token")`; `Unavailable`.
    async fn add_session(&self, session: &PaymentSession) -> Result<(), StoreError>;

    /// The session with this token hash. Errors: `Unavailable`.
    async fn find_session(
        &self,
        token_hash: &SecretHash,
    ) -> Result<Option<PaymentSession>, StoreError>;

    /// Adds a pay grant. Errors: `Duplicate("token")`; `Unavailable`.
    async fn add_grant(&self, grant: &PayGrant) -> Result<(), StoreError>;

    /// The pay grant with this token hash. Errors: `Unavailable`.
    async fn find_grant(&self, token_hash: &SecretHash) -> Result<Option<PayGrant>, StoreError>;

    /// Up to `limit` ids of `in_process` payments whose session ended at or before `now`
    /// and that have no charge in flight, oldest first. Errors: `Unavailable`.
    async fn expired_in_process(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PaymentId>, StoreError>;

    /// Up to `limit` (payment, refund) pairs of refunds still `pending` whose
    /// `next_attempt_at` is at or before `now`, soonest due first. Errors: `Unavailable`.
    async fn due_refunds(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(PaymentId, RefundId)>, StoreError>;

    /// Up to `limit` ids of `in_process` payments with a charge in flight whose
    /// `charge_check_at` is at or before `now`, soonest due first. Errors: `Unavailable`.
    async fn due_charge_checks(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PaymentId>, StoreError>;

    /// Up to `limit` `pending` charge reversals whose `next_attempt_at` is at or before
    /// `now`, soonest due first. Errors: `Unavailable`.
    async fn due_reversals(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ChargeReversal>, StoreError>;

    /// The charge reversals of a payment, oldest first. Errors: `Unavailable`.
    async fn reversals(&self, payment_id: &PaymentId) -> Result<Vec<ChargeReversal>, StoreError>;

    /// Saves an attempt on a reversal (status, attempts, next attempt, last error, updated
    /// at). Errors: `Unavailable`.
    async fn save_reversal(&self, reversal: &ChargeReversal) -> Result<(), StoreError>;
}

/// Order activities and their history.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait OrderActivityRepository: Send + Sync {
    /// The app's activity for its `order_id`, with its events (oldest first).
    /// Errors: `Unavailable`.
    async fn get_by_order(
        &self,
        app_id: &AppId,
        order_id: &str,
    ) -> Result<Option<OrderActivity>, StoreError>;

    /// The app's activity for its `order_id` with its events (oldest first) and the status
    /// of its linked payment (when that payment is the app's), in one read.
    /// Errors: `Unavailable`.
    async fn read_by_order(
        &self,
        app_id: &AppId,
        order_id: &str,
    ) -> Result<Option<OrderActivityRecord>, StoreError>;

    /// The app's activity for its `order_id` without its history (`events` empty): what a
    /// write needs, whatever the length of the history. Errors: `Unavailable`.
    async fn get_state_by_order(
        &self,
        app_id: &AppId,
        order_id: &str,
    ) -> Result<Option<OrderActivity>, StoreError>;

    /// Inserts a new activity with its events. Errors: `Duplicate("order_id")` when the
    /// app already has that order; `Unavailable`.
    async fn insert(&self, activity: &OrderActivity) -> Result<(), StoreError>;

    /// Saves a changed activity only if its stored version is `activity.version - 1`, and
    /// appends `new_events`, in one transaction. Errors: `Conflict`; `Unavailable`.
    async fn save(
        &self,
        activity: &OrderActivity,
        new_events: &[ActivityEvent],
    ) -> Result<(), StoreError>;

    /// The app's activities of a user, newest first, with their events. Errors: `Unavailable`.
    async fn list_for_user(
        &self,
        app_id: &AppId,
        user_id: &str,
        page: &PageRequest,
    ) -> Result<Page<OrderActivity>, StoreError>;

    /// The app's activities linked to a payment, without their history (`events` empty).
    /// Errors: `Unavailable`.
    async fn linked_to_payment(
        &self,
        app_id: &AppId,
        payment_id: &PaymentId,
    ) -> Result<Vec<OrderActivity>, StoreError>;
}

/// Registered miniapps.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait AppRepository: Send + Sync {
    /// Registers an app. Errors: `Duplicate("id")`; `Unavailable`.
    async fn insert(&self, app: &Miniapp) -> Result<(), StoreError>;
    /// An app. Errors: `Unavailable`.
    async fn get(&self, id: &AppId) -> Result<Option<Miniapp>, StoreError>;
    /// All apps, oldest first, at most `limit`. Errors: `Unavailable`.
    async fn list(&self, limit: u32) -> Result<Vec<Miniapp>, StoreError>;
    /// Saves a changed app only if its stored `secret_generation` is
    /// `app.secret_generation - 1`. Errors: `Conflict`; `Unavailable`.
    async fn save(&self, app: &Miniapp) -> Result<(), StoreError>;
}

/// Minted user tokens (hashes only).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait UserTokenRepository: Send + Sync {
    /// Stores a token. Errors: `Duplicate("token")`; `Unavailable`.
    async fn insert(&self, token: &UserToken) -> Result<(), StoreError>;
    /// The token with this hash. Errors: `Unavailable`.
    async fn find(&self, token_hash: &SecretHash) -> Result<Option<UserToken>, StoreError>;
    /// Deletes tokens expired before `now`; returns how many. Errors: `Unavailable`.
    async fn prune(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// Idempotency keys per miniapp.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Holds the key for this request, or says why not: inserts it when new; takes over an
    /// expired or abandoned one (see `IdempotencyRecord::decide`) with a conditional write.
    /// Exactly one of several concurrent first requests gets `Proceed`.
    /// Errors: `Unavailable`.
    async fn begin(
        &self,
        claim: &IdempotencyClaim,
        now: DateTime<Utc>,
    ) -> Result<IdempotencyBegin, StoreError>;
    /// Forgets a held key whose request changed nothing, only while `claim.owner` still
    /// holds it (a request whose key was taken over frees nothing). Errors: `Unavailable`.
    async fn release(&self, claim: &IdempotencyClaim) -> Result<(), StoreError>;
    /// Deletes keys created before `before`; returns how many. Errors: `Unavailable`.
    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// The outbox's delivery side.
///
/// Claims: every claim of a delivery gets a new [`ClaimToken`] and hides the delivery from
/// other claimers until its lease ends. An attempt's outcome is written only with the
/// token of the claim that still holds the delivery (no other claim since, no outcome
/// recorded with it yet); anything else is [`Recorded::LostClaim`] and writes nothing.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Claims up to `limit` pending deliveries due at `now` (oldest due first), each with a
    /// new token, by moving their next attempt to `lease_until`, so no other claimer gets
    /// them meanwhile (PostgreSQL: `FOR UPDATE SKIP LOCKED`). A claimer that dies leaves
    /// them due again once the lease ends. Errors: `Unavailable`.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>, StoreError>;

    /// Records an attempt and what follows it (attempts + 1, last status and error,
    /// state and next attempt time) when `token`'s claim still holds the delivery, and
    /// ends that claim. A claim taken over since (or already used) gets
    /// [`Recorded::LostClaim`] and writes nothing. Errors: `Unavailable`.
    async fn record_attempt(
        &self,
        id: &DeliveryId,
        token: ClaimToken,
        attempt: &DeliveryAttempt,
        next: NextStep,
    ) -> Result<Recorded, StoreError>;

    /// Deliveries, newest first, optionally of one state. Errors: `Unavailable`.
    async fn list(
        &self,
        state: Option<DeliveryState>,
        page: &PageRequest,
    ) -> Result<Page<Delivery>, StoreError>;

    /// One delivery. Errors: `Unavailable`.
    async fn get(&self, id: &DeliveryId) -> Result<Option<Delivery>, StoreError>;

    /// A delivery's attempts, oldest first. Errors: `Unavailable`.
    async fn attempts(&self, id: &DeliveryId) -> Result<Vec<DeliveryAttempt>, StoreError>;

    /// Makes a dead delivery pending and due at `now` (manual retry), keeping its history;
    /// a pending or delivered one is left as it is. Errors: `Unavailable`.
    async fn retry_now(
        &self,
        id: &DeliveryId,
        now: DateTime<Utc>,
    ) -> Result<ManualRetry, StoreError>;

    /// How many deliveries are pending and dead. Errors: `Unavailable`.
    async fn depth(&self) -> Result<OutboxDepth, StoreError>;
}

/// Whether an attempt's outcome was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Written; the claim is over.
    Written,
    /// The claim no longer holds the delivery (another claimer took it over, or its
    /// outcome was already recorded): nothing was written.
    LostClaim,
}

/// What a manual retry came to.
#[derive(Debug, Clone, PartialEq)]
pub enum ManualRetry {
    /// The dead letter is pending again, due now.
    Retried(Delivery),
    /// Not a dead letter (pending or delivered): left as it is.
    NotDead(Delivery),
    /// No such delivery.
    Unknown,
}

/// Outbox backlog, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxDepth {
    /// Waiting.
    pub pending: u64,
    /// Given up.
    pub dead: u64,
}

/// A charge request to the processor; `payment_id` is its idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    /// The payment (and idempotency key).
    pub payment_id: PaymentId,
    /// What to charge.
    pub amount: Money,
    /// In which currency.
    pub currency: Currency,
    /// The paying user.
    pub user_id: String,
    /// Sandbox only: decline on purpose.
    pub simulate_decline: bool,
}

/// A refund request to the processor; `refund_id` is its idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// The refund (and idempotency key).
    pub refund_id: RefundId,
    /// The refunded payment.
    pub payment_id: PaymentId,
    /// How much.
    pub amount: Money,
    /// In which currency.
    pub currency: Currency,
}

/// The processor could not give an answer (the outcome is unknown: retry with the same
/// idempotency key).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProcessorError {
    /// No answer in time.
    #[error("the payment processor did not answer in time")]
    Timeout,
    /// Unreachable or answered with an error.
    #[error("the payment processor is unavailable: {0}")]
    Unavailable(String),
}

/// The host's payment processor (sandbox or wallet).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait PaymentProcessor: Send + Sync {
    /// Whether "simulate decline" is supported (sandbox only).
    fn can_simulate(&self) -> bool;
    /// Charges once per payment id: a repeated call returns the first outcome.
    /// Errors: `Timeout`, `Unavailable` (outcome unknown).
    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeOutcome, ProcessorError>;
    /// Refunds once per refund id: `Ok(Ok(()))` refunded, `Ok(Err(reason))` refused.
    /// Errors: `Timeout`, `Unavailable` (outcome unknown).
    async fn refund(&self, request: &RefundRequest) -> Result<Result<(), String>, ProcessorError>;
}

/// How a payment the miniapp platform opened ended: what the platform is told
/// ("complete order"). The adapter writes it in the platform's wire format.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderOutcome {
    /// The payment.
    pub payment_id: PaymentId,
    /// The miniapp.
    pub app_id: AppId,
    /// How it ended: `Paid`, `Failed` or `Cancelled`.
    pub status: PaymentStatus,
    /// Why it failed or was cancelled.
    pub fail_reason: Option<String>,
    /// The order's custom attributes.
    pub custom_attributes: Option<serde_json::Value>,
}

/// What an upstream call came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptReport {
    /// The receiver's status code, when it answered.
    pub status_code: Option<u16>,
    /// Acknowledged, retryable or permanent.
    pub outcome: AttemptOutcome,
}

/// The miniapp platform (the super-app hosting the miniapps).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait MiniappPlatform: Send + Sync {
    /// Tells the platform how an order's payment ended ("complete order"). Never fails:
    /// every result is a report.
    async fn complete_order(&self, order: &OrderOutcome) -> AttemptReport;
}

/// Miniapp webhooks.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// Sends the event to the miniapp's webhook URL, signed with `secret`. Never fails: every
    /// result is a report.
    async fn send(&self, url: &WebhookUrl, secret: &str, event: &DomainEvent) -> AttemptReport;
}

/// The time.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now, in UTC, truncated to microseconds (what every database keeps).
    fn now(&self) -> DateTime<Utc>;
}

/// Nonces of signed incoming platform calls, to refuse replays.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait NonceStore: Send + Sync {
    /// Remembers `nonce` seen at `now`; `false` when it was already seen (a replay).
    /// Exactly one of several concurrent callers with the same nonce gets `true`.
    /// Errors: `Unavailable`.
    async fn remember(&self, nonce: &str, now: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Forgets nonces seen before `before`; returns how many. Errors: `Unavailable`.
    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// Whether the store can serve (for `/readyz`).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait StoreHealth: Send + Sync {
    /// `Ok` when the database answers and every migration is applied.
    /// Errors: `Unavailable` with the reason.
    async fn check(&self) -> Result<(), StoreError>;
}

/// What exchanging an auth code came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Redemption {
    /// This caller consumed the code: the stored code, `used_at` set.
    Redeemed(AuthCode),
    /// The code exists but was not consumed: already used, expired, or minted for another
    /// miniapp (the stored code says which).
    Refused(AuthCode),
    /// No code has this hash.
    Unknown,
}

/// Single sign-on (Connect): auth codes and access tokens (keyed hashes only).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ConnectRepository: Send + Sync {
    /// Stores a new auth code (unused). Errors: `Duplicate("auth_code")`; `Unavailable`.
    async fn insert_code(&self, code: &AuthCode) -> Result<(), StoreError>;

    /// Consumes the code with this hash for `app_id` at `now`, atomically: a conditional
    /// write marks it used (`used_at = now`) only while it is unused, minted for `app_id`
    /// and not expired at `now` ([`AuthCode::redeemable_by`]), so exactly one of several
    /// concurrent callers gets [`Redemption::Redeemed`]; the others get
    /// [`Redemption::Refused`] with the stored code. A code refused to one miniapp stays
    /// usable by its own. Errors: `Unavailable`.
    async fn redeem_code(
        &self,
        code_hash: &SecretHash,
        app_id: &AppId,
        now: DateTime<Utc>,
    ) -> Result<Redemption, StoreError>;

    /// Stores a new access token. Errors: `Duplicate("access_token")`; `Unavailable`.
    async fn insert_token(&self, token: &AccessToken) -> Result<(), StoreError>;

    /// The access token with this hash (expired ones too, until pruned).
    /// Errors: `Unavailable`.
    async fn find_token(&self, token_hash: &SecretHash) -> Result<Option<AccessToken>, StoreError>;

    /// Deletes the auth codes (used or not) and access tokens that expired before `now`;
    /// returns how many rows. Errors: `Unavailable`.
    async fn prune(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// The ports a store provides, as one bundle: the one definition the SQL store
/// (`Store::ports`), the in-memory store and the wiring share.
#[derive(Clone)]
pub struct StorePorts {
    /// Payments, refunds, sessions, events.
    pub payments: std::sync::Arc<dyn PaymentRepository>,
    /// Order activities.
    pub order_activities: std::sync::Arc<dyn OrderActivityRepository>,
    /// Miniapps.
    pub apps: std::sync::Arc<dyn AppRepository>,
    /// User tokens.
    pub user_tokens: std::sync::Arc<dyn UserTokenRepository>,
    /// Idempotency keys.
    pub idempotency: std::sync::Arc<dyn IdempotencyStore>,
    /// The outbox's delivery side.
    pub outbox: std::sync::Arc<dyn Outbox>,
    /// Nonces of signed platform calls.
    pub nonces: std::sync::Arc<dyn NonceStore>,
    /// Readiness.
    pub health: std::sync::Arc<dyn StoreHealth>,
    /// Single sign-on (Connect): auth codes and access tokens.
    pub connect: std::sync::Arc<dyn ConnectRepository>,
}

impl StorePorts {
    /// Every port from one store that implements them all.
    pub fn from_store<S>(store: std::sync::Arc<S>) -> StorePorts
    where
        S: PaymentRepository
            + OrderActivityRepository
            + AppRepository
            + UserTokenRepository
            + IdempotencyStore
            + Outbox
            + NonceStore
            + StoreHealth
            + ConnectRepository
            + 'static,
    {
        StorePorts {
            payments: store.clone(),
            order_activities: store.clone(),
            apps: store.clone(),
            user_tokens: store.clone(),
            idempotency: store.clone(),
            outbox: store.clone(),
            nonces: store.clone(),
            connect: store.clone(),
            health: store,
        }
    }
}
