//! Forgettable by design, in the provision and signalling services (issue 13), against the real
//! services:
//!
//! - what workers write about a child — a signal's reason and note, a pass's block reason, a
//!   declaration's proof and rejection reason — is on no stream, is sealed (not plaintext) in the
//!   stores, and is shown to those entitled to read it; once the gemeente forgets the child
//!   (its erasure at the vault tells the platform `SubjectForgotten` on the application stream, which
//!   the provision service consumes after being down),
//!   it reads as "vergeten", the read models hold nothing of the child, its pass no longer works,
//!   nothing new is written about it, and a redelivered or repeated erasure changes nothing;
//! - free text holding a BSN (11-proef), an IBAN, an e-mail address or a telephone number is
//!   refused with a Dutch 422 in every free-text field of both services, and nothing is stored;
//! - row-level security on provision's read models shows a partner its own rows only, whatever a
//!   query forgets, and the service's role cannot switch it off.

use std::time::Duration;

use async_nats::jetstream;
use kindpakket_proto::application::{
    ApplicationEvent, ForgetReason, SubjectForgotten, SubjectKind,
};
use kindpakket_proto::envelope::headers;
use kindpakket_proto::{
    subjects, Actor, EventEnvelope, EventMessage, GemeenteCode, OrganisationId, Role, Service,
};
use kindpakket_tests::client::{provision, As, Kindpakket, REGIE};
use kindpakket_tests::inspect::stream_messages;
use kindpakket_tests::{wait_until, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use super::settlement::{partner, publish, AUDITOR};

const WIJKTEAM: As<'static> = As {
    organisation: "wijkteam-west",
    role: "signaller",
};
pub(super) const LEERGELD: &str = "leergeld-amsterdam";

/// The regeling of these tests: a pass (tegoedbon), receipts (declaratie) and a lesson in kind.
pub(super) async fn regeling(kindpakket: &Kindpakket, gemeente: &str) {
    publish(
        kindpakket,
        gemeente,
        json!({
            "jaar": 2026, "geldigVanaf": "2026-01-01", "geldigTot": "2026-12-31",
            "inkomensgrens": {"soort": "percentage", "percentage": 120},
            "steekproefPercentage": 100,
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
            "Stichting Leergeld Amsterdam",
            &["schoolspullen", "zwemles"],
        )
        .await
        .unwrap();
    kindpakket
        .enrol_signaller(gemeente, WIJKTEAM.organisation, "Wijkteam West")
        .await
        .unwrap();
}

/// The gemeente grants `provisions` to `child` (a family at 110%); the entitlement ids by provision,
/// once the provision service opened them.
pub(super) async fn granted_to(
    kindpakket: &Kindpakket,
    gemeente: &str,
    child: Uuid,
    provisions: &[&str],
) -> std::collections::BTreeMap<String, Uuid> {
    let application = kindpakket
        .submit(
            gemeente,
            &json!({
                "kanaal": "loket",
                "huishouden": Uuid::new_v4(),
                "kinderen": [{"kind": child, "geboortejaar": 2017, "geboortemaand": 2}],
                "inkomenPercentage": 110,
                "voorzieningen": provisions,
                "datum": "2026-02-01",
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
        let url = kindpakket.provision_url(gemeente, &format!("rechten/{right}"));
        wait_until(
            "the entitlement opened",
            Duration::from_secs(20),
            || async {
                let answer = kindpakket.get(&url, Some(REGIE)).await?;
                Ok((answer.status == StatusCode::OK).then_some(()))
            },
        )
        .await
        .unwrap();
    }
    rights
}

/// What the application service publishes when the gemeente forgets a child: `SubjectForgotten`
/// on its stream, as its relay would (envelope, headers, a message id of its own). `aggregate` and
/// `sequence` name the event in the application store.
pub(super) async fn publish_forgotten(
    platform: &Platform,
    gemeente: &str,
    child: Uuid,
    aggregate: &str,
    message_id: &str,
) {
    let client = async_nats::connect(platform.nats.url()).await.unwrap();
    let js = jetstream::new(client);
    let gemeente = GemeenteCode::parse(gemeente).unwrap();
    let event = ApplicationEvent::SubjectForgotten(SubjectForgotten {
        subject: child,
        kind: SubjectKind::Child,
        why: ForgetReason::Erasure,
        forgotten_on: time::macros::date!(2026 - 06 - 01),
    });
    let message = EventMessage {
        envelope: EventEnvelope {
            event_id: Uuid::new_v4(),
            gemeente: gemeente.clone(),
            service: Service::Application,
            aggregate_type: "person".to_owned(),
            aggregate_id: aggregate.to_owned(),
            sequence: 1,
            store_position: 1,
            event_type: "SubjectForgotten".to_owned(),
            schema_version: 1,
            occurred_at: time::OffsetDateTime::now_utc(),
            correlation_id: Uuid::new_v4(),
            causation_id: None,
            actor: Actor {
                organisation: OrganisationId::parse("gemeente-den-haag").unwrap(),
                role: Role::Regievoerder,
            },
        },
        event,
    };
    let mut header_map = async_nats::HeaderMap::new();
    header_map.insert(headers::MESSAGE_ID, message_id);
    header_map.insert(headers::EVENT_TYPE, "SubjectForgotten");
    header_map.insert(headers::SCHEMA_VERSION, "1");
    header_map.insert(headers::GEMEENTE, gemeente.as_str());
    js.publish_with_headers(
        subjects::event_subject(&gemeente, Service::Application, "SubjectForgotten"),
        header_map,
        serde_json::to_vec(&message).unwrap().into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
}

/// A child registered in the gemeente's vault: its id is the child's pseudonymous reference.
pub(super) async fn register_child(kindpakket: &Kindpakket, gemeente: &str) -> Uuid {
    let created = kindpakket
        .post_for_purpose(
            &kindpakket.application_url(gemeente, "personen"),
            REGIE,
            "aanvraag Kindpakket",
            &json!({"soort": "kind", "bsn": "123456782", "naam": "Noor El Amrani"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    Uuid::parse_str(created["id"].as_str().unwrap()).unwrap()
}

/// Publishes a message of the application stream again, under another message id (so JetStream's
/// duplicate window does not drop it): what a consumer sees when a relay republishes.
async fn republish(platform: &Platform, message: &EventMessage<Value>, message_id: &str) {
    let client = async_nats::connect(platform.nats.url()).await.unwrap();
    let js = jetstream::new(client);
    let mut header_map = async_nats::HeaderMap::new();
    header_map.insert(headers::MESSAGE_ID, message_id);
    js.publish_with_headers(
        subjects::event_subject(
            &message.envelope.gemeente,
            Service::Application,
            &message.envelope.event_type,
        ),
        header_map,
        serde_json::to_vec(message).unwrap().into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
}

/// Every payload of a service's store, as text.
async fn payloads(platform: &Platform, database: &str) -> Vec<String> {
    let mut connection = PgConnection::connect(&platform.postgres.url(database))
        .await
        .unwrap();
    sqlx::query_scalar("SELECT payload::text FROM events ORDER BY global_position")
        .fetch_all(&mut connection)
        .await
        .unwrap()
}

/// Every message of a service's stream, as text.
async fn published(platform: &Platform, service: Service) -> Vec<String> {
    stream_messages(&platform.nats.url(), service)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, message)| serde_json::to_string(&message).unwrap())
        .collect()
}

/// Whether a stored payload holds a value sealed under `child`'s key (`{"s": child, "c": …}`).
fn holds_sealed_for(payload: &str, child: Uuid) -> bool {
    fn walk(value: &Value, child: &str) -> bool {
        match value {
            Value::Object(fields) => {
                (fields.get("s").and_then(Value::as_str) == Some(child) && fields.contains_key("c"))
                    || fields.values().any(|value| walk(value, child))
            }
            Value::Array(values) => values.iter().any(|value| walk(value, child)),
            _ => false,
        }
    }
    serde_json::from_str(payload).is_ok_and(|value: Value| walk(&value, &child.to_string()))
}

async fn count(platform: &Platform, database: &str, sql: &str, child: Uuid) -> i64 {
    let mut connection = PgConnection::connect(&platform.postgres.url(database))
        .await
        .unwrap();
    sqlx::query_scalar(sql)
        .bind(child)
        .fetch_one(&mut connection)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_workers_write_about_a_child_is_sealed_shown_to_its_readers_and_forgotten_with_it() {
    const G: &str = "GM0363";
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    regeling(&kindpakket, G).await;
    let marker = kindpakket_tests::text_marker(8);
    let signal_note = format!("MARKER-signaal-{marker}");
    let block_reason = format!("MARKER-blokkade-{marker}");
    let proof = format!("MARKER-bewijs-{marker}");
    let rejection = format!("MARKER-afwijzing-{marker}");
    let markers = [&signal_note, &block_reason, &proof, &rejection];

    // A child the gemeente knows (its vault gives the pseudonymous id every service uses); a
    // wijkteam signals it for debts, with a note.
    let child = register_child(&kindpakket, G).await;
    let signal = kindpakket
        .post_signal(
            G,
            WIJKTEAM,
            &json!({"kind": kindpakket.child_reference(WIJKTEAM.organisation, child).unwrap(), "reden": "schulden", "toelichting": signal_note,
                    "voorzieningsoort": "overig", "datum": "2026-01-15"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let signal_url = kindpakket.signalling_url(
        G,
        &format!("signaleringen/{}", signal["id"].as_str().unwrap()),
    );

    // The gemeente grants a pass and receipts; regie blocks the pass with a reason; Leergeld declares
    // a receipt, regie rejects it with a reason.
    let rights = granted_to(&kindpakket, G, child, &["kinderpas", "schoolspullen"]).await;
    let (pass_right, receipts) = (rights["kinderpas"], rights["schoolspullen"]);
    let pass_url = kindpakket.provision_url(G, &format!("rechten/{pass_right}"));
    let opened = kindpakket
        .get(&pass_url, Some(REGIE))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let code = opened["passen"][0]["code"].as_str().unwrap().to_owned();
    let pass_id = opened["passen"][0]["id"].as_str().unwrap().to_owned();
    kindpakket
        .post(
            &format!("{pass_url}/passen/{pass_id}/blokkering"),
            REGIE,
            &json!({"reden": block_reason}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    kindpakket
        .wait_for_entitlement(G, LEERGELD, receipts, Duration::from_secs(20))
        .await
        .unwrap();
    let own = kindpakket.partner_entitlement(LEERGELD, receipts).unwrap();
    let receipts_url = kindpakket.provision_url(G, &format!("rechten/{own}"));
    let declared = kindpakket
        .post(
            &format!("{receipts_url}/declaraties"),
            partner(LEERGELD),
            &json!({"bedragCent": 2_500, "bewijs": proof, "datum": "2026-03-10"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let declaration = declared["declaratie"].as_str().unwrap().to_owned();
    kindpakket
        .post(
            &kindpakket.provision_url(
                G,
                &format!("rechten/{receipts}/declaraties/{declaration}/beoordeling"),
            ),
            REGIE,
            &json!({"goedgekeurd": false, "reden": rejection}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();

    // Those entitled read what was written: regie the block reason, Leergeld its proof and why it
    // was rejected, the wijkteam its reason and note.
    let pass = kindpakket
        .get(&pass_url, Some(REGIE))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        pass["passen"][0]["geblokkeerd"]["reden"],
        block_reason.as_str(),
        "{pass}"
    );
    assert_eq!(pass["vergeten"], false);
    let seen = kindpakket
        .get(&receipts_url, Some(partner(LEERGELD)))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(seen["declaraties"][0]["bewijs"], proof.as_str(), "{seen}");
    assert_eq!(
        seen["declaraties"][0]["reden"],
        rejection.as_str(),
        "{seen}"
    );
    assert_eq!(seen["declaraties"][0]["vergeten"], false);
    let read = kindpakket
        .get(&signal_url, Some(WIJKTEAM))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        (read["reden"].as_str(), read["toelichting"].as_str()),
        (Some("schulden"), Some(signal_note.as_str())),
        "{read}"
    );

    // No stream carries any of it, nor the reason's code; the stores hold it sealed only.
    for service in [Service::Signalling, Service::Provision] {
        for message in published(&platform, service).await {
            for marker in markers {
                assert!(
                    !message.contains(marker.as_str()),
                    "{service:?} published {message}"
                );
            }
            assert!(
                !message.contains("debts") && !message.contains("\"reason\""),
                "{message}"
            );
        }
    }
    let provision_store = payloads(&platform, "kindpakket_provision").await;
    let signalling_store = payloads(&platform, "kindpakket_signalling").await;
    for payload in provision_store.iter().chain(&signalling_store) {
        for marker in markers {
            assert!(
                !payload.contains(marker.as_str()),
                "plaintext in the store: {payload}"
            );
        }
        assert!(
            !payload.contains("debts"),
            "plaintext in the store: {payload}"
        );
    }
    for (kind, store) in [
        ("PassBlocked", &provision_store),
        ("DeclarationSubmitted", &provision_store),
        ("DeclarationDecided", &provision_store),
        ("ChildSignalled", &signalling_store),
    ] {
        assert!(
            store
                .iter()
                .any(|payload| payload.contains(kind) && holds_sealed_for(payload, child)),
            "{kind} holds no value sealed for the child: {store:?}"
        );
    }
    assert!(
        count(
            &platform,
            "kindpakket_provision",
            "SELECT count(*) FROM entitlements WHERE child = $1",
            child
        )
        .await
            == 2
    );

    // The gemeente forgets the child while the provision service is down: both services learn it
    // from the application stream, the provision service when it is back.
    platform.service_mut(ServiceName::Provision).kill();
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
    platform
        .service_mut(ServiceName::Provision)
        .start_again()
        .await
        .unwrap();

    let forgotten_pass = wait_until(
        "regie reads the pass's reason as forgotten",
        Duration::from_secs(30),
        || async {
            let pass = kindpakket
                .get(&pass_url, Some(REGIE))
                .await?
                .expect(StatusCode::OK)?;
            Ok((pass["vergeten"] == true).then_some(pass))
        },
    )
    .await
    .unwrap();
    assert_eq!(forgotten_pass["kind"], Value::Null);
    assert_eq!(
        forgotten_pass["passen"][0]["geblokkeerd"]["reden"],
        Value::Null
    );
    assert_eq!(forgotten_pass["passen"][0]["geblokkeerd"]["vergeten"], true);
    let seen = kindpakket
        .get(&receipts_url, Some(partner(LEERGELD)))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        (seen["kind"].clone(), seen["vergeten"].clone()),
        (Value::Null, json!(true)),
        "{seen}"
    );
    let forgotten_declaration = &seen["declaraties"][0];
    assert_eq!(
        (
            forgotten_declaration["bewijs"].clone(),
            forgotten_declaration["reden"].clone(),
            forgotten_declaration["vergeten"].clone()
        ),
        (Value::Null, Value::Null, json!(true)),
        "{seen}"
    );
    assert_eq!(
        forgotten_declaration["status"], "afgewezen",
        "the decision itself stays"
    );
    let read = wait_until(
        "the wijkteam reads its reason as forgotten",
        Duration::from_secs(30),
        || async {
            let read = kindpakket
                .get(&signal_url, Some(WIJKTEAM))
                .await?
                .expect(StatusCode::OK)?;
            Ok((read["vergeten"] == true).then_some(read))
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (
            read["reden"].clone(),
            read["toelichting"].clone(),
            read["kind"].clone()
        ),
        (Value::Null, Value::Null, Value::Null),
        "{read}"
    );
    let list = kindpakket
        .get(
            &kindpakket.provision_url(G, "rechten"),
            Some(partner(LEERGELD)),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|right| right["kind"].is_null() && right["vergeten"] == true),
        "{list}"
    );

    // Nothing of the child is left to read: no keys, no reference in the read models, no pass code;
    // the money stays accounted for (two entitlements, anonymised).
    for keys in ["kindpakket_provision_keys", "kindpakket_signalling_keys"] {
        assert_eq!(
            count(
                &platform,
                keys,
                "SELECT count(*) FROM subject_keys WHERE subject = $1",
                child
            )
            .await,
            0,
            "{keys}"
        );
        assert_eq!(
            count(
                &platform,
                keys,
                "SELECT count(*) FROM forgotten_subjects WHERE subject = $1",
                child
            )
            .await,
            1,
            "{keys}"
        );
    }
    assert_eq!(
        count(
            &platform,
            "kindpakket_provision",
            "SELECT count(*) FROM entitlements WHERE child = $1",
            child
        )
        .await,
        0
    );
    let mut provision_db = PgConnection::connect(&platform.postgres.url("kindpakket_provision"))
        .await
        .unwrap();
    let kept: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM entitlements WHERE entitlement_id = ANY($1) AND child IS NULL",
    )
    .bind(vec![pass_right, receipts])
    .fetch_one(&mut provision_db)
    .await
    .unwrap();
    assert_eq!(kept, 2, "the entitlements stay, anonymised");
    let codes: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pass_codes WHERE entitlement_id = $1")
            .bind(pass_right)
            .fetch_one(&mut provision_db)
            .await
            .unwrap();
    assert_eq!(codes, 0);
    let at_the_till = kindpakket.pass_balance(G, REGIE, &code).await.unwrap();
    assert_eq!(at_the_till.status, StatusCode::NOT_FOUND, "{at_the_till:?}");

    // Nothing new is written about the forgotten child, and nothing is stored for trying.
    let before = platform.events_stored(ServiceName::Provision).await;
    let refused = kindpakket
        .post(
            &format!("{receipts_url}/declaraties"),
            partner(LEERGELD),
            &json!({"bedragCent": 1_000, "bewijs": "bon 7", "datum": "2026-03-11"}),
        )
        .await
        .unwrap();
    assert_eq!(refused.status, StatusCode::CONFLICT, "{refused:?}");
    assert!(refused.detail().contains("vergeten"), "{refused:?}");
    let resignalled = kindpakket
        .post(
            &kindpakket.signalling_url(G, "signaleringen"),
            WIJKTEAM,
            &json!({"kind": kindpakket.child_reference(WIJKTEAM.organisation, child).unwrap(), "reden": "schulden", "voorzieningsoort": "overig"}),
        )
        .await
        .unwrap();
    assert_eq!(resignalled.status, StatusCode::CONFLICT, "{resignalled:?}");
    assert_eq!(platform.events_stored(ServiceName::Provision).await, before);

    // The same erasure redelivered (as a relay's republish after a lost checkpoint would, past the
    // duplicate window), and the child forgotten a second time: both are applied without harm and
    // nothing is parked.
    let told = stream_messages(&platform.nats.url(), Service::Application)
        .await
        .unwrap()
        .into_iter()
        .find(|(_, message)| {
            message.envelope.event_type == "SubjectForgotten"
                && message.event["subject"] == json!(child)
        })
        .expect("the application service told the platform");
    republish(&platform, &told.1, &format!("{}-again", told.0)).await;
    let again = Uuid::new_v4().to_string();
    publish_forgotten(
        &platform,
        G,
        child,
        &again,
        &format!("application:person:{again}:1"),
    )
    .await;
    for database in ["kindpakket_provision", "kindpakket_signalling"] {
        let url = platform.postgres.url(database);
        let again = again.clone();
        wait_until(
            "the second erasure applied",
            Duration::from_secs(20),
            || {
                let (url, again) = (url.clone(), again.clone());
                async move {
                    let mut connection = PgConnection::connect(&url).await?;
                    let applied: bool = sqlx::query_scalar(
                        "SELECT EXISTS (SELECT 1 FROM consumer_offsets WHERE aggregate_id = $1)",
                    )
                    .bind(again)
                    .fetch_one(&mut connection)
                    .await?;
                    Ok(applied.then_some(()))
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
    let pass = kindpakket
        .get(&pass_url, Some(REGIE))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(pass["vergeten"], true);
    // The auditor still reads the money: the ledger and the entitlement stay.
    kindpakket
        .get(&pass_url, Some(AUDITOR))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
}

/// Free text naming a person, as a worker might type it: what it names, the text, the value in it.
const PERSONAL: [(&str, &str, &str); 4] = [
    ("bsn", "BSN 123456782 volgens moeder", "123456782"),
    ("iban", "terugbetalen op NL91 ABNA 0417 1643 00", "ABNA"),
    ("e-mail", "mail j.jansen@example.nl", "jansen"),
    ("telefoon", "bel moeder 06-12345678", "12345678"),
];

/// A refusal of free text: a Dutch 422 that names the field and repeats nothing that was sent.
fn assert_refused(answer: &kindpakket_tests::client::Answer, field: &str, sent: &str) {
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{field}: {answer:?}"
    );
    assert_eq!(answer.content_type, "application/problem+json");
    let detail = answer.detail();
    assert!(
        detail.contains(&format!("'{field}'")) && detail.contains("persoonsgegevens"),
        "{detail}"
    );
    for word in sent.split_whitespace().filter(|word| word.len() > 3) {
        assert!(
            !detail.contains(word),
            "the refusal repeats '{word}': {detail}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_text_naming_a_person_is_refused_in_dutch_in_every_field_and_nothing_is_stored() {
    const G: &str = "GM0599";
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    regeling(&kindpakket, G).await;
    let child = Uuid::new_v4();
    let rights = granted_to(
        &kindpakket,
        G,
        child,
        &["kinderpas", "schoolspullen", "zwemles"],
    )
    .await;
    // Something of everything to write about: a pass, a declaration, an invoiced lesson, a sample.
    let pass_url = kindpakket.provision_url(G, &format!("rechten/{}", rights["kinderpas"]));
    let opened = kindpakket
        .get(&pass_url, Some(REGIE))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let block_url = format!(
        "{pass_url}/passen/{}/blokkering",
        opened["passen"][0]["id"].as_str().unwrap()
    );
    kindpakket
        .wait_for_entitlement(
            G,
            LEERGELD,
            rights["schoolspullen"],
            Duration::from_secs(20),
        )
        .await
        .unwrap();
    let own = kindpakket
        .partner_entitlement(LEERGELD, rights["schoolspullen"])
        .unwrap();
    let declarations_url = kindpakket.provision_url(G, &format!("rechten/{own}/declaraties"));
    let declared = kindpakket
        .post(
            &declarations_url,
            partner(LEERGELD),
            &json!({"bedragCent": 2_500, "bewijs": "kassabon 2026-0310", "datum": "2026-03-10"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let declaration = declared["declaratie"].as_str().unwrap().to_owned();
    let decide_url = kindpakket.provision_url(
        G,
        &format!(
            "rechten/{}/declaraties/{declaration}/beoordeling",
            rights["schoolspullen"]
        ),
    );
    kindpakket
        .wait_for_entitlement(G, LEERGELD, rights["zwemles"], Duration::from_secs(20))
        .await
        .unwrap();
    let delivered = kindpakket
        .deliver(G, LEERGELD, rights["zwemles"], 10_000, "2026-03-12")
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let invoice = kindpakket
        .post(
            &kindpakket.provision_url(G, "facturen"),
            partner(LEERGELD),
            &json!({"vanaf": "2026-01-01", "tot": "2026-12-31"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let settle_url = kindpakket.provision_url(
        G,
        &format!("facturen/{}/beoordeling", invoice["id"].as_str().unwrap()),
    );
    let sample = kindpakket
        .post(
            &kindpakket.provision_url(G, "steekproeven"),
            REGIE,
            &json!({"vanaf": "2026-03-01", "tot": "2026-03-31", "zaad": 7}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let checks_url = kindpakket.provision_url(
        G,
        &format!("steekproeven/{}/controles", sample["id"].as_str().unwrap()),
    );
    let signals_url = kindpakket.signalling_url(G, "signaleringen");
    // The signaller is known to the signalling service once one plain signal is accepted.
    kindpakket
        .post_signal(
            G,
            WIJKTEAM,
            &json!({"kind": kindpakket.child_reference(WIJKTEAM.organisation, child).unwrap(), "reden": "anders", "voorzieningsoort": "overig"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();

    let provision_before = platform.events_stored(ServiceName::Provision).await;
    let signalling_before = platform.events_stored(ServiceName::Signalling).await;
    for (kind, text, value) in PERSONAL {
        let tries: Vec<(&str, String, As<'static>, Value)> = vec![
            (
                "reden",
                block_url.clone(),
                REGIE,
                json!({"reden": text, "nieuwePas": true}),
            ),
            (
                "bewijs",
                declarations_url.clone(),
                partner(LEERGELD),
                json!({"bedragCent": 1_000, "bewijs": text, "datum": "2026-03-11"}),
            ),
            (
                "reden",
                decide_url.clone(),
                REGIE,
                json!({"goedgekeurd": false, "reden": text}),
            ),
            (
                "reden",
                settle_url.clone(),
                REGIE,
                json!({"regels": [{"verstrekking": delivered["verstrekking"], "goedgekeurd": false, "reden": text}]}),
            ),
            (
                "toelichting",
                checks_url.clone(),
                AUDITOR,
                json!({"declaratie": declaration, "uitkomst": "niet_in_orde", "toelichting": text}),
            ),
            (
                "toelichting",
                signals_url.clone(),
                WIJKTEAM,
                json!({"kind": kindpakket.child_reference(WIJKTEAM.organisation, child).unwrap(), "reden": "anders", "toelichting": text, "voorzieningsoort": "overig"}),
            ),
        ];
        for (field, url, who, body) in tries {
            let answer = kindpakket.post(&url, who, &body).await.unwrap();
            assert_refused(&answer, field, value);
            let expected = match kind {
                "bsn" => "een BSN",
                "iban" => "een IBAN",
                "e-mail" => "een e-mailadres",
                _ => "een telefoonnummer",
            };
            assert!(
                answer.detail().contains(expected),
                "{kind} at {url}: {answer:?}"
            );
        }
    }
    assert_eq!(
        platform.events_stored(ServiceName::Provision).await,
        provision_before,
        "a refused text stored something"
    );
    assert_eq!(
        platform.events_stored(ServiceName::Signalling).await,
        signalling_before,
        "a refused note stored something"
    );
    // Free text stays short and optional: a pass is blocked without a reason, a lesson's line
    // rejected with a plain one.
    kindpakket
        .post(&block_url, REGIE, &json!({}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let too_long = kindpakket
        .post(
            &decide_url,
            REGIE,
            &json!({"goedgekeurd": false, "reden": "x".repeat(501)}),
        )
        .await
        .unwrap();
    assert_eq!(
        too_long.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{too_long:?}"
    );
    assert!(too_long.detail().contains("te lang"), "{too_long:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_reads_its_own_rows_only_whatever_a_query_forgets_and_cannot_switch_that_off() {
    const G: &str = "GM0772";
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    publish(
        &kindpakket,
        G,
        json!({
            "jaar": 2026, "geldigVanaf": "2026-01-01", "geldigTot": "2026-12-31",
            "inkomensgrens": {"soort": "percentage", "percentage": 120},
            "voorzieningen": [
                provision("zwemles", "Zwemles", "maatschappelijke_participatie", (4, 17), 30_000, "in_natura"),
                provision("muziekles", "Muziekles", "maatschappelijke_participatie", (4, 17), 40_000, "in_natura"),
            ],
        }),
    )
    .await;
    let swimming = "zwembad-de-mirandabad";
    let music = "muziekschool-noord";
    kindpakket
        .enrol_partner(G, swimming, "De Mirandabad", &["zwemles"])
        .await
        .unwrap();
    kindpakket
        .enrol_partner(G, music, "Muziekschool Noord", &["muziekles"])
        .await
        .unwrap();
    let lesson = granted_to(&kindpakket, G, Uuid::new_v4(), &["zwemles"]).await["zwemles"];
    let music_lesson =
        granted_to(&kindpakket, G, Uuid::new_v4(), &["muziekles"]).await["muziekles"];
    kindpakket
        .wait_for_entitlement(G, swimming, lesson, Duration::from_secs(20))
        .await
        .unwrap();
    kindpakket
        .wait_for_entitlement(G, music, music_lesson, Duration::from_secs(20))
        .await
        .unwrap();

    // Through the API: each partner lists its own, under its own ids; regie lists both.
    let list = |who: As<'static>| {
        let kindpakket = kindpakket.clone();
        async move {
            kindpakket
                .get(&kindpakket.provision_url(G, "rechten"), Some(who))
                .await
                .unwrap()
                .expect(StatusCode::OK)
                .unwrap()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|right| right["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let own = kindpakket.partner_entitlement(swimming, lesson).unwrap();
    assert_eq!(list(partner(swimming)).await, vec![own.to_string()]);
    let own = kindpakket.partner_entitlement(music, music_lesson).unwrap();
    assert_eq!(list(partner(music)).await, vec![own.to_string()]);
    assert_eq!(list(REGIE).await.len(), 2);

    // In the database, as the service's own role: a transaction on a partner's behalf sees that
    // partner's rows, though the queries name no organisation at all.
    let mut service = PgConnection::connect(
        &platform
            .postgres
            .url_as(ServiceName::Provision.role(), "kindpakket_provision"),
    )
    .await
    .unwrap();
    let on_behalf = |organisation: &str, role: &str, gemeente: &str| {
        format!(
            "SELECT set_config('kindpakket.organisation', '{organisation}', true),
                    set_config('kindpakket.role', '{role}', true),
                    set_config('kindpakket.gemeente', '{gemeente}', true)"
        )
    };
    async fn seen(
        connection: &mut PgConnection,
        settings: Option<String>,
    ) -> (Vec<Uuid>, Vec<String>) {
        let mut transaction = connection.begin().await.unwrap();
        if let Some(settings) = settings {
            sqlx::query(&settings)
                .execute(&mut *transaction)
                .await
                .unwrap();
        }
        let entitlements: Vec<Uuid> =
            sqlx::query_scalar("SELECT entitlement_id FROM entitlements ORDER BY 1")
                .fetch_all(&mut *transaction)
                .await
                .unwrap();
        let enrolled: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT partner FROM partner_enrolments ORDER BY 1")
                .fetch_all(&mut *transaction)
                .await
                .unwrap();
        transaction.rollback().await.unwrap();
        (entitlements, enrolled)
    }
    assert_eq!(
        seen(&mut service, Some(on_behalf(swimming, "partner", G))).await,
        (vec![lesson], vec![swimming.to_owned()])
    );
    assert_eq!(
        seen(&mut service, Some(on_behalf(music, "partner", G))).await,
        (vec![music_lesson], vec![music.to_owned()])
    );
    let mut both = vec![lesson, music_lesson];
    both.sort();
    assert_eq!(
        seen(
            &mut service,
            Some(on_behalf("gemeente-den-haag", "regievoerder", G))
        )
        .await
        .0,
        both
    );
    assert_eq!(
        seen(
            &mut service,
            Some(on_behalf("gemeente-den-haag", "regievoerder", "GM0344"))
        )
        .await,
        (vec![], vec![]),
        "another gemeente's regievoerder sees nothing here"
    );
    assert_eq!(
        seen(&mut service, None).await,
        (vec![], vec![]),
        "no caller, no rows"
    );

    // The service's role owns neither table: it cannot switch the policies off or drop them.
    for statement in [
        "ALTER TABLE entitlements DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE entitlements NO FORCE ROW LEVEL SECURITY",
        "ALTER TABLE partner_enrolments DISABLE ROW LEVEL SECURITY",
        "DROP POLICY partner_reads ON entitlements",
    ] {
        let refused = sqlx::raw_sql(statement).execute(&mut service).await;
        let error = refused.expect_err(statement).to_string();
        assert!(error.contains("must be owner"), "{statement}: {error}");
    }
}

/// Appends a stored event of version 1 (as the service stored it before issue 13) to an aggregate.
async fn append_legacy(
    store: &mut PgConnection,
    aggregate_type: &str,
    aggregate_id: Uuid,
    event_type: &str,
    payload: Value,
) {
    let metadata = json!({
        "gemeente": "GM0150", "actor_organisation": "gemeente-den-haag", "actor_role": "regievoerder",
        "correlation_id": Uuid::new_v4(), "occurred_at": "2026-04-01T09:00:00Z",
    });
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         SELECT $1, $2, COALESCE(max(sequence), 0) + 1, $3, '1', $4, $5 FROM events
          WHERE aggregate_type = $1 AND aggregate_id = $2",
    )
    .bind(aggregate_type)
    .bind(aggregate_id.to_string())
    .bind(event_type)
    .bind(payload)
    .bind(metadata)
    .execute(&mut *store)
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_text_stored_in_plaintext_before_is_sealed_once_at_start_and_reads_as_before() {
    const G: &str = "GM0150";
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    regeling(&kindpakket, G).await;
    let child = Uuid::new_v4();
    let rights = granted_to(&kindpakket, G, child, &["kinderpas", "schoolspullen"]).await;
    let (pass_right, receipts) = (rights["kinderpas"], rights["schoolspullen"]);
    let pass_url = kindpakket.provision_url(G, &format!("rechten/{pass_right}"));
    let opened = kindpakket
        .get(&pass_url, Some(REGIE))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let pass_id = opened["passen"][0]["id"].as_str().unwrap().to_owned();
    let marker = kindpakket_tests::text_marker(8);
    let text = |what: &str| format!("LEGACY-{what}-{marker}");

    // The store as the service left it before issue 13: free text in plaintext, version 1.
    platform.service_mut(ServiceName::Provision).kill();
    let mut store = PgConnection::connect(&platform.postgres.url("kindpakket_provision"))
        .await
        .unwrap();
    let (declaration, delivery, invoice, draw) = (
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
    );
    append_legacy(&mut store, "entitlement", pass_right, "PassBlocked", json!({"PassBlocked": {
        "entitlement_id": pass_right, "pass_id": pass_id, "reason": text("blokkade"), "blocked_on": "2026-04-01"}})).await;
    let declared = json!({"entitlement_id": receipts, "declaration_id": declaration, "child": child,
        "provision": "schoolspullen", "submitted_by": LEERGELD, "amount_cents": 2_500});
    let mut submitted = declared.clone();
    submitted["proof_reference"] = json!(text("bewijs"));
    submitted["submitted_on"] = json!("2026-03-10");
    append_legacy(
        &mut store,
        "entitlement",
        receipts,
        "DeclarationSubmitted",
        json!({"DeclarationSubmitted": submitted}),
    )
    .await;
    let mut decided = declared.clone();
    decided["approved"] = json!(false);
    decided["reason"] = json!(text("afwijzing"));
    decided["decided_on"] = json!("2026-03-11");
    append_legacy(
        &mut store,
        "entitlement",
        receipts,
        "DeclarationDecided",
        json!({"DeclarationDecided": decided}),
    )
    .await;
    let line = json!({"delivery_id": delivery, "entitlement_id": receipts, "child": child,
        "provision": "schoolspullen", "amount_cents": 1_000, "delivered_on": "2026-03-12"});
    let mut submitted_line = line.clone();
    submitted_line["form"] = json!("in_kind");
    submitted_line["funding"] = json!([]);
    append_legacy(&mut store, "invoice", invoice, "InvoiceSubmitted", json!({"InvoiceSubmitted": {"gemeente": G, "invoice": {
        "invoice_id": invoice, "partner": LEERGELD, "period_from": "2026-01-01", "period_until": "2026-12-31",
        "lines": [submitted_line], "total_cents": 1_000}}})).await;
    let mut settled_line = line.clone();
    settled_line["approved"] = json!(false);
    settled_line["reason"] = json!(text("regel"));
    append_legacy(&mut store, "invoice", invoice, "InvoiceSettled", json!({"InvoiceSettled": {
        "invoice_id": invoice, "partner": LEERGELD, "lines": [settled_line], "complete": true, "settled_on": "2026-04-02"}})).await;
    append_legacy(&mut store, "sample", draw, "SampleDrawn", json!({"SampleDrawn": {"gemeente": G, "drawn": {
        "draw_id": draw, "period_from": "2026-03-01", "period_until": "2026-03-31", "rate_percent": 100, "seed": 1,
        "amount_bands_cents": [0, 10_000, 50_000],
        "population": [{"declaration_id": declaration, "entitlement_id": receipts, "submitted_by": LEERGELD, "amount_cents": 2_500}],
        "selected": [declaration]}}})).await;
    append_legacy(&mut store, "sample", draw, "SampleCheckRecorded", json!({"SampleCheckRecorded": {
        "draw_id": draw, "declaration_id": declaration, "outcome": "not_in_order", "note": text("controle"),
        "checked_on": "2026-04-03"}})).await;

    // Today's service starts on that store: everything is version 2, the texts sealed.
    platform
        .service_mut(ServiceName::Provision)
        .start_again()
        .await
        .unwrap();
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT event_version, payload::text FROM events ORDER BY global_position")
            .fetch_all(&mut store)
            .await
            .unwrap();
    for (version, payload) in &rows {
        assert_eq!(version, "2", "{payload}");
        assert!(
            !payload.contains(&marker),
            "plaintext left in the store: {payload}"
        );
    }
    for kind in [
        "PassBlocked",
        "DeclarationSubmitted",
        "DeclarationDecided",
        "InvoiceSettled",
        "SampleCheckRecorded",
    ] {
        assert!(
            rows.iter()
                .any(|(_, payload)| payload.contains(kind) && holds_sealed_for(payload, child)),
            "{kind} was not sealed under the child's key"
        );
    }

    // And it reads as before, for those who may read it.
    let pass = kindpakket
        .get(&pass_url, Some(REGIE))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        pass["passen"][0]["geblokkeerd"]["reden"],
        text("blokkade").as_str(),
        "{pass}"
    );
    let receipts_read = kindpakket
        .get(
            &kindpakket.provision_url(G, &format!("rechten/{receipts}")),
            Some(REGIE),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let read = &receipts_read["declaraties"][0];
    assert_eq!(
        (read["bewijs"].as_str(), read["reden"].as_str()),
        (
            Some(text("bewijs").as_str()),
            Some(text("afwijzing").as_str())
        ),
        "{receipts_read}"
    );
    let invoice_read = kindpakket
        .get(
            &kindpakket.provision_url(G, &format!("facturen/{invoice}")),
            Some(REGIE),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        invoice_read["regels"][0]["reden"],
        text("regel").as_str(),
        "{invoice_read}"
    );
    let sample_read = kindpakket
        .get(
            &kindpakket.provision_url(G, &format!("steekproeven/{draw}")),
            Some(AUDITOR),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        sample_read["getrokken"][0]["toelichting"],
        text("controle").as_str(),
        "{sample_read}"
    );

    // The relay publishes the rewritten events only: no stream message holds the old text.
    wait_until(
        "the legacy events published",
        Duration::from_secs(20),
        || async {
            let messages = published(&platform, Service::Provision).await;
            Ok(messages
                .iter()
                .any(|message| message.contains("SampleCheckRecorded"))
                .then_some(()))
        },
    )
    .await
    .unwrap();
    for message in published(&platform, Service::Provision).await {
        assert!(!message.contains(&marker), "{message}");
    }
}

/// Retention by age in the services that seal: a wijkteam's note on a signal stays readable within
/// the retention period and is unreadable once the month it was sealed in ended longer ago than
/// `KINDPAKKET_RETENTION_DAYS` — rehearsed by moving the signalling service's clock, with the
/// child still known to the gemeente (nobody erased it). The signal itself and its status stay.
#[tokio::test]
async fn past_the_retention_period_what_was_sealed_about_a_child_reads_as_forgotten() {
    const G: &str = "GM0599";
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    regeling(&kindpakket, G).await;
    let child = register_child(&kindpakket, G).await;
    let note = format!("MARKER-{}", kindpakket_tests::text_marker(8));
    let signal = kindpakket
        .post_signal(
            G,
            WIJKTEAM,
            &json!({"kind": kindpakket.child_reference(WIJKTEAM.organisation, child).unwrap(),
                    "reden": "schulden", "toelichting": note,
                    "voorzieningsoort": "overig", "datum": "2026-01-15"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let signal_url = kindpakket.signalling_url(
        G,
        &format!("signaleringen/{}", signal["id"].as_str().unwrap()),
    );

    // Ten days on, with a retention of sixty days: the month it was sealed in has not ended long
    // enough ago; the note is read as written.
    let signalling = platform.service_mut(ServiceName::Signalling);
    signalling.set_environment("KINDPAKKET_CLOCK_OFFSET_DAYS", "10");
    signalling.set_environment("KINDPAKKET_RETENTION_DAYS", "60");
    signalling.start_again().await.unwrap();
    let within = kindpakket
        .get(&signal_url, Some(WIJKTEAM))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        (within["toelichting"].as_str(), within["vergeten"].as_bool()),
        (Some(note.as_str()), Some(false)),
        "{within}"
    );

    // A hundred days on: the month ended more than sixty days ago, its keys are destroyed at start.
    let signalling = platform.service_mut(ServiceName::Signalling);
    signalling.set_environment("KINDPAKKET_CLOCK_OFFSET_DAYS", "100");
    signalling.start_again().await.unwrap();
    let past = wait_until(
        "the note past retention reads as forgotten",
        Duration::from_secs(30),
        || async {
            let past = kindpakket
                .get(&signal_url, Some(WIJKTEAM))
                .await?
                .expect(StatusCode::OK)?;
            Ok((past["vergeten"] == true).then_some(past))
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (past["toelichting"].clone(), past["reden"].clone()),
        (Value::Null, Value::Null),
        "{past}"
    );
    assert_eq!(past["id"], signal["id"], "the signal itself stays");
}
