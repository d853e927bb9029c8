//! What the checks build their data with: a clock and ids of their own, miniapps,
//! payments and their transitions, and a few assertion helpers.

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use hostpay_domain::access::PaymentSession;
use hostpay_domain::delivery::Delivery;
use hostpay_domain::event::DomainEvent;
use hostpay_domain::ids::IdGenerator;
use hostpay_domain::ids::{AppId, PaymentId};
use hostpay_domain::miniapp::{Miniapp, SecretHash, SecretKeyring, WebhookUrl};
use hostpay_domain::money::{Currency, Money, PositiveMoney};
use hostpay_domain::order::PaymentDetails;
use hostpay_domain::page::{Page, PageRequest};
use hostpay_domain::payment::{Channel, NewPayment, Payment, Transition};
use hostpay_domain::ports::{NewPaymentWrite, PaymentWrite};
use hostpay_domain::validation::NonEmptyString;

use super::ports::StorePorts;
use crate::{FixedClock, SequentialIds, TEST_HASH_KEY};

/// Unwraps what a check needs, or fails the check naming what went wrong.
pub(crate) trait Must<T> {
    fn must(self, what: &str) -> T;
}

impl<T, E: Debug> Must<T> for Result<T, E> {
    fn must(self, what: &str) -> T {
        match self {
            Ok(value) => value,
            Err(error) => panic!("contract: {what}: failed with {error:?}"),
        }
    }
}

impl<T> Must<T> for Option<T> {
    fn must(self, what: &str) -> T {
        match self {
            Some(value) => value,
            None => panic!("contract: {what}: found nothing"),
        }
    }
}

/// A UTC instant.
pub(crate) fn utc(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 0, 0, 0)
        .single()
        .must("a valid date")
}

/// Seconds.
pub(crate) fn secs(seconds: i64) -> Duration {
    Duration::seconds(seconds)
}

/// An amount from its text.
pub(crate) fn money(text: &str) -> Money {
    Money::parse(text).must("a valid amount")
}

/// A positive amount from its text.
pub(crate) fn positive(text: &str) -> PositiveMoney {
    PositiveMoney::new(money(text)).must("a positive amount")
}

/// A user or order reference.
pub(crate) fn text255(text: &str) -> NonEmptyString<255> {
    NonEmptyString::parse(text).must("a valid reference")
}

static RUNS: AtomicU64 = AtomicU64::new(0);

/// Ids no earlier check or run used: the check's code, the process and a counter.
fn namespace(code: &str) -> String {
    let run = RUNS.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or(0);
    format!("{code}{:x}{nanos:08x}{run:x}x", std::process::id())
}

/// One check's clock, ids and keyring.
pub(crate) struct Fixture {
    pub clock: Arc<FixedClock>,
    pub ids: Arc<SequentialIds>,
    pub keyring: SecretKeyring,
    pub ttl: Duration,
}

impl Fixture {
    /// A check named `code` starting at `start`.
    pub fn new(code: &str, start: DateTime<Utc>) -> Fixture {
        Fixture {
            clock: Arc::new(FixedClock::new(start)),
            ids: Arc::new(SequentialIds::with_namespace(&namespace(code))),
            keyring: SecretKeyring::new(TEST_HASH_KEY.as_bytes().to_vec()),
            ttl: secs(900),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        hostpay_domain::ports::Clock::now(self.clock.as_ref())
    }

    /// Moves the clock on by `seconds` and returns the new time.
    pub fn tick(&self, seconds: i64) -> DateTime<Utc> {
        self.clock.advance(secs(seconds))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        self.clock.set(at);
    }

    /// A fresh secret's hash.
    pub fn hash(&self) -> SecretHash {
        self.keyring.hash(&self.ids.new_secret("tok_"))
    }

    /// A name-spaced text (order ids, keys, nonces).
    pub fn unique(&self, what: &str) -> String {
        self.ids.new_id(what)
    }

    /// A miniapp created now, not yet stored.
    pub fn app(&self, webhook: bool) -> Miniapp {
        let now = self.now();
        Miniapp {
            id: AppId::generate(self.ids.as_ref()),
            name: NonEmptyString::parse("Contract Café ☕").must("a valid name"),
            secret_hash: self.hash(),
            webhook_url: webhook.then(|| {
                WebhookUrl::parse("https://merchant.example/hooks?x=1").must("a valid URL")
            }),
            secret_generation: 1,
            created_at: now,
            updated_at: now,
        }
    }

    /// A miniapp created now and stored.
    pub async fn stored_app(&self, ports: &StorePorts, webhook: bool) -> Miniapp {
        let app = self.app(webhook);
        ports
            .apps
            .insert(&app)
            .await
            .must("AppRepository::insert of a new app");
        app
    }

    /// A new payment of `app`, opened now, with its session and routed events.
    pub fn open(
        &self,
        app: &Miniapp,
        user: &str,
        amount: &str,
        channel: Channel,
        order_id: Option<&str>,
        details: PaymentDetails,
    ) -> NewPaymentWrite {
        let request = NewPayment {
            app_id: app.id.clone(),
            channel,
            user_id: text255(user),
            amount: positive(amount),
            currency: Currency::parse("USD").must("a currency"),
            miniapp_order_id: order_id.map(text255),
            details,
        };
        let Transition {
            payment,
            mut events,
        } = Payment::open(
            request,
            PaymentId::generate(self.ids.as_ref()),
            self.now(),
            self.ttl,
        );
        payment.route(&mut events, app.webhook_url.is_some());
        let session = PaymentSession {
            token_hash: self.hash(),
            payment_id: payment.id().clone(),
            created_at: self.now(),
            expires_at: payment.expires_at(),
        };
        NewPaymentWrite {
            payment,
            session,
            events,
            idempotent: None,
        }
    }

    /// Opens and stores a plain miniapp-channel payment.
    pub async fn stored_payment(
        &self,
        ports: &StorePorts,
        app: &Miniapp,
        user: &str,
        amount: &str,
    ) -> NewPaymentWrite {
        let write = self.open(
            app,
            user,
            amount,
            Channel::Miniapp,
            None,
            PaymentDetails::default(),
        );
        ports
            .payments
            .insert(write.clone())
            .await
            .must("PaymentRepository::insert of a new payment");
        write
    }

    /// The write of a transition, its events routed for `app`.
    pub fn write(&self, app: &Miniapp, transition: Transition) -> PaymentWrite {
        let Transition {
            payment,
            mut events,
        } = transition;
        payment.route(&mut events, app.webhook_url.is_some());
        PaymentWrite {
            payment,
            events,
            activity_events: Vec::new(),
            idempotent: None,
            reversal: None,
        }
    }

    /// Saves a transition (which must succeed) and returns the new state and its events.
    pub async fn save(
        &self,
        ports: &StorePorts,
        app: &Miniapp,
        transition: Transition,
        what: &str,
    ) -> (Payment, Vec<DomainEvent>) {
        let write = self.write(app, transition);
        let result = (write.payment.clone(), write.events.clone());
        ports.payments.save(write).await.must(what);
        result
    }
}

/// The stored payment, which must exist.
pub(crate) async fn stored(ports: &StorePorts, id: &PaymentId) -> Payment {
    ports
        .payments
        .get(id)
        .await
        .must("PaymentRepository::get")
        .must(&format!("PaymentRepository::get of stored payment {id}"))
}

/// Checks the paging rules on one page (at most `limit` items, `has_more` iff a cursor
/// follows, only the last page short) and returns the request of the next page.
pub(crate) fn next_page<T>(what: &str, page: &Page<T>, limit: u32) -> Option<PageRequest> {
    let count = page.items.len();
    assert!(
        count <= limit as usize,
        "contract: {what}: a page has {count} items, more than the limit {limit}"
    );
    assert_eq!(
        page.has_more,
        page.next_cursor.is_some(),
        "contract: {what}: has_more must be true exactly when a next_cursor is given"
    );
    let cursor = page.next_cursor.as_deref()?;
    assert_eq!(
        count, limit as usize,
        "contract: {what}: a page says more follow but is not full"
    );
    Some(PageRequest::parse(Some(limit), Some(cursor)).must(&format!("{what}: the cursor decodes")))
}

/// Every delivery in the outbox (all states), newest first.
pub(crate) async fn all_deliveries(ports: &StorePorts) -> Vec<Delivery> {
    let mut all = Vec::new();
    let mut request = PageRequest::first(100);
    loop {
        let page = ports.outbox.list(None, &request).await.must("Outbox::list");
        all.extend(page.items);
        let Some(cursor) = page.next_cursor else {
            break;
        };
        request = PageRequest::parse(Some(100), Some(&cursor)).must("Outbox::list cursor");
    }
    all
}

/// The deliveries of one event.
pub(crate) async fn deliveries_of(ports: &StorePorts, event: &DomainEvent) -> Vec<Delivery> {
    all_deliveries(ports)
        .await
        .into_iter()
        .filter(|delivery| delivery.event.id == event.id)
        .collect()
}

/// Asserts newest-first order by `(created_at, id)` without repeats.
pub(crate) fn assert_newest_first(what: &str, positions: &[(DateTime<Utc>, String)]) {
    for pair in positions.windows(2) {
        assert!(
            (pair[0].0, &pair[0].1) > (pair[1].0, &pair[1].1),
            "contract: {what}: not newest first by (created_at, id) without repeats: {:?} then {:?}",
            pair[0],
            pair[1]
        );
    }
}
