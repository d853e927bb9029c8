//! Registered miniapps: the API secret kept as a keyed hash only.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use hostpay_domain::ids::AppId;
use hostpay_domain::miniapp::{Miniapp, SecretHash, WebhookUrl};
use hostpay_domain::ports::{AppRepository, StoreError};

use crate::convert::non_empty;
use crate::dialect::{detached, for_each_backend, write_transaction};
use crate::error::{corrupt, DbError, DbResult};
use crate::schema::miniapps;
use crate::sql_types::DbInstant;

/// A stored miniapp.
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = miniapps, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct MiniappRow {
    id: String,
    name: String,
    secret_hash: String,
    webhook_url: Option<String>,
    secret_generation: i64,
    created_at: DbInstant,
    updated_at: DbInstant,
}

impl MiniappRow {
    fn of(app: &Miniapp) -> MiniappRow {
        MiniappRow {
            id: app.id.as_str().to_owned(),
            name: app.name.as_str().to_owned(),
            secret_hash: app.secret_hash.as_str().to_owned(),
            webhook_url: app.webhook_url.as_ref().map(|url| url.as_str().to_owned()),
            secret_generation: app.secret_generation,
            created_at: DbInstant::of(app.created_at),
            updated_at: DbInstant::of(app.updated_at),
        }
    }

    fn into_domain(self) -> DbResult<Miniapp> {
        Ok(Miniapp {
            id: AppId::from_trusted(self.id),
            name: non_empty("miniapps.name", self.name)?,
            secret_hash: SecretHash::from_stored(self.secret_hash),
            webhook_url: self
                .webhook_url
                .map(|url| {
                    WebhookUrl::parse(&url)
                        .map_err(|error| corrupt(format!("miniapps.webhook_url: {error}")))
                })
                .transpose()?,
            secret_generation: self.secret_generation,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        })
    }
}

macro_rules! miniapps {
    ($backend:ident, $database:ty, $conn:ty) => {
        #[async_trait]
        impl AppRepository for $database {
            async fn insert(&self, app: &Miniapp) -> Result<(), StoreError> {
                let row = MiniappRow::of(app);
                detached!(self, |conn| {
                    let c: &mut $conn = &mut conn;
                    write_transaction!($backend, c, async |c: &mut $conn| -> DbResult<()> {
                        diesel::insert_into(miniapps::table)
                            .values(&row)
                            .execute(&mut *c)
                            .await
                            .map_err(DbError::from)?;
                        Ok(())
                    })
                })
            }

            async fn get(&self, id: &AppId) -> Result<Option<Miniapp>, StoreError> {
                let id = id.clone();
                detached!(self, |conn| {
                    let row: Option<MiniappRow> = miniapps::table
                        .find(id.as_str())
                        .select(MiniappRow::as_select())
                        .get_result(&mut conn)
                        .await
                        .optional()
                        .map_err(DbError::from)?;
                    row.map(MiniappRow::into_domain).transpose()
                })
            }

            async fn list(&self, limit: u32) -> Result<Vec<Miniapp>, StoreError> {
                detached!(self, |conn| {
                    let rows: Vec<MiniappRow> = miniapps::table
                        .order((miniapps::created_at.asc(), miniapps::id.asc()))
                        .limit(i64::from(limit))
                        .select(MiniappRow::as_select())
                        .load(&mut conn)
                        .await
                        .map_err(DbError::from)?;
                    rows.into_iter()
                        .map(MiniappRow::into_domain)
                        .collect::<DbResult<Vec<_>>>()
                })
            }

            async fn save(&self, app: &Miniapp) -> Result<(), StoreError> {
                let row = MiniappRow::of(app);
                detached!(self, |conn| {
                    let c: &mut $conn = &mut conn;
                    write_transaction!($backend, c, async |c: &mut $conn| -> DbResult<()> {
                        let changed = diesel::update(
                            miniapps::table
                                .filter(miniapps::id.eq(&row.id))
                                .filter(miniapps::secret_generation.eq(row.secret_generation - 1)),
                        )
                        .set((
                            miniapps::name.eq(&row.name),
                            miniapps::secret_hash.eq(&row.secret_hash),
                            miniapps::webhook_url.eq(&row.webhook_url),
                            miniapps::secret_generation.eq(row.secret_generation),
                            miniapps::updated_at.eq(row.updated_at),
                        ))
                        .execute(&mut *c)
                        .await
                        .map_err(DbError::from)?;
                        if changed == 1 {
                            Ok(())
                        } else {
                            Err(StoreError::Conflict.into())
                        }
                    })
                })
            }
        }
    };
}

for_each_backend!(miniapps);
