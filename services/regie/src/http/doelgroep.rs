//! `/doelgroep/{jaar}`: the regievoerder sets how many children are expected to be eligible in a
//! year, per wijk and age band (the denominator of reach on the dashboard); regie, the auditor and
//! the kwartaaloverleg may read it (a statistic, about no one).

use axum::extract::State;
use axum::Json;
use kindpakket_platform::clock;
use kindpakket_platform::http::vocabulary::TargetGroupSourceDto;
use kindpakket_platform::http::{ApiError, ApiJson, ApiPath, InGemeente};
use kindpakket_platform::store::LoadError;
use kindpakket_proto::regie::{TargetAgeBand, TargetGroupRow, TargetGroupSet};
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::{GemeenteCode, WijkCode};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;

use super::{AppState, Regie, TargetGroupReaders};
use crate::domain::target_group::{
    ProposedRow, SetTargetGroup, TargetGroup, TargetGroupCommand, TargetGroupId, YEARS,
};

/// The year of a doelgroep.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct YearPath {
    /// The calendar year, 2000 to 2100.
    pub jaar: i32,
}

/// The whole doelgroep of a year: it replaces the one before.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetTargetGroupRequest {
    /// `eigen_inkomensgegevens` (the gemeente's own income data) or `cbs_schatting`.
    #[serde(rename = "bron")]
    pub source: TargetGroupSourceDto,
    /// At most 2000 rows, one per wijk and age band.
    #[serde(rename = "rijen")]
    pub rows: Vec<RowRequest>,
}

/// Children expected to be eligible in one wijk and age band.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RowRequest {
    /// The CBS wijk code (`WK` and six digits, e.g. `WK051801`) of a wijk of this gemeente; left
    /// out or `null`: the whole gemeente, or the children whose wijk is not known.
    #[serde(default)]
    pub wijk: Option<String>,
    /// `0-3`, `4-11` or `12-17`.
    #[serde(rename = "leeftijd")]
    pub age_band: TargetAgeBand,
    /// 0 to 1,000,000.
    #[serde(rename = "kinderen")]
    pub children: u64,
}

/// A gemeente's doelgroep for a year as it is in force.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TargetGroupView {
    #[serde(rename = "jaar")]
    pub year: i32,
    /// 0 before the first table; each table set gets the next number.
    #[serde(rename = "versie")]
    pub version: u32,
    /// `null` before the first table.
    #[serde(rename = "bron")]
    pub source: Option<TargetGroupSourceDto>,
    #[serde(rename = "vastgesteldOp")]
    #[schemars(with = "Option<DateSchema>")]
    pub set_on: Option<Date>,
    /// The children expected in the whole gemeente: the sum of the rows.
    #[serde(rename = "kinderen")]
    pub children: u64,
    /// The whole gemeente (`wijk: null`) first, then by wijk and age band.
    #[serde(rename = "rijen")]
    pub rows: Vec<RowView>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RowView {
    pub wijk: Option<WijkCode>,
    #[serde(rename = "leeftijd")]
    pub age_band: TargetAgeBand,
    #[serde(rename = "kinderen")]
    pub children: u32,
}

impl From<RowRequest> for ProposedRow {
    fn from(row: RowRequest) -> Self {
        ProposedRow {
            wijk: row.wijk,
            age_band: row.age_band,
            children: row.children,
        }
    }
}

impl From<TargetGroupRow> for RowView {
    fn from(row: TargetGroupRow) -> Self {
        RowView {
            wijk: row.wijk,
            age_band: row.age_band,
            children: row.children,
        }
    }
}

impl TargetGroupView {
    fn of(year: i32, set: Option<TargetGroupSet>) -> Self {
        match set {
            Some(set) => TargetGroupView {
                year,
                version: set.version,
                source: Some(set.source.into()),
                set_on: Some(set.set_on),
                children: set.children(),
                rows: set.rows.into_iter().map(Into::into).collect(),
            },
            None => TargetGroupView {
                year,
                version: 0,
                source: None,
                set_on: None,
                children: 0,
                rows: vec![],
            },
        }
    }
}

async fn current(
    state: &AppState,
    gemeente: &GemeenteCode,
    year: i32,
) -> Result<Option<TargetGroupSet>, ApiError> {
    match state
        .target_groups
        .load_in(gemeente, TargetGroupId { gemeente, year })
        .await
    {
        Ok(TargetGroup { current }) => Ok(current),
        Err(LoadError::NotFound(_)) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, year = jaar))]
pub async fn set_target_group(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiPath(YearPath { jaar }): ApiPath<YearPath>,
    ApiJson(request): ApiJson<SetTargetGroupRequest>,
) -> Result<Json<TargetGroupView>, ApiError> {
    let gemeente = &caller.gemeente;
    let command = TargetGroupCommand::Set(SetTargetGroup {
        gemeente: gemeente.clone(),
        year: jaar,
        rows: request.rows.into_iter().map(Into::into).collect(),
        source: request.source.into(),
        set_on: clock::today(),
    });
    state
        .target_groups
        .execute(
            TargetGroupId {
                gemeente,
                year: jaar,
            },
            command,
            &caller.command_context(gemeente),
        )
        .await?;
    Ok(Json(TargetGroupView::of(
        jaar,
        current(&state, gemeente, jaar).await?,
    )))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, year = jaar))]
pub async fn get_target_group(
    State(state): State<AppState>,
    caller: InGemeente<TargetGroupReaders>,
    ApiPath(YearPath { jaar }): ApiPath<YearPath>,
) -> Result<Json<TargetGroupView>, ApiError> {
    if !YEARS.contains(&jaar) {
        return Err(ApiError::not_found(
            "Een doelgroep bestaat alleen voor de jaren 2000 tot en met 2100.",
        ));
    }
    Ok(Json(TargetGroupView::of(
        jaar,
        current(&state, &caller.gemeente, jaar).await?,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kindpakket_proto::regie::TargetGroupSource;
    use serde_json::json;

    #[test]
    fn a_doelgroep_reads_in_dutch_with_the_whole_gemeente_as_a_row_without_wijk() {
        let request: SetTargetGroupRequest = serde_json::from_value(json!({
            "bron": "cbs_schatting",
            "rijen": [
                {"wijk": "WK051801", "leeftijd": "4-11", "kinderen": 120},
                {"wijk": null, "leeftijd": "0-3", "kinderen": 30},
                {"leeftijd": "12-17", "kinderen": 0}
            ]
        }))
        .unwrap();
        assert_eq!(
            kindpakket_proto::regie::TargetGroupSource::from(request.source),
            TargetGroupSource::CbsEstimate
        );
        let rows: Vec<ProposedRow> = request.rows.into_iter().map(Into::into).collect();
        assert_eq!(rows[0].wijk.as_deref(), Some("WK051801"));
        assert_eq!(rows[0].age_band, TargetAgeBand::From4To11);
        assert_eq!(rows[1].wijk, None);
        assert_eq!(rows[2].children, 0);
        for wrong in [
            json!({"bron": "schatting", "rijen": []}),
            json!({"bron": "cbs_schatting", "rijen": [{"leeftijd": "18+", "kinderen": 1}]}),
            json!({"bron": "cbs_schatting", "rijen": [{"leeftijd": "0-3", "kinderen": -1}]}),
            json!({"bron": "cbs_schatting", "rijen": [], "jaar": 2026}),
        ] {
            assert!(
                serde_json::from_value::<SetTargetGroupRequest>(wrong.clone()).is_err(),
                "{wrong}"
            );
        }
        let view = serde_json::to_value(TargetGroupView::of(2026, None)).unwrap();
        assert_eq!(
            view,
            json!({"jaar": 2026, "versie": 0, "bron": null, "vastgesteldOp": null, "kinderen": 0, "rijen": []})
        );
    }
}
