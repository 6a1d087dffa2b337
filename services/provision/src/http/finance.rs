//! The money side: the year end, the ledger across funders, budgets spent versus allocated, and a
//! partner's quarterly settlement statement.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use kindpakket_platform::http::{ApiError, ApiJson, ApiPath, InGemeente};
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::{Cents, OrganisationId, Period, ProvisionCode, Role};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use super::{AppState, BudgetReaders, Control, FundingSourceDto, ProvisionTypeDto, Readers, Regie};
use crate::ledger::{self, BudgetUse, LedgerEntry};
use crate::read_models::regelingen;
use crate::year_end;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct YearEndRequest {
    /// The day the year is closed on; every entitlement that ended before it expires. Defaults to
    /// today, and may not lie after today.
    #[serde(rename = "peildatum", default)]
    #[schemars(with = "Option<DateSchema>")]
    pub on: Option<Date>,
}

/// The year in the path, e.g. 2026.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct YearPath {
    /// A year from 2000 to 2100.
    pub jaar: String,
}

/// A partner's statement in the path.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct StatementPath {
    /// The partner's organisation code.
    pub partner: String,
    /// A year from 2000 to 2100.
    pub jaar: String,
    /// The quarter: 1, 2, 3 or 4.
    pub kwartaal: String,
}

/// What the year end did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct YearClosed {
    #[serde(rename = "peildatum")]
    #[schemars(with = "DateSchema")]
    pub on: Date,
    /// How many entitlements expired now.
    #[serde(rename = "verlopenRechten")]
    pub expired: usize,
    /// What was left unused on every entitlement of the gemeente that expired so far.
    #[serde(rename = "ongebruiktCentTotaal")]
    pub unused_cents: Cents,
}

/// Every amount paid in a year, across funders.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LedgerView {
    #[serde(rename = "jaar")]
    pub year: i32,
    #[serde(rename = "totaalCent")]
    pub total_cents: Cents,
    #[serde(rename = "perFinancier")]
    pub per_funder: Vec<FunderTotal>,
    #[serde(rename = "boekingen")]
    pub entries: Vec<EntryView>,
}

/// What a partner was paid in a quarter, across funders.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StatementView {
    pub partner: OrganisationId,
    #[serde(rename = "jaar")]
    pub year: i32,
    #[serde(rename = "kwartaal")]
    pub quarter: u8,
    #[serde(rename = "totaalCent")]
    pub total_cents: Cents,
    #[serde(rename = "perFinancier")]
    pub per_funder: Vec<FunderTotal>,
    #[serde(rename = "regels")]
    pub lines: Vec<EntryView>,
    /// The partner's invoice lines delivered in the quarter, by where they stand.
    #[serde(rename = "facturen")]
    pub invoiced: InvoicedView,
}

/// A partner's invoice lines of a quarter (by delivery date), in cents: what was invoiced, approved,
/// rejected, credited and not decided yet. A line credited and invoiced again counts once per
/// invoice it is on, so they reconcile: `gefactureerdCent − gecrediteerdCent = goedgekeurdCent +
/// afgekeurdNietGecrediteerdCent + openCent`, and `afgekeurdCent = gecrediteerdCent +
/// afgekeurdNietGecrediteerdCent`.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct InvoicedView {
    #[serde(rename = "gefactureerdCent")]
    pub invoiced_cents: Cents,
    #[serde(rename = "goedgekeurdCent")]
    pub approved_cents: Cents,
    #[serde(rename = "afgekeurdCent")]
    pub rejected_cents: Cents,
    #[serde(rename = "gecrediteerdCent")]
    pub credited_cents: Cents,
    #[serde(rename = "afgekeurdNietGecrediteerdCent")]
    pub rejected_not_credited_cents: Cents,
    /// Not decided yet.
    #[serde(rename = "openCent")]
    pub open_cents: Cents,
}

impl InvoicedView {
    /// The lines of `partner`'s invoices delivered in `period`.
    fn of(history: &ledger::History, partner: &OrganisationId, period: Period) -> Self {
        let mut view = Self::default();
        for invoice in history.invoices.values() {
            let Some(submitted) = invoice.submitted.as_ref().filter(|s| &s.partner == partner)
            else {
                continue;
            };
            for line in &submitted.lines {
                if !period.contains(line.delivered_on) {
                    continue;
                }
                let amount = line.amount_cents;
                view.invoiced_cents += amount;
                match invoice.decisions.get(&line.delivery_id) {
                    None => view.open_cents += amount,
                    Some(decided) if decided.approved => view.approved_cents += amount,
                    Some(_) => {
                        view.rejected_cents += amount;
                        if invoice.is_credited(line.delivery_id) {
                            view.credited_cents += amount;
                        } else {
                            view.rejected_not_credited_cents += amount;
                        }
                    }
                }
            }
        }
        view
    }
}

/// What one funder paid from one source.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FunderTotal {
    #[serde(rename = "organisatie")]
    pub organisation: String,
    #[serde(rename = "bron")]
    pub source: FundingSourceDto,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
}

/// One amount a funder paid.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EntryView {
    #[serde(rename = "datum")]
    #[schemars(with = "DateSchema")]
    pub date: Date,
    /// The child: for a partner its own reference of it (`platform::reference`), for the gemeente its id.
    #[serde(rename = "kind")]
    pub child: String,
    #[serde(rename = "voorziening")]
    pub provision: ProvisionCode,
    /// The entitlement: for a partner its own pseudonym, for the gemeente the id itself.
    #[serde(rename = "recht")]
    pub entitlement_id: Uuid,
    pub partner: OrganisationId,
    #[serde(rename = "financier")]
    pub funder: OrganisationId,
    #[serde(rename = "bron")]
    pub source: FundingSourceDto,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
    /// The delivery, redemption or declaration it pays.
    #[serde(rename = "kenmerk")]
    pub reference: Uuid,
}

/// The budgets of every regeling version in force during part of a year.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BudgetsView {
    #[serde(rename = "jaar")]
    pub year: i32,
    #[serde(rename = "regelingen")]
    pub regelingen: Vec<RegelingBudgets>,
}

/// The budgets of one regeling version.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RegelingBudgets {
    #[serde(rename = "regeling")]
    pub regeling_id: Uuid,
    #[serde(rename = "geldigVanaf")]
    #[schemars(with = "DateSchema")]
    pub valid_from: Date,
    #[serde(rename = "geldigTot")]
    #[schemars(with = "DateSchema")]
    pub valid_until: Date,
    #[serde(rename = "budgetten")]
    pub budgets: Vec<BudgetView>,
}

/// One budget: allocated, committed by grants, spent by payments, and what is over.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BudgetView {
    /// The provision it is for; `null` for a budget of a provision type.
    #[serde(rename = "voorziening")]
    pub provision: Option<ProvisionCode>,
    /// The provision type it is for; `null` for a budget of one provision.
    #[serde(rename = "type")]
    pub provision_type: Option<ProvisionTypeDto>,
    #[serde(rename = "bron")]
    pub source: FundingSourceDto,
    #[serde(rename = "toegekendBudgetCent")]
    pub allocated_cents: Cents,
    #[serde(rename = "vastgelegdCent")]
    pub committed_cents: Cents,
    #[serde(rename = "besteedCent")]
    pub spent_cents: Cents,
    /// Allocated minus spent.
    #[serde(rename = "over")]
    pub left_cents: Cents,
}

impl EntryView {
    /// The entry under the ids the reader may see: the child's and the entitlement's.
    pub(super) fn of(entry: &LedgerEntry, child: String, entitlement_id: Uuid) -> Self {
        Self {
            date: entry.date,
            child,
            provision: entry.provision.clone(),
            entitlement_id,
            partner: entry.partner.clone(),
            funder: entry.funder.organisation.clone(),
            source: entry.funder.source.into(),
            amount_cents: entry.amount_cents,
            reference: entry.reference,
        }
    }
}

impl BudgetView {
    pub(super) fn of(used: BudgetUse) -> Self {
        Self {
            provision: used.budget.provision,
            provision_type: used.budget.provision_type.map(ProvisionTypeDto::from),
            source: used.budget.source.into(),
            allocated_cents: used.budget.amount_cents,
            committed_cents: used.committed_cents,
            spent_cents: used.spent_cents,
            left_cents: used.budget.amount_cents - used.spent_cents,
        }
    }
}

/// The Dutch word of a funding source, as the totals are ordered by it.
fn word(source: FundingSourceDto) -> String {
    serde_json::to_value(source)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// What each funder paid of `entries`, per source, by organisation and then source.
pub(super) fn funder_totals(entries: &[&LedgerEntry]) -> Vec<FunderTotal> {
    let mut totals: BTreeMap<(String, String), (FundingSourceDto, Cents)> = BTreeMap::new();
    for entry in entries {
        let source = FundingSourceDto::from(entry.funder.source);
        let key = (entry.funder.organisation.to_string(), word(source));
        totals.entry(key).or_insert((source, Cents::ZERO)).1 += entry.amount_cents;
    }
    totals
        .into_iter()
        .map(|((organisation, _), (source, amount_cents))| FunderTotal {
            organisation,
            source,
            amount_cents,
        })
        .collect()
}

/// A year in the path, from 2000 to 2100.
fn parse_year(raw: &str) -> Result<(i32, Period), ApiError> {
    raw.parse::<i32>()
        .ok()
        .filter(|year| (2000..=2100).contains(year))
        .and_then(|year| Some((year, Period::year(year)?)))
        .ok_or_else(|| {
            ApiError::bad_request(
                "Het jaar in de URL is geen jaartal van 2000 tot en met 2100 (bijvoorbeeld 2026).",
            )
        })
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn year_end(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiJson(request): ApiJson<YearEndRequest>,
) -> Result<Json<YearClosed>, ApiError> {
    let gemeente = &caller.gemeente;
    let today = kindpakket_platform::clock::today();
    let on = request.on.unwrap_or(today);
    let expired = year_end::close_year(
        &state.pool,
        &state.entitlements,
        &caller.command_context(gemeente),
        gemeente,
        on,
        today,
    )
    .await?;
    let unused_cents = year_end::unused_so_far(&state.pool, gemeente)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(YearClosed {
        on,
        expired,
        unused_cents,
    }))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, year = %jaar))]
pub async fn get_ledger(
    State(state): State<AppState>,
    caller: InGemeente<Control>,
    ApiPath(YearPath { jaar }): ApiPath<YearPath>,
) -> Result<Json<LedgerView>, ApiError> {
    let (year, period) = parse_year(&jaar)?;
    let history = ledger::load(&state.pool, &caller.gemeente)
        .await
        .map_err(ApiError::internal)?;
    let ledger = history.ledger();
    let entries: Vec<&LedgerEntry> = ledger
        .iter()
        .filter(|entry| period.contains(entry.date))
        .collect();
    Ok(Json(LedgerView {
        year,
        total_cents: entries.iter().map(|entry| entry.amount_cents).sum(),
        per_funder: funder_totals(&entries),
        entries: entries
            .iter()
            .map(|entry| EntryView::of(entry, entry.child.0.to_string(), entry.entitlement_id))
            .collect(),
    }))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, year = %jaar))]
pub async fn get_budgets(
    State(state): State<AppState>,
    caller: InGemeente<BudgetReaders>,
    ApiPath(YearPath { jaar }): ApiPath<YearPath>,
) -> Result<Json<BudgetsView>, ApiError> {
    let (year, _) = parse_year(&jaar)?;
    let regelingen = regelingen::of_year(&state.pool, &caller.gemeente, year)
        .await
        .map_err(ApiError::internal)?;
    let history = ledger::load(&state.pool, &caller.gemeente)
        .await
        .map_err(ApiError::internal)?;
    let regelingen = regelingen
        .iter()
        .map(|regeling| RegelingBudgets {
            regeling_id: regeling.regeling_id,
            valid_from: regeling.valid_from,
            valid_until: regeling.valid_until,
            budgets: ledger::budget_use(&history, regeling)
                .into_iter()
                .map(BudgetView::of)
                .collect(),
        })
        .collect();
    Ok(Json(BudgetsView { year, regelingen }))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, partner = %partner))]
pub async fn get_statement(
    State(state): State<AppState>,
    caller: InGemeente<Readers>,
    ApiPath(StatementPath {
        partner,
        jaar,
        kwartaal,
    }): ApiPath<StatementPath>,
) -> Result<Json<StatementView>, ApiError> {
    let partner = OrganisationId::parse(&partner)?;
    if caller.is(Role::Partner) && caller.actor.organisation != partner {
        return Err(ApiError::forbidden(
            "Een partner ziet alleen zijn eigen afrekening.",
        ));
    }
    let (year, _) = parse_year(&jaar)?;
    let (quarter, period) = kwartaal
        .parse::<u8>()
        .ok()
        .and_then(|quarter| Some((quarter, Period::quarter(year, quarter)?)))
        .ok_or_else(|| {
            ApiError::bad_request("Het kwartaal in de URL is geen kwartaal: kies 1, 2, 3 of 4.")
        })?;
    let history = ledger::load(&state.pool, &caller.gemeente)
        .await
        .map_err(ApiError::internal)?;
    let ledger = history.ledger();
    let entries: Vec<&LedgerEntry> = ledger
        .iter()
        .filter(|entry| entry.partner == partner && period.contains(entry.date))
        .collect();
    let invoiced = InvoicedView::of(&history, &partner, period);
    Ok(Json(StatementView {
        invoiced,
        total_cents: entries.iter().map(|entry| entry.amount_cents).sum(),
        per_funder: funder_totals(&entries),
        lines: entries
            .iter()
            .map(|entry| {
                let child = state.pseudonyms.child_for(&caller.actor, entry.child);
                let entitlement_id = state
                    .pseudonyms
                    .entitlement_for(&caller.actor, entry.entitlement_id);
                EntryView::of(entry, child, entitlement_id)
            })
            .collect(),
        partner,
        year,
        quarter,
    }))
}
