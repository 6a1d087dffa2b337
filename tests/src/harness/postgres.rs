//! A throw-away PostgreSQL cluster.

use std::os::unix::fs::{chown, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use rustix::process::{
    getpid, kill_process, set_child_subreaper, waitpid, Pid, Signal, WaitOptions,
};
use tempfile::TempDir;

use super::{file_len, free_port, log_since, tail};

/// How long a start may take, including crash recovery after [`Postgres::kill`].
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A PostgreSQL cluster in a temporary directory, listening on a free loopback port. Trust
/// authentication on loopback; fsync off (the tests kill processes, not machines), but every
/// acknowledged commit survives [`Postgres::kill`]. Stopped
/// immediately and removed on drop.
pub struct Postgres {
    port: u16,
    dir: TempDir,
    bin: PathBuf,
    owner: Option<(u32, u32)>,
    child: Option<Child>,
    /// The CA clients verify the server with, once [`Postgres::require_tls`] was called.
    tls_ca: Option<PathBuf>,
    /// fsync and full_page_writes on, as in production ([`Postgres::start_durable`]).
    durable: bool,
}

impl Postgres {
    /// initdb into a fresh temporary directory, then start on a free port and wait until it
    /// answers.
    pub async fn start() -> Result<Postgres> {
        Self::start_with(false).await
    }

    /// As [`Postgres::start`], with fsync and full_page_writes on as in production, and made and
    /// configured as `scripts/run.sh` makes the platform's (no locale, Postgres's default buffer
    /// pool): for the benchmarks, whose commits must cost what they cost on a real server.
    pub async fn start_durable() -> Result<Postgres> {
        Self::start_with(true).await
    }

    async fn start_with(durable: bool) -> Result<Postgres> {
        become_subreaper();
        let bin = postgres_bin_dir()?;
        let dir = tempfile::Builder::new()
            .prefix("kindpakket-pg-")
            .tempdir()?;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
        let owner = if is_root() {
            Some(postgres_user()?)
        } else {
            None
        };
        if let Some((uid, gid)) = owner {
            chown(dir.path(), Some(uid), Some(gid))?;
        }
        let data = dir.path().join("data");
        // A durable cluster is the benchmarks': made as `scripts/run.sh` makes the platform's, without
        // a locale (text compares as bytes). The tests' clusters take C.UTF-8 where the system has it.
        let locale = if durable {
            "--no-locale"
        } else {
            "--locale=C.UTF-8"
        };
        let with_locale = initdb(&bin, &data, owner, locale);
        if let Err(error) = with_locale {
            // A system without the C.UTF-8 locale: no locale at all (UTF8 all the same).
            let _ = std::fs::remove_dir_all(&data);
            initdb(&bin, &data, owner, "--no-locale")
                .with_context(|| format!("{error:#}"))
                .context("initdb with --no-locale")?;
        }
        let mut postgres = Postgres {
            port: free_port(),
            dir,
            bin,
            owner,
            child: None,
            tls_ca: None,
            durable,
        };
        postgres.launch().await?;
        Ok(postgres)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `postgres://postgres@127.0.0.1:{port}/{database}`.
    pub fn url(&self, database: &str) -> String {
        self.url_as("postgres", database)
    }

    /// `postgres://{user}@127.0.0.1:{port}/{database}` (the harness trusts loopback logins), with
    /// `sslmode=verify-full` and the CA once TLS is required.
    pub fn url_as(&self, user: &str, database: &str) -> String {
        let url = format!("postgres://{user}@127.0.0.1:{}/{database}", self.port);
        match &self.tls_ca {
            Some(ca) => format!("{url}?sslmode=verify-full&sslrootcert={}", ca.display()),
            None => url,
        }
    }

    /// From now on only TLS connections (`hostssl` in pg_hba.conf) with the given certificate:
    /// restarts the server with `ssl = on`, refusing plain TCP connections.
    pub async fn require_tls(&mut self, certificates: &super::TestCertificates) -> Result<()> {
        let data = self.dir.path().join("data");
        for (from, to) in [
            (certificates.server_certificate(), "server.crt"),
            (certificates.server_key(), "server.key"),
        ] {
            let target = data.join(to);
            std::fs::copy(&from, &target)?;
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600))?;
            if let Some((uid, gid)) = self.owner {
                chown(&target, Some(uid), Some(gid))?;
            }
        }
        let mut conf = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))?;
        std::io::Write::write_all(
            &mut conf,
            b"\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n",
        )?;
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
        )?;
        let ca = self.dir.path().join("ca.pem");
        std::fs::copy(certificates.ca(), &ca)?;
        self.tls_ca = Some(ca);
        self.restart().await
    }

    /// The directory of the PostgreSQL binaries in use (`psql`, `pg_dump`, ... are there too).
    pub fn bin_dir(&self) -> &Path {
        &self.bin
    }

    /// The temporary directory holding the cluster (`data/`), its Unix socket and `postgres.log`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server's log (all starts appended).
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    /// `pg_ctl stop -m immediate` (no checkpoint: the next start recovers from the WAL, as after
    /// a crash), then starts again on the same port and data.
    pub async fn restart(&mut self) -> Result<()> {
        self.stop_immediately();
        self.launch().await
    }

    /// Takes a base backup of the running cluster with the WAL it needs (`pg_basebackup -X stream`,
    /// the documented procedure), as the server's owner, into `name` beside the cluster's data.
    pub fn base_backup(&self, name: &str) -> Result<PathBuf> {
        let target = self.dir.path().join(name);
        let mut command = Command::new(self.bin.join("pg_basebackup"));
        command
            .arg("-D")
            .arg(&target)
            .args(["-X", "stream", "-c", "fast", "-h", "127.0.0.1"])
            .args(["-p", &self.port.to_string(), "-U", "postgres"])
            .stdin(Stdio::null());
        as_owner(&mut command, self.owner);
        let output = command.output().context("running pg_basebackup")?;
        if !output.status.success() {
            bail!(
                "pg_basebackup failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(target)
    }

    /// The disaster and the restore: the server dies, its data directory is lost, and the base
    /// backup `backup` (from [`Postgres::base_backup`]) takes its place; then it starts (recovering
    /// to the end of the backup's WAL) on the same port.
    pub async fn restore_base_backup(&mut self, backup: &Path) -> Result<()> {
        self.kill();
        let data = self.dir.path().join("data");
        std::fs::remove_dir_all(&data).context("removing the lost data directory")?;
        std::fs::rename(backup, &data).context("putting the backup in place")?;
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700))?;
        self.launch().await
    }

    /// SIGKILL to the postmaster and then to its processes (backends, WAL writer, ...), as when
    /// the whole server dies; the data stays. Nothing is flushed or cleaned up: the next start
    /// recovers from the WAL.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let processes = children_of(child.id());
            let _ = child.kill();
            let _ = child.wait();
            for process in processes {
                let _ = kill_process(process, Signal::KILL);
                // Orphaned, they are this process's to reap (see `become_subreaper`).
                let _ = waitpid(Some(process), WaitOptions::empty());
            }
        }
    }

    /// Starts it again on the same port and data, after [`Postgres::kill`] (when it still runs, it
    /// is stopped first).
    pub async fn start_again(&mut self) -> Result<()> {
        self.stop_immediately();
        self.launch().await
    }

    /// The postmaster ends its backends and exits, without a checkpoint; SIGKILL when that fails.
    fn stop_immediately(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(None) = child.try_wait() {
            let mut pg_ctl = Command::new(self.bin.join("pg_ctl"));
            pg_ctl
                .arg("stop")
                .arg("-D")
                .arg(self.dir.path().join("data"))
                .args(["-m", "immediate", "-w", "-t", "10"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            as_owner(&mut pg_ctl, self.owner);
            let stopped = pg_ctl.status().is_ok_and(|status| status.success());
            if !stopped {
                let _ = child.kill();
            }
        }
        let _ = child.wait();
    }

    /// Starts the postmaster and waits until it accepts connections. A start that fails because
    /// the previous, killed, server's backends still hold its shared memory (or its port) is
    /// tried again until [`START_TIMEOUT`].
    async fn launch(&mut self) -> Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let log_path = self.log_path();
            let offset = file_len(&log_path);
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log_path)?;
            if let Some((uid, gid)) = self.owner {
                chown(&log_path, Some(uid), Some(gid))?;
            }
            let mut command = Command::new(self.bin.join("postgres"));
            command
                .arg("-D")
                .arg(self.dir.path().join("data"))
                .args(["-p", &self.port.to_string()])
                .args(["-c", "listen_addresses=127.0.0.1"])
                .arg("-c")
                .arg(format!(
                    "unix_socket_directories={}",
                    self.dir.path().display()
                ))
                // fsync and full_page_writes guard against the machine crashing, which no test
                // does. synchronous_commit stays on: off, a commit is acknowledged before its WAL is
                // even written, and a killed postmaster loses it.
                .args(if self.durable {
                    ["-c", "fsync=on", "-c", "full_page_writes=on"]
                } else {
                    ["-c", "fsync=off", "-c", "full_page_writes=off"]
                })
                .args(["-c", "max_connections=300"])
                // Many test clusters run at once: a small buffer pool each. A benchmark's cluster
                // keeps Postgres's default (128 MB), as `scripts/run.sh` starts it.
                .args(if self.durable {
                    Vec::new()
                } else {
                    vec!["-c", "shared_buffers=32MB"]
                })
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log);
            as_owner(&mut command, self.owner);
            self.child =
                Some(command.spawn().with_context(|| {
                    format!("starting {}", self.bin.join("postgres").display())
                })?);
            let exited = loop {
                if let Some(status) = self
                    .child
                    .as_mut()
                    .and_then(|c| c.try_wait().ok().flatten())
                {
                    self.child = None;
                    break status;
                }
                if self.is_ready().await {
                    return Ok(());
                }
                if Instant::now() > deadline {
                    self.kill();
                    bail!(
                        "postgres on port {} not ready after {START_TIMEOUT:?}:\n{}",
                        self.port,
                        tail(&log_path, 30)
                    );
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            let output = log_since(&log_path, offset);
            let transient = [
                "pre-existing shared memory block",
                "already exists",
                "already in use",
            ]
            .iter()
            .any(|cause| output.contains(cause));
            if !transient || Instant::now() > deadline {
                bail!(
                    "postgres on port {} exited with {exited}:\n{}",
                    self.port,
                    tail(&log_path, 30)
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// TCP connects and `pg_isready` agrees (the port opens before crash recovery ends).
    async fn is_ready(&self) -> bool {
        if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            return false;
        }
        tokio::process::Command::new(self.bin.join("pg_isready"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", "postgres", "-t", "2"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await
            .is_ok_and(|status| status.success())
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop_immediately();
    }
}

fn initdb(bin: &Path, data: &Path, owner: Option<(u32, u32)>, locale: &str) -> Result<()> {
    let mut initdb = Command::new(bin.join("initdb"));
    initdb
        .arg("-D")
        .arg(data)
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", locale])
        .arg("--no-sync")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    as_owner(&mut initdb, owner);
    let output = initdb
        .output()
        .with_context(|| format!("running {}", bin.join("initdb").display()))?;
    if !output.status.success() {
        bail!(
            "initdb {locale} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// Makes this process the reaper of its orphaned descendants: the processes of a killed
/// postmaster, which would otherwise stay zombies where PID 1 does not reap (as in some
/// containers).
fn become_subreaper() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = set_child_subreaper(Some(getpid()));
    });
}

/// The processes whose parent is `parent` (read from `/proc/*/stat`).
fn children_of(parent: u32) -> Vec<Pid> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let pid = Pid::from_raw(entry.file_name().to_str()?.parse().ok()?)?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // "pid (comm) state ppid ...", where comm may hold spaces and parentheses.
            let after_comm = &stat[stat.rfind(')')? + 1..];
            let ppid: u32 = after_comm.split_whitespace().nth(1)?.parse().ok()?;
            (ppid == parent).then_some(pid)
        })
        .collect()
}

fn as_owner(command: &mut Command, owner: Option<(u32, u32)>) {
    if let Some((uid, gid)) = owner {
        command.uid(uid).gid(gid);
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("Uid:"))
                .and_then(|line| line.split_whitespace().nth(2).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

/// initdb and postgres refuse to run as root: as root, they run as the `postgres` system user.
fn postgres_user() -> Result<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd")?;
    for line in passwd.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.first() == Some(&"postgres") && fields.len() > 3 {
            return Ok((fields[2].parse()?, fields[3].parse()?));
        }
    }
    bail!("running as root needs the 'postgres' system user (apt-get install -y postgresql creates it)")
}

/// The directory of the PostgreSQL server binaries: `KINDPAKKET_PG_BIN`, or the newest version under
/// `/usr/lib/postgresql`.
pub fn postgres_bin_dir() -> Result<PathBuf> {
    if let Ok(dir) = std::env::var("KINDPAKKET_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .with_context(|| "PostgreSQL is not installed: run scripts/install-deps.sh".to_owned())?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .context("no PostgreSQL server under /usr/lib/postgresql: run scripts/install-deps.sh")
}
