//! The rules of regie. No I/O here.

pub mod enrolment;
pub mod regeling;
pub mod routing;
pub mod target_group;
pub mod wish;
