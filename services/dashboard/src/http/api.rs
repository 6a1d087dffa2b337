use axum::extract::{Path, State};
use axum::Json;
use kindpakket_platform::http::{gemeente_from_path, ApiError};
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::funnel::{self, Funnel};

#[tracing::instrument(skip_all)]
pub async fn all_funnels(State(pool): State<PgPool>) -> Result<Json<Value>, ApiError> {
    let funnels = funnel::for_all(&pool).await.map_err(ApiError::internal)?;
    let totals = funnel::totals(&funnels);
    Ok(Json(json!({"gemeenten": funnels, "totaal": totals})))
}

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
