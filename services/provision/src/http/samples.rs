//! The sample check of declarations: drawn by regie or the auditor, checked by the auditor.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use kindpakket_platform::dutch_enum;
use kindpakket_platform::http::{id_from_path, ApiError, ApiJson, Caller};
use kindpakket_proto::provision::{draw_sample, SampleDrawn, SAMPLE_AMOUNT_BANDS_CENTS};
use kindpakket_proto::{GemeenteCode, Role};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use time::Date;
use uuid::Uuid;

use super::entitlements::today;
use super::AppState;
use crate::consume::regeling_in_force;
use crate::domain::sample::{SampleCommand, SampleDraw};
use crate::ledger;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawRequest {
    /// First day of the period whose declarations are the population.
    #[serde(rename = "vanaf")]
    #[schemars(with = "String")]
    pub from: Date,
    #[serde(rename = "tot")]
    #[schemars(with = "String")]
    pub until: Date,
    /// The seed; when absent one is chosen at random. It is recorded either way.
    #[serde(rename = "zaad", default)]
    pub seed: Option<u64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    #[serde(rename = "declaratie")]
    pub declaration_id: Uuid,
    #[serde(rename = "uitkomst")]
    pub outcome: CheckOutcomeDto,
    #[serde(rename = "toelichting", default)]
    pub note: String,
}

dutch_enum!(
    /// What the check found.
    CheckOutcomeDto <=> kindpakket_proto::provision::CheckOutcome {
        InOrder = "in_orde",
        NotInOrder = "niet_in_orde",
    }
);

const READERS: &[Role] = &[Role::Regievoerder, Role::Auditor];

fn describe(sample: &SampleDraw) -> Value {
    let drawn = sample.drawn.as_ref().expect("visible samples are drawn");
    json!({
        "id": drawn.draw_id,
        "vanaf": drawn.period_from,
        "tot": drawn.period_until,
        "percentage": drawn.rate_percent,
        "zaad": drawn.seed,
        "bedragklassenCent": drawn.amount_bands_cents,
        "populatie": drawn.population.iter().map(|member| json!({
            "declaratie": member.declaration_id,
            "recht": member.entitlement_id,
            "ingediendDoor": member.submitted_by,
            "bedragCent": member.amount_cents,
        })).collect::<Vec<_>>(),
        "getrokken": drawn.selected.iter().map(|id| {
            let check = sample.checks.get(id);
            json!({
                "declaratie": id,
                "uitkomst": check.map(|c| CheckOutcomeDto::from(c.outcome)),
                "toelichting": check.map(|c| c.note.clone()),
                "gecontroleerdOp": check.map(|c| c.checked_on),
            })
        }).collect::<Vec<_>>(),
        "methode": "Per partner en bedragklasse wordt afgerond naar boven het percentage getrokken: de declaraties met de laagste SHA-256(zaad als 8 bytes big-endian ‖ declaratie-id als 16 bytes), eerste 8 bytes als getal.",
    })
}

async fn load(state: &AppState, gemeente: &GemeenteCode, id: Uuid) -> Result<SampleDraw, ApiError> {
    let sample = state
        .samples
        .load(&id.to_string())
        .await
        .map_err(ApiError::internal)?;
    if sample.in_gemeente(gemeente).is_none() {
        return Err(ApiError::not_found(format!(
            "Steekproef '{id}' bestaat niet in deze gemeente."
        )));
    }
    Ok(sample)
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente))]
pub async fn draw(
    State(state): State<AppState>,
    Path(gemeente): Path<String>,
    caller: Caller,
    ApiJson(request): ApiJson<DrawRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(READERS)?;
    let gemeente = caller.gemeente(&gemeente)?;
    if request.until < request.from {
        return Err(ApiError::unprocessable(
            "De einddatum van de periode ligt vóór de begindatum.",
        ));
    }
    let regeling = regeling_in_force(&state.pool, &gemeente, request.until)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            ApiError::unprocessable(format!(
                "Op {} geldt in deze gemeente geen regeling; die bepaalt het steekproefpercentage.",
                request.until
            ))
        })?;
    let rate_percent = regeling.declaration_sample_percent.ok_or_else(|| {
        ApiError::unprocessable(
            "De regeling stelt geen steekproefpercentage voor declaraties vast. Leg dat eerst vast in een nieuwe versie van de regeling.",
        )
    })?;
    let history = ledger::load(&state.pool, &gemeente)
        .await
        .map_err(ApiError::internal)?;
    let population = history.declarations_submitted(request.from, request.until);
    if population.is_empty() {
        return Err(ApiError::unprocessable(
            "Er zijn in deze periode geen declaraties ingediend; er valt niets te trekken.",
        ));
    }
    let seed = request
        .seed
        .unwrap_or_else(|| Uuid::new_v4().as_u64_pair().0);
    let selected = draw_sample(seed, rate_percent, &SAMPLE_AMOUNT_BANDS_CENTS, &population);
    let draw_id = Uuid::new_v4();
    let drawn = SampleDrawn {
        draw_id,
        period_from: request.from,
        period_until: request.until,
        rate_percent,
        seed,
        amount_bands_cents: SAMPLE_AMOUNT_BANDS_CENTS.to_vec(),
        population,
        selected,
    };
    state
        .samples
        .execute(
            &draw_id.to_string(),
            SampleCommand::Draw {
                gemeente: gemeente.clone(),
                drawn,
            },
            &caller.command_context(&gemeente),
        )
        .await?;
    let sample = load(&state, &gemeente, draw_id).await?;
    let location = format!("/api/v1/gemeenten/{gemeente}/steekproeven/{draw_id}");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(describe(&sample)),
    ))
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, draw_id = %id))]
pub async fn get_sample(
    State(state): State<AppState>,
    Path((gemeente, id)): Path<(String, String)>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(READERS)?;
    let gemeente = caller.gemeente(&gemeente)?;
    let draw_id = id_from_path(&id, "Steekproef")?;
    Ok(Json(describe(&load(&state, &gemeente, draw_id).await?)))
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, draw_id = %id))]
pub async fn record_check(
    State(state): State<AppState>,
    Path((gemeente, id)): Path<(String, String)>,
    caller: Caller,
    ApiJson(request): ApiJson<CheckRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(READERS)?;
    let gemeente = caller.gemeente(&gemeente)?;
    let draw_id = id_from_path(&id, "Steekproef")?;
    load(&state, &gemeente, draw_id).await?;
    state
        .samples
        .execute(
            &draw_id.to_string(),
            SampleCommand::RecordCheck {
                gemeente: gemeente.clone(),
                declaration_id: request.declaration_id,
                outcome: request.outcome.into(),
                note: request.note,
                checked_on: today(),
            },
            &caller.command_context(&gemeente),
        )
        .await?;
    let sample = load(&state, &gemeente, draw_id).await?;
    Ok((StatusCode::CREATED, Json(describe(&sample))))
}
