//! The provision service closed to every organisation that is not its own (issue 12), attacked through
//! its public API: a partner sees only what it serves and only under ids of its own, so two partners
//! cannot join their records and a shop cannot browse entitled children; a pass code never travels in
//! a URL nor lands in a log line or an answer; a year end on a day to come is refused; and refusals
//! say what is wrong without repeating what the caller sent. Every refused attack changes nothing.

use kindpakket_tests::{this_year, this_year_on};
use std::collections::BTreeSet;
use std::time::Duration;

use kindpakket_tests::client::{provision, Answer, As, Kindpakket, REGIE};
use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use super::settlement::{partner, publish, AUDITOR};

/// A family at 110% applies on `date` for one child of nine; the regeling in force decides. Returns
/// the entitlement ids (the gemeente's) by provision, once the provision service opened them.
async fn granted(
    kindpakket: &Kindpakket,
    gemeente: &str,
    provisions: &[&str],
    date: &str,
) -> std::collections::BTreeMap<String, Uuid> {
    let application = kindpakket
        .submit(
            gemeente,
            &json!({
                "kanaal": "loket",
                "huishouden": Uuid::new_v4(),
                "kinderen": [{"kind": Uuid::new_v4(), "geboortejaar": 2017, "geboortemaand": 2}],
                "inkomenPercentage": 110,
                "voorzieningen": provisions,
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
    let rights: std::collections::BTreeMap<String, Uuid> = decided["rechten"]
        .as_array()
        .unwrap()
        .iter()
        .map(|right| {
            (
                right["voorziening"].as_str().unwrap().to_owned(),
                Uuid::parse_str(right["id"].as_str().unwrap()).unwrap(),
            )
        })
        .collect();
    for right in rights.values() {
        as_regie(kindpakket, gemeente, *right).await;
    }
    rights
}

/// The entitlement as regie sees it, once the provision service opened it.
async fn as_regie(kindpakket: &Kindpakket, gemeente: &str, entitlement: Uuid) -> Value {
    let url = kindpakket.provision_url(gemeente, &format!("rechten/{entitlement}"));
    wait_until(
        &format!("entitlement {entitlement} opened"),
        Duration::from_secs(20),
        || async {
            let answer = kindpakket.get(&url, Some(REGIE)).await?;
            when(answer.status == StatusCode::OK, answer.body)
        },
    )
    .await
    .unwrap()
}

/// The ids of the entitlements `who` lists.
async fn listed(kindpakket: &Kindpakket, gemeente: &str, who: As<'_>) -> BTreeSet<String> {
    kindpakket
        .get(&kindpakket.provision_url(gemeente, "rechten"), Some(who))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|right| right["id"].as_str().unwrap().to_owned())
        .collect()
}

/// A Dutch problem with this status, whose detail says `words` and repeats none of `sent`.
fn assert_refused(answer: &Answer, status: StatusCode, words: &str, sent: &[&str]) {
    assert_eq!(answer.status, status, "{answer:?}");
    assert_eq!(answer.content_type, "application/problem+json");
    let detail = answer.detail();
    assert!(detail.contains(words), "expected '{words}' in: {detail}");
    for value in sent {
        assert!(
            !detail.to_lowercase().contains(&value.to_lowercase()),
            "the refusal repeats '{value}': {detail}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_sees_only_what_it_serves_and_only_under_ids_of_its_own() {
    const G: &str = "GM0363";
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    publish(
        &kindpakket,
        G,
        json!({
            "jaar": this_year(), "geldigVanaf": this_year_on("01-01"), "geldigTot": this_year_on("12-31"),
            "inkomensgrens": {"soort": "percentage", "percentage": 120},
            "voorzieningen": [
                provision("sportcontributie", "Sportcontributie", "maatschappelijke_participatie", (4, 17), 25_000, "in_natura"),
                provision("schoolspullen", "Schoolspullen", "school", (4, 17), 10_000, "declaratie"),
                provision("fashioncheque", "Fashioncheque", "levensonderhoud", (0, 17), 10_000, "tegoedbon"),
            ],
        }),
    )
    .await;
    for club in ["sportclub-noord", "sportclub-zuid"] {
        kindpakket
            .enrol_partner(G, club, club, &["sportcontributie", "schoolspullen"])
            .await
            .unwrap();
    }
    kindpakket
        .enrol_partner(G, "kledingwinkel", "Kledingwinkel", &["fashioncheque"])
        .await
        .unwrap();
    let rights = granted(
        &kindpakket,
        G,
        &["sportcontributie", "schoolspullen", "fashioncheque"],
        &this_year_on("02-01"),
    )
    .await;
    let (sport, school, voucher) = (
        rights["sportcontributie"],
        rights["schoolspullen"],
        rights["fashioncheque"],
    );
    for club in ["sportclub-noord", "sportclub-zuid"] {
        kindpakket
            .wait_for_entitlement(G, club, sport, Duration::from_secs(20))
            .await
            .unwrap();
    }
    // The shop's enrolment has arrived once it finds the pass by its code.
    let code = as_regie(&kindpakket, G, voucher).await["passen"][0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_until(
        "the shop finds the pass",
        Duration::from_secs(20),
        || async {
            let answer = kindpakket
                .pass_balance(G, partner("kledingwinkel"), &code)
                .await?;
            when(answer.status == StatusCode::OK, answer.body)
        },
    )
    .await
    .unwrap();

    // Each partner lists what it serves under ids of its own: different per partner, stable, never
    // the gemeente's; regie lists the real ids.
    let own = |club: &str, right: Uuid| {
        kindpakket
            .partner_entitlement(club, right)
            .unwrap()
            .to_string()
    };
    let north = listed(&kindpakket, G, partner("sportclub-noord")).await;
    let south = listed(&kindpakket, G, partner("sportclub-zuid")).await;
    assert_eq!(
        north,
        BTreeSet::from([
            own("sportclub-noord", sport),
            own("sportclub-noord", school)
        ])
    );
    assert_eq!(
        south,
        BTreeSet::from([own("sportclub-zuid", sport), own("sportclub-zuid", school)])
    );
    assert!(north.is_disjoint(&south), "two partners cannot join on ids");
    let real: BTreeSet<String> = [sport, school, voucher]
        .iter()
        .map(Uuid::to_string)
        .collect();
    assert!(north.is_disjoint(&real) && south.is_disjoint(&real));
    assert_eq!(
        listed(&kindpakket, G, partner("sportclub-noord")).await,
        north,
        "stable"
    );
    assert_eq!(listed(&kindpakket, G, REGIE).await, real);
    assert_eq!(listed(&kindpakket, G, AUDITOR).await, real);
    // A shop browses no entitled children: a voucher is found by the code the family shows.
    assert_eq!(
        listed(&kindpakket, G, partner("kledingwinkel")).await,
        BTreeSet::new()
    );

    // Another partner's id, or the gemeente's, is as unknown to a partner as one that never existed.
    let stored = platform.events_stored(ServiceName::Provision).await;
    let north_sport = own("sportclub-noord", sport);
    let read = |who: &'static str, id: String| {
        let kindpakket = kindpakket.clone();
        async move {
            kindpakket
                .get(
                    &kindpakket.provision_url(G, &format!("rechten/{id}")),
                    Some(partner(who)),
                )
                .await
                .unwrap()
        }
    };
    let missing = read("sportclub-noord", Uuid::new_v4().to_string()).await;
    assert_refused(&missing, StatusCode::NOT_FOUND, "bestaat niet", &[]);
    for id in [
        own("sportclub-zuid", sport),
        sport.to_string(),
        own("kledingwinkel", sport),
    ] {
        let answer = read("sportclub-noord", id.clone()).await;
        assert_refused(&answer, StatusCode::NOT_FOUND, "bestaat niet", &[&id]);
        assert_eq!(answer.body, missing.body, "the same answer as for nothing");
    }
    let mine = read("sportclub-noord", north_sport.clone())
        .await
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(mine["id"], json!(north_sport));
    // The shop does not read the voucher's entitlement either, not even under its own id.
    let answer = read("kledingwinkel", own("kledingwinkel", voucher)).await;
    assert_eq!(answer.body, missing.body);

    // Nor can it record anything against them.
    let post = |who: &'static str, id: String, resource: &'static str, body: Value| {
        let kindpakket = kindpakket.clone();
        async move {
            kindpakket
                .post(
                    &kindpakket.provision_url(G, &format!("rechten/{id}/{resource}")),
                    partner(who),
                    &body,
                )
                .await
                .unwrap()
        }
    };
    let delivery =
        json!({"vorm": "in_natura", "bedragCent": 1_000, "datum": this_year_on("03-01")});
    let declaration =
        json!({"bedragCent": 1_000, "bewijs": "bon 1", "datum": this_year_on("03-01")});
    for id in [own("sportclub-zuid", sport), sport.to_string()] {
        let answer = post(
            "sportclub-noord",
            id.clone(),
            "verstrekkingen",
            delivery.clone(),
        )
        .await;
        assert_refused(&answer, StatusCode::NOT_FOUND, "bestaat niet", &[&id]);
    }
    for id in [own("sportclub-zuid", school), school.to_string()] {
        let answer = post(
            "sportclub-noord",
            id.clone(),
            "declaraties",
            declaration.clone(),
        )
        .await;
        assert_refused(&answer, StatusCode::NOT_FOUND, "bestaat niet", &[&id]);
    }
    let answer = post(
        "kledingwinkel",
        own("kledingwinkel", voucher),
        "declaraties",
        declaration.clone(),
    )
    .await;
    assert_refused(&answer, StatusCode::NOT_FOUND, "bestaat niet", &[]);
    assert_eq!(
        platform.events_stored(ServiceName::Provision).await,
        stored,
        "nothing was recorded"
    );
    assert_eq!(as_regie(&kindpakket, G, sport).await["besteedCent"], 0);

    // What a partner records answers under its own id; another partner sees none of its declarations.
    let delivered = post(
        "sportclub-noord",
        north_sport.clone(),
        "verstrekkingen",
        delivery.clone(),
    )
    .await
    .expect(StatusCode::CREATED)
    .unwrap();
    assert_eq!(delivered["id"], json!(north_sport));
    let declared = post(
        "sportclub-noord",
        own("sportclub-noord", school),
        "declaraties",
        declaration,
    )
    .await
    .expect(StatusCode::CREATED)
    .unwrap();
    let declaration_id = declared["declaratie"].as_str().unwrap().to_owned();
    let by_south = read("sportclub-zuid", own("sportclub-zuid", school))
        .await
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(by_south["declaraties"], json!([]), "{by_south}");
    assert!(!by_south.to_string().contains(&declaration_id));
    assert_eq!(
        as_regie(&kindpakket, G, school).await["declaraties"][0]["id"],
        json!(declaration_id)
    );

    // The invoice and the quarterly statement name the entitlement by the partner's own id too.
    let invoice = kindpakket
        .post(
            &kindpakket.provision_url(G, "facturen"),
            partner("sportclub-noord"),
            &json!({"vanaf": this_year_on("01-01"), "tot": this_year_on("12-31")}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    assert_eq!(invoice["regels"][0]["recht"], json!(north_sport));
    let invoice_id = invoice["id"].as_str().unwrap();
    let settled = kindpakket
        .post(
            &kindpakket.provision_url(G, &format!("facturen/{invoice_id}/beoordeling")),
            REGIE,
            &json!({"regels": [{"verstrekking": invoice["regels"][0]["verstrekking"], "goedgekeurd": true}]}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        settled["regels"][0]["recht"],
        json!(sport),
        "regie reads the real id"
    );
    let statement = kindpakket
        .get(
            &kindpakket.provision_url(
                G,
                &format!("partners/sportclub-noord/afrekeningen/{}/1", this_year()),
            ),
            Some(partner("sportclub-noord")),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(statement["regels"][0]["recht"], json!(north_sport));
    let ledger = kindpakket
        .get(
            &kindpakket.provision_url(G, &format!("grootboek/{}", this_year())),
            Some(AUDITOR),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(ledger["boekingen"][0]["recht"], json!(sport));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_code_travels_in_the_body_and_never_into_a_url_a_log_line_or_an_answer() {
    const G: &str = "GM0034";
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    publish(
        &kindpakket,
        G,
        json!({
            "jaar": this_year(), "geldigVanaf": this_year_on("01-01"), "geldigTot": this_year_on("12-31"),
            "inkomensgrens": {"soort": "percentage", "percentage": 120},
            "voorzieningen": [provision("fashioncheque", "Fashioncheque", "levensonderhoud", (0, 17), 10_000, "tegoedbon")],
        }),
    )
    .await;
    kindpakket
        .enrol_partner(G, "kledingwinkel", "Kledingwinkel", &["fashioncheque"])
        .await
        .unwrap();
    let voucher =
        granted(&kindpakket, G, &["fashioncheque"], &this_year_on("02-01")).await["fashioncheque"];
    let code = as_regie(&kindpakket, G, voucher).await["passen"][0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let bare = code.replace('-', "");
    let typed = bare.to_lowercase();
    let forms = [code.as_str(), bare.as_str()];

    // At the till the shop types the code carelessly; the balance and the redemption carry it in the
    // body, and no answer gives it back.
    let mut answers = Vec::new();
    let balance = wait_until(
        "the shop finds the pass",
        Duration::from_secs(20),
        || async {
            let answer = kindpakket
                .pass_balance(G, partner("kledingwinkel"), &typed)
                .await?;
            when(answer.status == StatusCode::OK, answer)
        },
    )
    .await
    .unwrap();
    assert_eq!(balance.body["saldoCent"], 10_000);
    answers.push(balance);
    let redeemed = kindpakket
        .redeem(
            G,
            "kledingwinkel",
            &typed,
            &json!({"bedragCent": 2_500, "datum": this_year_on("03-02")}),
        )
        .await
        .unwrap();
    assert_eq!(redeemed.status, StatusCode::CREATED, "{redeemed:?}");
    assert_eq!(redeemed.body["saldoCent"], 7_500);
    answers.push(redeemed);
    answers.push(kindpakket.pass_balance(G, REGIE, &code).await.unwrap());

    // Refused lookups and redemptions: each says why, none repeats the code, nothing is spent.
    let stored = platform.events_stored(ServiceName::Provision).await;
    let refusals = [
        (
            kindpakket
                .redeem(G, "kledingwinkel", &code, &json!({"bedragCent": 9_000}))
                .await
                .unwrap(),
            StatusCode::CONFLICT,
            "hoger dan wat er op dit recht over is",
        ),
        (
            kindpakket
                .redeem(
                    G,
                    "kledingwinkel",
                    &code,
                    &json!({"bedragCent": 100, "datum": format!("{}-01-02", this_year() + 1)}),
                )
                .await
                .unwrap(),
            StatusCode::CONFLICT,
            "verlopen",
        ),
        (
            kindpakket
                .redeem(G, "kledingwinkel", &code, &json!({"aantal": 2}))
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "geen strippenkaart",
        ),
        (
            kindpakket
                .redeem(G, "kledingwinkel", &code, &json!({"bedragCent": 0}))
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "groter zijn dan 0",
        ),
        (
            kindpakket
                .redeem(G, "boekhandel", &typed, &json!({"bedragCent": 100}))
                .await
                .unwrap(),
            StatusCode::FORBIDDEN,
            "niet ingeschreven",
        ),
        (
            kindpakket
                .pass_balance(G, partner("boekhandel"), &code)
                .await
                .unwrap(),
            StatusCode::FORBIDDEN,
            "niet ingeschreven",
        ),
        (
            kindpakket
                .pass_balance(G, partner("kledingwinkel"), &format!("{bare}X"))
                .await
                .unwrap(),
            StatusCode::NOT_FOUND,
            "pascode is onbekend",
        ),
        (
            kindpakket
                .post(
                    &kindpakket.provision_url(G, "verzilveringen"),
                    partner("kledingwinkel"),
                    &json!({"code": code, "bedragCent": 100, "pincode": "1234"}),
                )
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "onbekend",
        ),
    ];
    for (answer, status, words) in &refusals {
        assert_refused(answer, *status, words, &forms);
        assert!(!answer.body.to_string().contains(&bare[..8]), "{answer:?}");
    }
    assert_eq!(
        platform.events_stored(ServiceName::Provision).await,
        stored,
        "nothing was spent"
    );
    assert_eq!(as_regie(&kindpakket, G, voucher).await["restCent"], 7_500);
    for answer in &answers {
        let body = answer.body.to_string();
        for form in forms {
            assert!(
                !body.to_lowercase().contains(&form.to_lowercase()),
                "an answer gives the code back: {body}"
            );
        }
    }

    // The code is no part of any URL any more.
    let old = kindpakket
        .get(
            &kindpakket.provision_url(G, "passen/AAAA-BBBB-CCCC"),
            Some(partner("kledingwinkel")),
        )
        .await
        .unwrap();
    assert_refused(&old, StatusCode::NOT_FOUND, "Deze URL bestaat niet", &[]);

    // And no line of the provision service's log carries it, hyphenated or not, in any case.
    let log_path = platform.service(ServiceName::Provision).log_path();
    let log = std::fs::read_to_string(log_path).unwrap().to_lowercase();
    assert!(
        log.contains("passen/opvragen") && log.contains("verzilveringen"),
        "the log is the one the requests went to"
    );
    for form in forms {
        assert!(
            !log.contains(&form.to_lowercase()),
            "the pass code is in the log: {}",
            log.lines()
                .find(|line| line.contains(&form.to_lowercase()))
                .unwrap_or("")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_end_on_a_day_to_come_is_refused_and_expires_nothing() {
    const G: &str = "GM0050";
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    for year in [this_year() - 1, this_year()] {
        publish(
            &kindpakket,
            G,
            json!({
                "jaar": year, "geldigVanaf": format!("{year}-01-01"), "geldigTot": format!("{year}-12-31"),
                "inkomensgrens": {"soort": "percentage", "percentage": 120},
                "voorzieningen": [provision("sportcontributie", "Sportcontributie", "maatschappelijke_participatie", (4, 17), 25_000, "in_natura")],
            }),
        )
        .await;
    }
    kindpakket
        .enrol_partner(G, "sportclub", "Sportclub", &["sportcontributie"])
        .await
        .unwrap();
    // Last year's entitlement, used in part; and this year's, still running.
    let ended = granted(
        &kindpakket,
        G,
        &["sportcontributie"],
        &format!("{}-03-01", this_year() - 1),
    )
    .await["sportcontributie"];
    let running = granted(
        &kindpakket,
        G,
        &["sportcontributie"],
        &this_year_on("03-01"),
    )
    .await["sportcontributie"];
    kindpakket
        .wait_for_entitlement(G, "sportclub", ended, Duration::from_secs(20))
        .await
        .unwrap();
    kindpakket
        .deliver(
            G,
            "sportclub",
            ended,
            10_000,
            &format!("{}-06-01", this_year() - 1),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();

    // A peildatum after today would end this year's entitlement while it can still be used: refused.
    let close = |body: Value| {
        let kindpakket = kindpakket.clone();
        async move {
            kindpakket
                .post(&kindpakket.provision_url(G, "jaarafsluiting"), REGIE, &body)
                .await
                .unwrap()
        }
    };
    let stored = platform.events_stored(ServiceName::Provision).await;
    let tomorrow = kindpakket_platform::clock::today()
        .next_day()
        .unwrap()
        .to_string();
    for peildatum in ["2100-01-01", tomorrow.as_str()] {
        let answer = close(json!({ "peildatum": peildatum })).await;
        assert_refused(
            &answer,
            StatusCode::UNPROCESSABLE_ENTITY,
            "peildatum ligt na vandaag",
            &[peildatum],
        );
    }
    assert_eq!(
        platform.events_stored(ServiceName::Provision).await,
        stored,
        "nothing expired"
    );
    for right in [ended, running] {
        assert_eq!(
            as_regie(&kindpakket, G, right).await["verlopen"],
            Value::Null
        );
    }

    // Closed today, only what ended expires; the dashboard shows what was not used.
    let closed = close(json!({})).await.expect(StatusCode::OK).unwrap();
    assert_eq!(closed["verlopenRechten"], 1, "{closed}");
    assert_eq!(
        as_regie(&kindpakket, G, ended).await["verlopen"]["ongebruiktCent"],
        15_000
    );
    assert_eq!(
        as_regie(&kindpakket, G, running).await["verlopen"],
        Value::Null
    );
    let funnel = kindpakket
        .wait_for_funnel(G, Duration::from_secs(20), |f| {
            f["nietGebruikt"]["vervallenRechten"] == 1
        })
        .await
        .unwrap();
    assert_eq!(funnel["nietGebruikt"]["ongebruiktCent"], 15_000, "{funnel}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_say_what_is_wrong_without_the_values_the_caller_sent() {
    const G: &str = "GM0080";
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    publish(
        &kindpakket,
        G,
        json!({
            "jaar": this_year(), "geldigVanaf": this_year_on("01-01"), "geldigTot": this_year_on("12-31"),
            "inkomensgrens": {"soort": "percentage", "percentage": 120},
            "steekproefPercentage": 100,
            "voorzieningen": [
                provision("sportcontributie", "Sportcontributie", "maatschappelijke_participatie", (4, 17), 25_000, "in_natura"),
                provision("schoolspullen", "Schoolspullen", "school", (4, 17), 10_000, "declaratie"),
            ],
        }),
    )
    .await;
    kindpakket
        .enrol_partner(
            G,
            "sportclub",
            "Sportclub",
            &["sportcontributie", "schoolspullen"],
        )
        .await
        .unwrap();
    let rights = granted(
        &kindpakket,
        G,
        &["sportcontributie", "schoolspullen"],
        &this_year_on("02-01"),
    )
    .await;
    let (sport, school) = (rights["sportcontributie"], rights["schoolspullen"]);
    kindpakket
        .wait_for_entitlement(G, "sportclub", sport, Duration::from_secs(20))
        .await
        .unwrap();
    kindpakket
        .deliver(G, "sportclub", sport, 5_000, &this_year_on("03-01"))
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let school_own = kindpakket.partner_entitlement("sportclub", school).unwrap();
    kindpakket
        .post(
            &kindpakket.provision_url(G, &format!("rechten/{school_own}/declaraties")),
            partner("sportclub"),
            &json!({"bedragCent": 2_000, "bewijs": "bon 7", "datum": this_year_on("03-02")}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let invoice = kindpakket
        .post(
            &kindpakket.provision_url(G, "facturen"),
            partner("sportclub"),
            &json!({"vanaf": this_year_on("01-01"), "tot": this_year_on("12-31")}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let line = invoice["regels"][0]["verstrekking"].as_str().unwrap();
    let invoice_url = kindpakket.provision_url(
        G,
        &format!("facturen/{}/beoordeling", invoice["id"].as_str().unwrap()),
    );
    let sample = kindpakket
        .post(
            &kindpakket.provision_url(G, "steekproeven"),
            AUDITOR,
            &json!({"vanaf": this_year_on("03-01"), "tot": this_year_on("03-31"), "zaad": 7}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let drawn = sample["getrokken"][0]["declaratie"].as_str().unwrap();
    let checks = kindpakket.provision_url(
        G,
        &format!("steekproeven/{}/controles", sample["id"].as_str().unwrap()),
    );
    kindpakket
        .post(
            &checks,
            AUDITOR,
            &json!({"declaratie": drawn, "uitkomst": "in_orde"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();

    let stored = platform.events_stored(ServiceName::Provision).await;
    let unknown = Uuid::new_v4().to_string();
    let sport_own = kindpakket
        .partner_entitlement("sportclub", sport)
        .unwrap()
        .to_string();
    let attempts = [
        // An amount the caller typed, more than is left: the service's own remainder is named.
        (
            kindpakket
                .post(
                    &kindpakket.provision_url(G, &format!("rechten/{sport_own}/verstrekkingen")),
                    partner("sportclub"),
                    &json!({"vorm": "in_natura", "bedragCent": 987_654}),
                )
                .await
                .unwrap(),
            StatusCode::CONFLICT,
            "(20000 cent)",
            vec!["987654", "9876,54", "9.876"],
        ),
        (
            kindpakket
                .post(
                    &kindpakket.provision_url(G, &format!("rechten/{sport_own}/verstrekkingen")),
                    partner("sportclub"),
                    &json!({"vorm": "korting", "bedragCent": 4_321, "volledigePrijsCent": 1_234}),
                )
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "volledige prijs",
            vec!["4321", "1234"],
        ),
        // Ids the caller typed.
        (
            kindpakket
                .post(
                    &invoice_url,
                    REGIE,
                    &json!({"regels": [{"verstrekking": unknown, "goedgekeurd": true}]}),
                )
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Regel 1 van het besluit",
            vec![unknown.as_str()],
        ),
        (
            kindpakket
                .post(
                    &invoice_url,
                    REGIE,
                    &json!({"regels": [
                        {"verstrekking": line, "goedgekeurd": true},
                        {"verstrekking": line, "goedgekeurd": true},
                    ]}),
                )
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Regel 2 van het besluit",
            vec![line],
        ),
        (
            kindpakket
                .post(
                    &invoice_url,
                    REGIE,
                    &json!({"regels": [{"verstrekking": line, "goedgekeurd": false}]}),
                )
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "reden",
            vec![line],
        ),
        (
            kindpakket
                .post(
                    &checks,
                    AUDITOR,
                    &json!({"declaratie": unknown, "uitkomst": "in_orde"}),
                )
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "niet getrokken",
            vec![unknown.as_str()],
        ),
        (
            kindpakket
                .post(
                    &checks,
                    AUDITOR,
                    &json!({"declaratie": drawn, "uitkomst": "niet_in_orde", "toelichting": "x"}),
                )
                .await
                .unwrap(),
            StatusCode::CONFLICT,
            "al vastgelegd",
            vec![drawn],
        ),
        (
            kindpakket
                .get(
                    &kindpakket.provision_url(G, &format!("rechten/{unknown}")),
                    Some(REGIE),
                )
                .await
                .unwrap(),
            StatusCode::NOT_FOUND,
            "bestaat niet",
            vec![unknown.as_str()],
        ),
        (
            kindpakket
                .get(
                    &kindpakket.provision_url(G, &format!("facturen/{unknown}")),
                    Some(REGIE),
                )
                .await
                .unwrap(),
            StatusCode::NOT_FOUND,
            "bestaat niet",
            vec![unknown.as_str()],
        ),
        (
            kindpakket
                .get(
                    &kindpakket.provision_url(G, &format!("steekproeven/{unknown}")),
                    Some(AUDITOR),
                )
                .await
                .unwrap(),
            StatusCode::NOT_FOUND,
            "bestaat niet",
            vec![unknown.as_str()],
        ),
        // Dates and path values the caller typed.
        (
            kindpakket
                .post(
                    &kindpakket.provision_url(G, "steekproeven"),
                    AUDITOR,
                    &json!({"vanaf": "2031-05-01", "tot": "2031-05-17"}),
                )
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "geen regeling",
            vec!["2031", "17"],
        ),
        (
            kindpakket
                .get(&kindpakket.provision_url(G, "grootboek/20x6"), Some(REGIE))
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "geen jaartal",
            vec!["20x6"],
        ),
        (
            kindpakket
                .get(
                    &kindpakket.provision_url(
                        G,
                        &format!("partners/sportclub/afrekeningen/{}/9x", this_year()),
                    ),
                    Some(REGIE),
                )
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "geen kwartaal",
            vec!["9x"],
        ),
    ];
    for (answer, status, words, sent) in &attempts {
        assert_refused(answer, *status, words, sent);
    }
    assert_eq!(
        platform.events_stored(ServiceName::Provision).await,
        stored,
        "nothing changed"
    );
}
