//! The signalling service: wijkteams, schools, CJG's and partners signal a child in need, refer the
//! family, and record what came of it.
//!
//! - [`domain`]: the `Signal` aggregate, pure rules without I/O;
//! - [`signal_child`]: signalling a child, the use-case that checks the enrolments first and routes
//!   the signal;
//! - [`references`]: the caller's own references of a child and household (`platform::reference`);
//! - [`routing`]: the routing tables of the regie stream, and due dates in working days;
//! - [`referrals`]: handing a referral back (its reason sealed) and re-routing it;
//! - [`links`]: one-time links for a partner without an account;
//! - [`worklist`]: the list of signals (row-level security), kept from this service's own stream;
//! - [`enrolments`]: who is enrolled in which gemeente, in which roles, for which provisions, until
//!   when (a read model);
//! - [`consume`]: the regie stream's enrolments, regelingen and routing tables into those read
//!   models, and the application stream's erasures (a forgotten child's keys destroyed);
//! - [`progress`]: how far each child got after a signal (aangevraagd, toegekend, bediend), kept
//!   from the application and provision streams;
//! - [`reseal`]: the one-off sealing of reasons stored in plaintext before version 3;
//! - [`http`]: the API (`/api/v1/gemeenten/{gemeente}/signaleringen`);
//! - [`publish`]: stored events to the `proto` contract, for the relay;
//! - [`startup`] wires the parts together.

pub mod consume;
pub mod domain;
pub mod enrolments;
pub mod http;
pub mod links;
pub mod progress;
pub mod publish;
pub mod references;
pub mod referrals;
pub mod reseal;
pub mod routing;
pub mod signal_child;
pub mod startup;
pub mod worklist;
