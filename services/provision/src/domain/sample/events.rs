use cqrs_es::DomainEvent;
use kindpakket_platform::free_text::Note;
use kindpakket_platform::shredding::Sealed;
use kindpakket_proto::provision::{ReclaimDecided, SampleCheckRecorded, SampleDrawn};
use kindpakket_proto::GemeenteCode;
use serde::{Deserialize, Serialize};

/// The events as this service stores them; [`crate::publish`] converts them into the contract.
///
/// Version 2: the checker's note is kept beside the contract's event, sealed under the key of the
/// checked declaration's child. Version 1 kept it as plaintext ([`crate::reseal`] rewrites such rows
/// once, at start).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SampleEvent {
    SampleDrawn {
        gemeente: GemeenteCode,
        drawn: SampleDrawn,
    },
    SampleCheckRecorded {
        check: SampleCheckRecorded,
        /// What the checker wrote, when anything.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<Sealed<Note>>,
    },
    /// A reclaim of (part of) what was paid for a declaration found not in order: ids, amounts and
    /// funders only, published as it is.
    ReclaimDecided(ReclaimDecided),
}

/// The stored version of every sample event.
pub const EVENT_VERSION: &str = "2";

impl DomainEvent for SampleEvent {
    fn event_type(&self) -> String {
        match self {
            SampleEvent::SampleDrawn { .. } => "SampleDrawn",
            SampleEvent::SampleCheckRecorded { .. } => "SampleCheckRecorded",
            SampleEvent::ReclaimDecided(_) => "ReclaimDecided",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        EVENT_VERSION.to_owned()
    }
}
