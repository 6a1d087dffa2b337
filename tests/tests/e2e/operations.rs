//! What an operator watches: `/metrics` per service (commands, HTTP answers, the relay, the
//! consumers), and readiness apart from liveness.

use std::time::Duration;

use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use sqlx::Connection;
use uuid::Uuid;

const GEMEENTE: &str = "GM0518";

/// The value of the sample `name{labels}` in an OpenMetrics text, when present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

async fn metrics_of(platform: &Platform, service: ServiceName) -> String {
    let answer = platform
        .http()
        .get(platform.url(service, "/metrics"))
        .send()
        .await
        .expect("metrics answer");
    assert_eq!(answer.status(), 200);
    assert!(
        answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
        "served as OpenMetrics text"
    );
    answer.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_count_commands_answers_publishes_and_consumption_and_name_no_id() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket
        .enrol_signaller(GEMEENTE, "wijkteam-centrum", "Wijkteam Centrum")
        .await
        .unwrap();
    let children: Vec<Uuid> = (0..5).map(|_| Uuid::new_v4()).collect();
    for child in &children {
        kindpakket
            .signal_child(GEMEENTE, "wijkteam-centrum", *child, "2026-09-01")
            .await
            .unwrap();
    }
    kindpakket
        .wait_for_funnel(GEMEENTE, Duration::from_secs(30), |funnel| {
            funnel["gesignaleerd"] == 5
        })
        .await
        .unwrap();

    // Signalling: five signals accepted through one route template, all published.
    let signalling = wait_until(
        "the signalling relay caught up",
        Duration::from_secs(20),
        || async {
            let text = metrics_of(&platform, ServiceName::Signalling).await;
            when(
                sample(&text, "kindpakket_relay_backlog_events") == Some(0.0),
                text,
            )
        },
    )
    .await
    .unwrap();
    let route = "/api/v1/gemeenten/{gemeente}/signaleringen";
    assert_eq!(
        sample(
            &signalling,
            &format!(
                r#"kindpakket_http_requests_total{{method="POST",route="{route}",status="201"}}"#
            )
        ),
        Some(5.0),
        "{signalling}"
    );
    assert!(
        sample(
            &signalling,
            r#"kindpakket_commands_total{aggregate="signal",outcome="accepted"}"#
        )
        .is_some_and(|count| count >= 5.0),
        "{signalling}"
    );
    assert!(
        sample(&signalling, "kindpakket_relay_published_events_total")
            .is_some_and(|count| count >= 5.0),
        "{signalling}"
    );
    assert_eq!(
        sample(&signalling, "kindpakket_relay_lag_seconds"),
        Some(0.0)
    );
    assert!(signalling.contains("kindpakket_http_request_duration_seconds_bucket"));
    assert!(signalling.contains("kindpakket_command_duration_seconds_bucket"));

    // A refused request is counted with its status, under the template, not the path typed.
    let refused = kindpakket
        .post_signal(
            GEMEENTE,
            kindpakket_tests::client::As {
                organisation: "wijkteam-centrum",
                role: "signaller",
            },
            &serde_json::json!({"kind": "geen-uuid"}),
        )
        .await
        .unwrap();
    assert!(refused.status.is_client_error());
    let _ = platform
        .http()
        .get(platform.url(ServiceName::Signalling, "/api/v1/bestaat-niet/123456782"))
        .send()
        .await
        .unwrap();
    let signalling = metrics_of(&platform, ServiceName::Signalling).await;
    assert!(
        signalling.contains(&format!(
            r#"kindpakket_http_requests_total{{method="POST",route="{route}",status="{}"}}"#,
            refused.status.as_u16()
        )),
        "{signalling}"
    );
    assert!(
        signalling.contains(r#"route="onbekend",status="404""#),
        "{signalling}"
    );

    // The dashboard consumed all five, and has nothing pending or parked.
    let dashboard = metrics_of(&platform, ServiceName::Dashboard).await;
    assert!(
        sample(
            &dashboard,
            r#"kindpakket_consumer_events_total{durable="dashboard-signalling",outcome="applied"}"#
        )
        .is_some_and(|count| count >= 5.0),
        "{dashboard}"
    );
    assert_eq!(
        sample(
            &dashboard,
            r#"kindpakket_consumer_pending_messages{durable="dashboard-signalling"}"#
        ),
        Some(0.0),
        "{dashboard}"
    );

    // No child, gemeente, typed path or any other value is in any service's metrics.
    for service in ServiceName::ALL {
        let text = metrics_of(&platform, service).await;
        for child in &children {
            assert!(
                !text.contains(&child.to_string()),
                "{service:?} names a child"
            );
        }
        for value in [GEMEENTE, "123456782", "bestaat-niet", "geen-uuid"] {
            assert!(
                !text.contains(value),
                "{service:?}'s metrics contain {value}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_database_and_nats_while_liveness_stays() {
    let mut platform = Platform::start().await.expect("platform starts");
    let ready = |platform: &Platform| {
        let url = platform.url(ServiceName::Signalling, "/health/ready");
        let http = platform.http().clone();
        async move {
            http.get(url)
                .send()
                .await
                .map(|answer| answer.status().as_u16())
        }
    };
    assert_eq!(ready(&platform).await.unwrap(), 200);

    platform.nats.kill();
    wait_until(
        "not ready without NATS",
        Duration::from_secs(30),
        || async {
            let status = ready(&platform).await?;
            when(status == 503, status)
        },
    )
    .await
    .unwrap();
    let live = platform
        .http()
        .get(platform.url(ServiceName::Signalling, "/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200, "alive: restarting it would not help");
    let body: serde_json::Value = platform
        .http()
        .get(platform.url(ServiceName::Signalling, "/health/ready"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["nats"], false, "{body}");
    assert_eq!(body["database"], true, "{body}");

    platform.nats.start_again().await.unwrap();
    wait_until("ready again", Duration::from_secs(60), || async {
        let status = ready(&platform).await?;
        when(status == 200, status)
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_under_load_finishes_what_it_started_and_publishes_it_before_exiting() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket
        .enrol_signaller(GEMEENTE, "wijkteam-centrum", "Wijkteam Centrum")
        .await
        .unwrap();
    kindpakket
        .signal_child(GEMEENTE, "wijkteam-centrum", Uuid::new_v4(), "2026-09-01")
        .await
        .unwrap();

    // Four clients signal as fast as they can until the service stops answering.
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(1));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let kindpakket = platform.client();
        let accepted = accepted.clone();
        clients.push(tokio::spawn(async move {
            let mut refused = Vec::new();
            loop {
                match kindpakket
                    .signal_child(GEMEENTE, "wijkteam-centrum", Uuid::new_v4(), "2026-09-02")
                    .await
                {
                    Ok(_) => {
                        accepted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    Err(error) => {
                        refused.push(format!("{error:#}"));
                        return refused;
                    }
                }
            }
        }));
    }
    wait_until("a burst under way", Duration::from_secs(60), || async {
        let count = accepted.load(std::sync::atomic::Ordering::SeqCst);
        when(count >= 40, count)
    })
    .await
    .unwrap();
    // The dashboard is stopped while it consumes, signalling while it takes commands.
    let dashboard = platform
        .service_mut(ServiceName::Dashboard)
        .terminate(Duration::from_secs(20))
        .await
        .unwrap();
    let signalling = platform
        .service_mut(ServiceName::Signalling)
        .terminate(Duration::from_secs(20))
        .await
        .unwrap();
    assert!(
        signalling.success(),
        "signalling exits cleanly: {signalling}"
    );
    assert!(
        dashboard.success(),
        "the dashboard exits cleanly: {dashboard}"
    );
    for client in clients {
        let refused = client.await.unwrap();
        // Once stopped, a client is refused a connection; no request was cut off with a server error.
        assert!(
            refused.iter().all(|error| !error.contains(" 50")),
            "{refused:?}"
        );
    }
    let accepted = accepted.load(std::sync::atomic::Ordering::SeqCst);

    // Before anything starts again, every event committed before the stop is on the stream, once.
    let comparison = platform
        .wait_until_stream_equals_store(kindpakket_proto::Service::Signalling, Duration::ZERO)
        .await;
    let comparison = comparison.expect("the relay drained before exiting");
    assert!(
        comparison.in_store >= accepted as i64,
        "every accepted signal was kept: {comparison:?}, {accepted} accepted"
    );
    let log =
        std::fs::read_to_string(platform.service(ServiceName::Signalling).log_path()).unwrap();
    assert!(log.contains("relay stopped"), "the relay said it stopped");
    let log = std::fs::read_to_string(platform.service(ServiceName::Dashboard).log_path()).unwrap();
    assert!(
        log.contains("consumer stopped"),
        "the consumers said they stopped"
    );

    // Started again, the dashboard counts every accepted signal once.
    platform
        .service_mut(ServiceName::Signalling)
        .start_again()
        .await
        .unwrap();
    platform
        .service_mut(ServiceName::Dashboard)
        .start_again()
        .await
        .unwrap();
    let funnel = kindpakket
        .wait_for_funnel(GEMEENTE, Duration::from_secs(60), |funnel| {
            funnel["gesignaleerd"].as_u64() >= Some(accepted as u64)
        })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let again = kindpakket.funnel(GEMEENTE).await.unwrap();
    assert_eq!(funnel["gesignaleerd"], again["gesignaleerd"], "settled");
    let signals = platform
        .events_of_type(ServiceName::Signalling, "ChildSignalled")
        .await
        .unwrap();
    assert_eq!(
        signals, accepted as i64,
        "every signal kept was answered as accepted, and none kept was cut off unanswered"
    );
    assert_eq!(
        again["gesignaleerd"].as_i64(),
        Some(signals),
        "each kept signal counted once: {again}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_of_every_service_share_the_load_and_one_dying_loses_and_doubles_nothing() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket
        .enrol_signaller(GEMEENTE, "wijkteam-centrum", "Wijkteam Centrum")
        .await
        .unwrap();
    kindpakket
        .signal_child(GEMEENTE, "wijkteam-centrum", Uuid::new_v4(), "2026-09-01")
        .await
        .unwrap();
    let mut seconds = Vec::new();
    for service in ServiceName::ALL {
        seconds.push(platform.another_instance(service).await.unwrap());
    }
    let second_signalling = seconds[1].base_url().to_owned();
    let signal_urls = [
        platform.url(
            ServiceName::Signalling,
            &format!("/api/v1/gemeenten/{GEMEENTE}/signaleringen"),
        ),
        format!("{second_signalling}/api/v1/gemeenten/{GEMEENTE}/signaleringen"),
    ];

    // Four clients, each alternating between the two instances; when one is gone, the other takes it
    // (as a load balancer would).
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(1));
    let mut clients = Vec::new();
    for client in 0..4 {
        let kindpakket = platform.client();
        let accepted = accepted.clone();
        let urls = signal_urls.clone();
        clients.push(tokio::spawn(async move {
            let who = kindpakket_tests::client::As {
                organisation: "wijkteam-centrum",
                role: "signaller",
            };
            for round in 0..30 {
                let body = kindpakket
                    .signal_body("wijkteam-centrum", Uuid::new_v4())
                    .unwrap();
                let first = (client + round) % 2;
                let mut kept = false;
                for url in [&urls[first], &urls[1 - first]] {
                    match kindpakket.post(url, who, &body).await {
                        Ok(answer) if answer.status.is_success() => {
                            kept = true;
                            break;
                        }
                        Ok(answer) => panic!("refused: {} {}", answer.status, answer.body),
                        // Unreachable (killed): the other instance.
                        Err(_) => continue,
                    }
                }
                assert!(kept, "one of the two instances took the signal");
                accepted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }));
    }
    wait_until(
        "a third of the load done",
        Duration::from_secs(60),
        || async {
            let count = accepted.load(std::sync::atomic::Ordering::SeqCst);
            when(count >= 40, count)
        },
    )
    .await
    .unwrap();
    // One relay publishes, whichever instance holds the lock.
    let holders = [
        platform.service(ServiceName::Signalling).log_path(),
        seconds[1].log_path(),
    ]
    .iter()
    .filter(|log| {
        std::fs::read_to_string(log)
            .unwrap()
            .contains("relay holds the publishing lock")
    })
    .count();
    assert_eq!(holders, 1, "exactly one instance's relay publishes");
    // The first instance of every service dies, mid-load.
    for service in ServiceName::ALL {
        platform.service_mut(service).kill();
    }
    for client in clients {
        client.await.unwrap();
    }
    let accepted = accepted.load(std::sync::atomic::Ordering::SeqCst) as i64;

    let signals = platform
        .events_of_type(ServiceName::Signalling, "ChildSignalled")
        .await
        .unwrap();
    assert!(
        signals >= accepted,
        "every accepted signal kept: {signals} stored, {accepted} accepted"
    );
    // The surviving relay takes over; the surviving dashboard, on the same durable consumers, counts
    // every signalled child once, through its own API. Each accepted signal is of a child of its own;
    // a request the dying instance committed but could not answer was sent again to the other one,
    // which stored a second signal of that child (signals carry no id of their own): more events
    // than children then, and the funnel counts children.
    let children = accepted;
    platform
        .wait_until_stream_equals_store(
            kindpakket_proto::Service::Signalling,
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let dashboard = seconds[4].base_url().to_owned();
    let survivor = kindpakket.clone();
    let figures = wait_until(
        "the surviving dashboard counts every signal",
        Duration::from_secs(60),
        || {
            let survivor = survivor.clone();
            let url = format!("{dashboard}/api/v1/gemeenten/{GEMEENTE}/trechter");
            async move {
                let answer = survivor
                    .get(&url, Some(kindpakket_tests::client::REGIE))
                    .await?;
                when(
                    answer.body["gesignaleerd"].as_i64() == Some(children),
                    answer.body,
                )
            }
        },
    )
    .await
    .unwrap();
    // Started again beside the survivors, the first instances add nothing twice.
    for service in ServiceName::ALL {
        platform.service_mut(service).start_again().await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let again = kindpakket.funnel(GEMEENTE).await.unwrap();
    assert_eq!(again["gesignaleerd"], figures["gesignaleerd"], "{again}");
}

/// A rolling upgrade: two instances of signalling under load; events of the older version (version
/// 1 of `ChildSignalled`, the reason in plaintext, no signaller) committed meanwhile, as the old build
/// still running beside the new one writes them; then each instance is replaced in turn. The same
/// binary stands in for the newer build (there is one build here); what an upgrade must survive —
/// instances stopping and starting under load, and old event versions read, upcast, resealed and
/// published in today's shape — is what is exercised.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_upgrade_under_load_upcasts_old_events_and_loses_and_doubles_nothing() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket
        .enrol_signaller(GEMEENTE, "wijkteam-centrum", "Wijkteam Centrum")
        .await
        .unwrap();
    kindpakket
        .signal_child(GEMEENTE, "wijkteam-centrum", Uuid::new_v4(), "2026-09-01")
        .await
        .unwrap();
    let mut second = platform
        .another_instance(ServiceName::Signalling)
        .await
        .unwrap();
    let urls = [
        platform.url(
            ServiceName::Signalling,
            &format!("/api/v1/gemeenten/{GEMEENTE}/signaleringen"),
        ),
        format!(
            "{}/api/v1/gemeenten/{GEMEENTE}/signaleringen",
            second.base_url()
        ),
    ];
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(1));
    let mut clients = Vec::new();
    for client in 0..2 {
        let kindpakket = platform.client();
        let (stop, accepted, urls) = (stop.clone(), accepted.clone(), urls.clone());
        clients.push(tokio::spawn(async move {
            let who = kindpakket_tests::client::As {
                organisation: "wijkteam-centrum",
                role: "signaller",
            };
            let mut round = client;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                round += 1;
                let body = kindpakket
                    .signal_body("wijkteam-centrum", Uuid::new_v4())
                    .unwrap();
                let first = round % 2;
                for url in [&urls[first], &urls[1 - first]] {
                    match kindpakket.post(url, who, &body).await {
                        Ok(answer) if answer.status.is_success() => {
                            accepted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            break;
                        }
                        Ok(answer) => panic!("refused: {} {}", answer.status, answer.body),
                        Err(_) => continue,
                    }
                }
            }
        }));
    }

    // The old build, still serving, commits version-1 events.
    let store = sqlx::PgPool::connect(&platform.postgres.url("kindpakket_signalling"))
        .await
        .unwrap();
    let old_signals: Vec<Uuid> = (0..5).map(|_| Uuid::new_v4()).collect();
    for signal in &old_signals {
        let payload = serde_json::json!({"ChildSignalled": {"gemeente": GEMEENTE, "event": {
            "signal_id": signal, "child": Uuid::new_v4(), "household": null, "reason": "low_income",
            "referral": {"to": "loket"}, "signalled_on": "2026-09-02"
        }}});
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
             VALUES ('signal', $1, 1, 'ChildSignalled', '1', $2, $3)",
        )
        .bind(signal.to_string())
        .bind(payload)
        .bind(serde_json::json!({
            "gemeente": GEMEENTE,
            "actor_organisation": "wijkteam-centrum",
            "actor_role": "signaller",
            "correlation_id": Uuid::new_v4().to_string(),
            "occurred_at": "2026-09-02T09:00:00Z",
        }))
        .execute(&store)
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Each instance replaced in turn, the other serving meanwhile.
    platform
        .service_mut(ServiceName::Signalling)
        .terminate(Duration::from_secs(20))
        .await
        .unwrap();
    platform
        .service_mut(ServiceName::Signalling)
        .start_again()
        .await
        .unwrap();
    second.terminate(Duration::from_secs(20)).await.unwrap();
    second.start_again().await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for client in clients {
        client.await.unwrap();
    }
    let accepted = accepted.load(std::sync::atomic::Ordering::SeqCst) as i64;

    // Every event on the stream once; the old ones in today's shape, their reason sealed in the store.
    platform
        .wait_until_stream_equals_store(
            kindpakket_proto::Service::Signalling,
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    let signals: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'ChildSignalled'")
            .fetch_one(&store)
            .await
            .unwrap();
    assert_eq!(signals, accepted + old_signals.len() as i64);
    let old_versions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_version = '1'")
            .fetch_one(&store)
            .await
            .unwrap();
    assert_eq!(
        old_versions, 0,
        "the new build resealed the old events at start"
    );
    let plaintext: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE payload::text LIKE '%low_income%'")
            .fetch_one(&store)
            .await
            .unwrap();
    assert_eq!(plaintext, 0, "no reason left in plaintext");
    let messages = kindpakket_tests::inspect::stream_messages(
        &platform.nats.url(),
        kindpakket_proto::Service::Signalling,
    )
    .await
    .unwrap();
    for signal in &old_signals {
        let (_, message) = messages
            .iter()
            .find(|(_, message)| message.envelope.aggregate_id == signal.to_string())
            .expect("the old signal is on the stream");
        assert_eq!(message.event["signaller"], "wijkteam-centrum", "upcast");
        assert!(!message.event.to_string().contains("low_income"));
    }
    kindpakket
        .wait_for_funnel(GEMEENTE, Duration::from_secs(60), |funnel| {
            funnel["gesignaleerd"].as_i64() == Some(signals)
        })
        .await
        .unwrap();
}

/// The relay publishes only below the oldest transaction still running in its database. A stop that
/// comes while one runs (a consumer finishing its batch, a long report) must wait for it rather than
/// leave the events committed meanwhile behind until the next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_waits_for_a_transaction_holding_the_relay_back_and_publishes_what_it_held() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket
        .enrol_signaller(GEMEENTE, "wijkteam-centrum", "Wijkteam Centrum")
        .await
        .unwrap();
    platform
        .wait_until_stream_equals_store(
            kindpakket_proto::Service::Signalling,
            Duration::from_secs(30),
        )
        .await
        .expect("the enrolment is published");

    // A transaction with an id, left open in signalling's database: the relay's horizon stops there.
    let database = platform.postgres.url(ServiceName::Signalling.database());
    let mut holder = sqlx::PgConnection::connect(&database).await.unwrap();
    sqlx::query("BEGIN").execute(&mut holder).await.unwrap();
    sqlx::query("SELECT pg_current_xact_id()")
        .execute(&mut holder)
        .await
        .unwrap();
    for _ in 0..3 {
        kindpakket
            .signal_child(GEMEENTE, "wijkteam-centrum", Uuid::new_v4(), "2026-09-02")
            .await
            .unwrap();
    }
    let held = platform.events_stored(ServiceName::Signalling).await;

    // Told to stop while it is held back; the transaction ends a moment later.
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(700)).await;
        sqlx::query("COMMIT").execute(&mut holder).await.unwrap();
    });
    let stopped = platform
        .service_mut(ServiceName::Signalling)
        .terminate(Duration::from_secs(20))
        .await
        .unwrap();
    release.await.unwrap();
    assert!(stopped.success(), "signalling exits cleanly: {stopped}");

    // Nothing runs any more that could publish: what is on the stream now is what the stop left.
    let comparison = platform
        .wait_until_stream_equals_store(kindpakket_proto::Service::Signalling, Duration::ZERO)
        .await
        .expect("the relay published what the transaction held back before exiting");
    assert_eq!(comparison.in_store, held, "{comparison:?}");
}
