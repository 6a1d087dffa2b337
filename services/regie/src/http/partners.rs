//! `/partners`: enrol a partner, read its enrolment, end it.

use axum::extract::State;
use axum::Json;
use kindpakket_platform::clock;
use kindpakket_platform::dutch_enum;
use kindpakket_platform::http::{ApiError, ApiJson, ApiPath, Created, InGemeente};
use kindpakket_platform::store::{LoadError, Tenanted};
use kindpakket_proto::regie::{Mandate, PartnerEnrolled};
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::{Cents, OrganisationId, ProvisionCode};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;

use super::{AppState, Readers, Regie};
use crate::domain::enrolment::{End, Enrol, Enrolment, EnrolmentCommand, EnrolmentId};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    /// The partner's organisation code, e.g. `leergeld-den-haag`.
    pub partner: OrganisationId,
    #[serde(rename = "naam")]
    pub name: String,
    /// The provisions it acts for; may be left out when its only role is `signaleren`.
    #[serde(rename = "voorzieningen", default)]
    pub provisions: Vec<ProvisionCode>,
    /// What it may do: `signaleren` (a wijkteam, school or partner signals children; without it no
    /// signal of this organisation is accepted), `aanvragen_innemen`, `besluiten`, `verstrekken`.
    #[serde(rename = "rollen")]
    pub roles: Vec<PartnerRoleDto>,
    /// Date of enrolment; today when left out.
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<DateSchema>")]
    pub date: Option<Date>,
    /// Required with the role `besluiten`: what the partner may decide.
    #[serde(rename = "mandaat", default)]
    pub mandate: Option<MandateDto>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MandateDto {
    #[serde(rename = "voorzieningen")]
    pub provisions: Vec<ProvisionCode>,
    #[serde(rename = "maximumBedragCent")]
    pub max_amount_cents: Cents,
    #[serde(rename = "maatwerkToegestaan")]
    pub custom_decisions: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EndEnrolmentRequest {
    /// Date the enrolment ends; today when left out.
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<DateSchema>")]
    pub date: Option<Date>,
}

dutch_enum!(
    /// What a partner may do for its provisions.
    PartnerRoleDto <=> kindpakket_proto::regie::PartnerRole {
        Signal = "signaleren",
        TakeApplications = "aanvragen_innemen",
        Decide = "besluiten",
        Deliver = "verstrekken",
    }
);

/// The partner in the path.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PartnerPath {
    /// The partner's organisation code, e.g. `leergeld-den-haag`.
    pub partner: OrganisationId,
}

/// A partner was enrolled.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PartnerCreated {
    pub partner: OrganisationId,
}

/// A partner's enrolment, ended or not.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EnrolmentView {
    pub partner: OrganisationId,
    #[serde(rename = "naam")]
    pub name: String,
    #[serde(rename = "voorzieningen")]
    pub provisions: Vec<ProvisionCode>,
    #[serde(rename = "rollen")]
    pub roles: Vec<PartnerRoleDto>,
    #[serde(rename = "ingeschrevenOp")]
    #[schemars(with = "DateSchema")]
    pub enrolled_on: Date,
    #[serde(rename = "mandaat")]
    pub mandate: Option<MandateDto>,
    /// When the enrolment ended, if it did.
    #[serde(rename = "beeindigdOp")]
    #[schemars(with = "Option<DateSchema>")]
    pub ended_on: Option<Date>,
}

/// A partner's enrolment was ended.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EnrolmentEnded {
    pub partner: OrganisationId,
    #[serde(rename = "beeindigdOp")]
    #[schemars(with = "DateSchema")]
    pub ended_on: Date,
}

impl From<MandateDto> for Mandate {
    fn from(mandate: MandateDto) -> Self {
        Mandate {
            provisions: mandate.provisions,
            max_amount_cents: mandate.max_amount_cents,
            custom_decisions: mandate.custom_decisions,
        }
    }
}

impl From<Mandate> for MandateDto {
    fn from(mandate: Mandate) -> Self {
        MandateDto {
            provisions: mandate.provisions,
            max_amount_cents: mandate.max_amount_cents,
            custom_decisions: mandate.custom_decisions,
        }
    }
}

impl EnrolRequest {
    fn into_enrolment(self) -> PartnerEnrolled {
        let mut roles: Vec<_> = self.roles.into_iter().map(Into::into).collect();
        roles.dedup();
        PartnerEnrolled {
            partner: self.partner,
            name: self.name.trim().to_owned(),
            provisions: self.provisions,
            roles,
            enrolled_on: self.date.unwrap_or_else(clock::today),
            mandate: self.mandate.map(Into::into),
        }
    }
}

/// What a caller reads of a partner that is not enrolled here (naming nothing the caller sent).
fn not_enrolled() -> ApiError {
    ApiError::not_found(Enrolment::NOT_FOUND)
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn enrol(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiJson(request): ApiJson<EnrolRequest>,
) -> Result<Created<PartnerCreated>, ApiError> {
    let gemeente = &caller.gemeente;
    let partner = request.partner.clone();
    let command = EnrolmentCommand::Enrol(Enrol {
        gemeente: gemeente.clone(),
        enrolment: request.into_enrolment(),
    });
    let id = EnrolmentId {
        gemeente,
        partner: &partner,
    };
    state
        .enrolments
        .execute(id, command, &caller.command_context(gemeente))
        .await?;
    Ok(Created::at(
        format!("/api/v1/gemeenten/{gemeente}/partners/{partner}"),
        PartnerCreated { partner },
    ))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, partner = %partner))]
pub async fn end(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiPath(PartnerPath { partner }): ApiPath<PartnerPath>,
    ApiJson(request): ApiJson<EndEnrolmentRequest>,
) -> Result<Json<EnrolmentEnded>, ApiError> {
    let gemeente = &caller.gemeente;
    let ended_on = request.date.unwrap_or_else(clock::today);
    let id = EnrolmentId {
        gemeente,
        partner: &partner,
    };
    state
        .enrolments
        .execute(
            id,
            EnrolmentCommand::End(End { ended_on }),
            &caller.command_context(gemeente),
        )
        .await?;
    Ok(Json(EnrolmentEnded { partner, ended_on }))
}

/// The organisations enrolled in the gemeente.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EnrolmentList {
    pub items: Vec<EnrolmentView>,
}

/// Every enrolment of the caller's gemeente, ended ones too (with `beeindigdOp`), by organisation
/// code. Not paged: a gemeente works with tens of partners and signallers, not thousands.
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn list_enrolments(
    State(state): State<AppState>,
    caller: InGemeente<Readers>,
) -> Result<Json<EnrolmentList>, ApiError> {
    let mut items = Vec::new();
    for aggregate_id in crate::calendar::enrolments_in(&state.pool, &caller.gemeente)
        .await
        .map_err(ApiError::internal)?
    {
        match state
            .enrolments
            .load_in(&caller.gemeente, &aggregate_id)
            .await
        {
            Ok(enrolment) => items.extend(EnrolmentView::of(enrolment)),
            Err(LoadError::NotFound(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(Json(EnrolmentList { items }))
}

impl EnrolmentView {
    fn of(enrolment: Enrolment) -> Option<Self> {
        let enrolled = enrolment.enrolled?;
        Some(EnrolmentView {
            partner: enrolled.partner,
            name: enrolled.name,
            provisions: enrolled.provisions,
            roles: enrolled.roles.into_iter().map(Into::into).collect(),
            enrolled_on: enrolled.enrolled_on,
            mandate: enrolled.mandate.map(Into::into),
            ended_on: enrolment.ended_on,
        })
    }
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, partner = %partner))]
pub async fn get_enrolment(
    State(state): State<AppState>,
    caller: InGemeente<Readers>,
    ApiPath(PartnerPath { partner }): ApiPath<PartnerPath>,
) -> Result<Json<EnrolmentView>, ApiError> {
    let id = EnrolmentId {
        gemeente: &caller.gemeente,
        partner: &partner,
    };
    let enrolment = match state.enrolments.load_in(&caller.gemeente, id).await {
        Ok(enrolment) => enrolment,
        Err(LoadError::NotFound(_)) => return Err(not_enrolled()),
        Err(error) => return Err(error.into()),
    };
    EnrolmentView::of(enrolment)
        .map(Json)
        .ok_or_else(not_enrolled)
}
