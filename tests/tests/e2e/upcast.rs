//! Schema evolution: a store holding version-1 events (written before `ChildSignalled` named its
//! signaller, with its reason in plaintext) is resealed at start — the signaller from the metadata
//! by the upcaster, the reason sealed under the child's key — then published in today's shape (no
//! reason), projected by today's dashboard, and loaded by today's aggregate.

use std::time::Duration;

use kindpakket_proto::Service;
use kindpakket_tests::client::{As, REGIE};
use kindpakket_tests::inspect::stream_messages;
use kindpakket_tests::{Platform, ServiceName};
use reqwest::StatusCode;
use sqlx::Connection;
use uuid::Uuid;

fn metadata(organisation: &str) -> serde_json::Value {
    serde_json::json!({
        "gemeente": "GM0518",
        "actor_organisation": organisation,
        "actor_role": "signaller",
        "correlation_id": Uuid::new_v4().to_string(),
        "occurred_at": "2026-03-02T09:00:00Z",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_1_signals_replay_into_todays_stream_projections_and_aggregates() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();

    // The store as an older version left it: three signals in the version-1 shape, one with an outcome.
    platform.service_mut(ServiceName::Signalling).kill();
    let mut store = sqlx::PgConnection::connect(&platform.postgres.url("kindpakket_signalling"))
        .await
        .unwrap();
    let signals: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
    for signal in &signals {
        let payload = serde_json::json!({"ChildSignalled": {"gemeente": "GM0518", "event": {
            "signal_id": signal, "child": Uuid::new_v4(), "household": null, "reason": "low_income",
            "referral": {"to": "loket"}, "signalled_on": "2026-03-02"
        }}});
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
             VALUES ('signal', $1, 1, 'ChildSignalled', '1', $2, $3)",
        )
        .bind(signal.to_string())
        .bind(payload)
        .bind(metadata("cjg-zuid"))
        .execute(&mut store)
        .await
        .unwrap();
    }
    let outcome = serde_json::json!({"OutcomeRecorded": {"signal_id": signals[0], "outcome": "applied", "recorded_on": "2026-03-09"}});
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         VALUES ('signal', $1, 2, 'OutcomeRecorded', '1', $2, $3)",
    )
    .bind(signals[0].to_string())
    .bind(outcome)
    .bind(metadata("cjg-zuid"))
    .execute(&mut store)
    .await
    .unwrap();

    // Today's service starts on that store.
    platform
        .service_mut(ServiceName::Signalling)
        .start_again()
        .await
        .unwrap();

    // The stream carries today's shape, the signaller filled in from what the metadata recorded.
    let funnel = kindpakket
        .wait_for_funnel("GM0518", Duration::from_secs(20), |funnel| {
            funnel["gesignaleerd"] == 3
        })
        .await
        .unwrap();
    assert_eq!(funnel["gesignaleerd"], 3);
    let messages = stream_messages(&platform.nats.url(), Service::Signalling)
        .await
        .unwrap();
    let signallers: Vec<&str> = messages
        .iter()
        .filter(|(_, message)| message.envelope.event_type == "ChildSignalled")
        .map(|(_, message)| message.event["signaller"].as_str().unwrap_or("missing"))
        .collect();
    assert_eq!(signallers, vec!["cjg-zuid"; 3]);

    // Today's aggregate loads the old events, and takes new commands on top of them.
    let first = kindpakket
        .get(
            &kindpakket.signalling_url("GM0518", &format!("signaleringen/{}", signals[0])),
            Some(REGIE),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(first["signaleerder"], "cjg-zuid");
    assert_eq!(first["status"], "aangevraagd");
    // The reason was sealed in the table, read by who may read the signal, and never published.
    assert_eq!(first["reden"], "laag_inkomen", "{first}");
    assert_eq!(first["vergeten"], false);
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT event_version, payload::text FROM events WHERE aggregate_type = 'signal'",
    )
    .fetch_all(&mut store)
    .await
    .unwrap();
    assert_eq!(rows.len(), 4);
    for (version, payload) in &rows {
        assert_eq!(version, "3", "{payload}");
        assert!(!payload.contains("low_income"), "{payload}");
    }
    for (_, message) in &messages {
        assert!(
            !message.event.to_string().contains("low_income"),
            "{}",
            message.event
        );
    }
    let cjg = As {
        organisation: "cjg-zuid",
        role: "signaller",
    };
    // The signal went to the loket: its outcome is the regievoerder's now (before issue 14 the
    // signaller recorded it).
    kindpakket
        .post(
            &kindpakket.signalling_url("GM0518", &format!("signaleringen/{}/uitkomst", signals[1])),
            REGIE,
            &serde_json::json!({"uitkomst": "onbereikbaar", "datum": "2026-03-10"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let second = kindpakket
        .get(
            &kindpakket.signalling_url("GM0518", &format!("signaleringen/{}", signals[1])),
            Some(cjg),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(second["status"], "onbereikbaar");
}
