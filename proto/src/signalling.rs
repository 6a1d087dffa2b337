//! Events of the signalling service: a child in need seen by a wijkteam, school, CJG, ..., and
//! what came of it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use crate::ids::{ChildRef, HouseholdRef, OrganisationId, WijkCode};
use crate::regie::ProvisionType;
use crate::schema::{contract_events, DateSchema};
use crate::subjects::Service;

contract_events!(
    /// Everything the signalling service publishes.
    SignallingEvent,
    Service::Signalling,
    [
        ChildSignalled = 2,
        SignalOutcomeRecorded,
        SignalReferred,
        SignalAccepted,
        SignalHandedBack
    ]
);

/// A signaller recorded a child in need and referred the family.
///
/// Version 2 carries no reason: "debts" or "refugee family" says much about a family and no consumer
/// needs it; the signalling service keeps it sealed under the child's key. Version 1 messages had it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ChildSignalled {
    pub signal_id: Uuid,
    /// The organisation that signalled (wijkteam, school, CJG, partner).
    pub signaller: OrganisationId,
    pub child: ChildRef,
    pub household: Option<HouseholdRef>,
    /// Where the routing sent it (regie's routing table, else the loket).
    pub referral: Referral,
    #[schemars(with = "DateSchema")]
    pub signalled_on: Date,
    /// The day by which the referral must be accepted (working days of the route); absent for a
    /// signal sent to the loket without a route, and in messages from before routing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DateSchema>")]
    pub due_on: Option<Date>,
    /// The CBS wijk the family lives in, when the signaller gave it: the overleg's figures per wijk.
    /// Absent in messages from before the overleg's figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wijk: Option<WijkCode>,
    /// The kind of help the signaller thinks of, when it said: the figures per provision type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provision_type: Option<ProvisionType>,
}

/// Why the child was signalled (kept by the signalling service only; not on the bus since version 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignalReason {
    LowIncome,
    Debts,
    RefugeeFamily,
    Other,
}

/// Where the family was referred to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Referral {
    /// The gemeente's loket.
    Loket,
    /// A named partner, e.g. Leergeld.
    Partner { partner: OrganisationId },
}

/// The signaller recorded what came of a signal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SignalOutcomeRecorded {
    pub signal_id: Uuid,
    pub outcome: SignalOutcome,
    #[schemars(with = "DateSchema")]
    pub recorded_on: Date,
}

/// What came of a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignalOutcome {
    Contacted,
    Applied,
    Declined,
    Unreachable,
}

/// The regievoerder referred a signal again (after a hand-back, or when it was overdue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SignalReferred {
    pub signal_id: Uuid,
    pub referral: Referral,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DateSchema>")]
    pub due_on: Option<Date>,
    #[schemars(with = "DateSchema")]
    pub referred_on: Date,
}

/// The loket or the partner a signal was referred to accepted it: it is picked up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SignalAccepted {
    pub signal_id: Uuid,
    #[schemars(with = "DateSchema")]
    pub accepted_on: Date,
}

/// The partner a signal was referred to handed it back to the regie. Why stays in the signalling
/// service, sealed: it is not on the bus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SignalHandedBack {
    pub signal_id: Uuid,
    #[schemars(with = "DateSchema")]
    pub handed_back_on: Date,
}
