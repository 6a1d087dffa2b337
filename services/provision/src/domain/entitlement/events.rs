use cqrs_es::DomainEvent;
use kindpakket_platform::free_text::Note;
use kindpakket_platform::shredding::Sealed;
use kindpakket_proto::provision::{
    DeclarationDecided, DeclarationSubmitted, DeliveryRecorded, EntitlementExpired,
    EntitlementOpened, PassBlocked, PassIssued, PassRedeemed, ProofAttached,
};
use kindpakket_proto::{GemeenteCode, OrganisationId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The events as this service stores them. The stored form is this service's own; [`crate::publish`]
/// converts it into the shared contract (a pass's code and every free text stay here).
///
/// Version 2: what a worker typed — a block reason, a proof's reference, the reason of a rejection —
/// is kept beside the contract's event, sealed under the child's key ([`Sealed`]), so erasing the
/// child silences it in the store and in every replay. Version 1 kept it as plaintext inside the
/// contract's event; [`crate::reseal`] rewrites such rows once, at start.
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
    PassBlocked {
        blocked: PassBlocked,
        /// Why it was blocked, when a reason was given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<Sealed<Note>>,
    },
    PassRedeemed(PassRedeemed),
    DeclarationSubmitted {
        submitted: DeclarationSubmitted,
        /// The number or reference of the receipt, invoice or quote (always given since version 2;
        /// absent only where a legacy proof's child was forgotten before it could be resealed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proof: Option<Sealed<Note>>,
    },
    DeclarationDecided {
        decided: DeclarationDecided,
        /// Why it was rejected (an approval needs no reason).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<Sealed<Note>>,
    },
    Expired(EntitlementExpired),
    /// A proof document was attached to an undecided declaration: which one, its type, size and
    /// digest. The bytes are in `proof_documents`, sealed under the child's key; the contract's
    /// event says only that a proof was attached ([`crate::publish`]).
    ProofAttached {
        attached: ProofAttached,
        document: ProofDocument,
    },
}

/// A proof document as the entitlement records it: never its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofDocument {
    pub document_id: Uuid,
    /// `application/pdf`, `image/jpeg` or `image/png`, checked against the bytes.
    pub content_type: String,
    pub size_bytes: u64,
    /// SHA-256 of the bytes, in lower-case hex.
    pub sha256: String,
    /// Who attached it: the declaration's submitter.
    pub attached_by: OrganisationId,
}

/// The stored version of every entitlement event.
pub const EVENT_VERSION: &str = "2";

impl DomainEvent for EntitlementEvent {
    fn event_type(&self) -> String {
        match self {
            EntitlementEvent::Opened { .. } => "Opened",
            EntitlementEvent::Delivered(_) => "Delivered",
            EntitlementEvent::PassIssued { .. } => "PassIssued",
            EntitlementEvent::PassBlocked { .. } => "PassBlocked",
            EntitlementEvent::PassRedeemed(_) => "PassRedeemed",
            EntitlementEvent::DeclarationSubmitted { .. } => "DeclarationSubmitted",
            EntitlementEvent::DeclarationDecided { .. } => "DeclarationDecided",
            EntitlementEvent::Expired(_) => "Expired",
            EntitlementEvent::ProofAttached { .. } => "ProofAttached",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        EVENT_VERSION.to_owned()
    }
}
