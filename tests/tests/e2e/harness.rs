//! The harness itself: a throw-away PostgreSQL and nats-server start, answer, survive a kill, and
//! leave nothing behind.

use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use kindpakket_tests::{Nats, Postgres};

fn accepts_connections(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500)).is_ok()
}

fn psql(postgres: &Postgres, sql: &str) -> String {
    let output = Command::new(postgres.bin_dir().join("psql"))
        .args(["-h", "127.0.0.1", "-p", &postgres.port().to_string()])
        .args(["-U", "postgres", "-d", "postgres", "-Atc", sql])
        .output()
        .expect("running psql");
    assert!(
        output.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[tokio::test]
async fn postgres_starts_and_accepts_queries() {
    let mut postgres = Postgres::start().await.unwrap();
    assert_eq!(psql(&postgres, "select 41+1"), "42");
    assert_eq!(
        postgres.url("kindpakket_regie"),
        format!(
            "postgres://postgres@127.0.0.1:{}/kindpakket_regie",
            postgres.port()
        )
    );
    assert_eq!(psql(&postgres, "show server_encoding"), "UTF8");

    // What was committed before a crash is there after it.
    psql(
        &postgres,
        "create table survivor (id int); insert into survivor values (7)",
    );
    postgres.kill();
    assert!(!accepts_connections(postgres.port()));
    postgres.start_again().await.unwrap();
    assert_eq!(psql(&postgres, "select id from survivor"), "7");
    postgres.restart().await.unwrap();
    assert_eq!(psql(&postgres, "select count(*) from survivor"), "1");

    let port = postgres.port();
    let dir = postgres.dir().to_path_buf();
    drop(postgres);
    assert!(!accepts_connections(port), "port {port} still open");
    assert!(!dir.exists(), "{} still exists", dir.display());
}

#[tokio::test]
async fn nats_starts_with_jetstream_enabled() {
    let mut nats = Nats::start().await.unwrap();
    assert_eq!(nats.url(), format!("nats://127.0.0.1:{}", nats.port()));
    assert!(accepts_connections(nats.port()));
    let jsz = jetstream_info(&nats).await;
    let store_dir = jsz["config"]["store_dir"].as_str().unwrap_or_default();
    assert!(
        Path::new(store_dir).starts_with(nats.store_dir()),
        "JetStream stores in {store_dir:?}, not under {}: {jsz}",
        nats.store_dir().display()
    );
    assert!(
        jsz["config"]["max_storage"].as_i64().unwrap_or_default() > 0,
        "{jsz}"
    );

    let port = nats.port();
    nats.kill();
    assert!(!accepts_connections(port));
    nats.start_again().await.unwrap();
    assert_eq!(nats.port(), port);
    assert!(accepts_connections(port));
    assert!(jetstream_info(&nats).await["config"]["store_dir"].is_string());

    let store = nats.store_dir();
    drop(nats);
    assert!(!accepts_connections(port), "port {port} still open");
    assert!(!store.exists(), "{} still exists", store.display());
}

async fn jetstream_info(nats: &Nats) -> serde_json::Value {
    let response = reqwest::get(format!("http://127.0.0.1:{}/jsz", nats.monitor_port()))
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.unwrap()
}
