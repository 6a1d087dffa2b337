use kindpakket_platform::refusal::{Refusal, RefusalKind};

/// Why a subject command was refused (Dutch, for the regievoerder).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubjectError {
    #[error("Deze persoon is vergeten: er is niets meer te corrigeren.")]
    Forgotten,
}

impl Refusal for SubjectError {
    fn kind(&self) -> RefusalKind {
        RefusalKind::Conflict
    }
}
