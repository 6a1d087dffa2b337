//! `/signaleringen`: signal a child by reference, list and read signals, and the referral's life:
//! accept, hand back, re-route, outcome.

use axum::extract::State;
use axum::Json;
use kindpakket_platform::clock;
use kindpakket_platform::dutch_enum;
use kindpakket_platform::free_text::FreeText;
use kindpakket_platform::http::vocabulary::ProvisionTypeDto;
use kindpakket_platform::http::{
    refused, ApiError, ApiJson, ApiPath, ApiQuery, Caller, Created, InGemeente, Page, Paging,
};
use kindpakket_platform::store::{CommandError, Tenanted};
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::signalling::{Referral, SignalOutcome};
use kindpakket_proto::{GemeenteCode, OrganisationId, Role, WijkCode};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use super::{Addressees, AppState, Partners, Regie, Signallers};
use crate::domain::signal::{
    Accept, Acting, RecordOutcome, Signal, SignalCommand, SignalError, Stage,
};
use crate::progress;
use crate::referrals::ReferralError;
use crate::signal_child::{NewSignal, SignalChildError};
use crate::worklist::{self, Filter, Lister};

/// A signal. The child and household are named by the caller's own reference (from
/// `/identificaties` of the application service): never a name, BSN or the gemeente's id.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalChildRequest {
    /// Your organisation's reference of the child.
    #[serde(rename = "kind")]
    pub child: String,
    /// Your organisation's reference of the household, if you have one.
    #[serde(rename = "huishouden", default)]
    pub household: Option<String>,
    /// The CBS code of the wijk the family lives in (`WK` and six digits), if known: routes can
    /// differ per wijk. Never an address.
    #[serde(default)]
    pub wijk: Option<WijkCode>,
    /// What kind of help the family seems to need: the routing of the regie sends the signal to the
    /// partner for it, or to the loket.
    #[serde(rename = "voorzieningsoort")]
    pub provision_type: ProvisionTypeDto,
    /// Why: kept sealed under the child's key, shown only to the signaller and the gemeente, never
    /// published.
    #[serde(rename = "reden")]
    pub reason: ReasonDto,
    /// What the signaller adds, if anything (kept like the reason). Short, and without a BSN,
    /// IBAN, e-mail address or telephone number (otherwise 422, and nothing is stored).
    #[serde(rename = "toelichting", default)]
    pub note: Option<FreeText>,
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

/// Where a signal is referred to.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "soort", deny_unknown_fields)]
pub enum ReferralDto {
    #[serde(rename = "loket")]
    Loket,
    #[serde(rename = "partner")]
    Partner { partner: OrganisationId },
}

impl From<Referral> for ReferralDto {
    fn from(referral: Referral) -> Self {
        match referral {
            Referral::Loket => ReferralDto::Loket,
            Referral::Partner { partner } => ReferralDto::Partner { partner },
        }
    }
}

/// Where the regie sends a signal again: `"loket"` or `{"partner": "<organisatie>"}`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RerouteTo {
    Loket,
    Partner(OrganisationId),
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RerouteRequest {
    #[serde(rename = "naar")]
    pub to: RerouteTo,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HandBackRequest {
    /// Why, if you want to say: short, without a BSN, IBAN, e-mail address or telephone number.
    /// Only the regie reads it; it is never shown to the signaller.
    #[serde(rename = "reden", default)]
    pub reason: Option<FreeText>,
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

/// What came of a referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum OutcomeDto {
    #[serde(rename = "gezin-bereikt")]
    FamilyReached,
    #[serde(rename = "afgezien")]
    Declined,
    #[serde(rename = "onbereikbaar")]
    Unreachable,
}

impl From<OutcomeDto> for SignalOutcome {
    fn from(outcome: OutcomeDto) -> Self {
        match outcome {
            OutcomeDto::FamilyReached => SignalOutcome::Contacted,
            OutcomeDto::Declined => SignalOutcome::Declined,
            OutcomeDto::Unreachable => SignalOutcome::Unreachable,
        }
    }
}

/// The status of a signal: its own stage, or how far the child got after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum StatusDto {
    #[serde(rename = "gesignaleerd")]
    Signalled,
    #[serde(rename = "doorverwezen")]
    Referred,
    #[serde(rename = "opgepakt")]
    Accepted,
    #[serde(rename = "teruggegeven")]
    HandedBack,
    #[serde(rename = "gezin-bereikt")]
    FamilyReached,
    #[serde(rename = "afgezien")]
    Declined,
    #[serde(rename = "onbereikbaar")]
    Unreachable,
    #[serde(rename = "aangevraagd")]
    Applied,
    #[serde(rename = "toegekend")]
    Granted,
    #[serde(rename = "bediend")]
    Served,
}

impl StatusDto {
    pub fn word(self) -> &'static str {
        match self {
            StatusDto::Signalled => "gesignaleerd",
            StatusDto::Referred => "doorverwezen",
            StatusDto::Accepted => "opgepakt",
            StatusDto::HandedBack => "teruggegeven",
            StatusDto::FamilyReached => "gezin-bereikt",
            StatusDto::Declined => "afgezien",
            StatusDto::Unreachable => "onbereikbaar",
            StatusDto::Applied => "aangevraagd",
            StatusDto::Granted => "toegekend",
            StatusDto::Served => "bediend",
        }
    }

    pub fn parse(word: &str) -> StatusDto {
        [
            StatusDto::Referred,
            StatusDto::Accepted,
            StatusDto::HandedBack,
            StatusDto::FamilyReached,
            StatusDto::Declined,
            StatusDto::Unreachable,
            StatusDto::Applied,
            StatusDto::Granted,
            StatusDto::Served,
        ]
        .into_iter()
        .find(|status| status.word() == word)
        .unwrap_or(StatusDto::Signalled)
    }

    /// The status of a signal by its own stage.
    fn of(signal: &Signal) -> StatusDto {
        match &signal.stage {
            Stage::None => StatusDto::Signalled,
            Stage::Referred => StatusDto::Referred,
            Stage::Accepted { .. } => StatusDto::Accepted,
            Stage::HandedBack { .. } => StatusDto::HandedBack,
            Stage::Closed => signal.outcome.map_or(StatusDto::Signalled, |outcome| {
                StatusDto::parse(worklist::outcome_word(outcome))
            }),
        }
    }
}

/// Filter of the work list: a status, or `te-laat` (referred, not picked up by its due date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum StatusFilterDto {
    #[serde(rename = "te-laat")]
    Overdue,
    #[serde(rename = "doorverwezen")]
    Referred,
    #[serde(rename = "opgepakt")]
    Accepted,
    #[serde(rename = "teruggegeven")]
    HandedBack,
    #[serde(rename = "gezin-bereikt")]
    FamilyReached,
    #[serde(rename = "afgezien")]
    Declined,
    #[serde(rename = "onbereikbaar")]
    Unreachable,
    #[serde(rename = "aangevraagd")]
    Applied,
    #[serde(rename = "toegekend")]
    Granted,
    #[serde(rename = "bediend")]
    Served,
}

impl StatusFilterDto {
    fn filter(self) -> Filter {
        let status = match self {
            StatusFilterDto::Overdue => return Filter::Overdue,
            StatusFilterDto::Referred => StatusDto::Referred,
            StatusFilterDto::Accepted => StatusDto::Accepted,
            StatusFilterDto::HandedBack => StatusDto::HandedBack,
            StatusFilterDto::FamilyReached => StatusDto::FamilyReached,
            StatusFilterDto::Declined => StatusDto::Declined,
            StatusFilterDto::Unreachable => StatusDto::Unreachable,
            StatusFilterDto::Applied => StatusDto::Applied,
            StatusFilterDto::Granted => StatusDto::Granted,
            StatusFilterDto::Served => StatusDto::Served,
        };
        Filter::Status(status.word())
    }
}

/// The query string of the work list.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SignalFilter {
    /// Only signals with this status; `te-laat` for referrals not picked up by their due date
    /// (regie and partners).
    #[serde(default)]
    pub status: Option<StatusFilterDto>,
    #[serde(flatten)]
    pub paging: Paging,
}

/// One signal on a work list: for a signaller its status only.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SignalRow {
    pub id: Uuid,
    #[serde(rename = "datum")]
    #[schemars(with = "DateSchema")]
    pub date: Date,
    pub status: StatusDto,
    /// Your organisation's reference of the child; `null` once the child was forgotten.
    #[serde(rename = "kind")]
    pub child: Option<String>,
    /// Who signalled (regie and partners).
    #[serde(rename = "signaleerder", skip_serializing_if = "Option::is_none")]
    pub signaller: Option<String>,
    /// Where it is referred to (regie and partners).
    #[serde(rename = "verwezenNaar", skip_serializing_if = "Option::is_none")]
    pub referral: Option<ReferralDto>,
    /// By when it must be picked up (regie and partners).
    #[serde(rename = "uiterlijk", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DateSchema>")]
    pub due_on: Option<Date>,
    /// Referred and not picked up by its due date (regie and partners).
    #[serde(rename = "teLaat", skip_serializing_if = "Option::is_none")]
    pub overdue: Option<bool>,
}

/// The signal in the path.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SignalPath {
    /// The signal's id, as its creation answered.
    pub id: Uuid,
}

/// A signal was recorded and routed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SignalCreated {
    pub id: Uuid,
    pub status: StatusDto,
}

/// A signal, with what the caller may see of it: a signaller its own signal with its status (and
/// the reason it gave); the partner it is referred to what it needs to act; the regie everything.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SignalView {
    pub id: Uuid,
    pub gemeente: GemeenteCode,
    pub status: StatusDto,
    #[serde(rename = "datum")]
    #[schemars(with = "DateSchema")]
    pub date: Date,
    /// Your organisation's reference of the child; `null` once it was forgotten.
    #[serde(rename = "kind")]
    pub child: Option<String>,
    /// Whether what was recorded about the child can no longer be read: it was forgotten.
    #[serde(rename = "vergeten")]
    pub forgotten: bool,
    /// Why it was signalled (signaller and regie); `null` once the child was forgotten.
    #[serde(rename = "reden", skip_serializing_if = "Option::is_none")]
    pub reason: Option<ReasonDto>,
    /// What the signaller added (signaller and regie).
    #[serde(rename = "toelichting", skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(rename = "signaleerder", skip_serializing_if = "Option::is_none")]
    pub signaller: Option<OrganisationId>,
    #[serde(rename = "voorzieningsoort", skip_serializing_if = "Option::is_none")]
    pub provision_type: Option<ProvisionTypeDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wijk: Option<WijkCode>,
    #[serde(rename = "verwezenNaar", skip_serializing_if = "Option::is_none")]
    pub referral: Option<ReferralDto>,
    #[serde(rename = "uiterlijk", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DateSchema>")]
    pub due_on: Option<Date>,
    #[serde(rename = "teLaat", skip_serializing_if = "Option::is_none")]
    pub overdue: Option<bool>,
    /// Why the partner handed it back (regie only).
    #[serde(rename = "teruggaveReden", skip_serializing_if = "Option::is_none")]
    pub hand_back_reason: Option<String>,
}

/// A referral's step was taken.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReferralAnswer {
    pub id: Uuid,
    pub status: StatusDto,
}

/// The signal was referred again.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Rerouted {
    pub id: Uuid,
    #[serde(rename = "verwezenNaar")]
    pub referral: ReferralDto,
    #[serde(rename = "uiterlijk")]
    #[schemars(with = "DateSchema")]
    pub due_on: Date,
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

impl From<ReferralError> for ApiError {
    fn from(error: ReferralError) -> Self {
        match error {
            ReferralError::Unknown(error) => error.into(),
            ReferralError::Refused(refusal) => refusal.into(),
            ReferralError::NotEnrolled(refusal) => refused(&refusal),
            ReferralError::Forgotten(refusal) => refused(&refusal),
            ReferralError::Technical(cause) => ApiError::internal(cause),
            ReferralError::Sealing(cause) => ApiError::internal(format!("{cause:#}")),
        }
    }
}

/// Who acts on a referral: the caller, as the loket when it is the regievoerder.
fn acting(caller: &Caller, gemeente: &GemeenteCode) -> Acting {
    Acting {
        gemeente: gemeente.clone(),
        organisation: caller.actor.organisation.clone(),
        as_loket: caller.is(Role::Regievoerder),
        via_link: None,
    }
}

/// A wijk lies in its gemeente: `WK` + the gemeente's four digits + two.
fn wijk_in(wijk: &WijkCode, gemeente: &GemeenteCode) -> bool {
    wijk.as_str().get(2..6) == gemeente.as_str().get(2..6)
}

/// A signaller or partner signals only while enrolled in the gemeente with the role `signaleren`
/// (otherwise 403); the regievoerder always may. The child (and household) are the caller's own
/// references; one it was not given is a Dutch 422, and nothing is stored. A note holding a BSN,
/// IBAN, e-mail address or telephone number is refused with a Dutch 422 before anything else.
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
    let organisation = &caller.actor.organisation;
    let child = state
        .references
        .child(organisation, &request.child)
        .map_err(|refusal| refused(&refusal))?;
    let household = match &request.household {
        Some(reference) => Some(
            state
                .references
                .household(organisation, reference)
                .map_err(|refusal| refused(&refusal))?,
        ),
        None => None,
    };
    let gemeente = &caller.gemeente;
    if request
        .wijk
        .as_ref()
        .is_some_and(|wijk| !wijk_in(wijk, gemeente))
    {
        return Err(ApiError::unprocessable(
            "Het veld 'wijk' moet een wijk van deze gemeente zijn: WK gevolgd door de vier cijfers van de gemeente en twee van de wijk. Er is niets opgeslagen.",
        ));
    }
    let signal_id = Uuid::new_v4();
    let command = NewSignal {
        gemeente: gemeente.clone(),
        signal_id,
        signaller: organisation.clone(),
        child,
        household,
        reason: request.reason.into(),
        note,
        provision_type: Some(request.provision_type.into()),
        wijk: request.wijk,
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
        SignalCreated {
            id: signal_id,
            status: StatusDto::Referred,
        },
    ))
}

/// The work list: a signaller its own signals (status only), a partner the referrals addressed to
/// it now, the regievoerder all of its gemeente. Newest first, paged by keyset.
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, organisation = %caller.actor.organisation))]
pub async fn list_signals(
    State(state): State<AppState>,
    caller: InGemeente<Signallers>,
    ApiQuery(filter): ApiQuery<SignalFilter>,
) -> Result<Json<Page<SignalRow>>, ApiError> {
    let organisation = caller.actor.organisation.clone();
    let lister = match caller.actor.role {
        Role::Regievoerder => Lister::Gemeente(caller.gemeente.clone()),
        Role::Partner => Lister::Partner(organisation.clone()),
        _ => Lister::Signaller(organisation.clone()),
    };
    let signaller_only = matches!(lister, Lister::Signaller(_));
    if signaller_only && filter.status == Some(StatusFilterDto::Overdue) {
        return Err(ApiError::bad_request(
            "'status=te-laat' is er voor de regie en de partners; een signaleerder ziet de status van zijn signaleringen.",
        ));
    }
    let limit = filter.paging.limit()?;
    let rows = worklist::list(
        &state.pool,
        &caller.gemeente,
        &lister,
        filter.status.map(StatusFilterDto::filter),
        filter.paging.after()?,
        filter.paging.fetch_limit()?,
        clock::today(),
    )
    .await
    .map_err(ApiError::internal)?;
    let page = Page::from_rows(rows, limit, |row| (row.signalled_on, row.signal_id));
    let references = state.references.clone();
    Ok(Json(page.map(|row| {
        SignalRow {
            id: row.signal_id,
            date: row.signalled_on,
            status: StatusDto::parse(&row.status),
            child: row
                .child
                .map(|child| references.of_child(&organisation, kindpakket_proto::ChildRef(child))),
            signaller: (!signaller_only).then_some(row.signaller),
            referral: (!signaller_only).then(|| match row.partner {
                Some(partner) => match OrganisationId::parse(&partner) {
                    Ok(partner) => ReferralDto::Partner { partner },
                    Err(_) => ReferralDto::Loket,
                },
                None => ReferralDto::Loket,
            }),
            due_on: row.due_on.filter(|_| !signaller_only),
            overdue: (!signaller_only).then_some(row.overdue),
        }
    })))
}

/// A signal, for the signaller that made it, the partner it is referred to now, and the regie; to
/// anyone else it is unknown (404).
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, signal_id = %id))]
pub async fn get_signal(
    State(state): State<AppState>,
    caller: InGemeente<Signallers>,
    ApiPath(SignalPath { id }): ApiPath<SignalPath>,
) -> Result<Json<SignalView>, ApiError> {
    let unknown = || ApiError::not_found(Signal::NOT_FOUND);
    let signal = state.signals.load_in(&caller.gemeente, id).await?;
    let details = signal.details.clone().ok_or_else(unknown)?;
    let organisation = &caller.actor.organisation;
    let regie = caller.is(Role::Regievoerder);
    let signaller = *organisation == details.signaller;
    let addressee = caller.is(Role::Partner) && signal.is_addressee(organisation, false);
    if !regie && !signaller && !addressee {
        return Err(unknown());
    }
    let internal = |error: anyhow::Error| ApiError::internal(format!("{error:#}"));
    let child_forgotten = state
        .keys
        .is_forgotten(details.child.0)
        .await
        .map_err(internal)?;
    // The reason opens for the signaller and the regie; once the child's key is destroyed it reads
    // as forgotten, and the child's reference is no longer shown either.
    let why = match (&details.why, regie || signaller) {
        (Some(sealed), true) => state.keys.open(sealed).await.map_err(internal)?.value(),
        _ => None,
    };
    let why = why.filter(|_| !child_forgotten);
    let hand_back_reason = match (&signal.hand_back_reason, regie && !child_forgotten) {
        (Some(sealed), true) => state.keys.open(sealed).await.map_err(internal)?.value(),
        _ => None,
    };
    let mut status = StatusDto::of(&signal);
    if !child_forgotten {
        let mut connection = state.pool.acquire().await.map_err(ApiError::internal)?;
        if let Some((stage, reached_on)) =
            progress::furthest(&mut connection, &details.gemeente, details.child.0)
                .await
                .map_err(ApiError::internal)?
        {
            if reached_on >= details.signalled_on {
                status = StatusDto::parse(stage.as_str());
            }
        }
    }
    let overdue = signal.stage == Stage::Referred
        && signal.due_on.is_some_and(|due_on| due_on < clock::today());
    let acting_part = regie || addressee;
    Ok(Json(SignalView {
        id: details.signal_id,
        gemeente: details.gemeente.clone(),
        status,
        date: details.signalled_on,
        child: (!child_forgotten).then(|| state.references.of_child(organisation, details.child)),
        forgotten: child_forgotten
            || (details.why.is_some() && why.is_none() && (regie || signaller)),
        reason: why.as_ref().map(|why| why.reason.into()),
        note: why
            .as_ref()
            .and_then(|why| why.note.as_ref())
            .map(|note| note.as_str().to_owned()),
        signaller: acting_part.then(|| details.signaller.clone()),
        provision_type: details
            .provision_type
            .filter(|_| acting_part)
            .map(ProvisionTypeDto::from),
        wijk: details.wijk.clone().filter(|_| acting_part),
        referral: signal
            .referral
            .clone()
            .filter(|_| acting_part)
            .map(ReferralDto::from),
        due_on: signal.due_on.filter(|_| acting_part),
        overdue: acting_part.then_some(overdue),
        hand_back_reason: hand_back_reason.map(|note| note.as_str().to_owned()),
    }))
}

/// Only the partner the signal is referred to (or, for the loket, the regievoerder) picks it up;
/// anyone else gets a 403 and nothing changes. Picking it up again changes nothing.
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, signal_id = %id))]
pub async fn accept(
    State(state): State<AppState>,
    caller: InGemeente<Addressees>,
    ApiPath(SignalPath { id }): ApiPath<SignalPath>,
) -> Result<Json<ReferralAnswer>, ApiError> {
    let command = SignalCommand::Accept(Accept {
        by: acting(&caller, &caller.gemeente),
        on: clock::today(),
    });
    state
        .signals
        .execute(id, command, &caller.command_context(&caller.gemeente))
        .await?;
    Ok(Json(ReferralAnswer {
        id,
        status: StatusDto::Accepted,
    }))
}

/// Only the partner the signal is referred to hands it back (403 otherwise); its reason, if any, is
/// checked free text, sealed under the child's key and shown to the regie only.
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, signal_id = %id))]
pub async fn hand_back(
    State(state): State<AppState>,
    caller: InGemeente<Partners>,
    ApiPath(SignalPath { id }): ApiPath<SignalPath>,
    ApiJson(request): ApiJson<HandBackRequest>,
) -> Result<Json<ReferralAnswer>, ApiError> {
    let reason = match request.reason {
        Some(reason) => Some(
            reason
                .checked("reden")
                .map_err(|refusal| refused(&refusal))?,
        )
        .filter(|reason| !reason.is_empty()),
        None => None,
    };
    crate::referrals::hand_back(
        &state.signals,
        &state.keys,
        id,
        acting(&caller, &caller.gemeente),
        reason,
        clock::today(),
        &caller.command_context(&caller.gemeente),
    )
    .await?;
    Ok(Json(ReferralAnswer {
        id,
        status: StatusDto::HandedBack,
    }))
}

/// The regievoerder refers a signal again: to the loket, or to a partner enrolled for the signal's
/// provision type (otherwise 422, and nothing changes). A new due date is set.
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, signal_id = %id))]
pub async fn reroute(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiPath(SignalPath { id }): ApiPath<SignalPath>,
    ApiJson(request): ApiJson<RerouteRequest>,
) -> Result<Json<Rerouted>, ApiError> {
    let to = match request.to {
        RerouteTo::Loket => Referral::Loket,
        RerouteTo::Partner(partner) => Referral::Partner { partner },
    };
    let due_on = crate::referrals::reroute(
        &state.pool,
        &state.signals,
        &caller.gemeente,
        id,
        to.clone(),
        clock::today(),
        &caller.command_context(&caller.gemeente),
    )
    .await?;
    Ok(Json(Rerouted {
        id,
        referral: to.into(),
        due_on,
    }))
}

/// The partner that picked the referral up, or the loket for a signal at the loket, records what
/// came of it; anyone else gets a 403 and nothing changes.
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, signal_id = %id))]
pub async fn record_outcome(
    State(state): State<AppState>,
    caller: InGemeente<Addressees>,
    ApiPath(SignalPath { id }): ApiPath<SignalPath>,
    ApiJson(request): ApiJson<RecordOutcomeRequest>,
) -> Result<Json<ReferralAnswer>, ApiError> {
    let command = SignalCommand::RecordOutcome(RecordOutcome {
        by: acting(&caller, &caller.gemeente),
        outcome: request.outcome.into(),
        recorded_on: request.date.unwrap_or_else(clock::today),
    });
    state
        .signals
        .execute(id, command, &caller.command_context(&caller.gemeente))
        .await
        .map_err(|error| match error {
            CommandError::Rejected(SignalError::NotFound) => ApiError::not_found(Signal::NOT_FOUND),
            error => error.into(),
        })?;
    Ok(Json(ReferralAnswer {
        id,
        status: StatusDto::parse(worklist::outcome_word(request.outcome.into())),
    }))
}
