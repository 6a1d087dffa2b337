//! Plumbing shared by the Kindpakket services. Domain rules never live here.
//!
//! - [`calendar`]: working days under the Algemene termijnenwet (Dutch public holidays, Easter
//!   computed), for response times;
//! - [`auth`]: bearer tokens (JWT) checked for signature, issuer, audience, validity and lifetime;
//! - `dev_issuer` (feature `dev-issuer`, never in production): signs test tokens;
//! - [`clock`]: the date and time the domain acts on, movable ahead for rehearsals and tests;
//! - [`config`]: the service configuration: a TOML file and `KINDPAKKET_*` variables, checked at start;
//! - [`telemetry`]: structured logs with `tracing`, and OpenTelemetry traces exported by OTLP when
//!   `OTEL_EXPORTER_OTLP_ENDPOINT` is set;
//! - [`trace_context`]: the W3C trace context from HTTP into event metadata, onto NATS headers and
//!   into the consumer's span, so one family's case is one trace across services;
//! - [`db`]: connecting to a service's own database (created when missing) and running migrations;
//! - [`store`]: the event store (postgres-es's events table plus a global position) and the
//!   metadata every command writes onto its events;
//! - [`relay`]: tails the event store in commit order and publishes every committed event to JetStream
//!   with a stable message id; nothing a crash can skip;
//! - [`nats`]: connecting to NATS and declaring the streams;
//! - [`consume`]: durable JetStream consumers that apply each event exactly once per aggregate sequence,
//!   with the offset in the same transaction as the change;
//! - [`http`]: the HTTP conventions (NL GOV API design rules): problem+json errors in Dutch, strict JSON,
//!   the acting organisation and role, correlation ids, OpenAPI documents, health.
//! - [`free_text`]: free text kept short and refused when it names a person (BSN, IBAN, e-mail, phone);
//! - [`idempotency`]: the same command twice is a no-op, the same id with other data a refusal;
//! - [`refusal`]: how the domain says no ([`refusal::Refusal`]), without knowing HTTP;
//! - [`locks`]: advisory locks for invariants that span aggregates;
//! - [`ratelimit`]: a request budget per caller;
//! - [`reference`]: an organisation's own reference of a child or household, reversible only for
//!   that organisation and kind;
//! - [`shredding`]: fields about a person sealed under that person's key, destroyed to forget them;
//! - [`metrics`]: Prometheus metrics at `/metrics` (HTTP, commands, relay, consumers, parked events);
//! - [`service`]: starting a service: config, pool, NATS, relay, consumers, jobs and router, until
//!   stopped.

pub mod auth;
pub mod calendar;
pub mod clock;
pub mod config;
pub mod consume;
pub mod db;
#[cfg(any(test, feature = "dev-issuer"))]
pub mod dev_issuer;
pub mod free_text;
pub mod http;
pub mod idempotency;
pub mod locks;
pub mod metrics;
pub mod nats;
pub mod ratelimit;
pub mod reference;
pub mod refusal;
pub mod relay;
pub mod service;
pub mod shredding;
pub mod store;
pub mod telemetry;
pub mod trace_context;
