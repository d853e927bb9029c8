//! Idempotency keys per miniapp: held by the first request (a unique insert), taken over
//! when expired or abandoned (a conditional update), answered with the first response,
//! which the business transaction writes ([`pg::store_response`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use hostpay_domain::idempotency::{
    IdempotencyBegin, IdempotencyClaim, IdempotencyRecord, IdempotentResult, StoredReply,
};
use hostpay_domain::ports::{IdempotencyStore, StoreError};

use crate::dialect::{detached, for_each_backend, pg_autocommit, write_transaction};
use crate::error::{corrupt, DbError, DbResult};
use crate::schema::idempotency_keys;
use crate::sql_types::DbInstant;

/// What a `Duplicate` names when another request holds the key.
pub(crate) const IDEMPOTENCY_KEY: &str = "idempotency_key";

/// A stored key.
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = idempotency_keys, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct KeyRow {
    app_id: String,
    key: String,
    fingerprint: String,
    response_status: Option<i32>,
    response_body: Option<String>,
    created_at: DbInstant,
    owner: String,
}

impl KeyRow {
    /// The key as `claim` holds it from `now`, no response yet.
    fn held(claim: &IdempotencyClaim, now: DateTime<Utc>) -> KeyRow {
        KeyRow {
            app_id: claim.app_id.as_str().to_owned(),
            key: claim.key.as_str().to_owned(),
            fingerprint: claim.fingerprint.clone(),
            response_status: None,
            response_body: None,
            created_at: DbInstant::of(now),
            owner: claim.owner.clone(),
        }
    }

    fn record(&self) -> DbResult<IdempotencyRecord> {
        let response = match (self.response_status, &self.response_body) {
            (Some(status), Some(body)) => Some(StoredReply {
                status: u16::try_from(status)
                    .map_err(|_| corrupt("idempotency_keys.response_status"))?,
                body: body.clone(),
            }),
            (None, _) | (Some(_), None) => None,
        };
        Ok(IdempotencyRecord {
            fingerprint: self.fingerprint.clone(),
            response,
            created_at: self.created_at.0,
            owner: self.owner.clone(),
        })
    }
}

/// A claim's response, kept by the same PostgreSQL statement as the business write it
/// answers (see [`KeptReply::push_ctes`]): what [`pg::store_response`] does in two
/// statements.
pub(crate) struct KeptReply {
    app_id: String,
    key: String,
    owner: String,
    fingerprint: String,
    status: i32,
    body: String,
    at: DbInstant,
}

impl KeptReply {
    /// The response of `result`, the key created `at` if the claim does not hold it yet.
    pub(crate) fn of(result: &IdempotentResult, at: DateTime<Utc>) -> KeptReply {
        let claim = &result.claim;
        KeptReply {
            app_id: claim.app_id.as_str().to_owned(),
            key: claim.key.as_str().to_owned(),
            owner: claim.owner.clone(),
            fingerprint: claim.fingerprint.clone(),
            status: i32::from(result.response.status),
            body: result.response.body.clone(),
            at: DbInstant::of(at),
        }
    }

    /// Starts a `WITH` list with `k AS (UPDATE ...), ki AS (INSERT ...), held AS (...)`:
    /// completes the key while the claim's owner holds it, or inserts it if the key is
    /// still free (a write that never went through `begin`). `held` has one row exactly
    /// when one of them did; the caller makes every other write of the statement depend on
    /// it, and reads a statement that wrote nothing as a key another request took over
    /// (`Duplicate("idempotency_key")`).
    pub(crate) fn push_ctes<'b>(
        &'b self,
        out: &mut diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        use diesel::sql_types::{Integer, Text};

        use crate::sql_types::Instant;
        out.push_sql(
            "k AS (UPDATE idempotency_keys \
             SET fingerprint = ",
        );
        out.push_bind_param::<Text, _>(&self.fingerprint)?;
        out.push_sql(", response_status = ");
        out.push_bind_param::<Integer, _>(&self.status)?;
        out.push_sql(", response_body = ");
        out.push_bind_param::<Text, _>(&self.body)?;
        out.push_sql(" WHERE app_id = ");
        out.push_bind_param::<Text, _>(&self.app_id)?;
        out.push_sql(" AND \"key\" = ");
        out.push_bind_param::<Text, _>(&self.key)?;
        out.push_sql(" AND owner = ");
        out.push_bind_param::<Text, _>(&self.owner)?;
        out.push_sql(
            " RETURNING 1 AS held), \
             ki AS (INSERT INTO idempotency_keys \
             (app_id, \"key\", fingerprint, response_status, response_body, created_at, owner) \
             SELECT ",
        );
        crate::sql_fragment::push_binds!(
            out;
            Text => &self.app_id,
            Text => &self.key,
            Text => &self.fingerprint,
            Integer => &self.status,
            Text => &self.body,
            Instant => &self.at,
            Text => &self.owner
        );
        out.push_sql(
            " WHERE NOT EXISTS (SELECT 1 FROM k) ON CONFLICT DO NOTHING RETURNING 1 AS held), \
             held AS (SELECT held FROM k UNION ALL SELECT held FROM ki)",
        );
        Ok(())
    }
}

/// How many times `begin` retries when other requests keep changing the key under it.
const BEGIN_ATTEMPTS: usize = 8;

macro_rules! idempotency {
    ($backend:ident, $database:ty, $conn:ty) => {
        /// The backend's idempotency writes used inside business transactions.
        pub(crate) mod $backend {
            use super::*;

            /// Keeps the response of a claim (inside the caller's transaction), only while
            /// the claim's owner holds the key; the key keeps its creation time (it expires
            /// 24 h after first use). A key another request took over is
            /// `Duplicate("idempotency_key")`, which rolls the business change back.
            pub(crate) async fn store_response(
                conn: &mut $conn,
                result: &IdempotentResult,
                at: DateTime<Utc>,
            ) -> DbResult<()> {
                let claim = &result.claim;
                let status = i32::from(result.response.status);
                let completed = diesel::update(
                    idempotency_keys::table
                        .filter(idempotency_keys::app_id.eq(claim.app_id.as_str()))
                        .filter(idempotency_keys::key.eq(claim.key.as_str()))
                        .filter(idempotency_keys::owner.eq(&claim.owner)),
                )
                .set((
                    idempotency_keys::fingerprint.eq(&claim.fingerprint),
                    idempotency_keys::response_status.eq(Some(status)),
                    idempotency_keys::response_body.eq(Some(&result.response.body)),
                ))
                .execute(&mut *conn)
                .await?;
                if completed == 1 {
                    return Ok(());
                }
                // Not held at all (a write that never went through `begin`): keep it if the
                // key is still free.
                let inserted = diesel::insert_into(idempotency_keys::table)
                    .values(KeyRow {
                        app_id: claim.app_id.as_str().to_owned(),
                        key: claim.key.as_str().to_owned(),
                        fingerprint: claim.fingerprint.clone(),
                        response_status: Some(status),
                        response_body: Some(result.response.body.clone()),
                        created_at: DbInstant::of(at),
                        owner: claim.owner.clone(),
                    })
                    .on_conflict_do_nothing()
                    .execute(&mut *conn)
                    .await?;
                if inserted == 1 {
                    return Ok(());
                }
                Err(StoreError::Duplicate(IDEMPOTENCY_KEY.to_owned()).into())
            }
        }

        #[async_trait]
        impl IdempotencyStore for $database {
            async fn begin(
                &self,
                claim: &IdempotencyClaim,
                now: DateTime<Utc>,
            ) -> Result<IdempotencyBegin, StoreError> {
                let claim = claim.clone();
                let held = KeyRow::held(&claim, now);
                detached!(self, |conn| {
                    let c: &mut $conn = &mut conn;
                    // A key seen for the first time (the usual case) is held by the insert
                    // alone: on PostgreSQL one autocommit statement (one round trip).
                    let first: Option<DbResult<usize>> = pg_autocommit!(
                        $backend,
                        &mut *c,
                        async |c: &mut $conn| -> DbResult<usize> {
                            Ok(diesel::insert_into(idempotency_keys::table)
                                .values(&held)
                                .on_conflict_do_nothing()
                                .execute(c)
                                .await?)
                        }
                    );
                    if let Some(inserted) = first {
                        if inserted? == 1 {
                            return Ok(IdempotencyBegin::Proceed);
                        }
                    }
                    write_transaction!(
                        $backend,
                        c,
                        async |c: &mut $conn| -> DbResult<IdempotencyBegin> {
                            let app_id = claim.app_id.as_str();
                            let key = claim.key.as_str();
                            let now = DbInstant::of(now);
                            for _ in 0..BEGIN_ATTEMPTS {
                                let inserted = diesel::insert_into(idempotency_keys::table)
                                    .values(&held)
                                    .on_conflict_do_nothing()
                                    .execute(&mut *c)
                                    .await
                                    .map_err(DbError::from)?;
                                if inserted == 1 {
                                    return Ok(IdempotencyBegin::Proceed);
                                }
                                let row: Option<KeyRow> = idempotency_keys::table
                                    .find((app_id, key))
                                    .select(KeyRow::as_select())
                                    .get_result(&mut *c)
                                    .await
                                    .optional()
                                    .map_err(DbError::from)?;
                                let Some(row) = row else { continue };
                                match row.record()?.decide(&claim.fingerprint, now.0) {
                                    IdempotencyBegin::Proceed => {}
                                    other @ (IdempotencyBegin::Replay(_)
                                    | IdempotencyBegin::KeyReused
                                    | IdempotencyBegin::InProgress) => return Ok(other),
                                }
                                // Expired or abandoned: take it over only if nobody changed it meanwhile.
                                let unchanged = idempotency_keys::table
                                    .filter(idempotency_keys::app_id.eq(app_id))
                                    .filter(idempotency_keys::key.eq(key))
                                    .filter(idempotency_keys::fingerprint.eq(&row.fingerprint))
                                    .filter(idempotency_keys::created_at.eq(row.created_at));
                                let update = diesel::update(unchanged).set((
                                    idempotency_keys::fingerprint.eq(&claim.fingerprint),
                                    idempotency_keys::response_status.eq(None::<i32>),
                                    idempotency_keys::response_body.eq(None::<String>),
                                    idempotency_keys::created_at.eq(now),
                                    idempotency_keys::owner.eq(&claim.owner),
                                ));
                                let taken = match row.response_status {
                                    None => {
                                        update
                                            .filter(idempotency_keys::response_status.is_null())
                                            .execute(&mut *c)
                                            .await
                                    }
                                    Some(_) => {
                                        update
                                            .filter(idempotency_keys::response_status.is_not_null())
                                            .execute(&mut *c)
                                            .await
                                    }
                                }
                                .map_err(DbError::from)?;
                                if taken == 1 {
                                    return Ok(IdempotencyBegin::Proceed);
                                }
                            }
                            Ok(IdempotencyBegin::InProgress)
                        }
                    )
                })
            }

            async fn release(&self, claim: &IdempotencyClaim) -> Result<(), StoreError> {
                let claim = claim.clone();
                detached!(self, |conn| {
                    let c: &mut $conn = &mut conn;
                    write_transaction!($backend, c, async |c: &mut $conn| -> DbResult<()> {
                        diesel::delete(
                            idempotency_keys::table
                                .filter(idempotency_keys::app_id.eq(claim.app_id.as_str()))
                                .filter(idempotency_keys::key.eq(claim.key.as_str()))
                                .filter(idempotency_keys::owner.eq(&claim.owner))
                                .filter(idempotency_keys::response_status.is_null()),
                        )
                        .execute(&mut *c)
                        .await
                        .map_err(DbError::from)?;
                        Ok(())
                    })
                })
            }

            async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
                detached!(self, |conn| {
                    let deleted = diesel::delete(
                        idempotency_keys::table
                            .filter(idempotency_keys::created_at.lt(DbInstant::of(before))),
                    )
                    .execute(&mut conn)
                    .await
                    .map_err(DbError::from)?;
                    Ok(deleted as u64)
                })
            }
        }
    };
}

for_each_backend!(idempotency);
