//! Attacks on the application service, through its public API against the real services: a parent
//! probing and overwriting the vault, a partner or signaller withdrawing or taking in applications
//! that are not its own, a grant by hand around the regeling, a retention day in the future, and
//! refusals that would echo what the caller sent. Each is refused in Dutch, and nothing changes.

use std::collections::BTreeSet;
use std::time::Duration;

use kindpakket_application::domain::eligibility::{self, PriorGrant};
use kindpakket_platform::shredding::{Opened, Sealed};
use kindpakket_proto::application::ApplicationEvent;
use kindpakket_proto::regie::RegieEvent;
use kindpakket_proto::{Period, Service};
use kindpakket_tests::client::{on_behalf, provision, As, Kindpakket, REGIE};
use kindpakket_tests::inspect::{store_event_count, stream_messages};
use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

const G: &str = "GM0518";
const AUDITOR: As<'static> = As {
    organisation: "gemeente-controller",
    role: "auditor",
};
const FATIMA_BSN: &str = "111222333";
const OTHER_BSN: &str = "123456782";
const PURPOSE: &str = "aanvraag Kindpakket beoordelen";

fn partner(organisation: &str) -> As<'_> {
    As {
        organisation,
        role: "partner",
    }
}

fn signaller(organisation: &str) -> As<'_> {
    As {
        organisation,
        role: "signaller",
    }
}

/// The keys of a JSON object.
fn keys(body: &Value) -> BTreeSet<String> {
    body.as_object()
        .map(|object| object.keys().cloned().collect())
        .unwrap_or_default()
}

fn id_of(body: &Value) -> Uuid {
    Uuid::parse_str(body["id"].as_str().unwrap()).unwrap()
}

async fn read_person(kindpakket: &Kindpakket, person: Uuid) -> Value {
    let url = kindpakket.application_url(G, &format!("personen/{person}"));
    kindpakket
        .http
        .get(&url)
        .bearer_auth(kindpakket.token(&url, REGIE))
        .header("x-doel", "controle")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Every sealed version of a person, the earlier ones first: sealed under their subject key.
async fn sealed_versions(vault: &PgPool, person: Uuid) -> Vec<(i32, Sealed<Value>)> {
    let mut versions: Vec<(i32, sqlx::types::Json<Sealed<Value>>)> = sqlx::query_as(
        "SELECT version, sealed FROM person_versions WHERE person_id = $1 ORDER BY version",
    )
    .bind(person)
    .fetch_all(vault)
    .await
    .unwrap();
    versions.push(
        sqlx::query_as("SELECT version, sealed FROM persons WHERE person_id = $1")
            .bind(person)
            .fetch_one(vault)
            .await
            .unwrap(),
    );
    versions
        .into_iter()
        .map(|(version, sqlx::types::Json(sealed))| (version, sealed))
        .collect()
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_learns_nothing_from_the_vault_and_nothing_kept_is_ever_overwritten() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    let personen = kindpakket.application_url(G, "personen");
    let vault = PgPool::connect(&platform.postgres.url("kindpakket_application_vault"))
        .await
        .unwrap();
    let keys_db = PgPool::connect(&platform.postgres.url("kindpakket_application_vault_keys"))
        .await
        .unwrap();

    // The gemeente keeps Fatima, for a stated purpose only.
    let fatima = json!({
        "soort": "ouder", "bsn": FATIMA_BSN, "naam": "Fatima El Amrani",
        "adres": "Laan van Meerdervoort 1234", "iban": "NL91ABNA0417164300",
    });
    let without_purpose = kindpakket.post(&personen, REGIE, &fatima).await.unwrap();
    assert_eq!(without_purpose.status, StatusCode::BAD_REQUEST);
    assert!(
        without_purpose.detail().contains("X-Doel"),
        "{}",
        without_purpose.detail()
    );
    assert_eq!(
        count(&vault, "persons").await,
        0,
        "nothing kept without a purpose"
    );
    let kept = kindpakket
        .post_for_purpose(&personen, REGIE, PURPOSE, &fatima)
        .await
        .unwrap();
    assert_eq!(kept.status, StatusCode::CREATED, "{:?}", kept.body);
    let fatima_id = id_of(&kept.body);

    // A parent whose login names no household may register nobody.
    let anonymous_parent = kindpakket
        .post(
            &personen,
            As {
                organisation: "ouder",
                role: "applicant",
            },
            &json!({"soort": "kind", "bsn": OTHER_BSN, "naam": "Noor"}),
        )
        .await
        .unwrap();
    assert_eq!(anonymous_parent.status, StatusCode::FORBIDDEN);
    assert!(
        anonymous_parent.detail().contains("huishouden"),
        "{}",
        anonymous_parent.detail()
    );
    assert_eq!(count(&vault, "persons").await, 1, "nothing kept");

    // The attacker's household registers Fatima's BSN with its own name and IBAN, and a BSN the
    // vault does not know: the answers are the same, and neither says whether the BSN was known.
    let attacker = Uuid::new_v4();
    let probe = |bsn: &str| json!({"soort": "ouder", "bsn": bsn, "naam": "Aanvaller", "iban": "NL02RABO0123456789"});
    let known = kindpakket
        .post_as_parent(&personen, attacker, &probe(FATIMA_BSN))
        .await
        .unwrap();
    let unknown = kindpakket
        .post_as_parent(&personen, attacker, &probe(OTHER_BSN))
        .await
        .unwrap();
    assert_eq!(known.status, StatusCode::CREATED, "{:?}", known.body);
    assert_eq!(known.status, unknown.status);
    assert_eq!(
        keys(&known.body),
        BTreeSet::from(["id".to_owned(), "soort".to_owned()])
    );
    assert_eq!(keys(&known.body), keys(&unknown.body));
    assert_eq!(known.content_type, unknown.content_type);
    let duplicate = id_of(&known.body);
    assert_ne!(
        duplicate, fatima_id,
        "the known person's id is not revealed"
    );
    for answer in [&known, &unknown] {
        assert!(!answer.body.to_string().contains(FATIMA_BSN));
        assert!(!answer.body.to_string().contains(OTHER_BSN));
    }
    // Its own household again: its own person, with the same answer.
    let again = kindpakket
        .post_as_parent(&personen, attacker, &probe(OTHER_BSN))
        .await
        .unwrap();
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(id_of(&again.body), id_of(&unknown.body));

    // Fatima's record is untouched; the regievoerder sees the new record as possibly the same person.
    let read = read_person(&kindpakket, fatima_id).await;
    assert_eq!(
        (
            read["naam"].as_str(),
            read["iban"].as_str(),
            read["versie"].as_i64()
        ),
        (
            Some("Fatima El Amrani"),
            Some("NL91ABNA0417164300"),
            Some(1)
        ),
        "{read}"
    );
    assert_eq!(read["mogelijkeDubbelen"], json!([duplicate]), "{read}");
    assert_eq!(read["huishouden"], Value::Null);
    let marked = read_person(&kindpakket, duplicate).await;
    assert_eq!(marked["mogelijkDubbelVan"], json!(fatima_id), "{marked}");
    assert_eq!(marked["huishouden"], json!(attacker), "{marked}");
    assert_eq!(marked["naam"], "Aanvaller");

    // The regievoerder registering Fatima again gets her id (200), nothing replaced.
    let looked_up = kindpakket
        .post_for_purpose(
            &personen,
            REGIE,
            PURPOSE,
            &json!({"soort": "ouder", "bsn": FATIMA_BSN, "naam": "Iemand Anders"}),
        )
        .await
        .unwrap();
    assert_eq!(looked_up.status, StatusCode::OK, "{:?}", looked_up.body);
    assert_eq!(id_of(&looked_up.body), fatima_id);
    assert_eq!(
        read_person(&kindpakket, fatima_id).await["naam"],
        "Fatima El Amrani"
    );

    // The audit log records the lookup with its purpose; a parent's registrations read alike.
    let log = kindpakket
        .get(&kindpakket.application_url(G, "auditlog"), Some(AUDITOR))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let rows = log["regels"].as_array().unwrap();
    assert!(
        rows.iter().any(|row| row["action"] == "opzoeken"
            && row["object"] == fatima_id.to_string()
            && row["purpose"] == PURPOSE),
        "{log}"
    );
    let parent_rows: BTreeSet<(String, String)> = rows
        .iter()
        .filter(|row| row["role"] == "applicant" && row["object"] != "-")
        .map(|row| {
            (
                row["action"].as_str().unwrap().to_owned(),
                row["result"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        parent_rows,
        BTreeSet::from([("registreren".to_owned(), "gelukt".to_owned())]),
        "{log}"
    );

    // Rectification: the regievoerder alone, for a stated purpose; an unknown id is not echoed.
    let rectify =
        |person: Uuid| kindpakket.application_url(G, &format!("personen/{person}/rectificatie"));
    let corrected = json!({"naam": "Fatima El-Amrani", "adres": "Laan van Meerdervoort 1236", "iban": "NL91ABNA0417164300"});
    let by_parent = kindpakket
        .post_as_parent(&rectify(fatima_id), attacker, &corrected)
        .await
        .unwrap();
    assert_eq!(by_parent.status, StatusCode::FORBIDDEN);
    let no_purpose = kindpakket
        .post(&rectify(fatima_id), REGIE, &corrected)
        .await
        .unwrap();
    assert_eq!(no_purpose.status, StatusCode::BAD_REQUEST);
    let stranger = Uuid::new_v4();
    let unknown_person = kindpakket
        .post_for_purpose(&rectify(stranger), REGIE, PURPOSE, &corrected)
        .await
        .unwrap();
    assert_eq!(unknown_person.status, StatusCode::NOT_FOUND);
    assert!(!unknown_person.detail().contains(&stranger.to_string()));
    assert_eq!(read_person(&kindpakket, fatima_id).await["versie"], 1);
    let rectified = kindpakket
        .post_for_purpose(
            &rectify(fatima_id),
            REGIE,
            "rectificatie op verzoek (AVG art. 16)",
            &corrected,
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        rectified,
        json!({"id": fatima_id, "status": "gerectificeerd", "versie": 2})
    );
    let read = read_person(&kindpakket, fatima_id).await;
    assert_eq!(
        (
            read["naam"].as_str(),
            read["bsn"].as_str(),
            read["versie"].as_i64()
        ),
        (Some("Fatima El-Amrani"), Some(FATIMA_BSN), Some(2)),
        "{read}"
    );

    // Both versions are sealed under Fatima's subject key: it opens both, and a version moved to
    // another person's key opens with nothing.
    let keys = crate::forgetting_application::application_keys(&platform).await;
    let versions = sealed_versions(&vault, fatima_id).await;
    let mut names = Vec::new();
    for (_, sealed) in &versions {
        assert_eq!(sealed.subject, fatima_id);
        names.push(keys.open(sealed).await.unwrap().value().unwrap()["name"].clone());
    }
    assert_eq!(
        names,
        [json!("Fatima El Amrani"), json!("Fatima El-Amrani")]
    );
    let mut moved = versions[1].1.clone();
    moved.subject = Uuid::new_v4();
    assert!(
        !matches!(keys.open(&moved).await, Ok(Opened::Value(_))),
        "a version opens under another subject's key"
    );

    // Erasure destroys the key: neither version can be read by anyone any more.
    kindpakket
        .post(
            &kindpakket.application_url(G, &format!("personen/{fatima_id}/verwijdering")),
            REGIE,
            &json!({"reden": "verzoek van betrokkene (AVG art. 17)"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let read = read_person(&kindpakket, fatima_id).await;
    assert_eq!(read["status"], "verwijderd", "{read}");
    for field in ["naam", "bsn", "adres", "iban", "versie"] {
        assert!(read.get(field).is_none(), "{field} in {read}");
    }
    let again = kindpakket
        .post_for_purpose(&rectify(fatima_id), REGIE, PURPOSE, &corrected)
        .await
        .unwrap();
    assert_eq!(again.status, StatusCode::CONFLICT, "{:?}", again.body);
    let remaining: i64 = sqlx::query_scalar("SELECT count(*) FROM subject_keys WHERE subject = $1")
        .bind(fatima_id)
        .fetch_one(&keys_db)
        .await
        .unwrap();
    assert_eq!(remaining, 0, "the key is destroyed");
    assert!(keys.is_forgotten(fatima_id).await.unwrap());
    let versions = sealed_versions(&vault, fatima_id).await;
    assert_eq!(versions.len(), 2, "both versions are still there, sealed");
    for (version, sealed) in &versions {
        assert_eq!(
            keys.open(sealed).await.unwrap(),
            Opened::Forgotten,
            "version {version} still opens"
        );
    }
    let vault_text: Vec<String> = sqlx::query_scalar(
        "SELECT t::text FROM persons t UNION ALL SELECT v::text FROM person_versions v",
    )
    .fetch_all(&vault)
    .await
    .unwrap();
    for secret in ["Fatima", "Meerdervoort", "NL91ABNA0417164300", FATIMA_BSN] {
        assert!(
            !vault_text.iter().any(|row| row.contains(secret)),
            "{secret} in the vault"
        );
    }

    // No BSN in the service's log.
    let log =
        std::fs::read_to_string(platform.service(ServiceName::Application).log_path()).unwrap();
    for bsn in [FATIMA_BSN, OTHER_BSN] {
        assert!(!log.contains(bsn), "a BSN in the log");
    }
}

/// A regeling with sportcontributie and schoolspullen, and the organisations enrolled: leergeld and
/// wijkteam-centrum take in applications, sportclub only delivers, kledingbank is not enrolled.
async fn enrolled(kindpakket: &Kindpakket) {
    kindpakket.sport_regeling(G, 2026).await.unwrap();
    kindpakket
        .enrol_partner(G, "leergeld", "Stichting Leergeld", &["sportcontributie"])
        .await
        .unwrap();
    for (organisation, roles) in [
        (
            "wijkteam-centrum",
            json!(["signaleren", "aanvragen_innemen"]),
        ),
        ("sportclub", json!(["verstrekken"])),
    ] {
        kindpakket
            .post(
                &kindpakket.regie_url(G, "partners"),
                REGIE,
                &json!({"partner": organisation, "naam": organisation, "voorzieningen": ["sportcontributie"], "rollen": roles}),
            )
            .await
            .unwrap()
            .expect(StatusCode::CREATED)
            .unwrap();
    }
}

fn family(household: Uuid) -> Value {
    json!({
        "kanaal": "partner",
        "huishouden": household,
        "kinderen": [{"kind": Uuid::new_v4(), "geboortejaar": 2016, "geboortemaand": 4}],
        "inkomenPercentage": 110,
        "voorzieningen": ["sportcontributie"],
        "datum": "2026-09-01",
    })
}

/// A family's application as `who` takes it in on its behalf: named by `who`'s own references,
/// with consent and gezag.
fn family_of(kindpakket: &Kindpakket, who: As<'_>) -> Value {
    let mut body = family(Uuid::new_v4());
    body["huishouden"] = json!(kindpakket
        .household_reference(who.organisation, Uuid::new_v4())
        .unwrap());
    body["kinderen"][0]["kind"] = json!(kindpakket
        .child_reference(who.organisation, Uuid::new_v4())
        .unwrap());
    on_behalf(body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_own_organisation_is_recorded_as_namens_and_only_household_submitter_or_gemeente_withdraw(
) {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    let store = platform.postgres.url(ServiceName::Application.database());
    enrolled(&kindpakket).await;
    let aanvragen = kindpakket.application_url(G, "aanvragen");

    // Leergeld takes in an application as itself: namens is filled in as leergeld.
    let by_leergeld = kindpakket
        .submit_as(
            G,
            partner("leergeld"),
            &family_of(&kindpakket, partner("leergeld")),
        )
        .await
        .unwrap();
    assert_eq!(
        by_leergeld.status,
        StatusCode::CREATED,
        "{:?}",
        by_leergeld.body
    );
    let leergelds = id_of(&by_leergeld.body);
    let url_of = |id: Uuid| kindpakket.application_url(G, &format!("aanvragen/{id}"));
    let read = kindpakket
        .get(&url_of(leergelds), Some(REGIE))
        .await
        .unwrap();
    assert_eq!(read.body["namens"], "leergeld", "{:?}", read.body);
    // Every enrolment has reached the application service, so a refusal below is the rule's.
    let read_model = PgPool::connect(&store).await.unwrap();
    wait_until("the enrolments known", Duration::from_secs(20), || async {
        let known: i64 =
            sqlx::query_scalar("SELECT count(*) FROM partner_mandates WHERE gemeente = $1")
                .bind(G)
                .fetch_one(&read_model)
                .await?;
        when(known == 4, known)
    })
    .await
    .unwrap();

    // Applying on behalf of another organisation, unenrolled, enrolled without the role, or as a
    // parent naming an organisation: refused in Dutch, nothing stored.
    let before = store_event_count(&store).await.unwrap();
    for (who, other, expected) in [
        (partner("leergeld"), true, "eigen organisatie"),
        (signaller("wijkteam-centrum"), true, "eigen organisatie"),
        (partner("kledingbank"), false, "niet ingeschreven"),
        (partner("sportclub"), false, "niet ingeschreven"),
        (signaller("school-de-regenboog"), false, "niet ingeschreven"),
    ] {
        let mut body = family_of(&kindpakket, who);
        if other {
            body["namens"] = json!("jeugdfonds-sport-cultuur");
        }
        let answer = kindpakket.post(&aanvragen, who, &body).await.unwrap();
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{}: {:?}",
            who.organisation,
            answer.body
        );
        assert!(answer.detail().contains(expected), "{}", answer.detail());
        assert!(
            !answer.detail().contains("jeugdfonds"),
            "{}",
            answer.detail()
        );
    }
    let household = Uuid::new_v4();
    let mut parent_naming = family(household);
    parent_naming["namens"] = json!("leergeld");
    let answer = kindpakket
        .post(
            &aanvragen,
            As {
                organisation: "ouder",
                role: "applicant",
            },
            &parent_naming,
        )
        .await
        .unwrap();
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{:?}", answer.body);
    assert!(answer.detail().contains("namens"), "{}", answer.detail());
    assert_eq!(
        store_event_count(&store).await.unwrap(),
        before,
        "nothing stored"
    );

    // So a partner reads only what it took in: the Jeugdfonds does not see Leergeld's application.
    let hidden = kindpakket
        .get(
            &url_of(leergelds),
            Some(partner("jeugdfonds-sport-cultuur")),
        )
        .await
        .unwrap();
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert!(hidden.body.get("kinderen").is_none());
    let shown = kindpakket
        .get(&url_of(leergelds), Some(partner("leergeld")))
        .await
        .unwrap();
    assert_eq!(shown.status, StatusCode::OK);

    // The wijkteam's application, and a parent's.
    let by_wijkteam = kindpakket
        .submit_as(
            G,
            signaller("wijkteam-centrum"),
            &family_of(&kindpakket, signaller("wijkteam-centrum")),
        )
        .await
        .unwrap();
    assert_eq!(
        by_wijkteam.status,
        StatusCode::CREATED,
        "{:?}",
        by_wijkteam.body
    );
    let wijkteams = id_of(&by_wijkteam.body);
    let parents = kindpakket.submit(G, &family(household)).await.unwrap();

    // Others withdraw nothing: the same 404 as for an application that does not exist.
    let withdraw = |id: Uuid, who: As<'static>| {
        let kindpakket = kindpakket.clone();
        async move {
            kindpakket
                .post(
                    &kindpakket.application_url(G, &format!("aanvragen/{id}/intrekking")),
                    who,
                    &json!({}),
                )
                .await
                .unwrap()
        }
    };
    let nowhere = withdraw(Uuid::new_v4(), partner("leergeld")).await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    let before = store_event_count(&store).await.unwrap();
    for (id, who) in [
        (parents, partner("jeugdfonds-sport-cultuur")),
        (parents, partner("leergeld")),
        (parents, signaller("wijkteam-centrum")),
        (leergelds, partner("jeugdfonds-sport-cultuur")),
        (leergelds, signaller("wijkteam-centrum")),
        (wijkteams, partner("leergeld")),
        (wijkteams, signaller("school-de-regenboog")),
    ] {
        let answer = withdraw(id, who).await;
        assert_eq!(
            (answer.status, answer.body.clone()),
            (nowhere.status, nowhere.body.clone()),
            "{} withdrawing {id}",
            who.organisation
        );
        assert!(!answer.detail().contains(&id.to_string()));
    }
    let other_parent = kindpakket
        .post_as_parent(
            &kindpakket.application_url(G, &format!("aanvragen/{parents}/intrekking")),
            Uuid::new_v4(),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(other_parent.status, StatusCode::NOT_FOUND);
    assert_eq!(
        store_event_count(&store).await.unwrap(),
        before,
        "nothing stored"
    );
    for id in [parents, leergelds, wijkteams] {
        let open = kindpakket.get(&url_of(id), Some(REGIE)).await.unwrap();
        assert_eq!(open.body["status"], "ingediend", "{:?}", open.body);
    }

    // The household's parent, the organisation that took it in, and the gemeente may.
    let own_parent = kindpakket
        .post_as_parent(
            &kindpakket.application_url(G, &format!("aanvragen/{parents}/intrekking")),
            household,
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(own_parent.status, StatusCode::OK, "{:?}", own_parent.body);
    assert_eq!(
        withdraw(leergelds, partner("leergeld")).await.status,
        StatusCode::OK
    );
    assert_eq!(withdraw(wijkteams, REGIE).await.status, StatusCode::OK);
    // And a stranger still learns nothing, not even that it was withdrawn.
    let after = withdraw(parents, partner("jeugdfonds-sport-cultuur")).await;
    assert_eq!((after.status, after.body), (nowhere.status, nowhere.body));
}

/// The prior grants of the application events before `before`, as the engine takes them.
fn prior_grants(events: &[(Uuid, ApplicationEvent)], before: Uuid) -> Vec<PriorGrant> {
    events
        .iter()
        .take_while(|(id, _)| *id != before)
        .filter_map(|(id, event)| match event {
            ApplicationEvent::ApplicationGranted(granted) => Some((id, granted)),
            _ => None,
        })
        .flat_map(|(id, granted)| {
            granted
                .entitlements
                .iter()
                .map(move |entitlement| PriorGrant {
                    application_id: *id,
                    child: entitlement.child,
                    provision: entitlement.provision.clone(),
                    period: Period::new(entitlement.valid_from, entitlement.valid_until).unwrap(),
                    amount_cents: entitlement.amount_cents,
                    funder: entitlement.funder.clone(),
                    co_financing: entitlement.co_financing.clone(),
                })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_by_hand_goes_through_the_regeling_and_bad_input_future_retention_and_echoes_change_nothing(
) {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    let store = platform.postgres.url(ServiceName::Application.database());
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
        {"organisatie": "gemeente-den-haag", "bron": "gemeentelijke_fondsen"},
    ]);
    kindpakket
        .post(
            &kindpakket.regie_url(G, "regelingen"),
            REGIE,
            &json!({
                "jaar": 2026, "geldigVanaf": "2026-01-01", "geldigTot": "2026-12-31",
                "inkomensgrens": {"soort": "percentage", "percentage": 120},
                "voorzieningen": [sport, provision("schoolspullen", "Schoolspullen", "school", (4, 17), 7_500, "tegoedbon")],
                "budgetten": [
                    {"voorziening": "sportcontributie", "bron": "externe_fondsen", "bedragCent": 25_000},
                    {"voorziening": "sportcontributie", "bron": "gemeentelijke_fondsen", "bedragCent": 25_000},
                ],
            }),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    kindpakket
        .enrol_partner(G, "leergeld", "Stichting Leergeld", &["schoolspullen"])
        .await
        .unwrap();
    // Families above the threshold: by the rules they get nothing; the regievoerder grants by hand.
    let apply = |child: Uuid| {
        let kindpakket = kindpakket.clone();
        async move {
            kindpakket
                .submit(
                    G,
                    &json!({
                        "kanaal": "loket", "huishouden": Uuid::new_v4(),
                        "kinderen": [{"kind": child, "geboortejaar": 2016, "geboortemaand": 4}],
                        "inkomenPercentage": 140, "datum": "2026-09-01",
                    }),
                )
                .await
                .unwrap()
        }
    };
    let toekenning =
        |id: Uuid| kindpakket.application_url(G, &format!("aanvragen/{id}/toekenning"));
    let by_hand = |child: Uuid, code: &str, amount: i64| json!({"rechten": [{"kind": child, "voorziening": code, "bedragCent": amount}]});

    // A voucher granted by hand: the regeling's version, form and funder on the decision, and a pass.
    let (first_child, second_child, third_child) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let first = apply(first_child).await;
    let before = store_event_count(&store).await.unwrap();
    let granted = kindpakket
        .grant(G, first, first_child, "schoolspullen", 5_000, 2026)
        .await
        .unwrap();
    // A voucher is served at the till by its code, never listed to a partner: regie reads it.
    let voucher_url = kindpakket.provision_url(G, &format!("rechten/{granted}"));
    let voucher = wait_until("the voucher opened", Duration::from_secs(20), || async {
        let answer = kindpakket.get(&voucher_url, Some(REGIE)).await?;
        when(answer.status == StatusCode::OK, answer.body)
    })
    .await
    .unwrap();
    assert_eq!(voucher["restCent"], 5_000, "{voucher}");
    let opened = kindpakket
        .get(
            &kindpakket.provision_url(G, &format!("rechten/{granted}")),
            Some(REGIE),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert!(
        opened["passen"][0]["code"].is_string(),
        "a voucher granted by hand has a pass: {opened}"
    );
    let decided = kindpakket
        .get(
            &kindpakket.application_url(G, &format!("aanvragen/{first}")),
            Some(REGIE),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(decided["beoordeling"]["handmatig"], true, "{decided}");
    assert_eq!(
        decided["beoordeling"]["uitkomsten"][0]["reden"],
        "granted_by_hand"
    );
    assert_eq!(decided["beoordeling"]["uitkomsten"][0]["bedragCent"], 5_000);
    assert_eq!(store_event_count(&store).await.unwrap(), before + 1);

    // Sport: the Jeugdfonds pays first while its budget lasts, then the gemeente; then nobody.
    let second = apply(second_child).await;
    let answer = kindpakket
        .post(
            &toekenning(second),
            REGIE,
            &by_hand(second_child, "sportcontributie", 20_000),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        answer["beoordeling"]["uitkomsten"][0]["financier"]["organisatie"],
        "jeugdfonds-sport-cultuur",
        "{answer}"
    );
    let third = apply(third_child).await;
    let answer = kindpakket
        .post(
            &toekenning(third),
            REGIE,
            &by_hand(third_child, "sportcontributie", 20_000),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        answer["beoordeling"]["uitkomsten"][0]["financier"]["organisatie"], "gemeente-den-haag",
        "{answer}"
    );

    // Bad grants by hand: Dutch 4xx that echo nothing, and nothing stored.
    let fourth_child = Uuid::new_v4();
    let fourth = apply(fourth_child).await;
    let stranger_child = Uuid::new_v4();
    let before = store_event_count(&store).await.unwrap();
    for (body, status, expected) in [
        (
            by_hand(fourth_child, "sportcontributie", 20_000),
            StatusCode::CONFLICT,
            "geen financier",
        ),
        (
            by_hand(second_child, "sportcontributie", 1_000),
            StatusCode::UNPROCESSABLE_ENTITY,
            "niet in de aanvraag",
        ),
        (
            by_hand(fourth_child, "zwemles", 1_000),
            StatusCode::UNPROCESSABLE_ENTITY,
            "niet in de regeling",
        ),
        (
            by_hand(stranger_child, "schoolspullen", 1_000),
            StatusCode::UNPROCESSABLE_ENTITY,
            "niet in de aanvraag",
        ),
        (
            by_hand(fourth_child, "schoolspullen", 0),
            StatusCode::UNPROCESSABLE_ENTITY,
            "groter zijn dan 0",
        ),
        (
            json!({"rechten": [{"kind": fourth_child, "voorziening": "schoolspullen", "bedragCent": 1_000, "geldigTot": "2027-06-30"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "buiten de periode van de regeling",
        ),
    ] {
        let answer = kindpakket
            .post(&toekenning(fourth), REGIE, &body)
            .await
            .unwrap();
        assert_eq!(answer.status, status, "{body}: {:?}", answer.body);
        assert!(answer.detail().contains(expected), "{}", answer.detail());
        for echoed in [
            "zwemles".to_owned(),
            "sportcontributie".to_owned(),
            stranger_child.to_string(),
            second_child.to_string(),
        ] {
            assert!(!answer.detail().contains(&echoed), "{}", answer.detail());
        }
    }
    assert_eq!(
        store_event_count(&store).await.unwrap(),
        before,
        "nothing stored"
    );
    // The same child twice: the second child's sport again, in a new application.
    let twice = kindpakket
        .submit(
            G,
            &json!({
                "kanaal": "loket", "huishouden": Uuid::new_v4(),
                "kinderen": [{"kind": second_child, "geboortejaar": 2016, "geboortemaand": 4}],
                "inkomenPercentage": 140, "datum": "2026-09-02",
            }),
        )
        .await
        .unwrap();
    let before = store_event_count(&store).await.unwrap();
    let answer = kindpakket
        .post(
            &toekenning(twice),
            REGIE,
            &by_hand(second_child, "sportcontributie", 1_000),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, StatusCode::CONFLICT, "{:?}", answer.body);
    assert!(
        answer.detail().contains("niet twee keer vergoed"),
        "{}",
        answer.detail()
    );
    assert_eq!(
        store_event_count(&store).await.unwrap(),
        before,
        "nothing stored"
    );
    for id in [fourth, twice] {
        let open = kindpakket
            .get(
                &kindpakket.application_url(G, &format!("aanvragen/{id}")),
                Some(REGIE),
            )
            .await
            .unwrap();
        assert_eq!(open.body["status"], "ingediend");
    }

    // The decisions by hand are reproduced from the streams: regeling, application, earlier grants.
    let regeling = stream_messages(&platform.nats.url(), Service::Regie)
        .await
        .unwrap()
        .into_iter()
        .find_map(
            |(_, message)| match serde_json::from_value::<RegieEvent>(message.event) {
                Ok(RegieEvent::RegelingPublished(regeling)) => Some(regeling),
                _ => None,
            },
        )
        .unwrap();
    let events: Vec<(Uuid, ApplicationEvent)> = wait_until(
        "the grants on the application stream",
        Duration::from_secs(20),
        || async {
            let events: Vec<(Uuid, ApplicationEvent)> =
                stream_messages(&platform.nats.url(), Service::Application)
                    .await?
                    .into_iter()
                    .map(|(_, message)| {
                        (
                            Uuid::parse_str(&message.envelope.aggregate_id).unwrap(),
                            serde_json::from_value(message.event).unwrap(),
                        )
                    })
                    .collect();
            let grants = events
                .iter()
                .filter(|(_, event)| matches!(event, ApplicationEvent::ApplicationGranted(_)))
                .count();
            when(grants == 3, events)
        },
    )
    .await
    .unwrap();
    for id in [first, second, third] {
        let submitted = events
            .iter()
            .find_map(|(at, event)| match event {
                ApplicationEvent::ApplicationSubmitted(submitted) if *at == id => Some(submitted),
                _ => None,
            })
            .unwrap();
        let granted = events
            .iter()
            .find_map(|(at, event)| match event {
                ApplicationEvent::ApplicationGranted(granted) if *at == id => Some(granted),
                _ => None,
            })
            .unwrap();
        let assessment = granted
            .assessment
            .as_ref()
            .expect("a grant by hand records how");
        assert!(assessment.by_hand);
        assert_eq!(assessment.regeling_id, regeling.regeling_id);
        // A grant by hand reads none of the household's inputs: the streams alone reproduce it.
        let no_inputs = eligibility::AssessmentInputs {
            income_percent: 0,
            adults: None,
            money_left_cents: None,
        };
        let reproduced = eligibility::grant_by_hand(
            &regeling,
            &eligibility::Submission::of_contract(submitted, &no_inputs),
            &eligibility::hand_grants_of(assessment),
            &prior_grants(&events, id),
        )
        .unwrap();
        assert_eq!(&reproduced.contract(true), assessment);
        let entitlement = &granted.entitlements[0];
        assert_eq!(entitlement.funder, assessment.outcomes[0].funder);
        assert!(entitlement.form.is_some(), "{entitlement:?}");
    }

    // Retention on a day to come is refused, and forgets nobody; today is fine.
    let person = kindpakket
        .post_for_purpose(
            &kindpakket.application_url(G, "personen"),
            REGIE,
            PURPOSE,
            &json!({"soort": "kind", "bsn": OTHER_BSN, "naam": "Noor El Amrani"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let keys_db = PgPool::connect(&platform.postgres.url("kindpakket_application_vault_keys"))
        .await
        .unwrap();
    let bewaartermijnen = kindpakket.application_url(G, "bewaartermijnen");
    let future = kindpakket
        .post(&bewaartermijnen, REGIE, &json!({"peildatum": "2100-01-01"}))
        .await
        .unwrap();
    assert_eq!(
        future.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        future.body
    );
    assert!(future.detail().contains("toekomst"), "{}", future.detail());
    assert!(!future.detail().contains("2100"), "{}", future.detail());
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM subject_keys WHERE subject = $1")
        .bind(id_of(&person))
        .fetch_one(&keys_db)
        .await
        .unwrap();
    assert_eq!(kept, 1, "no key destroyed");
    assert_eq!(
        read_person(&kindpakket, id_of(&person)).await["status"],
        "aanwezig"
    );
    let today = kindpakket
        .post(&bewaartermijnen, REGIE, &json!({}))
        .await
        .unwrap();
    assert_eq!(today.status, StatusCode::OK, "{:?}", today.body);
    assert_eq!(today.body["verwijderd"], 0);

    // Refusals say what is wrong without the value sent: a birth month, an unknown id.
    let before = store_event_count(&store).await.unwrap();
    let household = Uuid::new_v4();
    let bad_month = kindpakket
        .post_as_parent(
            &kindpakket.application_url(G, "aanvragen"),
            household,
            &json!({
                "kanaal": "online", "huishouden": household,
                "kinderen": [{"kind": Uuid::new_v4(), "geboortejaar": 2016, "geboortemaand": 47}],
                "inkomenPercentage": 110,
            }),
        )
        .await
        .unwrap();
    assert_eq!(
        bad_month.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        bad_month.body
    );
    assert!(
        bad_month.detail().contains("geboortemaand"),
        "{}",
        bad_month.detail()
    );
    assert!(!bad_month.detail().contains("47"), "{}", bad_month.detail());
    assert_eq!(store_event_count(&store).await.unwrap(), before);
    let nobody = Uuid::new_v4();
    for url in [
        kindpakket.application_url(G, &format!("aanvragen/{nobody}")),
        kindpakket.application_url(G, &format!("personen/{nobody}")),
    ] {
        let url_answer = kindpakket
            .http
            .get(&url)
            .bearer_auth(kindpakket.token(&url, REGIE))
            .header("x-doel", "controle")
            .send()
            .await
            .unwrap();
        assert_eq!(url_answer.status(), StatusCode::NOT_FOUND);
        let text = url_answer.text().await.unwrap();
        assert!(!text.contains(&nobody.to_string()), "{text}");
    }
    let grant_nobody = kindpakket
        .post(
            &toekenning(nobody),
            REGIE,
            &by_hand(fourth_child, "schoolspullen", 1_000),
        )
        .await
        .unwrap();
    assert_eq!(grant_nobody.status, StatusCode::NOT_FOUND);
    assert!(!grant_nobody.detail().contains(&nobody.to_string()));
}
