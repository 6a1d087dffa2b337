//! The application service: a household applies (at the loket, online, through a partner or
//! wijkteam, possibly citing a signal) and the gemeente decides: granted with entitlements per child
//! and provision, or rejected with a reason.
//!
//! - [`domain`]: the `Application` aggregate, pure rules without I/O;
//! - [`grants`]: earlier grants from the own store, for budgets and to fund nothing twice;
//! - [`http`]: the API (`/api/v1/gemeenten/{gemeente}/aanvragen`);
//! - [`consume`]: the regie stream, kept as regeling versions per gemeente;
//! - [`publish`]: stored events to the `proto` contract, for the relay;
//! - [`startup`] wires the parts together.
//!
//! A decision is either assessed against the regeling version in force (`/beoordeling`: thresholds,
//! per-age thresholds, sliding scale, disposable income, age bands, target groups, maatwerk) or
//! recorded as the regievoerder gives it (`/toekenning`). Mandates of partners are not checked yet.

pub mod consume;
pub mod domain;
pub mod grants;
pub mod http;
pub mod publish;
pub mod startup;
pub mod vault;
