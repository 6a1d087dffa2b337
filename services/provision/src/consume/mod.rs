//! Other services' events, turned into this service's commands and read models.
//!
//! - [`application`]: every grant on the application stream opens its entitlements (idempotently: a
//!   redelivered grant opens nothing twice); a forgotten child or household is forgotten here too;
//! - [`regie`]: enrolments and regeling versions on the regie stream, kept in
//!   [`crate::read_models`];
//! - [`own`]: this service's own stream, into the work lists of declarations and invoices, and the
//!   partners' feed;
//! - [`signalling`]: the signalling stream, for the partners' feed: referrals routed to a partner.

pub mod application;
pub mod own;
pub mod regie;
pub mod signalling;

pub use application::ApplicationHandler;
pub use own::OwnHandler;
pub use regie::RegieHandler;
pub use signalling::SignallingHandler;
