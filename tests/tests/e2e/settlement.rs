//! Provision and settlement across the real services: passes and vouchers at the till (also two
//! partners on two instances at the same moment), declarations with a reproducible sample check,
//! invoices settled by regie, one ledger across funders that the partners' quarterly statements add
//! up to, budgets spent versus allocated, and the year end that feeds the dashboard's non-use.

use kindpakket_tests::{this_year, this_year_on};
use std::collections::BTreeMap;
use std::time::Duration;

use kindpakket_proto::provision::{draw_sample, ProvisionEvent};
use kindpakket_proto::Service;
use kindpakket_tests::client::{provision, As, Kindpakket, REGIE};
use kindpakket_tests::inspect::stream_messages;
use kindpakket_tests::{Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

pub(super) const AUDITOR: As<'static> = As {
    organisation: "gemeente-controller",
    role: "auditor",
};

pub(super) fn partner(organisation: &str) -> As<'_> {
    As {
        organisation,
        role: "partner",
    }
}

pub(super) async fn publish(kindpakket: &Kindpakket, gemeente: &str, body: Value) {
    kindpakket
        .post(&kindpakket.regie_url(gemeente, "regelingen"), REGIE, &body)
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
}

/// A family at 110% applies for `provisions` for one child of nine; the regeling decides. Returns the
/// entitlement ids by provision.
pub(super) async fn granted(
    kindpakket: &Kindpakket,
    gemeente: &str,
    provisions: &[&str],
) -> BTreeMap<String, Uuid> {
    let application = kindpakket
        .submit(
            gemeente,
            &json!({
                "kanaal": "loket",
                "huishouden": Uuid::new_v4(),
                "kinderen": [{"kind": Uuid::new_v4(), "geboortejaar": 2017, "geboortemaand": 2}],
                "inkomenPercentage": 110,
                "voorzieningen": provisions,
                "datum": this_year_on("02-01"),
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

/// The entitlement as regie sees it, once the provision service opened it.
pub(super) async fn wait_opened(
    kindpakket: &Kindpakket,
    gemeente: &str,
    entitlement: Uuid,
) -> Value {
    let url = kindpakket.provision_url(gemeente, &format!("rechten/{entitlement}"));
    for _ in 0..200 {
        let answer = kindpakket.get(&url, Some(REGIE)).await.unwrap();
        if answer.status == StatusCode::OK {
            return answer.body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("entitlement {entitlement} was not opened");
}

async fn entitlement(kindpakket: &Kindpakket, gemeente: &str, entitlement: Uuid) -> Value {
    kindpakket
        .get(
            &kindpakket.provision_url(gemeente, &format!("rechten/{entitlement}")),
            Some(REGIE),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap()
}

fn assert_dutch_problem(
    answer: &kindpakket_tests::client::Answer,
    status: StatusCode,
    words: &str,
) {
    assert_eq!(answer.status, status, "{answer:?}");
    assert_eq!(answer.content_type, "application/problem+json");
    assert!(
        answer.detail().contains(words),
        "expected '{words}' in: {}",
        answer.detail()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voucher_is_redeemed_once_when_two_partners_try_at_the_same_moment_on_two_instances() {
    const G: &str = "GM0150";
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    let mut strippenkaart = provision(
        "zwemles",
        "Zwemles (strippenkaart)",
        "maatschappelijke_participatie",
        (4, 17),
        5_000,
        "tegoedbon",
    );
    strippenkaart["aantal"] = json!(10);
    publish(
        &kindpakket,
        G,
        json!({
            "jaar": this_year(), "geldigVanaf": this_year_on("01-01"), "geldigTot": this_year_on("12-31"),
            "inkomensgrens": {"soort": "percentage", "percentage": 120},
            "voorzieningen": [
                provision("fashioncheque", "Fashioncheque", "levensonderhoud", (0, 17), 10_000, "tegoedbon"),
                strippenkaart,
            ],
        }),
    )
    .await;
    kindpakket
        .enrol_partner(G, "zwembad-de-scheg", "Zwembad De Scheg", &["zwemles"])
        .await
        .unwrap();
    for (shop, name) in [
        ("kledingwinkel-centrum", "Kledingwinkel Centrum"),
        ("kledingwinkel-noord", "Kledingwinkel Noord"),
    ] {
        kindpakket
            .enrol_partner(G, shop, name, &["fashioncheque"])
            .await
            .unwrap();
    }
    // Another gemeente, with a pass of its own.
    publish(
        &kindpakket,
        "GM0153",
        json!({
            "jaar": this_year(), "geldigVanaf": this_year_on("01-01"), "geldigTot": this_year_on("12-31"),
            "inkomensgrens": {"soort": "percentage", "percentage": 120},
            "voorzieningen": [provision("fashioncheque", "Fashioncheque", "levensonderhoud", (0, 17), 10_000, "tegoedbon")],
        }),
    )
    .await;

    let right = granted(&kindpakket, G, &["fashioncheque"]).await["fashioncheque"];
    let opened = wait_opened(&kindpakket, G, right).await;
    assert_eq!(opened["vorm"], "tegoedbon");
    let code = opened["passen"][0]["code"]
        .as_str()
        .expect("regie sees the code to hand it out")
        .to_owned();
    assert_eq!(opened["passen"][0]["laatsteTekens"], code[10..].to_owned());
    let foreign = granted(&kindpakket, "GM0153", &["fashioncheque"]).await["fashioncheque"];
    let foreign_code = wait_opened(&kindpakket, "GM0153", foreign).await["passen"][0]["code"]
        .as_str()
        .unwrap()
        .to_owned();

    // The shop checks the balance at the till, typing the code carelessly (in the body, never in the
    // URL); it never sees the full code. Its enrolment travels on the regie stream.
    let typed = code.to_lowercase().replace('-', "");
    let balance = kindpakket_tests::wait_until(
        "the shop finds the pass",
        Duration::from_secs(20),
        || async {
            let answer = kindpakket
                .pass_balance(G, partner("kledingwinkel-centrum"), &typed)
                .await?;
            kindpakket_tests::when(answer.status == StatusCode::OK, answer.body)
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (balance["saldoCent"].as_i64(), balance["status"].as_str()),
        (Some(10_000), Some("geldig"))
    );
    assert!(
        !balance.to_string().contains(&code),
        "a partner never reads the code back"
    );

    // Six redemptions of €60 against €100, at the same moment, on two instances, by two shops.
    let second = platform
        .another_instance(ServiceName::Provision)
        .await
        .unwrap();
    let bases = [
        platform.url(ServiceName::Provision, ""),
        second.base_url().to_owned(),
    ];
    let mut requests = Vec::new();
    for attempt in 0..6 {
        let url = format!("{}/api/v1/gemeenten/{G}/verzilveringen", bases[attempt % 2]);
        let shop = ["kledingwinkel-centrum", "kledingwinkel-noord"][attempt % 2];
        let kindpakket = kindpakket.clone();
        let body = json!({"code": code, "bedragCent": 6_000, "datum": this_year_on("03-02")});
        requests.push(tokio::spawn(async move {
            kindpakket.post(&url, partner(shop), &body).await.unwrap()
        }));
    }
    let mut answers = Vec::new();
    for request in requests {
        answers.push(request.await.unwrap());
    }
    let won: Vec<_> = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .collect();
    assert_eq!(won.len(), 1, "exactly one redemption fits: {answers:?}");
    assert_eq!(won[0].body["saldoCent"], 4_000);
    for lost in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        assert_dutch_problem(
            lost,
            StatusCode::CONFLICT,
            "hoger dan wat er op dit recht over is",
        );
    }

    // Bad redemptions: each a clear Dutch error, and nothing spent.
    let redeem = |code: String, shop: &'static str, cents: i64, date: String| {
        let kindpakket = kindpakket.clone();
        async move {
            kindpakket
                .redeem(G, shop, &code, &json!({"bedragCent": cents, "datum": date}))
                .await
                .unwrap()
        }
    };
    assert_dutch_problem(
        &redeem(
            "ZZZZ-ZZZZ-ZZZZ".into(),
            "kledingwinkel-centrum",
            100,
            this_year_on("03-03"),
        )
        .await,
        StatusCode::NOT_FOUND,
        "pascode is onbekend",
    );
    assert_dutch_problem(
        &redeem(
            foreign_code.clone(),
            "kledingwinkel-centrum",
            100,
            this_year_on("03-03"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "niet uitgegeven door deze gemeente",
    );
    assert_dutch_problem(
        &redeem(code.clone(), "boekhandel", 100, this_year_on("03-03")).await,
        StatusCode::FORBIDDEN,
        "niet ingeschreven",
    );
    assert_dutch_problem(
        &redeem(
            code.clone(),
            "kledingwinkel-noord",
            4_001,
            this_year_on("03-03"),
        )
        .await,
        StatusCode::CONFLICT,
        "4000 cent",
    );
    assert_dutch_problem(
        &redeem(
            code.clone(),
            "kledingwinkel-noord",
            100,
            format!("{}-01-02", this_year() + 1),
        )
        .await,
        StatusCode::CONFLICT,
        "verlopen",
    );

    // Lost: regie blocks the pass and issues a new one that carries the balance.
    let pass_id = opened["passen"][0]["id"].as_str().unwrap();
    let blocked = kindpakket
        .post(
            &kindpakket.provision_url(G, &format!("rechten/{right}/passen/{pass_id}/blokkering")),
            REGIE,
            &json!({"reden": "kwijtgeraakt", "nieuwePas": true}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let new_code = blocked["passen"][1]["code"].as_str().unwrap().to_owned();
    assert_ne!(new_code, code);
    // The shop reads that the pass is blocked, not why: the reason is regie's (sealed, issue 13).
    let refused = redeem(
        code.clone(),
        "kledingwinkel-centrum",
        100,
        this_year_on("04-01"),
    )
    .await;
    assert_dutch_problem(&refused, StatusCode::CONFLICT, "geblokkeerd");
    assert!(!refused.detail().contains("kwijtgeraakt"), "{refused:?}");
    assert_eq!(blocked["passen"][0]["geblokkeerd"]["reden"], "kwijtgeraakt");
    let partial = redeem(
        new_code.clone(),
        "kledingwinkel-centrum",
        1_000,
        this_year_on("04-01"),
    )
    .await;
    assert_eq!(partial.status, StatusCode::CREATED, "{partial:?}");
    assert_eq!(partial.body["saldoCent"], 3_000);

    // A strippenkaart of ten swimming lessons: spent in whole strips.
    let strips = granted(&kindpakket, G, &["zwemles"]).await["zwemles"];
    let strips_opened = wait_opened(&kindpakket, G, strips).await;
    assert_eq!(
        (
            strips_opened["stripwaardeCent"].as_i64(),
            strips_opened["restAantal"].as_i64()
        ),
        (Some(500), Some(10))
    );
    let strip_code = strips_opened["passen"][0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let strips_redeemed = |body: Value| {
        let kindpakket = kindpakket.clone();
        let strip_code = strip_code.clone();
        async move {
            kindpakket
                .redeem(G, "zwembad-de-scheg", &strip_code, &body)
                .await
                .unwrap()
        }
    };
    let mut used = None;
    for _ in 0..100 {
        let answer = strips_redeemed(json!({"aantal": 3, "datum": this_year_on("03-05")})).await;
        if answer.status != StatusCode::FORBIDDEN {
            used = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await; // the enrolment travels on the regie stream
    }
    let used = used.expect("the pool is enrolled in time");
    assert_eq!(used.status, StatusCode::CREATED, "{used:?}");
    assert_eq!(used.body["saldoAantal"], 7);
    assert_dutch_problem(
        &strips_redeemed(json!({"bedragCent": 700, "datum": this_year_on("03-06")})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "per hele strip van 500 cent",
    );
    assert_dutch_problem(
        &strips_redeemed(json!({"aantal": 8, "datum": this_year_on("03-06")})).await,
        StatusCode::CONFLICT,
        "3500 cent",
    );

    let state = entitlement(&kindpakket, G, right).await;
    assert_eq!(
        (state["besteedCent"].as_i64(), state["restCent"].as_i64()),
        (Some(7_000), Some(3_000))
    );
    assert_eq!(
        state["verzilveringen"], 2,
        "the refused redemptions spent nothing"
    );

    // Both children show as served on the dashboard. (Their year end runs after 2026-12-31; a year
    // end on a day to come is refused: security_provision.rs, which also checks the non-use figures.)
    kindpakket
        .wait_for_funnel(G, Duration::from_secs(20), |f| {
            f["bediend"] == 2 && f["toegekend"] == 2
        })
        .await
        .unwrap();

    // The stream never carries a pass code.
    let stream = stream_messages(&platform.nats.url(), Service::Provision)
        .await
        .unwrap();
    for (_, message) in &stream {
        assert!(
            !message.event.to_string().contains(&code[..9]),
            "a pass code leaked onto the stream"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declarations_hold_their_amount_and_the_sample_check_can_be_drawn_again_by_an_auditor() {
    const G: &str = "GM0344";
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    publish(
        &kindpakket,
        G,
        json!({
            "jaar": this_year(), "geldigVanaf": this_year_on("01-01"), "geldigTot": this_year_on("12-31"),
            "inkomensgrens": {"soort": "percentage", "percentage": 120},
            "steekproefPercentage": 25,
            "voorzieningen": [provision("schoolspullen", "Schoolspullen", "school", (4, 17), 60_000, "declaratie")],
        }),
    )
    .await;
    kindpakket
        .enrol_partner(
            G,
            "leergeld-utrecht",
            "Stichting Leergeld Utrecht",
            &["schoolspullen"],
        )
        .await
        .unwrap();

    let mut rights = Vec::new();
    for _ in 0..6 {
        let right = granted(&kindpakket, G, &["schoolspullen"]).await["schoolspullen"];
        wait_opened(&kindpakket, G, right).await;
        rights.push(right);
    }
    kindpakket
        .wait_for_entitlement(G, "leergeld-utrecht", rights[0], Duration::from_secs(20))
        .await
        .unwrap();
    let declare = |who: As<'static>, right: Uuid, cents: i64, proof: &'static str| {
        let kindpakket = kindpakket.clone();
        async move {
            // A partner names the entitlement by its own id; the gemeente's loket by the real one.
            let right = if who.role == "partner" {
                kindpakket
                    .partner_entitlement(who.organisation, right)
                    .unwrap()
            } else {
                right
            };
            kindpakket
                .post(
                    &kindpakket.provision_url(G, &format!("rechten/{right}/declaraties")),
                    who,
                    &json!({"bedragCent": cents, "bewijs": proof, "datum": this_year_on("03-10")}),
                )
                .await
                .unwrap()
        }
    };
    // Without proof: refused, nothing held.
    assert_dutch_problem(
        &declare(partner("leergeld-utrecht"), rights[0], 2_000, "").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bewijs nodig",
    );
    assert_eq!(
        entitlement(&kindpakket, G, rights[0]).await["gereserveerdCent"],
        0
    );

    // Leergeld declares small and large amounts; the loket submits two parents' receipts.
    let mut declarations = Vec::new();
    let amounts = [2_500, 4_000, 8_000, 12_000, 55_000, 3_000];
    for (right, cents) in rights.iter().zip(amounts) {
        let answer = declare(
            partner("leergeld-utrecht"),
            *right,
            cents,
            "kassabon 2026-0310",
        )
        .await;
        let body = answer.expect(StatusCode::CREATED).unwrap();
        declarations.push(Uuid::parse_str(body["declaratie"].as_str().unwrap()).unwrap());
    }
    for right in &rights[..2] {
        let body = declare(REGIE, *right, 1_500, "bon Hema 88812")
            .await
            .expect(StatusCode::CREATED)
            .unwrap();
        declarations.push(Uuid::parse_str(body["declaratie"].as_str().unwrap()).unwrap());
    }
    // Held amounts count: €550 + €15 is held on no right, but €550 on rights[4] leaves €50.
    assert_dutch_problem(
        &declare(partner("leergeld-utrecht"), rights[4], 5_001, "bon 2").await,
        StatusCode::CONFLICT,
        "5000 cent",
    );

    // Regie rejects one (with a reason) and approves the others: the rejected amount is free again.
    let decide = |right: Uuid, declaration: Uuid, body: Value| {
        let kindpakket = kindpakket.clone();
        async move {
            kindpakket
                .post(
                    &kindpakket.provision_url(
                        G,
                        &format!("rechten/{right}/declaraties/{declaration}/beoordeling"),
                    ),
                    REGIE,
                    &body,
                )
                .await
                .unwrap()
        }
    };
    assert_dutch_problem(
        &decide(rights[4], declarations[4], json!({"goedgekeurd": false})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "reden",
    );
    decide(
        rights[4],
        declarations[4],
        json!({"goedgekeurd": false, "reden": "De bon is van een laptop voor een ouder."}),
    )
    .await
    .expect(StatusCode::OK)
    .unwrap();
    let after = entitlement(&kindpakket, G, rights[4]).await;
    assert_eq!(
        (
            after["besteedCent"].as_i64(),
            after["gereserveerdCent"].as_i64(),
            after["restCent"].as_i64()
        ),
        (Some(0), Some(0), Some(60_000))
    );
    decide(rights[0], declarations[0], json!({"goedgekeurd": true}))
        .await
        .expect(StatusCode::OK)
        .unwrap();
    assert_dutch_problem(
        &decide(
            rights[0],
            declarations[0],
            json!({"goedgekeurd": false, "reden": "toch niet"}),
        )
        .await,
        StatusCode::CONFLICT,
        "al besloten",
    );

    // A partner may not draw the sample; regie draws it with a seed of its choosing.
    let samples = kindpakket.provision_url(G, "steekproeven");
    let period = json!({"vanaf": this_year_on("03-01"), "tot": this_year_on("03-31"), "zaad": 20_260_331u64});
    assert_eq!(
        kindpakket
            .post(&samples, partner("leergeld-utrecht"), &period)
            .await
            .unwrap()
            .status,
        StatusCode::FORBIDDEN
    );
    let drawn = kindpakket
        .post(&samples, REGIE, &period)
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    assert_eq!(drawn["populatie"].as_array().unwrap().len(), 8, "{drawn}");
    assert_eq!(drawn["percentage"], 25);
    // Strata: leergeld under €100 (4) → 1, leergeld €100–€500 (1) → 1, leergeld €500+ (1) → 1, loket under €100 (2) → 1.
    let selected: Vec<Uuid> = drawn["getrokken"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| Uuid::parse_str(d["declaratie"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(selected.len(), 4, "{drawn}");
    assert!(
        selected.contains(&declarations[3]) && selected.contains(&declarations[4]),
        "each stratum of one is drawn"
    );

    // The auditor draws it again from the published event alone, and finds the same declarations.
    let draw_id = drawn["id"].as_str().unwrap();
    let mut event = None;
    for _ in 0..100 {
        let stream = stream_messages(&platform.nats.url(), Service::Provision)
            .await
            .unwrap();
        event = stream.into_iter().find_map(|(_, message)| {
            match serde_json::from_value::<ProvisionEvent>(message.event) {
                Ok(ProvisionEvent::SampleDrawn(drawn)) if drawn.draw_id.to_string() == draw_id => {
                    Some(drawn)
                }
                _ => None,
            }
        });
        if event.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let event = event.expect("the draw is published");
    assert_eq!(event.seed, 20_260_331);
    assert_eq!(
        draw_sample(
            event.seed,
            event.rate_percent,
            &event.amount_bands_cents,
            &event.population
        ),
        selected
    );

    // The auditor records the checks: each drawn declaration once; one that was not drawn is refused.
    let checks = kindpakket.provision_url(G, &format!("steekproeven/{draw_id}/controles"));
    let not_drawn = declarations.iter().find(|d| !selected.contains(d)).unwrap();
    assert_dutch_problem(
        &kindpakket
            .post(
                &checks,
                AUDITOR,
                &json!({"declaratie": not_drawn, "uitkomst": "in_orde"}),
            )
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "niet getrokken",
    );
    assert_dutch_problem(
        &kindpakket
            .post(
                &checks,
                AUDITOR,
                &json!({"declaratie": selected[0], "uitkomst": "niet_in_orde"}),
            )
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "niet in orde was",
    );
    kindpakket.post(&checks, AUDITOR, &json!({"declaratie": selected[0], "uitkomst": "niet_in_orde", "toelichting": "Bon hoort bij een andere aankoop."})).await.unwrap().expect(StatusCode::CREATED).unwrap();
    assert_dutch_problem(
        &kindpakket
            .post(
                &checks,
                AUDITOR,
                &json!({"declaratie": selected[0], "uitkomst": "in_orde"}),
            )
            .await
            .unwrap(),
        StatusCode::CONFLICT,
        "al vastgelegd",
    );
    let read = kindpakket
        .get(
            &kindpakket.provision_url(G, &format!("steekproeven/{draw_id}")),
            Some(AUDITOR),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let checked: Vec<&Value> = read["getrokken"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !d["uitkomst"].is_null())
        .collect();
    assert_eq!(checked.len(), 1);
    assert_eq!(checked[0]["uitkomst"], "niet_in_orde");

    // The approved declaration serves the child on the dashboard; the rejected one does not.
    kindpakket
        .wait_for_funnel(G, Duration::from_secs(20), |f| {
            f["bediend"] == 1 && f["toegekend"] == 6
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoices_settle_into_one_ledger_that_the_quarterly_statements_add_up_to_to_the_cent() {
    const G: &str = "GM0772";
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    let mut laptop = provision(
        "laptop",
        "Laptop brugklas",
        "school",
        (4, 17),
        33_333,
        "in_natura",
    );
    laptop["financiers"] =
        json!([{"organisatie": "gemeente-eindhoven", "bron": "gemeentelijke_fondsen"}]);
    laptop["medefinanciering"] = json!({"organisatie": "leergeld-eindhoven", "bron": "externe_fondsen", "aandeelPercentage": 33});
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
        {"organisatie": "gemeente-eindhoven", "bron": "gemeentelijke_fondsen"},
    ]);
    publish(
        &kindpakket,
        G,
        json!({
            "jaar": this_year(), "geldigVanaf": this_year_on("01-01"), "geldigTot": this_year_on("12-31"),
            "inkomensgrens": {"soort": "percentage", "percentage": 120},
            "voorzieningen": [laptop, sport],
            "budgetten": [
                {"voorziening": "sportcontributie", "bron": "externe_fondsen", "bedragCent": 50_000},
                {"type": "school", "bron": "gemeentelijke_fondsen", "bedragCent": 200_000},
                {"type": "school", "bron": "externe_fondsen", "bedragCent": 100_000},
            ],
        }),
    )
    .await;
    kindpakket
        .enrol_partner(G, "computerwinkel", "Computerwinkel Strijp", &["laptop"])
        .await
        .unwrap();
    kindpakket
        .enrol_partner(G, "sportclub-psv", "Sportclub", &["sportcontributie"])
        .await
        .unwrap();

    // Three children: the Jeugdfonds's sport budget pays two, the gemeente the third.
    let mut children = Vec::new();
    for _ in 0..3 {
        let rights = granted(&kindpakket, G, &["laptop", "sportcontributie"]).await;
        for right in rights.values() {
            wait_opened(&kindpakket, G, *right).await;
        }
        children.push(rights);
    }
    kindpakket
        .wait_for_entitlement(
            G,
            "computerwinkel",
            children[0]["laptop"],
            Duration::from_secs(20),
        )
        .await
        .unwrap();
    kindpakket
        .wait_for_entitlement(
            G,
            "sportclub-psv",
            children[0]["sportcontributie"],
            Duration::from_secs(20),
        )
        .await
        .unwrap();

    // A partner sees the entitlements it is enrolled to deliver, and nothing else.
    let listed = kindpakket
        .get(
            &kindpakket.provision_url(G, "rechten"),
            Some(partner("computerwinkel")),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let listed = listed["items"].as_array().unwrap();
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert!(
        listed.iter().all(|right| right["voorziening"] == "laptop"),
        "{listed:?}"
    );
    let sport_as_shop = kindpakket
        .partner_entitlement("computerwinkel", children[0]["sportcontributie"])
        .unwrap();
    let hidden = kindpakket
        .get(
            &kindpakket.provision_url(G, &format!("rechten/{sport_as_shop}")),
            Some(partner("computerwinkel")),
        )
        .await
        .unwrap();
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);

    // Each partner sees its own pseudonym for the same child, and no application id to join on.
    let seen_by = |who: &'static str, right: Uuid| {
        let kindpakket = kindpakket.clone();
        async move {
            let own = kindpakket.partner_entitlement(who, right).unwrap();
            kindpakket
                .get(
                    &kindpakket.provision_url(G, &format!("rechten/{own}")),
                    Some(partner(who)),
                )
                .await
                .unwrap()
                .expect(StatusCode::OK)
                .unwrap()
        }
    };
    let by_shop = seen_by("computerwinkel", children[0]["laptop"]).await;
    let by_club = seen_by("sportclub-psv", children[0]["sportcontributie"]).await;
    let by_regie = entitlement(&kindpakket, G, children[0]["laptop"]).await;
    assert_ne!(
        by_shop["kind"], by_club["kind"],
        "two partners cannot join on the child"
    );
    assert_ne!(by_shop["kind"], by_regie["kind"]);
    assert!(by_shop["aanvraag"].is_null() && !by_regie["aanvraag"].is_null());
    assert_eq!(
        seen_by("computerwinkel", children[0]["laptop"]).await["kind"],
        by_shop["kind"],
        "stable"
    );

    // Deliveries over three quarters, and one by a shop not enrolled for sport.
    let mut expected_total = 0;
    for (i, rights) in children.iter().enumerate() {
        let date = &[
            this_year_on("02-10"),
            this_year_on("05-20"),
            this_year_on("08-30"),
        ][i];
        kindpakket
            .deliver(G, "computerwinkel", rights["laptop"], 33_333, date)
            .await
            .unwrap()
            .expect(StatusCode::CREATED)
            .unwrap();
        kindpakket
            .deliver(
                G,
                "sportclub-psv",
                rights["sportcontributie"],
                12_345 + i as i64,
                date,
            )
            .await
            .unwrap()
            .expect(StatusCode::CREATED)
            .unwrap();
        expected_total += 33_333 + 12_345 + i as i64;
    }
    let refused = kindpakket
        .deliver(
            G,
            "computerwinkel",
            children[0]["sportcontributie"],
            100,
            &this_year_on("02-11"),
        )
        .await
        .unwrap();
    assert_dutch_problem(&refused, StatusCode::FORBIDDEN, "niet ingeschreven");

    // Each partner invoices the year; a second invoice for the same period has nothing left on it.
    let invoices = kindpakket.provision_url(G, "facturen");
    let year = json!({"vanaf": this_year_on("01-01"), "tot": this_year_on("12-31")});
    let shop_invoice = kindpakket
        .post(&invoices, partner("computerwinkel"), &year)
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    assert_eq!(shop_invoice["regels"].as_array().unwrap().len(), 3);
    assert_eq!(shop_invoice["totaalCent"], 99_999);
    let laptop_line = &shop_invoice["regels"][0]["financiering"];
    assert_eq!(
        laptop_line[0]["bedragCent"].as_i64().unwrap()
            + laptop_line[1]["bedragCent"].as_i64().unwrap(),
        33_333
    );
    assert_eq!(
        laptop_line[1],
        json!({"organisatie": "leergeld-eindhoven", "bron": "externe_fondsen", "bedragCent": 10_999})
    );
    assert_dutch_problem(
        &kindpakket
            .post(&invoices, partner("computerwinkel"), &year)
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "niets te factureren",
    );
    let club_invoice = kindpakket
        .post(&invoices, partner("sportclub-psv"), &year)
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    // A partner sees its own invoices only.
    let club_url = kindpakket.provision_url(
        G,
        &format!("facturen/{}", club_invoice["id"].as_str().unwrap()),
    );
    assert_eq!(
        kindpakket
            .get(&club_url, Some(partner("computerwinkel")))
            .await
            .unwrap()
            .status,
        StatusCode::NOT_FOUND
    );

    // Regie approves every line but one sport line, which needs a reason.
    let settle = |invoice: &Value, reject: Option<usize>, reason: Option<&str>| {
        let lines: Vec<Value> = invoice["regels"].as_array().unwrap().iter().enumerate().map(|(i, line)| {
            let approved = Some(i) != reject;
            json!({"verstrekking": line["verstrekking"], "goedgekeurd": approved, "reden": if approved { None } else { reason }})
        }).collect();
        json!({"regels": lines})
    };
    let settle_url = |invoice: &Value| {
        kindpakket.provision_url(
            G,
            &format!("facturen/{}/beoordeling", invoice["id"].as_str().unwrap()),
        )
    };
    assert_dutch_problem(
        &kindpakket
            .post(
                &settle_url(&club_invoice),
                REGIE,
                &settle(&club_invoice, Some(2), None),
            )
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "reden",
    );
    let rejected_cents = club_invoice["regels"][2]["bedragCent"].as_i64().unwrap();
    let settled = kindpakket
        .post(
            &settle_url(&club_invoice),
            REGIE,
            &settle(
                &club_invoice,
                Some(2),
                Some("Lidmaatschap begon pas in 2027."),
            ),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(settled["afgehandeld"], true);
    kindpakket
        .post(
            &settle_url(&shop_invoice),
            REGIE,
            &settle(&shop_invoice, None, None),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    expected_total -= rejected_cents;

    // The ledger: every approved cent, per funder.
    let ledger = kindpakket
        .get(
            &kindpakket.provision_url(G, &format!("grootboek/{}", this_year())),
            Some(AUDITOR),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(ledger["totaalCent"], expected_total, "{ledger}");
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
    assert_eq!(per_funder["leergeld-eindhoven"], 3 * 10_999);
    assert_eq!(
        per_funder["jeugdfonds-sport-cultuur"],
        12_345 + 12_346,
        "the Jeugdfonds paid the first two children's sport"
    );

    // The partners' quarterly statements add up to the ledger, to the cent, per funder.
    let mut from_statements: BTreeMap<String, i64> = BTreeMap::new();
    let mut statements_total = 0;
    for shop in ["computerwinkel", "sportclub-psv"] {
        for quarter in 1..=4 {
            let statement = kindpakket
                .get(
                    &kindpakket.provision_url(
                        G,
                        &format!("partners/{shop}/afrekeningen/{}/{quarter}", this_year()),
                    ),
                    Some(partner(shop)),
                )
                .await
                .unwrap()
                .expect(StatusCode::OK)
                .unwrap();
            statements_total += statement["totaalCent"].as_i64().unwrap();
            for funder in statement["perFinancier"].as_array().unwrap() {
                *from_statements
                    .entry(funder["organisatie"].as_str().unwrap().to_owned())
                    .or_default() += funder["bedragCent"].as_i64().unwrap();
            }
        }
    }
    assert_eq!(statements_total, expected_total);
    assert_eq!(from_statements, per_funder);
    // A partner cannot read another's statement.
    let other = kindpakket
        .get(
            &kindpakket.provision_url(
                G,
                &format!("partners/computerwinkel/afrekeningen/{}/1", this_year()),
            ),
            Some(partner("sportclub-psv")),
        )
        .await
        .unwrap();
    assert_eq!(other.status, StatusCode::FORBIDDEN);

    // Budgets: allocated, committed by the grants, spent by the approved lines; never over.
    let budgets = kindpakket
        .get(
            &kindpakket.provision_url(G, &format!("budgetten/{}", this_year())),
            Some(REGIE),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let lines = budgets["regelingen"][0]["budgetten"].as_array().unwrap();
    let sport_budget = lines
        .iter()
        .find(|b| b["voorziening"] == "sportcontributie")
        .unwrap();
    assert_eq!(
        (
            sport_budget["toegekendBudgetCent"].as_i64(),
            sport_budget["vastgelegdCent"].as_i64(),
            sport_budget["besteedCent"].as_i64()
        ),
        (Some(50_000), Some(50_000), Some(24_691))
    );
    let school_external = lines
        .iter()
        .find(|b| b["type"] == "school" && b["bron"] == "externe_fondsen")
        .unwrap();
    assert_eq!(school_external["besteedCent"], 3 * 10_999);
    for line in lines {
        assert!(
            line["besteedCent"].as_i64() <= line["toegekendBudgetCent"].as_i64(),
            "{line}"
        );
    }
}
