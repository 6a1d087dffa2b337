//! The partners' feed (docs/money.md §6) against the real services, on NATS with the users of
//! `deploy/nats/users.conf` (the provision service reads the signalling stream through a durable
//! consumer of its own): two partners in one gemeente, each serving other children, each reading
//! exactly the events that concern it — the entitlements it may see, its deliveries, its
//! declaration and its decision, its invoice's settlement, a referral routed to it — under its own
//! ids, the same its API calls answer; page by page with `na`, across a restart of the provision
//! service, every event once; a partner enrolled later gets the entitlements it may see from then
//! on; other gemeenten, other partners and other roles are refused; forgetting a child removes its
//! entries, and the retention sweep those past the retention period.

use std::collections::BTreeSet;
use std::time::Duration;

use kindpakket_tests::client::{provision, As, Kindpakket, REGIE};
use kindpakket_tests::{wait_until, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use super::forgetting_provision::granted_to;
use super::settlement::{partner, publish, AUDITOR};

const G: &str = "GM0599";
const OTHER: &str = "GM0363";
const A: &str = "leergeld-rotterdam";
const B: &str = "jeugdfonds-rotterdam";
const C: &str = "zwembad-zuid";
const WIJKTEAM: &str = "wijkteam-zuid";

async fn regeling(kindpakket: &Kindpakket, gemeente: &str) {
    publish(
        kindpakket,
        gemeente,
        json!({
            "jaar": 2026, "geldigVanaf": "2026-01-01", "geldigTot": "2026-12-31",
            "inkomensgrens": {"soort": "percentage", "percentage": 120},
            "voorzieningen": [
                provision("zwemles", "Zwemles", "maatschappelijke_participatie", (4, 17), 30_000, "in_natura"),
                provision("schoolspullen", "Schoolspullen", "school", (4, 17), 60_000, "declaratie"),
                provision("muziekles", "Muziekles", "maatschappelijke_participatie", (4, 17), 20_000, "in_natura"),
            ],
        }),
    )
    .await;
}

fn feed_url(kindpakket: &Kindpakket, gemeente: &str, query: &str) -> String {
    kindpakket.provision_url(gemeente, &format!("feed?{query}"))
}

/// One page of the feed, as `who` reads it.
async fn page(kindpakket: &Kindpakket, who: As<'_>, query: &str) -> Value {
    kindpakket
        .get(&feed_url(kindpakket, G, query), Some(who))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap()
}

/// The whole feed as `who` reads it (`query` names the partner for regie), page by page of `size`.
async fn all(kindpakket: &Kindpakket, who: As<'_>, query: &str, size: usize) -> Vec<Value> {
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let answer = page(kindpakket, who, &format!("na={after}&aantal={size}{query}")).await;
        let batch = answer["events"].as_array().unwrap().clone();
        assert!(batch.len() <= size, "{answer}");
        events.extend(batch);
        after = answer["volgende"].as_i64().unwrap();
        if answer["meer"] == false {
            return events;
        }
    }
}

/// Waits until `who`'s feed holds `count` events, and returns them.
async fn feed_of(kindpakket: &Kindpakket, who: As<'_>, count: usize) -> Vec<Value> {
    wait_until(
        &format!("{}'s feed holds {count} events", who.organisation),
        Duration::from_secs(40),
        || async {
            let events = all(kindpakket, who, "", 500).await;
            assert!(events.len() <= count, "more than {count}: {events:#?}");
            Ok((events.len() == count).then_some(events))
        },
    )
    .await
    .unwrap()
}

/// Waits until `who`'s feed is down to `count` events (after forgetting), and returns them.
async fn feed_shrunk_to(kindpakket: &Kindpakket, who: As<'_>, count: usize) -> Vec<Value> {
    wait_until(
        &format!("{}'s feed down to {count} events", who.organisation),
        Duration::from_secs(40),
        || async {
            let events = all(kindpakket, who, "", 500).await;
            Ok((events.len() == count).then_some(events))
        },
    )
    .await
    .unwrap()
}

fn types(events: &[Value]) -> Vec<String> {
    let mut types: Vec<String> = events
        .iter()
        .map(|event| event["type"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    types
}

fn ids(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|event| event["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Every entry is a CloudEvent 1.0 of the platform, in the order of its positions.
fn assert_cloud_events(events: &[Value]) {
    let mut last = 0;
    for event in events {
        assert_eq!(event["specversion"], "1.0", "{event}");
        assert_eq!(event["datacontenttype"], "application/json", "{event}");
        let source = event["source"].as_str().unwrap();
        assert!(
            source == format!("/kindpakket/{G}/provision")
                || source == format!("/kindpakket/{G}/signalling"),
            "{event}"
        );
        let kind = event["type"].as_str().unwrap();
        assert!(
            kind.starts_with("nl.kindpakket.") && kind.ends_with(".v1"),
            "{event}"
        );
        Uuid::parse_str(event["id"].as_str().unwrap()).unwrap();
        time::OffsetDateTime::parse(
            event["time"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert!(!event["subject"].as_str().unwrap().is_empty());
        assert!(event["data"].is_object(), "{event}");
        let position = event["positie"].as_i64().unwrap();
        assert!(position > last, "positions rise: {event}");
        last = position;
    }
}

/// What a partner's own API calls answer: its entitlements, by its own id, with its child reference.
async fn own_entitlements(kindpakket: &Kindpakket, who: &str) -> BTreeSet<(String, String)> {
    let listed = kindpakket
        .get(
            &kindpakket.provision_url(G, "rechten?aantal=200"),
            Some(partner(who)),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item["id"].as_str().unwrap().to_owned(),
                item["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn opened_in(events: &[Value]) -> BTreeSet<(String, String)> {
    events
        .iter()
        .filter(|event| event["type"] == "nl.kindpakket.entitlement_opened.v1")
        .map(|event| {
            (
                event["data"]["recht"].as_str().unwrap().to_owned(),
                event["data"]["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn invoice_and_settle(kindpakket: &Kindpakket, who: &str) {
    let invoice = kindpakket
        .post(
            &kindpakket.provision_url(G, "facturen"),
            partner(who),
            &json!({"vanaf": "2026-01-01", "tot": "2026-12-31"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let lines: Vec<Value> = invoice["regels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| json!({"verstrekking": line["verstrekking"], "goedgekeurd": true}))
        .collect();
    kindpakket
        .post(
            &kindpakket.provision_url(
                G,
                &format!("facturen/{}/beoordeling", invoice["id"].as_str().unwrap()),
            ),
            REGIE,
            &json!({ "regels": lines }),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_partner_reads_exactly_its_own_events_under_its_own_ids_once_across_a_restart() {
    let mut platform = Platform::start_with_nats_users()
        .await
        .expect("platform starts");
    let kindpakket = platform.client();
    regeling(&kindpakket, G).await;
    regeling(&kindpakket, OTHER).await;
    kindpakket
        .enrol_partner(
            G,
            A,
            "Stichting Leergeld Rotterdam",
            &["zwemles", "schoolspullen"],
        )
        .await
        .unwrap();
    kindpakket
        .enrol_partner(G, B, "Jeugdfonds Rotterdam", &["muziekles"])
        .await
        .unwrap();
    // Routed before the signaller is enrolled: once the signalling service knows the enrolment
    // (the signal below waits for it), it knows the route, earlier in regie's stream.
    kindpakket
        .set_routing(
            G,
            json!([{"voorzieningsoort": "maatschappelijke_participatie",
                    "naar": {"partner": A}, "reactietermijnWerkdagen": 5}]),
        )
        .await
        .unwrap();
    kindpakket
        .enrol_signaller(G, WIJKTEAM, "Wijkteam Zuid")
        .await
        .unwrap();

    // Child 1 is in the gemeente's vault (to be forgotten at the end); A serves children 1 and 3,
    // B child 2. Another gemeente has an entitlement of its own.
    let child1 = kindpakket
        .register_child(G, "123456782", "Noor El Amrani")
        .await
        .unwrap();
    let (child2, child3) = (Uuid::new_v4(), Uuid::new_v4());

    // The wijkteam signals child 1; the routing refers it to A, which picks it up.
    let signal = kindpakket
        .signal_child_referred(G, WIJKTEAM, child1, Some(A), "2026-02-01")
        .await
        .unwrap();
    kindpakket
        .post(
            &kindpakket.signalling_url(G, &format!("signaleringen/{signal}/acceptatie")),
            partner(A),
            &json!({}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();

    let rights1 = granted_to(&kindpakket, G, child1, &["zwemles", "schoolspullen"]).await;
    let rights2 = granted_to(&kindpakket, G, child2, &["muziekles"]).await;
    let rights3 = granted_to(&kindpakket, G, child3, &["zwemles"]).await;
    let foreign = granted_to(&kindpakket, OTHER, Uuid::new_v4(), &["zwemles"]).await;
    for (who, right) in [
        (A, rights1["zwemles"]),
        (A, rights1["schoolspullen"]),
        (B, rights2["muziekles"]),
        (A, rights3["zwemles"]),
    ] {
        kindpakket
            .wait_for_entitlement(G, who, right, Duration::from_secs(30))
            .await
            .unwrap();
    }

    // A delivers for children 1 and 3, B for child 2.
    let mut deliveries = BTreeSet::new();
    for (who, right, cents) in [
        (A, rights1["zwemles"], 10_000),
        (A, rights3["zwemles"], 5_000),
        (B, rights2["muziekles"], 8_000),
    ] {
        let delivered = kindpakket
            .deliver(G, who, right, cents, "2026-03-01")
            .await
            .unwrap()
            .expect(StatusCode::CREATED)
            .unwrap();
        deliveries.insert((who, delivered["verstrekking"].as_str().unwrap().to_owned()));
    }
    // A declares a receipt for child 1; regie approves it.
    let own_receipts = kindpakket
        .partner_entitlement(A, rights1["schoolspullen"])
        .unwrap();
    let declared = kindpakket
        .post(
            &kindpakket.provision_url(G, &format!("rechten/{own_receipts}/declaraties")),
            partner(A),
            &json!({"bedragCent": 2_500, "bewijs": "bon 17", "datum": "2026-03-02"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let declaration = declared["declaratie"].as_str().unwrap().to_owned();
    kindpakket
        .post(
            &kindpakket.provision_url(
                G,
                &format!(
                    "rechten/{}/declaraties/{declaration}/beoordeling",
                    rights1["schoolspullen"]
                ),
            ),
            REGIE,
            &json!({"goedgekeurd": true}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    // Both invoice the year; regie settles both.
    invoice_and_settle(&kindpakket, A).await;
    invoice_and_settle(&kindpakket, B).await;

    // A's feed: exactly its ten events.
    let a_events = feed_of(&kindpakket, partner(A), 10).await;
    assert_cloud_events(&a_events);
    assert_eq!(
        types(&a_events),
        [
            "nl.kindpakket.child_signalled.v1",
            "nl.kindpakket.declaration_decided.v1",
            "nl.kindpakket.declaration_submitted.v1",
            "nl.kindpakket.delivery_recorded.v1",
            "nl.kindpakket.delivery_recorded.v1",
            "nl.kindpakket.entitlement_opened.v1",
            "nl.kindpakket.entitlement_opened.v1",
            "nl.kindpakket.entitlement_opened.v1",
            "nl.kindpakket.invoice_settled.v1",
            "nl.kindpakket.signal_accepted.v1",
        ]
    );
    assert_eq!(
        ids(&a_events).iter().collect::<BTreeSet<_>>().len(),
        10,
        "each event once"
    );
    // Under A's own ids: the entitlements and children its own list shows it.
    assert_eq!(opened_in(&a_events), own_entitlements(&kindpakket, A).await);
    let a_child1 = kindpakket.child_reference(A, child1).unwrap();
    let a_child3 = kindpakket.child_reference(A, child3).unwrap();
    let referral = a_events
        .iter()
        .find(|event| event["type"] == "nl.kindpakket.child_signalled.v1")
        .unwrap();
    assert_eq!(referral["data"]["signalering"], signal.to_string());
    assert_eq!(referral["data"]["kind"], a_child1);
    assert_eq!(referral["data"]["signaleerder"], WIJKTEAM);
    assert_eq!(referral["subject"], format!("signaleringen/{signal}"));
    let fed_deliveries: BTreeSet<(&str, String)> = a_events
        .iter()
        .filter(|event| event["type"] == "nl.kindpakket.delivery_recorded.v1")
        .map(|event| (A, event["data"]["id"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        fed_deliveries,
        deliveries
            .iter()
            .filter(|(who, _)| *who == A)
            .cloned()
            .collect()
    );
    let decided = a_events
        .iter()
        .find(|event| event["type"] == "nl.kindpakket.declaration_decided.v1")
        .unwrap();
    assert_eq!(
        (
            decided["data"]["id"].as_str().unwrap(),
            decided["data"]["recht"].as_str().unwrap(),
            decided["data"]["kind"].as_str().unwrap(),
            decided["data"]["goedgekeurd"].as_bool(),
            decided["data"]["bedragCent"].as_i64(),
        ),
        (
            declaration.as_str(),
            own_receipts.to_string().as_str(),
            a_child1.as_str(),
            Some(true),
            Some(2_500)
        )
    );
    let settled = a_events
        .iter()
        .find(|event| event["type"] == "nl.kindpakket.invoice_settled.v1")
        .unwrap();
    assert_eq!(settled["data"]["regels"].as_array().unwrap().len(), 2);
    assert_eq!(settled["data"]["afgehandeld"], true);
    // Nothing of the gemeente's ids, nothing of B's.
    let a_text = serde_json::to_string(&a_events).unwrap();
    let b_child2 = kindpakket.child_reference(B, child2).unwrap();
    let b_right2 = kindpakket
        .partner_entitlement(B, rights2["muziekles"])
        .unwrap();
    for secret in [
        child1.to_string(),
        child2.to_string(),
        child3.to_string(),
        rights1["zwemles"].to_string(),
        rights3["zwemles"].to_string(),
        b_child2.clone(),
        b_right2.to_string(),
        "muziekles".to_owned(),
        B.to_owned(),
    ] {
        assert!(!a_text.contains(&secret), "A's feed holds {secret}");
    }
    assert!(a_text.contains(&a_child3));

    // B's feed: its three events, none of A's.
    let b_events = feed_of(&kindpakket, partner(B), 3).await;
    assert_cloud_events(&b_events);
    assert_eq!(
        types(&b_events),
        [
            "nl.kindpakket.delivery_recorded.v1",
            "nl.kindpakket.entitlement_opened.v1",
            "nl.kindpakket.invoice_settled.v1",
        ]
    );
    assert_eq!(opened_in(&b_events), own_entitlements(&kindpakket, B).await);
    let b_text = serde_json::to_string(&b_events).unwrap();
    assert!(b_text.contains(&b_child2));
    for secret in [
        a_child1.clone(),
        a_child3.clone(),
        signal.to_string(),
        declaration.clone(),
        "zwemles".to_owned(),
        child2.to_string(),
    ] {
        assert!(!b_text.contains(&secret), "B's feed holds {secret}");
    }
    for event_id in ids(&a_events) {
        assert!(!ids(&b_events).contains(&event_id));
    }

    // Regie and the auditor read A's feed as A reads it.
    for reader in [REGIE, AUDITOR] {
        let read = all(&kindpakket, reader, &format!("&partner={A}"), 500).await;
        assert_eq!(read, a_events, "{}", reader.role);
    }

    // Page by page with `na`: every event once, in order; past the end nothing, and the same
    // position to ask after.
    for size in [1, 3, 4] {
        assert_eq!(all(&kindpakket, partner(A), "", size).await, a_events);
    }
    let last = a_events.last().unwrap()["positie"].as_i64().unwrap();
    let end = page(&kindpakket, partner(A), &format!("na={last}")).await;
    assert_eq!(end, json!({"events": [], "volgende": last, "meer": false}));

    // A reads four events, then the provision service goes down. Meanwhile the wijkteam signals
    // another child (routed to A) and the gemeente grants another entitlement A may see; the
    // service comes back, A delivers on it, and A reads on from where it stopped.
    let first = page(&kindpakket, partner(A), "na=0&aantal=4").await;
    assert_eq!(first["meer"], true);
    let mut read: Vec<Value> = first["events"].as_array().unwrap().clone();
    let mut after = first["volgende"].as_i64().unwrap();
    platform.service_mut(ServiceName::Provision).kill();
    let child4 = Uuid::new_v4();
    let signal4 = kindpakket
        .signal_child_referred(G, WIJKTEAM, child4, Some(A), "2026-04-01")
        .await
        .unwrap();
    let child5 = Uuid::new_v4();
    let application = kindpakket
        .submit(
            G,
            &json!({
                "kanaal": "loket",
                "huishouden": Uuid::new_v4(),
                "kinderen": [{"kind": child5, "geboortejaar": 2016, "geboortemaand": 5}],
                "inkomenPercentage": 110,
                "voorzieningen": ["zwemles"],
                "datum": "2026-04-01",
            }),
        )
        .await
        .unwrap();
    let decided5 = kindpakket
        .assess(G, application, &json!({}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let right5 = Uuid::parse_str(decided5["rechten"][0]["id"].as_str().unwrap()).unwrap();
    platform
        .service_mut(ServiceName::Provision)
        .start_again()
        .await
        .unwrap();
    kindpakket
        .wait_for_entitlement(G, A, right5, Duration::from_secs(40))
        .await
        .unwrap();
    kindpakket
        .deliver(G, A, right5, 7_500, "2026-04-02")
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let everything = feed_of(&kindpakket, partner(A), 13).await;
    loop {
        let next = page(&kindpakket, partner(A), &format!("na={after}&aantal=2")).await;
        read.extend(next["events"].as_array().unwrap().iter().cloned());
        after = next["volgende"].as_i64().unwrap();
        if next["meer"] == false {
            break;
        }
    }
    assert_eq!(read, everything, "nothing missed, nothing doubled");
    assert_eq!(&everything[..10], &a_events[..], "what was read stays");
    let a_child4 = kindpakket.child_reference(A, child4).unwrap();
    assert!(everything[10..].iter().any(|event| {
        event["type"] == "nl.kindpakket.child_signalled.v1"
            && event["data"]["signalering"] == signal4.to_string()
            && event["data"]["kind"] == a_child4
    }));
    assert_eq!(
        opened_in(&everything),
        own_entitlements(&kindpakket, A).await
    );

    // A partner enrolled later for zwemles gets the zwemles entitlements it may see from now on,
    // under its own ids, and nothing else.
    kindpakket
        .enrol_partner(G, C, "Zwembad Zuid", &["zwemles"])
        .await
        .unwrap();
    let c_events = feed_of(&kindpakket, partner(C), 3).await;
    assert_eq!(types(&c_events), ["nl.kindpakket.entitlement_opened.v1"; 3]);
    assert_eq!(opened_in(&c_events), own_entitlements(&kindpakket, C).await);

    // Another gemeente: A's token for G only is refused there; a token for it reads nothing of G.
    let g_only = platform.issuer.mint(A, "partner", &[G], 300);
    let refused = platform
        .http()
        .get(feed_url(&kindpakket, OTHER, ""))
        .bearer_auth(&g_only)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let elsewhere = kindpakket
        .get(&feed_url(&kindpakket, OTHER, ""), Some(partner(A)))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        elsewhere,
        json!({"events": [], "volgende": 0, "meer": false})
    );
    let foreign_text = serde_json::to_string(&everything).unwrap();
    assert!(!foreign_text.contains(
        &kindpakket
            .partner_entitlement(A, foreign["zwemles"])
            .unwrap()
            .to_string()
    ));

    // Forgetting child 1 removes its entries from every feed, and only those.
    kindpakket
        .post(
            &kindpakket.application_url(G, &format!("personen/{child1}/verwijdering")),
            REGIE,
            &json!({"reden": "verzoek van betrokkene (AVG art. 17)"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    // Child 1's: the referral, its pickup, two entitlements, a delivery, the declaration and its
    // decision (7) for A; its zwemles for C.
    let remaining = feed_shrunk_to(&kindpakket, partner(A), 6).await;
    let c_remaining = feed_shrunk_to(&kindpakket, partner(C), 2).await;
    let kept: Vec<&Value> = everything
        .iter()
        .filter(|event| {
            let text = event.to_string();
            !text.contains(&a_child1) && !text.contains(&signal.to_string())
        })
        .collect();
    assert_eq!(remaining.iter().collect::<Vec<_>>(), kept);
    let a_text = serde_json::to_string(&remaining).unwrap();
    assert!(!a_text.contains(&a_child1));
    assert!(!a_text.contains(&declaration));
    let c_child1 = kindpakket.child_reference(C, child1).unwrap();
    assert!(!serde_json::to_string(&c_remaining)
        .unwrap()
        .contains(&c_child1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_is_refused_to_other_roles_other_partners_and_bad_positions_in_dutch() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    regeling(&kindpakket, G).await;
    kindpakket
        .enrol_partner(G, A, "Stichting Leergeld Rotterdam", &["zwemles"])
        .await
        .unwrap();
    kindpakket
        .enrol_partner(G, B, "Jeugdfonds Rotterdam", &["muziekles"])
        .await
        .unwrap();
    let right = granted_to(&kindpakket, G, Uuid::new_v4(), &["muziekles"]).await["muziekles"];
    kindpakket
        .wait_for_entitlement(G, B, right, Duration::from_secs(30))
        .await
        .unwrap();
    let b_events = feed_of(&kindpakket, partner(B), 1).await;
    let before = platform.events_stored_everywhere().await;

    // A partner naming another partner is refused, and reads nothing of it.
    let attack = kindpakket
        .get(
            &feed_url(&kindpakket, G, &format!("partner={B}")),
            Some(partner(A)),
        )
        .await
        .unwrap();
    assert_eq!(attack.status, StatusCode::FORBIDDEN, "{:?}", attack.body);
    assert_eq!(attack.content_type, "application/problem+json");
    assert!(
        attack.detail().contains("eigen feed"),
        "{}",
        attack.detail()
    );
    assert!(!attack
        .body
        .to_string()
        .contains(&b_events[0]["id"].as_str().unwrap()[..8]));
    // Naming itself is its own feed.
    let own = page(&kindpakket, partner(B), &format!("partner={B}")).await;
    assert_eq!(own["events"].as_array().unwrap().len(), 1);

    // Roles without a feed: a parent, a signaller, the overleg.
    for (organisation, role) in [
        ("ouder", "applicant"),
        (WIJKTEAM, "signaller"),
        ("kwartaaloverleg", "overleg_viewer"),
    ] {
        let token = if role == "applicant" {
            platform
                .issuer
                .mint_for_household(organisation, &[G], &Uuid::new_v4().to_string(), 300)
        } else {
            platform.issuer.mint(organisation, role, &[G], 300)
        };
        let answer = platform
            .http()
            .get(feed_url(&kindpakket, G, &format!("partner={B}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{role}");
        let text = answer.text().await.unwrap();
        assert!(!text.contains("events"), "{role}: {text}");
    }

    // Bad positions and counts: a Dutch 400 naming the parameter, never echoing the value.
    for (query, named) in [
        ("na=-1", "'na'"),
        ("na=twaalf", "'na'"),
        ("na=1.5", "'na'"),
        ("aantal=0", "'aantal'"),
        ("aantal=501", "'aantal'"),
        ("aantal=-5", "'aantal'"),
        ("aantal=veel", "'aantal'"),
        ("vanaf=3", "'vanaf'"),
    ] {
        let answer = kindpakket
            .get(&feed_url(&kindpakket, G, query), Some(partner(B)))
            .await
            .unwrap();
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(answer.content_type, "application/problem+json");
        assert!(
            answer.detail().contains(named),
            "{query}: {}",
            answer.detail()
        );
        let value = query.split('=').nth(1).unwrap();
        assert!(
            value.len() < 2 || !answer.detail().contains(value),
            "{query}: {}",
            answer.detail()
        );
    }
    // Regie must name the partner.
    let unnamed = kindpakket
        .get(&feed_url(&kindpakket, G, ""), Some(REGIE))
        .await
        .unwrap();
    assert_eq!(unnamed.status, StatusCode::BAD_REQUEST);
    assert!(
        unnamed.detail().contains("'partner'"),
        "{}",
        unnamed.detail()
    );

    // The largest page is allowed.
    page(&kindpakket, partner(B), "aantal=500").await;
    assert_eq!(
        platform.events_stored_everywhere().await,
        before,
        "nothing was stored"
    );
    // The OpenAPI document describes the feed and its data.
    let document: Value = platform
        .http()
        .get(platform.url(ServiceName::Provision, "/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = document.to_string();
    assert!(
        document["paths"]["/api/v1/gemeenten/{gemeente}/feed"]["get"].is_object(),
        "{text}"
    );
    for schema in [
        "CloudEvent",
        "FeedPage",
        "DeliveryData",
        "ReferralData",
        "SettlementData",
    ] {
        assert!(text.contains(schema), "{schema} is documented");
    }

    // Ten days on, with a retention of five days, the hourly sweep (also run at start) drops the
    // entry: the feed keeps nothing past the retention period.
    let provision = platform.service_mut(ServiceName::Provision);
    provision.kill();
    provision.set_environment("KINDPAKKET_CLOCK_OFFSET_DAYS", "10");
    provision.set_environment("KINDPAKKET_RETENTION_DAYS", "5");
    provision.start_again().await.unwrap();
    feed_shrunk_to(&kindpakket, partner(B), 0).await;
}
