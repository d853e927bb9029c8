//! Id and secret generation, on every write (payments, events, deliveries, tokens).
//! Run: `cargo bench -p hostpay-app --bench ids`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use hostpay_app::system::RandomIds;
use hostpay_domain::ids::IdGenerator;

fn ids(c: &mut Criterion) {
    let ids = RandomIds;
    c.bench_function("ids/new_id pay_", |b| {
        b.iter(|| ids.new_id(black_box("pay_")))
    });
    c.bench_function("ids/new_secret ps_", |b| {
        b.iter(|| ids.new_secret(black_box("ps_")))
    });
}

criterion_group!(benches, ids);
criterion_main!(benches);
