use kindpakket_platform::refusal::{Refusal, RefusalKind};

/// Why an invoice command was refused. The messages are Dutch: the caller reads them. A line of a
/// decision is named by its place in the request (1 for the first of `regels`), never by the id the
/// caller sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    #[error("Deze factuur bestaat niet in deze gemeente.")]
    NotFound,
    #[error("Deze factuur bestaat al.")]
    AlreadySubmitted,
    #[error("Er is in deze periode niets te factureren: alle verstrekkingen en verzilveringen staan al op een factuur, of er zijn er geen.")]
    NothingToInvoice,
    #[error("Regel {0} van het besluit noemt een verstrekking die niet op deze factuur staat.")]
    UnknownLine(usize),
    #[error("Over de verstrekking van regel {0} van het besluit is al anders besloten.")]
    LineAlreadyDecided(usize),
    #[error(
        "Regel {0} van het besluit noemt een verstrekking die al eerder in dit besluit staat."
    )]
    DuplicateLine(usize),
    #[error("Geef bij elke afgekeurde regel de reden op; de partner leest die (regel {0} van het besluit).")]
    MissingReason(usize),
    #[error("Geef ten minste één regel op.")]
    NoLines,
    #[error("Regel {0} van de creditnota noemt een verstrekking die niet op deze factuur staat.")]
    UnknownCreditLine(usize),
    #[error("Regel {0} van de creditnota noemt een verstrekking die al eerder in deze creditnota staat.")]
    DuplicateCreditLine(usize),
    #[error("Regel {0} is goedgekeurd; alleen een afgekeurde regel kan worden gecrediteerd.")]
    ApprovedLine(usize),
    #[error(
        "Over regel {0} is nog niet besloten; alleen een afgekeurde regel kan worden gecrediteerd."
    )]
    UndecidedLine(usize),
    #[error("Regel {0} is al gecrediteerd.")]
    AlreadyCredited(usize),
    #[error("Deze creditnota bestaat al, met andere regels.")]
    CreditNoteReused,
}

impl Refusal for InvoiceError {
    fn kind(&self) -> RefusalKind {
        match self {
            InvoiceError::NotFound => RefusalKind::NotFound,
            InvoiceError::AlreadySubmitted
            | InvoiceError::LineAlreadyDecided(_)
            | InvoiceError::CreditNoteReused => RefusalKind::Conflict,
            InvoiceError::NothingToInvoice
            | InvoiceError::UnknownLine(_)
            | InvoiceError::DuplicateLine(_)
            | InvoiceError::MissingReason(_)
            | InvoiceError::NoLines
            | InvoiceError::UnknownCreditLine(_)
            | InvoiceError::DuplicateCreditLine(_)
            | InvoiceError::ApprovedLine(_)
            | InvoiceError::UndecidedLine(_)
            | InvoiceError::AlreadyCredited(_) => RefusalKind::Invalid,
        }
    }
}
