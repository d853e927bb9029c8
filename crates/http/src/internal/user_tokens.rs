//! Internal API: mint user tokens (what `ft.getUserToken()` hands the miniapp frontend).

use actix_web::http::StatusCode;
use actix_web::{post, web, HttpResponse};
use hostpay_domain::ids::AppId;
use hostpay_domain::money::WholeNumber;
use hostpay_domain::order::UserRef;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::edge::auth::AdminAuth;
use crate::edge::envelope::{self, ApiError, ErrorEnvelope};
use crate::edge::json::JsonBody;
use crate::edge::strict_json::Strict;
use crate::state::AppState;
use crate::views::app::UserTokenView;
use crate::views::envelopes::UserTokenEnvelope;

/// `POST /internal/v1/user-tokens`
#[derive(Debug, Deserialize, ToSchema)]
pub struct MintUserTokenRequest {
    /// The user, String(255).
    #[schema(value_type = String, example = "user-42")]
    pub user_id: UserRef,
    /// The miniapp the token is for.
    #[schema(value_type = String, example = "app_01J...")]
    pub app_id: AppId,
    /// Lifetime in seconds (default 3600, at most 30 days): a whole JSON number.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub ttl_seconds: Option<WholeNumber>,
}

/// Mint a user token for one miniapp.
#[utoipa::path(
    tag = "internal",
    operation_id = "mint_user_token",
    request_body = MintUserTokenRequest,
    responses(
        (status = 201, description = "Minted", body = UserTokenEnvelope),
        (status = 400, description = "INVALID_REQUEST naming the field", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND (unknown app)", body = ErrorEnvelope),
    ),
    security(("admin_token" = []))
)]
#[post("/internal/v1/user-tokens")]
pub async fn mint(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    body: JsonBody<Strict<MintUserTokenRequest>>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner().into_inner();
    let ttl_seconds = request
        .ttl_seconds
        .map(|ttl| {
            i64::try_from(ttl.0).map_err(|_| {
                ApiError::invalid("ttl_seconds", "must be between 1 and 2592000 (30 days)")
            })
        })
        .transpose()?;
    let (token, expires_at) = state
        .services
        .apps
        .mint_user_token(&request.app_id, request.user_id.clone(), ttl_seconds)
        .await?;
    let view = UserTokenView {
        token,
        expires_at,
        user_id: request.user_id.to_string(),
        app_id: request.app_id.to_string(),
    };
    Ok(envelope::success(StatusCode::CREATED, &view))
}
