//! PostgreSQL writes payments created at the same time with one statement
//! (`payments::new_payment::batch`): 40 creations at once (each stored whole, as the
//! contract checks) come out of fewer transactions than payments.

use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use hostpay_store::testing::PgTestDb;
use hostpay_store::{connect, StoreOptions};

use super::contract::ports;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn payments_created_together_share_transactions() {
    let db = PgTestDb::migrated().await;
    let store = connect(&db.url, StoreOptions::default()).await.unwrap();
    let ids = hostpay_testkit::contract::creations_at_once(&ports(&store), false).await;
    let ids: Vec<String> = ids.iter().map(|id| id.as_str().to_owned()).collect();
    let mut conn = AsyncPgConnection::establish(&db.url).await.unwrap();
    let transactions = diesel::sql_query(
        "SELECT count(DISTINCT xmin::text)::bigint AS n FROM payments WHERE id = ANY($1)",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(&ids)
    .get_result::<Count>(&mut conn)
    .await
    .unwrap()
    .n;
    assert!(
        transactions < i64::try_from(ids.len()).unwrap(),
        "{} payments created at once were written by {transactions} transactions",
        ids.len()
    );
}
