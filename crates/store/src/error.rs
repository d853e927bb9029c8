//! Database errors and their mapping to the ports' [`StoreError`]: unique violations name
//! the key that was taken (one table for both backends), everything else is `Unavailable`.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use hostpay_domain::ports::StoreError;

/// An error inside a repository call or transaction.
#[derive(Debug)]
pub(crate) enum DbError {
    /// From diesel (the query or the connection).
    Diesel(DieselError),
    /// Decided by the repository (a lost race, a corrupt row).
    Store(StoreError),
}

impl From<DieselError> for DbError {
    fn from(error: DieselError) -> Self {
        DbError::Diesel(error)
    }
}

impl From<StoreError> for DbError {
    fn from(error: StoreError) -> Self {
        DbError::Store(error)
    }
}

impl From<DbError> for StoreError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Store(error) => error,
            DbError::Diesel(error) => from_diesel(error),
        }
    }
}

/// Which unique constraint means which taken key: `(PostgreSQL constraint or index name,
/// SQLite's "UNIQUE constraint failed: ..." column list, the key the port names)`.
const UNIQUE_KEYS: &[(&str, &str, &str)] = &[
    ("payments_pkey", "payments.id", "id"),
    (
        "payments_boxo_order",
        "payments.app_id, payments.miniapp_order_id",
        "miniapp_order_id",
    ),
    (
        "payment_sessions_pkey",
        "payment_sessions.token_hash",
        "token",
    ),
    ("user_tokens_pkey", "user_tokens.token_hash", "token"),
    (
        "connect_auth_codes_pkey",
        "connect_auth_codes.code_hash",
        "auth_code",
    ),
    (
        "connect_access_tokens_pkey",
        "connect_access_tokens.token_hash",
        "access_token",
    ),
    ("miniapps_pkey", "miniapps.id", "id"),
    ("order_activities_pkey", "order_activities.id", "id"),
    (
        "order_activities_app_order",
        "order_activities.app_id, order_activities.order_id",
        "order_id",
    ),
    ("refunds_pkey", "refunds.id", "refund_id"),
    ("pay_grants_pkey", "pay_grants.token_hash", "token"),
    ("charge_reversals_pkey", "charge_reversals.id", "id"),
    ("outbox_events_id", "outbox_events.id", "event_id"),
    (
        "order_activity_events_id",
        "order_activity_events.id",
        "event_id",
    ),
    (
        "idempotency_keys_pkey",
        "idempotency_keys.app_id, idempotency_keys.key",
        "idempotency_key",
    ),
];

/// Maps a diesel error: unique violations to `Duplicate(key)`, the rest to `Unavailable`.
pub(crate) fn from_diesel(error: DieselError) -> StoreError {
    match &error {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            let constraint = info.constraint_name().unwrap_or_default();
            let message = info.message();
            let key = UNIQUE_KEYS
                .iter()
                .find(|(pg, sqlite, _)| {
                    constraint == *pg
                        || message.strip_prefix("UNIQUE constraint failed: ") == Some(sqlite)
                })
                .map(|(_, _, key)| (*key).to_owned())
                .unwrap_or_else(|| {
                    if constraint.is_empty() {
                        message.to_owned()
                    } else {
                        constraint.to_owned()
                    }
                });
            StoreError::Duplicate(key)
        }
        _ => StoreError::Unavailable(error.to_string()),
    }
}

/// A stored value that does not read back (a corrupt or foreign row).
pub(crate) fn corrupt(what: impl std::fmt::Display) -> DbError {
    DbError::Store(StoreError::Unavailable(format!(
        "unreadable stored value: {what}"
    )))
}

/// Shorthand for repository results.
pub(crate) type DbResult<T> = Result<T, DbError>;
