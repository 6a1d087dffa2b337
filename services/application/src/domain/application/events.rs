use cqrs_es::DomainEvent;
use kindpakket_proto::application::{
    ApplicationGranted, ApplicationRejected, ApplicationSubmitted, ApplicationWithdrawn,
};
use kindpakket_proto::GemeenteCode;
use serde::{Deserialize, Serialize};

/// The events as this service stores them; [`crate::publish`] converts them into the contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ApplicationEvent {
    Submitted {
        gemeente: GemeenteCode,
        application: ApplicationSubmitted,
    },
    Granted(ApplicationGranted),
    Rejected(ApplicationRejected),
    Withdrawn(ApplicationWithdrawn),
}

impl DomainEvent for ApplicationEvent {
    fn event_type(&self) -> String {
        match self {
            ApplicationEvent::Submitted { .. } => "Submitted",
            ApplicationEvent::Granted(_) => "Granted",
            ApplicationEvent::Rejected(_) => "Rejected",
            ApplicationEvent::Withdrawn(_) => "Withdrawn",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}
