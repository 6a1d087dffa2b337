//! Other services' events, turned into this service's commands and read models.
//!
//! - [`grants`]: every grant on the application stream opens its entitlements (idempotently: a
//!   redelivered grant opens nothing twice);
//! - [`regie`]: enrolments and regeling versions on the regie stream, kept in
//!   [`crate::read_models`].

pub mod grants;
pub mod regie;

pub use grants::GrantsHandler;
pub use regie::RegieHandler;
