//! Service tests over mocked ports (mockall): each use case calls the ports it should,
//! with what it should, and nothing else.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::delivery::{
    AttemptOutcome, ClaimToken, ClaimedDelivery, Delivery, DeliveryState, NextStep, RetryPolicy,
    CLAIM_MARGIN,
};
use crate::event::{DeliveryTarget, EventKind};
use crate::idempotency::{IdempotencyBegin, IdempotencyClaim, IdempotencyKey, StoredReply};
use crate::ids::{AppId, DeliveryId, IdGenerator, PaymentId};
use crate::miniapp::{Miniapp, SecretKeyring, WebhookUrl};
use crate::money::{Currency, Money, PositiveMoney};
use crate::order::{OrderDetails, PaymentDetails};
use crate::payment::{Payment, PaymentParts, PaymentStatus, RefundStatus};
use crate::ports::*;
use crate::services::payments::{
    CreatePayment, CreatePaymentPorts, CreatePaymentService, Idempotent, PaymentServiceError,
};
use crate::services::{
    ConnectSettings, DeliveryRetryError, PaymentSettings, PlatformOrderError, Ports, Services,
    Settings,
};
use crate::validation::NonEmptyString;

struct FixedClock(DateTime<Utc>);
impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

struct Counter(AtomicU64);
impl IdGenerator for Counter {
    fn new_id(&self, prefix: &str) -> String {
        format!("{prefix}{:04}", self.0.fetch_add(1, Ordering::SeqCst))
    }
    fn new_secret(&self, prefix: &str) -> String {
        format!("{prefix}secret{:04}", self.0.fetch_add(1, Ordering::SeqCst))
    }
}

/// The services' `delivery_timeout`.
const DELIVERY_TIMEOUT: Duration = Duration::seconds(40);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).single().unwrap()
}

fn keyring() -> SecretKeyring {
    SecretKeyring::new("test-key")
}

fn app(webhook: bool) -> Miniapp {
    Miniapp {
        id: AppId::parse("app_1").unwrap(),
        name: NonEmptyString::parse("Coffee").unwrap(),
        secret_hash: keyring().hash("sk_right"),
        webhook_url: webhook.then(|| WebhookUrl::parse("https://example.test/hook").unwrap()),
        secret_generation: 1,
        created_at: now(),
        updated_at: now(),
    }
}

/// Mocks for every port; tests set expectations on the ones they use.
#[derive(Default)]
struct Mocks {
    payments: MockPaymentRepository,
    activities: MockOrderActivityRepository,
    apps: MockAppRepository,
    tokens: MockUserTokenRepository,
    idempotency: MockIdempotencyStore,
    outbox: MockOutbox,
    processor: MockPaymentProcessor,
    platform: MockMiniappPlatform,
    webhooks: MockWebhookSender,
    connect: MockConnectRepository,
}

impl Mocks {
    fn services(self) -> Services {
        let ports = Ports {
            payments: Arc::new(self.payments),
            order_activities: Arc::new(self.activities),
            apps: Arc::new(self.apps),
            user_tokens: Arc::new(self.tokens),
            idempotency: Arc::new(self.idempotency),
            outbox: Arc::new(self.outbox),
            processor: Arc::new(self.processor),
            platform: Arc::new(self.platform),
            webhooks: Arc::new(self.webhooks),
            clock: Arc::new(FixedClock(now())),
            ids: Arc::new(Counter(AtomicU64::new(1))),
            nonces: Arc::new(MockNonceStore::new()),
            health: Arc::new(MockStoreHealth::new()),
            connect: Arc::new(self.connect),
        };
        Services::new(
            ports,
            Settings {
                payments: PaymentSettings {
                    session_ttl: Duration::minutes(15),
                    public_url: "http://pay.test".into(),
                },
                keyring: keyring(),
                retry: RetryPolicy {
                    base: Duration::seconds(60),
                    max_attempts: 3,
                },
                delivery_timeout: DELIVERY_TIMEOUT,
                connect: ConnectSettings::default(),
                encrypted_webhooks_only: false,
            },
        )
    }
}

fn create_request() -> CreatePayment {
    CreatePayment {
        user_id: NonEmptyString::parse("user-1").unwrap(),
        amount: PositiveMoney::new(Money::parse("25.00").unwrap()).unwrap(),
        currency: Currency::parse("SAR").unwrap(),
        miniapp_order_id: None,
        details: PaymentDetails::default(),
    }
}

fn claim() -> IdempotencyClaim {
    IdempotencyClaim {
        app_id: AppId::parse("app_1").unwrap(),
        key: IdempotencyKey::parse("key-1").unwrap(),
        fingerprint: "f1".into(),
        owner: "test-owner".to_owned(),
    }
}

fn paid_payment() -> Payment {
    Payment::restore(PaymentParts {
        status: PaymentStatus::Paid,
        version: 1,
        ..in_process_payment().into_parts()
    })
}

fn in_process_payment() -> Payment {
    let request = crate::payment::NewPayment {
        app_id: AppId::parse("app_1").unwrap(),
        channel: crate::payment::Channel::Miniapp,
        user_id: NonEmptyString::parse("user-1").unwrap(),
        amount: PositiveMoney::new(Money::parse("100").unwrap()).unwrap(),
        currency: Currency::parse("USD").unwrap(),
        miniapp_order_id: None,
        details: PaymentDetails::default(),
    };
    Payment::open(
        request,
        PaymentId::parse("pay_1").unwrap(),
        now(),
        Duration::minutes(15),
    )
    .payment
}

macro_rules! block_on_test {
    ($name:ident, $body:block) => {
        #[test]
        fn $name() {
            futures::executor::block_on(async $body)
        }
    };
}

block_on_test!(create_routes_events_and_keeps_the_idempotent_response, {
    let mut mocks = Mocks::default();
    mocks
        .idempotency
        .expect_begin()
        .times(1)
        .returning(|_, _| Ok(IdempotencyBegin::Proceed));
    mocks.payments.expect_insert().times(1).returning(|write| {
        assert_eq!(write.payment.status(), PaymentStatus::InProcess);
        assert_eq!(write.events.len(), 1);
        assert_eq!(write.events[0].kind, EventKind::PaymentCreated);
        assert_eq!(
            write.events[0].targets,
            vec![DeliveryTarget::MiniappWebhook]
        );
        assert_eq!(&write.session.payment_id, write.payment.id());
        let kept = write.idempotent.expect("response kept with the payment");
        assert_eq!(kept.response.status, 201);
        Ok(())
    });
    mocks.idempotency.expect_release().never();
    let services = mocks.services();
    let pending = services
        .payments
        .create(&app(true), create_request(), Some(claim()))
        .await
        .unwrap();
    let Idempotent::NeedsReply(pending) = pending else {
        panic!("expected a payment waiting for its reply")
    };
    let reply = StoredReply {
        status: 201,
        body: pending.created().payment.id().to_string(),
    };
    let created = services
        .payments
        .resume_create(pending, reply)
        .await
        .unwrap();
    assert!(created
        .session
        .checkout_url
        .starts_with("http://pay.test/checkout/pay_"));
    assert!(created.session.token.starts_with("ps_"));
});

block_on_test!(create_replays_without_writing, {
    let mut mocks = Mocks::default();
    mocks.idempotency.expect_begin().returning(|_, _| {
        Ok(IdempotencyBegin::Replay(StoredReply {
            status: 201,
            body: "first".into(),
        }))
    });
    mocks.payments.expect_insert().never();
    let result = mocks
        .services()
        .payments
        .create(&app(false), create_request(), Some(claim()))
        .await
        .unwrap();
    assert_eq!(
        result,
        Idempotent::Replayed(StoredReply {
            status: 201,
            body: "first".into()
        })
    );
});

block_on_test!(create_refuses_a_reused_key_and_an_in_progress_one, {
    for (begin, expected) in [
        (
            IdempotencyBegin::KeyReused,
            PaymentServiceError::IdempotencyKeyReused,
        ),
        (
            IdempotencyBegin::InProgress,
            PaymentServiceError::IdempotencyInProgress,
        ),
    ] {
        let mut mocks = Mocks::default();
        mocks
            .idempotency
            .expect_begin()
            .returning(move |_, _| Ok(begin.clone()));
        mocks.payments.expect_insert().never();
        let error = mocks
            .services()
            .payments
            .create(&app(false), create_request(), Some(claim()))
            .await
            .unwrap_err();
        assert_eq!(error, expected);
    }
});

block_on_test!(a_failed_create_frees_its_key, {
    let mut mocks = Mocks::default();
    mocks
        .idempotency
        .expect_begin()
        .returning(|_, _| Ok(IdempotencyBegin::Proceed));
    mocks
        .payments
        .expect_insert()
        .returning(|_| Err(StoreError::Unavailable("down".into())));
    mocks
        .idempotency
        .expect_release()
        .times(1)
        .returning(|_| Ok(()));
    let services = mocks.services();
    let pending = services
        .payments
        .create(&app(false), create_request(), Some(claim()))
        .await
        .unwrap();
    let Idempotent::NeedsReply(pending) = pending else {
        panic!("expected a payment waiting for its reply")
    };
    let reply = StoredReply {
        status: 201,
        body: String::new(),
    };
    let error = services
        .payments
        .resume_create(pending, reply)
        .await
        .unwrap_err();
    assert!(matches!(error, PaymentServiceError::Store(_)));
});

block_on_test!(
    a_key_claim_whose_answer_was_lost_is_freed_before_the_retry,
    {
        // The claim may have committed before the connection died: the 503 must not leave the
        // key "in progress" for the retry.
        let mut mocks = Mocks::default();
        let mut begins = 0;
        mocks
            .idempotency
            .expect_begin()
            .times(2)
            .returning(move |_, _| {
                begins += 1;
                match begins {
                    1 => Err(StoreError::Unavailable("connection lost".into())),
                    _ => Ok(IdempotencyBegin::KeyReused),
                }
            });
        let released = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = released.clone();
        mocks
            .idempotency
            .expect_release()
            .times(1)
            .returning(move |claim| {
                seen.lock().unwrap().push(claim.owner.clone());
                Ok(())
            });
        mocks.payments.expect_insert().never();
        let services = mocks.services();
        let first = services
            .payments
            .create(&app(false), create_request(), Some(claim()))
            .await
            .unwrap_err();
        assert!(matches!(
            first,
            PaymentServiceError::Store(StoreError::Unavailable(_))
        ));
        assert!(
            released.lock().unwrap().is_empty(),
            "freed only when the key comes back"
        );
        let _ = services
            .payments
            .create(&app(false), create_request(), Some(claim()))
            .await;
        assert_eq!(
            released.lock().unwrap().len(),
            1,
            "the lost claim is freed before the retry"
        );
    }
);

block_on_test!(refund_retries_a_lost_race_and_asks_the_processor_once, {
    let mut mocks = Mocks::default();
    let stored = Arc::new(std::sync::Mutex::new(paid_payment()));
    let read = stored.clone();
    mocks
        .payments
        .expect_get()
        .returning(move |_| Ok(Some(read.lock().unwrap().clone())));
    mocks.apps.expect_get().returning(|_| Ok(Some(app(false))));
    mocks
        .activities
        .expect_linked_to_payment()
        .returning(|_, _| Ok(Vec::new()));
    let mut saves = 0;
    mocks
        .payments
        .expect_save()
        .times(3)
        .returning(move |write| {
            saves += 1;
            match saves {
                // The reservation loses a race once, then lands.
                1 => return Err(StoreError::Conflict),
                2 => {
                    assert_eq!(write.payment.refunds().len(), 1);
                    assert_eq!(write.events[0].kind, EventKind::RefundCreated);
                }
                _ => assert_eq!(write.events[0].kind, EventKind::RefundSucceeded),
            }
            *stored.lock().unwrap() = write.payment;
            Ok(())
        });
    mocks
        .processor
        .expect_refund()
        .times(1)
        .returning(|_| Ok(Ok(())));
    let refund = mocks
        .services()
        .payments
        .refund(
            &app(false),
            &PaymentId::parse("pay_1").unwrap(),
            Some(PositiveMoney::new(Money::parse("10").unwrap()).unwrap()),
            None,
            None,
        )
        .await
        .unwrap();
    let Idempotent::Fresh(refund) = refund else {
        panic!("fresh refund expected")
    };
    assert_eq!(refund.amount, Money::parse("10").unwrap());
    assert_eq!(refund.status, RefundStatus::Succeeded);
});

block_on_test!(another_miniapps_payment_reads_as_not_found, {
    let mut mocks = Mocks::default();
    mocks.payments.expect_get().returning(|_| {
        Ok(Some(Payment::restore(PaymentParts {
            app_id: AppId::parse("app_other").unwrap(),
            ..paid_payment().into_parts()
        })))
    });
    let error = mocks
        .services()
        .payments
        .get_for_app(
            &AppId::parse("app_1").unwrap(),
            &PaymentId::parse("pay_1").unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(error, PaymentServiceError::NotFound);
});

block_on_test!(
    statuses_for_app_read_once_and_drop_other_miniapps_payments,
    {
        let mut mocks = Mocks::default();
        mocks
            .payments
            .expect_get_many()
            .times(1)
            .returning(|ids: &[PaymentId]| {
                assert_eq!(ids.len(), 3);
                let mine = paid_payment();
                let theirs = Payment::restore(PaymentParts {
                    id: PaymentId::parse("pay_2").unwrap(),
                    app_id: AppId::parse("app_other").unwrap(),
                    ..in_process_payment().into_parts()
                });
                Ok(vec![mine, theirs])
            });
        mocks.payments.expect_get().never();
        let ids = ["pay_1", "pay_2", "pay_unknown"].map(|id| PaymentId::parse(id).unwrap());
        let statuses = mocks
            .services()
            .payments
            .statuses_for_app(&AppId::parse("app_1").unwrap(), &ids)
            .await
            .unwrap();
        assert_eq!(statuses.len(), 1);
        assert_eq!(statuses.get(&ids[0]), Some(&PaymentStatus::Paid));
    }
);

block_on_test!(confirm_of_a_settled_payment_never_charges, {
    let mut mocks = Mocks::default();
    let grant_hash = keyring().hash("pg_token");
    mocks.payments.expect_find_grant().returning(move |_| {
        Ok(Some(crate::access::PayGrant {
            token_hash: grant_hash.clone(),
            payment_id: PaymentId::parse("pay_1").unwrap(),
            user_id: in_process_payment().user_id().clone(),
            created_at: now(),
            expires_at: now() + Duration::minutes(5),
        }))
    });
    mocks
        .payments
        .expect_get()
        .returning(|_| Ok(Some(paid_payment())));
    mocks.processor.expect_can_simulate().return_const(true);
    mocks.processor.expect_charge().never();
    mocks.payments.expect_save().never();
    let error = mocks
        .services()
        .payments
        .confirm(&PaymentId::parse("pay_1").unwrap(), "pg_token", false)
        .await
        .unwrap_err();
    match error {
        PaymentServiceError::Rejected { current, error } => {
            assert_eq!(current.status(), PaymentStatus::Paid);
            assert!(error.to_string().contains("is paid"));
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
});

block_on_test!(
    confirm_marks_the_charge_and_a_lost_answer_records_no_outcome,
    {
        let mut mocks = Mocks::default();
        let grant_hash = keyring().hash("pg_token");
        mocks.payments.expect_find_grant().returning(move |_| {
            Ok(Some(crate::access::PayGrant {
                token_hash: grant_hash.clone(),
                payment_id: PaymentId::parse("pay_1").unwrap(),
                user_id: in_process_payment().user_id().clone(),
                created_at: now(),
                expires_at: now() + Duration::minutes(5),
            }))
        });
        mocks
            .payments
            .expect_get()
            .returning(|_| Ok(Some(in_process_payment())));
        mocks.apps.expect_get().returning(|_| Ok(Some(app(false))));
        mocks.processor.expect_can_simulate().return_const(true);
        // The charge is marked before the processor is asked: one save, no event.
        mocks.payments.expect_save().times(1).returning(|write| {
            assert_eq!(write.payment.status(), PaymentStatus::InProcess);
            assert_eq!(write.payment.charging_since(), Some(now()));
            assert!(write.events.is_empty());
            Ok(())
        });
        mocks
            .processor
            .expect_charge()
            .times(1)
            .returning(|request| {
                assert_eq!(request.payment_id.as_str(), "pay_1");
                Err(ProcessorError::Timeout)
            });
        let error = mocks
            .services()
            .payments
            .confirm(&PaymentId::parse("pay_1").unwrap(), "pg_token", false)
            .await
            .unwrap_err();
        assert_eq!(
            error,
            PaymentServiceError::Processor(ProcessorError::Timeout)
        );
    }
);

block_on_test!(
    a_payment_session_cannot_confirm_and_never_reaches_the_processor,
    {
        let mut mocks = Mocks::default();
        let session_hash = keyring().hash("ps_token");
        mocks.payments.expect_find_session().returning(move |_| {
            Ok(Some(crate::access::PaymentSession {
                token_hash: session_hash.clone(),
                payment_id: PaymentId::parse("pay_1").unwrap(),
                created_at: now(),
                expires_at: now() + Duration::minutes(5),
            }))
        });
        mocks
            .payments
            .expect_get()
            .returning(|_| Ok(Some(in_process_payment())));
        mocks.payments.expect_find_grant().never();
        mocks.processor.expect_charge().never();
        mocks.payments.expect_save().never();
        let error = mocks
            .services()
            .payments
            .confirm(&PaymentId::parse("pay_1").unwrap(), "ps_token", false)
            .await
            .unwrap_err();
        assert!(
            matches!(error, PaymentServiceError::Forbidden(_)),
            "{error:?}"
        );
    }
);

block_on_test!(a_session_for_another_payment_is_refused, {
    let mut mocks = Mocks::default();
    mocks.payments.expect_find_session().returning(|_| {
        Ok(Some(crate::access::PaymentSession {
            token_hash: keyring().hash("ps_token"),
            payment_id: PaymentId::parse("pay_other").unwrap(),
            created_at: now(),
            expires_at: now() + Duration::minutes(5),
        }))
    });
    mocks.processor.expect_charge().never();
    let error = mocks
        .services()
        .payments
        .confirm(&PaymentId::parse("pay_1").unwrap(), "ps_token", false)
        .await
        .unwrap_err();
    assert_eq!(error, PaymentServiceError::InvalidSession);
});

block_on_test!(a_user_token_of_another_miniapp_is_refused, {
    let mut mocks = Mocks::default();
    mocks.tokens.expect_find().returning(|_| {
        Ok(Some(crate::access::UserToken {
            token_hash: keyring().hash("ut_x"),
            app_id: AppId::parse("app_other").unwrap(),
            user_id: NonEmptyString::parse("user-1").unwrap(),
            created_at: now(),
            expires_at: now() + Duration::hours(1),
        }))
    });
    let services = mocks.services();
    let error = services.apps.verify_user_token(&app(false), "ut_x").await;
    assert_eq!(error, Err(crate::services::AuthError::Unauthenticated));
});

block_on_test!(authentication_checks_the_secret, {
    let mut mocks = Mocks::default();
    mocks.apps.expect_get().returning(|_| Ok(Some(app(false))));
    let services = mocks.services();
    assert!(services
        .apps
        .authenticate("app_1", "sk_right")
        .await
        .is_ok());
    assert_eq!(
        services.apps.authenticate("app_1", "sk_wrong").await,
        Err(crate::services::AuthError::Unauthenticated)
    );
    assert_eq!(
        services.apps.authenticate("not-an-id", "sk_right").await,
        Err(crate::services::AuthError::Unauthenticated)
    );
});

fn platform_order(amount: &str) -> OrderDetails {
    OrderDetails {
        currency: crate::money::Currency::parse("SAR").unwrap(),
        amount: crate::money::PositiveMoney::new(Money::parse(amount).unwrap()).unwrap(),
        subtotal_amount: None,
        shipping_amount: None,
        discount_amount: None,
        tax_title: None,
        tax_amount: None,
        taxes_included: None,
        note: None,
        custom_attributes: None,
        miniapp_order_id: Some(crate::validation::NonEmptyString::parse("order-7").unwrap()),
        hostapp_user_id: Some(crate::order::UserRef::parse("u-42").unwrap()),
        items: Vec::new(),
        shipping_address: None,
    }
}

block_on_test!(platform_creation_is_idempotent_per_order, {
    let mut mocks = Mocks::default();
    mocks.apps.expect_get().returning(|_| Ok(Some(app(false))));
    mocks
        .payments
        .expect_find_platform_order()
        .returning(|_, _| {
            Ok(Some(Payment::restore(PaymentParts {
                channel: crate::payment::Channel::Platform,
                amount: Money::parse("25").unwrap(),
                currency: Currency::parse("SAR").unwrap(),
                user_id: NonEmptyString::parse("u-42").unwrap(),
                details: platform_order("25").payment_details(),
                ..in_process_payment().into_parts()
            })))
        });
    // The order is stored already: its unique key refuses the insert, and the stored
    // payment answers (the same order) or the request is invalid (another order).
    mocks.payments.expect_insert().times(2).returning(|_| {
        Err(crate::ports::StoreError::Duplicate(
            "miniapp_order_id".into(),
        ))
    });
    let services = mocks.services();
    let id = services
        .platform_orders
        .create_order_payment("app_1", platform_order("25.00"), None)
        .await
        .unwrap();
    assert_eq!(id.as_str(), "pay_1");
    let error = services
        .platform_orders
        .create_order_payment("app_1", platform_order("26.00"), None)
        .await
        .unwrap_err();
    assert!(matches!(error, PlatformOrderError::InvalidOrder(_)));
});

block_on_test!(platform_order_needs_a_registered_miniapp_and_a_user, {
    let mut mocks = Mocks::default();
    mocks
        .apps
        .expect_get()
        .returning(|id| Ok((id.as_str() == "app_1").then(|| app(false))));
    let services = mocks.services();
    let error = services
        .platform_orders
        .create_order_payment("app_unknown", platform_order("1"), None)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        PlatformOrderError::MiniappNotFound("app_unknown".into())
    );
    let mut order = platform_order("1");
    order.hostapp_user_id = None;
    let error = services
        .platform_orders
        .create_order_payment("app_1", order, None)
        .await
        .unwrap_err();
    assert_eq!(error, PlatformOrderError::UserRequired);
});

fn due_delivery(kind: EventKind, target: DeliveryTarget, attempts: i32) -> Delivery {
    let payment = paid_payment();
    Delivery {
        id: DeliveryId::parse("dlv_1").unwrap(),
        target,
        event: crate::event::DomainEvent {
            id: crate::ids::EventId::for_transition("pay_1", kind.as_str()),
            kind,
            app_id: payment.app_id().clone(),
            payment_id: "pay_1".into(),
            occurred_at: now(),
            data: crate::event::EventData::Payment(payment.snapshot()),
            targets: vec![target],
        },
        state: DeliveryState::Pending,
        attempts,
        next_attempt_at: now(),
        last_error: None,
        last_status: None,
        created_at: now(),
        updated_at: now(),
    }
}

/// A claim of `delivery` once, then nothing more due.
fn claimed_once(
    delivery: Delivery,
) -> impl FnMut(DateTime<Utc>, DateTime<Utc>, u32) -> Result<Vec<ClaimedDelivery>, StoreError> {
    let mut due = Some(delivery);
    move |_, _, _| {
        Ok(due
            .take()
            .map(|delivery| ClaimedDelivery {
                delivery,
                token: ClaimToken::from_number(7),
            })
            .into_iter()
            .collect())
    }
}

block_on_test!(
    dispatch_sends_complete_order_and_dead_letters_do_not_retry_codes,
    {
        let mut mocks = Mocks::default();
        mocks
            .outbox
            .expect_claim_due()
            .returning(claimed_once(due_delivery(
                EventKind::PaymentPaid,
                DeliveryTarget::PlatformCompleteOrder,
                0,
            )));
        mocks
            .platform
            .expect_complete_order()
            .times(1)
            .returning(|order| {
                assert_eq!(order.status, PaymentStatus::Paid);
                assert_eq!(order.payment_id.as_str(), "pay_1");
                AttemptReport {
                    status_code: Some(400),
                    outcome: AttemptOutcome::Permanent("PROCESS_FAIL".into()),
                }
            });
        mocks
            .outbox
            .expect_record_attempt()
            .times(1)
            .returning(|_, token, attempt, next| {
                assert_eq!(token, ClaimToken::from_number(7));
                assert_eq!(attempt.status_code, Some(400));
                assert_eq!(next, NextStep::Dead);
                Ok(Recorded::Written)
            });
        let report = mocks
            .services()
            .deliveries
            .dispatch_due(10, &|| false)
            .await
            .unwrap();
        assert_eq!(report.dead, 1);
    }
);

block_on_test!(
    dispatch_claims_one_delivery_per_attempt_for_the_attempt_timeout,
    {
        let mut mocks = Mocks::default();
        let mut claims = 0;
        mocks
            .outbox
            .expect_claim_due()
            .times(3)
            .returning(move |at, lease_until, limit| {
                assert_eq!(limit, 1, "one delivery per claim");
                assert_eq!(at, now());
                assert!(lease_until - at >= DELIVERY_TIMEOUT);
                assert_eq!(lease_until, at + DELIVERY_TIMEOUT + CLAIM_MARGIN);
                claims += 1;
                Ok(if claims <= 2 {
                    vec![ClaimedDelivery {
                        delivery: due_delivery(
                            EventKind::PaymentPaid,
                            DeliveryTarget::PlatformCompleteOrder,
                            0,
                        ),
                        token: ClaimToken::from_number(claims),
                    }]
                } else {
                    Vec::new()
                })
            });
        mocks
            .platform
            .expect_complete_order()
            .times(2)
            .returning(|_| AttemptReport {
                status_code: Some(200),
                outcome: AttemptOutcome::Acknowledged,
            });
        let mut tokens = Vec::new();
        mocks
            .outbox
            .expect_record_attempt()
            .times(2)
            .returning(move |_, token, _, _| {
                tokens.push(token.number());
                assert_eq!(tokens, (1..=tokens.len() as i64).collect::<Vec<_>>());
                Ok(Recorded::Written)
            });
        let report = mocks
            .services()
            .deliveries
            .dispatch_due(10, &|| false)
            .await
            .unwrap();
        assert_eq!((report.attempted, report.delivered), (2, 2));
    }
);

block_on_test!(a_lost_claim_is_reported_not_counted_as_delivered, {
    let mut mocks = Mocks::default();
    mocks
        .outbox
        .expect_claim_due()
        .returning(claimed_once(due_delivery(
            EventKind::PaymentPaid,
            DeliveryTarget::PlatformCompleteOrder,
            0,
        )));
    mocks
        .platform
        .expect_complete_order()
        .times(1)
        .returning(|_| AttemptReport {
            status_code: Some(200),
            outcome: AttemptOutcome::Acknowledged,
        });
    mocks
        .outbox
        .expect_record_attempt()
        .times(1)
        .returning(|_, _, _, _| Ok(Recorded::LostClaim));
    let report = mocks
        .services()
        .deliveries
        .dispatch_due(10, &|| false)
        .await
        .unwrap();
    assert_eq!(report.attempted, 1);
    assert_eq!(report.delivered, 0);
    assert_eq!(report.lost_claims, [DeliveryId::parse("dlv_1").unwrap()]);
});

block_on_test!(dispatch_retries_with_backoff_until_max_attempts, {
    for (attempts_before, expect_dead) in [(0, false), (2, true)] {
        let mut mocks = Mocks::default();
        mocks
            .outbox
            .expect_claim_due()
            .returning(claimed_once(due_delivery(
                EventKind::PaymentPaid,
                DeliveryTarget::MiniappWebhook,
                attempts_before,
            )));
        mocks.apps.expect_get().returning(|_| Ok(Some(app(true))));
        mocks
            .webhooks
            .expect_send()
            .times(1)
            .returning(|_, secret, _| {
                assert!(secret.starts_with("whsec_"));
                AttemptReport {
                    status_code: Some(503),
                    outcome: AttemptOutcome::Retryable("503".into()),
                }
            });
        mocks
            .outbox
            .expect_record_attempt()
            .times(1)
            .returning(move |_, _, _, next| {
                match next {
                    NextStep::Dead => assert!(expect_dead),
                    NextStep::RetryAt(at) => {
                        assert!(!expect_dead);
                        // First retry: 60 s +-20 %.
                        assert!(at >= now() + Duration::seconds(48));
                        assert!(at <= now() + Duration::seconds(72));
                    }
                    NextStep::Delivered => panic!("not delivered"),
                }
                Ok(Recorded::Written)
            });
        mocks
            .services()
            .deliveries
            .dispatch_due(10, &|| false)
            .await
            .unwrap();
    }
});

block_on_test!(a_stopping_dispatcher_claims_nothing, {
    let mut mocks = Mocks::default();
    mocks.outbox.expect_claim_due().never();
    mocks.platform.expect_complete_order().never();
    let report = mocks
        .services()
        .deliveries
        .dispatch_due(10, &|| true)
        .await
        .unwrap();
    assert_eq!(report.attempted, 0);
});

block_on_test!(only_dead_letters_are_retried_by_hand, {
    let mut mocks = Mocks::default();
    mocks.outbox.expect_retry_now().returning(|id, at| {
        assert_eq!(at, now());
        let mut delivery = due_delivery(
            EventKind::PaymentPaid,
            DeliveryTarget::PlatformCompleteOrder,
            1,
        );
        Ok(match id.as_str() {
            "dlv_dead" => {
                delivery.next_attempt_at = at;
                ManualRetry::Retried(delivery)
            }
            "dlv_done" => {
                delivery.state = DeliveryState::Delivered;
                ManualRetry::NotDead(delivery)
            }
            _ => ManualRetry::Unknown,
        })
    });
    let services = mocks.services();
    let retried = services
        .deliveries
        .retry(&DeliveryId::parse("dlv_dead").unwrap())
        .await
        .unwrap();
    assert_eq!(retried.state, DeliveryState::Pending);
    let refused = services
        .deliveries
        .retry(&DeliveryId::parse("dlv_done").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(
        refused,
        DeliveryRetryError::NotDead {
            state: DeliveryState::Delivered,
            ..
        }
    ));
    let unknown = services
        .deliveries
        .retry(&DeliveryId::parse("dlv_nope").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(unknown, DeliveryRetryError::NotFound(_)));
});

block_on_test!(the_create_use_case_is_built_from_its_own_ports_alone, {
    // A payment repository and an (unused) idempotency store: no processor, miniapp
    // registry, order activities, outbox or upstream client.
    let mut payments = MockPaymentRepository::new();
    payments.expect_insert().times(1).returning(|write| {
        assert_eq!(write.payment.status(), PaymentStatus::InProcess);
        assert_eq!(write.events[0].kind, EventKind::PaymentCreated);
        assert!(write.idempotent.is_none());
        Ok(())
    });
    let service = CreatePaymentService::new(
        CreatePaymentPorts {
            payments: Arc::new(payments),
            idempotency: Arc::new(MockIdempotencyStore::new()),
            clock: Arc::new(FixedClock(now())),
            ids: Arc::new(Counter(AtomicU64::new(1))),
        },
        keyring(),
        PaymentSettings {
            session_ttl: Duration::minutes(15),
            public_url: "http://pay.test".into(),
        },
    );
    let created = match service.create(&app(false), create_request(), None).await {
        Ok(Idempotent::Fresh(created)) => created,
        other => panic!("saved at once without a key: {other:?}"),
    };
    assert_eq!(created.payment.expires_at(), now() + Duration::minutes(15));
    assert!(created
        .session
        .checkout_url
        .starts_with("http://pay.test/checkout/pay_"));
});
