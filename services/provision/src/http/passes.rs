//! Passes and vouchers at the provider's till: the balance of a code, and redeeming it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use kindpakket_platform::http::{ApiError, ApiJson, Caller};
use kindpakket_proto::{GemeenteCode, Role};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use time::Date;
use uuid::Uuid;

use super::entitlements::today;
use super::AppState;
use crate::consume::{find_code, may_deliver};
use crate::domain::entitlement::{code, Entitlement, EntitlementCommand, Pass};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedemptionRequest {
    /// Optional id chosen by the till: a retried request is redeemed once.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// The amount redeemed; give this or `aantal`.
    #[serde(rename = "bedragCent", default)]
    pub amount_cents: Option<i64>,
    /// For a strippenkaart: the number of strips; give this or `bedragCent`.
    #[serde(rename = "aantal", default)]
    pub units: Option<u32>,
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<String>")]
    pub date: Option<Date>,
}

/// The entitlement behind a code, for an enrolled provider of its provision in this gemeente.
async fn entitlement_of_code(
    state: &AppState,
    caller: &Caller,
    gemeente: &GemeenteCode,
    typed: &str,
) -> Result<(String, Uuid, Entitlement), ApiError> {
    let unknown = || {
        ApiError::not_found("Deze pascode is onbekend. Controleer de code; er is niets afgeboekt.")
    };
    let code = code::normalise(typed).ok_or_else(unknown)?;
    let (code_gemeente, entitlement_id) = find_code(&state.pool, &code)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(unknown)?;
    if code_gemeente != gemeente.as_str() {
        return Err(ApiError::unprocessable(format!(
            "Deze pas is niet uitgegeven door gemeente {gemeente} en kan hier niet worden verzilverd. Er is niets afgeboekt."
        )));
    }
    let entitlement = state
        .entitlements
        .load(&entitlement_id.to_string())
        .await
        .map_err(ApiError::internal)?;
    let Some(opened) = entitlement.in_gemeente(gemeente) else {
        return Err(unknown());
    };
    if !entitlement.passes.iter().any(|pass| pass.code == code) {
        return Err(unknown());
    }
    if caller.actor.role == Role::Partner {
        let allowed = may_deliver(
            &state.pool,
            gemeente.as_str(),
            caller.actor.organisation.as_str(),
            opened.provision.as_str(),
        )
        .await
        .map_err(ApiError::internal)?;
        if !allowed {
            return Err(ApiError::forbidden(format!(
                "{} is in deze gemeente niet ingeschreven om '{}' te verstrekken; deze pas kan hier niet worden verzilverd. Er is niets afgeboekt.",
                caller.actor.organisation, opened.provision
            )));
        }
    }
    Ok((code, entitlement_id, entitlement))
}

fn describe_pass(
    state: &AppState,
    caller: &Caller,
    entitlement: &Entitlement,
    pass: &Pass,
) -> Value {
    let opened = entitlement
        .opened
        .as_ref()
        .expect("a pass belongs to an open entitlement");
    let status = if pass.blocked.is_some() {
        "geblokkeerd"
    } else if entitlement.expired.is_some() || today() > pass.issued.valid_until {
        "verlopen"
    } else {
        "geldig"
    };
    json!({
        "pas": pass.issued.pass_id,
        "laatsteTekens": pass.issued.code_hint,
        "voorziening": opened.provision,
        "kind": state.child_for(caller, opened.child),
        "saldoCent": entitlement.remaining_cents(),
        "saldoAantal": entitlement.unit_value_cents().map(|unit| entitlement.remaining_cents() / unit),
        "geldigTot": pass.issued.valid_until,
        "status": status,
    })
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente))]
pub async fn get_pass(
    State(state): State<AppState>,
    Path((gemeente, typed)): Path<(String, String)>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Partner, Role::Regievoerder])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let (code, _, entitlement) = entitlement_of_code(&state, &caller, &gemeente, &typed).await?;
    let pass = entitlement
        .passes
        .iter()
        .find(|pass| pass.code == code)
        .expect("checked above");
    Ok(Json(describe_pass(&state, &caller, &entitlement, pass)))
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, partner = %caller.actor.organisation))]
pub async fn redeem(
    State(state): State<AppState>,
    Path((gemeente, typed)): Path<(String, String)>,
    caller: Caller,
    ApiJson(request): ApiJson<RedemptionRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(&[Role::Partner])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let (code, entitlement_id, entitlement) =
        entitlement_of_code(&state, &caller, &gemeente, &typed).await?;
    let amount_cents =
        super::entitlements::amount_or_units(&entitlement, request.amount_cents, request.units)?;
    let redemption_id = request.id.unwrap_or_else(Uuid::new_v4);
    let command = EntitlementCommand::RedeemPass {
        gemeente: gemeente.clone(),
        code: code.clone(),
        redemption_id,
        partner: caller.actor.organisation.clone(),
        amount_cents,
        redeemed_on: request.date.unwrap_or_else(today),
    };
    state
        .entitlements
        .execute(
            &entitlement_id.to_string(),
            command,
            &caller.command_context(&gemeente),
        )
        .await?;
    let entitlement = state
        .entitlements
        .load(&entitlement_id.to_string())
        .await
        .map_err(ApiError::internal)?;
    let pass = entitlement
        .passes
        .iter()
        .find(|pass| pass.code == code)
        .expect("redeemed above");
    let mut body = describe_pass(&state, &caller, &entitlement, pass);
    body["verzilvering"] = json!(redemption_id);
    Ok((StatusCode::CREATED, Json(body)))
}
