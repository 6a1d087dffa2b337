//! What may be asked of a signal.

use kindpakket_platform::shredding::Sealed;
use kindpakket_proto::signalling::{Referral, SignalOutcome};
use kindpakket_proto::{ChildRef, GemeenteCode, HouseholdRef, OrganisationId};
use time::Date;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub enum SignalCommand {
    SignalChild(SignalChild),
    RecordOutcome(RecordOutcome),
}

/// A signaller records a child in need and refers the family.
#[derive(Debug, Clone)]
pub struct SignalChild {
    pub gemeente: GemeenteCode,
    pub signal_id: Uuid,
    pub signaller: OrganisationId,
    pub child: ChildRef,
    pub household: Option<HouseholdRef>,
    /// The reason and the signaller's note, sealed under the child's key by
    /// [`crate::signal_child`].
    pub why: Sealed<super::WhySignalled>,
    pub referral: Referral,
    pub signalled_on: Date,
}

/// The signaller records what came of the signal; only the organisation that signalled may.
#[derive(Debug, Clone)]
pub struct RecordOutcome {
    pub gemeente: GemeenteCode,
    /// The organisation that records it.
    pub recorded_by: OrganisationId,
    pub outcome: SignalOutcome,
    pub recorded_on: Date,
}
