//! `GET /openapi.json`: the OpenAPI document of every public and internal route, with its
//! schemas and errors (utoipa). The miniapp, checkout and internal routes are described
//! from their handlers; the health, Boxo and delivery routes (other modules) are added by
//! [`OtherRoutes`] from api.md.

use std::sync::OnceLock;

use actix_web::{web, HttpResponse};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, ObjectBuilder, Required, ResponseBuilder, Type};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::checkout;
use crate::internal;
use crate::miniapp;
use crate::miniapp::views::{
    ActivityEventView, EventView, OrderActivityView, PaymentView, PaymentWithSession, RefundView,
    SessionView,
};

/// Registers `GET /openapi.json`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(serve));
}

async fn serve() -> HttpResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let body = DOCUMENT.get_or_init(|| match ApiDoc::openapi().to_json() {
        Ok(text) => text,
        Err(error) => {
            tracing::error!(error = %error, "OpenAPI document failed to serialize");
            "{}".to_owned()
        }
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body.clone())
}

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "hostpay",
        description = "Payments, refunds, order activities and user tokens for the miniapps of a super-app. \
            Miniapp API: `Authorization: Token base64(app_id:secret_key)`; internal API (own listener): \
            `Authorization: Bearer <admin token>`; checkout: `Authorization: Bearer <payment session token>`. \
            Every answer of the miniapp and internal APIs is an envelope whose `status_code` equals the HTTP status."
    ),
    paths(
        miniapp::users::verify_token,
        miniapp::payments::create,
        miniapp::payments::list_for_user,
        miniapp::payments::get,
        miniapp::payments::refund,
        miniapp::order_activities::upsert,
        miniapp::order_activities::list_for_user,
        miniapp::order_activities::get,
        checkout::page::show,
        checkout::page::submit,
        checkout::actions::confirm,
        checkout::actions::cancel,
        internal::apps::register,
        internal::apps::list,
        internal::apps::rotate_secret,
        internal::user_tokens::mint,
        internal::payments::get,
        internal::payments::grant,
        internal::payments::settle,
    ),
    components(schemas(
        ErrorEnvelope, ErrorBody, PaymentView, PaymentWithSession, SessionView, RefundView,
        EventView, OrderActivityView, ActivityEventView, PaymentPageDoc, OrderActivityPageDoc,
        OrderItemDoc, ShippingAddressDoc, DeliveryDoc, CourierDoc,
    )),
    modifiers(&SecuritySchemes, &OtherRoutes),
    tags(
        (name = "users", description = "User tokens (miniapp API)"),
        (name = "payments", description = "Payments and refunds (miniapp API)"),
        (name = "order-activities", description = "Order progress shown by the host app (miniapp API)"),
        (name = "checkout", description = "The hosted payment sheet"),
        (name = "internal", description = "Operators and the host's own systems (internal listener)"),
        (name = "boxo", description = "The Boxo host API"),
        (name = "operations", description = "Health, metrics, this document"),
    )
)]
pub struct ApiDoc;

/// The auth schemes.
pub struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "miniapp_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`Token base64(app_id:secret_key)`",
            ))),
        );
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("`internal.admin_token`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "payment_session",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The payment-session token a miniapp receives (`session.token`): view and cancel only",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "pay_grant",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A pay grant the host minted for its logged-in user (`POST /internal/v1/payments/{payment_id}/grants`): the only credential that can confirm",
                    ))
                    .build(),
            ),
        );
    }
}

/// The routes served by other modules (health, metrics, this document, the Boxo host API,
/// outbox deliveries), described from api.md.
pub struct OtherRoutes;

struct Described {
    method: HttpMethod,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    params: &'static [(&'static str, ParameterIn)],
    json_body: bool,
    responses: &'static [(&'static str, &'static str, &'static str)],
}

const OTHER_ROUTES: &[Described] = &[
    Described {
        method: HttpMethod::Get,
        path: "/healthz",
        tag: "operations",
        summary: "Liveness (both listeners)",
        params: &[],
        json_body: false,
        responses: &[("200", "Alive", "application/json")],
    },
    Described {
        method: HttpMethod::Get,
        path: "/readyz",
        tag: "operations",
        summary: "Readiness: the store answers (both listeners)",
        params: &[],
        json_body: false,
        responses: &[
            ("200", "Ready", "application/json"),
            ("503", "The store does not answer", "application/json"),
        ],
    },
    Described {
        method: HttpMethod::Get,
        path: "/metrics",
        tag: "operations",
        summary: "Prometheus metrics (both listeners)",
        params: &[],
        json_body: false,
        responses: &[("200", "Prometheus text format", "text/plain")],
    },
    Described {
        method: HttpMethod::Get,
        path: "/openapi.json",
        tag: "operations",
        summary: "This document (both listeners)",
        params: &[],
        json_body: false,
        responses: &[("200", "OpenAPI document", "application/json")],
    },
    Described {
        method: HttpMethod::Post,
        path: "/boxo/v1/order-payments",
        tag: "boxo",
        summary: "Create an order payment (Boxo wire format: always HTTP 200, `error_code` on failure)",
        params: &[("X-User-ID", ParameterIn::Header)],
        json_body: true,
        responses: &[(
            "200",
            "`{\"order_payment_id\": \"pay_...\"}` or `{\"error_code\": ..., \"error_message\": ...}` \
             (ACCESS_DENIED, NO_INTEGRATION, MINIAPP_NOT_FOUND, INVALID_ORDER_DATA, HOSTAPP_USER_ID_REQUIRED, \
             PARSING_ERROR_INVALID_REQUEST_BODY, NOT_A_WHITELISTED_IP, INVALID_SIGNATURE, MISSING_HEADER)",
            "application/json",
        )],
    },
    Described {
        method: HttpMethod::Post,
        path: "/boxo/v1/order-payments/status",
        tag: "boxo",
        summary: "Status of an order payment (Boxo wire format)",
        params: &[],
        json_body: true,
        responses: &[(
            "200",
            "`{app_id, client_id, order_payment_id, payment_status, payment_fail_reason?}` or \
             `{\"error_code\": ...}` (ORDER_NOT_FOUND and the codes above)",
            "application/json",
        )],
    },
    Described {
        method: HttpMethod::Get,
        path: "/internal/v1/deliveries",
        tag: "internal",
        summary: "List outbox deliveries (`?state=dead` for the dead letters)",
        params: &[("state", ParameterIn::Query)],
        json_body: false,
        responses: &[
            ("200", "The deliveries (envelope)", "application/json"),
            ("401", "UNAUTHENTICATED", "application/json"),
        ],
    },
    Described {
        method: HttpMethod::Get,
        path: "/internal/v1/deliveries/{delivery_id}",
        tag: "internal",
        summary: "One delivery with its attempts",
        params: &[("delivery_id", ParameterIn::Path)],
        json_body: false,
        responses: &[
            ("200", "The delivery (envelope)", "application/json"),
            ("401", "UNAUTHENTICATED", "application/json"),
            ("404", "NOT_FOUND", "application/json"),
        ],
    },
    Described {
        method: HttpMethod::Post,
        path: "/internal/v1/deliveries/{delivery_id}/retry",
        tag: "internal",
        summary: "Send a delivery again now",
        params: &[("delivery_id", ParameterIn::Path)],
        json_body: false,
        responses: &[
            ("202", "Scheduled (envelope)", "application/json"),
            ("401", "UNAUTHENTICATED", "application/json"),
            ("404", "NOT_FOUND", "application/json"),
        ],
    },
];

impl Modify for OtherRoutes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for route in OTHER_ROUTES {
            let mut operation = OperationBuilder::new()
                .tag(route.tag)
                .summary(Some(route.summary));
            for (name, location) in route.params {
                let required = if matches!(location, ParameterIn::Path) {
                    Required::True
                } else {
                    Required::False
                };
                operation = operation.parameter(
                    ParameterBuilder::new()
                        .name(*name)
                        .parameter_in(location.clone())
                        .required(required)
                        .schema(Some(ObjectBuilder::new().schema_type(Type::String))),
                );
            }
            if route.json_body {
                operation = operation.request_body(Some(
                    RequestBodyBuilder::new()
                        .content(
                            "application/json",
                            ContentBuilder::new()
                                .schema(Some(ObjectBuilder::new().schema_type(Type::Object)))
                                .build(),
                        )
                        .build(),
                ));
            }
            for (status, description, content_type) in route.responses {
                operation = operation.response(
                    *status,
                    ResponseBuilder::new()
                        .description(*description)
                        .content(*content_type, ContentBuilder::new().build())
                        .build(),
                );
            }
            openapi.paths.add_path_operation(
                route.path,
                vec![route.method.clone()],
                operation.build(),
            );
        }
    }
}

/// `error` of the error envelope.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// INVALID_REQUEST, UNAUTHENTICATED, NOT_FOUND, INVALID_STATE, PAYMENT_NOT_REFUNDABLE,
    /// IDEMPOTENCY_IN_PROGRESS, PAYLOAD_TOO_LARGE, REFUND_EXCEEDS_AMOUNT,
    /// IDEMPOTENCY_KEY_REUSED, RATE_LIMITED, INTERNAL, PROCESSOR_UNAVAILABLE.
    #[schema(example = "PAYMENT_NOT_REFUNDABLE")]
    code: String,
    /// For INVALID_REQUEST: `{"field": "items[0].price", "reason": "..."}`; for state
    /// errors the object's id and current `status`.
    #[schema(value_type = Object)]
    details: serde_json::Value,
}

/// The error envelope.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorEnvelope {
    /// Equals the HTTP status.
    #[schema(example = 409)]
    status_code: u16,
    /// What went wrong, for people.
    #[schema(example = "payment pay_x is failed; only paid payments can be refunded")]
    result: String,
    /// `false`.
    #[schema(example = false)]
    success: bool,
    /// `null`, or (checkout and settle refusals) the payment as it stands.
    #[schema(value_type = Option<Object>)]
    data: Option<serde_json::Value>,
    /// The code and details.
    error: ErrorBody,
}

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
    crate::internal::payments::GrantView
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
    miniapp::users::VerifiedUser
);
envelope_doc!(
    /// Envelope of a miniapp's credentials.
    AppCredentialsEnvelope,
    internal::apps::AppCredentials
);
envelope_doc!(
    /// Envelope of the registered miniapps.
    AppListEnvelope,
    Vec<internal::apps::AppView>
);
envelope_doc!(
    /// Envelope of a user token.
    UserTokenEnvelope,
    internal::user_tokens::UserTokenView
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

/// Boxo's OrderItem.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct OrderItemDoc {
    /// String(250), required.
    product_name: String,
    /// String(250).
    product_variant_name: Option<String>,
    /// String(250).
    product_sku: Option<String>,
    /// String(500).
    product_image_url: Option<String>,
    /// Integer >= 1 (default 1).
    #[schema(minimum = 1)]
    quantity: Option<u32>,
    /// Unit price: decimal (number or string), at most the currency's decimals (2 where
    /// there is no currency, and on the Boxo surface); written as a string with exactly
    /// the currency's decimals.
    #[schema(example = "12.50")]
    price: Option<String>,
    /// Discount: decimal, like `price`.
    discount: Option<String>,
}

/// Boxo's OrderShippingAddress (every field optional).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ShippingAddressDoc {
    /// String(1000).
    address1: Option<String>,
    /// String(1000).
    address2: Option<String>,
    /// String(250).
    first_name: Option<String>,
    /// String(250).
    last_name: Option<String>,
    /// String(250).
    phone: Option<String>,
    /// String(100).
    region_name: Option<String>,
    /// String(100).
    region_code: Option<String>,
    /// String(100).
    province_name: Option<String>,
    /// String(100).
    province_code: Option<String>,
    /// String(250).
    city: Option<String>,
    /// String(100).
    country: Option<String>,
    /// String(100).
    postal_code: Option<String>,
    /// -90..=90, at most 15 decimals (number or string).
    latitude: Option<String>,
    /// -180..=180, at most 15 decimals (number or string).
    longitude: Option<String>,
}

/// Who carries an order.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CourierDoc {
    /// String(250).
    name: Option<String>,
    /// String(250).
    phone: Option<String>,
}

/// An order activity's delivery.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DeliveryDoc {
    /// `delivery`, `pickup` or `digital`.
    #[schema(example = "delivery")]
    method: String,
    /// Where to.
    address: Option<ShippingAddressDoc>,
    /// Expected arrival, RFC 3339.
    eta: Option<String>,
    /// String(500).
    tracking_url: Option<String>,
    /// Who carries it.
    courier: Option<CourierDoc>,
}
