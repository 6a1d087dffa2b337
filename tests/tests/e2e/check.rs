//! The operator's check command reports a store event that never reached its stream, and reports
//! all is well once the relay has published it.

use std::time::Duration;

use kindpakket_platform::store::CommandContext;
use kindpakket_proto::signalling::{ChildSignalled, Referral};
use kindpakket_proto::{Actor, ChildRef, GemeenteCode, OrganisationId, Role};
use kindpakket_signalling::domain::signal::SignalEvent;

use kindpakket_tests::{wait_until, Platform, ServiceName};
use sqlx::Connection;
use uuid::Uuid;

async fn check_until_healthy(platform: &Platform) -> String {
    wait_until(
        "kindpakket-check reports all in order",
        Duration::from_secs(20),
        || async {
            let (healthy, report) = platform.check()?;
            if healthy {
                Ok(Some(report))
            } else {
                anyhow::bail!("{report}")
            }
        },
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_command_finds_an_unpublished_event_and_clears_when_it_is_published() {
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
    let report = check_until_healthy(&platform).await;
    assert!(report.contains("Alles in orde"), "{report}");

    // The signalling service is down, and an event is in its store that no relay published.
    platform.service_mut(ServiceName::Signalling).kill();
    let signal_id = Uuid::new_v4();
    let stored = SignalEvent::ChildSignalled {
        gemeente: GemeenteCode::parse("GM0518").unwrap(),
        event: ChildSignalled {
            signal_id,
            signaller: OrganisationId::parse("wijkteam-centrum").unwrap(),
            child: ChildRef::new_random(),
            household: None,
            referral: Referral::Loket,
            signalled_on: time::macros::date!(2026 - 09 - 02),
            due_on: None,
            wijk: None,
            provision_type: None,
        },
        why: None,
        provision_type: None,
        wijk: None,
    };
    let context = CommandContext {
        gemeente: GemeenteCode::parse("GM0518").unwrap(),
        actor: Actor {
            organisation: OrganisationId::parse("wijkteam-centrum").unwrap(),
            role: Role::Signaller,
        },
        correlation_id: Uuid::new_v4(),
        causation_id: None,
    };
    let mut connection =
        sqlx::PgConnection::connect(&platform.postgres.url("kindpakket_signalling"))
            .await
            .unwrap();
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         VALUES ('signal', $1, 1, 'ChildSignalled', '1', $2, $3)",
    )
    .bind(signal_id.to_string())
    .bind(serde_json::to_value(stored).unwrap())
    .bind(serde_json::to_value(context.metadata()).unwrap())
    .execute(&mut connection)
    .await
    .unwrap();

    let (healthy, report) = platform.check().unwrap();
    assert!(!healthy, "{report}");
    let signalling = report
        .lines()
        .find(|line| line.starts_with("signalling"))
        .unwrap();
    assert!(signalling.contains("VERSCHIL"), "{report}");
    assert!(report.contains("Er zijn verschillen"), "{report}");

    // Back up: its relay publishes the event, the dashboard applies it, the check is clean again.
    platform
        .service_mut(ServiceName::Signalling)
        .start_again()
        .await
        .unwrap();
    let report = check_until_healthy(&platform).await;
    assert!(report.contains("Alles in orde"), "{report}");
    let funnel = kindpakket.funnel("GM0518").await.unwrap();
    assert_eq!(funnel["gesignaleerd"], 2);
}
