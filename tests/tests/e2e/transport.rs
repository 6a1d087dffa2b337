//! Transport as production runs it: Postgres and NATS accept TLS connections only, NATS admits only
//! the users of `deploy/nats/users.conf`. The whole flow works with every service connected as its
//! own NATS user and as its own Postgres role over TLS; a service cannot publish another's events,
//! read a stream it has no consumer on, or delete a stream; anonymous, wrong-password and plain-text
//! connections are refused.

use std::time::Duration;

use async_nats::jetstream;
use kindpakket_proto::Service;
use kindpakket_tests::{Platform, ServiceName};
use reqwest::StatusCode;
use uuid::Uuid;

const G: &str = "GM0518";
const PARTNER: &str = "jeugdfonds-sport-cultuur";

async fn connect_as(platform: &Platform, user: &str) -> (async_nats::Client, jetstream::Context) {
    let users = platform.nats.users().expect("the server has users");
    let client = async_nats::ConnectOptions::with_user_and_password(
        user.to_owned(),
        users.password(user).to_owned(),
    )
    .add_root_certificates(platform.nats.tls_ca().expect("NATS requires TLS"))
    .require_tls(true)
    .custom_inbox_prefix(kindpakket_proto::subjects::inbox_prefix(user))
    .request_timeout(Some(Duration::from_secs(2)))
    .connect(platform.nats.url())
    .await
    .unwrap_or_else(|e| panic!("{user} connects: {e}"));
    let js = jetstream::ContextBuilder::new()
        .timeout(Duration::from_secs(2))
        .build(client.clone());
    (client, js)
}

/// Whether a JetStream publish was stored (acknowledged by the stream).
async fn acknowledged(
    sent: Result<jetstream::context::PublishAckFuture, jetstream::context::PublishError>,
) -> bool {
    match sent {
        Ok(ack) => ack.await.is_ok(),
        Err(_) => false,
    }
}

async fn messages_in(js: &jetstream::Context, stream: &str) -> u64 {
    js.get_stream(stream)
        .await
        .unwrap()
        .info()
        .await
        .unwrap()
        .state
        .messages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_works_over_tls_as_its_own_user_and_only_on_its_own_subjects() {
    let platform = Platform::start_secured()
        .await
        .expect("platform starts on TLS-only Postgres and NATS with users");
    let kindpakket = platform.client();

    // The flow touches every publishing relay and every durable consumer of every service.
    kindpakket.sport_regeling(G, 2026).await.unwrap();
    // The signal waits until the enrolment reached signalling through its own consumer of regie.
    kindpakket
        .enrol_signaller(G, "wijkteam-centrum", "Wijkteam Centrum")
        .await
        .unwrap();
    let child = Uuid::new_v4();
    let signal = kindpakket
        .signal_child(G, "wijkteam-centrum", child, "2026-09-01")
        .await
        .unwrap();
    let application = kindpakket
        .apply(
            G,
            child,
            2015,
            &["sportcontributie"],
            Some(signal),
            "2026-09-03",
        )
        .await
        .unwrap();
    let entitlement = kindpakket
        .grant(G, application, child, "sportcontributie", 25_000, 2026)
        .await
        .unwrap();
    kindpakket
        .wait_for_entitlement(G, PARTNER, entitlement, Duration::from_secs(20))
        .await
        .unwrap();
    kindpakket
        .deliver(G, PARTNER, entitlement, 10_000, "2026-09-15")
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let funnel = kindpakket
        .wait_for_funnel(G, Duration::from_secs(20), |funnel| {
            ["gesignaleerd", "aangevraagd", "toegekend", "bediend"]
                .iter()
                .all(|step| funnel[*step] == 1)
        })
        .await
        .unwrap();
    assert_eq!(funnel["bediend"], 1, "{funnel}");

    let (_, operator) = connect_as(&platform, "operator").await;
    let regie_before = messages_in(&operator, "KINDPAKKET_REGIE").await;
    assert!(regie_before > 0);

    let (signalling_client, signalling) =
        connect_as(&platform, ServiceName::Signalling.nats_user()).await;
    // Its own subjects: allowed.
    signalling
        .publish(format!("kindpakket.{G}.signalling.Proef"), "{}".into())
        .await
        .expect("publish sent")
        .await
        .expect("signalling may publish on its own subjects");
    // Another service's events: refused, nothing stored.
    let forged = signalling
        .publish(
            format!("kindpakket.{G}.regie.RegelingPublished"),
            "{}".into(),
        )
        .await;
    assert!(
        !acknowledged(forged).await,
        "signalling published a regie event"
    );
    assert_eq!(
        messages_in(&operator, "KINDPAKKET_REGIE").await,
        regie_before,
        "a forged regie event was stored"
    );
    // Reading a stream it has no consumer on: refused. (Signalling consumes every stream now — the
    // children's progress comes from application and provision — so the application service, which
    // consumes only regie and its own, is the one to try.)
    let (_, application) = connect_as(&platform, ServiceName::Application.nats_user()).await;
    assert!(
        application
            .get_stream("KINDPAKKET_PROVISION")
            .await
            .is_err(),
        "application could look into the provision stream"
    );
    assert!(
        application.get_stream("KINDPAKKET_REGIE").await.is_ok(),
        "application reads the regie stream it consumes"
    );
    // Posing as the dashboard's consumer: refused.
    let pull = signalling_client
        .request(
            format!(
                "$JS.API.CONSUMER.MSG.NEXT.{}.{}",
                Service::Regie.stream().name,
                kindpakket_proto::subjects::durable_name("dashboard", Service::Regie)
            ),
            "1".into(),
        )
        .await;
    assert!(
        pull.is_err(),
        "signalling pulled from the dashboard's consumer"
    );
    // Deleting or purging even its own stream: refused.
    assert!(
        signalling
            .delete_stream("KINDPAKKET_SIGNALLING")
            .await
            .is_err(),
        "signalling deleted its stream"
    );
    assert!(messages_in(&operator, "KINDPAKKET_SIGNALLING").await > 0);

    // The dashboard publishes nothing.
    let (_, dashboard) = connect_as(&platform, ServiceName::Dashboard.nats_user()).await;
    let sent = dashboard
        .publish(
            format!("kindpakket.{G}.provision.DeliveryRecorded"),
            "{}".into(),
        )
        .await;
    assert!(
        !acknowledged(sent).await,
        "the dashboard published a provision event"
    );

    // Every service's connections to Postgres are encrypted, and plain text is refused.
    let pool = sqlx::PgPool::connect(&platform.postgres.url("postgres"))
        .await
        .unwrap();
    let connections: Vec<(String, bool)> = sqlx::query_as(
        "SELECT a.usename::text, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
         WHERE a.usename LIKE 'kindpakket_%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for service in ServiceName::ALL {
        assert!(
            connections.iter().any(|(role, _)| role == service.role()),
            "{} has no connection: {connections:?}",
            service.role()
        );
    }
    assert!(
        connections.iter().all(|(_, ssl)| *ssl),
        "a connection without TLS: {connections:?}"
    );
    let plain = platform
        .postgres
        .url("postgres")
        .replace("sslmode=verify-full", "sslmode=disable");
    assert!(
        sqlx::PgPool::connect(&plain).await.is_err(),
        "Postgres admitted a connection without TLS"
    );

    // Without TLS, without a user, or with a wrong password: no NATS connection at all.
    let users = platform.nats.users().unwrap();
    assert!(
        async_nats::ConnectOptions::with_user_and_password(
            "regie".into(),
            users.password("regie").into()
        )
        .connect(platform.nats.url())
        .await
        .is_err(),
        "NATS admitted a connection without TLS"
    );
    let over_tls = |options: async_nats::ConnectOptions| {
        options
            .add_root_certificates(platform.nats.tls_ca().unwrap())
            .require_tls(true)
            .connect(platform.nats.url())
    };
    assert!(
        over_tls(async_nats::ConnectOptions::new()).await.is_err(),
        "an anonymous client was admitted"
    );
    assert!(
        over_tls(async_nats::ConnectOptions::with_user_and_password(
            "regie".into(),
            "geraden".into()
        ))
        .await
        .is_err(),
        "a wrong password was admitted"
    );
    assert!(
        over_tls(async_nats::ConnectOptions::with_user_and_password(
            "regie".into(),
            users.password("regie").into()
        ))
        .await
        .is_ok(),
        "the right password over TLS is admitted"
    );
}
