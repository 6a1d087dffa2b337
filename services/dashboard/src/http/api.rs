//! The funnel as JSON, for the overleg's viewers, regie and the auditor of the gemeenten they act for.

use axum::extract::{Path, State};
use axum::Json;
use kindpakket_platform::http::{ApiError, Caller};
use kindpakket_proto::Role;
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::projections::funnel;

/// Who may read the funnel: aggregates only, never a child.
pub const READERS: &[Role] = &[Role::OverlegViewer, Role::Regievoerder, Role::Auditor];

/// `GET /api/v1/trechter`: the funnels of the gemeenten the caller acts for.
#[tracing::instrument(skip_all)]
pub async fn all_funnels(
    State(pool): State<PgPool>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(READERS)?;
    let mut funnels = Vec::new();
    for gemeente in &caller.gemeenten {
        funnels.push(
            funnel::for_gemeente(&pool, gemeente.as_str())
                .await
                .map_err(ApiError::internal)?,
        );
    }
    Ok(Json(for_reader(&caller, json!({ "gemeenten": funnels }))))
}

/// The figures as this reader may see them: the overleg without small cells, regie and the auditor
/// exactly.
fn for_reader(caller: &Caller, mut figures: Value) -> Value {
    if caller.actor.role == Role::OverlegViewer {
        funnel::suppress_small_cells(&mut figures);
        figures["kleineAantallen"] = json!(format!(
            "Aantallen van 1 tot {} zijn verborgen (null).",
            funnel::SMALL_CELL_THRESHOLD - 1
        ));
    }
    figures
}

/// `GET /api/v1/gemeenten/{gemeente}/trechter`: one gemeente's funnel; zeros when nothing happened
/// there yet, a Dutch problem for a code that is no CBS code.
#[tracing::instrument(skip_all, fields(gemeente = %gemeente))]
pub async fn gemeente_funnel(
    State(pool): State<PgPool>,
    Path(gemeente): Path<String>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(READERS)?;
    let gemeente = caller.gemeente(&gemeente)?;
    let funnel = funnel::for_gemeente(&pool, gemeente.as_str())
        .await
        .map_err(ApiError::internal)?;
    let figures = serde_json::to_value(funnel).map_err(ApiError::internal)?;
    Ok(Json(for_reader(&caller, figures)))
}
