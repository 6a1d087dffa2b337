use kindpakket_platform::refusal::{Refusal, RefusalKind};
use kindpakket_proto::{ChildRef, ProvisionCode};

use crate::domain::eligibility::AssessmentError;

/// Why an application command was refused. The messages are Dutch: the family, the loket or the
/// partner reads them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplicationError {
    #[error("Deze aanvraag bestaat al.")]
    AlreadyExists,
    #[error("Deze aanvraag bestaat niet in deze gemeente.")]
    NotFound,
    #[error("Over deze aanvraag is al besloten, of zij is ingetrokken.")]
    AlreadyDecided,
    #[error("Een aanvraag noemt ten minste één kind.")]
    NoChildren,
    #[error("Hetzelfde kind staat twee keer in de aanvraag.")]
    DuplicateChild,
    #[error("De geboortemaand {0} bestaat niet: gebruik 1 tot en met 12.")]
    InvalidBirthMonth(u8),
    #[error("Een kind in de aanvraag is op de aanvraagdatum niet tussen 0 en 17 jaar oud.")]
    ChildNotUnderEighteen,
    #[error("Het inkomen als percentage van het sociaal minimum moet tussen 0 en 1000 liggen.")]
    InvalidIncome,
    #[error("Een toekenning bevat ten minste één recht.")]
    NoEntitlements,
    #[error("Het kind {0} staat niet in deze aanvraag.")]
    UnknownChild(ChildRef),
    #[error("De voorziening '{0}' is niet aangevraagd.")]
    ProvisionNotRequested(ProvisionCode),
    #[error("Het bedrag van een recht moet groter zijn dan 0 cent.")]
    InvalidAmount,
    #[error("De einddatum van een recht ligt vóór de begindatum.")]
    InvalidPeriod,
    #[error("Hetzelfde kind krijgt de voorziening '{0}' twee keer.")]
    DuplicateEntitlement(ProvisionCode),
    #[error("Geef de reden van de afwijzing; de familie leest haar.")]
    MissingReason,
    #[error("{0}")]
    Assessment(#[from] AssessmentError),
    #[error("Dit kind heeft '{0}' voor deze periode al gekregen; dezelfde kosten worden niet twee keer vergoed.")]
    AlreadyGranted(ProvisionCode),
    #[error("Dit besluit valt buiten uw mandaat: {0}. Leg de aanvraag voor aan de gemeente.")]
    OutsideMandate(String),
}

impl Refusal for ApplicationError {
    fn kind(&self) -> RefusalKind {
        match self {
            ApplicationError::AlreadyExists
            | ApplicationError::AlreadyDecided
            | ApplicationError::AlreadyGranted(_) => RefusalKind::Conflict,
            ApplicationError::NotFound => RefusalKind::NotFound,
            ApplicationError::OutsideMandate(_) => RefusalKind::Forbidden,
            _ => RefusalKind::Invalid,
        }
    }
}
