//! The signal's part of the chain (issue 14), through the public APIs of the real services: a school
//! signals a child by its own reference; regie's routing sends it to a partner with a due date in
//! working days (a Dutch holiday skipped); only the partner it is referred to picks it up or hands it
//! back, only the regie re-routes it (to a partner enrolled for the type), only the partner that
//! picked it up records what came of it; the regie sees the overdue ones; a partner without an
//! account answers once through a one-time link. Every refusal is a Dutch 4xx that changes nothing,
//! and the school sees status only.

use std::time::Duration;

use kindpakket_tests::client::{provision, As, Kindpakket, REGIE};
use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

const G: &str = "GM0518";
const SCHOOL: As<'static> = As {
    organisation: "basisschool-de-regenboog",
    role: "signaller",
};
const LEERGELD: As<'static> = As {
    organisation: "leergeld",
    role: "partner",
};
const JEUGDFONDS: As<'static> = As {
    organisation: "jeugdfonds-sport-cultuur",
    role: "partner",
};
/// Enrolled, but for school costs only.
const KLEDINGBANK: &str = "kledingbank";
const WIJK: &str = "WK051801";

/// A regeling with a participation and a school provision; Leergeld and the Jeugdfonds enrolled for
/// the first, the Kledingbank for the second; the school enrolled to signal; routes: participation
/// in `WIJK` to Leergeld (3 working days), elsewhere to the Jeugdfonds (`days_elsewhere`).
async fn set_up(kindpakket: &Kindpakket, days_elsewhere: u8) {
    kindpakket
        .publish_regeling(
            G,
            2026,
            &[
                provision(
                    "sportcontributie",
                    "Sportcontributie",
                    "maatschappelijke_participatie",
                    (4, 17),
                    25_000,
                    "in_natura",
                ),
                provision(
                    "schoolspullen",
                    "Schoolspullen",
                    "school",
                    (4, 17),
                    10_000,
                    "in_natura",
                ),
            ],
        )
        .await
        .unwrap();
    for (partner, name, provisions) in [
        ("leergeld", "Stichting Leergeld", "sportcontributie"),
        (
            "jeugdfonds-sport-cultuur",
            "Jeugdfonds Sport & Cultuur",
            "sportcontributie",
        ),
        (KLEDINGBANK, "Kledingbank", "schoolspullen"),
    ] {
        kindpakket
            .enrol_partner(G, partner, name, &[provisions])
            .await
            .unwrap();
    }
    kindpakket
        .enrol_signaller(G, SCHOOL.organisation, "Basisschool De Regenboog")
        .await
        .unwrap();
    let set = kindpakket
        .set_routing(
            G,
            json!([
                {"voorzieningsoort": "maatschappelijke_participatie", "wijk": WIJK,
                 "naar": {"partner": "leergeld"}, "reactietermijnWerkdagen": 3},
                {"voorzieningsoort": "maatschappelijke_participatie",
                 "naar": {"partner": "jeugdfonds-sport-cultuur"},
                 "reactietermijnWerkdagen": days_elsewhere},
            ]),
        )
        .await;
    set.unwrap();
}

/// The school signals the child for participation; waits until the signalling service knows the
/// routing (a signal routed before it did goes to the loket: it is left, and the next one tried).
async fn signal(
    kindpakket: &Kindpakket,
    child: Uuid,
    wijk: Option<&str>,
    date: Option<&str>,
    to: &str,
) -> (Uuid, Value) {
    let mut body = json!({
        "kind": kindpakket.child_reference(SCHOOL.organisation, child).unwrap(),
        "voorzieningsoort": "maatschappelijke_participatie",
        "reden": "laag_inkomen",
    });
    if let Some(wijk) = wijk {
        body["wijk"] = json!(wijk);
    }
    if let Some(date) = date {
        body["datum"] = json!(date);
    }
    wait_until(
        "the signalling service routes by the routing table",
        Duration::from_secs(30),
        || async {
            let created = kindpakket
                .post_signal(G, SCHOOL, &body)
                .await?
                .expect(StatusCode::CREATED)?;
            let id = Uuid::parse_str(created["id"].as_str().unwrap_or_default())?;
            let view = regie_view(kindpakket, id).await;
            when(view["verwezenNaar"]["partner"] == to, (id, view))
        },
    )
    .await
    .unwrap()
}

async fn regie_view(kindpakket: &Kindpakket, id: Uuid) -> Value {
    view_as(kindpakket, REGIE, id).await
}

async fn view_as(kindpakket: &Kindpakket, who: As<'_>, id: Uuid) -> Value {
    kindpakket
        .get(
            &kindpakket.signalling_url(G, &format!("signaleringen/{id}")),
            Some(who),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap()
}

async fn post(
    kindpakket: &Kindpakket,
    who: As<'_>,
    id: Uuid,
    step: &str,
    body: Value,
) -> kindpakket_tests::client::Answer {
    kindpakket
        .post(
            &kindpakket.signalling_url(G, &format!("signaleringen/{id}/{step}")),
            who,
            &body,
        )
        .await
        .unwrap()
}

/// The ids on a work list page of `who` (with `query`).
async fn listed(kindpakket: &Kindpakket, who: As<'_>, query: &str) -> Vec<Value> {
    let page = kindpakket
        .get(
            &kindpakket.signalling_url(G, &format!("signaleringen{query}")),
            Some(who),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    page["items"].as_array().cloned().unwrap_or_default()
}

fn has(rows: &[Value], id: Uuid) -> bool {
    rows.iter().any(|row| row["id"] == id.to_string())
}

/// Waits until `who`'s list (with `query`) holds `id` (`present`) or not.
async fn wait_listed(kindpakket: &Kindpakket, who: As<'_>, query: &str, id: Uuid, present: bool) {
    wait_until("the work list", Duration::from_secs(20), || async {
        let rows = listed(kindpakket, who, query).await;
        when(has(&rows, id) == present, rows)
    })
    .await
    .unwrap();
}

async fn signalling_events(platform: &Platform) -> i64 {
    platform.events_stored(ServiceName::Signalling).await
}

fn assert_dutch_refusal(answer: &kindpakket_tests::client::Answer, status: StatusCode) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.content_type, "application/problem+json");
    assert!(!answer.detail().is_empty(), "{}", answer.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_by_reference_is_routed_and_only_its_addressee_moves_it_on() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    set_up(&kindpakket, 5).await;
    let child = Uuid::new_v4();

    // A reference the school was never given, and another organisation's reference of the child,
    // are refused: a Dutch 422 naming the field, nothing stored.
    let before = signalling_events(&platform).await;
    let forged = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let foreign = kindpakket.child_reference("leergeld", child).unwrap();
    for reference in [forged.to_owned(), foreign.clone(), child.to_string()] {
        let answer = kindpakket
            .post_signal(
                G,
                SCHOOL,
                &json!({"kind": reference, "voorzieningsoort": "overig", "reden": "schulden"}),
            )
            .await
            .unwrap();
        assert_dutch_refusal(&answer, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(answer.detail().contains("'kind'"), "{}", answer.body);
        assert!(
            answer.detail().contains("onbekende referentie"),
            "{}",
            answer.body
        );
        assert!(!answer.detail().contains(&reference), "{}", answer.body);
    }
    assert_eq!(signalling_events(&platform).await, before);

    // Friday 24 April 2026, in the wijk with a route to Leergeld of 3 working days: Monday 27 April
    // is Koningsdag, so the referral is due on Thursday 30 April (not Wednesday 29).
    let (id, view) = signal(
        &kindpakket,
        child,
        Some(WIJK),
        Some("2026-04-24"),
        "leergeld",
    )
    .await;
    assert_eq!(view["uiterlijk"], "2026-04-30", "{view}");
    assert_eq!(view["status"], "doorverwezen");
    assert_eq!(view["voorzieningsoort"], "maatschappelijke_participatie");
    assert_eq!(view["wijk"], WIJK);
    // The gemeente's id of the child is shown to nobody: each sees its own reference.
    assert_ne!(view["kind"], child.to_string());
    let school_view = view_as(&kindpakket, SCHOOL, id).await;
    assert_eq!(
        school_view["kind"],
        kindpakket
            .child_reference(SCHOOL.organisation, child)
            .unwrap()
    );
    for hidden in [
        "verwezenNaar",
        "uiterlijk",
        "teLaat",
        "teruggaveReden",
        "voorzieningsoort",
    ] {
        assert!(school_view.get(hidden).is_none(), "{hidden}: {school_view}");
    }
    let leergeld_view = view_as(&kindpakket, LEERGELD, id).await;
    assert_eq!(
        leergeld_view["kind"],
        kindpakket.child_reference("leergeld", child).unwrap()
    );
    assert!(leergeld_view.get("reden").is_none(), "{leergeld_view}");

    // Long past its due date and not picked up: overdue for the regie.
    wait_listed(&kindpakket, REGIE, "?status=te-laat", id, true).await;
    let school_rows = listed(&kindpakket, SCHOOL, "").await;
    let row = school_rows
        .iter()
        .find(|row| row["id"] == id.to_string())
        .unwrap();
    let keys: Vec<&str> = row
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["datum", "id", "kind", "status"], "{row}");
    assert!(has(&listed(&kindpakket, LEERGELD, "").await, id));
    assert!(!has(&listed(&kindpakket, JEUGDFONDS, "").await, id));

    // Only the addressee accepts; another partner and the loket get a 403 and nothing changes.
    let before = signalling_events(&platform).await;
    for who in [JEUGDFONDS, REGIE] {
        let answer = post(&kindpakket, who, id, "acceptatie", json!({})).await;
        assert_dutch_refusal(&answer, StatusCode::FORBIDDEN);
    }
    let answer = post(&kindpakket, SCHOOL, id, "acceptatie", json!({})).await;
    assert_dutch_refusal(&answer, StatusCode::FORBIDDEN);
    assert_eq!(signalling_events(&platform).await, before);
    assert_eq!(regie_view(&kindpakket, id).await["status"], "doorverwezen");
    post(&kindpakket, LEERGELD, id, "acceptatie", json!({}))
        .await
        .expect(StatusCode::OK)
        .unwrap();
    let accepted = signalling_events(&platform).await;
    assert_eq!(accepted, before + 1);
    // Accepting again is answered the same and records nothing.
    post(&kindpakket, LEERGELD, id, "acceptatie", json!({}))
        .await
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(signalling_events(&platform).await, accepted);
    wait_listed(&kindpakket, REGIE, "?status=te-laat", id, false).await;
    wait_listed(&kindpakket, SCHOOL, "?status=opgepakt", id, true).await;

    // Only the addressee hands it back; the reason is for the regie only.
    let answer = post(&kindpakket, JEUGDFONDS, id, "teruggave", json!({})).await;
    assert_dutch_refusal(&answer, StatusCode::FORBIDDEN);
    let answer = post(
        &kindpakket,
        LEERGELD,
        id,
        "teruggave",
        json!({"reden": "Bel mij op 0612345678"}),
    )
    .await;
    assert_dutch_refusal(&answer, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!answer.detail().contains("0612345678"));
    assert_eq!(signalling_events(&platform).await, accepted);
    post(
        &kindpakket,
        LEERGELD,
        id,
        "teruggave",
        json!({"reden": "Het gezin woont buiten ons werkgebied"}),
    )
    .await
    .expect(StatusCode::OK)
    .unwrap();
    let regie = regie_view(&kindpakket, id).await;
    assert_eq!(regie["status"], "teruggegeven");
    assert_eq!(
        regie["teruggaveReden"],
        "Het gezin woont buiten ons werkgebied"
    );
    let school_view = view_as(&kindpakket, SCHOOL, id).await;
    assert_eq!(school_view["status"], "teruggegeven");
    assert!(
        !school_view.to_string().contains("werkgebied"),
        "{school_view}"
    );

    // Re-routing is the regie's; to a partner not enrolled for the type it is refused.
    let handed_back = signalling_events(&platform).await;
    let answer = post(
        &kindpakket,
        LEERGELD,
        id,
        "herroutering",
        json!({"naar": "loket"}),
    )
    .await;
    assert_dutch_refusal(&answer, StatusCode::FORBIDDEN);
    let answer = post(
        &kindpakket,
        REGIE,
        id,
        "herroutering",
        json!({"naar": {"partner": KLEDINGBANK}}),
    )
    .await;
    assert_dutch_refusal(&answer, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer.detail().contains("'naar.partner'"),
        "{}",
        answer.body
    );
    assert_eq!(signalling_events(&platform).await, handed_back);
    assert_eq!(regie_view(&kindpakket, id).await["status"], "teruggegeven");
    let rerouted = post(
        &kindpakket,
        REGIE,
        id,
        "herroutering",
        json!({"naar": {"partner": "jeugdfonds-sport-cultuur"}}),
    )
    .await
    .expect(StatusCode::OK)
    .unwrap();
    assert!(rerouted["uiterlijk"].is_string(), "{rerouted}");
    wait_listed(&kindpakket, LEERGELD, "", id, false).await;
    wait_listed(&kindpakket, JEUGDFONDS, "", id, true).await;

    // The outcome: not by the partner it left, not before the new addressee picked it up, not by
    // the school; then by the partner that picked it up.
    let before = signalling_events(&platform).await;
    let outcome = json!({"uitkomst": "gezin-bereikt"});
    for who in [LEERGELD, JEUGDFONDS, REGIE] {
        let answer = post(&kindpakket, who, id, "uitkomst", outcome.clone()).await;
        assert_dutch_refusal(&answer, StatusCode::FORBIDDEN);
    }
    let answer = post(&kindpakket, SCHOOL, id, "uitkomst", outcome.clone()).await;
    assert_dutch_refusal(&answer, StatusCode::FORBIDDEN);
    assert_eq!(signalling_events(&platform).await, before);
    post(&kindpakket, JEUGDFONDS, id, "acceptatie", json!({}))
        .await
        .expect(StatusCode::OK)
        .unwrap();
    post(&kindpakket, JEUGDFONDS, id, "uitkomst", outcome)
        .await
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        view_as(&kindpakket, SCHOOL, id).await["status"],
        "gezin-bereikt"
    );
    wait_listed(&kindpakket, SCHOOL, "?status=gezin-bereikt", id, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_without_an_account_answers_once_through_a_link_and_overdue_follows_the_clock() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    set_up(&kindpakket, 5).await;

    // Signalled today, outside the wijk: to the Jeugdfonds, due in 5 working days; not overdue.
    let (due_later, view) = signal(
        &kindpakket,
        Uuid::new_v4(),
        None,
        None,
        "jeugdfonds-sport-cultuur",
    )
    .await;
    assert_eq!(view["teLaat"], false, "{view}");
    wait_listed(&kindpakket, JEUGDFONDS, "", due_later, true).await;
    assert!(!has(
        &listed(&kindpakket, REGIE, "?status=te-laat").await,
        due_later
    ));

    // Leergeld has no account: the regie makes a link for the referral to it.
    let (id, _) = signal(&kindpakket, Uuid::new_v4(), Some(WIJK), None, "leergeld").await;
    let made = post(&kindpakket, REGIE, id, "eenmalige-link", json!({}))
        .await
        .expect(StatusCode::CREATED)
        .unwrap();
    let url = platform.url(ServiceName::Signalling, made["url"].as_str().unwrap());
    assert!(made["geldigTot"].is_string(), "{made}");
    // Only the regie makes links.
    let answer = post(&kindpakket, LEERGELD, id, "eenmalige-link", json!({})).await;
    assert_dutch_refusal(&answer, StatusCode::FORBIDDEN);

    // Opened without logging in, it shows the minimum: what kind of help, the wijk, who signalled,
    // by when.
    let shown = kindpakket
        .get(&url, None)
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let keys: Vec<&str> = shown
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["signaleerder", "uiterlijk", "voorzieningsoort", "wijk"],
        "{shown}"
    );
    assert_eq!(shown["voorzieningsoort"], "maatschappelijke_participatie");
    assert_eq!(shown["wijk"], WIJK);
    assert_eq!(shown["signaleerder"]["code"], SCHOOL.organisation);
    assert_eq!(shown["signaleerder"]["naam"], "Basisschool De Regenboog");

    // Answered once: picked up, recorded as Leergeld's through the link.
    let before = signalling_events(&platform).await;
    let answered = kindpakket
        .post_anonymously(&url, &json!({"antwoord": "opgepakt"}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(answered["status"], "opgepakt");
    assert_eq!(signalling_events(&platform).await, before + 1);
    let regie = regie_view(&kindpakket, id).await;
    assert_eq!(regie["status"], "opgepakt");
    // Used again, or opened again: 410, and nothing changes.
    let again = kindpakket
        .post_anonymously(&url, &json!({"antwoord": "teruggegeven"}))
        .await
        .unwrap();
    assert_dutch_refusal(&again, StatusCode::GONE);
    assert_dutch_refusal(&kindpakket.get(&url, None).await.unwrap(), StatusCode::GONE);
    assert_eq!(signalling_events(&platform).await, before + 1);
    assert_eq!(regie_view(&kindpakket, id).await["status"], "opgepakt");
    // A token nobody was given: 404, and nothing changes.
    let unknown = platform.url(
        ServiceName::Signalling,
        "/api/v1/antwoord/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    );
    let answer = kindpakket
        .post_anonymously(&unknown, &json!({"antwoord": "afgezien"}))
        .await
        .unwrap();
    assert_dutch_refusal(&answer, StatusCode::NOT_FOUND);
    assert_eq!(signalling_events(&platform).await, before + 1);

    // A link that holds one day, for another referral to Leergeld.
    let (short, _) = signal(&kindpakket, Uuid::new_v4(), Some(WIJK), None, "leergeld").await;
    let made = post(
        &kindpakket,
        REGIE,
        short,
        "eenmalige-link",
        json!({"geldigDagen": 1}),
    )
    .await
    .expect(StatusCode::CREATED)
    .unwrap();
    let short_url = platform.url(ServiceName::Signalling, made["url"].as_str().unwrap());

    // Thirty days later (the signalling service's clock moved): the referral due in five working
    // days is overdue for the regie, and the one-day link has expired.
    let signalling = platform.service_mut(ServiceName::Signalling);
    signalling.set_environment("KINDPAKKET_CLOCK_OFFSET_DAYS", "30");
    signalling.start_again().await.unwrap();
    wait_listed(&kindpakket, REGIE, "?status=te-laat", due_later, true).await;
    let overdue = listed(&kindpakket, JEUGDFONDS, "?status=te-laat").await;
    assert!(has(&overdue, due_later));
    let before = signalling_events(&platform).await;
    let expired = kindpakket
        .post_anonymously(&short_url, &json!({"antwoord": "opgepakt"}))
        .await
        .unwrap();
    assert_dutch_refusal(&expired, StatusCode::GONE);
    assert!(expired.detail().contains("verlopen"), "{}", expired.body);
    assert_eq!(signalling_events(&platform).await, before);
    assert_eq!(
        regie_view(&kindpakket, short).await["status"],
        "doorverwezen"
    );
}
