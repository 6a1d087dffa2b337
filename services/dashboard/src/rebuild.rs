//! `kindpakket-dashboard rebuild`: rebuild the read model from the streams, after a fix of a
//! projection, or to prove that a replay brings nothing back.
//!
//! Run it with every dashboard instance stopped (it refuses while one serves), then start the
//! dashboard: its consumers are created anew and read every stream from its first message.
//!
//! What it does, in this order (a crash anywhere leaves a state the next start or run repairs):
//! 1. checks that every stream still holds its first message. A stream whose early messages aged
//!    out (`KINDPAKKET_STREAM_MAX_AGE_DAYS`) cannot give them back: the rebuild refuses and the
//!    read model stays as it is. (To rebuild anyway, have the services republish their stores:
//!    their relays do when their stream holds less than they published, see ARCHITECTURE.md.)
//! 2. deletes the dashboard's durable consumers, so that they start again at the first message;
//! 3. in one transaction: deletes the consumers' offsets and the rows the streams will give again —
//!    every row, except those dated before what retention folded (their events are not taken in
//!    again, [`crate::projections::retention`]); the regie stream's rows (provisions, partners,
//!    regeling versions and their budgets) all. Kept: the aggregates of folded children, the
//!    markers of forgotten people (so their events are written under their alias straight away),
//!    the parked events, the page sessions.

use anyhow::{bail, Context, Result};
use kindpakket_platform::config::ServiceConfig;
use kindpakket_platform::db;
use kindpakket_proto::subjects::durable_name;
use time::Date;

use crate::projections::retention::Retention;
use crate::projections::MIGRATIONS;
use crate::startup::{SERVING_LOCK, SOURCES};

/// What a rebuild cleared.
#[derive(Debug, Default)]
struct Cleared {
    rows: u64,
    offsets: u64,
}

fn not_found(error: &async_nats::jetstream::stream::ConsumerError) -> bool {
    use async_nats::jetstream::{stream::ConsumerErrorKind, ErrorCode};
    matches!(error.kind(), ConsumerErrorKind::JetStream(inner) if inner.error_code() == ErrorCode::CONSUMER_NOT_FOUND)
}

pub async fn run(config: ServiceConfig) -> Result<()> {
    let pool = db::open(&config.database, &MIGRATIONS).await?;
    let mut guard = pool.acquire().await?.detach();
    let alone: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext($1))")
        .bind(SERVING_LOCK)
        .fetch_one(&mut guard)
        .await?;
    if !alone {
        bail!(
            "a dashboard instance is running on this database: stop every instance, then rebuild"
        );
    }
    let (_client, js) =
        kindpakket_platform::nats::connect_as(&config.nats_urls, &config.nats_security).await?;
    let mut streams = Vec::new();
    for source in SOURCES {
        let name = source.stream().name;
        let mut stream = js
            .get_stream(&name)
            .await
            .with_context(|| format!("stream {name} cannot be read: nothing to rebuild from"))?;
        let state = stream.info().await?.state.clone();
        if state.first_sequence > 1 {
            bail!(
                "stream {name} no longer holds its first {} messages (aged out or removed): a replay \
                 would lose them, so the read model is left as it is",
                state.first_sequence - 1
            );
        }
        streams.push((source, stream));
    }
    for (source, stream) in &streams {
        let durable = durable_name("dashboard", *source);
        match stream.delete_consumer(&durable).await {
            Ok(_) => tracing::info!(consumer = %durable, "durable consumer deleted"),
            Err(error) if not_found(&error) => {}
            Err(error) => {
                return Err(anyhow::Error::new(error).context(format!("deleting {durable}")))
            }
        }
    }
    let mut transaction = pool.begin().await?;
    let folded_before: Option<Date> = Retention::folded_before(&mut transaction).await?;
    let mut cleared = Cleared::default();
    for (table, dated) in [
        ("signals", "signalled_on"),
        ("applications", "submitted_on"),
        ("entitlements", "valid_until"),
        ("deliveries", "delivered_on"),
        ("expirations", "expired_on"),
        ("household_children", "valid_until"),
    ] {
        // Table and column names are the constants above.
        cleared.rows += sqlx::query(&format!(
            "DELETE FROM {table} WHERE $1::date IS NULL OR {dated} IS NULL OR {dated} >= $1"
        ))
        .bind(folded_before)
        .execute(&mut *transaction)
        .await?
        .rows_affected();
    }
    cleared.rows += sqlx::query(
        "DELETE FROM application_children c
         WHERE NOT EXISTS (SELECT 1 FROM applications a WHERE a.application_id = c.application_id)",
    )
    .execute(&mut *transaction)
    .await?
    .rows_affected();
    // The regie stream's rows (catalogue, partners, regeling versions and their budgets, the
    // doelgroep) are organisations' and public decisions, never folded, and the wishes point at
    // nobody: all of them come again. So do the campaigns (of the provision stream): they name
    // entitlements only, whose children are the entitlements'.
    for table in [
        "provisions",
        "partners",
        "regelingen",
        "regeling_budgets",
        "target_groups",
        "target_group_rows",
        "wishes",
        "campaigns",
        "campaign_targets",
    ] {
        cleared.rows += sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *transaction)
            .await?
            .rows_affected();
    }
    cleared.offsets = sqlx::query("DELETE FROM consumer_offsets")
        .execute(&mut *transaction)
        .await?
        .rows_affected();
    // What the replay must reach before the figures are whole again (`crate::rebuilding`).
    sqlx::query("DELETE FROM rebuilding")
        .execute(&mut *transaction)
        .await?;
    for (source, stream) in &mut streams {
        let last = stream.info().await?.state.last_sequence;
        sqlx::query("INSERT INTO rebuilding (stream, replay_to) VALUES ($1, $2)")
            .bind(source.stream().name)
            .bind(i64::try_from(last).unwrap_or(i64::MAX))
            .execute(&mut *transaction)
            .await?;
    }
    transaction.commit().await?;
    tracing::info!(
        rows = cleared.rows,
        offsets = cleared.offsets,
        "read model cleared for a rebuild: start the dashboard to replay the streams"
    );
    Ok(())
}
