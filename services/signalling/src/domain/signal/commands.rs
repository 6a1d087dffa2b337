//! What may be asked of a signal.

use kindpakket_platform::free_text::Note;
use kindpakket_platform::shredding::Sealed;
use kindpakket_proto::regie::ProvisionType;
use kindpakket_proto::signalling::{Referral, SignalOutcome};
use kindpakket_proto::{ChildRef, GemeenteCode, HouseholdRef, OrganisationId, WijkCode};
use time::Date;
use uuid::Uuid;

use super::LinkUse;

#[derive(Debug, Clone)]
pub enum SignalCommand {
    SignalChild(SignalChild),
    Accept(Accept),
    HandBack(HandBack),
    Reroute(Reroute),
    RecordOutcome(RecordOutcome),
}

/// A signaller records a child in need; the routing (regie's table, else the loket) says where it
/// goes and by when it must be picked up.
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
    pub provision_type: Option<ProvisionType>,
    pub wijk: Option<WijkCode>,
    pub referral: Referral,
    pub due_on: Option<Date>,
    pub signalled_on: Date,
}

/// Who acts on a referral: an organisation, and whether it acts as the gemeente's loket (the
/// regievoerder's role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acting {
    pub gemeente: GemeenteCode,
    pub organisation: OrganisationId,
    pub as_loket: bool,
    /// The one-time link it answers through, if it has no account.
    pub via_link: Option<LinkUse>,
}

/// The addressee of the referral picks it up.
#[derive(Debug, Clone)]
pub struct Accept {
    pub by: Acting,
    pub on: Date,
}

/// The partner the signal was referred to hands it back to the regie.
#[derive(Debug, Clone)]
pub struct HandBack {
    pub by: Acting,
    pub on: Date,
    /// Why, checked free text sealed under the child's key ([`crate::referrals`]).
    pub reason: Option<Sealed<Note>>,
}

/// The regievoerder refers the signal again (the use-case checked the partner's enrolment).
#[derive(Debug, Clone)]
pub struct Reroute {
    pub gemeente: GemeenteCode,
    pub to: Referral,
    pub due_on: Option<Date>,
    pub on: Date,
}

/// What came of the referral: by the partner that accepted it, or by the loket.
#[derive(Debug, Clone)]
pub struct RecordOutcome {
    pub by: Acting,
    pub outcome: SignalOutcome,
    pub recorded_on: Date,
}
