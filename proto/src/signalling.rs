//! Events of the signalling service: a child in need seen by a wijkteam, school, CJG, ..., and
//! what came of it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use crate::ids::{ChildRef, HouseholdRef, OrganisationId};
use crate::schema::{contract_events, DateSchema};
use crate::subjects::Service;

contract_events!(
    /// Everything the signalling service publishes.
    SignallingEvent,
    Service::Signalling,
    [ChildSignalled = 2, SignalOutcomeRecorded]
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
    pub referral: Referral,
    #[schemars(with = "DateSchema")]
    pub signalled_on: Date,
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
