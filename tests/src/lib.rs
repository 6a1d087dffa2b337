//! End-to-end testing of the Kindpakket platform, against real processes.
//!
//! - [`harness`]: throw-away PostgreSQL clusters and nats-servers on free loopback ports, and the
//!   service binaries started as child processes against them; everything is killed and removed on drop;
//! - [`client`]: the platform's HTTP APIs, spoken as the organisations of the flow speak them;
//! - [`inspect`]: what each store and each stream holds, to prove that nothing was lost or doubled.
//!
//! The `kindpakket-demo` binary uses [`client`] to load a demo gemeente into a running platform.

pub mod client;
pub mod harness;
pub mod inspect;

pub use harness::{Nats, NatsUsers, Platform, Postgres, ServiceName, ServiceProcess};
