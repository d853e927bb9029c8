//! `POST /boxo/v1/order-payments` (create an order payment) and
//! `POST /boxo/v1/order-payments/status` (its status).

use actix_web::{web, HttpRequest, HttpResponse};
use hostpay_domain::money::{Currency, Money, PositiveMoney};
use hostpay_domain::order::{OrderDetails, UserRef};
use hostpay_domain::validation::{BoundedString, NonEmptyString};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use serde_json::json;

use crate::boxo::admission::{admit_as, Accepts, Caller};
use crate::edge::boxo::{respond, BoxoErrorCode, BoxoFailure};
use crate::edge::order::{OrderItemInput, ShippingAddressInput};
use crate::state::AppState;

/// The header naming the host app's user when the order does not.
pub const USER_HEADER: &str = "X-User-ID";

/// Body of create order payment.
#[derive(Debug, Deserialize)]
pub struct CreateOrderPayment {
    /// The miniapp.
    pub app_id: String,
    /// The order.
    pub order: OrderInput,
}

/// Boxo's OrderDetails as sent (`order` of create order payment), with every documented
/// field and limit; [`OrderInput::into_domain`] makes the domain's [`OrderDetails`].
#[derive(Debug, Deserialize)]
#[serde(rename = "OrderDetails")]
pub struct OrderInput {
    /// ISO 4217 code.
    pub currency: Currency,
    /// The order total, > 0.
    pub amount: PositiveMoney,
    /// Before tax and shipping.
    #[serde(default)]
    pub subtotal_amount: Option<Money>,
    /// Shipping cost.
    #[serde(default)]
    pub shipping_amount: Option<Money>,
    /// Total discount.
    #[serde(default)]
    pub discount_amount: Option<Money>,
    /// The tax's name, String(250).
    #[serde(default)]
    pub tax_title: Option<BoundedString<250>>,
    /// Tax amount.
    #[serde(default)]
    pub tax_amount: Option<Money>,
    /// Whether prices include tax.
    #[serde(default)]
    pub taxes_included: Option<bool>,
    /// Free text.
    #[serde(default)]
    pub note: Option<BoundedString<65536>>,
    /// Arbitrary attributes, passed back in complete-order.
    #[serde(default)]
    pub custom_attributes: Option<serde_json::Value>,
    /// The miniapp's order id, String(255).
    #[serde(default)]
    pub miniapp_order_id: Option<NonEmptyString<255>>,
    /// The host app's user, String(255).
    #[serde(default)]
    pub hostapp_user_id: Option<UserRef>,
    /// The lines.
    #[serde(default)]
    pub items: Vec<OrderItemInput>,
    /// Where it goes.
    #[serde(default)]
    pub shipping_address: Option<ShippingAddressInput>,
}

impl OrderInput {
    /// The domain's order.
    pub fn into_domain(self) -> OrderDetails {
        OrderDetails {
            currency: self.currency,
            amount: self.amount,
            subtotal_amount: self.subtotal_amount,
            shipping_amount: self.shipping_amount,
            discount_amount: self.discount_amount,
            tax_title: self.tax_title,
            tax_amount: self.tax_amount,
            taxes_included: self.taxes_included,
            note: self.note,
            custom_attributes: self.custom_attributes,
            miniapp_order_id: self.miniapp_order_id,
            hostapp_user_id: self.hostapp_user_id,
            items: OrderItemInput::all_into_domain(self.items),
            shipping_address: self.shipping_address.map(ShippingAddressInput::into_domain),
        }
    }
}

/// Body of get order payment status.
#[derive(Debug, Deserialize)]
pub struct OrderPaymentStatus {
    /// The miniapp.
    pub app_id: String,
    /// The host's client id, as Boxo knows it (must match `boxo.client_id` when given).
    #[serde(default)]
    pub client_id: Option<String>,
    /// The payment's id.
    pub order_payment_id: String,
}

/// Creates (or finds again) the payment of a Boxo order: `{"order_payment_id": "pay_..."}`.
pub async fn create(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    respond(
        async {
            let (body, caller) = admit_as(&req, payload, &state, accepts(&state)).await?;
            token_valid(&state, &caller).await?;
            let request: CreateOrderPayment = parse(&body)?;
            let app_id = request.app_id;
            let mut order = request.order.into_domain();
            let user = match token_user(&state, &caller, &app_id).await? {
                Some(user) => {
                    // The token's user is the payment's user.
                    if order
                        .hostapp_user_id
                        .as_ref()
                        .is_some_and(|given| *given != user)
                    {
                        return Err(BoxoFailure::new(
                            BoxoErrorCode::AccessDenied,
                            "order.hostapp_user_id is not the access token's user",
                        ));
                    }
                    order.hostapp_user_id = Some(user.clone());
                    Some(user)
                }
                None => header_user(&req)?,
            };
            let id = state
                .services
                .platform_orders
                .create_order_payment(&app_id, order, user)
                .await?;
            Ok(json!({ "order_payment_id": id }))
        }
        .await,
    )
}

/// The status of an order payment, in Boxo's terms (a refunded payment reads `paid`).
pub async fn status(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    respond(
        async {
            let (body, caller) = admit_as(&req, payload, &state, accepts(&state)).await?;
            token_valid(&state, &caller).await?;
            let request: OrderPaymentStatus = parse(&body)?;
            let token_user = token_user(&state, &caller, &request.app_id).await?;
            let client_id = state.settings.boxo.client_id.clone().unwrap_or_default();
            if request
                .client_id
                .as_deref()
                .is_some_and(|given| given != client_id)
            {
                return Err(BoxoFailure::new(
                    BoxoErrorCode::AccessDenied,
                    "client_id does not match this host's client id",
                ));
            }
            let payment = state
                .services
                .platform_orders
                .status(&request.app_id, &request.order_payment_id)
                .await?;
            if token_user.is_some_and(|user| user != *payment.user_id()) {
                // Another user's payment is not found, as another miniapp's is.
                return Err(BoxoFailure::new(
                    BoxoErrorCode::OrderNotFound,
                    format!("no order payment {}", request.order_payment_id),
                ));
            }
            Ok(json!({
                "app_id": payment.app_id(),
                "client_id": client_id,
                "order_payment_id": payment.id(),
                "payment_status": hostpay_boxo::order::payment_status(payment.status()),
                "payment_fail_reason": payment.fail_reason(),
            }))
        }
        .await,
    )
}

/// Which credentials the payment calls take: an access token too with
/// `boxo.accept_access_token`.
fn accepts(state: &AppState) -> Accepts {
    if state.settings.boxo.accept_access_token {
        Accepts::PlatformOrToken
    } else {
        Accepts::Platform
    }
}

/// Whether the access token of an access-token call is valid and unexpired
/// (`INVALID_ACCESS_TOKEN`, `EXPIRED_ACCESS_TOKEN`), checked before the body is parsed so
/// that a caller without a valid token learns nothing about the body; the token's
/// miniapp is compared with the body's `app_id` afterwards, by [`token_user`].
async fn token_valid(state: &AppState, caller: &Caller) -> Result<(), BoxoFailure> {
    match caller {
        Caller::Platform => Ok(()),
        Caller::AccessToken(token) => {
            Ok(state.services.connect.validate_access_token(token).await?)
        }
    }
}

/// The user of an access-token call ("use access token"): the token must be the
/// miniapp `app_id`'s (else `ACCESS_DENIED`), valid and unexpired. `None` for the
/// platform's own credentials.
async fn token_user(
    state: &AppState,
    caller: &Caller,
    app_id: &str,
) -> Result<Option<UserRef>, BoxoFailure> {
    match caller {
        Caller::Platform => Ok(None),
        Caller::AccessToken(token) => Ok(Some(
            state
                .services
                .connect
                .access_token_user(app_id, token)
                .await?,
        )),
    }
}

/// Parses a body: not JSON (or empty) is `PARSING_ERROR_INVALID_REQUEST_BODY`; JSON that
/// does not fit (missing field, wrong type, out of limits) is `INVALID_ORDER_DATA`
/// naming the field's path.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, BoxoFailure> {
    parse_as(body, BoxoErrorCode::InvalidOrderData)
}

/// [`parse`], with JSON that does not fit answered `misfit` (the Connect calls carry no
/// order: `PARSING_ERROR_INVALID_REQUEST_BODY`, see [`crate::edge::boxo::misfit_code`]).
pub fn parse_as<T: DeserializeOwned>(body: &[u8], misfit: BoxoErrorCode) -> Result<T, BoxoFailure> {
    let not_json =
        |why: String| BoxoFailure::new(BoxoErrorCode::ParsingErrorInvalidRequestBody, why);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(not_json("the body is empty".to_owned()));
    }
    serde_json::from_slice::<IgnoredAny>(body)
        .map_err(|error| not_json(format!("the body is not JSON: {error}")))?;
    if let Some(field) = crate::edge::control_chars::body_field_with_control(body) {
        return Err(BoxoFailure::new(
            misfit,
            format!("{field}: {}", crate::edge::control_chars::MESSAGE),
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let message = strip_position(&error.into_inner().to_string());
        let text = if path == "." || path.is_empty() {
            message
        } else {
            format!("{path}: {message}")
        };
        BoxoFailure::new(misfit, text)
    })
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

fn header_user(req: &HttpRequest) -> Result<Option<UserRef>, BoxoFailure> {
    let Some(value) = req.headers().get(USER_HEADER) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| {
        BoxoFailure::new(
            BoxoErrorCode::InvalidOrderData,
            format!("{USER_HEADER}: must be visible ASCII"),
        )
    })?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    UserRef::parse(text).map(Some).map_err(|error| {
        BoxoFailure::new(
            BoxoErrorCode::InvalidOrderData,
            format!("{USER_HEADER}: {error}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_separates_not_json_from_bad_fields() {
        let code = |body: &[u8]| parse::<CreateOrderPayment>(body).unwrap_err().code;
        assert_eq!(code(b""), BoxoErrorCode::ParsingErrorInvalidRequestBody);
        assert_eq!(code(b"  \n"), BoxoErrorCode::ParsingErrorInvalidRequestBody);
        assert_eq!(
            code(b"{\"app_id\":"),
            BoxoErrorCode::ParsingErrorInvalidRequestBody
        );
        assert_eq!(code(b"[]"), BoxoErrorCode::InvalidOrderData);
        assert_eq!(code(b"{}"), BoxoErrorCode::InvalidOrderData);
        // More decimals than any currency has: refused by the parse itself (a currency's
        // minor unit is checked by the service, see `PlatformOrderService::create_order_payment`).
        let failure = parse::<CreateOrderPayment>(
            br#"{"app_id":"app_x","order":{"currency":"SAR","amount":"1.00001"}}"#,
        )
        .unwrap_err();
        assert_eq!(failure.code, BoxoErrorCode::InvalidOrderData);
        assert!(
            failure.message.starts_with("order.amount"),
            "{}",
            failure.message
        );
    }
}
