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
    [
        ApplicationSubmitted = 2,
        ApplicationGranted = 2,
        ApplicationRejected = 2,
        ApplicationWithdrawn,
        SubjectForgotten,
        SubjectRectified,
    ]
);

/// A household applied for the Kindpakket or for separate provisions.
///
/// Version 2 carries no assessment inputs: the household's income, its adults and the money it has
/// left stay (sealed) in the application service's own store. No consumer needs them; the dashboard
/// counts children along the chain. Version 1 messages had them; a reader ignores them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ApplicationSubmitted {
    pub application_id: Uuid,
    pub household: HouseholdRef,
    pub channel: Channel,
    /// The intermediary that applied on the family's behalf, if any.
    pub on_behalf_of: Option<OrganisationId>,
    pub children: Vec<ApplicantChild>,
    /// The provisions asked for; empty when the whole package is asked for.
    pub requested_provisions: Vec<ProvisionCode>,
    /// The signal this application follows from, if any.
    pub signal_id: Option<Uuid>,
    #[schemars(with = "DateSchema")]
    pub submitted_on: Date,
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

/// How a decision was reached, as far as others need to know: the regeling version and the outcome
/// per child and provision as codes. The inputs (income, money left), the explanation the family
/// reads and a maatwerk motivation stay in the application service's store, sealed under the
/// household's key; the decision is reproducible there for as long as that key lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Assessment {
    pub regeling_id: Uuid,
    pub outcomes: Vec<Outcome>,
    /// Granted outside the rules by an authorised organisation (maatwerk), with a motivation kept
    /// by the application service.
    #[serde(default)]
    pub custom: bool,
    /// Granted by hand by the regievoerder, through the same engine.
    #[serde(default)]
    pub by_hand: bool,
}

/// One child and one provision: granted or not, how much, and why as a code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Outcome {
    pub child: ChildRef,
    pub provision: ProvisionCode,
    pub granted: bool,
    pub amount_cents: Cents,
    /// A stable code for the reason (e.g. `within_threshold`, `above_threshold`, `outside_age_band`).
    pub reason: String,
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
    /// For a household budget (gezinstegoed, `Provision.per_household`): every child of the
    /// application granted under it, in the application's order, `child` first. Any of them may
    /// spend it; empty for a child's own entitlement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub household_children: Vec<ChildRef>,
}

/// The application was rejected. The reason the family reads stays in the application service's
/// store (version 1 carried it as text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ApplicationRejected {
    pub application_id: Uuid,
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

/// A person was forgotten at the gemeente — erased on request, or at the end of their retention
/// period. Every service and read model that keeps something of this pseudonymous subject (a child
/// or a household) forgets it: destroys its key for the subject, drops or anonymises its rows.
/// Figures that count the subject among others stay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SubjectForgotten {
    pub subject: Uuid,
    pub kind: SubjectKind,
    pub why: ForgetReason,
    #[schemars(with = "DateSchema")]
    pub forgotten_on: Date,
}

/// What a subject is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Child,
    Household,
}

/// Why a subject was forgotten.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ForgetReason {
    /// The person asked (AVG article 17) or the gemeente decided.
    Erasure,
    /// The retention period ended.
    Retention,
}

/// A person's data were corrected at the gemeente (AVG article 16). Recipients that keep something
/// derived from them look again (none keeps personal data itself; the event says only who).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SubjectRectified {
    pub subject: Uuid,
    pub kind: SubjectKind,
    #[schemars(with = "DateSchema")]
    pub rectified_on: Date,
}
