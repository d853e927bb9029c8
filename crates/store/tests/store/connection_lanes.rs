//! PostgreSQL connections in lanes (`hostpay_store::database`): each single-threaded
//! runtime (an HTTP worker thread) gets connections of its own, driven where they are
//! used; a lane whose runtime is gone heals (its dead connections are replaced); a
//! dropped store leaves no connection open in any thread's cache.

use std::time::Duration;

use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use hostpay_store::testing::{admin_url, PgTestDb};
use hostpay_store::{connect, Store, StoreOptions};

fn single_threaded() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A read through the store, on the calling thread's runtime.
fn read(runtime: &tokio::runtime::Runtime, store: &Store) {
    let listed = runtime.block_on(store.apps().list(10));
    assert!(listed.is_ok(), "{listed:?}");
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Connections open to database `name` (the test's own).
async fn connections_to(name: &str) -> i64 {
    let mut admin = AsyncPgConnection::establish(&admin_url()).await.unwrap();
    diesel::sql_query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result::<Count>(&mut admin)
        .await
        .unwrap()
        .n
}

#[test]
fn each_worker_thread_reads_through_its_own_lane() {
    let main = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let db = main.block_on(PgTestDb::migrated());
    let name = db.url.rsplit('/').next().unwrap().to_owned();
    let store = main
        .block_on(connect(&db.url, StoreOptions::default()))
        .unwrap();
    // `connect` opened one connection of the shared lane (it runs on a multi-threaded
    // runtime); the budget is the pool size, whatever lanes are open.
    let opened = store.pool_status().size;
    assert_eq!(store.pool_status().max_size, 10);

    let read_both = std::sync::Barrier::new(3);
    let store_dropped = std::sync::Barrier::new(3);
    std::thread::scope(|threads| {
        for _ in 0..2 {
            let store = store.clone();
            let (read_both, store_dropped) = (&read_both, &store_dropped);
            threads.spawn(move || {
                let runtime = single_threaded();
                read(&runtime, &store);
                // The runtime that drove this thread's connections goes; the next one
                // on the same thread still reads (the dead connections are replaced).
                drop(runtime);
                let again = single_threaded();
                read(&again, &store);
                read_both.wait();
                drop(store);
                store_dropped.wait();
                // The worker's runtime keeps running while the store goes: the
                // connections it drives must close.
                again.block_on(async { tokio::time::sleep(Duration::from_secs(2)).await });
            });
        }
        read_both.wait();
        let status = store.pool_status();
        assert_eq!(
            status.size,
            opened + 2,
            "one connection in each worker's lane: {status:?}"
        );
        assert_eq!(status.max_size, 10, "still the budget: {status:?}");
        drop(store);
        store_dropped.wait();
        let closed = main.block_on(async {
            for _ in 0..15 {
                if connections_to(&name).await == 0 {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            false
        });
        assert!(
            closed,
            "a dropped store's connections close, on every thread"
        );
    });
    main.block_on(async move { drop(db) });
}
