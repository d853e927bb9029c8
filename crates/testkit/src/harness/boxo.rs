//! The Boxo surface's harness: a hostpay over the testkit's in-memory ports with two
//! registered miniapps, the integration's credentials, order bodies and request signing;
//! [`boxo_app!`](crate::boxo_app) and [`boxo_call!`](crate::boxo_call) drive the public
//! listener's Boxo routes.

use hostpay_boxo::signing::{OutgoingRequest, Signer, Verifier};
use hostpay_boxo::SigningSettings;
use hostpay_domain::miniapp::MiniappRegistration;
use hostpay_domain::services::{Ports, Services, Settings};
use hostpay_domain::validation::NonEmptyString;
use hostpay_http::{AppState, BoxoSettings, HttpSettings};
use serde_json::{json, Value};

pub use super::auth::{
    boxo_authorization as authorization, ADMIN_TOKEN, BOXO_CLIENT_ID as CLIENT_ID,
    BOXO_SECRET_KEY as SECRET_KEY, BOXO_SIGNING_SECRET as SIGNING_SECRET,
};
use crate::wiring::{in_memory_ports, test_settings, Handles};

/// The surface with credentials, no allow-list, no signing.
pub fn boxo_settings() -> BoxoSettings {
    BoxoSettings {
        client_id: Some(CLIENT_ID.to_owned()),
        secret_key: Some(SECRET_KEY.to_owned()),
        ..BoxoSettings::default()
    }
}

/// `boxo.signing.*` with [`SIGNING_SECRET`] (HMAC-SHA256, every other key its default)
/// and incoming calls verified.
pub fn hmac_signing() -> SigningSettings {
    SigningSettings {
        secret: Some(SIGNING_SECRET.to_owned()),
        verify_incoming: true,
        ..SigningSettings::default()
    }
}

/// The signer of [`hmac_signing`] (what the platform and hostpay both sign with).
pub fn hmac_signer() -> Signer {
    hmac_signing().validate().unwrap().signer.unwrap()
}

/// The verifier of [`hmac_signing`].
pub fn hmac_verifier() -> Verifier {
    hmac_signing().validate().unwrap().verifier.unwrap()
}

/// The surface with incoming signatures required.
pub fn signed_settings() -> BoxoSettings {
    let mut settings = boxo_settings();
    settings.verify_incoming = true;
    settings.verifier = Some(hmac_verifier());
    settings
}

/// A hostpay with two miniapps.
pub struct World {
    /// What handlers see.
    pub state: AppState,
    /// The in-memory ports.
    pub handles: Handles,
    /// The miniapp the tests order for.
    pub app_id: String,
    /// Another miniapp.
    pub other_app_id: String,
}

/// A world over the in-memory ports.
pub async fn world(boxo: BoxoSettings) -> World {
    world_with(boxo, test_settings(), |_| {}).await
}

/// A world whose ports and settings the test adjusts.
pub async fn world_with(
    boxo: BoxoSettings,
    settings: Settings,
    adjust: impl FnOnce(&mut Ports),
) -> World {
    let (mut ports, handles) = in_memory_ports();
    adjust(&mut ports);
    let services = Services::new(ports, settings);
    let mut ids = Vec::new();
    for name in ["Coffee Corner", "Other Shop"] {
        let (app, _) = services
            .apps
            .register(MiniappRegistration {
                name: NonEmptyString::parse(name).unwrap(),
                webhook_url: None,
            })
            .await
            .unwrap();
        ids.push(app.id.to_string());
    }
    World {
        state: AppState {
            services,
            settings: HttpSettings {
                admin_token: Some(ADMIN_TOKEN.to_owned()),
                boxo,
                ..HttpSettings::default()
            },
        },
        handles,
        app_id: ids[0].clone(),
        other_app_id: ids[1].clone(),
    }
}

/// A valid order body for `app_id` with its own `miniapp_order_id`.
pub fn order_body(app_id: &str, order_id: &str) -> Value {
    json!({
        "app_id": app_id,
        "order": {
            "currency": "SAR",
            "amount": "25.00",
            "subtotal_amount": 22.5,
            "shipping_amount": "2.50",
            "discount_amount": 0,
            "tax_title": "VAT",
            "tax_amount": "3.26",
            "taxes_included": true,
            "note": "no sugar",
            "custom_attributes": {"table": "7"},
            "miniapp_order_id": order_id,
            "hostapp_user_id": "u-42",
            "items": [
                {"product_name": "Tea", "product_sku": "TEA-1", "quantity": 2, "price": "12.50"}
            ],
            "shipping_address": {"city": "Riyadh", "latitude": 24.7136, "longitude": "46.6753"}
        }
    })
}

/// The signature headers of a request signed with [`SIGNING_SECRET`].
pub fn signature_headers(
    path_and_query: &str,
    body: &[u8],
    timestamp: i64,
    nonce: &str,
) -> Vec<(&'static str, String)> {
    let headers = hmac_signer()
        .sign(&OutgoingRequest {
            method: "POST",
            url: path_and_query,
            body,
            timestamp: chrono::DateTime::from_timestamp(timestamp, 0).unwrap(),
            nonce,
            client_id: CLIENT_ID,
        })
        .unwrap();
    let name = |header: &str| -> &'static str {
        ["X-Signature", "X-Timestamp", "X-Nonce", "X-Client-Id"]
            .into_iter()
            .find(|known| known.eq_ignore_ascii_case(header))
            .unwrap()
    };
    headers
        .iter()
        .map(|(header, value)| (name(header), value.to_owned()))
        .collect()
}

/// An actix test service of the public listener (the Boxo routes among them) over this
/// state.
#[macro_export]
macro_rules! boxo_app {
    ($state:expr) => {
        actix_web::test::init_service(
            actix_web::App::new()
                .app_data(actix_web::web::Data::new($state.clone()))
                .configure($crate::harness::boxo::public_app),
        )
        .await
    };
}

/// Calls the app and returns the JSON body, asserting HTTP 200 (Boxo's rule).
#[macro_export]
macro_rules! boxo_call {
    ($app:expr, $request:expr) => {{
        let response = actix_web::test::call_service(&$app, $request.to_request()).await;
        assert_eq!(
            response.status(),
            200,
            "the Boxo surface always answers 200"
        );
        let body: serde_json::Value = actix_web::test::read_body_json(response).await;
        body
    }};
}

/// A POST of `body` to `path` with the integration's credentials.
pub fn post(path: &str, body: &Value) -> actix_web::test::TestRequest {
    actix_web::test::TestRequest::post()
        .uri(path)
        .insert_header(("Authorization", authorization()))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(serde_json::to_vec(body).unwrap())
}

/// The `error_code` of an answer (panics on a success).
pub fn error_code(answer: &Value) -> String {
    answer["error_code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error, got {answer}"))
        .to_owned()
}

#[doc(hidden)]
pub use hostpay_http::public_app;
