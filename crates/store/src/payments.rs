//! Payments with their items, refunds and sessions. Every write is one transaction that
//! also writes the events (outbox and deliveries), the order-activity history and the
//! idempotent response; a transition is serialised per payment (row lock on PostgreSQL,
//! `BEGIN IMMEDIATE` on SQLite) and stored only if the version did not move.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};
use diesel_async::RunQueryDsl;
use hostpay_domain::access::{PayGrant, PaymentSession};
use hostpay_domain::event::DomainEvent;
use hostpay_domain::ids::{AppId, PaymentId, RefundId};
use hostpay_domain::miniapp::SecretHash;
use hostpay_domain::money::{Currency, Money};
use hostpay_domain::page::{Cursor, Page, PageRequest};
use hostpay_domain::payment::{
    ChargeReversal, Payment, PaymentParts, PaymentStatus, Refund, RefundStatus, ReversalStatus,
};
use hostpay_domain::ports::{
    NewPaymentWrite, PaymentRecord, PaymentRepository, PaymentWrite, StoreError,
};

use crate::convert::{bounded, from_json, non_empty, parsed, to_json};
use crate::dialect::{detached, for_each_backend, write_transaction};
use crate::error::{corrupt, DbError, DbResult};
use crate::schema::{
    charge_reversals, outbox_events, pay_grants, payment_items, payment_sessions, payments, refunds,
};
use crate::sql_types::{DbAmount, DbInstant};
use crate::sqlite_reader::read_only;

/// A stored payment (refunds apart; items inside `details`, copied to `payment_items`).
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = payments, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct PaymentRow {
    id: String,
    app_id: String,
    channel: String,
    user_id: String,
    amount: DbAmount,
    currency: String,
    status: String,
    fail_reason: Option<String>,
    miniapp_order_id: Option<String>,
    details: String,
    expires_at: DbInstant,
    charging_since: Option<DbInstant>,
    created_at: DbInstant,
    updated_at: DbInstant,
    version: i64,
    charge_check_at: Option<DbInstant>,
}

/// A payment's line, queryable on its own (the payment reads its items from `details`).
#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = payment_items)]
pub(crate) struct ItemRow {
    payment_id: String,
    position: i32,
    product_name: String,
    product_sku: Option<String>,
    quantity: i64,
    price: Option<DbAmount>,
    discount: Option<DbAmount>,
}

/// A stored refund; `position` is its index in the payment's refunds.
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = refunds, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct RefundRow {
    id: String,
    payment_id: String,
    position: i32,
    amount: DbAmount,
    reason: Option<String>,
    status: String,
    fail_reason: Option<String>,
    created_at: DbInstant,
    updated_at: DbInstant,
    next_attempt_at: Option<DbInstant>,
    attempts: i32,
}

/// A stored payment session.
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = payment_sessions, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct SessionRow {
    token_hash: String,
    payment_id: String,
    created_at: DbInstant,
    expires_at: DbInstant,
}

/// A stored pay grant.
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = pay_grants, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct GrantRow {
    token_hash: String,
    payment_id: String,
    user_id: String,
    created_at: DbInstant,
    expires_at: DbInstant,
}

/// A stored charge reversal.
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = charge_reversals, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct ReversalRow {
    id: String,
    payment_id: String,
    amount: DbAmount,
    currency: String,
    status: String,
    attempts: i32,
    next_attempt_at: DbInstant,
    last_error: Option<String>,
    created_at: DbInstant,
    updated_at: DbInstant,
}

/// A count kept as `INTEGER`, saturating (counts of attempts never get near the limit).
fn count_of(count: u32) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}

/// A stored count back (a negative one reads as zero).
fn count_from(count: i32) -> u32 {
    u32::try_from(count).unwrap_or(0)
}

impl GrantRow {
    fn of(grant: &PayGrant) -> GrantRow {
        GrantRow {
            token_hash: grant.token_hash.as_str().to_owned(),
            payment_id: grant.payment_id.as_str().to_owned(),
            user_id: grant.user_id.as_str().to_owned(),
            created_at: DbInstant::of(grant.created_at),
            expires_at: DbInstant::of(grant.expires_at),
        }
    }

    fn into_domain(self) -> DbResult<PayGrant> {
        Ok(PayGrant {
            token_hash: SecretHash::from_stored(self.token_hash),
            payment_id: PaymentId::from_trusted(self.payment_id),
            user_id: non_empty("pay_grants.user_id", self.user_id)?,
            created_at: self.created_at.0,
            expires_at: self.expires_at.0,
        })
    }
}

impl ReversalRow {
    fn of(reversal: &ChargeReversal) -> ReversalRow {
        ReversalRow {
            id: reversal.id.as_str().to_owned(),
            payment_id: reversal.payment_id.as_str().to_owned(),
            amount: DbAmount::of(reversal.amount),
            currency: reversal.currency.as_str().to_owned(),
            status: reversal.status.as_str().to_owned(),
            attempts: count_of(reversal.attempts),
            next_attempt_at: DbInstant::of(reversal.next_attempt_at),
            last_error: reversal.last_error.clone(),
            created_at: DbInstant::of(reversal.created_at),
            updated_at: DbInstant::of(reversal.updated_at),
        }
    }

    fn into_domain(self) -> DbResult<ChargeReversal> {
        Ok(ChargeReversal {
            id: RefundId::from_trusted(self.id),
            payment_id: PaymentId::from_trusted(self.payment_id),
            amount: self.amount.money().map_err(corrupt)?,
            currency: Currency::parse(&self.currency)
                .map_err(|error| corrupt(format!("charge_reversals.currency: {error}")))?,
            status: parsed(
                "charge_reversals.status",
                &self.status,
                ReversalStatus::parse,
            )?,
            attempts: count_from(self.attempts),
            next_attempt_at: self.next_attempt_at.0,
            last_error: self.last_error,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        })
    }
}

impl PaymentRow {
    fn of(payment: &Payment) -> DbResult<PaymentRow> {
        Ok(PaymentRow {
            id: payment.id().as_str().to_owned(),
            app_id: payment.app_id().as_str().to_owned(),
            channel: crate::names::channel_name(payment.channel()).to_owned(),
            user_id: payment.user_id().as_str().to_owned(),
            amount: DbAmount::of(payment.amount()),
            currency: payment.currency().as_str().to_owned(),
            status: payment.status().as_str().to_owned(),
            fail_reason: payment.fail_reason().map(str::to_owned),
            miniapp_order_id: payment
                .miniapp_order_id()
                .as_ref()
                .map(|id| id.as_str().to_owned()),
            details: to_json(&crate::details::DetailsRow::of(payment.details()))?,
            expires_at: DbInstant::of(payment.expires_at()),
            charging_since: payment.charging_since().map(DbInstant::of),
            created_at: DbInstant::of(payment.created_at()),
            updated_at: DbInstant::of(payment.updated_at()),
            version: payment.version(),
            charge_check_at: payment.charge_check_at().map(DbInstant::of),
        })
    }

    fn into_domain(self, refunds: Vec<Refund>) -> DbResult<Payment> {
        Ok(Payment::restore(PaymentParts {
            id: PaymentId::from_trusted(self.id),
            app_id: AppId::from_trusted(self.app_id),
            channel: parsed(
                "payments.channel",
                &self.channel,
                crate::names::parse_channel,
            )?,
            user_id: non_empty("payments.user_id", self.user_id)?,
            amount: self.amount.money().map_err(corrupt)?,
            currency: Currency::parse(&self.currency)
                .map_err(|error| corrupt(format!("payments.currency: {error}")))?,
            status: parsed("payments.status", &self.status, PaymentStatus::parse)?,
            fail_reason: self.fail_reason,
            miniapp_order_id: self
                .miniapp_order_id
                .map(|id| non_empty("payments.miniapp_order_id", id))
                .transpose()?,
            details: from_json::<crate::details::DetailsRow>("payments.details", &self.details)?
                .into_domain(),
            refunds,
            expires_at: self.expires_at.0,
            charging_since: self.charging_since.map(|at| at.0),
            charge_check_at: self.charge_check_at.map(|at| at.0),
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
            version: self.version,
        }))
    }
}

fn item_rows(payment: &Payment) -> Vec<ItemRow> {
    payment
        .details()
        .items
        .iter()
        .enumerate()
        .map(|(position, item)| ItemRow {
            payment_id: payment.id().as_str().to_owned(),
            position: i32::try_from(position).unwrap_or(i32::MAX),
            product_name: item.product_name.as_str().to_owned(),
            product_sku: item.product_sku.as_ref().map(|sku| sku.as_str().to_owned()),
            quantity: i64::from(item.quantity.get()),
            price: item.price.map(DbAmount::of),
            discount: item.discount.map(DbAmount::of),
        })
        .collect()
}

impl RefundRow {
    fn of(position: usize, refund: &Refund) -> RefundRow {
        RefundRow {
            id: refund.id.as_str().to_owned(),
            payment_id: refund.payment_id.as_str().to_owned(),
            position: i32::try_from(position).unwrap_or(i32::MAX),
            amount: DbAmount::of(refund.amount),
            reason: refund
                .reason
                .as_ref()
                .map(|reason| reason.as_str().to_owned()),
            status: refund.status.as_str().to_owned(),
            fail_reason: refund.fail_reason.clone(),
            created_at: DbInstant::of(refund.created_at),
            updated_at: DbInstant::of(refund.updated_at),
            next_attempt_at: refund.next_attempt_at.map(DbInstant::of),
            attempts: count_of(refund.attempts),
        }
    }

    fn into_domain(self) -> DbResult<Refund> {
        Ok(Refund {
            id: RefundId::from_trusted(self.id),
            payment_id: PaymentId::from_trusted(self.payment_id),
            amount: self.amount.money().map_err(corrupt)?,
            reason: bounded("refunds.reason", self.reason)?,
            status: parsed("refunds.status", &self.status, RefundStatus::parse)?,
            fail_reason: self.fail_reason,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
            next_attempt_at: self.next_attempt_at.map(|at| at.0),
            attempts: count_from(self.attempts),
        })
    }
}

impl SessionRow {
    fn of(session: &PaymentSession) -> SessionRow {
        SessionRow {
            token_hash: session.token_hash.as_str().to_owned(),
            payment_id: session.payment_id.as_str().to_owned(),
            created_at: DbInstant::of(session.created_at),
            expires_at: DbInstant::of(session.expires_at),
        }
    }

    fn into_domain(self) -> PaymentSession {
        PaymentSession {
            token_hash: SecretHash::from_stored(self.token_hash),
            payment_id: PaymentId::from_trusted(self.payment_id),
            created_at: self.created_at.0,
            expires_at: self.expires_at.0,
        }
    }
}

/// Payment rows with their refunds (grouped, in position order).
fn assemble(rows: Vec<PaymentRow>, refunds: Vec<RefundRow>) -> DbResult<Vec<Payment>> {
    let mut by_payment: HashMap<String, Vec<Refund>> = HashMap::new();
    for refund in refunds {
        let payment_id = refund.payment_id.clone();
        by_payment
            .entry(payment_id)
            .or_default()
            .push(refund.into_domain()?);
    }
    rows.into_iter()
        .map(|row| {
            let refunds = by_payment.remove(&row.id).unwrap_or_default();
            row.into_domain(refunds)
        })
        .collect()
}

/// Payments with their events (grouped by payment, each payment's oldest first).
fn with_their_events(
    payments: Vec<Payment>,
    events: Vec<crate::outbox::EventRow>,
) -> DbResult<Vec<PaymentRecord>> {
    let mut by_payment: HashMap<String, Vec<DomainEvent>> = HashMap::new();
    for event in events {
        let event = event.into_domain()?;
        by_payment
            .entry(event.payment_id.clone())
            .or_default()
            .push(event);
    }
    Ok(payments
        .into_iter()
        .map(|payment| {
            let events = by_payment.remove(payment.id().as_str()).unwrap_or_default();
            PaymentRecord { payment, events }
        })
        .collect())
}

crate::sql_fragment::sql_fragment!(
    /// PostgreSQL: a payment's refunds as one JSON array, a column of the payment's row (so a
    /// payment, its refunds and its events are one statement). Amounts as text (exact).
    PgRefundsJson: Nullable<Text> = "(SELECT json_agg(json_build_object(\
        'id', r.id, 'payment_id', r.payment_id, 'position', r.position, 'amount', r.amount::text, \
        'reason', r.reason, 'status', r.status, 'fail_reason', r.fail_reason, \
        'created_at', r.created_at, 'updated_at', r.updated_at, \
        'next_attempt_at', r.next_attempt_at, 'attempts', r.attempts) ORDER BY r.position)::text \
        FROM refunds r WHERE r.payment_id = payments.id)"
);

crate::sql_fragment::sql_fragment!(
    /// PostgreSQL: a payment's events as one JSON array, oldest first (see [`PgRefundsJson`]).
    PgEventsJson: Nullable<Text> = "(SELECT json_agg(json_build_object(\
        'id', e.id, 'seq', e.seq, 'kind', e.kind, 'app_id', e.app_id, \
        'payment_id', e.payment_id, 'occurred_at', e.occurred_at, 'data', e.data, \
        'targets', e.targets) ORDER BY e.seq)::text \
        FROM outbox_events e WHERE e.payment_id = payments.id)"
);

/// A refund as [`PgRefundsJson`] writes it.
#[derive(serde::Deserialize)]
struct RefundJson {
    id: String,
    payment_id: String,
    position: i32,
    amount: String,
    reason: Option<String>,
    status: String,
    fail_reason: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    next_attempt_at: Option<DateTime<Utc>>,
    attempts: i32,
}

impl RefundJson {
    fn into_row(self) -> DbResult<RefundRow> {
        let amount = self
            .amount
            .parse::<rust_decimal::Decimal>()
            .map_err(|error| corrupt(format!("refunds.amount: {error}")))?;
        Ok(RefundRow {
            id: self.id,
            payment_id: self.payment_id,
            position: self.position,
            amount: DbAmount(amount),
            reason: self.reason,
            status: self.status,
            fail_reason: self.fail_reason,
            created_at: DbInstant(self.created_at),
            updated_at: DbInstant(self.updated_at),
            next_attempt_at: self.next_attempt_at.map(DbInstant),
            attempts: self.attempts,
        })
    }
}

/// An event as [`PG_EVENTS_JSON`] writes it.
#[derive(serde::Deserialize)]
struct EventJson {
    id: String,
    seq: i64,
    kind: String,
    app_id: String,
    payment_id: String,
    occurred_at: DateTime<Utc>,
    data: String,
    targets: String,
}

crate::sql_fragment::sql_fragment!(
    /// SQLite: a payment's refunds as one JSON array (see [`PgRefundsJson`]; amounts and
    /// instants are stored as text, so they come out as JSON strings as they are), put in
    /// order (`position`) by [`json_refunds`].
    SqliteRefundsJson: Nullable<Text> = "(SELECT json_group_array(json_object(\
        'id', r.id, 'payment_id', r.payment_id, 'position', r.position, 'amount', r.amount, \
        'reason', r.reason, 'status', r.status, 'fail_reason', r.fail_reason, \
        'created_at', r.created_at, 'updated_at', r.updated_at, \
        'next_attempt_at', r.next_attempt_at, 'attempts', r.attempts)) \
        FROM refunds r WHERE r.payment_id = payments.id)"
);

crate::sql_fragment::sql_fragment!(
    /// SQLite: a payment's events as one JSON array (see [`PgEventsJson`]), put in order
    /// (`seq`) by [`json_record`]: an aggregate's own `ORDER BY` would build a temporary
    /// b-tree on every call.
    SqliteEventsJson: Nullable<Text> = "(SELECT json_group_array(json_object(\
        'id', e.id, 'seq', e.seq, 'kind', e.kind, 'app_id', e.app_id, \
        'payment_id', e.payment_id, 'occurred_at', e.occurred_at, 'data', e.data, \
        'targets', e.targets)) FROM outbox_events e WHERE e.payment_id = payments.id)"
);

/// Refunds as [`PgRefundsJson`] or [`SqliteRefundsJson`] wrote them.
fn json_refunds(refunds: Option<String>) -> DbResult<Vec<Refund>> {
    let mut refunds: Vec<RefundJson> = match refunds {
        Some(text) => from_json("refunds (aggregated)", &text)?,
        None => Vec::new(),
    };
    refunds.sort_by_key(|refund| refund.position);
    refunds
        .into_iter()
        .map(|refund| refund.into_row()?.into_domain())
        .collect()
}

/// A payment row with its refunds as the database aggregated them.
fn json_payment(row: PaymentRow, refunds: Option<String>) -> DbResult<Payment> {
    row.into_domain(json_refunds(refunds)?)
}

/// A payment row with its refunds and events as the database aggregated them.
fn json_record(
    row: PaymentRow,
    refunds: Option<String>,
    events: Option<String>,
) -> DbResult<PaymentRecord> {
    let mut events: Vec<EventJson> = match events {
        Some(text) => from_json("outbox_events (aggregated)", &text)?,
        None => Vec::new(),
    };
    events.sort_by_key(|event| event.seq);
    let events = events
        .into_iter()
        .map(|event| {
            crate::outbox::EventRow::from_parts(
                event.id,
                event.kind,
                event.app_id,
                event.payment_id,
                DbInstant(event.occurred_at),
                event.data,
                event.targets,
            )
            .into_domain()
        })
        .collect::<DbResult<Vec<_>>>()?;
    Ok(PaymentRecord {
        payment: json_payment(row, refunds)?,
        events,
    })
}

/// Loads the payments `$query` selects (filtered and ordered; at most `$limit` of them)
/// with their refunds and events, in one statement on either backend (the refunds and
/// events aggregated as JSON columns of each row: one statement is one snapshot). SQLite
/// steps the statement on its connection (`sqlite_reader::load_rows`: no bound `LIMIT`).
macro_rules! load_records {
    (pg, $conn:expr, $query:expr, $limit:expr) => {{
        let rows: Vec<(PaymentRow, Option<String>, Option<String>)> = $query
            .select((PaymentRow::as_select(), PgRefundsJson, PgEventsJson))
            .limit(i64::try_from($limit).unwrap_or(i64::MAX))
            .load($conn)
            .await
            .map_err(DbError::from)?;
        rows.into_iter()
            .map(|(row, refunds, events)| json_record(row, refunds, events))
            .collect::<DbResult<Vec<PaymentRecord>>>()
    }};
    (sqlite, $conn:expr, $query:expr, $limit:expr) => {{
        let query = $query.select((PaymentRow::as_select(), SqliteRefundsJson, SqliteEventsJson));
        let rows: Vec<(PaymentRow, Option<String>, Option<String>)> =
            crate::sqlite_reader::load_rows($conn, query, Some($limit)).await?;
        rows.into_iter()
            .map(|(row, refunds, events)| json_record(row, refunds, events))
            .collect::<DbResult<Vec<PaymentRecord>>>()
    }};
}

/// Loads the one payment `$query` selects (by a unique key) with its refunds, in one
/// statement (no `LIMIT`: see `sqlite_reader::load_rows`).
macro_rules! load_payment {
    (pg, $conn:expr, $query:expr) => {{
        let row: Option<(PaymentRow, Option<String>)> = $query
            .select((PaymentRow::as_select(), PgRefundsJson))
            .get_result($conn)
            .await
            .optional()
            .map_err(DbError::from)?;
        row.map(|(row, refunds)| json_payment(row, refunds))
            .transpose()
    }};
    (sqlite, $conn:expr, $query:expr) => {{
        let query = $query.select((PaymentRow::as_select(), SqliteRefundsJson));
        let rows: Vec<(PaymentRow, Option<String>)> =
            crate::sqlite_reader::load_rows($conn, query, Some(1)).await?;
        rows.into_iter()
            .next()
            .map(|(row, refunds)| json_payment(row, refunds))
            .transpose()
    }};
}

/// The refund rule, checked again inside the transaction that writes the refunds: the
/// refunds that count (pending and succeeded) never add up beyond the amount.
fn check_refunds_fit(payment: &Payment) -> DbResult<()> {
    let reserved = Money::sum(
        payment
            .refunds()
            .iter()
            .filter(|refund| refund.status.counts_against_amount())
            .map(|refund| refund.amount),
    );
    match reserved {
        Some(reserved) if reserved <= payment.amount() => Ok(()),
        Some(_) | None => Err(StoreError::Conflict.into()),
    }
}

fn payment_cursor(payment: &Payment) -> Cursor {
    Cursor {
        created_at: payment.created_at(),
        id: payment.id().as_str().to_owned(),
    }
}

crate::sql_fragment::sql_fragment!(
    /// The literal conditions that let the partial indexes serve these queries (a bound
    /// parameter would hide the value from the planner).
    BoxoChannel: Bool = "channel = 'boxo'"
);
crate::sql_fragment::sql_fragment!(
    InProcess: Bool = "status = 'in_process'"
);
crate::sql_fragment::sql_fragment!(
    Pending: Bool = "status = 'pending'"
);

macro_rules! payments {
    ($backend:ident, $database:ty, $conn:ty) => {
        /// The backend's payment reads shared by the repository methods.
        pub(crate) mod $backend {
            use super::*;

            /// Payment rows with their refunds.
            pub(crate) async fn with_refunds(
                conn: &mut $conn,
                rows: Vec<PaymentRow>,
            ) -> DbResult<Vec<Payment>> {
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                let ids: Vec<&str> = rows.iter().map(|row| row.id.as_str()).collect();
                let refunds: Vec<RefundRow> = refunds::table
                    .filter(refunds::payment_id.eq_any(&ids))
                    .order((refunds::payment_id.asc(), refunds::position.asc()))
                    .select(RefundRow::as_select())
                    .load(conn)
                    .await?;
                assemble(rows, refunds)
            }

            /// Payments with their events (oldest first), in one statement.
            #[allow(dead_code)]
            pub(crate) async fn with_events(
                conn: &mut $conn,
                payments: Vec<Payment>,
            ) -> DbResult<Vec<PaymentRecord>> {
                if payments.is_empty() {
                    return Ok(Vec::new());
                }
                let ids: Vec<&str> = payments
                    .iter()
                    .map(|payment| payment.id().as_str())
                    .collect();
                let events: Vec<crate::outbox::EventRow> = outbox_events::table
                    .filter(outbox_events::payment_id.eq_any(&ids))
                    .order((outbox_events::payment_id.asc(), outbox_events::seq.asc()))
                    .select(crate::outbox::EventRow::as_select())
                    .load(conn)
                    .await?;
                with_their_events(payments, events)
            }

            /// Writes what goes with every payment write: events with their deliveries,
            /// order-activity history, the idempotent response.
            pub(crate) async fn write_side_effects(
                conn: &mut $conn,
                events: &[DomainEvent],
                activity_events: &[(
                    hostpay_domain::ids::OrderActivityId,
                    hostpay_domain::order_activity::ActivityEvent,
                )],
                idempotent: Option<&hostpay_domain::idempotency::IdempotentResult>,
                at: DateTime<Utc>,
            ) -> DbResult<()> {
                crate::outbox::$backend::insert_events(conn, events).await?;
                crate::order_activities::$backend::append_events(conn, activity_events).await?;
                if let Some(result) = idempotent {
                    crate::idempotency::$backend::store_response(conn, result, at).await?;
                }
                Ok(())
            }
        }

        #[async_trait]
        impl PaymentRepository for $database {
            async fn insert(&self, write: NewPaymentWrite) -> Result<(), StoreError> {
                let rows = new_payment::NewPaymentRows::of(write)?;
                new_payment::$backend::create(self, rows).await
            }

            async fn get(&self, id: &PaymentId) -> Result<Option<Payment>, StoreError> {
                let id = id.clone();
                read_only!($backend, self, |conn| {
                    let query = payments::table.filter(payments::id.eq(id.as_str().to_owned()));
                    load_payment!($backend, &mut conn, query)
                })
            }

            async fn read(&self, id: &PaymentId) -> Result<Option<PaymentRecord>, StoreError> {
                let id = id.clone();
                read_only!($backend, self, |conn| {
                    let query = payments::table.filter(payments::id.eq(id.as_str().to_owned()));
                    let records = load_records!($backend, &mut conn, query, 1)?;
                    Ok(records.into_iter().next())
                })
            }

            async fn find_platform_order(
                &self,
                app_id: &AppId,
                miniapp_order_id: &str,
            ) -> Result<Option<Payment>, StoreError> {
                let app_id = app_id.clone();
                let miniapp_order_id = miniapp_order_id.to_owned();
                read_only!($backend, self, |conn| {
                    let query = payments::table
                        .filter(payments::app_id.eq(app_id.as_str().to_owned()))
                        .filter(payments::miniapp_order_id.eq(miniapp_order_id.clone()))
                        .filter(BoxoChannel);
                    load_payment!($backend, &mut conn, query)
                })
            }

            async fn list_for_user(
                &self,
                app_id: &AppId,
                user_id: &str,
                page: &PageRequest,
            ) -> Result<Page<PaymentRecord>, StoreError> {
                let app_id = app_id.clone();
                let user_id = user_id.to_owned();
                let page = page.clone();
                read_only!($backend, self, |conn| {
                    let mut query = payments::table
                        .filter(payments::app_id.eq(app_id.as_str().to_owned()))
                        .filter(payments::user_id.eq(user_id.clone()))
                        .into_boxed();
                    if let Some(after) = &page.after {
                        let at = DbInstant::of(after.created_at);
                        // `created_at <= at` as well: the index (app, user, created_at)
                        // then seeks to the cursor instead of scanning every newer row.
                        query = query.filter(payments::created_at.le(at)).filter(
                            payments::created_at.lt(at).or(payments::created_at
                                .eq(at)
                                .and(payments::id.lt(after.id.clone()))),
                        );
                    }
                    let query = query.order((payments::created_at.desc(), payments::id.desc()));
                    let overfetch = usize::try_from(page.limit)
                        .unwrap_or(usize::MAX)
                        .saturating_add(1);
                    let items = load_records!($backend, &mut conn, query, overfetch)?;
                    Ok(Page::from_overfetch(items, page.limit, |record| {
                        payment_cursor(&record.payment)
                    }))
                })
            }

            async fn save(&self, write: PaymentWrite) -> Result<(), StoreError> {
                check_refunds_fit(&write.payment)?;
                let row = PaymentRow::of(&write.payment)?;
                let expected = write.payment.version() - 1;
                let wanted: Vec<RefundRow> = write
                    .payment
                    .refunds()
                    .iter()
                    .enumerate()
                    .map(|(position, refund)| RefundRow::of(position, refund))
                    .collect();
                let reversal = write.reversal.as_ref().map(ReversalRow::of);
                detached!(self, |conn| {
                    let c: &mut $conn = &mut conn;
                    write_transaction!($backend, c, async |c: &mut $conn| -> DbResult<()> {
                        // The conditional update serialises writers of this payment (it
                        // takes the row's lock; PostgreSQL re-checks the version once a
                        // concurrent writer is done) and checks nobody moved it.
                        let changed = diesel::update(
                            payments::table
                                .filter(payments::id.eq(&row.id))
                                .filter(payments::version.eq(expected)),
                        )
                        .set((
                            payments::status.eq(&row.status),
                            payments::fail_reason.eq(&row.fail_reason),
                            payments::expires_at.eq(row.expires_at),
                            payments::charging_since.eq(row.charging_since),
                            payments::charge_check_at.eq(row.charge_check_at),
                            payments::updated_at.eq(row.updated_at),
                            payments::version.eq(row.version),
                        ))
                        .execute(c)
                        .await?;
                        if changed != 1 {
                            return Err(StoreError::Conflict.into());
                        }
                        let existing: Vec<RefundRow> = refunds::table
                            .filter(refunds::payment_id.eq(&row.id))
                            .order(refunds::position.asc())
                            .select(RefundRow::as_select())
                            .load(c)
                            .await?;
                        // The stored refunds must be a prefix of the new list (refunds only
                        // append); anything else means the caller worked on a stale copy.
                        if existing.len() > wanted.len()
                            || existing
                                .iter()
                                .zip(&wanted)
                                .any(|(old, new)| old.id != new.id)
                        {
                            return Err(StoreError::Conflict.into());
                        }
                        for (old, new) in existing.iter().zip(&wanted) {
                            if old.status != new.status
                                || old.fail_reason != new.fail_reason
                                || old.updated_at != new.updated_at
                                || old.next_attempt_at != new.next_attempt_at
                                || old.attempts != new.attempts
                            {
                                diesel::update(refunds::table.filter(refunds::id.eq(&new.id)))
                                    .set((
                                        refunds::status.eq(&new.status),
                                        refunds::fail_reason.eq(&new.fail_reason),
                                        refunds::updated_at.eq(new.updated_at),
                                        refunds::next_attempt_at.eq(new.next_attempt_at),
                                        refunds::attempts.eq(new.attempts),
                                    ))
                                    .execute(c)
                                    .await?;
                            }
                        }
                        for new in &wanted[existing.len()..] {
                            diesel::insert_into(refunds::table)
                                .values(new)
                                .execute(c)
                                .await?;
                        }
                        if let Some(reversal) = &reversal {
                            diesel::insert_into(charge_reversals::table)
                                .values(reversal)
                                .execute(c)
                                .await?;
                        }
                        $backend::write_side_effects(
                            c,
                            &write.events,
                            &write.activity_events,
                            write.idempotent.as_ref(),
                            write.payment.updated_at(),
                        )
                        .await
                    })
                })
            }

            async fn events(&self, id: &PaymentId) -> Result<Vec<DomainEvent>, StoreError> {
                let id = id.as_str().to_owned();
                read_only!($backend, self, |conn| {
                    let rows: Vec<crate::outbox::EventRow> = outbox_events::table
                        .filter(outbox_events::payment_id.eq(&id))
                        .order(outbox_events::seq.asc())
                        .select(crate::outbox::EventRow::as_select())
                        .load(&mut conn)
                        .await
                        .map_err(DbError::from)?;
                    rows.into_iter()
                        .map(crate::outbox::EventRow::into_domain)
                        .collect::<DbResult<Vec<_>>>()
                })
            }

            async fn get_many(&self, ids: &[PaymentId]) -> Result<Vec<Payment>, StoreError> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let ids: Vec<String> = ids.iter().map(|id| id.as_str().to_owned()).collect();
                detached!(self, |conn| {
                    let rows: Vec<PaymentRow> = payments::table
                        .filter(payments::id.eq_any(&ids))
                        .select(PaymentRow::as_select())
                        .load(&mut conn)
                        .await
                        .map_err(DbError::from)?;
                    $backend::with_refunds(&mut conn, rows).await
                })
            }

            async fn add_session(&self, session: &PaymentSession) -> Result<(), StoreError> {
                let row = SessionRow::of(session);
                detached!(self, |conn| {
                    let c: &mut $conn = &mut conn;
                    write_transaction!($backend, c, async |c: &mut $conn| -> DbResult<()> {
                        diesel::insert_into(payment_sessions::table)
                            .values(&row)
                            .execute(&mut *c)
                            .await
                            .map_err(DbError::from)?;
                        Ok(())
                    })
                })
            }

            async fn find_session(
                &self,
                token_hash: &SecretHash,
            ) -> Result<Option<PaymentSession>, StoreError> {
                let token_hash = token_hash.clone();
                detached!(self, |conn| {
                    let row: Option<SessionRow> = payment_sessions::table
                        .find(token_hash.as_str())
                        .select(SessionRow::as_select())
                        .get_result(&mut conn)
                        .await
                        .optional()
                        .map_err(DbError::from)?;
                    Ok(row.map(SessionRow::into_domain))
                })
            }

            async fn expired_in_process(
                &self,
                now: DateTime<Utc>,
                limit: u32,
            ) -> Result<Vec<PaymentId>, StoreError> {
                detached!(self, |conn| {
                    let ids: Vec<String> = payments::table
                        .filter(InProcess)
                        .filter(payments::expires_at.le(DbInstant::of(now)))
                        .filter(payments::charging_since.is_null())
                        .order((payments::expires_at.asc(), payments::id.asc()))
                        .limit(i64::from(limit))
                        .select(payments::id)
                        .load(&mut conn)
                        .await
                        .map_err(DbError::from)?;
                    Ok(ids.into_iter().map(PaymentId::from_trusted).collect())
                })
            }

            async fn due_refunds(
                &self,
                now: DateTime<Utc>,
                limit: u32,
            ) -> Result<Vec<(PaymentId, RefundId)>, StoreError> {
                detached!(self, |conn| {
                    let pairs: Vec<(String, String)> = refunds::table
                        .filter(Pending)
                        .filter(refunds::next_attempt_at.le(DbInstant::of(now)))
                        .order((refunds::next_attempt_at.asc(), refunds::id.asc()))
                        .limit(i64::from(limit))
                        .select((refunds::payment_id, refunds::id))
                        .load(&mut conn)
                        .await
                        .map_err(DbError::from)?;
                    Ok(pairs
                        .into_iter()
                        .map(|(payment, refund)| {
                            (
                                PaymentId::from_trusted(payment),
                                RefundId::from_trusted(refund),
                            )
                        })
                        .collect())
                })
            }

            async fn due_charge_checks(
                &self,
                now: DateTime<Utc>,
                limit: u32,
            ) -> Result<Vec<PaymentId>, StoreError> {
                detached!(self, |conn| {
                    let ids: Vec<String> = payments::table
                        .filter(payments::charge_check_at.is_not_null())
                        .filter(payments::charge_check_at.le(DbInstant::of(now)))
                        .filter(InProcess)
                        .order((payments::charge_check_at.asc(), payments::id.asc()))
                        .limit(i64::from(limit))
                        .select(payments::id)
                        .load(&mut conn)
                        .await
                        .map_err(DbError::from)?;
                    Ok(ids.into_iter().map(PaymentId::from_trusted).collect())
                })
            }

            async fn due_reversals(
                &self,
                now: DateTime<Utc>,
                limit: u32,
            ) -> Result<Vec<ChargeReversal>, StoreError> {
                detached!(self, |conn| {
                    let rows: Vec<ReversalRow> = charge_reversals::table
                        .filter(Pending)
                        .filter(charge_reversals::next_attempt_at.le(DbInstant::of(now)))
                        .order((
                            charge_reversals::next_attempt_at.asc(),
                            charge_reversals::id.asc(),
                        ))
                        .limit(i64::from(limit))
                        .select(ReversalRow::as_select())
                        .load(&mut conn)
                        .await
                        .map_err(DbError::from)?;
                    rows.into_iter()
                        .map(ReversalRow::into_domain)
                        .collect::<DbResult<Vec<_>>>()
                })
            }

            async fn reversals(
                &self,
                payment_id: &PaymentId,
            ) -> Result<Vec<ChargeReversal>, StoreError> {
                let payment_id = payment_id.clone();
                detached!(self, |conn| {
                    let rows: Vec<ReversalRow> = charge_reversals::table
                        .filter(charge_reversals::payment_id.eq(payment_id.as_str()))
                        .order((
                            charge_reversals::created_at.asc(),
                            charge_reversals::id.asc(),
                        ))
                        .select(ReversalRow::as_select())
                        .load(&mut conn)
                        .await
                        .map_err(DbError::from)?;
                    rows.into_iter()
                        .map(ReversalRow::into_domain)
                        .collect::<DbResult<Vec<_>>>()
                })
            }

            async fn save_reversal(&self, reversal: &ChargeReversal) -> Result<(), StoreError> {
                let row = ReversalRow::of(reversal);
                detached!(self, |conn| {
                    let c: &mut $conn = &mut conn;
                    write_transaction!($backend, c, async |c: &mut $conn| -> DbResult<()> {
                        // Never back from succeeded: a late refusal of another instance's
                        // attempt changes nothing once the processor accepted.
                        diesel::update(charge_reversals::table.find(&row.id).filter(Pending))
                            .set((
                                charge_reversals::status.eq(&row.status),
                                charge_reversals::attempts.eq(row.attempts),
                                charge_reversals::next_attempt_at.eq(row.next_attempt_at),
                                charge_reversals::last_error.eq(&row.last_error),
                                charge_reversals::updated_at.eq(row.updated_at),
                            ))
                            .execute(&mut *c)
                            .await
                            .map_err(DbError::from)?;
                        Ok(())
                    })
                })
            }

            async fn add_grant(&self, grant: &PayGrant) -> Result<(), StoreError> {
                let row = GrantRow::of(grant);
                detached!(self, |conn| {
                    let c: &mut $conn = &mut conn;
                    write_transaction!($backend, c, async |c: &mut $conn| -> DbResult<()> {
                        diesel::insert_into(pay_grants::table)
                            .values(&row)
                            .execute(&mut *c)
                            .await
                            .map_err(DbError::from)?;
                        Ok(())
                    })
                })
            }

            async fn find_grant(
                &self,
                token_hash: &SecretHash,
            ) -> Result<Option<PayGrant>, StoreError> {
                let token_hash = token_hash.clone();
                detached!(self, |conn| {
                    let row: Option<GrantRow> = pay_grants::table
                        .find(token_hash.as_str())
                        .select(GrantRow::as_select())
                        .get_result(&mut conn)
                        .await
                        .optional()
                        .map_err(DbError::from)?;
                    row.map(GrantRow::into_domain).transpose()
                })
            }
        }
    };
}

for_each_backend!(payments);

mod new_payment {
    //! Creating a payment (`PaymentRepository::insert`): the payment, its items and first
    //! session, its events with their deliveries, and the idempotent response, all or
    //! nothing.
    //!
    //! - **PostgreSQL: one statement, one round trip.** Every insert is a data-modifying CTE of
    //!   one `INSERT` (lines, events and deliveries bound as arrays and `unnest`ed), run in
    //!   autocommit: a statement is its own transaction, so it commits (and, with
    //!   `synchronous_commit` on, is flushed) before its reply comes back, and a failure of any
    //!   part (a taken id, order id or key) writes nothing. The statement's text does not depend
    //!   on how many lines or events there are, so it is prepared once per connection. Foreign
    //!   keys between its rows are checked at its end, when all of them are there.
    //! - **SQLite: one savepoint in the group commit** (`write_transaction!`), one statement per
    //!   row, each on the blocking thread the whole operation runs on (no round trips to save).

    use diesel::pg::Pg;
    use diesel::query_builder::{AstPass, QueryFragment, QueryId};
    use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
    use diesel::QueryResult;
    use hostpay_domain::ports::{NewPaymentWrite, StoreError};

    use super::{ItemRow, PaymentRow, SessionRow};
    use crate::error::{DbError, DbResult};
    use crate::idempotency::KeptReply;
    use crate::outbox::EventColumns;
    use crate::sql_types::{Amount, DbAmount, Instant};

    /// PostgreSQL: payments created at the same time are written by one statement.
    ///
    /// A create is one statement already, and on PostgreSQL most of its cost is per
    /// statement, not per row: the executor opens each table and its indexes and takes their
    /// locks, the commit writes and flushes its record. So creations that arrive while
    /// others are being written queue (`crate::write_batch`: a writer task takes everything
    /// queued), and one `INSERT` whose rows are bound as arrays (`unnest`) writes them: one
    /// statement, one commit, however many payments. For each caller, as with a statement
    /// of its own:
    /// - **Durable before answered**: `Ok` only after the statement that holds its rows
    ///   committed (autocommit, `synchronous_commit` as the server has it).
    /// - **Its own outcome**: a statement is all or nothing, so when PostgreSQL refuses the
    ///   batch (a taken order id, a foreign key: anything it reports about the rows)
    ///   nothing of it was written, and it is written again in halves, down to single
    ///   creations, each caller getting what a statement holding its creation alone (or
    ///   with good ones) gets. When the connection fails instead (the outcome is unknown),
    ///   every caller of the batch gets that error, as a lone statement's caller would.
    /// - Not cancelled by its caller, not written when its caller left before the writer
    ///   had a connection, no wait for a batch to fill (`crate::write_batch`).
    ///
    /// Creations that keep an idempotent reply go alone (their statement guards on the key).
    mod batch {
        use std::sync::Mutex;

        use diesel_async::{AsyncPgConnection, RunQueryDsl};
        use hostpay_domain::ports::StoreError;

        use super::*;
        use crate::database::PgDatabase;
        use crate::sql_types::DbInstant;
        use crate::write_batch::{submit, BatchWriter, Queue, Queues};

        /// Writes batches of creations to one database.
        #[derive(Clone)]
        struct CreationWriter(PgDatabase);

        /// The live creation queues, by database.
        static CREATIONS: Queues<CreationWriter> = Mutex::new(Vec::new());

        /// Writes `rows` (no idempotent reply to keep) with whatever else is being created: `Ok`
        /// once committed; the errors of `insert`.
        pub(in crate::payments) async fn insert(
            database: &PgDatabase,
            rows: NewPaymentRows,
        ) -> Result<(), StoreError> {
            let queue = Queue::of(&CREATIONS, database.id());
            submit(queue, &CreationWriter(database.clone()), rows).await
        }

        #[async_trait::async_trait]
        impl BatchWriter for CreationWriter {
            type Item = NewPaymentRows;
            type Connection = PooledPg;

            async fn connect(&self) -> Result<PooledPg, StoreError> {
                self.0.connection().await
            }

            async fn write(
                &self,
                conn: &mut PooledPg,
                batch: Vec<NewPaymentRows>,
            ) -> Vec<Result<(), StoreError>> {
                // Every batch takes its unique keys in one order (app and order id, then
                // payment id): two batches holding the same keys wait for each other
                // instead of deadlocking (a Boxo order sent twice at once, say).
                let count = batch.len();
                let mut batch: Vec<(usize, NewPaymentRows)> =
                    batch.into_iter().enumerate().collect();
                batch.sort_by(|(_, a), (_, b)| {
                    (
                        &a.payment.app_id,
                        &a.payment.miniapp_order_id,
                        &a.payment.id,
                    )
                        .cmp(&(
                            &b.payment.app_id,
                            &b.payment.miniapp_order_id,
                            &b.payment.id,
                        ))
                });
                let (order, sorted): (Vec<usize>, Vec<NewPaymentRows>) = batch.into_iter().unzip();
                let mut answers: Vec<Option<Result<(), StoreError>>> = vec![None; count];
                for (caller, outcome) in order.into_iter().zip(write_split(conn, sorted).await) {
                    if let Some(answer) = answers.get_mut(caller) {
                        *answer = Some(outcome);
                    }
                }
                answers
                    .into_iter()
                    .map(|answer| {
                        answer.unwrap_or_else(|| {
                            Err(StoreError::Unavailable(
                                "a creation was not answered".to_owned(),
                            ))
                        })
                    })
                    .collect()
            }
        }

        /// A pooled PostgreSQL connection.
        type PooledPg = diesel_async::pooled_connection::deadpool::Object<AsyncPgConnection>;

        /// Writes `batch` by one statement; if PostgreSQL refuses it (nothing of it was
        /// written), each half again, down to single creations, so a bad creation costs
        /// its batch a few statements, not one per creation, and every caller gets the
        /// outcome of a statement holding its creation alone or with good ones.
        fn write_split(
            conn: &mut AsyncPgConnection,
            mut batch: Vec<NewPaymentRows>,
        ) -> futures::future::BoxFuture<'_, Vec<Result<(), StoreError>>> {
            Box::pin(async move {
                let count = batch.len();
                if count == 1 {
                    if let Some(one) = batch.pop() {
                        // One creation: the statement a creation has on its own.
                        return vec![super::pg::insert(conn, one).await.map_err(StoreError::from)];
                    }
                }
                let (columns, writes) = match BatchColumns::of(batch) {
                    Ok(built) => built,
                    Err(error) => return vec![Err(StoreError::from(error)); count],
                };
                match together(conn, &columns, count).await {
                    Ok(()) => vec![Ok(()); count],
                    Err(DbError::Diesel(diesel::result::Error::DatabaseError(kind, info)))
                        if refused(&kind) =>
                    {
                        tracing::debug!(
                            creations = count,
                            ?kind,
                            error = info.message(),
                            "a batch of creations was refused: written again in halves"
                        );
                        // The rows again, from the writes (only on this rare path: the
                        // columns took the first ones).
                        let mut rows = Vec::with_capacity(count);
                        for write in writes {
                            match NewPaymentRows::of(write) {
                                Ok(again) => rows.push(again),
                                // Built from these very writes a moment ago.
                                Err(error) => return vec![Err(StoreError::from(error)); count],
                            }
                        }
                        let second = rows.split_off(count / 2);
                        let mut outcomes = write_split(conn, rows).await;
                        outcomes.extend(write_split(conn, second).await);
                        outcomes
                    }
                    // The connection failed: the outcome is unknown, as a lone statement's.
                    Err(error) => vec![Err(StoreError::from(error)); count],
                }
            })
        }

        /// Whether PostgreSQL refused the statement for what is in its rows (a constraint,
        /// a serialization failure): nothing of it was written, and a smaller batch may go
        /// through. Anything else (the connection failed with the outcome unknown, the
        /// server is read-only, out of disk or shutting down) would fail every smaller
        /// batch as well: every caller gets the error instead.
        fn refused(kind: &diesel::result::DatabaseErrorKind) -> bool {
            use diesel::result::DatabaseErrorKind as Kind;
            matches!(
                kind,
                Kind::UniqueViolation
                    | Kind::ForeignKeyViolation
                    | Kind::NotNullViolation
                    | Kind::CheckViolation
                    | Kind::RestrictViolation
                    | Kind::SerializationFailure
            )
        }

        /// Many creations by one statement.
        async fn together(
            conn: &mut AsyncPgConnection,
            batch: &BatchColumns,
            count: usize,
        ) -> DbResult<()> {
            let inserted = if batch.events.has_deliveries() {
                BatchStatement::<true>(batch).execute(conn).await?
            } else {
                BatchStatement::<false>(batch).execute(conn).await?
            };
            if inserted == count {
                Ok(())
            } else {
                Err(DbError::Store(StoreError::Unavailable(format!(
                    "a batch of {count} creations wrote {inserted} sessions"
                ))))
            }
        }

        /// The rows of many creations as column arrays.
        struct BatchColumns {
            ids: Vec<String>,
            app_ids: Vec<String>,
            channels: Vec<String>,
            user_ids: Vec<String>,
            amounts: Vec<DbAmount>,
            currencies: Vec<String>,
            statuses: Vec<String>,
            fail_reasons: Vec<Option<String>>,
            miniapp_order_ids: Vec<Option<String>>,
            details: Vec<String>,
            expires_at: Vec<DbInstant>,
            charging_since: Vec<Option<DbInstant>>,
            created_at: Vec<DbInstant>,
            updated_at: Vec<DbInstant>,
            versions: Vec<i64>,
            charge_check_at: Vec<Option<DbInstant>>,
            item_payment_ids: Vec<String>,
            items: ItemColumns,
            session_token_hashes: Vec<String>,
            session_payment_ids: Vec<String>,
            session_created_at: Vec<DbInstant>,
            session_expires_at: Vec<DbInstant>,
            events: EventColumns,
        }

        impl BatchColumns {
            /// The columns of `batch`, and its writes given back (for the rows again
            /// should the batch be refused).
            fn of(batch: Vec<NewPaymentRows>) -> DbResult<(BatchColumns, Vec<NewPaymentWrite>)> {
                let n = batch.len();
                let mut columns = BatchColumns {
                    ids: Vec::with_capacity(n),
                    app_ids: Vec::with_capacity(n),
                    channels: Vec::with_capacity(n),
                    user_ids: Vec::with_capacity(n),
                    amounts: Vec::with_capacity(n),
                    currencies: Vec::with_capacity(n),
                    statuses: Vec::with_capacity(n),
                    fail_reasons: Vec::with_capacity(n),
                    miniapp_order_ids: Vec::with_capacity(n),
                    details: Vec::with_capacity(n),
                    expires_at: Vec::with_capacity(n),
                    charging_since: Vec::with_capacity(n),
                    created_at: Vec::with_capacity(n),
                    updated_at: Vec::with_capacity(n),
                    versions: Vec::with_capacity(n),
                    charge_check_at: Vec::with_capacity(n),
                    item_payment_ids: Vec::with_capacity(n),
                    items: ItemColumns::of(Vec::new()),
                    session_token_hashes: Vec::with_capacity(n),
                    session_payment_ids: Vec::with_capacity(n),
                    session_created_at: Vec::with_capacity(n),
                    session_expires_at: Vec::with_capacity(n),
                    events: EventColumns::of(&[])?,
                };
                let mut writes = Vec::with_capacity(n);
                for NewPaymentRows {
                    payment,
                    items,
                    session,
                    write,
                } in batch
                {
                    // Every column named, so a new column breaks the build here.
                    let super::PaymentRow {
                        id,
                        app_id,
                        channel,
                        user_id,
                        amount,
                        currency,
                        status,
                        fail_reason,
                        miniapp_order_id,
                        details,
                        expires_at,
                        charging_since,
                        created_at,
                        updated_at,
                        version,
                        charge_check_at,
                    } = payment;
                    columns.ids.push(id);
                    columns.app_ids.push(app_id);
                    columns.channels.push(channel);
                    columns.user_ids.push(user_id);
                    columns.amounts.push(amount);
                    columns.currencies.push(currency);
                    columns.statuses.push(status);
                    columns.fail_reasons.push(fail_reason);
                    columns.miniapp_order_ids.push(miniapp_order_id);
                    columns.details.push(details);
                    columns.expires_at.push(expires_at);
                    columns.charging_since.push(charging_since);
                    columns.created_at.push(created_at);
                    columns.updated_at.push(updated_at);
                    columns.versions.push(version);
                    columns.charge_check_at.push(charge_check_at);
                    for item in items {
                        let payment_id = columns.items.push(item);
                        columns.item_payment_ids.push(payment_id);
                    }
                    let super::SessionRow {
                        token_hash,
                        payment_id,
                        created_at,
                        expires_at,
                    } = session;
                    // Lone, the statement takes the session's payment from the payment
                    // it inserts; together, from the session: they must agree.
                    if columns.ids.last() != Some(&payment_id) {
                        return Err(DbError::Store(StoreError::Unavailable(format!(
                            "session of payment {payment_id} written with another payment"
                        ))));
                    }
                    columns.session_token_hashes.push(token_hash);
                    columns.session_payment_ids.push(payment_id);
                    columns.session_created_at.push(created_at);
                    columns.session_expires_at.push(expires_at);
                    writes.push(write);
                }
                columns.events = EventColumns::of(writes.iter().flat_map(|write| &write.events))?;
                Ok((columns, writes))
            }
        }

        /// The statement: payments, their lines, events (and deliveries: `DELIVERIES`, which must
        /// match the values) and sessions, each `unnest`ed from arrays: one text whatever the
        /// counts, prepared once per connection and variant.
        struct BatchStatement<'a, const DELIVERIES: bool>(&'a BatchColumns);

        /// The prepared-statement cache's key of [`BatchStatement`].
        struct BatchStatementId<const DELIVERIES: bool>;

        impl<const DELIVERIES: bool> QueryId for BatchStatement<'_, DELIVERIES> {
            type QueryId = BatchStatementId<DELIVERIES>;
            const HAS_STATIC_QUERY_ID: bool = true;
        }

        impl<const DELIVERIES: bool> QueryFragment<Pg> for BatchStatement<'_, DELIVERIES> {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
                let c = self.0;
                out.push_sql(
                    "WITH g AS (SELECT 1 AS one), \
                     p AS (INSERT INTO payments (id, app_id, channel, user_id, amount, currency, \
                     status, fail_reason, miniapp_order_id, details, expires_at, charging_since, \
                     created_at, updated_at, version, charge_check_at) SELECT * FROM unnest(",
                );
                crate::sql_fragment::push_binds!(
                    out;
                    Array<Text> => &c.ids,
                    Array<Text> => &c.app_ids,
                    Array<Text> => &c.channels,
                    Array<Text> => &c.user_ids,
                    Array<Amount> => &c.amounts,
                    Array<Text> => &c.currencies,
                    Array<Text> => &c.statuses,
                    Array<Nullable<Text>> => &c.fail_reasons,
                    Array<Nullable<Text>> => &c.miniapp_order_ids,
                    Array<Text> => &c.details,
                    Array<Instant> => &c.expires_at,
                    Array<Nullable<Instant>> => &c.charging_since,
                    Array<Instant> => &c.created_at,
                    Array<Instant> => &c.updated_at,
                    Array<BigInt> => &c.versions,
                    Array<Nullable<Instant>> => &c.charge_check_at
                );
                out.push_sql(
                    ")), i AS (INSERT INTO payment_items \
                     (payment_id, position, product_name, product_sku, quantity, price, discount) \
                     SELECT * FROM unnest(",
                );
                crate::sql_fragment::push_binds!(
                    out;
                    Array<Text> => &c.item_payment_ids,
                    Array<Integer> => &c.items.positions,
                    Array<Text> => &c.items.product_names,
                    Array<Nullable<Text>> => &c.items.product_skus,
                    Array<BigInt> => &c.items.quantities,
                    Array<Nullable<Amount>> => &c.items.prices,
                    Array<Nullable<Amount>> => &c.items.discounts
                );
                out.push_sql("))");
                c.events.push_ctes::<DELIVERIES>(&mut out, "g")?;
                out.push_sql(
                    " INSERT INTO payment_sessions (token_hash, payment_id, created_at, expires_at) \
                     SELECT * FROM unnest(",
                );
                crate::sql_fragment::push_binds!(
                    out;
                    Array<Text> => &c.session_token_hashes,
                    Array<Text> => &c.session_payment_ids,
                    Array<Instant> => &c.session_created_at,
                    Array<Instant> => &c.session_expires_at
                );
                out.push_sql(")");
                Ok(())
            }
        }
    }

    /// Everything a new payment writes, as rows (built before the connection is taken).
    pub(super) struct NewPaymentRows {
        payment: PaymentRow,
        items: Vec<ItemRow>,
        session: SessionRow,
        write: NewPaymentWrite,
    }

    impl NewPaymentRows {
        /// The rows of `write`. A new payment has no refunds (refunds need a `paid`
        /// payment, so a later version): one that has is refused, not half-written.
        pub(super) fn of(write: NewPaymentWrite) -> DbResult<NewPaymentRows> {
            if !write.payment.refunds().is_empty() {
                return Err(DbError::Store(StoreError::Unavailable(format!(
                    "payment {} is new but has refunds: refused",
                    write.payment.id()
                ))));
            }
            Ok(NewPaymentRows {
                payment: PaymentRow::of(&write.payment)?,
                items: super::item_rows(&write.payment),
                session: SessionRow::of(&write.session),
                write,
            })
        }
    }

    /// PostgreSQL: the one statement.
    pub(super) mod pg {
        use diesel_async::{AsyncPgConnection, RunQueryDsl};
        use hostpay_domain::ports::StoreError;

        use super::*;
        use crate::database::PgDatabase;
        use crate::dialect::detached;

        /// Creates the payment: with others being created at the same time
        /// ([`super::batch`]), or alone when it keeps an idempotent reply.
        pub(in crate::payments) async fn create(
            database: &PgDatabase,
            rows: NewPaymentRows,
        ) -> Result<(), StoreError> {
            if rows.write.idempotent.is_none() {
                return super::batch::insert(database, rows).await;
            }
            detached!(database, |conn| {
                let c: &mut AsyncPgConnection = &mut conn;
                insert(c, rows).await
            })
        }

        /// Inserts the payment with everything written with it, in one statement.
        /// Errors: `Duplicate` naming the taken key (`id`, `miniapp_order_id`, `token`,
        /// `idempotency_key` when another request took the key over), `Unavailable`.
        pub(in crate::payments) async fn insert(
            conn: &mut AsyncPgConnection,
            rows: NewPaymentRows,
        ) -> DbResult<()> {
            let creation = Creation::of(rows)?;
            // Four texts, each prepared once per connection: with or without a reply to
            // keep, with or without deliveries (an empty CTE still costs PostgreSQL a table
            // and its indexes opened on every call).
            let inserted = match (creation.reply.is_some(), creation.events.has_deliveries()) {
                (true, true) => {
                    CreateStatement::<true, true>(&creation)
                        .execute(conn)
                        .await?
                }
                (true, false) => {
                    CreateStatement::<true, false>(&creation)
                        .execute(conn)
                        .await?
                }
                (false, true) => {
                    CreateStatement::<false, true>(&creation)
                        .execute(conn)
                        .await?
                }
                (false, false) => {
                    CreateStatement::<false, false>(&creation)
                        .execute(conn)
                        .await?
                }
            };
            // The session row goes in exactly when the payment does; the payment goes in unless
            // the key is not held (any other failure is an error of the statement).
            if inserted == 1 {
                Ok(())
            } else {
                Err(StoreError::Duplicate(crate::idempotency::IDEMPOTENCY_KEY.to_owned()).into())
            }
        }
    }

    /// The bound values of the statement.
    struct Creation {
        payment: PaymentRow,
        items: ItemColumns,
        session: SessionRow,
        events: EventColumns,
        reply: Option<KeptReply>,
    }

    impl Creation {
        fn of(rows: NewPaymentRows) -> DbResult<Creation> {
            let NewPaymentRows {
                payment,
                items,
                session,
                write,
            } = rows;
            Ok(Creation {
                payment,
                items: ItemColumns::of(items),
                session,
                events: EventColumns::of(&write.events)?,
                reply: write
                    .idempotent
                    .as_ref()
                    .map(|result| KeptReply::of(result, write.payment.created_at())),
            })
        }
    }

    /// The payment's lines as column arrays.
    struct ItemColumns {
        positions: Vec<i32>,
        product_names: Vec<String>,
        product_skus: Vec<Option<String>>,
        quantities: Vec<i64>,
        prices: Vec<Option<DbAmount>>,
        discounts: Vec<Option<DbAmount>>,
    }

    impl ItemColumns {
        fn of(rows: Vec<ItemRow>) -> ItemColumns {
            let mut columns = ItemColumns {
                positions: Vec::with_capacity(rows.len()),
                product_names: Vec::with_capacity(rows.len()),
                product_skus: Vec::with_capacity(rows.len()),
                quantities: Vec::with_capacity(rows.len()),
                prices: Vec::with_capacity(rows.len()),
                discounts: Vec::with_capacity(rows.len()),
            };
            for row in rows {
                columns.push(row);
            }
            columns
        }

        /// Appends `row`; returns its payment's id (which these columns do not keep).
        fn push(&mut self, row: ItemRow) -> String {
            let ItemRow {
                payment_id,
                position,
                product_name,
                product_sku,
                quantity,
                price,
                discount,
            } = row;
            self.positions.push(position);
            self.product_names.push(product_name);
            self.product_skus.push(product_sku);
            self.quantities.push(quantity);
            self.prices.push(price);
            self.discounts.push(discount);
            payment_id
        }
    }

    /// The statement, with (`KEYED`) or without an idempotent reply to keep: two texts, each
    /// prepared once per connection.
    /// `DELIVERIES`: whether the events have deliveries to insert (each variant is its own
    /// text: the flag must match the values, or the statement refuses to build).
    struct CreateStatement<'a, const KEYED: bool, const DELIVERIES: bool>(&'a Creation);

    /// The prepared-statement cache's key of [`CreateStatement`].
    struct CreateStatementId<const KEYED: bool, const DELIVERIES: bool>;

    impl<const KEYED: bool, const DELIVERIES: bool> QueryId for CreateStatement<'_, KEYED, DELIVERIES> {
        type QueryId = CreateStatementId<KEYED, DELIVERIES>;
        const HAS_STATIC_QUERY_ID: bool = true;
    }

    impl<const KEYED: bool, const DELIVERIES: bool> QueryFragment<Pg>
        for CreateStatement<'_, KEYED, DELIVERIES>
    {
        fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
            let creation = self.0;
            out.push_sql("WITH ");
            // With a reply to keep, the payment goes in only if the key is held (`held`).
            let guard = match (KEYED, &creation.reply) {
                (true, Some(reply)) => {
                    reply.push_ctes(&mut out)?;
                    out.push_sql(", ");
                    " FROM held"
                }
                (false, None) => "",
                (true, None) | (false, Some(_)) => {
                    return Err(diesel::result::Error::QueryBuilderError(
                        "CreateStatement: KEYED must match the reply".into(),
                    ))
                }
            };
            push_payment(&creation.payment, &mut out, guard)?;
            push_items(&creation.items, &mut out)?;
            creation.events.push_ctes::<DELIVERIES>(&mut out, "p")?;
            let session = &creation.session;
            out.push_sql(
                " INSERT INTO payment_sessions (token_hash, payment_id, created_at, expires_at) \
                 SELECT ",
            );
            out.push_bind_param::<Text, _>(&session.token_hash)?;
            out.push_sql(", p.id, ");
            out.push_bind_param::<Instant, _>(&session.created_at)?;
            out.push_sql(", ");
            out.push_bind_param::<Instant, _>(&session.expires_at)?;
            out.push_sql(" FROM p");
            Ok(())
        }
    }

    /// `p AS (INSERT INTO payments ... RETURNING id)`: the row that every other insert of the
    /// statement joins, so none goes in without it.
    fn push_payment<'b>(
        row: &'b PaymentRow,
        out: &mut AstPass<'_, 'b, Pg>,
        guard: &str,
    ) -> QueryResult<()> {
        // Every column named, so a new column of `PaymentRow` breaks the build here
        // instead of being left out of the PostgreSQL insert.
        let PaymentRow {
            id,
            app_id,
            channel,
            user_id,
            amount,
            currency,
            status,
            fail_reason,
            miniapp_order_id,
            details,
            expires_at,
            charging_since,
            created_at,
            updated_at,
            version,
            charge_check_at,
        } = row;
        out.push_sql(
            "p AS (INSERT INTO payments (id, app_id, channel, user_id, amount, currency, status, \
             fail_reason, miniapp_order_id, details, expires_at, charging_since, created_at, \
             updated_at, version, charge_check_at) SELECT ",
        );
        crate::sql_fragment::push_binds!(
            out;
            Text => id,
            Text => app_id,
            Text => channel,
            Text => user_id,
            Amount => amount,
            Text => currency,
            Text => status,
            Nullable<Text> => fail_reason,
            Nullable<Text> => miniapp_order_id,
            Text => details,
            Instant => expires_at,
            Nullable<Instant> => charging_since,
            Instant => created_at,
            Instant => updated_at,
            BigInt => version,
            Nullable<Instant> => charge_check_at
        );
        out.push_sql(guard);
        out.push_sql(" RETURNING id)");
        Ok(())
    }

    /// `, i AS (INSERT INTO payment_items ...)`.
    fn push_items<'b>(items: &'b ItemColumns, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            ", i AS (INSERT INTO payment_items \
             (payment_id, position, product_name, product_sku, quantity, price, discount) \
             SELECT p.id, u.position, u.product_name, u.product_sku, u.quantity, u.price, \
             u.discount FROM p, unnest(",
        );
        crate::sql_fragment::push_binds!(
            out;
            Array<Integer> => &items.positions,
            Array<Text> => &items.product_names,
            Array<Nullable<Text>> => &items.product_skus,
            Array<BigInt> => &items.quantities,
            Array<Nullable<Amount>> => &items.prices,
            Array<Nullable<Amount>> => &items.discounts
        );
        out.push_sql(") AS u (position, product_name, product_sku, quantity, price, discount))");
        Ok(())
    }

    /// SQLite: the rows one by one, in a savepoint of the group commit.
    pub(super) mod sqlite {
        use diesel_async::RunQueryDsl;

        use super::*;
        use crate::database::SqliteConnection;
        use crate::dialect::write_transaction;
        use crate::schema::{payment_items, payment_sessions, payments};

        /// Creates the payment, in the group commit.
        pub(in crate::payments) async fn create(
            database: &crate::database::SqliteDatabase,
            rows: NewPaymentRows,
        ) -> Result<(), hostpay_domain::ports::StoreError> {
            crate::dialect::detached!(database, |conn| {
                let c: &mut SqliteConnection = &mut conn;
                insert(c, rows).await
            })
        }

        /// Inserts the payment with everything written with it, in one write transaction.
        pub(in crate::payments) async fn insert(
            conn: &mut SqliteConnection,
            rows: NewPaymentRows,
        ) -> DbResult<()> {
            let NewPaymentRows {
                payment,
                items,
                session,
                write,
            } = rows;
            write_transaction!(
                sqlite,
                conn,
                async |c: &mut SqliteConnection| -> DbResult<()> {
                    diesel::insert_into(payments::table)
                        .values(&payment)
                        .execute(c)
                        .await?;
                    for item in &items {
                        diesel::insert_into(payment_items::table)
                            .values(item)
                            .execute(c)
                            .await?;
                    }
                    diesel::insert_into(payment_sessions::table)
                        .values(&session)
                        .execute(c)
                        .await?;
                    crate::payments::sqlite::write_side_effects(
                        c,
                        &write.events,
                        &[],
                        write.idempotent.as_ref(),
                        write.payment.created_at(),
                    )
                    .await
                }
            )
        }
    }
}
