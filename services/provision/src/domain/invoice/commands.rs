//! What may be asked of an invoice.

use kindpakket_platform::free_text::Note;
use kindpakket_platform::shredding::Sealed;
use kindpakket_proto::provision::InvoiceLine;
use kindpakket_proto::{GemeenteCode, OrganisationId, Period};
use time::Date;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub enum InvoiceCommand {
    Submit(SubmitInvoice),
    Settle(SettleInvoice),
    IssueCreditNote(IssueCreditNote),
}

/// A partner invoices a period: the lines are what it delivered and redeemed in the period that is
/// on no other invoice (chosen under a lock per partner, see [`crate::invoicing`]).
#[derive(Debug, Clone)]
pub struct SubmitInvoice {
    pub gemeente: GemeenteCode,
    pub invoice_id: Uuid,
    pub partner: OrganisationId,
    pub period: Period,
    pub lines: Vec<InvoiceLine>,
}

/// Regie decides lines of the invoice.
#[derive(Debug, Clone)]
pub struct SettleInvoice {
    pub gemeente: GemeenteCode,
    pub lines: Vec<LineDecision>,
    pub settled_on: Date,
}

/// The decision on one line, named by its delivery's (or redemption's) id.
#[derive(Debug, Clone)]
pub struct LineDecision {
    pub delivery_id: Uuid,
    pub approved: bool,
    /// Why it is rejected, sealed under the key of the line's child; required for a rejection.
    pub reason: Option<Sealed<Note>>,
}

/// The partner that sent the invoice credits lines regie rejected (creditnota), so that it may
/// invoice their deliveries again. Named by its id: the same credit note again changes nothing.
#[derive(Debug, Clone)]
pub struct IssueCreditNote {
    pub gemeente: GemeenteCode,
    pub credit_note_id: Uuid,
    /// Who issues it: only the partner that sent the invoice.
    pub partner: OrganisationId,
    /// The lines, by their delivery's (or redemption's) id.
    pub lines: Vec<Uuid>,
    pub issued_on: Date,
}
