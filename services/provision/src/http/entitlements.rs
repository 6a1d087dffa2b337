//! Entitlements: listing and reading them, deliveries in kind and as a discount, passes issued and
//! blocked, declarations submitted and decided.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use kindpakket_platform::dutch_enum;
use kindpakket_platform::http::{id_from_path, ApiError, ApiJson, Caller};
use kindpakket_proto::{GemeenteCode, Role};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::AppState;
use crate::consume::{may_deliver, register_code};
use crate::domain::entitlement::{code, Entitlement, EntitlementCommand, NewPass};
use crate::ledger;

pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryRequest {
    /// Optional id chosen by the partner's system: a retried request with the same id is recorded once.
    #[serde(default)]
    pub id: Option<Uuid>,
    #[serde(rename = "vorm")]
    pub form: DeliveryFormDto,
    /// In kind: what the partner paid. Discount: the discount given. Give this or `aantal`.
    #[serde(rename = "bedragCent", default)]
    pub amount_cents: Option<i64>,
    /// For a strippenkaart: the number of strips used. Give this or `bedragCent`.
    #[serde(rename = "aantal", default)]
    pub units: Option<u32>,
    /// Discount only: the provider's full price.
    #[serde(rename = "volledigePrijsCent", default)]
    pub full_price_cents: Option<i64>,
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

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IssuePassRequest {
    /// Optional id of the new pass: a retried request issues it once.
    #[serde(default)]
    pub id: Option<Uuid>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockPassRequest {
    #[serde(rename = "reden")]
    pub reason: String,
    /// Issue a new pass with the remaining balance at once.
    #[serde(rename = "nieuwePas", default)]
    pub replace: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationRequest {
    #[serde(default)]
    pub id: Option<Uuid>,
    #[serde(rename = "bedragCent")]
    pub amount_cents: i64,
    /// The number or reference of the receipt, invoice or quote.
    #[serde(rename = "bewijs", default)]
    pub proof_reference: String,
    #[serde(rename = "datum", default)]
    #[schemars(with = "Option<String>")]
    pub date: Option<Date>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationDecisionRequest {
    #[serde(rename = "goedgekeurd")]
    pub approved: bool,
    #[serde(rename = "reden", default)]
    pub reason: Option<String>,
}

/// The amount in cents of a request that gives either an amount or a number of units (strips).
pub fn amount_or_units(
    entitlement: &Entitlement,
    amount_cents: Option<i64>,
    units: Option<u32>,
) -> Result<i64, ApiError> {
    match (amount_cents, units) {
        (Some(amount), None) => Ok(amount),
        (None, Some(units)) => entitlement
            .unit_value_cents()
            .map(|unit| unit * i64::from(units))
            .ok_or_else(|| {
                ApiError::unprocessable(
                    "Dit recht is geen strippenkaart: geef een bedrag in centen (bedragCent), geen aantal.",
                )
            }),
        _ => Err(ApiError::unprocessable(
            "Geef óf een bedrag in centen (bedragCent), óf een aantal strippen (aantal).",
        )),
    }
}

fn not_visible(entitlement_id: Uuid) -> ApiError {
    ApiError::not_found(format!(
        "Recht '{entitlement_id}' bestaat niet, of u mag het niet zien."
    ))
}

/// Whether the caller may see this entitlement: the regievoerder and the auditor see all of their
/// gemeente, a partner only those it is enrolled to deliver.
pub async fn may_see(
    state: &AppState,
    caller: &Caller,
    gemeente: &GemeenteCode,
    entitlement: &Entitlement,
) -> Result<bool, ApiError> {
    let Some(opened) = entitlement.in_gemeente(gemeente) else {
        return Ok(false);
    };
    match caller.actor.role {
        Role::Regievoerder | Role::Auditor => Ok(true),
        Role::Partner => may_deliver(
            &state.pool,
            gemeente.as_str(),
            caller.actor.organisation.as_str(),
            opened.provision.as_str(),
        )
        .await
        .map_err(ApiError::internal),
        _ => Ok(false),
    }
}

/// Loads an entitlement the caller may see; anything else is "not found", so nothing leaks.
async fn visible_entitlement(
    state: &AppState,
    caller: &Caller,
    gemeente: &GemeenteCode,
    entitlement_id: Uuid,
) -> Result<Entitlement, ApiError> {
    let entitlement = state
        .entitlements
        .load(&entitlement_id.to_string())
        .await
        .map_err(ApiError::internal)?;
    if may_see(state, caller, gemeente, &entitlement).await? {
        Ok(entitlement)
    } else {
        Err(not_visible(entitlement_id))
    }
}

/// An entitlement as its readers see it. The pass code itself is shown to the gemeente only (it
/// hands the pass to the family); a partner sees its last four characters.
pub fn describe(state: &AppState, caller: &Caller, entitlement: &Entitlement) -> Value {
    let role = caller.actor.role;
    let opened = entitlement
        .opened
        .as_ref()
        .expect("visible entitlements are open");
    let passes: Vec<Value> = entitlement
        .passes
        .iter()
        .map(|pass| {
            json!({
                "id": pass.issued.pass_id,
                "code": (role == Role::Regievoerder).then_some(&pass.code),
                "laatsteTekens": pass.issued.code_hint,
                "uitgegevenOp": pass.issued.issued_on,
                "geldigTot": pass.issued.valid_until,
                "vervangt": pass.issued.replaces,
                "geblokkeerd": pass.blocked.as_ref().map(|b| json!({"op": b.blocked_on, "reden": b.reason})),
            })
        })
        .collect();
    let declarations: Vec<Value> = entitlement
        .declarations
        .iter()
        .map(|declaration| {
            let submitted = &declaration.submitted;
            json!({
                "id": submitted.declaration_id,
                "ingediendDoor": submitted.submitted_by,
                "bedragCent": submitted.amount_cents,
                "bewijs": submitted.proof_reference,
                "ingediendOp": submitted.submitted_on,
                "status": match &declaration.decided {
                    None => "ingediend",
                    Some(decided) if decided.approved => "goedgekeurd",
                    Some(_) => "afgewezen",
                },
                "reden": declaration.decided.as_ref().and_then(|d| d.reason.clone()),
            })
        })
        .collect();
    json!({
        "id": opened.entitlement_id,
        // A partner sees its own pseudonym of the child and no application: nothing to join on.
        "aanvraag": (role != Role::Partner).then_some(opened.application_id),
        "kind": state.child_for(caller, opened.child),
        "voorziening": opened.provision,
        "vorm": opened.form.map(DeliveryFormDto::from),
        "bedragCent": opened.amount_cents,
        "stripwaardeCent": entitlement.unit_value_cents(),
        "restAantal": entitlement.unit_value_cents().map(|unit| entitlement.remaining_cents() / unit),
        "besteedCent": entitlement.used_cents,
        "gereserveerdCent": entitlement.held_cents,
        "restCent": entitlement.remaining_cents(),
        "geldigVanaf": opened.valid_from,
        "geldigTot": opened.valid_until,
        "verlopen": entitlement.expired.as_ref().map(|e| json!({"op": e.expired_on, "ongebruiktCent": e.unused_cents})),
        "verstrekkingen": entitlement.deliveries.len(),
        "verzilveringen": entitlement.redemptions.len(),
        "passen": passes,
        "declaraties": declarations,
    })
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente))]
pub async fn list_entitlements(
    State(state): State<AppState>,
    Path(gemeente): Path<String>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Partner, Role::Regievoerder, Role::Auditor])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let history = ledger::load(&state.pool, &gemeente)
        .await
        .map_err(ApiError::internal)?;
    let mut visible = Vec::new();
    for entitlement in history.entitlements.values() {
        if may_see(&state, &caller, &gemeente, entitlement).await? {
            let opened = entitlement
                .opened
                .as_ref()
                .expect("visible entitlements are open");
            visible.push(json!({
                "id": opened.entitlement_id,
                "kind": state.child_for(&caller, opened.child),
                "voorziening": opened.provision,
                "bedragCent": opened.amount_cents,
                "restCent": entitlement.remaining_cents(),
                "geldigTot": opened.valid_until,
                "verlopen": entitlement.expired.is_some(),
            }));
        }
    }
    Ok(Json(json!({ "rechten": visible })))
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, entitlement_id = %id))]
pub async fn get_entitlement(
    State(state): State<AppState>,
    Path((gemeente, id)): Path<(String, String)>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Partner, Role::Regievoerder, Role::Auditor])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let entitlement_id = id_from_path(&id, "Recht")?;
    let entitlement = visible_entitlement(&state, &caller, &gemeente, entitlement_id).await?;
    Ok(Json(describe(&state, &caller, &entitlement)))
}

/// Refuses a partner that is not enrolled to deliver this entitlement's provision.
async fn require_enrolled(
    state: &AppState,
    caller: &Caller,
    gemeente: &GemeenteCode,
    entitlement: &Entitlement,
) -> Result<(), ApiError> {
    let opened = entitlement.in_gemeente(gemeente).ok_or_else(|| {
        not_visible(
            entitlement
                .opened
                .as_ref()
                .map_or(Uuid::nil(), |o| o.entitlement_id),
        )
    })?;
    let allowed = may_deliver(
        &state.pool,
        gemeente.as_str(),
        caller.actor.organisation.as_str(),
        opened.provision.as_str(),
    )
    .await
    .map_err(ApiError::internal)?;
    if allowed {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "{} is in deze gemeente niet ingeschreven om '{}' te verstrekken. Er is niets afgeboekt.",
            caller.actor.organisation, opened.provision
        )))
    }
}

async fn load_in_gemeente(
    state: &AppState,
    gemeente: &GemeenteCode,
    entitlement_id: Uuid,
) -> Result<Entitlement, ApiError> {
    let entitlement = state
        .entitlements
        .load(&entitlement_id.to_string())
        .await
        .map_err(ApiError::internal)?;
    if entitlement.in_gemeente(gemeente).is_none() {
        return Err(ApiError::not_found(format!(
            "Recht '{entitlement_id}' bestaat niet in deze gemeente."
        )));
    }
    Ok(entitlement)
}

async fn execute_and_describe(
    state: &AppState,
    caller: &Caller,
    gemeente: &GemeenteCode,
    entitlement_id: Uuid,
    command: EntitlementCommand,
) -> Result<Value, ApiError> {
    state
        .entitlements
        .execute(
            &entitlement_id.to_string(),
            command,
            &caller.command_context(gemeente),
        )
        .await?;
    let entitlement = state
        .entitlements
        .load(&entitlement_id.to_string())
        .await
        .map_err(ApiError::internal)?;
    Ok(describe(state, caller, &entitlement))
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, entitlement_id = %id, partner = %caller.actor.organisation))]
pub async fn record_delivery(
    State(state): State<AppState>,
    Path((gemeente, id)): Path<(String, String)>,
    caller: Caller,
    ApiJson(request): ApiJson<DeliveryRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(&[Role::Partner])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let entitlement_id = id_from_path(&id, "Recht")?;
    let entitlement = load_in_gemeente(&state, &gemeente, entitlement_id).await?;
    require_enrolled(&state, &caller, &gemeente, &entitlement).await?;
    let delivery_id = request.id.unwrap_or_else(Uuid::new_v4);
    let amount_cents = amount_or_units(&entitlement, request.amount_cents, request.units)?;
    let command = EntitlementCommand::RecordDelivery {
        gemeente: gemeente.clone(),
        delivery_id,
        partner: caller.actor.organisation.clone(),
        form: request.form.into(),
        amount_cents,
        full_price_cents: request.full_price_cents,
        delivered_on: request.date.unwrap_or_else(today),
    };
    let mut body =
        execute_and_describe(&state, &caller, &gemeente, entitlement_id, command).await?;
    body["verstrekking"] = json!(delivery_id);
    Ok((StatusCode::CREATED, Json(body)))
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, entitlement_id = %id))]
pub async fn issue_pass(
    State(state): State<AppState>,
    Path((gemeente, id)): Path<(String, String)>,
    caller: Caller,
    ApiJson(request): ApiJson<IssuePassRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(&[Role::Regievoerder])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let entitlement_id = id_from_path(&id, "Recht")?;
    load_in_gemeente(&state, &gemeente, entitlement_id).await?;
    let pass = NewPass {
        pass_id: request.id.unwrap_or_else(Uuid::new_v4),
        code: code::generate(),
    };
    register_code(&state.pool, &pass.code, &gemeente, entitlement_id)
        .await
        .map_err(ApiError::internal)?;
    let pass_id = pass.pass_id;
    let command = EntitlementCommand::IssuePass {
        gemeente: gemeente.clone(),
        pass,
        issued_on: today(),
    };
    let mut body =
        execute_and_describe(&state, &caller, &gemeente, entitlement_id, command).await?;
    body["pas"] = json!(pass_id);
    Ok((StatusCode::CREATED, Json(body)))
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, entitlement_id = %id, pass_id = %pass))]
pub async fn block_pass(
    State(state): State<AppState>,
    Path((gemeente, id, pass)): Path<(String, String, String)>,
    caller: Caller,
    ApiJson(request): ApiJson<BlockPassRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(&[Role::Regievoerder])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let entitlement_id = id_from_path(&id, "Recht")?;
    let pass_id = id_from_path(&pass, "Pas")?;
    load_in_gemeente(&state, &gemeente, entitlement_id).await?;
    let replacement = if request.replace {
        let pass = NewPass {
            pass_id: Uuid::new_v5(&pass_id, b"replacement"),
            code: code::generate(),
        };
        register_code(&state.pool, &pass.code, &gemeente, entitlement_id)
            .await
            .map_err(ApiError::internal)?;
        Some(pass)
    } else {
        None
    };
    let command = EntitlementCommand::BlockPass {
        gemeente: gemeente.clone(),
        pass_id,
        reason: request.reason,
        blocked_on: today(),
        replacement,
    };
    let body = execute_and_describe(&state, &caller, &gemeente, entitlement_id, command).await?;
    Ok((StatusCode::OK, Json(body)))
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, entitlement_id = %id))]
pub async fn submit_declaration(
    State(state): State<AppState>,
    Path((gemeente, id)): Path<(String, String)>,
    caller: Caller,
    ApiJson(request): ApiJson<DeclarationRequest>,
) -> Result<impl IntoResponse, ApiError> {
    // A partner declares for what it paid; the gemeente's loket submits a parent's receipt.
    caller.require(&[Role::Partner, Role::Regievoerder])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let entitlement_id = id_from_path(&id, "Recht")?;
    let entitlement = load_in_gemeente(&state, &gemeente, entitlement_id).await?;
    if caller.actor.role == Role::Partner {
        require_enrolled(&state, &caller, &gemeente, &entitlement).await?;
    }
    let declaration_id = request.id.unwrap_or_else(Uuid::new_v4);
    let command = EntitlementCommand::SubmitDeclaration {
        gemeente: gemeente.clone(),
        declaration_id,
        submitted_by: caller.actor.organisation.clone(),
        amount_cents: request.amount_cents,
        proof_reference: request.proof_reference,
        submitted_on: request.date.unwrap_or_else(today),
    };
    let mut body =
        execute_and_describe(&state, &caller, &gemeente, entitlement_id, command).await?;
    body["declaratie"] = json!(declaration_id);
    Ok((StatusCode::CREATED, Json(body)))
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, entitlement_id = %id, declaration_id = %declaration))]
pub async fn decide_declaration(
    State(state): State<AppState>,
    Path((gemeente, id, declaration)): Path<(String, String, String)>,
    caller: Caller,
    ApiJson(request): ApiJson<DeclarationDecisionRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(&[Role::Regievoerder])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let entitlement_id = id_from_path(&id, "Recht")?;
    let declaration_id = id_from_path(&declaration, "Declaratie")?;
    load_in_gemeente(&state, &gemeente, entitlement_id).await?;
    let command = EntitlementCommand::DecideDeclaration {
        gemeente: gemeente.clone(),
        declaration_id,
        approved: request.approved,
        reason: request.reason,
        decided_on: today(),
    };
    let body = execute_and_describe(&state, &caller, &gemeente, entitlement_id, command).await?;
    Ok((StatusCode::OK, Json(body)))
}
