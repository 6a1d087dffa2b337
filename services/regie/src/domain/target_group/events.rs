use cqrs_es::DomainEvent;
use kindpakket_proto::regie::TargetGroupSet;
use serde::{Deserialize, Serialize};

/// The events as this service stores them; [`crate::publish`] converts them into the contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TargetGroupEvent {
    Set(TargetGroupSet),
}

impl DomainEvent for TargetGroupEvent {
    fn event_type(&self) -> String {
        match self {
            TargetGroupEvent::Set(_) => "Set",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}
