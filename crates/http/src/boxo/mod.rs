//! The Boxo host API (`/boxo/v1`, api.md section 4): what a Boxo-style miniapp platform
//! calls. Always HTTP 200, with either the result or `{"error_code", "error_message"}`.
//!
//! Checks, in this order: integration configured (`NO_INTEGRATION`), IP allow-list
//! (`NOT_A_WHITELISTED_IP`), request signature when `boxo.signing.verify_incoming` is on
//! (`MISSING_HEADER`, `INVALID_SIGNATURE`), credentials (`ACCESS_DENIED`), body
//! (`PARSING_ERROR_INVALID_REQUEST_BODY`, `INVALID_ORDER_DATA`), then the use case's own
//! errors (`MINIAPP_NOT_FOUND`, `HOSTAPP_USER_ID_REQUIRED`, `ORDER_NOT_FOUND`,
//! `UNKNOWN_ERROR`). Its routes are registered by [`crate::routes`]; its wire answers
//! (`{"error_code", "error_message"}`) are [`crate::edge::boxo`].

pub mod admission;
pub mod client_ip;
pub mod order_payments;
