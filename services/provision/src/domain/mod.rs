//! The rules of provision, without I/O: entitlements (with their passes and declarations), invoices,
//! and sample draws of declarations.

pub mod campaign;
pub mod entitlement;
pub mod invoice;
pub mod sample;
