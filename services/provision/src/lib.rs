//! The provision service: entitlements opened from grants, and everything spent against them —
//! deliveries, passes and their redemptions, declarations — then invoiced, settled and accounted for
//! per funder.
//!
//! - [`domain`]: the `Entitlement`, `Invoice` and `SampleDraw` aggregates, pure rules without I/O
//!   (never overspent, a retried request recorded once);
//! - [`consume`]: grants from the application stream open entitlements, and a forgotten child is
//!   forgotten here too; enrolments and regeling versions from the regie stream fill [`read_models`];
//! - [`read_models`]: which partner may deliver what, and the regeling versions;
//! - [`pass_codes`]: which entitlement a pass code belongs to: registering new codes, finding a
//!   typed one;
//! - [`ledger`]: the gemeente's history folded from its own events: invoiceable deliveries, the
//!   ledger across funders, budgets, the sample population, what is due to expire;
//! - [`invoicing`], [`sampling`], [`year_end`]: the use-cases that span aggregates (an invoice under
//!   a lock per partner, a reproducible sample draw, the year end, also as an hourly job);
//! - [`access`]: what a partner may see: the entitlements of its own provisions, each child under
//!   its own pseudonym; row-level security on the read models several organisations read;
//! - [`notes`]: free text about a child checked (no BSN, IBAN, e-mail or telephone number) and
//!   sealed under the child's key, and opened again for an answer ("vergeten" once forgotten);
//! - [`reseal`]: the one-off sealing of free text stored in plaintext before version 2;
//! - [`feed`]: the partners' feed: what of each event concerns which partner, as CloudEvents under
//!   its own pseudonyms, kept by the consumers;
//! - [`http`]: the API (`/api/v1/gemeenten/{gemeente}/…`);
//! - [`publish`]: stored events to the `proto` contract, for the relay;
//! - [`migrations`]: this service's tables beside the event store;
//! - [`startup`] wires the parts together.

pub mod access;
pub mod campaigns;
pub mod consume;
pub mod domain;
pub mod feed;
pub mod http;
pub mod invoicing;
pub mod ledger;
pub mod migrations;
pub mod notes;
pub mod pass_codes;
pub mod publish;
pub mod read_models;
pub mod reseal;
pub mod sampling;
pub mod startup;
pub mod year_end;
