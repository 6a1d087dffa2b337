//! The regie service: the gemeente (or its ISD, or Leergeld as regievoerder) publishes the regeling
//! with its catalogue of provisions, enrols partners, routes signals and sets the doelgroep (the
//! children expected to be eligible per wijk and age band, the denominator of reach); parents,
//! partners and signallers send in wishes (what the package lacks).
//!
//! - [`domain`]: the `Regeling`, `Enrolment`, `Routing`, `TargetGroup` and `Wish` aggregates, pure
//!   rules without I/O;
//! - [`discounts`]: agreeing a standing discount with a provider, after reading the regeling in
//!   force;
//! - [`routing`]: setting a gemeente's routing table, after reading the enrolments and catalogue;
//! - [`publication`]: publishing a regeling version, the use-case that spans versions;
//! - [`calendar`]: the published versions that overlap a new one, and the lock every publication
//!   holds, so that no two versions of a gemeente overlap;
//! - [`http`]: the API (`/api/v1/gemeenten/{gemeente}/regelingen`, `/partners`, `/routering`,
//!   `/doelgroep/{jaar}`, `/wensen`);
//! - [`publish`]: stored events to the `proto` contract, for the relay;
//! - [`startup`] wires the parts together.

pub mod calendar;
pub mod discounts;
pub mod domain;
pub mod http;
pub mod publication;
pub mod publish;
pub mod routing;
pub mod startup;
