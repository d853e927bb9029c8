//! The credentials every harness configures, in one place, and the headers that carry
//! them.

use base64::Engine;

/// The admin token of the internal API (the in-process app and `hostpay serve` alike).
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdef";
/// The hash key `hostpay serve` runs with in the process tests (the in-process services
/// use [`TEST_HASH_KEY`](crate::wiring::TEST_HASH_KEY)).
pub const HASH_KEY: &str = "test-hash-key-0123456789abcdef-xyz";
/// The Boxo platform's client id (`boxo.client_id`) the app accepts and signs with.
pub const BOXO_CLIENT_ID: &str = "host_demo";
/// Its secret key (`boxo.secret_key`).
pub const BOXO_SECRET_KEY: &str = "host_secret_key";
/// The Boxo signing secret (`boxo.signing.secret`).
pub const BOXO_SIGNING_SECRET: &str = "boxo-signing-secret";

/// `Token base64(id:secret)`: a miniapp's (app id and secret key) or the Boxo
/// platform's (client id and secret key) `Authorization` header.
pub fn token_header(id: &str, secret: &str) -> String {
    format!(
        "Token {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

/// `Bearer <ADMIN_TOKEN>`.
pub fn admin_bearer() -> String {
    format!("Bearer {ADMIN_TOKEN}")
}

/// The Boxo platform's `Authorization` header: [`token_header`] of [`BOXO_CLIENT_ID`] and
/// [`BOXO_SECRET_KEY`].
pub fn boxo_authorization() -> String {
    token_header(BOXO_CLIENT_ID, BOXO_SECRET_KEY)
}
