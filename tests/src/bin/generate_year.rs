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
//! The year is this year, on a platform whose clock stands at 31 December
//! (`KINDPAKKET_CLOCK_OFFSET_DAYS`): all twelve months lie in the past, and the year's regeling is
//! in force for the discounts regie agrees (a discount is agreed against the regeling in force on
//! the day). Without `--running` it starts the platform itself (throw-away Postgres and
//! nats-server, the service binaries of the same build profile) with its clock moved so; with it,
//! it sends the year to the platform that `scripts/run.sh` runs, which must be started with the
//! clock moved (the generator prints the days) and with `KINDPAKKET_RATE_PER_SECOND` and
//! `KINDPAKKET_RATE_BURST` raised (the generator's clients act as a handful of organisations).
//! `--jaar` names another year for `--running` against a platform whose clock stands in it.
//! `--fraction 1.0` is the whole national year (about 420,000 children, some five million events).
//! After the year the partners invoice each quarter and regie settles every line; on a platform of
//! its own it then moves the clocks to 1 January and regie closes the year (every right expires,
//! the unused ones are the dashboard's non-use figures). With `--running` there is no year end.

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
    let running = args.iter().any(|arg| arg == "--running");
    let today = kindpakket_platform::clock::today();
    let year: i32 = value(&args, "--jaar", today.year())?;
    let plan = national::plan(seed, size, year);
    println!(
        "jaar {year}, seed {seed}: {} gemeenten, {} kinderen in {} huishoudens, hoogstens {} commando's; digest {}",
        plan.gemeenten.len(),
        plan.children(),
        plan.households.len(),
        plan.commands(),
        plan.digest()
    );
    if args.iter().any(|arg| arg == "--plan-only") {
        return Ok(());
    }
    if !running && year != today.year() {
        anyhow::bail!("--jaar: zonder --running genereert generate-year dit jaar ({}), op een platform waarvan de klok op 31 december staat", today.year());
    }
    let (mut platform, kindpakket) = if running {
        eprintln!(
            "het platform moet op 31 december {year} staan: start scripts/run.sh met \
             KINDPAKKET_CLOCK_OFFSET_DAYS={} (voor dit jaar)",
            national::days_to_year_end(today)
        );
        (None, kindpakket_tests::client::running_platform(&args)?)
    } else {
        let mut platform = Platform::start().await?;
        // All its clients act as a few organisations: the per-caller limit is not what it tests.
        platform.without_rate_limits().await?;
        platform.at_year_end().await?;
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
        let total = plan.children();
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
    national::run_households(
        &kindpakket,
        &plan,
        0..plan.households.len(),
        clients,
        &progress,
        &mut report,
    )
    .await?;
    national::invoice_quarters(&kindpakket, &plan, clients, &mut report).await?;
    // The year end needs the clocks in the next year: only on a platform of its own.
    if let Some(platform) = platform.as_mut() {
        platform.at_new_year().await?;
        report.commands += national::close_year(&kindpakket, &plan, clients).await?;
    } else {
        eprintln!("geen jaarafsluiting: die vraagt de klok van het platform op 1 januari");
    }
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
    println!(
        "rechten {}, waarvan ongebruikt {}; besteed € {:.2}",
        total.rights,
        total.rights_unused,
        total.spent_cents as f64 / 100.0
    );
    println!("verstrekkingen per vorm: {:?}", report.uses_per_form);
    Ok(())
}
