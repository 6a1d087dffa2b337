//! `/kortingen`: a standing discount given at the provider's till. The holder shows the pass of a
//! discount right; the provider types its code and the full price; the platform works out the
//! discount from what regie agreed with this provider for the right's provision
//! (`min(⌊full price × percentage / 100⌋, maximum per purchase, what is left)`), records it as a
//! delivery with form `korting` and answers what the holder pays. The code travels in the body only
//! and no refusal repeats it.

use axum::extract::State;
use kindpakket_platform::http::{ApiError, ApiJson, InGemeente, Recorded};
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::Cents;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use super::passes::{balance, find_pass, unknown_code, PassBalance, TypedCode};
use super::{load_in, AppState, Partners};
use crate::access;
use crate::domain::entitlement::{EntitlementCommand, GiveDiscount};
use crate::read_models::discounts;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscountRequest {
    /// Optional id chosen by the till: a retried purchase is given its discount once.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// The pass code, e.g. 7KQ2-M9XD-4H1T (case, spaces and dashes do not matter).
    pub code: TypedCode,
    /// The full price of the purchase, in cents (above 0).
    #[serde(rename = "volledigePrijsCents")]
    pub full_price_cents: Cents,
    /// The day of the purchase; today when left out.
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<DateSchema>")]
    pub date: Option<Date>,
}

/// The discount given, what the holder pays, and the pass after it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DiscountGiven {
    /// The delivery the discount is recorded as (the provider invoices it).
    #[serde(rename = "verstrekking")]
    pub delivery_id: Uuid,
    #[serde(rename = "volledigePrijsCents")]
    pub full_price_cents: Cents,
    #[serde(rename = "kortingCents")]
    pub discount_cents: Cents,
    /// The full price minus the discount: what the holder pays at the till.
    #[serde(rename = "teBetalenCents")]
    pub to_pay_cents: Cents,
    #[serde(flatten)]
    pub pass: PassBalance,
}

fn no_agreement(provision: &str) -> ApiError {
    ApiError::forbidden(format!(
        "De gemeente heeft met u geen korting afgesproken voor '{provision}'; op deze pas kunt u geen korting geven. Er is niets afgeboekt."
    ))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, partner = %caller.actor.organisation))]
pub async fn give(
    State(state): State<AppState>,
    caller: InGemeente<Partners>,
    ApiJson(request): ApiJson<DiscountRequest>,
) -> Result<Recorded<DiscountGiven>, ApiError> {
    if !request.full_price_cents.is_positive() {
        return Err(ApiError::unprocessable(
            "De volledige prijs ('volledigePrijsCents') moet groter zijn dan 0 cent. Er is niets afgeboekt.",
        ));
    }
    // The pass, for a provider enrolled to deliver its provision (403 otherwise).
    let found = find_pass(&state, &caller, &request.code).await?;
    let opened = found.entitlement.opened.as_ref().ok_or_else(unknown_code)?;
    let provision = opened.provision.clone();
    // The terms regie agreed with this provider, read as the provider itself.
    let mut transaction = access::reading_as(&state.pool, &caller.actor, &caller.gemeente)
        .await
        .map_err(ApiError::internal)?;
    let discount = discounts::of(
        &mut transaction,
        &caller.gemeente,
        &caller.actor.organisation,
        &provision,
    )
    .await
    .map_err(ApiError::internal)?;
    transaction.commit().await.map_err(ApiError::internal)?;
    let discount = discount.ok_or_else(|| no_agreement(provision.as_str()))?;
    let delivery_id = request.id.unwrap_or_else(Uuid::new_v4);
    let command = EntitlementCommand::GiveDiscount(GiveDiscount {
        gemeente: caller.gemeente.clone(),
        code: found.code.clone(),
        delivery_id,
        partner: caller.actor.organisation.clone(),
        full_price_cents: request.full_price_cents,
        percent: discount.percent,
        max_per_purchase_cents: discount.max_per_purchase_cents,
        given_on: request
            .date
            .unwrap_or_else(kindpakket_platform::clock::today),
    });
    state
        .entitlements
        .execute(
            found.entitlement_id,
            command,
            &caller.command_context(&caller.gemeente),
        )
        .await?;
    let entitlement = load_in(
        &state.entitlements,
        &caller.gemeente,
        found.entitlement_id,
        unknown_code,
    )
    .await?;
    // The discount as recorded (also for a retried purchase, recorded the first time).
    let given = entitlement
        .deliveries
        .iter()
        .find(|delivery| delivery.delivery_id == delivery_id)
        .ok_or_else(|| ApiError::internal("the discount given is not on the entitlement"))?;
    let full_price_cents = given.full_price_cents.unwrap_or(request.full_price_cents);
    let discount_cents = given.amount_cents;
    let pass = balance(&state, &caller, &entitlement, &found.code)?;
    Ok(Recorded(DiscountGiven {
        delivery_id,
        full_price_cents,
        discount_cents,
        to_pay_cents: full_price_cents - discount_cents,
        pass,
    }))
}
