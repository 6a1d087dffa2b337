//! The rules of applications. No I/O here.

pub mod application;
pub mod eligibility;
