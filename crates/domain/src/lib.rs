//! # hostpay-domain
//!
//! The pure core of hostpay: the business of payments, refunds, order activities,
//! miniapps and user tokens, with no I/O. Adapters (the inbound API, SQL, outbound
//! clients) plug into the [`ports`]; the [`services`] are the use cases over them.
//!
//! - Values parsed at the edge: [`money::Money`], [`money::Currency`],
//!   [`validation::BoundedString`], [`validation::Latitude`], typed [`ids`]; these carry
//!   their serde (a value reads and writes the same everywhere).
//! - Aggregates with their state machines: [`payment::Payment`] (with refunds),
//!   [`order_activity::OrderActivity`], [`miniapp::Miniapp`].
//! - Single sign-on (Connect): [`connect::ConnectProfile`], [`connect::AuthCode`],
//!   [`connect::AccessToken`].
//! - Events for the transactional outbox: [`event::DomainEvent`] with its typed
//!   [`event::EventData`], delivered per [`delivery::RetryPolicy`].
//! - Idempotency: keys, their claims and the opaque replies the edge renders
//!   ([`idempotency::StoredReply`]).
//!
//! It owns no wire format (architecture rule 9): no JSON field names of a composite, no
//! transport status, route or header, no code of the miniapp platform's API, no database
//! column. The edges own those: the inbound API crate its DTOs and views, the store crate
//! its rows (and the stored names of enums), the platform crate the platform's wire, the
//! outbound adapters the webhook body. It must never import another crate of the
//! workspace (they all depend on it), a web framework, a web client or a database driver;
//! `tests/no_wire_formats.rs` keeps its sources free of the platform's name and of
//! transport statuses and routes.

#![deny(missing_docs)]

pub mod access;
pub mod connect;
mod decimal_text;
pub mod delivery;
pub mod event;
pub mod idempotency;
pub mod ids;
pub mod miniapp;
pub mod money;
pub mod order;
pub mod order_activity;
pub mod page;
pub mod payment;
pub mod ports;
pub mod services;
pub mod signing;
pub mod validation;
