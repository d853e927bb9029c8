//! The repository contract suite, written once and run against every store: the
//! in-memory [`MemoryStore`], SQLite and PostgreSQL.
//!
//! Each check is a `pub async fn` over [`StorePorts`] that panics with a message naming
//! the rule it found broken. [`run_all`] runs every check in turn, the concurrency checks
//! included (use a multi-threaded runtime: `#[tokio::test(flavor = "multi_thread")]`).
//!
//! What the suite expects of the database it runs on: fresh (or at least holding no data
//! from before the year 2026 other than the suite's own) and used by nothing else while
//! the suite runs. Each check uses its own ids (a namespace per check and run) and, where
//! a port reads across every miniapp (`expired_in_process`, `due_refunds`,
//! `claim_due`, `AppRepository::list`, the `prune`s), its own time window in the past, so
//! checks do not see each other's rows and may run in any order (each at most once per
//! database).
//!
//! Rules beyond the port docs that the suite pins down (because tests of the services
//! with a [`FixedClock`](crate::FixedClock) rely on them):
//! - times round-trip to the microsecond;
//! - a new delivery is due when its event occurred (`next_attempt_at == occurred_at`) and
//!   is created at that time too;
//! - `list_for_user` returns whole payments (with refunds) and whole activities (with
//!   events), equal to what `get`/`get_by_order` return;
//! - only Boxo-channel payments are unique by `(app, miniapp_order_id)`;
//! - an activity `save` appends to the stored history (which may hold a linked
//!   payment's entries the caller never loaded), never replaces it;
//! - `IdempotencyStore::release` never forgets a key that already has its response.

mod apps;
mod concurrency;
mod connect;
mod fixture;
mod idempotency;
mod money;
mod money_movement;
mod nonces;
mod order_activities;
mod outbox;
mod payments;
pub mod ports;
mod user_tokens;

pub use apps::apps;
pub use concurrency::{
    concurrent_activity_upserts, concurrent_boxo_orders, concurrent_confirm_and_cancel,
    concurrent_creations, concurrent_crossed_orders, concurrent_idempotency_begin,
    concurrent_nonces, concurrent_outbox_claimers, concurrent_refunds, creations_at_once,
};
pub use connect::{concurrent_code_redemption, connect_codes, connect_prune, connect_tokens};
pub use idempotency::{idempotency_keys, idempotency_prune};
pub use money::money_minor_units;
pub use money_movement::{charge_checks, charge_reversals, idempotency_owner, pay_grants};
pub use nonces::nonces;
pub use order_activities::{order_activities, order_activity_pagination, order_activity_records};
pub use outbox::{outbox, outbox_claims};
pub use payments::{
    due_refunds, expired_in_process, payment_batch_reads, payment_charge_marker,
    payment_conditional_save, payment_events_and_deliveries, payment_pagination,
    payment_round_trip, payment_sessions, payment_unique_keys,
};
pub use ports::StorePorts;
pub use user_tokens::user_tokens;

/// The store answers its health check.
pub async fn health(ports: &StorePorts) {
    if let Err(error) = ports.health.check().await {
        panic!("contract: StoreHealth::check of a working store failed: {error}");
    }
}

/// The one list of checks, in the order [`run_all`] runs them: `test <make>` expands to
/// one test per check (see [`contract_tests!`](crate::contract_tests)), `run <ports>` to
/// every check in turn. A new check added here is run by both.
#[doc(hidden)]
#[macro_export]
macro_rules! __contract_checks {
    ($mode:ident $arg:expr) => {
        $crate::__contract_checks!(
            @each $mode $arg;
            health,
            payment_round_trip,
            payment_unique_keys,
            payment_conditional_save,
            payment_charge_marker,
            payment_events_and_deliveries,
            payment_batch_reads,
            payment_sessions,
            expired_in_process,
            due_refunds,
            pay_grants,
            charge_checks,
            charge_reversals,
            idempotency_owner,
            payment_pagination,
            money_minor_units,
            order_activities,
            order_activity_pagination,
            order_activity_records,
            apps,
            user_tokens,
            idempotency_keys,
            idempotency_prune,
            outbox,
            outbox_claims,
            nonces,
            connect_codes,
            connect_tokens,
            connect_prune,
            concurrent_refunds,
            concurrent_confirm_and_cancel,
            concurrent_outbox_claimers,
            concurrent_idempotency_begin,
            concurrent_nonces,
            concurrent_boxo_orders,
            concurrent_creations,
            concurrent_crossed_orders,
            concurrent_activity_upserts,
            concurrent_code_redemption
        );
    };
    (@each test $make:expr; $($check:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $check() {
                // The guard (the temporary database) lives until the check ends.
                let (ports, _guard) = ($make)().await;
                $crate::contract::$check(&ports).await;
            }
        )*
    };
    (@each run $ports:expr; $($check:ident),*) => {
        $(
            eprintln!("contract: {}", stringify!($check));
            $crate::contract::$check($ports).await;
        )*
    };
}

/// One `#[tokio::test]` per contract check against one backend, in a module named after
/// the backend, so each broken rule is reported on its own:
///
/// ```ignore
/// hostpay_testkit::contract_tests!(sqlite_memory, || async {
///     let store = connect("sqlite::memory:", StoreOptions::default()).await.unwrap();
///     (ports(&store), store)
/// });
/// ```
///
/// The second argument is called once per test (a fresh store each, so every check runs
/// on a database of its own) and returns the ports and a guard kept alive until the check
/// ends (the temporary database, say). The tests run on a multi-threaded runtime (the
/// concurrency checks need one); the calling crate needs `tokio` with `macros` and
/// `rt-multi-thread`.
#[macro_export]
macro_rules! contract_tests {
    ($backend:ident, $make:expr $(,)?) => {
        mod $backend {
            #[allow(unused_imports)]
            use super::*;

            $crate::__contract_checks!(test $make);
        }
    };
}

/// Every check, the concurrency ones included, one after the other.
pub async fn run_all(ports: &StorePorts) {
    crate::__contract_checks!(run ports);
}
