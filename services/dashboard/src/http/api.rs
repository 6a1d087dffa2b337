//! The funnel as JSON, for the overleg's viewers, regie and the auditor of the gemeenten they act
//! for: exact for regie and the auditor, without small counts (`null`) for the overleg, with a note
//! that says so.

use axum::extract::State;
use axum::Json;
use kindpakket_platform::http::{ApiError, Authorized, InGemeente};
use kindpakket_proto::GemeenteCode;
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgPool;

use super::{for_the_overleg, LiveReaders};
use crate::projections::funnel::disclosure::SMALL_CELL_THRESHOLD;
use crate::projections::funnel::{self, Disclosure, Exact, Funnel, Overleg};

/// Figures as the reader may see them.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "{E}ForReader")]
pub enum ForReader<E, O> {
    /// For regie and the auditor: every figure exact.
    Exact(E),
    /// For the overleg: counts of 1 to 4 (and what would reveal them) are `null`.
    Overleg(WithoutSmallCounts<O>),
}

/// Figures without small counts, and the note that says which are hidden.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "{T}WithoutSmallCounts")]
pub struct WithoutSmallCounts<T> {
    #[serde(flatten)]
    pub figures: T,
    /// Which counts are hidden: "Aantallen van 1 tot 4 zijn verborgen (null)."
    #[serde(rename = "kleineAantallen")]
    pub note: String,
}

/// The note the overleg reads beside its figures (`kleineAantallen`).
fn small_counts_note() -> String {
    format!(
        "Aantallen van 1 tot {} zijn verborgen (null).",
        SMALL_CELL_THRESHOLD - 1
    )
}

impl<E, O> ForReader<E, O> {
    fn overleg(figures: O) -> Self {
        Self::Overleg(WithoutSmallCounts {
            figures,
            note: small_counts_note(),
        })
    }
}

/// The funnels of the gemeenten a reader acts for.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(bound = "")]
#[schemars(rename = "Funnels{D}")]
pub struct Funnels<D: Disclosure> {
    pub gemeenten: Vec<Funnel<D>>,
}

/// The answer of `GET /api/v1/trechter`.
pub type AllFunnels = ForReader<Funnels<Exact>, Funnels<Overleg>>;

/// The answer of `GET /api/v1/gemeenten/{gemeente}/trechter`.
pub type GemeenteFunnel = ForReader<Funnel<Exact>, Funnel<Overleg>>;

/// `GET /api/v1/trechter`: the funnels of the gemeenten the caller acts for, in the order of the
/// token.
#[tracing::instrument(skip_all)]
pub async fn all_funnels(
    State(pool): State<PgPool>,
    reader: Authorized<LiveReaders>,
) -> Result<Json<AllFunnels>, ApiError> {
    crate::rebuilding::refuse_while_rebuilding(&pool).await?;
    Ok(Json(if for_the_overleg(&reader) {
        ForReader::overleg(funnels(&pool, &reader.gemeenten).await?)
    } else {
        ForReader::Exact(funnels(&pool, &reader.gemeenten).await?)
    }))
}

async fn funnels<D: Disclosure>(
    pool: &PgPool,
    gemeenten: &[GemeenteCode],
) -> Result<Funnels<D>, ApiError> {
    let mut funnels = Vec::with_capacity(gemeenten.len());
    for gemeente in gemeenten {
        funnels.push(
            funnel::for_gemeente(pool, gemeente)
                .await
                .map_err(ApiError::internal)?,
        );
    }
    Ok(Funnels { gemeenten: funnels })
}

/// `GET /api/v1/gemeenten/{gemeente}/trechter`: one gemeente's funnel; zeros when nothing happened
/// there yet.
#[tracing::instrument(skip_all, fields(gemeente = %reader.gemeente))]
pub async fn gemeente_funnel(
    State(pool): State<PgPool>,
    reader: InGemeente<LiveReaders>,
) -> Result<Json<GemeenteFunnel>, ApiError> {
    crate::rebuilding::refuse_while_rebuilding(&pool).await?;
    Ok(Json(if for_the_overleg(&reader) {
        ForReader::overleg(gemeente_figures(&pool, &reader.gemeente).await?)
    } else {
        ForReader::Exact(gemeente_figures(&pool, &reader.gemeente).await?)
    }))
}

async fn gemeente_figures<D: Disclosure>(
    pool: &PgPool,
    gemeente: &GemeenteCode,
) -> Result<Funnel<D>, ApiError> {
    funnel::for_gemeente(pool, gemeente)
        .await
        .map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_overleg_is_told_which_counts_are_hidden_beside_its_figures_and_regie_is_not() {
        let gemeente = GemeenteCode::parse("GM0518").unwrap();
        let overleg: GemeenteFunnel = ForReader::overleg(Funnel::empty(gemeente.clone()));
        let json = serde_json::to_value(&overleg).unwrap();
        assert_eq!(
            json["kleineAantallen"],
            "Aantallen van 1 tot 4 zijn verborgen (null)."
        );
        assert_eq!(json["gemeente"], "GM0518");
        assert_eq!(json["gesignaleerd"], 0);
        let exact: AllFunnels = ForReader::Exact(Funnels {
            gemeenten: vec![Funnel::empty(gemeente)],
        });
        let json = serde_json::to_value(&exact).unwrap();
        assert_eq!(json.as_object().unwrap().len(), 1, "{json}");
        assert_eq!(json["gemeenten"][0]["gebruikPercentage"], json!(null));
    }
}
