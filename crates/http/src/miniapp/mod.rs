//! The miniapp API (`/api/v1`, api.md section 3), authenticated with
//! `Authorization: Token base64(app_id:secret_key)`. Its routes are registered by
//! [`crate::routes`].

pub mod order_activities;
pub mod payments;
pub mod users;
