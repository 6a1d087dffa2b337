use cqrs_es::DomainEvent;
use kindpakket_platform::free_text::Note;
use kindpakket_platform::shredding::Sealed;
use kindpakket_proto::signalling::{ChildSignalled, SignalOutcomeRecorded, SignalReason};
use kindpakket_proto::GemeenteCode;
use serde::{Deserialize, Serialize};

/// The events as this service stores them. The stored form is this service's own; [`crate::publish`]
/// converts it into the shared contract.
///
/// Version 3: why a child was signalled ("debts", "refugee family") and what the signaller wrote
/// about it are kept beside the contract's event, sealed under the child's key ([`WhySignalled`]),
/// so erasing the child silences them in the store and every replay. Earlier versions kept the
/// reason as plaintext inside the contract's event (version 2 also named the signaller, version 1
/// did not); they are rewritten once, at start ([`crate::reseal`]), after the pure shape changes
/// of [`super::upcasters`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SignalEvent {
    ChildSignalled {
        gemeente: GemeenteCode,
        event: ChildSignalled,
        /// The reason and the note, sealed under the child's key (absent only where a legacy
        /// reason's child was forgotten before it could be resealed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        why: Option<Sealed<WhySignalled>>,
    },
    OutcomeRecorded(SignalOutcomeRecorded),
}

/// Why a child was signalled: what the signalling service keeps sealed under the child's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhySignalled {
    pub reason: SignalReason,
    /// What the signaller wrote beside it, checked free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Note>,
}

/// The stored version of every signal event.
pub const EVENT_VERSION: &str = "3";

impl DomainEvent for SignalEvent {
    fn event_type(&self) -> String {
        match self {
            SignalEvent::ChildSignalled { .. } => "ChildSignalled",
            SignalEvent::OutcomeRecorded(_) => "OutcomeRecorded",
        }
        .to_owned()
    }

    /// Version 3 for every event (see the type's documentation and [`super::upcasters`]).
    fn event_version(&self) -> String {
        EVENT_VERSION.to_owned()
    }
}
