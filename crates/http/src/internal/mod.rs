//! The internal API (`/internal/v1`, api.md section 7), bearer `internal.admin_token`
//! compared in constant time ([`crate::edge::auth::AdminAuth`]); with no token configured
//! every call is refused. Its routes are registered by [`crate::routes`].

pub mod apps;
pub mod deliveries;
pub mod payments;
pub mod user_tokens;
