//! The platform on a three-node JetStream cluster with R3 streams and `sync_interval: always`, as in
//! production (deploy/nats/cluster/): the stream leader killed in the middle of a load, and all three
//! nodes killed at once, lose nothing acknowledged and double nothing in the dashboard.

use std::time::Duration;

use anyhow::{ensure, Context};

use kindpakket_proto::Service;
use kindpakket_tests::client::{As, Kindpakket};
use kindpakket_tests::inspect::{compare, database_of};
use kindpakket_tests::{wait_until, when, Platform};
use reqwest::StatusCode;
use uuid::Uuid;

const GEMEENTE: &str = "GM0518";

/// The server name of the current leader of a service's stream.
async fn stream_leader(platform: &Platform, service: Service) -> String {
    let servers: Vec<async_nats::ServerAddr> = platform
        .nats_urls()
        .split(',')
        .map(|url| url.parse().unwrap())
        .collect();
    let client = async_nats::connect(servers).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let what = format!("a leader for the stream of {service:?}");
    wait_until(&what, Duration::from_secs(30), || async {
        let mut stream = js.get_stream(service.stream().name).await?;
        let info = stream.info().await?;
        let leader = info
            .cluster
            .as_ref()
            .and_then(|cluster| cluster.leader.clone());
        if leader.is_some() {
            assert_eq!(
                info.config.num_replicas, 3,
                "the services declare R3 streams on a cluster"
            );
        }
        Ok(leader)
    })
    .await
    .unwrap()
}

/// Enrols the wijkteam and signals once, waiting until the signalling service knows the enrolment
/// (it arrives through the regie stream): the one signal accepted before the load.
async fn enrolled_signaller_signals_once(kindpakket: &Kindpakket) -> usize {
    kindpakket
        .enrol_signaller(GEMEENTE, "wijkteam-centrum", "Wijkteam Centrum")
        .await
        .unwrap();
    kindpakket
        .signal_child(GEMEENTE, "wijkteam-centrum", Uuid::new_v4(), "2026-09-01")
        .await
        .unwrap();
    1
}

async fn signal(kindpakket: &Kindpakket) -> StatusCode {
    let body = {
        let mut body = kindpakket
            .signal_body("wijkteam-centrum", Uuid::new_v4())
            .unwrap();
        body["datum"] = "2026-09-01".into();
        body
    };
    let who = As {
        organisation: "wijkteam-centrum",
        role: "signaller",
    };
    kindpakket
        .post(
            &kindpakket.signalling_url(GEMEENTE, "signaleringen"),
            who,
            &body,
        )
        .await
        .map(|answer| answer.status)
        .unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
}

/// Every accepted signal is on the stream exactly once and counted once by the dashboard; when not,
/// fails with what was seen last and with what each NATS node holds and logged.
async fn assert_nothing_lost_or_doubled(
    platform: &Platform,
    kindpakket: &Kindpakket,
    accepted: usize,
) {
    if let Err(error) = nothing_lost_or_doubled(platform, kindpakket, accepted).await {
        panic!(
            "{error:#}\n{}",
            platform
                .nats_report(&Service::Signalling.stream().name)
                .await
        );
    }
}

async fn nothing_lost_or_doubled(
    platform: &Platform,
    kindpakket: &Kindpakket,
    accepted: usize,
) -> anyhow::Result<()> {
    let database = platform.postgres.url(database_of(Service::Signalling));
    // A probe that fails (a node not answering) says so, with the last comparison it did make.
    let last_comparison = std::sync::Mutex::new(String::from("none yet"));
    wait_until(
        "the signalling store and stream hold the same",
        Duration::from_secs(60),
        || async {
            let comparison = compare(Service::Signalling, &database, &platform.nats_urls())
                .await
                .with_context(|| {
                    format!(
                        "last comparison: {}",
                        last_comparison.lock().unwrap_or_else(|e| e.into_inner())
                    )
                })?;
            *last_comparison.lock().unwrap_or_else(|e| e.into_inner()) = format!("{comparison:?}");
            let done = comparison.is_exact() && comparison.in_store as usize >= accepted;
            when(done, comparison)
        },
    )
    .await?;
    let stored = kindpakket_tests::inspect::store_event_count(&database).await?;
    let funnel = kindpakket
        .wait_for_funnel(GEMEENTE, Duration::from_secs(60), |funnel| {
            funnel["gesignaleerd"] == stored
        })
        .await
        .with_context(|| format!("the dashboard counting the {stored} stored signals"))?;
    ensure!(funnel["gesignaleerd"] == stored);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let later = kindpakket.funnel(GEMEENTE).await?;
    ensure!(
        later["gesignaleerd"] == stored,
        "nothing doubled later: the dashboard counts {} of {stored} stored signals",
        later["gesignaleerd"]
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_leader_killed_in_the_middle_of_a_load_loses_and_doubles_nothing() {
    let mut platform = Platform::start_clustered()
        .await
        .expect("clustered platform starts");
    let kindpakket = platform.client();
    let mut accepted = enrolled_signaller_signals_once(&kindpakket).await;
    let mut killed = None;
    for round in 0..60 {
        if round == 20 {
            let leader = stream_leader(&platform, Service::Signalling).await;
            let mut nodes = platform.nats_nodes_mut();
            let index = nodes
                .iter()
                .position(|node| node.server_name() == Some(leader.as_str()))
                .unwrap();
            nodes[index].kill();
            killed = Some(index);
        }
        if round == 40 {
            let index = killed.unwrap();
            platform.nats_nodes_mut()[index]
                .start_again()
                .await
                .unwrap();
        }
        if signal(&kindpakket).await == StatusCode::CREATED {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 61, "commands do not depend on NATS");
    assert_nothing_lost_or_doubled(&platform, &kindpakket, accepted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_three_nodes_killed_at_once_lose_nothing_acknowledged() {
    let mut platform = Platform::start_clustered()
        .await
        .expect("clustered platform starts");
    let kindpakket = platform.client();
    stream_leader(&platform, Service::Signalling).await;
    let mut accepted = enrolled_signaller_signals_once(&kindpakket).await;
    for round in 0..40 {
        if round == 20 {
            // A power cut: every node dies at the same moment, mid-load.
            for node in platform.nats_nodes_mut() {
                node.kill();
            }
            let restarts = platform
                .nats_nodes_mut()
                .into_iter()
                .map(|node| node.start_again());
            futures::future::try_join_all(restarts).await.unwrap();
        }
        if signal(&kindpakket).await == StatusCode::CREATED {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 41);
    assert_nothing_lost_or_doubled(&platform, &kindpakket, accepted).await;
}
