use kindpakket_proto::signalling::{Referral, SignalOutcome, SignalReason};
use kindpakket_proto::{ChildRef, GemeenteCode, HouseholdRef, OrganisationId};
use time::Date;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub enum SignalCommand {
    SignalChild {
        gemeente: GemeenteCode,
        signal_id: Uuid,
        signaller: OrganisationId,
        child: ChildRef,
        household: Option<HouseholdRef>,
        reason: SignalReason,
        referral: Referral,
        signalled_on: Date,
    },
    RecordOutcome {
        gemeente: GemeenteCode,
        outcome: SignalOutcome,
        recorded_on: Date,
    },
}
