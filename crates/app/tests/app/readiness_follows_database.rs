//! `/readyz` on PostgreSQL follows the database: 200 while it is there, 503 when it goes
//! away, still 503 when it comes back empty, 200 again once `hostpay migrate` ran.
//! Reads `HOSTPAY_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`),
//! creates its own database and drops it afterwards; fails when PostgreSQL is unreachable.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use hostpay_store::testing::{admin_url, with_database};
use hostpay_testkit::process::{client, run_ok, Server};

async fn admin(sql: &str) {
    let url = admin_url();
    let mut conn = AsyncPgConnection::establish(&url).await.unwrap_or_else(|error| {
        panic!("PostgreSQL tests need a server: cannot connect to HOSTPAY_TEST_PG_URL ({url}): {error}")
    });
    diesel::sql_query(sql)
        .execute(&mut conn)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

/// Drops the test database however the test ends.
struct DropDatabase(String);

impl Drop for DropDatabase {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.0);
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut conn = AsyncPgConnection::establish(&admin_url()).await.ok()?;
                diesel::sql_query(sql).execute(&mut conn).await.ok()
            })
        })
        .join();
    }
}

async fn wait_for_readyz(server: &Server, expected: u16) {
    let http = client();
    let mut last = 0;
    for _ in 0..300 {
        last = http
            .get(format!("{}/readyz", server.public))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0);
        if last == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "/readyz stayed {last}, expected {expected}:\n{}",
        server.logs()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn readyz_follows_the_database_going_away_and_coming_back() {
    let name = format!(
        "hostpay_readyz_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    );
    admin(&format!("CREATE DATABASE {name}")).await;
    let _cleanup = DropDatabase(name.clone());
    let url = with_database(&admin_url(), &name);

    let mut server = Server::start(&[
        ("HOSTPAY__DATABASE__URL", &url),
        ("HOSTPAY__DATABASE__MIGRATE_ON_START", "true"),
    ]);
    server.wait_up().await;
    wait_for_readyz(&server, 200).await;

    admin(&format!("DROP DATABASE {name} WITH (FORCE)")).await;
    wait_for_readyz(&server, 503).await;
    let health = client()
        .get(format!("{}/healthz", server.public))
        .send()
        .await
        .unwrap();
    assert_eq!(
        health.status(),
        200,
        "liveness does not follow the database"
    );

    admin(&format!("CREATE DATABASE {name}")).await;
    let status = client()
        .get(format!("{}/readyz", server.public))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(
        status, 503,
        "an empty database (no migrations) is not ready"
    );

    run_ok(&server.env(), &["migrate"]);
    wait_for_readyz(&server, 200).await;
    assert!(server.stop().success());
}
