use kindpakket_platform::refusal::{Refusal, RefusalKind};

/// Why a sample command was refused. The messages are Dutch: the caller reads them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SampleError {
    #[error("Deze steekproef bestaat niet in deze gemeente.")]
    NotFound,
    #[error("Deze steekproef is al getrokken.")]
    AlreadyDrawn,
    #[error("De trekking klopt niet met haar zaad en populatie.")]
    NotReproducible,
    #[error("Deze declaratie (declaratie) is niet getrokken in deze steekproef.")]
    NotSelected,
    #[error("De uitkomst van de controle van deze declaratie is al vastgelegd.")]
    AlreadyChecked,
    #[error("Beschrijf wat er bij de controle niet in orde was.")]
    MissingNote,
    #[error("Deze declaratie (declaratieId) is nog niet gecontroleerd, of bij de controle in orde bevonden; alleen een declaratie die niet in orde was, wordt teruggevorderd. Er is niets vastgelegd.")]
    NotFoundWanting,
    #[error("Voor deze declaratie (declaratieId) is niets betaald: ze is niet goedgekeurd. Er is niets vastgelegd.")]
    NothingPaid,
    #[error("Het bedrag (bedragCents) moet groter zijn dan 0 cent. Er is niets vastgelegd.")]
    InvalidAmount,
    #[error("Het bedrag (bedragCents) is hoger dan wat er voor deze declaratie betaald is en nog niet teruggevorderd ({} cent). Er is niets vastgelegd.", .left_cents.get())]
    AboveWhatWasPaid { left_cents: kindpakket_proto::Cents },
    #[error("Deze declaratie is niet door een partner ingediend; terugvorderen kan dan alleen van het huishouden (van: huishouden). Er is niets vastgelegd.")]
    NoPartner,
    #[error("Deze terugvordering (terugvorderingId) is al vastgelegd met andere gegevens.")]
    ReclaimIdReused,
}

impl Refusal for SampleError {
    fn kind(&self) -> RefusalKind {
        match self {
            SampleError::NotFound => RefusalKind::NotFound,
            SampleError::AlreadyDrawn | SampleError::AlreadyChecked => RefusalKind::Conflict,
            SampleError::ReclaimIdReused => RefusalKind::Conflict,
            SampleError::NotReproducible
            | SampleError::NotSelected
            | SampleError::MissingNote
            | SampleError::NotFoundWanting
            | SampleError::NothingPaid
            | SampleError::InvalidAmount
            | SampleError::AboveWhatWasPaid { .. }
            | SampleError::NoPartner => RefusalKind::Invalid,
        }
    }
}
