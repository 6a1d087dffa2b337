//! `/signaleringen`: signal a child, read a signal, record its outcome.

use axum::extract::State;
use axum::Json;
use kindpakket_platform::dutch_enum;
use kindpakket_platform::http::{refused, ApiError, ApiJson, ApiPath, Created, InGemeente};
use kindpakket_platform::store::Tenanted;
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::signalling::Referral;
use kindpakket_proto::{ChildRef, GemeenteCode, HouseholdRef, OrganisationId, Role};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::{AppState, Signallers};
use crate::domain::signal::{RecordOutcome, Signal, SignalChild, SignalCommand};
use crate::signal_child::SignalChildError;

/// A signal. Children are named only by their pseudonymous reference: never send a name or BSN.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalChildRequest {
    /// Pseudonymous reference of the child (from the gemeente's identity register).
    #[serde(rename = "kind")]
    pub child: ChildRef,
    /// Pseudonymous reference of the household, if known.
    #[serde(rename = "huishouden", default)]
    pub household: Option<HouseholdRef>,
    #[serde(rename = "reden")]
    pub reason: ReasonDto,
    /// The loket, or a partner enrolled in the gemeente (otherwise 422).
    #[serde(rename = "verwezenNaar")]
    pub referral: ReferralDto,
    /// Date of the signal; today when left out.
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<DateSchema>")]
    pub date: Option<Date>,
}

dutch_enum!(
    /// Why the child was signalled.
    ReasonDto <=> kindpakket_proto::signalling::SignalReason {
        LowIncome = "laag_inkomen",
        Debts = "schulden",
        RefugeeFamily = "vluchtelingengezin",
        Other = "anders",
    }
);

/// Where the family was referred to.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "soort", deny_unknown_fields)]
pub enum ReferralDto {
    #[serde(rename = "loket")]
    Loket,
    #[serde(rename = "partner")]
    Partner { partner: OrganisationId },
}

impl From<ReferralDto> for Referral {
    fn from(referral: ReferralDto) -> Self {
        match referral {
            ReferralDto::Loket => Referral::Loket,
            ReferralDto::Partner { partner } => Referral::Partner { partner },
        }
    }
}

impl From<Referral> for ReferralDto {
    fn from(referral: Referral) -> Self {
        match referral {
            Referral::Loket => ReferralDto::Loket,
            Referral::Partner { partner } => ReferralDto::Partner { partner },
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordOutcomeRequest {
    #[serde(rename = "uitkomst")]
    pub outcome: OutcomeDto,
    /// Date of the outcome; today when left out.
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<DateSchema>")]
    pub date: Option<Date>,
}

dutch_enum!(
    /// What came of a signal.
    OutcomeDto <=> kindpakket_proto::signalling::SignalOutcome {
        Contacted = "bereikt",
        Applied = "aangevraagd",
        Declined = "afgeslagen",
        Unreachable = "onbereikbaar",
    }
);

/// The signal in the path.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SignalPath {
    /// The signal's id, as its creation answered.
    pub id: Uuid,
}

/// A signal was recorded.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SignalCreated {
    pub id: Uuid,
}

/// A signal and what came of it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SignalView {
    pub id: Uuid,
    pub gemeente: GemeenteCode,
    #[serde(rename = "signaleerder")]
    pub signaller: OrganisationId,
    #[serde(rename = "kind")]
    pub child: ChildRef,
    #[serde(rename = "reden")]
    pub reason: ReasonDto,
    #[serde(rename = "verwezenNaar")]
    pub referral: ReferralDto,
    #[serde(rename = "datum")]
    #[schemars(with = "DateSchema")]
    pub date: Date,
    /// What came of it, once recorded.
    #[serde(rename = "uitkomst")]
    pub outcome: Option<OutcomeDto>,
}

/// The outcome now recorded.
#[derive(Debug, Serialize, JsonSchema)]
pub struct OutcomeRecorded {
    pub id: Uuid,
    #[serde(rename = "uitkomst")]
    pub outcome: OutcomeDto,
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

impl From<SignalChildError> for ApiError {
    fn from(error: SignalChildError) -> Self {
        match error {
            SignalChildError::NotEnrolled(refusal) => refused(&refusal),
            SignalChildError::Refused(refusal) => refusal.into(),
            SignalChildError::Technical(cause) => ApiError::internal(cause),
        }
    }
}

/// A signaller or partner signals only while enrolled in the gemeente with the role `signaleren`
/// (otherwise 403); the regievoerder always may.
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, organisation = %caller.actor.organisation))]
pub async fn signal_child(
    State(state): State<AppState>,
    caller: InGemeente<Signallers>,
    ApiJson(request): ApiJson<SignalChildRequest>,
) -> Result<Created<SignalCreated>, ApiError> {
    let gemeente = &caller.gemeente;
    let signal_id = Uuid::new_v4();
    let command = SignalChild {
        gemeente: gemeente.clone(),
        signal_id,
        signaller: caller.actor.organisation.clone(),
        child: request.child,
        household: request.household,
        reason: request.reason.into(),
        referral: request.referral.into(),
        signalled_on: request.date.unwrap_or_else(today),
    };
    crate::signal_child::signal_child(
        &state.pool,
        &state.signals,
        command,
        &caller.command_context(gemeente),
        today(),
    )
    .await?;
    Ok(Created::at(
        format!("/api/v1/gemeenten/{gemeente}/signaleringen/{signal_id}"),
        SignalCreated { id: signal_id },
    ))
}

/// Only the organisation that signalled records the outcome; to anyone else the signal is unknown.
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, signal_id = %id))]
pub async fn record_outcome(
    State(state): State<AppState>,
    caller: InGemeente<Signallers>,
    ApiPath(SignalPath { id }): ApiPath<SignalPath>,
    ApiJson(request): ApiJson<RecordOutcomeRequest>,
) -> Result<Json<OutcomeRecorded>, ApiError> {
    let command = SignalCommand::RecordOutcome(RecordOutcome {
        gemeente: caller.gemeente.clone(),
        recorded_by: caller.actor.organisation.clone(),
        outcome: request.outcome.into(),
        recorded_on: request.date.unwrap_or_else(today),
    });
    state
        .signals
        .execute(id, command, &caller.command_context(&caller.gemeente))
        .await?;
    Ok(Json(OutcomeRecorded {
        id,
        outcome: request.outcome,
    }))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, signal_id = %id))]
pub async fn get_signal(
    State(state): State<AppState>,
    caller: InGemeente<Signallers>,
    ApiPath(SignalPath { id }): ApiPath<SignalPath>,
) -> Result<Json<SignalView>, ApiError> {
    let unknown = || ApiError::not_found(Signal::NOT_FOUND);
    let signal = state.signals.load_in(&caller.gemeente, id).await?;
    let details = signal.details.ok_or_else(unknown)?;
    // A signaller sees its own signals only; the gemeente all of its gemeente.
    if !caller.is(Role::Regievoerder) && caller.actor.organisation != details.signaller {
        return Err(unknown());
    }
    Ok(Json(SignalView {
        id: details.signal_id,
        gemeente: details.gemeente,
        signaller: details.signaller,
        child: details.child,
        reason: details.reason.into(),
        referral: details.referral.into(),
        date: details.signalled_on,
        outcome: signal.outcome.map(OutcomeDto::from),
    }))
}
