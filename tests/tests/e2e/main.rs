//! The end-to-end tests: the services as real processes against real PostgreSQL and nats-server,
//! started on free ports by the harness (`kindpakket_tests`) and removed afterwards. One binary with
//! a module per area, so it links once.
//!
//! - [`harness`]: the throw-away servers themselves;
//! - [`browser_harness`]: the browser harness (headless Chromium, axe-core, screenshots, the width
//!   check) against a tiny in-process site under a strict Content-Security-Policy;
//! - [`pages_signalling`]: the signaller's and the partner's pages: a school signals, follows its
//!   signal to "bediend" seeing status only, Leergeld answers the referral; attacks change nothing;
//!   in a browser at phone and desktop width;
//! - [`pages_provision`]: the partner at the till (`/kassa`, `/rechten`, `/declaraties`) and the
//!   family (`/ouder/rechten`, `/ouder/bon`), over HTTP, as attackers and in a real browser;
//! - [`flow`]: the backbone, from regeling to delivery, every stored event on its stream exactly once;
//! - [`eligibility`]: decisions by the regeling (thresholds, sliding scale, maatwerk, mandates);
//! - [`money_discount`]: a standing discount at a provider, given at the till until the
//!   entitlement is used up, invoiced, in the ledger and budgets; refusals change nothing;
//! - [`money_credit`]: credit notes for rejected invoice lines, re-invoiced and decided anew, the
//!   ledger and the partner's statement reconciled;
//! - [`settlement`]: passes, declarations, sample checks, invoices, the ledger and statements;
//! - [`chain`]: the whole chain, from a school's signal by reference through Leergeld's one-time links,
//!   an application on the family's behalf, a decision and a delivery to the school seeing "bediend";
//! - [`chain_regie`]: regie's part of the chain: the routing table (set, read, bad tables refused
//!   with nothing changed), a regeling corrected from a date and ended;
//! - [`chain_identity`]: identifying a child by BSN or by name and date of birth for a reference of
//!   the organisation's own (no known signal), foreign references refused, applications on a
//!   family's behalf with consent and gezag, the regievoerder's paged inbox;
//! - [`access`]: every role against every endpoint, organisation scoping, floods and large bodies;
//! - [`chain_lists`]: a child's status along the chain (aangevraagd, toegekend, bediend; never back;
//!   forgotten), provision's work lists paged and scoped per caller, a parent's receipt;
//! - [`privacy`]: the vault, erasure, retention, the audit log, least privilege, no personal data on
//!   the bus;
//! - [`read_tables`]: provision's ledger state and the application's earlier grants read from tables
//!   kept in the events' transaction, equal to the fold of the events (also after a restart and for
//!   rows carried over from an older store);
//! - [`forgetting_application`]: the application service forgets by design: household fields
//!   sealed, erasure and correction told once (across a crash), free text checked, partners'
//!   own pseudonyms, every read audited, the overview under row-level security;
//! - [`forgetting_provision`]: free text about a child in provision and signalling sealed under its
//!   key, refused when it holds personal data, forgotten with the child (`SubjectForgotten`), and
//!   row-level security on provision's read models;
//! - [`security_provision`]: the provision service closed to other organisations: partners' own ids,
//!   no browsing of vouchers, pass codes never in a URL or log, no year end in the future, refusals
//!   that repeat nothing the caller sent;
//! - [`security_application`]: attacks on the application service (the vault as an oracle, other
//!   organisations' applications, grants by hand around the regeling, retention in the future);
//! - [`transport`]: TLS and per-service users for Postgres and NATS;
//! - [`nats_at_rest`]: the JetStream store encrypted on disk, in every deploy configuration, and the
//!   streams' maximum age;
//! - [`forgetting_dashboard`]: the dashboard forgets a person (figures unchanged, also after a
//!   replay) and keeps aggregates only past the retention period;
//! - [`overleg_disclosure`]: the kwartaaloverleg's quarter as an attacker reads it: every figure
//!   true under the policy, no hidden cell recovered by reasoning over every relation (also with
//!   exact counts), refusals that change nothing, late facts outside the established quarter, and a
//!   rebuild with the same figures;
//! - [`pages_overleg`]: the kwartaaloverleg's pages: regie reads the running quarter exactly, the
//!   overleg an established one with hidden and rounded figures; CSV files, charts, the report as
//!   PDF; a late fact shown in the next quarter; in a browser at both widths;
//! - [`pages_doelgroep`]: regie sets the doelgroep on its page (refusals, a partner and a forged post
//!   change nothing) and reads reach and the budgets on the overleg's page and in its CSV files;
//! - [`pages_applications`]: the pages of applications: on a family's behalf with consent and
//!   gezag, decided with the outcome explained, the family applying online; attacks refused;
//! - [`overleg_reach`]: reach against the doelgroep regie sets (children expected per wijk and age
//!   band): set by regie only, bad tables refused with nothing changed, the quarter's figures per
//!   wijk and age band against it, an older version arriving late ignored;
//! - [`fuzz`]: schemathesis against every OpenAPI document;
//! - [`traces`]: one family's case is one OpenTelemetry trace across the services, through the
//!   `traceparent` the relay sets on NATS messages, starting from the caller's own;
//! - [`generator`]: the national year generator at a tiny size: every gemeente's regeling as drawn,
//!   the dashboard counting what it reports, the same seed drawing the same commands;
//! - `security_*`: attacks through the public APIs, each refused with nothing changed;
//! - [`relay`], [`crash`], [`resilience`], [`cluster`], [`poison`], [`upcast`], [`check`]: the
//!   pipeline loses and doubles nothing through crashes, outages, a three-node cluster, poison events,
//!   old event versions, and the operator's check command says so;
//! - [`paging_lists`]: the lists a year makes long read page by page as the real roles: each item
//!   once and in order while items are added, only the caller's gemeente, bad `aantal` and cursors
//!   refused with nothing changed;
//! - [`commands`]: the cheaper command path keeps its guarantees: commands racing for one aggregate
//!   store it once, signals of one new child at once share one key and every reason reads back;
//! - [`consumer_batches`]: a consumer's batches apply each event once and in order through copies,
//!   gaps, a failed batch and a poison event;
//! - [`projection_sets`]: the dashboard writing a batch in sets keeps the rows and figures of
//!   applying one event at a time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test that cannot go on fails with the reason"
)]

mod access;
mod backup;
mod browser_harness;
mod chain;
mod chain_identity;
mod chain_lists;
mod chain_regie;
mod chain_signalling;
mod check;
mod cluster;
mod commands;
mod consumer_batches;
mod crash;
mod deployment;
mod eligibility;
mod flow;
mod forgetting_application;
mod forgetting_dashboard;
mod forgetting_provision;
mod fuzz;
mod generator;
mod harness;
mod money_credit;
mod money_discount;
mod money_feed;
mod money_household;
mod money_proof;
mod money_reclaim;
mod nats_at_rest;
mod operations;
mod overleg_api;
mod overleg_budgets;
mod overleg_campaigns;
mod overleg_disclosure;
mod overleg_reach;
mod overleg_wishes;
mod pages_applications;
mod pages_axe;
mod pages_chain;
mod pages_doelgroep;
mod pages_foundation;
mod pages_keyboard;
mod pages_overleg;
mod pages_provision;
mod pages_regie;
mod pages_signalling;
mod paging_lists;
mod poison;
mod privacy;
mod projection_sets;
mod read_tables;
mod relay;
mod resilience;
mod security_application;
mod security_platform;
mod security_provision;
mod security_signalling;
mod settlement;
mod shredding;
mod traces;
mod transport;
mod upcast;
