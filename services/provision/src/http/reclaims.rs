//! `/steekproeven/{id}/terugvorderingen`: regie reclaims what was paid for a drawn declaration that
//! was checked not in order (`docs/money.md`, §4), from the household or from the partner that
//! submitted it. The sample aggregate decides ([`SampleDraw`]): only a drawn declaration checked
//! not in order, only for at most what was approved for it minus what was reclaimed before; every
//! refusal is a Dutch 422 and changes nothing. The amount is split over the declaration's funders
//! exactly as its approval was (`split_funding` with the entitlement's funder and co-financing).

use axum::extract::State;
use kindpakket_platform::dutch_enum;
use kindpakket_platform::http::{refused, ApiError, ApiJson, ApiPath, InGemeente, Recorded};
use kindpakket_proto::{Cents, OrganisationId};
use schemars::JsonSchema;
use serde::Deserialize;
use uuid::Uuid;

use super::samples::{not_in_gemeente, view, SamplePath, SampleView};
use super::{load_in, AppState, Regie};
use crate::access::reading_as;
use crate::domain::sample::{
    DecideReclaim, PaidDeclaration, SampleCommand, SampleDraw, SampleError,
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReclaimRequest {
    /// The drawn declaration that was checked not in order.
    #[serde(rename = "declaratieId")]
    pub declaration_id: Uuid,
    /// From whom: the household, or the partner that submitted the declaration.
    #[serde(rename = "van")]
    pub from: ReclaimFromDto,
    /// How much, at most what was paid for the declaration minus what was reclaimed before.
    #[serde(rename = "bedragCents")]
    pub amount_cents: Cents,
    /// Optional id chosen by regie: a retried request with the same id is recorded once.
    #[serde(rename = "terugvorderingId", default)]
    pub reclaim_id: Option<Uuid>,
}

dutch_enum!(
    /// From whom a reclaim is recovered.
    ReclaimFromDto <=> kindpakket_proto::provision::ReclaimFrom {
        Household = "huishouden",
        Partner = "partner",
    }
);

/// Whether `organisation` is (or was) enrolled as a partner of the gemeente: a declaration it
/// submitted can be reclaimed from it. The loket (regie) and a parent (`ouder`) are not.
async fn is_partner(
    state: &AppState,
    caller: &InGemeente<Regie>,
    organisation: &OrganisationId,
) -> Result<bool, ApiError> {
    let technical = |error: sqlx::Error| ApiError::internal(error);
    let mut transaction = reading_as(&state.pool, &caller.actor, &caller.gemeente)
        .await
        .map_err(technical)?;
    let enrolled: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM partner_enrolments WHERE gemeente = $1 AND partner = $2)",
    )
    .bind(caller.gemeente.as_str())
    .bind(organisation.as_str())
    .fetch_one(&mut *transaction)
    .await
    .map_err(technical)?;
    transaction.commit().await.map_err(technical)?;
    Ok(enrolled)
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, draw_id = %id))]
pub async fn decide(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiPath(SamplePath { id }): ApiPath<SamplePath>,
    ApiJson(request): ApiJson<ReclaimRequest>,
) -> Result<Recorded<SampleView>, ApiError> {
    let sample: SampleDraw = load_in(&state.samples, &caller.gemeente, id, not_in_gemeente).await?;
    // What was paid for the declaration, as its entitlement knows it. A declaration not in the
    // draw's population has none: the draw refuses it.
    let entitlement_id = sample
        .drawn
        .as_ref()
        .and_then(|drawn| {
            drawn
                .population
                .iter()
                .find(|member| member.declaration_id == request.declaration_id)
        })
        .map(|member| member.entitlement_id)
        .ok_or_else(|| refused(&SampleError::NotSelected))?;
    let entitlement = state
        .entitlements
        .load_in(&caller.gemeente, entitlement_id)
        .await
        .map_err(ApiError::from)?;
    let (Some(opened), Some(declaration)) = (
        entitlement.opened.as_ref(),
        entitlement
            .declarations
            .iter()
            .find(|declaration| declaration.submitted.declaration_id == request.declaration_id),
    ) else {
        return Err(refused(&SampleError::NotSelected));
    };
    let approved_cents = declaration
        .decided
        .as_ref()
        .filter(|decided| decided.approved)
        .map(|decided| decided.amount_cents);
    let submitted_by = &declaration.submitted.submitted_by;
    let partner = if is_partner(&state, &caller, submitted_by).await? {
        Some(submitted_by.clone())
    } else {
        None
    };
    let command = SampleCommand::DecideReclaim(DecideReclaim {
        gemeente: caller.gemeente.clone(),
        reclaim_id: request.reclaim_id.unwrap_or_else(Uuid::new_v4),
        declaration_id: request.declaration_id,
        from: request.from.into(),
        partner,
        amount_cents: request.amount_cents,
        paid: PaidDeclaration {
            entitlement_id,
            child: opened.child,
            provision: opened.provision.clone(),
            approved_cents,
            funding: opened.funding_of(request.amount_cents),
        },
        decided_on: kindpakket_platform::clock::today(),
    });
    state
        .samples
        .execute(id, command, &caller.command_context(&caller.gemeente))
        .await?;
    view(&state, &caller.gemeente, id).await.map(Recorded)
}
