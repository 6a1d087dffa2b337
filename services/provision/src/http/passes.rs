//! Passes and vouchers at the provider's till: the balance of a code (`/passen/opvragen`), and
//! redeeming it (`/verzilveringen`). The code travels in the body only, never in a URL (which proxies,
//! browsers and access logs keep), and no log line or refusal repeats it.

use axum::extract::State;
use axum::Json;
use kindpakket_platform::http::{ApiError, ApiJson, Caller, InGemeente, Recorded};
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::{Cents, ProvisionCode, Role};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use super::entitlements::amount_or_units;
use super::{load_in, AppState, Partners, PassReaders};
use crate::access::{self, Pseudonyms};
use crate::domain::entitlement::{Entitlement, EntitlementCommand, Pass, RedeemPass};
use crate::pass_codes::{self, FoundPass, Lookup};

/// A pass code as typed at the till (case, spaces and dashes do not matter). It never shows in a log:
/// its `Debug` says only that a code was given.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct TypedCode(
    /// The pass code, e.g. 7KQ2-M9XD-4H1T.
    pub String,
);

impl std::fmt::Debug for TypedCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TypedCode(<geheim>)")
    }
}

/// Which pass: its code, as the family shows it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PassLookupRequest {
    /// The pass code, e.g. 7KQ2-M9XD-4H1T (case, spaces and dashes do not matter).
    pub code: TypedCode,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedemptionRequest {
    /// Optional id chosen by the till: a retried request is redeemed once.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// The pass code, e.g. 7KQ2-M9XD-4H1T (case, spaces and dashes do not matter).
    pub code: TypedCode,
    /// The amount redeemed; give this or `aantal`.
    #[serde(rename = "bedragCent", default)]
    pub amount_cents: Option<Cents>,
    /// For a strippenkaart: the number of strips; give this or `bedragCent`.
    #[serde(rename = "aantal", default)]
    pub units: Option<u32>,
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<DateSchema>")]
    pub date: Option<Date>,
    /// For a household budget (gezinstegoed): the child that spends, as you know it (a partner its
    /// own reference of the child, as the balance lists it in `kinderen`); without it the first
    /// child. Another child: 422, nothing is redeemed.
    #[serde(rename = "kind", default)]
    pub child: Option<String>,
}

/// A pass's balance and status, as the till sees it: never the code itself.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PassBalance {
    #[serde(rename = "pas")]
    pub pass_id: Uuid,
    #[serde(rename = "laatsteTekens")]
    pub code_hint: String,
    #[serde(rename = "voorziening")]
    pub provision: ProvisionCode,
    /// The child: for a partner its own reference of it (`platform::reference`), for the gemeente its id.
    #[serde(rename = "kind")]
    pub child: String,
    /// For a household budget (gezinstegoed): every child who may spend it, as `kind` names a
    /// child; absent for a child's own pass.
    #[serde(rename = "kinderen", default, skip_serializing_if = "Vec::is_empty")]
    pub household_children: Vec<String>,
    #[serde(rename = "saldoCent")]
    pub balance_cents: Cents,
    /// For a strippenkaart: the strips left.
    #[serde(rename = "saldoAantal")]
    pub balance_units: Option<i64>,
    #[serde(rename = "geldigTot")]
    #[schemars(with = "DateSchema")]
    pub valid_until: Date,
    pub status: PassStatus,
}

/// Whether a pass can be used.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
pub enum PassStatus {
    #[serde(rename = "geldig")]
    Valid,
    #[serde(rename = "geblokkeerd")]
    Blocked,
    #[serde(rename = "verlopen")]
    Expired,
}

/// The pass after a redemption, with the redemption's id.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RedemptionView {
    #[serde(flatten)]
    pub pass: PassBalance,
    #[serde(rename = "verzilvering")]
    pub redemption_id: Uuid,
}

impl PassBalance {
    pub(super) fn of(
        pseudonyms: &Pseudonyms,
        caller: &Caller,
        entitlement: &Entitlement,
        pass: &Pass,
    ) -> Option<Self> {
        let opened = entitlement.opened.as_ref()?;
        let status = if pass.blocked.is_some() {
            PassStatus::Blocked
        } else if entitlement.expired.is_some()
            || kindpakket_platform::clock::today() > pass.issued.valid_until
        {
            PassStatus::Expired
        } else {
            PassStatus::Valid
        };
        Some(Self {
            pass_id: pass.issued.pass_id,
            code_hint: pass.issued.code_hint.clone(),
            provision: opened.provision.clone(),
            child: pseudonyms.child_for(&caller.actor, opened.child),
            household_children: opened
                .household_children
                .iter()
                .map(|child| pseudonyms.child_for(&caller.actor, *child))
                .collect(),
            balance_cents: entitlement.remaining_cents(),
            balance_units: entitlement.remaining_units(),
            valid_until: pass.issued.valid_until,
            status,
        })
    }
}

pub(super) fn unknown_code() -> ApiError {
    ApiError::not_found("Deze pascode is onbekend. Controleer de code; er is niets afgeboekt.")
}

/// The balance of the pass with `code` in `entitlement`.
pub(super) fn balance(
    state: &AppState,
    caller: &Caller,
    entitlement: &Entitlement,
    code: &str,
) -> Result<PassBalance, ApiError> {
    entitlement
        .pass_with_code(code)
        .and_then(|pass| PassBalance::of(&state.pseudonyms, caller, entitlement, pass))
        .ok_or_else(unknown_code)
}

/// The pass behind a typed code, for regie or for a provider enrolled to deliver its provision.
pub(super) async fn find_pass<R>(
    state: &AppState,
    caller: &InGemeente<R>,
    typed: &TypedCode,
) -> Result<Box<FoundPass>, ApiError> {
    let gemeente = &caller.gemeente;
    let found = match pass_codes::look_up(&state.pool, &state.entitlements, gemeente, &typed.0)
        .await
        .map_err(|error| ApiError::internal(format!("{error:#}")))?
    {
        Lookup::Found(found) => found,
        Lookup::Unknown => return Err(unknown_code()),
        Lookup::OtherGemeente => {
            return Err(ApiError::unprocessable(
                "Deze pas is niet uitgegeven door deze gemeente en kan hier niet worden verzilverd. Er is niets afgeboekt.",
            ))
        }
    };
    if caller.is(Role::Partner) {
        let Some(opened) = &found.entitlement.opened else {
            return Err(unknown_code());
        };
        let partner = &caller.actor.organisation;
        let enrolled = access::is_enrolled(&state.pool, gemeente, partner, &opened.provision)
            .await
            .map_err(ApiError::internal)?;
        if !enrolled {
            return Err(ApiError::forbidden(format!(
                "U bent in deze gemeente niet ingeschreven om '{}' te verstrekken; deze pas kan hier niet worden verzilverd. Er is niets afgeboekt.",
                opened.provision
            )));
        }
    }
    Ok(found)
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn look_up_pass(
    State(state): State<AppState>,
    caller: InGemeente<PassReaders>,
    ApiJson(request): ApiJson<PassLookupRequest>,
) -> Result<Json<PassBalance>, ApiError> {
    let found = find_pass(&state, &caller, &request.code).await?;
    balance(&state, &caller, &found.entitlement, &found.code).map(Json)
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, partner = %caller.actor.organisation))]
pub async fn redeem(
    State(state): State<AppState>,
    caller: InGemeente<Partners>,
    ApiJson(request): ApiJson<RedemptionRequest>,
) -> Result<Recorded<RedemptionView>, ApiError> {
    let found = find_pass(&state, &caller, &request.code).await?;
    let amount_cents = amount_or_units(&found.entitlement, request.amount_cents, request.units)?;
    let redemption_id = request.id.unwrap_or_else(Uuid::new_v4);
    let child = super::entitlements::spending_child(
        &state.pseudonyms,
        &caller,
        &found.entitlement,
        request.child.as_deref(),
    )?;
    let child = super::entitlements::living_spender(&state, &found.entitlement, child).await?;
    let command = EntitlementCommand::RedeemPass(RedeemPass {
        gemeente: caller.gemeente.clone(),
        code: found.code.clone(),
        redemption_id,
        partner: caller.actor.organisation.clone(),
        amount_cents,
        redeemed_on: request
            .date
            .unwrap_or_else(kindpakket_platform::clock::today),
        child,
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
    let pass = balance(&state, &caller, &entitlement, &found.code)?;
    Ok(Recorded(RedemptionView {
        pass,
        redemption_id,
    }))
}
