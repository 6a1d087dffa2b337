//! `/partners/{partner}/kortingen`: the standing discounts (korting) regie agrees with a provider,
//! per provision. Regie agrees, changes and ends them; regie, the auditor and the partner itself
//! read them.

use axum::extract::State;
use axum::Json;
use kindpakket_platform::clock;
use kindpakket_platform::http::{ApiError, ApiJson, ApiPath, InGemeente};
use kindpakket_platform::store::{LoadError, Tenanted};
use kindpakket_proto::regie::DiscountAgreed;
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::{Cents, OrganisationId, ProvisionCode, Role};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;

use super::partners::PartnerPath;
use super::{AppState, DiscountReaders, Regie};
use crate::discounts::{self, Terms};
use crate::domain::enrolment::{EndDiscount, Enrolment, EnrolmentCommand, EnrolmentId};

/// The partner and the provision in the path.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct DiscountPath {
    /// The partner's organisation code, e.g. `sportwinkel-centrum`.
    pub partner: OrganisationId,
    /// The provision's code, e.g. `sportkorting`.
    pub voorziening: ProvisionCode,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscountRequest {
    /// The discount on the full price, in percent: 1 to 100.
    #[serde(rename = "percentage")]
    pub percent: i64,
    /// The largest discount on one purchase, in cents (above 0); no maximum when left out.
    #[serde(rename = "maximumPerAankoopCents", default)]
    pub max_per_purchase_cents: Option<Cents>,
}

/// A standing discount agreed with a provider.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DiscountView {
    pub partner: OrganisationId,
    #[serde(rename = "voorziening")]
    pub provision: ProvisionCode,
    pub percentage: u8,
    /// `null`: no maximum per purchase.
    #[serde(rename = "maximumPerAankoopCents")]
    pub max_per_purchase_cents: Option<Cents>,
    #[serde(rename = "afgesprokenOp")]
    #[schemars(with = "DateSchema")]
    pub agreed_on: Date,
}

/// A standing discount that ended.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DiscountEndedView {
    pub partner: OrganisationId,
    #[serde(rename = "voorziening")]
    pub provision: ProvisionCode,
    #[serde(rename = "beeindigdOp")]
    #[schemars(with = "DateSchema")]
    pub ended_on: Date,
}

/// The standing discounts of one partner.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DiscountList {
    pub items: Vec<DiscountView>,
}

impl DiscountView {
    fn of(agreed: &DiscountAgreed) -> Self {
        Self {
            partner: agreed.partner.clone(),
            provision: agreed.provision.clone(),
            percentage: agreed.percent,
            max_per_purchase_cents: agreed.max_per_purchase_cents,
            agreed_on: agreed.agreed_on,
        }
    }
}

/// The partner's enrolment in the caller's gemeente; 404 when it was never enrolled here.
async fn enrolment<R>(
    state: &AppState,
    caller: &InGemeente<R>,
    partner: &OrganisationId,
) -> Result<Enrolment, ApiError> {
    let id = EnrolmentId {
        gemeente: &caller.gemeente,
        partner,
    };
    match state.enrolments.load_in(&caller.gemeente, id).await {
        Ok(enrolment) => Ok(enrolment),
        Err(LoadError::NotFound(_)) => Err(ApiError::not_found(Enrolment::NOT_FOUND)),
        Err(error) => Err(error.into()),
    }
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, partner = %partner, provision = %voorziening))]
pub async fn agree(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiPath(DiscountPath {
        partner,
        voorziening,
    }): ApiPath<DiscountPath>,
    ApiJson(request): ApiJson<DiscountRequest>,
) -> Result<Json<DiscountView>, ApiError> {
    let gemeente = &caller.gemeente;
    discounts::agree(
        &state.pool,
        &state.enrolments,
        gemeente,
        &partner,
        &voorziening,
        Terms {
            percent: request.percent,
            max_per_purchase_cents: request.max_per_purchase_cents,
        },
        clock::today(),
        &caller.command_context(gemeente),
    )
    .await?;
    let enrolment = enrolment(&state, &caller, &partner).await?;
    enrolment
        .discounts
        .get(&voorziening)
        .map(|agreed| Json(DiscountView::of(agreed)))
        .ok_or_else(|| ApiError::internal("the agreed discount is not in the enrolment"))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, partner = %partner, provision = %voorziening))]
pub async fn end(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiPath(DiscountPath {
        partner,
        voorziening,
    }): ApiPath<DiscountPath>,
) -> Result<Json<DiscountEndedView>, ApiError> {
    let gemeente = &caller.gemeente;
    let ended_on = clock::today();
    let id = EnrolmentId {
        gemeente,
        partner: &partner,
    };
    let command = EnrolmentCommand::EndDiscount(EndDiscount {
        provision: voorziening.clone(),
        ended_on,
    });
    state
        .enrolments
        .execute(id, command, &caller.command_context(gemeente))
        .await?;
    Ok(Json(DiscountEndedView {
        partner,
        provision: voorziening,
        ended_on,
    }))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, partner = %partner))]
pub async fn list(
    State(state): State<AppState>,
    caller: InGemeente<DiscountReaders>,
    ApiPath(PartnerPath { partner }): ApiPath<PartnerPath>,
) -> Result<Json<DiscountList>, ApiError> {
    // A provider's terms are its own and regie's: another partner reads none of them.
    if caller.is(Role::Partner) && caller.actor.organisation != partner {
        return Err(ApiError::forbidden(
            "Een partner ziet alleen zijn eigen kortingen.",
        ));
    }
    let enrolment = enrolment(&state, &caller, &partner).await?;
    Ok(Json(DiscountList {
        items: enrolment.discounts.values().map(DiscountView::of).collect(),
    }))
}
