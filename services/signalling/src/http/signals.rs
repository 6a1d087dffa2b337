use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use kindpakket_platform::http::{id_from_path, ApiError, ApiJson, Caller};
use kindpakket_proto::signalling::{Referral, SignalOutcome, SignalReason};
use kindpakket_proto::{ChildRef, HouseholdRef, OrganisationId, Role};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::AppState;
use crate::domain::signal::{Signal, SignalCommand};

pub const SIGNALLERS: &[Role] = &[Role::Signaller, Role::Partner, Role::Regievoerder];

/// A signal. Children are named only by their pseudonymous reference: never send a name or BSN.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SignalChildRequest {
    /// Pseudonymous reference of the child (from the gemeente's identity register).
    #[serde(rename = "kind")]
    pub child: ChildRef,
    /// Pseudonymous reference of the household, if known.
    #[serde(rename = "huishouden", default)]
    pub household: Option<HouseholdRef>,
    #[serde(rename = "reden")]
    pub reason: ReasonDto,
    #[serde(rename = "verwezenNaar")]
    pub referral: ReferralDto,
    /// Date of the signal; today when left out.
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<String>")]
    pub date: Option<Date>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
pub enum ReasonDto {
    #[serde(rename = "laag_inkomen")]
    LowIncome,
    #[serde(rename = "schulden")]
    Debts,
    #[serde(rename = "vluchtelingengezin")]
    RefugeeFamily,
    #[serde(rename = "anders")]
    Other,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "soort", deny_unknown_fields)]
pub enum ReferralDto {
    #[serde(rename = "loket")]
    Loket,
    #[serde(rename = "partner")]
    Partner { partner: OrganisationId },
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordOutcomeRequest {
    #[serde(rename = "uitkomst")]
    pub outcome: OutcomeDto,
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<String>")]
    pub date: Option<Date>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum OutcomeDto {
    #[serde(rename = "bereikt")]
    Contacted,
    #[serde(rename = "aangevraagd")]
    Applied,
    #[serde(rename = "afgeslagen")]
    Declined,
    #[serde(rename = "onbereikbaar")]
    Unreachable,
}

impl From<ReasonDto> for SignalReason {
    fn from(value: ReasonDto) -> Self {
        match value {
            ReasonDto::LowIncome => SignalReason::LowIncome,
            ReasonDto::Debts => SignalReason::Debts,
            ReasonDto::RefugeeFamily => SignalReason::RefugeeFamily,
            ReasonDto::Other => SignalReason::Other,
        }
    }
}

impl From<SignalReason> for ReasonDto {
    fn from(value: SignalReason) -> Self {
        match value {
            SignalReason::LowIncome => ReasonDto::LowIncome,
            SignalReason::Debts => ReasonDto::Debts,
            SignalReason::RefugeeFamily => ReasonDto::RefugeeFamily,
            SignalReason::Other => ReasonDto::Other,
        }
    }
}

impl From<OutcomeDto> for SignalOutcome {
    fn from(value: OutcomeDto) -> Self {
        match value {
            OutcomeDto::Contacted => SignalOutcome::Contacted,
            OutcomeDto::Applied => SignalOutcome::Applied,
            OutcomeDto::Declined => SignalOutcome::Declined,
            OutcomeDto::Unreachable => SignalOutcome::Unreachable,
        }
    }
}

impl From<SignalOutcome> for OutcomeDto {
    fn from(value: SignalOutcome) -> Self {
        match value {
            SignalOutcome::Contacted => OutcomeDto::Contacted,
            SignalOutcome::Applied => OutcomeDto::Applied,
            SignalOutcome::Declined => OutcomeDto::Declined,
            SignalOutcome::Unreachable => OutcomeDto::Unreachable,
        }
    }
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, organisation = %caller.actor.organisation))]
pub async fn signal_child(
    State(store): State<AppState>,
    Path(gemeente): Path<String>,
    caller: Caller,
    ApiJson(request): ApiJson<SignalChildRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(SIGNALLERS)?;
    let gemeente = caller.gemeente(&gemeente)?;
    let signal_id = Uuid::new_v4();
    let referral = match request.referral {
        ReferralDto::Loket => Referral::Loket,
        ReferralDto::Partner { partner } => Referral::Partner { partner },
    };
    let command = SignalCommand::SignalChild {
        gemeente: gemeente.clone(),
        signal_id,
        signaller: caller.actor.organisation.clone(),
        child: request.child,
        household: request.household,
        reason: request.reason.into(),
        referral,
        signalled_on: request.date.unwrap_or_else(today),
    };
    store
        .execute(
            &signal_id.to_string(),
            command,
            &caller.command_context(&gemeente),
        )
        .await?;
    let location = format!("/api/v1/gemeenten/{gemeente}/signaleringen/{signal_id}");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(json!({"id": signal_id})),
    ))
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, signal_id = %id))]
pub async fn record_outcome(
    State(store): State<AppState>,
    Path((gemeente, id)): Path<(String, String)>,
    caller: Caller,
    ApiJson(request): ApiJson<RecordOutcomeRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require(SIGNALLERS)?;
    let gemeente = caller.gemeente(&gemeente)?;
    let signal_id = id_from_path(&id, "Signalering")?;
    let command = SignalCommand::RecordOutcome {
        gemeente: gemeente.clone(),
        outcome: request.outcome.into(),
        recorded_on: request.date.unwrap_or_else(today),
    };
    store
        .execute(
            &signal_id.to_string(),
            command,
            &caller.command_context(&gemeente),
        )
        .await?;
    Ok(Json(json!({"id": signal_id, "uitkomst": request.outcome})))
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, signal_id = %id))]
pub async fn get_signal(
    State(store): State<AppState>,
    Path((gemeente, id)): Path<(String, String)>,
    caller: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require(&[Role::Signaller, Role::Partner, Role::Regievoerder])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let signal_id = id_from_path(&id, "Signalering")?;
    let signal: Signal = store
        .load(&signal_id.to_string())
        .await
        .map_err(ApiError::internal)?;
    let not_found = || {
        ApiError::not_found(format!(
            "Signalering '{signal_id}' bestaat niet in deze gemeente."
        ))
    };
    let details = signal.details.as_ref().ok_or_else(not_found)?;
    if details.gemeente != gemeente {
        return Err(not_found());
    }
    // A signaller sees its own signals only (DESIGN.md §2).
    if caller.actor.role != Role::Regievoerder && caller.actor.organisation != details.signaller {
        return Err(not_found());
    }
    let referral = match &details.referral {
        Referral::Loket => json!({"soort": "loket"}),
        Referral::Partner { partner } => json!({"soort": "partner", "partner": partner}),
    };
    Ok(Json(json!({
        "id": details.signal_id,
        "gemeente": details.gemeente,
        "signaleerder": details.signaller,
        "kind": details.child,
        "reden": ReasonDto::from(details.reason),
        "verwezenNaar": referral,
        "datum": details.signalled_on,
        "uitkomst": signal.outcome.map(OutcomeDto::from),
    })))
}
