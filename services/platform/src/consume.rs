//! Durable JetStream consumers that apply every event exactly once.
//!
//! Each consumer reads one service's whole stream (so per-aggregate sequences have no gaps by
//! design) and, for each message, in one Postgres transaction: checks the aggregate's offset, lets
//! the handler change the read model, and moves the offset. Commit, then ack. A redelivered event
//! (`sequence <= offset`) is acknowledged without effect; an event that arrives before its
//! predecessor (`sequence > offset + 1`) is put back with a delay. `max_deliver` is unlimited: a
//! limit would silently skip events. An event the handler cannot process at all is parked in
//! `dead_letters` with an error log, and the consumer goes on.

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

/// An event as a handler receives it: the envelope, and the payload still as JSON.
#[derive(Debug, Clone)]
pub struct ReceivedEvent {
    pub subject: String,
    pub envelope: EventEnvelope,
    pub event: serde_json::Value,
}

impl ReceivedEvent {
    /// Reads the payload as the publishing service's contract type.
    pub fn decode<E: serde::de::DeserializeOwned>(&self) -> Result<E, HandlerError> {
        serde_json::from_value(self.event.clone()).map_err(|error| {
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

/// Applies events to a read model, inside the transaction that also moves the offset.
pub trait EventHandler: Send + Sync + 'static {
    fn handle(
        &self,
        connection: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send;
}

/// One durable consumer of one service's stream.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// The durable name, unique per consuming service and source (e.g. `dashboard-signalling`).
    pub durable_name: String,
    pub source: Service,
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
                    max_ack_pending: 1000,
                    deliver_policy: DeliverPolicy::All,
                    ..Default::default()
                },
            )
            .await
            .context("creating durable consumer")?;
        replay_parked(pool, config, handler).await?;
        consumer.messages().await.context("pulling messages")
    };
    let mut messages = tokio::select! {
        messages = prepared => messages?,
        _ = shutdown.changed() => return Ok(()),
    };
    tracing::info!(consumer = %config.durable_name, stream = %stream_name, "consuming");
    let mut consecutive_errors = 0;
    loop {
        let next = tokio::select! {
            biased;
            _ = shutdown.changed() => return Ok(()),
            next = messages.next() => next,
        };
        let Some(message) = next else { break };
        let message = match message {
            Ok(message) => {
                consecutive_errors = 0;
                message
            }
            Err(error) => {
                consecutive_errors += 1;
                tracing::warn!(consumer = %config.durable_name, error = %error, "error while pulling");
                if consecutive_errors >= 5 {
                    anyhow::bail!("pull failed {consecutive_errors} times in a row: {error}");
                }
                continue;
            }
        };
        // Applied and acknowledged whole, even when the stop comes meanwhile.
        process(pool, config, handler, &message).await;
    }
    anyhow::bail!("message stream ended")
}

/// What happened to one message.
#[derive(Debug, PartialEq, Eq)]
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
    let delivered = message
        .info()
        .map(|info| info.delivered)
        .unwrap_or_default();
    let parsed: Result<EventMessage<serde_json::Value>, _> =
        serde_json::from_slice(&message.payload);
    let outcome = match parsed {
        Err(error) => {
            let reason = format!("not a Kindpakket event message: {error}");
            park(pool, config, message, stream_sequence, &reason, None).await
        }
        Ok(parsed) => {
            let received = ReceivedEvent {
                subject: message.subject.to_string(),
                envelope: parsed.envelope,
                event: parsed.event,
            };
            let span = tracing::info_span!(
                "consume",
                consumer = %config.durable_name,
                correlation_id = %received.envelope.correlation_id,
                event_id = %received.envelope.event_id,
                event_type = %received.envelope.event_type,
                aggregate_id = %received.envelope.aggregate_id,
                sequence = received.envelope.sequence,
            );
            crate::trace_context::follow_message(&span, message.headers.as_ref());
            apply(pool, config, handler, message, &received, stream_sequence)
                .instrument(span)
                .await
        }
    };
    crate::metrics::metrics().record_consumed(
        &config.durable_name,
        outcome.as_str(),
        message.info().ok().map(|info| info.pending),
    );
    let ack = match outcome {
        Outcome::Applied | Outcome::Duplicate => message.ack().await,
        Outcome::Parked => message.ack_with(AckKind::Term).await,
        Outcome::Early => {
            if delivered > 20 {
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

async fn apply<H: EventHandler>(
    pool: &PgPool,
    config: &ConsumerConfig,
    handler: &H,
    message: &jetstream::Message,
    received: &ReceivedEvent,
    stream_sequence: u64,
) -> Outcome {
    match apply_in_transaction(pool, config, handler, received).await {
        Ok(outcome) => {
            if outcome == Outcome::Early {
                tracing::debug!("event arrived before its predecessor; redelivery later");
            }
            outcome
        }
        Err(HandlerError::Transient(error)) => {
            tracing::warn!(
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
    received: &ReceivedEvent,
) -> Result<Outcome, HandlerError> {
    let envelope = &received.envelope;
    let sequence = envelope.sequence as i64;
    let mut transaction = pool.begin().await?;
    let last: Option<i64> = sqlx::query_scalar(
        "SELECT last_sequence FROM consumer_offsets
         WHERE consumer = $1 AND service = $2 AND aggregate_type = $3 AND aggregate_id = $4
         FOR UPDATE",
    )
    .bind(&config.durable_name)
    .bind(envelope.service.as_str())
    .bind(&envelope.aggregate_type)
    .bind(&envelope.aggregate_id)
    .fetch_optional(&mut *transaction)
    .await?;
    let last = last.unwrap_or(0);
    if sequence <= last {
        return Ok(Outcome::Duplicate);
    }
    if sequence > last + 1 {
        return Ok(Outcome::Early);
    }
    handler.handle(&mut transaction, received).await?;
    advance_offset(&mut transaction, config, envelope, sequence).await?;
    transaction.commit().await?;
    Ok(Outcome::Applied)
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
            let message: EventMessage<serde_json::Value> =
                serde_json::from_str(&payload).map_err(|error| {
                    HandlerError::Poison(format!("not a Kindpakket event message: {error}"))
                })?;
            let received = ReceivedEvent {
                subject: subject.clone(),
                envelope: message.envelope,
                event: message.event,
            };
            let mut transaction = pool.begin().await?;
            handler.handle(&mut transaction, &received).await?;
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
        "INSERT INTO consumer_offsets (consumer, service, aggregate_type, aggregate_id, last_sequence)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (consumer, service, aggregate_type, aggregate_id) DO UPDATE
             SET last_sequence = EXCLUDED.last_sequence, updated_at = now()
             WHERE consumer_offsets.last_sequence = EXCLUDED.last_sequence - 1",
    )
    .bind(&config.durable_name)
    .bind(envelope.service.as_str())
    .bind(&envelope.aggregate_type)
    .bind(&envelope.aggregate_id)
    .bind(sequence)
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
            sqlx::query(
                "INSERT INTO consumer_offsets (consumer, service, aggregate_type, aggregate_id, last_sequence)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (consumer, service, aggregate_type, aggregate_id) DO UPDATE
                     SET last_sequence = GREATEST(consumer_offsets.last_sequence, EXCLUDED.last_sequence)",
            )
            .bind(&config.durable_name)
            .bind(received.envelope.service.as_str())
            .bind(&received.envelope.aggregate_type)
            .bind(&received.envelope.aggregate_id)
            .bind(sequence)
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
