//! Generates a synthetic national year (see `kindpakket_tests::national`): per gemeente a regeling
//! drawn from the study's distributions, its partners and signallers, its routing, then twelve
//! months of signals, applications, grants and deliveries, all through the services' HTTP command
//! paths with many clients at once. Seeded: the same seed gives the same commands (the digest it
//! prints says so).
//!
//! `generate-year [--seed N] [--gemeenten 342] [--fraction 0.001] [--clients 16] [--jaar YYYY]
//! [--plan-only] [--running [--regie URL --signalling URL --application URL --provision URL
//! --dashboard URL]]`
//!
//! Without `--running` it starts the platform itself (throw-away Postgres and nats-server, the
//! service binaries of the same build profile); with it, it sends the year to the platform that
//! `scripts/run.sh` runs (raise its `KINDPAKKET_RATE_PER_SECOND` and `KINDPAKKET_RATE_BURST` first:
//! the generator's clients act as a handful of organisations). `--fraction 1.0` is the whole national year (about 420,000 children,
//! some five million events). `--jaar` defaults to last year, so that all twelve months lie in the
//! past.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use kindpakket_tests::national::{self, Progress, Report, Size};
use kindpakket_tests::Platform;

fn value<T: std::str::FromStr>(args: &[String], flag: &str, default: T) -> Result<T> {
    match args.iter().position(|arg| arg == flag) {
        Some(index) => args
            .get(index + 1)
            .and_then(|value| value.parse().ok())
            .with_context(|| format!("{flag} needs a value")),
        None => Ok(default),
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        println!(
            "generate-year [--seed N] [--gemeenten 342] [--fraction 0.001] [--clients 16] [--jaar YYYY] \
             [--plan-only] [--running [--regie URL ...]]"
        );
        return Ok(());
    }
    let seed: u64 = value(&args, "--seed", 1)?;
    let size = Size {
        gemeenten: value(&args, "--gemeenten", national::NATIONAL_GEMEENTEN)?,
        fraction: value(&args, "--fraction", 0.001)?,
    };
    let clients: usize = value(&args, "--clients", 16)?;
    let year: i32 = value(
        &args,
        "--jaar",
        kindpakket_platform::clock::today().year() - 1,
    )?;
    let plan = national::plan(seed, size, year);
    println!(
        "jaar {year}, seed {seed}: {} gemeenten, {} kinderen, hoogstens {} commando's; digest {}",
        plan.gemeenten.len(),
        plan.children.len(),
        plan.commands(),
        plan.digest()
    );
    if args.iter().any(|arg| arg == "--plan-only") {
        return Ok(());
    }
    let (_platform, kindpakket) = if args.iter().any(|arg| arg == "--running") {
        (None, kindpakket_tests::client::running_platform(&args)?)
    } else {
        let mut platform = Platform::start().await?;
        // All its clients act as a few organisations: the per-caller limit is not what it tests.
        platform.without_rate_limits().await?;
        let client = platform.client();
        (Some(platform), client)
    };
    let started = Instant::now();
    let progress = Arc::new(Progress::default());
    let setup = national::set_up(&kindpakket, &plan, clients).await?;
    progress.commands.fetch_add(setup, Ordering::Relaxed);
    eprintln!(
        "{} gemeenten ingericht in {:.0?}",
        plan.gemeenten.len(),
        started.elapsed()
    );
    let reporter = {
        let progress = progress.clone();
        let total = plan.children.len();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(10)).await;
                eprintln!(
                    "{} van {total} kinderen, {} commando's",
                    progress.children.load(Ordering::Relaxed),
                    progress.commands.load(Ordering::Relaxed)
                );
            }
        })
    };
    let mut report = Report::default();
    national::run_children(
        &kindpakket,
        &plan,
        0..plan.children.len(),
        clients,
        &progress,
        &mut report,
    )
    .await?;
    reporter.abort();
    let elapsed = started.elapsed().as_secs_f64();
    let total = report.total();
    println!(
        "{} commando's in {elapsed:.1} s ({:.0}/s) met {clients} clients",
        report.commands,
        report.commands as f64 / elapsed
    );
    println!(
        "kinderen gesignaleerd {}, aangevraagd {}, toegekend {}, bediend {}; verstrekkingen {}",
        total.signalled, total.applied, total.granted, total.served, total.deliveries
    );
    Ok(())
}
