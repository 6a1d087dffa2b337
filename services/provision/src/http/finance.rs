//! The money side: the year end, the ledger across funders, budgets spent versus allocated, and a
//! partner's quarterly settlement statement.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::Json;
use kindpakket_platform::http::{ApiError, ApiJson, Caller};
use kindpakket_proto::{GemeenteCode, OrganisationId, Role};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use time::Date;

use super::entitlements::today;
use super::{AppState, FundingSourceDto, ProvisionTypeDto};
use crate::domain::entitlement::EntitlementCommand;
use crate::ledger::{self, quarter_of, LedgerEntry};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct YearEndRequest {
    /// The day the year is closed on; every entitlement that ended before it expires. Defaults to today.
    #[serde(rename = "peildatum", default)]
    #[schemars(with = "Option<String>")]
    pub on: Option<Date>,
}

fn parse_year(raw: &str) -> Result<i32, ApiError> {
    raw.parse::<i32>()
        .ok()
        .filter(|year| (2000..=2100).contains(year))
        .ok_or_else(|| {
            ApiError::bad_request(format!("'{raw}' is geen jaartal (bijvoorbeeld 2026)."))
        })
}

/// Expires every entitlement of the gemeente that ended before `on`. Returns how many expired.
pub async fn close_year(
    state: &AppState,
    caller_context: &kindpakket_platform::store::CommandContext,
    gemeente: &GemeenteCode,
    on: Date,
) -> Result<usize, ApiError> {
    let history = ledger::load(&state.pool, gemeente)
        .await
        .map_err(ApiError::internal)?;
    let due = history.due_to_expire(on);
    for entitlement_id in &due {
        state
            .entitlements
            .execute(
                &entitlement_id.to_string(),
                EntitlementCommand::Expire {
                    gemeente: gemeente.clone(),
                    on,
                },
                caller_context,
            )
            .await?;
    }
    Ok(due.len())
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente))]
pub async fn year_end(
    State(state): State<AppState>,
    Path(gemeente): Path<String>,
    caller: Caller,
    ApiJson(request): ApiJson<YearEndRequest>,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Regievoerder])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let on = request.on.unwrap_or_else(today);
    let expired = close_year(&state, &caller.command_context(&gemeente), &gemeente, on).await?;
    let history = ledger::load(&state.pool, &gemeente)
        .await
        .map_err(ApiError::internal)?;
    let unused: i64 = history
        .entitlements
        .values()
        .filter_map(|entitlement| entitlement.expired.as_ref())
        .map(|expired| expired.unused_cents)
        .sum();
    Ok(Json(json!({
        "peildatum": on,
        "verlopenRechten": expired,
        "ongebruiktCentTotaal": unused,
    })))
}

fn funder_totals(entries: &[&LedgerEntry]) -> Vec<Value> {
    let mut totals: BTreeMap<(String, String), i64> = BTreeMap::new();
    for entry in entries {
        *totals
            .entry((
                entry.funder.organisation.to_string(),
                serde_json::to_value(FundingSourceDto::from(entry.funder.source))
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
            ))
            .or_default() += entry.amount_cents;
    }
    totals
        .into_iter()
        .map(|((organisation, source), cents)| {
            json!({"organisatie": organisation, "bron": source, "bedragCent": cents})
        })
        .collect()
}

fn entry_json(entry: &LedgerEntry, child: uuid::Uuid) -> Value {
    json!({
        "datum": entry.date,
        "kind": child,
        "voorziening": entry.provision,
        "recht": entry.entitlement_id,
        "partner": entry.partner,
        "financier": entry.funder.organisation,
        "bron": FundingSourceDto::from(entry.funder.source),
        "bedragCent": entry.amount_cents,
        "kenmerk": entry.reference,
    })
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, year = %year))]
pub async fn get_ledger(
    State(state): State<AppState>,
    Path((gemeente, year)): Path<(String, String)>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Regievoerder, Role::Auditor])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let year = parse_year(&year)?;
    let history = ledger::load(&state.pool, &gemeente)
        .await
        .map_err(ApiError::internal)?;
    let ledger = history.ledger();
    let entries: Vec<&LedgerEntry> = ledger.iter().filter(|e| e.date.year() == year).collect();
    Ok(Json(json!({
        "jaar": year,
        "totaalCent": entries.iter().map(|e| e.amount_cents).sum::<i64>(),
        "perFinancier": funder_totals(&entries),
        "boekingen": entries.iter().map(|e| entry_json(e, e.child.0)).collect::<Vec<_>>(),
    })))
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, year = %year))]
pub async fn get_budgets(
    State(state): State<AppState>,
    Path((gemeente, year)): Path<(String, String)>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Regievoerder, Role::Auditor, Role::OverlegViewer])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let year = parse_year(&year)?;
    let regelingen = crate::consume::regelingen_of_year(&state.pool, &gemeente, year)
        .await
        .map_err(ApiError::internal)?;
    let history = ledger::load(&state.pool, &gemeente)
        .await
        .map_err(ApiError::internal)?;
    let per_regeling: Vec<Value> = regelingen
        .iter()
        .map(|regeling| {
            let budgets: Vec<Value> = ledger::budget_use(&history, regeling)
                .into_iter()
                .map(|used| {
                    json!({
                        "voorziening": used.budget.provision,
                        "type": used.budget.provision_type.map(ProvisionTypeDto::from),
                        "bron": FundingSourceDto::from(used.budget.source),
                        "toegekendBudgetCent": used.budget.amount_cents,
                        "vastgelegdCent": used.committed_cents,
                        "besteedCent": used.spent_cents,
                        "over": used.budget.amount_cents - used.spent_cents,
                    })
                })
                .collect();
            json!({
                "regeling": regeling.regeling_id,
                "geldigVanaf": regeling.valid_from,
                "geldigTot": regeling.valid_until,
                "budgetten": budgets,
            })
        })
        .collect();
    Ok(Json(json!({ "jaar": year, "regelingen": per_regeling })))
}

#[tracing::instrument(skip_all, fields(gemeente = %gemeente, partner = %partner))]
pub async fn get_statement(
    State(state): State<AppState>,
    Path((gemeente, partner, year, quarter)): Path<(String, String, String, String)>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Partner, Role::Regievoerder, Role::Auditor])?;
    let gemeente = caller.gemeente(&gemeente)?;
    let partner = OrganisationId::parse(&partner).map_err(|e| ApiError::bad_request(e.message))?;
    if caller.actor.role == Role::Partner && caller.actor.organisation != partner {
        return Err(ApiError::forbidden(
            "Een partner ziet alleen zijn eigen afrekening.",
        ));
    }
    let year = parse_year(&year)?;
    let quarter: u8 = quarter
        .parse()
        .ok()
        .filter(|q| (1..=4).contains(q))
        .ok_or_else(|| {
            ApiError::bad_request(format!("'{quarter}' is geen kwartaal: kies 1, 2, 3 of 4."))
        })?;
    let history = ledger::load(&state.pool, &gemeente)
        .await
        .map_err(ApiError::internal)?;
    let ledger = history.ledger();
    let entries: Vec<&LedgerEntry> = ledger
        .iter()
        .filter(|e| e.partner == partner && e.date.year() == year && quarter_of(e.date) == quarter)
        .collect();
    Ok(Json(json!({
        "partner": partner,
        "jaar": year,
        "kwartaal": quarter,
        "totaalCent": entries.iter().map(|e| e.amount_cents).sum::<i64>(),
        "perFinancier": funder_totals(&entries),
        "regels": entries.iter().map(|e| entry_json(e, state.child_for(&caller, e.child))).collect::<Vec<_>>(),
    })))
}
