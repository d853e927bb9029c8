//! Minted user tokens, by keyed hash only.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use hostpay_domain::access::UserToken;
use hostpay_domain::ids::AppId;
use hostpay_domain::miniapp::SecretHash;
use hostpay_domain::ports::{StoreError, UserTokenRepository};

use crate::convert::non_empty;
use crate::dialect::{detached, for_each_backend, write_transaction};
use crate::error::{DbError, DbResult};
use crate::schema::user_tokens;
use crate::sql_types::DbInstant;
use crate::sqlite_reader::read_only;

/// A stored user token.
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = user_tokens, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct UserTokenRow {
    token_hash: String,
    app_id: String,
    user_id: String,
    created_at: DbInstant,
    expires_at: DbInstant,
}

impl UserTokenRow {
    fn of(token: &UserToken) -> UserTokenRow {
        UserTokenRow {
            token_hash: token.token_hash.as_str().to_owned(),
            app_id: token.app_id.as_str().to_owned(),
            user_id: token.user_id.as_str().to_owned(),
            created_at: DbInstant::of(token.created_at),
            expires_at: DbInstant::of(token.expires_at),
        }
    }

    fn into_domain(self) -> DbResult<UserToken> {
        Ok(UserToken {
            token_hash: SecretHash::from_stored(self.token_hash),
            app_id: AppId::from_trusted(self.app_id),
            user_id: non_empty("user_tokens.user_id", self.user_id)?,
            created_at: self.created_at.0,
            expires_at: self.expires_at.0,
        })
    }
}

macro_rules! user_tokens {
    ($backend:ident, $database:ty, $conn:ty) => {
        #[async_trait]
        impl UserTokenRepository for $database {
            async fn insert(&self, token: &UserToken) -> Result<(), StoreError> {
                let row = UserTokenRow::of(token);
                detached!(self, |conn| {
                    let c: &mut $conn = &mut conn;
                    write_transaction!($backend, c, async |c: &mut $conn| -> DbResult<()> {
                        diesel::insert_into(user_tokens::table)
                            .values(&row)
                            .execute(&mut *c)
                            .await
                            .map_err(DbError::from)?;
                        Ok(())
                    })
                })
            }

            async fn find(&self, token_hash: &SecretHash) -> Result<Option<UserToken>, StoreError> {
                let token_hash = token_hash.clone();
                read_only!($backend, self, |conn| {
                    let row: Option<UserTokenRow> = user_tokens::table
                        .find(token_hash.as_str())
                        .select(UserTokenRow::as_select())
                        .get_result(&mut conn)
                        .await
                        .optional()
                        .map_err(DbError::from)?;
                    row.map(UserTokenRow::into_domain).transpose()
                })
            }

            async fn prune(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
                detached!(self, |conn| {
                    let deleted = diesel::delete(
                        user_tokens::table.filter(user_tokens::expires_at.lt(DbInstant::of(now))),
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

for_each_backend!(user_tokens);
