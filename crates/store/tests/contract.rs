//! The repository contract suite (`hostpay_testkit::contract`, the same one the in-memory
//! store passes) against SQLite and PostgreSQL, concurrency checks included.

mod common;

use common::{PgTestDb, SqliteTestDb};
use hostpay_store::{connect, Store, StoreOptions};
use hostpay_testkit::contract::{self, StorePorts};

fn ports(store: &Store) -> StorePorts {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_file_passes_the_contract() {
    let db = SqliteTestDb::create();
    let store = connect(&db.url, StoreOptions::default()).await.unwrap();
    contract::run_all(&ports(&store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_in_memory_passes_the_contract() {
    let store = connect("sqlite::memory:", StoreOptions::default())
        .await
        .unwrap();
    contract::run_all(&ports(&store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_passes_the_contract() {
    let db = PgTestDb::create().await;
    let store = connect(&db.url, StoreOptions::default()).await.unwrap();
    contract::run_all(&ports(&store)).await;
}
