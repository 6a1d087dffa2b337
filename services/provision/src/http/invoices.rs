//! Invoices: a partner invoices a period, regie approves or rejects its lines.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use kindpakket_platform::http::{id_from_path, ApiError, ApiJson, Caller};
use kindpakket_proto::provision::InvoiceSubmitted;
use kindpakket_proto::{GemeenteCode, Role};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use time::Date;
use uuid::Uuid;

use super::entitlements::today;
use super::{AppState, FundingSourceDto};
use crate::domain::invoice::{Invoice, InvoiceCommand, LineDecision};
use crate::{ledger, locks};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceRequest {
    #[serde(rename = "vanaf")]
    #[schemars(with = "String")]
    pub from: Date,
    #[serde(rename = "tot")]
    #[schemars(with = "String")]
    pub until: Date,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SettlementRequest {
    #[serde(rename = "regels")]
    pub lines: Vec<LineDecisionDto>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LineDecisionDto {
    #[serde(rename = "verstrekking")]
    pub delivery_id: Uuid,
    #[serde(rename = "goedgekeurd")]
    pub approved: bool,
    #[serde(rename = "reden", default)]
    pub reason: Option<String>,
}

fn describe(state: &AppState, caller: &Caller, invoice: &Invoice) -> Value {
    let submitted = invoice
        .submitted
        .as_ref()
        .expect("visible invoices are submitted");
    let lines: Vec<Value> = submitted
        .lines
        .iter()
        .map(|line| {
            let decision = invoice.decisions.get(&line.delivery_id);
            json!({
                "verstrekking": line.delivery_id,
                "recht": line.entitlement_id,
                "kind": state.child_for(caller, line.child),
                "voorziening": line.provision,
                "bedragCent": line.amount_cents,
                "datum": line.delivered_on,
                "financiering": line.funding.iter().map(|part| json!({
                    "organisatie": part.funder.organisation,
                    "bron": FundingSourceDto::from(part.funder.source),
                    "bedragCent": part.amount_cents,
                })).collect::<Vec<_>>(),
                "status": match decision {
                    None => "open",
                    Some(line) if line.approved => "goedgekeurd",
                    Some(_) => "afgekeurd",
                },
                "reden": decision.and_then(|line| line.reason.clone()),
            })
        })
        .collect();
    let approved: i64 = invoice
        .decisions
        .values()
        .filter(|line| line.approved)
        .map(|line| line.amount_cents)
        .sum();
    json!({
        "id": submitted.invoice_id,
        "partner": submitted.partner,
        "vanaf": submitted.period_from,
        "tot": submitted.period_until,
        "totaalCent": submitted.total_cents,
        "goedgekeurdCent": approved,
        "afgehandeld": invoice.decisions.len() == submitted.lines.len(),
        "regels": lines,
    })
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, partner = %caller.actor.organisation))]
pub async fn submit_invoice(
    State(state): State<AppState>,
    Path(gemeente): Path<String>,
    caller: Caller,
    ApiJson(request): ApiJson<InvoiceRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(&[Role::Partner])?;
    let gemeente = caller.gemeente(&gemeente)?;
    if request.until < request.from {
        return Err(ApiError::unprocessable(
            "De einddatum van de periode ligt vóór de begindatum.",
        ));
    }
    let partner = caller.actor.organisation.clone();
    // One invoice at a time per partner: what it lists is on no other invoice.
    let _lock = locks::lock(
        &state.pool,
        &format!("kindpakket-invoice:{gemeente}:{partner}"),
    )
    .await
    .map_err(ApiError::internal)?;
    let history = ledger::load(&state.pool, &gemeente)
        .await
        .map_err(ApiError::internal)?;
    let lines = history.invoiceable(&partner, request.from, request.until);
    let invoice_id = Uuid::new_v4();
    let invoice = InvoiceSubmitted {
        invoice_id,
        partner,
        period_from: request.from,
        period_until: request.until,
        total_cents: lines.iter().map(|line| line.amount_cents).sum(),
        lines,
    };
    state
        .invoices
        .execute(
            &invoice_id.to_string(),
            InvoiceCommand::Submit {
                gemeente: gemeente.clone(),
                invoice,
            },
            &caller.command_context(&gemeente),
        )
        .await?;
    let invoice = load(&state, &gemeente, invoice_id).await?;
    let location = format!("/api/v1/gemeenten/{gemeente}/facturen/{invoice_id}");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(describe(&state, &caller, &invoice)),
    ))
}

async fn load(
    state: &AppState,
    gemeente: &GemeenteCode,
    invoice_id: Uuid,
) -> Result<Invoice, ApiError> {
    let invoice = state
        .invoices
        .load(&invoice_id.to_string())
        .await
        .map_err(ApiError::internal)?;
    if invoice.in_gemeente(gemeente).is_none() {
        return Err(ApiError::not_found(format!(
            "Factuur '{invoice_id}' bestaat niet, of u mag haar niet zien."
        )));
    }
    Ok(invoice)
}

/// A partner sees its own invoices only; regie and the auditor all of the gemeente.
async fn visible(
    state: &AppState,
    caller: &Caller,
    gemeente: &GemeenteCode,
    invoice_id: Uuid,
) -> Result<Invoice, ApiError> {
    let invoice = load(state, gemeente, invoice_id).await?;
    if caller.actor.role == Role::Partner && invoice.partner() != Some(&caller.actor.organisation) {
        return Err(ApiError::not_found(format!(
            "Factuur '{invoice_id}' bestaat niet, of u mag haar niet zien."
        )));
    }
    Ok(invoice)
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, invoice_id = %id))]
pub async fn get_invoice(
    State(state): State<AppState>,
    Path((gemeente, id)): Path<(String, String)>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Partner, Role::Regievoerder, Role::Auditor])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let invoice_id = id_from_path(&id, "Factuur")?;
    let invoice = visible(&state, &caller, &gemeente, invoice_id).await?;
    Ok(Json(describe(&state, &caller, &invoice)))
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, invoice_id = %id))]
pub async fn settle_invoice(
    State(state): State<AppState>,
    Path((gemeente, id)): Path<(String, String)>,
    caller: Caller,
    ApiJson(request): ApiJson<SettlementRequest>,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Regievoerder])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let invoice_id = id_from_path(&id, "Factuur")?;
    load(&state, &gemeente, invoice_id).await?;
    let lines = request
        .lines
        .into_iter()
        .map(|line| LineDecision {
            delivery_id: line.delivery_id,
            approved: line.approved,
            reason: line.reason,
        })
        .collect();
    state
        .invoices
        .execute(
            &invoice_id.to_string(),
            InvoiceCommand::Settle {
                gemeente: gemeente.clone(),
                lines,
                settled_on: today(),
            },
            &caller.command_context(&gemeente),
        )
        .await?;
    let invoice = load(&state, &gemeente, invoice_id).await?;
    Ok(Json(describe(&state, &caller, &invoice)))
}
