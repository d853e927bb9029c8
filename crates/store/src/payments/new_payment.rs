//! Creating a payment (`PaymentRepository::insert`): the payment, its items, refunds and
//! first session, its events with their deliveries, and the idempotent response, all or
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
use hostpay_domain::ports::NewPaymentWrite;

use super::{ItemRow, PaymentRow, RefundRow, SessionRow};
use crate::error::DbResult;
use crate::idempotency::KeptReply;
use crate::outbox::EventColumns;
use crate::sql_types::{Amount, DbAmount, DbInstant, Instant};

/// Everything a new payment writes, as rows (built before the connection is taken).
pub(super) struct NewPaymentRows {
    payment: PaymentRow,
    items: Vec<ItemRow>,
    refunds: Vec<RefundRow>,
    session: SessionRow,
    write: NewPaymentWrite,
}

impl NewPaymentRows {
    /// The rows of `write`.
    pub(super) fn of(write: NewPaymentWrite) -> DbResult<NewPaymentRows> {
        Ok(NewPaymentRows {
            payment: PaymentRow::of(&write.payment)?,
            items: super::item_rows(&write.payment),
            refunds: write
                .payment
                .refunds()
                .iter()
                .enumerate()
                .map(|(position, refund)| RefundRow::of(position, refund))
                .collect(),
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

    /// Inserts the payment with everything written with it, in one statement.
    /// Errors: `Duplicate` naming the taken key (`id`, `miniapp_order_id`, `token`,
    /// `idempotency_key` when another request took the key over), `Unavailable`.
    pub(in crate::payments) async fn insert(
        conn: &mut AsyncPgConnection,
        rows: NewPaymentRows,
    ) -> DbResult<()> {
        let creation = Creation::of(rows)?;
        let inserted = match creation.reply {
            Some(_) => CreateStatement::<true>(&creation).execute(conn).await?,
            None => CreateStatement::<false>(&creation).execute(conn).await?,
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
    refunds: RefundColumns,
    session: SessionRow,
    events: EventColumns,
    reply: Option<KeptReply>,
}

impl Creation {
    fn of(rows: NewPaymentRows) -> DbResult<Creation> {
        let NewPaymentRows {
            payment,
            items,
            refunds,
            session,
            write,
        } = rows;
        Ok(Creation {
            payment,
            items: ItemColumns::of(items),
            refunds: RefundColumns::of(refunds),
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
        for ItemRow {
            payment_id: _,
            position,
            product_name,
            product_sku,
            quantity,
            price,
            discount,
        } in rows
        {
            columns.positions.push(position);
            columns.product_names.push(product_name);
            columns.product_skus.push(product_sku);
            columns.quantities.push(quantity);
            columns.prices.push(price);
            columns.discounts.push(discount);
        }
        columns
    }
}

/// The payment's refunds (a new payment normally has none) as column arrays.
struct RefundColumns {
    ids: Vec<String>,
    positions: Vec<i32>,
    amounts: Vec<DbAmount>,
    reasons: Vec<Option<String>>,
    statuses: Vec<String>,
    fail_reasons: Vec<Option<String>>,
    created_at: Vec<DbInstant>,
    updated_at: Vec<DbInstant>,
    next_attempt_at: Vec<Option<DbInstant>>,
    attempts: Vec<i32>,
}

impl RefundColumns {
    fn of(rows: Vec<RefundRow>) -> RefundColumns {
        let mut columns = RefundColumns {
            ids: Vec::with_capacity(rows.len()),
            positions: Vec::with_capacity(rows.len()),
            amounts: Vec::with_capacity(rows.len()),
            reasons: Vec::with_capacity(rows.len()),
            statuses: Vec::with_capacity(rows.len()),
            fail_reasons: Vec::with_capacity(rows.len()),
            created_at: Vec::with_capacity(rows.len()),
            updated_at: Vec::with_capacity(rows.len()),
            next_attempt_at: Vec::with_capacity(rows.len()),
            attempts: Vec::with_capacity(rows.len()),
        };
        for RefundRow {
            id,
            payment_id: _,
            position,
            amount,
            reason,
            status,
            fail_reason,
            created_at,
            updated_at,
            next_attempt_at,
            attempts,
        } in rows
        {
            columns.ids.push(id);
            columns.positions.push(position);
            columns.amounts.push(amount);
            columns.reasons.push(reason);
            columns.statuses.push(status);
            columns.fail_reasons.push(fail_reason);
            columns.created_at.push(created_at);
            columns.updated_at.push(updated_at);
            columns.next_attempt_at.push(next_attempt_at);
            columns.attempts.push(attempts);
        }
        columns
    }
}

/// The statement, with (`KEYED`) or without an idempotent reply to keep: two texts, each
/// prepared once per connection.
struct CreateStatement<'a, const KEYED: bool>(&'a Creation);

/// The prepared-statement cache's key of [`CreateStatement`].
struct CreateStatementId<const KEYED: bool>;

impl<const KEYED: bool> QueryId for CreateStatement<'_, KEYED> {
    type QueryId = CreateStatementId<KEYED>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<const KEYED: bool> QueryFragment<Pg> for CreateStatement<'_, KEYED> {
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
        push_refunds(&creation.refunds, &mut out)?;
        creation.events.push_ctes(&mut out, "p")?;
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
    out.push_sql(
        "p AS (INSERT INTO payments (id, app_id, channel, user_id, amount, currency, status, \
         fail_reason, miniapp_order_id, details, expires_at, charging_since, created_at, \
         updated_at, version, charge_check_at) SELECT ",
    );
    out.push_bind_param::<Text, _>(&row.id)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&row.app_id)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&row.channel)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&row.user_id)?;
    out.push_sql(", ");
    out.push_bind_param::<Amount, _>(&row.amount)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&row.currency)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&row.status)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Text>, _>(&row.fail_reason)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Text>, _>(&row.miniapp_order_id)?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(&row.details)?;
    out.push_sql(", ");
    out.push_bind_param::<Instant, _>(&row.expires_at)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Instant>, _>(&row.charging_since)?;
    out.push_sql(", ");
    out.push_bind_param::<Instant, _>(&row.created_at)?;
    out.push_sql(", ");
    out.push_bind_param::<Instant, _>(&row.updated_at)?;
    out.push_sql(", ");
    out.push_bind_param::<BigInt, _>(&row.version)?;
    out.push_sql(", ");
    out.push_bind_param::<Nullable<Instant>, _>(&row.charge_check_at)?;
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
    out.push_bind_param::<Array<Integer>, _>(&items.positions)?;
    out.push_sql(", ");
    out.push_bind_param::<Array<Text>, _>(&items.product_names)?;
    out.push_sql(", ");
    out.push_bind_param::<Array<Nullable<Text>>, _>(&items.product_skus)?;
    out.push_sql(", ");
    out.push_bind_param::<Array<BigInt>, _>(&items.quantities)?;
    out.push_sql(", ");
    out.push_bind_param::<Array<Nullable<Amount>>, _>(&items.prices)?;
    out.push_sql(", ");
    out.push_bind_param::<Array<Nullable<Amount>>, _>(&items.discounts)?;
    out.push_sql(") AS u (position, product_name, product_sku, quantity, price, discount))");
    Ok(())
}

/// `, r AS (INSERT INTO refunds ...)`.
fn push_refunds<'b>(refunds: &'b RefundColumns, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
    out.push_sql(
        ", r AS (INSERT INTO refunds (id, payment_id, position, amount, reason, status, \
         fail_reason, created_at, updated_at, next_attempt_at, attempts) \
         SELECT u.id, p.id, u.position, u.amount, u.reason, u.status, u.fail_reason, \
         u.created_at, u.updated_at, u.next_attempt_at, u.attempts FROM p, unnest(",
    );
    out.push_bind_param::<Array<Text>, _>(&refunds.ids)?;
    out.push_sql(", ");
    out.push_bind_param::<Array<Integer>, _>(&refunds.positions)?;
    out.push_sql(", ");
    out.push_bind_param::<Array<Amount>, _>(&refunds.amounts)?;
    out.push_sql(", ");
    out.push_bind_param::<Array<Nullable<Text>>, _>(&refunds.reasons)?;
    out.push_sql(", ");
    out.push_bind_param::<Array<Text>, _>(&refunds.statuses)?;
    out.push_sql(", ");
    out.push_bind_param::<Array<Nullable<Text>>, _>(&refunds.fail_reasons)?;
    out.push_sql(", ");
    out.push_bind_param::<Array<Instant>, _>(&refunds.created_at)?;
    out.push_sql(", ");
    out.push_bind_param::<Array<Instant>, _>(&refunds.updated_at)?;
    out.push_sql(", ");
    out.push_bind_param::<Array<Nullable<Instant>>, _>(&refunds.next_attempt_at)?;
    out.push_sql(", ");
    out.push_bind_param::<Array<Integer>, _>(&refunds.attempts)?;
    out.push_sql(
        ") AS u (id, position, amount, reason, status, fail_reason, created_at, updated_at, \
         next_attempt_at, attempts))",
    );
    Ok(())
}

/// SQLite: the rows one by one, in a savepoint of the group commit.
pub(super) mod sqlite {
    use diesel_async::RunQueryDsl;

    use super::*;
    use crate::database::SqliteConnection;
    use crate::dialect::write_transaction;
    use crate::schema::{payment_items, payment_sessions, payments, refunds};

    /// Inserts the payment with everything written with it, in one write transaction.
    pub(in crate::payments) async fn insert(
        conn: &mut SqliteConnection,
        rows: NewPaymentRows,
    ) -> DbResult<()> {
        let NewPaymentRows {
            payment,
            items,
            refunds,
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
                for refund in &refunds {
                    diesel::insert_into(refunds::table)
                        .values(refund)
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
