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
}

impl Refusal for SampleError {
    fn kind(&self) -> RefusalKind {
        match self {
            SampleError::NotFound => RefusalKind::NotFound,
            SampleError::AlreadyDrawn | SampleError::AlreadyChecked => RefusalKind::Conflict,
            SampleError::NotReproducible | SampleError::NotSelected | SampleError::MissingNote => {
                RefusalKind::Invalid
            }
        }
    }
}
