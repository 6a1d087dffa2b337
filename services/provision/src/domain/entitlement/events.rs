use cqrs_es::DomainEvent;
use kindpakket_proto::provision::{
    DeclarationDecided, DeclarationSubmitted, DeliveryRecorded, EntitlementExpired,
    EntitlementOpened, PassBlocked, PassIssued, PassRedeemed,
};
use kindpakket_proto::GemeenteCode;
use serde::{Deserialize, Serialize};

/// The events as this service stores them. The stored form is this service's own; [`crate::publish`]
/// converts it into the shared contract (a pass's code stays here).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EntitlementEvent {
    Opened {
        gemeente: GemeenteCode,
        opened: EntitlementOpened,
    },
    Delivered(DeliveryRecorded),
    PassIssued {
        code: String,
        issued: PassIssued,
    },
    PassBlocked(PassBlocked),
    PassRedeemed(PassRedeemed),
    DeclarationSubmitted(DeclarationSubmitted),
    DeclarationDecided(DeclarationDecided),
    Expired(EntitlementExpired),
}

impl DomainEvent for EntitlementEvent {
    fn event_type(&self) -> String {
        match self {
            EntitlementEvent::Opened { .. } => "Opened",
            EntitlementEvent::Delivered(_) => "Delivered",
            EntitlementEvent::PassIssued { .. } => "PassIssued",
            EntitlementEvent::PassBlocked(_) => "PassBlocked",
            EntitlementEvent::PassRedeemed(_) => "PassRedeemed",
            EntitlementEvent::DeclarationSubmitted(_) => "DeclarationSubmitted",
            EntitlementEvent::DeclarationDecided(_) => "DeclarationDecided",
            EntitlementEvent::Expired(_) => "Expired",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}
