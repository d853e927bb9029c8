//! Short-lived bearer credentials: [`UserToken`] (what `ft.getUserToken()` returns) and
//! [`PaymentSession`] (what opens the payment sheet). Both are random, stored only as keyed
//! hashes, bound to one owner and expiring.

use chrono::{DateTime, Utc};

use crate::ids::{AppId, PaymentId};
use crate::miniapp::SecretHash;
use crate::order::UserRef;

/// A user token minted for one miniapp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserToken {
    /// Keyed hash of the token.
    pub token_hash: SecretHash,
    /// The miniapp it was minted for.
    pub app_id: AppId,
    /// The user it names.
    pub user_id: UserRef,
    /// Minted.
    pub created_at: DateTime<Utc>,
    /// Stops working.
    pub expires_at: DateTime<Utc>,
}

impl UserToken {
    /// The user, when the token is valid for `app_id` at `now`.
    pub fn user_for(&self, app_id: &AppId, now: DateTime<Utc>) -> Option<&UserRef> {
        (self.app_id == *app_id && now < self.expires_at).then_some(&self.user_id)
    }
}

/// A payment session: the credential the payment sheet uses to confirm or cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentSession {
    /// Keyed hash of the session token.
    pub token_hash: SecretHash,
    /// The one payment it opens.
    pub payment_id: PaymentId,
    /// Issued.
    pub created_at: DateTime<Utc>,
    /// Stops working.
    pub expires_at: DateTime<Utc>,
}

impl PaymentSession {
    /// Whether the session opens `payment_id` at `now`.
    pub fn opens(&self, payment_id: &PaymentId, now: DateTime<Utc>) -> bool {
        self.payment_id == *payment_id && now < self.expires_at
    }
}

/// A session as handed to the caller, once: the plain token and where to use it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionCredentials {
    /// The bearer token for `/checkout/{id}/confirm|cancel`.
    pub token: String,
    /// The hosted payment sheet.
    pub checkout_url: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for SessionCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCredentials")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The longest a pay grant lives (never past its payment's session either).
pub const PAY_GRANT_LIFETIME: chrono::Duration = chrono::Duration::minutes(5);

/// A pay grant: the one credential that may confirm (charge) a payment. The host's backend
/// mints it for its logged-in user, who must be the payment's user; it is bound to that
/// payment and user, lives at most [`PAY_GRANT_LIFETIME`], and is stored as a keyed hash.
/// A miniapp never receives one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayGrant {
    /// Keyed hash of the grant.
    pub token_hash: SecretHash,
    /// The one payment it may pay.
    pub payment_id: PaymentId,
    /// The user it was minted for (the payment's user).
    pub user_id: UserRef,
    /// Minted.
    pub created_at: DateTime<Utc>,
    /// Stops working.
    pub expires_at: DateTime<Utc>,
}

impl PayGrant {
    /// Whether the grant may pay `payment_id`, owned by `payment_user`, at `now`.
    pub fn authorizes(
        &self,
        payment_id: &PaymentId,
        payment_user: &UserRef,
        now: DateTime<Utc>,
    ) -> bool {
        self.payment_id == *payment_id && self.user_id == *payment_user && now < self.expires_at
    }
}

/// A pay grant as handed to the host's backend, once.
#[derive(Clone, PartialEq, Eq)]
pub struct GrantCredentials {
    /// The bearer token for `/checkout/{id}/confirm` and the full sheet.
    pub grant: String,
    /// The full payment sheet (`?grant=`).
    pub checkout_url: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for GrantCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrantCredentials")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}
