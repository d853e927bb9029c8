//! Cursor pagination of the list routes: `limit` 1..=100 (default 20) and an opaque
//! `cursor`; a malformed one is a 400 naming it.

use hostpay_domain::money::WholeNumber;
use hostpay_domain::page::PageRequest;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::edge::envelope::ApiError;

/// `?limit=&cursor=`
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size, 1..=100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl ListQuery {
    /// The checked page request.
    pub fn page(&self) -> Result<PageRequest, ApiError> {
        let limit = match self.limit.as_deref() {
            None | Some("") => None,
            Some(text) => Some(
                WholeNumber::parse(text)
                    .ok()
                    .and_then(|limit| u32::try_from(limit.0).ok())
                    .ok_or_else(|| {
                        ApiError::invalid("limit", "must be an integer from 1 to 100")
                    })?,
            ),
        };
        let cursor = self.cursor.as_deref().filter(|cursor| !cursor.is_empty());
        PageRequest::parse(limit, cursor)
            .map_err(|(field, error)| ApiError::invalid(field, error.message))
    }
}
