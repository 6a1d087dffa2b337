use kindpakket_platform::refusal::{Refusal, RefusalKind};
use uuid::Uuid;

/// Why an invoice command was refused. The messages are Dutch: the caller reads them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    #[error("Deze factuur bestaat niet in deze gemeente.")]
    NotFound,
    #[error("Deze factuur bestaat al.")]
    AlreadySubmitted,
    #[error("Er is in deze periode niets te factureren: alle verstrekkingen en verzilveringen staan al op een factuur, of er zijn er geen.")]
    NothingToInvoice,
    #[error("Verstrekking '{0}' staat niet op deze factuur.")]
    UnknownLine(Uuid),
    #[error("Over verstrekking '{0}' op deze factuur is al anders besloten.")]
    LineAlreadyDecided(Uuid),
    #[error("Verstrekking '{0}' staat twee keer in dit besluit.")]
    DuplicateLine(Uuid),
    #[error(
        "Geef bij elke afgekeurde regel de reden op; de partner leest die (verstrekking '{0}')."
    )]
    MissingReason(Uuid),
    #[error("Geef ten minste één regel op.")]
    NoLines,
}

impl Refusal for InvoiceError {
    fn kind(&self) -> RefusalKind {
        match self {
            InvoiceError::NotFound => RefusalKind::NotFound,
            InvoiceError::AlreadySubmitted | InvoiceError::LineAlreadyDecided(_) => {
                RefusalKind::Conflict
            }
            InvoiceError::NothingToInvoice
            | InvoiceError::UnknownLine(_)
            | InvoiceError::DuplicateLine(_)
            | InvoiceError::MissingReason(_)
            | InvoiceError::NoLines => RefusalKind::Invalid,
        }
    }
}
