//! Payments created per second through the real `PaymentRepository::insert` (one
//! transaction: payment, its item, its session, `payment.created` and its webhook delivery).
//!
//! ```text
//! cargo run --release -p hostpay-store --example bench -- --url sqlite:///tmp/hostpay-bench.db --n 2000
//! cargo run --release -p hostpay-store --example bench -- --url postgres://postgres@127.0.0.1:5432/hostpay_bench --n 2000 --concurrency 8
//! ```
//! The database is migrated first; every run uses new ids, so it can be reused.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use hostpay_domain::access::PaymentSession;
use hostpay_domain::ids::{AppId, IdGenerator, PaymentId};
use hostpay_domain::miniapp::{Miniapp, SecretKeyring, WebhookUrl};
use hostpay_domain::money::{Currency, Money, PositiveMoney};
use hostpay_domain::order::PaymentDetails;
use hostpay_domain::payment::{Channel, NewPayment, Payment};
use hostpay_domain::ports::{NewPaymentWrite, PaymentRepository};
use hostpay_domain::validation::NonEmptyString;
use hostpay_store::{connect, StoreOptions};

struct RunIds {
    run: String,
    next: AtomicU64,
}

impl IdGenerator for RunIds {
    fn new_id(&self, prefix: &str) -> String {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        format!("{prefix}{}{n:010}", self.run)
    }
    fn new_secret(&self, prefix: &str) -> String {
        self.new_id(prefix)
    }
}

struct Args {
    url: String,
    n: u64,
    concurrency: u64,
}

fn args() -> Result<Args, String> {
    let mut url = None;
    let mut n = 2000;
    let mut concurrency = 1;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--url" => url = Some(value()?),
            "--n" => n = value()?.parse().map_err(|_| "--n takes a number")?,
            "--concurrency" => {
                concurrency = value()?
                    .parse()
                    .map_err(|_| "--concurrency takes a number")?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        url: url.ok_or("--url is required")?,
        n,
        concurrency: concurrency.max(1),
    })
}

type BenchResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn new_payment(
    app: &Miniapp,
    ids: &RunIds,
    now: DateTime<Utc>,
    keyring: &SecretKeyring,
) -> BenchResult<NewPaymentWrite> {
    let details: PaymentDetails = hostpay_testkit::orders::payment_details(serde_json::json!({
        "description": "bench",
        "items": [{"product_name": "Coffee", "quantity": 2, "price": "4.50"}]
    }));
    let request = NewPayment {
        app_id: app.id.clone(),
        channel: Channel::Miniapp,
        user_id: NonEmptyString::parse("bench-user")?,
        amount: PositiveMoney::new(Money::parse("9.00")?)?,
        currency: Currency::parse("USD")?,
        miniapp_order_id: None,
        details,
    };
    let mut opened = Payment::open(
        request,
        PaymentId::generate(ids),
        now,
        Duration::minutes(15),
    );
    opened.payment.route(&mut opened.events, true);
    let session = PaymentSession {
        token_hash: keyring.hash(&ids.new_secret("pst_")),
        payment_id: opened.payment.id().clone(),
        created_at: now,
        expires_at: opened.payment.expires_at(),
    };
    Ok(NewPaymentWrite {
        payment: opened.payment,
        session,
        events: opened.events,
        idempotent: None,
    })
}

#[tokio::main]
async fn main() -> BenchResult<()> {
    let args = args()
        .map_err(|error| format!("{error}\nusage: bench --url URL [--n 2000] [--concurrency 1]"))?;
    // This runs on a multi-threaded runtime, whose tasks use PostgreSQL's shared lane: a
    // budget of `concurrency * (cores + 2)` leaves that lane at least `concurrency`
    // connections (see `database.pool_size` in docs/operations.md).
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let concurrency = usize::try_from(args.concurrency).unwrap_or(1).max(2);
    let options = StoreOptions {
        pool: hostpay_store::PoolSettings {
            max_connections: concurrency * (cores + 2),
            ..Default::default()
        },
        migrate: true,
    };
    let store = connect(&args.url, options).await?;
    let run = format!(
        "{:x}",
        Utc::now().timestamp_micros() ^ i64::from(std::process::id())
    );
    let ids = Arc::new(RunIds {
        run,
        next: AtomicU64::new(0),
    });
    let keyring = SecretKeyring::new(b"bench".to_vec());
    let now = Utc::now();
    let app = Miniapp {
        id: AppId::generate(ids.as_ref()),
        name: NonEmptyString::parse("Bench")?,
        secret_hash: keyring.hash("secret"),
        webhook_url: Some(WebhookUrl::parse("https://bench.example/hook")?),
        secret_generation: 1,
        created_at: now,
        updated_at: now,
    };
    store.apps().insert(&app).await?;

    // Build every write first: the clock measures the database only.
    let per_task = args.n / args.concurrency;
    let mut batches = Vec::new();
    for _ in 0..args.concurrency {
        let batch: Vec<NewPaymentWrite> = (0..per_task)
            .map(|_| new_payment(&app, &ids, Utc::now(), &keyring))
            .collect::<BenchResult<_>>()?;
        batches.push(batch);
    }
    let total = per_task * args.concurrency;
    let payments: Arc<dyn PaymentRepository> = store.payments();
    let started = Instant::now();
    let tasks: Vec<_> = batches
        .into_iter()
        .map(|batch| {
            let payments = payments.clone();
            tokio::spawn(async move {
                for write in batch {
                    payments.insert(write).await?;
                }
                Ok::<(), hostpay_domain::ports::StoreError>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{backend}: {total} payments in {elapsed:.2} s with {c} task(s): {rate:.0} payments/s",
        backend = store.backend().as_str(),
        c = args.concurrency,
        rate = total as f64 / elapsed,
    );
    Ok(())
}
