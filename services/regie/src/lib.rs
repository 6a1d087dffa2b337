//! The regie service: the gemeente (or its ISD, or Leergeld as regievoerder) publishes the regeling
//! with its catalogue of provisions and enrols partners.
//!
//! - [`domain`]: the `Regeling` and `Enrolment` aggregates, pure rules without I/O;
//! - [`calendar`]: no two regeling versions of a gemeente overlap (an invariant across aggregates);
//! - [`http`]: the API (`/api/v1/gemeenten/{gemeente}/regelingen`, `/partners`);
//! - [`publish`]: stored events to the `proto` contract, for the relay;
//! - [`startup`] wires the parts together.

pub mod calendar;
pub mod domain;
pub mod http;
pub mod publish;
pub mod startup;
