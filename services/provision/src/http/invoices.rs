//! `/facturen`: a partner invoices a period, regie approves or rejects its lines, and the partner
//! credits rejected lines (creditnota) so that it may invoice them again.

use axum::extract::State;
use axum::Json;
use kindpakket_platform::free_text::FreeText;
use kindpakket_platform::http::{
    refused, ApiError, ApiJson, ApiPath, Caller, Created, InGemeente, Recorded,
};
use kindpakket_proto::regie::FundingPart;
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::{Cents, OrganisationId, Period, ProvisionCode, Role};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use super::{load_in, AppState, FundingSourceDto, Partners, Readers, Regie};
use crate::access::Pseudonyms;
use crate::domain::invoice::{
    Invoice, InvoiceCommand, IssueCreditNote, LineDecision, SettleInvoice,
};
use crate::invoicing;
use crate::notes::{self, Field, Unsealed};

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
    /// Why a line is rejected (required then); the partner reads it. Kept sealed under the key of
    /// the line's child; an approval keeps none.
    #[serde(rename = "reden", default)]
    pub reason: Option<FreeText>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditNoteRequest {
    /// Optional id chosen by the partner: a retried request credits once.
    #[serde(rename = "creditnotaId", default)]
    pub id: Option<Uuid>,
    /// The rejected lines to credit, by their `verstrekking`.
    #[serde(rename = "regels")]
    pub lines: Vec<Uuid>,
}

/// A credit note issued, and the invoice after it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CreditNoteIssuedView {
    #[serde(rename = "creditnota")]
    pub credit_note_id: Uuid,
    #[serde(rename = "totaalCent")]
    pub total_cents: Cents,
    #[serde(rename = "factuur")]
    pub invoice: InvoiceView,
}

/// A credit note on an invoice.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CreditNoteView {
    pub id: Uuid,
    /// The credited lines, by their `verstrekking`.
    #[serde(rename = "regels")]
    pub lines: Vec<Uuid>,
    #[serde(rename = "totaalCent")]
    pub total_cents: Cents,
    #[serde(rename = "datum")]
    #[schemars(with = "DateSchema")]
    pub issued_on: Date,
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
    /// What the partner credited of rejected lines (credit notes).
    #[serde(rename = "gecrediteerdCent")]
    pub credited_cents: Cents,
    /// Whether every line is decided.
    #[serde(rename = "afgehandeld")]
    pub settled: bool,
    #[serde(rename = "regels")]
    pub lines: Vec<InvoiceLineView>,
    /// The credit notes on this invoice, oldest first.
    #[serde(rename = "creditnotas")]
    pub credit_notes: Vec<CreditNoteView>,
}

/// One delivery or redemption on an invoice.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InvoiceLineView {
    #[serde(rename = "verstrekking")]
    pub delivery_id: Uuid,
    /// The entitlement: for a partner its own pseudonym, for the gemeente the id itself.
    #[serde(rename = "recht")]
    pub entitlement_id: Uuid,
    /// The child: for a partner its own reference of it (`platform::reference`), for the gemeente its id; `null`
    /// once the child was forgotten.
    #[serde(rename = "kind")]
    pub child: Option<String>,
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
    /// Why it was rejected; `null` once the child was forgotten.
    #[serde(rename = "reden")]
    pub reason: Option<String>,
    /// Whether the child was forgotten: its reference and the reason read `null`.
    #[serde(rename = "vergeten")]
    pub forgotten: bool,
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
    /// Rejected, and credited by the partner: its delivery may be invoiced again.
    #[serde(rename = "gecrediteerd")]
    Credited,
}

impl InvoiceView {
    /// The invoice as `caller` may see it; `None` before it was submitted.
    pub(super) fn of(
        pseudonyms: &Pseudonyms,
        caller: &Caller,
        invoice: &Invoice,
        unsealed: &Unsealed,
    ) -> Option<Self> {
        let submitted = invoice.submitted.as_ref()?;
        let lines = submitted
            .lines
            .iter()
            .map(|line| {
                let decision = invoice.decisions.get(&line.delivery_id);
                let forgotten = unsealed.child_forgotten(line.child)
                    || unsealed.forgotten(Field::LineReason, line.delivery_id);
                InvoiceLineView {
                    delivery_id: line.delivery_id,
                    entitlement_id: pseudonyms.entitlement_for(&caller.actor, line.entitlement_id),
                    child: (!unsealed.child_forgotten(line.child))
                        .then(|| pseudonyms.child_for(&caller.actor, line.child)),
                    provision: line.provision.clone(),
                    amount_cents: line.amount_cents,
                    date: line.delivered_on,
                    funding: line.funding.iter().map(FundingView::of).collect(),
                    status: match decision {
                        None => LineStatus::Open,
                        Some(decided) if decided.approved => LineStatus::Approved,
                        Some(_) if invoice.is_credited(line.delivery_id) => LineStatus::Credited,
                        Some(_) => LineStatus::Rejected,
                    },
                    reason: unsealed.text(Field::LineReason, line.delivery_id),
                    forgotten,
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
            credited_cents: invoice.credited_cents(),
            settled: invoice.is_settled(),
            lines,
            credit_notes: invoice
                .credit_notes
                .iter()
                .map(|note| CreditNoteView {
                    id: note.credit_note_id,
                    lines: note.lines.iter().map(|line| line.delivery_id).collect(),
                    total_cents: note.total_cents,
                    issued_on: note.issued_on,
                })
                .collect(),
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
    view_of(state, caller, &invoice).await
}

/// The invoice as `caller` sees it, its rejection reasons opened.
async fn view_of(
    state: &AppState,
    caller: &Caller,
    invoice: &Invoice,
) -> Result<InvoiceView, ApiError> {
    let unsealed = Unsealed::of_invoice(&state.keys, invoice)
        .await
        .map_err(|error| ApiError::internal(format!("{error:#}")))?;
    InvoiceView::of(&state.pseudonyms, caller, invoice, &unsealed).ok_or_else(not_visible)
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
    view_of(&state, &caller, &invoice).await.map(Json)
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, invoice_id = %id))]
pub async fn settle_invoice(
    State(state): State<AppState>,
    caller: InGemeente<Regie>,
    ApiPath(InvoicePath { id }): ApiPath<InvoicePath>,
    ApiJson(request): ApiJson<SettlementRequest>,
) -> Result<Json<InvoiceView>, ApiError> {
    // Every reason is checked before anything is sealed or stored.
    let mut checked = Vec::with_capacity(request.lines.len());
    for line in request.lines {
        let reason = notes::check(line.reason, "reden").map_err(|refusal| refused(&refusal))?;
        checked.push((line.delivery_id, line.approved, reason));
    }
    let invoice = load_in(&state.invoices, &caller.gemeente, id, not_visible).await?;
    let mut lines = Vec::with_capacity(checked.len());
    for (delivery_id, approved, reason) in checked {
        // A reason is sealed under the key of the line's child; a line not on the invoice has no
        // child, and the invoice refuses it by its place.
        let child = invoice
            .submitted
            .as_ref()
            .and_then(|submitted| {
                submitted
                    .lines
                    .iter()
                    .find(|line| line.delivery_id == delivery_id)
            })
            .map(|line| line.child);
        let reason = match (child, approved) {
            (Some(child), false) => notes::seal(&state.keys, child, reason).await?,
            _ => None,
        };
        lines.push(LineDecision {
            delivery_id,
            approved,
            reason,
        });
    }
    let command = InvoiceCommand::Settle(SettleInvoice {
        gemeente: caller.gemeente.clone(),
        lines,
        settled_on: kindpakket_platform::clock::today(),
    });
    state
        .invoices
        .execute(id, command, &caller.command_context(&caller.gemeente))
        .await?;
    view(&state, &caller, id).await.map(Json)
}

/// The partner that sent the invoice credits lines regie rejected (creditnota). Regie does not: the
/// credit note is the partner's correction of its own invoice. Another partner's invoice is unknown
/// to the caller (404), as it is when read.
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, invoice_id = %id))]
pub async fn credit(
    State(state): State<AppState>,
    caller: InGemeente<Partners>,
    ApiPath(InvoicePath { id }): ApiPath<InvoicePath>,
    ApiJson(request): ApiJson<CreditNoteRequest>,
) -> Result<Recorded<CreditNoteIssuedView>, ApiError> {
    let invoice = load_in(&state.invoices, &caller.gemeente, id, not_visible).await?;
    if invoice.partner() != Some(&caller.actor.organisation) {
        return Err(not_visible());
    }
    let credit_note_id = request.id.unwrap_or_else(Uuid::new_v4);
    let command = InvoiceCommand::IssueCreditNote(IssueCreditNote {
        gemeente: caller.gemeente.clone(),
        credit_note_id,
        partner: caller.actor.organisation.clone(),
        lines: request.lines,
        issued_on: kindpakket_platform::clock::today(),
    });
    state
        .invoices
        .execute(id, command, &caller.command_context(&caller.gemeente))
        .await?;
    let invoice = load_in(&state.invoices, &caller.gemeente, id, not_visible).await?;
    let total_cents = invoice
        .credit_notes
        .iter()
        .find(|note| note.credit_note_id == credit_note_id)
        .map(|note| note.total_cents)
        .ok_or_else(|| ApiError::internal("the credit note is not on the invoice"))?;
    Ok(Recorded(CreditNoteIssuedView {
        credit_note_id,
        total_cents,
        invoice: view_of(&state, &caller, &invoice).await?,
    }))
}
