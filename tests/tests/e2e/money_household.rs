//! Gezinstegoed (docs/money.md §1): a household budget granted once for the qualifying children of
//! an application, spent by any of them (each spending naming the child), never overspent when the
//! children spend at the same moment, split over its funders to the cent in the ledger, expired at
//! the year end with what was not used, and refused to a child of another household with nothing
//! changed.

use kindpakket_tests::{this_year, this_year_on};
use std::collections::BTreeMap;
use std::time::Duration;

use kindpakket_tests::client::{provision, Kindpakket, REGIE};
use kindpakket_tests::{Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use super::settlement::{partner, publish, AUDITOR};

const CLUB: &str = "sportclub-gezin";

/// A household applies (dated in 2025) for all its `children` (id, birth year); the regeling
/// decides. Returns the decision.
async fn apply(
    kindpakket: &Kindpakket,
    gemeente: &str,
    household: Uuid,
    children: &[(Uuid, i32)],
) -> Value {
    apply_on(kindpakket, gemeente, household, children, "2025-03-01").await
}

async fn apply_on(
    kindpakket: &Kindpakket,
    gemeente: &str,
    household: Uuid,
    children: &[(Uuid, i32)],
    date: &str,
) -> Value {
    let children: Vec<Value> = children
        .iter()
        .map(|(child, year)| json!({"kind": child, "geboortejaar": year, "geboortemaand": 3}))
        .collect();
    let application = kindpakket
        .submit(
            gemeente,
            &json!({
                "kanaal": "loket",
                "huishouden": household,
                "kinderen": children,
                "inkomenPercentage": 110,
                "voorzieningen": [],
                "datum": date,
            }),
        )
        .await
        .unwrap();
    let decided = kindpakket
        .assess(gemeente, application, &json!({}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(decided["status"], "toegekend", "{decided}");
    decided
}

async fn as_regie(kindpakket: &Kindpakket, gemeente: &str, entitlement: Uuid) -> Value {
    let url = kindpakket.provision_url(gemeente, &format!("rechten/{entitlement}"));
    kindpakket_tests::wait_until(
        "regie sees the entitlement",
        Duration::from_secs(20),
        || async {
            let answer = kindpakket.get(&url, Some(REGIE)).await?;
            kindpakket_tests::when(answer.status == StatusCode::OK, answer.body)
        },
    )
    .await
    .unwrap()
}

/// A delivery in kind by the club, naming the child (`kind`) as the club knows it, if at all.
async fn deliver(
    kindpakket: &Kindpakket,
    gemeente: &str,
    entitlement: Uuid,
    child: Option<&str>,
    amount_cents: i64,
) -> kindpakket_tests::client::Answer {
    let own = kindpakket.partner_entitlement(CLUB, entitlement).unwrap();
    let mut body = json!({"vorm": "in_natura", "bedragCent": amount_cents, "datum": "2025-06-01"});
    if let Some(child) = child {
        body["kind"] = json!(child);
    }
    kindpakket
        .post(
            &kindpakket.provision_url(gemeente, &format!("rechten/{own}/verstrekkingen")),
            partner(CLUB),
            &body,
        )
        .await
        .unwrap()
}

fn assert_not_in_household(answer: &kindpakket_tests::client::Answer) {
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{answer:?}"
    );
    assert_eq!(answer.content_type, "application/problem+json");
    assert!(
        answer
            .detail()
            .contains("Dit kind hoort niet bij dit gezinstegoed."),
        "{}",
        answer.detail()
    );
}

/// GET as the parent whose login names `household`.
async fn get_as_parent(
    kindpakket: &Kindpakket,
    url: &str,
    gemeente: &str,
    household: Uuid,
) -> (StatusCode, Value) {
    let token =
        kindpakket
            .issuer
            .mint_for_household("ouder", &[gemeente], &household.to_string(), 3600);
    let response = kindpakket
        .http
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_household_budget_is_shared_by_its_children_never_overspent_and_refused_to_others() {
    const G: &str = "GM0221";
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    let mut budget = provision(
        "gezinstegoed",
        "Gezinstegoed",
        "maatschappelijke_participatie",
        (0, 17),
        15_000,
        "in_natura",
    );
    budget["perHuishouden"] = json!(true);
    budget["financiers"] =
        json!([{"organisatie": "gemeente-gezin", "bron": "gemeentelijke_fondsen"}]);
    budget["medefinanciering"] = json!({"organisatie": "leergeld-gezin", "bron": "externe_fondsen", "aandeelPercentage": 33});
    let regeling = |budget: Value| {
        json!({
            "jaar": 2025, "geldigVanaf": "2025-01-01", "geldigTot": "2025-12-31",
            "inkomensgrens": {"soort": "percentage", "percentage": 120},
            "voorzieningen": [budget],
        })
    };

    // A household budget counted in strips is refused, in Dutch, naming the field; nothing stored.
    let regie_events = platform.events_stored(ServiceName::Regie).await;
    let mut strips = budget.clone();
    strips["aantal"] = json!(10);
    let refused = kindpakket
        .post(
            &kindpakket.regie_url(G, "regelingen"),
            REGIE,
            &regeling(strips),
        )
        .await
        .unwrap();
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{refused:?}"
    );
    assert!(
        refused.detail().contains("gezinstegoed") && refused.detail().contains("'aantal'"),
        "{}",
        refused.detail()
    );
    assert_eq!(
        platform.events_stored(ServiceName::Regie).await,
        regie_events
    );

    publish(&kindpakket, G, regeling(budget)).await;
    kindpakket
        .enrol_partner(G, CLUB, "Sportclub Gezin", &["gezinstegoed"])
        .await
        .unwrap();

    // A household with three children (7, 10 and 14) applies and is granted one budget of €150.
    let household = Uuid::new_v4();
    let children = [Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4()];
    let decided = apply(
        &kindpakket,
        G,
        household,
        &[
            (children[0], 2018),
            (children[1], 2015),
            (children[2], 2011),
        ],
    )
    .await;
    let rights = decided["rechten"].as_array().unwrap();
    assert_eq!(rights.len(), 1, "one budget for the household: {decided}");
    assert_eq!(rights[0]["bedragCent"], 15_000);
    let names: Vec<String> = children.iter().map(Uuid::to_string).collect();
    assert_eq!(rights[0]["gezinskinderen"], json!(names), "{decided}");
    let shared = Uuid::parse_str(rights[0]["id"].as_str().unwrap()).unwrap();
    let opened = as_regie(&kindpakket, G, shared).await;
    assert_eq!(
        (&opened["bedragCent"], &opened["kind"], &opened["kinderen"]),
        (&json!(15_000), &json!(names[0]), &json!(names)),
        "{opened}"
    );

    // Another household with one child: a budget of its own.
    let other_household = Uuid::new_v4();
    let stranger = Uuid::new_v4();
    let decided = apply(&kindpakket, G, other_household, &[(stranger, 2016)]).await;
    let other = Uuid::parse_str(decided["rechten"][0]["id"].as_str().unwrap()).unwrap();
    as_regie(&kindpakket, G, other).await;

    // The club sees the budget with the three children under its own references.
    let seen = kindpakket
        .wait_for_entitlement(G, CLUB, shared, Duration::from_secs(20))
        .await
        .unwrap();
    let club_refs: Vec<String> = children
        .iter()
        .map(|child| kindpakket.child_reference(CLUB, *child).unwrap())
        .collect();
    assert_eq!(seen["kinderen"], json!(club_refs), "{seen}");
    assert!(
        !seen.to_string().contains(&names[1]),
        "a partner never sees the gemeente's ids"
    );
    kindpakket
        .wait_for_entitlement(G, CLUB, other, Duration::from_secs(20))
        .await
        .unwrap();

    // Attacks: a child of another household (as the club knows it), a made-up reference, the
    // gemeente's own id of a child of the household (a partner names children by its own
    // references only): each a Dutch 422, and nothing recorded.
    let stored = platform.events_stored(ServiceName::Provision).await;
    let stranger_ref = kindpakket.child_reference(CLUB, stranger).unwrap();
    for named in [
        stranger_ref.as_str(),
        "kind-dat-niet-bestaat",
        names[1].as_str(),
    ] {
        assert_not_in_household(&deliver(&kindpakket, G, shared, Some(named), 1_000).await);
    }
    // Regie declares for the household by the gemeente's ids: a child of another household is
    // refused by the entitlement itself.
    let declare = |entitlement: Uuid, child: String| {
        let kindpakket = kindpakket.clone();
        async move {
            kindpakket
                .post(
                    &kindpakket.provision_url(G, &format!("rechten/{entitlement}/declaraties")),
                    REGIE,
                    &json!({"bedragCent": 1_000, "bewijs": "bon 1", "datum": "2025-06-01", "kind": child}),
                )
                .await
                .unwrap()
        }
    };
    assert_not_in_household(&declare(shared, stranger.to_string()).await);
    assert_not_in_household(&declare(shared, Uuid::new_v4().to_string()).await);
    // A child's own entitlement takes no other child either.
    assert_not_in_household(&declare(other, names[0].clone()).await);
    assert_eq!(
        platform.events_stored(ServiceName::Provision).await,
        stored,
        "nothing recorded"
    );
    assert_eq!(as_regie(&kindpakket, G, shared).await["restCent"], 15_000);

    // Two children spend at the same moment: twenty deliveries of €10 against €150. A till whose
    // request met another at the same moment ("probeer het opnieuw") tries again with the same id.
    let own = kindpakket.partner_entitlement(CLUB, shared).unwrap();
    let deliveries = kindpakket.provision_url(G, &format!("rechten/{own}/verstrekkingen"));
    let mut requests = Vec::new();
    for attempt in 0..20 {
        let kindpakket = kindpakket.clone();
        let url = deliveries.clone();
        let body = json!({
            "id": Uuid::new_v4(), "vorm": "in_natura", "bedragCent": 1_000,
            "datum": "2025-06-01", "kind": club_refs[attempt % 2],
        });
        requests.push(tokio::spawn(async move {
            loop {
                let answer = kindpakket.post(&url, partner(CLUB), &body).await.unwrap();
                if !answer.detail().contains("op hetzelfde moment") {
                    return answer;
                }
            }
        }));
    }
    let mut answers = Vec::new();
    for request in requests {
        answers.push(request.await.unwrap());
    }
    let won = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .count();
    assert_eq!(won, 15, "exactly €150 fits: {answers:?}");
    for lost in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        assert_eq!(lost.status, StatusCode::CONFLICT, "{lost:?}");
        assert!(
            lost.detail()
                .contains("hoger dan wat er op dit recht over is"),
            "{}",
            lost.detail()
        );
    }
    let spent = as_regie(&kindpakket, G, shared).await;
    assert_eq!(
        (&spent["restCent"], &spent["besteedCent"]),
        (&json!(0), &json!(15_000))
    );

    // The other household spends €40 of its €150.
    assert_eq!(
        deliver(&kindpakket, G, other, Some(&stranger_ref), 4_000)
            .await
            .status,
        StatusCode::CREATED
    );

    // The club invoices the year: every delivery names the child that spent.
    let invoice = kindpakket
        .post(
            &kindpakket.provision_url(G, "facturen"),
            partner(CLUB),
            &json!({"vanaf": "2025-01-01", "tot": "2025-12-31"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let lines = invoice["regels"].as_array().unwrap();
    assert_eq!(
        (lines.len(), &invoice["totaalCent"]),
        (16, &json!(19_000)),
        "{invoice}"
    );
    let mut per_child: BTreeMap<String, i64> = BTreeMap::new();
    for line in lines {
        *per_child
            .entry(line["kind"].as_str().unwrap_or("?").to_owned())
            .or_default() += line["bedragCent"].as_i64().unwrap();
    }
    let shared_by: i64 = club_refs[..2]
        .iter()
        .map(|r| per_child.get(r).copied().unwrap_or(0))
        .sum();
    assert_eq!(
        shared_by, 15_000,
        "the two children spent the budget: {per_child:?}"
    );
    assert!(
        per_child.get(&club_refs[0]).is_some_and(|c| *c > 0),
        "{per_child:?}"
    );
    assert!(
        per_child.get(&club_refs[1]).is_some_and(|c| *c > 0),
        "{per_child:?}"
    );
    // Regie approves every line; the ledger splits every €10 as 670 + 330 cents.
    let decisions: Vec<Value> = lines
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
            &json!({"regels": decisions}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let ledger = kindpakket
        .get(
            &kindpakket.provision_url(G, "grootboek/2025"),
            Some(AUDITOR),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let per_funder: BTreeMap<String, i64> = ledger["perFinancier"]
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
    assert_eq!(ledger["totaalCent"], 19_000, "{ledger}");
    assert_eq!(
        per_funder,
        BTreeMap::from([
            ("gemeente-gezin".to_owned(), 15 * 670 + 2_680),
            ("leergeld-gezin".to_owned(), 15 * 330 + 1_320),
        ]),
        "{ledger}"
    );

    // The parent sees the household budget with its children; the other household's parent not.
    let list = kindpakket.provision_url(G, "rechten");
    let (status, theirs) = get_as_parent(&kindpakket, &list, G, household).await;
    assert_eq!(status, StatusCode::OK, "{theirs}");
    let items = theirs["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{theirs}");
    assert_eq!(
        (
            &items[0]["id"],
            &items[0]["kinderen"],
            &items[0]["restCent"]
        ),
        (&json!(shared.to_string()), &json!(names), &json!(0)),
        "{theirs}"
    );
    let (_, others) = get_as_parent(&kindpakket, &list, G, other_household).await;
    assert!(
        !others.to_string().contains(&shared.to_string()),
        "{others}"
    );
    let (status, _) = get_as_parent(
        &kindpakket,
        &kindpakket.provision_url(G, &format!("rechten/{shared}")),
        G,
        other_household,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The year end: the spent budget expires with nothing unused, the other with €110.
    let closed = kindpakket
        .post(
            &kindpakket.provision_url(G, "jaarafsluiting"),
            REGIE,
            &json!({}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(closed["verlopenRechten"], 2, "{closed}");
    assert_eq!(
        as_regie(&kindpakket, G, shared).await["verlopen"]["ongebruiktCent"],
        0
    );
    assert_eq!(
        as_regie(&kindpakket, G, other).await["verlopen"]["ongebruiktCent"],
        11_000
    );

    // The dashboard counts the children who spent as served (the two of the household and the
    // child of the other household) and every child of a household budget as granted.
    let funnel = kindpakket
        .wait_for_funnel(G, Duration::from_secs(30), |f| f["bediend"] == 3)
        .await
        .unwrap();
    assert_eq!(
        (&funnel["toegekend"], &funnel["bediend"]),
        (&json!(4), &json!(3)),
        "{funnel}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgetting_one_child_leaves_the_household_budget_and_its_pass_to_the_others() {
    const G: &str = "GM0222";
    const SHOP: &str = "winkel-gezin";
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    let mut pass = provision(
        "gezinspas",
        "Gezinspas",
        "levensonderhoud",
        (0, 17),
        10_000,
        "tegoedbon",
    );
    pass["perHuishouden"] = json!(true);
    publish(
        &kindpakket,
        G,
        json!({
            "jaar": this_year(), "geldigVanaf": this_year_on("01-01"), "geldigTot": this_year_on("12-31"),
            "inkomensgrens": {"soort": "percentage", "percentage": 120},
            "voorzieningen": [pass],
        }),
    )
    .await;
    kindpakket
        .enrol_partner(G, SHOP, "Winkel Gezin", &["gezinspas"])
        .await
        .unwrap();
    // The first child is registered in the gemeente's vault (so that it can be forgotten).
    let first = kindpakket
        .register_child(G, "123456782", "Noor El Amrani")
        .await
        .unwrap();
    let (second, third) = (Uuid::new_v4(), Uuid::new_v4());
    let household = Uuid::new_v4();
    let decided = apply_on(
        &kindpakket,
        G,
        household,
        &[(first, 2016), (second, 2018), (third, 2020)],
        &this_year_on("03-01"),
    )
    .await;
    let budget = Uuid::parse_str(decided["rechten"][0]["id"].as_str().unwrap()).unwrap();
    let opened = as_regie(&kindpakket, G, budget).await;
    let code = opened["passen"][0]["code"].as_str().unwrap().to_owned();

    kindpakket
        .post(
            &kindpakket.application_url(G, &format!("personen/{first}/verwijdering")),
            REGIE,
            &json!({"reden": "verzoek van betrokkene (AVG art. 17)"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let url = kindpakket.provision_url(G, &format!("rechten/{budget}"));
    let remembered = json!([second.to_string(), third.to_string()]);
    let after = kindpakket_tests::wait_until(
        "the first child is forgotten in the budget",
        Duration::from_secs(30),
        || async {
            let view = kindpakket
                .get(&url, Some(REGIE))
                .await?
                .expect(StatusCode::OK)?;
            Ok((view["kinderen"] == remembered).then_some(view))
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (&after["kind"], &after["vergeten"], &after["restCent"]),
        (&json!(second.to_string()), &json!(false), &json!(10_000)),
        "{after}"
    );
    assert!(!after.to_string().contains(&first.to_string()), "{after}");
    // The parent's list is a read table the forgetting reaches a moment after the entitlement.
    let list = kindpakket_tests::wait_until(
        "the first child is forgotten in the parent's list",
        Duration::from_secs(30),
        || async {
            let (status, list) = get_as_parent(
                &kindpakket,
                &kindpakket.provision_url(G, "rechten"),
                G,
                household,
            )
            .await;
            Ok(
                (status == StatusCode::OK && list["items"][0]["kinderen"] == remembered)
                    .then_some(list),
            )
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (
            &list["items"][0]["kind"],
            &list["items"][0]["kinderen"],
            &list["items"][0]["vergeten"]
        ),
        (&json!(second.to_string()), &remembered, &json!(false)),
        "{list}"
    );

    // The pass still works for the others; the forgotten child spends nothing more.
    let stored = platform.events_stored(ServiceName::Provision).await;
    let forgotten_ref = kindpakket.child_reference(SHOP, first).unwrap();
    // The provision service learns of the shop's enrolment from the regie stream: on a loaded
    // machine it may not have yet (a refusal that changes nothing, so asked again).
    let refused = kindpakket_tests::wait_until(
        "the shop known to the provision service as enrolled",
        Duration::from_secs(30),
        || async {
            let answer = kindpakket
                .redeem(
                    G,
                    SHOP,
                    &code,
                    &json!({"bedragCent": 2_000, "kind": forgotten_ref}),
                )
                .await?;
            let not_yet = answer.status == StatusCode::FORBIDDEN
                && answer.detail().contains("niet ingeschreven");
            Ok((!not_yet).then_some(answer))
        },
    )
    .await
    .unwrap();
    assert_eq!(refused.status, StatusCode::CONFLICT, "{refused:?}");
    assert!(
        refused.detail().contains("vergeten"),
        "{}",
        refused.detail()
    );
    assert_eq!(platform.events_stored(ServiceName::Provision).await, stored);
    let redeemed = kindpakket
        .redeem(G, SHOP, &code, &json!({"bedragCent": 2_000}))
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    assert_eq!(redeemed["saldoCent"], 8_000, "{redeemed}");
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
    assert_eq!(
        invoice["regels"][0]["kind"],
        json!(kindpakket.child_reference(SHOP, second).unwrap()),
        "without a child named, the first child still remembered spent: {invoice}"
    );
}
