//! Events of the application service: a household applies, the gemeente (or a mandated partner)
//! decides.

use crate::money::Cents;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use crate::ids::{ChildRef, HouseholdRef, OrganisationId, ProvisionCode};
use crate::regie::{CoFinancing, DeliveryForm, Funder};
use crate::schema::{contract_events, DateSchema};
use crate::subjects::Service;

contract_events!(
    /// Everything the application service publishes.
    ApplicationEvent,
    Service::Application,
    [ApplicationSubmitted, ApplicationGranted, ApplicationRejected, ApplicationWithdrawn]
);

/// A household applied for the Kindpakket or for separate provisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ApplicationSubmitted {
    pub application_id: Uuid,
    pub household: HouseholdRef,
    pub channel: Channel,
    /// The intermediary that applied on the family's behalf, if any.
    pub on_behalf_of: Option<OrganisationId>,
    pub children: Vec<ApplicantChild>,
    /// Household income as a percentage of the sociaal minimum.
    pub income_percent: u16,
    /// The provisions asked for; empty when the whole package is asked for.
    pub requested_provisions: Vec<ProvisionCode>,
    /// The signal this application follows from, if any.
    pub signal_id: Option<Uuid>,
    #[schemars(with = "DateSchema")]
    pub submitted_on: Date,
    /// Adults in the household (for a disposable-income rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adults: Option<u8>,
    /// Money left per week after fixed costs and debt repayments, in cents, when the family asks to
    /// be assessed on it (families in debt restructuring).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub money_left_cents: Option<Cents>,
}

/// How the application came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Loket,
    Online,
    Partner,
    Wijkteam,
    Cjg,
}

/// A child in an application: a pseudonym and the month of birth (enough for age bands, less
/// identifying than a birth date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ApplicantChild {
    pub child: ChildRef,
    pub birth_year: i32,
    pub birth_month: u8,
    /// The school the child attends, when a provision is meant for a specific group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school: Option<SchoolLevel>,
}

/// Where a child goes to school.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SchoolLevel {
    None,
    Primary,
    Brugklas,
    Secondary,
    Mbo,
}

/// The application was granted: one entitlement per child and provision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ApplicationGranted {
    pub application_id: Uuid,
    pub entitlements: Vec<GrantedEntitlement>,
    #[schemars(with = "DateSchema")]
    pub decided_on: Date,
    /// How the decision was reached, when it was assessed against the regeling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<Assessment>,
}

/// An eligibility assessment: the regeling version applied and the outcome per child and
/// provision, enough to reproduce the decision and explain it to the family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Assessment {
    pub regeling_id: Uuid,
    pub income_percent: u16,
    pub outcomes: Vec<Outcome>,
    /// The written motivation when an authorised organisation granted outside the rules (maatwerk).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_motivation: Option<String>,
}

/// One child and one provision: granted or not, how much, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Outcome {
    pub child: ChildRef,
    pub provision: ProvisionCode,
    pub granted: bool,
    /// The share of the provision's value granted (100 in full, 50 for half on a sliding scale).
    pub share_percent: u8,
    pub amount_cents: Cents,
    /// A stable code for the reason (e.g. `within_threshold`, `above_threshold`, `outside_age_band`).
    pub reason: String,
    /// The reason in plain Dutch (B1), as the family reads it.
    pub explanation: String,
    /// Who pays, when granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funder: Option<Funder>,
}

/// One child's right to one provision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GrantedEntitlement {
    pub entitlement_id: Uuid,
    pub child: ChildRef,
    pub provision: ProvisionCode,
    pub amount_cents: Cents,
    #[schemars(with = "DateSchema")]
    pub valid_from: Date,
    #[schemars(with = "DateSchema")]
    pub valid_until: Date,
    /// Who pays for it (the regeling's order of precedence applied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funder: Option<Funder>,
    /// A second funder paying a share of it, as the regeling sets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub co_financing: Option<CoFinancing>,
    /// How it reaches the child, as the regeling sets (absent on a grant made by hand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<DeliveryForm>,
    /// For a count (strippenkaart): the value of one unit; the amount is spent in whole units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_value_cents: Option<Cents>,
}

/// The application was rejected, with the reason told to the family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ApplicationRejected {
    pub application_id: Uuid,
    pub reason: String,
    #[schemars(with = "DateSchema")]
    pub decided_on: Date,
    /// How the decision was reached, when it was assessed against the regeling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<Assessment>,
}

/// The family withdrew the application before a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ApplicationWithdrawn {
    pub application_id: Uuid,
    #[schemars(with = "DateSchema")]
    pub withdrawn_on: Date,
}
