//! `/aanvragen`: submit an application, read it, and decide on it (assess, grant, reject) or
//! withdraw it. Every answer but the submission's is the application as it now stands.

use axum::extract::State;
use axum::Json;
use kindpakket_platform::dutch_enum;
use kindpakket_platform::http::vocabulary::FundingSourceDto;
use kindpakket_platform::http::{refused, ApiError, ApiJson, ApiPath, Caller, Created, InGemeente};
use kindpakket_platform::store::LoadError;
use kindpakket_proto::application::{ApplicantChild, ApplicationSubmitted, Assessment, Outcome};
use kindpakket_proto::regie::Funder;
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::{
    Cents, ChildRef, GemeenteCode, HouseholdRef, OrganisationId, ProvisionCode, Role,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::{AppState, ApplicationReaders, Assessors, Regie, Submitters};
use crate::access::{self, Acting};
use crate::decisions::DecisionError;
use crate::domain::application::{Application, EntitlementToGrant, Status};
use crate::domain::eligibility::{self, CustomDecision};
use crate::intake::{self, IntakeError};

/// An application. Children and household appear by pseudonymous reference only: never send a
/// name, BSN or address, nor income documents.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    #[serde(rename = "kanaal")]
    pub channel: ChannelDto,
    /// The organisation applying on the family's behalf: for a partner or signaller its own
    /// organisation (filled in when left out; another is refused), which must be enrolled in the
    /// gemeente to take in applications (`aanvragen_innemen`). A parent leaves it out.
    #[serde(rename = "namens", default)]
    pub on_behalf_of: Option<OrganisationId>,
    #[serde(rename = "huishouden")]
    pub household: HouseholdRef,
    #[serde(rename = "kinderen")]
    pub children: Vec<ChildDto>,
    /// Household income as a percentage of the sociaal minimum.
    #[serde(rename = "inkomenPercentage")]
    pub income_percent: u16,
    /// The provisions asked for; leave out (or empty) for the whole package.
    #[serde(rename = "voorzieningen", default)]
    pub provisions: Vec<ProvisionCode>,
    /// The signal this application follows from.
    #[serde(rename = "signalering", default)]
    pub signal_id: Option<Uuid>,
    /// Date of the application; today when left out.
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<DateSchema>")]
    pub date: Option<Date>,
    /// Adults in the household (for the rule on money left after fixed costs).
    #[serde(rename = "volwassenen", default)]
    pub adults: Option<u8>,
    /// Money left per week after fixed costs and debt repayments, in cents.
    #[serde(rename = "leefgeldPerWeekCent", default)]
    pub money_left_cents: Option<Cents>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildDto {
    #[serde(rename = "kind")]
    pub child: ChildRef,
    #[serde(rename = "geboortejaar")]
    pub birth_year: i32,
    #[serde(rename = "geboortemaand")]
    pub birth_month: u8,
    #[serde(rename = "school", default)]
    pub school: Option<SchoolDto>,
}

dutch_enum!(
    /// Where the child goes to school.
    SchoolDto <=> kindpakket_proto::application::SchoolLevel {
        None = "geen",
        Primary = "basisschool",
        Brugklas = "brugklas",
        Secondary = "voortgezet_onderwijs",
        Mbo = "mbo",
    }
);

dutch_enum!(
    /// How the application came in.
    ChannelDto <=> kindpakket_proto::application::Channel {
        Loket = "loket",
        Online = "online",
        Partner = "partner",
        Wijkteam = "wijkteam",
        Cjg = "cjg",
    }
);

/// Assess against the regeling in force; maatwerk grants what the rules refuse, with a motivation.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessRequest {
    #[serde(rename = "maatwerk", default)]
    pub custom: Option<CustomDto>,
    /// Date of the decision; today when left out.
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<DateSchema>")]
    pub date: Option<Date>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomDto {
    /// Why the rules are set aside, in words the family and the auditor can read.
    #[serde(rename = "motivatie")]
    pub motivation: String,
    #[serde(rename = "toekenningen")]
    pub grants: Vec<CustomGrantDto>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomGrantDto {
    #[serde(rename = "kind")]
    pub child: ChildRef,
    #[serde(rename = "voorziening")]
    pub provision: ProvisionCode,
}

/// A grant by hand: the amounts the regievoerder chooses, through the regeling version in force on
/// the application date (its catalogue, funders and budgets, never the same cost twice).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    #[serde(rename = "rechten")]
    pub entitlements: Vec<EntitlementDto>,
    /// Date of the decision; today when left out.
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<DateSchema>")]
    pub date: Option<Date>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EntitlementDto {
    #[serde(rename = "kind")]
    pub child: ChildRef,
    #[serde(rename = "voorziening")]
    pub provision: ProvisionCode,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
    /// First day; the regeling's first day when left out. Within the regeling's period.
    #[serde(rename = "geldigVanaf", default)]
    #[schemars(with = "Option<DateSchema>")]
    pub valid_from: Option<Date>,
    /// Last day; the regeling's last day when left out. Within the regeling's period.
    #[serde(rename = "geldigTot", default)]
    #[schemars(with = "Option<DateSchema>")]
    pub valid_until: Option<Date>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// The reason, as the family will read it.
    #[serde(rename = "reden")]
    pub reason: String,
    /// Date of the decision; today when left out.
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<DateSchema>")]
    pub date: Option<Date>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    /// Date of the withdrawal; today when left out.
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<DateSchema>")]
    pub date: Option<Date>,
}

/// The application in the path.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ApplicationPath {
    /// The application's id, as its submission answered.
    pub id: Uuid,
}

/// An application was submitted.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ApplicationCreated {
    pub id: Uuid,
}

/// Where an application stands.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
pub enum StatusDto {
    #[serde(rename = "ingediend")]
    Submitted,
    #[serde(rename = "toegekend")]
    Granted,
    #[serde(rename = "afgewezen")]
    Rejected,
    #[serde(rename = "ingetrokken")]
    Withdrawn,
}

/// An application and its decision.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ApplicationView {
    pub id: Uuid,
    pub gemeente: GemeenteCode,
    pub status: StatusDto,
    #[serde(rename = "kanaal")]
    pub channel: ChannelDto,
    #[serde(rename = "namens")]
    pub on_behalf_of: Option<OrganisationId>,
    #[serde(rename = "huishouden")]
    pub household: HouseholdRef,
    #[serde(rename = "kinderen")]
    pub children: Vec<ChildView>,
    #[serde(rename = "inkomenPercentage")]
    pub income_percent: u16,
    /// The provisions asked for; empty for the whole package.
    #[serde(rename = "voorzieningen")]
    pub provisions: Vec<ProvisionCode>,
    #[serde(rename = "signalering")]
    pub signal_id: Option<Uuid>,
    #[serde(rename = "ingediendOp")]
    #[schemars(with = "DateSchema")]
    pub submitted_on: Date,
    /// When it was decided or withdrawn.
    #[serde(rename = "besluitOp")]
    #[schemars(with = "Option<DateSchema>")]
    pub decided_on: Option<Date>,
    #[serde(rename = "redenAfwijzing")]
    pub rejection_reason: Option<String>,
    #[serde(rename = "rechten")]
    pub entitlements: Vec<EntitlementView>,
    /// How it was assessed by the regeling, when it was.
    #[serde(rename = "beoordeling")]
    pub assessment: Option<AssessmentView>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ChildView {
    #[serde(rename = "kind")]
    pub child: ChildRef,
    #[serde(rename = "geboortejaar")]
    pub birth_year: i32,
    #[serde(rename = "geboortemaand")]
    pub birth_month: u8,
}

/// One child's right to one provision.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EntitlementView {
    pub id: Uuid,
    #[serde(rename = "kind")]
    pub child: ChildRef,
    #[serde(rename = "voorziening")]
    pub provision: ProvisionCode,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
    #[serde(rename = "geldigVanaf")]
    #[schemars(with = "DateSchema")]
    pub valid_from: Date,
    #[serde(rename = "geldigTot")]
    #[schemars(with = "DateSchema")]
    pub valid_until: Date,
}

/// The regeling version applied and the outcome per child and provision.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AssessmentView {
    pub regeling: Uuid,
    /// Whether the regievoerder granted by hand (`/toekenning`): the amounts are its choice, each
    /// outcome's reason is `granted_by_hand`.
    #[serde(rename = "handmatig")]
    pub by_hand: bool,
    #[serde(rename = "inkomenPercentage")]
    pub income_percent: u16,
    #[serde(rename = "maatwerkMotivatie")]
    pub custom_motivation: Option<String>,
    #[serde(rename = "uitkomsten")]
    pub outcomes: Vec<OutcomeView>,
}

/// One child and one provision: granted or not, how much, and why.
#[derive(Debug, Serialize, JsonSchema)]
pub struct OutcomeView {
    #[serde(rename = "kind")]
    pub child: ChildRef,
    #[serde(rename = "voorziening")]
    pub provision: ProvisionCode,
    #[serde(rename = "toegekend")]
    pub granted: bool,
    #[serde(rename = "aandeelPercentage")]
    pub share_percent: u8,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
    /// A stable code for the reason (e.g. `within_threshold`).
    #[serde(rename = "reden")]
    pub reason: String,
    /// The reason in plain Dutch, as the family reads it.
    #[serde(rename = "uitleg")]
    pub explanation: String,
    /// Who pays, when granted.
    #[serde(rename = "financier")]
    pub funder: Option<FunderView>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FunderView {
    #[serde(rename = "organisatie")]
    pub organisation: OrganisationId,
    #[serde(rename = "bron")]
    pub source: FundingSourceDto,
}

impl From<Status> for StatusDto {
    fn from(status: Status) -> Self {
        match status {
            Status::Submitted => StatusDto::Submitted,
            Status::Granted => StatusDto::Granted,
            Status::Rejected => StatusDto::Rejected,
            Status::Withdrawn => StatusDto::Withdrawn,
        }
    }
}

impl From<Funder> for FunderView {
    fn from(funder: Funder) -> Self {
        FunderView {
            organisation: funder.organisation,
            source: funder.source.into(),
        }
    }
}

impl From<Outcome> for OutcomeView {
    fn from(outcome: Outcome) -> Self {
        OutcomeView {
            child: outcome.child,
            provision: outcome.provision,
            granted: outcome.granted,
            share_percent: outcome.share_percent,
            amount_cents: outcome.amount_cents,
            reason: outcome.reason,
            explanation: outcome.explanation,
            funder: outcome.funder.map(Into::into),
        }
    }
}

impl From<Assessment> for AssessmentView {
    fn from(assessment: Assessment) -> Self {
        AssessmentView {
            regeling: assessment.regeling_id,
            by_hand: eligibility::given_by_hand(&assessment),
            income_percent: assessment.income_percent,
            custom_motivation: assessment.custom_motivation,
            outcomes: assessment.outcomes.into_iter().map(Into::into).collect(),
        }
    }
}

impl ApplicationView {
    /// The view of a submitted application of `gemeente`; `None` before it was submitted.
    fn of(gemeente: GemeenteCode, application: Application) -> Option<Self> {
        let submitted = application.submitted?;
        Some(ApplicationView {
            id: submitted.application_id,
            gemeente,
            status: application.status.unwrap_or(Status::Submitted).into(),
            channel: submitted.channel.into(),
            on_behalf_of: submitted.on_behalf_of,
            household: submitted.household,
            children: submitted
                .children
                .into_iter()
                .map(|child| ChildView {
                    child: child.child,
                    birth_year: child.birth_year,
                    birth_month: child.birth_month,
                })
                .collect(),
            income_percent: submitted.income_percent,
            provisions: submitted.requested_provisions,
            signal_id: submitted.signal_id,
            submitted_on: submitted.submitted_on,
            decided_on: application.decided_on,
            rejection_reason: application.rejection_reason,
            entitlements: application
                .entitlements
                .into_iter()
                .map(|entitlement| EntitlementView {
                    id: entitlement.entitlement_id,
                    child: entitlement.child,
                    provision: entitlement.provision,
                    amount_cents: entitlement.amount_cents,
                    valid_from: entitlement.valid_from,
                    valid_until: entitlement.valid_until,
                })
                .collect(),
            assessment: application.assessment.map(Into::into),
        })
    }
}

impl From<DecisionError> for ApiError {
    fn from(error: DecisionError) -> Self {
        match error {
            DecisionError::NoMandate { .. } => ApiError::forbidden(error.to_string()),
            DecisionError::UnknownApplication => ApiError::not_found(error.to_string()),
            DecisionError::NoRegelingInForce { .. } => ApiError::unprocessable(error.to_string()),
            DecisionError::Refused(refused) => refused.into(),
            DecisionError::Technical(cause) => ApiError::internal(format!("{cause:#}")),
        }
    }
}

impl From<IntakeError> for ApiError {
    fn from(error: IntakeError) -> Self {
        match error {
            IntakeError::Refused(refusal) => refused(&refusal),
            IntakeError::Rejected(rejected) => rejected.into(),
            IntakeError::Technical(cause) => ApiError::internal(format!("{cause:#}")),
        }
    }
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// Who calls, as far as applications care. A role none of these endpoints admits acts as a parent
/// without a household: for nobody.
fn acting(caller: &Caller) -> Acting {
    let organisation = caller.actor.organisation.clone();
    match caller.actor.role {
        Role::Regievoerder => Acting::Gemeente,
        Role::Partner => Acting::Partner { organisation },
        Role::Signaller => Acting::Signaller { organisation },
        Role::Applicant => Acting::Parent {
            household: caller.household,
        },
        Role::OverlegViewer | Role::Auditor | Role::System => Acting::Parent { household: None },
    }
}

/// What a caller who may not see an application is told: the same as for one that does not exist.
fn unknown() -> ApiError {
    DecisionError::UnknownApplication.into()
}

/// The application of `gemeente`, or the same 404 as for one that does not exist.
async fn load(
    state: &AppState,
    gemeente: &GemeenteCode,
    application_id: Uuid,
) -> Result<Application, ApiError> {
    match state.applications.load_in(gemeente, application_id).await {
        Ok(application) => Ok(application),
        Err(LoadError::NotFound(_)) => Err(unknown()),
        Err(error) => Err(error.into()),
    }
}

/// The application as it now stands, after a decision.
async fn as_it_stands(
    state: &AppState,
    gemeente: &GemeenteCode,
    application_id: Uuid,
) -> Result<Json<ApplicationView>, ApiError> {
    let application = load(state, gemeente, application_id).await?;
    ApplicationView::of(gemeente.clone(), application)
        .map(Json)
        .ok_or_else(unknown)
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn submit(
    State(state): State<AppState>,
    caller: InGemeente<Submitters>,
    ApiJson(request): ApiJson<SubmitRequest>,
) -> Result<Created<ApplicationCreated>, ApiError> {
    let gemeente = &caller.gemeente;
    let application_id = Uuid::new_v4();
    let application = ApplicationSubmitted {
        application_id,
        household: request.household,
        channel: request.channel.into(),
        on_behalf_of: request.on_behalf_of,
        children: request
            .children
            .into_iter()
            .map(|child| ApplicantChild {
                child: child.child,
                birth_year: child.birth_year,
                birth_month: child.birth_month,
                school: child.school.map(Into::into),
            })
            .collect(),
        income_percent: request.income_percent,
        requested_provisions: request.provisions,
        signal_id: request.signal_id,
        submitted_on: request.date.unwrap_or_else(today),
        adults: request.adults,
        money_left_cents: request.money_left_cents,
    };
    intake::submit(
        &state.applications,
        &state.pool,
        &caller.command_context(gemeente),
        &acting(&caller),
        application,
    )
    .await?;
    Ok(Created::at(
        format!("/api/v1/gemeenten/{gemeente}/aanvragen/{application_id}"),
        ApplicationCreated { id: application_id },
    ))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, application_id = %id))]
pub async fn get_application(
    State(state): State<AppState>,
    caller: InGemeente<ApplicationReaders>,
    ApiPath(ApplicationPath { id }): ApiPath<ApplicationPath>,
) -> Result<Json<ApplicationView>, ApiError> {
    let gemeente = &caller.gemeente;
    let application = load(&state, gemeente, id).await?;
    let visible = access::may_see(&state.pool, &acting(&caller), gemeente, &application)
        .await
        .map_err(|cause| ApiError::internal(format!("{cause:#}")))?;
    if !visible {
        return Err(unknown());
    }
    ApplicationView::of(gemeente.clone(), application)
        .map(Json)
        .ok_or_else(unknown)
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, application_id = %id))]
pub async fn assess(
    State(state): State<AppState>,
    caller: InGemeente<Assessors>,
    ApiPath(ApplicationPath { id }): ApiPath<ApplicationPath>,
    ApiJson(request): ApiJson<AssessRequest>,
) -> Result<Json<ApplicationView>, ApiError> {
    let custom = request.custom.map(|custom| CustomDecision {
        motivation: custom.motivation,
        grants: custom
            .grants
            .into_iter()
            .map(|grant| (grant.child, grant.provision))
            .collect(),
    });
    let context = caller.command_context(&caller.gemeente);
    state
        .decisions(&context)
        .assess(
            &acting(&caller),
            id,
            custom,
            request.date.unwrap_or_else(today),
        )
        .await?;
    as_it_stands(&state, &caller.gemeente, id).await
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, application_id = %id))]
pub async fn grant(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiPath(ApplicationPath { id }): ApiPath<ApplicationPath>,
    ApiJson(request): ApiJson<GrantRequest>,
) -> Result<Json<ApplicationView>, ApiError> {
    let entitlements = request
        .entitlements
        .into_iter()
        .map(|entitlement| EntitlementToGrant {
            child: entitlement.child,
            provision: entitlement.provision,
            amount_cents: entitlement.amount_cents,
            valid_from: entitlement.valid_from,
            valid_until: entitlement.valid_until,
        })
        .collect();
    let context = caller.command_context(&caller.gemeente);
    state
        .decisions(&context)
        .grant(id, entitlements, request.date.unwrap_or_else(today))
        .await?;
    as_it_stands(&state, &caller.gemeente, id).await
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, application_id = %id))]
pub async fn reject(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiPath(ApplicationPath { id }): ApiPath<ApplicationPath>,
    ApiJson(request): ApiJson<RejectRequest>,
) -> Result<Json<ApplicationView>, ApiError> {
    let context = caller.command_context(&caller.gemeente);
    state
        .decisions(&context)
        .reject(id, request.reason, request.date.unwrap_or_else(today))
        .await?;
    as_it_stands(&state, &caller.gemeente, id).await
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, application_id = %id))]
pub async fn withdraw(
    State(state): State<AppState>,
    caller: InGemeente<Submitters>,
    ApiPath(ApplicationPath { id }): ApiPath<ApplicationPath>,
    ApiJson(request): ApiJson<WithdrawRequest>,
) -> Result<Json<ApplicationView>, ApiError> {
    let context = caller.command_context(&caller.gemeente);
    state
        .decisions(&context)
        .withdraw(&acting(&caller), id, request.date.unwrap_or_else(today))
        .await?;
    as_it_stands(&state, &caller.gemeente, id).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use kindpakket_proto::application::{Channel, GrantedEntitlement};
    use kindpakket_proto::regie::FundingSource;
    use serde_json::json;
    use time::macros::date;

    fn decided() -> Application {
        let child = ChildRef(Uuid::from_u128(11));
        let sport = ProvisionCode::parse("sportcontributie").unwrap();
        let funder = Funder {
            organisation: OrganisationId::parse("jeugdfonds-sport-cultuur").unwrap(),
            source: FundingSource::ExternalFunds,
        };
        Application {
            gemeente: Some(GemeenteCode::parse("GM0518").unwrap()),
            submitted: Some(ApplicationSubmitted {
                application_id: Uuid::from_u128(5),
                household: HouseholdRef(Uuid::from_u128(6)),
                channel: Channel::Partner,
                on_behalf_of: Some(OrganisationId::parse("leergeld-den-haag").unwrap()),
                children: vec![ApplicantChild {
                    child,
                    birth_year: 2016,
                    birth_month: 5,
                    school: Some(kindpakket_proto::application::SchoolLevel::Primary),
                }],
                income_percent: 115,
                requested_provisions: vec![sport.clone()],
                signal_id: None,
                submitted_on: date!(2026 - 09 - 01),
                adults: Some(2),
                money_left_cents: Some(Cents(30_000)),
            }),
            status: Some(Status::Granted),
            entitlements: vec![GrantedEntitlement {
                entitlement_id: Uuid::from_u128(9),
                child,
                provision: sport.clone(),
                amount_cents: Cents(25_000),
                valid_from: date!(2026 - 01 - 01),
                valid_until: date!(2026 - 12 - 31),
                funder: Some(funder.clone()),
                co_financing: None,
                form: None,
                unit_value_cents: None,
            }],
            rejection_reason: None,
            decided_on: Some(date!(2026 - 09 - 10)),
            assessment: Some(Assessment {
                regeling_id: Uuid::from_u128(2026),
                income_percent: 115,
                outcomes: vec![
                    Outcome {
                        child,
                        provision: sport.clone(),
                        granted: true,
                        share_percent: 100,
                        amount_cents: Cents(25_000),
                        reason: "within_threshold".to_owned(),
                        explanation: "U krijgt het.".to_owned(),
                        funder: Some(funder),
                    },
                    Outcome {
                        child,
                        provision: ProvisionCode::parse("zwemles").unwrap(),
                        granted: false,
                        share_percent: 0,
                        amount_cents: Cents::ZERO,
                        reason: "outside_age_band".to_owned(),
                        explanation: "Te oud.".to_owned(),
                        funder: None,
                    },
                ],
                custom_motivation: None,
            }),
        }
    }

    #[test]
    fn an_application_reads_as_it_always_did() {
        let gemeente = GemeenteCode::parse("GM0518").unwrap();
        let view = ApplicationView::of(gemeente, decided()).unwrap();
        assert_eq!(
            serde_json::to_value(view).unwrap(),
            json!({
                "id": Uuid::from_u128(5),
                "gemeente": "GM0518",
                "status": "toegekend",
                "kanaal": "partner",
                "namens": "leergeld-den-haag",
                "huishouden": Uuid::from_u128(6),
                "kinderen": [{"kind": Uuid::from_u128(11), "geboortejaar": 2016, "geboortemaand": 5}],
                "inkomenPercentage": 115,
                "voorzieningen": ["sportcontributie"],
                "signalering": null,
                "ingediendOp": "2026-09-01",
                "besluitOp": "2026-09-10",
                "redenAfwijzing": null,
                "rechten": [{
                    "id": Uuid::from_u128(9),
                    "kind": Uuid::from_u128(11),
                    "voorziening": "sportcontributie",
                    "bedragCent": 25000,
                    "geldigVanaf": "2026-01-01",
                    "geldigTot": "2026-12-31",
                }],
                "beoordeling": {
                    "regeling": Uuid::from_u128(2026),
                    "handmatig": false,
                    "inkomenPercentage": 115,
                    "maatwerkMotivatie": null,
                    "uitkomsten": [{
                        "kind": Uuid::from_u128(11),
                        "voorziening": "sportcontributie",
                        "toegekend": true,
                        "aandeelPercentage": 100,
                        "bedragCent": 25000,
                        "reden": "within_threshold",
                        "uitleg": "U krijgt het.",
                        "financier": {"organisatie": "jeugdfonds-sport-cultuur", "bron": "externe_fondsen"},
                    }, {
                        "kind": Uuid::from_u128(11),
                        "voorziening": "zwemles",
                        "toegekend": false,
                        "aandeelPercentage": 0,
                        "bedragCent": 0,
                        "reden": "outside_age_band",
                        "uitleg": "Te oud.",
                        "financier": null,
                    }],
                },
            })
        );
    }

    #[test]
    fn an_undecided_application_has_nulls_where_the_decision_goes() {
        let application = Application {
            status: Some(Status::Submitted),
            entitlements: vec![],
            decided_on: None,
            assessment: None,
            ..decided()
        };
        let gemeente = GemeenteCode::parse("GM0518").unwrap();
        let view =
            serde_json::to_value(ApplicationView::of(gemeente, application).unwrap()).unwrap();
        assert_eq!(view["status"], "ingediend");
        assert_eq!(view["besluitOp"], json!(null));
        assert_eq!(view["beoordeling"], json!(null));
        assert_eq!(view["rechten"], json!([]));
        assert!(ApplicationView::of(
            GemeenteCode::parse("GM0518").unwrap(),
            Application::default()
        )
        .is_none());
    }

    #[test]
    fn who_calls_decides_what_they_see() {
        let mut caller = Caller {
            actor: kindpakket_proto::Actor {
                organisation: OrganisationId::parse("leergeld-den-haag").unwrap(),
                role: Role::Partner,
            },
            subject: "medewerker".to_owned(),
            gemeenten: vec![GemeenteCode::parse("GM0518").unwrap()],
            household: None,
            correlation_id: Uuid::nil(),
        };
        assert_eq!(
            acting(&caller),
            Acting::Partner {
                organisation: OrganisationId::parse("leergeld-den-haag").unwrap()
            }
        );
        caller.actor.role = Role::Applicant;
        caller.household = Some(Uuid::from_u128(6));
        assert_eq!(
            acting(&caller),
            Acting::Parent {
                household: Some(Uuid::from_u128(6))
            }
        );
        caller.actor.role = Role::Regievoerder;
        assert_eq!(acting(&caller), Acting::Gemeente);
        caller.actor.role = Role::Signaller;
        assert_eq!(
            acting(&caller),
            Acting::Signaller {
                organisation: OrganisationId::parse("leergeld-den-haag").unwrap()
            }
        );
        caller.actor.role = Role::Auditor;
        assert_eq!(acting(&caller), Acting::Parent { household: None });
    }
}
