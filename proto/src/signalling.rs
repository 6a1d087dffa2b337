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
    [ChildSignalled, SignalOutcomeRecorded]
);

/// A signaller recorded a child in need and referred the family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ChildSignalled {
    pub signal_id: Uuid,
    /// The organisation that signalled (wijkteam, school, CJG, partner).
    pub signaller: OrganisationId,
    pub child: ChildRef,
    pub household: Option<HouseholdRef>,
    pub reason: SignalReason,
    pub referral: Referral,
    #[schemars(with = "DateSchema")]
    pub signalled_on: Date,
}

/// Why the child was signalled.
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
