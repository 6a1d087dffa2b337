//! The rules of provision. No I/O here.

pub mod entitlement;
