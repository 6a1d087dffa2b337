//! A crash between the database commit and the publish loses nothing: events committed while NATS was
//! unreachable, in a service that was then killed with SIGKILL, are on the stream exactly once after
//! NATS and the service are back, and the dashboard counts them once.

use std::time::Duration;

use kindpakket_proto::Service;

use kindpakket_tests::inspect::{compare, database_of};
use kindpakket_tests::{Platform, ServiceName};

const GEMEENTE: &str = "GM0518";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_committed_while_nats_is_down_survive_a_service_crash_and_reach_the_dashboard_once()
{
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket
        .enrol_signaller(GEMEENTE, "wijkteam-centrum", "Wijkteam Centrum")
        .await
        .unwrap();

    // Two signals go all the way through, so the stream and the dashboard's consumer exist.
    for _ in 0..2 {
        kindpakket
            .signal_child(
                GEMEENTE,
                "wijkteam-centrum",
                uuid::Uuid::new_v4(),
                "2026-09-01",
            )
            .await
            .unwrap();
    }
    kindpakket
        .wait_for_funnel(GEMEENTE, Duration::from_secs(15), |funnel| {
            funnel["gesignaleerd"] == 2
        })
        .await
        .unwrap();

    // NATS goes away; the wijkteam keeps working: commands are accepted and committed.
    platform.nats.kill();
    for _ in 0..5 {
        kindpakket
            .signal_child(
                GEMEENTE,
                "wijkteam-centrum",
                uuid::Uuid::new_v4(),
                "2026-09-02",
            )
            .await
            .expect("a signal is accepted while NATS is unreachable");
    }
    // Let the relay try and fail: its publishes wait for acknowledgements that time out after 10 s.
    // A relay that moved its checkpoint over unacknowledged events would lose them here.
    tokio::time::sleep(Duration::from_secs(12)).await;
    // The signalling service dies before it could publish them.
    platform.service_mut(ServiceName::Signalling).kill();

    platform.nats.start_again().await.unwrap();
    platform
        .service_mut(ServiceName::Signalling)
        .start_again()
        .await
        .unwrap();

    let funnel = kindpakket
        .wait_for_funnel(GEMEENTE, Duration::from_secs(30), |funnel| {
            funnel["gesignaleerd"] == 7
        })
        .await
        .unwrap();
    assert_eq!(funnel["gesignaleerd"], 7);

    let database = platform.postgres.url(database_of(Service::Signalling));
    let comparison = compare(Service::Signalling, &database, &platform.nats.url())
        .await
        .unwrap();
    assert_eq!(comparison.in_store, 7);
    assert!(comparison.is_exact(), "{comparison:?}");

    // Settled: nothing arrives later to change the count.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        kindpakket.funnel(GEMEENTE).await.unwrap()["gesignaleerd"],
        7
    );
}
