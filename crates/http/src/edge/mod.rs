//! What every surface shares at the edge of HTTP: the wire envelopes and the one mapping
//! of domain errors onto them, the JSON extractors, the auth extractors, pagination, ids
//! read from the path and idempotency keys. Nothing here knows a surface or a route.
//!
//! - [`envelope`]: `ApiError`, the success and error envelopes of the miniapp, checkout
//!   and internal APIs; [`errors`]: domain error -> code, status and details;
//! - [`boxo`]: the Boxo host API's answers (HTTP 200, `error_code`) and its error mapping;
//! - [`html`]: the payment sheet's HTML answers and its error pages;
//! - [`json`], [`strict_json`], [`control_chars`]: the body and input checks;
//! - [`auth`]: miniapp token, admin bearer, checkout bearer;
//! - [`pagination`], [`ids`], [`idempotency`]: query, path and header values;
//! - [`order`]: the order shapes two surfaces read (items, shipping address, delivery).

pub mod auth;
pub mod boxo;
pub mod control_chars;
pub mod envelope;
pub mod errors;
pub mod html;
pub mod idempotency;
pub mod ids;
pub mod json;
pub mod order;
pub mod pagination;
pub mod strict_json;
