//! The dashboard writes a batch in sets (`projections::sets`): what it keeps must be exactly what
//! applying the events one at a time keeps. A small generated year (three gemeenten) and the rarer
//! events beside it — a signal picked up, a rejection and a withdrawal, a maatwerk grant, a child
//! forgotten at the gemeente after being signalled, granted and served, a partner's enrolment
//! ended, the year end's expiries — are projected by a dashboard applying one event per
//! transaction (`KINDPAKKET_CONSUMER_BATCH=1`, the path of before) and by one applying batches of up
//! to 500 in sets: a rebuild with each gives the same rows in every table of the dashboard's
//! database, and the same figures in the API as the live dashboard. From an empty database (the
//! forgetting then arrives after the child's rows were written, under a random alias) the figures
//! and the rows, aliases aside, are the same again.

use std::collections::BTreeMap;
use std::time::Duration;

use kindpakket_proto::Service;
use kindpakket_tests::client::{As, Kindpakket, REGIE};
use kindpakket_tests::national::{self, Size};
use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;
use uuid::Uuid;

const G: &str = "GM0518";
const PARTNER: &str = "jeugdfonds-sport-cultuur";
const WIJKTEAM: &str = "wijkteam-centrum";

const SIZE: Size = Size {
    gemeenten: 3,
    // About 60 children over the three gemeenten.
    fraction: 0.000_15,
};

/// Tables that hold no figure, or only what differs by when a row was written.
const NOT_COMPARED: [&str; 6] = [
    "schema_migrations",
    "forgetting_key",
    "rebuilding",
    "sessions",
    "session_tokens",
    "logins",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_writing_batches_in_sets_keeps_the_rows_and_figures_of_one_event_at_a_time() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    let year = kindpakket_platform::clock::today().year() - 1;
    let plan = national::plan(11, SIZE, year);
    national::run(&kindpakket, &plan, 8).await.unwrap();
    let mut gemeenten: Vec<String> = plan.gemeenten.iter().map(|g| g.code.clone()).collect();
    let forgotten = rarer_events(&kindpakket, year).await;
    gemeenten.push(G.to_owned());
    // The year end of the generated year: what was not used expires.
    for gemeente in &gemeenten {
        kindpakket
            .post(
                &kindpakket.provision_url(gemeente, "jaarafsluiting"),
                REGIE,
                &json!({}),
            )
            .await
            .unwrap()
            .expect(StatusCode::OK)
            .unwrap();
    }
    caught_up(&platform).await;
    let expired = count(&platform, "SELECT count(*) FROM expirations").await;
    assert!(expired > 0, "the year end let entitlements expire");
    let tables = dashboard_tables(&platform).await;
    assert_forgotten(&platform, &tables, forgotten).await;
    let live = figures(&platform, &gemeenten, year).await;

    // One event per transaction, as before the sets.
    rebuild(&mut platform, Some("1")).await;
    let one_by_one = dashboard_tables(&platform).await;
    assert_eq!(
        figures(&platform, &gemeenten, year).await,
        live,
        "one by one"
    );
    assert_same_rows(
        &one_by_one,
        &tables,
        "one by one against the live dashboard",
    );

    // Batches in sets.
    rebuild(&mut platform, None).await;
    let in_sets = dashboard_tables(&platform).await;
    assert_eq!(figures(&platform, &gemeenten, year).await, live, "in sets");
    assert_same_rows(&in_sets, &one_by_one, "in sets against one by one");

    // From an empty database: the child's rows are written first and replaced by a random alias
    // when the forgetting comes.
    let mut fresh = Vec::new();
    for batch in [Some("1"), None] {
        from_an_empty_database(&mut platform, batch).await;
        assert_eq!(
            figures(&platform, &gemeenten, year).await,
            live,
            "from an empty database, batch {batch:?}"
        );
        let text = dashboard_tables(&platform).await;
        assert_forgotten(&platform, &text, forgotten).await;
        fresh.push(without_aliases(&platform, text).await);
    }
    assert_same_rows(&fresh[1], &fresh[0], "from an empty database");
}

/// The rarer events, in `G`: returns the child that is forgotten.
async fn rarer_events(kindpakket: &Kindpakket, year: i32) -> Uuid {
    let date = |month: u8, day: u8| format!("{year}-{month:02}-{day:02}");
    kindpakket.sport_regeling(G, year).await.unwrap();
    // Routed to the partner before the signaller is enrolled: once the signalling service knows
    // the enrolment (the signals below wait for it), it knows the route, earlier in regie's stream.
    kindpakket
        .set_routing(
            G,
            json!([{"voorzieningsoort": "maatschappelijke_participatie",
                    "naar": {"partner": PARTNER}, "reactietermijnWerkdagen": 5}]),
        )
        .await
        .unwrap();
    kindpakket
        .enrol_signaller(G, WIJKTEAM, "Wijkteam Centrum")
        .await
        .unwrap();
    let partner = As {
        organisation: PARTNER,
        role: "partner",
    };
    // Signals referred to the partner, one of them picked up.
    let mut signals = Vec::new();
    for day in 1..=3 {
        signals.push(
            kindpakket
                .signal_child_referred(G, WIJKTEAM, Uuid::new_v4(), Some(PARTNER), &date(3, day))
                .await
                .unwrap(),
        );
    }
    kindpakket
        .post(
            &kindpakket.signalling_url(G, &format!("signaleringen/{}/acceptatie", signals[0])),
            partner,
            &json!({}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    // A child the gemeente keeps in its vault: signalled, granted, served, then forgotten.
    let created = kindpakket
        .post_for_purpose(
            &kindpakket.application_url(G, "personen"),
            REGIE,
            "aanvraag Kindpakket",
            &json!({"soort": "kind", "bsn": "123456782", "naam": "Noor El Amrani"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let child = Uuid::parse_str(created["id"].as_str().unwrap()).unwrap();
    let signal = kindpakket
        .signal_child_referred(G, WIJKTEAM, child, Some(PARTNER), &date(4, 1))
        .await
        .unwrap();
    let application = |child: Uuid, signal: Option<Uuid>, income: u16| {
        json!({
            "kanaal": "loket",
            "huishouden": Uuid::new_v4(),
            "kinderen": [{"kind": child, "geboortejaar": year - 9, "geboortemaand": 5}],
            "inkomenPercentage": income,
            "voorzieningen": ["sportcontributie"],
            "signalering": signal,
            "datum": date(4, 2),
        })
    };
    let submitted = kindpakket
        .submit(G, &application(child, Some(signal), 110))
        .await
        .unwrap();
    let decided = kindpakket
        .assess(G, submitted, &json!({"datum": date(4, 3)}))
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
    kindpakket
        .deliver(G, PARTNER, entitlement, 12_000, &date(5, 1))
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    // Maatwerk: the rules refuse 173%, regie grants it all the same.
    let custom_child = Uuid::new_v4();
    let custom = kindpakket
        .submit(G, &application(custom_child, None, 173))
        .await
        .unwrap();
    let granted = kindpakket
        .assess(
            G,
            custom,
            &json!({"datum": date(4, 3), "maatwerk": {"motivatie": "Schuldhulptraject loopt.",
                "toekenningen": [{"kind": custom_child, "voorziening": "sportcontributie"}]}}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(granted["status"], "toegekend", "{granted}");
    // Rejected and withdrawn.
    for step in ["afwijzing", "intrekking"] {
        let submitted = kindpakket
            .submit(G, &application(Uuid::new_v4(), None, 110))
            .await
            .unwrap();
        kindpakket
            .post(
                &kindpakket.application_url(G, &format!("aanvragen/{submitted}/{step}")),
                REGIE,
                &json!({"reden": "Dubbele aanvraag."}),
            )
            .await
            .unwrap()
            .expect(StatusCode::OK)
            .unwrap();
    }
    // A signalling organisation enrolled to deliver too, and its enrolment ended.
    kindpakket
        .enrol_partner(
            G,
            "sportclub-noord",
            "Sportclub Noord",
            &["sportcontributie"],
        )
        .await
        .unwrap();
    kindpakket
        .post(
            &kindpakket.regie_url(G, "partners/sportclub-noord/beeindiging"),
            REGIE,
            // After its enrolment (`enrol_partner` enrols on 2026-01-01).
            &json!({"datum": format!("{}-06-30", year + 1)}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    // The child forgotten at the gemeente.
    kindpakket
        .post(
            &kindpakket.application_url(G, &format!("personen/{child}/verwijdering")),
            REGIE,
            &json!({"reden": "verzoek van betrokkene, AVG art. 17"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    child
}

/// Waits until every stream holds its store and the dashboard's consumers have applied all of it.
async fn caught_up(platform: &Platform) {
    for service in Service::ALL {
        platform
            .wait_until_stream_equals_store(service, Duration::from_secs(60))
            .await
            .unwrap();
    }
    let client = async_nats::connect(platform.nats.url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    wait_until(
        "the dashboard's consumers at the end of every stream",
        Duration::from_secs(120),
        || async {
            let mut behind = Vec::new();
            for source in Service::ALL {
                let mut stream = js.get_stream(source.stream().name).await?;
                let last = stream.info().await?.state.last_sequence;
                let floor = match stream
                    .consumer_info(kindpakket_proto::subjects::durable_name(
                        "dashboard",
                        source,
                    ))
                    .await
                {
                    Ok(info) => info.ack_floor.stream_sequence,
                    Err(_) => 0,
                };
                if floor < last {
                    behind.push((source, floor, last));
                }
            }
            when(behind.is_empty(), behind)
        },
    )
    .await
    .unwrap();
    let kindpakket = platform.client();
    let progress = format!("{}/api/v1/opbouw", kindpakket.endpoints.dashboard);
    wait_until("no replay running", Duration::from_secs(60), || async {
        let answer = kindpakket.get(&progress, Some(REGIE)).await?;
        when(answer.body["bezig"] == false, answer.body)
    })
    .await
    .unwrap();
}

/// Stops the dashboard, runs `kindpakket-dashboard rebuild`, starts it with `batch` messages per
/// transaction (the default when `None`) and waits until it has replayed every stream.
async fn rebuild(platform: &mut Platform, batch: Option<&str>) {
    let dashboard = platform.service_mut(ServiceName::Dashboard);
    dashboard.terminate(Duration::from_secs(30)).await.unwrap();
    let (status, output) = dashboard.run_once(&["rebuild"], &[]).unwrap();
    assert!(status.success(), "rebuild: {output}");
    start_with_batch(platform, batch).await;
}

/// As a new dashboard: its database and its consumers gone, started with `batch`.
async fn from_an_empty_database(platform: &mut Platform, batch: Option<&str>) {
    platform
        .service_mut(ServiceName::Dashboard)
        .terminate(Duration::from_secs(30))
        .await
        .unwrap();
    let client = async_nats::connect(platform.nats.url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
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
    start_with_batch(platform, batch).await;
    // The fold at start (nothing to fold in this year) records its cutoff, whenever it runs.
    let url = dashboard_url(platform);
    wait_until("the fold at start done", Duration::from_secs(60), || {
        let url = url.clone();
        async move {
            let pool = sqlx::PgPool::connect(&url).await?;
            let folds: i64 = sqlx::query_scalar("SELECT count(*) FROM retention_state")
                .fetch_one(&pool)
                .await?;
            pool.close().await;
            when(folds == 1, folds)
        }
    })
    .await
    .unwrap();
}

async fn start_with_batch(platform: &mut Platform, batch: Option<&str>) {
    let dashboard = platform.service_mut(ServiceName::Dashboard);
    match batch {
        Some(batch) => dashboard.set_environment("KINDPAKKET_CONSUMER_BATCH", batch),
        None => dashboard.remove_environment("KINDPAKKET_CONSUMER_BATCH"),
    }
    dashboard.start_again().await.unwrap();
    caught_up(platform).await;
}

/// Every figure of the funnel and of the year's third quarter (per provision and per partner) for
/// each gemeente, and the overview over all of them, as regie reads them.
async fn figures(platform: &Platform, gemeenten: &[String], year: i32) -> Value {
    let codes: Vec<&str> = gemeenten.iter().map(String::as_str).collect();
    let token = platform
        .issuer
        .mint("gemeente-den-haag", "regievoerder", &codes, 3600);
    let get = |path: String| {
        let request = platform
            .http()
            .get(platform.url(ServiceName::Dashboard, &path))
            .bearer_auth(&token)
            .send();
        async move {
            let answer = request.await.unwrap();
            assert_eq!(answer.status(), StatusCode::OK, "{path}");
            answer.json::<Value>().await.unwrap()
        }
    };
    let mut all = BTreeMap::new();
    all.insert(
        "overzicht".to_owned(),
        get("/api/v1/trechter".to_owned()).await,
    );
    for gemeente in gemeenten {
        all.insert(
            format!("{gemeente} trechter"),
            get(format!("/api/v1/gemeenten/{gemeente}/trechter")).await,
        );
        for quarter in ["K2", "K3", "K4"] {
            for indeling in ["", "?indeling=partner"] {
                all.insert(
                    format!("{gemeente} {quarter}{indeling}"),
                    get(format!(
                        "/api/v1/gemeenten/{gemeente}/kwartalen/{year}-{quarter}{indeling}"
                    ))
                    .await,
                );
            }
        }
    }
    json!(all)
}

fn dashboard_url(platform: &Platform) -> String {
    platform.postgres.url(ServiceName::Dashboard.database())
}

async fn count(platform: &Platform, sql: &str) -> i64 {
    let pool = sqlx::PgPool::connect(&dashboard_url(platform))
        .await
        .unwrap();
    let count = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    count
}

/// Every row of every table of the dashboard's database that holds what the projection keeps, as
/// sorted text (the offsets without the moment they moved).
async fn dashboard_tables(platform: &Platform) -> String {
    let pool = sqlx::PgPool::connect(&dashboard_url(platform))
        .await
        .unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut lines = Vec::new();
    for table in tables {
        if NOT_COMPARED.contains(&table.as_str()) {
            continue;
        }
        let select = match table.as_str() {
            "consumer_offsets" => {
                "SELECT (consumer, service, aggregate_type, aggregate_id, last_sequence)::text AS row
                 FROM consumer_offsets"
                    .to_owned()
            }
            "dead_letters" => {
                "SELECT (consumer, subject, stream_sequence, error)::text AS row FROM dead_letters"
                    .to_owned()
            }
            _ => format!("SELECT t::text AS row FROM \"{table}\" t"),
        };
        for row in sqlx::query(&select).fetch_all(&pool).await.unwrap() {
            lines.push(format!("{table}: {}", row.get::<String, _>("row")));
        }
    }
    pool.close().await;
    lines.sort();
    lines.join("\n")
}

/// The forgotten child is in no row of the projection, and their alias is in each kind of row
/// they had (signalled, applied, granted, served). The offsets are left aside: they hold the
/// streams' aggregate ids, among which the person aggregate the forgetting was recorded on.
async fn assert_forgotten(platform: &Platform, tables: &str, child: Uuid) {
    let traces: Vec<&str> = tables
        .lines()
        .filter(|line| !line.starts_with("consumer_offsets:") && line.contains(&child.to_string()))
        .collect();
    assert!(
        traces.is_empty(),
        "the forgotten child is nowhere: {traces:#?}"
    );
    let pool = sqlx::PgPool::connect(&dashboard_url(platform))
        .await
        .unwrap();
    let aliases: Vec<Uuid> = sqlx::query_scalar("SELECT alias FROM forgotten_subjects")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(aliases.len(), 1, "one person forgotten");
    for table in [
        "signals",
        "application_children",
        "entitlements",
        "deliveries",
    ] {
        assert!(
            tables
                .lines()
                .any(|line| line.starts_with(&format!("{table}: "))
                    && line.contains(&aliases[0].to_string())),
            "the forgotten child counts under their alias in {table}"
        );
    }
}

/// The rows with each forgotten person's random alias and marker replaced by a word.
async fn without_aliases(platform: &Platform, text: String) -> String {
    let pool = sqlx::PgPool::connect(&dashboard_url(platform))
        .await
        .unwrap();
    let forgotten: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT alias, encode(marker, 'hex') FROM forgotten_subjects")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    let mut text = text;
    for (alias, marker) in forgotten {
        text = text
            .replace(&alias.to_string(), "<alias>")
            .replace(&marker, "<marker>");
    }
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort();
    lines.join("\n")
}

fn assert_same_rows(actual: &str, expected: &str, what: &str) {
    if actual == expected {
        return;
    }
    let actual_lines: std::collections::BTreeSet<&str> = actual.lines().collect();
    let expected_lines: std::collections::BTreeSet<&str> = expected.lines().collect();
    let missing: Vec<&&str> = expected_lines.difference(&actual_lines).take(20).collect();
    let extra: Vec<&&str> = actual_lines.difference(&expected_lines).take(20).collect();
    panic!("{what}: rows differ\nmissing: {missing:#?}\nextra: {extra:#?}");
}
