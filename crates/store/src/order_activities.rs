//! Order activities and their history: one row per order (unique per miniapp and
//! `order_id`), items and delivery as JSON, events appended in order.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use diesel_async::RunQueryDsl;
use hostpay_domain::ids::{AppId, EventId, OrderActivityId, PaymentId};
use hostpay_domain::money::Currency;
use hostpay_domain::order_activity::{ActivityEvent, OrderActivity, OrderActivityStatus};
use hostpay_domain::page::{Cursor, Page, PageRequest};
use hostpay_domain::payment::PaymentStatus;
use hostpay_domain::ports::{OrderActivityRecord, OrderActivityRepository, StoreError};

use crate::convert::{bounded, from_json, non_empty, parsed, to_json};
use crate::dialect::{detached, for_each_backend, lock_at_version, write_transaction};
use crate::error::{corrupt, DbError, DbResult};
use crate::schema::{order_activities, order_activity_events};
use crate::sql_types::{DbAmount, DbInstant};
use crate::sqlite_reader::read_only;

/// A stored order activity.
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = order_activities, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct ActivityRow {
    id: String,
    app_id: String,
    order_id: String,
    user_id: String,
    status: String,
    title: Option<String>,
    items: String,
    total: Option<DbAmount>,
    currency: Option<String>,
    payment_id: Option<String>,
    delivery: Option<String>,
    note: Option<String>,
    created_at: DbInstant,
    updated_at: DbInstant,
    version: i64,
}

/// A stored history entry.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = order_activity_events, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct ActivityEventRow {
    id: String,
    activity_id: String,
    kind: String,
    status: String,
    changes: Option<String>,
    created_at: DbInstant,
}

/// A history entry to append (its `seq` is given by the database).
#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = order_activity_events)]
pub(crate) struct NewActivityEventRow {
    id: String,
    activity_id: String,
    kind: String,
    status: String,
    changes: Option<String>,
    created_at: DbInstant,
}

impl ActivityRow {
    fn of(activity: &OrderActivity) -> DbResult<ActivityRow> {
        Ok(ActivityRow {
            id: activity.id.as_str().to_owned(),
            app_id: activity.app_id.as_str().to_owned(),
            order_id: activity.order_id.as_str().to_owned(),
            user_id: activity.user_id.as_str().to_owned(),
            status: activity.status.as_str().to_owned(),
            title: activity
                .title
                .as_ref()
                .map(|title| title.as_str().to_owned()),
            items: to_json(
                &activity
                    .items
                    .iter()
                    .map(crate::details::ItemRow::of)
                    .collect::<Vec<_>>(),
            )?,
            total: activity.total.map(DbAmount::of),
            currency: activity
                .currency
                .map(|currency| currency.as_str().to_owned()),
            payment_id: activity
                .payment_id
                .as_ref()
                .map(|id| id.as_str().to_owned()),
            delivery: activity
                .delivery
                .as_ref()
                .map(|delivery| to_json(&crate::details::DeliveryRow::of(delivery)))
                .transpose()?,
            note: activity.note.as_ref().map(|note| note.as_str().to_owned()),
            created_at: DbInstant::of(activity.created_at),
            updated_at: DbInstant::of(activity.updated_at),
            version: activity.version,
        })
    }

    fn into_domain(self, events: Vec<ActivityEvent>) -> DbResult<OrderActivity> {
        Ok(OrderActivity {
            id: OrderActivityId::from_trusted(self.id),
            app_id: AppId::from_trusted(self.app_id),
            order_id: non_empty("order_activities.order_id", self.order_id)?,
            user_id: non_empty("order_activities.user_id", self.user_id)?,
            status: parsed(
                "order_activities.status",
                &self.status,
                OrderActivityStatus::parse,
            )?,
            title: bounded("order_activities.title", self.title)?,
            items: from_json::<Vec<crate::details::ItemRow>>(
                "order_activities.items",
                &self.items,
            )?
            .into_iter()
            .map(crate::details::ItemRow::into_domain)
            .collect(),
            total: self
                .total
                .map(|total| total.money().map_err(corrupt))
                .transpose()?,
            currency: self
                .currency
                .map(|code| {
                    Currency::parse(&code)
                        .map_err(|error| corrupt(format!("order_activities.currency: {error}")))
                })
                .transpose()?,
            payment_id: self.payment_id.map(PaymentId::from_trusted),
            delivery: self
                .delivery
                .map(|text| {
                    from_json::<crate::details::DeliveryRow>("order_activities.delivery", &text)
                        .map(crate::details::DeliveryRow::into_domain)
                })
                .transpose()?,
            note: bounded("order_activities.note", self.note)?,
            events,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
            version: self.version,
        })
    }
}

impl ActivityEventRow {
    fn into_domain(self) -> DbResult<ActivityEvent> {
        Ok(ActivityEvent {
            id: EventId::from_trusted(self.id),
            kind: self.kind,
            status: parsed(
                "order_activity_events.status",
                &self.status,
                OrderActivityStatus::parse,
            )?,
            created_at: self.created_at.0,
            changes: self
                .changes
                .map(|text| from_json("order_activity_events.changes", &text))
                .transpose()?,
        })
    }
}

/// The row appending `event` to the history of `activity_id`.
pub(crate) fn event_row(
    activity_id: &OrderActivityId,
    event: &ActivityEvent,
) -> DbResult<NewActivityEventRow> {
    Ok(NewActivityEventRow {
        id: event.id.as_str().to_owned(),
        activity_id: activity_id.as_str().to_owned(),
        kind: event.kind.clone(),
        status: event.status.as_str().to_owned(),
        changes: event.changes.as_ref().map(to_json).transpose()?,
        created_at: DbInstant::of(event.created_at),
    })
}

/// Rows with their events (grouped by activity, oldest first).
fn assemble(rows: Vec<ActivityRow>, events: Vec<ActivityEventRow>) -> DbResult<Vec<OrderActivity>> {
    let mut by_activity: HashMap<String, Vec<ActivityEvent>> = HashMap::new();
    for event in events {
        let activity_id = event.activity_id.clone();
        by_activity
            .entry(activity_id)
            .or_default()
            .push(event.into_domain()?);
    }
    rows.into_iter()
        .map(|row| {
            let events = by_activity.remove(&row.id).unwrap_or_default();
            row.into_domain(events)
        })
        .collect()
}

crate::sql_fragment::sql_fragment!(
    /// The status of the activity's linked payment when that payment is the activity's
    /// miniapp's: a column of the activity's row (portable SQL).
    LinkedPaymentStatus: Nullable<Text> = "(SELECT p.status FROM payments p \
        WHERE p.id = order_activities.payment_id AND p.app_id = order_activities.app_id)"
);

crate::sql_fragment::sql_fragment!(
    /// PostgreSQL: the activity's history as one JSON array, oldest first, a column of the
    /// activity's row (so the activity, its history and its payment's status are one statement).
    PgHistoryJson: Nullable<Text> = "(SELECT json_agg(json_build_object(\
        'id', e.id, 'seq', e.seq, 'activity_id', e.activity_id, 'kind', e.kind, \
        'status', e.status, 'changes', e.changes, 'created_at', e.created_at) ORDER BY e.seq)::text \
        FROM order_activity_events e WHERE e.activity_id = order_activities.id)"
);

/// A history entry as [`PG_EVENTS_JSON`] writes it.
#[derive(serde::Deserialize)]
struct ActivityEventJson {
    id: String,
    seq: i64,
    activity_id: String,
    kind: String,
    status: String,
    changes: Option<String>,
    created_at: DateTime<Utc>,
}

impl ActivityEventJson {
    fn into_row(self) -> ActivityEventRow {
        ActivityEventRow {
            id: self.id,
            activity_id: self.activity_id,
            kind: self.kind,
            status: self.status,
            changes: self.changes,
            created_at: DbInstant(self.created_at),
        }
    }
}

/// A stored linked payment's status read back.
fn linked_status(status: Option<String>) -> DbResult<Option<PaymentStatus>> {
    status
        .map(|status| parsed("payments.status", &status, PaymentStatus::parse))
        .transpose()
}

fn activity_cursor(activity: &OrderActivity) -> Cursor {
    Cursor {
        created_at: activity.created_at,
        id: activity.id.as_str().to_owned(),
    }
}

crate::sql_fragment::sql_fragment!(
    /// SQLite: the activity's history as one JSON array (see [`PgHistoryJson`]), put in
    /// order (`seq`) by [`json_record`]: an aggregate's own `ORDER BY` would build a
    /// temporary b-tree on every call.
    SqliteHistoryJson: Nullable<Text> = "(SELECT json_group_array(json_object(\
        'id', e.id, 'seq', e.seq, 'activity_id', e.activity_id, 'kind', e.kind, \
        'status', e.status, 'changes', e.changes, 'created_at', e.created_at)) \
        FROM order_activity_events e WHERE e.activity_id = order_activities.id)"
);

/// An activity row with its history and its linked payment's status as the database
/// aggregated them.
fn json_record(
    row: ActivityRow,
    events: Option<String>,
    status: Option<String>,
) -> DbResult<OrderActivityRecord> {
    let mut events: Vec<ActivityEventJson> = match events {
        Some(text) => from_json("order_activity_events (aggregated)", &text)?,
        None => Vec::new(),
    };
    events.sort_by_key(|event| event.seq);
    let events = events
        .into_iter()
        .map(|event| event.into_row().into_domain())
        .collect::<DbResult<Vec<_>>>()?;
    Ok(OrderActivityRecord {
        activity: row.into_domain(events)?,
        payment_status: linked_status(status)?,
    })
}

/// Reads the app's activity for an order with its history and its linked payment's
/// status, in one statement on either backend (one snapshot; SQLite steps it on its
/// connection, `sqlite_reader::load_rows`: no bound `LIMIT`).
macro_rules! read_record {
    (pg, $conn:expr, $app_id:expr, $order_id:expr) => {{
        let row: Option<(ActivityRow, Option<String>, Option<String>)> = order_activities::table
            .filter(order_activities::app_id.eq($app_id.as_str()))
            .filter(order_activities::order_id.eq($order_id.as_str()))
            .select((ActivityRow::as_select(), PgHistoryJson, LinkedPaymentStatus))
            .get_result($conn)
            .await
            .optional()
            .map_err(DbError::from)?;
        row.map(|(row, events, status)| json_record(row, events, status))
            .transpose()
    }};
    (sqlite, $conn:expr, $app_id:expr, $order_id:expr) => {{
        let query = order_activities::table
            .filter(order_activities::app_id.eq($app_id.as_str().to_owned()))
            .filter(order_activities::order_id.eq($order_id.as_str().to_owned()))
            .select((
                ActivityRow::as_select(),
                SqliteHistoryJson,
                LinkedPaymentStatus,
            ));
        let rows: Vec<(ActivityRow, Option<String>, Option<String>)> =
            crate::sqlite_reader::load_rows($conn, query, Some(1)).await?;
        rows.into_iter()
            .next()
            .map(|(row, events, status)| json_record(row, events, status))
            .transpose()
    }};
}

macro_rules! order_activities {
    ($backend:ident, $database:ty, $conn:ty) => {
        /// The backend's history writes, shared with the payment transitions.
        pub(crate) mod $backend {
            use super::*;

            /// Appends history entries (inside the caller's transaction).
            pub(crate) async fn append_events(
                conn: &mut $conn,
                entries: &[(OrderActivityId, ActivityEvent)],
            ) -> DbResult<()> {
                for (activity_id, event) in entries {
                    diesel::insert_into(order_activity_events::table)
                        .values(event_row(activity_id, event)?)
                        .execute(conn)
                        .await?;
                }
                Ok(())
            }

            /// Activity rows with their history.
            /// The app's activity row for its `order_id`, history apart.
            pub(crate) async fn row_by_order(
                conn: &mut $conn,
                app_id: &AppId,
                order_id: &str,
            ) -> DbResult<Option<ActivityRow>> {
                Ok(order_activities::table
                    .filter(order_activities::app_id.eq(app_id.as_str()))
                    .filter(order_activities::order_id.eq(order_id))
                    .select(ActivityRow::as_select())
                    .get_result(conn)
                    .await
                    .optional()?)
            }

            pub(crate) async fn with_events(
                conn: &mut $conn,
                rows: Vec<ActivityRow>,
            ) -> DbResult<Vec<OrderActivity>> {
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                let ids: Vec<&str> = rows.iter().map(|row| row.id.as_str()).collect();
                let events: Vec<ActivityEventRow> = order_activity_events::table
                    .filter(order_activity_events::activity_id.eq_any(&ids))
                    .order(order_activity_events::seq.asc())
                    .select(ActivityEventRow::as_select())
                    .load(conn)
                    .await?;
                assemble(rows, events)
            }
        }

        #[async_trait]
        impl OrderActivityRepository for $database {
            async fn get_by_order(
                &self,
                app_id: &AppId,
                order_id: &str,
            ) -> Result<Option<OrderActivity>, StoreError> {
                let app_id = app_id.clone();
                let order_id = order_id.to_owned();
                detached!(self, |conn| {
                    let row = $backend::row_by_order(&mut conn, &app_id, &order_id).await?;
                    let rows = row.into_iter().collect();
                    Ok($backend::with_events(&mut conn, rows)
                        .await?
                        .into_iter()
                        .next())
                })
            }

            async fn read_by_order(
                &self,
                app_id: &AppId,
                order_id: &str,
            ) -> Result<Option<OrderActivityRecord>, StoreError> {
                let app_id = app_id.clone();
                let order_id = order_id.to_owned();
                read_only!($backend, self, |conn| {
                    read_record!($backend, &mut conn, &app_id, &order_id)
                })
            }

            async fn get_state_by_order(
                &self,
                app_id: &AppId,
                order_id: &str,
            ) -> Result<Option<OrderActivity>, StoreError> {
                let app_id = app_id.clone();
                let order_id = order_id.to_owned();
                detached!(self, |conn| {
                    let row = $backend::row_by_order(&mut conn, &app_id, &order_id).await?;
                    row.map(|row| row.into_domain(Vec::new())).transpose()
                })
            }

            async fn insert(&self, activity: &OrderActivity) -> Result<(), StoreError> {
                let row = ActivityRow::of(activity)?;
                let entries: Vec<(OrderActivityId, ActivityEvent)> = activity
                    .events
                    .iter()
                    .map(|event| (activity.id.clone(), event.clone()))
                    .collect();
                detached!(self, |conn| {
                    let c: &mut $conn = &mut conn;
                    write_transaction!($backend, c, async |c: &mut $conn| -> DbResult<()> {
                        diesel::insert_into(order_activities::table)
                            .values(&row)
                            .execute(c)
                            .await?;
                        $backend::append_events(c, &entries).await
                    })
                })
            }

            async fn save(
                &self,
                activity: &OrderActivity,
                new_events: &[ActivityEvent],
            ) -> Result<(), StoreError> {
                let row = ActivityRow::of(activity)?;
                let expected = activity.version - 1;
                let entries: Vec<(OrderActivityId, ActivityEvent)> = new_events
                    .iter()
                    .map(|event| (activity.id.clone(), event.clone()))
                    .collect();
                detached!(self, |conn| {
                    let c: &mut $conn = &mut conn;
                    write_transaction!($backend, c, async |c: &mut $conn| -> DbResult<()> {
                        lock_at_version!($backend, c, order_activities, &row.id, expected);
                        let changed = diesel::update(
                            order_activities::table
                                .filter(order_activities::id.eq(&row.id))
                                .filter(order_activities::version.eq(expected)),
                        )
                        .set((
                            order_activities::status.eq(&row.status),
                            order_activities::title.eq(&row.title),
                            order_activities::items.eq(&row.items),
                            order_activities::total.eq(row.total),
                            order_activities::currency.eq(&row.currency),
                            order_activities::payment_id.eq(&row.payment_id),
                            order_activities::delivery.eq(&row.delivery),
                            order_activities::note.eq(&row.note),
                            order_activities::updated_at.eq(row.updated_at),
                            order_activities::version.eq(row.version),
                        ))
                        .execute(c)
                        .await?;
                        if changed != 1 {
                            return Err(StoreError::Conflict.into());
                        }
                        $backend::append_events(c, &entries).await
                    })
                })
            }

            async fn list_for_user(
                &self,
                app_id: &AppId,
                user_id: &str,
                page: &PageRequest,
            ) -> Result<Page<OrderActivity>, StoreError> {
                let app_id = app_id.clone();
                let user_id = user_id.to_owned();
                let page = page.clone();
                detached!(self, |conn| {
                    let mut query = order_activities::table
                        .filter(order_activities::app_id.eq(app_id.as_str()))
                        .filter(order_activities::user_id.eq(user_id))
                        .into_boxed();
                    if let Some(after) = &page.after {
                        let at = DbInstant::of(after.created_at);
                        query = query.filter(
                            order_activities::created_at
                                .lt(at)
                                .or(order_activities::created_at
                                    .eq(at)
                                    .and(order_activities::id.lt(after.id.clone()))),
                        );
                    }
                    let rows: Vec<ActivityRow> = query
                        .order((
                            order_activities::created_at.desc(),
                            order_activities::id.desc(),
                        ))
                        .limit(i64::from(page.limit) + 1)
                        .select(ActivityRow::as_select())
                        .load(&mut conn)
                        .await
                        .map_err(DbError::from)?;
                    let items = $backend::with_events(&mut conn, rows).await?;
                    Ok(Page::from_overfetch(items, page.limit, activity_cursor))
                })
            }

            async fn linked_to_payment(
                &self,
                app_id: &AppId,
                payment_id: &PaymentId,
            ) -> Result<Vec<OrderActivity>, StoreError> {
                let app_id = app_id.clone();
                let payment_id = payment_id.clone();
                detached!(self, |conn| {
                    let rows: Vec<ActivityRow> = order_activities::table
                        .filter(order_activities::app_id.eq(app_id.as_str()))
                        .filter(order_activities::payment_id.eq(payment_id.as_str()))
                        .order((
                            order_activities::created_at.asc(),
                            order_activities::id.asc(),
                        ))
                        .select(ActivityRow::as_select())
                        .load(&mut conn)
                        .await
                        .map_err(DbError::from)?;
                    rows.into_iter()
                        .map(|row| row.into_domain(Vec::new()))
                        .collect::<DbResult<Vec<_>>>()
                })
            }
        }
    };
}

for_each_backend!(order_activities);
