use kindpakket_platform::refusal::{Refusal, RefusalKind};

use crate::domain::regeling::Position;

/// Why a routing table was refused. The messages are Dutch: the regievoerder reads them. They name
/// the route by its place in 'routes' (counted from 1) and the field, never a value that was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    #[error("De 'wijk' van route {0} in 'routes' is geen geldige wijkcode: gebruik de CBS-code, WK gevolgd door zes cijfers (bijvoorbeeld WK051801), of laat 'wijk' leeg voor alle wijken.")]
    InvalidWijk(Position),
    #[error("De 'wijk' van route {0} in 'routes' ligt niet in deze gemeente: een wijkcode begint met WK en de vier cijfers van de gemeentecode.")]
    WijkOutsideGemeente(Position),
    #[error("De 'reactietermijnWerkdagen' van route {0} in 'routes' moet 1 tot en met 60 werkdagen zijn.")]
    InvalidResponseTime(Position),
    #[error("Route {0} in 'routes' heeft dezelfde 'voorzieningsoort' en 'wijk' als een eerdere route: elke combinatie komt één keer voor.")]
    DuplicateRoute(Position),
    #[error("De partner van route {0} in 'routes' is in deze gemeente niet ingeschreven voor een voorziening van deze 'voorzieningsoort'. Schrijf de partner eerst in, of kies het loket.")]
    PartnerNotEnrolled(Position),
}

impl Refusal for RoutingError {
    fn kind(&self) -> RefusalKind {
        RefusalKind::Invalid
    }
}
