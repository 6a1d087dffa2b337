//! The application service: a household applies (at the loket, online, through a partner or
//! wijkteam, possibly citing a signal) and the gemeente decides: granted with entitlements per child
//! and provision, or rejected with a reason.
//!
//! - [`domain`]: the `Application` aggregate, pure rules without I/O;
//! - [`http`]: the API (`/api/v1/gemeenten/{gemeente}/aanvragen`);
//! - [`publish`]: stored events to the `proto` contract, for the relay;
//! - [`startup`] wires the parts together.
//!
//! Eligibility against the regeling in force (thresholds, sliding scales, age bands, mandates) is
//! not assessed yet: the decision is the regievoerder's, recorded as given (see the README).

pub mod domain;
pub mod http;
pub mod publish;
pub mod startup;
