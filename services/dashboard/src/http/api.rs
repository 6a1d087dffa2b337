//! The live funnel as JSON, for regie and the auditor of the gemeenten they act for: every figure
//! exact. The overleg reads established quarters instead ([`super::overleg`]): a live figure that
//! changes by one as a child comes in would tell who came in.

use axum::extract::State;
use axum::Json;
use kindpakket_platform::http::{ApiError, Authorized, InGemeente};
use kindpakket_proto::GemeenteCode;
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgPool;

use super::LiveReaders;
use crate::projections::funnel::{self, Disclosure, Exact, Funnel};

/// The funnels of the gemeenten a reader acts for.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(bound = "")]
#[schemars(rename = "Funnels{D}")]
pub struct Funnels<D: Disclosure> {
    pub gemeenten: Vec<Funnel<D>>,
}

/// The answer of `GET /api/v1/trechter`.
pub type AllFunnels = Funnels<Exact>;

/// The answer of `GET /api/v1/gemeenten/{gemeente}/trechter`.
pub type GemeenteFunnel = Funnel<Exact>;

/// `GET /api/v1/trechter`: the funnels of the gemeenten the caller acts for, in the order of the
/// token.
#[tracing::instrument(skip_all)]
pub async fn all_funnels(
    State(pool): State<PgPool>,
    reader: Authorized<LiveReaders>,
) -> Result<Json<AllFunnels>, ApiError> {
    crate::rebuilding::refuse_while_rebuilding(&pool).await?;
    let mut funnels = Vec::with_capacity(reader.gemeenten.len());
    for gemeente in &reader.gemeenten {
        funnels.push(gemeente_figures(&pool, gemeente).await?);
    }
    Ok(Json(Funnels { gemeenten: funnels }))
}

/// `GET /api/v1/gemeenten/{gemeente}/trechter`: one gemeente's funnel; zeros when nothing happened
/// there yet.
#[tracing::instrument(skip_all, fields(gemeente = %reader.gemeente))]
pub async fn gemeente_funnel(
    State(pool): State<PgPool>,
    reader: InGemeente<LiveReaders>,
) -> Result<Json<GemeenteFunnel>, ApiError> {
    crate::rebuilding::refuse_while_rebuilding(&pool).await?;
    Ok(Json(gemeente_figures(&pool, &reader.gemeente).await?))
}

async fn gemeente_figures(
    pool: &PgPool,
    gemeente: &GemeenteCode,
) -> Result<Funnel<Exact>, ApiError> {
    funnel::for_gemeente(pool, gemeente)
        .await
        .map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_live_funnel_reads_as_exact_figures_with_no_note_on_hidden_counts() {
        let gemeente = GemeenteCode::parse("GM0518").unwrap();
        let all: AllFunnels = Funnels {
            gemeenten: vec![Funnel::empty(gemeente)],
        };
        let json = serde_json::to_value(&all).unwrap();
        assert_eq!(json.as_object().unwrap().len(), 1, "{json}");
        assert_eq!(json["gemeenten"][0]["gesignaleerd"], 0);
        assert_eq!(json["gemeenten"][0]["gebruikPercentage"], json!(null));
        assert!(json.get("kleineAantallen").is_none());
    }
}
