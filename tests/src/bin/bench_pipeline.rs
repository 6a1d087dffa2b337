//! Measures the event pipeline on this machine, against real PostgreSQL and nats-server (throw-away
//! instances from the test harness): events committed to a store in transactions of 100, published
//! by the relay to JetStream (pipelined, with `Nats-Msg-Id`), and applied by an idempotent durable
//! consumer (offset per aggregate), once with one transaction per event and once with batches of
//! [`consume::DEFAULT_MAX_BATCH`] per transaction. Prints the median of several runs.
//!
//! `cargo run --release -p kindpakket-tests --bin bench-pipeline -- [events] [runs]` (default 20000 3)

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use kindpakket_platform::consume::{
    self, ConsumerConfig, EventHandler, HandlerError, ReceivedEvent, CONSUMER_MIGRATION,
};
use kindpakket_platform::relay::{Relay, RELAY_MIGRATION};
use kindpakket_platform::store::EVENT_STORE_MIGRATION;
use kindpakket_proto::Service;
use kindpakket_tests::{Nats, Postgres};
use sqlx::PgConnection;

/// Applies nothing but the consumer's own bookkeeping: what is measured is the pipeline.
struct Bookkeeping;

impl EventHandler for Bookkeeping {
    async fn handle(&self, _: &mut PgConnection, _: &ReceivedEvent) -> Result<(), HandlerError> {
        Ok(())
    }
}

struct Run {
    commit: f64,
    relay: f64,
    consume_single: f64,
    consume_batched: f64,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let events: usize = args.first().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    let runs: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(3);
    let mut results = Vec::new();
    for run in 1..=runs {
        let result = one_run(events).await?;
        eprintln!(
            "run {run}: commit {:.0}/s, relay {:.0}/s, consume {:.0}/s one tx each, {:.0}/s batched",
            result.commit, result.relay, result.consume_single, result.consume_batched
        );
        results.push(result);
    }
    let median = |pick: fn(&Run) -> f64| {
        let mut values: Vec<f64> = results.iter().map(pick).collect();
        values.sort_by(f64::total_cmp);
        (
            values[values.len() / 2],
            values[0],
            values[values.len() - 1],
        )
    };
    println!("pipeline, {events} events, {runs} runs (events per second)");
    println!(
        "{:<48} {:>10} {:>10} {:>10}",
        "stage", "median", "min", "max"
    );
    for (stage, pick) in [
        (
            "commit to the store (100 events per transaction)",
            (|r: &Run| r.commit) as fn(&Run) -> f64,
        ),
        ("relay: store to JetStream, acknowledged", |r: &Run| r.relay),
        ("consumer: JetStream to offsets, one tx each", |r: &Run| {
            r.consume_single
        }),
        ("consumer: JetStream to offsets, batched", |r: &Run| {
            r.consume_batched
        }),
    ] {
        let (median, min, max) = median(pick);
        println!("{stage:<48} {median:>10.0} {min:>10.0} {max:>10.0}");
    }
    Ok(())
}

async fn one_run(events: usize) -> Result<Run> {
    let postgres = Postgres::start().await?;
    let nats = Nats::start().await?;
    let pool = kindpakket_platform::db::connect(&postgres.url("bench")).await?;
    kindpakket_platform::db::migrate(
        &pool,
        &[EVENT_STORE_MIGRATION, RELAY_MIGRATION, CONSUMER_MIGRATION],
    )
    .await?;
    let (_, js) = kindpakket_platform::nats::connect(&[nats.url()]).await?;
    kindpakket_platform::nats::ensure_stream(&js, Service::Signalling, &Default::default()).await?;

    let commit = kindpakket_tests::measure::fill_store(&pool, events).await?;

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
    while published < events {
        published += relay.publish_next_batch().await?;
    }
    let relay_rate = events as f64 / started.elapsed().as_secs_f64();

    let consume_single = consume_all(&pool, &js, events, 1).await?;
    let consume_batched = consume_all(&pool, &js, events, consume::DEFAULT_MAX_BATCH).await?;
    Ok(Run {
        commit,
        relay: relay_rate,
        consume_single,
        consume_batched,
    })
}

/// Consumes the whole stream with a durable of its own, `max_batch` messages per transaction at
/// most; events per second.
async fn consume_all(
    pool: &sqlx::PgPool,
    js: &async_nats::jetstream::Context,
    events: usize,
    max_batch: usize,
) -> Result<f64> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let config = ConsumerConfig {
        durable_name: format!("bench-{max_batch}"),
        source: Service::Signalling,
        max_batch,
    };
    let started = Instant::now();
    let consumer = tokio::spawn(consume::run(
        js.clone(),
        pool.clone(),
        config.clone(),
        Arc::new(Bookkeeping),
        stopped,
    ));
    loop {
        let applied: i64 =
            sqlx::query_scalar("SELECT count(*) FROM consumer_offsets WHERE consumer = $1")
                .bind(&config.durable_name)
                .fetch_one(pool)
                .await?;
        if applied as usize >= events {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let rate = events as f64 / started.elapsed().as_secs_f64();
    let _ = stop.send(true);
    let _ = consumer.await;
    Ok(rate)
}
