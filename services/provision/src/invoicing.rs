//! Invoicing a period: a partner's deliveries and redemptions of the period that are on no invoice
//! yet become one invoice. What it lists is chosen and committed under an advisory lock per partner
//! and gemeente, so two invoices submitted at once never list the same delivery.

use kindpakket_platform::locks::AdvisoryLock;
use kindpakket_platform::store::{AggregateStore, CommandContext, CommandError};
use kindpakket_proto::{GemeenteCode, OrganisationId, Period};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::invoice::{Invoice, InvoiceCommand, InvoiceError, SubmitInvoice};
use crate::ledger;

/// The lock that one partner's invoicing in one gemeente takes.
fn lock_key(gemeente: &GemeenteCode, partner: &OrganisationId) -> String {
    format!("kindpakket-invoice:{gemeente}:{partner}")
}

/// Invoices what `partner` delivered and redeemed in `period` that is on no invoice yet. Returns the
/// new invoice's id.
pub async fn submit(
    pool: &PgPool,
    invoices: &AggregateStore<Invoice>,
    context: &CommandContext,
    gemeente: &GemeenteCode,
    partner: &OrganisationId,
    period: Period,
) -> Result<Uuid, CommandError<InvoiceError>> {
    let _lock = AdvisoryLock::acquire(pool, &[lock_key(gemeente, partner)])
        .await
        .map_err(|error| CommandError::Technical(error.to_string()))?;
    let history = ledger::load(pool, gemeente)
        .await
        .map_err(|error| CommandError::Technical(format!("{error:#}")))?;
    let invoice_id = Uuid::new_v4();
    let command = InvoiceCommand::Submit(SubmitInvoice {
        gemeente: gemeente.clone(),
        invoice_id,
        partner: partner.clone(),
        period,
        lines: history.invoiceable(partner, period),
    });
    // The invoice's id was just made: executed without reading a history first.
    invoices.execute_new(invoice_id, command, context).await?;
    Ok(invoice_id)
}
