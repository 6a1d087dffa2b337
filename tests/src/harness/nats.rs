//! A throw-away nats-server with JetStream.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use tempfile::TempDir;

use super::{file_len, free_port, log_since, tail, workspace_dir};

/// How long a start may take, including JetStream recovering its store after [`Nats::kill`].
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The environment variable the servers read their store encryption key from (never the file).
pub const STORE_KEY_VARIABLE: &str = "KINDPAKKET_NATS_STORE_KEY";

/// The `jetstream {}` block of every test server: file storage in `store_dir`, encrypted at rest
/// as in production (`deploy/nats/`), with the key from the server's environment.
fn jetstream_block(store_dir: &std::path::Path, extra: &str) -> String {
    format!(
        "jetstream {{\n  store_dir: \"{}\"\n  cipher: chachapoly\n  key: ${STORE_KEY_VARIABLE}\n{extra}}}\n",
        store_dir.display()
    )
}

/// A nats-server with JetStream on free loopback ports, storing in a temporary directory; killed
/// and removed on drop.
pub struct Nats {
    port: u16,
    monitor_port: u16,
    dir: TempDir,
    child: Option<Child>,
    /// For a node of a cluster: its name and configuration file.
    node: Option<(String, PathBuf)>,
    /// For a server with users: its configuration file and the passwords it reads from its
    /// environment.
    users: Option<(PathBuf, NatsUsers)>,
    /// For a single server without users: its configuration file.
    config: Option<PathBuf>,
    /// The key JetStream encrypts its store with, given to the server in its environment.
    store_key: String,
}

/// The users of `deploy/nats/users.conf` with the random passwords a server was started with.
#[derive(Debug, Clone)]
pub struct NatsUsers {
    passwords: Vec<(String, String)>,
}

impl NatsUsers {
    /// The users the file names: one per service and `operator`.
    pub const NAMES: [&'static str; 6] = [
        "regie",
        "signalling",
        "application",
        "provision",
        "dashboard",
        "operator",
    ];

    fn generate() -> Self {
        Self {
            passwords: Self::NAMES
                .iter()
                .map(|name| {
                    (
                        (*name).to_owned(),
                        uuid::Uuid::new_v4().simple().to_string(),
                    )
                })
                .collect(),
        }
    }

    pub fn password(&self, user: &str) -> &str {
        self.passwords
            .iter()
            .find(|(name, _)| name == user)
            .map(|(_, password)| password.as_str())
            .unwrap_or_else(|| panic!("deploy/nats/users.conf has no user {user}"))
    }

    fn environment(&self) -> Vec<(String, String)> {
        self.passwords
            .iter()
            .map(|(name, password)| {
                (
                    format!("KINDPAKKET_NATS_{}_PASSWORD", name.to_uppercase()),
                    password.clone(),
                )
            })
            .collect()
    }
}

impl Nats {
    pub async fn start() -> Result<Nats> {
        let dir = tempfile::Builder::new()
            .prefix("kindpakket-nats-")
            .disable_cleanup(keep_logs())
            .tempdir()?;
        let (port, monitor_port) = (free_port(), free_port());
        let config = dir.path().join("nats.conf");
        std::fs::write(
            &config,
            format!(
                "listen: 127.0.0.1:{port}\nhttp: 127.0.0.1:{monitor_port}\n{}",
                jetstream_block(&dir.path().join("jetstream"), "")
            ),
        )?;
        let mut nats = Nats {
            port,
            monitor_port,
            dir,
            child: None,
            node: None,
            users: None,
            config: Some(config),
            store_key: new_store_key(),
        };
        nats.launch().await?;
        Ok(nats)
    }

    /// A server that admits only the users of `deploy/nats/users.conf`, with the subject
    /// permissions that file gives them (the file is copied next to the configuration unchanged).
    ///
    /// With certificates, clients must connect over TLS: the server certificate and key are
    /// copied next to the configuration, and [`Nats::tls_ca`] gives the CA clients verify with.
    pub async fn start_with_users(tls: Option<&super::TestCertificates>) -> Result<Nats> {
        let dir = tempfile::Builder::new()
            .prefix("kindpakket-nats-")
            .disable_cleanup(keep_logs())
            .tempdir()?;
        let tls_block = match tls {
            Some(certificates) => {
                std::fs::copy(
                    certificates.server_certificate(),
                    dir.path().join("server.pem"),
                )?;
                std::fs::copy(certificates.server_key(), dir.path().join("server.key"))?;
                std::fs::copy(certificates.ca(), dir.path().join("ca.pem"))?;
                format!(
                    "tls {{\n  cert_file: \"{}\"\n  key_file: \"{}\"\n}}\n",
                    dir.path().join("server.pem").display(),
                    dir.path().join("server.key").display()
                )
            }
            None => String::new(),
        };
        let (port, monitor_port) = (free_port(), free_port());
        std::fs::copy(
            workspace_dir().join("deploy/nats/users.conf"),
            dir.path().join("users.conf"),
        )
        .context("copying deploy/nats/users.conf")?;
        let config = dir.path().join("nats.conf");
        std::fs::write(
            &config,
            format!(
                "listen: 127.0.0.1:{port}\nhttp: 127.0.0.1:{monitor_port}\n{}include users.conf\n{tls_block}",
                jetstream_block(&dir.path().join("jetstream"), ""),
            ),
        )?;
        let mut nats = Nats {
            port,
            monitor_port,
            dir,
            child: None,
            node: None,
            users: Some((config, NatsUsers::generate())),
            config: None,
            store_key: new_store_key(),
        };
        nats.launch().await?;
        Ok(nats)
    }

    /// The CA of the server's certificate, when it requires TLS.
    pub fn tls_ca(&self) -> Option<PathBuf> {
        let ca = self.dir.path().join("ca.pem");
        ca.exists().then_some(ca)
    }

    /// The users and passwords, for a server started with [`Nats::start_with_users`].
    pub fn users(&self) -> Option<&NatsUsers> {
        self.users.as_ref().map(|(_, users)| users)
    }

    /// A JetStream cluster of `size` nodes on loopback, configured as production is: every node
    /// `sync_interval: always`, routes to all. Streams get their replicas from the services.
    pub async fn start_cluster(size: usize) -> Result<Vec<Nats>> {
        let cluster_ports: Vec<u16> = (0..size).map(|_| free_port()).collect();
        let routes: Vec<String> = cluster_ports
            .iter()
            .map(|port| format!("nats-route://127.0.0.1:{port}"))
            .collect();
        let mut nodes = Vec::with_capacity(size);
        for (index, cluster_port) in cluster_ports.iter().enumerate() {
            let dir = tempfile::Builder::new()
                .prefix("kindpakket-nats-node-")
                .disable_cleanup(keep_logs())
                .tempdir()?;
            let name = format!("kindpakket-node-{}", index + 1);
            let (port, monitor_port) = (free_port(), free_port());
            let config = dir.path().join("nats.conf");
            std::fs::write(
                &config,
                format!(
                    "server_name: {name}\nlisten: 127.0.0.1:{port}\nhttp: 127.0.0.1:{monitor_port}\n{}\
                     cluster {{\n  name: kindpakket\n  listen: 127.0.0.1:{cluster_port}\n  routes: [{}]\n}}\n",
                    jetstream_block(&dir.path().join("jetstream"), "  sync_interval: always\n"),
                    routes.join(", ")
                ),
            )?;
            nodes.push(Nats {
                port,
                monitor_port,
                dir,
                child: None,
                node: Some((name, config)),
                users: None,
                config: None,
                store_key: new_store_key(),
            });
        }
        let launches = nodes.iter_mut().map(|node| node.launch());
        futures::future::try_join_all(launches).await?;
        Ok(nodes)
    }

    /// The server name of a cluster node (`kindpakket-node-N`), or none for a single server.
    pub fn server_name(&self) -> Option<&str> {
        self.node.as_ref().map(|(name, _)| name.as_str())
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

    /// Starts it again on the same ports and store, after [`Nats::kill`] (when it still runs, it is
    /// killed first).
    pub async fn start_again(&mut self) -> Result<()> {
        self.kill();
        self.launch().await
    }

    /// The JetStream store directory.
    pub fn store_dir(&self) -> PathBuf {
        self.dir.path().join("jetstream")
    }

    /// The server's log (all starts appended).
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("nats.log")
    }

    /// Starts nats-server and waits until its port accepts connections and JetStream is enabled. A
    /// start that fails because its port is still taken is tried again until [`START_TIMEOUT`].
    async fn launch(&mut self) -> Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let health = format!(
            "http://127.0.0.1:{}/healthz?js-enabled-only=true",
            self.monitor_port
        );
        let binary = nats_server_binary();
        loop {
            let log_path = self.log_path();
            let offset = file_len(&log_path);
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log_path)?;
            let mut command = Command::new(&binary);
            command.env(STORE_KEY_VARIABLE, &self.store_key);
            match (&self.node, &self.users, &self.config) {
                (Some((_, config)), _, _) | (None, None, Some(config)) => {
                    command.arg("-c").arg(config);
                }
                (None, Some((config, users)), _) => {
                    command.arg("-c").arg(config).envs(users.environment());
                }
                (None, None, None) => bail!("a nats-server needs its configuration file"),
            }
            let child = command
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .with_context(|| {
                    format!(
                        "starting {} (run scripts/install-deps.sh, or set KINDPAKKET_NATS_SERVER)",
                        binary.display()
                    )
                })?;
            self.child = Some(child);
            let exited = loop {
                if let Some(status) = self
                    .child
                    .as_mut()
                    .and_then(|c| c.try_wait().ok().flatten())
                {
                    self.child = None;
                    break status;
                }
                if self.is_ready(&client, &health).await {
                    return Ok(());
                }
                if Instant::now() > deadline {
                    self.kill();
                    bail!(
                        "nats-server on port {} not ready (JetStream enabled) after {START_TIMEOUT:?}:\n{}",
                        self.port,
                        tail(&log_path, 30)
                    );
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            if !log_since(&log_path, offset).contains("already in use") || Instant::now() > deadline
            {
                bail!(
                    "nats-server on port {} exited with {exited}:\n{}",
                    self.port,
                    tail(&log_path, 30)
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn is_ready(&self, client: &reqwest::Client, health: &str) -> bool {
        if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            return false;
        }
        match client.get(health).send().await {
            Ok(response) => response.status().is_success(),
            Err(_) => false,
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.kill();
    }
}

/// With `KINDPAKKET_KEEP_LOGS` set, a server's folder (its log, configuration and store) stays after
/// the test, as the services' logs do, for reading.
fn keep_logs() -> bool {
    std::env::var_os("KINDPAKKET_KEEP_LOGS").is_some()
}

/// A fresh store encryption key: two random UUIDs (244 random bits), hex.
fn new_store_key() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
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
