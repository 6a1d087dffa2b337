//! The five services as child processes against a throw-away Postgres and nats-server.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::wait::GiveUp;

use anyhow::{bail, Context, Result};
use tempfile::TempDir;

use super::{free_port, tail, Nats, Postgres};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServiceName {
    Regie,
    Signalling,
    Application,
    Provision,
    Dashboard,
}

impl ServiceName {
    pub const ALL: [ServiceName; 5] = [
        ServiceName::Regie,
        ServiceName::Signalling,
        ServiceName::Application,
        ServiceName::Provision,
        ServiceName::Dashboard,
    ];

    pub fn binary(&self) -> &'static str {
        match self {
            ServiceName::Regie => "kindpakket-regie",
            ServiceName::Signalling => "kindpakket-signalling",
            ServiceName::Application => "kindpakket-application",
            ServiceName::Provision => "kindpakket-provision",
            ServiceName::Dashboard => "kindpakket-dashboard",
        }
    }

    /// The service's NATS user in `deploy/nats/users.conf`.
    pub fn nats_user(&self) -> &'static str {
        match self {
            ServiceName::Regie => "regie",
            ServiceName::Signalling => "signalling",
            ServiceName::Application => "application",
            ServiceName::Provision => "provision",
            ServiceName::Dashboard => "dashboard",
        }
    }

    /// The service's own Postgres role, which runs it with least privilege (the `postgres`
    /// superuser only migrates and grants); named as its database.
    pub fn role(&self) -> &'static str {
        self.database()
    }

    pub fn database(&self) -> &'static str {
        match self {
            ServiceName::Regie => "kindpakket_regie",
            ServiceName::Signalling => "kindpakket_signalling",
            ServiceName::Application => "kindpakket_application",
            ServiceName::Provision => "kindpakket_provision",
            ServiceName::Dashboard => "kindpakket_dashboard",
        }
    }
}

/// One running service binary.
pub struct ServiceProcess {
    name: ServiceName,
    port: u16,
    base_url: String,
    environment: Vec<(String, String)>,
    log_path: PathBuf,
    child: Option<Child>,
}

impl ServiceProcess {
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The process id while it runs (for its memory in /proc).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL, as a crash.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, as an orchestrator stops it, and waits up to `within` for it to exit; gives its exit
    /// status (an error when it did not exit in time: then it is killed).
    pub async fn terminate(&mut self, within: Duration) -> Result<std::process::ExitStatus> {
        let Some(mut child) = self.child.take() else {
            bail!("{} is not running", self.name.binary());
        };
        let pid = rustix::process::Pid::from_raw(child.id() as i32).context("a child's pid")?;
        rustix::process::kill_process(pid, rustix::process::Signal::TERM)
            .context("sending SIGTERM")?;
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "{} did not stop within {within:?} of SIGTERM",
                    self.name.binary()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sets (or replaces) one environment variable of the service for its next start.
    pub fn set_environment(&mut self, key: &str, value: &str) {
        self.environment.retain(|(existing, _)| existing != key);
        self.environment.push((key.to_owned(), value.to_owned()));
    }

    /// Removes one environment variable of the service for its next start.
    pub fn remove_environment(&mut self, key: &str) {
        self.environment.retain(|(existing, _)| existing != key);
    }

    /// Runs the service's binary with `args` and its environment (changed by `changes`: a `None`
    /// value removes the variable), waits for it to exit, and gives its exit status and output.
    pub fn run_once(
        &self,
        args: &[&str],
        changes: &[(&str, Option<&str>)],
    ) -> Result<(std::process::ExitStatus, String)> {
        let mut environment = self.environment.clone();
        for (key, value) in changes {
            environment.retain(|(existing, _)| existing != key);
            if let Some(value) = value {
                environment.push(((*key).to_owned(), (*value).to_owned()));
            }
        }
        let output = Command::new(binary_dir()?.join(self.name.binary()))
            .args(args)
            .env_clear()
            .envs(environment)
            .output()?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        Ok((output.status, text))
    }

    /// Starts it again on the same port with the same configuration, and waits until healthy.
    /// (When it still runs, it is killed first.)
    pub async fn start_again(&mut self) -> Result<()> {
        self.kill();
        self.launch()?;
        self.wait_healthy(Duration::from_secs(60)).await
    }

    fn launch(&mut self) -> Result<()> {
        let binary = binary_dir()?.join(self.name.binary());
        if !binary.exists() {
            bail!(
                "binary {} not found in {}: run `cargo build --workspace --bins` first",
                self.name.binary(),
                binary_dir()?.display()
            );
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)?;
        let child = Command::new(&binary)
            .envs(
                self.environment
                    .iter()
                    .map(|(key, value)| (key.as_str(), value.as_str())),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        self.child = Some(child);
        Ok(())
    }

    async fn wait_healthy(&mut self, within: Duration) -> Result<()> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let url = format!("{}/health", self.base_url);
        let binary = self.name.binary();
        let log_path = self.log_path.clone();
        let child = &mut self.child;
        let healthy = crate::wait::wait_until(&format!("{binary} healthy"), within, || {
            let exited = child
                .as_mut()
                .and_then(|child| child.try_wait().ok().flatten());
            let request = client.get(&url).send();
            async move {
                if let Some(status) = exited {
                    return Err(GiveUp(format!("exited with {status}")).into());
                }
                let response = request.await?;
                Ok(response.status().is_success().then_some(()))
            }
        })
        .await;
        healthy.map_err(|error| anyhow::anyhow!("{error:#}:\n{}", tail(&log_path, 40)))
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The development issuer's login, running for a test; killed when dropped.
pub struct LoginIssuer {
    child: Child,
    pub url: String,
}

impl Drop for LoginIssuer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The checkout's root (where `deploy/` and `.tools/` are).
pub fn workspace_root() -> Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .context("the tests crate lives in the workspace")
}

/// The whole platform: Postgres, NATS and the five services.
pub struct Platform {
    // Field order is drop order: the services stop before NATS and Postgres.
    services: Vec<ServiceProcess>,
    /// The NATS server (the first node of a cluster).
    pub nats: Nats,
    other_nats_nodes: Vec<Nats>,
    pub postgres: Postgres,
    http: reqwest::Client,
    logs: TempDir,
    /// The development issuer whose keys the services trust; tests sign their tokens with it.
    pub issuer: std::sync::Arc<kindpakket_platform::dev_issuer::DevIssuer>,
    /// The provision service's `KINDPAKKET_PSEUDONYM_KEY`, behind the partners' own ids.
    pub pseudonym_key: String,
    /// Where the dashboard expects its login (the development issuer, see `start_login`).
    issuer_port: u16,
}

impl Platform {
    pub async fn start() -> Result<Platform> {
        let (postgres, nats) = tokio::try_join!(Postgres::start(), Nats::start())?;
        Self::start_services(postgres, nats, Vec::new(), 1, &[]).await
    }

    /// [`Platform::start`], with `environment` added to every service's (e.g. an OTLP endpoint).
    pub async fn start_with_environment(environment: &[(&str, &str)]) -> Result<Platform> {
        let (postgres, nats) = tokio::try_join!(Postgres::start(), Nats::start())?;
        Self::start_services(postgres, nats, Vec::new(), 1, environment).await
    }

    /// As [`Platform::start`], on a Postgres with fsync on ([`Postgres::start_durable`]): for the
    /// benchmarks.
    pub async fn start_durable() -> Result<Platform> {
        let (postgres, nats) = tokio::try_join!(Postgres::start_durable(), Nats::start())?;
        Self::start_services(postgres, nats, Vec::new(), 1, &[]).await
    }

    /// Restarts every service with a per-caller rate limit too high to reach: for the benchmarks
    /// and the generator, whose many clients all act as a handful of organisations.
    pub async fn without_rate_limits(&mut self) -> Result<()> {
        self.restart_with_environment(&[
            ("KINDPAKKET_RATE_PER_SECOND", "1000000"),
            ("KINDPAKKET_RATE_BURST", "1000000"),
        ])
        .await
    }

    /// Restarts every service with its clock moved to 31 December of this year
    /// (`KINDPAKKET_CLOCK_OFFSET_DAYS`), and gives the year: for the generator, whose year must lie
    /// in the past for its deliveries and declarations while its regeling is still in force for the
    /// discounts regie agrees (a discount is agreed against the regeling in force on the day).
    pub async fn at_year_end(&mut self) -> Result<i32> {
        let today = kindpakket_platform::clock::today();
        let days = crate::national::days_to_year_end(today);
        self.restart_with_environment(&[("KINDPAKKET_CLOCK_OFFSET_DAYS", &days.to_string())])
            .await?;
        Ok(today.year())
    }

    /// Restarts every service with its clock moved to 1 January of next year, and gives this year:
    /// for the generator's year end, after [`Platform::at_year_end`].
    pub async fn at_new_year(&mut self) -> Result<i32> {
        let today = kindpakket_platform::clock::today();
        let days = crate::national::days_to_year_end(today) + 1;
        self.restart_with_environment(&[("KINDPAKKET_CLOCK_OFFSET_DAYS", &days.to_string())])
            .await?;
        Ok(today.year())
    }

    /// Restarts every service with `environment` added to its own.
    pub async fn restart_with_environment(&mut self, environment: &[(&str, &str)]) -> Result<()> {
        for service in &mut self.services {
            for (key, value) in environment {
                service.set_environment(key, value);
            }
            service.start_again().await?;
        }
        Ok(())
    }

    /// The platform on a NATS server that admits only the users of `deploy/nats/users.conf`:
    /// every service connects as its own user, with only the subjects that file allows it.
    pub async fn start_with_nats_users() -> Result<Platform> {
        let (postgres, nats) = tokio::try_join!(Postgres::start(), Nats::start_with_users(None))?;
        Self::start_services(postgres, nats, Vec::new(), 1, &[]).await
    }

    /// As production runs: NATS with the users of `deploy/nats/users.conf`, and both NATS and
    /// Postgres accepting TLS connections only, with certificates of a throw-away CA that the
    /// services are given to verify them.
    pub async fn start_secured() -> Result<Platform> {
        let certificates = super::TestCertificates::generate()?;
        let (mut postgres, nats) = tokio::try_join!(
            Postgres::start(),
            Nats::start_with_users(Some(&certificates))
        )?;
        postgres.require_tls(&certificates).await?;
        Self::start_services(postgres, nats, Vec::new(), 1, &[]).await
    }

    /// The platform on a three-node JetStream cluster with R3 streams, as in production.
    pub async fn start_clustered() -> Result<Platform> {
        let (postgres, mut nodes) = tokio::try_join!(Postgres::start(), Nats::start_cluster(3))?;
        let first = nodes.remove(0);
        Self::start_services(postgres, first, nodes, 3, &[]).await
    }

    /// Every NATS server of the platform, comma-separated (one, or the cluster's three).
    pub fn nats_urls(&self) -> String {
        std::iter::once(&self.nats)
            .chain(&self.other_nats_nodes)
            .map(Nats::url)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Every node of the cluster (just the one server when not clustered).
    pub fn nats_nodes_mut(&mut self) -> Vec<&mut Nats> {
        std::iter::once(&mut self.nats)
            .chain(self.other_nats_nodes.iter_mut())
            .collect()
    }

    /// Every node of the cluster (just the one server when not clustered).
    pub fn nats_nodes(&self) -> Vec<&Nats> {
        std::iter::once(&self.nats)
            .chain(&self.other_nats_nodes)
            .collect()
    }

    /// What went on behind a failed wait, for its message: what each NATS node holds of `stream`
    /// (its own replica's state, who it thinks leads, its consumers), and the last lines of every
    /// node's log and of the services' logs that speak of NATS, the relay or a consumer.
    pub async fn nats_report(&self, stream: &str) -> String {
        let mut report = String::new();
        for node in self.nats_nodes() {
            let name = node.server_name().unwrap_or("nats").to_owned();
            let url = format!(
                "http://127.0.0.1:{}/jsz?accounts=true&streams=true&consumers=true",
                node.monitor_port()
            );
            let answer = async {
                let response = self.http.get(&url).send().await?.error_for_status()?;
                anyhow::Ok(response.json::<serde_json::Value>().await?)
            };
            let line = match tokio::time::timeout(Duration::from_secs(5), answer).await {
                Ok(Ok(jsz)) => node_stream_state(&jsz, stream),
                Ok(Err(error)) => format!("no answer: {error:#}"),
                Err(_) => "no answer within 5 s".to_owned(),
            };
            report.push_str(&format!("{name} (port {}): {line}\n", node.port()));
        }
        for node in self.nats_nodes() {
            // Starts, leaders, catch-ups, warnings and errors; not the start-up banners.
            let log = std::fs::read_to_string(node.log_path()).unwrap_or_default();
            let lines: Vec<&str> = log
                .lines()
                .filter(|line| {
                    [
                        "[WRN]",
                        "[ERR]",
                        "leader",
                        "atchup",
                        "Restored",
                        "Starting nats-server",
                    ]
                    .iter()
                    .any(|word| line.contains(word))
                })
                .collect();
            report.push_str(&format!(
                "--- log of {} ---\n{}\n",
                node.server_name().unwrap_or("nats"),
                lines[lines.len().saturating_sub(25)..].join("\n")
            ));
        }
        for service in &self.services {
            let log = std::fs::read_to_string(&service.log_path).unwrap_or_default();
            let lines: Vec<&str> = log
                .lines()
                .filter(|line| {
                    ["relay", "consumer", "nats", "stream"]
                        .iter()
                        .any(|word| line.contains(word))
                })
                .collect();
            report.push_str(&format!(
                "--- {} (lines about nats, relay, consumers) ---\n{}\n",
                service.name.binary(),
                lines[lines.len().saturating_sub(15)..].join("\n")
            ));
        }
        report
    }

    async fn start_services(
        postgres: Postgres,
        nats: Nats,
        other_nats_nodes: Vec<Nats>,
        replicas: usize,
        extra_environment: &[(&str, &str)],
    ) -> Result<Platform> {
        let nats_urls = std::iter::once(&nats)
            .chain(&other_nats_nodes)
            .map(Nats::url)
            .collect::<Vec<_>>()
            .join(",");
        // With KINDPAKKET_KEEP_LOGS set, the services' logs stay after the test, for reading.
        let logs = tempfile::Builder::new()
            .prefix("kindpakket-logs-")
            .disable_cleanup(std::env::var_os("KINDPAKKET_KEEP_LOGS").is_some())
            .tempdir()?;
        let log_level = std::env::var("TEST_SERVICE_LOG").unwrap_or_else(|_| "info".to_owned());
        let issuer = std::sync::Arc::new(kindpakket_platform::dev_issuer::DevIssuer::open(
            &logs.path().join("issuer"),
        )?);
        let jwks = logs.path().join("issuer").join("jwks.json");
        let master_keys = logs.path().join("master-keys.json");
        kindpakket_platform::shredding::FileMasterKeys::create(&master_keys)?;
        let pseudonym_key = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        create_service_roles(&postgres).await?;
        let ports: Vec<(ServiceName, u16)> = ServiceName::ALL
            .iter()
            .map(|name| (*name, free_port()))
            .collect();
        let url_of = |wanted: ServiceName| {
            ports
                .iter()
                .find(|(name, _)| *name == wanted)
                .map(|(_, port)| format!("http://127.0.0.1:{port}"))
                .unwrap_or_default()
        };
        let issuer_port = free_port();
        let workspace = workspace_root()?;
        let mut services = Vec::new();
        for (name, port) in ports.iter().copied() {
            let mut environment = vec![
                (
                    "KINDPAKKET_HTTP_ADDR".to_owned(),
                    format!("127.0.0.1:{port}"),
                ),
                (
                    "KINDPAKKET_DATABASE_URL".to_owned(),
                    postgres.url_as(name.role(), name.database()),
                ),
                (
                    "KINDPAKKET_MIGRATION_USER".to_owned(),
                    "postgres".to_owned(),
                ),
                ("KINDPAKKET_NATS_URL".to_owned(), nats_urls.clone()),
                (
                    "KINDPAKKET_STREAM_REPLICAS".to_owned(),
                    replicas.to_string(),
                ),
                ("KINDPAKKET_LOG_FORMAT".to_owned(), "json".to_owned()),
                (
                    "KINDPAKKET_AUTH_JWKS".to_owned(),
                    jwks.display().to_string(),
                ),
                ("KINDPAKKET_PSEUDONYM_KEY".to_owned(), pseudonym_key.clone()),
                (
                    "KINDPAKKET_MASTER_KEYS".to_owned(),
                    master_keys.display().to_string(),
                ),
                (
                    "KINDPAKKET_NATS_CA".to_owned(),
                    nats.tls_ca()
                        .map(|ca| ca.display().to_string())
                        .unwrap_or_default(),
                ),
                ("KINDPAKKET_NATS_USER".to_owned(), nats_user(&nats, name).0),
                (
                    "KINDPAKKET_NATS_PASSWORD".to_owned(),
                    nats_user(&nats, name).1,
                ),
                ("RUST_LOG".to_owned(), log_level.clone()),
            ];
            if name == ServiceName::Dashboard {
                // The pages: the services they call, the login (the development issuer that
                // `Platform::start_login` starts on this port), the CSS and the house styles.
                for (key, value) in [
                    ("KINDPAKKET_REGIE_URL", url_of(ServiceName::Regie)),
                    ("KINDPAKKET_SIGNALLING_URL", url_of(ServiceName::Signalling)),
                    (
                        "KINDPAKKET_APPLICATION_URL",
                        url_of(ServiceName::Application),
                    ),
                    ("KINDPAKKET_PROVISION_URL", url_of(ServiceName::Provision)),
                    (
                        "KINDPAKKET_OIDC_ISSUER_URL",
                        format!("http://127.0.0.1:{issuer_port}"),
                    ),
                    ("KINDPAKKET_PUBLIC_URL", format!("http://127.0.0.1:{port}")),
                    (
                        "KINDPAKKET_WEB_ASSETS",
                        workspace
                            .join(".tools/web/node_modules")
                            .display()
                            .to_string(),
                    ),
                    (
                        "KINDPAKKET_HUISSTIJL_DIR",
                        workspace.join("deploy/huisstijl").display().to_string(),
                    ),
                ] {
                    environment.push((key.to_owned(), value));
                }
            }
            environment.extend(
                extra_environment
                    .iter()
                    .map(|(key, value)| ((*key).to_owned(), (*value).to_owned())),
            );
            let mut service = ServiceProcess {
                name,
                port,
                base_url: format!("http://127.0.0.1:{port}"),
                environment,
                log_path: logs.path().join(format!("{}.log", name.binary())),
                child: None,
            };
            service.launch()?;
            services.push(service);
        }
        for service in &mut services {
            service.wait_healthy(Duration::from_secs(60)).await?;
        }
        Ok(Platform {
            services,
            nats,
            other_nats_nodes,
            postgres,
            http: reqwest::Client::new(),
            logs,
            issuer,
            pseudonym_key,
            issuer_port,
        })
    }

    /// Starts the development issuer's login (OpenID Connect with one-click test users) for the
    /// pages, offering `gemeenten` (`("GM0518", "Den Haag")`); stopped when the guard drops.
    pub async fn start_login(&self, gemeenten: &[(&str, &str)]) -> Result<LoginIssuer> {
        self.start_login_with(gemeenten, 3600).await
    }

    /// As [`Platform::start_login`], with access tokens that live `access_seconds` (the pages
    /// refresh them with the refresh token).
    pub async fn start_login_with(
        &self,
        gemeenten: &[(&str, &str)],
        access_seconds: u64,
    ) -> Result<LoginIssuer> {
        let list = gemeenten
            .iter()
            .map(|(code, name)| format!("{code}={name}"))
            .collect::<Vec<_>>()
            .join(",");
        let address = format!("127.0.0.1:{}", self.issuer_port);
        let log = std::fs::File::create(self.logs.path().join("kindpakket-dev-issuer.log"))?;
        let child = Command::new(binary_dir()?.join("kindpakket-dev-issuer"))
            .args(["--dir"])
            .arg(self.issuer_dir())
            .args(["--addr", &address, "--gemeenten", &list])
            .args(["--access-seconds", &access_seconds.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting kindpakket-dev-issuer (cargo build --workspace --bins)")?;
        let guard = LoginIssuer {
            child,
            url: format!("http://{address}"),
        };
        let discovery = format!("{}/.well-known/openid-configuration", guard.url);
        let http = self.http.clone();
        crate::wait::wait_until("the login issuer answers", Duration::from_secs(30), || {
            let request = http.get(&discovery).send();
            async move {
                Ok(request
                    .await
                    .ok()
                    .filter(|r| r.status().is_success())
                    .map(|_| ()))
            }
        })
        .await?;
        Ok(guard)
    }

    pub fn service(&self, name: ServiceName) -> &ServiceProcess {
        self.services
            .iter()
            .find(|service| service.name == name)
            .expect("every service is started")
    }

    pub fn service_mut(&mut self, name: ServiceName) -> &mut ServiceProcess {
        self.services
            .iter_mut()
            .find(|service| service.name == name)
            .expect("every service is started")
    }

    pub fn url(&self, name: ServiceName, path: &str) -> String {
        format!("{}{path}", self.service(name).base_url())
    }

    /// The development issuer's folder (its keys): `kindpakket-dev-issuer --dir` on it signs tokens
    /// these services trust, as `scripts/run.sh`'s issuer does for its services.
    pub fn issuer_dir(&self) -> PathBuf {
        self.logs.path().join("issuer")
    }

    /// A binary built beside the services (`kindpakket-dev-issuer`, `kindpakket-demo`, …).
    pub fn binary_path(name: &str) -> Result<PathBuf> {
        Ok(binary_dir()?.join(name))
    }

    /// How many events `service` has stored.
    pub async fn events_stored(&self, service: ServiceName) -> i64 {
        crate::inspect::store_event_count(&self.postgres.url(service.database()))
            .await
            .unwrap_or(-1)
    }

    /// Waits until every durable consumer of the four streams has nothing pending and nothing
    /// unacknowledged, twice in a row half a second apart (a consumer acknowledges after its
    /// commit, so what it consumed is in its database): the services have taken in what was sent
    /// before, e.g. a routing table set just now before a signal that must follow it.
    pub async fn wait_until_consumed(&self, within: Duration) -> Result<()> {
        use kindpakket_proto::Service;
        let (_, js) = kindpakket_platform::nats::connect(&[self.nats.url()]).await?;
        let deadline = std::time::Instant::now() + within;
        let mut quiet_in_a_row = 0;
        while quiet_in_a_row < 2 {
            if std::time::Instant::now() > deadline {
                bail!("the consumers did not catch up within {within:?}");
            }
            let mut pending = 0;
            for source in [
                Service::Regie,
                Service::Signalling,
                Service::Application,
                Service::Provision,
            ] {
                let stream = js.get_stream(source.stream().name).await?;
                let mut names = stream.consumer_names();
                while let Some(name) = futures::StreamExt::next(&mut names).await {
                    let info = stream.consumer_info(name?).await?;
                    pending += info.num_pending + info.num_ack_pending as u64;
                }
            }
            quiet_in_a_row = if pending == 0 { quiet_in_a_row + 1 } else { 0 };
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Ok(())
    }

    /// Waits until `service`'s stream holds every event of its store exactly once (none missing,
    /// none doubled, none unknown), and gives the comparison.
    pub async fn wait_until_stream_equals_store(
        &self,
        service: kindpakket_proto::Service,
        within: Duration,
    ) -> Result<crate::inspect::StoreVersusStream> {
        let database = self.postgres.url(crate::inspect::database_of(service));
        crate::wait::wait_until(
            &format!("the stream of {service:?} equal to its store"),
            within,
            || async {
                let comparison =
                    crate::inspect::compare(service, &database, &self.nats.url()).await?;
                crate::wait::when(comparison.is_exact(), comparison)
            },
        )
        .await
    }

    /// How many events of `event_type` `service` has stored.
    pub async fn events_of_type(&self, service: ServiceName, event_type: &str) -> Result<i64> {
        let pool = sqlx::PgPool::connect(&self.postgres.url(service.database())).await?;
        let count = sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = $1")
            .bind(event_type)
            .fetch_one(&pool)
            .await?;
        pool.close().await;
        Ok(count)
    }

    /// Runs the operator's `kindpakket-check` against this platform: whether all is in order, and
    /// its report.
    pub fn check(&self) -> Result<(bool, String)> {
        let output = Command::new(binary_dir()?.join("kindpakket-check"))
            .args([
                "--postgres",
                &format!("postgres://postgres@127.0.0.1:{}", self.postgres.port()),
                "--nats",
                &self.nats.url(),
            ])
            .output()
            .context("kindpakket-check runs (cargo build --workspace --bins)")?;
        Ok((
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        ))
    }

    /// How many events the four command services have stored together: what an attack that
    /// "changes nothing" must leave as it was.
    pub async fn events_stored_everywhere(&self) -> i64 {
        let mut total = 0;
        for service in [
            ServiceName::Regie,
            ServiceName::Signalling,
            ServiceName::Application,
            ServiceName::Provision,
        ] {
            total += self.events_stored(service).await;
        }
        total
    }

    /// The platform's APIs, spoken as the organisations of the flow speak them.
    pub fn client(&self) -> crate::client::Kindpakket {
        crate::client::Kindpakket::new(
            self.issuer.clone(),
            crate::client::Endpoints {
                regie: self.url(ServiceName::Regie, ""),
                signalling: self.url(ServiceName::Signalling, ""),
                application: self.url(ServiceName::Application, ""),
                provision: self.url(ServiceName::Provision, ""),
                dashboard: self.url(ServiceName::Dashboard, ""),
            },
        )
        .with_pseudonym_key(self.pseudonym_key.as_bytes())
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn logs_dir(&self) -> &Path {
        self.logs.path()
    }

    /// Starts another instance of a service against the same database and NATS, on a port of its
    /// own (two instances of one service, as in production). It stops when dropped.
    pub async fn another_instance(&self, name: ServiceName) -> Result<ServiceProcess> {
        let original = self.service(name);
        let port = free_port();
        let mut environment = original.environment.clone();
        for (key, value) in &mut environment {
            if key == "KINDPAKKET_HTTP_ADDR" {
                *value = format!("127.0.0.1:{port}");
            }
        }
        let mut instance = ServiceProcess {
            name,
            port,
            base_url: format!("http://127.0.0.1:{port}"),
            environment,
            log_path: self
                .logs
                .path()
                .join(format!("{}-{port}.log", name.binary())),
            child: None,
        };
        instance.launch()?;
        instance.wait_healthy(Duration::from_secs(60)).await?;
        Ok(instance)
    }
}

/// One node's view of `stream` from its `/jsz`: its replica's state, the leader and replicas it
/// knows of, and each consumer's delivered and acknowledged floor.
fn node_stream_state(jsz: &serde_json::Value, stream: &str) -> String {
    let meta_leader = jsz["meta_cluster"]["leader"].as_str().unwrap_or("?");
    let found = jsz["account_details"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|account| account["stream_detail"].as_array())
        .flatten()
        .find(|detail| detail["name"] == stream);
    let Some(detail) = found else {
        return format!("meta leader {meta_leader}; no replica of {stream} here");
    };
    let state = &detail["state"];
    let replicas: Vec<String> = detail["cluster"]["replicas"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|replica| {
            format!(
                "{} current={} offline={} lag={}",
                replica["name"].as_str().unwrap_or("?"),
                replica["current"],
                replica["offline"].as_bool().unwrap_or(false),
                replica["lag"].as_u64().unwrap_or(0)
            )
        })
        .collect();
    let consumers: Vec<String> = detail["consumer_detail"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|consumer| {
            format!(
                "{} leader={} delivered={} ack_floor={} pending={} ack_pending={} \
                 redelivered={} waiting_pulls={}",
                consumer["name"].as_str().unwrap_or("?"),
                consumer["cluster"]["leader"].as_str().unwrap_or("-"),
                consumer["delivered"]["stream_seq"],
                consumer["ack_floor"]["stream_seq"],
                consumer["num_pending"],
                consumer["num_ack_pending"],
                consumer["num_redelivered"],
                consumer["num_waiting"]
            )
        })
        .collect();
    format!(
        "meta leader {meta_leader}; {stream}: messages={} first_seq={} last_seq={} deleted={} \
         lost={}; leader {}; replicas [{}]; consumers [{}]",
        state["messages"],
        state["first_seq"],
        state["last_seq"],
        state["num_deleted"].as_u64().unwrap_or(0),
        state["lost"],
        detail["cluster"]["leader"].as_str().unwrap_or("-"),
        replicas.join(", "),
        consumers.join("; ")
    )
}

/// Where the service binaries are: `KINDPAKKET_BIN_DIR`, or next to the test executable's folder
/// (`target/debug/deps/<test>` → `target/debug/`).
/// The NATS user and password of a service: empty (anonymous) unless the server has users.
fn nats_user(nats: &Nats, name: ServiceName) -> (String, String) {
    match nats.users() {
        Some(users) => (
            name.nats_user().to_owned(),
            users.password(name.nats_user()).to_owned(),
        ),
        None => (String::new(), String::new()),
    }
}

/// One login role per service, without any privilege of its own: each service's migration (run as
/// `postgres`) grants it what it needs, as in production (deploy/postgres/).
async fn create_service_roles(postgres: &Postgres) -> Result<()> {
    let pool = sqlx::PgPool::connect(&postgres.url("postgres")).await?;
    for name in ServiceName::ALL {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
                .bind(name.role())
                .fetch_one(&pool)
                .await?;
        if !exists {
            sqlx::raw_sql(&format!("CREATE ROLE \"{}\" LOGIN", name.role()))
                .execute(&pool)
                .await?;
        }
    }
    pool.close().await;
    Ok(())
}

fn binary_dir() -> Result<PathBuf> {
    if let Ok(dir) = std::env::var("KINDPAKKET_BIN_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let executable = std::env::current_exe()?;
    let deps = executable
        .parent()
        .context("the test executable has a folder")?;
    let dir = if deps.ends_with("deps") {
        deps.parent().context("target/debug")?
    } else {
        deps
    };
    Ok(dir.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nodes_view_of_a_stream_names_its_state_leader_replicas_and_consumers() {
        // As nats-server's /jsz?accounts=true&streams=true&consumers=true answers.
        let jsz = serde_json::json!({
            "meta_cluster": {"leader": "kindpakket-node-2"},
            "account_details": [{"name": "$G", "stream_detail": [{
                "name": "KINDPAKKET_SIGNALLING",
                "cluster": {"leader": "kindpakket-node-3", "replicas": [
                    {"name": "kindpakket-node-1", "current": false, "offline": true, "lag": 4},
                    {"name": "kindpakket-node-2", "current": true}
                ]},
                "state": {"messages": 57, "first_seq": 1, "last_seq": 57},
                "consumer_detail": [{
                    "name": "dashboard-signalling",
                    "cluster": {"leader": "kindpakket-node-2"},
                    "delivered": {"consumer_seq": 60, "stream_seq": 57},
                    "ack_floor": {"consumer_seq": 50, "stream_seq": 50},
                    "num_pending": 0, "num_ack_pending": 7, "num_redelivered": 3, "num_waiting": 1
                }]
            }]}]
        });
        let view = node_stream_state(&jsz, "KINDPAKKET_SIGNALLING");
        for part in [
            "meta leader kindpakket-node-2",
            "messages=57 first_seq=1 last_seq=57 deleted=0",
            "leader kindpakket-node-3",
            "kindpakket-node-1 current=false offline=true lag=4",
            "kindpakket-node-2 current=true offline=false lag=0",
            "dashboard-signalling leader=kindpakket-node-2 delivered=57 ack_floor=50 pending=0 \
             ack_pending=7 redelivered=3 waiting_pulls=1",
        ] {
            assert!(view.contains(part), "{part} not in {view}");
        }
        assert!(node_stream_state(&jsz, "KINDPAKKET_REGIE").contains("no replica"));
    }
}
