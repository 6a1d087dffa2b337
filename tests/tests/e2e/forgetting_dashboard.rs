//! The dashboard forgets and keeps only aggregates, while every figure stays:
//!
//! - a `SubjectForgotten` on the application stream replaces the child's id by a random alias in
//!   every table of the dashboard's database (raw SQL finds it nowhere; the household was never
//!   kept), the
//!   figures stay exactly as they were, an event of the child that arrives later lands under the
//!   alias, and a rebuild from the streams — with the dashboard's memory of who was forgotten, and
//!   from an empty database where the forgetting arrives after the child's events — ends the same;
//! - moved past the retention period (`KINDPAKKET_CLOCK_OFFSET_DAYS`), the dashboard folds every
//!   child's rows into aggregates: the per-child tables are empty, the figures unchanged, and a
//!   replay of the streams brings no child back next to its aggregate.
//!
//! The `SubjectForgotten` is published here as the application service's relay would (envelope,
//! subject, `Nats-Msg-Id`), so the dashboard's part is tested on its own.

use kindpakket_tests::{this_year, this_year_on};
use std::time::Duration;

use async_nats::jetstream;
use kindpakket_proto::application::{
    ApplicationEvent, ForgetReason, SubjectForgotten, SubjectKind, SubjectRectified,
};
use kindpakket_proto::envelope::{event_id, headers, message_id};
use kindpakket_proto::provision::{DeliveryRecorded, ProvisionEvent};
use kindpakket_proto::regie::DeliveryForm;
use kindpakket_proto::{
    Actor, Cents, ChildRef, ContractEvent, EventEnvelope, EventMessage, GemeenteCode,
    OrganisationId, ProvisionCode, Role, Service,
};
use kindpakket_tests::client::{Kindpakket, REGIE};
use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;
use uuid::Uuid;

const G: &str = "GM0518";
const H: &str = "GM0014";
const PARTNER: &str = "jeugdfonds-sport-cultuur";
const WIJKTEAM: &str = "wijkteam-centrum";

/// The tables that hold a row per child or household.
const PER_PERSON_TABLES: [&str; 6] = [
    "signals",
    "applications",
    "application_children",
    "entitlements",
    "deliveries",
    "expirations",
];

/// The people of the fixture.
struct People {
    /// Signalled (referred to the partner), applied for by `a_household`, granted and served.
    a: Uuid,
    a_household: Uuid,
    a_entitlement: Uuid,
    /// Signalled in two gemeenten, nothing more.
    c: Uuid,
}

/// An application for one child of `household`, assessed by the regeling in force on `date`;
/// gives the entitlement.
async fn granted(
    kindpakket: &Kindpakket,
    child: Uuid,
    household: Uuid,
    signal: Option<Uuid>,
    date: &str,
) -> Uuid {
    let application = kindpakket
        .submit(
            G,
            &json!({
                "kanaal": "online",
                "huishouden": household,
                "kinderen": [{"kind": child, "geboortejaar": 2016, "geboortemaand": 5}],
                "inkomenPercentage": 110,
                "voorzieningen": ["sportcontributie"],
                "signalering": signal,
                "datum": date,
            }),
        )
        .await
        .unwrap();
    let decided = kindpakket
        .assess(G, application, &json!({}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(decided["status"], "toegekend", "{decided}");
    let entitlement = Uuid::parse_str(decided["rechten"][0]["id"].as_str().unwrap()).unwrap();
    kindpakket
        .wait_for_entitlement(G, PARTNER, entitlement, Duration::from_secs(30))
        .await
        .unwrap();
    entitlement
}

/// Two gemeenten; four children: A (signalled, applied, granted, served this year), B (last year,
/// served in part, expired), D (last year, never served, expired), C (signalled in both gemeenten).
async fn populate(platform: &Platform) -> People {
    let kindpakket = platform.client();
    kindpakket.sport_regeling(G, this_year()).await.unwrap();
    kindpakket.sport_regeling(H, this_year()).await.unwrap();
    kindpakket
        .publish_regeling(
            G,
            this_year() - 1,
            &[kindpakket_tests::client::provision(
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
    for gemeente in [G, H] {
        kindpakket
            .enrol_signaller(gemeente, WIJKTEAM, "Wijkteam Centrum")
            .await
            .unwrap();
    }
    let (a, a_household) = (Uuid::new_v4(), Uuid::new_v4());
    let signal = kindpakket
        .signal_child_referred(G, WIJKTEAM, a, Some(PARTNER), &this_year_on("02-01"))
        .await
        .unwrap();
    let a_entitlement = granted(
        &kindpakket,
        a,
        a_household,
        Some(signal),
        &this_year_on("02-10"),
    )
    .await;
    kindpakket
        .deliver(G, PARTNER, a_entitlement, 18_000, &this_year_on("03-01"))
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let b_entitlement = granted(
        &kindpakket,
        Uuid::new_v4(),
        Uuid::new_v4(),
        None,
        &format!("{}-03-01", this_year() - 1),
    )
    .await;
    kindpakket
        .deliver(
            G,
            PARTNER,
            b_entitlement,
            10_000,
            &format!("{}-06-01", this_year() - 1),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    granted(
        &kindpakket,
        Uuid::new_v4(),
        Uuid::new_v4(),
        None,
        &format!("{}-04-01", this_year() - 1),
    )
    .await;
    let c = Uuid::new_v4();
    kindpakket
        .signal_child(G, WIJKTEAM, c, &this_year_on("04-01"))
        .await
        .unwrap();
    kindpakket
        .signal_child(H, WIJKTEAM, c, &this_year_on("04-02"))
        .await
        .unwrap();
    // The year end lets last year's entitlements expire: the non-use figures.
    kindpakket
        .post(
            &kindpakket.provision_url(G, "jaarafsluiting"),
            REGIE,
            &json!({}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    kindpakket
        .wait_for_funnel(G, Duration::from_secs(60), |funnel| {
            funnel["gesignaleerd"] == 2
                && funnel["aangevraagd"] == 3
                && funnel["toegekend"] == 3
                && funnel["bediend"] == 2
                && funnel["nietGebruikt"]["vervallenRechten"] == 2
        })
        .await
        .unwrap();
    kindpakket
        .wait_for_funnel(H, Duration::from_secs(60), |funnel| {
            funnel["gesignaleerd"] == 1
        })
        .await
        .unwrap();
    People {
        a,
        a_household,
        a_entitlement,
        c,
    }
}

/// Every figure the dashboard shows regie: each gemeente's funnel, both together in JSON, and the
/// page with the totals over both (a child known in both counts once there), without its time.
async fn figures(platform: &Platform) -> Value {
    let kindpakket = platform.client();
    let token = platform
        .issuer
        .mint("gemeente-den-haag", "regievoerder", &[G, H], 3600);
    let get = |path: &str| {
        platform
            .http()
            .get(platform.url(ServiceName::Dashboard, path))
            .bearer_auth(&token)
            .send()
    };
    let overview: Value = get("/api/v1/trechter").await.unwrap().json().await.unwrap();
    let page = get("/").await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page: Vec<String> = page
        .text()
        .await
        .unwrap()
        .lines()
        .filter(|line| !line.contains("class=\"stand\""))
        .map(str::to_owned)
        .collect();
    json!({
        G: kindpakket.funnel(G).await.unwrap(),
        H: kindpakket.funnel(H).await.unwrap(),
        "overzicht": overview,
        "pagina": page,
    })
}

fn dashboard_pool_url(platform: &Platform) -> String {
    platform.postgres.url(ServiceName::Dashboard.database())
}

/// Every row of every table of the dashboard's database, as text.
async fn dashboard_tables(platform: &Platform) -> String {
    let pool = sqlx::PgPool::connect(&dashboard_pool_url(platform))
        .await
        .unwrap();
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            .fetch_all(&pool)
            .await
            .unwrap();
    let mut text = String::new();
    for table in tables {
        let rows = sqlx::query(&format!("SELECT t::text AS row FROM \"{table}\" t"))
            .fetch_all(&pool)
            .await
            .unwrap();
        for row in rows {
            text.push_str(&table);
            text.push_str(": ");
            text.push_str(&row.get::<String, _>("row"));
            text.push('\n');
        }
    }
    pool.close().await;
    text
}

async fn count(platform: &Platform, sql: &str) -> i64 {
    let pool = sqlx::PgPool::connect(&dashboard_pool_url(platform))
        .await
        .unwrap();
    let count = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    count
}

/// Publishes one event as a service's relay does: on its subject, in its envelope, with the
/// `Nats-Msg-Id` the stream deduplicates by.
async fn publish<E: ContractEvent>(
    platform: &Platform,
    service: Service,
    aggregate: (&str, Uuid, u64),
    event: E,
) {
    let (aggregate_type, aggregate_id, sequence) = aggregate;
    let aggregate_id = aggregate_id.to_string();
    let gemeente = GemeenteCode::parse(G).unwrap();
    let envelope = EventEnvelope {
        event_id: event_id(service, aggregate_type, &aggregate_id, sequence),
        gemeente: gemeente.clone(),
        service,
        aggregate_type: aggregate_type.to_owned(),
        aggregate_id: aggregate_id.clone(),
        sequence,
        store_position: 0,
        event_type: event.event_type().to_owned(),
        schema_version: event.schema_version(),
        occurred_at: time::OffsetDateTime::now_utc(),
        correlation_id: Uuid::new_v4(),
        causation_id: None,
        actor: Actor {
            organisation: OrganisationId::parse("gemeente-den-haag").unwrap(),
            role: Role::Regievoerder,
        },
    };
    let subject = kindpakket_proto::subjects::event_subject(&gemeente, service, event.event_type());
    let mut message_headers = async_nats::HeaderMap::new();
    message_headers.insert(
        headers::MESSAGE_ID,
        message_id(service, aggregate_type, &aggregate_id, sequence).as_str(),
    );
    message_headers.insert(headers::EVENT_TYPE, event.event_type());
    message_headers.insert(headers::GEMEENTE, G);
    let body = serde_json::to_vec(&EventMessage { envelope, event }).unwrap();
    let client = async_nats::connect(platform.nats.url()).await.unwrap();
    let js = jetstream::new(client);
    js.publish_with_headers(subject, message_headers, body.into())
        .await
        .unwrap()
        .await
        .unwrap();
}

fn forgotten(subject: Uuid, kind: SubjectKind) -> ApplicationEvent {
    ApplicationEvent::SubjectForgotten(SubjectForgotten {
        subject,
        kind,
        why: ForgetReason::Erasure,
        forgotten_on: time::OffsetDateTime::now_utc().date(),
    })
}

/// How far the dashboard's consumers are: the events applied, summed over every aggregate.
const APPLIED: &str = "SELECT coalesce(sum(last_sequence), 0)::bigint FROM consumer_offsets";

/// Waits until the dashboard has applied as many events as before (after a rebuild), and says so
/// itself: until its replay is done it refuses every figure (`GET /api/v1/opbouw`).
async fn wait_for_offsets(platform: &Platform, applied: i64) {
    wait_until(
        "the dashboard's consumers caught up again",
        Duration::from_secs(60),
        || async {
            let now = count(platform, APPLIED).await;
            when(now == applied, now)
        },
    )
    .await
    .unwrap();
    let kindpakket = platform.client();
    let progress = format!("{}/api/v1/opbouw", kindpakket.endpoints.dashboard);
    wait_until("the replay done", Duration::from_secs(30), || async {
        let answer = kindpakket.get(&progress, Some(REGIE)).await?;
        when(answer.body["bezig"] == false, answer.body)
    })
    .await
    .unwrap();
}

/// Stops the dashboard, runs `kindpakket-dashboard rebuild`, and starts it again.
async fn rebuild(platform: &mut Platform) {
    let dashboard = platform.service_mut(ServiceName::Dashboard);
    dashboard.kill();
    let (status, output) = dashboard.run_once(&["rebuild"], &[]).unwrap();
    assert!(status.success(), "rebuild: {output}");
    dashboard.start_again().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_child_and_household_are_gone_from_every_dashboard_table_while_every_figure_stays(
) {
    let mut platform = Platform::start().await.expect("platform starts");
    let people = populate(&platform).await;
    let before = figures(&platform).await;
    let tables = dashboard_tables(&platform).await;
    assert!(
        tables.contains(&people.a.to_string()),
        "the child is known before"
    );
    assert!(
        !tables.contains(&people.a_household.to_string()),
        "no figure counts households: the dashboard keeps none"
    );

    let erasure = Uuid::new_v4();
    publish(
        &platform,
        Service::Application,
        ("Erasure", erasure, 1),
        forgotten(people.a, SubjectKind::Child),
    )
    .await;
    publish(
        &platform,
        Service::Application,
        ("Erasure", erasure, 2),
        forgotten(people.a_household, SubjectKind::Household),
    )
    .await;
    // A correction changes nothing the dashboard keeps.
    publish(
        &platform,
        Service::Application,
        ("Erasure", erasure, 3),
        ApplicationEvent::SubjectRectified(SubjectRectified {
            subject: people.c,
            kind: SubjectKind::Child,
            rectified_on: time::OffsetDateTime::now_utc().date(),
        }),
    )
    .await;
    let gone = |text: &str| {
        !text.contains(&people.a.to_string()) && !text.contains(&people.a_household.to_string())
    };
    wait_until(
        "the child and household gone from the dashboard's tables",
        Duration::from_secs(30),
        || async {
            let text = dashboard_tables(&platform).await;
            when(gone(&text), text)
        },
    )
    .await
    .unwrap();
    let applied = format!(
        "SELECT coalesce(max(last_sequence), 0) FROM consumer_offsets WHERE aggregate_id = '{erasure}'"
    );
    wait_until(
        "the three events applied",
        Duration::from_secs(30),
        || async {
            let sequence = count(&platform, &applied).await;
            when(sequence == 3, sequence)
        },
    )
    .await
    .unwrap();
    assert_eq!(figures(&platform).await, before, "every figure as it was");
    assert!(
        dashboard_tables(&platform)
            .await
            .contains(&people.c.to_string()),
        "others stay"
    );

    // An event of the child that arrives after the forgetting (a delivery consumed late) lands
    // under the alias: the child still counts once, the delivery and its amount are added.
    publish(
        &platform,
        Service::Provision,
        ("Entitlement", Uuid::new_v4(), 1),
        ProvisionEvent::DeliveryRecorded(DeliveryRecorded {
            entitlement_id: people.a_entitlement,
            delivery_id: Uuid::new_v4(),
            child: ChildRef(people.a),
            provision: ProvisionCode::parse("sportcontributie").unwrap(),
            partner: OrganisationId::parse(PARTNER).unwrap(),
            form: DeliveryForm::InKind,
            amount_cents: Cents(500),
            remaining_cents: Cents(6_500),
            delivered_on: time::OffsetDateTime::now_utc().date(),
            full_price_cents: None,
        }),
    )
    .await;
    let partner_of = |figures: &Value| -> Value {
        figures[G]["partners"]
            .as_array()
            .unwrap()
            .iter()
            .find(|partner| partner["partner"] == PARTNER)
            .cloned()
            .unwrap()
    };
    wait_until(
        "the late delivery counted",
        Duration::from_secs(30),
        || async {
            let now = figures(&platform).await;
            let added = partner_of(&now)["verstrekkingen"].as_i64()
                == partner_of(&before)["verstrekkingen"]
                    .as_i64()
                    .map(|n| n + 1);
            when(added, now)
        },
    )
    .await
    .unwrap();
    // Read again once it is in: the funnel, the overview and the page are read one after another.
    let after = figures(&platform).await;
    let (was, is) = (partner_of(&before), partner_of(&after));
    assert_eq!(
        is["bedragCent"],
        json!(was["bedragCent"].as_i64().unwrap() + 500)
    );
    assert_eq!(
        is["bediend"], was["bediend"],
        "the child counts once, as before"
    );
    for step in ["gesignaleerd", "aangevraagd", "toegekend", "bediend"] {
        assert_eq!(after[G][step], before[G][step], "{step}");
    }
    assert!(
        gone(&dashboard_tables(&platform).await),
        "written under the alias"
    );

    // A rebuild replays every stream: the child's events are written under the alias straight away.
    let offsets = count(&platform, APPLIED).await;
    rebuild(&mut platform).await;
    wait_for_offsets(&platform, offsets).await;
    assert_eq!(
        figures(&platform).await,
        after,
        "rebuilt: every figure as it was"
    );
    assert!(
        gone(&dashboard_tables(&platform).await),
        "rebuilt: still gone"
    );

    // From an empty database, as a new dashboard: the child's events arrive before the forgetting
    // (or after), and the end is the same.
    platform.service_mut(ServiceName::Dashboard).kill();
    let client = async_nats::connect(platform.nats.url()).await.unwrap();
    let js = jetstream::new(client);
    for source in Service::ALL {
        let stream = js.get_stream(source.stream().name).await.unwrap();
        stream
            .delete_consumer(&kindpakket_proto::subjects::durable_name(
                "dashboard",
                source,
            ))
            .await
            .unwrap();
    }
    let admin = sqlx::PgPool::connect(&platform.postgres.url("postgres"))
        .await
        .unwrap();
    sqlx::query("DROP DATABASE kindpakket_dashboard WITH (FORCE)")
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    platform
        .service_mut(ServiceName::Dashboard)
        .start_again()
        .await
        .unwrap();
    wait_for_offsets(&platform, offsets).await;
    assert_eq!(
        figures(&platform).await,
        after,
        "replayed: every figure as it was"
    );
    let text = dashboard_tables(&platform).await;
    assert!(gone(&text), "replayed: the child is nowhere\n{text}");
    assert!(text.contains(&people.c.to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_retention_period_the_dashboard_keeps_aggregates_only_and_every_figure_stays() {
    // Every service as its own NATS user (deploy/nats/users.conf): the rebuild below deletes the
    // dashboard's consumers as the dashboard.
    let mut platform = Platform::start_with_nats_users()
        .await
        .expect("platform starts");
    let people = populate(&platform).await;
    let before = figures(&platform).await;
    for table in PER_PERSON_TABLES {
        assert!(
            count(&platform, &format!("SELECT count(*) FROM {table}")).await > 0,
            "{table} has rows before"
        );
    }
    let offsets = count(&platform, APPLIED).await;

    // Thirty days of retention, and the dashboard's clock a little over a year ahead: every child's
    // latest fact (entitlements run to the end of this year) is past the period.
    let dashboard = platform.service_mut(ServiceName::Dashboard);
    dashboard.set_environment("KINDPAKKET_RETENTION_DAYS", "30");
    dashboard.set_environment("KINDPAKKET_STREAM_MAX_AGE_DAYS", "30");
    dashboard.set_environment("KINDPAKKET_CLOCK_OFFSET_DAYS", "400");
    dashboard.start_again().await.unwrap();
    wait_until(
        "every per-child row folded",
        Duration::from_secs(30),
        || async {
            let mut left = Vec::new();
            for table in PER_PERSON_TABLES {
                left.push((
                    table,
                    count(&platform, &format!("SELECT count(*) FROM {table}")).await,
                ));
            }
            when(left.iter().all(|(_, rows)| *rows == 0), left)
        },
    )
    .await
    .unwrap();
    assert_eq!(figures(&platform).await, before, "every figure as it was");
    let text = dashboard_tables(&platform).await;
    for id in [people.a, people.a_household, people.c] {
        assert!(!text.contains(&id.to_string()), "{id} nowhere:\n{text}");
    }

    // A replay of every stream brings no child back beside its aggregate.
    rebuild(&mut platform).await;
    wait_for_offsets(&platform, offsets).await;
    assert_eq!(
        figures(&platform).await,
        before,
        "replayed: every figure as it was"
    );
    for table in PER_PERSON_TABLES {
        assert_eq!(
            count(&platform, &format!("SELECT count(*) FROM {table}")).await,
            0,
            "{table} after the replay"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erasure_at_the_gemeente_reaches_the_dashboard_and_leaves_every_figure_as_it_was() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket.sport_regeling(G, this_year()).await.unwrap();
    kindpakket
        .enrol_signaller(G, WIJKTEAM, "Wijkteam Centrum")
        .await
        .unwrap();
    // A child the gemeente keeps in its vault, signalled, applied for, granted and served; and a
    // second child, who stays.
    let register = |body: Value| {
        let kindpakket = kindpakket.clone();
        async move {
            let created = kindpakket
                .post_for_purpose(
                    &kindpakket.application_url(G, "personen"),
                    REGIE,
                    "aanvraag Kindpakket",
                    &body,
                )
                .await
                .unwrap()
                .expect(StatusCode::CREATED)
                .unwrap();
            Uuid::parse_str(created["id"].as_str().unwrap()).unwrap()
        }
    };
    let parent =
        register(json!({"soort": "ouder", "bsn": "111222333", "naam": "Fatima El Amrani"})).await;
    let child =
        register(json!({"soort": "kind", "bsn": "123456782", "naam": "Noor El Amrani"})).await;
    let other = Uuid::new_v4();
    for (kind, household) in [(child, parent), (other, Uuid::new_v4())] {
        let signal = kindpakket
            .signal_child_referred(G, WIJKTEAM, kind, Some(PARTNER), &this_year_on("02-01"))
            .await
            .unwrap();
        let entitlement = granted(
            &kindpakket,
            kind,
            household,
            Some(signal),
            &this_year_on("02-10"),
        )
        .await;
        kindpakket
            .deliver(G, PARTNER, entitlement, 12_000, &this_year_on("03-01"))
            .await
            .unwrap()
            .expect(StatusCode::CREATED)
            .unwrap();
    }
    kindpakket
        .wait_for_funnel(G, Duration::from_secs(60), |funnel| funnel["bediend"] == 2)
        .await
        .unwrap();
    let before = figures(&platform).await;
    assert!(dashboard_tables(&platform)
        .await
        .contains(&child.to_string()));

    // The regievoerder erases the child: the application service tells the platform.
    kindpakket
        .post_for_purpose(
            &kindpakket.application_url(G, &format!("personen/{child}/verwijdering")),
            REGIE,
            "verzoek van betrokkene",
            &json!({"reden": "verzoek van betrokkene"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    // Every table the read model consists of; `consumer_offsets` is left out, see below.
    let projected = |text: &str| {
        text.lines()
            .filter(|line| !line.starts_with("consumer_offsets: "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    wait_until(
        "the child gone from the dashboard's read model",
        Duration::from_secs(30),
        || async {
            let text = projected(&dashboard_tables(&platform).await);
            when(!text.contains(&child.to_string()), text)
        },
    )
    .await
    .unwrap();
    assert_eq!(figures(&platform).await, before, "every figure as it was");
    assert!(dashboard_tables(&platform)
        .await
        .contains(&other.to_string()));

    // A full replay: the dashboard rebuilt from every stream, `SubjectForgotten` included. The child
    // comes back nowhere, under its own id, and every figure is as it was.
    let applied = count(&platform, APPLIED).await;
    rebuild(&mut platform).await;
    wait_for_offsets(&platform, applied).await;
    assert_eq!(
        figures(&platform).await,
        before,
        "replayed: every figure as it was"
    );
    let replayed = projected(&dashboard_tables(&platform).await);
    assert!(
        !replayed.contains(&child.to_string()),
        "replayed: the child is nowhere in the read model"
    );
    assert!(replayed.contains(&other.to_string()));
    // Open (docs/privacy.md): the application service publishes `SubjectForgotten` on an aggregate
    // whose id is the subject's own, so `consumer_offsets` keeps it as that aggregate's id.
}
