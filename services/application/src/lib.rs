//! The application service: a household applies (at the loket, online, through a partner or
//! wijkteam, possibly citing a signal) and the gemeente decides: granted with entitlements per child
//! and provision, or rejected with a reason.
//!
//! - [`domain`]: the `Application` aggregate and the `eligibility` engine, pure rules but for the
//!   sealing the aggregate asks of its services ([`sealing`]); and the `Subject` aggregate, which
//!   records that a child or household was forgotten or corrected, for everyone downstream;
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
//! - [`vault`]: the personal data vault: persons sealed under a subject key each, the audit log,
//!   erasure and retention;
//! - [`forgetting`]: forgetting a person (erasure, retention) and correcting one, told to the
//!   platform through the `Subject` aggregate's events, repaired after a crash;
//! - [`overview`]: the applications by intermediary, household and gemeente, a read model under
//!   row-level security, kept from the service's own stream;
//! - [`pseudonyms`]: the partners' own ids of children, households and entitlements;
//! - [`reseal`]: version 1 events rewritten once with their household fields sealed;
//! - [`http`]: the API (`/api/v1/gemeenten/{gemeente}/aanvragen`, `/personen`, `/bewaartermijnen`,
//!   `/auditlog`);
//! - [`publish`]: stored events to the `proto` contract, for the relay (nothing sealed is published);
//! - [`config`]: the service's own configuration (the vault's databases, retention periods);
//! - [`startup`] wires the parts together and runs the hourly retention sweep and the repair of
//!   interrupted erasures.
//!
//! **Forgettable by design.** What an application says about a household — its income, adults and
//! money left, each outcome's share and explanation, a maatwerk motivation, the reasons of a
//! rejection or withdrawal — is stored sealed under the household's key, in this service's store
//! only; the contract publishes codes and amounts. A decision records the regeling version it can be
//! reproduced from, and is reproducible from this store while the household's key lives. Forgetting a
//! parent destroys it: every copy of those fields, in the store, in replays and in backups, falls
//! silent, and every answer reads them as `vergeten`.
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
pub mod forgetting;
pub mod grants;
pub mod http;
pub mod intake;
pub mod overview;
pub mod pseudonyms;
pub mod publish;
pub mod reseal;
pub mod sealing;
pub mod startup;
pub mod vault;
