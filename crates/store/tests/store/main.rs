//! hostpay-store's integration tests, one binary: each module checks one behaviour of the
//! SQLite and PostgreSQL stores (PostgreSQL databases cloned from the migrated template,
//! except where migrations themselves are under test).

mod abandoned_calls;
mod column_types;
mod connection_lanes;
mod contract;
mod creation_batches;
mod migrations;
mod money_scale;
mod queries_use_indexes;
mod shared_outbox_claims;
