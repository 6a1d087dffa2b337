//! Reach against a denominator (issue 16): regie sets the doelgroep of a year (children expected to
//! be eligible per wijk and age band) through the real regie service; nobody else can, and a bad
//! table changes nothing; the dashboard's running quarter, read by regie, shows per wijk and age
//! band the children expected and reached, with a child signalled in each of two wijken and one of
//! them served; a newer doelgroep replaces it there and an older version arriving late does not.

use std::time::Duration;

use kindpakket_proto::envelope::event_id;
use kindpakket_proto::subjects::event_subject;
use kindpakket_proto::{
    Actor, EventEnvelope, EventMessage, GemeenteCode, OrganisationId, Role, Service,
};
use kindpakket_tests::client::{As, Kindpakket, OVERLEG, REGIE};
use kindpakket_tests::inspect::stream_messages;
use kindpakket_tests::{wait_until, when, Platform};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

const G: &str = "GM0518";
const WIJKTEAM: &str = "wijkteam-centrum";
const SPORTFONDS: &str = "jeugdfonds-sport-cultuur";

const PARTNER: As<'static> = As {
    organisation: SPORTFONDS,
    role: "partner",
};
const SIGNALLER: As<'static> = As {
    organisation: WIJKTEAM,
    role: "signaller",
};
const AUDITOR: As<'static> = As {
    organisation: "gemeente-controller",
    role: "auditor",
};

fn doelgroep_url(kindpakket: &Kindpakket, year: i32) -> String {
    kindpakket.regie_url(G, &format!("doelgroep/{year}"))
}

async fn doelgroep(kindpakket: &Kindpakket, year: i32, who: As<'_>) -> Value {
    kindpakket
        .get(&doelgroep_url(kindpakket, year), Some(who))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap()
}

/// The regie service's stored doelgroep events.
async fn stored(platform: &Platform) -> i64 {
    let pool = sqlx::PgPool::connect(&platform.postgres.url("kindpakket_regie"))
        .await
        .unwrap();
    let count = sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = $1")
        .bind("target_group")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    count
}

/// The running quarter's figures for regie, broken down by `breakdown`, once `done` holds.
async fn quarter_once(
    kindpakket: &Kindpakket,
    quarter: &str,
    breakdown: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let url = format!(
        "{}/api/v1/gemeenten/{G}/kwartalen/{quarter}?indeling={breakdown}",
        kindpakket.endpoints.dashboard
    );
    wait_until(what, Duration::from_secs(30), || async {
        let figures = kindpakket
            .get(&url, Some(REGIE))
            .await?
            .expect(StatusCode::OK)?;
        when(done(&figures), figures)
    })
    .await
    .unwrap()
}

fn row<'a>(figures: &'a Value, value: &str) -> &'a Value {
    figures["rijen"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["waarde"] == value)
        .unwrap_or_else(|| panic!("no row {value} in {figures}"))
}

/// The `column` of the row `value`, or null while there is no such row.
fn row_of_value(figures: &Value, value: &str, column: &str) -> Value {
    figures["rijen"]
        .as_array()
        .and_then(|rows| rows.iter().find(|row| row["waarde"] == value))
        .map_or(Value::Null, |row| row[column].clone())
}

/// A wijkteam signals `child` in `wijk`; returns the signal's id.
async fn signal_in(kindpakket: &Kindpakket, child: Uuid, wijk: &str, today: &str) -> Uuid {
    let body = json!({
        "kind": kindpakket.child_reference(WIJKTEAM, child).unwrap(),
        "voorzieningsoort": "maatschappelijke_participatie",
        "reden": "laag_inkomen",
        "datum": today,
        "wijk": wijk,
    });
    let created = kindpakket
        .post_signal(G, SIGNALLER, &body)
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    Uuid::parse_str(created["id"].as_str().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regie_sets_the_doelgroep_nobody_else_can_and_the_running_quarter_shows_reach_per_wijk_and_age_band(
) {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    let today = kindpakket_platform::clock::today();
    let year = today.year();
    let running = format!("{year}-K{}", (u8::from(today.month()) - 1) / 3 + 1);
    let url = doelgroep_url(&kindpakket, year);

    // Regie sets the doelgroep: 50 children in WK051801, 30 in WK051802, 20 whose wijk is not known.
    let table = json!({"bron": "cbs_schatting", "rijen": [
        {"wijk": "WK051802", "leeftijd": "4-11", "kinderen": 30},
        {"wijk": "WK051801", "leeftijd": "4-11", "kinderen": 40},
        {"wijk": "WK051801", "leeftijd": "12-17", "kinderen": 10},
        {"leeftijd": "0-3", "kinderen": 20}
    ]});
    let set = kindpakket
        .put(&url, REGIE, &table)
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let expected_view = json!({
        "jaar": year, "versie": 1, "bron": "cbs_schatting", "vastgesteldOp": today.to_string(),
        "kinderen": 100,
        "rijen": [
            {"wijk": null, "leeftijd": "0-3", "kinderen": 20},
            {"wijk": "WK051801", "leeftijd": "4-11", "kinderen": 40},
            {"wijk": "WK051801", "leeftijd": "12-17", "kinderen": 10},
            {"wijk": "WK051802", "leeftijd": "4-11", "kinderen": 30}
        ]
    });
    assert_eq!(set, expected_view);
    // The same table again, in another order: nothing changes.
    let mut reordered = table.clone();
    reordered["rijen"].as_array_mut().unwrap().reverse();
    let again = kindpakket
        .put(&url, REGIE, &reordered)
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(again["versie"], 1, "{again}");
    assert_eq!(stored(&platform).await, 1);

    // Nobody else sets it: a partner, a signaller, the overleg and the auditor are refused.
    let other = json!({"bron": "eigen_inkomensgegevens", "rijen": [
        {"wijk": "WK051801", "leeftijd": "4-11", "kinderen": 5}
    ]});
    for who in [PARTNER, SIGNALLER, OVERLEG, AUDITOR] {
        let refused = kindpakket.put(&url, who, &other).await.unwrap();
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        assert!(
            refused.detail().contains("voorbehouden aan"),
            "{}",
            refused.body
        );
    }
    // Bad tables are refused in Dutch, saying what is wrong and where.
    let row_of = |wijk: Value, leeftijd: &str, kinderen: Value| json!({"wijk": wijk, "leeftijd": leeftijd, "kinderen": kinderen});
    let bad = [
        (
            url.clone(),
            json!({"bron": "cbs_schatting", "rijen": [row_of(json!("WK036301"), "4-11", json!(5))]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "ligt niet in deze gemeente",
        ),
        (
            url.clone(),
            json!({"bron": "cbs_schatting", "rijen": [row_of(json!("Laakkwartier"), "4-11", json!(5))]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "geen geldige wijkcode",
        ),
        (
            url.clone(),
            json!({"bron": "cbs_schatting", "rijen": [
                row_of(json!("WK051801"), "4-11", json!(5)),
                row_of(json!("WK051801"), "4-11", json!(6))
            ]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Rij 2 in 'rijen' heeft dezelfde 'wijk' en 'leeftijd'",
        ),
        (
            url.clone(),
            json!({"bron": "cbs_schatting", "rijen": [row_of(json!(null), "0-3", json!(2_000_000))]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "0 tot en met 1.000.000",
        ),
        (
            doelgroep_url(&kindpakket, 1999),
            table.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "2000 tot en met 2100",
        ),
        (
            url.clone(),
            json!({"bron": "schatting", "rijen": []}),
            StatusCode::BAD_REQUEST,
            "kies uit: eigen_inkomensgegevens, cbs_schatting",
        ),
        (
            url.clone(),
            json!({"bron": "cbs_schatting", "rijen": [row_of(json!(null), "18+", json!(5))]}),
            StatusCode::BAD_REQUEST,
            "kies uit: 0-3, 4-11, 12-17",
        ),
        (
            url.clone(),
            json!({"bron": "cbs_schatting", "rijen": [row_of(json!(null), "0-3", json!(-1))]}),
            StatusCode::BAD_REQUEST,
            "'rijen[0].kinderen' moet een geheel getal van 0 of meer zijn",
        ),
    ];
    for (at, body, status, says) in bad {
        let refused = kindpakket.put(&at, REGIE, &body).await.unwrap();
        assert_eq!(refused.status, status, "{body}: {}", refused.body);
        assert!(refused.detail().contains(says), "{body}: {}", refused.body);
    }
    // Nothing changed: the table is the one regie set, for everyone who may read it.
    assert_eq!(stored(&platform).await, 1);
    for who in [REGIE, OVERLEG, AUDITOR] {
        assert_eq!(doelgroep(&kindpakket, year, who).await, expected_view);
    }
    for who in [PARTNER, SIGNALLER] {
        let refused = kindpakket.get(&url, Some(who)).await.unwrap();
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    }
    let none_yet = doelgroep(&kindpakket, year + 1, REGIE).await;
    assert_eq!(none_yet["versie"], 0, "{none_yet}");
    assert_eq!(none_yet["rijen"], json!([]), "{none_yet}");

    // A child signalled in each of two wijken; the one in WK051801 (aged 8) is applied for, granted
    // sport and served.
    kindpakket.sport_regeling(G, year).await.unwrap();
    kindpakket
        .enrol_signaller(G, WIJKTEAM, "Wijkteam Centrum")
        .await
        .unwrap();
    let date = today.to_string();
    let served_child = Uuid::new_v4();
    let signal = signal_in(&kindpakket, served_child, "WK051801", &date).await;
    signal_in(&kindpakket, Uuid::new_v4(), "WK051802", &date).await;
    let application = kindpakket
        .apply(
            G,
            served_child,
            year - 8,
            &["sportcontributie"],
            Some(signal),
            &date,
        )
        .await
        .unwrap();
    let entitlement = kindpakket
        .grant(
            G,
            application,
            served_child,
            "sportcontributie",
            25_000,
            year,
        )
        .await
        .unwrap();
    kindpakket
        .wait_for_entitlement(G, SPORTFONDS, entitlement, Duration::from_secs(30))
        .await
        .unwrap();
    kindpakket
        .deliver(G, SPORTFONDS, entitlement, 18_000, &date)
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();

    // The running quarter, as regie reads it at once (provisional): reach against the doelgroep.
    let by_wijk = quarter_once(
        &kindpakket,
        &running,
        "wijk",
        "the served child counted by wijk",
        // The four streams arrive independently: the delivery may be counted before the
        // application that ties it to its signal's wijk.
        |figures| {
            let in_wk1 = |column: &str| row_of_value(figures, "WK051801", column) == 1;
            figures["trechter"]["gesignaleerd"] == 2 && in_wk1("bediend") && in_wk1("bediendInJaar")
        },
    )
    .await;
    assert_eq!(by_wijk["voorlopig"], true);
    assert_eq!(
        by_wijk["doelgroep"],
        json!({"jaar": year, "bron": "cbs_schatting", "kinderen": 100, "bereikPercentage": 1}),
        "1 served of 100 expected"
    );
    let reach = |row: &Value| {
        (
            row["verwacht"].clone(),
            row["bediendInJaar"].clone(),
            row["bereikPercentage"].clone(),
        )
    };
    let wk1 = row(&by_wijk, "WK051801");
    assert_eq!(wk1["gesignaleerd"], 1, "{by_wijk}");
    assert_eq!(wk1["bediend"], 1, "{by_wijk}");
    assert_eq!(reach(wk1), (json!(50), json!(1), json!(2)), "1 of 40 + 10");
    let wk2 = row(&by_wijk, "WK051802");
    assert_eq!(wk2["gesignaleerd"], 1, "{by_wijk}");
    assert_eq!(reach(wk2), (json!(30), json!(0), json!(0)), "{by_wijk}");
    assert_eq!(
        reach(row(&by_wijk, "onbekend")),
        (json!(20), json!(0), json!(0)),
        "the rows without wijk: {by_wijk}"
    );

    let by_age = quarter_once(
        &kindpakket,
        &running,
        "leeftijd",
        "the served child counted by age band",
        |figures| row_of_value(figures, "4-11", "bediendInJaar") == 1,
    )
    .await;
    assert_eq!(
        reach(row(&by_age, "4-11")),
        (json!(70), json!(1), json!(1)),
        "1 of 40 + 30: {by_age}"
    );
    assert_eq!(
        reach(row(&by_age, "12-17")),
        (json!(10), json!(0), json!(0))
    );
    assert_eq!(reach(row(&by_age, "0-3")), (json!(20), json!(0), json!(0)));
    assert_eq!(
        reach(row(&by_age, "onbekend")),
        (json!(null), json!(0), json!(null)),
        "the child signalled but not applied for has no age band, and none is expected: {by_age}"
    );

    // A new estimate from the gemeente's own data replaces it.
    let own = json!({"bron": "eigen_inkomensgegevens", "rijen": [
        {"wijk": "WK051801", "leeftijd": "4-11", "kinderen": 25}
    ]});
    let second = kindpakket
        .put(&url, REGIE, &own)
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(second["versie"], 2, "{second}");
    let replaced = quarter_once(
        &kindpakket,
        &running,
        "wijk",
        "the second doelgroep on the dashboard",
        |figures| figures["doelgroep"]["bron"] == "eigen_inkomensgegevens",
    )
    .await;
    assert_eq!(
        replaced["doelgroep"],
        json!({"jaar": year, "bron": "eigen_inkomensgegevens", "kinderen": 25, "bereikPercentage": 4})
    );
    assert_eq!(
        reach(row(&replaced, "WK051801")),
        (json!(25), json!(1), json!(4))
    );
    assert_eq!(
        reach(row(&replaced, "WK051802")),
        (json!(null), json!(0), json!(null)),
        "no longer in the doelgroep"
    );
    // Two tables on the bus, not three: the repeated one published nothing.
    let sets: Vec<u32> = stream_messages(&platform.nats.url(), Service::Regie)
        .await
        .unwrap()
        .into_iter()
        .filter(|(_, message)| message.envelope.event_type == "TargetGroupSet")
        .map(|(_, message)| message.event["version"].as_u64().unwrap() as u32)
        .collect();
    assert_eq!(sets, vec![1, 2]);

    // An older version that arrives late (here published straight onto the stream) changes nothing:
    // the dashboard keeps the newest. A doelgroep for the year before, set after it, shows when the
    // late one has been read.
    let aggregate_id = format!("{G}:{year}-late");
    let late = EventMessage {
        envelope: EventEnvelope {
            event_id: event_id(Service::Regie, "target_group", &aggregate_id, 1),
            gemeente: GemeenteCode::parse(G).unwrap(),
            service: Service::Regie,
            aggregate_type: "target_group".to_owned(),
            aggregate_id,
            sequence: 1,
            store_position: 0,
            event_type: "TargetGroupSet".to_owned(),
            schema_version: 1,
            occurred_at: time::OffsetDateTime::now_utc(),
            correlation_id: Uuid::new_v4(),
            causation_id: None,
            actor: Actor {
                organisation: OrganisationId::parse("gemeente-den-haag").unwrap(),
                role: Role::Regievoerder,
            },
        },
        event: json!({
            "type": "TargetGroupSet", "gemeente": G, "year": year, "version": 1,
            "rows": [{"wijk": "WK051801", "age_band": "4-11", "children": 999}],
            "source": "cbs_estimate", "set_on": date
        }),
    };
    let client = async_nats::connect(platform.nats.url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    js.publish(
        event_subject(
            &GemeenteCode::parse(G).unwrap(),
            Service::Regie,
            "TargetGroupSet",
        ),
        serde_json::to_vec(&late).unwrap().into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    let before = json!({"bron": "cbs_schatting", "rijen": [
        {"wijk": "WK051801", "leeftijd": "4-11", "kinderen": 60}
    ]});
    kindpakket
        .put(&doelgroep_url(&kindpakket, year - 1), REGIE, &before)
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    quarter_once(
        &kindpakket,
        &format!("{}-K4", year - 1),
        "wijk",
        "the year before's doelgroep on the dashboard",
        |figures| figures["doelgroep"]["kinderen"] == 60,
    )
    .await;
    let after_late = quarter_once(&kindpakket, &running, "wijk", "the quarter", |_| true).await;
    assert_eq!(after_late["doelgroep"], replaced["doelgroep"]);
    assert_eq!(
        reach(row(&after_late, "WK051801")),
        (json!(25), json!(1), json!(4))
    );
}
