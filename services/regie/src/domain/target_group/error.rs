use kindpakket_platform::refusal::{Refusal, RefusalKind};

use crate::domain::regeling::Position;

/// Why a doelgroep was refused. The messages are Dutch: the regievoerder reads them. They name the
/// row by its place in 'rijen' (counted from 1) and the field, never a value that was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetGroupError {
    #[error("Het jaar in de URL moet 2000 tot en met 2100 zijn.")]
    InvalidYear,
    #[error(
        "De doelgroep heeft te veel rijen: ten hoogste 2000 (één per wijk en leeftijdsgroep)."
    )]
    TooManyRows,
    #[error("De 'wijk' van rij {0} in 'rijen' is geen geldige wijkcode: gebruik de CBS-code, WK gevolgd door zes cijfers (bijvoorbeeld WK051801), of laat 'wijk' leeg voor de hele gemeente of een onbekende wijk.")]
    InvalidWijk(Position),
    #[error("De 'wijk' van rij {0} in 'rijen' ligt niet in deze gemeente: een wijkcode begint met WK en de vier cijfers van de gemeentecode.")]
    WijkOutsideGemeente(Position),
    #[error("Het aantal 'kinderen' van rij {0} in 'rijen' moet 0 tot en met 1.000.000 zijn.")]
    InvalidChildren(Position),
    #[error("Rij {0} in 'rijen' heeft dezelfde 'wijk' en 'leeftijd' als een eerdere rij: elke combinatie komt één keer voor.")]
    DuplicateRow(Position),
}

impl Refusal for TargetGroupError {
    fn kind(&self) -> RefusalKind {
        RefusalKind::Invalid
    }
}
