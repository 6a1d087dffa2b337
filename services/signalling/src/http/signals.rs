//! `/signaleringen`: signal a child, read a signal, record its outcome.

use axum::extract::State;
use axum::Json;
use kindpakket_platform::clock;
use kindpakket_platform::dutch_enum;
use kindpakket_platform::free_text::FreeText;
use kindpakket_platform::http::{refused, ApiError, ApiJson, ApiPath, Created, InGemeente};
use kindpakket_platform::store::Tenanted;
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::signalling::Referral;
use kindpakket_proto::{ChildRef, GemeenteCode, HouseholdRef, OrganisationId, Role};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use super::{AppState, Signallers};
use crate::domain::signal::{RecordOutcome, Signal, SignalCommand};
use crate::signal_child::{NewSignal, SignalChildError};

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
    /// Why: kept sealed under the child's key, shown only to the signaller and the gemeente, never
    /// published.
    #[serde(rename = "reden")]
    pub reason: ReasonDto,
    /// What the signaller adds, if anything (kept like the reason). Short, and without a BSN,
    /// IBAN, e-mail address or telephone number (otherwise 422, and nothing is stored).
    #[serde(rename = "toelichting", default)]
    pub note: Option<FreeText>,
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
    /// The child; `null` once it was forgotten.
    #[serde(rename = "kind")]
    pub child: Option<ChildRef>,
    /// Why it was signalled; `null` once the child was forgotten.
    #[serde(rename = "reden")]
    pub reason: Option<ReasonDto>,
    /// What the signaller added; `null` when nothing, and once the child was forgotten.
    #[serde(rename = "toelichting")]
    pub note: Option<String>,
    /// Whether what was recorded about the child can no longer be read: it was forgotten (erased
    /// at the gemeente, or its retention ended).
    #[serde(rename = "vergeten")]
    pub forgotten: bool,
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

impl From<SignalChildError> for ApiError {
    fn from(error: SignalChildError) -> Self {
        match error {
            SignalChildError::NotEnrolled(refusal) => refused(&refusal),
            SignalChildError::Refused(refusal) => refusal.into(),
            SignalChildError::Forgotten(refusal) => refused(&refusal),
            SignalChildError::Technical(cause) => ApiError::internal(cause),
            SignalChildError::Sealing(cause) => ApiError::internal(format!("{cause:#}")),
        }
    }
}

/// A signaller or partner signals only while enrolled in the gemeente with the role `signaleren`
/// (otherwise 403); the regievoerder always may. A note holding a BSN, IBAN, e-mail address or
/// telephone number is refused with a Dutch 422 before anything else, and nothing is stored.
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, organisation = %caller.actor.organisation))]
pub async fn signal_child(
    State(state): State<AppState>,
    caller: InGemeente<Signallers>,
    ApiJson(request): ApiJson<SignalChildRequest>,
) -> Result<Created<SignalCreated>, ApiError> {
    let note = match request.note {
        Some(note) => Some(
            note.checked("toelichting")
                .map_err(|refusal| refused(&refusal))?,
        )
        .filter(|note| !note.is_empty()),
        None => None,
    };
    let gemeente = &caller.gemeente;
    let signal_id = Uuid::new_v4();
    let command = NewSignal {
        gemeente: gemeente.clone(),
        signal_id,
        signaller: caller.actor.organisation.clone(),
        child: request.child,
        household: request.household,
        reason: request.reason.into(),
        note,
        referral: request.referral.into(),
        signalled_on: request.date.unwrap_or_else(clock::today),
    };
    crate::signal_child::signal_child(
        &state.pool,
        &state.signals,
        &state.keys,
        command,
        &caller.command_context(gemeente),
        clock::today(),
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
        recorded_on: request.date.unwrap_or_else(clock::today),
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
    // The reason opens for those who may read the signal; once the child's key is destroyed it
    // reads as forgotten, and the child's reference is no longer shown either.
    let why = match &details.why {
        Some(sealed) => state
            .keys
            .open(sealed)
            .await
            .map_err(|error| ApiError::internal(format!("{error:#}")))?
            .value(),
        None => None,
    };
    let child_forgotten = state
        .keys
        .is_forgotten(details.child.0)
        .await
        .map_err(|error| ApiError::internal(format!("{error:#}")))?;
    let forgotten = why.is_none() || child_forgotten;
    let why = why.filter(|_| !child_forgotten);
    Ok(Json(SignalView {
        id: details.signal_id,
        gemeente: details.gemeente,
        signaller: details.signaller,
        child: (!child_forgotten).then_some(details.child),
        reason: why.as_ref().map(|why| why.reason.into()),
        note: why
            .as_ref()
            .and_then(|why| why.note.as_ref())
            .map(|note| note.as_str().to_owned()),
        forgotten,
        referral: details.referral.into(),
        date: details.signalled_on,
        outcome: signal.outcome.map(OutcomeDto::from),
    }))
}
