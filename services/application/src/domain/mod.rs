//! The rules of applications and of the subjects they concern. No I/O here but the sealing the
//! application aggregate asks of its services ([`crate::sealing`]).

pub mod application;
pub mod eligibility;
pub mod subject;
