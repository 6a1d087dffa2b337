use cqrs_es::DomainEvent;
use kindpakket_platform::free_text::Note;
use kindpakket_platform::shredding::Sealed;
use kindpakket_proto::regie::ProvisionType;
use kindpakket_proto::signalling::{
    ChildSignalled, SignalOutcomeRecorded, SignalReason, SignalReferred,
};
use kindpakket_proto::{GemeenteCode, OrganisationId, WijkCode};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// The events as this service stores them. The stored form is this service's own; [`crate::publish`]
/// converts it into the shared contract.
///
/// Version 3: why a child was signalled ("debts", "refugee family") and what the signaller wrote
/// about it are kept beside the contract's event, sealed under the child's key ([`WhySignalled`]),
/// so erasing the child silences them in the store and every replay. Earlier versions kept the
/// reason as plaintext inside the contract's event (version 2 also named the signaller, version 1
/// did not); they are rewritten once, at start ([`crate::reseal`]), after the pure shape changes
/// of [`super::upcasters`].
///
/// The referral's life (issue 14) added event types, not versions: `ReferralAccepted`,
/// `ReferralHandedBack`, `Rerouted`; and optional fields (`wijk`, `provision_type` of a signal, who
/// recorded an outcome and through which one-time link), absent in older rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SignalEvent {
    ChildSignalled {
        gemeente: GemeenteCode,
        event: ChildSignalled,
        /// The reason and the note, sealed under the child's key (absent only where a legacy
        /// reason's child was forgotten before it could be resealed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        why: Option<Sealed<WhySignalled>>,
        /// What kind of help the signaller thinks of (absent before routing).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provision_type: Option<ProvisionType>,
        /// The CBS wijk the family lives in, when the signaller gave it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wijk: Option<WijkCode>,
    },
    OutcomeRecorded(StoredOutcome),
    /// The addressee of the referral (the partner, or the loket) picked it up.
    ReferralAccepted {
        signal_id: Uuid,
        by: OrganisationId,
        accepted_on: Date,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        via_link: Option<LinkUse>,
    },
    /// The partner handed the referral back to the regie, with why if it said, sealed under the
    /// child's key.
    ReferralHandedBack {
        signal_id: Uuid,
        by: OrganisationId,
        handed_back_on: Date,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<Sealed<Note>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        via_link: Option<LinkUse>,
    },
    /// The regievoerder referred the signal again.
    Rerouted(SignalReferred),
}

/// An outcome as stored: the contract's event, who recorded it and through which link (both absent
/// in rows from before routing, when only the signaller recorded outcomes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredOutcome {
    #[serde(flatten)]
    pub event: SignalOutcomeRecorded,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<OrganisationId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via_link: Option<LinkUse>,
}

/// An answer given through a one-time link: which link, and when. The audit of a partner without an
/// account; a link that is on an event of the signal has been used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkUse {
    pub link_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
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
            SignalEvent::ReferralAccepted { .. } => "ReferralAccepted",
            SignalEvent::ReferralHandedBack { .. } => "ReferralHandedBack",
            SignalEvent::Rerouted(_) => "Rerouted",
        }
        .to_owned()
    }

    /// Version 3 for every event (see the type's documentation and [`super::upcasters`]).
    fn event_version(&self) -> String {
        EVENT_VERSION.to_owned()
    }
}
