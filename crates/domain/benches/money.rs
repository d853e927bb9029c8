//! The domain's hot spot on every request that carries an amount: reading money exactly
//! (plain, with the currency's decimals, exponent notation) and currency codes.
//! Run: `cargo bench -p hostpay-domain --bench money`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use hostpay_domain::money::{Currency, Money};

fn money(c: &mut Criterion) {
    let usd = Currency::parse("USD").expect("USD");
    let kwd = Currency::parse("KWD").expect("KWD");
    c.bench_function("money/parse plain 12.50", |b| {
        b.iter(|| Money::parse(black_box("12.50")))
    });
    c.bench_function("money/parse_in USD 1234567.89", |b| {
        b.iter(|| Money::parse_in(black_box("1234567.89"), usd))
    });
    c.bench_function("money/parse_in KWD 10.500", |b| {
        b.iter(|| Money::parse_in(black_box("10.500"), kwd))
    });
    c.bench_function("money/parse exponent 1.5e3", |b| {
        b.iter(|| Money::parse(black_box("1.5e3")))
    });
    c.bench_function("money/refuse 12.345 in USD", |b| {
        b.iter(|| Money::parse_in(black_box("12.345"), usd))
    });
    c.bench_function("currency/parse EUR", |b| {
        b.iter(|| Currency::parse(black_box("EUR")))
    });
    let amount = Money::parse_in("1234.5", usd).expect("amount");
    c.bench_function("money/to_currency_string USD", |b| {
        b.iter(|| black_box(amount).to_currency_string(usd))
    });
}

criterion_group!(benches, money);
criterion_main!(benches);
