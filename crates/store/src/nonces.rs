//! Nonces of signed incoming Boxo calls: a unique insert decides who saw one first.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use hostpay_domain::ports::{NonceStore, StoreError};

use crate::dialect::{detached, for_each_backend, write_transaction};
use crate::error::{DbError, DbResult};
use crate::schema::boxo_nonces;
use crate::sql_types::DbInstant;

macro_rules! nonces {
    ($backend:ident, $database:ty, $conn:ty) => {
        #[async_trait]
        impl NonceStore for $database {
            async fn remember(&self, nonce: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
                let nonce = nonce.to_owned();
                detached!(self, |conn| {
                    let c: &mut $conn = &mut conn;
                    write_transaction!($backend, c, async |c: &mut $conn| -> DbResult<bool> {
                        let inserted = diesel::insert_into(boxo_nonces::table)
                            .values((
                                boxo_nonces::nonce.eq(nonce),
                                boxo_nonces::seen_at.eq(DbInstant::of(now)),
                            ))
                            .on_conflict_do_nothing()
                            .execute(&mut *c)
                            .await
                            .map_err(DbError::from)?;
                        Ok(inserted == 1)
                    })
                })
            }

            async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
                detached!(self, |conn| {
                    let deleted = diesel::delete(
                        boxo_nonces::table.filter(boxo_nonces::seen_at.lt(DbInstant::of(before))),
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

for_each_backend!(nonces);
