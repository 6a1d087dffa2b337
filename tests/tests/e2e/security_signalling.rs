//! Closed to every organisation that is not its own, in regie and signalling, attacked through the
//! public APIs: a regievoerder publishes only for the gemeenten its login acts for; only an
//! organisation enrolled with `signaleren` signals, and the routing (not the signaller) refers; only
//! the addressee of a signal records its outcome; and no refusal repeats what was sent. Each
//! refusal is Dutch and changes nothing.

use std::time::Duration;

use kindpakket_tests::client::{provision, As, Kindpakket, REGIE};
use kindpakket_tests::inspect::store_event_count;
use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

const G: &str = "GM0518";
const OTHER: &str = "GM0363";
const WIJKTEAM: As<'static> = As {
    organisation: "wijkteam-centrum",
    role: "signaller",
};
const SCHOOL: As<'static> = As {
    organisation: "basisschool-de-regenboog",
    role: "signaller",
};
const LEERGELD: As<'static> = As {
    organisation: "leergeld",
    role: "partner",
};

async fn events_in(platform: &Platform, service: ServiceName) -> i64 {
    store_event_count(&platform.postgres.url(service.database()))
        .await
        .unwrap()
}

/// The answer is a Dutch problem with `status`, and its detail repeats none of `sent`.
fn assert_refused(answer: &kindpakket_tests::client::Answer, status: StatusCode, sent: &[&str]) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.content_type, "application/problem+json");
    let detail = answer.detail();
    assert!(!detail.is_empty(), "{}", answer.body);
    for value in sent {
        assert!(
            !detail.contains(value),
            "the refusal repeats '{value}': {detail}"
        );
    }
}

fn regeling(year: i32, gemeenten: &[&str]) -> Value {
    json!({
        "jaar": year, "geldigVanaf": format!("{year}-01-01"), "geldigTot": format!("{year}-12-31"),
        "gemeenten": gemeenten,
        "inkomensgrens": {"soort": "percentage", "percentage": 120},
        "voorzieningen": [provision("sportcontributie", "Sportcontributie", "maatschappelijke_participatie", (4, 17), 25_000, "in_natura")],
    })
}

/// A signal of a new child by `who`, under its own reference of it.
fn signal_by(kindpakket: &Kindpakket, who: As<'_>) -> Value {
    let mut body = kindpakket
        .signal_body(who.organisation, Uuid::new_v4())
        .unwrap();
    body["datum"] = json!("2026-09-01");
    body
}

fn yesterday() -> String {
    let day = time::OffsetDateTime::now_utc()
        .date()
        .previous_day()
        .unwrap();
    format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

/// Waits until the signalling service's enrolments (kept from the regie stream) say `done` of the
/// organisation's row: `None` when it has none, else its end date.
async fn wait_for_signalling_enrolment(
    platform: &Platform,
    organisation: &str,
    done: impl Fn(Option<Option<time::Date>>) -> bool,
) {
    let pool = sqlx::PgPool::connect(&platform.postgres.url(ServiceName::Signalling.database()))
        .await
        .unwrap();
    let what = format!("the enrolment of {organisation} in the signalling service");
    wait_until(&what, Duration::from_secs(20), || async {
        let row: Option<Option<time::Date>> = sqlx::query_scalar(
            "SELECT ended_on FROM enrolments WHERE gemeente = $1 AND organisation = $2",
        )
        .bind(G)
        .bind(organisation)
        .fetch_optional(&pool)
        .await?;
        when(done(row), row)
    })
    .await
    .unwrap();
    pool.close().await;
}

async fn post_signal(
    kindpakket: &Kindpakket,
    who: As<'_>,
    body: &Value,
) -> kindpakket_tests::client::Answer {
    kindpakket
        .post(&kindpakket.signalling_url(G, "signaleringen"), who, body)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regievoerder_publishes_a_regeling_only_for_the_gemeenten_its_login_acts_for() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    let url = kindpakket.regie_url(G, "regelingen");

    // A login for GM0518 alone names GM0363 in the body: refused, nothing stored.
    for gemeenten in [&[G, OTHER][..], &[OTHER][..]] {
        let answer = kindpakket
            .post(&url, REGIE, &regeling(2026, gemeenten))
            .await
            .unwrap();
        assert_refused(&answer, StatusCode::FORBIDDEN, &[OTHER]);
        assert!(
            answer.detail().contains("'gemeenten'") && answer.detail().contains("namens"),
            "{}",
            answer.detail()
        );
        assert_eq!(events_in(&platform, ServiceName::Regie).await, 0);
    }

    // So GM0363 is not blocked: its own regievoerder publishes its regeling for the same year...
    let rotterdam = As {
        organisation: "gemeente-rotterdam",
        role: "regievoerder",
    };
    kindpakket
        .post(
            &kindpakket.regie_url(OTHER, "regelingen"),
            rotterdam,
            &regeling(2026, &[]),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    // ...and a samenwerkingsverband's regeling needs a login that acts for every member.
    kindpakket
        .post_for(&url, REGIE, &[G, "GM0014"], &regeling(2026, &[G, "GM0014"]))
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    assert_eq!(events_in(&platform, ServiceName::Regie).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_organisation_enrolled_to_signal_signals_and_the_routing_not_the_signaller_refers()
{
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();

    // Not enrolled at all: 403, nothing stored.
    let answer = post_signal(&kindpakket, WIJKTEAM, &signal_by(&kindpakket, WIJKTEAM)).await;
    assert_refused(&answer, StatusCode::FORBIDDEN, &[WIJKTEAM.organisation]);
    assert!(
        answer.detail().contains("'signaleren'"),
        "{}",
        answer.detail()
    );

    // A partner enrolled to deliver, not to signal: 403 once signalling knows its enrolment.
    kindpakket
        .post(
            &kindpakket.regie_url(G, "partners"),
            REGIE,
            &json!({"partner": LEERGELD.organisation, "naam": "Stichting Leergeld",
                    "voorzieningen": ["schoolspullen"], "rollen": ["verstrekken"], "datum": "2026-01-01"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    wait_for_signalling_enrolment(&platform, LEERGELD.organisation, |row| row.is_some()).await;
    let answer = post_signal(&kindpakket, LEERGELD, &signal_by(&kindpakket, LEERGELD)).await;
    assert_refused(&answer, StatusCode::FORBIDDEN, &[LEERGELD.organisation]);
    assert_eq!(events_in(&platform, ServiceName::Signalling).await, 0);

    // Enrolled with `signaleren`: the wijkteam signals (the helper waits for the enrolment to arrive).
    kindpakket
        .enrol_signaller(G, WIJKTEAM.organisation, "Wijkteam Centrum")
        .await
        .unwrap();
    kindpakket
        .signal_child(G, WIJKTEAM.organisation, Uuid::new_v4(), "2026-09-01")
        .await
        .unwrap();
    assert_eq!(events_in(&platform, ServiceName::Signalling).await, 1);

    // Where a signal goes is the routing's (regie's) to say, not the signaller's: a referral in the
    // request is an unknown field (tests/tests/e2e/chain_signalling.rs follows the routing).
    let mut referred = signal_by(&kindpakket, WIJKTEAM);
    referred["verwezenNaar"] = json!({"soort": "partner", "partner": LEERGELD.organisation});
    let answer = post_signal(&kindpakket, WIJKTEAM, &referred).await;
    assert_refused(&answer, StatusCode::BAD_REQUEST, &[LEERGELD.organisation]);
    assert_eq!(events_in(&platform, ServiceName::Signalling).await, 1);

    // The regievoerder always may signal, though it is enrolled nowhere.
    post_signal(&kindpakket, REGIE, &signal_by(&kindpakket, REGIE))
        .await
        .expect(StatusCode::CREATED)
        .unwrap();
    assert_eq!(events_in(&platform, ServiceName::Signalling).await, 2);

    // Once its enrolment has ended (yesterday), the wijkteam signals no more.
    kindpakket
        .post(
            &kindpakket.regie_url(
                G,
                &format!("partners/{}/beeindiging", WIJKTEAM.organisation),
            ),
            REGIE,
            &json!({"datum": yesterday()}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    wait_for_signalling_enrolment(&platform, WIJKTEAM.organisation, |row| {
        matches!(row, Some(Some(_)))
    })
    .await;
    let answer = post_signal(&kindpakket, WIJKTEAM, &signal_by(&kindpakket, WIJKTEAM)).await;
    assert_refused(&answer, StatusCode::FORBIDDEN, &[WIJKTEAM.organisation]);
    assert_eq!(events_in(&platform, ServiceName::Signalling).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_addressee_of_a_signal_records_its_outcome() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    for (organisation, name) in [
        (WIJKTEAM.organisation, "Wijkteam Centrum"),
        (SCHOOL.organisation, "Basisschool De Regenboog"),
    ] {
        kindpakket
            .enrol_signaller(G, organisation, name)
            .await
            .unwrap();
    }
    kindpakket
        .enrol_partner(
            G,
            LEERGELD.organisation,
            "Stichting Leergeld",
            &["schoolspullen"],
        )
        .await
        .unwrap();
    let signal = kindpakket
        .signal_child(G, WIJKTEAM.organisation, Uuid::new_v4(), "2026-09-01")
        .await
        .unwrap();
    let stored = events_in(&platform, ServiceName::Signalling).await;
    let outcome = |id: Uuid| kindpakket.signalling_url(G, &format!("signaleringen/{id}/uitkomst"));
    let body = json!({"uitkomst": "gezin-bereikt", "datum": "2026-09-02"});

    // A signal that does not exist is unknown.
    let unknown = kindpakket
        .post(&outcome(Uuid::new_v4()), LEERGELD, &body)
        .await
        .unwrap();
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);

    // The wijkteam's signal went to the loket (no route): signallers, the wijkteam itself included,
    // may not record outcomes at all, and a partner it is not referred to is refused.
    for who in [SCHOOL, WIJKTEAM, LEERGELD] {
        let answer = kindpakket.post(&outcome(signal), who, &body).await.unwrap();
        assert_refused(&answer, StatusCode::FORBIDDEN, &[&signal.to_string()]);
    }
    assert_eq!(events_in(&platform, ServiceName::Signalling).await, stored);
    let read = kindpakket
        .get(
            &kindpakket.signalling_url(G, &format!("signaleringen/{signal}")),
            Some(WIJKTEAM),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(read["status"], "doorverwezen", "{read}");

    // The loket (the regievoerder) records it.
    kindpakket
        .post(&outcome(signal), REGIE, &body)
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        events_in(&platform, ServiceName::Signalling).await,
        stored + 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_of_regie_and_signalling_never_repeat_what_was_sent() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    let url = kindpakket.regie_url(G, "regelingen");

    // A provision code twice, a threshold outside the set, a year that does not fit: the refusal
    // names the field and the place, not the value.
    let mut twice = regeling(2026, &[]);
    let secret = provision(
        "geheime-code",
        "Iets",
        "overig",
        (4, 12),
        2_500,
        "in_natura",
    );
    twice["voorzieningen"] = json!([secret.clone(), secret]);
    let answer = kindpakket.post(&url, REGIE, &twice).await.unwrap();
    assert_refused(&answer, StatusCode::UNPROCESSABLE_ENTITY, &["geheime-code"]);
    assert!(
        answer.detail().contains("voorziening 2"),
        "{}",
        answer.detail()
    );
    let mut odd = regeling(2026, &[]);
    odd["inkomensgrens"]["percentage"] = json!(117);
    let answer = kindpakket.post(&url, REGIE, &odd).await.unwrap();
    assert_refused(&answer, StatusCode::UNPROCESSABLE_ENTITY, &["117"]);
    let mut late = regeling(2026, &[]);
    late["jaar"] = json!(2031);
    let answer = kindpakket.post(&url, REGIE, &late).await.unwrap();
    assert_refused(&answer, StatusCode::UNPROCESSABLE_ENTITY, &["2031"]);
    // The publishing gemeente missing from its own list.
    let answer = kindpakket
        .post_for(&url, REGIE, &[G, "GM0014"], &regeling(2026, &["GM0014"]))
        .await
        .unwrap();
    assert_refused(&answer, StatusCode::UNPROCESSABLE_ENTITY, &[G, "GM0014"]);
    assert_eq!(events_in(&platform, ServiceName::Regie).await, 0);

    // An overlap names the version already in force, not the gemeente sent.
    kindpakket
        .post(&url, REGIE, &regeling(2026, &[]))
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let answer = kindpakket
        .post(&url, REGIE, &regeling(2026, &[G]))
        .await
        .unwrap();
    assert_refused(&answer, StatusCode::UNPROCESSABLE_ENTITY, &[G]);

    // Unknown partners and regelingen are unknown, without their ids.
    let unknown_partner = "stichting-onbekend";
    let answer = kindpakket
        .get(
            &kindpakket.regie_url(G, &format!("partners/{unknown_partner}")),
            Some(REGIE),
        )
        .await
        .unwrap();
    assert_refused(&answer, StatusCode::NOT_FOUND, &[unknown_partner]);
    let unknown_regeling = Uuid::new_v4().to_string();
    let answer = kindpakket
        .get(
            &kindpakket.regie_url(G, &format!("regelingen/{unknown_regeling}")),
            Some(REGIE),
        )
        .await
        .unwrap();
    assert_refused(&answer, StatusCode::NOT_FOUND, &[&unknown_regeling]);
    let unknown_signal = Uuid::new_v4().to_string();
    let answer = kindpakket
        .get(
            &kindpakket.signalling_url(G, &format!("signaleringen/{unknown_signal}")),
            Some(REGIE),
        )
        .await
        .unwrap();
    assert_refused(&answer, StatusCode::NOT_FOUND, &[&unknown_signal]);
    assert_eq!(events_in(&platform, ServiceName::Regie).await, 1);
}
