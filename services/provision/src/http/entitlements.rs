use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use kindpakket_platform::dutch_enum;
use kindpakket_platform::http::{gemeente_from_path, id_from_path, ApiError, ApiJson, Caller};
use kindpakket_proto::{GemeenteCode, Role};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::AppState;
use crate::consume::may_deliver;
use crate::domain::entitlement::{Entitlement, EntitlementCommand};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryRequest {
    /// Optional id chosen by the partner's system: a retried request with the same id is recorded once.
    #[serde(default)]
    pub id: Option<Uuid>,
    #[serde(rename = "vorm")]
    pub form: DeliveryFormDto,
    #[serde(rename = "bedragCent")]
    pub amount_cents: i64,
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<String>")]
    pub date: Option<Date>,
}

dutch_enum!(
    /// How the provision was delivered.
    DeliveryFormDto <=> kindpakket_proto::regie::DeliveryForm {
        InKind = "in_natura",
        Discount = "korting",
        Voucher = "tegoedbon",
        Declaration = "declaratie",
    }
);

/// Loads an entitlement the caller may see: the regievoerder sees all of its gemeente, a partner only
/// those it is enrolled to deliver. Anything else is "not found", so nothing leaks.
async fn visible_entitlement(
    state: &AppState,
    caller: &Caller,
    gemeente: &GemeenteCode,
    entitlement_id: Uuid,
) -> Result<Entitlement, ApiError> {
    let not_found = || {
        ApiError::not_found(format!(
            "Recht '{entitlement_id}' bestaat niet, of u mag het niet zien."
        ))
    };
    let entitlement = state
        .entitlements
        .load(&entitlement_id.to_string())
        .await
        .map_err(ApiError::internal)?;
    let opened = entitlement.in_gemeente(gemeente).ok_or_else(not_found)?;
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
            return Err(not_found());
        }
    }
    Ok(entitlement)
}

fn describe(entitlement: &Entitlement) -> Value {
    let opened = entitlement
        .opened
        .as_ref()
        .expect("visible entitlements are open");
    json!({
        "id": opened.entitlement_id,
        "aanvraag": opened.application_id,
        "kind": opened.child,
        "voorziening": opened.provision,
        "bedragCent": opened.amount_cents,
        "besteedCent": entitlement.spent_cents,
        "restCent": entitlement.remaining_cents(),
        "geldigVanaf": opened.valid_from,
        "geldigTot": opened.valid_until,
        "verstrekkingen": entitlement.deliveries.len(),
    })
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, entitlement_id = %id))]
pub async fn get_entitlement(
    State(state): State<AppState>,
    Path((gemeente, id)): Path<(String, String)>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Partner, Role::Regievoerder])?;
    let gemeente = gemeente_from_path(&gemeente)?;
    let entitlement_id = id_from_path(&id, "Recht")?;
    let entitlement = visible_entitlement(&state, &caller, &gemeente, entitlement_id).await?;
    Ok(Json(describe(&entitlement)))
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, entitlement_id = %id, partner = %caller.actor.organisation))]
pub async fn record_delivery(
    State(state): State<AppState>,
    Path((gemeente, id)): Path<(String, String)>,
    caller: Caller,
    ApiJson(request): ApiJson<DeliveryRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(&[Role::Partner])?;
    let gemeente = gemeente_from_path(&gemeente)?;
    let entitlement_id = id_from_path(&id, "Recht")?;
    let entitlement = state
        .entitlements
        .load(&entitlement_id.to_string())
        .await
        .map_err(ApiError::internal)?;
    let Some(opened) = entitlement.in_gemeente(&gemeente) else {
        return Err(ApiError::not_found(format!(
            "Recht '{entitlement_id}' bestaat niet in deze gemeente."
        )));
    };
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
            "{} is in deze gemeente niet ingeschreven om '{}' te verstrekken. Er is niets afgeboekt.",
            caller.actor.organisation, opened.provision
        )));
    }
    let delivery_id = request.id.unwrap_or_else(Uuid::new_v4);
    let command = EntitlementCommand::RecordDelivery {
        gemeente: gemeente.clone(),
        delivery_id,
        partner: caller.actor.organisation.clone(),
        form: request.form.into(),
        amount_cents: request.amount_cents,
        delivered_on: request
            .date
            .unwrap_or_else(|| OffsetDateTime::now_utc().date()),
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
    let mut body = describe(&entitlement);
    body["verstrekking"] = json!(delivery_id);
    Ok((StatusCode::CREATED, Json(body)))
}
