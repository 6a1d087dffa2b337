//! Measures the platform against what a national year asks of it (docs/scale.md), with the real
//! services (the binaries of this build profile: build `--release`) on a throw-away PostgreSQL with
//! fsync on and a nats-server, and prints one table: each figure beside its raw baseline, measured
//! in the same run on the same machine, and the target of issue 17.
//!
//! - commands per second over HTTP (signalling's `POST …/signaleringen`, application's `POST
//!   …/aanvragen`, regie's `POST …/partners`) at 1, 4 and 16 clients, against pgbench committing
//!   single-row inserts into a table with the `events` DDL at the same concurrency;
//! - the relay publishing a filled store, against raw pipelined acknowledged JetStream publishes
//!   with message ids (both to a nats-server of their own, so the platform's streams stay as they are);
//! - a generated year (`kindpakket_tests::national`) sent through the command paths; the services'
//!   peak memory (`VmHWM`) at 10% and at 100% of it;
//! - dashboard API and page p95 with that year loaded;
//! - signal-to-dashboard latency at half the sustained signalling rate (open loop);
//! - the dashboard rebuilt from zero (`kindpakket-dashboard rebuild`, then started), against a
//!   plain pull consumer reading the same streams; and the national year's rebuild time from it.
//!
//! `cargo build --release --workspace --bins && target/release/bench-national [--fraction 0.002]
//! [--gemeenten 342] [--seconds 5] [--repeats 3] [--seed 1] [--relay-events 20000]`
//! (the defaults take some six minutes on two cores). Rates are medians over `--repeats`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use kindpakket_platform::relay::{Relay, RELAY_MIGRATION};
use kindpakket_platform::store::EVENT_STORE_MIGRATION;
use kindpakket_proto::subjects::durable_name;
use kindpakket_proto::Service;
use kindpakket_tests::client::{As, Kindpakket, REGIE};
use kindpakket_tests::measure::{self, percentile};
use kindpakket_tests::national::{self, Progress, Report, Size};
use kindpakket_tests::pages::PageSession;
use kindpakket_tests::{Nats, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

const BENCH: &str = "GM0518";
const LATENCY: &str = "GM0519";
const SCHOOL: As<'static> = As {
    organisation: "basisschool-de-regenboog",
    role: "signaller",
};
const STREAMS: [Service; 4] = [
    Service::Regie,
    Service::Signalling,
    Service::Application,
    Service::Provision,
];
/// Events in a national year.
const NATIONAL_EVENTS: f64 = 5_000_000.0;

struct Options {
    fraction: f64,
    gemeenten: usize,
    seconds: u64,
    repeats: usize,
    seed: u64,
    relay_events: usize,
    /// The parts to measure (`--only commands,relay,reads,latency,rebuild`); all when not given.
    /// The generated year is always sent: the reads and the rebuild measure it.
    only: Option<Vec<String>>,
    /// The open-loop rate of the latency part when the commands are not measured in the same run.
    latency_rate: f64,
    /// `KINDPAKKET_CONSUMER_BATCH` of the dashboard during the rebuild (`--rebuild-batch 500,2000`:
    /// the rebuild measured with each, in that order; once with the service's default when not given).
    rebuild_batches: Vec<Option<usize>>,
}

impl Options {
    fn measures(&self, part: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|parts| parts.iter().any(|wanted| wanted == part))
    }
}

fn value<T: std::str::FromStr>(args: &[String], flag: &str, default: T) -> Result<T> {
    match args.iter().position(|arg| arg == flag) {
        Some(index) => args
            .get(index + 1)
            .and_then(|value| value.parse().ok())
            .with_context(|| format!("{flag} needs a value")),
        None => Ok(default),
    }
}

/// The table: measure, figure, raw baseline, figure as a share of the baseline, target.
#[derive(Default)]
struct Table {
    rows: Vec<[String; 5]>,
}

impl Table {
    fn row(
        &mut self,
        measure: &str,
        figure: String,
        baseline: String,
        share: String,
        target: &str,
    ) {
        eprintln!("{measure}: {figure} ({baseline}) {share}");
        self.rows.push([
            measure.to_owned(),
            figure,
            baseline,
            share,
            target.to_owned(),
        ]);
    }

    fn print(&self) {
        println!("| measure | figure | raw baseline (same run) | share | target |");
        println!("|---|---|---|---|---|");
        for [measure, figure, baseline, share, target] in &self.rows {
            println!("| {measure} | {figure} | {baseline} | {share} | {target} |");
        }
    }
}

fn share(figure: f64, baseline: f64) -> String {
    format!("{:.0}%", 100.0 * figure / baseline)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        println!(
            "bench-national [--fraction 0.002] [--gemeenten 342] [--seconds 5] [--repeats 3] [--seed 1] [--relay-events 20000] [--only commands,relay,reads,latency,rebuild] [--latency-rate 300] [--rebuild-batch 500,2000]"
        );
        return Ok(());
    }
    let options = Options {
        fraction: value(&args, "--fraction", 0.002)?,
        gemeenten: value(&args, "--gemeenten", national::NATIONAL_GEMEENTEN)?,
        seconds: value(&args, "--seconds", 5)?,
        repeats: value(&args, "--repeats", 3)?,
        seed: value(&args, "--seed", 1)?,
        relay_events: value(&args, "--relay-events", 20_000)?,
        only: match args.iter().position(|arg| arg == "--only") {
            Some(index) => Some(
                args.get(index + 1)
                    .context("--only needs a list of parts")?
                    .split(',')
                    .map(|part| part.trim().to_owned())
                    .collect(),
            ),
            None => None,
        },
        latency_rate: value(&args, "--latency-rate", 300.0)?,
        rebuild_batches: match args.iter().position(|arg| arg == "--rebuild-batch") {
            Some(index) => args
                .get(index + 1)
                .context("--rebuild-batch needs a list of sizes")?
                .split(',')
                .map(|size| match size.trim().parse::<usize>() {
                    Ok(size) if size > 0 => Ok(Some(size)),
                    _ => anyhow::bail!("--rebuild-batch: {size:?} is not a batch size"),
                })
                .collect::<Result<_>>()?,
            None => vec![None],
        },
    };
    if let Some(parts) = &options.only {
        for part in parts {
            if !["commands", "relay", "reads", "latency", "rebuild"].contains(&part.as_str()) {
                anyhow::bail!("--only: unknown part {part:?}");
            }
        }
    }
    let started = Instant::now();
    let mut platform = Platform::start_durable().await?;
    // The bench's clients act as a few organisations: no per-caller limit may be what is measured.
    platform.without_rate_limits().await?;
    // The generated year is this year, its twelve months in the past: the services' clocks stand
    // at 31 December (the bench's own commands are dated today, which then lies in the past too).
    platform.at_year_end().await?;
    let kindpakket = platform.client();
    let mut table = Table::default();

    // The year first: the services' peak memory is then the year's, and the commands are measured
    // with a national year's rows in the tables. Printed in the order.
    let mut year_table = Table::default();
    let generated = year(&platform, &kindpakket, &options, &mut year_table).await?;
    let mut half = options.latency_rate;
    if options.measures("commands") {
        half = commands(&platform, &kindpakket, &options, &mut table).await? / 2.0;
    }
    if options.measures("relay") {
        relay(&platform, &options, &mut table).await?;
    }
    table.rows.append(&mut year_table.rows);
    if options.measures("reads") {
        reads(&platform, &kindpakket, &generated, &options, &mut table).await?;
    }
    if options.measures("latency") {
        latency(&kindpakket, half, &options, &mut table).await?;
    }
    if options.measures("rebuild") {
        for batch in &options.rebuild_batches {
            rebuild(&mut platform, &options, *batch, &mut table).await?;
        }
    }

    println!(
        "\nbench-national: {} gemeenten, fraction {} of the national year (seed {}), {} s per rate × {} repeats; \
         Postgres fsync on; {:.0} s in all",
        options.gemeenten,
        options.fraction,
        options.seed,
        options.seconds,
        options.repeats,
        started.elapsed().as_secs_f64()
    );
    table.print();
    Ok(())
}

/// Commands per second per service at 1, 4 and 16 clients, beside pgbench; gives signalling's rate
/// at 16 clients (the sustained rate the latency runs at half of).
async fn commands(
    platform: &Platform,
    kindpakket: &Kindpakket,
    options: &Options,
    table: &mut Table,
) -> Result<f64> {
    let year = kindpakket_platform::clock::today().year();
    kindpakket.sport_regeling(BENCH, year).await?;
    kindpakket
        .enrol_signaller(BENCH, SCHOOL.organisation, "Basisschool De Regenboog")
        .await?;
    kindpakket.wait_until_known(BENCH, SCHOOL).await?;
    let date = kindpakket_platform::clock::today().to_string();

    let postgres = &platform.postgres;
    let admin = sqlx::PgPool::connect(&postgres.url("postgres")).await?;
    sqlx::query("CREATE DATABASE bench_pgbench")
        .execute(&admin)
        .await?;
    let pool = kindpakket_platform::db::connect(&postgres.url("bench_pgbench")).await?;
    kindpakket_platform::db::migrate(&pool, &[EVENT_STORE_MIGRATION]).await?;
    pool.close().await;
    let work = tempfile::tempdir()?;
    let mut raw = BTreeMap::new();
    for clients in [1usize, 4, 16] {
        let mut rates = Vec::new();
        for _ in 0..options.repeats {
            rates.push(measure::pgbench_inserts(
                postgres.bin_dir(),
                postgres.port(),
                "bench_pgbench",
                clients,
                options.seconds,
                work.path(),
            )?);
        }
        raw.insert(clients, median(rates));
    }

    let mut sustained = 0.0;
    for service in ["signalling", "application", "regie"] {
        for clients in [1usize, 4, 16] {
            let mut rates = Vec::new();
            for _ in 0..options.repeats {
                rates.push(
                    command_rate(kindpakket, service, clients, options.seconds, &date).await?,
                );
            }
            let rate = median(rates);
            if service == "signalling" && clients == 16 {
                sustained = rate;
            }
            let what = match service {
                "signalling" => "`POST …/signaleringen`",
                "application" => "`POST …/aanvragen`",
                _ => "`POST …/partners` (regie)",
            };
            table.row(
                &format!("{what}, {clients} client(s), commands/s"),
                format!("{rate:.0}"),
                format!("pgbench insert {:.0}/s", raw[&clients]),
                share(rate, raw[&clients]),
                "≥ 60%",
            );
        }
    }
    signal_cost(platform, kindpakket, &date, table).await?;
    signal_cpu(platform, kindpakket, &date, options, work.path(), table).await?;
    Ok(sustained)
}

/// Where the machine's two cores go for one signal: CPU time per process group while 16 clients
/// send signals for `--seconds` and until every consumer has projected them, divided by the
/// signals sent; beside the same for pgbench's single-row insert at 16 clients (Postgres and
/// pgbench itself). Tells which process a faster command path has to start with.
async fn signal_cpu(
    platform: &Platform,
    kindpakket: &Kindpakket,
    date: &str,
    options: &Options,
    work: &std::path::Path,
    table: &mut Table,
) -> Result<()> {
    let data = platform.postgres.dir().join("data");
    let services: Vec<&str> = ServiceName::ALL.iter().map(|name| name.binary()).collect();

    platform
        .wait_until_consumed(Duration::from_secs(600))
        .await?;
    let before = measure::cpu_seconds(&data, &services)?;
    let started = Instant::now();
    let rate = command_rate(kindpakket, "signalling", 16, options.seconds, date).await?;
    let signals = rate * started.elapsed().as_secs_f64();
    platform
        .wait_until_consumed(Duration::from_secs(600))
        .await?;
    let after = measure::cpu_seconds(&data, &services)?;
    let signal = cpu_per(&before, &after, signals, 1000.0);

    let before = measure::cpu_seconds(&data, &services)?;
    let inserts = measure::pgbench_inserts(
        platform.postgres.bin_dir(),
        platform.postgres.port(),
        "bench_pgbench",
        16,
        options.seconds,
        work,
    )? * options.seconds as f64;
    let after = measure::cpu_seconds(&data, &services)?;
    let insert = cpu_per(&before, &after, inserts, 1000.0).replace("client", "pgbench");
    table.row(
        "CPU per signal, 16 clients, until every consumer has it: ms (by process)",
        signal,
        format!("pgbench insert: {insert}"),
        "—".to_owned(),
        "—",
    );
    Ok(())
}

/// CPU time spent between two [`measure::cpu_seconds`] readings per unit of work (a signal, an
/// event), in thousandths (`scale` 1000: ms) or millionths (1e6: µs) of a second: the total and
/// each process group's share, largest first.
fn cpu_per(
    before: &BTreeMap<String, f64>,
    after: &BTreeMap<String, f64>,
    units: f64,
    scale: f64,
) -> String {
    let mut groups: Vec<(String, f64)> = after
        .iter()
        .map(|(group, seconds)| {
            let earlier = before.get(group).copied().unwrap_or_default();
            (group.clone(), (seconds - earlier) * scale / units)
        })
        .filter(|(_, spent)| *spent >= 0.005)
        .collect();
    groups.sort_by(|a, b| b.1.total_cmp(&a.1));
    let total: f64 = groups.iter().map(|(_, spent)| spent).sum();
    let parts: Vec<String> = groups
        .iter()
        .map(|(group, spent)| format!("{} {spent:.2}", group.trim_start_matches("kindpakket-")))
        .collect();
    format!("{total:.2} ({})", parts.join(", "))
}

/// `clients` clients sending one command after another for `seconds`: accepted commands per second.
async fn command_rate(
    kindpakket: &Kindpakket,
    service: &str,
    clients: usize,
    seconds: u64,
    date: &str,
) -> Result<f64> {
    let accepted = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let kindpakket = kindpakket.clone();
        let accepted = accepted.clone();
        let service = service.to_owned();
        let date = date.to_owned();
        tasks.push(tokio::spawn(async move {
            while Instant::now() < until {
                let status = match service.as_str() {
                    "signalling" => signal_a_new_child(&kindpakket, &date).await?,
                    "application" => {
                        let body = json!({
                            "kanaal": "online",
                            "huishouden": Uuid::new_v4(),
                            "kinderen": [{"kind": Uuid::new_v4(), "geboortejaar": 2016, "geboortemaand": 4}],
                            "inkomenPercentage": 105,
                            "voorzieningen": ["sportcontributie"],
                            "datum": date,
                        });
                        let parent = As {
                            organisation: "ouder",
                            role: "applicant",
                        };
                        kindpakket
                            .post(&kindpakket.application_url(BENCH, "aanvragen"), parent, &body)
                            .await?
                            .status
                    }
                    _ => {
                        let body = json!({
                            "partner": format!("bench-{}", &Uuid::new_v4().simple().to_string()[..12]),
                            "naam": "Benchpartner",
                            "rollen": ["signaleren"],
                            "datum": "2026-01-01",
                        });
                        kindpakket
                            .post(&kindpakket.regie_url(BENCH, "partners"), REGIE, &body)
                            .await?
                            .status
                    }
                };
                if status != StatusCode::CREATED {
                    bail!("{service} refused a command: {status}");
                }
                accepted.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(accepted.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

/// One signal of a child not seen before, as the bench's school: the answer's status.
async fn signal_a_new_child(kindpakket: &Kindpakket, date: &str) -> Result<StatusCode> {
    let body = json!({
        "kind": kindpakket.child_reference(SCHOOL.organisation, Uuid::new_v4())?,
        "voorzieningsoort": "maatschappelijke_participatie",
        "reden": "laag_inkomen",
        "datum": date,
    });
    Ok(kindpakket
        .post(
            &kindpakket.signalling_url(BENCH, "signaleringen"),
            SCHOOL,
            &body,
        )
        .await?
        .status)
}

/// What one signal costs the whole platform — its command, the key made for the new child, the
/// relay, and every consumer projecting it — counted by Postgres over `SIGNALS` signals sent one
/// after another, once every consumer has caught up: transactions committed per service database
/// (`pg_stat_database`, read-only statements outside a transaction count as one each), write
/// transactions (transaction ids handed out) and WAL flushes (`pg_stat_wal`; commits at the same
/// moment share one). Beside pgbench's single-row insert: one write transaction, one flush. (WAL
/// bytes are left out: a checkpoint in the window multiplies them.) Statistics of other sessions
/// reach the views within ten seconds of their last transaction, hence the wait.
async fn signal_cost(
    platform: &Platform,
    kindpakket: &Kindpakket,
    date: &str,
    table: &mut Table,
) -> Result<()> {
    const SIGNALS: u64 = 300;
    let admin = sqlx::PgPool::connect(&platform.postgres.url("postgres")).await?;
    let counters = || async {
        tokio::time::sleep(Duration::from_secs(11)).await;
        let commits: Vec<(String, i64)> = sqlx::query_as(
            "SELECT datname::text, xact_commit FROM pg_stat_database
             WHERE datname LIKE 'kindpakket%' ORDER BY datname",
        )
        .fetch_all(&admin)
        .await?;
        let (next_xid, flushes): (String, i64) = sqlx::query_as(
            "SELECT pg_snapshot_xmax(pg_current_snapshot())::text, wal_sync FROM pg_stat_wal",
        )
        .fetch_one(&admin)
        .await?;
        anyhow::Ok((
            commits.into_iter().collect::<BTreeMap<_, _>>(),
            next_xid.parse::<i64>()?,
            flushes,
        ))
    };
    platform
        .wait_until_consumed(Duration::from_secs(600))
        .await?;
    let (commits_before, xid_before, flushes_before) = counters().await?;
    for _ in 0..SIGNALS {
        let status = signal_a_new_child(kindpakket, date).await?;
        if status != StatusCode::CREATED {
            bail!("signalling refused a command: {status}");
        }
    }
    platform
        .wait_until_consumed(Duration::from_secs(600))
        .await?;
    let (commits_after, xid_after, flushes_after) = counters().await?;
    let per_signal = |after: f64, before: f64| (after - before) / SIGNALS as f64;
    let by_database: Vec<String> = commits_after
        .iter()
        .filter_map(|(database, after)| {
            let before = commits_before.get(database).copied().unwrap_or_default();
            let each = per_signal(*after as f64, before as f64);
            (each >= 0.05)
                .then(|| format!("{} {each:.1}", database.trim_start_matches("kindpakket_")))
        })
        .collect();
    let all: f64 =
        commits_after.values().sum::<i64>() as f64 - commits_before.values().sum::<i64>() as f64;
    table.row(
        &format!(
            "one signal across the platform ({SIGNALS} sent by 1 client), transactions per signal"
        ),
        format!("{:.1} ({})", all / SIGNALS as f64, by_database.join(", ")),
        "pgbench insert: 1".to_owned(),
        "—".to_owned(),
        "—",
    );
    table.row(
        "one signal across the platform: write transactions / WAL flushes per signal",
        format!(
            "{:.1} / {:.1}",
            per_signal(xid_after as f64, xid_before as f64),
            per_signal(flushes_after as f64, flushes_before as f64),
        ),
        "pgbench insert: 1 / 1".to_owned(),
        "—".to_owned(),
        "—",
    );
    Ok(())
}

/// The relay publishing a filled store against raw publishes, on a nats-server of their own.
async fn relay(platform: &Platform, options: &Options, table: &mut Table) -> Result<()> {
    let nats = Nats::start().await?;
    let (_, js) = kindpakket_platform::nats::connect(&[nats.url()]).await?;
    let admin = sqlx::PgPool::connect(&platform.postgres.url("postgres")).await?;
    let (mut relayed, mut raw) = (Vec::new(), Vec::new());
    for repeat in 0..options.repeats {
        let database = format!("bench_relay_{repeat}");
        sqlx::query(&format!("CREATE DATABASE {database}"))
            .execute(&admin)
            .await?;
        let pool = kindpakket_platform::db::connect(&platform.postgres.url(&database)).await?;
        kindpakket_platform::db::migrate(&pool, &[EVENT_STORE_MIGRATION, RELAY_MIGRATION]).await?;
        measure::fill_store(&pool, options.relay_events).await?;
        let _ = js.delete_stream(Service::Signalling.stream().name).await;
        kindpakket_platform::nats::ensure_stream(&js, Service::Signalling, &Default::default())
            .await?;
        sqlx::query("INSERT INTO relay_checkpoints (relay, tx_id, global_position) VALUES ('signalling', '0'::xid8, 0)")
            .execute(&pool)
            .await?;
        let relay = Relay::new(
            Service::Signalling,
            pool.clone(),
            js.clone(),
            kindpakket_signalling::publish::contract_translator(),
        );
        let started = Instant::now();
        let mut published = 0;
        while published < options.relay_events {
            published += relay.publish_next_batch().await?;
        }
        relayed.push(options.relay_events as f64 / started.elapsed().as_secs_f64());
        pool.close().await;
        raw.push(measure::raw_publishes(&js, options.relay_events).await?);
    }
    let (relayed, raw) = (median(relayed), median(raw));
    table.row(
        &format!(
            "relay: store to JetStream, events/s ({} events)",
            options.relay_events
        ),
        format!("{relayed:.0}"),
        format!("raw acked publishes {raw:.0}/s"),
        share(relayed, raw),
        "—",
    );
    Ok(())
}

/// Peak memory of every service now, in MiB.
fn peak_memory(platform: &Platform) -> BTreeMap<&'static str, f64> {
    ServiceName::ALL
        .iter()
        .filter_map(|name| {
            let pid = platform.service(*name).pid()?;
            Some((name.binary(), measure::peak_rss_mib(pid)?))
        })
        .collect()
}

/// The generated year, sent in two parts (10%, then the rest), with the services' peak memory after
/// each; gives the year.
async fn year(
    platform: &Platform,
    kindpakket: &Kindpakket,
    options: &Options,
    table: &mut Table,
) -> Result<national::Year> {
    let year = kindpakket_platform::clock::today().year();
    let plan = national::plan(
        options.seed,
        Size {
            gemeenten: options.gemeenten,
            fraction: options.fraction,
        },
        year,
    );
    eprintln!(
        "generating a year: {} gemeenten, {} children",
        plan.gemeenten.len(),
        plan.children()
    );
    let progress = Arc::new(Progress::default());
    let started = Instant::now();
    let setup = national::set_up(kindpakket, &plan, 16).await?;
    progress.commands.fetch_add(setup, Ordering::Relaxed);
    let tenth = plan.households.len() / 10;
    let mut report = Report::default();
    national::run_households(kindpakket, &plan, 0..tenth, 16, &progress, &mut report).await?;
    platform
        .wait_until_consumed(Duration::from_secs(600))
        .await?;
    let at_tenth = peak_memory(platform);
    national::run_households(
        kindpakket,
        &plan,
        tenth..plan.households.len(),
        16,
        &progress,
        &mut report,
    )
    .await?;
    // The partners' quarterly invoices, settled (the year end would need the clocks moved on: left
    // out here).
    national::invoice_quarters(kindpakket, &plan, 16, &mut report).await?;
    let sending = started.elapsed().as_secs_f64();
    platform
        .wait_until_consumed(Duration::from_secs(1200))
        .await?;
    let at_whole = peak_memory(platform);
    let mut events = 0;
    for name in [
        ServiceName::Regie,
        ServiceName::Signalling,
        ServiceName::Application,
        ServiceName::Provision,
    ] {
        events += platform.events_stored(name).await;
    }
    let total = report.total();
    table.row(
        &format!(
            "generated year: {} children, {} commands, {events} events, 16 clients",
            plan.children(),
            report.commands
        ),
        format!("{:.0} commands/s", report.commands as f64 / sending),
        format!(
            "signalled {}, applied {}, granted {}, served {}",
            total.signalled, total.applied, total.granted, total.served
        ),
        "—".to_owned(),
        "—",
    );
    for (service, whole) in &at_whole {
        let tenth = at_tenth.get(service).copied().unwrap_or(f64::NAN);
        table.row(
            &format!("peak RSS {service}, MiB at 10% → 100% of the year"),
            format!("{tenth:.0} → {whole:.0}"),
            "—".to_owned(),
            format!("{:+.0}%", 100.0 * (whole - tenth) / tenth),
            "flat",
        );
    }
    Ok(plan)
}

fn p95_of(times: &[f64]) -> (f64, f64) {
    (percentile(times, 0.5), percentile(times, 0.95))
}

/// Dashboard API and pages with the year loaded: p50 and p95 over 40 requests each.
async fn reads(
    platform: &Platform,
    kindpakket: &Kindpakket,
    plan: &national::Year,
    _options: &Options,
    table: &mut Table,
) -> Result<()> {
    // The largest gemeente of the year is the first.
    let big = plan.gemeenten[0].code.clone();
    let dashboard = &kindpakket.endpoints.dashboard;
    let apis = [
        format!("{dashboard}/api/v1/gemeenten/{big}/trechter"),
        format!(
            "{dashboard}/api/v1/gemeenten/{big}/kwartalen/{}-K3",
            plan.year
        ),
        format!(
            "{dashboard}/api/v1/gemeenten/{big}/kwartalen/{}-K3?indeling=partner",
            plan.year
        ),
    ];
    for url in &apis {
        let mut times = Vec::new();
        for round in 0..43 {
            let started = Instant::now();
            kindpakket
                .get(url, Some(REGIE))
                .await?
                .expect(StatusCode::OK)
                .with_context(|| url.clone())?;
            if round >= 3 {
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        let (p50, p95) = p95_of(&times);
        table.row(
            &format!(
                "API `{}` ({big}), ms p50 / p95",
                url.trim_start_matches(dashboard.as_str())
            ),
            format!("{p50:.1} / {p95:.1}"),
            "—".to_owned(),
            "—".to_owned(),
            "p95 ≤ 200 ms",
        );
    }
    let _login = platform
        .start_login(&[(big.as_str(), "Grootste gemeente")])
        .await?;
    let mut session = PageSession::login(dashboard, "regievoerder", &big).await?;
    for path in ["/dashboard", "/regie", "/aanvragen?status=te-beslissen"] {
        let mut times = Vec::new();
        for round in 0..43 {
            let started = Instant::now();
            let answer = session.get(path).await?;
            if answer.status != StatusCode::OK {
                bail!("{path}: {}", answer.status);
            }
            if round >= 3 {
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        let (p50, p95) = p95_of(&times);
        table.row(
            &format!("page `{path}` (regievoerder, {big}), ms p50 / p95"),
            format!("{p50:.1} / {p95:.1}"),
            "—".to_owned(),
            "—".to_owned(),
            "p95 ≤ 200 ms",
        );
    }
    Ok(())
}

/// Signals sent at `rate` per second (open loop) for twice `--seconds`, each timed from its send
/// until the dashboard's funnel counts it (in order: the k-th signal sent is taken as counted when
/// the funnel first shows k).
async fn latency(
    kindpakket: &Kindpakket,
    rate: f64,
    options: &Options,
    table: &mut Table,
) -> Result<()> {
    let year = kindpakket_platform::clock::today().year();
    kindpakket.sport_regeling(LATENCY, year).await?;
    kindpakket
        .enrol_signaller(LATENCY, SCHOOL.organisation, "Basisschool De Regenboog")
        .await?;
    kindpakket.wait_until_known(LATENCY, SCHOOL).await?;
    let date = kindpakket_platform::clock::today().to_string();
    let rate = rate.max(1.0);
    let count = ((options.seconds * 2) as f64 * rate) as usize;
    let funnel_url = format!(
        "{}/api/v1/gemeenten/{LATENCY}/trechter",
        kindpakket.endpoints.dashboard
    );
    let signalled = |answer: &serde_json::Value| answer["gesignaleerd"].as_i64().unwrap_or(0);
    // One signal first, until the signalling service knows the school's enrolment (from the regie
    // stream) and the dashboard counts it: the timed ones are counted on top of it.
    kindpakket
        .post_signal(
            LATENCY,
            SCHOOL,
            &json!({
                "kind": kindpakket.child_reference(SCHOOL.organisation, Uuid::new_v4())?,
                "voorzieningsoort": "maatschappelijke_participatie",
                "reden": "laag_inkomen",
                "datum": date,
            }),
        )
        .await?
        .expect(StatusCode::CREATED)?;
    kindpakket
        .wait_for_funnel(LATENCY, Duration::from_secs(60), |funnel| {
            signalled(funnel) >= 1
        })
        .await?;

    // The watcher: when the funnel first showed each count.
    let watcher = {
        let kindpakket = kindpakket.clone();
        let funnel_url = funnel_url.clone();
        tokio::spawn(async move {
            let mut seen: Vec<Instant> = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(600);
            while seen.len() < count && Instant::now() < deadline {
                let answer = kindpakket.get(&funnel_url, Some(REGIE)).await?;
                let now = Instant::now();
                let shown = (signalled(&answer.body) - 1).max(0) as usize;
                while seen.len() < shown.min(count) {
                    seen.push(now);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            anyhow::Ok(seen)
        })
    };
    let started = Instant::now();
    let mut sends = Vec::with_capacity(count);
    for index in 0..count {
        let at = started + Duration::from_secs_f64(index as f64 / rate);
        tokio::time::sleep_until(at.into()).await;
        let kindpakket = kindpakket.clone();
        let body = json!({
            "kind": kindpakket.child_reference(SCHOOL.organisation, Uuid::new_v4())?,
            "voorzieningsoort": "maatschappelijke_participatie",
            "reden": "laag_inkomen",
            "datum": date,
        });
        sends.push(tokio::spawn(async move {
            let sent = Instant::now();
            let answer = kindpakket
                .post(
                    &kindpakket.signalling_url(LATENCY, "signaleringen"),
                    SCHOOL,
                    &body,
                )
                .await?;
            if answer.status != StatusCode::CREATED {
                bail!("a signal refused: {}", answer.status);
            }
            anyhow::Ok(sent)
        }));
    }
    let mut sent = Vec::with_capacity(count);
    for send in sends {
        sent.push(send.await??);
    }
    sent.sort();
    let seen = watcher.await??;
    if seen.len() < count {
        bail!("the dashboard counted {} of {count} signals", seen.len());
    }
    let lags: Vec<f64> = sent
        .iter()
        .zip(&seen)
        .map(|(sent, seen)| seen.saturating_duration_since(*sent).as_secs_f64() * 1000.0)
        .collect();
    table.row(
        &format!(
            "signal to dashboard at {rate:.0} commands/s ({}), ms p50 / p99",
            if options.measures("commands") {
                "half the sustained"
            } else {
                "--latency-rate"
            }
        ),
        format!(
            "{:.0} / {:.0}",
            percentile(&lags, 0.5),
            percentile(&lags, 0.99)
        ),
        "—".to_owned(),
        "—".to_owned(),
        "p99 ≤ 100 ms",
    );
    Ok(())
}

/// The dashboard rebuilt from zero against a plain pull consumer on the same streams.
async fn rebuild(
    platform: &mut Platform,
    options: &Options,
    batch: Option<usize>,
    table: &mut Table,
) -> Result<()> {
    let (mut rates, mut raws) = (Vec::new(), Vec::new());
    let mut events = 0;
    let mut cpu = None;
    for _ in 0..options.repeats {
        let once = rebuild_once(platform, batch).await?;
        events = once.events;
        rates.push(once.rebuilt);
        raws.push(once.raw);
        // The CPU of the run whose rate is the median's is not known yet; the last run's is shown.
        cpu = Some((once.rebuild_cpu, once.raw_cpu));
    }
    let (rebuilt, raw) = (median(rates), median(raws));
    let batches = match batch {
        Some(batch) => format!(", batches of {batch}"),
        None => String::new(),
    };
    table.row(
        &format!("dashboard rebuilt from zero ({events} events of 4 streams{batches}), events/s"),
        format!("{rebuilt:.0}"),
        format!("raw pull consumer {raw:.0}/s"),
        share(rebuilt, raw),
        "≥ 80%",
    );
    table.row(
        "a national year (5 million events) rebuilt, extrapolated",
        format!("{:.0} s", NATIONAL_EVENTS / rebuilt),
        format!("{:.0} s at the raw rate", NATIONAL_EVENTS / raw),
        "—".to_owned(),
        "≤ 90 s",
    );
    if let Some((rebuild_cpu, raw_cpu)) = cpu {
        table.row(
            "CPU per event rebuilt, µs (by process; the last run)",
            rebuild_cpu,
            format!("raw pull consumer: {raw_cpu}"),
            "—".to_owned(),
            "—",
        );
    }
    Ok(())
}

/// What one rebuild measured.
struct Rebuilt {
    /// Events in the streams.
    events: u64,
    /// Events per second applied by the dashboard's replay.
    rebuilt: f64,
    /// Messages per second read by a plain pull consumer.
    raw: f64,
    /// CPU per event of the replay, and per message of the plain consumer (`cpu_per`, µs).
    rebuild_cpu: String,
    raw_cpu: String,
}

/// One rebuild of the dashboard from zero: the events stored, the rate of the rebuild and the rate
/// of a plain pull consumer reading the same streams after it.
async fn rebuild_once(platform: &mut Platform, batch: Option<usize>) -> Result<Rebuilt> {
    let data = platform.postgres.dir().join("data");
    let services: Vec<&str> = ServiceName::ALL.iter().map(|name| name.binary()).collect();
    let (_, js) = kindpakket_platform::nats::connect(&[platform.nats.url()]).await?;
    let mut last = BTreeMap::new();
    let mut events = 0u64;
    for source in STREAMS {
        let mut stream = js.get_stream(source.stream().name).await?;
        let state = stream.info().await?.state.clone();
        events += state.messages;
        last.insert(source.stream().name, (source, state.last_sequence));
    }
    let dashboard = platform.service_mut(ServiceName::Dashboard);
    dashboard.terminate(Duration::from_secs(30)).await?;
    let (status, output) = dashboard.run_once(&["rebuild"], &[])?;
    if !status.success() {
        bail!("kindpakket-dashboard rebuild failed: {output}");
    }
    match batch {
        Some(batch) => dashboard.set_environment("KINDPAKKET_CONSUMER_BATCH", &batch.to_string()),
        None => dashboard.remove_environment("KINDPAKKET_CONSUMER_BATCH"),
    }
    dashboard.start_again().await?;
    // Timed from the moment it answers (its start-up is not the replay's), counting what it had
    // applied by then out.
    let applied_floor = |js: async_nats::jetstream::Context| {
        let last = last.clone();
        async move {
            let mut applied = 0;
            let mut behind = false;
            for (name, (source, last_sequence)) in &last {
                let stream = js.get_stream(name).await?;
                let floor = match stream
                    .consumer_info(durable_name("dashboard", *source))
                    .await
                {
                    Ok(info) => info.ack_floor.stream_sequence,
                    Err(_) => 0,
                };
                applied += floor;
                behind |= floor < *last_sequence;
            }
            anyhow::Ok((applied, behind))
        }
    };
    let started = Instant::now();
    let cpu_before = measure::cpu_seconds(&data, &services)?;
    let (applied_at_start, _) = applied_floor(js.clone()).await?;
    loop {
        let (_, behind) = applied_floor(js.clone()).await?;
        if !behind {
            break;
        }
        if started.elapsed() > Duration::from_secs(3600) {
            bail!("the rebuild did not finish within an hour");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let replayed = events.saturating_sub(applied_at_start) as f64;
    let rebuilt = replayed / started.elapsed().as_secs_f64();
    let rebuild_cpu = cpu_per(
        &cpu_before,
        &measure::cpu_seconds(&data, &services)?,
        replayed,
        1e6,
    );
    let (mut read, mut took) = (0, Duration::ZERO);
    let cpu_before = measure::cpu_seconds(&data, &services)?;
    for name in last.keys() {
        let (messages, duration) = measure::raw_consume(&js, name).await?;
        read += messages;
        took += duration;
    }
    let raw_cpu = cpu_per(
        &cpu_before,
        &measure::cpu_seconds(&data, &services)?,
        read as f64,
        1e6,
    );
    let raw = read as f64 / took.as_secs_f64();
    Ok(Rebuilt {
        events,
        rebuilt,
        raw,
        rebuild_cpu,
        raw_cpu,
    })
}
