//! What may be asked of an application.

use kindpakket_platform::free_text::Note;
use kindpakket_proto::application::{ApplicantChild, Channel};
use kindpakket_proto::regie::{Mandate, RegelingPublished};
use kindpakket_proto::{
    Cents, ChildRef, GemeenteCode, HouseholdRef, OrganisationId, ProvisionCode,
};
use time::Date;
use uuid::Uuid;

use crate::domain::eligibility::{AssessmentInputs, CustomDecision, PriorGrant};

#[derive(Debug, Clone)]
pub enum ApplicationCommand {
    Submit(Submit),
    Assess(Assess),
    Grant(Grant),
    Reject(Reject),
    Withdraw(Withdraw),
}

/// A household applies for the whole package or for separate provisions.
#[derive(Debug, Clone)]
pub struct Submit {
    pub gemeente: GemeenteCode,
    pub application: NewApplication,
}

/// An application as it is taken in. The aggregate seals its `inputs` under the household's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApplication {
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
    pub inputs: AssessmentInputs,
    /// How it was taken: by the parent (perhaps helped), or on the family's behalf with consent
    /// and gezag ([`super::taken`]).
    pub taken: Option<super::taken::Taken>,
}

/// Decides by the regeling version in force on the application date, optionally with maatwerk.
#[derive(Debug, Clone)]
pub struct Assess {
    pub gemeente: GemeenteCode,
    pub regeling: Box<RegelingPublished>,
    pub custom: Option<CustomDecision>,
    /// When a partner decides: its mandate, which the decision must stay within.
    pub mandate: Option<Mandate>,
    pub decided_on: Date,
    /// Earlier grants in the regeling's gemeenten: budgets used, and nothing funded twice.
    pub prior_grants: Vec<PriorGrant>,
}

/// The regievoerder grants by hand what it chooses, through the regeling version in force on the
/// application date as an assessment does: its catalogue, funders, budgets and "never funded twice".
#[derive(Debug, Clone)]
pub struct Grant {
    pub gemeente: GemeenteCode,
    pub regeling: Box<RegelingPublished>,
    pub entitlements: Vec<EntitlementToGrant>,
    pub decided_on: Date,
    /// Earlier grants in the regeling's gemeenten: budgets used, and nothing funded twice.
    pub prior_grants: Vec<PriorGrant>,
}

/// One entitlement the regievoerder grants by hand. Its period is checked by the aggregate, in its
/// turn among the other rules, so it travels as the dates it was given (the regeling's when left
/// out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitlementToGrant {
    pub child: ChildRef,
    pub provision: ProvisionCode,
    pub amount_cents: Cents,
    pub valid_from: Option<Date>,
    pub valid_until: Option<Date>,
}

/// The regievoerder rejects, with a reason the family reads (checked free text; the aggregate seals
/// it under the household's key).
#[derive(Debug, Clone)]
pub struct Reject {
    pub gemeente: GemeenteCode,
    pub reason: Note,
    pub decided_on: Date,
}

/// The family, the organisation that applied on its behalf, or the regievoerder withdraws the
/// application before a decision.
#[derive(Debug, Clone)]
pub struct Withdraw {
    pub gemeente: GemeenteCode,
    pub withdrawn_on: Date,
    pub by: Withdrawer,
    /// Why, if they say (checked free text; sealed under the household's key).
    pub reason: Option<Note>,
}

/// Who asks to withdraw: whether they may follows from the application itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Withdrawer {
    /// A parent, for the household their login names (if it names one).
    Parent { household: Option<Uuid> },
    /// An organisation that takes in applications on a family's behalf (partner, signaller).
    Organisation(OrganisationId),
    /// The gemeente's regievoerder.
    Gemeente,
}
