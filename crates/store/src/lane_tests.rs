//! PostgreSQL lanes (`database::PgDatabase`) seen from inside the crate: a test of its own
//! file, as it needs both the database and the test databases (`testing`).

use crate::database::{PgDatabase, PoolSettings};

/// A worker whose lane is all in use gets a connection of the shared lane at once
/// (the pool's budget is not cut into parts that make a thread wait while another
/// part has room).
#[test]
fn a_busy_lane_borrows_from_the_shared_one() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let db = crate::testing::PgTestDb::create().await;
        let settings = PoolSettings {
            max_connections: 40,
            acquire_timeout: std::time::Duration::from_secs(2),
        };
        let database = PgDatabase::open(&db.url, settings).unwrap();
        let lane_size = database.lane_size();
        let mut held = Vec::new();
        for _ in 0..lane_size + 2 {
            let started = std::time::Instant::now();
            held.push(database.connection().await.unwrap());
            assert!(started.elapsed() < std::time::Duration::from_secs(1));
        }
        assert_eq!(database.status().size, lane_size + 2);
        drop(held);
        drop(database);
        drop(db);
    });
}
