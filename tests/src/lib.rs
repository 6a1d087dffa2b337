//! End-to-end testing of the Kindpakket platform, against real processes.
//!
//! - [`browser`]: headless Chromium for the server-rendered pages, with axe-core, screenshots at
//!   desktop and phone widths, and a check that nothing scrolls sideways;
//! - [`harness`]: throw-away PostgreSQL clusters and nats-servers on free loopback ports, and the
//!   service binaries started as child processes against them; everything is killed and removed on drop;
//! - [`client`]: the platform's HTTP APIs, spoken as the organisations of the flow speak them;
//! - [`inspect`]: what each store and each stream holds, to prove that nothing was lost or doubled;
//! - [`wait`]: waiting until what a test expects is there, failing with what it saw last;
//! - [`national`]: a seeded synthetic national year, sent through the services' command paths;
//! - [`measure`]: raw baselines (pgbench, JetStream) and the helpers of the benches.
//!
//! The `kindpakket-demo` binary uses [`client`] to load a demo gemeente into a running platform.

// Test support: a harness that cannot start a server, or a probe that cannot read a stream, ends
// the test at once with the reason.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support fails the test with its reason"
)]

pub mod browser;
pub mod client;
pub mod disclosure_attack;
pub mod harness;
pub mod inspect;
pub mod measure;
pub mod national;
pub mod overleg;
pub mod pages;
pub mod wait;

pub use harness::{Nats, NatsUsers, Platform, Postgres, ServiceName, ServiceProcess};
pub use wait::{wait_until, when};

/// This year, as the services see it (`kindpakket_platform::clock`): a test that acts today
/// publishes this year's regeling, so that it passes in any year, not only the one it was written in.
pub fn this_year() -> i32 {
    kindpakket_platform::clock::today().year()
}

/// A day of this year, from its month and day (`"03-01"`): `"2027-03-01"` in 2027.
pub fn this_year_on(month_day: &str) -> String {
    format!("{}-{month_day}", this_year())
}

/// A random marker of `length` lowercase letters, to find a test's free text again in stores and
/// streams. Letters only: hexadecimal digits can form a run the free-text check rightly refuses as
/// a BSN or a telephone number (eight digits passing the 11-proef come up about once in 500 runs).
pub fn text_marker(length: usize) -> String {
    let mut letters = String::with_capacity(length);
    while letters.len() < length {
        for byte in uuid::Uuid::new_v4().as_bytes() {
            if letters.len() == length {
                break;
            }
            letters.push(char::from(b'a' + byte % 26));
        }
    }
    letters
}
