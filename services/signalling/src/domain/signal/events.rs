use cqrs_es::DomainEvent;
use kindpakket_proto::signalling::{ChildSignalled, SignalOutcomeRecorded};
use kindpakket_proto::GemeenteCode;
use serde::{Deserialize, Serialize};

/// The events as this service stores them. The stored form is this service's own; [`crate::publish`]
/// converts it into the shared contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SignalEvent {
    ChildSignalled {
        gemeente: GemeenteCode,
        event: ChildSignalled,
    },
    OutcomeRecorded(SignalOutcomeRecorded),
}

impl DomainEvent for SignalEvent {
    fn event_type(&self) -> String {
        match self {
            SignalEvent::ChildSignalled { .. } => "ChildSignalled",
            SignalEvent::OutcomeRecorded(_) => "OutcomeRecorded",
        }
        .to_owned()
    }

    /// `ChildSignalled` is at version 2 (it names the signaller); see [`super::upcasters`].
    fn event_version(&self) -> String {
        match self {
            SignalEvent::ChildSignalled { .. } => "2",
            SignalEvent::OutcomeRecorded(_) => "1",
        }
        .to_owned()
    }
}
