use kindpakket_platform::refusal::{Refusal, RefusalKind};

/// Why a signal command was refused. The messages are Dutch: the caller reads them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignalError {
    #[error("Deze signalering bestaat al.")]
    AlreadyExists,
    /// Also for a signal of another organisation: it is as unknown to the caller as one that does
    /// not exist.
    #[error("Deze signalering bestaat niet in deze gemeente.")]
    NotFound,
    #[error("De uitkomst kan niet vóór de datum van de signalering liggen.")]
    OutcomeBeforeSignal,
}

impl Refusal for SignalError {
    fn kind(&self) -> RefusalKind {
        match self {
            SignalError::AlreadyExists => RefusalKind::Conflict,
            SignalError::NotFound => RefusalKind::NotFound,
            SignalError::OutcomeBeforeSignal => RefusalKind::Invalid,
        }
    }
}
