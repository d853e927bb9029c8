//! # hostpay-domain
//!
//! The pure core of hostpay: the business of payments, refunds, order activities,
//! miniapps and user tokens, with no I/O. Adapters (HTTP, SQL, HTTP clients) plug into
//! the [`ports`]; the [`services`] are the use cases over them.
//!
//! - Values parsed at the edge: [`money::Money`], [`money::Currency`],
//!   [`validation::BoundedString`], [`validation::Latitude`], typed [`ids`].
//! - Aggregates with their state machines: [`payment::Payment`] (with refunds),
//!   [`order_activity::OrderActivity`], [`miniapp::Miniapp`].
//! - Boxo Connect's single sign-on: [`connect::ConnectProfile`], [`connect::AuthCode`],
//!   [`connect::AccessToken`].
//! - Events for the transactional outbox: [`event::DomainEvent`], delivered per
//!   [`delivery::RetryPolicy`].

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
