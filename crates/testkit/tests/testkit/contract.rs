//! The repository contract suite against the in-memory store: one test per check, each
//! on a fresh store; and every check in turn on one store (forwards and backwards, as the
//! checks must not depend on their order).

use hostpay_testkit::contract;

hostpay_testkit::contract_tests!(in_memory, || async {
    (hostpay_testkit::contract::ports::in_memory(), ())
});

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_in_memory_store_honours_the_whole_contract_on_one_store() {
    contract::run_all(&hostpay_testkit::contract::ports::in_memory()).await;
}

/// The checks share one database in the SQL suites: they must not depend on their order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_checks_pass_in_reverse_order_on_one_store() {
    let ports = hostpay_testkit::contract::ports::in_memory();
    contract::concurrent_code_redemption(&ports).await;
    contract::concurrent_activity_upserts(&ports).await;
    contract::concurrent_boxo_orders(&ports).await;
    contract::concurrent_nonces(&ports).await;
    contract::concurrent_idempotency_begin(&ports).await;
    contract::concurrent_outbox_claimers(&ports).await;
    contract::concurrent_confirm_and_cancel(&ports).await;
    contract::concurrent_refunds(&ports).await;
    contract::connect_prune(&ports).await;
    contract::connect_tokens(&ports).await;
    contract::connect_codes(&ports).await;
    contract::nonces(&ports).await;
    contract::outbox_claims(&ports).await;
    contract::outbox(&ports).await;
    contract::idempotency_prune(&ports).await;
    contract::idempotency_keys(&ports).await;
    contract::user_tokens(&ports).await;
    contract::apps(&ports).await;
    contract::order_activity_pagination(&ports).await;
    contract::order_activities(&ports).await;
    contract::payment_pagination(&ports).await;
    contract::idempotency_owner(&ports).await;
    contract::charge_reversals(&ports).await;
    contract::charge_checks(&ports).await;
    contract::pay_grants(&ports).await;
    contract::due_refunds(&ports).await;
    contract::expired_in_process(&ports).await;
    contract::payment_sessions(&ports).await;
    contract::payment_batch_reads(&ports).await;
    contract::payment_events_and_deliveries(&ports).await;
    contract::payment_charge_marker(&ports).await;
    contract::payment_conditional_save(&ports).await;
    contract::payment_unique_keys(&ports).await;
    contract::payment_round_trip(&ports).await;
    contract::health(&ports).await;
}

/// A store that went away answers `Unavailable`, and the suite's health check sees it.
#[tokio::test]
async fn a_switched_off_store_is_unavailable() {
    use hostpay_domain::ports::StoreHealth;
    let store = std::sync::Arc::new(hostpay_testkit::MemoryStore::new());
    store.set_unavailable(true);
    assert!(matches!(
        store.check().await,
        Err(hostpay_domain::ports::StoreError::Unavailable(_))
    ));
    store.set_unavailable(false);
    assert!(store.check().await.is_ok());
}
