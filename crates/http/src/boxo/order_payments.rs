//! `POST /boxo/v1/order-payments` (create an order payment) and
//! `POST /boxo/v1/order-payments/status` (its status).

use actix_web::{web, HttpRequest, HttpResponse};
use hostpay_domain::order::{OrderDetails, UserRef};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use serde_json::json;

use crate::boxo::admission::{admit_as, Accepts, Caller};
use crate::edge::boxo::{respond, BoxoErrorCode, BoxoFailure};
use crate::state::AppState;

/// The header naming the host app's user when the order does not.
pub const USER_HEADER: &str = "X-User-ID";

/// Body of create order payment.
#[derive(Debug, Deserialize)]
pub struct CreateOrderPayment {
    /// The miniapp.
    pub app_id: String,
    /// The order.
    pub order: OrderDetails,
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
            let mut request: CreateOrderPayment = parse(&body)?;
            let user = match token_user(&state, &caller, &request.app_id).await? {
                Some(user) => {
                    // The token's user is the payment's user.
                    if request
                        .order
                        .hostapp_user_id
                        .as_ref()
                        .is_some_and(|given| *given != user)
                    {
                        return Err(BoxoFailure::new(
                            BoxoErrorCode::AccessDenied,
                            "order.hostapp_user_id is not the access token's user",
                        ));
                    }
                    request.order.hostapp_user_id = Some(user.clone());
                    Some(user)
                }
                None => header_user(&req)?,
            };
            let id = state
                .services
                .platform_orders
                .create_order_payment(&request.app_id, request.order, user)
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
