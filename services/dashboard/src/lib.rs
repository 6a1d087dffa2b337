//! The dashboard: projections of all four streams into read-model tables, and the funnel
//! (gesignaleerd → aangevraagd → toegekend → bediend) per gemeente and per partner, as JSON and as a
//! Dutch page for the kwartaaloverleg. It shows flows, never lists of children.
//!
//! - [`projections`]: the event handler and its tables (facts, not counters, so they can be sliced
//!   later and rebuilt from the streams), and [`projections::funnel`], the figures counted in
//!   children, built under a disclosure policy ([`projections::funnel::disclosure`]: exact, or
//!   without small counts for the overleg);
//! - [`http`]: the JSON API (`/api/v1/trechter`, `/api/v1/gemeenten/{gemeente}/trechter`, in
//!   [`http::api`]) and the page with its login (`/`, `/inloggen`, `/uitloggen`, in [`http::page`];
//!   its askama templates are in `templates/`);
//! - [`sessions`]: the page's own server-side sessions (the cookie holds a random id, never a token);
//! - [`startup`] reads the dashboard's own configuration and wires the parts together;
//! - [`rebuild`]: `kindpakket-dashboard rebuild` clears the read model for a replay of the streams;
//! - [`web`]: the front doors, a page for every role's daily work (the platform's backend-for-frontend).

pub mod http;
pub mod projections;
pub mod rebuild;
pub mod rebuilding;
pub mod sessions;
pub mod startup;
pub mod web;
