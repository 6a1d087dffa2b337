//! Looking behind the APIs, as an operator would: what each store holds and what each stream holds.
//! The end-to-end tests compare the two to prove that nothing was lost or published twice.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use async_nats::jetstream::{self, stream::RawMessageErrorKind};
use futures::StreamExt;
use kindpakket_proto::{EventMessage, Service};
use serde_json::Value;
use sqlx::{Connection, PgConnection};

/// The database of each publishing service.
pub fn database_of(service: Service) -> &'static str {
    match service {
        Service::Regie => "kindpakket_regie",
        Service::Signalling => "kindpakket_signalling",
        Service::Application => "kindpakket_application",
        Service::Provision => "kindpakket_provision",
    }
}

/// How many events a service's store holds.
pub async fn store_event_count(database_url: &str) -> Result<i64> {
    let mut connection = PgConnection::connect(database_url)
        .await
        .with_context(|| format!("connecting to {database_url}"))?;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&mut connection)
        .await?;
    connection.close().await?;
    Ok(count)
}

/// Every message of a service's stream, in stream order, with its `Nats-Msg-Id`: what the stream's
/// leader holds.
///
/// Read message by message from the leader (`STREAM.MSG.GET`, which only the leader answers, and a
/// leader only once it has applied everything committed before its election), never through a
/// consumer: on a cluster an ephemeral consumer lands on any replica, and one that is still catching
/// up (a node just restarted) delivers less, or stalls; and while a stream has no leader, each of its
/// replicas answers `STREAM.INFO` with its own, possibly older, state. Such an answer, or a leader
/// that changed during the read, is an error: "not yet" for a caller that waits.
pub async fn stream_messages(
    nats_url: &str,
    service: Service,
) -> Result<Vec<(String, EventMessage<Value>)>> {
    let servers: Vec<async_nats::ServerAddr> = nats_url
        .split(',')
        .map(|url| url.trim().parse())
        .collect::<Result<_, _>>()?;
    let client = async_nats::connect(servers).await?;
    // A request nobody answers (a node just restarted, a stream between leaders) fails soon, so that
    // a waiting caller asks again rather than sitting out the connection's 10 s.
    let js = jetstream::ContextBuilder::new()
        .timeout(REQUEST_TIMEOUT)
        .build(client);
    let name = service.stream().name;
    let stream = js
        .get_stream(&name)
        .await
        .with_context(|| format!("opening stream {name}"))?;
    let before = stream.cached_info().clone();
    let leader = leader_of(&before)?;
    let sequences: Vec<u64> = if before.state.messages > 0 {
        (before.state.first_sequence..=before.state.last_sequence).collect()
    } else {
        Vec::new()
    };
    // In stream order, a few requests at a time (an operator's stream can be long).
    let fetched: Vec<_> = futures::stream::iter(sequences)
        .map(|sequence| {
            let stream = &stream;
            async move { (sequence, stream.get_raw_message(sequence).await) }
        })
        .buffered(CONCURRENT_REQUESTS)
        .collect()
        .await;
    let mut read = Vec::new();
    for (sequence, message) in fetched {
        let message = match message {
            Ok(message) => message,
            // Deleted from the middle of the stream: not there.
            Err(error) if error.kind() == RawMessageErrorKind::NoMessageFound => continue,
            Err(error) => {
                return Err(error).with_context(|| format!("reading message {sequence} of {name}"))
            }
        };
        let id = message
            .headers
            .get("Nats-Msg-Id")
            .map(|value| value.to_string())
            .unwrap_or_default();
        let parsed: EventMessage<Value> = serde_json::from_slice(&message.payload)
            .with_context(|| format!("message {sequence} of {name}"))?;
        read.push((id, parsed));
    }
    let after = stream.get_info().await?;
    if leader_of(&after)? != leader {
        bail!(
            "the leader of {name} changed from {leader} to {} while it was read",
            leader_of(&after)?
        );
    }
    if read.len() as u64 != before.state.messages {
        bail!(
            "{name}: its leader {leader} said it held {} messages, and gave {}",
            before.state.messages,
            read.len()
        );
    }
    Ok(read)
}

/// How long one request to JetStream may take in [`stream_messages`].
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// How many messages [`stream_messages`] asks the leader for at once.
const CONCURRENT_REQUESTS: usize = 32;

/// The server that answered a stream's info as its leader (a single server always is), or an error
/// when a replica answered for a clustered stream without a leader: its own state, not necessarily
/// the stream's.
fn leader_of(info: &jetstream::stream::Info) -> Result<String> {
    let Some(cluster) = &info.cluster else {
        return Ok(String::from("the single server"));
    };
    cluster
        .leader
        .clone()
        .filter(|leader| !leader.is_empty())
        .with_context(|| {
            format!(
                "stream {} has no leader (a replica answered with its own state: {} messages)",
                info.config.name, info.state.messages
            )
        })
}

/// A comparison of one service's store with its stream.
#[derive(Debug, PartialEq, Eq)]
pub struct StoreVersusStream {
    pub service: Service,
    pub in_store: i64,
    pub on_stream: usize,
    pub distinct_on_stream: usize,
    /// `Nats-Msg-Id`s of stored events that are not on the stream (at most [`SHOWN`]).
    pub missing: Vec<String>,
    /// `Nats-Msg-Id`s on the stream more than once (at most [`SHOWN`]).
    pub doubled: Vec<String>,
    /// `Nats-Msg-Id`s on the stream of no stored event (at most [`SHOWN`]).
    pub unknown: Vec<String>,
}

/// How many ids of each kind a comparison names: enough to find them in the logs.
pub const SHOWN: usize = 5;

impl StoreVersusStream {
    /// Every stored event is on the stream exactly once, and nothing else is.
    pub fn is_exact(&self) -> bool {
        self.in_store as usize == self.on_stream
            && self.on_stream == self.distinct_on_stream
            && self.missing.is_empty()
            && self.doubled.is_empty()
            && self.unknown.is_empty()
    }
}

/// The `Nats-Msg-Id` of every event in a service's store.
pub async fn store_message_ids(service: Service, database_url: &str) -> Result<Vec<String>> {
    let mut connection = PgConnection::connect(database_url)
        .await
        .with_context(|| format!("connecting to {database_url}"))?;
    let keys: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT aggregate_type, aggregate_id, sequence FROM events")
            .fetch_all(&mut connection)
            .await?;
    connection.close().await?;
    Ok(keys
        .into_iter()
        .map(|(aggregate_type, aggregate_id, sequence)| {
            kindpakket_proto::envelope::message_id(
                service,
                &aggregate_type,
                &aggregate_id,
                sequence as u64,
            )
        })
        .collect())
}

/// Compares a service's store with its stream, message id by message id.
pub async fn compare(
    service: Service,
    database_url: &str,
    nats_url: &str,
) -> Result<StoreVersusStream> {
    let stored = store_message_ids(service, database_url).await?;
    let messages = stream_messages(nats_url, service).await?;
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (id, _) in &messages {
        *seen.entry(id.as_str()).or_default() += 1;
    }
    let in_store: HashSet<&str> = stored.iter().map(String::as_str).collect();
    let first = |ids: Vec<&str>| -> Vec<String> {
        let mut ids: Vec<String> = ids.into_iter().map(str::to_owned).collect();
        ids.sort();
        ids.truncate(SHOWN);
        ids
    };
    Ok(StoreVersusStream {
        service,
        in_store: stored.len() as i64,
        on_stream: messages.len(),
        distinct_on_stream: seen.len(),
        missing: first(
            stored
                .iter()
                .map(String::as_str)
                .filter(|id| !seen.contains_key(id))
                .collect(),
        ),
        doubled: first(
            seen.iter()
                .filter(|(_, count)| **count > 1)
                .map(|(id, _)| *id)
                .collect(),
        ),
        unknown: first(
            seen.keys()
                .copied()
                .filter(|id| !in_store.contains(id))
                .collect(),
        ),
    })
}

/// Aggregates whose last stored sequence differs from what a consumer has applied.
#[derive(Debug, PartialEq, Eq)]
pub struct ConsumerLag {
    pub service: Service,
    pub consumer: String,
    /// Aggregates the consumer is behind on (or ahead of, which would mean a lost store event).
    pub differing_aggregates: usize,
    pub aggregates_in_store: usize,
}

/// Compares a service's store with what a consuming service (the dashboard, `dashboard-<service>`)
/// has applied: per aggregate, the last stored sequence against the consumer's offset.
pub async fn compare_consumer(
    service: Service,
    store_url: &str,
    consumer_database_url: &str,
    consumer: &str,
) -> Result<ConsumerLag> {
    let mut store = PgConnection::connect(store_url).await?;
    let stored: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT aggregate_type, aggregate_id, max(sequence) FROM events GROUP BY aggregate_type, aggregate_id",
    )
    .fetch_all(&mut store)
    .await?;
    store.close().await?;
    let mut consuming = PgConnection::connect(consumer_database_url).await?;
    let applied: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT aggregate_type, aggregate_id, last_sequence FROM consumer_offsets WHERE consumer = $1",
    )
    .bind(consumer)
    .fetch_all(&mut consuming)
    .await?;
    consuming.close().await?;
    let applied: std::collections::HashMap<(String, String), i64> = applied
        .into_iter()
        .map(|(aggregate_type, aggregate_id, sequence)| ((aggregate_type, aggregate_id), sequence))
        .collect();
    let differing = stored
        .iter()
        .filter(|(aggregate_type, aggregate_id, sequence)| {
            applied.get(&(aggregate_type.clone(), aggregate_id.clone())) != Some(sequence)
        })
        .count()
        + applied.len().saturating_sub(stored.len());
    Ok(ConsumerLag {
        service,
        consumer: consumer.to_owned(),
        differing_aggregates: differing,
        aggregates_in_store: stored.len(),
    })
}

/// Every row of every table in the public schema of the database at `database_url`, one row's text
/// per line. Connect as the superuser: row-level security does not bind it, so this is everything
/// there is.
pub async fn rows_as_text(database_url: &str) -> Result<String> {
    use sqlx::Row;
    let pool = sqlx::PgPool::connect(database_url).await?;
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            .fetch_all(&pool)
            .await?;
    let mut text = String::new();
    for table in tables {
        let rows = sqlx::query(&format!("SELECT t::text AS row FROM \"{table}\" t"))
            .fetch_all(&pool)
            .await?;
        for row in rows {
            text.push_str(&row.get::<String, _>("row"));
            text.push('\n');
        }
    }
    pool.close().await;
    Ok(text)
}
