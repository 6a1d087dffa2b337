//! The relay against real PostgreSQL and nats-server: commit order, late commits, republishing.

use kindpakket_platform::relay::Relay;
use kindpakket_platform::store::{CommandContext, EVENT_STORE_MIGRATION};
use kindpakket_proto::signalling::{ChildSignalled, Referral};
use kindpakket_proto::{Actor, ChildRef, GemeenteCode, OrganisationId, Role, Service};
use kindpakket_signalling::domain::signal::SignalEvent;
use kindpakket_tests::inspect::stream_messages;
use kindpakket_tests::{Nats, Postgres};
use sqlx::{Executor, PgPool};
use uuid::Uuid;

fn stored_event(signal_id: Uuid) -> serde_json::Value {
    let event = SignalEvent::ChildSignalled {
        gemeente: GemeenteCode::parse("GM0518").unwrap(),
        event: ChildSignalled {
            signal_id,
            signaller: OrganisationId::parse("wijkteam-centrum").unwrap(),
            child: ChildRef::new_random(),
            household: None,
            referral: Referral::Loket,
            signalled_on: time::macros::date!(2026 - 09 - 01),
            due_on: None,
            wijk: None,
            provision_type: None,
        },
        why: None,
        provision_type: None,
        wijk: None,
    };
    serde_json::to_value(event).unwrap()
}

fn metadata() -> serde_json::Value {
    let context = CommandContext {
        gemeente: GemeenteCode::parse("GM0518").unwrap(),
        actor: Actor {
            organisation: OrganisationId::parse("wijkteam-centrum").unwrap(),
            role: Role::Signaller,
        },
        correlation_id: Uuid::new_v4(),
        causation_id: None,
    };
    serde_json::to_value(context.metadata()).unwrap()
}

async fn insert<'c, E: Executor<'c, Database = sqlx::Postgres>>(executor: E, signal_id: Uuid) {
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         VALUES ('signal', $1, 1, 'ChildSignalled', '1', $2, $3)",
    )
    .bind(signal_id.to_string())
    .bind(stored_event(signal_id))
    .bind(metadata())
    .execute(executor)
    .await
    .unwrap();
}

async fn setup() -> (Postgres, Nats, PgPool, Relay) {
    let postgres = Postgres::start().await.unwrap();
    let nats = Nats::start().await.unwrap();
    let pool = kindpakket_platform::db::connect(&postgres.url("relay_test"))
        .await
        .unwrap();
    kindpakket_platform::db::migrate(
        &pool,
        &[
            EVENT_STORE_MIGRATION,
            kindpakket_platform::relay::RELAY_MIGRATION,
        ],
    )
    .await
    .unwrap();
    let (_, js) = kindpakket_platform::nats::connect(&[nats.url()])
        .await
        .unwrap();
    kindpakket_platform::nats::ensure_stream(&js, Service::Signalling, &Default::default())
        .await
        .unwrap();
    sqlx::query("INSERT INTO relay_checkpoints (relay, tx_id, global_position) VALUES ('signalling', '0'::xid8, 0)")
        .execute(&pool)
        .await
        .unwrap();
    let relay = Relay::new(
        Service::Signalling,
        pool.clone(),
        js,
        kindpakket_signalling::publish::contract_translator(),
    );
    (postgres, nats, pool, relay)
}

fn aggregate_ids(
    messages: &[(String, kindpakket_proto::EventMessage<serde_json::Value>)],
) -> Vec<String> {
    messages
        .iter()
        .map(|(_, message)| message.envelope.aggregate_id.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_whose_transaction_commits_late_is_published_not_skipped() {
    let (_postgres, nats, pool, relay) = setup().await;
    let (early, late) = (Uuid::new_v4(), Uuid::new_v4());

    // Transaction A takes its position first but commits last.
    let mut slow = pool.begin().await.unwrap();
    insert(&mut *slow, early).await;
    insert(&pool, late).await;

    // While A runs, nothing after it may be published, or A's event would be skipped for good.
    assert_eq!(relay.publish_next_batch().await.unwrap(), 0);
    slow.commit().await.unwrap();

    assert_eq!(relay.publish_next_batch().await.unwrap(), 2);
    let messages = stream_messages(&nats.url(), Service::Signalling)
        .await
        .unwrap();
    assert_eq!(
        aggregate_ids(&messages),
        vec![early.to_string(), late.to_string()]
    );
    assert_eq!(
        relay.publish_next_batch().await.unwrap(),
        0,
        "the checkpoint moved past both"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_republish_after_a_lost_checkpoint_puts_nothing_twice_on_the_stream() {
    let (_postgres, nats, pool, relay) = setup().await;
    for _ in 0..3 {
        insert(&pool, Uuid::new_v4()).await;
    }
    assert_eq!(relay.publish_next_batch().await.unwrap(), 3);

    // As if the relay crashed after publishing but before saving its checkpoint.
    sqlx::query("UPDATE relay_checkpoints SET tx_id = '0'::xid8, global_position = 0")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        relay.publish_next_batch().await.unwrap(),
        3,
        "everything is sent again"
    );

    let messages = stream_messages(&nats.url(), Service::Signalling)
        .await
        .unwrap();
    assert_eq!(
        messages.len(),
        3,
        "the stream dropped the duplicates by Nats-Msg-Id"
    );
    let ids: std::collections::HashSet<_> = messages.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids
        .iter()
        .all(|id| id.starts_with("signalling:signal:") && id.ends_with(":1")));
    let envelope = &messages[0].1.envelope;
    assert_eq!(envelope.event_type, "ChildSignalled");
    assert_eq!(envelope.gemeente.as_str(), "GM0518");
    assert_eq!(messages[0].1.event["type"], "ChildSignalled");
}
