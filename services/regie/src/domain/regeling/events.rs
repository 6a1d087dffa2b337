use cqrs_es::DomainEvent;
use kindpakket_proto::regie::RegelingPublished;
use serde::{Deserialize, Serialize};

/// The events as this service stores them; [`crate::publish`] converts them into the contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RegelingEvent {
    Published(RegelingPublished),
}

impl DomainEvent for RegelingEvent {
    fn event_type(&self) -> String {
        match self {
            RegelingEvent::Published(_) => "Published",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}
