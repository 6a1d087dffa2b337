//! Reclaims after a sample check (`docs/money.md`, §4), against the real services: declarations
//! approved and paid by a gemeente and a co-funder, a sample drawn at 100%, two checked not in
//! order and one in order; regie reclaims from the household and from the partner. The ledger shows
//! each funder's part back as a negative entry to the cent, the budgets' spent drops by it, the
//! partner's statement lists what is reclaimed from it, the dashboard counts the reclaims and their
//! amount. A reclaim of a declaration in order, of more than was paid, from a partner for a parent's
//! receipt, of one not drawn, or by a partner or the auditor is refused and changes nothing; parallel
//! reclaims never recover more than was paid.

use kindpakket_tests::{this_year, this_year_on};
use std::collections::BTreeMap;
use std::time::Duration;

use kindpakket_tests::client::{provision, Kindpakket, REGIE};
use kindpakket_tests::{Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use super::settlement::{granted, partner, publish, wait_opened, AUDITOR};

const G: &str = "GM0855";
const PARTNER: &str = "leergeld-tilburg";

fn detail(answer: &kindpakket_tests::client::Answer) -> &str {
    answer.detail()
}

/// Per funder, what this year's ledger says it paid (net of reclaims), and the reclaim entries.
async fn ledger(kindpakket: &Kindpakket) -> (BTreeMap<String, i64>, Vec<Value>) {
    let ledger = kindpakket
        .get(
            &kindpakket.provision_url(G, &format!("grootboek/{}", this_year())),
            Some(AUDITOR),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let per_funder = ledger["perFinancier"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["organisatie"].as_str().unwrap().to_owned(),
                f["bedragCent"].as_i64().unwrap(),
            )
        })
        .collect();
    let reclaims = ledger["boekingen"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["soort"] == "terugvordering")
        .cloned()
        .collect();
    (per_funder, reclaims)
}

/// What each budget (by source) says was spent.
async fn spent(kindpakket: &Kindpakket) -> BTreeMap<String, i64> {
    let budgets = kindpakket
        .get(
            &kindpakket.provision_url(G, &format!("budgetten/{}", this_year())),
            Some(REGIE),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    budgets["regelingen"][0]["budgetten"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["bron"].as_str().unwrap().to_owned(),
                b["besteedCent"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reclaim_after_a_sample_check_returns_each_funders_part_to_the_cent_and_nothing_more() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    let mut receipts = provision(
        "schoolspullen",
        "Schoolspullen",
        "school",
        (4, 17),
        60_000,
        "declaratie",
    );
    receipts["financiers"] =
        json!([{"organisatie": "gemeente-tilburg", "bron": "gemeentelijke_fondsen"}]);
    receipts["medefinanciering"] =
        json!({"organisatie": PARTNER, "bron": "externe_fondsen", "aandeelPercentage": 33});
    publish(
        &kindpakket,
        G,
        json!({
            "jaar": this_year(), "geldigVanaf": this_year_on("01-01"), "geldigTot": this_year_on("12-31"),
            "inkomensgrens": {"soort": "percentage", "percentage": 120},
            "steekproefPercentage": 100,
            "voorzieningen": [receipts],
            "budgetten": [
                {"type": "school", "bron": "gemeentelijke_fondsen", "bedragCent": 200_000},
                {"type": "school", "bron": "externe_fondsen", "bedragCent": 100_000},
            ],
        }),
    )
    .await;
    kindpakket
        .enrol_partner(G, PARTNER, "Stichting Leergeld Tilburg", &["schoolspullen"])
        .await
        .unwrap();
    let mut rights = Vec::new();
    for _ in 0..3 {
        let right = granted(&kindpakket, G, &["schoolspullen"]).await["schoolspullen"];
        wait_opened(&kindpakket, G, right).await;
        rights.push(right);
    }
    kindpakket
        .wait_for_entitlement(G, PARTNER, rights[0], Duration::from_secs(20))
        .await
        .unwrap();
    // Leergeld declares for two children; the loket declares a parent's receipt for the third.
    let mut declarations = Vec::new();
    for (i, (right, cents)) in rights.iter().zip([10_001, 3_333, 5_000]).enumerate() {
        let (who, shown) = if i == 1 {
            (REGIE, *right)
        } else {
            (
                partner(PARTNER),
                kindpakket.partner_entitlement(PARTNER, *right).unwrap(),
            )
        };
        let body = kindpakket
            .post(
                &kindpakket.provision_url(G, &format!("rechten/{shown}/declaraties")),
                who,
                &json!({"bedragCent": cents, "bewijs": "kassabon", "datum": this_year_on("03-10")}),
            )
            .await
            .unwrap()
            .expect(StatusCode::CREATED)
            .unwrap();
        let declaration = Uuid::parse_str(body["declaratie"].as_str().unwrap()).unwrap();
        kindpakket
            .post(
                &kindpakket.provision_url(
                    G,
                    &format!("rechten/{right}/declaraties/{declaration}/beoordeling"),
                ),
                REGIE,
                &json!({"goedgekeurd": true}),
            )
            .await
            .unwrap()
            .expect(StatusCode::OK)
            .unwrap();
        declarations.push(declaration);
    }
    let (wanting, parents, in_order) = (declarations[0], declarations[1], declarations[2]);

    // Drawn at 100%, checked: two not in order, one in order.
    let drawn = kindpakket
        .post(
            &kindpakket.provision_url(G, "steekproeven"),
            REGIE,
            &json!({"vanaf": this_year_on("03-01"), "tot": this_year_on("03-31"), "zaad": 11}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    assert_eq!(drawn["getrokken"].as_array().unwrap().len(), 3, "{drawn}");
    let draw = drawn["id"].as_str().unwrap().to_owned();
    for (declaration, outcome) in [
        (wanting, "niet_in_orde"),
        (parents, "niet_in_orde"),
        (in_order, "in_orde"),
    ] {
        kindpakket
            .post(
                &kindpakket.provision_url(G, &format!("steekproeven/{draw}/controles")),
                AUDITOR,
                &json!({"declaratie": declaration, "uitkomst": outcome, "toelichting": "De bon hoort bij iets anders."}),
            )
            .await
            .unwrap()
            .expect(StatusCode::CREATED)
            .unwrap();
    }
    // Paid before any reclaim: 10 001 + 3 333 + 5 000, the co-funder 33% of each (rounded down).
    let (paid, none) = ledger(&kindpakket).await;
    assert!(none.is_empty());
    assert_eq!(
        paid,
        BTreeMap::from([
            ("gemeente-tilburg".to_owned(), 6_701 + 2_234 + 3_350),
            (PARTNER.to_owned(), 3_300 + 1_099 + 1_650),
        ])
    );
    assert_eq!(
        spent(&kindpakket).await,
        BTreeMap::from([
            ("gemeentelijke_fondsen".to_owned(), 12_285),
            ("externe_fondsen".to_owned(), 6_049),
        ])
    );

    let reclaims = kindpakket.provision_url(G, &format!("steekproeven/{draw}/terugvorderingen"));
    let reclaim = |body: Value| {
        let kindpakket = kindpakket.clone();
        let reclaims = reclaims.clone();
        async move { kindpakket.post(&reclaims, REGIE, &body).await.unwrap() }
    };
    // Refused in Dutch, naming the field, and nothing changes.
    let events_before = platform.events_stored(ServiceName::Provision).await;
    let refusals = [
        (
            json!({"declaratieId": in_order, "van": "huishouden", "bedragCents": 100}),
            "niet in orde was",
        ),
        (
            json!({"declaratieId": wanting, "van": "huishouden", "bedragCents": 10_002}),
            "(10001 cent)",
        ),
        (
            json!({"declaratieId": wanting, "van": "huishouden", "bedragCents": 0}),
            "groter zijn dan 0",
        ),
        (
            json!({"declaratieId": Uuid::new_v4(), "van": "huishouden", "bedragCents": 100}),
            "niet getrokken",
        ),
        (
            json!({"declaratieId": parents, "van": "partner", "bedragCents": 100}),
            "niet door een partner ingediend",
        ),
    ];
    for (body, words) in refusals {
        let answer = reclaim(body.clone()).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {answer:?}"
        );
        assert!(
            detail(&answer).contains(words),
            "{words} in {}",
            detail(&answer)
        );
    }
    let unknown_from =
        reclaim(json!({"declaratieId": wanting, "van": "gemeente", "bedragCents": 1})).await;
    assert_eq!(unknown_from.status, StatusCode::BAD_REQUEST);
    assert!(detail(&unknown_from).contains("'van'"), "{unknown_from:?}");
    // Neither the partner nor the auditor decides a reclaim.
    for who in [partner(PARTNER), AUDITOR] {
        let answer = kindpakket
            .post(
                &reclaims,
                who,
                &json!({"declaratieId": wanting, "van": "huishouden", "bedragCents": 100}),
            )
            .await
            .unwrap();
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{answer:?}");
    }
    assert_eq!(
        platform.events_stored(ServiceName::Provision).await,
        events_before,
        "nothing was recorded"
    );
    assert_eq!(ledger(&kindpakket).await.0, paid, "the ledger is unchanged");

    // From the household: 6 001 of the 10 001, split as the approval was (33% rounded down).
    let id = Uuid::new_v4();
    let body = json!({"declaratieId": wanting, "van": "huishouden", "bedragCents": 6_001, "terugvorderingId": id});
    let decided = reclaim(body.clone())
        .await
        .expect(StatusCode::CREATED)
        .unwrap();
    assert_eq!(
        decided["terugvorderingen"][0]["financiering"],
        json!([
            {"organisatie": "gemeente-tilburg", "bron": "gemeentelijke_fondsen", "bedragCent": 4_021},
            {"organisatie": PARTNER, "bron": "externe_fondsen", "bedragCent": 1_980},
        ]),
        "{decided}"
    );
    // The same request again records nothing new.
    let again = reclaim(body).await.expect(StatusCode::CREATED).unwrap();
    assert_eq!(again["terugvorderingen"].as_array().unwrap().len(), 1);
    // From the partner that submitted it: 1 000 more; then only 3 000 is left.
    reclaim(json!({"declaratieId": wanting, "van": "partner", "bedragCents": 1_000}))
        .await
        .expect(StatusCode::CREATED)
        .unwrap();
    let above =
        reclaim(json!({"declaratieId": wanting, "van": "huishouden", "bedragCents": 3_001})).await;
    assert_eq!(above.status, StatusCode::UNPROCESSABLE_ENTITY, "{above:?}");
    assert!(detail(&above).contains("(3000 cent)"), "{}", detail(&above));

    // Four reclaims of 2 000 of the parent's 3 333 at the same moment: one is recorded.
    let mut parallel = Vec::new();
    for _ in 0..4 {
        let reclaim =
            reclaim(json!({"declaratieId": parents, "van": "huishouden", "bedragCents": 2_000}));
        parallel.push(tokio::spawn(reclaim));
    }
    let mut recorded = 0;
    for answer in parallel {
        let answer = answer.await.unwrap();
        match answer.status {
            StatusCode::CREATED => recorded += 1,
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT => {}
            other => panic!("{other}: {answer:?}"),
        }
    }
    let sample = kindpakket
        .get(
            &kindpakket.provision_url(G, &format!("steekproeven/{draw}")),
            Some(AUDITOR),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let of_parents: i64 = sample["terugvorderingen"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["declaratie"] == parents.to_string())
        .map(|r| r["bedragCent"].as_i64().unwrap())
        .sum();
    assert!(recorded >= 1, "one of them is recorded");
    assert_eq!(of_parents, 2_000, "never more than was paid: {sample}");
    let parents_drawn = sample["getrokken"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["declaratie"] == parents.to_string())
        .unwrap()
        .clone();
    assert_eq!(parents_drawn["teruggevorderdCent"], 2_000);

    // The ledger: each funder's part back, as negative entries, to the cent.
    let (net, entries) = ledger(&kindpakket).await;
    let mut back: Vec<(String, i64)> = entries
        .iter()
        .map(|e| {
            (
                e["financier"].as_str().unwrap().to_owned(),
                e["bedragCent"].as_i64().unwrap(),
            )
        })
        .collect();
    back.sort();
    assert_eq!(
        back,
        vec![
            ("gemeente-tilburg".to_owned(), -4_021),
            ("gemeente-tilburg".to_owned(), -1_340),
            ("gemeente-tilburg".to_owned(), -670),
            (PARTNER.to_owned(), -1_980),
            (PARTNER.to_owned(), -660),
            (PARTNER.to_owned(), -330),
        ]
    );
    assert_eq!(
        net,
        BTreeMap::from([
            ("gemeente-tilburg".to_owned(), 12_285 - 4_021 - 670 - 1_340),
            (PARTNER.to_owned(), 6_049 - 1_980 - 330 - 660),
        ])
    );
    // The budgets count what was spent minus what was reclaimed.
    assert_eq!(
        spent(&kindpakket).await,
        BTreeMap::from([
            ("gemeentelijke_fondsen".to_owned(), 12_285 - 6_031),
            ("externe_fondsen".to_owned(), 6_049 - 2_970),
        ])
    );
    // The partner's statement of the quarter lists what is reclaimed from it, not from a family.
    let today = kindpakket_platform::clock::today();
    let quarter = (u8::from(today.month()) - 1) / 3 + 1;
    let statement = kindpakket
        .get(
            &kindpakket.provision_url(
                G,
                &format!("partners/{PARTNER}/afrekeningen/{}/{quarter}", today.year()),
            ),
            Some(partner(PARTNER)),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let from_partner: Vec<i64> = statement["regels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|line| line["soort"] == "terugvordering")
        .map(|line| {
            assert_eq!(line["teruggevorderdVan"], "partner", "{line}");
            line["bedragCent"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(from_partner.iter().sum::<i64>(), -1_000, "{statement}");

    // The dashboard counts the reclaims and what they recover.
    kindpakket
        .wait_for_funnel(G, Duration::from_secs(20), |f| {
            f["terugvorderingen"]["aantal"] == 3
                && f["terugvorderingen"]["bedragCent"] == 6_001 + 1_000 + 2_000
        })
        .await
        .unwrap();
}
