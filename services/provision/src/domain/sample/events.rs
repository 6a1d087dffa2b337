use cqrs_es::DomainEvent;
use kindpakket_proto::provision::{SampleCheckRecorded, SampleDrawn};
use kindpakket_proto::GemeenteCode;
use serde::{Deserialize, Serialize};

/// The events as this service stores them; [`crate::publish`] converts them into the contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SampleEvent {
    SampleDrawn {
        gemeente: GemeenteCode,
        drawn: SampleDrawn,
    },
    SampleCheckRecorded(SampleCheckRecorded),
}

impl DomainEvent for SampleEvent {
    fn event_type(&self) -> String {
        match self {
            SampleEvent::SampleDrawn { .. } => "SampleDrawn",
            SampleEvent::SampleCheckRecorded(_) => "SampleCheckRecorded",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}
