//! Audit: the wire views and settings that carry secrets never print them in `Debug`
//! output (a `tracing` field or an error message made with `{:?}` would log them).

use chrono::{TimeZone, Utc};
use hostpay_http::boxo::admission::Integration;
use hostpay_http::views::app::AppCredentials;
use hostpay_http::views::app::UserTokenView;
use hostpay_http::views::payment::SessionView;

const SECRET: &str = "s3cr3t-value-never-printed";

#[test]
fn views_holding_secrets_mask_them_in_debug() {
    let at = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let shown = [
        format!(
            "{:?}",
            AppCredentials {
                app_id: "app_1".to_owned(),
                name: "Pizza".to_owned(),
                webhook_url: None,
                secret_key: SECRET.to_owned(),
                webhook_secret: SECRET.to_owned(),
                created_at: at,
            }
        ),
        format!(
            "{:?}",
            UserTokenView {
                token: SECRET.to_owned(),
                expires_at: at,
                user_id: "u".to_owned(),
                app_id: "app_1".to_owned(),
            }
        ),
        format!(
            "{:?}",
            SessionView {
                token: SECRET.to_owned(),
                checkout_url: format!("http://pay.test/checkout/pay_1?session={SECRET}"),
                expires_at: at,
            }
        ),
        format!(
            "{:?}",
            Integration {
                client_id: "client",
                secret_key: SECRET,
            }
        ),
    ];
    for text in shown {
        assert!(!text.contains(SECRET), "a secret in Debug output: {text}");
    }
}
