//! The provision service: entitlements opened from grants, and the partners' deliveries against them.
//!
//! - [`domain`]: the `Entitlement` aggregate, pure rules without I/O (never overspent, a delivery
//!   recorded once);
//! - [`consume`]: grants from the application stream open entitlements; enrolments from the regie
//!   stream say which partner may deliver what;
//! - [`http`]: the API (`/api/v1/gemeenten/{gemeente}/rechten`);
//! - [`publish`]: stored events to the `proto` contract, for the relay;
//! - [`startup`] wires the parts together.

pub mod consume;
pub mod domain;
pub mod http;
pub mod ledger;
pub mod locks;
pub mod publish;
pub mod startup;
