//! The success envelope around each view, by name, as the OpenAPI documents show it
//! (`{"status_code", "result", "success", "data"}`; what is sent is
//! [`crate::edge::envelope::success`] around the view itself). A generic envelope would
//! be named after its parameter by utoipa (`Success_PaymentView`), so each is spelled out.

use utoipa::ToSchema;

use crate::views::app::{AppCredentials, AppView, UserTokenView, VerifiedUser};
use crate::views::order_activity::OrderActivityView;
use crate::views::payment::{GrantView, PaymentView, PaymentWithSession, RefundView};

macro_rules! envelope_doc {
    ($(#[$doc:meta])* $name:ident, $data:ty) => {
        $(#[$doc])*
        #[derive(ToSchema)]
        #[allow(dead_code)]
        pub struct $name {
            /// Equals the HTTP status.
            status_code: u16,
            /// `Operation Completed Successfully`.
            #[schema(example = "Operation Completed Successfully")]
            result: String,
            /// `true`.
            success: bool,
            /// The object.
            data: $data,
        }
    };
}

envelope_doc!(
    /// Envelope of a payment.
    PaymentEnvelope,
    PaymentView
);
envelope_doc!(
    /// Envelope of a payment with its session.
    PaymentWithSessionEnvelope,
    PaymentWithSession
);
envelope_doc!(
    /// Envelope of a pay grant.
    GrantEnvelope,
    GrantView
);
envelope_doc!(
    /// Envelope of a refund.
    RefundEnvelope,
    RefundView
);
envelope_doc!(
    /// Envelope of a page of payments.
    PaymentPageEnvelope,
    PaymentPageDoc
);
envelope_doc!(
    /// Envelope of an order activity.
    OrderActivityEnvelope,
    OrderActivityView
);
envelope_doc!(
    /// Envelope of a page of order activities.
    OrderActivityPageEnvelope,
    OrderActivityPageDoc
);
envelope_doc!(
    /// Envelope of a verified user.
    VerifiedUserEnvelope,
    VerifiedUser
);
envelope_doc!(
    /// Envelope of a miniapp's credentials.
    AppCredentialsEnvelope,
    AppCredentials
);
envelope_doc!(
    /// Envelope of the registered miniapps.
    AppListEnvelope,
    Vec<AppView>
);
envelope_doc!(
    /// Envelope of a user token.
    UserTokenEnvelope,
    UserTokenView
);

/// A page of payments, newest first.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PaymentPageDoc {
    /// The payments.
    items: Vec<PaymentView>,
    /// Pass as `cursor` for the next page; null on the last.
    next_cursor: Option<String>,
    /// Whether more follow.
    has_more: bool,
}

/// A page of order activities, newest first.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct OrderActivityPageDoc {
    /// The order activities.
    items: Vec<OrderActivityView>,
    /// Pass as `cursor` for the next page; null on the last.
    next_cursor: Option<String>,
    /// Whether more follow.
    has_more: bool,
}
