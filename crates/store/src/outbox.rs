//! The transactional outbox: events are written in the transaction of the change that
//! caused them, with one delivery per receiver; deliveries are claimed with a lease
//! (PostgreSQL: `FOR UPDATE SKIP LOCKED`), attempted, recorded, retried or dead-lettered.
//!
//! A delivery's `claim_token` is the number of the claim that holds it: each claim moves
//! it on and hands it to the claimer; an outcome is written only by
//! `UPDATE ... WHERE claim_token = <the claimer's>`, which moves it on again.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::AstPass;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
use diesel_async::RunQueryDsl;
use hostpay_domain::delivery::{
    AttemptOutcome, ClaimToken, ClaimedDelivery, Delivery, DeliveryAttempt, DeliveryState, NextStep,
};
use hostpay_domain::event::{DeliveryTarget, DomainEvent, EventKind};
use hostpay_domain::ids::{AppId, DeliveryId, EventId};
use hostpay_domain::page::{Cursor, Page, PageRequest};
use hostpay_domain::ports::{ManualRetry, Outbox, OutboxDepth, Recorded, StoreError};
use sha2::{Digest, Sha256};

use crate::convert::{from_json, parsed, to_json};
use crate::dialect::{
    detached, for_each_backend, for_update, for_update_skip_locked, write_transaction,
};
use crate::error::{corrupt, DbError, DbResult};
use crate::names::{parse_target, target_name};
use crate::schema::{deliveries, delivery_attempts, outbox_events};
use crate::sql_types::{DbInstant, Instant};

/// A stored event.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = outbox_events, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct EventRow {
    id: String,
    kind: String,
    app_id: String,
    payment_id: String,
    occurred_at: DbInstant,
    data: String,
    targets: String,
}

/// An event to insert (its `seq` is given by the database).
#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = outbox_events)]
pub(crate) struct NewEventRow {
    id: String,
    kind: String,
    app_id: String,
    payment_id: String,
    occurred_at: DbInstant,
    data: String,
    targets: String,
}

/// A stored delivery.
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = deliveries, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct DeliveryRow {
    id: String,
    event_id: String,
    target: String,
    state: String,
    attempts: i32,
    next_attempt_at: DbInstant,
    last_error: Option<String>,
    last_status: Option<i32>,
    created_at: DbInstant,
    updated_at: DbInstant,
    /// The number of the claim that holds (or last held) the delivery.
    claim_token: i64,
}

/// A stored attempt.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = delivery_attempts, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct AttemptRow {
    attempted_at: DbInstant,
    http_status: Option<i32>,
    outcome: String,
    detail: Option<String>,
    latency_ms: i64,
}

/// An attempt to insert.
#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = delivery_attempts)]
pub(crate) struct NewAttemptRow {
    delivery_id: String,
    attempted_at: DbInstant,
    http_status: Option<i32>,
    outcome: String,
    detail: Option<String>,
    latency_ms: i64,
}

/// The id of the delivery of `event` to `target`: stable, so one event is never queued
/// twice for one receiver.
pub(crate) fn delivery_id(event: &EventId, target: DeliveryTarget) -> String {
    let digest = Sha256::digest(format!("{}:{}", event.as_str(), target_name(target)).as_bytes());
    format!("{}{}", DeliveryId::PREFIX, &hex::encode(digest)[..26])
}

/// The rows that store `events` and their deliveries (one per target, due at once).
pub(crate) fn event_rows<'e>(
    events: impl IntoIterator<Item = &'e DomainEvent>,
) -> DbResult<(Vec<NewEventRow>, Vec<DeliveryRow>)> {
    let events = events.into_iter();
    let mut event_rows = Vec::with_capacity(events.size_hint().0);
    let mut delivery_rows = Vec::new();
    for event in events {
        let at = DbInstant::of(event.occurred_at);
        event_rows.push(NewEventRow {
            id: event.id.as_str().to_owned(),
            kind: event.kind.as_str().to_owned(),
            app_id: event.app_id.as_str().to_owned(),
            payment_id: event.payment_id.clone(),
            occurred_at: at,
            data: to_json(&crate::event_data::to_row(&event.data))?,
            targets: to_json(
                &event
                    .targets
                    .iter()
                    .map(|target| target_name(*target))
                    .collect::<Vec<_>>(),
            )?,
        });
        for target in &event.targets {
            delivery_rows.push(DeliveryRow {
                id: delivery_id(&event.id, *target),
                event_id: event.id.as_str().to_owned(),
                target: target_name(*target).to_owned(),
                state: DeliveryState::Pending.as_str().to_owned(),
                attempts: 0,
                next_attempt_at: at,
                last_error: None,
                last_status: None,
                created_at: at,
                updated_at: at,
                claim_token: 0,
            });
        }
    }
    Ok((event_rows, delivery_rows))
}

/// Events and their deliveries as column arrays, bound to one PostgreSQL statement that
/// inserts them all (`unnest`), so a write with events stays one round trip. The values are
/// those of [`event_rows`].
pub(crate) struct EventColumns {
    ids: Vec<String>,
    kinds: Vec<String>,
    app_ids: Vec<String>,
    payment_ids: Vec<String>,
    occurred_at: Vec<DbInstant>,
    data: Vec<String>,
    targets: Vec<String>,
    delivery_ids: Vec<String>,
    delivery_event_ids: Vec<String>,
    delivery_targets: Vec<String>,
    delivery_states: Vec<String>,
    delivery_attempts: Vec<i32>,
    delivery_next_attempt_at: Vec<DbInstant>,
    delivery_last_errors: Vec<Option<String>>,
    delivery_last_statuses: Vec<Option<i32>>,
    delivery_created_at: Vec<DbInstant>,
    delivery_updated_at: Vec<DbInstant>,
    delivery_claim_tokens: Vec<i64>,
}

impl EventColumns {
    /// Whether any event has a delivery (a receiver to be told).
    pub(crate) fn has_deliveries(&self) -> bool {
        !self.delivery_ids.is_empty()
    }

    /// The columns that store `events` and their deliveries.
    pub(crate) fn of<'e>(
        events: impl IntoIterator<Item = &'e DomainEvent>,
    ) -> DbResult<EventColumns> {
        let (events, deliveries) = event_rows(events)?;
        let mut columns = EventColumns {
            ids: Vec::with_capacity(events.len()),
            kinds: Vec::with_capacity(events.len()),
            app_ids: Vec::with_capacity(events.len()),
            payment_ids: Vec::with_capacity(events.len()),
            occurred_at: Vec::with_capacity(events.len()),
            data: Vec::with_capacity(events.len()),
            targets: Vec::with_capacity(events.len()),
            delivery_ids: Vec::with_capacity(deliveries.len()),
            delivery_event_ids: Vec::with_capacity(deliveries.len()),
            delivery_targets: Vec::with_capacity(deliveries.len()),
            delivery_states: Vec::with_capacity(deliveries.len()),
            delivery_attempts: Vec::with_capacity(deliveries.len()),
            delivery_next_attempt_at: Vec::with_capacity(deliveries.len()),
            delivery_last_errors: Vec::with_capacity(deliveries.len()),
            delivery_last_statuses: Vec::with_capacity(deliveries.len()),
            delivery_created_at: Vec::with_capacity(deliveries.len()),
            delivery_updated_at: Vec::with_capacity(deliveries.len()),
            delivery_claim_tokens: Vec::with_capacity(deliveries.len()),
        };
        for NewEventRow {
            id,
            kind,
            app_id,
            payment_id,
            occurred_at,
            data,
            targets,
        } in events
        {
            columns.ids.push(id);
            columns.kinds.push(kind);
            columns.app_ids.push(app_id);
            columns.payment_ids.push(payment_id);
            columns.occurred_at.push(occurred_at);
            columns.data.push(data);
            columns.targets.push(targets);
        }
        for DeliveryRow {
            id,
            event_id,
            target,
            state,
            attempts,
            next_attempt_at,
            last_error,
            last_status,
            created_at,
            updated_at,
            claim_token,
        } in deliveries
        {
            columns.delivery_ids.push(id);
            columns.delivery_event_ids.push(event_id);
            columns.delivery_targets.push(target);
            columns.delivery_states.push(state);
            columns.delivery_attempts.push(attempts);
            columns.delivery_next_attempt_at.push(next_attempt_at);
            columns.delivery_last_errors.push(last_error);
            columns.delivery_last_statuses.push(last_status);
            columns.delivery_created_at.push(created_at);
            columns.delivery_updated_at.push(updated_at);
            columns.delivery_claim_tokens.push(claim_token);
        }
        Ok(columns)
    }

    /// Appends `, e AS (INSERT INTO outbox_events ...), d AS (INSERT INTO deliveries ...)` to
    /// a `WITH` list. Both insert only when `guard` (an earlier CTE of the statement)
    /// returned its one row; the events go in their order (which is their `seq`). The
    /// deliveries' foreign key to their events is checked at the end of the statement, when
    /// the events are there. Without deliveries (`DELIVERIES` false, which must match the
    /// values) the deliveries' CTE is left out: each variant is its own statement text.
    pub(crate) fn push_ctes<'b, const DELIVERIES: bool>(
        &'b self,
        out: &mut AstPass<'_, 'b, Pg>,
        guard: &str,
    ) -> QueryResult<()> {
        if DELIVERIES != self.has_deliveries() {
            return Err(diesel::result::Error::QueryBuilderError(
                "EventColumns: DELIVERIES must match the deliveries".into(),
            ));
        }
        out.push_sql(
            ", e AS (INSERT INTO outbox_events \
             (id, kind, app_id, payment_id, occurred_at, data, targets) \
             SELECT u.id, u.kind, u.app_id, u.payment_id, u.occurred_at, u.data, u.targets \
             FROM ",
        );
        out.push_sql(guard);
        out.push_sql(", unnest(");
        crate::sql_fragment::push_binds!(
            out;
            Array<Text> => &self.ids,
            Array<Text> => &self.kinds,
            Array<Text> => &self.app_ids,
            Array<Text> => &self.payment_ids,
            Array<Instant> => &self.occurred_at,
            Array<Text> => &self.data,
            Array<Text> => &self.targets
        );
        out.push_sql(
            ") WITH ORDINALITY \
             AS u (id, kind, app_id, payment_id, occurred_at, data, targets, n) \
             ORDER BY u.n)",
        );
        if !DELIVERIES {
            return Ok(());
        }
        out.push_sql(
            ", d AS (INSERT INTO deliveries \
             (id, event_id, target, state, attempts, next_attempt_at, last_error, last_status, \
             created_at, updated_at, claim_token) \
             SELECT u.id, u.event_id, u.target, u.state, u.attempts, u.next_attempt_at, \
             u.last_error, u.last_status, u.created_at, u.updated_at, u.claim_token FROM ",
        );
        out.push_sql(guard);
        out.push_sql(", unnest(");
        crate::sql_fragment::push_binds!(
            out;
            Array<Text> => &self.delivery_ids,
            Array<Text> => &self.delivery_event_ids,
            Array<Text> => &self.delivery_targets,
            Array<Text> => &self.delivery_states,
            Array<Integer> => &self.delivery_attempts,
            Array<Instant> => &self.delivery_next_attempt_at,
            Array<Nullable<Text>> => &self.delivery_last_errors,
            Array<Nullable<Integer>> => &self.delivery_last_statuses,
            Array<Instant> => &self.delivery_created_at,
            Array<Instant> => &self.delivery_updated_at,
            Array<BigInt> => &self.delivery_claim_tokens
        );
        out.push_sql(
            ") AS u (id, event_id, target, state, attempts, next_attempt_at, last_error, \
             last_status, created_at, updated_at, claim_token))",
        );
        Ok(())
    }
}

impl EventRow {
    /// The domain event.
    /// A stored event from its columns (as an aggregate read returns them).
    pub(crate) fn from_parts(
        id: String,
        kind: String,
        app_id: String,
        payment_id: String,
        occurred_at: DbInstant,
        data: String,
        targets: String,
    ) -> EventRow {
        EventRow {
            id,
            kind,
            app_id,
            payment_id,
            occurred_at,
            data,
            targets,
        }
    }

    pub(crate) fn into_domain(self) -> DbResult<DomainEvent> {
        Ok(DomainEvent {
            id: EventId::from_trusted(self.id),
            kind: parsed("outbox_events.kind", &self.kind, EventKind::parse)?,
            app_id: AppId::from_trusted(self.app_id),
            payment_id: self.payment_id,
            occurred_at: self.occurred_at.0,
            data: crate::event_data::from_text(&self.data)?,
            targets: from_json::<Vec<String>>("outbox_events.targets", &self.targets)?
                .iter()
                .map(|name| parsed("outbox_events.targets", name, parse_target))
                .collect::<DbResult<_>>()?,
        })
    }
}

impl DeliveryRow {
    fn into_domain(self, event: DomainEvent) -> DbResult<Delivery> {
        let last_status = self
            .last_status
            .map(|status| u16::try_from(status).map_err(|_| corrupt("deliveries.last_status")))
            .transpose()?;
        Ok(Delivery {
            id: DeliveryId::from_trusted(self.id),
            target: parsed("deliveries.target", &self.target, parse_target)?,
            event,
            state: parsed("deliveries.state", &self.state, DeliveryState::parse)?,
            attempts: self.attempts,
            next_attempt_at: self.next_attempt_at.0,
            last_error: self.last_error,
            last_status,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        })
    }
}

impl AttemptRow {
    fn into_domain(self) -> DbResult<DeliveryAttempt> {
        let detail = || self.detail.clone().unwrap_or_default();
        let outcome = match self.outcome.as_str() {
            "acknowledged" => AttemptOutcome::Acknowledged,
            "retryable" => AttemptOutcome::Retryable(detail()),
            "permanent" => AttemptOutcome::Permanent(detail()),
            other => return Err(corrupt(format!("delivery_attempts.outcome: {other:?}"))),
        };
        let status_code = self
            .http_status
            .map(|status| {
                u16::try_from(status).map_err(|_| corrupt("delivery_attempts.http_status"))
            })
            .transpose()?;
        Ok(DeliveryAttempt {
            at: self.attempted_at.0,
            status_code,
            outcome,
            latency_ms: self.latency_ms,
        })
    }
}

fn attempt_row(id: &DeliveryId, attempt: &DeliveryAttempt) -> NewAttemptRow {
    let (outcome, detail) = match &attempt.outcome {
        AttemptOutcome::Acknowledged => ("acknowledged", None),
        AttemptOutcome::Retryable(detail) => ("retryable", Some(detail.clone())),
        AttemptOutcome::Permanent(detail) => ("permanent", Some(detail.clone())),
    };
    NewAttemptRow {
        delivery_id: id.as_str().to_owned(),
        attempted_at: DbInstant::of(attempt.at),
        http_status: attempt.status_code.map(i32::from),
        outcome: outcome.to_owned(),
        detail,
        latency_ms: attempt.latency_ms,
    }
}

/// Pairs delivery rows with their events, keeping the rows' order.
fn assemble(rows: Vec<DeliveryRow>, events: Vec<EventRow>) -> DbResult<Vec<Delivery>> {
    let mut by_id: HashMap<String, DomainEvent> = HashMap::with_capacity(events.len());
    for event in events {
        let event = event.into_domain()?;
        by_id.insert(event.id.as_str().to_owned(), event);
    }
    rows.into_iter()
        .map(|row| {
            let event = by_id
                .get(&row.event_id)
                .cloned()
                .ok_or_else(|| corrupt(format!("delivery {} has no event", row.id)))?;
            row.into_domain(event)
        })
        .collect()
}

fn delivery_cursor(delivery: &Delivery) -> Cursor {
    Cursor {
        created_at: delivery.created_at,
        id: delivery.id.as_str().to_owned(),
    }
}

/// How `insert_events` writes: on PostgreSQL every event and delivery in one
/// statement (one round trip); on SQLite row by row (each statement runs in place on the
/// operation's thread: no round trip to save, and diesel has no multi-row insert for these
/// rows there).
macro_rules! event_inserts {
    (pg, $conn:expr, $events:expr) => {{
        let columns = EventColumns::of($events)?;
        if columns.has_deliveries() {
            EventsStatement::<true>(&columns).execute($conn).await?;
        } else {
            EventsStatement::<false>(&columns).execute($conn).await?;
        }
        Ok(())
    }};
    (sqlite, $conn:expr, $events:expr) => {{
        let (events, deliveries) = event_rows($events)?;
        for event in &events {
            diesel::insert_into(outbox_events::table)
                .values(event)
                .execute(&mut *$conn)
                .await?;
        }
        for delivery in &deliveries {
            diesel::insert_into(deliveries::table)
                .values(delivery)
                .execute(&mut *$conn)
                .await?;
        }
        Ok(())
    }};
}

/// Events with their deliveries, inserted by one PostgreSQL statement.
/// `DELIVERIES`: whether there are deliveries to insert (see [`EventColumns::push_ctes`]).
struct EventsStatement<'a, const DELIVERIES: bool>(&'a EventColumns);

impl<const DELIVERIES: bool> diesel::query_builder::QueryId for EventsStatement<'_, DELIVERIES> {
    type QueryId = EventsStatement<'static, DELIVERIES>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<const DELIVERIES: bool> diesel::query_builder::QueryFragment<Pg>
    for EventsStatement<'_, DELIVERIES>
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH g AS (SELECT 1 AS one)");
        self.0.push_ctes::<DELIVERIES>(&mut out, "g")?;
        out.push_sql(" SELECT one FROM g");
        Ok(())
    }
}

macro_rules! outbox {
    ($backend:ident, $database:ty, $conn:ty) => {
        /// The backend's outbox queries, shared by the repositories that write events.
        pub(crate) mod $backend {
            use super::*;

            /// Inserts events and their deliveries (inside the caller's transaction).
            pub(crate) async fn insert_events(
                conn: &mut $conn,
                events: &[DomainEvent],
            ) -> DbResult<()> {
                if events.is_empty() {
                    return Ok(());
                }
                event_inserts!($backend, conn, events)
            }

            /// The delivery rows with these ids, in this order.
            async fn load_rows(conn: &mut $conn, ids: &[String]) -> DbResult<Vec<DeliveryRow>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let rows: Vec<DeliveryRow> = deliveries::table
                    .filter(deliveries::id.eq_any(ids))
                    .select(DeliveryRow::as_select())
                    .load(conn)
                    .await?;
                let mut by_id: HashMap<String, DeliveryRow> =
                    rows.into_iter().map(|row| (row.id.clone(), row)).collect();
                Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
            }

            /// The deliveries with these ids, in this order.
            pub(crate) async fn load(conn: &mut $conn, ids: &[String]) -> DbResult<Vec<Delivery>> {
                let rows = load_rows(conn, ids).await?;
                with_events(conn, rows).await
            }

            /// The deliveries with these ids, in this order, with their claim tokens.
            pub(crate) async fn load_claimed(
                conn: &mut $conn,
                ids: &[String],
            ) -> DbResult<Vec<ClaimedDelivery>> {
                let rows = load_rows(conn, ids).await?;
                let tokens: Vec<ClaimToken> = rows
                    .iter()
                    .map(|row| ClaimToken::from_number(row.claim_token))
                    .collect();
                let deliveries = with_events(conn, rows).await?;
                Ok(deliveries
                    .into_iter()
                    .zip(tokens)
                    .map(|(delivery, token)| ClaimedDelivery { delivery, token })
                    .collect())
            }

            /// Delivery rows with their events.
            pub(crate) async fn with_events(
                conn: &mut $conn,
                rows: Vec<DeliveryRow>,
            ) -> DbResult<Vec<Delivery>> {
                let mut event_ids: Vec<&str> =
                    rows.iter().map(|row| row.event_id.as_str()).collect();
                event_ids.sort_unstable();
                event_ids.dedup();
                let events: Vec<EventRow> = if event_ids.is_empty() {
                    Vec::new()
                } else {
                    outbox_events::table
                        .filter(outbox_events::id.eq_any(&event_ids))
                        .select(EventRow::as_select())
                        .load(conn)
                        .await?
                };
                assemble(rows, events)
            }
        }

        #[async_trait]
        impl Outbox for $database {
            async fn claim_due(
                &self,
                now: DateTime<Utc>,
                lease_until: DateTime<Utc>,
                limit: u32,
            ) -> Result<Vec<ClaimedDelivery>, StoreError> {
                detached!(self, |conn| {
                    let now = DbInstant::of(now);
                    let lease = DbInstant::of(lease_until);
                    let c: &mut $conn = &mut conn;
                    write_transaction!(
                        $backend,
                        c,
                        async |c: &mut $conn| -> DbResult<Vec<ClaimedDelivery>> {
                            let ids: Vec<String> = for_update_skip_locked!(
                                $backend,
                                deliveries::table
                                    .filter(deliveries::state.eq(DeliveryState::Pending.as_str()))
                                    .filter(deliveries::next_attempt_at.le(now))
                                    .order((
                                        deliveries::next_attempt_at.asc(),
                                        deliveries::id.asc()
                                    ))
                                    .limit(i64::from(limit))
                                    .select(deliveries::id)
                            )
                            .load(c)
                            .await?;
                            if ids.is_empty() {
                                return Ok(Vec::new());
                            }
                            diesel::update(deliveries::table.filter(deliveries::id.eq_any(&ids)))
                                .set((
                                    deliveries::next_attempt_at.eq(lease),
                                    deliveries::claim_token.eq(deliveries::claim_token + 1),
                                ))
                                .execute(c)
                                .await?;
                            $backend::load_claimed(c, &ids).await
                        }
                    )
                })
            }

            async fn record_attempt(
                &self,
                id: &DeliveryId,
                token: ClaimToken,
                attempt: &DeliveryAttempt,
                next: NextStep,
            ) -> Result<Recorded, StoreError> {
                let row = attempt_row(id, attempt);
                let last_error = row.detail.clone();
                let at = row.attempted_at;
                let (state, next_at) = match next {
                    NextStep::Delivered => (DeliveryState::Delivered, None),
                    NextStep::RetryAt(when) => (DeliveryState::Pending, Some(DbInstant::of(when))),
                    NextStep::Dead => (DeliveryState::Dead, None),
                };
                let id = id.as_str().to_owned();
                detached!(self, |conn| {
                    let c: &mut $conn = &mut conn;
                    write_transaction!($backend, c, async |c: &mut $conn| -> DbResult<Recorded> {
                        // Written only while this claim holds the delivery; ends the claim.
                        let held = deliveries::table
                            .filter(deliveries::id.eq(&id))
                            .filter(deliveries::claim_token.eq(token.number()))
                            .filter(deliveries::state.eq(DeliveryState::Pending.as_str()));
                        let changed = diesel::update(held)
                            .set((
                                deliveries::attempts.eq(deliveries::attempts + 1),
                                deliveries::last_status.eq(row.http_status),
                                deliveries::last_error.eq(&last_error),
                                deliveries::state.eq(state.as_str()),
                                deliveries::updated_at.eq(at),
                                deliveries::claim_token.eq(deliveries::claim_token + 1),
                            ))
                            .execute(c)
                            .await?;
                        if changed == 0 {
                            return Ok(Recorded::LostClaim);
                        }
                        if let Some(next_at) = next_at {
                            diesel::update(deliveries::table.filter(deliveries::id.eq(&id)))
                                .set(deliveries::next_attempt_at.eq(next_at))
                                .execute(c)
                                .await?;
                        }
                        diesel::insert_into(delivery_attempts::table)
                            .values(&row)
                            .execute(c)
                            .await?;
                        Ok(Recorded::Written)
                    })
                })
            }

            async fn list(
                &self,
                state: Option<DeliveryState>,
                page: &PageRequest,
            ) -> Result<Page<Delivery>, StoreError> {
                let page = page.clone();
                detached!(self, |conn| {
                    let c: &mut $conn = &mut conn;
                    let mut query = deliveries::table.into_boxed();
                    if let Some(state) = state {
                        query = query.filter(deliveries::state.eq(state.as_str()));
                    }
                    if let Some(after) = &page.after {
                        let at = DbInstant::of(after.created_at);
                        // `created_at <= at` as well, so the index seeks to the cursor.
                        query = query.filter(deliveries::created_at.le(at)).filter(
                            deliveries::created_at.lt(at).or(deliveries::created_at
                                .eq(at)
                                .and(deliveries::id.lt(after.id.clone()))),
                        );
                    }
                    let rows: Vec<DeliveryRow> = query
                        .order((deliveries::created_at.desc(), deliveries::id.desc()))
                        .limit(i64::from(page.limit) + 1)
                        .select(DeliveryRow::as_select())
                        .load(c)
                        .await
                        .map_err(DbError::from)?;
                    let items = $backend::with_events(c, rows).await?;
                    Ok(Page::from_overfetch(items, page.limit, delivery_cursor))
                })
            }

            async fn get(&self, id: &DeliveryId) -> Result<Option<Delivery>, StoreError> {
                let id = id.clone();
                detached!(self, |conn| {
                    let found = $backend::load(&mut conn, &[id.as_str().to_owned()]).await?;
                    Ok(found.into_iter().next())
                })
            }

            async fn attempts(&self, id: &DeliveryId) -> Result<Vec<DeliveryAttempt>, StoreError> {
                let id = id.clone();
                detached!(self, |conn| {
                    let rows: Vec<AttemptRow> = delivery_attempts::table
                        .filter(delivery_attempts::delivery_id.eq(id.as_str()))
                        .order(delivery_attempts::seq.asc())
                        .select(AttemptRow::as_select())
                        .load(&mut conn)
                        .await
                        .map_err(DbError::from)?;
                    rows.into_iter()
                        .map(AttemptRow::into_domain)
                        .collect::<DbResult<Vec<_>>>()
                })
            }

            async fn retry_now(
                &self,
                id: &DeliveryId,
                now: DateTime<Utc>,
            ) -> Result<ManualRetry, StoreError> {
                let id = id.as_str().to_owned();
                detached!(self, |conn| {
                    let c: &mut $conn = &mut conn;
                    let now = DbInstant::of(now);
                    write_transaction!(
                        $backend,
                        c,
                        async |c: &mut $conn| -> DbResult<ManualRetry> {
                            let state: Option<String> = for_update!(
                                $backend,
                                deliveries::table
                                    .filter(deliveries::id.eq(&id))
                                    .select(deliveries::state)
                            )
                            .get_result(c)
                            .await
                            .optional()?;
                            let Some(state) = state else {
                                return Ok(ManualRetry::Unknown);
                            };
                            // Dead letters only: a pending delivery is retried anyway, a
                            // delivered one must not be sent again.
                            let dead = state == DeliveryState::Dead.as_str();
                            if dead {
                                diesel::update(deliveries::table.filter(deliveries::id.eq(&id)))
                                    .set((
                                        deliveries::state.eq(DeliveryState::Pending.as_str()),
                                        deliveries::next_attempt_at.eq(now),
                                        deliveries::updated_at.eq(now),
                                        deliveries::claim_token.eq(deliveries::claim_token + 1),
                                    ))
                                    .execute(c)
                                    .await?;
                            }
                            let found = $backend::load(c, std::slice::from_ref(&id)).await?;
                            let Some(delivery) = found.into_iter().next() else {
                                return Ok(ManualRetry::Unknown);
                            };
                            Ok(if dead {
                                ManualRetry::Retried(delivery)
                            } else {
                                ManualRetry::NotDead(delivery)
                            })
                        }
                    )
                })
            }

            async fn depth(&self) -> Result<OutboxDepth, StoreError> {
                detached!(self, |conn| {
                    let c: &mut $conn = &mut conn;
                    let mut count = async |state: DeliveryState| -> DbResult<u64> {
                        let n: i64 = deliveries::table
                            .filter(deliveries::state.eq(state.as_str()))
                            .count()
                            .get_result(&mut *c)
                            .await?;
                        Ok(u64::try_from(n).unwrap_or(0))
                    };
                    let pending = count(DeliveryState::Pending).await?;
                    let dead = count(DeliveryState::Dead).await?;
                    Ok(OutboxDepth { pending, dead })
                })
            }
        }
    };
}

for_each_backend!(outbox);
