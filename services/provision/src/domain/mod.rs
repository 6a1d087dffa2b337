//! The provision service's aggregates: entitlements (with their passes and declarations), invoices,
//! and sample draws of declarations.

pub mod entitlement;
pub mod invoice;
pub mod sample;
