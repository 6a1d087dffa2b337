use kindpakket_platform::refusal::{Refusal, RefusalKind};

/// Why a signal command was refused. The messages are Dutch: the caller reads them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignalError {
    #[error("Deze signalering bestaat al.")]
    AlreadyExists,
    /// Also for a signal of another gemeente: it is as unknown as one that does not exist.
    #[error("Deze signalering bestaat niet in deze gemeente.")]
    NotFound,
    #[error("De uitkomst kan niet vóór de datum van de signalering liggen.")]
    OutcomeBeforeSignal,
    #[error("Deze verwijzing is niet aan uw organisatie gericht. Er is niets veranderd.")]
    NotAddressee,
    #[error("Alleen de partner die de verwijzing heeft aangenomen, of het loket, legt de uitkomst vast. Er is niets veranderd.")]
    NotAcceptedByCaller,
    #[error("Deze signalering is afgerond met een uitkomst; er verandert niets meer aan. Er is niets veranderd.")]
    Closed,
    #[error("Deze verwijzing is teruggegeven aan de regie; de regievoerder verwijst haar opnieuw door. Er is niets veranderd.")]
    HandedBack,
    #[error("Een verwijzing naar het loket wordt niet teruggegeven; verwijs haar door met een herroutering. Er is niets veranderd.")]
    LoketHandsNothingBack,
    #[error("Deze link is al gebruikt. Er is niets veranderd.")]
    LinkUsed,
}

impl Refusal for SignalError {
    fn kind(&self) -> RefusalKind {
        match self {
            SignalError::NotFound => RefusalKind::NotFound,
            SignalError::OutcomeBeforeSignal => RefusalKind::Invalid,
            SignalError::NotAddressee | SignalError::NotAcceptedByCaller => RefusalKind::Forbidden,
            SignalError::AlreadyExists
            | SignalError::Closed
            | SignalError::HandedBack
            | SignalError::LoketHandsNothingBack
            | SignalError::LinkUsed => RefusalKind::Conflict,
        }
    }
}
