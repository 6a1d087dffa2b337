//! The dashboard: projections of all four streams into read-model tables, and the funnel
//! (gesignaleerd → aangevraagd → toegekend → bediend) per gemeente and per partner, as JSON and as a
//! Dutch page for the kwartaaloverleg.
//!
//! - [`projections`]: the event handler and its tables (facts, not counters, so they can be sliced
//!   later and rebuilt from the streams);
//! - [`funnel`]: the figures, counted in children;
//! - [`http`]: the JSON API and the HTML page;
//! - [`startup`] wires the parts together.

pub mod funnel;
pub mod http;
pub mod projections;
pub mod startup;
