//! The events of an application as this service stores them: its own types, not the contract's.
//! What they say about a household — the assessment inputs, each outcome's share and explanation, a
//! maatwerk motivation, a written reason — is sealed under the household's key
//! ([`kindpakket_platform::shredding::Sealed`]); everything else (codes, amounts, children by
//! pseudonym, dates) is plain, and [`crate::publish`] maps it onto the contract.
//!
//! Version 2. Version 1 rows (stored before crypto-shredding, with those values in plain text and
//! the contract's own structs as payloads) are rewritten into this shape once, at start
//! ([`crate::reseal`]).

use cqrs_es::DomainEvent;
use kindpakket_platform::shredding::Sealed;
use kindpakket_proto::application::{ApplicantChild, Channel, GrantedEntitlement};
use kindpakket_proto::regie::Funder;
use kindpakket_proto::{
    Cents, ChildRef, GemeenteCode, HouseholdRef, OrganisationId, ProvisionCode,
};
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use crate::domain::eligibility::AssessmentInputs;

/// The version of every stored application event this code writes.
pub const EVENT_VERSION: &str = "2";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ApplicationEvent {
    Submitted {
        gemeente: GemeenteCode,
        application: Submitted,
    },
    Granted(Granted),
    Rejected(Rejected),
    Withdrawn(Withdrawn),
}

/// A household applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submitted {
    pub application_id: Uuid,
    pub household: HouseholdRef,
    pub channel: Channel,
    /// The intermediary that applied on the family's behalf, if any.
    pub on_behalf_of: Option<OrganisationId>,
    pub children: Vec<ApplicantChild>,
    /// The provisions asked for; empty when the whole package is asked for.
    pub requested_provisions: Vec<ProvisionCode>,
    pub signal_id: Option<Uuid>,
    pub submitted_on: Date,
    /// Income, adults and money left, sealed under the household's key.
    pub inputs: Sealed<AssessmentInputs>,
    /// How it was taken (by the parent, perhaps helped; or on the family's behalf with consent and
    /// gezag). Absent in applications stored before issue 14. Never published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken: Option<super::taken::Taken>,
}

/// The application was granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Granted {
    pub application_id: Uuid,
    /// Read by [`crate::grants`] as `payload->'Granted'->'entitlements'`: the same path as in
    /// version 1.
    pub entitlements: Vec<GrantedEntitlement>,
    pub decided_on: Date,
    #[serde(default)]
    pub assessment: Option<Decision>,
}

/// The application was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    pub application_id: Uuid,
    pub decided_on: Date,
    pub reason: RejectionReason,
    #[serde(default)]
    pub assessment: Option<Decision>,
}

/// Why an application was rejected, as the family reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RejectionReason {
    /// The regeling granted none of what was asked; the explanations are in the assessment.
    NothingGranted,
    /// The regievoerder's own words, sealed under the household's key.
    Written(Sealed<String>),
}

/// The application was withdrawn before a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawn {
    pub application_id: Uuid,
    pub withdrawn_on: Date,
    /// Why, when the one withdrawing said so; sealed under the household's key.
    #[serde(default)]
    pub reason: Option<Sealed<String>>,
}

/// How a decision was reached. In plain: the regeling version it can be reproduced from and the
/// outcome per child and provision as codes and amounts. Sealed under the household's key: the
/// inputs the engine read, and per outcome the share and the explanation, and the maatwerk
/// motivation. With the regeling version, the application and the earlier grants, the engine
/// ([`crate::domain::eligibility`]) reproduces it for as long as the household's key lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub regeling_id: Uuid,
    pub outcomes: Vec<DecidedOutcome>,
    /// Granted outside the rules (maatwerk).
    pub custom: bool,
    /// Granted by hand by the regievoerder ([`crate::domain::eligibility::grant_by_hand`]).
    pub by_hand: bool,
    pub details: Sealed<DecisionDetails>,
}

/// One child and one provision, as far as it is plain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecidedOutcome {
    pub child: ChildRef,
    pub provision: ProvisionCode,
    pub granted: bool,
    pub amount_cents: Cents,
    /// A stable code (e.g. `within_threshold`, `sliding_scale`, `granted_by_hand`).
    pub reason: String,
    #[serde(default)]
    pub funder: Option<Funder>,
}

/// What a decision says about the household, sealed under its key: the inputs the engine read, the
/// share and explanation of each outcome (in the order of [`Decision::outcomes`]) and the maatwerk
/// motivation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionDetails {
    pub inputs: AssessmentInputs,
    pub outcomes: Vec<OutcomeDetails>,
    #[serde(default)]
    pub custom_motivation: Option<String>,
}

/// The sealed part of one outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeDetails {
    pub share_percent: u8,
    pub explanation: String,
}

impl DomainEvent for ApplicationEvent {
    fn event_type(&self) -> String {
        match self {
            ApplicationEvent::Submitted { .. } => "Submitted",
            ApplicationEvent::Granted(_) => "Granted",
            ApplicationEvent::Rejected(_) => "Rejected",
            ApplicationEvent::Withdrawn(_) => "Withdrawn",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        EVENT_VERSION.to_owned()
    }
}
