//! Real PostgreSQL and nats-server processes on free ports, and the services started against them.

mod nats;
mod platform;
mod postgres;
mod tls;

use std::collections::BTreeSet;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

pub use nats::{Nats, NatsUsers};
pub use platform::{Platform, ServiceName, ServiceProcess};
pub use postgres::Postgres;
pub use tls::TestCertificates;

/// A port on 127.0.0.1 that was free a moment ago.
///
/// Chosen below the kernel's ephemeral range, so that a port a server gives up when a test kills it
/// cannot meanwhile become the local end of some outgoing connection (the server could then not
/// start again on it), and never handed out twice in one process.
pub fn free_port() -> u16 {
    static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    let mut handed_out = HANDED_OUT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (low, high) = (20_000, ephemeral_ports_start().min(32_768));
    if high > low + 1_000 {
        let random = RandomState::new();
        for attempt in 0u32..200 {
            let mut hasher = random.build_hasher();
            hasher.write_u32(attempt);
            hasher.write_u32(std::process::id());
            let port = low + (hasher.finish() % u64::from(high - low)) as u16;
            if !handed_out.contains(&port) && TcpListener::bind(("127.0.0.1", port)).is_ok() {
                handed_out.insert(port);
                return port;
            }
        }
    }
    loop {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a free port");
        let port = listener.local_addr().expect("a bound address").port();
        if handed_out.insert(port) {
            return port;
        }
    }
}

/// The first port of `net.ipv4.ip_local_port_range` (32768 unless configured otherwise).
fn ephemeral_ports_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

/// The workspace root.
pub fn workspace_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the workspace")
        .to_path_buf()
}

/// Waits until `port` on loopback accepts a TCP connection.
pub async fn wait_for_port(port: u16, within: Duration) -> anyhow::Result<()> {
    let what = format!("something listening on 127.0.0.1:{port}");
    crate::wait::wait_until(&what, within, || async {
        Ok(tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()
            .map(drop))
    })
    .await
}

/// The last `lines` lines of a log file, for error messages.
pub fn tail(path: &std::path::Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// What a log file gained after it was `offset` bytes long.
fn log_since(path: &std::path::Path, offset: u64) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(text.len());
    String::from_utf8_lossy(&text[start..]).into_owned()
}

/// The length of a file, 0 when it does not exist.
fn file_len(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map(|meta| meta.len()).unwrap_or(0)
}
