//! Why hostpay cannot start (or a command cannot run).

/// Why hostpay cannot start (or a command cannot run).
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The database cannot be opened or migrated.
    #[error("database ({key}): {reason}")]
    Database {
        /// The configuration key involved (`database.url`).
        key: &'static str,
        /// Why.
        reason: String,
    },
    /// An upstream client cannot be built from its settings.
    #[error("{key}: {reason}")]
    Upstream {
        /// The configuration key involved.
        key: &'static str,
        /// Why.
        reason: String,
    },
    /// A listener cannot bind.
    #[error("{key}: cannot listen on {address}: {reason}")]
    Bind {
        /// `server.bind` or `internal.bind`.
        key: &'static str,
        /// The address.
        address: String,
        /// Why.
        reason: String,
    },
}
