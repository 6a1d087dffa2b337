//! The quarterly figures over HTTP (`docs/overleg.md`): the list of quarters and one quarter's
//! figures, for the overleg (established quarters only, through its disclosure policy, one
//! breakdown at a time) and for regie and the auditor (every quarter exactly, the running one
//! provisional, with filters).

use axum::extract::{Path, State};
use axum::{Extension, Json};
use kindpakket_platform::http::{ApiError, ApiQuery, InGemeente};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::{for_the_overleg, Readers};
use crate::projections::overleg::{
    self, Breakdown, Filters, Policy, Quarter, QuarterEntry, QuarterFigures, Settings, Standing,
};

/// The answer of `GET /api/v1/gemeenten/{gemeente}/kwartalen`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Quarters {
    #[serde(rename = "kwartalen")]
    pub quarters: Vec<QuarterEntry>,
}

/// `GET /api/v1/gemeenten/{gemeente}/kwartalen`: the quarters with figures, newest first.
#[tracing::instrument(skip_all, fields(gemeente = %reader.gemeente))]
pub async fn quarters(
    State(pool): State<PgPool>,
    Extension(settings): Extension<Settings>,
    reader: InGemeente<Readers>,
) -> Result<Json<Quarters>, ApiError> {
    crate::rebuilding::refuse_while_rebuilding(&pool).await?;
    let quarters = overleg::quarters(
        &pool,
        &settings,
        &reader.gemeente,
        kindpakket_platform::clock::now(),
        !for_the_overleg(&reader),
    )
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(Quarters { quarters }))
}

/// The path of one quarter.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct QuarterPath {
    /// The CBS code, e.g. `GM0518`.
    pub gemeente: String,
    /// The quarter, e.g. `2026-K4`.
    pub kwartaal: String,
}

/// How to break the figures down, and (regie and the auditor only) what to restrict them to.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct QuarterQuery {
    /// `wijk`, `leeftijd`, `kanaal`, `voorziening` or `partner`; none: the funnel without rows.
    #[serde(default)]
    pub indeling: Option<String>,
    /// Only this wijk (CBS code, or `onbekend`). Not for the overleg.
    #[serde(default)]
    pub wijk: Option<String>,
    /// Only this age band (`0-3`, `4-11`, `12-17`, `18+`, `onbekend`). Not for the overleg.
    #[serde(default)]
    pub leeftijd: Option<String>,
    /// Only this channel. Not for the overleg.
    #[serde(default)]
    pub kanaal: Option<String>,
    /// Only this provision type. Not for the overleg.
    #[serde(default)]
    pub voorziening: Option<String>,
    /// Only this partner (organisation code, or `gemeente`). Not for the overleg.
    #[serde(default)]
    pub partner: Option<String>,
}

fn value(text: Option<String>, name: &str) -> Result<Option<String>, ApiError> {
    match text.map(|text| text.trim().to_owned()) {
        None => Ok(None),
        Some(text)
            if !text.is_empty()
                && text.len() <= 64
                && text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '+') =>
        {
            Ok(Some(text))
        }
        Some(_) => Err(ApiError::bad_request(format!(
            "De filter '{name}' heeft niet de juiste vorm: een code van letters, cijfers en streepjes."
        ))),
    }
}

/// `GET /api/v1/gemeenten/{gemeente}/kwartalen/{kwartaal}`: one quarter's figures.
#[tracing::instrument(skip_all, fields(gemeente = %reader.gemeente))]
pub async fn quarter(
    State(pool): State<PgPool>,
    Extension(settings): Extension<Settings>,
    reader: InGemeente<Readers>,
    Path(path): Path<QuarterPath>,
    ApiQuery(query): ApiQuery<QuarterQuery>,
) -> Result<Json<QuarterFigures>, ApiError> {
    crate::rebuilding::refuse_while_rebuilding(&pool).await?;
    let quarter: Quarter = path
        .kwartaal
        .parse()
        .map_err(|error: overleg::quarter::NotAQuarter| ApiError::bad_request(error.to_string()))?;
    let breakdown = match query.indeling.as_deref().map(str::trim) {
        None | Some("") | Some("geen") => None,
        Some(name) => Some(Breakdown::parse(name).ok_or_else(|| {
            ApiError::bad_request(
                "Onbekende indeling: kies wijk, leeftijd, kanaal, voorziening of partner.",
            )
        })?),
    };
    let filters = Filters {
        wijk: value(query.wijk, "wijk")?,
        age_band: value(query.leeftijd, "leeftijd")?,
        channel: value(query.kanaal, "kanaal")?,
        provision_type: value(query.voorziening, "voorziening")?,
        partner: value(query.partner, "partner")?,
    };
    let now = kindpakket_platform::clock::now();
    let policy = if for_the_overleg(&reader) {
        if !filters.is_empty() {
            return Err(ApiError::bad_request(
                "Het kwartaaloverleg kiest één indeling tegelijk (indeling=…) en filtert niet: \
                 gecombineerde filters zouden aantallen te klein maken om te tonen.",
            ));
        }
        match overleg::standing(quarter, &settings, now) {
            Standing::Established(_) => {}
            _ => {
                let at = quarter.established_at(settings.grace_days);
                return Err(ApiError::not_found(format!(
                    "Het kwartaal {quarter} is nog niet vastgesteld; dat gebeurt op {} {} {}.",
                    at.day(),
                    crate::web::parts::month_name(u8::from(at.month())),
                    at.year()
                )));
            }
        }
        Policy::overleg(&settings)
    } else {
        if overleg::standing(quarter, &settings, now) == Standing::Future {
            return Err(ApiError::not_found(format!(
                "Het kwartaal {quarter} is nog niet begonnen."
            )));
        }
        Policy::Exact
    };
    let figures = overleg::report(
        &pool,
        &settings,
        policy,
        &reader.gemeente,
        quarter,
        now,
        breakdown,
        &filters,
    )
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(figures))
}

/// `GET /api/v1/opbouw`: whether the figures are being rebuilt from the events, and how far.
#[tracing::instrument(skip_all)]
pub async fn rebuild_progress(
    State(pool): State<PgPool>,
    _reader: kindpakket_platform::http::Authorized<Readers>,
) -> Result<Json<crate::rebuilding::Progress>, ApiError> {
    let progress = crate::rebuilding::progress(&pool)
        .await
        .map_err(ApiError::internal)?
        .unwrap_or(crate::rebuilding::Progress {
            running: false,
            applied: 0,
            total: 0,
            percentage: 100,
        });
    Ok(Json(progress))
}
