//! The application service forgets by design, across the real services: what an application says
//! about a household (income, explanations, a maatwerk motivation, the reasons of a rejection and a
//! withdrawal) is sealed under the household's key in the service's own store and never published;
//! erasing the parent destroys that key, so nothing of it is readable in the store, on the stream
//! or in a read model, and the regievoerder reads "vergeten"; the platform hears of every erasure
//! and correction exactly once, also across a crash; free text with personal data is refused; a
//! partner reads children, households and entitlements under its own pseudonyms; every read of an
//! application is on the audit log; the overview shows each organisation its own rows by row-level
//! security.

use std::sync::Arc;
use std::time::Duration;

use kindpakket_application::domain::application::ApplicationEvent;
use kindpakket_platform::shredding::{FileMasterKeys, Opened, SubjectKeys};
use kindpakket_proto::application::ApplicationEvent as Contract;
use kindpakket_proto::Service;
use kindpakket_tests::client::{on_behalf, As, Kindpakket, REGIE};
use kindpakket_tests::inspect::stream_messages;
use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

const G: &str = "GM0518";
/// A household income no one else has: it must never be readable outside its seal.
const INCOME: u16 = 173;
/// A word a worker typed, in every free text of the household's applications.
const MARKER: &str = "Zonnebloemveld";
const AUDITOR: As<'static> = As {
    organisation: "gemeente-controller",
    role: "auditor",
};
const LEERGELD: As<'static> = As {
    organisation: "leergeld-den-haag",
    role: "partner",
};
const JEUGDFONDS: As<'static> = As {
    organisation: "jeugdfonds-sport-cultuur",
    role: "partner",
};

/// The application service's subject keys, as an operator with the master key reaches them.
pub async fn application_keys(platform: &Platform) -> SubjectKeys {
    let pool = PgPool::connect(&platform.postgres.url("kindpakket_application_vault_keys"))
        .await
        .unwrap();
    let master = FileMasterKeys::load(&platform.logs_dir().join("master-keys.json")).unwrap();
    SubjectKeys::new(pool, Arc::new(master))
}

/// The stored events of one application, as the application service keeps them.
pub async fn stored_application(platform: &Platform, application: Uuid) -> Vec<ApplicationEvent> {
    let pool = PgPool::connect(&platform.postgres.url("kindpakket_application"))
        .await
        .unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT event_version, payload::text FROM events
         WHERE aggregate_type = 'application' AND aggregate_id = $1 ORDER BY sequence",
    )
    .bind(application.to_string())
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows.into_iter()
        .map(|(version, payload)| {
            assert_eq!(version, "2");
            serde_json::from_str(&payload).unwrap()
        })
        .collect()
}

/// Whether `text` holds `number` as a JSON number or a percentage (a base64 ciphertext never has
/// one of these around its digits).
fn holds_number(text: &str, number: u16) -> bool {
    let digits = number.to_string();
    text.match_indices(&digits).any(|(at, _)| {
        let before = text[..at].trim_end().chars().next_back();
        let after = text[at + digits.len()..].trim_start().chars().next();
        let in_json =
            matches!(before, Some(':' | ',' | '[')) && matches!(after, Some(',' | '}' | ']'));
        in_json || after == Some('%')
    })
}

/// Every row of every table of the application service's databases, as text.
async fn application_tables(platform: &Platform) -> String {
    let mut text = String::new();
    for database in [
        "kindpakket_application",
        "kindpakket_application_vault",
        "kindpakket_application_vault_keys",
    ] {
        // As the superuser, whom row-level security does not bind: everything there is.
        text.push_str(
            &kindpakket_tests::inspect::rows_as_text(&platform.postgres.url(database))
                .await
                .unwrap(),
        );
    }
    text
}

/// Every message of the application stream, as text.
async fn application_stream(platform: &Platform) -> String {
    stream_messages(&platform.nats.url(), Service::Application)
        .await
        .unwrap()
        .into_iter()
        .map(|(id, message)| format!("{id} {}\n", serde_json::to_string(&message).unwrap()))
        .collect()
}

/// The contract events of the application stream.
async fn contract_events(platform: &Platform) -> Vec<Contract> {
    stream_messages(&platform.nats.url(), Service::Application)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, message)| serde_json::from_value(message.event).unwrap())
        .collect()
}

async fn register(kindpakket: &Kindpakket, body: Value) -> Uuid {
    let created = kindpakket
        .post_for_purpose(
            &kindpakket.application_url(G, "personen"),
            REGIE,
            "aanvraag Kindpakket",
            &body,
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    Uuid::parse_str(created["id"].as_str().unwrap()).unwrap()
}

/// A parent and a child in the vault; the parent's id is the household's.
async fn family(kindpakket: &Kindpakket) -> (Uuid, Uuid) {
    let parent = register(
        kindpakket,
        json!({"soort": "ouder", "bsn": "111222333", "naam": "Fatima El Amrani"}),
    )
    .await;
    let child = register(
        kindpakket,
        json!({"soort": "kind", "bsn": "123456782", "naam": "Noor El Amrani"}),
    )
    .await;
    (parent, child)
}

/// A family as a parent registers it, for the household their login names: the household's id is
/// not the parent's own.
async fn own_family(kindpakket: &Kindpakket) -> (Uuid, Uuid, Uuid) {
    let household = Uuid::new_v4();
    let mut ids = Vec::new();
    for body in [
        json!({"soort": "ouder", "bsn": "111222333", "naam": "Fatima El Amrani"}),
        json!({"soort": "kind", "bsn": "123456782", "naam": "Noor El Amrani"}),
    ] {
        let created = kindpakket
            .post_as_parent(&kindpakket.application_url(G, "personen"), household, &body)
            .await
            .unwrap()
            .expect(StatusCode::CREATED)
            .unwrap();
        ids.push(Uuid::parse_str(created["id"].as_str().unwrap()).unwrap());
    }
    (household, ids[0], ids[1])
}

fn application(household: Uuid, child: Uuid, income: u16) -> Value {
    json!({
        "kanaal": "loket",
        "huishouden": household,
        "kinderen": [{"kind": child, "geboortejaar": 2016, "geboortemaand": 2}],
        "inkomenPercentage": income,
        "volwassenen": 1,
        "leefgeldPerWeekCent": 17_300,
        "voorzieningen": ["sportcontributie"],
        "datum": "2026-10-01",
    })
}

/// The application as an organisation takes it in on the family's behalf: the household and the
/// child by its own references (as its identification gave them), with consent and gezag.
fn application_by(
    kindpakket: &Kindpakket,
    who: As<'_>,
    household: Uuid,
    child: Uuid,
    income: u16,
) -> Value {
    let mut body = application(household, child, income);
    body["huishouden"] = json!(kindpakket
        .household_reference(who.organisation, household)
        .unwrap());
    body["kinderen"][0]["kind"] =
        json!(kindpakket.child_reference(who.organisation, child).unwrap());
    on_behalf(body)
}

async fn read(kindpakket: &Kindpakket, who: As<'_>, application: Uuid) -> Value {
    kindpakket
        .get(
            &kindpakket.application_url(G, &format!("aanvragen/{application}")),
            Some(who),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap()
}

async fn post(kindpakket: &Kindpakket, who: As<'_>, path: &str, body: Value) -> Value {
    kindpakket
        .post(&kindpakket.application_url(G, path), who, &body)
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasing_a_parent_leaves_nothing_the_applications_said_of_the_household_readable_anywhere()
{
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket.sport_regeling(G, 2026).await.unwrap();
    let (household, parent, child) = own_family(&kindpakket).await;
    assert_ne!(household, parent);

    // Three applications of the household: granted by maatwerk (the rules refuse 173%), rejected
    // by hand, and withdrawn, each with the worker's words.
    let granted = kindpakket
        .submit(G, &application(household, child, INCOME))
        .await
        .unwrap();
    let decided = kindpakket
        .assess(
            G,
            granted,
            &json!({"maatwerk": {"motivatie": format!("Schuldhulp via {MARKER}."),
                    "toekenningen": [{"kind": child, "voorziening": "sportcontributie"}]}}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(decided["status"], "toegekend", "{decided}");
    let rejected = kindpakket
        .submit(G, &application(household, child, INCOME))
        .await
        .unwrap();
    post(
        &kindpakket,
        REGIE,
        &format!("aanvragen/{rejected}/afwijzing"),
        json!({"reden": format!("Al toegekend via {MARKER}.")}),
    )
    .await;
    let withdrawn = kindpakket
        .submit(G, &application(household, child, INCOME))
        .await
        .unwrap();
    post(
        &kindpakket,
        REGIE,
        &format!("aanvragen/{withdrawn}/intrekking"),
        json!({"reden": format!("Gezin verhuist naar {MARKER}.")}),
    )
    .await;

    // Before: the regievoerder reads all of it, opened from the seals ...
    let view = read(&kindpakket, REGIE, granted).await;
    assert_eq!(view["gegevens"], "leesbaar");
    assert_eq!(view["inkomenPercentage"], INCOME);
    assert!(view["beoordeling"]["maatwerkMotivatie"]
        .as_str()
        .unwrap()
        .contains(MARKER));
    assert!(view["beoordeling"]["uitkomsten"][0]["uitleg"]
        .as_str()
        .unwrap()
        .contains(MARKER));
    assert!(read(&kindpakket, REGIE, rejected).await["redenAfwijzing"]
        .as_str()
        .unwrap()
        .contains(MARKER));
    assert!(read(&kindpakket, REGIE, withdrawn).await["redenIntrekking"]
        .as_str()
        .unwrap()
        .contains(MARKER));
    // ... which the store holds sealed only: opened with the household's key they are there, in
    // plain they are nowhere, and the stream never carries them.
    let keys = application_keys(&platform).await;
    let stored = stored_application(&platform, granted).await;
    let [ApplicationEvent::Submitted {
        application: submitted,
        ..
    }, ApplicationEvent::Granted(decision)] = &stored[..]
    else {
        panic!("{stored:?}");
    };
    assert_eq!(submitted.inputs.subject, household);
    let inputs = keys.open(&submitted.inputs).await.unwrap().value().unwrap();
    assert_eq!(inputs.income_percent, INCOME);
    let details = decision.assessment.as_ref().unwrap();
    let details = keys.open(&details.details).await.unwrap().value().unwrap();
    assert!(details.custom_motivation.unwrap().contains(MARKER));
    wait_until(
        "the applications on the stream",
        Duration::from_secs(20),
        || async {
            let events = contract_events(&platform).await;
            when(events.len() >= 6, ())
        },
    )
    .await
    .unwrap();
    let tables = application_tables(&platform).await;
    let stream = application_stream(&platform).await;
    for (place, text) in [("tables", &tables), ("stream", &stream)] {
        assert!(!text.contains(MARKER), "{MARKER} in plain in the {place}");
        assert!(
            !holds_number(text, INCOME),
            "{INCOME} in plain in the {place}"
        );
    }
    wait_until(
        "the overview names the household",
        Duration::from_secs(20),
        || async { when(overview_rows_of(&platform, household).await == 3, ()) },
    )
    .await
    .unwrap();

    // The regievoerder erases the parent.
    post(
        &kindpakket,
        REGIE,
        &format!("personen/{parent}/verwijdering"),
        json!({"reden": "verzoek van betrokkene, AVG art. 17"}),
    )
    .await;

    // The platform is told once: the household (not the parent's own id) is forgotten.
    let forgotten = wait_until(
        "SubjectForgotten on the stream",
        Duration::from_secs(20),
        || async {
            let forgotten: Vec<_> = contract_events(&platform)
                .await
                .into_iter()
                .filter_map(|event| match event {
                    Contract::SubjectForgotten(forgotten) => Some(forgotten),
                    _ => None,
                })
                .collect();
            when(!forgotten.is_empty(), forgotten)
        },
    )
    .await
    .unwrap();
    assert_eq!(forgotten.len(), 1, "{forgotten:?}");
    assert_eq!(forgotten[0].subject, household);
    assert_eq!(
        forgotten[0].kind,
        kindpakket_proto::application::SubjectKind::Household
    );

    // The regievoerder's view: the decision and its codes stand, the household's data are gone.
    for application in [granted, rejected, withdrawn] {
        let view = read(&kindpakket, REGIE, application).await;
        assert_eq!(view["gegevens"], "vergeten", "{view}");
        assert_eq!(view["inkomenPercentage"], Value::Null);
        assert_eq!(view["redenAfwijzing"], Value::Null);
        assert_eq!(view["redenIntrekking"], Value::Null);
    }
    let view = read(&kindpakket, REGIE, granted).await;
    assert_eq!(view["status"], "toegekend");
    let outcome = &view["beoordeling"]["uitkomsten"][0];
    assert_eq!(outcome["reden"], "custom_decision");
    assert_eq!(outcome["bedragCent"], 25_000);
    assert_eq!(outcome["uitleg"], Value::Null);
    assert_eq!(view["beoordeling"]["maatwerkMotivatie"], Value::Null);
    assert!(!view.to_string().contains(MARKER));

    // Nothing is readable anywhere: the seals open to "forgotten", and no table, no stream message
    // holds the values in plain; the overview no longer names the household.
    assert_eq!(
        keys.open(&submitted.inputs).await.unwrap(),
        Opened::Forgotten
    );
    wait_until(
        "the overview forgets the household",
        Duration::from_secs(20),
        || async { when(overview_rows_of(&platform, household).await == 0, ()) },
    )
    .await
    .unwrap();
    let tables = application_tables(&platform).await;
    let stream = application_stream(&platform).await;
    for (place, text) in [("tables", &tables), ("stream", &stream)] {
        assert!(
            !text.contains(MARKER),
            "{MARKER} in the {place} after erasure"
        );
        assert!(
            !holds_number(text, INCOME),
            "{INCOME} in the {place} after erasure"
        );
    }

    // Nothing new is kept of the household: a new application is refused, nothing stored.
    let before = platform.events_stored(ServiceName::Application).await;
    let again = kindpakket
        .post(
            &kindpakket.application_url(G, "aanvragen"),
            As {
                organisation: "ouder",
                role: "applicant",
            },
            &application(household, child, INCOME),
        )
        .await
        .unwrap();
    assert_eq!(again.status, StatusCode::CONFLICT, "{:?}", again.body);
    assert!(again.detail().contains("vergeten"), "{}", again.detail());
    assert_eq!(
        platform.events_stored(ServiceName::Application).await,
        before
    );

    // Erasing the child tells the platform of the child.
    post(
        &kindpakket,
        REGIE,
        &format!("personen/{child}/verwijdering"),
        json!({"reden": "verzoek van betrokkene"}),
    )
    .await;
    wait_until(
        "the child forgotten on the stream",
        Duration::from_secs(20),
        || async {
            let child_forgotten = contract_events(&platform).await.into_iter().any(|event| {
                matches!(event, Contract::SubjectForgotten(forgotten)
                if forgotten.subject == child
                    && forgotten.kind == kindpakket_proto::application::SubjectKind::Child)
            });
            when(child_forgotten, ())
        },
    )
    .await
    .unwrap();
}

/// How many rows of the overview name `household` (as the superuser, whom RLS does not bind).
async fn overview_rows_of(platform: &Platform, household: Uuid) -> i64 {
    let pool = PgPool::connect(&platform.postgres.url("kindpakket_application"))
        .await
        .unwrap();
    let count =
        sqlx::query_scalar("SELECT count(*) FROM application_overview WHERE household = $1")
            .bind(household)
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erasure_a_crash_interrupted_is_finished_and_told_once_at_the_next_start() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket.sport_regeling(G, 2026).await.unwrap();
    let (parent, child) = family(&kindpakket).await;
    let submitted = kindpakket
        .submit(G, &application(parent, child, INCOME))
        .await
        .unwrap();
    assert_eq!(
        read(&kindpakket, REGIE, submitted).await["inkomenPercentage"],
        INCOME
    );

    // The service dies right after the vault recorded the intent to forget the parent: the state a
    // crash between the intent and the event leaves behind.
    platform.service_mut(ServiceName::Application).kill();
    let vault = PgPool::connect(&platform.postgres.url("kindpakket_application_vault"))
        .await
        .unwrap();
    sqlx::query(
        "UPDATE persons SET forget_requested_at = now(), forget_why = 'erasure',
                            erased_why = 'verzoek van betrokkene' WHERE person_id = $1",
    )
    .bind(parent)
    .execute(&vault)
    .await
    .unwrap();
    let keys = application_keys(&platform).await;
    assert!(
        !keys.is_forgotten(parent).await.unwrap(),
        "the key still lives"
    );

    // At start the service finishes it: the event, then the keys.
    platform
        .service_mut(ServiceName::Application)
        .start_again()
        .await
        .unwrap();
    let told = |platform: &Platform| {
        let url = platform.nats.url();
        async move {
            stream_messages(&url, Service::Application)
                .await
                .unwrap()
                .into_iter()
                .filter(|(_, message)| message.envelope.event_type == "SubjectForgotten")
                .count()
        }
    };
    wait_until(
        "the interrupted erasure told",
        Duration::from_secs(30),
        || async { when(told(&platform).await == 1, ()) },
    )
    .await
    .unwrap();
    wait_until(
        "the household's key destroyed",
        Duration::from_secs(30),
        || async { when(keys.is_forgotten(parent).await?, ()) },
    )
    .await
    .unwrap();
    let view = read(&kindpakket, REGIE, submitted).await;
    assert_eq!(view["gegevens"], "vergeten");
    let person = kindpakket
        .http
        .get(kindpakket.application_url(G, &format!("personen/{parent}")))
        .bearer_auth(kindpakket.token(&kindpakket.application_url(G, "personen"), REGIE))
        .header("x-doel", "controle verwijdering")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(person["status"], "verwijderd", "{person}");

    // Another start, and the regievoerder asking again, tell nobody twice.
    platform
        .service_mut(ServiceName::Application)
        .start_again()
        .await
        .unwrap();
    post(
        &kindpakket,
        REGIE,
        &format!("personen/{parent}/verwijdering"),
        json!({"reden": "nogmaals"}),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(told(&platform).await, 1);
    let audit = kindpakket
        .get(&kindpakket.application_url(G, "auditlog"), Some(AUDITOR))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert!(audit["regels"].as_array().unwrap().iter().any(|row| {
        row["object"] == parent.to_string() && row["purpose"] == "herstel na onderbreking"
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correction_is_told_to_the_platform_and_free_text_with_personal_data_is_refused() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket.sport_regeling(G, 2026).await.unwrap();
    let (parent, child) = family(&kindpakket).await;

    // A correction of the child's data: the platform hears that the child was rectified.
    kindpakket
        .post_for_purpose(
            &kindpakket.application_url(G, &format!("personen/{child}/rectificatie")),
            REGIE,
            "correctie naam",
            &json!({"naam": "Noor El-Amrani"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    wait_until(
        "SubjectRectified on the stream",
        Duration::from_secs(20),
        || async {
            let rectified = contract_events(&platform).await.into_iter().any(|event| {
                matches!(event, Contract::SubjectRectified(rectified)
                if rectified.subject == child
                    && rectified.kind == kindpakket_proto::application::SubjectKind::Child)
            });
            when(rectified, ())
        },
    )
    .await
    .unwrap();

    // Free text with a BSN, an IBAN, an e-mail address or a telephone number is refused with a
    // Dutch 422 that names the field and repeats nothing; nothing is stored.
    let application = kindpakket
        .submit(G, &application(parent, child, 100))
        .await
        .unwrap();
    let before = platform.events_stored(ServiceName::Application).await;
    let bsn = "111222333";
    let iban = "NL91ABNA0417164300";
    let attempts = [
        (
            format!("aanvragen/{application}/beoordeling"),
            json!({"maatwerk": {"motivatie": format!("Ouder met BSN {bsn}"),
                   "toekenningen": [{"kind": child, "voorziening": "sportcontributie"}]}}),
            "motivatie",
            bsn,
        ),
        (
            format!("aanvragen/{application}/afwijzing"),
            json!({"reden": format!("Terugbetalen op {iban}")}),
            "reden",
            iban,
        ),
        (
            format!("aanvragen/{application}/intrekking"),
            json!({"reden": "Mail j.jansen@example.nl"}),
            "reden",
            "j.jansen@example.nl",
        ),
        (
            format!("personen/{child}/verwijdering"),
            json!({"reden": "Gebeld door 06-12345678"}),
            "reden",
            "12345678",
        ),
    ];
    for (path, body, field, sent) in attempts {
        let answer = kindpakket
            .post(&kindpakket.application_url(G, &path), REGIE, &body)
            .await
            .unwrap();
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {:?}",
            answer.body
        );
        assert!(
            answer.detail().contains(&format!("'{field}'")),
            "{}",
            answer.detail()
        );
        assert!(!answer.body.to_string().contains(sent), "{}", answer.body);
    }
    // A purpose with personal data, too long, or with control characters is refused, nothing read.
    let url = kindpakket.application_url(G, &format!("aanvragen/{application}"));
    for purpose in ["bel 0612345678", &"x".repeat(201)] {
        let answer = kindpakket
            .http
            .get(&url)
            .bearer_auth(kindpakket.token(&url, REGIE))
            .header("x-doel", purpose)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(
        platform.events_stored(ServiceName::Application).await,
        before
    );
    let open = read(&kindpakket, REGIE, application).await;
    assert_eq!(open["status"], "ingediend");
    // The person was not erased by the refused request.
    let person = kindpakket
        .http
        .get(kindpakket.application_url(G, &format!("personen/{child}")))
        .bearer_auth(kindpakket.token(&url, REGIE))
        .header("x-doel", "controle")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(person["status"], "aanwezig");
}

/// Enrols a partner to take in applications, and with a mandate to decide on sport.
async fn enrol(kindpakket: &Kindpakket, partner: &str, mandate: bool) {
    let mut body = json!({
        "partner": partner, "naam": partner, "voorzieningen": ["sportcontributie"],
        "rollen": ["aanvragen_innemen", "verstrekken"], "datum": "2026-01-01",
    });
    if mandate {
        body["rollen"] = json!(["aanvragen_innemen", "besluiten", "verstrekken"]);
        body["mandaat"] = json!({"voorzieningen": ["sportcontributie"],
            "maximumBedragCent": 30_000, "maatwerkToegestaan": true});
    }
    kindpakket
        .post(&kindpakket.regie_url(G, "partners"), REGIE, &body)
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_partners_read_the_same_child_under_ids_of_their_own_and_never_the_gemeentes() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket
        .publish_regeling(
            G,
            2026,
            &[kindpakket_tests::client::provision(
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
    enrol(&kindpakket, LEERGELD.organisation, false).await;
    enrol(&kindpakket, JEUGDFONDS.organisation, true).await;
    let (household, child) = (Uuid::new_v4(), Uuid::new_v4());

    // Leergeld takes in an application for the family, naming it by its own references.
    let created = kindpakket
        .submit_as(
            G,
            LEERGELD,
            &application_by(&kindpakket, LEERGELD, household, child, 100),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let id = Uuid::parse_str(created["id"].as_str().unwrap()).unwrap();

    // The Jeugdfonds, with a mandate, decides; the answer names the child by its own reference.
    let decide = kindpakket.application_url(G, &format!("aanvragen/{id}/beoordeling"));
    let decided = wait_until("the mandate known", Duration::from_secs(20), || async {
        let answer = kindpakket.post(&decide, JEUGDFONDS, &json!({})).await?;
        if answer.detail().contains("geen mandaat") || answer.detail().contains("geen regeling") {
            anyhow::bail!("{}", answer.body);
        }
        Ok(Some(answer))
    })
    .await
    .unwrap()
    .expect(StatusCode::OK)
    .unwrap();
    assert_eq!(decided["status"], "toegekend", "{decided}");

    let gemeente = read(&kindpakket, REGIE, id).await;
    let leergeld = read(&kindpakket, LEERGELD, id).await;
    let jeugdfonds = read(&kindpakket, JEUGDFONDS, id).await;
    let entitlement = Uuid::parse_str(gemeente["rechten"][0]["id"].as_str().unwrap()).unwrap();
    assert_eq!(gemeente["kinderen"][0]["kind"], child.to_string());
    for (partner, view) in [(LEERGELD, &leergeld), (JEUGDFONDS, &jeugdfonds)] {
        let own_child = kindpakket
            .child_reference(partner.organisation, child)
            .unwrap();
        let own_household = kindpakket
            .household_reference(partner.organisation, household)
            .unwrap();
        let own_entitlement = kindpakket
            .partner_entitlement(partner.organisation, entitlement)
            .unwrap();
        assert_eq!(view["kinderen"][0]["kind"], own_child.to_string(), "{view}");
        assert_eq!(view["huishouden"], own_household.to_string());
        assert_eq!(view["rechten"][0]["id"], own_entitlement.to_string());
        assert_eq!(view["rechten"][0]["kind"], own_child.to_string());
        assert_eq!(
            view["beoordeling"]["uitkomsten"][0]["kind"],
            own_child.to_string()
        );
        let text = view.to_string();
        for gemeentes in [child, household, entitlement] {
            assert!(
                !text.contains(&gemeentes.to_string()),
                "{gemeentes} in {text}"
            );
        }
    }
    assert_ne!(
        leergeld["kinderen"][0]["kind"],
        jeugdfonds["kinderen"][0]["kind"]
    );
    assert_ne!(leergeld["huishouden"], jeugdfonds["huishouden"]);

    // Leergeld lists what it took in, under its own reference of the household.
    let listed = wait_until("Leergeld's overview", Duration::from_secs(20), || async {
        let list = kindpakket
            .get(&kindpakket.application_url(G, "aanvragen"), Some(LEERGELD))
            .await?
            .expect(StatusCode::OK)?;
        let decided = list["items"]
            .as_array()
            .is_some_and(|all| all.iter().any(|row| row["status"] == "toegekend"));
        when(decided, list)
    })
    .await
    .unwrap();
    assert_eq!(listed["items"][0]["huishouden"], leergeld["huishouden"]);
    assert!(!listed.to_string().contains(&household.to_string()));

    // Leergeld applies again for the same child by its own references: turned back into the
    // gemeente's ids.
    let again = kindpakket
        .submit_as(
            G,
            LEERGELD,
            &application_by(&kindpakket, LEERGELD, household, child, 100),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let again = Uuid::parse_str(again["id"].as_str().unwrap()).unwrap();
    let as_gemeente = read(&kindpakket, REGIE, again).await;
    assert_eq!(as_gemeente["kinderen"][0]["kind"], child.to_string());
    assert_eq!(as_gemeente["huishouden"], household.to_string());

    // In maatwerk the Jeugdfonds names the child by its own reference; the gemeente's id, or
    // Leergeld's reference, from it is an unknown reference.
    let maatwerk = |named: String| {
        json!({"maatwerk": {"motivatie": "Hoge schulden.",
               "toekenningen": [{"kind": named, "voorziening": "sportcontributie"}]}})
    };
    let decide = kindpakket.application_url(G, &format!("aanvragen/{again}/beoordeling"));
    let leergelds = kindpakket
        .child_reference(LEERGELD.organisation, child)
        .unwrap();
    for foreign in [child.to_string(), leergelds] {
        let refused = kindpakket
            .post(&decide, JEUGDFONDS, &maatwerk(foreign))
            .await
            .unwrap();
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{:?}",
            refused.body
        );
        assert!(
            refused.detail().contains("Onbekende referentie"),
            "{}",
            refused.detail()
        );
    }
    assert_eq!(
        read(&kindpakket, REGIE, again).await["status"],
        "ingediend",
        "nothing was decided"
    );
    let own = kindpakket
        .child_reference(JEUGDFONDS.organisation, child)
        .unwrap();
    let accepted = kindpakket
        .post(&decide, JEUGDFONDS, &maatwerk(own))
        .await
        .unwrap();
    // Funded twice is refused as a conflict: the child was mapped back and found.
    assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.body);
    assert_eq!(
        accepted.body["beoordeling"]["uitkomsten"][0]["reden"],
        "already_granted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_read_of_an_application_is_on_the_audit_log_with_who_why_what_and_when() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket.sport_regeling(G, 2026).await.unwrap();
    let id = kindpakket
        .submit(G, &application(Uuid::new_v4(), Uuid::new_v4(), 100))
        .await
        .unwrap();
    let url = kindpakket.application_url(G, &format!("aanvragen/{id}"));
    let answer = kindpakket
        .http
        .get(&url)
        .bearer_auth(kindpakket.token(&url, REGIE))
        .header("x-doel", "behandeling bezwaar")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    // A list too, with the endpoint's own purpose.
    wait_until("the overview lists it", Duration::from_secs(20), || async {
        let list = kindpakket
            .get(&kindpakket.application_url(G, "aanvragen"), Some(REGIE))
            .await?
            .expect(StatusCode::OK)?;
        when(list.to_string().contains(&id.to_string()), ())
    })
    .await
    .unwrap();
    // An application another partner may not see: the attempt is on record too.
    let stranger = As {
        organisation: "kledingbank",
        role: "partner",
    };
    let hidden = kindpakket.get(&url, Some(stranger)).await.unwrap();
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);

    let audit = kindpakket
        .get(&kindpakket.application_url(G, "auditlog"), Some(AUDITOR))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(audit["keten"], "in orde");
    let rows = audit["regels"].as_array().unwrap();
    let object = format!("aanvraag {id}");
    let read = rows
        .iter()
        .find(|row| row["object"] == object && row["purpose"] == "behandeling bezwaar")
        .unwrap_or_else(|| panic!("the read is on the log: {audit}"));
    assert_eq!(read["action"], "lezen");
    assert_eq!(read["result"], "gelezen");
    assert_eq!(read["organisation"], REGIE.organisation);
    assert_eq!(read["role"], "regievoerder");
    assert!(read["at"].as_str().is_some_and(|at| at.starts_with("20")));
    assert!(rows
        .iter()
        .any(|row| row["object"] == object && row["purpose"] == "aanvragen overzien"));
    assert!(rows.iter().any(|row| row["object"] == object
        && row["organisation"] == "kledingbank"
        && row["result"] == "niet gevonden"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_shows_each_organisation_its_own_rows_whatever_a_query_forgets() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket.sport_regeling(G, 2026).await.unwrap();
    enrol(&kindpakket, LEERGELD.organisation, false).await;
    enrol(&kindpakket, "wijkteam-centrum", false).await;
    let wijkteam = As {
        organisation: "wijkteam-centrum",
        role: "partner",
    };
    let household = Uuid::new_v4();
    for who in [LEERGELD, wijkteam] {
        kindpakket
            .submit_as(
                G,
                who,
                &application_by(&kindpakket, who, Uuid::new_v4(), Uuid::new_v4(), 100),
            )
            .await
            .unwrap()
            .expect(StatusCode::CREATED)
            .unwrap();
    }
    kindpakket
        .submit(G, &application(household, Uuid::new_v4(), 100))
        .await
        .unwrap();
    let list = |who: As<'static>| {
        let kindpakket = kindpakket.clone();
        async move {
            kindpakket
                .get(&kindpakket.application_url(G, "aanvragen"), Some(who))
                .await
                .unwrap()
                .expect(StatusCode::OK)
                .unwrap()["items"]
                .as_array()
                .unwrap()
                .clone()
        }
    };
    let all = wait_until(
        "all three in the overview",
        Duration::from_secs(20),
        || async {
            let all = list(REGIE).await;
            when(all.len() == 3, all)
        },
    )
    .await
    .unwrap();
    assert_eq!(all.len(), 3);
    for who in [LEERGELD, wijkteam] {
        let own = list(who).await;
        assert_eq!(own.len(), 1, "{}: {own:?}", who.organisation);
        assert_eq!(own[0]["namens"], who.organisation);
    }

    // Behind the API, as the service's own role: without a setting the overview shows nothing,
    // with an organisation's only its rows, whatever WHERE the query has.
    let as_service = PgPool::connect(&platform.postgres.url_as(
        ServiceName::Application.role(),
        ServiceName::Application.database(),
    ))
    .await
    .unwrap();
    let count = |organisation: Option<&'static str>| {
        let pool = as_service.clone();
        async move {
            let mut transaction = pool.begin().await.unwrap();
            if let Some(organisation) = organisation {
                sqlx::query("SELECT set_config('kindpakket.organisation', $1, true)")
                    .bind(organisation)
                    .execute(&mut *transaction)
                    .await
                    .unwrap();
            }
            let count: i64 = sqlx::query_scalar("SELECT count(*) FROM application_overview")
                .fetch_one(&mut *transaction)
                .await
                .unwrap();
            transaction.rollback().await.unwrap();
            count
        }
    };
    assert_eq!(count(None).await, 0);
    assert_eq!(count(Some(LEERGELD.organisation)).await, 1);
    assert_eq!(count(Some("wijkteam-centrum")).await, 1);
    // Nor can a reader write: the projector's policy is its own.
    let mut transaction = as_service.begin().await.unwrap();
    sqlx::query("SELECT set_config('kindpakket.organisation', $1, true)")
        .bind(LEERGELD.organisation)
        .execute(&mut *transaction)
        .await
        .unwrap();
    let changed = sqlx::query("UPDATE application_overview SET status = 'granted'")
        .execute(&mut *transaction)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(changed, 0);
    transaction.rollback().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_on_a_moved_clock_forgets_people_and_what_was_sealed_before_its_period() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket.sport_regeling(G, 2026).await.unwrap();
    let child = register(
        &kindpakket,
        json!({"soort": "kind", "bsn": "123456782", "naam": "Noor El Amrani"}),
    )
    .await;
    // A household the vault does not know: only its key's age ends what its application says.
    let household = Uuid::new_v4();
    let id = kindpakket
        .submit(G, &application(household, child, INCOME))
        .await
        .unwrap();
    assert_eq!(read(&kindpakket, REGIE, id).await["gegevens"], "leesbaar");

    // Forty days on, with a retention of two days: the sweep at start forgets the child and every
    // key of a month that ended more than two days ago.
    let application_service = platform.service_mut(ServiceName::Application);
    application_service.set_environment("KINDPAKKET_CLOCK_OFFSET_DAYS", "40");
    application_service.set_environment("KINDPAKKET_RETENTION", "kind=2,ouder=2");
    application_service.start_again().await.unwrap();
    let forgotten = wait_until(
        "the child forgotten by retention",
        Duration::from_secs(30),
        || async {
            let forgotten = contract_events(&platform)
                .await
                .into_iter()
                .find_map(|event| match event {
                    Contract::SubjectForgotten(forgotten) if forgotten.subject == child => {
                        Some(forgotten)
                    }
                    _ => None,
                });
            Ok(forgotten)
        },
    )
    .await
    .unwrap();
    assert_eq!(
        forgotten.why,
        kindpakket_proto::application::ForgetReason::Retention
    );
    let view = wait_until(
        "the application's month shredded",
        Duration::from_secs(30),
        || async {
            let view = read(&kindpakket, REGIE, id).await;
            when(view["gegevens"] == "vergeten", view)
        },
    )
    .await
    .unwrap();
    assert_eq!(view["inkomenPercentage"], Value::Null);
    assert_eq!(view["status"], "ingediend");
    let stored = stored_application(&platform, id).await;
    let [ApplicationEvent::Submitted { application, .. }] = &stored[..] else {
        panic!("{stored:?}");
    };
    let keys = application_keys(&platform).await;
    assert_eq!(
        keys.open(&application.inputs).await.unwrap(),
        Opened::Forgotten
    );
    // The household was not forgotten: what is sealed for it now gets a key of this month.
    assert!(!keys.is_forgotten(household).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applications_stored_before_sealing_are_resealed_at_start_and_read_as_before() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    platform.service_mut(ServiceName::Application).kill();
    // Version 1 rows, as the service stored them before: the household's values in plain.
    let (granted, rejected) = (Uuid::new_v4(), Uuid::new_v4());
    let (household, child) = (Uuid::new_v4(), Uuid::new_v4());
    let submitted = |application: Uuid| {
        json!({"Submitted": {"gemeente": G, "application": {
            "application_id": application, "household": household, "channel": "loket",
            "on_behalf_of": null,
            "children": [{"child": child, "birth_year": 2016, "birth_month": 2}],
            "income_percent": INCOME, "requested_provisions": ["sportcontributie"],
            "signal_id": null, "submitted_on": "2026-10-01", "adults": 1}}})
    };
    let rows = [
        (granted, 1, "Submitted", submitted(granted)),
        (
            granted,
            2,
            "Granted",
            json!({"Granted": {"application_id": granted, "entitlements": [],
            "decided_on": "2026-10-05", "assessment": {"regeling_id": Uuid::new_v4(),
            "income_percent": INCOME, "custom_motivation": format!("Motivatie {MARKER}"),
            "outcomes": [{"child": child, "provision": "sportcontributie", "granted": true,
                "share_percent": 100, "amount_cents": 25_000, "reason": "custom_decision",
                "explanation": format!("Uitleg {MARKER}")}]}}}),
        ),
        (rejected, 1, "Submitted", submitted(rejected)),
        (
            rejected,
            2,
            "Rejected",
            json!({"Rejected": {"application_id": rejected, "reason": format!("Reden {MARKER}"),
            "decided_on": "2026-10-05"}}),
        ),
    ];
    let store = PgPool::connect(&platform.postgres.url("kindpakket_application"))
        .await
        .unwrap();
    for (application, sequence, event_type, payload) in rows {
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
             VALUES ('application', $1, $2, $3, '1', $4, $5)",
        )
        .bind(application.to_string())
        .bind(sequence)
        .bind(event_type)
        .bind(payload)
        .bind(json!({"gemeente": G, "actor_organisation": "gemeente-den-haag",
            "actor_role": "regievoerder", "correlation_id": Uuid::new_v4(),
            "occurred_at": "2026-10-05T10:00:00Z"}))
        .execute(&store)
        .await
        .unwrap();
    }

    // At start they are rewritten, sealed, before the relay reads them.
    platform
        .service_mut(ServiceName::Application)
        .start_again()
        .await
        .unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT event_version, payload::text FROM events WHERE aggregate_type = 'application'",
    )
    .fetch_all(&store)
    .await
    .unwrap();
    assert_eq!(rows.len(), 4);
    for (version, payload) in &rows {
        assert_eq!(version, "2", "{payload}");
        assert!(
            !payload.contains(MARKER) && !holds_number(payload, INCOME),
            "{payload}"
        );
    }
    let view = read(&kindpakket, REGIE, granted).await;
    assert_eq!(view["inkomenPercentage"], INCOME);
    assert_eq!(
        view["beoordeling"]["maatwerkMotivatie"],
        format!("Motivatie {MARKER}")
    );
    assert_eq!(
        view["beoordeling"]["uitkomsten"][0]["uitleg"],
        format!("Uitleg {MARKER}")
    );
    assert_eq!(
        read(&kindpakket, REGIE, rejected).await["redenAfwijzing"],
        format!("Reden {MARKER}")
    );
    // The relay publishes them in today's contract, without the household's values.
    let stream = wait_until(
        "the resealed events on the stream",
        Duration::from_secs(20),
        || async {
            let events = contract_events(&platform).await;
            when(events.len() == 4, application_stream(&platform).await)
        },
    )
    .await
    .unwrap();
    assert!(
        !stream.contains(MARKER) && !holds_number(&stream, INCOME),
        "{stream}"
    );
}
