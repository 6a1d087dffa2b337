use kindpakket_platform::refusal::{Refusal, RefusalKind};
use uuid::Uuid;

/// Why a sample command was refused. The messages are Dutch: the caller reads them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SampleError {
    #[error("Deze steekproef bestaat niet in deze gemeente.")]
    NotFound,
    #[error("Deze steekproef is al getrokken.")]
    AlreadyDrawn,
    #[error("De trekking klopt niet met haar zaad en populatie.")]
    NotReproducible,
    #[error("Declaratie '{0}' is niet getrokken in deze steekproef.")]
    NotSelected(Uuid),
    #[error("De uitkomst van de controle van declaratie '{0}' is al vastgelegd.")]
    AlreadyChecked(Uuid),
    #[error("Beschrijf wat er bij de controle niet in orde was.")]
    MissingNote,
}

impl Refusal for SampleError {
    fn kind(&self) -> RefusalKind {
        match self {
            SampleError::NotFound => RefusalKind::NotFound,
            SampleError::AlreadyDrawn | SampleError::AlreadyChecked(_) => RefusalKind::Conflict,
            SampleError::NotReproducible
            | SampleError::NotSelected(_)
            | SampleError::MissingNote => RefusalKind::Invalid,
        }
    }
}
