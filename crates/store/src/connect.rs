//! Boxo Connect's auth codes and access tokens, by keyed hash only. A code is consumed by
//! one conditional `UPDATE ... WHERE used_at IS NULL ... RETURNING`, so of concurrent
//! exchanges exactly one gets the row.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use hostpay_domain::connect::{AccessToken, AuthCode};
use hostpay_domain::ids::AppId;
use hostpay_domain::miniapp::SecretHash;
use hostpay_domain::ports::{ConnectRepository, Redemption, StoreError};

use crate::convert::{from_json, non_empty, to_json};
use crate::dialect::{detached, for_each_backend, write_transaction};
use crate::error::{DbError, DbResult};
use crate::profile::ProfileRow;
use crate::schema::{connect_access_tokens, connect_auth_codes};
use crate::sql_types::DbInstant;

/// A stored auth code.
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = connect_auth_codes, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct AuthCodeRow {
    code_hash: String,
    app_id: String,
    user_id: String,
    profile: String,
    created_at: DbInstant,
    expires_at: DbInstant,
    used_at: Option<DbInstant>,
}

impl AuthCodeRow {
    fn of(code: &AuthCode) -> DbResult<AuthCodeRow> {
        Ok(AuthCodeRow {
            code_hash: code.code_hash.as_str().to_owned(),
            app_id: code.app_id.as_str().to_owned(),
            user_id: code.user_id.as_str().to_owned(),
            profile: to_json(&ProfileRow::of(&code.profile))?,
            created_at: DbInstant::of(code.created_at),
            expires_at: DbInstant::of(code.expires_at),
            used_at: code.used_at.map(DbInstant::of),
        })
    }

    fn into_domain(self) -> DbResult<AuthCode> {
        Ok(AuthCode {
            code_hash: SecretHash::from_stored(self.code_hash),
            app_id: AppId::from_trusted(self.app_id),
            user_id: non_empty("connect_auth_codes.user_id", self.user_id)?,
            profile: from_json::<ProfileRow>("connect_auth_codes.profile", &self.profile)?
                .into_domain("connect_auth_codes.profile")?,
            created_at: self.created_at.0,
            expires_at: self.expires_at.0,
            used_at: self.used_at.map(|at| at.0),
        })
    }
}

/// A stored access token.
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = connect_access_tokens, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct AccessTokenRow {
    token_hash: String,
    app_id: String,
    user_id: String,
    profile: String,
    created_at: DbInstant,
    expires_at: DbInstant,
}

impl AccessTokenRow {
    fn of(token: &AccessToken) -> DbResult<AccessTokenRow> {
        Ok(AccessTokenRow {
            token_hash: token.token_hash.as_str().to_owned(),
            app_id: token.app_id.as_str().to_owned(),
            user_id: token.user_id.as_str().to_owned(),
            profile: to_json(&ProfileRow::of(&token.profile))?,
            created_at: DbInstant::of(token.created_at),
            expires_at: DbInstant::of(token.expires_at),
        })
    }

    fn into_domain(self) -> DbResult<AccessToken> {
        Ok(AccessToken {
            token_hash: SecretHash::from_stored(self.token_hash),
            app_id: AppId::from_trusted(self.app_id),
            user_id: non_empty("connect_access_tokens.user_id", self.user_id)?,
            profile: from_json::<ProfileRow>("connect_access_tokens.profile", &self.profile)?
                .into_domain("connect_access_tokens.profile")?,
            created_at: self.created_at.0,
            expires_at: self.expires_at.0,
        })
    }
}

macro_rules! connect {
    ($backend:ident, $database:ty, $conn:ty) => {
        #[async_trait]
        impl ConnectRepository for $database {
            async fn insert_code(&self, code: &AuthCode) -> Result<(), StoreError> {
                let row = AuthCodeRow::of(code)?;
                detached!(self, |conn| {
                    let c: &mut $conn = &mut conn;
                    write_transaction!($backend, c, async |c: &mut $conn| -> DbResult<()> {
                        diesel::insert_into(connect_auth_codes::table)
                            .values(&row)
                            .execute(&mut *c)
                            .await
                            .map_err(DbError::from)?;
                        Ok(())
                    })
                })
            }

            async fn redeem_code(
                &self,
                code_hash: &SecretHash,
                app_id: &AppId,
                now: DateTime<Utc>,
            ) -> Result<Redemption, StoreError> {
                let code_hash = code_hash.as_str().to_owned();
                let app_id = app_id.as_str().to_owned();
                detached!(self, |conn| {
                    let c: &mut $conn = &mut conn;
                    write_transaction!($backend, c, async |c: &mut $conn| -> DbResult<Redemption> {
                        // One statement: the row is marked used only while it is unused, the
                        // miniapp's and unexpired; a concurrent caller sees it used.
                        let redeemed: Option<AuthCodeRow> = diesel::update(
                            connect_auth_codes::table
                                .filter(connect_auth_codes::code_hash.eq(&code_hash))
                                .filter(connect_auth_codes::app_id.eq(&app_id))
                                .filter(connect_auth_codes::used_at.is_null())
                                .filter(connect_auth_codes::expires_at.gt(DbInstant::of(now))),
                        )
                        .set(connect_auth_codes::used_at.eq(Some(DbInstant::of(now))))
                        .returning(AuthCodeRow::as_returning())
                        .get_result(&mut *c)
                        .await
                        .optional()
                        .map_err(DbError::from)?;
                        if let Some(row) = redeemed {
                            return Ok(Redemption::Redeemed(row.into_domain()?));
                        }
                        let stored: Option<AuthCodeRow> = connect_auth_codes::table
                            .find(&code_hash)
                            .select(AuthCodeRow::as_select())
                            .get_result(&mut *c)
                            .await
                            .optional()
                            .map_err(DbError::from)?;
                        match stored {
                            Some(row) => Ok(Redemption::Refused(row.into_domain()?)),
                            None => Ok(Redemption::Unknown),
                        }
                    })
                })
            }

            async fn insert_token(&self, token: &AccessToken) -> Result<(), StoreError> {
                let row = AccessTokenRow::of(token)?;
                detached!(self, |conn| {
                    let c: &mut $conn = &mut conn;
                    write_transaction!($backend, c, async |c: &mut $conn| -> DbResult<()> {
                        diesel::insert_into(connect_access_tokens::table)
                            .values(&row)
                            .execute(&mut *c)
                            .await
                            .map_err(DbError::from)?;
                        Ok(())
                    })
                })
            }

            async fn find_token(
                &self,
                token_hash: &SecretHash,
            ) -> Result<Option<AccessToken>, StoreError> {
                let token_hash = token_hash.as_str().to_owned();
                detached!(self, |conn| {
                    let row: Option<AccessTokenRow> = connect_access_tokens::table
                        .find(&token_hash)
                        .select(AccessTokenRow::as_select())
                        .get_result(&mut conn)
                        .await
                        .optional()
                        .map_err(DbError::from)?;
                    row.map(AccessTokenRow::into_domain).transpose()
                })
            }

            async fn prune(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
                detached!(self, |conn| {
                    let codes = diesel::delete(
                        connect_auth_codes::table
                            .filter(connect_auth_codes::expires_at.lt(DbInstant::of(now))),
                    )
                    .execute(&mut conn)
                    .await
                    .map_err(DbError::from)?;
                    let tokens = diesel::delete(
                        connect_access_tokens::table
                            .filter(connect_access_tokens::expires_at.lt(DbInstant::of(now))),
                    )
                    .execute(&mut conn)
                    .await
                    .map_err(DbError::from)?;
                    Ok((codes + tokens) as u64)
                })
            }
        }
    };
}

for_each_backend!(connect);
