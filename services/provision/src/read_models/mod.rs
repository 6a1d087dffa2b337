//! What this service keeps of the regie stream, written by [`crate::consume::regie`] in the
//! consumer's transaction and read when a request needs it.
//!
//! - [`enrolments`]: which partner may deliver which provision in which gemeente;
//! - [`regelingen`]: the regeling versions, for budgets and the sample rate.

pub mod enrolments;
pub mod regelingen;
