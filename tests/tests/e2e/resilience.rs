//! Nothing lost, nothing doubled, nothing overspent — under concurrency, crashes and restarts of the
//! real processes.

use kindpakket_tests::{this_year, this_year_on};
use std::time::Duration;

use kindpakket_proto::Service;
use kindpakket_tests::client::{provision, As};
use kindpakket_tests::inspect::{database_of, stream_messages};
use kindpakket_tests::{Platform, ServiceName};
use reqwest::StatusCode;
use uuid::Uuid;

const GEMEENTE: &str = "GM0518";

async fn assert_every_store_equals_its_stream(platform: &Platform) {
    // A stream may be missing for a moment (being recreated): keep looking until the deadline.
    for service in Service::ALL {
        platform
            .wait_until_stream_equals_store(service, Duration::from_secs(30))
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partners_redeeming_one_entitlement_at_once_on_two_instances_never_overspend_it() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket
        .publish_regeling(
            GEMEENTE,
            this_year(),
            &[provision(
                "sportcontributie",
                "Sportcontributie",
                "maatschappelijke_participatie",
                (4, 17),
                25_000,
                "in_natura",
            )],
        )
        .await
        .unwrap();
    for partner in ["jeugdfonds-sport-cultuur", "sportclub-duindorp"] {
        kindpakket
            .enrol_partner(GEMEENTE, partner, partner, &["sportcontributie"])
            .await
            .unwrap();
    }
    let child = Uuid::new_v4();
    let application = kindpakket
        .apply(
            GEMEENTE,
            child,
            2015,
            &["sportcontributie"],
            None,
            &this_year_on("09-01"),
        )
        .await
        .unwrap();
    let entitlement = kindpakket
        .grant(
            GEMEENTE,
            application,
            child,
            "sportcontributie",
            25_000,
            this_year(),
        )
        .await
        .unwrap();
    for partner in ["jeugdfonds-sport-cultuur", "sportclub-duindorp"] {
        kindpakket
            .wait_for_entitlement(GEMEENTE, partner, entitlement, Duration::from_secs(20))
            .await
            .unwrap();
    }
    let second = platform
        .another_instance(ServiceName::Provision)
        .await
        .unwrap();

    // Eight requests of €150 against €250, at the same moment, on two instances, by two partners.
    let urls = [
        platform.url(ServiceName::Provision, ""),
        second.base_url().to_owned(),
    ];
    let mut requests = Vec::new();
    for attempt in 0..8 {
        let partner = ["jeugdfonds-sport-cultuur", "sportclub-duindorp"][attempt % 2];
        // Each partner names the entitlement by its own id.
        let own = kindpakket
            .partner_entitlement(partner, entitlement)
            .unwrap();
        let url = format!(
            "{}/api/v1/gemeenten/{GEMEENTE}/rechten/{own}/verstrekkingen",
            urls[attempt % 2]
        );
        let kindpakket = kindpakket.clone();
        requests.push(tokio::spawn(async move {
            let who = As {
                organisation: partner,
                role: "partner",
            };
            let body = serde_json::json!({"vorm": "in_natura", "bedragCent": 15_000, "datum": this_year_on("09-15")});
            kindpakket.post(&url, who, &body).await.unwrap()
        }));
    }
    let mut answers = Vec::new();
    for request in requests {
        answers.push(request.await.unwrap());
    }
    let won = answers
        .iter()
        .filter(|answer| answer.status == StatusCode::CREATED)
        .count();
    assert_eq!(won, 1, "exactly one delivery fits: {answers:?}");
    for lost in answers
        .iter()
        .filter(|answer| answer.status != StatusCode::CREATED)
    {
        assert_eq!(lost.status, StatusCode::CONFLICT, "{lost:?}");
        assert_eq!(lost.content_type, "application/problem+json");
        assert!(
            lost.detail()
                .contains("hoger dan wat er op dit recht over is"),
            "{}",
            lost.detail()
        );
    }
    let state = kindpakket
        .get(
            &kindpakket.provision_url(GEMEENTE, &format!("rechten/{entitlement}")),
            Some(kindpakket_tests::client::REGIE),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        (state["besteedCent"].as_i64(), state["restCent"].as_i64()),
        (Some(15_000), Some(10_000))
    );
    assert_every_store_equals_its_stream(&platform).await;
    let deliveries = stream_messages(&platform.nats.url(), Service::Provision)
        .await
        .unwrap()
        .into_iter()
        .filter(|(_, message)| message.envelope.event_type == "DeliveryRecorded")
        .count();
    assert_eq!(deliveries, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_killed_in_the_middle_of_a_burst_counts_every_signal_once() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket
        .enrol_signaller(GEMEENTE, "wijkteam-centrum", "Wijkteam Centrum")
        .await
        .unwrap();
    let burst = {
        let kindpakket = kindpakket.clone();
        tokio::spawn(async move {
            for _ in 0..60 {
                kindpakket
                    .signal_child(
                        GEMEENTE,
                        "wijkteam-centrum",
                        Uuid::new_v4(),
                        &this_year_on("09-01"),
                    )
                    .await
                    .unwrap();
            }
        })
    };
    // Kill it while it projects the burst.
    kindpakket
        .wait_for_funnel(GEMEENTE, Duration::from_secs(20), |funnel| {
            funnel["gesignaleerd"].as_i64() >= Some(5)
        })
        .await
        .unwrap();
    platform.service_mut(ServiceName::Dashboard).kill();
    tokio::time::sleep(Duration::from_millis(500)).await;
    platform
        .service_mut(ServiceName::Dashboard)
        .start_again()
        .await
        .unwrap();
    burst.await.unwrap();
    let funnel = kindpakket
        .wait_for_funnel(GEMEENTE, Duration::from_secs(30), |funnel| {
            funnel["gesignaleerd"] == 60
        })
        .await
        .unwrap();
    assert_eq!(funnel["gesignaleerd"], 60);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        kindpakket.funnel(GEMEENTE).await.unwrap()["gesignaleerd"],
        60,
        "no redelivery counted twice"
    );
    assert_every_store_equals_its_stream(&platform).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_and_postgres_restarted_under_load_lose_nothing_and_double_nothing() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    // The wijkteam is enrolled, and the signalling service knows it, before the load begins.
    kindpakket
        .enrol_signaller(GEMEENTE, "wijkteam-centrum", "Wijkteam Centrum")
        .await
        .unwrap();
    kindpakket
        .signal_child(
            GEMEENTE,
            "wijkteam-centrum",
            Uuid::new_v4(),
            &this_year_on("09-01"),
        )
        .await
        .unwrap();
    let mut accepted = 0;
    let mut refused = 0;
    for round in 0..90 {
        let only = std::env::var("ONLY").unwrap_or_default();
        if round == 20 && only != "pg" {
            platform.nats.kill();
        }
        if round == 40 && only != "pg" {
            platform.nats.start_again().await.unwrap();
        }
        if round == 60 && only != "nats" {
            platform.postgres.kill();
        }
        if round == 65 && only != "nats" {
            platform.postgres.start_again().await.unwrap();
        }
        let body = {
            let mut body = kindpakket
                .signal_body("wijkteam-centrum", Uuid::new_v4())
                .unwrap();
            body["datum"] = this_year_on("09-01").into();
            body
        };
        let who = As {
            organisation: "wijkteam-centrum",
            role: "signaller",
        };
        match kindpakket
            .post(
                &kindpakket.signalling_url(GEMEENTE, "signaleringen"),
                who,
                &body,
            )
            .await
        {
            Ok(answer) if answer.status == StatusCode::CREATED => accepted += 1,
            Ok(answer) => {
                // Refused clearly, never half-done.
                assert!(answer.status.is_server_error(), "{answer:?}");
                assert_eq!(answer.content_type, "application/problem+json");
                refused += 1;
            }
            Err(error) => panic!("the service stays up: {error}"),
        }
    }
    assert!(
        accepted >= 80,
        "commands are accepted while NATS is away: {accepted} accepted, {refused} refused"
    );
    let database = platform.postgres.url(database_of(Service::Signalling));
    let stored = kindpakket_tests::inspect::store_event_count(&database)
        .await
        .unwrap();
    assert!(
        stored >= accepted,
        "every accepted signal is stored ({stored} < {accepted})"
    );
    assert_every_store_equals_its_stream(&platform).await;
    let funnel = kindpakket
        .wait_for_funnel(GEMEENTE, Duration::from_secs(40), |funnel| {
            funnel["gesignaleerd"] == stored
        })
        .await;
    if funnel.is_err() {
        let log = platform.service(ServiceName::Dashboard).log_path();
        eprintln!(
            "DASHBOARD LOG:\n{}",
            kindpakket_tests::harness::tail(log, 60)
        );
    }
    assert_eq!(funnel.unwrap()["gesignaleerd"], stored);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_lost_its_messages_is_published_again_from_the_store() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket
        .enrol_signaller(GEMEENTE, "wijkteam-centrum", "Wijkteam Centrum")
        .await
        .unwrap();
    for _ in 0..5 {
        kindpakket
            .signal_child(
                GEMEENTE,
                "wijkteam-centrum",
                Uuid::new_v4(),
                &this_year_on("09-01"),
            )
            .await
            .unwrap();
    }
    kindpakket
        .wait_for_funnel(GEMEENTE, Duration::from_secs(20), |funnel| {
            funnel["gesignaleerd"] == 5
        })
        .await
        .unwrap();

    // The stream loses everything it had acknowledged (its storage is gone).
    let client = async_nats::connect(platform.nats.url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    js.delete_stream(Service::Signalling.stream().name)
        .await
        .unwrap();

    // The next command makes the relay notice: it recreates the stream, sees that it holds less than
    // was acknowledged, and publishes everything again from Postgres.
    kindpakket
        .signal_child(
            GEMEENTE,
            "wijkteam-centrum",
            Uuid::new_v4(),
            &this_year_on("09-02"),
        )
        .await
        .unwrap();
    assert_every_store_equals_its_stream(&platform).await;
    let funnel = kindpakket
        .wait_for_funnel(GEMEENTE, Duration::from_secs(30), |funnel| {
            funnel["gesignaleerd"] == 6
        })
        .await
        .unwrap();
    assert_eq!(funnel["gesignaleerd"], 6);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        kindpakket.funnel(GEMEENTE).await.unwrap()["gesignaleerd"],
        6,
        "the republished five are not counted twice"
    );
    let log =
        std::fs::read_to_string(platform.service(ServiceName::Signalling).log_path()).unwrap();
    assert!(
        log.contains("stream_lost_messages"),
        "the relay raised the alert"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_killed_during_a_burst_of_publishes_loses_and_doubles_nothing() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    // The wijkteam is enrolled, and the signalling service knows it, before the burst.
    kindpakket
        .enrol_signaller(GEMEENTE, "wijkteam-centrum", "Wijkteam Centrum")
        .await
        .unwrap();
    kindpakket
        .signal_child(
            GEMEENTE,
            "wijkteam-centrum",
            Uuid::new_v4(),
            &this_year_on("09-01"),
        )
        .await
        .unwrap();
    // Forty signals at once, and the signalling service killed while they are committed and published.
    let mut requests = Vec::new();
    for _ in 0..40 {
        let kindpakket = kindpakket.clone();
        requests.push(tokio::spawn(async move {
            kindpakket
                .signal_child(
                    GEMEENTE,
                    "wijkteam-centrum",
                    Uuid::new_v4(),
                    &this_year_on("09-01"),
                )
                .await
                .is_ok()
        }));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    platform.service_mut(ServiceName::Signalling).kill();
    let mut accepted = 0;
    for request in requests {
        if request.await.unwrap() {
            accepted += 1;
        }
    }
    platform
        .service_mut(ServiceName::Signalling)
        .start_again()
        .await
        .unwrap();
    let database = platform.postgres.url(database_of(Service::Signalling));
    let stored = kindpakket_tests::inspect::store_event_count(&database)
        .await
        .unwrap();
    assert!(
        stored >= accepted,
        "every accepted signal is stored ({stored} < {accepted})"
    );
    assert_every_store_equals_its_stream(&platform).await;
    kindpakket
        .wait_for_funnel(GEMEENTE, Duration::from_secs(30), |funnel| {
            funnel["gesignaleerd"] == stored
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_unreachable_for_a_minute_while_commands_keep_arriving_delays_but_loses_nothing() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket
        .enrol_signaller(GEMEENTE, "wijkteam-centrum", "Wijkteam Centrum")
        .await
        .unwrap();
    kindpakket
        .signal_child(
            GEMEENTE,
            "wijkteam-centrum",
            Uuid::new_v4(),
            &this_year_on("09-01"),
        )
        .await
        .unwrap();
    platform.nats.kill();
    let outage = std::time::Instant::now();
    let mut accepted = 1;
    while outage.elapsed() < Duration::from_secs(60) {
        kindpakket
            .signal_child(
                GEMEENTE,
                "wijkteam-centrum",
                Uuid::new_v4(),
                &this_year_on("09-02"),
            )
            .await
            .expect("accepted while NATS is away");
        accepted += 1;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    platform.nats.start_again().await.unwrap();
    assert_every_store_equals_its_stream(&platform).await;
    let funnel = kindpakket
        .wait_for_funnel(GEMEENTE, Duration::from_secs(60), |funnel| {
            funnel["gesignaleerd"] == accepted
        })
        .await
        .unwrap();
    assert_eq!(funnel["gesignaleerd"], accepted);
}
