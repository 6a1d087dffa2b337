use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use kindpakket_platform::dutch_enum;
use kindpakket_platform::http::{ApiError, ApiJson, Caller};
use kindpakket_proto::regie::{Mandate, PartnerEnrolled};
use kindpakket_proto::{OrganisationId, ProvisionCode, Role};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use time::{Date, OffsetDateTime};

use super::AppState;
use crate::domain::enrolment::{enrolment_id, EnrolmentCommand};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    /// The partner's organisation code, e.g. `leergeld-den-haag`.
    pub partner: OrganisationId,
    #[serde(rename = "naam")]
    pub name: String,
    #[serde(rename = "voorzieningen")]
    pub provisions: Vec<ProvisionCode>,
    #[serde(rename = "rollen")]
    pub roles: Vec<PartnerRoleDto>,
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<String>")]
    pub date: Option<Date>,
    /// Required with the role `besluiten`: what the partner may decide.
    #[serde(rename = "mandaat", default)]
    pub mandate: Option<MandateDto>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MandateDto {
    #[serde(rename = "voorzieningen")]
    pub provisions: Vec<ProvisionCode>,
    #[serde(rename = "maximumBedragCent")]
    pub max_amount_cents: i64,
    #[serde(rename = "maatwerkToegestaan")]
    pub custom_decisions: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EndEnrolmentRequest {
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<String>")]
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

#[tracing::instrument(skip_all, fields(gemeente = %gemeente))]
pub async fn enrol(
    State(state): State<AppState>,
    Path(gemeente): Path<String>,
    caller: Caller,
    ApiJson(request): ApiJson<EnrolRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(&[Role::Regievoerder])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let partner = request.partner.clone();
    let mut roles: Vec<_> = request.roles.into_iter().map(Into::into).collect();
    roles.dedup();
    let enrolment = PartnerEnrolled {
        partner: request.partner,
        name: request.name.trim().to_owned(),
        provisions: request.provisions,
        roles,
        enrolled_on: request
            .date
            .unwrap_or_else(|| OffsetDateTime::now_utc().date()),
        mandate: request.mandate.map(|mandate| Mandate {
            provisions: mandate.provisions,
            max_amount_cents: mandate.max_amount_cents,
            custom_decisions: mandate.custom_decisions,
        }),
    };
    state
        .enrolments
        .execute(
            &enrolment_id(&gemeente, &partner),
            EnrolmentCommand::Enrol {
                gemeente: gemeente.clone(),
                enrolment,
            },
            &caller.command_context(&gemeente),
        )
        .await?;
    let location = format!("/api/v1/gemeenten/{gemeente}/partners/{partner}");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(json!({"partner": partner})),
    ))
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, partner = %partner))]
pub async fn end(
    State(state): State<AppState>,
    Path((gemeente, partner)): Path<(String, String)>,
    caller: Caller,
    ApiJson(request): ApiJson<EndEnrolmentRequest>,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Regievoerder])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let partner = OrganisationId::parse(&partner).map_err(|_| {
        ApiError::not_found(format!(
            "Partner '{partner}' is niet ingeschreven in deze gemeente."
        ))
    })?;
    let ended_on = request
        .date
        .unwrap_or_else(|| OffsetDateTime::now_utc().date());
    state
        .enrolments
        .execute(
            &enrolment_id(&gemeente, &partner),
            EnrolmentCommand::End { ended_on },
            &caller.command_context(&gemeente),
        )
        .await?;
    Ok(Json(json!({"partner": partner, "beeindigdOp": ended_on})))
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, partner = %partner))]
pub async fn get_enrolment(
    State(state): State<AppState>,
    Path((gemeente, partner)): Path<(String, String)>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(super::regelingen::READERS)?;
    let gemeente = caller.gemeente(&gemeente)?;
    let not_found = || {
        ApiError::not_found(format!(
            "Partner '{partner}' is niet ingeschreven in deze gemeente."
        ))
    };
    let partner_id = OrganisationId::parse(&partner).map_err(|_| not_found())?;
    let enrolment = state
        .enrolments
        .load(&enrolment_id(&gemeente, &partner_id))
        .await
        .map_err(ApiError::internal)?;
    let enrolled = enrolment.enrolled.ok_or_else(not_found)?;
    let roles: Vec<PartnerRoleDto> = enrolled.roles.into_iter().map(Into::into).collect();
    Ok(Json(json!({
        "partner": enrolled.partner,
        "naam": enrolled.name,
        "voorzieningen": enrolled.provisions,
        "rollen": roles,
        "ingeschrevenOp": enrolled.enrolled_on,
        "mandaat": enrolled.mandate.as_ref().map(|mandate| MandateDto {
            provisions: mandate.provisions.clone(),
            max_amount_cents: mandate.max_amount_cents,
            custom_decisions: mandate.custom_decisions,
        }),
        "beeindigdOp": enrolment.ended_on,
    })))
}
