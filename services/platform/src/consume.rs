//! Durable JetStream consumers that apply every event exactly once.
//!
//! Each consumer reads one service's whole stream (so per-aggregate sequences have no gaps by
//! design) and applies what arrived together as a batch (up to `KINDPAKKET_CONSUMER_BATCH`
//! messages, in stream order) in one Postgres transaction: it locks the offsets of every aggregate
//! in the batch at once, checks each event's sequence against them in memory, gives the handler the
//! events to apply together ([`EventHandler::handle_batch`]: one by one unless the handler writes
//! them in sets), and moves every touched offset in bulk. Commit, then ack each message. A
//! redelivered event (`sequence <= offset`) is acknowledged without effect; an event that arrives
//! before its predecessor (`sequence > offset + 1`) is put back with a delay, and so are its
//! aggregate's later events in the batch (the rest of the batch goes on: the predecessor may be in
//! it). `max_deliver` is unlimited: a limit would silently skip events. An event the handler
//! cannot process at all is parked in `dead_letters` with an error log, and the consumer goes on:
//! its batch is rolled back and applied again one event per transaction, so that only that event
//! parks.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use async_nats::jetstream::consumer::{pull, AckPolicy, Consumer, DeliverPolicy};
use async_nats::jetstream::{self, message::AckKind};
use futures::StreamExt;
use kindpakket_proto::{EventEnvelope, EventMessage, Service};
use sqlx::{PgConnection, PgPool};
use tokio::sync::watch;
use tracing::Instrument;

use crate::db::Migration;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Tables every consuming service needs: offsets per aggregate and the dead-letter park.
pub const CONSUMER_MIGRATION: Migration = Migration {
    name: "0100_consumer_offsets",
    sql: r#"
        CREATE TABLE consumer_offsets (
            consumer       text   NOT NULL,
            service        text   NOT NULL,
            aggregate_type text   NOT NULL,
            aggregate_id   text   NOT NULL,
            last_sequence  bigint NOT NULL,
            updated_at     timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (consumer, service, aggregate_type, aggregate_id)
        );
        CREATE TABLE dead_letters (
            id              bigserial PRIMARY KEY,
            consumer        text   NOT NULL,
            subject         text   NOT NULL,
            stream_sequence bigint NOT NULL,
            payload         text   NOT NULL,
            error           text   NOT NULL,
            parked_at       timestamptz NOT NULL DEFAULT now(),
            replayed_at     timestamptz
        );
    "#,
};

/// Offsets keyed by one fixed-size value: `offset_key`, the first 16 bytes of a SHA-256 of the
/// consumer and the aggregate's service, type and id ([`offset_key`], and the SQL function
/// `consumer_offset_key` the same). The four text columns stay in the row, for people and tests to
/// read, but no longer form the primary key: an index on four texts costs a replay several string
/// comparisons per level and per row (Postgres's `_bt_compare` led its profile), a `uuid` one
/// comparison of 16 bytes. Existing rows get their key here.
pub const CONSUMER_OFFSET_KEY_MIGRATION: Migration = Migration {
    name: "0101_consumer_offset_key",
    sql: r#"
        CREATE FUNCTION consumer_offset_key(consumer text, service text, aggregate_type text,
                                            aggregate_id text)
        RETURNS uuid LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
            SELECT encode(substring(sha256(convert_to(
                       octet_length(consumer) || ':' || consumer
                       || octet_length(service) || ':' || service
                       || octet_length(aggregate_type) || ':' || aggregate_type
                       || aggregate_id, 'UTF8')) FROM 1 FOR 16), 'hex')::uuid
        $$;
        ALTER TABLE consumer_offsets ADD COLUMN offset_key uuid;
        UPDATE consumer_offsets
        SET offset_key = consumer_offset_key(consumer, service, aggregate_type, aggregate_id);
        ALTER TABLE consumer_offsets ALTER COLUMN offset_key SET NOT NULL;
        ALTER TABLE consumer_offsets DROP CONSTRAINT consumer_offsets_pkey;
        ALTER TABLE consumer_offsets ADD PRIMARY KEY (offset_key);
    "#,
};

/// The key of an aggregate's offset for a consumer: the first 16 bytes of the SHA-256 of the
/// consumer, the service and the aggregate type, each preceded by its length in bytes and a colon,
/// and the aggregate id (so no two different quadruples are written alike). Equal to the SQL
/// function `consumer_offset_key` of [`CONSUMER_OFFSET_KEY_MIGRATION`].
pub fn offset_key(consumer: &str, service: &str, aggregate_type: &str, aggregate_id: &str) -> Uuid {
    let mut hasher = Sha256::new();
    for part in [consumer, service, aggregate_type] {
        hasher.update(part.len().to_string().as_bytes());
        hasher.update(b":");
        hasher.update(part.as_bytes());
    }
    hasher.update(aggregate_id.as_bytes());
    let digest = hasher.finalize();
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(key)
}

/// An event as a handler receives it: the envelope, and the payload still as JSON.
#[derive(Debug, Clone)]
pub struct ReceivedEvent {
    pub subject: String,
    pub envelope: EventEnvelope,
    /// The payload as it came, read into the contract's type by [`ReceivedEvent::decode`] (not
    /// read into a tree first: a replay reads every event once, straight into its type).
    pub event: Box<serde_json::value::RawValue>,
}

impl ReceivedEvent {
    /// Reads the payload as the publishing service's contract type.
    pub fn decode<E: serde::de::DeserializeOwned>(&self) -> Result<E, HandlerError> {
        serde_json::from_str(self.event.get()).map_err(|error| {
            HandlerError::Poison(format!(
                "{} {} cannot be read: {error}",
                self.envelope.event_type, self.envelope.event_id
            ))
        })
    }
}

/// Why a handler could not apply an event.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Try again later (database down, another service not reachable).
    #[error("transient: {0:#}")]
    Transient(#[from] anyhow::Error),
    /// This event can never be applied as it is: park it.
    #[error("poison: {0}")]
    Poison(String),
}

impl From<sqlx::Error> for HandlerError {
    fn from(error: sqlx::Error) -> Self {
        HandlerError::Transient(error.into())
    }
}

/// An event of a batch as a handler receives it: the event, and the span it is applied in (the
/// `consume` span of its message, following the trace in the message's headers).
#[derive(Debug)]
pub struct InBatch<'a> {
    pub event: &'a ReceivedEvent,
    pub span: tracing::Span,
}

/// Applies events to a read model, inside the transaction that also moves the offset.
pub trait EventHandler: Send + Sync + 'static {
    fn handle(
        &self,
        connection: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send;

    /// Applies a batch's events (those to apply: duplicates and early ones are left out) in stream
    /// order, in the batch's transaction. A handler may write them in sets, as long as what it
    /// leaves equals applying them one by one with [`EventHandler::handle`], which a batch of one,
    /// a batch applied again one event at a time and a parked event's replay use. An error rolls
    /// the whole batch back: a transient one puts it back, a poison one has it applied again one
    /// event per transaction. By default: `handle` for each event, in its span.
    fn handle_batch(
        &self,
        connection: &mut PgConnection,
        events: &[InBatch<'_>],
    ) -> impl Future<Output = Result<(), HandlerError>> + Send {
        async move {
            for event in events {
                self.handle(&mut *connection, event.event)
                    .instrument(event.span.clone())
                    .await?;
            }
            Ok(())
        }
    }
}

/// How many messages a consumer applies in one transaction at most, unless configured
/// (`KINDPAKKET_CONSUMER_BATCH`).
pub const DEFAULT_MAX_BATCH: usize = 500;

/// One durable consumer of one service's stream.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// The durable name, unique per consuming service and source (e.g. `dashboard-signalling`).
    pub durable_name: String,
    pub source: Service,
    /// At most this many messages, of those that have arrived, are applied in one transaction
    /// (1: one transaction per event, as before batching).
    pub max_batch: usize,
}

/// Runs the consumer until `shutdown` turns true; recreates it when it was deleted, retries on errors.
/// A message being applied when the service is told to stop is finished and acknowledged first: a
/// graceful stop leaves nothing half done for redelivery.
pub async fn run<H: EventHandler>(
    js: jetstream::Context,
    pool: PgPool,
    config: ConsumerConfig,
    handler: Arc<H>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let result = consume(&js, &pool, &config, handler.as_ref(), &mut shutdown).await;
        if *shutdown.borrow() {
            tracing::info!(consumer = %config.durable_name, "consumer stopped");
            return;
        }
        if let Err(error) = result {
            tracing::warn!(consumer = %config.durable_name, error = format!("{error:#}"), "consumer interrupted, restarting");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

async fn consume<H: EventHandler>(
    js: &jetstream::Context,
    pool: &PgPool,
    config: &ConsumerConfig,
    handler: &H,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<()> {
    let stream_name = config.source.stream().name;
    let max_batch = config.max_batch.max(1);
    let prepared = async {
        let stream = js
            .get_stream(&stream_name)
            .await
            .with_context(|| format!("stream {stream_name} not available yet"))?;
        let consumer: Consumer<pull::Config> = stream
            .get_or_create_consumer(
                &config.durable_name,
                pull::Config {
                    durable_name: Some(config.durable_name.clone()),
                    description: Some(format!("Kindpakket consumer {}", config.durable_name)),
                    ack_policy: AckPolicy::Explicit,
                    ack_wait: Duration::from_secs(30),
                    max_deliver: -1,
                    // Room for the batch in hand and the next one arriving meanwhile.
                    max_ack_pending: max_ack_pending(max_batch),
                    deliver_policy: DeliverPolicy::All,
                    ..Default::default()
                },
            )
            .await
            .context("creating durable consumer")?;
        replay_parked(pool, config, handler).await?;
        consumer
            .stream()
            // Each pull asks for at least the client's usual 200, to keep messages coming.
            .max_messages_per_batch(max_batch.max(200))
            .heartbeat(Duration::from_secs(15))
            .messages()
            .await
            .context("pulling messages")
    };
    let messages = tokio::select! {
        messages = prepared => messages?,
        _ = shutdown.changed() => return Ok(()),
    };
    // What has arrived, up to `max_batch` messages: a full batch while catching up, a single
    // message when they trickle in (no waiting for more).
    let mut arrivals = messages.ready_chunks(max_batch);
    tracing::info!(consumer = %config.durable_name, stream = %stream_name, max_batch, "consuming");
    let mut consecutive_errors = 0;
    loop {
        let next = tokio::select! {
            biased;
            _ = shutdown.changed() => return Ok(()),
            next = arrivals.next() => next,
        };
        let Some(arrived) = next else { break };
        let mut batch = Vec::with_capacity(arrived.len());
        let mut pull_error = None;
        for message in arrived {
            match message {
                Ok(message) => {
                    consecutive_errors = 0;
                    batch.push(message);
                }
                Err(error) => {
                    consecutive_errors += 1;
                    tracing::warn!(consumer = %config.durable_name, error = %error, "error while pulling");
                    if consecutive_errors >= 5 {
                        pull_error = Some(error);
                    }
                }
            }
        }
        // Applied and acknowledged whole, even when the stop comes meanwhile.
        process_batch(pool, config, handler, batch).await;
        if let Some(error) = pull_error {
            anyhow::bail!("pull failed {consecutive_errors} times in a row: {error}");
        }
    }
    anyhow::bail!("message stream ended")
}

/// How many messages JetStream hands out unacknowledged: two batches (the one being applied and
/// the next arriving meanwhile), and never fewer than a thousand.
fn max_ack_pending(max_batch: usize) -> i64 {
    (2 * max_batch).max(1000) as i64
}

/// What happened to one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Applied,
    Duplicate,
    Early,
    Retry,
    Parked,
}

impl Outcome {
    fn as_str(&self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Duplicate => "duplicate",
            Outcome::Early => "early",
            Outcome::Retry => "retry",
            Outcome::Parked => "parked",
        }
    }
}

/// Reads a message as an event; an error when it is not a Kindpakket event message (parked as it is).
fn received(message: &jetstream::Message) -> Result<ReceivedEvent, serde_json::Error> {
    let parsed: EventMessage<Box<serde_json::value::RawValue>> =
        serde_json::from_slice(&message.payload)?;
    Ok(ReceivedEvent {
        subject: message.subject.to_string(),
        envelope: parsed.envelope,
        event: parsed.event,
    })
}

/// Applies a batch in one transaction and acknowledges each message after the commit. When an event
/// in it can never be applied, the batch is rolled back and applied again one event at a time, so
/// that only that event is parked.
async fn process_batch<H: EventHandler>(
    pool: &PgPool,
    config: &ConsumerConfig,
    handler: &H,
    messages: Vec<jetstream::Message>,
) {
    let mut events = Vec::with_capacity(messages.len());
    for message in messages {
        match received(&message) {
            Ok(event) => events.push((message, event)),
            // It has no aggregate and no offset: parked on its own, wherever it came.
            Err(_) => process(pool, config, handler, &message).await,
        }
    }
    if events.is_empty() {
        return;
    }
    if events.len() == 1 || config.max_batch <= 1 {
        for (message, _) in &events {
            process(pool, config, handler, message).await;
        }
        return;
    }
    let outcomes = match apply_batch(pool, config, handler, &events).await {
        Ok(outcomes) => outcomes,
        Err(HandlerError::Transient(error)) => {
            tracing::warn!(
                consumer = %config.durable_name,
                events = events.len(),
                error = format!("{error:#}"),
                "could not apply batch yet; will retry"
            );
            vec![Outcome::Retry; events.len()]
        }
        Err(HandlerError::Poison(reason)) => {
            tracing::warn!(
                consumer = %config.durable_name,
                events = events.len(),
                reason,
                "an event in the batch cannot be applied; applying the batch one event at a time"
            );
            for (message, _) in &events {
                process(pool, config, handler, message).await;
            }
            return;
        }
    };
    for ((message, _), outcome) in events.iter().zip(outcomes) {
        acknowledge(config, message, outcome).await;
    }
}

/// Applies one message in a transaction of its own, and acknowledges it.
async fn process<H: EventHandler>(
    pool: &PgPool,
    config: &ConsumerConfig,
    handler: &H,
    message: &jetstream::Message,
) {
    let stream_sequence = message
        .info()
        .map(|info| info.stream_sequence)
        .unwrap_or_default();
    let outcome = match received(message) {
        Err(error) => {
            let reason = format!("not a Kindpakket event message: {error}");
            park(pool, config, message, stream_sequence, &reason, None).await
        }
        Ok(received) => apply(pool, config, handler, message, &received, stream_sequence).await,
    };
    acknowledge(config, message, outcome).await;
}

/// Counts the outcome and answers JetStream: ack, terminate (parked) or put back with a delay.
async fn acknowledge(config: &ConsumerConfig, message: &jetstream::Message, outcome: Outcome) {
    let info = message.info().ok();
    crate::metrics::metrics().record_consumed(
        &config.durable_name,
        outcome.as_str(),
        info.as_ref().map(|info| info.pending),
    );
    let ack = match outcome {
        Outcome::Applied | Outcome::Duplicate => message.ack().await,
        Outcome::Parked => message.ack_with(AckKind::Term).await,
        Outcome::Early => {
            let delivered = info.as_ref().map(|info| info.delivered).unwrap_or_default();
            if delivered > 20 {
                let stream_sequence = info
                    .as_ref()
                    .map(|info| info.stream_sequence)
                    .unwrap_or_default();
                tracing::error!(consumer = %config.durable_name, stream_sequence, delivered, "event keeps arriving before its predecessor: a gap in the stream?");
            }
            message
                .ack_with(AckKind::Nak(Some(Duration::from_millis(500))))
                .await
        }
        Outcome::Retry => {
            message
                .ack_with(AckKind::Nak(Some(Duration::from_secs(2))))
                .await
        }
    };
    if let Err(error) = ack {
        // The message will be redelivered and recognised as a duplicate.
        tracing::warn!(consumer = %config.durable_name, error = %error, "acknowledgement failed");
    }
}

/// The span an event is handled in: its correlation id, so that what it causes can be followed.
fn span_of(config: &ConsumerConfig, received: &ReceivedEvent) -> tracing::Span {
    tracing::info_span!(
        "consume",
        consumer = %config.durable_name,
        correlation_id = %received.envelope.correlation_id,
        event_id = %received.envelope.event_id,
        event_type = %received.envelope.event_type,
        aggregate_id = %received.envelope.aggregate_id,
        sequence = received.envelope.sequence,
    )
}

/// The one place a handler is given an event (in a batch, alone, or replayed from the park), in a
/// span that follows the trace in its message's headers (none when replayed from the park).
async fn handle<H: EventHandler>(
    handler: &H,
    connection: &mut PgConnection,
    config: &ConsumerConfig,
    headers: Option<&async_nats::HeaderMap>,
    received: &ReceivedEvent,
) -> Result<(), HandlerError> {
    let span = span_of(config, received);
    crate::trace_context::follow_message(&span, headers);
    handler.handle(connection, received).instrument(span).await
}

/// A batch's events given to the handler at once ([`EventHandler::handle_batch`]), each with the
/// span of [`handle`].
async fn handle_batch<H: EventHandler>(
    handler: &H,
    connection: &mut PgConnection,
    config: &ConsumerConfig,
    events: &[(&jetstream::Message, &ReceivedEvent)],
) -> Result<(), HandlerError> {
    if events.is_empty() {
        return Ok(());
    }
    let batch: Vec<InBatch<'_>> = events
        .iter()
        .map(|(message, received)| {
            let span = span_of(config, received);
            crate::trace_context::follow_message(&span, message.headers.as_ref());
            InBatch {
                event: received,
                span,
            }
        })
        .collect();
    handler.handle_batch(connection, &batch).await
}

async fn apply<H: EventHandler>(
    pool: &PgPool,
    config: &ConsumerConfig,
    handler: &H,
    message: &jetstream::Message,
    received: &ReceivedEvent,
    stream_sequence: u64,
) -> Outcome {
    match apply_in_transaction(pool, config, handler, message, received).await {
        Ok(outcome) => {
            if outcome == Outcome::Early {
                tracing::debug!(consumer = %config.durable_name, sequence = received.envelope.sequence, "event arrived before its predecessor; redelivery later");
            }
            outcome
        }
        Err(HandlerError::Transient(error)) => {
            tracing::warn!(
                consumer = %config.durable_name,
                sequence = received.envelope.sequence,
                error = format!("{error:#}"),
                "could not apply event yet; will retry"
            );
            Outcome::Retry
        }
        Err(HandlerError::Poison(reason)) => {
            park(
                pool,
                config,
                message,
                stream_sequence,
                &reason,
                Some(received),
            )
            .await
        }
    }
}

async fn apply_in_transaction<H: EventHandler>(
    pool: &PgPool,
    config: &ConsumerConfig,
    handler: &H,
    message: &jetstream::Message,
    received: &ReceivedEvent,
) -> Result<Outcome, HandlerError> {
    let envelope = &received.envelope;
    let sequence = envelope.sequence as i64;
    let mut transaction = pool.begin().await?;
    let last: Option<i64> = sqlx::query_scalar(
        "SELECT last_sequence FROM consumer_offsets WHERE offset_key = $1 FOR UPDATE",
    )
    .bind(envelope_offset_key(config, envelope))
    .fetch_optional(&mut *transaction)
    .await?;
    let last = last.unwrap_or(0);
    if sequence <= last {
        return Ok(Outcome::Duplicate);
    }
    if sequence > last + 1 {
        return Ok(Outcome::Early);
    }
    handle(
        handler,
        &mut transaction,
        config,
        message.headers.as_ref(),
        received,
    )
    .await?;
    advance_offset(&mut transaction, config, envelope, sequence).await?;
    transaction.commit().await?;
    Ok(Outcome::Applied)
}

/// An aggregate's offset as a batch sees it: its owner and name.
type AggregateKey = (String, String, String);

fn key_of(envelope: &EventEnvelope) -> AggregateKey {
    (
        envelope.service.as_str().to_owned(),
        envelope.aggregate_type.clone(),
        envelope.aggregate_id.clone(),
    )
}

/// An aggregate's offset during a batch: as locked at its start, and as moved by the batch.
#[derive(Debug, Clone, Copy)]
struct Offset {
    /// Its row's key ([`offset_key`]).
    key: Uuid,
    locked: Option<i64>,
    current: i64,
}

/// Applies `events` in stream order in one transaction and moves every touched offset in bulk.
/// Returns an outcome per event: applied, duplicate, or early (its predecessor missing: put back,
/// as the aggregate's later events in the batch, while other aggregates' events go on, as they do
/// one at a time). Nothing is acknowledged here: the caller does, after the commit.
async fn apply_batch<H: EventHandler>(
    pool: &PgPool,
    config: &ConsumerConfig,
    handler: &H,
    events: &[(jetstream::Message, ReceivedEvent)],
) -> Result<Vec<Outcome>, HandlerError> {
    let mut transaction = pool.begin().await?;
    let mut offsets = lock_offsets(&mut transaction, config, events).await?;
    let mut outcomes = Vec::with_capacity(events.len());
    // The sequence check needs nothing of the handler: the events to apply are known first, and
    // given to the handler together, in stream order.
    let mut to_apply = Vec::with_capacity(events.len());
    for (message, received) in events {
        let sequence = received.envelope.sequence as i64;
        let offset = offsets
            .entry(key_of(&received.envelope))
            .or_insert_with_key(|aggregate| new_offset(config, aggregate));
        if sequence <= offset.current {
            outcomes.push(Outcome::Duplicate);
            continue;
        }
        if sequence > offset.current + 1 {
            // Put back alone: its predecessor may come later in this very batch, and the
            // aggregate's later events here are early too (its offset stays).
            tracing::debug!(consumer = %config.durable_name, sequence, "event arrived before its predecessor; redelivery later");
            outcomes.push(Outcome::Early);
            continue;
        }
        to_apply.push((message, received));
        offset.current = sequence;
        outcomes.push(Outcome::Applied);
    }
    handle_batch(handler, &mut transaction, config, &to_apply).await?;
    if outcomes.contains(&Outcome::Applied) {
        save_offsets(&mut transaction, config, &offsets).await?;
        transaction.commit().await?;
    } else {
        transaction.rollback().await?;
    }
    Ok(outcomes)
}

/// Locks the offsets of every aggregate in the batch, in one statement and in a fixed order (their
/// keys': two instances lock in the same order, no deadlock). An aggregate without a row yet is
/// there as not locked, at 0.
async fn lock_offsets(
    connection: &mut PgConnection,
    config: &ConsumerConfig,
    events: &[(jetstream::Message, ReceivedEvent)],
) -> Result<std::collections::HashMap<AggregateKey, Offset>, HandlerError> {
    let mut offsets = std::collections::HashMap::new();
    for (_, received) in events {
        offsets
            .entry(key_of(&received.envelope))
            .or_insert_with_key(|aggregate| new_offset(config, aggregate));
    }
    let keys: Vec<Uuid> = offsets.values().map(|offset| offset.key).collect();
    let rows: std::collections::HashMap<Uuid, i64> = sqlx::query_as(
        "SELECT offset_key, last_sequence FROM consumer_offsets
         WHERE offset_key = ANY($1::uuid[])
         ORDER BY offset_key
         FOR UPDATE",
    )
    .bind(&keys)
    .fetch_all(&mut *connection)
    .await?
    .into_iter()
    .collect();
    for offset in offsets.values_mut() {
        if let Some(&last) = rows.get(&offset.key) {
            offset.locked = Some(last);
            offset.current = last;
        }
    }
    Ok(offsets)
}

/// The key of the offset of the aggregate `envelope` belongs to, for this consumer.
fn envelope_offset_key(config: &ConsumerConfig, envelope: &EventEnvelope) -> Uuid {
    offset_key(
        &config.durable_name,
        envelope.service.as_str(),
        &envelope.aggregate_type,
        &envelope.aggregate_id,
    )
}

/// An aggregate's offset before its row is read: none.
fn new_offset(
    config: &ConsumerConfig,
    (service, aggregate_type, aggregate_id): &AggregateKey,
) -> Offset {
    Offset {
        key: offset_key(&config.durable_name, service, aggregate_type, aggregate_id),
        locked: None,
        current: 0,
    }
}

/// Moves every offset the batch moved, in bulk: those that had a row from what was locked (still
/// there, as locked), the others inserted. Refuses (conflict) when another instance got to any of
/// them first, so the whole batch is rolled back and retried.
async fn save_offsets(
    connection: &mut PgConnection,
    config: &ConsumerConfig,
    offsets: &std::collections::HashMap<AggregateKey, Offset>,
) -> Result<(), HandlerError> {
    let mut moved = Columns::default();
    let mut added = Columns::default();
    for ((service, aggregate_type, aggregate_id), offset) in offsets {
        match offset.locked {
            Some(locked) if locked < offset.current => moved.push(
                offset.key,
                (service, aggregate_type, aggregate_id),
                locked,
                offset.current,
            ),
            None if offset.current > 0 => added.push(
                offset.key,
                (service, aggregate_type, aggregate_id),
                0,
                offset.current,
            ),
            _ => {}
        }
    }
    let mut written = 0;
    if !moved.is_empty() {
        written += sqlx::query(
            "UPDATE consumer_offsets o
             SET last_sequence = k.last_sequence, updated_at = now()
             FROM unnest($1::uuid[], $2::bigint[], $3::bigint[])
                  AS k(offset_key, locked, last_sequence)
             WHERE o.offset_key = k.offset_key AND o.last_sequence = k.locked",
        )
        .bind(&moved.keys)
        .bind(&moved.locked)
        .bind(&moved.last)
        .execute(&mut *connection)
        .await?
        .rows_affected();
    }
    if !added.is_empty() {
        written += sqlx::query(
            "INSERT INTO consumer_offsets
                 (consumer, service, aggregate_type, aggregate_id, last_sequence, offset_key)
             SELECT $1, k.service, k.aggregate_type, k.aggregate_id, k.last_sequence, k.offset_key
             FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::uuid[])
                  AS k(service, aggregate_type, aggregate_id, last_sequence, offset_key)",
        )
        .bind(&config.durable_name)
        .bind(&added.services)
        .bind(&added.types)
        .bind(&added.ids)
        .bind(&added.last)
        .bind(&added.keys)
        .execute(&mut *connection)
        .await
        // A plain insert (a third cheaper than `ON CONFLICT DO NOTHING`'s speculative one): a row
        // another instance inserted since the lock is a unique violation, the same refusal as a
        // row moved concurrently.
        .map_err(|error| match error.as_database_error() {
            Some(database) if database.is_unique_violation() => concurrently(),
            _ => HandlerError::from(error),
        })?
        .rows_affected();
    }
    if written as usize == moved.len() + added.len() {
        Ok(())
    } else {
        Err(concurrently())
    }
}

/// Another instance moved an offset of the batch first: the batch is rolled back and retried.
fn concurrently() -> HandlerError {
    HandlerError::Transient(anyhow::anyhow!("offsets moved concurrently"))
}

/// Offsets as columns, for `unnest`.
#[derive(Debug, Default)]
struct Columns {
    keys: Vec<Uuid>,
    services: Vec<String>,
    types: Vec<String>,
    ids: Vec<String>,
    locked: Vec<i64>,
    last: Vec<i64>,
}

impl Columns {
    fn push(
        &mut self,
        key: Uuid,
        (service, aggregate_type, aggregate_id): (&str, &str, &str),
        locked: i64,
        last: i64,
    ) {
        self.keys.push(key);
        self.services.push(service.to_owned());
        self.types.push(aggregate_type.to_owned());
        self.ids.push(aggregate_id.to_owned());
        self.locked.push(locked);
        self.last.push(last);
    }

    fn len(&self) -> usize {
        self.ids.len()
    }

    fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Tries the consumer's parked events again, oldest first, each in its own transaction: after a fix
/// (a new version deployed, or a payload corrected by an operator) they are applied and marked
/// replayed; one that still fails stays parked with the new error. Their offsets were moved past them
/// when they were parked, so they are applied without the sequence check; handlers upsert.
pub async fn replay_parked<H: EventHandler>(
    pool: &PgPool,
    config: &ConsumerConfig,
    handler: &H,
) -> Result<()> {
    let parked: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, subject, payload FROM dead_letters
         WHERE consumer = $1 AND replayed_at IS NULL ORDER BY id",
    )
    .bind(&config.durable_name)
    .fetch_all(pool)
    .await?;
    for (id, subject, payload) in parked {
        let outcome: Result<(), HandlerError> = async {
            let message: EventMessage<Box<serde_json::value::RawValue>> =
                serde_json::from_str(&payload).map_err(|error| {
                    HandlerError::Poison(format!("not a Kindpakket event message: {error}"))
                })?;
            let received = ReceivedEvent {
                subject: subject.clone(),
                envelope: message.envelope,
                event: message.event,
            };
            let mut transaction = pool.begin().await?;
            handle(handler, &mut transaction, config, None, &received).await?;
            sqlx::query("UPDATE dead_letters SET replayed_at = now() WHERE id = $1")
                .bind(id)
                .execute(&mut *transaction)
                .await?;
            transaction.commit().await?;
            Ok(())
        }
        .await;
        match outcome {
            Ok(()) => {
                tracing::info!(consumer = %config.durable_name, dead_letter = id, "parked event replayed")
            }
            Err(HandlerError::Poison(reason)) => {
                sqlx::query("UPDATE dead_letters SET error = $2 WHERE id = $1")
                    .bind(id)
                    .bind(&reason)
                    .execute(pool)
                    .await?;
                tracing::error!(alert = "dead_letter", consumer = %config.durable_name, dead_letter = id, reason, "parked event still cannot be applied");
            }
            Err(HandlerError::Transient(error)) => {
                return Err(error.context("replaying parked events"))
            }
        }
    }
    Ok(())
}

/// Moves the offset from `sequence - 1` to `sequence`; refuses (conflict) when another instance got there first.
async fn advance_offset(
    connection: &mut PgConnection,
    config: &ConsumerConfig,
    envelope: &EventEnvelope,
    sequence: i64,
) -> Result<(), HandlerError> {
    let moved = sqlx::query(
        "INSERT INTO consumer_offsets
             (consumer, service, aggregate_type, aggregate_id, last_sequence, offset_key)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (offset_key) DO UPDATE
             SET last_sequence = EXCLUDED.last_sequence, updated_at = now()
             WHERE consumer_offsets.last_sequence = EXCLUDED.last_sequence - 1",
    )
    .bind(&config.durable_name)
    .bind(envelope.service.as_str())
    .bind(&envelope.aggregate_type)
    .bind(&envelope.aggregate_id)
    .bind(sequence)
    .bind(envelope_offset_key(config, envelope))
    .execute(&mut *connection)
    .await?
    .rows_affected();
    if moved == 1 {
        Ok(())
    } else {
        Err(HandlerError::Transient(anyhow::anyhow!(
            "offset moved concurrently"
        )))
    }
}

/// Parks an event the handler can never apply, moves the offset past it so the aggregate's later
/// events can follow, and logs an alert. Replaying parked events is an operator's action.
async fn park(
    pool: &PgPool,
    config: &ConsumerConfig,
    message: &jetstream::Message,
    stream_sequence: u64,
    reason: &str,
    received: Option<&ReceivedEvent>,
) -> Outcome {
    let result: Result<(), HandlerError> = async {
        let mut transaction = pool.begin().await?;
        sqlx::query(
            "INSERT INTO dead_letters (consumer, subject, stream_sequence, payload, error)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&config.durable_name)
        .bind(message.subject.as_str())
        .bind(stream_sequence as i64)
        .bind(String::from_utf8_lossy(&message.payload).as_ref())
        .bind(reason)
        .execute(&mut *transaction)
        .await?;
        if let Some(received) = received {
            let sequence = received.envelope.sequence as i64;
            let envelope = &received.envelope;
            sqlx::query(
                "INSERT INTO consumer_offsets
                     (consumer, service, aggregate_type, aggregate_id, last_sequence, offset_key)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (offset_key) DO UPDATE
                     SET last_sequence = GREATEST(consumer_offsets.last_sequence, EXCLUDED.last_sequence)",
            )
            .bind(&config.durable_name)
            .bind(envelope.service.as_str())
            .bind(&envelope.aggregate_type)
            .bind(&envelope.aggregate_id)
            .bind(sequence)
            .bind(envelope_offset_key(config, envelope))
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => {
            tracing::error!(
                alert = "dead_letter",
                consumer = %config.durable_name,
                subject = %message.subject,
                stream_sequence,
                reason,
                "event parked in dead_letters: it cannot be applied; fix and replay it"
            );
            Outcome::Parked
        }
        Err(error) => {
            tracing::warn!(error = %error, "could not park the event; will retry");
            Outcome::Retry
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offset_key_is_the_one_postgres_computes_and_never_changes() {
        // `SELECT consumer_offset_key('dashboard-signalling', 'signalling', 'Signal',
        // 'aggregaat-één')` on Postgres 15 with the migration's function. Every stored offset is
        // found by this key: a change of the encoding orphans them all.
        assert_eq!(
            offset_key(
                "dashboard-signalling",
                "signalling",
                "Signal",
                "aggregaat-één"
            ),
            Uuid::parse_str("29b61407-db79-fccc-72ca-38dbf81fd75c").unwrap()
        );
    }

    #[test]
    fn offset_keys_differ_where_the_parts_are_cut_differently() {
        assert_ne!(
            offset_key("ab", "c", "t", "1"),
            offset_key("a", "bc", "t", "1")
        );
        assert_ne!(
            offset_key("c", "s", "t1", "2"),
            offset_key("c", "s", "t", "12")
        );
        assert_ne!(
            offset_key("c", "s", "t", "1"),
            offset_key("d", "s", "t", "1")
        );
    }
}
