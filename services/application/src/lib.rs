//! The application service: a household applies (at the loket, online, through a partner or
//! wijkteam, possibly citing a signal) and the gemeente decides: granted with entitlements per child
//! and provision, or rejected with a reason.
//!
//! - [`domain`]: the `Application` aggregate and the `eligibility` engine, pure rules without I/O;
//! - [`decisions`]: the decisions on an application (assess, grant, reject, withdraw) with what
//!   they need from outside the aggregate: the regeling in force, a partner's mandate, the earlier
//!   grants under their lock;
//! - [`intake`]: taking in an application (a parent for their own household, a partner or
//!   signaller only as itself and while enrolled to take in applications);
//! - [`access`]: who may see and act on which application (a parent their own household's, a
//!   partner those it took on or, with a mandate, all of its gemeente);
//! - [`grants`]: earlier grants from the own store, for budgets and to fund nothing twice, and the
//!   lock per gemeente they are read and decided under;
//! - [`consume`]: the regie stream, kept as regeling versions per gemeente and partner mandates
//!   and roles;
//! - [`vault`]: the personal data vault: persons kept encrypted with a key each, the audit log,
//!   erasure and retention;
//! - [`http`]: the API (`/api/v1/gemeenten/{gemeente}/aanvragen`, `/personen`, `/bewaartermijnen`,
//!   `/auditlog`);
//! - [`publish`]: stored events to the `proto` contract, for the relay;
//! - [`config`]: the service's own configuration (the vault's databases, retention periods);
//! - [`startup`] wires the parts together and runs the hourly retention sweep.
//!
//! A decision is either assessed against the regeling version in force (`/beoordeling`: thresholds,
//! per-age thresholds, sliding scale, disposable income, age bands, target groups, maatwerk, budgets
//! and funders, and for a partner its mandate) or given by hand by the regievoerder (`/toekenning`:
//! the amounts it chooses, through the same regeling version, catalogue, funders and budgets).

pub mod access;
pub mod config;
pub mod consume;
pub mod decisions;
pub mod domain;
pub mod grants;
pub mod http;
pub mod intake;
pub mod publish;
pub mod startup;
pub mod vault;
