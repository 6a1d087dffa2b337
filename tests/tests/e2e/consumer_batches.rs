//! The batched consumer (`platform::consume`) against real PostgreSQL and nats-server: a stream
//! consumed in batches applies every event exactly once and in order per aggregate, although it
//! holds copies of events already applied, an event published before its predecessor, an event
//! that fails once (its whole batch rolled back and retried) and an event that can never be applied
//! (parked alone, its batch applied without it). Copies that arrive after the batches committed are
//! recognised by the offsets the batches wrote. And a batch that, writing its offsets, finds another
//! instance has taken one of its aggregates' first event meanwhile is rolled back and applied again.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use kindpakket_platform::consume::{
    self, ConsumerConfig, EventHandler, HandlerError, ReceivedEvent, CONSUMER_MIGRATION,
    CONSUMER_OFFSET_KEY_MIGRATION,
};
use kindpakket_proto::{
    subjects, Actor, EventEnvelope, EventMessage, GemeenteCode, OrganisationId, Role, Service,
};
use kindpakket_tests::{wait_until, Nats, Postgres};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

const AGGREGATES: usize = 40;
const EVENTS_EACH: u64 = 10;

/// Records every application in a table, in the consumer's transaction: fails once on one event
/// (transiently) and always on another (poison).
struct Recorder {
    fail_once: Mutex<HashSet<(String, u64)>>,
    poison: (String, u64),
}

impl EventHandler for Recorder {
    async fn handle(
        &self,
        connection: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let key = (event.envelope.aggregate_id.clone(), event.envelope.sequence);
        if key == self.poison {
            return Err(HandlerError::Poison(
                "this event can never be applied".into(),
            ));
        }
        sqlx::query("INSERT INTO applied (aggregate_id, sequence) VALUES ($1, $2)")
            .bind(&key.0)
            .bind(key.1 as i64)
            .execute(&mut *connection)
            .await?;
        let failing = self
            .fail_once
            .lock()
            .map_err(|_| HandlerError::Poison("lock poisoned".into()))?
            .remove(&key);
        if failing {
            return Err(HandlerError::Transient(anyhow::anyhow!(
                "the database went away for a moment"
            )));
        }
        Ok(())
    }
}

fn aggregate(index: usize) -> String {
    format!("aggregate-{index:02}")
}

/// Publishes one event of `aggregate` at `sequence`; `copy` makes its message id differ, so that the
/// stream keeps it as a second message (as after a republish outside the duplicate window).
async fn publish(
    js: &async_nats::jetstream::Context,
    aggregate_id: &str,
    sequence: u64,
    copy: u32,
) -> Result<()> {
    let gemeente = GemeenteCode::parse("GM0518")?;
    let envelope = EventEnvelope {
        event_id: kindpakket_proto::envelope::event_id(
            Service::Signalling,
            "test",
            aggregate_id,
            sequence,
        ),
        gemeente: gemeente.clone(),
        service: Service::Signalling,
        aggregate_type: "test".into(),
        aggregate_id: aggregate_id.into(),
        sequence,
        store_position: 0,
        event_type: "Counted".into(),
        schema_version: 1,
        occurred_at: time::OffsetDateTime::now_utc(),
        correlation_id: Uuid::new_v4(),
        causation_id: None,
        actor: Actor {
            organisation: OrganisationId::parse("wijkteam-centrum")?,
            role: Role::Signaller,
        },
    };
    let payload = serde_json::to_vec(&EventMessage {
        envelope,
        event: serde_json::json!({"n": sequence}),
    })?;
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(
        "Nats-Msg-Id",
        format!("test:{aggregate_id}:{sequence}:{copy}").as_str(),
    );
    js.publish_with_headers(
        subjects::event_subject(&gemeente, Service::Signalling, "Counted"),
        headers,
        payload.into(),
    )
    .await?
    .await?;
    Ok(())
}

/// Every application, per aggregate in the order applied.
async fn applied(pool: &PgPool) -> Result<BTreeMap<String, Vec<i64>>> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT aggregate_id, sequence FROM applied ORDER BY id")
            .fetch_all(pool)
            .await?;
    let mut applied: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (aggregate_id, sequence) in rows {
        applied.entry(aggregate_id).or_default().push(sequence);
    }
    Ok(applied)
}

/// A throw-away Postgres and nats-server: a database with the consumer's tables and `table`, and the
/// signalling stream.
async fn set_up(
    database: &str,
    table: &str,
) -> Result<(Postgres, Nats, PgPool, async_nats::jetstream::Context)> {
    let postgres = Postgres::start().await?;
    let nats = Nats::start().await?;
    let pool = kindpakket_platform::db::connect(&postgres.url(database)).await?;
    kindpakket_platform::db::migrate(&pool, &[CONSUMER_MIGRATION, CONSUMER_OFFSET_KEY_MIGRATION])
        .await?;
    sqlx::query(table).execute(&pool).await?;
    let (_, js) = kindpakket_platform::nats::connect(&[nats.url()]).await?;
    kindpakket_platform::nats::ensure_stream(&js, Service::Signalling, &Default::default()).await?;
    Ok((postgres, nats, pool, js))
}

/// The durable consumer `durable_name` of the signalling stream in batches of 500, running until the
/// sender says stop.
fn spawn_consumer<H: EventHandler>(
    js: &async_nats::jetstream::Context,
    pool: &PgPool,
    durable_name: &str,
    handler: Arc<H>,
) -> (
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<()>,
) {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let config = ConsumerConfig {
        durable_name: durable_name.into(),
        source: Service::Signalling,
        max_batch: 500,
    };
    let consumer = tokio::spawn(consume::run(
        js.clone(),
        pool.clone(),
        config,
        handler,
        stopped,
    ));
    (stop, consumer)
}

#[tokio::test]
async fn batches_apply_every_event_once_in_order_through_copies_gaps_a_failed_batch_and_poison(
) -> Result<()> {
    let (_postgres, _nats, pool, js) = set_up(
        "batches",
        "CREATE TABLE applied (id bigserial PRIMARY KEY, aggregate_id text NOT NULL, sequence bigint NOT NULL)",
    )
    .await?;

    // Interleaved as many aggregates' events are; aggregate 3's second event comes after its third,
    // and some events come twice.
    for sequence in 1..=EVENTS_EACH {
        for index in 0..AGGREGATES {
            if index == 3 && sequence == 2 {
                continue;
            }
            publish(&js, &aggregate(index), sequence, 0).await?;
            if index == 3 && sequence == 3 {
                publish(&js, &aggregate(index), 2, 0).await?;
            }
            if index % 7 == 0 && sequence % 3 == 0 {
                publish(&js, &aggregate(index), sequence, 1).await?;
            }
        }
    }

    let handler = Arc::new(Recorder {
        fail_once: Mutex::new(HashSet::from([(aggregate(11), 5), (aggregate(30), 9)])),
        poison: (aggregate(9), 4),
    });
    let (stop, consumer) = spawn_consumer(&js, &pool, "test-batches", handler);

    let expected = AGGREGATES * EVENTS_EACH as usize - 1;
    let count = || async {
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM applied")
            .fetch_one(&pool)
            .await?;
        Ok::<_, anyhow::Error>(rows as usize)
    };
    wait_until("every event applied", Duration::from_secs(60), || async {
        Ok((count().await? >= expected).then_some(()))
    })
    .await?;

    // Copies of events the batches applied and committed, then one new event behind them: the
    // copies are known by their offsets.
    for index in [0, 5, 9, 11, 39] {
        for sequence in [1, 4, EVENTS_EACH] {
            publish(&js, &aggregate(index), sequence, 2).await?;
        }
    }
    publish(&js, &aggregate(0), EVENTS_EACH + 1, 0).await?;
    wait_until("the new event applied", Duration::from_secs(30), || async {
        let rows: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM applied WHERE aggregate_id = $1 AND sequence = $2",
        )
        .bind(aggregate(0))
        .bind(EVENTS_EACH as i64 + 1)
        .fetch_one(&pool)
        .await?;
        Ok((rows > 0).then_some(()))
    })
    .await?;
    let _ = stop.send(true);
    consumer.await?;

    let applied = applied(&pool).await?;
    assert_eq!(applied.len(), AGGREGATES);
    for (aggregate_id, sequences) in &applied {
        let mut wanted: Vec<i64> = (1..=EVENTS_EACH as i64).collect();
        if aggregate_id == &aggregate(9) {
            wanted.retain(|sequence| *sequence != 4);
        }
        if aggregate_id == &aggregate(0) {
            wanted.push(EVENTS_EACH as i64 + 1);
        }
        assert_eq!(
            sequences, &wanted,
            "{aggregate_id}: each event once, in order"
        );
    }
    let parked: Vec<(String, String)> = sqlx::query_as(
        "SELECT payload::jsonb->'envelope'->>'aggregate_id', payload::jsonb->'envelope'->>'sequence'
         FROM dead_letters WHERE consumer = 'test-batches'",
    )
    .fetch_all(&pool)
    .await?;
    assert_eq!(parked, vec![(aggregate(9), "4".to_owned())]);
    let offsets: Vec<(String, i64)> = sqlx::query_as(
        "SELECT aggregate_id, last_sequence FROM consumer_offsets
         WHERE consumer = 'test-batches' ORDER BY aggregate_id",
    )
    .fetch_all(&pool)
    .await?;
    assert_eq!(offsets.len(), AGGREGATES);
    for (aggregate_id, last) in offsets {
        let wanted = if aggregate_id == aggregate(0) {
            EVENTS_EACH + 1
        } else {
            EVENTS_EACH
        };
        assert_eq!(last, wanted as i64, "{aggregate_id}'s offset");
    }
    assert_keys_agree(&pool).await?;
    Ok(())
}

/// Every offset's key is the one the migration's SQL function gives its four columns: the consumer
/// (which computes keys in Rust) and the migration (which filled the keys of older rows) agree.
async fn assert_keys_agree(pool: &PgPool) -> Result<()> {
    let (rows, disagreeing): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE offset_key
                <> consumer_offset_key(consumer, service, aggregate_type, aggregate_id))
         FROM consumer_offsets",
    )
    .fetch_one(pool)
    .await?;
    assert!(rows > 0, "offsets were written");
    assert_eq!(
        disagreeing, 0,
        "offsets whose key is not their columns' key"
    );
    Ok(())
}

/// A database whose offsets were written before they had a key (migration `0101`): after the
/// migration the consumer finds each aggregate's offset by the key it computes, so the events it
/// had applied are recognised as copies and only the later ones are applied — also for an aggregate
/// id outside ASCII (the key counts bytes, not characters).
#[tokio::test]
async fn offsets_written_before_their_key_are_found_by_it_after_the_migration() -> Result<()> {
    let postgres = Postgres::start().await?;
    let nats = Nats::start().await?;
    let pool = kindpakket_platform::db::connect(&postgres.url("upgrade")).await?;
    kindpakket_platform::db::migrate(&pool, &[CONSUMER_MIGRATION]).await?;
    sqlx::query(
        "CREATE TABLE applied (id bigserial PRIMARY KEY, aggregate_id text NOT NULL, sequence bigint NOT NULL)",
    )
    .execute(&pool)
    .await?;
    let before = ["voor-1", "voor-2", "aggregaat-één"];
    for aggregate_id in before {
        sqlx::query(
            "INSERT INTO consumer_offsets (consumer, service, aggregate_type, aggregate_id, last_sequence)
             VALUES ('test-upgrade', 'signalling', 'test', $1, 3)",
        )
        .bind(aggregate_id)
        .execute(&pool)
        .await?;
    }
    kindpakket_platform::db::migrate(&pool, &[CONSUMER_MIGRATION, CONSUMER_OFFSET_KEY_MIGRATION])
        .await?;
    let (_, js) = kindpakket_platform::nats::connect(&[nats.url()]).await?;
    kindpakket_platform::nats::ensure_stream(&js, Service::Signalling, &Default::default()).await?;
    for sequence in 1..=5 {
        for aggregate_id in before.iter().chain(&["na-1"]) {
            publish(&js, aggregate_id, sequence, 0).await?;
        }
    }
    let handler = Arc::new(Recorder {
        fail_once: Mutex::new(HashSet::new()),
        poison: (String::new(), 0),
    });
    let (stop, consumer) = spawn_consumer(&js, &pool, "test-upgrade", handler);
    wait_until(
        "every new event applied",
        Duration::from_secs(60),
        || async {
            let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM applied")
                .fetch_one(&pool)
                .await?;
            Ok((rows >= 2 * before.len() as i64 + 5).then_some(()))
        },
    )
    .await?;
    // A moment for anything applied twice to show.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = stop.send(true);
    consumer.await?;

    let mut wanted: BTreeMap<String, Vec<i64>> = before
        .iter()
        .map(|aggregate_id| ((*aggregate_id).to_owned(), vec![4, 5]))
        .collect();
    wanted.insert("na-1".to_owned(), vec![1, 2, 3, 4, 5]);
    assert_eq!(
        applied(&pool).await?,
        wanted,
        "what was applied before the migration is not applied again"
    );
    let offsets: Vec<(String, i64)> = sqlx::query_as(
        "SELECT aggregate_id, last_sequence FROM consumer_offsets ORDER BY aggregate_id",
    )
    .fetch_all(&pool)
    .await?;
    let mut wanted: Vec<(String, i64)> = before
        .iter()
        .chain(&["na-1"])
        .map(|aggregate_id| ((*aggregate_id).to_owned(), 5))
        .collect();
    wanted.sort();
    assert_eq!(
        offsets, wanted,
        "one offset per aggregate, at its last event"
    );
    assert_keys_agree(&pool).await?;
    Ok(())
}

/// Applies like [`Recorder`], noting who applied; on the raced event's first sight it plays the
/// other instance: that one applies the event and commits its offset while this batch runs (after
/// the batch locked the offsets and found none for it).
struct Racer {
    other_instance: PgPool,
    raced: (String, u64),
    raced_yet: Mutex<bool>,
}

impl EventHandler for Racer {
    async fn handle(
        &self,
        connection: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let key = (event.envelope.aggregate_id.clone(), event.envelope.sequence);
        let first_sight = key == self.raced
            && !std::mem::replace(
                &mut *self
                    .raced_yet
                    .lock()
                    .map_err(|_| HandlerError::Poison("lock poisoned".into()))?,
                true,
            );
        if first_sight {
            let mut other = self.other_instance.begin().await?;
            sqlx::query("INSERT INTO applied_by (aggregate_id, sequence, instance) VALUES ($1, $2, 'other')")
                .bind(&key.0)
                .bind(key.1 as i64)
                .execute(&mut *other)
                .await?;
            sqlx::query(
                "INSERT INTO consumer_offsets
                     (consumer, service, aggregate_type, aggregate_id, last_sequence, offset_key)
                 VALUES ('test-race', 'signalling', 'test', $1, $2,
                         consumer_offset_key('test-race', 'signalling', 'test', $1))",
            )
            .bind(&key.0)
            .bind(key.1 as i64)
            .execute(&mut *other)
            .await?;
            other.commit().await?;
        }
        sqlx::query(
            "INSERT INTO applied_by (aggregate_id, sequence, instance) VALUES ($1, $2, 'this')",
        )
        .bind(&key.0)
        .bind(key.1 as i64)
        .execute(&mut *connection)
        .await?;
        Ok(())
    }
}

/// Two instances taking the first event of one aggregate at once (a redelivery can hand it to both):
/// the batch that finds the other's offset inserted when it writes its own is rolled back whole and
/// applied again, so that event counts once (the other's), the batch's other events once, and
/// nothing is parked.
#[tokio::test]
async fn a_batch_that_finds_a_new_offset_taken_by_another_instance_is_rolled_back_and_applied_again(
) -> Result<()> {
    let (_postgres, _nats, pool, js) = set_up(
        "race",
        "CREATE TABLE applied_by (id bigserial PRIMARY KEY, aggregate_id text NOT NULL,
                                  sequence bigint NOT NULL, instance text NOT NULL)",
    )
    .await?;
    let aggregates = ["raced", "other-1", "other-2", "other-3"];
    for sequence in 1..=2 {
        for aggregate_id in aggregates {
            publish(&js, aggregate_id, sequence, 0).await?;
        }
    }

    let handler = Arc::new(Racer {
        other_instance: pool.clone(),
        raced: ("raced".to_owned(), 1),
        raced_yet: Mutex::new(false),
    });
    let (stop, consumer) = spawn_consumer(&js, &pool, "test-race", handler);
    let offsets = || async {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT aggregate_id, last_sequence FROM consumer_offsets
             WHERE consumer = 'test-race' ORDER BY aggregate_id",
        )
        .fetch_all(&pool)
        .await?;
        Ok::<_, anyhow::Error>(rows)
    };
    wait_until("every offset at 2", Duration::from_secs(60), || async {
        let offsets = offsets().await?;
        Ok(
            (offsets.len() == aggregates.len() && offsets.iter().all(|(_, last)| *last == 2))
                .then_some(()),
        )
    })
    .await?;
    let _ = stop.send(true);
    consumer.await?;

    let rows: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT aggregate_id, sequence, instance FROM applied_by ORDER BY aggregate_id, sequence, id",
    )
    .fetch_all(&pool)
    .await?;
    let mut wanted = vec![
        ("raced".to_owned(), 1, "other".to_owned()),
        ("raced".to_owned(), 2, "this".to_owned()),
    ];
    for aggregate_id in &aggregates[1..] {
        for sequence in 1..=2 {
            wanted.push(((*aggregate_id).to_owned(), sequence, "this".to_owned()));
        }
    }
    wanted.sort();
    assert_eq!(
        rows, wanted,
        "the raced event applied once, by the other instance; every other event once, by this one"
    );
    let parked: i64 = sqlx::query_scalar("SELECT count(*) FROM dead_letters")
        .fetch_one(&pool)
        .await?;
    assert_eq!(parked, 0, "a lost race parks nothing");
    Ok(())
}
