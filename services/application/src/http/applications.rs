//! `/aanvragen`: submit an application, list and read them, and decide on one (assess, grant,
//! reject) or withdraw it. Every answer but the submission's is the application as it now stands,
//! as the caller may see it ([`super::views`]).
//!
//! Every read of an application — a list, a detail, the answer of a decision — is recorded on the
//! vault's hash-chained audit log (who, for what purpose, which application, when), with the purpose
//! from `X-Doel` or the endpoint's own. Free text (a maatwerk motivation, a reason) is checked
//! ([`FreeText::checked`]) before anything is done, and sealed under the household's key by the
//! aggregate. An organisation names children and households by its own references, in requests
//! and answers ([`crate::pseudonyms`]); one that is not its own is a 422 "onbekende referentie",
//! nothing changed.

use axum::extract::State;
use axum::Json;
use kindpakket_platform::dutch_enum;
use kindpakket_platform::free_text::FreeText;
use kindpakket_platform::http::paging::{ApiQuery, Page, Paging};
use kindpakket_platform::http::{refused, ApiError, ApiJson, ApiPath, Caller, Created, InGemeente};
use kindpakket_platform::store::LoadError;
use kindpakket_proto::application::ApplicantChild;
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::{Cents, ChildRef, GemeenteCode, OrganisationId, ProvisionCode, Role};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use super::purpose::{actor, Origin, Purpose};
use super::views::{ApplicationSummary, ApplicationView, ChannelDto, Unsealed};
use super::{AppState, ApplicationReaders, Assessors, Regie, Submitters};
use crate::access::{self, Acting};
use crate::decisions::DecisionError;
use crate::domain::application::taken::{Consent, Worker};
use crate::domain::application::{Application, EntitlementToGrant, NewApplication};
use crate::domain::eligibility::{AssessmentInputs, CustomDecision};
use crate::intake::{self, IntakeError, Stated, Taker};
use crate::overview::{self, ListFilter, Lister};
use crate::pseudonyms::{Reader, UnknownReference};
use crate::vault::audit::Entry;
use kindpakket_platform::clock::today;

/// An application. Children and household appear by pseudonymous reference only: never send a
/// name, BSN or address, nor income documents. An organisation (partner, signaller) names them by
/// the references its identification (`POST …/identificaties`) gave it, and states the parent's
/// consent and the declared gezag; a parent names them by id and may say who helped.
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
    /// The household: a parent its id (their login's), an organisation its own reference of it.
    #[serde(rename = "huishouden")]
    pub household: String,
    #[serde(rename = "kinderen")]
    pub children: Vec<ChildDto>,
    /// Household income as a percentage of the sociaal minimum.
    /// Kept sealed under the household's key; never published.
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
    /// On the family's behalf (partner, signaller, loket): the parent's consent. Required then.
    #[serde(rename = "toestemming", default)]
    pub consent: Option<ConsentDto>,
    /// On the family's behalf: that the applicant declared to have parental authority (gezag) over
    /// the children. Required then.
    #[serde(rename = "gezag", default)]
    pub gezag: Option<GezagDto>,
    /// A parent applying under their own login: the organisation that helped them, if one did
    /// (enrolled to take in applications).
    #[serde(rename = "geholpenDoor", default)]
    pub assisted_by: Option<OrganisationId>,
}

/// The parent's consent to apply on their behalf.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentDto {
    /// Whether the parent gave it (only `true` is accepted).
    #[serde(rename = "gegeven")]
    pub given: bool,
    /// When: on or before the application date.
    #[serde(rename = "datum")]
    #[schemars(with = "DateSchema")]
    pub given_on: Date,
    #[serde(rename = "vorm")]
    pub form: ConsentFormDto,
}

dutch_enum!(
    /// How the parent gave consent.
    ConsentFormDto <=> crate::domain::application::taken::ConsentForm {
        Oral = "mondeling",
        Written = "schriftelijk",
        Digital = "digitaal",
    }
);

/// What the applicant declared about parental authority.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GezagDto {
    /// The applicant declared to have gezag over the children applied for (only `true` is
    /// accepted). Recorded as checked by you (your login) now, source `verklaring`.
    #[serde(rename = "verklaard")]
    pub declared: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildDto {
    /// The child: a parent its id, an organisation its own reference of it.
    #[serde(rename = "kind")]
    pub child: String,
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
    /// Why the rules are set aside, in words the family and the auditor can read: short, without
    /// BSN, IBAN, e-mail address or telephone number (sealed under the household's key).
    #[serde(rename = "motivatie")]
    pub motivation: FreeText,
    #[serde(rename = "toekenningen")]
    pub grants: Vec<CustomGrantDto>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomGrantDto {
    /// The child: a partner names it by its own reference, as it read it in the application.
    #[serde(rename = "kind")]
    pub child: String,
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
    /// The reason, as the family will read it: short, without BSN, IBAN, e-mail address or
    /// telephone number (sealed under the household's key).
    #[serde(rename = "reden")]
    pub reason: FreeText,
    /// Date of the decision; today when left out.
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<DateSchema>")]
    pub date: Option<Date>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    /// Why, if you wish to say: short, without BSN, IBAN, e-mail address or telephone number
    /// (sealed under the household's key).
    #[serde(rename = "reden", default)]
    pub reason: Option<FreeText>,
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

/// The purposes recorded on the audit log when a read states none (`X-Doel`).
mod purposes {
    pub const LIST: &str = "aanvragen overzien";
    pub const READ: &str = "aanvraag inzien";
    pub const DECIDE: &str = "besluiten op aanvraag";
    pub const WITHDRAW: &str = "aanvraag intrekken";
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

/// Records that `caller` read the applications `objects` (or tried to, `result`) for `purpose`.
async fn audit_reads(
    state: &AppState,
    caller: &Caller,
    origin: &str,
    gemeente: &GemeenteCode,
    applications: &[Uuid],
    result: &str,
    purpose: &str,
) -> Result<(), ApiError> {
    let objects: Vec<String> = applications
        .iter()
        .map(|id| format!("aanvraag {id}"))
        .collect();
    let by = actor(caller, origin);
    let entries: Vec<Entry<'_>> = objects
        .iter()
        .map(|object| by.entry(gemeente.as_str(), "lezen", object, result, purpose))
        .collect();
    state
        .vault
        .audit_all(&entries)
        .await
        .map_err(|cause| ApiError::internal(format!("{cause:#}")))
}

/// The application as `caller` may see it, opened, pseudonymised and recorded as read.
async fn shown(
    state: &AppState,
    caller: &Caller,
    gemeente: &GemeenteCode,
    origin: &str,
    purpose: &str,
    application: Application,
) -> Result<Json<ApplicationView>, ApiError> {
    let id = application
        .submitted
        .as_ref()
        .map(|submitted| submitted.application_id)
        .ok_or_else(unknown)?;
    let unsealed = Unsealed::of(&application, &state.sealer)
        .await
        .map_err(|cause| ApiError::internal(format!("{cause:#}")))?;
    let reader = Reader::of(&acting(caller));
    let view = ApplicationView::of(
        gemeente.clone(),
        application,
        unsealed,
        &reader,
        &state.pseudonyms,
    )
    .ok_or_else(unknown)?;
    audit_reads(state, caller, origin, gemeente, &[id], "gelezen", purpose).await?;
    Ok(Json(view))
}

/// The application as it now stands, after a decision.
async fn as_it_stands(
    state: &AppState,
    caller: &Caller,
    gemeente: &GemeenteCode,
    origin: &str,
    purpose: &str,
    application_id: Uuid,
) -> Result<Json<ApplicationView>, ApiError> {
    let application = load(state, gemeente, application_id).await?;
    shown(state, caller, gemeente, origin, purpose, application).await
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn submit(
    State(state): State<AppState>,
    caller: InGemeente<Submitters>,
    ApiJson(request): ApiJson<SubmitRequest>,
) -> Result<Created<ApplicationCreated>, ApiError> {
    let gemeente = &caller.gemeente;
    let application_id = Uuid::new_v4();
    let acting = acting(&caller);
    // An organisation names the household and children by its own references; a reference that
    // is not its own is refused before anything is done.
    let reader = Reader::of(&acting);
    let organisation = &caller.actor.organisation;
    let unknown_reference = |refusal: UnknownReference| refused(&refusal);
    let household = state
        .pseudonyms
        .named_household(&reader, organisation, &request.household, "huishouden")
        .map_err(unknown_reference)?;
    let mut children = Vec::with_capacity(request.children.len());
    for (index, child) in request.children.iter().enumerate() {
        let field = format!("kinderen[{index}].kind");
        children.push(
            state
                .pseudonyms
                .named_child(&reader, organisation, &child.child, &field)
                .map_err(unknown_reference)?,
        );
    }
    let stated = Stated {
        consent: request.consent.map(|consent| Consent {
            given: consent.given,
            given_on: consent.given_on,
            form: consent.form.into(),
        }),
        gezag_declared: request.gezag.map(|gezag| gezag.declared),
        assisted_by: request.assisted_by,
    };
    let application = NewApplication {
        application_id,
        household,
        channel: request.channel.into(),
        on_behalf_of: request.on_behalf_of,
        children: request
            .children
            .into_iter()
            .zip(children)
            .map(|(child, resolved)| ApplicantChild {
                child: resolved,
                birth_year: child.birth_year,
                birth_month: child.birth_month,
                school: child.school.map(Into::into),
            })
            .collect(),
        requested_provisions: request.provisions,
        signal_id: request.signal_id,
        submitted_on: request.date.unwrap_or_else(today),
        inputs: AssessmentInputs {
            income_percent: request.income_percent,
            adults: request.adults,
            money_left_cents: request.money_left_cents,
        },
        taken: None,
    };
    let worker = Worker {
        organisation: caller.actor.organisation.clone(),
        role: caller.actor.role.as_str().to_owned(),
        subject: caller.subject.clone(),
    };
    let taker = Taker {
        acting: &acting,
        worker: &worker,
        gezag: state.gezag.as_ref(),
    };
    intake::submit(
        &state.applications,
        &state.pool,
        &caller.command_context(gemeente),
        taker,
        stated,
        application,
    )
    .await?;
    Ok(Created::at(
        format!("/api/v1/gemeenten/{gemeente}/aanvragen/{application_id}"),
        ApplicationCreated { id: application_id },
    ))
}

/// The filters of the applications' work list, and which page.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListQuery {
    /// `te-beslissen` (submitted, not decided: the regievoerder's inbox, oldest first),
    /// `toegekend`, `afgewezen` or `ingetrokken`; all when left out (newest first).
    #[serde(default)]
    pub status: Option<ListStatus>,
    /// Only what this organisation took in on families' behalf (for the gemeente; an organisation
    /// lists only its own anyway).
    #[serde(default)]
    pub namens: Option<OrganisationId>,
    /// Only applications that came in by this channel.
    #[serde(default)]
    pub kanaal: Option<ChannelDto>,
    #[serde(flatten)]
    pub paging: Paging,
}

/// Where the listed applications stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum ListStatus {
    #[serde(rename = "te-beslissen")]
    ToDecide,
    #[serde(rename = "toegekend")]
    Granted,
    #[serde(rename = "afgewezen")]
    Rejected,
    #[serde(rename = "ingetrokken")]
    Withdrawn,
}

impl ListStatus {
    /// The status as the overview keeps it.
    fn stored(self) -> &'static str {
        match self {
            ListStatus::ToDecide => "submitted",
            ListStatus::Granted => "granted",
            ListStatus::Rejected => "rejected",
            ListStatus::Withdrawn => "withdrawn",
        }
    }
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn list(
    State(state): State<AppState>,
    caller: InGemeente<ApplicationReaders>,
    Origin(origin): Origin,
    purpose: Purpose,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Page<ApplicationSummary>>, ApiError> {
    let purpose = purpose.or(purposes::LIST)?;
    let gemeente = &caller.gemeente;
    let acting = acting(&caller);
    let limit = query.paging.limit()?;
    let filter = ListFilter {
        status: query.status.map(ListStatus::stored),
        organisation: query.namens,
        channel: query
            .kanaal
            .and_then(|channel| {
                serde_json::to_value(kindpakket_proto::application::Channel::from(channel)).ok()
            })
            .and_then(|value| value.as_str().map(str::to_owned)),
        oldest_first: query.status == Some(ListStatus::ToDecide),
        after: query.paging.after::<(Date, Uuid)>()?,
        limit: query.paging.fetch_limit()?,
    };
    let lister = match &acting {
        Acting::Gemeente => Lister::Gemeente(gemeente.clone()),
        Acting::Parent {
            household: Some(household),
        } => Lister::Household(*household),
        Acting::Partner { organisation } | Acting::Signaller { organisation } => {
            Lister::Organisation(organisation.clone())
        }
        Acting::Parent { household: None } => {
            return Ok(Json(Page::from_rows(
                Vec::new(),
                limit,
                |row: &ApplicationSummary| row.id,
            )))
        }
    };
    let listed = overview::list(&state.pool, gemeente, &lister, &filter)
        .await
        .map_err(|cause| ApiError::internal(format!("{cause:#}")))?;
    let page = Page::from_rows(listed, limit, |row| (row.submitted_on, row.application_id));
    let ids: Vec<Uuid> = page.items.iter().map(|row| row.application_id).collect();
    audit_reads(
        &state, &caller, &origin, gemeente, &ids, "in lijst", &purpose,
    )
    .await?;
    let reader = Reader::of(&acting);
    Ok(Json(page.map(|row| {
        ApplicationSummary::of(row, &reader, &state.pseudonyms)
    })))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, application_id = %id))]
pub async fn get_application(
    State(state): State<AppState>,
    caller: InGemeente<ApplicationReaders>,
    ApiPath(ApplicationPath { id }): ApiPath<ApplicationPath>,
    Origin(origin): Origin,
    purpose: Purpose,
) -> Result<Json<ApplicationView>, ApiError> {
    let purpose = purpose.or(purposes::READ)?;
    let gemeente = &caller.gemeente;
    let refused_read = || async {
        audit_reads(
            &state,
            &caller,
            &origin,
            gemeente,
            &[id],
            "niet gevonden",
            &purpose,
        )
        .await?;
        Err::<Json<ApplicationView>, ApiError>(unknown())
    };
    let application = match load(&state, gemeente, id).await {
        Ok(application) => application,
        Err(error) if error.status == axum::http::StatusCode::NOT_FOUND => {
            return refused_read().await
        }
        Err(error) => return Err(error),
    };
    let visible = access::may_see(&state.pool, &acting(&caller), gemeente, &application)
        .await
        .map_err(|cause| ApiError::internal(format!("{cause:#}")))?;
    if !visible {
        return refused_read().await;
    }
    shown(&state, &caller, gemeente, &origin, &purpose, application).await
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, application_id = %id))]
pub async fn assess(
    State(state): State<AppState>,
    caller: InGemeente<Assessors>,
    ApiPath(ApplicationPath { id }): ApiPath<ApplicationPath>,
    Origin(origin): Origin,
    purpose: Purpose,
    ApiJson(request): ApiJson<AssessRequest>,
) -> Result<Json<ApplicationView>, ApiError> {
    let purpose = purpose.or(purposes::DECIDE)?;
    let acting = acting(&caller);
    let custom = match request.custom {
        None => None,
        Some(custom) => {
            let motivation = custom
                .motivation
                .checked("motivatie")
                .map_err(|refusal| refused(&refusal))?;
            // An organisation names the children by its own references; the gemeente by id.
            let reader = Reader::of(&acting);
            let mut grants = Vec::with_capacity(custom.grants.len());
            for (index, grant) in custom.grants.into_iter().enumerate() {
                let child = state
                    .pseudonyms
                    .named_child(
                        &reader,
                        &caller.actor.organisation,
                        &grant.child,
                        &format!("maatwerk.toekenningen[{index}].kind"),
                    )
                    .map_err(|refusal| refused(&refusal))?;
                grants.push((child, grant.provision));
            }
            Some(CustomDecision {
                motivation: motivation.as_str().to_owned(),
                grants,
            })
        }
    };
    let context = caller.command_context(&caller.gemeente);
    state
        .decisions(&context)
        .assess(&acting, id, custom, request.date.unwrap_or_else(today))
        .await?;
    as_it_stands(&state, &caller, &caller.gemeente, &origin, &purpose, id).await
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, application_id = %id))]
pub async fn grant(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiPath(ApplicationPath { id }): ApiPath<ApplicationPath>,
    Origin(origin): Origin,
    purpose: Purpose,
    ApiJson(request): ApiJson<GrantRequest>,
) -> Result<Json<ApplicationView>, ApiError> {
    let purpose = purpose.or(purposes::DECIDE)?;
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
    as_it_stands(&state, &caller, &caller.gemeente, &origin, &purpose, id).await
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, application_id = %id))]
pub async fn reject(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiPath(ApplicationPath { id }): ApiPath<ApplicationPath>,
    Origin(origin): Origin,
    purpose: Purpose,
    ApiJson(request): ApiJson<RejectRequest>,
) -> Result<Json<ApplicationView>, ApiError> {
    let purpose = purpose.or(purposes::DECIDE)?;
    let reason = request
        .reason
        .checked("reden")
        .map_err(|refusal| refused(&refusal))?;
    let context = caller.command_context(&caller.gemeente);
    state
        .decisions(&context)
        .reject(id, reason, request.date.unwrap_or_else(today))
        .await?;
    as_it_stands(&state, &caller, &caller.gemeente, &origin, &purpose, id).await
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, application_id = %id))]
pub async fn withdraw(
    State(state): State<AppState>,
    caller: InGemeente<Submitters>,
    ApiPath(ApplicationPath { id }): ApiPath<ApplicationPath>,
    Origin(origin): Origin,
    purpose: Purpose,
    ApiJson(request): ApiJson<WithdrawRequest>,
) -> Result<Json<ApplicationView>, ApiError> {
    let purpose = purpose.or(purposes::WITHDRAW)?;
    let reason = request
        .reason
        .map(|reason| reason.checked("reden"))
        .transpose()
        .map_err(|refusal| refused(&refusal))?;
    let context = caller.command_context(&caller.gemeente);
    state
        .decisions(&context)
        .withdraw(
            &acting(&caller),
            id,
            request.date.unwrap_or_else(today),
            reason,
        )
        .await?;
    as_it_stands(&state, &caller, &caller.gemeente, &origin, &purpose, id).await
}

#[cfg(test)]
mod tests {
    use super::*;

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
