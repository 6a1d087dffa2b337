//! The event store: postgres-es's `events` table, extended with a global position in commit order,
//! and the metadata every command writes onto its events.
//!
//! Only the events-only store (`postgres_cqrs`) is used: in cqrs-es 0.5.0 the snapshot and aggregate
//! stores apply each event twice. Queries (`Query::dispatch`) are never used: they run after the
//! commit and a crash skips them. Everything downstream goes through the [`crate::relay`].

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;

use cqrs_es::persist::{
    EventUpcaster, PersistedEventRepository, PersistedEventStore, PersistenceError, ReplayStream,
    SerializedEvent, SerializedSnapshot,
};
use cqrs_es::{Aggregate, AggregateContext, AggregateError, CqrsFramework, EventStore};
use kindpakket_proto::{Actor, GemeenteCode, Service};
use postgres_es::PostgresEventRepository;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db::Migration;

/// The events table of postgres-es with three extra columns. postgres-es names its seven columns
/// on insert, so the defaults fill the rest: `global_position` (an identity, visible in commit
/// order only together with `tx_id`), `tx_id` (the writing transaction) and `recorded_at`.
/// A statement trigger wakes the relay.
pub const EVENT_STORE_MIGRATION: Migration = Migration {
    name: "0001_event_store",
    sql: r#"
        CREATE TABLE events (
            aggregate_type  text   NOT NULL,
            aggregate_id    text   NOT NULL,
            sequence        bigint NOT NULL CHECK (sequence >= 0),
            event_type      text   NOT NULL,
            event_version   text   NOT NULL,
            payload         json   NOT NULL,
            metadata        json   NOT NULL,
            global_position bigint GENERATED ALWAYS AS IDENTITY,
            tx_id           xid8   NOT NULL DEFAULT pg_current_xact_id(),
            recorded_at     timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (aggregate_type, aggregate_id, sequence)
        );
        CREATE UNIQUE INDEX events_commit_order ON events (tx_id, global_position);

        CREATE TABLE relay_checkpoints (
            relay           text   PRIMARY KEY,
            tx_id           xid8   NOT NULL,
            global_position bigint NOT NULL,
            published       bigint NOT NULL DEFAULT 0,
            updated_at      timestamptz NOT NULL DEFAULT now()
        );

        CREATE FUNCTION notify_events_committed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('kindpakket_events', '');
            RETURN NULL;
        END $$;
        CREATE TRIGGER events_committed AFTER INSERT ON events
            FOR EACH STATEMENT EXECUTE FUNCTION notify_events_committed();
    "#,
};

/// The keys under which [`CommandContext`] writes onto every event's metadata.
pub mod metadata_keys {
    pub const GEMEENTE: &str = "gemeente";
    pub const ACTOR_ORGANISATION: &str = "actor_organisation";
    pub const ACTOR_ROLE: &str = "actor_role";
    pub const CORRELATION_ID: &str = "correlation_id";
    pub const CAUSATION_ID: &str = "causation_id";
    pub const OCCURRED_AT: &str = "occurred_at";
    /// The W3C trace context of the command's span (`00-<trace id>-<span id>-<flags>`), when traces
    /// are exported ([`crate::trace_context`]): the relay sets it as the message's header.
    pub const TRACEPARENT: &str = crate::trace_context::TRACEPARENT;
}

/// Who asks for a command, for which gemeente, as part of which case.
#[derive(Debug, Clone)]
pub struct CommandContext {
    pub gemeente: GemeenteCode,
    pub actor: Actor,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
}

impl CommandContext {
    /// A service acting on another service's event: same case, caused by that event.
    pub fn caused_by(envelope: &kindpakket_proto::EventEnvelope, service: Service) -> Self {
        Self {
            gemeente: envelope.gemeente.clone(),
            actor: Actor::system(service),
            correlation_id: envelope.correlation_id,
            causation_id: Some(envelope.event_id),
        }
    }

    /// A job of `service` acting on its own in `gemeente` (the year end, retention): a case of its own.
    pub fn system(gemeente: &GemeenteCode, service: Service) -> Self {
        Self {
            gemeente: gemeente.clone(),
            actor: Actor::system(service),
            correlation_id: Uuid::new_v4(),
            causation_id: None,
        }
    }

    /// The metadata map written onto every event of the command.
    pub fn metadata(&self) -> HashMap<String, String> {
        use metadata_keys::*;
        // The moment by the service's clock (`crate::clock`, moved in rehearsals and tests), as every
        // date a rule depends on: the overleg's quarters are "as of" a moment compared with it.
        // Every UTC time of this era formats as RFC 3339; should it ever not, the event still carries
        // its commit time (`recorded_at`).
        let occurred_at = crate::clock::now()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let mut metadata = HashMap::from([
            (GEMEENTE.to_owned(), self.gemeente.to_string()),
            (
                ACTOR_ORGANISATION.to_owned(),
                self.actor.organisation.to_string(),
            ),
            (ACTOR_ROLE.to_owned(), self.actor.role.as_str().to_owned()),
            (CORRELATION_ID.to_owned(), self.correlation_id.to_string()),
            (OCCURRED_AT.to_owned(), occurred_at),
        ]);
        if let Some(causation_id) = self.causation_id {
            metadata.insert(CAUSATION_ID.to_owned(), causation_id.to_string());
        }
        // Ids only (`traceparent`), and only while a trace is recorded: stored with the event, so a
        // republish after a crash carries the same context.
        metadata.extend(crate::trace_context::current());
        metadata
    }
}

/// Why a command failed, as the HTTP layer needs to know it.
#[derive(Debug)]
pub enum CommandError<E> {
    /// The domain refused the command (its message is Dutch and meant for the user).
    Rejected(E),
    /// Another command on the same aggregate won every retry.
    Conflict,
    /// Database or serialisation trouble; logged, not shown.
    Technical(String),
}

impl<E: fmt::Display> fmt::Display for CommandError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::Rejected(error) => write!(f, "rejected: {error}"),
            CommandError::Conflict => f.write_str("concurrent modification won every retry"),
            CommandError::Technical(error) => write!(f, "technical error: {error}"),
        }
    }
}

/// An aggregate that lives in one gemeente: it is found only there.
pub trait Tenanted: Aggregate {
    /// What the caller reads when it is not there (or not in their gemeente), e.g. "Deze signalering
    /// bestaat niet in deze gemeente."
    const NOT_FOUND: &'static str;

    /// The gemeente it belongs to; `None` before its first event.
    fn gemeente(&self) -> Option<&GemeenteCode>;
}

/// Why an aggregate could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// It does not exist in this gemeente; the message is for the caller.
    #[error("{0}")]
    NotFound(&'static str),
    /// Database or serialisation trouble; logged, not shown.
    #[error("loading an aggregate failed: {0}")]
    Technical(String),
}

/// The events table as the aggregates read and write it: postgres-es's repository for reading,
/// and one statement for writing a command's events.
///
/// postgres-es writes a command's events as `BEGIN`, one `INSERT` per event, `COMMIT`: three round
/// trips or more, each also taking a connection from the pool. A single `INSERT … SELECT FROM
/// unnest(…)` is its own transaction and just as atomic (every event of the command or none), in
/// one round trip. A lost race on the aggregate's next sequence is the primary key's unique
/// violation, as before: an optimistic-lock error that [`AggregateStore::execute`] retries.
pub struct EventRepository {
    pool: PgPool,
    reads: PostgresEventRepository,
}

impl EventRepository {
    pub fn new(pool: PgPool) -> Self {
        Self {
            reads: PostgresEventRepository::new(pool.clone()),
            pool,
        }
    }

    async fn insert_events(
        &self,
        aggregate_type: &str,
        events: &[SerializedEvent],
    ) -> Result<(), sqlx::Error> {
        let mut ids = Vec::with_capacity(events.len());
        let mut sequences = Vec::with_capacity(events.len());
        let mut types = Vec::with_capacity(events.len());
        let mut versions = Vec::with_capacity(events.len());
        let mut payloads = Vec::with_capacity(events.len());
        let mut metadata = Vec::with_capacity(events.len());
        for event in events {
            ids.push(event.aggregate_id.as_str());
            sequences.push(i64::try_from(event.sequence).unwrap_or(i64::MAX));
            types.push(event.event_type.as_str());
            versions.push(event.event_version.as_str());
            payloads.push(&event.payload);
            metadata.push(&event.metadata);
        }
        // `WITH ORDINALITY … ORDER BY`: the events get their global positions in the command's
        // order. Payloads travel as `jsonb` into the `json` columns, as postgres-es wrote them.
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
             SELECT $1, e.aggregate_id, e.sequence, e.event_type, e.event_version, e.payload, e.metadata
               FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::jsonb[], $7::jsonb[])
                    WITH ORDINALITY AS e (aggregate_id, sequence, event_type, event_version, payload, metadata, n)
              ORDER BY e.n",
        )
        .bind(aggregate_type)
        .bind(&ids)
        .bind(&sequences)
        .bind(&types)
        .bind(&versions)
        .bind(&payloads)
        .bind(&metadata)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// As postgres-es maps its errors: a unique violation is a lost race on the aggregate's sequence.
fn persistence_error(error: sqlx::Error) -> PersistenceError {
    match &error {
        sqlx::Error::Database(database)
            if database.code().is_some_and(|code| code.as_ref() == "23505") =>
        {
            PersistenceError::OptimisticLockError
        }
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut => {
            PersistenceError::ConnectionError(Box::new(error))
        }
        _ => PersistenceError::UnknownError(Box::new(error)),
    }
}

tokio::task_local! {
    /// Set while [`AggregateStore::execute_new`] tries a command against an empty history.
    static ASSUMED_NEW: AssumedNew;
}

/// The aggregate a command is tried on as new, and whether its events were stored.
struct AssumedNew {
    aggregate_type: &'static str,
    aggregate_id: String,
    stored: Cell<bool>,
}

impl AssumedNew {
    fn is(&self, aggregate_type: &str, aggregate_id: &str) -> bool {
        self.aggregate_type == aggregate_type && self.aggregate_id == aggregate_id
    }
}

/// Whether this task is trying a command on `aggregate_id` as new: its history is then not read.
fn assumed_new(aggregate_type: &str, aggregate_id: &str) -> bool {
    ASSUMED_NEW
        .try_with(|assumed| assumed.is(aggregate_type, aggregate_id))
        .unwrap_or(false)
}

impl PersistedEventRepository for EventRepository {
    async fn get_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        if assumed_new(A::TYPE, aggregate_id) {
            return Ok(Vec::new());
        }
        self.reads.get_events::<A>(aggregate_id).await
    }

    async fn get_last_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
        last_sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        self.reads
            .get_last_events::<A>(aggregate_id, last_sequence)
            .await
    }

    async fn get_snapshot<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Option<SerializedSnapshot>, PersistenceError> {
        self.reads.get_snapshot::<A>(aggregate_id).await
    }

    async fn persist<A: Aggregate>(
        &self,
        events: &[SerializedEvent],
        snapshot_update: Option<(String, serde_json::Value, usize)>,
    ) -> Result<(), PersistenceError> {
        match snapshot_update {
            // The events-only store never snapshots; should one ever be asked for, postgres-es
            // writes it with its events as before.
            Some(_) => self.reads.persist::<A>(events, snapshot_update).await,
            None if events.is_empty() => Ok(()),
            None => {
                self.insert_events(A::TYPE, events)
                    .await
                    .map_err(persistence_error)?;
                let _ = ASSUMED_NEW.try_with(|assumed| {
                    if events
                        .iter()
                        .all(|event| assumed.is(A::TYPE, &event.aggregate_id))
                    {
                        assumed.stored.set(true);
                    }
                });
                Ok(())
            }
        }
    }

    async fn stream_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<ReplayStream, PersistenceError> {
        self.reads.stream_events::<A>(aggregate_id).await
    }

    async fn stream_all_events<A: Aggregate>(&self) -> Result<ReplayStream, PersistenceError> {
        self.reads.stream_all_events::<A>().await
    }
}

/// An aggregate's command side plus a read of its current state.
pub struct AggregateStore<A: Aggregate> {
    cqrs: CqrsFramework<A, PersistedEventStore<EventRepository, A>>,
    store: PersistedEventStore<EventRepository, A>,
}

impl<A> AggregateStore<A>
where
    A: Aggregate,
    A::Command: Clone,
{
    pub fn new(pool: PgPool, services: A::Services) -> Self {
        Self::with_upcasters(pool, services, Vec::new)
    }

    /// A store that brings older stored events to today's shape on load (`upcasters` is called once
    /// per internal store, as upcasters cannot be shared).
    pub fn with_upcasters(
        pool: PgPool,
        services: A::Services,
        upcasters: fn() -> Vec<Box<dyn EventUpcaster>>,
    ) -> Self {
        let command_store =
            PersistedEventStore::new_event_store(EventRepository::new(pool.clone()))
                .with_upcasters(upcasters());
        let cqrs = CqrsFramework::new(command_store, Vec::new(), services);
        let store = PersistedEventStore::new_event_store(EventRepository::new(pool))
            .with_upcasters(upcasters());
        Self { cqrs, store }
    }

    /// Executes a command. A lost optimistic-concurrency race (another command committed on the same
    /// aggregate in between) is retried against the new state a few times: never a lost update.
    pub async fn execute(
        &self,
        aggregate_id: impl fmt::Display,
        command: A::Command,
        context: &CommandContext,
    ) -> Result<(), CommandError<A::Error>> {
        self.execute_as(aggregate_id, command, context, false).await
    }

    /// Executes a command on an aggregate whose id the caller has just made (`Uuid::new_v4`), without
    /// first reading its history: one round trip fewer for every command that creates something.
    /// Exact whatever the id: the command is tried against an empty history, and the result only
    /// kept when its events were stored — the aggregate's first sequence number was free, so it had
    /// no history. When the id turns out to have events (their sequence taken: a conflict), or the
    /// command is refused, or stores nothing, it is executed as [`Self::execute`] does, against the
    /// stored history: the answer is always the one the stored history gives.
    pub async fn execute_new(
        &self,
        aggregate_id: impl fmt::Display,
        command: A::Command,
        context: &CommandContext,
    ) -> Result<(), CommandError<A::Error>> {
        self.execute_as(aggregate_id, command, context, true).await
    }

    async fn execute_as(
        &self,
        aggregate_id: impl fmt::Display,
        command: A::Command,
        context: &CommandContext,
        new: bool,
    ) -> Result<(), CommandError<A::Error>> {
        let started = std::time::Instant::now();
        // The command's own span (a child of the request's, or of the consumer's): its context is
        // what the events carry onward.
        let span = tracing::info_span!(
            "command",
            aggregate_type = A::TYPE,
            correlation_id = %context.correlation_id,
        );
        let result = tracing::Instrument::instrument(
            self.execute_with_retries(aggregate_id, command, context, new),
            span,
        )
        .await;
        let outcome = match &result {
            Ok(()) => "accepted",
            Err(CommandError::Rejected(_)) => "refused",
            Err(CommandError::Conflict) => "conflict",
            Err(CommandError::Technical(_)) => "error",
        };
        crate::metrics::metrics().record_command(A::TYPE, outcome, started.elapsed());
        result
    }

    async fn execute_with_retries(
        &self,
        aggregate_id: impl fmt::Display,
        command: A::Command,
        context: &CommandContext,
        new: bool,
    ) -> Result<(), CommandError<A::Error>> {
        const ATTEMPTS: usize = 5;
        let aggregate_id = aggregate_id.to_string();
        if new {
            let assumed = AssumedNew {
                aggregate_type: A::TYPE,
                aggregate_id: aggregate_id.clone(),
                stored: Cell::new(false),
            };
            let (result, stored) = ASSUMED_NEW
                .scope(assumed, async {
                    let result = self
                        .cqrs
                        .execute_with_metadata(&aggregate_id, command.clone(), context.metadata())
                        .await;
                    (result, ASSUMED_NEW.with(|assumed| assumed.stored.get()))
                })
                .await;
            match result {
                Ok(()) if stored => return Ok(()),
                // Not new after all, refused, or nothing to store: decided below against the
                // stored history, as every command is (nothing was written).
                Ok(())
                | Err(AggregateError::UserError(_))
                | Err(AggregateError::AggregateConflict) => {}
                // As `execute` answers it: the insert's outcome is unknown, so it is not tried
                // again (a commit whose answer was lost would come back as "already exists").
                Err(error) => return Err(CommandError::Technical(error.to_string())),
            }
        }
        for attempt in 1..=ATTEMPTS {
            match self
                .cqrs
                .execute_with_metadata(&aggregate_id, command.clone(), context.metadata())
                .await
            {
                Ok(()) => return Ok(()),
                Err(AggregateError::UserError(error)) => return Err(CommandError::Rejected(error)),
                Err(AggregateError::AggregateConflict) => {
                    tracing::debug!(
                        aggregate_id,
                        attempt,
                        "optimistic concurrency conflict, retrying"
                    );
                    tokio::time::sleep(std::time::Duration::from_millis(5 * attempt as u64)).await;
                }
                Err(error) => return Err(CommandError::Technical(error.to_string())),
            }
        }
        Err(CommandError::Conflict)
    }

    /// The current state of one aggregate (a fresh, default aggregate when it has no events).
    pub async fn load(&self, aggregate_id: impl fmt::Display) -> Result<A, String> {
        let mut context = self
            .store
            .load_aggregate(&aggregate_id.to_string())
            .await
            .map_err(|error| error.to_string())?;
        let aggregate = std::mem::take(context.aggregate());
        Ok(aggregate)
    }
}

impl<A> AggregateStore<A>
where
    A: Tenanted,
    A::Command: Clone,
{
    /// The aggregate, if it exists in `gemeente`; one that exists elsewhere is as unknown as one
    /// that does not exist at all.
    pub async fn load_in(
        &self,
        gemeente: &GemeenteCode,
        aggregate_id: impl fmt::Display,
    ) -> Result<A, LoadError> {
        let aggregate = self
            .load(aggregate_id)
            .await
            .map_err(LoadError::Technical)?;
        if aggregate.gemeente() == Some(gemeente) {
            Ok(aggregate)
        } else {
            Err(LoadError::NotFound(A::NOT_FOUND))
        }
    }
}

/// Rewrites the events of `aggregate_type` stored as `legacy_version` into `new_version`, with
/// `reseal(event_type, payload)` giving each new payload: a one-off data migration for events stored
/// before their personal fields were sealed ([`crate::shredding`]). Each event is rewritten with its
/// version in one statement, so a crash midway leaves every row either old or new and the next
/// start continues. Returns how many were rewritten.
///
/// The service's role may only append to `events`; this runs as the database owner
/// ([`crate::db::connect_as_owner`]), and only when there is something to rewrite. Run it before
/// the relay starts, so the relay never reads a row in between. The plaintext stays in the WAL and
/// the backups made before; they expire as their retention says.
pub async fn reseal_events<F, Fut>(
    service_pool: &PgPool,
    database: &crate::db::DatabaseConfig,
    aggregate_type: &str,
    legacy_version: &str,
    new_version: &str,
    mut reseal: F,
) -> anyhow::Result<u64>
where
    F: FnMut(String, serde_json::Value) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<serde_json::Value>>,
{
    use anyhow::Context;
    let legacy: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM events WHERE aggregate_type = $1 AND event_version = $2)",
    )
    .bind(aggregate_type)
    .bind(legacy_version)
    .fetch_one(service_pool)
    .await?;
    if !legacy {
        return Ok(0);
    }
    let owner = crate::db::connect_as_owner(database).await?;
    let mut rewritten = 0;
    loop {
        let batch: Vec<(String, i64, String, String)> = sqlx::query_as(
            "SELECT aggregate_id, sequence, event_type, payload::text FROM events
                  WHERE aggregate_type = $1 AND event_version = $2
                  ORDER BY global_position LIMIT 200",
        )
        .bind(aggregate_type)
        .bind(legacy_version)
        .fetch_all(&owner)
        .await?;
        if batch.is_empty() {
            break;
        }
        for (aggregate_id, sequence, event_type, payload) in batch {
            let payload: serde_json::Value = serde_json::from_str(&payload)?;
            let payload = reseal(event_type.clone(), payload)
                .await
                .with_context(|| format!("resealing a {aggregate_type} {event_type} event"))?;
            sqlx::query(
                "UPDATE events SET payload = $4::json, event_version = $5
                  WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence = $3",
            )
            .bind(aggregate_type)
            .bind(&aggregate_id)
            .bind(sequence)
            .bind(payload.to_string())
            .bind(new_version)
            .execute(&owner)
            .await
            .context("rewriting an event needs the database owner: run the service's `migrate` with KINDPAKKET_MIGRATION_USER")?;
            rewritten += 1;
        }
    }
    owner.close().await;
    tracing::info!(
        aggregate_type,
        rewritten,
        "sealed the personal fields of events stored before version {new_version}"
    );
    Ok(rewritten)
}
