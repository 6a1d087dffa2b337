//! The read tables of issue 17 against the folds they replace: provision's `ledger_state` (each
//! entitlement's, invoice's and sample draw's state, kept by a trigger in the events' own
//! transaction) and the application service's `granted_entitlements` (the earlier grants a decision
//! checks). Two gemeenten, one in last year's regeling and one in this year's, go through what the
//! money does through the real HTTP APIs: grants, deliveries in kind, a voucher redeemed,
//! declarations approved and rejected, an invoice decided, its rejected lines credited and invoiced
//! again, a sample drawn and checked, reclaims from the household and the partner, the year end.
//! Every answer read from the tables (the ledger, the budgets' use, the invoiceable deliveries, the
//! sample population, what is due to expire and was unused at expiry, the state the campaigns read,
//! the earlier grants) equals the fold of the events; so it stays after a restart, after new events,
//! and for rows carried over from a store that had events before the tables existed (the tables,
//! triggers and migration records dropped, the services started again). The ledger, budgets and
//! statements the users read over HTTP are the same throughout.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kindpakket_proto::{GemeenteCode, OrganisationId, Period};
use kindpakket_provision::ledger::{self, History};
use kindpakket_tests::client::{provision, As, Kindpakket, REGIE};
use kindpakket_tests::{Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;
use time::{Date, Month};
use uuid::Uuid;

use super::settlement::{partner, publish, wait_opened, AUDITOR};

/// Two gemeenten: one whose regeling ran last year (its year end expires every entitlement), one in
/// this year's.
const GEMEENTEN: [(&str, i32, &str); 2] = [
    ("GM0855", 2025, "gemeente-tilburg"),
    ("GM0363", 2026, "gemeente-amsterdam"),
];
const CLUB: &str = "sportclub-noord";
const LEERGELD: &str = "stichting-leergeld";
const SHOP: &str = "schoenenwinkel-zuid";

fn date(year: i32, month: u8, day: u8) -> Date {
    Date::from_calendar_date(year, Month::try_from(month).unwrap(), day).unwrap()
}

fn period(from: Date, until: Date) -> Period {
    Period { from, until }
}

async fn set_up(kindpakket: &Kindpakket, gemeente: &str, year: i32, funder: &str) {
    let mut sport = provision(
        "sportcontributie",
        "Sportcontributie",
        "maatschappelijke_participatie",
        (4, 17),
        25_000,
        "in_natura",
    );
    sport["financiers"] = json!([{"organisatie": funder, "bron": "gemeentelijke_fondsen"}]);
    sport["medefinanciering"] = json!({"organisatie": "jeugdfonds-sport-cultuur", "bron": "externe_fondsen", "aandeelPercentage": 33});
    let mut receipts = provision(
        "schoolspullen",
        "Schoolspullen",
        "school",
        (4, 17),
        60_000,
        "declaratie",
    );
    receipts["financiers"] = json!([{"organisatie": funder, "bron": "gemeentelijke_fondsen"}]);
    let voucher = provision(
        "schoenenbon",
        "Schoenenbon",
        "levensonderhoud",
        (0, 17),
        10_000,
        "tegoedbon",
    );
    publish(
        kindpakket,
        gemeente,
        json!({
            "jaar": year, "geldigVanaf": format!("{year}-01-01"), "geldigTot": format!("{year}-12-31"),
            "inkomensgrens": {"soort": "percentage", "percentage": 120},
            "steekproefPercentage": 100,
            "voorzieningen": [sport, receipts, voucher],
            "budgetten": [
                {"type": "maatschappelijke_participatie", "bron": "gemeentelijke_fondsen", "bedragCent": 1_000_000},
                {"type": "maatschappelijke_participatie", "bron": "externe_fondsen", "bedragCent": 500_000},
                {"type": "school", "bron": "gemeentelijke_fondsen", "bedragCent": 1_000_000},
            ],
        }),
    )
    .await;
    for (organisation, name, provisions) in [
        (CLUB, "Sportclub Noord", "sportcontributie"),
        (LEERGELD, "Stichting Leergeld", "schoolspullen"),
        (SHOP, "Schoenenwinkel Zuid", "schoenenbon"),
    ] {
        kindpakket
            .enrol_partner(gemeente, organisation, name, &[provisions])
            .await
            .unwrap();
    }
}

/// A family at 110% applies for the three provisions for one child in `year`; returns the
/// entitlement ids by provision.
async fn granted(kindpakket: &Kindpakket, gemeente: &str, year: i32) -> BTreeMap<String, Uuid> {
    let application = kindpakket
        .submit(
            gemeente,
            &json!({
                "kanaal": "loket",
                "huishouden": Uuid::new_v4(),
                "kinderen": [{"kind": Uuid::new_v4(), "geboortejaar": 2015, "geboortemaand": 2}],
                "inkomenPercentage": 110,
                "voorzieningen": ["sportcontributie", "schoolspullen", "schoenenbon"],
                "datum": format!("{year}-02-01"),
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
    let rights: BTreeMap<String, Uuid> = decided["rechten"]
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
    assert_eq!(rights.len(), 3, "{decided}");
    rights
}

/// A request that must succeed (200 or 201).
async fn post(
    kindpakket: &Kindpakket,
    gemeente: &str,
    path: &str,
    who: As<'_>,
    body: Value,
) -> Value {
    let answer = kindpakket
        .post(&kindpakket.provision_url(gemeente, path), who, &body)
        .await
        .unwrap();
    assert!(answer.status.is_success(), "{path}: {answer:?}");
    answer.body
}

/// A year of money in one gemeente, through the HTTP APIs. Returns the number of entitlements.
async fn a_year_of_money(kindpakket: &Kindpakket, gemeente: &str, year: i32) -> usize {
    let mut children = Vec::new();
    for _ in 0..4 {
        let rights = granted(kindpakket, gemeente, year).await;
        for right in rights.values() {
            wait_opened(kindpakket, gemeente, *right).await;
        }
        children.push(rights);
    }
    let sport = |i: usize| children[i]["sportcontributie"];
    let receipts = |i: usize| children[i]["schoolspullen"];
    kindpakket
        .wait_for_entitlement(gemeente, CLUB, sport(0), Duration::from_secs(20))
        .await
        .unwrap();
    kindpakket
        .wait_for_entitlement(gemeente, LEERGELD, receipts(0), Duration::from_secs(20))
        .await
        .unwrap();

    // The club delivers three in the first quarter and one in the second.
    for (i, amount, day) in [
        (0, 10_001, format!("{year}-02-10")),
        (1, 12_345, format!("{year}-02-11")),
        (2, 7_777, format!("{year}-03-12")),
        (1, 1_000, format!("{year}-05-05")),
    ] {
        kindpakket
            .deliver(gemeente, CLUB, sport(i), amount, &day)
            .await
            .unwrap()
            .expect(StatusCode::CREATED)
            .unwrap();
    }
    // The shoe shop redeems part of the first child's voucher.
    let code = wait_opened(kindpakket, gemeente, children[0]["schoenenbon"]).await["passen"][0]
        ["code"]
        .as_str()
        .expect("regie sees the voucher's code")
        .to_owned();
    let redeemed = kindpakket
        .redeem(
            gemeente,
            SHOP,
            &code,
            &json!({"bedragCent": 2_500, "datum": format!("{year}-03-01")}),
        )
        .await
        .unwrap();
    assert!(redeemed.status.is_success(), "{redeemed:?}");

    // The first quarter invoiced: one line approved, two rejected, those credited and invoiced again.
    let quarter = json!({"vanaf": format!("{year}-01-01"), "tot": format!("{year}-03-31")});
    let invoice = post(
        kindpakket,
        gemeente,
        "facturen",
        partner(CLUB),
        quarter.clone(),
    )
    .await;
    let id = invoice["id"].as_str().unwrap().to_owned();
    let line = |i: usize| invoice["regels"][i]["verstrekking"].clone();
    post(
        kindpakket,
        gemeente,
        &format!("facturen/{id}/beoordeling"),
        REGIE,
        json!({"regels": [
            {"verstrekking": line(0), "goedgekeurd": true},
            {"verstrekking": line(1), "goedgekeurd": false, "reden": "Geen lid in deze periode."},
            {"verstrekking": line(2), "goedgekeurd": false, "reden": "Bedrag klopt niet."},
        ]}),
    )
    .await;
    post(
        kindpakket,
        gemeente,
        &format!("facturen/{id}/creditnotas"),
        partner(CLUB),
        json!({"regels": [line(1), line(2)]}),
    )
    .await;
    let again = post(kindpakket, gemeente, "facturen", partner(CLUB), quarter).await;
    assert_eq!(again["regels"].as_array().unwrap().len(), 2, "{again}");

    // Leergeld declares for three children: two approved, one rejected.
    let mut declarations = Vec::new();
    for (i, cents, approved) in [(0, 10_001, true), (1, 3_333, true), (2, 5_000, false)] {
        let own = kindpakket
            .partner_entitlement(LEERGELD, receipts(i))
            .unwrap();
        let submitted = post(
            kindpakket,
            gemeente,
            &format!("rechten/{own}/declaraties"),
            partner(LEERGELD),
            json!({"bedragCent": cents, "bewijs": "kassabon", "datum": format!("{year}-03-10")}),
        )
        .await;
        let declaration = Uuid::parse_str(submitted["declaratie"].as_str().unwrap()).unwrap();
        let mut decision = json!({"goedgekeurd": approved});
        if !approved {
            decision["reden"] = json!("De bon is onleesbaar.");
        }
        post(
            kindpakket,
            gemeente,
            &format!(
                "rechten/{}/declaraties/{declaration}/beoordeling",
                receipts(i)
            ),
            REGIE,
            decision,
        )
        .await;
        declarations.push(declaration);
    }
    // A sample of March at 100%: the first not in order, reclaimed from the household and from
    // Leergeld; the second in order.
    let drawn = post(
        kindpakket,
        gemeente,
        "steekproeven",
        REGIE,
        json!({"vanaf": format!("{year}-03-01"), "tot": format!("{year}-03-31"), "zaad": 7}),
    )
    .await;
    let draw = drawn["id"].as_str().unwrap().to_owned();
    for (declaration, outcome) in [
        (declarations[0], "niet_in_orde"),
        (declarations[1], "in_orde"),
    ] {
        post(
            kindpakket,
            gemeente,
            &format!("steekproeven/{draw}/controles"),
            AUDITOR,
            json!({"declaratie": declaration, "uitkomst": outcome, "toelichting": "Gecontroleerd."}),
        )
        .await;
    }
    for (from, cents) in [("huishouden", 6_001), ("partner", 1_000)] {
        post(
            kindpakket,
            gemeente,
            &format!("steekproeven/{draw}/terugvorderingen"),
            REGIE,
            json!({"declaratieId": declarations[0], "van": from, "bedragCents": cents}),
        )
        .await;
    }
    // The year end: last year's regeling expires every entitlement, this year's none yet.
    let closed = post(kindpakket, gemeente, "jaarafsluiting", REGIE, json!({})).await;
    let expected = if year < kindpakket_platform::clock::today().year() {
        children.len() * 3
    } else {
        0
    };
    assert_eq!(closed["verlopenRechten"], expected, "{closed}");
    children.len() * 3
}

fn ids<T>(map: &BTreeMap<Uuid, T>) -> BTreeSet<Uuid> {
    map.keys().copied().collect()
}

/// Every answer of the rows equals the fold's, in `gemeente` in `year`.
async fn assert_rows_equal_the_fold(pool: &PgPool, gemeente: &str, year: i32) -> History {
    let code = GemeenteCode::parse(gemeente).unwrap();
    let rows = ledger::load(pool, &code).await.unwrap();
    let folded = ledger::load_folded(pool, &code).await.unwrap();
    assert!(
        !folded.entitlements.is_empty(),
        "{gemeente} has entitlements"
    );
    assert_eq!(
        ids(&rows.entitlements),
        ids(&folded.entitlements),
        "{gemeente}"
    );
    assert_eq!(ids(&rows.invoices), ids(&folded.invoices), "{gemeente}");
    assert_eq!(ids(&rows.samples), ids(&folded.samples), "{gemeente}");
    // What the ledger, invoicing, the sample, the year end and the campaigns read of each one.
    for (id, folded) in &folded.entitlements {
        let row = &rows.entitlements[id];
        assert_eq!(row.gemeente, folded.gemeente, "{id}");
        assert_eq!(row.opened, folded.opened, "{id}");
        assert_eq!(row.used_cents, folded.used_cents, "{id}: used");
        assert_eq!(row.held_cents, folded.held_cents, "{id}: held");
        assert_eq!(row.deliveries, folded.deliveries, "{id}");
        assert_eq!(row.redemptions, folded.redemptions, "{id}");
        assert_eq!(row.expired, folded.expired, "{id}");
        let declarations = |history: &kindpakket_provision::domain::entitlement::Entitlement| {
            history
                .declarations
                .iter()
                .map(|d| (d.submitted.clone(), d.decided.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(declarations(row), declarations(folded), "{id}");
    }
    for (id, folded) in &folded.invoices {
        let row = &rows.invoices[id];
        assert_eq!(row.submitted, folded.submitted, "{id}");
        assert_eq!(row.decisions, folded.decisions, "{id}");
        assert_eq!(row.credit_notes, folded.credit_notes, "{id}");
    }
    for (id, folded) in &folded.samples {
        let row = &rows.samples[id];
        assert_eq!(row.drawn, folded.drawn, "{id}");
        assert_eq!(row.reclaims, folded.reclaims, "{id}");
    }
    // The answers themselves.
    assert_eq!(rows.ledger(), folded.ledger(), "{gemeente}: the ledger");
    let periods = [
        period(date(year, 1, 1), date(year, 12, 31)),
        period(date(year, 1, 1), date(year, 3, 31)),
        period(date(year, 4, 1), date(year, 6, 30)),
        period(date(year, 3, 1), date(year, 3, 31)),
    ];
    for partner in [CLUB, LEERGELD, SHOP, "een-ander"] {
        let partner = OrganisationId::parse(partner).unwrap();
        for period in periods {
            assert_eq!(
                rows.invoiceable(&partner, period),
                folded.invoiceable(&partner, period),
                "{gemeente}: invoiceable for {partner} in {period:?}"
            );
        }
    }
    for period in periods {
        assert_eq!(
            rows.declarations_submitted(period),
            folded.declarations_submitted(period),
            "{gemeente}: the sample's population in {period:?}"
        );
    }
    for on in [
        date(year, 6, 30),
        date(year + 1, 1, 1),
        kindpakket_platform::clock::today(),
    ] {
        assert_eq!(rows.due_to_expire(on), folded.due_to_expire(on), "{on}");
    }
    assert_eq!(rows.unused_at_expiry(), folded.unused_at_expiry());
    let regelingen = kindpakket_provision::read_models::regelingen::of_year(pool, &code, year)
        .await
        .unwrap();
    assert!(!regelingen.is_empty());
    for regeling in &regelingen {
        let uses = |history: &History| -> Vec<(String, i64, i64)> {
            ledger::budget_use(history, regeling)
                .into_iter()
                .map(|b| {
                    (
                        format!("{:?}", b.budget),
                        b.committed_cents.0,
                        b.spent_cents.0,
                    )
                })
                .collect()
        };
        assert_eq!(uses(&rows), uses(&folded), "{gemeente}: the budgets");
    }
    rows
}

/// The earlier grants a decision reads equal those in the `Granted` events, per gemeente and for
/// both together (a samenwerkingsverband).
async fn assert_grants_equal_the_events(pool: &PgPool) -> usize {
    let all: Vec<GemeenteCode> = GEMEENTEN
        .iter()
        .map(|(code, _, _)| GemeenteCode::parse(code).unwrap())
        .collect();
    let mut sets: Vec<Vec<GemeenteCode>> = all.iter().map(|code| vec![code.clone()]).collect();
    sets.push(all.clone());
    let mut counted = 0;
    for gemeenten in sets {
        let rows = kindpakket_application::grants::prior_grants(pool, &gemeenten)
            .await
            .unwrap();
        let folded = kindpakket_application::grants::prior_grants_folded(pool, &gemeenten)
            .await
            .unwrap();
        assert_eq!(rows, folded, "{gemeenten:?}");
        counted = rows.len();
    }
    counted
}

/// What the users read over HTTP: each gemeente's ledger and budgets, and the club's statement of
/// the first quarter.
async fn what_users_read(kindpakket: &Kindpakket) -> Vec<Value> {
    let mut answers = Vec::new();
    for (gemeente, year, _) in GEMEENTEN {
        for (path, who) in [
            (format!("grootboek/{year}"), AUDITOR),
            (format!("budgetten/{year}"), REGIE),
            (
                format!("partners/{CLUB}/afrekeningen/{year}/1"),
                partner(CLUB),
            ),
        ] {
            answers.push(
                kindpakket
                    .get(&kindpakket.provision_url(gemeente, &path), Some(who))
                    .await
                    .unwrap()
                    .expect(StatusCode::OK)
                    .unwrap(),
            );
        }
    }
    answers
}

async fn restart(platform: &mut Platform, service: ServiceName) {
    platform
        .service_mut(service)
        .terminate(Duration::from_secs(10))
        .await
        .unwrap();
    platform.service_mut(service).start_again().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_budgets_and_earlier_grants_read_from_tables_equal_the_fold_of_the_events() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    for (gemeente, year, funder) in GEMEENTEN {
        set_up(&kindpakket, gemeente, year, funder).await;
    }
    for (gemeente, year, _) in GEMEENTEN {
        a_year_of_money(&kindpakket, gemeente, year).await;
    }
    let provision = PgPool::connect(&platform.postgres.url(ServiceName::Provision.database()))
        .await
        .unwrap();
    let application = PgPool::connect(&platform.postgres.url(ServiceName::Application.database()))
        .await
        .unwrap();

    // Every edge case is in there, and the rows say what the fold says.
    for (gemeente, year, _) in GEMEENTEN {
        let rows = assert_rows_equal_the_fold(&provision, gemeente, year).await;
        let ledger = rows.ledger();
        assert!(
            ledger
                .iter()
                .any(|entry| matches!(entry.kind, ledger::EntryKind::Reclaim(_))),
            "{gemeente}: reclaims in the ledger"
        );
        let club = OrganisationId::parse(CLUB).unwrap();
        assert_eq!(
            rows.invoiceable(&club, period(date(year, 4, 1), date(year, 6, 30)))
                .len(),
            1,
            "{gemeente}: the second quarter's delivery is not invoiced yet"
        );
        assert!(rows.invoices.values().any(|i| !i.credit_notes.is_empty()));
        assert!(rows
            .entitlements
            .values()
            .any(|e| !e.redemptions.is_empty()));
        if year < kindpakket_platform::clock::today().year() {
            assert!(
                rows.unused_at_expiry().0 > 0,
                "{gemeente}: unused at expiry"
            );
        }
    }
    assert_eq!(assert_grants_equal_the_events(&application).await, 24);
    let read = what_users_read(&kindpakket).await;

    // After a restart, the same; and the rows follow what happens next.
    restart(&mut platform, ServiceName::Provision).await;
    restart(&mut platform, ServiceName::Application).await;
    assert_eq!(what_users_read(&kindpakket).await, read);
    let (gemeente, year, _) = GEMEENTEN[1];
    let more = granted(&kindpakket, gemeente, year).await;
    let sport = more["sportcontributie"];
    wait_opened(&kindpakket, gemeente, sport).await;
    kindpakket
        .wait_for_entitlement(gemeente, CLUB, sport, Duration::from_secs(20))
        .await
        .unwrap();
    kindpakket
        .deliver(gemeente, CLUB, sport, 4_321, &format!("{year}-06-01"))
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    for (gemeente, year, _) in GEMEENTEN {
        assert_rows_equal_the_fold(&provision, gemeente, year).await;
    }
    assert_eq!(assert_grants_equal_the_events(&application).await, 27);
    let read = what_users_read(&kindpakket).await;

    // A store from before the tables: they, their triggers and their migrations' records gone, the
    // events there. Started again, the services carry every event over, once.
    sqlx::raw_sql(
        "DROP TRIGGER ledger_state_kept ON events;
         DROP FUNCTION ledger_state_apply();
         DROP TABLE ledger_state, ledger_state_fill;
         DELETE FROM schema_migrations WHERE name = '0260_ledger_state';",
    )
    .execute(&provision)
    .await
    .unwrap();
    sqlx::raw_sql(
        "DROP TRIGGER granted_entitlements_kept ON events;
         DROP FUNCTION granted_entitlements_kept();
         DROP TABLE granted_entitlements;
         DELETE FROM schema_migrations WHERE name = '0410_granted_entitlements';",
    )
    .execute(&application)
    .await
    .unwrap();
    restart(&mut platform, ServiceName::Provision).await;
    restart(&mut platform, ServiceName::Application).await;
    let carried: i64 = sqlx::query_scalar("SELECT count(*) FROM ledger_state")
        .fetch_one(&provision)
        .await
        .unwrap();
    assert!(carried > 30, "{carried} rows carried over");
    for (gemeente, year, _) in GEMEENTEN {
        assert_rows_equal_the_fold(&provision, gemeente, year).await;
    }
    assert_eq!(assert_grants_equal_the_events(&application).await, 27);
    assert_eq!(what_users_read(&kindpakket).await, read);
    // Once: a restart does not write them again.
    let pending: bool = sqlx::query_scalar("SELECT bool_or(pending) FROM ledger_state_fill")
        .fetch_one(&provision)
        .await
        .unwrap();
    assert!(!pending);

    // Events stored before free text was sealed (version 1, which the trigger leaves alone): the
    // reseal at start rewrites them, and the rows follow, without the text.
    platform.service_mut(ServiceName::Provision).kill();
    let receipts = more["schoolspullen"];
    let code = GemeenteCode::parse(gemeente).unwrap();
    let child = ledger::load_folded(&provision, &code)
        .await
        .unwrap()
        .entitlements[&receipts]
        .opened
        .as_ref()
        .unwrap()
        .child;
    let marker = format!("LEGACY-{}", kindpakket_tests::text_marker(8));
    let declared = json!({"entitlement_id": receipts, "declaration_id": Uuid::new_v4(),
        "child": child, "provision": "schoolspullen", "submitted_by": LEERGELD, "amount_cents": 2_500});
    let mut submitted = declared.clone();
    submitted["proof_reference"] = json!(format!("{marker} bon"));
    submitted["submitted_on"] = json!(format!("{year}-03-10"));
    let mut decided = declared;
    decided["approved"] = json!(false);
    decided["reason"] = json!(format!("{marker} afwijzing"));
    decided["decided_on"] = json!(format!("{year}-03-11"));
    for (event_type, payload) in [
        (
            "DeclarationSubmitted",
            json!({"DeclarationSubmitted": submitted}),
        ),
        ("DeclarationDecided", json!({"DeclarationDecided": decided})),
    ] {
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
             SELECT 'entitlement', $1, max(sequence) + 1, $2, '1', $3, $4 FROM events
              WHERE aggregate_type = 'entitlement' AND aggregate_id = $1",
        )
        .bind(receipts.to_string())
        .bind(event_type)
        .bind(payload)
        .bind(json!({"gemeente": gemeente, "actor_organisation": "gemeente-amsterdam",
            "actor_role": "regievoerder", "correlation_id": Uuid::new_v4(),
            "occurred_at": format!("{year}-03-11T09:00:00Z")}))
        .execute(&provision)
        .await
        .unwrap();
    }
    platform
        .service_mut(ServiceName::Provision)
        .start_again()
        .await
        .unwrap();
    let rows = assert_rows_equal_the_fold(&provision, gemeente, year).await;
    assert_eq!(rows.entitlements[&receipts].declarations.len(), 1);
    let kept: String = sqlx::query_scalar("SELECT string_agg(state::text, ' ') FROM ledger_state")
        .fetch_one(&provision)
        .await
        .unwrap();
    assert!(!kept.contains(&marker), "no text in clear in the rows");
}
