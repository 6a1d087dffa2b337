use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use kindpakket_platform::dutch_enum;
use kindpakket_platform::http::{id_from_path, ApiError, ApiJson, Caller};
use kindpakket_proto::application::{ApplicantChild, ApplicationSubmitted};
use kindpakket_proto::{ChildRef, HouseholdRef, OrganisationId, ProvisionCode, Role};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::AppState;
use crate::consume::{mandate_of, regeling_in_force};
use crate::domain::application::{Application, ApplicationCommand, EntitlementToGrant, Status};
use crate::domain::eligibility::CustomDecision;
use crate::grants;

pub const SUBMITTERS: &[Role] = &[
    Role::Applicant,
    Role::Partner,
    Role::Signaller,
    Role::Regievoerder,
];

/// An application. Children and household appear by pseudonymous reference only: never send a
/// name, BSN or address, nor income documents.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    #[serde(rename = "kanaal")]
    pub channel: ChannelDto,
    /// The organisation applying on the family's behalf, if any.
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
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<String>")]
    pub date: Option<Date>,
    /// Adults in the household (for the rule on money left after fixed costs).
    #[serde(rename = "volwassenen", default)]
    pub adults: Option<u8>,
    /// Money left per week after fixed costs and debt repayments, in cents.
    #[serde(rename = "leefgeldPerWeekCent", default)]
    pub money_left_cents: Option<i64>,
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

/// Assess against the regeling in force; maatwerk grants what the rules refuse, with a motivation.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessRequest {
    #[serde(rename = "maatwerk", default)]
    pub custom: Option<CustomDto>,
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<String>")]
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

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    #[serde(rename = "rechten")]
    pub entitlements: Vec<EntitlementDto>,
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<String>")]
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
    pub amount_cents: i64,
    #[serde(rename = "geldigVanaf")]
    #[schemars(with = "String")]
    pub valid_from: Date,
    #[serde(rename = "geldigTot")]
    #[schemars(with = "String")]
    pub valid_until: Date,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// The reason, as the family will read it.
    #[serde(rename = "reden")]
    pub reason: String,
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<String>")]
    pub date: Option<Date>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<String>")]
    pub date: Option<Date>,
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// A parent acts for the household their login established, and for no other: another household's
/// application is as unknown to them as one that does not exist.
fn own_household(caller: &Caller, household: Option<&HouseholdRef>) -> bool {
    caller.actor.role != Role::Applicant
        || matches!((caller.household, household), (Some(own), Some(theirs)) if own == theirs.0)
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente))]
pub async fn submit(
    State(store): State<AppState>,
    Path(gemeente): Path<String>,
    caller: Caller,
    ApiJson(request): ApiJson<SubmitRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(SUBMITTERS)?;
    let gemeente = caller.gemeente(&gemeente)?;
    if !own_household(&caller, Some(&request.household)) {
        return Err(ApiError::forbidden(match caller.household {
            Some(_) => "U kunt alleen een aanvraag doen voor uw eigen huishouden.",
            None => "Uw inlog noemt geen huishouden: log in via de gemeente (DigiD) om een aanvraag te doen.",
        }));
    }
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
    store
        .execute(
            &application_id.to_string(),
            ApplicationCommand::Submit {
                gemeente: gemeente.clone(),
                application,
            },
            &caller.command_context(&gemeente),
        )
        .await?;
    let location = format!("/api/v1/gemeenten/{gemeente}/aanvragen/{application_id}");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(json!({"id": application_id})),
    ))
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, application_id = %id))]
pub async fn assess(
    State(store): State<AppState>,
    Path((gemeente, id)): Path<(String, String)>,
    caller: Caller,
    ApiJson(request): ApiJson<AssessRequest>,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Regievoerder, Role::Partner])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let application_id = id_from_path(&id, "Aanvraag")?;
    let mandate = if caller.actor.role == Role::Partner {
        let today = today();
        let mandate = mandate_of(
            &store.pool,
            gemeente.as_str(),
            caller.actor.organisation.as_str(),
            today,
        )
        .await
        .map_err(ApiError::internal)?;
        Some(mandate.ok_or_else(|| {
            ApiError::forbidden(format!(
                "{} heeft in gemeente {gemeente} geen mandaat om over aanvragen te besluiten.",
                caller.actor.organisation
            ))
        })?)
    } else {
        None
    };
    let application = store
        .load(&application_id.to_string())
        .await
        .map_err(ApiError::internal)?;
    let Some(submitted) = application
        .submitted
        .as_ref()
        .filter(|_| application.gemeente.as_ref() == Some(&gemeente))
    else {
        return Err(ApiError::not_found(format!(
            "Aanvraag '{application_id}' bestaat niet in deze gemeente."
        )));
    };
    let regeling = regeling_in_force(&store.pool, gemeente.as_str(), submitted.submitted_on)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            ApiError::unprocessable(format!(
                "Er is in gemeente {gemeente} geen regeling van kracht op de aanvraagdatum {}. Publiceer eerst de regeling voor dat jaar.",
                submitted.submitted_on
            ))
        })?;
    let custom = request.custom.map(|custom| CustomDecision {
        motivation: custom.motivation,
        grants: custom
            .grants
            .into_iter()
            .map(|grant| (grant.child, grant.provision))
            .collect(),
    });
    // Budgets and "never twice" span applications: read the earlier grants and commit under one lock.
    let (_lock, prior_grants) = grants::locked_prior_grants(&store.pool, &regeling.gemeenten)
        .await
        .map_err(ApiError::internal)?;
    let command = ApplicationCommand::Assess {
        gemeente: gemeente.clone(),
        regeling: Box::new(regeling),
        custom,
        mandate,
        decided_on: request.date.unwrap_or_else(today),
        prior_grants,
    };
    decide(&store, &caller, &gemeente, application_id, command).await
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, application_id = %id))]
pub async fn grant(
    State(store): State<AppState>,
    Path((gemeente, id)): Path<(String, String)>,
    caller: Caller,
    ApiJson(request): ApiJson<GrantRequest>,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Regievoerder])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let application_id = id_from_path(&id, "Aanvraag")?;
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
    let gemeenten = [gemeente.clone()];
    let (_lock, prior_grants) = grants::locked_prior_grants(&store.pool, &gemeenten)
        .await
        .map_err(ApiError::internal)?;
    let command = ApplicationCommand::Grant {
        gemeente: gemeente.clone(),
        entitlements,
        decided_on: request.date.unwrap_or_else(today),
        prior_grants,
    };
    decide(&store, &caller, &gemeente, application_id, command).await
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, application_id = %id))]
pub async fn reject(
    State(store): State<AppState>,
    Path((gemeente, id)): Path<(String, String)>,
    caller: Caller,
    ApiJson(request): ApiJson<RejectRequest>,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Regievoerder])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let application_id = id_from_path(&id, "Aanvraag")?;
    let command = ApplicationCommand::Reject {
        gemeente: gemeente.clone(),
        reason: request.reason,
        decided_on: request.date.unwrap_or_else(today),
    };
    decide(&store, &caller, &gemeente, application_id, command).await
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, application_id = %id))]
pub async fn withdraw(
    State(store): State<AppState>,
    Path((gemeente, id)): Path<(String, String)>,
    caller: Caller,
    ApiJson(request): ApiJson<WithdrawRequest>,
) -> Result<Json<Value>, ApiError> {
    caller.require(SUBMITTERS)?;
    let gemeente = caller.gemeente(&gemeente)?;
    let application_id = id_from_path(&id, "Aanvraag")?;
    let application = load(&store, application_id).await?;
    if !own_household(
        &caller,
        application.submitted.as_ref().map(|s| &s.household),
    ) {
        return Err(unknown(application_id));
    }
    let command = ApplicationCommand::Withdraw {
        gemeente: gemeente.clone(),
        withdrawn_on: request.date.unwrap_or_else(today),
    };
    decide(&store, &caller, &gemeente, application_id, command).await
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, application_id = %id))]
pub async fn get_application(
    State(store): State<AppState>,
    Path((gemeente, id)): Path<(String, String)>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Regievoerder, Role::Applicant, Role::Partner])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let application_id = id_from_path(&id, "Aanvraag")?;
    let application = load(&store, application_id).await?;
    if !may_see(&store, &caller, &gemeente, &application).await? {
        return Err(unknown(application_id));
    }
    describe_loaded(&gemeente, application_id, application).map(Json)
}

async fn load(store: &AppState, application_id: Uuid) -> Result<Application, ApiError> {
    store
        .load(&application_id.to_string())
        .await
        .map_err(ApiError::internal)
}

/// What a caller who may not see an application is told: the same as for one that does not exist.
fn unknown(application_id: Uuid) -> ApiError {
    ApiError::not_found(format!(
        "Aanvraag '{application_id}' bestaat niet in deze gemeente."
    ))
}

/// A parent sees their own household's applications; a partner those it took on a family's behalf,
/// or all of its gemeente when it has a mandate to decide on them; regie all.
async fn may_see(
    store: &AppState,
    caller: &Caller,
    gemeente: &kindpakket_proto::GemeenteCode,
    application: &Application,
) -> Result<bool, ApiError> {
    let submitted = application.submitted.as_ref();
    if !own_household(caller, submitted.map(|s| &s.household)) {
        return Ok(false);
    }
    if caller.actor.role != Role::Partner
        || submitted.and_then(|s| s.on_behalf_of.as_ref()) == Some(&caller.actor.organisation)
    {
        return Ok(true);
    }
    let mandate = mandate_of(
        &store.pool,
        gemeente.as_str(),
        caller.actor.organisation.as_str(),
        today(),
    )
    .await
    .map_err(ApiError::internal)?;
    Ok(mandate.is_some())
}

/// Executes a decision on an application and answers with the application as it now stands.
async fn decide(
    store: &AppState,
    caller: &Caller,
    gemeente: &kindpakket_proto::GemeenteCode,
    application_id: Uuid,
    command: ApplicationCommand,
) -> Result<Json<Value>, ApiError> {
    store
        .execute(
            &application_id.to_string(),
            command,
            &caller.command_context(gemeente),
        )
        .await?;
    describe(store, gemeente, application_id).await.map(Json)
}

async fn describe(
    store: &AppState,
    gemeente: &kindpakket_proto::GemeenteCode,
    application_id: Uuid,
) -> Result<Value, ApiError> {
    let application = load(store, application_id).await?;
    describe_loaded(gemeente, application_id, application)
}

fn describe_loaded(
    gemeente: &kindpakket_proto::GemeenteCode,
    application_id: Uuid,
    application: Application,
) -> Result<Value, ApiError> {
    let not_found = || unknown(application_id);
    if application.gemeente.as_ref() != Some(gemeente) {
        return Err(not_found());
    }
    let submitted = application.submitted.ok_or_else(not_found)?;
    let status = match application.status {
        Some(Status::Submitted) | None => "ingediend",
        Some(Status::Granted) => "toegekend",
        Some(Status::Rejected) => "afgewezen",
        Some(Status::Withdrawn) => "ingetrokken",
    };
    let entitlements: Vec<Value> = application
        .entitlements
        .iter()
        .map(|entitlement| {
            json!({
                "id": entitlement.entitlement_id,
                "kind": entitlement.child,
                "voorziening": entitlement.provision,
                "bedragCent": entitlement.amount_cents,
                "geldigVanaf": entitlement.valid_from,
                "geldigTot": entitlement.valid_until,
            })
        })
        .collect();
    let children: Vec<Value> = submitted
        .children
        .iter()
        .map(|child| json!({"kind": child.child, "geboortejaar": child.birth_year, "geboortemaand": child.birth_month}))
        .collect();
    Ok(json!({
        "id": submitted.application_id,
        "gemeente": gemeente,
        "status": status,
        "kanaal": ChannelDto::from(submitted.channel),
        "namens": submitted.on_behalf_of,
        "huishouden": submitted.household,
        "kinderen": children,
        "inkomenPercentage": submitted.income_percent,
        "voorzieningen": submitted.requested_provisions,
        "signalering": submitted.signal_id,
        "ingediendOp": submitted.submitted_on,
        "besluitOp": application.decided_on,
        "redenAfwijzing": application.rejection_reason,
        "rechten": entitlements,
        "beoordeling": application.assessment.as_ref().map(|assessment| json!({
            "regeling": assessment.regeling_id,
            "inkomenPercentage": assessment.income_percent,
            "maatwerkMotivatie": assessment.custom_motivation,
            "uitkomsten": assessment.outcomes.iter().map(|outcome| json!({
                "kind": outcome.child,
                "voorziening": outcome.provision,
                "toegekend": outcome.granted,
                "aandeelPercentage": outcome.share_percent,
                "bedragCent": outcome.amount_cents,
                "reden": outcome.reason,
                "uitleg": outcome.explanation,
                "financier": outcome.funder.as_ref().map(|funder| json!({
                    "organisatie": funder.organisation,
                    "bron": funding_source_in_dutch(funder.source),
                })),
            })).collect::<Vec<_>>(),
        })),
    }))
}

/// A funding source as the regie API names it.
fn funding_source_in_dutch(source: kindpakket_proto::regie::FundingSource) -> &'static str {
    use kindpakket_proto::regie::FundingSource;
    match source {
        FundingSource::National => "rijksmiddelen",
        FundingSource::Municipal => "gemeentelijke_fondsen",
        FundingSource::ExternalFunds => "externe_fondsen",
        FundingSource::Private => "private_partijen",
    }
}
