//! What may be asked of a partner's enrolment.

use kindpakket_proto::regie::PartnerEnrolled;
use kindpakket_proto::{Cents, GemeenteCode, ProvisionCode};
use time::Date;

#[derive(Debug, Clone)]
pub enum EnrolmentCommand {
    Enrol(Enrol),
    End(End),
    AgreeDiscount(AgreeDiscount),
    EndDiscount(EndDiscount),
}

/// The regievoerder enrols a partner for provisions, in roles, with a mandate when it may decide.
#[derive(Debug, Clone)]
pub struct Enrol {
    pub gemeente: GemeenteCode,
    pub enrolment: PartnerEnrolled,
}

/// The regievoerder ends a partner's enrolment.
#[derive(Debug, Clone)]
pub struct End {
    pub ended_on: Date,
}

/// The regievoerder agrees a standing discount with the partner for one of its provisions (or
/// changes the one agreed before).
#[derive(Debug, Clone)]
pub struct AgreeDiscount {
    pub provision: ProvisionCode,
    /// 1 to 100.
    pub percent: i64,
    pub max_per_purchase_cents: Option<Cents>,
    /// Whether the provision has the form `discount` in the regeling version in force (looked up by
    /// [`crate::discounts`]); `None` when no version is in force or it lacks the provision.
    pub provision_is_discount: Option<bool>,
    pub agreed_on: Date,
}

/// The regievoerder ends a standing discount.
#[derive(Debug, Clone)]
pub struct EndDiscount {
    pub provision: ProvisionCode,
    pub ended_on: Date,
}
