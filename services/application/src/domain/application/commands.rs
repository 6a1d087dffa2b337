//! What may be asked of an application.

use kindpakket_proto::application::ApplicationSubmitted;
use kindpakket_proto::regie::{Mandate, RegelingPublished};
use kindpakket_proto::{Cents, ChildRef, GemeenteCode, OrganisationId, ProvisionCode};
use time::Date;
use uuid::Uuid;

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

/// The regievoerder rejects, with a reason the family reads.
#[derive(Debug, Clone)]
pub struct Reject {
    pub gemeente: GemeenteCode,
    pub reason: String,
    pub decided_on: Date,
}

/// The family, the organisation that applied on its behalf, or the regievoerder withdraws the
/// application before a decision.
#[derive(Debug, Clone)]
pub struct Withdraw {
    pub gemeente: GemeenteCode,
    pub withdrawn_on: Date,
    pub by: Withdrawer,
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
