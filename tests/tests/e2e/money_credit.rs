//! Credit notes (creditnota, docs/money.md §5) across the real services: regie approves one line of
//! a sports club's invoice and rejects two; the club credits the two rejected lines (never an
//! approved, undecided, unknown or already credited one, and never another club's invoice), invoices
//! them again, and regie approves them. The ledger holds the three lines to the cent, the club's
//! statement reconciles invoiced, credited, approved and rejected, and every consumer reads the
//! new event without parking it.

use std::time::Duration;

use kindpakket_proto::Service;
use kindpakket_tests::client::{provision, Answer, Kindpakket, REGIE};
use kindpakket_tests::inspect::stream_messages;
use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use super::settlement::{partner, publish, AUDITOR};

const G: &str = "GM0363";
const CLUB: &str = "sportclub-ajax";
const OTHER_CLUB: &str = "sportclub-blauw-wit";

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

/// One child granted sport by the regeling; its entitlement id.
async fn granted(kindpakket: &Kindpakket) -> Uuid {
    let application = kindpakket
        .submit(
            G,
            &json!({
                "kanaal": "loket",
                "huishouden": Uuid::new_v4(),
                "kinderen": [{"kind": Uuid::new_v4(), "geboortejaar": 2016, "geboortemaand": 4}],
                "inkomenPercentage": 110,
                "voorzieningen": ["sportcontributie"],
                "datum": "2026-01-15",
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
    Uuid::parse_str(decided["rechten"][0]["id"].as_str().unwrap()).unwrap()
}

async fn get(kindpakket: &Kindpakket, path: &str, who: kindpakket_tests::client::As<'_>) -> Value {
    kindpakket
        .get(&kindpakket.provision_url(G, path), Some(who))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_lines_are_credited_invoiced_again_and_the_ledger_and_statement_reconcile() {
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
    sport["financiers"] =
        json!([{"organisatie": "gemeente-amsterdam", "bron": "gemeentelijke_fondsen"}]);
    sport["medefinanciering"] = json!({"organisatie": "jeugdfonds-sport-cultuur", "bron": "externe_fondsen", "aandeelPercentage": 33});
    publish(
        &kindpakket,
        G,
        json!({
            "jaar": 2026, "geldigVanaf": "2026-01-01", "geldigTot": "2026-12-31",
            "inkomensgrens": {"soort": "percentage", "percentage": 120},
            "voorzieningen": [sport],
        }),
    )
    .await;
    for (club, name) in [
        (CLUB, "Sportclub Ajax"),
        (OTHER_CLUB, "Sportclub Blauw-Wit"),
    ] {
        kindpakket
            .enrol_partner(G, club, name, &["sportcontributie"])
            .await
            .unwrap();
    }

    // Three children, three deliveries by the club in the first quarter.
    let amounts = [10_001_i64, 12_345, 7_777];
    let total: i64 = amounts.iter().sum();
    for (amount, date) in amounts
        .iter()
        .zip(["2026-02-10", "2026-02-11", "2026-03-12"])
    {
        let right = granted(&kindpakket).await;
        kindpakket
            .wait_for_entitlement(G, CLUB, right, Duration::from_secs(20))
            .await
            .unwrap();
        kindpakket
            .deliver(G, CLUB, right, *amount, date)
            .await
            .unwrap()
            .expect(StatusCode::CREATED)
            .unwrap();
    }
    let quarter = json!({"vanaf": "2026-01-01", "tot": "2026-03-31"});
    let invoices = kindpakket.provision_url(G, "facturen");
    let invoice = kindpakket
        .post(&invoices, partner(CLUB), &quarter)
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    assert_eq!(invoice["totaalCent"], total);
    let id = invoice["id"].as_str().unwrap().to_owned();
    let line = |i: usize| invoice["regels"][i]["verstrekking"].clone();
    let amount_of = |i: usize| invoice["regels"][i]["bedragCent"].as_i64().unwrap();
    let credit_url = kindpakket.provision_url(G, &format!("facturen/{id}/creditnotas"));
    let credit = |who, lines: Vec<Value>, note: Option<Uuid>| {
        let kindpakket = kindpakket.clone();
        let credit_url = credit_url.clone();
        async move {
            let mut body = json!({"regels": lines});
            if let Some(note) = note {
                body["creditnotaId"] = json!(note);
            }
            kindpakket.post(&credit_url, who, &body).await.unwrap()
        }
    };

    // Nothing decided yet: nothing to credit.
    let before = platform.events_stored(ServiceName::Provision).await;
    assert_problem(
        &credit(partner(CLUB), vec![line(1)], None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Over regel 1 is nog niet besloten",
    );

    // Regie approves the first line and rejects the other two.
    let decision = json!({"regels": [
        {"verstrekking": line(0), "goedgekeurd": true},
        {"verstrekking": line(1), "goedgekeurd": false, "reden": "Geen lid in deze periode."},
        {"verstrekking": line(2), "goedgekeurd": false, "reden": "Bedrag klopt niet met de contributie."},
    ]});
    kindpakket
        .post(
            &kindpakket.provision_url(G, &format!("facturen/{id}/beoordeling")),
            REGIE,
            &decision,
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let decided_invoice = get(&kindpakket, &format!("facturen/{id}"), partner(CLUB)).await;
    let after_decision = platform.events_stored(ServiceName::Provision).await;
    assert_eq!(after_decision, before + 1);

    // Attacks and mistakes: an approved line (alone or beside a rejected one), an unknown line, a
    // line twice, no line, another club's credit, regie's: refused, and nothing changes.
    assert_problem(
        &credit(partner(CLUB), vec![line(0)], None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Regel 1 is goedgekeurd; alleen een afgekeurde regel kan worden gecrediteerd.",
    );
    assert_problem(
        &credit(partner(CLUB), vec![line(1), line(0)], None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Regel 2 is goedgekeurd; alleen een afgekeurde regel kan worden gecrediteerd.",
    );
    let unknown = Uuid::new_v4();
    let refused = credit(partner(CLUB), vec![json!(unknown)], None).await;
    assert_problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "niet op deze factuur",
    );
    assert!(!refused.detail().contains(&unknown.to_string()));
    assert_problem(
        &credit(partner(CLUB), vec![line(1), line(1)], None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "al eerder in deze creditnota",
    );
    assert_problem(
        &credit(partner(CLUB), vec![], None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ten minste één regel",
    );
    assert_problem(
        &credit(partner(OTHER_CLUB), vec![line(1), line(2)], None).await,
        StatusCode::NOT_FOUND,
        "bestaat niet",
    );
    assert_eq!(
        credit(REGIE, vec![line(1), line(2)], None).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        platform.events_stored(ServiceName::Provision).await,
        after_decision
    );
    assert_eq!(
        get(&kindpakket, &format!("facturen/{id}"), partner(CLUB)).await,
        decided_invoice
    );
    assert_problem(
        &kindpakket
            .post(&invoices, partner(CLUB), &quarter)
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "niets te factureren",
    );

    // The club credits the two rejected lines; the same request again credits nothing more, and a
    // new credit note for them is refused.
    let note = Uuid::new_v4();
    let credited = credit(partner(CLUB), vec![line(1), line(2)], Some(note))
        .await
        .expect(StatusCode::CREATED)
        .unwrap();
    let rejected_cents = amount_of(1) + amount_of(2);
    assert_eq!(credited["creditnota"], json!(note));
    assert_eq!(credited["totaalCent"], rejected_cents);
    let after_credit = platform.events_stored(ServiceName::Provision).await;
    assert_eq!(after_credit, after_decision + 1);
    credit(partner(CLUB), vec![line(1), line(2)], Some(note))
        .await
        .expect(StatusCode::CREATED)
        .unwrap();
    assert_problem(
        &credit(partner(CLUB), vec![line(2)], None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Regel 1 is al gecrediteerd",
    );
    assert_problem(
        &credit(partner(CLUB), vec![line(2)], Some(note)).await,
        StatusCode::CONFLICT,
        "andere regels",
    );
    assert_eq!(
        platform.events_stored(ServiceName::Provision).await,
        after_credit
    );

    // The invoice shows its credit note, to the club and to regie.
    for who in [partner(CLUB), REGIE, AUDITOR] {
        let shown = get(&kindpakket, &format!("facturen/{id}"), who).await;
        assert_eq!(shown["gecrediteerdCent"], rejected_cents, "{shown}");
        assert_eq!(shown["goedgekeurdCent"], amount_of(0));
        assert_eq!(shown["creditnotas"].as_array().unwrap().len(), 1, "{shown}");
        assert_eq!(shown["creditnotas"][0]["regels"], json!([line(1), line(2)]));
        let statuses: Vec<&Value> = shown["regels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|line| &line["status"])
            .collect();
        assert_eq!(
            statuses,
            vec!["goedgekeurd", "gecrediteerd", "gecrediteerd"]
        );
    }
    // Another club still cannot see the invoice.
    assert_eq!(
        kindpakket
            .get(
                &kindpakket.provision_url(G, &format!("facturen/{id}")),
                Some(partner(OTHER_CLUB))
            )
            .await
            .unwrap()
            .status,
        StatusCode::NOT_FOUND
    );

    // The club invoices the quarter again: exactly the two credited lines. Regie approves them.
    let again = kindpakket
        .post(&invoices, partner(CLUB), &quarter)
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let relisted: Vec<Value> = again["regels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["verstrekking"].clone())
        .collect();
    assert_eq!(relisted, vec![line(1), line(2)]);
    assert_eq!(again["totaalCent"], rejected_cents);
    let approve: Vec<Value> = relisted
        .iter()
        .map(|line| json!({"verstrekking": line, "goedgekeurd": true}))
        .collect();
    kindpakket
        .post(
            &kindpakket.provision_url(
                G,
                &format!("facturen/{}/beoordeling", again["id"].as_str().unwrap()),
            ),
            REGIE,
            &json!({"regels": approve}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_problem(
        &kindpakket
            .post(&invoices, partner(CLUB), &quarter)
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "niets te factureren",
    );

    // The ledger: the three deliveries, each once, to the cent and split over both funders.
    let ledger = get(&kindpakket, "grootboek/2026", AUDITOR).await;
    assert_eq!(ledger["totaalCent"], total, "{ledger}");
    let funders: i64 = ledger["perFinancier"]
        .as_array()
        .unwrap()
        .iter()
        .map(|funder| funder["bedragCent"].as_i64().unwrap())
        .sum();
    assert_eq!(funders, total);
    let jeugdfonds = ledger["perFinancier"]
        .as_array()
        .unwrap()
        .iter()
        .find(|funder| funder["organisatie"] == "jeugdfonds-sport-cultuur")
        .unwrap();
    assert_eq!(
        jeugdfonds["bedragCent"],
        amounts.iter().map(|amount| amount * 33 / 100).sum::<i64>()
    );

    // The club's statement: paid the total; invoiced − credited = approved + rejected-not-credited
    // + undecided.
    let statement = get(
        &kindpakket,
        &format!("partners/{CLUB}/afrekeningen/2026/1"),
        partner(CLUB),
    )
    .await;
    assert_eq!(statement["totaalCent"], total, "{statement}");
    let invoiced = &statement["facturen"];
    assert_eq!(
        invoiced,
        &json!({
            "gefactureerdCent": total + rejected_cents,
            "goedgekeurdCent": total,
            "afgekeurdCent": rejected_cents,
            "gecrediteerdCent": rejected_cents,
            "afgekeurdNietGecrediteerdCent": 0,
            "openCent": 0,
        })
    );
    let cents = |field: &str| invoiced[field].as_i64().unwrap();
    assert_eq!(
        cents("gefactureerdCent") - cents("gecrediteerdCent"),
        cents("goedgekeurdCent") + cents("afgekeurdNietGecrediteerdCent") + cents("openCent")
    );

    // The credit note is on the bus (without reasons), and every consumer of the provision stream
    // read it without parking anything.
    let stream = stream_messages(&platform.nats.url(), Service::Provision)
        .await
        .unwrap();
    let published = stream
        .iter()
        .find(|(_, message)| message.envelope.event_type == "CreditNoteIssued")
        .expect("the credit note is published");
    assert_eq!(published.1.event["total_cents"], rejected_cents);
    let text = published.1.event.to_string();
    assert!(
        !text.contains("Geen lid") && !text.contains("Bedrag klopt"),
        "{text}"
    );
    for database in [
        "kindpakket_dashboard",
        "kindpakket_signalling",
        "kindpakket_provision",
    ] {
        let url = platform.postgres.url(database);
        let invoice_id = id.clone();
        wait_until(
            &format!("{database} read the credit note"),
            Duration::from_secs(20),
            || {
                let (url, invoice_id) = (url.clone(), invoice_id.clone());
                async move {
                    let mut connection = PgConnection::connect(&url).await?;
                    let applied: bool = sqlx::query_scalar(
                        "SELECT EXISTS (SELECT 1 FROM consumer_offsets
                                        WHERE aggregate_id = $1 AND last_sequence >= 3)",
                    )
                    .bind(invoice_id)
                    .fetch_one(&mut connection)
                    .await?;
                    when(applied, ())
                }
            },
        )
        .await
        .unwrap();
        let mut connection = PgConnection::connect(&url).await.unwrap();
        let parked: i64 = sqlx::query_scalar("SELECT count(*) FROM dead_letters")
            .fetch_one(&mut connection)
            .await
            .unwrap();
        assert_eq!(parked, 0, "{database} parked an event");
    }
}
