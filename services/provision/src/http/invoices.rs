//! `/facturen`: a partner invoices a period, regie approves or rejects its lines.

use axum::extract::State;
use axum::Json;
use kindpakket_platform::http::{ApiError, ApiJson, ApiPath, Caller, Created, InGemeente};
use kindpakket_proto::regie::FundingPart;
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::{Cents, OrganisationId, Period, ProvisionCode, Role};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use super::{load_in, today, AppState, FundingSourceDto, Partners, Readers, Regie};
use crate::access::Pseudonyms;
use crate::domain::invoice::{Invoice, InvoiceCommand, LineDecision, SettleInvoice};
use crate::invoicing;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceRequest {
    /// The first day of the period.
    #[serde(rename = "vanaf")]
    #[schemars(with = "DateSchema")]
    pub from: Date,
    /// The last day of the period.
    #[serde(rename = "tot")]
    #[schemars(with = "DateSchema")]
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
    /// Why a line is rejected; the partner reads it.
    #[serde(rename = "reden", default)]
    pub reason: Option<String>,
}

/// The invoice in the path.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct InvoicePath {
    /// The invoice's id.
    pub id: Uuid,
}

/// An invoice with its lines and their decisions.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InvoiceView {
    pub id: Uuid,
    pub partner: OrganisationId,
    #[serde(rename = "vanaf")]
    #[schemars(with = "DateSchema")]
    pub from: Date,
    #[serde(rename = "tot")]
    #[schemars(with = "DateSchema")]
    pub until: Date,
    #[serde(rename = "totaalCent")]
    pub total_cents: Cents,
    #[serde(rename = "goedgekeurdCent")]
    pub approved_cents: Cents,
    /// Whether every line is decided.
    #[serde(rename = "afgehandeld")]
    pub settled: bool,
    #[serde(rename = "regels")]
    pub lines: Vec<InvoiceLineView>,
}

/// One delivery or redemption on an invoice.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InvoiceLineView {
    #[serde(rename = "verstrekking")]
    pub delivery_id: Uuid,
    /// The entitlement: for a partner its own pseudonym, for the gemeente the id itself.
    #[serde(rename = "recht")]
    pub entitlement_id: Uuid,
    /// The child: for a partner its own pseudonym, for the gemeente the reference itself.
    #[serde(rename = "kind")]
    pub child: Uuid,
    #[serde(rename = "voorziening")]
    pub provision: ProvisionCode,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
    #[serde(rename = "datum")]
    #[schemars(with = "DateSchema")]
    pub date: Date,
    /// Who pays it when approved, to the cent.
    #[serde(rename = "financiering")]
    pub funding: Vec<FundingView>,
    pub status: LineStatus,
    /// Why it was rejected.
    #[serde(rename = "reden")]
    pub reason: Option<String>,
}

/// One funder's part of an amount.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FundingView {
    #[serde(rename = "organisatie")]
    pub organisation: OrganisationId,
    #[serde(rename = "bron")]
    pub source: FundingSourceDto,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Cents,
}

/// Where an invoice line stands.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
pub enum LineStatus {
    #[serde(rename = "open")]
    Open,
    #[serde(rename = "goedgekeurd")]
    Approved,
    #[serde(rename = "afgekeurd")]
    Rejected,
}

impl InvoiceView {
    /// The invoice as `caller` may see it; `None` before it was submitted.
    pub(super) fn of(pseudonyms: &Pseudonyms, caller: &Caller, invoice: &Invoice) -> Option<Self> {
        let submitted = invoice.submitted.as_ref()?;
        let lines = submitted
            .lines
            .iter()
            .map(|line| {
                let decision = invoice.decisions.get(&line.delivery_id);
                InvoiceLineView {
                    delivery_id: line.delivery_id,
                    entitlement_id: pseudonyms.entitlement_for(&caller.actor, line.entitlement_id),
                    child: pseudonyms.child_for(&caller.actor, line.child),
                    provision: line.provision.clone(),
                    amount_cents: line.amount_cents,
                    date: line.delivered_on,
                    funding: line.funding.iter().map(FundingView::of).collect(),
                    status: match decision {
                        None => LineStatus::Open,
                        Some(decided) if decided.approved => LineStatus::Approved,
                        Some(_) => LineStatus::Rejected,
                    },
                    reason: decision.and_then(|decided| decided.reason.clone()),
                }
            })
            .collect();
        Some(Self {
            id: submitted.invoice_id,
            partner: submitted.partner.clone(),
            from: submitted.period_from,
            until: submitted.period_until,
            total_cents: submitted.total_cents,
            approved_cents: invoice.approved_cents(),
            settled: invoice.is_settled(),
            lines,
        })
    }
}

impl FundingView {
    pub(super) fn of(part: &FundingPart) -> Self {
        Self {
            organisation: part.funder.organisation.clone(),
            source: part.funder.source.into(),
            amount_cents: part.amount_cents,
        }
    }
}

/// An invoice that does not exist in this gemeente, or that the caller may not see (without the id
/// the caller sent).
fn not_visible() -> ApiError {
    ApiError::not_found("Deze factuur bestaat niet, of u mag haar niet zien.")
}

/// The invoice as `caller` sees it, loaded in its gemeente.
async fn view<R>(
    state: &AppState,
    caller: &InGemeente<R>,
    invoice_id: Uuid,
) -> Result<InvoiceView, ApiError> {
    let invoice = load_in(&state.invoices, &caller.gemeente, invoice_id, not_visible).await?;
    InvoiceView::of(&state.pseudonyms, caller, &invoice).ok_or_else(not_visible)
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, partner = %caller.actor.organisation))]
pub async fn submit_invoice(
    State(state): State<AppState>,
    caller: InGemeente<Partners>,
    ApiJson(request): ApiJson<InvoiceRequest>,
) -> Result<Created<InvoiceView>, ApiError> {
    let period = Period::new(request.from, request.until).ok_or_else(|| {
        ApiError::unprocessable("De einddatum van de periode ligt vóór de begindatum.")
    })?;
    let gemeente = &caller.gemeente;
    let invoice_id = invoicing::submit(
        &state.pool,
        &state.invoices,
        &caller.command_context(gemeente),
        gemeente,
        &caller.actor.organisation,
        period,
    )
    .await?;
    Ok(Created::at(
        format!("/api/v1/gemeenten/{gemeente}/facturen/{invoice_id}"),
        view(&state, &caller, invoice_id).await?,
    ))
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, invoice_id = %id))]
pub async fn get_invoice(
    State(state): State<AppState>,
    caller: InGemeente<Readers>,
    ApiPath(InvoicePath { id }): ApiPath<InvoicePath>,
) -> Result<Json<InvoiceView>, ApiError> {
    let invoice = load_in(&state.invoices, &caller.gemeente, id, not_visible).await?;
    // A partner sees its own invoices only; regie and the auditor all of the gemeente.
    if caller.is(Role::Partner) && invoice.partner() != Some(&caller.actor.organisation) {
        return Err(not_visible());
    }
    InvoiceView::of(&state.pseudonyms, &caller, &invoice)
        .map(Json)
        .ok_or_else(not_visible)
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, invoice_id = %id))]
pub async fn settle_invoice(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiPath(InvoicePath { id }): ApiPath<InvoicePath>,
    ApiJson(request): ApiJson<SettlementRequest>,
) -> Result<Json<InvoiceView>, ApiError> {
    load_in(&state.invoices, &caller.gemeente, id, not_visible).await?;
    let lines = request
        .lines
        .into_iter()
        .map(|line| LineDecision {
            delivery_id: line.delivery_id,
            approved: line.approved,
            reason: line.reason,
        })
        .collect();
    let command = InvoiceCommand::Settle(SettleInvoice {
        gemeente: caller.gemeente.clone(),
        lines,
        settled_on: today(),
    });
    state
        .invoices
        .execute(id, command, &caller.command_context(&caller.gemeente))
        .await?;
    view(&state, &caller, id).await.map(Json)
}
