//! What may be asked of an application.

use kindpakket_proto::application::ApplicationSubmitted;
use kindpakket_proto::regie::{Mandate, RegelingPublished};
use kindpakket_proto::{Cents, ChildRef, GemeenteCode, ProvisionCode};
use time::Date;

use crate::domain::eligibility::{CustomDecision, PriorGrant};

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
    pub application: ApplicationSubmitted,
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

/// The regievoerder grants what it decides, outside an assessment.
#[derive(Debug, Clone)]
pub struct Grant {
    pub gemeente: GemeenteCode,
    pub entitlements: Vec<EntitlementToGrant>,
    pub decided_on: Date,
    /// Earlier grants in the gemeente: the same child is not funded twice.
    pub prior_grants: Vec<PriorGrant>,
}

/// One entitlement the decision-maker grants. Its period is checked by the aggregate, in its turn
/// among the other rules, so it travels as the two dates it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitlementToGrant {
    pub child: ChildRef,
    pub provision: ProvisionCode,
    pub amount_cents: Cents,
    pub valid_from: Date,
    pub valid_until: Date,
}

/// The regievoerder rejects, with a reason the family reads.
#[derive(Debug, Clone)]
pub struct Reject {
    pub gemeente: GemeenteCode,
    pub reason: String,
    pub decided_on: Date,
}

/// The family (or whoever applied for it) withdraws the application before a decision.
#[derive(Debug, Clone)]
pub struct Withdraw {
    pub gemeente: GemeenteCode,
    pub withdrawn_on: Date,
}
