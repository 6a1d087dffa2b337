//! The funnel as JSON.

use axum::extract::{Path, State};
use axum::Json;
use kindpakket_platform::http::{gemeente_from_path, ApiError};
use sqlx::PgPool;

use crate::projections::funnel::{self, Funnel, Overview};

/// `GET /api/v1/trechter`: every gemeente's funnel, and the totals.
#[tracing::instrument(skip_all)]
pub async fn all_funnels(State(pool): State<PgPool>) -> Result<Json<Overview>, ApiError> {
    let overview = funnel::overview(&pool).await.map_err(ApiError::internal)?;
    Ok(Json(overview))
}

/// `GET /api/v1/gemeenten/{gemeente}/trechter`: one gemeente's funnel; zeros when nothing happened
/// there yet, a Dutch problem for a code that is no CBS code.
#[tracing::instrument(skip_all, fields(gemeente = %gemeente))]
pub async fn gemeente_funnel(
    State(pool): State<PgPool>,
    Path(gemeente): Path<String>,
) -> Result<Json<Funnel>, ApiError> {
    let gemeente = gemeente_from_path(&gemeente)?;
    let funnel = funnel::for_gemeente(&pool, gemeente.as_str())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(funnel))
}
