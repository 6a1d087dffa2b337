use kindpakket_platform::http::{Rejection, RejectionKind};

/// Why a signal command was refused. The messages are Dutch: the caller reads them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignalError {
    #[error("Deze signalering bestaat al.")]
    AlreadyExists,
    #[error("Deze signalering bestaat niet in deze gemeente.")]
    NotFound,
    #[error("De uitkomst kan niet vóór de datum van de signalering liggen.")]
    OutcomeBeforeSignal,
}

impl Rejection for SignalError {
    fn kind(&self) -> RejectionKind {
        match self {
            SignalError::AlreadyExists => RejectionKind::Conflict,
            SignalError::NotFound => RejectionKind::NotFound,
            SignalError::OutcomeBeforeSignal => RejectionKind::Invalid,
        }
    }
}
