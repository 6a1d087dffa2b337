//! A standing discount (korting, docs/money.md §2) across the real services: regie agrees 50% (at
//! most €30 a purchase) with a sports shop for a discount provision; the child's pass gets discounts
//! at the till until its entitlement is used up; the shop invoices the discounts, regie approves,
//! and the ledger and budgets count exactly what was given. A shop without an agreement, a shop not
//! enrolled, a wrong code and bad input are refused and change nothing; purchases at the same
//! moment never give more than the entitlement.

use kindpakket_tests::{this_year, this_year_on};
use std::collections::BTreeMap;
use std::time::Duration;

use kindpakket_tests::client::{provision, Answer, Kindpakket, REGIE};
use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use super::settlement::{partner, publish, AUDITOR};

const G: &str = "GM0344";
const SHOP: &str = "sportwinkel-centrum";
const OTHER_SHOP: &str = "sportwinkel-noord";
const NOT_ENROLLED: &str = "sportwinkel-zuid";

fn assert_problem(answer: &Answer, status: StatusCode, words: &str) {
    assert_eq!(answer.status, status, "{answer:?}");
    assert_eq!(
        answer.content_type, "application/problem+json",
        "{answer:?}"
    );
    assert!(
        answer.detail().contains(words),
        "expected '{words}' in: {}",
        answer.detail()
    );
}

/// One child granted `provisions` by the regeling; the entitlement ids by provision.
async fn granted(kindpakket: &Kindpakket, provisions: &[&str]) -> BTreeMap<String, Uuid> {
    let application = kindpakket
        .submit(
            G,
            &json!({
                "kanaal": "loket",
                "huishouden": Uuid::new_v4(),
                "kinderen": [{"kind": Uuid::new_v4(), "geboortejaar": 2015, "geboortemaand": 5}],
                "inkomenPercentage": 110,
                "voorzieningen": provisions,
                "datum": this_year_on("02-01"),
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
    decided["rechten"]
        .as_array()
        .unwrap()
        .iter()
        .map(|right| {
            (
                right["voorziening"].as_str().unwrap().to_owned(),
                Uuid::parse_str(right["id"].as_str().unwrap()).unwrap(),
            )
        })
        .collect()
}

/// The entitlement as regie sees it, once opened.
async fn opened(kindpakket: &Kindpakket, entitlement: Uuid) -> Value {
    let url = kindpakket.provision_url(G, &format!("rechten/{entitlement}"));
    wait_until(
        "the entitlement opened",
        Duration::from_secs(20),
        || async {
            let answer = kindpakket.get(&url, Some(REGIE)).await?;
            when(answer.status == StatusCode::OK, answer.body)
        },
    )
    .await
    .unwrap()
}

/// A purchase at `shop`'s till: the pass code, the full price, and the till's own id.
async fn purchase(
    kindpakket: &Kindpakket,
    shop: &str,
    code: &str,
    full_price_cents: i64,
    id: Uuid,
) -> Answer {
    kindpakket
        .post(
            &kindpakket.provision_url(G, "kortingen"),
            partner(shop),
            &json!({"id": id, "code": code, "volledigePrijsCents": full_price_cents}),
        )
        .await
        .unwrap()
}

fn discount_url(kindpakket: &Kindpakket, shop: &str, provision: &str) -> String {
    kindpakket.regie_url(G, &format!("partners/{shop}/kortingen/{provision}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standing_discount_is_given_at_the_till_until_the_entitlement_is_used_up_and_invoiced_to_the_cent(
) {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    let mut sport_discount = provision(
        "sportkorting",
        "Korting op sportkleding",
        "maatschappelijke_participatie",
        (4, 17),
        10_000,
        "korting",
    );
    sport_discount["financiers"] =
        json!([{"organisatie": "gemeente-utrecht", "bron": "gemeentelijke_fondsen"}]);
    publish(
        &kindpakket,
        G,
        json!({
            "jaar": this_year(), "geldigVanaf": this_year_on("01-01"), "geldigTot": this_year_on("12-31"),
            "inkomensgrens": {"soort": "percentage", "percentage": 120},
            "voorzieningen": [
                sport_discount,
                provision("sportcontributie", "Sportcontributie", "maatschappelijke_participatie", (4, 17), 25_000, "in_natura"),
            ],
            "budgetten": [
                {"voorziening": "sportkorting", "bron": "gemeentelijke_fondsen", "bedragCent": 50_000},
            ],
        }),
    )
    .await;
    for (shop, name) in [
        (SHOP, "Sportwinkel Centrum"),
        (OTHER_SHOP, "Sportwinkel Noord"),
    ] {
        kindpakket
            .enrol_partner(G, shop, name, &["sportkorting", "sportcontributie"])
            .await
            .unwrap();
    }

    // Regie's bad agreements are refused in Dutch, naming the field, and store nothing.
    let regie_events = platform.events_stored(ServiceName::Regie).await;
    let url = discount_url(&kindpakket, SHOP, "sportkorting");
    for (body, words) in [
        (json!({"percentage": 0}), "'percentage'"),
        (json!({"percentage": 101}), "'percentage'"),
        (
            json!({"percentage": 50, "maximumPerAankoopCents": 0}),
            "'maximumPerAankoopCents'",
        ),
        (
            json!({"percentage": 50, "maximumPerAankoopCents": -100}),
            "'maximumPerAankoopCents'",
        ),
    ] {
        let refused = kindpakket.put(&url, REGIE, &body).await.unwrap();
        assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, words);
    }
    // Not for a provision in kind, not with a partner that is not enrolled for it or at all.
    assert_problem(
        &kindpakket
            .put(
                &discount_url(&kindpakket, SHOP, "sportcontributie"),
                REGIE,
                &json!({"percentage": 50}),
            )
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "niet de vorm 'korting'",
    );
    assert_problem(
        &kindpakket
            .put(
                &discount_url(&kindpakket, NOT_ENROLLED, "sportkorting"),
                REGIE,
                &json!({"percentage": 50}),
            )
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "niet ingeschreven",
    );
    // A partner cannot agree its own discount.
    assert_eq!(
        kindpakket
            .put(&url, partner(SHOP), &json!({"percentage": 100}))
            .await
            .unwrap()
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        platform.events_stored(ServiceName::Regie).await,
        regie_events
    );

    // 50%, at most €30 a purchase. The same terms again change nothing.
    let terms = json!({"percentage": 50, "maximumPerAankoopCents": 3_000});
    let agreed = kindpakket
        .put(&url, REGIE, &terms)
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        (
            &agreed["partner"],
            &agreed["voorziening"],
            &agreed["percentage"],
            &agreed["maximumPerAankoopCents"]
        ),
        (
            &json!(SHOP),
            &json!("sportkorting"),
            &json!(50),
            &json!(3_000)
        )
    );
    let after_agreement = platform.events_stored(ServiceName::Regie).await;
    kindpakket
        .put(&url, REGIE, &terms)
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        platform.events_stored(ServiceName::Regie).await,
        after_agreement
    );
    // Regie, the auditor and the shop itself read it; another shop reads none of it.
    let list = kindpakket.regie_url(G, &format!("partners/{SHOP}/kortingen"));
    for who in [REGIE, AUDITOR, partner(SHOP)] {
        let listed = kindpakket
            .get(&list, Some(who))
            .await
            .unwrap()
            .expect(StatusCode::OK)
            .unwrap();
        assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
        assert_eq!(listed["items"][0]["percentage"], 50);
    }
    assert_problem(
        &kindpakket
            .get(&list, Some(partner(OTHER_SHOP)))
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
        "eigen kortingen",
    );

    // The child's discount right opens with a pass, which the family shows at the till.
    let right = granted(&kindpakket, &["sportkorting"]).await["sportkorting"];
    let entitlement = opened(&kindpakket, right).await;
    assert_eq!(entitlement["vorm"], "korting", "{entitlement}");
    let code = entitlement["passen"][0]["code"]
        .as_str()
        .expect("a discount right has a pass")
        .to_owned();

    // €80: 50% is €40, capped at €30 a purchase; the holder pays €50. Retried (the same id): given
    // once. The agreement travels to the provision service on the regie stream.
    let first = Uuid::new_v4();
    let given = wait_until("the shop gives a discount", Duration::from_secs(20), || {
        let kindpakket = kindpakket.clone();
        let code = code.clone();
        async move {
            let answer = purchase(&kindpakket, SHOP, &code, 8_000, first).await;
            when(answer.status == StatusCode::CREATED, answer.body)
        }
    })
    .await
    .unwrap();
    assert_eq!(
        (
            &given["volledigePrijsCents"],
            &given["kortingCents"],
            &given["teBetalenCents"],
            &given["saldoCent"]
        ),
        (&json!(8_000), &json!(3_000), &json!(5_000), &json!(7_000)),
        "{given}"
    );
    let again = purchase(&kindpakket, SHOP, &code, 8_000, first)
        .await
        .expect(StatusCode::CREATED)
        .unwrap();
    assert_eq!(
        (&again["kortingCents"], &again["saldoCent"]),
        (&json!(3_000), &json!(7_000))
    );

    // Another enrolled shop without an agreement, a shop not enrolled, a wrong code, a bad price,
    // and a discount typed as an amount: refused, and nothing is spent.
    let provision_events = platform.events_stored(ServiceName::Provision).await;
    assert_problem(
        &purchase(&kindpakket, OTHER_SHOP, &code, 8_000, Uuid::new_v4()).await,
        StatusCode::FORBIDDEN,
        "geen korting afgesproken",
    );
    assert_problem(
        &purchase(&kindpakket, NOT_ENROLLED, &code, 8_000, Uuid::new_v4()).await,
        StatusCode::FORBIDDEN,
        "niet ingeschreven",
    );
    let wrong = purchase(&kindpakket, SHOP, "AAAA-BBBB-CCCC", 8_000, Uuid::new_v4()).await;
    assert_problem(&wrong, StatusCode::NOT_FOUND, "pascode is onbekend");
    assert!(!wrong.detail().contains("AAAA"));
    for price in [0, -8_000] {
        assert_problem(
            &purchase(&kindpakket, SHOP, &code, price, Uuid::new_v4()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "'volledigePrijsCents'",
        );
    }
    let own = kindpakket.partner_entitlement(SHOP, right).unwrap();
    let typed = kindpakket
        .post(
            &kindpakket.provision_url(G, &format!("rechten/{own}/verstrekkingen")),
            partner(SHOP),
            &json!({"vorm": "korting", "bedragCent": 10_000, "volledigePrijsCent": 10_000}),
        )
        .await
        .unwrap();
    assert_problem(&typed, StatusCode::UNPROCESSABLE_ENTITY, "aan de kassa");
    let redeemed = kindpakket
        .redeem(G, OTHER_SHOP, &code, &json!({"bedragCent": 7_000}))
        .await
        .unwrap();
    assert_problem(&redeemed, StatusCode::UNPROCESSABLE_ENTITY, "aan de kassa");
    assert_eq!(
        platform.events_stored(ServiceName::Provision).await,
        provision_events
    );
    assert_eq!(opened(&kindpakket, right).await["restCent"], 7_000);

    // €100 → €30; €30 → €15; €100 → the €25 that is left: €100 of discount in all. Then the
    // discount credit is used up.
    for (price, discount, left) in [
        (10_000, 3_000, 4_000),
        (3_000, 1_500, 2_500),
        (10_000, 2_500, 0),
    ] {
        let given = purchase(&kindpakket, SHOP, &code, price, Uuid::new_v4())
            .await
            .expect(StatusCode::CREATED)
            .unwrap();
        assert_eq!(
            (
                &given["kortingCents"],
                &given["teBetalenCents"],
                &given["saldoCent"]
            ),
            (&json!(discount), &json!(price - discount), &json!(left)),
            "{given}"
        );
    }
    assert_problem(
        &purchase(&kindpakket, SHOP, &code, 2_000, Uuid::new_v4()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Het kortingstegoed van dit kind is op.",
    );

    // A second child: six purchases of €100 at the same moment never give more than its €100.
    let second = granted(&kindpakket, &["sportkorting"]).await["sportkorting"];
    let second_code = opened(&kindpakket, second).await["passen"][0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let attempts = (0..6).map(|_| {
        let kindpakket = kindpakket.clone();
        let code = second_code.clone();
        tokio::spawn(
            async move { purchase(&kindpakket, SHOP, &code, 10_000, Uuid::new_v4()).await },
        )
    });
    let mut concurrent_cents = 0;
    for attempt in attempts {
        let answer = attempt.await.unwrap();
        match answer.status {
            StatusCode::CREATED => {
                concurrent_cents += answer.body["kortingCents"].as_i64().unwrap()
            }
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}: {answer:?}"),
        }
    }
    let second_now = opened(&kindpakket, second).await;
    assert!(concurrent_cents <= 10_000, "{concurrent_cents}");
    assert_eq!(
        second_now["restCent"],
        10_000 - concurrent_cents,
        "{second_now}"
    );

    // A blocked pass gets no discount, and nothing is spent.
    let pass_id = second_now["passen"][0]["id"].as_str().unwrap().to_owned();
    kindpakket
        .post(
            &kindpakket.provision_url(G, &format!("rechten/{second}/passen/{pass_id}/blokkering")),
            REGIE,
            &json!({}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let provision_events = platform.events_stored(ServiceName::Provision).await;
    assert_problem(
        &purchase(&kindpakket, SHOP, &second_code, 1_000, Uuid::new_v4()).await,
        StatusCode::CONFLICT,
        "geblokkeerd",
    );
    assert_eq!(
        platform.events_stored(ServiceName::Provision).await,
        provision_events
    );

    // Regie ends the agreement: from then on the shop gives no discount.
    kindpakket
        .delete(&url, REGIE)
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let listed = kindpakket
        .get(&list, Some(REGIE))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert!(listed["items"].as_array().unwrap().is_empty(), "{listed}");
    assert_problem(
        &kindpakket.delete(&url, REGIE).await.unwrap(),
        StatusCode::NOT_FOUND,
        "geen korting afgesproken",
    );
    wait_until(
        "the agreement ended at the till",
        Duration::from_secs(20),
        || {
            let kindpakket = kindpakket.clone();
            let code = second_code.clone();
            async move {
                let answer = purchase(&kindpakket, SHOP, &code, 100, Uuid::new_v4()).await;
                assert_ne!(answer.status, StatusCode::CREATED, "{answer:?}");
                when(answer.status == StatusCode::FORBIDDEN, ())
            }
        },
    )
    .await
    .unwrap();

    // The shop invoices its discounts: one line per discount, the discount as the amount.
    let expected = 10_000 + concurrent_cents;
    let invoice = kindpakket
        .post(
            &kindpakket.provision_url(G, "facturen"),
            partner(SHOP),
            &json!({"vanaf": this_year_on("01-01"), "tot": this_year_on("12-31")}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let lines = invoice["regels"].as_array().unwrap();
    assert_eq!(invoice["totaalCent"], expected, "{invoice}");
    let mut amounts: Vec<i64> = lines
        .iter()
        .filter(|line| line["recht"] == json!(own))
        .map(|line| line["bedragCent"].as_i64().unwrap())
        .collect();
    amounts.sort_unstable();
    assert_eq!(amounts, vec![1_500, 2_500, 3_000, 3_000]);
    let decision: Vec<Value> = lines
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
            &json!({"regels": decision}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();

    // The ledger and the budget count exactly the discounts given.
    let ledger = kindpakket
        .get(
            &kindpakket.provision_url(G, &format!("grootboek/{}", this_year())),
            Some(AUDITOR),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(ledger["totaalCent"], expected, "{ledger}");
    let budgets = kindpakket
        .get(
            &kindpakket.provision_url(G, &format!("budgetten/{}", this_year())),
            Some(REGIE),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let budget = budgets["regelingen"][0]["budgetten"]
        .as_array()
        .unwrap()
        .iter()
        .find(|budget| budget["voorziening"] == "sportkorting")
        .unwrap()
        .clone();
    assert_eq!(
        (&budget["vastgelegdCent"], &budget["besteedCent"]),
        (&json!(20_000), &json!(expected)),
        "{budget}"
    );
}
