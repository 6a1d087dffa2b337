//! A poison event is parked with an alert, the consumer goes on, and after a fix the parked event is
//! replayed — once.

use std::time::Duration;

use kindpakket_proto::envelope::event_id;
use kindpakket_proto::{
    Actor, EventEnvelope, EventMessage, GemeenteCode, OrganisationId, Role, Service,
};

use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_event_is_parked_the_consumer_goes_on_and_it_is_replayed_after_a_fix() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket
        .enrol_signaller("GM0518", "wijkteam-centrum", "Wijkteam Centrum")
        .await
        .unwrap();
    kindpakket
        .signal_child("GM0518", "wijkteam-centrum", Uuid::new_v4(), "2026-09-01")
        .await
        .unwrap();

    // A partner system with a bug publishes a signal whose referral is not in the contract.
    let signal_id = Uuid::new_v4();
    let aggregate_id = signal_id.to_string();
    let message = EventMessage {
        envelope: EventEnvelope {
            event_id: event_id(Service::Signalling, "signal", &aggregate_id, 1),
            gemeente: GemeenteCode::parse("GM0518").unwrap(),
            service: Service::Signalling,
            aggregate_type: "signal".to_owned(),
            aggregate_id: aggregate_id.clone(),
            sequence: 1,
            store_position: 0,
            event_type: "ChildSignalled".to_owned(),
            schema_version: 1,
            occurred_at: time::OffsetDateTime::now_utc(),
            correlation_id: Uuid::new_v4(),
            causation_id: None,
            actor: Actor {
                organisation: OrganisationId::parse("school-de-regenboog").unwrap(),
                role: Role::Signaller,
            },
        },
        event: serde_json::json!({
            "type": "ChildSignalled", "signal_id": signal_id, "signaller": "school-de-regenboog",
            "child": Uuid::new_v4(), "household": null,
            "referral": {"to": "schuld"}, "signalled_on": "2026-09-03"
        }),
    };
    let client = async_nats::connect(platform.nats.url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    js.publish(
        "kindpakket.GM0518.signalling.ChildSignalled",
        serde_json::to_vec(&message).unwrap().into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();

    // The consumer parks it, raises the alert, and goes on with what comes after.
    kindpakket
        .signal_child("GM0518", "wijkteam-centrum", Uuid::new_v4(), "2026-09-04")
        .await
        .unwrap();
    kindpakket
        .wait_for_funnel("GM0518", Duration::from_secs(20), |funnel| {
            funnel["gesignaleerd"] == 2
        })
        .await
        .unwrap();
    let dashboard_database = platform.postgres.url("kindpakket_dashboard");
    let dashboard = sqlx::PgPool::connect(&dashboard_database).await.unwrap();
    let parked: Vec<(i64, String)> =
        wait_until("an event parked", Duration::from_secs(10), || async {
            let parked: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, error FROM dead_letters WHERE replayed_at IS NULL")
                    .fetch_all(&dashboard)
                    .await?;
            when(!parked.is_empty(), parked)
        })
        .await
        .unwrap();
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert!(
        parked[0].1.contains("schuld"),
        "the error names the cause: {}",
        parked[0].1
    );
    // The operator's alert: the dashboard's metrics show one parked event for that consumer.
    let parked_metric = r#"kindpakket_parked_events{durable="dashboard-signalling"}"#;
    let metrics = parked_events_metric(&platform).await;
    assert!(
        metrics.contains(&format!("{parked_metric} 1\n")),
        "{metrics}"
    );
    let log = std::fs::read_to_string(platform.service(ServiceName::Dashboard).log_path()).unwrap();
    assert!(
        log.contains("\"alert\":\"dead_letter\""),
        "an alert was logged"
    );

    // The fix: an operator corrects the parked payload; the dashboard restarts and replays it.
    sqlx::query("UPDATE dead_letters SET payload = replace(payload, '\"schuld\"', '\"loket\"') WHERE id = $1")
        .bind(parked[0].0)
        .execute(&dashboard)
        .await
        .unwrap();
    platform.service_mut(ServiceName::Dashboard).kill();
    platform
        .service_mut(ServiceName::Dashboard)
        .start_again()
        .await
        .unwrap();
    kindpakket
        .wait_for_funnel("GM0518", Duration::from_secs(20), |funnel| {
            funnel["gesignaleerd"] == 3
        })
        .await
        .unwrap();
    let still_parked: i64 =
        sqlx::query_scalar("SELECT count(*) FROM dead_letters WHERE replayed_at IS NULL")
            .fetch_one(&dashboard)
            .await
            .unwrap();
    assert_eq!(still_parked, 0);
    let metrics = parked_events_metric(&platform).await;
    assert!(
        metrics.contains(&format!("{parked_metric} 0\n")),
        "{metrics}"
    );

    // Replayed once: another restart changes nothing.
    platform.service_mut(ServiceName::Dashboard).kill();
    platform
        .service_mut(ServiceName::Dashboard)
        .start_again()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        kindpakket.funnel("GM0518").await.unwrap()["gesignaleerd"],
        3
    );
}

async fn parked_events_metric(platform: &Platform) -> String {
    platform
        .http()
        .get(platform.url(ServiceName::Dashboard, "/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}
