//! A throw-away nats-server with JetStream.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use tempfile::TempDir;

use super::{free_port, tail, wait_for_port, workspace_dir};

/// A nats-server with JetStream on free loopback ports, storing in a temporary directory; killed
/// and removed on drop.
pub struct Nats {
    port: u16,
    monitor_port: u16,
    dir: TempDir,
    child: Option<Child>,
}

impl Nats {
    pub async fn start() -> Result<Nats> {
        let dir = tempfile::Builder::new()
            .prefix("kindpakket-nats-")
            .tempdir()?;
        let mut nats = Nats {
            port: free_port(),
            monitor_port: free_port(),
            dir,
            child: None,
        };
        nats.launch().await?;
        Ok(nats)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn monitor_port(&self) -> u16 {
        self.monitor_port
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// SIGKILL; the store stays.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub async fn start_again(&mut self) -> Result<()> {
        self.launch().await
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("nats.log")
    }

    async fn launch(&mut self) -> Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())?;
        let child = Command::new(nats_server_binary())
            .args(["-js", "-a", "127.0.0.1"])
            .args(["-p", &self.port.to_string()])
            .args(["-m", &self.monitor_port.to_string()])
            .arg("-sd")
            .arg(self.dir.path().join("jetstream"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context(
                "starting nats-server (run scripts/install-deps.sh, or set KINDPAKKET_NATS_SERVER)",
            )?;
        self.child = Some(child);
        wait_for_port(self.port, Duration::from_secs(20))
            .await
            .with_context(|| {
                format!("nats-server did not start:\n{}", tail(&self.log_path(), 30))
            })?;
        let health = format!(
            "http://127.0.0.1:{}/healthz?js-enabled-only=true",
            self.monitor_port
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(response) = reqwest::get(&health).await {
                if response.status().is_success() {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                bail!("JetStream is not ready:\n{}", tail(&self.log_path(), 30));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `KINDPAKKET_NATS_SERVER`, else the pinned server under `.tools/bin`, else `nats-server` on PATH.
pub fn nats_server_binary() -> PathBuf {
    if let Ok(path) = std::env::var("KINDPAKKET_NATS_SERVER") {
        return PathBuf::from(path);
    }
    let pinned = workspace_dir().join(".tools/bin/nats-server");
    if pinned.exists() {
        return pinned;
    }
    PathBuf::from("nats-server")
}
