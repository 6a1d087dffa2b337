//! What the benches share: the raw baselines they put beside each figure, measured on the same
//! machine in the same run (pgbench single-row commits, pipelined acknowledged JetStream
//! publishes, a plain pull consumer), an event store filled for the relay, percentiles, and a
//! service's peak memory.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy};
use futures::StreamExt;
use kindpakket_platform::store::CommandContext;
use kindpakket_proto::signalling::{ChildSignalled, Referral};
use kindpakket_proto::{Actor, ChildRef, GemeenteCode, OrganisationId, Role};
use kindpakket_signalling::domain::signal::SignalEvent;
use sqlx::PgPool;
use uuid::Uuid;

/// The value at `share` (0.5 the median, 0.95 the 95th percentile) of `values`, nearest rank.
pub fn percentile(values: &[f64], share: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[((sorted.len() - 1) as f64 * share).round() as usize]
}

/// A signal's event as the signalling service stores it, and the metadata of its command: what the
/// store benches commit.
pub fn signal_event() -> Result<(String, serde_json::Value, serde_json::Value)> {
    let gemeente = GemeenteCode::parse("GM0518")?;
    let metadata = serde_json::to_value(
        CommandContext {
            gemeente: gemeente.clone(),
            actor: Actor {
                organisation: OrganisationId::parse("wijkteam-centrum")?,
                role: Role::Signaller,
            },
            correlation_id: Uuid::new_v4(),
            causation_id: None,
        }
        .metadata(),
    )?;
    let signal_id = Uuid::new_v4();
    let payload = serde_json::to_value(SignalEvent::ChildSignalled {
        gemeente,
        event: ChildSignalled {
            signal_id,
            signaller: OrganisationId::parse("wijkteam-centrum")?,
            child: ChildRef::new_random(),
            household: None,
            referral: Referral::Loket,
            signalled_on: time::macros::date!(2026 - 09 - 01),
            due_on: None,
            wijk: None,
            provision_type: None,
        },
        why: None,
        provision_type: None,
        wijk: None,
    })?;
    Ok((signal_id.to_string(), payload, metadata))
}

/// Commits `events` signal events into the store of `pool` (migrated with the event store), in
/// transactions of 100; gives the events per second.
pub async fn fill_store(pool: &PgPool, events: usize) -> Result<f64> {
    let started = Instant::now();
    for chunk in 0..events.div_ceil(100) {
        let mut transaction = pool.begin().await?;
        for _ in 0..100.min(events - chunk * 100) {
            let (aggregate_id, payload, metadata) = signal_event()?;
            sqlx::query(
                "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
                 VALUES ('signal', $1, 1, 'ChildSignalled', '3', $2, $3)",
            )
            .bind(aggregate_id)
            .bind(payload)
            .bind(metadata)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
    }
    Ok(events as f64 / started.elapsed().as_secs_f64())
}

/// pgbench's rate of single-row insert commits into a table with the `events` DDL (the event
/// store's own migration, its trigger included) in `database`, at `clients` connections for
/// `seconds`: the most the store could take, one command per transaction.
pub fn pgbench_inserts(
    bin_dir: &Path,
    port: u16,
    database: &str,
    clients: usize,
    seconds: u64,
    work_dir: &Path,
) -> Result<f64> {
    let (_, payload, metadata) = signal_event()?;
    let script = work_dir.join("insert-event.sql");
    std::fs::write(
        &script,
        format!(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
             VALUES ('signal', gen_random_uuid()::text, 1, 'ChildSignalled', '3', '{}', '{}');\n",
            payload.to_string().replace('\'', "''"),
            metadata.to_string().replace('\'', "''"),
        ),
    )?;
    let pgbench = bin_dir.join("pgbench");
    let output = Command::new(&pgbench)
        .args([
            "-n",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "postgres",
        ])
        .args(["-c", &clients.to_string()])
        .args(["-j", &clients.min(2).to_string()])
        .args(["-T", &seconds.to_string()])
        .arg("-f")
        .arg(&script)
        .arg(database)
        .output()
        .with_context(|| {
            format!(
                "running {} (scripts/install-test-tools.sh installs it)",
                pgbench.display()
            )
        })?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench failed: {text}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // "tps = 2244.123456 (without initial connection time)"
    text.lines()
        .find(|line| line.starts_with("tps = "))
        .and_then(|line| line.split_whitespace().nth(2))
        .and_then(|tps| tps.parse().ok())
        .with_context(|| format!("no tps in pgbench's output: {text}"))
}

/// Raw acknowledged JetStream publishes, pipelined as the relay publishes (batches of 500, each
/// with its own `Nats-Msg-Id`, acknowledgements awaited in order), of `count` messages the size of
/// a signal event onto a stream of its own; gives the messages per second.
pub async fn raw_publishes(js: &async_nats::jetstream::Context, count: usize) -> Result<f64> {
    let name = format!("RAW_{}", Uuid::new_v4().simple());
    js.get_or_create_stream(async_nats::jetstream::stream::Config {
        name: name.clone(),
        subjects: vec![format!("{name}.>")],
        ..Default::default()
    })
    .await?;
    let (_, payload, _) = signal_event()?;
    let payload = serde_json::to_vec(&payload)?;
    let subject = format!("{name}.signal");
    let started = Instant::now();
    let mut sent = 0;
    while sent < count {
        let mut pending = Vec::with_capacity(500);
        for _ in 0..500.min(count - sent) {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Nats-Msg-Id", format!("raw:{sent}").as_str());
            let message = async_nats::jetstream::message::PublishMessage::build()
                .payload(payload.clone().into())
                .headers(headers);
            pending.push(js.send_publish(subject.clone(), message).await?);
            sent += 1;
        }
        for ack in pending {
            ack.await?;
        }
    }
    let rate = count as f64 / started.elapsed().as_secs_f64();
    js.delete_stream(&name).await?;
    Ok(rate)
}

/// A plain pull consumer reading `stream` from its first message, acknowledging each (as the
/// services' consumers do, without their database): gives the messages it read and how long it took.
pub async fn raw_consume(
    js: &async_nats::jetstream::Context,
    stream: &str,
) -> Result<(u64, Duration)> {
    let mut stream = js.get_stream(stream).await?;
    let total = stream.info().await?.state.messages;
    if total == 0 {
        return Ok((0, Duration::ZERO));
    }
    let consumer = stream
        .create_consumer(pull::Config {
            ack_policy: AckPolicy::Explicit,
            deliver_policy: DeliverPolicy::All,
            max_ack_pending: 1000,
            ..Default::default()
        })
        .await?;
    let started = Instant::now();
    let mut messages = consumer.messages().await?;
    let mut read = 0;
    while read < total {
        let message = messages
            .next()
            .await
            .context("the stream ended early")?
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        message
            .ack()
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        read += 1;
    }
    Ok((read, started.elapsed()))
}

/// A process's peak resident memory (`VmHWM` of /proc/<pid>/status), in MiB.
pub fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// CPU time (user and system, in seconds) spent so far by the processes a bench looks at, grouped:
/// `postgres` — the cluster whose data directory is `postgres_data` (its postmaster, every live
/// backend and worker, and what ended backends spent, which the postmaster collected);
/// `nats-server`; each service by its binary (`kindpakket-signalling`, …, matched by the 15
/// characters the kernel keeps of a name); and `client` — this process with the children it
/// waited for (pgbench). Processes that ended uncollected are missed; take the difference of two
/// calls around a run.
pub fn cpu_seconds(
    postgres_data: &Path,
    services: &[&str],
) -> Result<std::collections::BTreeMap<String, f64>> {
    let ticks = rustix::param::clock_ticks_per_second() as f64;
    let postmaster: u32 = std::fs::read_to_string(postgres_data.join("postmaster.pid"))
        .context("reading postmaster.pid")?
        .lines()
        .next()
        .and_then(|line| line.trim().parse().ok())
        .context("postmaster.pid names no process")?;
    let me = std::process::id();
    let mut groups = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir("/proc")?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid … utime stime cutime cstime …": fields 14–17, counted from 1.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        let field = |n: usize| -> f64 {
            fields
                .get(n - 3)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0)
        };
        let ppid = field(4) as u32;
        let own = field(14) + field(15);
        let collected = field(16) + field(17);
        let group = if pid == postmaster {
            Some(("postgres".to_owned(), own + collected))
        } else if ppid == postmaster {
            Some(("postgres".to_owned(), own))
        } else if pid == me {
            Some(("client".to_owned(), own + collected))
        } else if comm == "nats-server" {
            Some(("nats-server".to_owned(), own))
        } else {
            services
                .iter()
                .find(|service| service.starts_with(comm) && comm.len() >= 15.min(service.len()))
                .map(|service| ((*service).to_owned(), own))
        };
        if let Some((group, spent)) = group {
            *groups.entry(group).or_insert(0.0) += spent / ticks;
        }
    }
    Ok(groups)
}
