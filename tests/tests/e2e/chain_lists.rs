//! The chain's status and the work lists (issue 14), against the real services:
//!
//! - a child's progress as the signaller will read it (`child_progress` in signalling, kept from the
//!   application and provision streams): aangevraagd → toegekend → bediend as the events happen,
//!   never backwards, forgotten with the child;
//! - provision's work lists: regie pages through the declarations to judge with a cursor and sees
//!   each once; a partner sees its own declarations and invoices only, whatever its filter says; a
//!   parent sees their household's entitlements with what is left, and declares a receipt that
//!   reaches regie's list;
//! - bad input (an unknown parameter, `aantal=0`, a forged cursor, a declaration above the balance,
//!   another household's entitlement, personal data in the proof) gets a Dutch 4xx and changes
//!   nothing.

use kindpakket_tests::{this_year, this_year_on};
use std::collections::BTreeSet;
use std::time::Duration;

use kindpakket_tests::client::{provision, As, Kindpakket, REGIE};
use kindpakket_tests::wait::{wait_until, when};
use kindpakket_tests::{Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use super::settlement::{partner, publish};

const LEERGELD: &str = "leergeld-lists";
const JEUGDFONDS: &str = "jeugdfonds-lists";

/// A regeling with receipts (declaratie), a pass (tegoedbon) and a lesson in kind; Leergeld may
/// deliver the receipts and the lesson, the Jeugdfonds the lesson only.
async fn regeling(kindpakket: &Kindpakket, gemeente: &str) {
    publish(
        kindpakket,
        gemeente,
        json!({
            "jaar": this_year(), "geldigVanaf": this_year_on("01-01"), "geldigTot": this_year_on("12-31"),
            "inkomensgrens": {"soort": "percentage", "percentage": 120},
            "voorzieningen": [
                provision("kinderpas", "Kinderpas", "school", (4, 17), 5_000, "tegoedbon"),
                provision("schoolspullen", "Schoolspullen", "school", (4, 17), 60_000, "declaratie"),
                provision("zwemles", "Zwemles", "maatschappelijke_participatie", (4, 17), 30_000, "in_natura"),
            ],
        }),
    )
    .await;
    kindpakket
        .enrol_partner(
            gemeente,
            LEERGELD,
            "Stichting Leergeld",
            &["schoolspullen", "zwemles"],
        )
        .await
        .unwrap();
    kindpakket
        .enrol_partner(gemeente, JEUGDFONDS, "Jeugdfonds", &["zwemles"])
        .await
        .unwrap();
}

const PARENT: As<'static> = As {
    organisation: "ouder",
    role: "applicant",
};

/// The parent of `household` applies online for `child`; returns the application's id.
async fn parent_applies(
    kindpakket: &Kindpakket,
    gemeente: &str,
    household: Uuid,
    child: Uuid,
) -> Uuid {
    let created = kindpakket
        .post(
            &kindpakket.application_url(gemeente, "aanvragen"),
            PARENT,
            &json!({
                "kanaal": "online", "huishouden": household, "inkomenPercentage": 110,
                "kinderen": [{"kind": child, "geboortejaar": 2016, "geboortemaand": 3}],
                "datum": this_year_on("02-01"),
            }),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    Uuid::parse_str(created["id"].as_str().unwrap()).unwrap()
}

/// Regie grants `child` the provisions by hand (once the regeling reached the application
/// service); returns the entitlement ids in the order asked.
async fn grant(
    kindpakket: &Kindpakket,
    gemeente: &str,
    application: Uuid,
    child: Uuid,
    provisions: &[(&str, i64)],
) -> Vec<Uuid> {
    let rights: Vec<Value> = provisions
        .iter()
        .map(|(provision, amount)| {
            json!({"kind": child, "voorziening": provision, "bedragCent": amount,
                   "geldigVanaf": this_year_on("01-01"), "geldigTot": this_year_on("12-31")})
        })
        .collect();
    let url = kindpakket.application_url(gemeente, &format!("aanvragen/{application}/toekenning"));
    let granted = wait_until("granted", Duration::from_secs(30), || async {
        let answer = kindpakket
            .post(&url, REGIE, &json!({"rechten": rights}))
            .await?;
        when(answer.status == StatusCode::OK, answer.body)
    })
    .await
    .unwrap();
    provisions
        .iter()
        .map(|(provision, _)| {
            let right = granted["rechten"]
                .as_array()
                .unwrap()
                .iter()
                .find(|right| right["voorziening"] == *provision)
                .unwrap();
            Uuid::parse_str(right["id"].as_str().unwrap()).unwrap()
        })
        .collect()
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

/// POST as the parent whose login names `household`.
async fn post_as_parent(
    kindpakket: &Kindpakket,
    url: &str,
    gemeente: &str,
    household: Uuid,
    body: &Value,
) -> (StatusCode, Value) {
    let token =
        kindpakket
            .issuer
            .mint_for_household("ouder", &[gemeente], &household.to_string(), 3600);
    let response = kindpakket
        .http
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The child's row in signalling's `child_progress`: (stage, reached on).
async fn progress(platform: &Platform, gemeente: &str, child: Uuid) -> Option<(String, String)> {
    let mut connection =
        PgConnection::connect(&platform.postgres.url(ServiceName::Signalling.database()))
            .await
            .unwrap();
    sqlx::query_as(
        "SELECT stage, reached_on::text FROM child_progress WHERE gemeente = $1 AND child = $2",
    )
    .bind(gemeente)
    .bind(child)
    .fetch_optional(&mut connection)
    .await
    .unwrap()
}

async fn wait_for_stage(platform: &Platform, gemeente: &str, child: Uuid, stage: &str) -> String {
    wait_until(
        &format!("the child is {stage}"),
        Duration::from_secs(30),
        || async {
            let row = progress(platform, gemeente, child).await;
            when(row.as_ref().is_some_and(|(seen, _)| seen == stage), row)
        },
    )
    .await
    .unwrap()
    .unwrap()
    .1
}

/// Whether signalling's application consumer has applied the application's events up to `sequence`.
async fn signalling_applied(platform: &Platform, application: Uuid, sequence: i64) -> bool {
    let mut connection =
        PgConnection::connect(&platform.postgres.url(ServiceName::Signalling.database()))
            .await
            .unwrap();
    let last: Option<i64> = sqlx::query_scalar(
        "SELECT last_sequence FROM consumer_offsets
          WHERE consumer = 'signalling-application' AND aggregate_id = $1",
    )
    .bind(application.to_string())
    .fetch_optional(&mut connection)
    .await
    .unwrap();
    last.is_some_and(|last| last >= sequence)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_childs_status_moves_forward_as_the_events_happen_never_back_and_is_forgotten_with_it() {
    const G: &str = "GM0014";
    // With each service's own NATS user: signalling must be allowed to read the provision stream.
    let platform = Platform::start_with_nats_users()
        .await
        .expect("platform starts");
    let kindpakket = platform.client();
    regeling(&kindpakket, G).await;
    let created = kindpakket
        .post_for_purpose(
            &kindpakket.application_url(G, "personen"),
            REGIE,
            "aanvraag Kindpakket",
            &json!({"soort": "kind", "bsn": "123456782", "naam": "Sanne de Vries"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let child = Uuid::parse_str(created["id"].as_str().unwrap()).unwrap();
    let household = Uuid::new_v4();
    assert_eq!(progress(&platform, G, child).await, None);

    // The family applies: aangevraagd, on the application's date.
    let application = parent_applies(&kindpakket, G, household, child).await;
    assert_eq!(
        wait_for_stage(&platform, G, child, "aangevraagd").await,
        this_year_on("02-01")
    );

    // The gemeente grants a lesson: toegekend.
    let rights = grant(&kindpakket, G, application, child, &[("zwemles", 30_000)]).await;
    wait_for_stage(&platform, G, child, "toegekend").await;

    // Leergeld gives the lesson: bediend, on the day of the delivery.
    kindpakket
        .wait_for_entitlement(G, LEERGELD, rights[0], Duration::from_secs(30))
        .await
        .unwrap();
    kindpakket
        .deliver(G, LEERGELD, rights[0], 12_000, &this_year_on("03-05"))
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    assert_eq!(
        wait_for_stage(&platform, G, child, "bediend").await,
        this_year_on("03-05")
    );

    // Under these NATS users provision reads its own stream too: the invoice reaches regie's list.
    kindpakket
        .post(
            &kindpakket.provision_url(G, "facturen"),
            partner(LEERGELD),
            &json!({"vanaf": this_year_on("03-01"), "tot": this_year_on("03-31")}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    wait_until("the invoice to settle", Duration::from_secs(30), || async {
        let page = kindpakket
            .get(
                &kindpakket.provision_url(G, "facturen?status=te-beoordelen"),
                Some(REGIE),
            )
            .await?
            .expect(StatusCode::OK)?;
        when(page["items"].as_array().unwrap().len() == 1, page)
    })
    .await
    .unwrap();

    // A second application for the same child, later: the status does not go back.
    let again = parent_applies(&kindpakket, G, household, child).await;
    wait_until(
        "signalling applied the second application",
        Duration::from_secs(30),
        || async { when(signalling_applied(&platform, again, 1).await, ()) },
    )
    .await
    .unwrap();
    assert_eq!(
        progress(&platform, G, child).await,
        Some(("bediend".to_owned(), this_year_on("03-05").to_owned()))
    );

    // The gemeente forgets the child: its row is gone, and stays gone.
    kindpakket
        .post(
            &kindpakket.application_url(G, &format!("personen/{child}/verwijdering")),
            REGIE,
            &json!({"reden": "verzoek van betrokkene (AVG art. 17)"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    wait_until(
        "the child's status is forgotten",
        Duration::from_secs(30),
        || async {
            let row = progress(&platform, G, child).await;
            when(row.is_none(), row)
        },
    )
    .await
    .unwrap();
}

/// Every page of a list, following `volgende`; returns the items.
async fn all_pages(kindpakket: &Kindpakket, url: &str, who: As<'_>) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    let mut next: Option<String> = None;
    loop {
        let page_url = match &next {
            Some(cursor) => format!("{url}&na={cursor}"),
            None => url.to_owned(),
        };
        let page = kindpakket
            .get(&page_url, Some(who))
            .await
            .unwrap()
            .expect(StatusCode::OK)
            .unwrap();
        pages += 1;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["volgende"].as_str() {
            Some(cursor) => next = Some(cursor.to_owned()),
            None => return (items, pages),
        }
    }
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_lists_page_each_row_once_and_show_each_caller_only_its_own() {
    const G: &str = "GM0015";
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    regeling(&kindpakket, G).await;

    // Two families, each granted receipts and a lesson.
    let (first_household, first_child) = (Uuid::new_v4(), Uuid::new_v4());
    let (second_household, second_child) = (Uuid::new_v4(), Uuid::new_v4());
    let first_application = parent_applies(&kindpakket, G, first_household, first_child).await;
    let second_application = parent_applies(&kindpakket, G, second_household, second_child).await;
    let first = grant(
        &kindpakket,
        G,
        first_application,
        first_child,
        &[("schoolspullen", 60_000), ("zwemles", 30_000)],
    )
    .await;
    let second = grant(
        &kindpakket,
        G,
        second_application,
        second_child,
        &[("schoolspullen", 60_000), ("zwemles", 30_000)],
    )
    .await;

    // Leergeld declares five receipts across both families and gives both lessons, then invoices.
    for right in [first[0], second[0]] {
        kindpakket
            .wait_for_entitlement(G, LEERGELD, right, Duration::from_secs(30))
            .await
            .unwrap();
    }
    let mut declared = BTreeSet::new();
    for (index, right) in [first[0], first[0], second[0], second[0], second[0]]
        .into_iter()
        .enumerate()
    {
        let own = kindpakket.partner_entitlement(LEERGELD, right).unwrap();
        let answer = kindpakket
            .post(
                &kindpakket.provision_url(G, &format!("rechten/{own}/declaraties")),
                partner(LEERGELD),
                &json!({"bedragCent": 1_000 + index as i64, "bewijs": format!("kassabon {index}"),
                        "datum": this_year_on("03-01")}),
            )
            .await
            .unwrap()
            .expect(StatusCode::CREATED)
            .unwrap();
        declared.insert(answer["declaratie"].as_str().unwrap().to_owned());
    }
    for right in [first[1], second[1]] {
        kindpakket
            .deliver(G, LEERGELD, right, 10_000, &this_year_on("03-02"))
            .await
            .unwrap()
            .expect(StatusCode::CREATED)
            .unwrap();
    }
    kindpakket
        .post(
            &kindpakket.provision_url(G, "facturen"),
            partner(LEERGELD),
            &json!({"vanaf": this_year_on("03-01"), "tot": this_year_on("03-31")}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();

    // Regie pages through the declarations to judge, two at a time: each exactly once.
    let to_judge = kindpakket.provision_url(G, "declaraties?status=te-beoordelen&aantal=2");
    let (items, pages) = wait_until(
        "five declarations to judge",
        Duration::from_secs(30),
        || async {
            let (items, pages) = all_pages(&kindpakket, &to_judge, REGIE).await;
            when(items.len() == 5, (items, pages))
        },
    )
    .await
    .unwrap();
    assert_eq!(pages, 3);
    let listed = ids(&items);
    assert_eq!(listed.iter().cloned().collect::<BTreeSet<_>>(), declared);
    assert_eq!(listed.len(), declared.len(), "a declaration listed twice");
    assert!(items
        .iter()
        .all(|item| item["status"] == "te-beoordelen" && item["ingediendDoor"] == LEERGELD));
    // What the list shows is what to judge, never the proof.
    assert!(!items[0].to_string().contains("kassabon"), "{}", items[0]);

    // Judged, a declaration leaves the queue.
    let judged = &items[0];
    kindpakket
        .post(
            &kindpakket.provision_url(
                G,
                &format!(
                    "rechten/{}/declaraties/{}/beoordeling",
                    judged["recht"].as_str().unwrap(),
                    judged["id"].as_str().unwrap()
                ),
            ),
            REGIE,
            &json!({"goedgekeurd": true}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    wait_until(
        "the judged declaration left the queue",
        Duration::from_secs(30),
        || async {
            let (items, _) = all_pages(&kindpakket, &to_judge, REGIE).await;
            when(
                items.len() == 4
                    && !ids(&items).contains(&judged["id"].as_str().unwrap().to_owned()),
                items.len(),
            )
        },
    )
    .await
    .unwrap();

    // Leergeld sees its own five, under its own ids of the entitlements.
    let (own_items, _) = all_pages(
        &kindpakket,
        &kindpakket.provision_url(G, "declaraties?aantal=200"),
        partner(LEERGELD),
    )
    .await;
    assert_eq!(own_items.len(), 5);
    let own_rights: BTreeSet<String> = [first[0], second[0]]
        .iter()
        .map(|right| {
            kindpakket
                .partner_entitlement(LEERGELD, *right)
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(own_items
        .iter()
        .all(|item| own_rights.contains(item["recht"].as_str().unwrap())));

    // The Jeugdfonds sees none of Leergeld's declarations or invoices, whatever it asks for.
    for crafted in [
        "declaraties",
        "declaraties?status=te-beoordelen",
        "declaraties?voorziening=schoolspullen&aantal=200",
        "facturen",
        "facturen?status=te-beoordelen",
        "facturen?partner=leergeld-lists",
    ] {
        let page = kindpakket
            .get(
                &kindpakket.provision_url(G, crafted),
                Some(partner(JEUGDFONDS)),
            )
            .await
            .unwrap()
            .expect(StatusCode::OK)
            .unwrap();
        assert_eq!(page["items"], json!([]), "{crafted}: {page}");
    }

    // Regie's invoices to settle hold Leergeld's; Leergeld reads its own.
    let invoices = wait_until("the invoice to settle", Duration::from_secs(30), || async {
        let page = kindpakket
            .get(
                &kindpakket.provision_url(G, "facturen?status=te-beoordelen"),
                Some(REGIE),
            )
            .await?
            .expect(StatusCode::OK)?;
        when(page["items"].as_array().unwrap().len() == 1, page)
    })
    .await
    .unwrap();
    assert_eq!(invoices["items"][0]["partner"], LEERGELD);
    assert_eq!(invoices["items"][0]["regels"], 2);
    assert_eq!(invoices["items"][0]["totaalCent"], 20_000);
    let own_invoices = kindpakket
        .get(
            &kindpakket.provision_url(G, "facturen"),
            Some(partner(LEERGELD)),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(own_invoices["items"].as_array().unwrap().len(), 1);

    // The Jeugdfonds's entitlements are the lessons it may give, and only with the filter's provision.
    let lessons = kindpakket
        .get(
            &kindpakket.provision_url(G, "rechten?voorziening=zwemles"),
            Some(partner(JEUGDFONDS)),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(lessons["items"].as_array().unwrap().len(), 2, "{lessons}");
    let receipts = kindpakket
        .get(
            &kindpakket.provision_url(G, "rechten?voorziening=schoolspullen"),
            Some(partner(JEUGDFONDS)),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(receipts["items"], json!([]), "{receipts}");

    // Bad input: a Dutch 400 naming the parameter, never what was sent, nothing changed.
    let before = platform.events_stored_everywhere().await;
    for (query, words) in [
        (
            "declaraties?sorteer=bedrag",
            "Onbekende parameter 'sorteer'",
        ),
        ("declaraties?aantal=0", "'aantal'"),
        ("declaraties?aantal=201", "'aantal'"),
        ("declaraties?na=bmlldHMgdmFuIG9ucw", "'na'"),
        ("declaraties?status=alles", "'status'"),
        ("rechten?na=vervalst", "'na'"),
        ("facturen?partner=Leer%20geld", "'partner'"),
        ("rechten?voorziening=..%2F..", "'voorziening'"),
    ] {
        let answer = kindpakket
            .get(&kindpakket.provision_url(G, query), Some(REGIE))
            .await
            .unwrap();
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{query}: {:?}",
            answer.body
        );
        assert_eq!(answer.content_type, "application/problem+json");
        assert!(
            answer.detail().contains(words),
            "{query}: {}",
            answer.detail()
        );
        for sent in ["bedrag", "vervalst", "alles", "Leer geld"] {
            assert!(
                !answer.detail().contains(sent),
                "{query} repeats: {}",
                answer.detail()
            );
        }
    }
    assert_eq!(platform.events_stored_everywhere().await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_sees_their_households_entitlements_and_declares_a_receipt_for_regie_to_judge() {
    const G: &str = "GM0016";
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    regeling(&kindpakket, G).await;
    let (household, child) = (Uuid::new_v4(), Uuid::new_v4());
    let (other_household, other_child) = (Uuid::new_v4(), Uuid::new_v4());
    let application = parent_applies(&kindpakket, G, household, child).await;
    let other_application = parent_applies(&kindpakket, G, other_household, other_child).await;
    let ours = grant(
        &kindpakket,
        G,
        application,
        child,
        &[("schoolspullen", 60_000), ("kinderpas", 5_000)],
    )
    .await;
    let theirs = grant(
        &kindpakket,
        G,
        other_application,
        other_child,
        &[("schoolspullen", 60_000)],
    )
    .await;

    // The parent's list: their child's two entitlements, what is left, until when, the pass's last
    // characters; nothing of the other family.
    let list_url = kindpakket.provision_url(G, "rechten");
    let list = wait_until(
        "the household's entitlements",
        Duration::from_secs(30),
        || async {
            let (status, page) = get_as_parent(&kindpakket, &list_url, G, household).await;
            when(
                status == StatusCode::OK
                    && page["items"]
                        .as_array()
                        .is_some_and(|items| items.len() == 2),
                page,
            )
        },
    )
    .await
    .unwrap();
    let listed: BTreeSet<String> = ids(list["items"].as_array().unwrap()).into_iter().collect();
    assert_eq!(
        listed,
        ours.iter().map(Uuid::to_string).collect::<BTreeSet<_>>()
    );
    for item in list["items"].as_array().unwrap() {
        assert_eq!(item["kind"], child.to_string());
        assert_eq!(item["geldigTot"], this_year_on("12-31"));
        if item["voorziening"] == "kinderpas" {
            assert_eq!(item["restCent"], 5_000);
            assert_eq!(
                item["pasLaatsteTekens"].as_str().unwrap().len(),
                4,
                "{item}"
            );
        } else {
            assert_eq!(item["restCent"], 60_000);
        }
    }
    // The other family's parent sees only theirs; a login without a household sees nothing.
    let (_, other_list) = wait_until(
        "the other household's entitlement",
        Duration::from_secs(30),
        || async {
            let answer = get_as_parent(&kindpakket, &list_url, G, other_household).await;
            when(
                answer.1["items"]
                    .as_array()
                    .is_some_and(|items| items.len() == 1),
                answer,
            )
        },
    )
    .await
    .unwrap();
    assert_eq!(other_list["items"][0]["id"], theirs[0].to_string());
    let without = kindpakket.get(&list_url, Some(PARENT)).await.unwrap();
    assert_eq!(without.status, StatusCode::FORBIDDEN, "{:?}", without.body);
    assert!(without.detail().contains("huishouden"));
    let (status, _) = get_as_parent(
        &kindpakket,
        &kindpakket.provision_url(G, &format!("rechten/{}", theirs[0])),
        G,
        household,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Attempts that change nothing: another household's entitlement (as if it did not exist), more
    // than is left, personal data in the proof, no proof.
    let before = platform.events_stored_everywhere().await;
    let declare =
        |right: Uuid| kindpakket.provision_url(G, &format!("rechten/{right}/declaraties"));
    for (right, body, status, words) in [
        (
            theirs[0],
            json!({"bedragCent": 2_000, "bewijs": "kassabon 7"}),
            StatusCode::NOT_FOUND,
            "bestaat niet",
        ),
        (
            ours[0],
            json!({"bedragCent": 60_001, "bewijs": "kassabon 7"}),
            StatusCode::CONFLICT,
            "",
        ),
        (
            ours[0],
            json!({"bedragCent": 2_000, "bewijs": "bsn 123456782"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bewijs",
        ),
        (
            ours[0],
            json!({"bedragCent": 2_000}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
        ),
    ] {
        let (seen, answer) =
            post_as_parent(&kindpakket, &declare(right), G, household, &body).await;
        assert_eq!(seen, status, "{body}: {answer}");
        assert!(
            answer["detail"].as_str().unwrap().contains(words),
            "{answer}"
        );
        assert!(!answer.to_string().contains("123456782"), "{answer}");
    }
    assert_eq!(platform.events_stored_everywhere().await, before);

    // The parent declares a receipt for school supplies: it is held on the entitlement and reaches
    // regie's list of declarations to judge, as a parent's.
    let (status, answer) = post_as_parent(
        &kindpakket,
        &declare(ours[0]),
        G,
        household,
        &json!({"bedragCent": 3_450, "bewijs": format!("kassabon Hema {}-03-04", this_year()), "datum": this_year_on("03-04")}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["gereserveerdCent"], 3_450);
    assert_eq!(answer["declaraties"].as_array().unwrap().len(), 1);
    assert_eq!(answer["declaraties"][0]["ingediendDoor"], "ouder");
    let declaration = answer["declaratie"].as_str().unwrap().to_owned();
    let queue = wait_until(
        "the receipt is to be judged",
        Duration::from_secs(30),
        || async {
            let page = kindpakket
                .get(
                    &kindpakket.provision_url(G, "declaraties?status=te-beoordelen"),
                    Some(REGIE),
                )
                .await?
                .expect(StatusCode::OK)?;
            when(page["items"].as_array().unwrap().len() == 1, page)
        },
    )
    .await
    .unwrap();
    let item = &queue["items"][0];
    assert_eq!(item["id"], declaration);
    assert_eq!(item["recht"], ours[0].to_string());
    assert_eq!(item["kind"], child.to_string());
    assert_eq!(item["ingediendDoor"], "ouder");
    assert_eq!(item["bedragCent"], 3_450);
    // The parent reads it in their own list too; the other family does not.
    let (_, mine) = get_as_parent(
        &kindpakket,
        &kindpakket.provision_url(G, "declaraties"),
        G,
        household,
    )
    .await;
    assert_eq!(
        ids(mine["items"].as_array().unwrap()),
        vec![declaration.clone()]
    );
    let (_, not_theirs) = get_as_parent(
        &kindpakket,
        &kindpakket.provision_url(G, "declaraties"),
        G,
        other_household,
    )
    .await;
    assert_eq!(not_theirs["items"], json!([]));
    // What is left went down by what is held.
    let (_, list) = get_as_parent(&kindpakket, &list_url, G, household).await;
    let receipts = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["voorziening"] == "schoolspullen")
        .unwrap()
        .clone();
    assert_eq!(receipts["restCent"], 60_000 - 3_450);
}
