//! The relay: publishes every committed event of a service's store to JetStream, in commit order,
//! exactly as stored, and never skips one.
//!
//! It tails the `events` table by `(tx_id, global_position)` and only reads rows of transactions older
//! than every transaction still running (`tx_id < pg_snapshot_xmin(pg_current_snapshot())`): identity
//! values become visible at commit, out of order, so reading by `global_position` alone would skip an
//! event whose transaction committed late. Each message carries `Nats-Msg-Id =
//! <service>:<aggregate_type>:<aggregate_id>:<sequence>`, the table's key, so a republish after a crash
//! is dropped by the stream's duplicate window (and by the consumers' sequence check after it). The
//! checkpoint moves only after JetStream acknowledged. One relay per service holds an advisory lock;
//! others wait. A trigger's NOTIFY wakes it; it polls as a fallback.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use async_nats::jetstream::{self, context::PublishAckFuture, message::PublishMessage};
use async_nats::HeaderMap;
use kindpakket_proto::envelope::{event_id, headers, message_id};
use kindpakket_proto::subjects::event_subject;
use kindpakket_proto::{
    Actor, EventEnvelope, EventMessage, GemeenteCode, OrganisationId, Role, Service,
};
use sqlx::postgres::PgListener;
use sqlx::{PgPool, Row};
use time::OffsetDateTime;
use tokio::sync::watch;
use uuid::Uuid;

use crate::db::Migration;
use crate::locks::AdvisoryLock;
use crate::store::metadata_keys;

/// The relay remembers the stream sequence it was acknowledged up to, so that after a restart it can
/// prove the stream still holds what it acknowledged.
pub const RELAY_MIGRATION: Migration = Migration {
    name: "0002_relay_stream_sequence",
    sql: "ALTER TABLE relay_checkpoints ADD COLUMN stream_sequence bigint NOT NULL DEFAULT 0;",
};

/// One row of the events table as the relay reads it.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub global_position: i64,
    pub tx_id: String,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: serde_json::Value,
    pub metadata: HashMap<String, String>,
}

/// A stored event as the contract describes it.
pub struct ContractPayload {
    pub event_type: String,
    pub schema_version: u32,
    pub event: serde_json::Value,
}

/// Converts a service's stored event into its `proto` event. Each service provides one: its stored
/// events are its own, the contract is shared.
pub type Translator = Arc<dyn Fn(&StoredEvent) -> Result<ContractPayload> + Send + Sync>;

/// Builds a [`Translator`] from a conversion of the service's own event type into its contract type.
pub fn translator<Stored, Contract>(convert: fn(Stored) -> Contract) -> Translator
where
    Stored: serde::de::DeserializeOwned + 'static,
    Contract: kindpakket_proto::ContractEvent + 'static,
{
    translator_with_upcasters(convert, Vec::new)
}

/// One [`Translator`] for a service with several aggregate types: each stored event goes to the
/// translator of its aggregate type.
pub fn by_aggregate_type(translators: Vec<(&'static str, Translator)>) -> Translator {
    Arc::new(move |stored: &StoredEvent| {
        let (_, translate) = translators
            .iter()
            .find(|(aggregate_type, _)| *aggregate_type == stored.aggregate_type)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "no translator for aggregate type {} (event {}:{})",
                    stored.aggregate_type,
                    stored.aggregate_id,
                    stored.sequence
                )
            })?;
        translate(stored)
    })
}

/// Like [`translator`], bringing older stored events to today's shape first, with the same upcasters
/// the aggregate loads with: the stream carries what the aggregate sees.
pub fn translator_with_upcasters<Stored, Contract>(
    convert: fn(Stored) -> Contract,
    upcasters: fn() -> Vec<Box<dyn cqrs_es::persist::EventUpcaster>>,
) -> Translator
where
    Stored: serde::de::DeserializeOwned + 'static,
    Contract: kindpakket_proto::ContractEvent + 'static,
{
    let upcasters = upcasters();
    Arc::new(move |stored: &StoredEvent| {
        let mut serialized = cqrs_es::persist::SerializedEvent {
            aggregate_id: stored.aggregate_id.clone(),
            sequence: stored.sequence as usize,
            aggregate_type: stored.aggregate_type.clone(),
            event_type: stored.event_type.clone(),
            event_version: stored.event_version.clone(),
            payload: stored.payload.clone(),
            metadata: serde_json::to_value(&stored.metadata)?,
        };
        for upcaster in &upcasters {
            if upcaster.can_upcast(&serialized.event_type, &serialized.event_version) {
                serialized = upcaster.upcast(serialized);
            }
        }
        let event: Stored = serde_json::from_value(serialized.payload).with_context(|| {
            format!(
                "stored event {} {}:{} cannot be read as this service's event type",
                stored.aggregate_type, stored.aggregate_id, stored.sequence
            )
        })?;
        let contract = convert(event);
        Ok(ContractPayload {
            event_type: contract.event_type().to_owned(),
            schema_version: contract.schema_version(),
            event: serde_json::to_value(&contract)?,
        })
    })
}

/// Where the relay is: the last event published.
#[derive(Debug)]
struct Checkpoint {
    tx_id: String,
    global_position: i64,
}

/// Configuration of one relay.
pub struct Relay {
    pub service: Service,
    pub pool: PgPool,
    pub js: jetstream::Context,
    pub translate: Translator,
    pub batch_size: i64,
    pub poll_interval: Duration,
    /// How the relay declares its stream: replicas (1 locally, 3 in production) and maximum age.
    pub stream_policy: crate::nats::StreamPolicy,
}

impl Relay {
    pub fn new(
        service: Service,
        pool: PgPool,
        js: jetstream::Context,
        translate: Translator,
    ) -> Self {
        Self {
            service,
            pool,
            js,
            translate,
            batch_size: 500,
            poll_interval: Duration::from_millis(500),
            stream_policy: crate::nats::StreamPolicy::default(),
        }
    }

    fn name(&self) -> &'static str {
        self.service.as_str()
    }

    /// Runs until `shutdown` turns true. Errors are logged and retried; the relay never gives up.
    /// A batch being published when the service is told to stop is finished (its acknowledgements
    /// awaited and its checkpoint moved), and what was committed before the stop is drained for a
    /// few seconds more: a graceful stop leaves nothing for the next start to publish again.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            let result = self.lead(&mut shutdown).await;
            if *shutdown.borrow() {
                return;
            }
            if let Err(error) = result {
                tracing::warn!(
                    relay = self.name(),
                    error = format!("{error:#}"),
                    "relay interrupted, restarting"
                );
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    /// Takes the relay lock for this service, then publishes for as long as it holds, until told to
    /// stop.
    async fn lead(&self, shutdown: &mut watch::Receiver<bool>) -> Result<()> {
        // The lock lives on a session of its own: dropping it (on any error) closes the session and
        // frees the lock for the next attempt, here or in another instance.
        let lock_key = format!("kindpakket-relay:{}", self.name());
        let mut lock = loop {
            if let Some(lock) = AdvisoryLock::try_acquire(&self.pool, &lock_key).await? {
                break lock;
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                _ = shutdown.changed() => return Ok(()),
            }
        };
        tracing::info!(relay = self.name(), "relay holds the publishing lock");
        let prepared = async {
            // Declared here, not at start-up: a service accepts commands while NATS is unreachable,
            // and its relay publishes them once the stream can be reached.
            crate::nats::ensure_stream(&self.js, self.service, &self.stream_policy).await?;
            sqlx::query(
                "INSERT INTO relay_checkpoints (relay, tx_id, global_position) VALUES ($1, '0'::xid8, 0)
                 ON CONFLICT (relay) DO NOTHING",
            )
            .bind(self.name())
            .execute(&self.pool)
            .await?;
            self.repair_lost_stream().await?;
            let mut listener = PgListener::connect_with(&self.pool).await?;
            listener.listen("kindpakket_events").await?;
            anyhow::Ok(listener)
        };
        let mut listener = tokio::select! {
            listener = prepared => listener?,
            _ = shutdown.changed() => return Ok(()),
        };
        let mut checkpoint = self.read_checkpoint().await?;
        let mut lock_checked = tokio::time::Instant::now();
        loop {
            // Never interrupted halfway: a batch is published, acknowledged and checkpointed whole.
            let published = self.publish_after(&mut checkpoint).await?;
            if *shutdown.borrow() {
                return self.drain().await;
            }
            if published as i64 >= self.batch_size {
                continue;
            }
            // Wait for a commit notification, or poll: a notification can be missed while reconnecting.
            tokio::select! {
                received = tokio::time::timeout(self.poll_interval, listener.recv()) => match received {
                    Ok(Ok(_)) | Err(_) => {}
                    Ok(Err(error)) => {
                        tracing::warn!(relay = self.name(), error = %error, "listen connection lost; polling")
                    }
                },
                _ = shutdown.changed() => return self.drain().await,
            }
            // Keep the lock connection alive and detect its loss, at most every poll interval (not
            // on every wake-up: a trickle of commands wakes it for each).
            if lock_checked.elapsed() >= self.poll_interval {
                lock.still_held().await?;
                lock_checked = tokio::time::Instant::now();
            }
        }
    }

    /// At a stop: publishes what was committed before it, for at most five seconds (the next start,
    /// here or in another instance, publishes whatever is left).
    async fn drain(&self) -> Result<()> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let mut drained = 0;
        while tokio::time::Instant::now() < deadline {
            let published = self.publish_next_batch().await?;
            drained += published;
            if published == 0 {
                // Nothing publishable: done, unless committed events wait behind a transaction
                // still running (a consumer finishing its batch as this service stops): the relay
                // reads only below the oldest one, so wait for it rather than leave them behind.
                if !self.committed_unpublished().await? {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        tracing::info!(relay = self.name(), drained, "relay stopped");
        Ok(())
    }

    /// Whether committed events lie after the relay's checkpoint (uncommitted ones are invisible
    /// here), published or held back by a transaction still running.
    async fn committed_unpublished(&self) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM relay_checkpoints c
             JOIN events e ON (e.tx_id, e.global_position) > (c.tx_id, c.global_position)
             WHERE c.relay = $1)",
        )
        .bind(self.name())
        .fetch_one(&self.pool)
        .await?)
    }

    /// Postgres is the source of truth. If the stream holds less than it acknowledged (storage lost
    /// on a power cut, a node replaced with an empty disk, a stream deleted), everything is published
    /// again from the store: the stream's duplicate window and the consumers' sequence checks drop
    /// what it still had.
    ///
    /// Only the leader's state proves a loss. While a clustered stream has no leader (an election
    /// after its leader died, or after a restarted node disrupted the new one), every replica answers
    /// `STREAM.INFO` with its own state, and a follower's can lag behind what the leader acknowledged:
    /// it applies an entry only once it hears it was committed. Taken for the stream's, such an answer
    /// would raise a false alarm and republish everything, which beyond the duplicate window puts it on
    /// the stream twice. So an answer without a leader is an error: the relay tries again.
    pub async fn repair_lost_stream(&self) -> Result<()> {
        let mut stream = self.js.get_stream(self.service.stream().name).await?;
        let info = stream.info().await?;
        if !answered_by_leader(info) {
            anyhow::bail!(
                "stream {} has no leader; the replica that answered holds {} messages, which says \
                 nothing of what the stream holds",
                info.config.name,
                info.state.messages
            );
        }
        let last_sequence = info.state.last_sequence as i64;
        let acknowledged: i64 =
            sqlx::query_scalar("SELECT stream_sequence FROM relay_checkpoints WHERE relay = $1")
                .bind(self.name())
                .fetch_one(&self.pool)
                .await?;
        if last_sequence < acknowledged {
            crate::metrics::metrics().relay_lost_stream.inc();
            tracing::error!(
                alert = "stream_lost_messages",
                relay = self.name(),
                stream_last_sequence = last_sequence,
                acknowledged_up_to = acknowledged,
                "the stream lost messages it had acknowledged; publishing everything again from the store"
            );
            sqlx::query(
                "UPDATE relay_checkpoints SET tx_id = '0'::xid8, global_position = 0, stream_sequence = 0,
                     updated_at = now()
                 WHERE relay = $1",
            )
            .bind(self.name())
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    /// The checkpoint as stored: the last event published.
    async fn read_checkpoint(&self) -> Result<Checkpoint> {
        let row = sqlx::query(
            "SELECT tx_id::text AS tx_id, global_position FROM relay_checkpoints WHERE relay = $1",
        )
        .bind(self.name())
        .fetch_one(&self.pool)
        .await?;
        Ok(Checkpoint {
            tx_id: row.get("tx_id"),
            global_position: row.get("global_position"),
        })
    }

    /// Publishes the next batch of committed events after the stored checkpoint; returns how many
    /// were acknowledged.
    pub async fn publish_next_batch(&self) -> Result<usize> {
        let mut checkpoint = self.read_checkpoint().await?;
        self.publish_after(&mut checkpoint).await
    }

    /// Publishes the next batch of committed events after `checkpoint` and moves it (in memory and in
    /// the table) past what was acknowledged; returns how many were. While the relay leads, only it
    /// writes its checkpoint, so the one in memory is the one stored and is not read again per batch.
    async fn publish_after(&self, checkpoint: &mut Checkpoint) -> Result<usize> {
        let rows = sqlx::query(
            "SELECT global_position, tx_id::text AS tx_id, aggregate_type, aggregate_id, sequence,
                    event_type, event_version, payload, metadata
             FROM events
             WHERE (tx_id, global_position) > ($1::xid8, $2)
               AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
             ORDER BY tx_id, global_position
             LIMIT $3",
        )
        .bind(&checkpoint.tx_id)
        .bind(checkpoint.global_position)
        .bind(self.batch_size)
        .fetch_all(&self.pool)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            let metadata: serde_json::Value = row.get("metadata");
            events.push(StoredEvent {
                global_position: row.get("global_position"),
                tx_id: row.get("tx_id"),
                aggregate_type: row.get("aggregate_type"),
                aggregate_id: row.get("aggregate_id"),
                sequence: row.get("sequence"),
                event_type: row.get("event_type"),
                event_version: row.get("event_version"),
                payload: row.get("payload"),
                metadata: serde_json::from_value(metadata)
                    .context("event metadata is a string map")?,
            });
        }

        // Publish the whole batch, then await the acknowledgements in order: pipelined, yet the
        // checkpoint only ever covers a gap-free prefix of acknowledged events.
        let mut pending: Vec<(usize, PublishAckFuture)> = Vec::with_capacity(events.len());
        let mut failure = None;
        for (index, stored) in events.iter().enumerate() {
            let outcome = match self.message_for(stored) {
                Ok((subject, message)) => self
                    .js
                    .send_publish(subject, message)
                    .await
                    .map_err(anyhow::Error::from),
                Err(error) => Err(error),
            };
            match outcome {
                Ok(ack) => pending.push((index, ack)),
                Err(error) => {
                    failure = Some(error.context(format!(
                        "publishing {}:{}:{}",
                        stored.aggregate_type, stored.aggregate_id, stored.sequence
                    )));
                    break;
                }
            }
        }
        let mut acknowledged: Option<usize> = None;
        let mut stream_sequence: u64 = 0;
        for (index, ack) in pending {
            match ack.await {
                Ok(ack) => {
                    stream_sequence = stream_sequence.max(ack.sequence);
                    if ack.duplicate {
                        tracing::debug!(
                            relay = self.name(),
                            stream_sequence = ack.sequence,
                            "duplicate dropped by the stream"
                        );
                    }
                    acknowledged = Some(index);
                }
                Err(error) => {
                    // An ack timeout means "unknown": the next round republishes with the same id.
                    failure.get_or_insert_with(|| {
                        anyhow!(error).context("awaiting publish acknowledgement")
                    });
                    break;
                }
            }
        }
        let published = match acknowledged {
            Some(last) => {
                let last_event = &events[last];
                // Committed without waiting for the flush to disk (`synchronous_commit` off for
                // this transaction only): the next command's commit flushes it anyway, and a
                // checkpoint lost to a crash of Postgres only has the relay publish those events
                // again with the same message ids, which the stream's duplicate window drops (and
                // the consumers' sequence check after it). It saves a flush per batch, which at a
                // trickle of commands is one per event.
                sqlx::query(
                    "WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true))
                     UPDATE relay_checkpoints
                     SET tx_id = $2::xid8, global_position = $3, published = published + $4,
                         stream_sequence = GREATEST(stream_sequence, $5), updated_at = now()
                     FROM relaxed
                     WHERE relay = $1",
                )
                .bind(self.name())
                .bind(&last_event.tx_id)
                .bind(last_event.global_position)
                .bind((last + 1) as i64)
                .bind(stream_sequence as i64)
                .execute(&self.pool)
                .await?;
                tracing::debug!(
                    relay = self.name(),
                    count = last + 1,
                    position = last_event.global_position,
                    "published"
                );
                crate::metrics::metrics()
                    .relay_published
                    .inc_by((last + 1) as u64);
                *checkpoint = Checkpoint {
                    tx_id: last_event.tx_id.clone(),
                    global_position: last_event.global_position,
                };
                last + 1
            }
            None => 0,
        };
        match failure {
            Some(error) => Err(error),
            None => Ok(published),
        }
    }

    /// The subject and the NATS message for one stored event.
    fn message_for(&self, stored: &StoredEvent) -> Result<(String, PublishMessage)> {
        let contract = (self.translate)(stored)?;
        let envelope = envelope_for(self.service, stored, &contract)?;
        let subject = event_subject(&envelope.gemeente, self.service, &contract.event_type);
        let body = serde_json::to_vec(&EventMessage {
            envelope: envelope.clone(),
            event: contract.event,
        })?;
        let mut header_map = HeaderMap::new();
        let id = message_id(
            self.service,
            &stored.aggregate_type,
            &stored.aggregate_id,
            envelope.sequence,
        );
        header_map.insert(headers::MESSAGE_ID, id.as_str());
        header_map.insert(headers::EVENT_TYPE, contract.event_type.as_str());
        header_map.insert(
            headers::SCHEMA_VERSION,
            contract.schema_version.to_string().as_str(),
        );
        header_map.insert(headers::GEMEENTE, envelope.gemeente.as_str());
        header_map.insert(
            headers::STORE_POSITION,
            stored.global_position.to_string().as_str(),
        );
        header_map.insert(
            headers::CORRELATION_ID,
            envelope.correlation_id.to_string().as_str(),
        );
        crate::trace_context::set_on_message(&stored.metadata, &mut header_map);
        Ok((
            subject,
            PublishMessage::build()
                .payload(body.into())
                .headers(header_map),
        ))
    }
}

/// Whether a stream's info came from its leader: a single server always is; a replica of a clustered
/// stream that has no leader names none.
fn answered_by_leader(info: &jetstream::stream::Info) -> bool {
    match &info.cluster {
        None => true,
        Some(cluster) => cluster
            .leader
            .as_deref()
            .is_some_and(|leader| !leader.is_empty()),
    }
}

/// Builds the contract envelope from the stored row and the metadata its command wrote.
pub fn envelope_for(
    service: Service,
    stored: &StoredEvent,
    contract: &ContractPayload,
) -> Result<EventEnvelope> {
    use metadata_keys::*;
    let field = |key: &str| {
        stored.metadata.get(key).ok_or_else(|| {
            anyhow!(
                "event {}:{}:{} has no '{key}' in its metadata",
                stored.aggregate_type,
                stored.aggregate_id,
                stored.sequence
            )
        })
    };
    let gemeente = GemeenteCode::parse(field(GEMEENTE)?)?;
    let organisation = OrganisationId::parse(field(ACTOR_ORGANISATION)?)?;
    let role = Role::parse(field(ACTOR_ROLE)?).ok_or_else(|| anyhow!("unknown actor role"))?;
    let correlation_id = Uuid::parse_str(field(CORRELATION_ID)?)?;
    let causation_id = stored
        .metadata
        .get(CAUSATION_ID)
        .map(|id| Uuid::parse_str(id))
        .transpose()?;
    let occurred_at = OffsetDateTime::parse(
        field(OCCURRED_AT)?,
        &time::format_description::well_known::Rfc3339,
    )?;
    let sequence = u64::try_from(stored.sequence)?;
    Ok(EventEnvelope {
        event_id: event_id(
            service,
            &stored.aggregate_type,
            &stored.aggregate_id,
            sequence,
        ),
        gemeente,
        service,
        aggregate_type: stored.aggregate_type.clone(),
        aggregate_id: stored.aggregate_id.clone(),
        sequence,
        store_position: stored.global_position,
        event_type: contract.event_type.clone(),
        schema_version: contract.schema_version,
        occurred_at,
        correlation_id,
        causation_id,
        actor: Actor { organisation, role },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream's info as a server sends it, with `cluster` as given.
    fn info(cluster: serde_json::Value) -> jetstream::stream::Info {
        let config = jetstream::stream::Config {
            name: "KINDPAKKET_SIGNALLING".to_owned(),
            num_replicas: 3,
            ..Default::default()
        };
        let mut info = serde_json::json!({
            "config": serde_json::to_value(config).expect("a stream configuration"),
            "created": "2026-12-01T10:00:00Z",
            "state": {
                "messages": 20, "bytes": 2000, "first_seq": 1, "first_ts": "2026-12-01T10:00:00Z",
                "last_seq": 20, "last_ts": "2026-12-01T10:00:01Z", "consumer_count": 2
            }
        });
        if !cluster.is_null() {
            info["cluster"] = cluster;
        }
        serde_json::from_value(info).expect("a stream info as the server sends it")
    }

    #[test]
    fn only_a_leader_or_a_single_server_speaks_for_the_stream() {
        assert!(answered_by_leader(&info(serde_json::Value::Null)));
        assert!(answered_by_leader(&info(
            serde_json::json!({"name": "kindpakket", "leader": "kindpakket-node-2"})
        )));
        // A replica of a stream between leaders answers with its own state and names no leader.
        assert!(!answered_by_leader(&info(
            serde_json::json!({"name": "kindpakket"})
        )));
        assert!(!answered_by_leader(&info(
            serde_json::json!({"name": "kindpakket", "leader": ""})
        )));
    }
}
