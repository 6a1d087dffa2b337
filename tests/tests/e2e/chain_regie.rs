//! Regie's part of the chain (issue 14), across the real services: the routing table a regievoerder
//! sets and everyone who works with it reads, each bad table refused with nothing changed; a regeling
//! corrected from a date (applications before it are assessed by the old version, after it by the
//! new, an entitlement granted under the old keeps its amount and dates) and a regeling ended (no
//! assessment after its end).

use std::time::Duration;

use kindpakket_proto::regie::{RegieEvent, RouteTarget, RoutingSet};
use kindpakket_proto::Service;
use kindpakket_tests::client::{provision, Answer, As, Kindpakket, REGIE};
use kindpakket_tests::inspect::stream_messages;
use kindpakket_tests::{wait_until, when, Platform};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;
use time::Date;
use uuid::Uuid;

const GEMEENTE: &str = "GM0518";

const WIJKTEAM: As<'static> = As {
    organisation: "wijkteam-centrum",
    role: "signaller",
};

const LEERGELD: As<'static> = As {
    organisation: "leergeld",
    role: "partner",
};

fn sport(value_cents: i64) -> Value {
    provision(
        "sportcontributie",
        "Sportcontributie",
        "maatschappelijke_participatie",
        (4, 17),
        value_cents,
        "in_natura",
    )
}

fn school_trip() -> Value {
    provision(
        "schoolreis",
        "Schoolreis",
        "school",
        (4, 12),
        15_000,
        "in_natura",
    )
}

/// PUTs JSON as `who` (the client has no PUT of its own).
async fn put(kindpakket: &Kindpakket, url: &str, who: As<'_>, body: &Value) -> Answer {
    let response = kindpakket
        .http
        .put(url)
        .bearer_auth(kindpakket.token(url, who))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = response.text().await.unwrap();
    Answer {
        status,
        content_type,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

async fn routing_of(kindpakket: &Kindpakket, who: As<'_>) -> Value {
    kindpakket
        .get(&kindpakket.regie_url(GEMEENTE, "routering"), Some(who))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap()
}

async fn stored_count(platform: &Platform, database: &str, aggregate_type: &str) -> i64 {
    let pool = PgPool::connect(&platform.postgres.url(database))
        .await
        .unwrap();
    let count = sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = $1")
        .bind(aggregate_type)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    count
}

/// The routing tables on the regie stream, in order.
async fn routing_sets(platform: &Platform) -> Vec<RoutingSet> {
    stream_messages(&platform.nats.url(), Service::Regie)
        .await
        .unwrap()
        .into_iter()
        .filter_map(
            |(_, message)| match serde_json::from_value::<RegieEvent>(message.event) {
                Ok(RegieEvent::RoutingSet(set)) => Some(set),
                _ => None,
            },
        )
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regie_sets_the_routing_table_that_signallers_and_partners_read_and_a_bad_table_changes_nothing(
) {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket
        .publish_regeling(GEMEENTE, 2026, &[sport(25_000), school_trip()])
        .await
        .unwrap();
    kindpakket
        .enrol_partner(
            GEMEENTE,
            "leergeld",
            "Stichting Leergeld Den Haag",
            &["sportcontributie"],
        )
        .await
        .unwrap();
    kindpakket
        .enrol_partner(
            GEMEENTE,
            "jeugdfonds-sport-cultuur",
            "Jeugdfonds Sport & Cultuur",
            &["sportcontributie"],
        )
        .await
        .unwrap();
    kindpakket
        .enrol_signaller(GEMEENTE, "wijkteam-centrum", "Wijkteam Centrum")
        .await
        .unwrap();
    let url = kindpakket.regie_url(GEMEENTE, "routering");

    // Before any table, everything goes to the loket.
    let empty = routing_of(&kindpakket, REGIE).await;
    assert_eq!(
        empty,
        json!({"versie": 0, "vastgesteldOp": null, "routes": []})
    );

    // Sport in the Schilderswijk to Leergeld within 5 working days; elsewhere and school to the loket.
    let table = json!({"routes": [
        {"voorzieningsoort": "maatschappelijke_participatie", "wijk": "WK051801",
         "naar": {"partner": "leergeld"}, "reactietermijnWerkdagen": 5},
        {"voorzieningsoort": "maatschappelijke_participatie", "wijk": null,
         "naar": "loket", "reactietermijnWerkdagen": 10},
        {"voorzieningsoort": "school", "naar": "loket", "reactietermijnWerkdagen": 3},
    ]});
    let set = put(&kindpakket, &url, REGIE, &table)
        .await
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(set["versie"], 1, "{set}");
    assert_eq!(
        set["routes"],
        json!([
            {"voorzieningsoort": "maatschappelijke_participatie", "wijk": "WK051801",
             "naar": {"partner": "leergeld"}, "reactietermijnWerkdagen": 5},
            {"voorzieningsoort": "maatschappelijke_participatie", "wijk": null,
             "naar": "loket", "reactietermijnWerkdagen": 10},
            {"voorzieningsoort": "school", "wijk": null, "naar": "loket", "reactietermijnWerkdagen": 3},
        ])
    );
    // The regievoerder, the wijkteam and the partner read the same table.
    for who in [REGIE, WIJKTEAM, LEERGELD] {
        assert_eq!(routing_of(&kindpakket, who).await, set, "{}", who.role);
    }
    // Only the regievoerder sets it.
    let by_partner = put(&kindpakket, &url, LEERGELD, &table).await;
    assert_eq!(by_partner.status, StatusCode::FORBIDDEN, "{:?}", by_partner);

    // The same table again is no new version.
    let again = put(&kindpakket, &url, REGIE, &table)
        .await
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(again["versie"], 1, "{again}");

    // The jeugdfonds' enrolment ended yesterday: it can no longer be routed to.
    let yesterday = kindpakket_platform::clock::today().previous_day().unwrap();
    kindpakket
        .post(
            &kindpakket.regie_url(GEMEENTE, "partners/jeugdfonds-sport-cultuur/beeindiging"),
            REGIE,
            &json!({"datum": yesterday.to_string()}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();

    let route = |soort: &str, wijk: Value, naar: Value, dagen: i64| json!({"voorzieningsoort": soort, "wijk": wijk, "naar": naar, "reactietermijnWerkdagen": dagen});
    let participation = "maatschappelijke_participatie";
    // (the table, what the refusal names, a value sent that it must not repeat)
    let refused = [
        (
            vec![route(
                "school",
                Value::Null,
                json!({"partner": "leergeld"}),
                5,
            )],
            "niet ingeschreven",
            "leergeld",
        ),
        (
            vec![route(
                participation,
                Value::Null,
                json!({"partner": "onbekende-stichting"}),
                5,
            )],
            "niet ingeschreven",
            "onbekende-stichting",
        ),
        (
            vec![route(
                participation,
                Value::Null,
                json!({"partner": "jeugdfonds-sport-cultuur"}),
                5,
            )],
            "niet ingeschreven",
            "jeugdfonds",
        ),
        (
            vec![
                route(participation, json!("WK051801"), json!("loket"), 5),
                route(
                    participation,
                    json!("WK051801"),
                    json!({"partner": "leergeld"}),
                    5,
                ),
            ],
            "dezelfde 'voorzieningsoort' en 'wijk'",
            "leergeld",
        ),
        (
            vec![route(participation, json!("WK05189"), json!("loket"), 5)],
            "'wijk' van route 1",
            "WK05189",
        ),
        (
            vec![route(
                participation,
                json!("Schilderswijk"),
                json!("loket"),
                5,
            )],
            "'wijk' van route 1",
            "Schilderswijk",
        ),
        (
            vec![route(participation, json!("WK036301"), json!("loket"), 5)],
            "niet in deze gemeente",
            "WK036301",
        ),
        (
            vec![route(participation, Value::Null, json!("loket"), 0)],
            "'reactietermijnWerkdagen' van route 1",
            "loket",
        ),
        (
            vec![
                route("school", Value::Null, json!("loket"), 5),
                route(participation, Value::Null, json!("loket"), 61),
            ],
            "'reactietermijnWerkdagen' van route 2",
            "61",
        ),
    ];
    for (routes, names, sent) in refused {
        let answer = put(&kindpakket, &url, REGIE, &json!({ "routes": routes })).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{routes:?}: {:?}",
            answer.body
        );
        assert!(
            answer.content_type.starts_with("application/problem+json"),
            "{:?}",
            answer
        );
        let detail = answer.detail();
        assert!(detail.contains(names), "{routes:?}: {detail}");
        assert!(
            !detail.contains(sent),
            "{routes:?} repeats what was sent: {detail}"
        );
        assert_eq!(routing_of(&kindpakket, REGIE).await, set, "{routes:?}");
    }
    // Nothing was stored: one table in the store, and on the stream exactly the one (the relay
    // publishes in commit order, so once a later table is there, a refused one would be too).
    assert_eq!(
        stored_count(&platform, "kindpakket_regie", "routing").await,
        1
    );
    let loket_only = json!({"routes": [
        {"voorzieningsoort": "school", "naar": "loket", "reactietermijnWerkdagen": 4}
    ]});
    let second = put(&kindpakket, &url, REGIE, &loket_only)
        .await
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(second["versie"], 2, "{second}");
    let sets = wait_until(
        "the second routing table on the regie stream",
        Duration::from_secs(20),
        || async {
            let sets = routing_sets(&platform).await;
            when(sets.iter().any(|set| set.version == 2), sets)
        },
    )
    .await
    .unwrap();
    assert_eq!(
        sets.iter().map(|set| set.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(sets[0].routes.len(), 3);
    assert_eq!(
        sets[0].routes[0].to,
        RouteTarget::Partner(kindpakket_proto::OrganisationId::parse("leergeld").unwrap())
    );
    assert_eq!(sets[0].routes[0].response_days, 5);
    assert_eq!(sets[1].routes[0].wijk, None);
}

/// Waits until `database` keeps version `regeling` in force until `until` (the regie stream reached
/// it), as a caseworker would wait for the new rules to show.
async fn wait_for_end(
    platform: &Platform,
    database: &str,
    table: &str,
    regeling: Uuid,
    until: Date,
) {
    let pool = PgPool::connect(&platform.postgres.url(database))
        .await
        .unwrap();
    let query = format!("SELECT valid_until FROM {table} WHERE regeling_id = $1 LIMIT 1");
    wait_until(
        &format!("{database} keeps {regeling} until {until}"),
        Duration::from_secs(20),
        || async {
            let kept: Option<Date> = sqlx::query_scalar(&query)
                .bind(regeling)
                .fetch_optional(&pool)
                .await?;
            when(kept == Some(until), ())
        },
    )
    .await
    .unwrap();
    pool.close().await;
}

async fn wait_for_version(platform: &Platform, regeling: Uuid) {
    let pool = PgPool::connect(&platform.postgres.url("kindpakket_application"))
        .await
        .unwrap();
    wait_until(
        &format!("the application service keeps {regeling}"),
        Duration::from_secs(20),
        || async {
            let kept: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM regeling_versions WHERE regeling_id = $1)",
            )
            .bind(regeling)
            .fetch_one(&pool)
            .await?;
            when(kept, ())
        },
    )
    .await
    .unwrap();
    pool.close().await;
}

fn family(child: Uuid, date: &str) -> Value {
    json!({
        "kanaal": "loket",
        "huishouden": Uuid::new_v4(),
        "kinderen": [{"kind": child, "geboortejaar": 2016, "geboortemaand": 2}],
        "inkomenPercentage": 110,
        "voorzieningen": ["sportcontributie"],
        "datum": date,
    })
}

fn version_body(from: &str, value_cents: i64) -> Value {
    json!({
        "jaar": 2026,
        "geldigVanaf": from,
        "geldigTot": "2026-12-31",
        "inkomensgrens": {"soort": "percentage", "percentage": 120},
        "voorzieningen": [sport(value_cents)],
    })
}

fn id_of(body: &Value) -> Uuid {
    Uuid::parse_str(body["id"].as_str().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrected_regeling_assesses_by_date_and_running_entitlements_keep_their_version() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    let old = kindpakket
        .publish_regeling(GEMEENTE, 2026, &[sport(25_000)])
        .await
        .unwrap();
    kindpakket
        .enrol_partner(
            GEMEENTE,
            "jeugdfonds-sport-cultuur",
            "Jeugdfonds Sport & Cultuur",
            &["sportcontributie"],
        )
        .await
        .unwrap();

    // Granted in March under the version of January: € 250 for the year.
    let march = kindpakket
        .submit(GEMEENTE, &family(Uuid::new_v4(), "2026-03-02"))
        .await
        .unwrap();
    let granted = kindpakket
        .assess(GEMEENTE, march, &json!({}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(granted["status"], "toegekend", "{granted}");
    assert_eq!(granted["rechten"][0]["bedragCent"], 25_000);
    let entitlement = id_of(&granted["rechten"][0]);
    kindpakket
        .wait_for_entitlement(
            GEMEENTE,
            "jeugdfonds-sport-cultuur",
            entitlement,
            Duration::from_secs(20),
        )
        .await
        .unwrap();

    // From 1 July the sportcontributie is € 300: a correction, the version of January ends on 30 June.
    let corrected = kindpakket
        .post(
            &kindpakket.regie_url(GEMEENTE, &format!("regelingen/{old}/wijziging")),
            REGIE,
            &version_body("2026-07-01", 30_000),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let new = id_of(&corrected);
    let read = |id: Uuid| {
        let kindpakket = kindpakket.clone();
        async move {
            kindpakket
                .get(
                    &kindpakket.regie_url(GEMEENTE, &format!("regelingen/{id}")),
                    Some(REGIE),
                )
                .await
                .unwrap()
                .expect(StatusCode::OK)
                .unwrap()
        }
    };
    let old_version = read(old).await;
    assert_eq!(old_version["geldigTot"], "2026-06-30", "{old_version}");
    assert_eq!(old_version["beeindigd"], true);
    assert_eq!(old_version["opgevolgdDoor"], new.to_string());
    let new_version = read(new).await;
    assert_eq!(new_version["geldigVanaf"], "2026-07-01", "{new_version}");
    assert_eq!(new_version["geldigTot"], "2026-12-31");
    assert_eq!(new_version["gemeenten"], json!([GEMEENTE]));
    assert_eq!(new_version["voorzieningen"][0]["waardeCent"], 30_000);
    assert_eq!(new_version["beeindigd"], false);

    wait_for_version(&platform, new).await;
    wait_for_end(
        &platform,
        "kindpakket_application",
        "regeling_versions",
        old,
        Date::from_calendar_date(2026, time::Month::June, 30).unwrap(),
    )
    .await;

    // Dated before 1 July: the old version; after: the new one.
    let may = kindpakket
        .submit(GEMEENTE, &family(Uuid::new_v4(), "2026-05-04"))
        .await
        .unwrap();
    let by_old = kindpakket
        .assess(GEMEENTE, may, &json!({}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(by_old["rechten"][0]["bedragCent"], 25_000, "{by_old}");
    assert_eq!(by_old["beoordeling"]["regeling"], old.to_string());
    let august = kindpakket
        .submit(GEMEENTE, &family(Uuid::new_v4(), "2026-08-03"))
        .await
        .unwrap();
    let by_new = kindpakket
        .assess(GEMEENTE, august, &json!({}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(by_new["rechten"][0]["bedragCent"], 30_000, "{by_new}");
    assert_eq!(by_new["beoordeling"]["regeling"], new.to_string());

    // The entitlement of March keeps its € 250 and its year, after provision heard of the end.
    wait_for_end(
        &platform,
        "kindpakket_provision",
        "regelingen",
        old,
        Date::from_calendar_date(2026, time::Month::June, 30).unwrap(),
    )
    .await;
    let kept = kindpakket
        .wait_for_entitlement(
            GEMEENTE,
            "jeugdfonds-sport-cultuur",
            entitlement,
            Duration::from_secs(20),
        )
        .await
        .unwrap();
    assert_eq!(kept["bedragCent"], 25_000, "{kept}");
    assert_eq!(kept["geldigVanaf"], "2026-01-01", "{kept}");
    assert_eq!(kept["geldigTot"], "2026-12-31", "{kept}");
    // And it records the version it was granted under.
    let pool = PgPool::connect(&platform.postgres.url("kindpakket_provision"))
        .await
        .unwrap();
    let granted_under: Option<String> = sqlx::query_scalar(
        "SELECT payload::jsonb->'Opened'->'opened'->>'regeling_id' FROM events
         WHERE aggregate_type = 'entitlement' AND aggregate_id = $1 AND event_type = 'Opened'",
    )
    .bind(entitlement.to_string())
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert_eq!(granted_under, Some(old.to_string()));

    // A corrected version is ended: it is neither corrected nor ended again; a correction or end
    // before a version's start is refused. Each in Dutch, with nothing stored.
    let before = stored_count(&platform, "kindpakket_regie", "regeling").await;
    let refusals = [
        (
            format!("regelingen/{old}/wijziging"),
            version_body("2026-09-01", 35_000),
            "al beëindigd of gewijzigd",
        ),
        (
            format!("regelingen/{old}/beeindiging"),
            json!({"per": "2026-09-01"}),
            "al beëindigd of gewijzigd",
        ),
        (
            format!("regelingen/{new}/beeindiging"),
            json!({"per": "2026-06-01"}),
            "vóór de begindatum",
        ),
        (
            format!("regelingen/{new}/wijziging"),
            version_body("2026-06-15", 35_000),
            "vóór de begindatum",
        ),
        (
            format!("regelingen/{new}/beeindiging"),
            json!({"per": "2027-01-01"}),
            "na de einddatum",
        ),
    ];
    for (path, body, says) in refusals {
        let answer = kindpakket
            .post(&kindpakket.regie_url(GEMEENTE, &path), REGIE, &body)
            .await
            .unwrap();
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {:?}",
            answer.body
        );
        assert!(
            answer.detail().contains(says),
            "{path}: {}",
            answer.detail()
        );
    }
    assert_eq!(
        stored_count(&platform, "kindpakket_regie", "regeling").await,
        before
    );
    assert_eq!(read(old).await, old_version);
    assert_eq!(read(new).await, new_version);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_regeling_assesses_nothing_after_its_end() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    let regeling = kindpakket
        .publish_regeling(GEMEENTE, 2026, &[sport(25_000)])
        .await
        .unwrap();
    wait_for_version(&platform, regeling).await;
    let url = |path: &str| kindpakket.regie_url(GEMEENTE, &format!("regelingen/{regeling}/{path}"));

    // Ended from 1 September: in force until 31 August.
    let ended = kindpakket
        .post(&url("beeindiging"), REGIE, &json!({"per": "2026-09-01"}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(ended, json!({"id": regeling, "geldigTot": "2026-08-31"}));
    wait_for_end(
        &platform,
        "kindpakket_application",
        "regeling_versions",
        regeling,
        Date::from_calendar_date(2026, time::Month::August, 31).unwrap(),
    )
    .await;

    // Dated in August: assessed. Dated in September: refused in Dutch, the application undecided.
    let august = kindpakket
        .submit(GEMEENTE, &family(Uuid::new_v4(), "2026-08-31"))
        .await
        .unwrap();
    let granted = kindpakket
        .assess(GEMEENTE, august, &json!({}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(granted["status"], "toegekend", "{granted}");
    let september = kindpakket
        .submit(GEMEENTE, &family(Uuid::new_v4(), "2026-09-01"))
        .await
        .unwrap();
    let refused = kindpakket
        .post(
            &kindpakket.application_url(GEMEENTE, &format!("aanvragen/{september}/beoordeling")),
            REGIE,
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        refused.body
    );
    assert!(
        refused.detail().contains("geen regeling van kracht"),
        "{}",
        refused.detail()
    );
    let stored = crate::forgetting_application::stored_application(&platform, september).await;
    assert_eq!(stored.len(), 1, "only the submission: {stored:?}");

    // Ended once; an ended version is not corrected; another gemeente does not know it at all.
    // Nothing stored.
    let before = stored_count(&platform, "kindpakket_regie", "regeling").await;
    let elsewhere = kindpakket
        .post(
            &kindpakket.regie_url("GM0363", &format!("regelingen/{regeling}/beeindiging")),
            REGIE,
            &json!({"per": "2026-10-01"}),
        )
        .await
        .unwrap();
    assert_eq!(
        elsewhere.status,
        StatusCode::NOT_FOUND,
        "{:?}",
        elsewhere.body
    );
    assert!(
        !elsewhere.detail().contains("beëindigd"),
        "{}",
        elsewhere.detail()
    );
    for (path, body) in [
        ("beeindiging", json!({"per": "2026-10-01"})),
        ("wijziging", version_body("2026-10-01", 30_000)),
    ] {
        let answer = kindpakket.post(&url(path), REGIE, &body).await.unwrap();
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {:?}",
            answer.body
        );
        assert!(
            answer.detail().contains("al beëindigd of gewijzigd"),
            "{path}: {}",
            answer.detail()
        );
    }
    assert_eq!(
        stored_count(&platform, "kindpakket_regie", "regeling").await,
        before
    );

    // The months after the end are free for a new version: the overlap rule counts the ended one
    // until its end.
    let next = kindpakket
        .post(
            &kindpakket.regie_url(GEMEENTE, "regelingen"),
            REGIE,
            &version_body("2026-09-01", 20_000),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    assert!(next["id"].is_string(), "{next}");
    let overlapping = kindpakket
        .post(
            &kindpakket.regie_url(GEMEENTE, "regelingen"),
            REGIE,
            &version_body("2026-08-01", 20_000),
        )
        .await
        .unwrap();
    assert_eq!(
        overlapping.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        overlapping.body
    );
}
