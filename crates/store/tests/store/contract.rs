//! The repository contract suite (`hostpay_testkit::contract`, the same one the in-memory
//! store passes) against SQLite (a file, and `sqlite::memory:`) and PostgreSQL,
//! concurrency checks included: one test per check and backend, each on a fresh database
//! (PostgreSQL's cloned from the migrated template).

use hostpay_store::testing::{PgTestDb, SqliteTestDb};
use hostpay_store::{connect, Store, StoreOptions};
use hostpay_testkit::contract::StorePorts;
use hostpay_testkit::contract_tests;

pub(super) fn ports(store: &Store) -> StorePorts {
    StorePorts {
        payments: store.payments(),
        order_activities: store.order_activities(),
        apps: store.apps(),
        user_tokens: store.user_tokens(),
        idempotency: store.idempotency(),
        outbox: store.outbox(),
        nonces: store.nonces(),
        health: store.health(),
        connect: store.connect(),
    }
}

contract_tests!(sqlite_file, || async {
    let db = SqliteTestDb::create();
    let store = connect(&db.url, StoreOptions::default()).await.unwrap();
    (ports(&store), (store, db))
});

contract_tests!(sqlite_memory, || async {
    let store = connect("sqlite::memory:", StoreOptions::default())
        .await
        .unwrap();
    (ports(&store), store)
});

contract_tests!(postgres, || async {
    let db = PgTestDb::migrated().await;
    let store = connect(&db.url, StoreOptions::default()).await.unwrap();
    (ports(&store), (store, db))
});
