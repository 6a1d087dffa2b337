//! What this service keeps of other services' streams, written by [`crate::consume`] in the
//! consumer's transaction and read when a request needs it.
//!
//! - [`discounts`]: the standing discounts regie agreed with providers;
//! - [`enrolments`]: which partner may deliver which provision in which gemeente;
//! - [`entitlements`]: which child and provision each entitlement is for (anonymised when the child
//!   is forgotten);
//! - [`ledger_state`]: each entitlement's, invoice's and sample draw's state as the ledger reads it,
//!   kept by a trigger in the transaction of this service's own events (not from a stream);
//! - [`regelingen`]: the regeling versions, for budgets and the sample rate;
//! - [`work_lists`]: declarations and invoices as lists, and each entitlement's household;
//! - [`partner_feed`]: the partners' feed ([`crate::feed`]).

pub mod discounts;
pub mod enrolments;
pub mod entitlements;
pub mod ledger_state;
pub mod partner_feed;
pub mod regelingen;
pub mod work_lists;
