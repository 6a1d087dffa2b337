//! Decisions by the regeling, across the real services: a samenwerkingsverband's regeling applies in
//! each of its gemeenten, maatwerk grants what the rules refuse, bad requests change nothing, and a
//! decision can be reproduced from the application service's own store while the household's key
//! lives.

use std::time::Duration;

use kindpakket_application::domain::application::ApplicationEvent as StoredEvent;
use kindpakket_application::domain::eligibility;
use kindpakket_proto::application::ApplicationEvent;
use kindpakket_proto::regie::RegieEvent;
use kindpakket_proto::Service;
use kindpakket_tests::client::{provision, REGIE};
use kindpakket_tests::inspect::stream_messages;
use kindpakket_tests::{wait_until, when, Platform};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

/// Bedum, De Marne, Eemsmond and Winsum: one regeling for the four (study, §3.3).
const GRONINGEN: [&str; 4] = ["GM0005", "GM1663", "GM1651", "GM0053"];

fn family(income_percent: u16, child: Uuid, requested: &[&str]) -> serde_json::Value {
    json!({
        "kanaal": "loket",
        "huishouden": Uuid::new_v4(),
        "kinderen": [{"kind": child, "geboortejaar": 2016, "geboortemaand": 2}],
        "inkomenPercentage": income_percent,
        "voorzieningen": requested,
        "datum": "2026-10-01",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_samenwerkingsverband_regeling_decides_in_each_member_gemeente_and_is_reproducible_from_the_streams(
) {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    let fashioncheque = provision(
        "fashioncheque",
        "Fashioncheque",
        "levensonderhoud",
        (0, 17),
        10_000,
        "tegoedbon",
    );
    // The regievoerder of the samenwerkingsverband acts for all four members.
    let published = kindpakket
        .post_for(
            &kindpakket.regie_url("GM0053", "regelingen"),
            REGIE,
            &GRONINGEN,
            &json!({
                "jaar": 2026, "geldigVanaf": "2026-01-01", "geldigTot": "2026-12-31",
                "gemeenten": GRONINGEN,
                "inkomensgrens": {"soort": "percentage", "percentage": 110},
                "glijdendeSchaal": [{"totPercentage": 120, "aandeelPercentage": 50}],
                "voorzieningen": [fashioncheque, provision("sportcontributie", "Sportcontributie", "maatschappelijke_participatie", (4, 17), 25_000, "in_natura")],
            }),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let regeling_id = published["id"].as_str().unwrap().to_owned();

    // Winsum alone cannot get a second regeling for the same days; a version for 2027 is fine.
    let winsum_alone = |year: i32, from: &str, until: &str| {
        json!({
            "jaar": year, "geldigVanaf": from, "geldigTot": until,
            "inkomensgrens": {"soort": "percentage", "percentage": 120},
            "voorzieningen": [provision("fiets", "Fiets", "vervoer", (12, 17), 15_000, "in_natura")],
        })
    };
    let overlapping = kindpakket
        .post(
            &kindpakket.regie_url("GM0053", "regelingen"),
            REGIE,
            &winsum_alone(2026, "2026-07-01", "2027-06-30"),
        )
        .await
        .unwrap();
    assert_eq!(
        overlapping.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        overlapping.body
    );
    assert!(
        overlapping
            .detail()
            .contains("overlapt in een van haar gemeenten"),
        "{}",
        overlapping.detail()
    );
    kindpakket
        .post(
            &kindpakket.regie_url("GM0053", "regelingen"),
            REGIE,
            &winsum_alone(2027, "2027-01-01", "2027-12-31"),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();

    // A family in Winsum at 115%: half of the fashioncheque, by the sliding scale.
    let child = Uuid::new_v4();
    let winsum = kindpakket
        .submit("GM0053", &family(115, child, &["fashioncheque"]))
        .await
        .unwrap();
    let decided = kindpakket
        .assess("GM0053", winsum, &json!({}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(decided["status"], "toegekend", "{decided}");
    assert_eq!(decided["rechten"][0]["bedragCent"], 5_000);
    let outcome = &decided["beoordeling"]["uitkomsten"][0];
    assert_eq!(outcome["reden"], "sliding_scale");
    assert!(
        outcome["uitleg"]
            .as_str()
            .unwrap()
            .contains("50% van Fashioncheque"),
        "{outcome}"
    );
    assert_eq!(decided["beoordeling"]["regeling"], regeling_id.as_str());

    // The same regeling holds in De Marne; a family at 125% is above the scale and is told why.
    let de_marne = kindpakket
        .submit("GM1663", &family(125, Uuid::new_v4(), &["fashioncheque"]))
        .await
        .unwrap();
    let refused = kindpakket
        .assess("GM1663", de_marne, &json!({}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(refused["status"], "afgewezen", "{refused}");
    let explanation = refused["beoordeling"]["uitkomsten"][0]["uitleg"]
        .as_str()
        .unwrap();
    assert!(
        explanation.contains("Uw inkomen is 125% van het sociaal minimum. De grens is 110%."),
        "{explanation}"
    );

    // Reproduce the Winsum decision from the application service's own store, while the household's
    // key lives: the regeling version it records (from the regie stream), the application and the
    // inputs opened from their seal, the engine of today. The stream carries its codes only.
    let regie = stream_messages(&platform.nats.url(), Service::Regie)
        .await
        .unwrap();
    let regeling = regie
        .iter()
        .find_map(|(_, message)| {
            match serde_json::from_value::<RegieEvent>(message.event.clone()) {
                Ok(RegieEvent::RegelingPublished(regeling))
                    if regeling.regeling_id.to_string() == regeling_id =>
                {
                    Some(regeling)
                }
                _ => None,
            }
        })
        .expect("the regeling is on the regie stream");
    let stored = crate::forgetting_application::stored_application(&platform, winsum).await;
    let [StoredEvent::Submitted { application, .. }, StoredEvent::Granted(granted)] = &stored[..]
    else {
        panic!("expected a submission and a grant: {stored:?}");
    };
    let decision = granted
        .assessment
        .as_ref()
        .expect("the decision records how");
    assert_eq!(decision.regeling_id, regeling.regeling_id);
    let keys = crate::forgetting_application::application_keys(&platform).await;
    let inputs = keys
        .open(&application.inputs)
        .await
        .unwrap()
        .value()
        .unwrap();
    let details = keys.open(&decision.details).await.unwrap().value().unwrap();
    // No grant preceded it in these gemeenten (earlier grants are part of the input: budgets, never twice).
    let reproduced =
        eligibility::assess(&regeling, &application.submission(&inputs), None, &[]).unwrap();
    assert_eq!(decision.assessment(&details), reproduced);
    let published = wait_until(
        "the grant on the stream",
        Duration::from_secs(20),
        || async {
            let granted = stream_messages(&platform.nats.url(), Service::Application)
                .await?
                .into_iter()
                .filter(|(_, message)| message.envelope.aggregate_id == winsum.to_string())
                .find_map(|(_, message)| {
                    match serde_json::from_value::<ApplicationEvent>(message.event) {
                        Ok(ApplicationEvent::ApplicationGranted(granted)) => Some(granted),
                        _ => None,
                    }
                });
            Ok(granted)
        },
    )
    .await
    .unwrap();
    assert_eq!(published.assessment, Some(reproduced.contract(false)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maatwerk_grants_what_the_rules_refuse_and_bad_assessments_change_nothing() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket
        .publish_regeling(
            "GM0935",
            2026,
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

    // A family in debt restructuring at 135%: above the threshold of 120%.
    let child = Uuid::new_v4();
    let in_debt = kindpakket
        .submit("GM0935", &family(135, child, &["sportcontributie"]))
        .await
        .unwrap();

    // Asking for a provision that is not in the regeling: refused, nothing decided.
    let unknown = kindpakket
        .submit("GM0935", &family(100, Uuid::new_v4(), &["zwemles"]))
        .await
        .unwrap();
    let answer = kindpakket
        .assess("GM0935", unknown, &json!({}))
        .await
        .unwrap();
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        answer.body
    );
    assert!(
        answer
            .detail()
            .contains("'zwemles' staat niet in de regeling"),
        "{}",
        answer.detail()
    );

    // Maatwerk without a motivation: refused.
    let answer = kindpakket
        .assess(
            "GM0935",
            in_debt,
            &json!({"maatwerk": {"motivatie": " ", "toekenningen": [{"kind": child, "voorziening": "sportcontributie"}]}}),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.detail().contains("motivatie"), "{}", answer.detail());

    // Maatwerk by the gemeente, on Leergeld's advice after a home visit.
    let motivation = "Schuldhulpverlening; het netto besteedbaar inkomen is te laag (advies Stichting Leergeld na huisbezoek).";
    let decided = kindpakket
        .assess(
            "GM0935",
            in_debt,
            &json!({"maatwerk": {"motivatie": motivation, "toekenningen": [{"kind": child, "voorziening": "sportcontributie"}]}}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(decided["status"], "toegekend");
    assert_eq!(decided["beoordeling"]["maatwerkMotivatie"], motivation);
    assert_eq!(
        decided["beoordeling"]["uitkomsten"][0]["reden"],
        "custom_decision"
    );
    assert_eq!(decided["rechten"][0]["bedragCent"], 25_000);

    // Deciding again is a conflict, and the unknown-provision application is still undecided.
    let again = kindpakket
        .assess("GM0935", in_debt, &json!({}))
        .await
        .unwrap();
    assert_eq!(again.status, StatusCode::CONFLICT);
    let still_open = kindpakket
        .get(
            &kindpakket.application_url("GM0935", &format!("aanvragen/{unknown}")),
            Some(REGIE),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(still_open["status"], "ingediend");
    assert!(still_open["beoordeling"].is_null());

    // The entitlement was opened in the provision service, for the amount decided.
    let funnel = kindpakket
        .wait_for_funnel("GM0935", std::time::Duration::from_secs(15), |funnel| {
            funnel["toegekend"] == 1 && funnel["aangevraagd"] == 2
        })
        .await;
    assert!(
        funnel.is_ok(),
        "one child granted of two that applied: {funnel:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_decides_within_its_mandate_and_is_refused_outside_it() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket
        .publish_regeling(
            "GM0935",
            2026,
            &[
                provision(
                    "schoolspullen",
                    "Schoolspullen",
                    "school",
                    (4, 17),
                    7_500,
                    "tegoedbon",
                ),
                provision(
                    "sportcontributie",
                    "Sportcontributie",
                    "maatschappelijke_participatie",
                    (4, 17),
                    25_000,
                    "in_natura",
                ),
            ],
        )
        .await
        .unwrap();
    // Leergeld may decide on school supplies up to €100, without maatwerk.
    kindpakket
        .post(
            &kindpakket.regie_url("GM0935", "partners"),
            REGIE,
            &json!({
                "partner": "leergeld", "naam": "Stichting Leergeld Maastricht",
                "voorzieningen": ["schoolspullen", "sportcontributie"],
                "rollen": ["aanvragen_innemen", "besluiten", "verstrekken"],
                "mandaat": {"voorzieningen": ["schoolspullen"], "maximumBedragCent": 10_000, "maatwerkToegestaan": false},
            }),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    // A mandate without the role to decide is refused.
    let refused = kindpakket
        .post(
            &kindpakket.regie_url("GM0935", "partners"),
            REGIE,
            &json!({
                "partner": "jeugdfonds", "naam": "Jeugdfonds Sport & Cultuur", "voorzieningen": ["sportcontributie"],
                "rollen": ["verstrekken"],
                "mandaat": {"voorzieningen": ["sportcontributie"], "maximumBedragCent": 30_000, "maatwerkToegestaan": false},
            }),
        )
        .await
        .unwrap();
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);

    let leergeld = kindpakket_tests::client::As {
        organisation: "leergeld",
        role: "partner",
    };
    let decide_as_leergeld = |application: Uuid, body: serde_json::Value| {
        let url =
            kindpakket.application_url("GM0935", &format!("aanvragen/{application}/beoordeling"));
        let kindpakket = kindpakket.clone();
        async move {
            // The mandate reaches the application service through the regie stream.
            wait_until(
                "Leergeld's mandate known",
                Duration::from_secs(20),
                || async {
                    let answer = kindpakket.post(&url, leergeld, &body).await?;
                    let waiting = answer.detail().contains("geen mandaat")
                        || answer.detail().contains("geen regeling van kracht");
                    if waiting {
                        anyhow::bail!("{}", answer.body)
                    }
                    Ok(Some(answer))
                },
            )
            .await
            .unwrap()
        }
    };

    let school = kindpakket
        .submit("GM0935", &family(100, Uuid::new_v4(), &["schoolspullen"]))
        .await
        .unwrap();
    let decided = decide_as_leergeld(school, json!({})).await;
    assert_eq!(decided.status, StatusCode::OK, "{:?}", decided.body);
    assert_eq!(decided.body["status"], "toegekend");

    let sport = kindpakket
        .submit(
            "GM0935",
            &family(100, Uuid::new_v4(), &["sportcontributie"]),
        )
        .await
        .unwrap();
    let outside = decide_as_leergeld(sport, json!({})).await;
    assert_eq!(outside.status, StatusCode::FORBIDDEN, "{:?}", outside.body);
    assert!(
        outside
            .detail()
            .contains("buiten uw mandaat: u mag 'sportcontributie' niet toekennen"),
        "{}",
        outside.detail()
    );

    let child = Uuid::new_v4();
    let above = kindpakket
        .submit("GM0935", &family(140, child, &["schoolspullen"]))
        .await
        .unwrap();
    // Leergeld names the child by its own reference, as it reads it.
    let own_child = kindpakket.child_reference("leergeld", child).unwrap();
    let maatwerk = decide_as_leergeld(
        above,
        json!({"maatwerk": {"motivatie": "Hoge schulden.", "toekenningen": [{"kind": own_child, "voorziening": "schoolspullen"}]}}),
    )
    .await;
    assert_eq!(
        maatwerk.status,
        StatusCode::FORBIDDEN,
        "{:?}",
        maatwerk.body
    );
    assert!(
        maatwerk.detail().contains("geen maatwerk"),
        "{}",
        maatwerk.detail()
    );

    // Nothing was decided outside the mandate.
    for application in [sport, above] {
        let open = kindpakket
            .get(
                &kindpakket.application_url("GM0935", &format!("aanvragen/{application}")),
                Some(REGIE),
            )
            .await
            .unwrap()
            .expect(StatusCode::OK)
            .unwrap();
        assert_eq!(open["status"], "ingediend");
    }
    // A partner without any mandate may not decide at all.
    let stranger = kindpakket_tests::client::As {
        organisation: "kledingbank",
        role: "partner",
    };
    let answer = kindpakket
        .post(
            &kindpakket.application_url("GM0935", &format!("aanvragen/{sport}/beoordeling")),
            stranger,
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(
        answer.detail().contains("geen mandaat"),
        "{}",
        answer.detail()
    );
    // Nor read an application it did not take: to it, the application does not exist; the
    // mandated partner reads it.
    let url = kindpakket.application_url("GM0935", &format!("aanvragen/{sport}"));
    let hidden = kindpakket.get(&url, Some(stranger)).await.unwrap();
    assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{:?}", hidden.body);
    assert!(hidden.body.get("kinderen").is_none());
    let shown = kindpakket.get(&url, Some(leergeld)).await.unwrap();
    assert_eq!(shown.status, StatusCode::OK, "{:?}", shown.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jeugdfonds_pays_first_until_its_budget_is_spent_and_no_child_is_funded_twice() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    let mut sport = provision(
        "sportcontributie",
        "Sportcontributie",
        "maatschappelijke_participatie",
        (4, 17),
        25_000,
        "in_natura",
    );
    sport["financiers"] = json!([
        {"organisatie": "jeugdfonds-sport-cultuur", "bron": "externe_fondsen"},
        {"organisatie": "gemeente-heerlen", "bron": "gemeentelijke_fondsen"},
    ]);
    kindpakket
        .post(
            &kindpakket.regie_url("GM0917", "regelingen"),
            REGIE,
            &json!({
                "jaar": 2026, "geldigVanaf": "2026-01-01", "geldigTot": "2026-12-31",
                "inkomensgrens": {"soort": "percentage", "percentage": 120},
                "voorzieningen": [sport],
                "budgetten": [{"voorziening": "sportcontributie", "bron": "externe_fondsen", "bedragCent": 25_000}],
            }),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    // A budget for a provision that is not in the regeling is refused.
    let bad_budget = kindpakket
        .post(
            &kindpakket.regie_url("GM0917", "regelingen"),
            REGIE,
            &json!({
                "jaar": 2027, "geldigVanaf": "2027-01-01", "geldigTot": "2027-12-31",
                "inkomensgrens": {"soort": "percentage", "percentage": 120},
                "voorzieningen": [provision("fiets", "Fiets", "vervoer", (12, 17), 15_000, "in_natura")],
                "budgetten": [{"voorziening": "zwemles", "bron": "rijksmiddelen", "bedragCent": 100}],
            }),
        )
        .await
        .unwrap();
    assert_eq!(bad_budget.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad_budget.detail().contains("budget"),
        "{}",
        bad_budget.detail()
    );

    let funder_of =
        |decided: &serde_json::Value| decided["beoordeling"]["uitkomsten"][0]["financier"].clone();
    let first_child = Uuid::new_v4();
    let first = kindpakket
        .submit("GM0917", &family(100, first_child, &["sportcontributie"]))
        .await
        .unwrap();
    let decided = kindpakket
        .assess("GM0917", first, &json!({}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        funder_of(&decided)["organisatie"],
        "jeugdfonds-sport-cultuur",
        "{decided}"
    );

    let second = kindpakket
        .submit(
            "GM0917",
            &family(100, Uuid::new_v4(), &["sportcontributie"]),
        )
        .await
        .unwrap();
    let decided = kindpakket
        .assess("GM0917", second, &json!({}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        funder_of(&decided)["organisatie"],
        "gemeente-heerlen",
        "the fund's budget is spent: {decided}"
    );

    // The first child again, in a new application: refused, with the reason.
    let again = kindpakket
        .submit("GM0917", &family(100, first_child, &["sportcontributie"]))
        .await
        .unwrap();
    let decided = kindpakket
        .assess("GM0917", again, &json!({}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(decided["status"], "afgewezen", "{decided}");
    assert_eq!(
        decided["beoordeling"]["uitkomsten"][0]["reden"],
        "already_granted"
    );
    // And by hand: a conflict, nothing granted.
    let by_hand = kindpakket
        .submit("GM0917", &family(100, first_child, &["sportcontributie"]))
        .await
        .unwrap();
    let answer = kindpakket
        .post(
            &kindpakket.application_url("GM0917", &format!("aanvragen/{by_hand}/toekenning")),
            REGIE,
            &json!({"rechten": [{"kind": first_child, "voorziening": "sportcontributie", "bedragCent": 25_000, "geldigVanaf": "2026-01-01", "geldigTot": "2026-12-31"}]}),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, StatusCode::CONFLICT, "{:?}", answer.body);
    assert!(
        answer.detail().contains("niet twee keer vergoed"),
        "{}",
        answer.detail()
    );

    // The provision service knows who pays for each entitlement.
    let funnel = kindpakket
        .wait_for_funnel("GM0917", std::time::Duration::from_secs(15), |funnel| {
            funnel["toegekend"] == 2 && funnel["aangevraagd"] == 2
        })
        .await;
    assert!(
        funnel.is_ok(),
        "two children applied (one of them three times), both granted once: {funnel:?}"
    );
    let funders = wait_until(
        "two entitlements opened on the stream",
        Duration::from_secs(15),
        || async {
            let opened: Vec<String> = stream_messages(&platform.nats.url(), Service::Provision)
                .await?
                .into_iter()
                .filter(|(_, message)| message.envelope.event_type == "EntitlementOpened")
                .map(|(_, message)| {
                    message.event["funder"]["organisation"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned()
                })
                .collect();
            when(opened.len() == 2, opened)
        },
    )
    .await
    .unwrap();
    assert_eq!(funders.len(), 2);
    assert!(
        funders.contains(&"jeugdfonds-sport-cultuur".to_owned())
            && funders.contains(&"gemeente-heerlen".to_owned())
    );
}
