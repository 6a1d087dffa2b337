//! Identity in the chain (issue 14, items 1, 6 and 7; `docs/chain.md`): an organisation identifies a
//! child by BSN or by name and date of birth and gets a reference of its own — the same on repeat,
//! another for another organisation, and no way to tell whether the vault knew the child; a
//! reference that is not the caller's is refused with nothing changed; an application on a family's
//! behalf needs the parent's consent and a declared gezag; the regievoerder pages through the
//! applications to decide.

use std::collections::BTreeSet;
use std::time::Duration;

use kindpakket_platform::reference::{self, ReferenceKind};
use kindpakket_proto::OrganisationId;
use kindpakket_tests::client::{on_behalf, As, Kindpakket, REGIE};
use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

const G: &str = "GM0518";
const LEERGELD: As<'static> = As {
    organisation: "leergeld",
    role: "partner",
};
const JEUGDFONDS: As<'static> = As {
    organisation: "jeugdfonds",
    role: "partner",
};
const WIJKTEAM: As<'static> = As {
    organisation: "wijkteam-centrum",
    role: "signaller",
};

async fn identify(kindpakket: &Kindpakket, who: As<'_>, body: Value) -> (StatusCode, Value) {
    let answer = kindpakket.identify(G, who, &body).await.unwrap();
    (answer.status, answer.body)
}

/// The gemeente's id behind `organisation`'s reference (as any service with the key resolves it).
fn resolved(platform: &Platform, organisation: &str, kind: ReferenceKind, named: &str) -> Uuid {
    reference::resolve(
        platform.pseudonym_key.as_bytes(),
        &OrganisationId::parse(organisation).unwrap(),
        kind,
        named,
    )
    .expect("a reference of this organisation")
}

async fn enrol(kindpakket: &Kindpakket, organisation: &str) {
    kindpakket
        .post(
            &kindpakket.regie_url(G, "partners"),
            REGIE,
            &json!({"partner": organisation, "naam": organisation,
                    "voorzieningen": ["sportcontributie"],
                    "rollen": ["aanvragen_innemen", "verstrekken"], "datum": "2026-01-01"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
}

fn application(household: &str, child: &str) -> Value {
    json!({
        "kanaal": "partner",
        "huishouden": household,
        "kinderen": [{"kind": child, "geboortejaar": 2016, "geboortemaand": 4}],
        "inkomenPercentage": 110,
        "voorzieningen": ["sportcontributie"],
        "datum": "2026-09-01",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_identified_by_bsn_or_by_name_gets_the_same_reference_again_another_per_organisation_and_no_known_signal(
) {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    // Only organisations the gemeente enrolled identify anyone.
    enrol(&kindpakket, LEERGELD.organisation).await;
    enrol(&kindpakket, JEUGDFONDS.organisation).await;
    kindpakket
        .enrol_signaller(G, WIJKTEAM.organisation, "Wijkteam Centrum")
        .await
        .unwrap();

    // A child the vault does not know, and then again: the same status and shape, the same
    // reference. The answer never carries the gemeente's id.
    let by_bsn = json!({"kind": {"bsn": "111222333"}});
    let (first_status, first) = identify(&kindpakket, LEERGELD, by_bsn.clone()).await;
    let (again_status, again) = identify(&kindpakket, LEERGELD, by_bsn.clone()).await;
    assert_eq!(first_status, StatusCode::OK, "{first}");
    assert_eq!(again_status, first_status, "no way to tell new from known");
    assert_eq!(first, again);
    let keys = |value: &Value| -> BTreeSet<String> {
        value.as_object().unwrap().keys().cloned().collect()
    };
    assert_eq!(
        keys(&first),
        BTreeSet::from(["kind".to_owned(), "huishouden".to_owned()])
    );
    assert_eq!(first["huishouden"], Value::Null);
    let leergelds = first["kind"].as_str().unwrap().to_owned();
    assert_eq!(leergelds.len(), 32);
    let child = resolved(&platform, "leergeld", ReferenceKind::Child, &leergelds);
    assert!(!first.to_string().contains(&child.to_string()));

    // Another organisation gets another reference for the same child; a signaller too.
    let (_, jeugdfonds) = identify(&kindpakket, JEUGDFONDS, by_bsn.clone()).await;
    assert_ne!(jeugdfonds["kind"], first["kind"]);
    assert_eq!(
        resolved(
            &platform,
            "jeugdfonds",
            ReferenceKind::Child,
            jeugdfonds["kind"].as_str().unwrap()
        ),
        child,
        "one child behind both"
    );
    let (status, wijkteam) = identify(&kindpakket, WIJKTEAM, by_bsn).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(wijkteam["kind"], first["kind"]);

    // A child the gemeente registered before: found, answered exactly as a new one.
    let registered = kindpakket
        .post_for_purpose(
            &kindpakket.application_url(G, "personen"),
            REGIE,
            "aanvraag Kindpakket",
            &json!({"soort": "kind", "bsn": "123456782", "naam": "Noor Bakker"}),
        )
        .await
        .unwrap();
    let registered_id = Uuid::parse_str(registered.body["id"].as_str().unwrap()).unwrap();
    let (status, known) = identify(
        &kindpakket,
        LEERGELD,
        json!({"kind": {"bsn": "123456782"}, "ouder": {"bsn": "100000009"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys(&known), keys(&first));
    assert_eq!(
        known["kind"],
        kindpakket
            .child_reference("leergeld", registered_id)
            .unwrap()
    );
    assert!(known["huishouden"]
        .as_str()
        .is_some_and(|own| own.len() == 32));

    // By name and date of birth: the same child whatever the case, spacing or accents.
    let by_name = |first_name: &str, surname: &str| json!({"kind": {"voornaam": first_name, "achternaam": surname, "geboortedatum": "2016-04-12"}});
    let (status, named) = identify(&kindpakket, LEERGELD, by_name("Zoë", "van der  Berg")).await;
    assert_eq!(status, StatusCode::OK, "{named}");
    let (_, renamed) = identify(&kindpakket, LEERGELD, by_name("zoe", "Van-der Berg")).await;
    assert_eq!(named, renamed);
    let (_, other) = identify(&kindpakket, JEUGDFONDS, by_name("Zoë", "van der Berg")).await;
    assert_ne!(other["kind"], named["kind"]);
    let by_name_only = resolved(
        &platform,
        "leergeld",
        ReferenceKind::Child,
        named["kind"].as_str().unwrap(),
    );

    // Later the same child with a BSN: a record of its own, marked for the regievoerder as possibly
    // the one known by name.
    let (_, with_bsn) = identify(
        &kindpakket,
        LEERGELD,
        json!({"kind": {"bsn": "999999990", "voornaam": "Zoë", "achternaam": "van der Berg",
                        "geboortedatum": "2016-04-12"}}),
    )
    .await;
    assert_ne!(with_bsn["kind"], named["kind"]);
    let later = resolved(
        &platform,
        "leergeld",
        ReferenceKind::Child,
        with_bsn["kind"].as_str().unwrap(),
    );
    let read = kindpakket
        .http
        .get(kindpakket.application_url(G, &format!("personen/{later}")))
        .bearer_auth(kindpakket.token(&kindpakket.application_url(G, "personen"), REGIE))
        .header("x-doel", "controle dubbele registratie")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    let read: Value = read.json().await.unwrap();
    assert_eq!(
        read["mogelijkDubbelVan"],
        by_name_only.to_string(),
        "{read}"
    );

    // Bad input: a Dutch 422 naming the field, never repeating what was sent, nothing recorded.
    let persons_before = vault_persons(&platform).await;
    for (body, field) in [
        (json!({"kind": {"bsn": "111222336"}}), "'kind'"),
        (json!({"kind": {"voornaam": "Zoë"}}), "'kind'"),
        (
            json!({"kind": {"bsn": "111222333"}, "ouder": {"bsn": "123456789"}}),
            "'ouder'",
        ),
    ] {
        let (status, refused) = identify(&kindpakket, LEERGELD, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        let detail = refused["detail"].as_str().unwrap();
        assert!(detail.contains(field), "{detail}");
        for sent in ["111222336", "123456789", "Zoë"] {
            assert!(!detail.contains(sent), "{detail}");
        }
    }
    assert_eq!(vault_persons(&platform).await, persons_before);

    // A parent may not identify others; the audit log has every identification with its purpose.
    let parent = kindpakket
        .post_as_parent(
            &kindpakket.application_url(G, "identificaties"),
            Uuid::new_v4(),
            &json!({"kind": {"bsn": "111222333"}}),
        )
        .await
        .unwrap();
    assert_eq!(parent.status, StatusCode::FORBIDDEN);
    let log = kindpakket
        .get(
            &kindpakket.application_url(G, "auditlog"),
            Some(As {
                organisation: "gemeente-den-haag",
                role: "auditor",
            }),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let identifications = log["regels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["action"] == "identificeren")
        .collect::<Vec<_>>();
    assert!(identifications.len() >= 8, "{identifications:?}");
    assert!(identifications.iter().any(|row| row["purpose"]
        == "kind identificeren voor signalering of aanvraag"
        && row["organisation"] == "leergeld"));
    assert!(!log.to_string().contains("111222333"));
}

/// How many people the vault keeps (as the superuser).
async fn vault_persons(platform: &Platform) -> i64 {
    let pool = sqlx::PgPool::connect(&platform.postgres.url("kindpakket_application_vault"))
        .await
        .unwrap();
    sqlx::query_scalar("SELECT count(*) FROM persons")
        .fetch_one(&pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reference_of_another_organisation_a_forged_one_or_the_gemeentes_id_is_refused_and_nothing_changes(
) {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket.sport_regeling(G, 2026).await.unwrap();
    enrol(&kindpakket, LEERGELD.organisation).await;
    enrol(&kindpakket, JEUGDFONDS.organisation).await;
    let (_, leergelds) = identify(
        &kindpakket,
        LEERGELD,
        json!({"kind": {"bsn": "111222333"}, "ouder": {"bsn": "123456782"}}),
    )
    .await;
    let (child, household) = (
        leergelds["kind"].as_str().unwrap().to_owned(),
        leergelds["huishouden"].as_str().unwrap().to_owned(),
    );
    // Leergeld's own references work.
    let created = kindpakket
        .submit_as(G, LEERGELD, &on_behalf(application(&household, &child)))
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let gemeente = kindpakket
        .get(
            &kindpakket.application_url(G, &format!("aanvragen/{id}")),
            Some(REGIE),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let gemeentes_child = gemeente["kinderen"][0]["kind"].as_str().unwrap().to_owned();
    assert_eq!(
        gemeentes_child,
        resolved(&platform, "leergeld", ReferenceKind::Child, &child).to_string()
    );

    // The Jeugdfonds with Leergeld's references, a forged one, the gemeente's id, the household's
    // reference where the child's goes: 422, nothing stored.
    let mut forged = child.clone();
    forged.replace_range(5..6, if &child[5..6] == "A" { "B" } else { "A" });
    let before = platform.events_stored(ServiceName::Application).await;
    for (who, household, child) in [
        (JEUGDFONDS, household.clone(), child.clone()),
        (LEERGELD, household.clone(), forged),
        (LEERGELD, household.clone(), gemeentes_child.clone()),
        (LEERGELD, household.clone(), household.clone()),
        (LEERGELD, child.clone(), child.clone()),
    ] {
        let answer = kindpakket
            .submit_as(G, who, &on_behalf(application(&household, &child)))
            .await
            .unwrap();
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}: {:?}",
            who.organisation,
            answer.body
        );
        assert!(
            answer.detail().contains("Onbekende referentie"),
            "{}",
            answer.detail()
        );
        assert!(!answer.detail().contains(&child), "{}", answer.detail());
    }
    assert_eq!(
        platform.events_stored(ServiceName::Application).await,
        before,
        "nothing stored"
    );

    // What Leergeld reads names the child and household by its references, never the gemeente's.
    let read = kindpakket
        .get(
            &kindpakket.application_url(G, &format!("aanvragen/{id}")),
            Some(LEERGELD),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(read["kinderen"][0]["kind"], child);
    assert_eq!(read["huishouden"], household);
    assert!(!read.to_string().contains(&gemeentes_child));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_on_a_familys_behalf_without_consent_or_gezag_is_refused_and_with_them_records_who_checked(
) {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket.sport_regeling(G, 2026).await.unwrap();
    enrol(&kindpakket, LEERGELD.organisation).await;
    let (_, own) = identify(
        &kindpakket,
        LEERGELD,
        json!({"kind": {"bsn": "111222333"}, "ouder": {"bsn": "123456782"}}),
    )
    .await;
    let plain = application(
        own["huishouden"].as_str().unwrap(),
        own["kind"].as_str().unwrap(),
    );
    // Wait until Leergeld may take in applications, with a complete one.
    let complete = on_behalf(plain.clone());
    let taken = kindpakket
        .submit_as(G, LEERGELD, &complete)
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();

    let before = platform.events_stored(ServiceName::Application).await;
    let mut no_gezag = complete.clone();
    no_gezag.as_object_mut().unwrap().remove("gezag");
    let mut undeclared = complete.clone();
    undeclared["gezag"] = json!({"verklaard": false});
    let mut no_consent = complete.clone();
    no_consent.as_object_mut().unwrap().remove("toestemming");
    let mut refused_consent = complete.clone();
    refused_consent["toestemming"]["gegeven"] = json!(false);
    let mut late_consent = complete.clone();
    late_consent["toestemming"]["datum"] = json!("2026-09-02");
    for (body, expected) in [
        (no_gezag, "gezag"),
        (undeclared, "gezag"),
        (no_consent, "toestemming"),
        (refused_consent, "toestemming"),
        (late_consent, "toestemming"),
    ] {
        let answer = kindpakket
            .post(&kindpakket.application_url(G, "aanvragen"), LEERGELD, &body)
            .await
            .unwrap();
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{:?}",
            answer.body
        );
        assert!(answer.detail().contains(expected), "{}", answer.detail());
        assert!(answer.detail().contains("niets opgeslagen"));
    }
    assert_eq!(
        platform.events_stored(ServiceName::Application).await,
        before,
        "nothing stored"
    );

    // The one taken records who took it, the consent and the gezag, checked by the worker now.
    let id = taken["id"].as_str().unwrap();
    let url = kindpakket.application_url(G, &format!("aanvragen/{id}"));
    let as_gemeente = kindpakket
        .get(&url, Some(REGIE))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let ingenomen = &as_gemeente["ingenomen"];
    assert_eq!(ingenomen["door"], "intermediair", "{as_gemeente}");
    assert_eq!(ingenomen["organisatie"], "leergeld");
    assert_eq!(ingenomen["rol"], "partner");
    assert!(ingenomen["medewerker"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    assert_eq!(
        ingenomen["toestemming"],
        json!({"gegeven": true, "datum": "2026-09-01", "vorm": "mondeling"})
    );
    assert_eq!(ingenomen["gezag"]["verklaard"], true);
    assert_eq!(ingenomen["gezag"]["bron"], "verklaring");
    assert_eq!(
        ingenomen["gezag"]["gecontroleerdDoor"],
        ingenomen["medewerker"]
    );
    assert!(ingenomen["gezag"]["gecontroleerdOp"]
        .as_str()
        .is_some_and(|at| at.starts_with("20")));

    // Nothing of it on the bus.
    let messages = kindpakket_tests::inspect::stream_messages(
        &platform.nats.url(),
        kindpakket_proto::Service::Application,
    )
    .await
    .unwrap();
    let bus = format!("{messages:?}");
    for private in ["mondeling", "verklaring", "toestemming", "gezag"] {
        assert!(!bus.contains(private), "{private} on the bus");
    }

    // A parent who applies under their own login, helped by Leergeld, records who helped; an
    // organisation that does not take in applications is refused.
    let household = Uuid::new_v4();
    let mut helped = application(&household.to_string(), &Uuid::new_v4().to_string());
    helped["kanaal"] = json!("online");
    helped["geholpenDoor"] = json!("leergeld");
    let created = kindpakket
        .post_as_parent(
            &kindpakket.application_url(G, "aanvragen"),
            household,
            &helped,
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let own = kindpakket
        .get(
            &kindpakket
                .application_url(G, &format!("aanvragen/{}", created["id"].as_str().unwrap())),
            Some(REGIE),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        own["ingenomen"],
        json!({"door": "ouder", "geholpenDoor": "leergeld"})
    );
    helped["geholpenDoor"] = json!("kledingbank");
    let refused = kindpakket
        .post_as_parent(
            &kindpakket.application_url(G, "aanvragen"),
            household,
            &helped,
        )
        .await
        .unwrap();
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        refused.body
    );
    assert!(refused.detail().contains("geholpenDoor"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_regievoerder_pages_through_the_applications_to_decide_and_each_lister_sees_only_its_own(
) {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket.sport_regeling(G, 2026).await.unwrap();
    enrol(&kindpakket, LEERGELD.organisation).await;
    let mut submitted = Vec::new();
    for day in 1..=5 {
        let household = Uuid::new_v4();
        let mut body = application(&household.to_string(), &Uuid::new_v4().to_string());
        body["kanaal"] = json!("online");
        body["datum"] = json!(format!("2026-09-0{day}"));
        let created = kindpakket
            .post_as_parent(
                &kindpakket.application_url(G, "aanvragen"),
                household,
                &body,
            )
            .await
            .unwrap()
            .expect(StatusCode::CREATED)
            .unwrap();
        submitted.push(created["id"].as_str().unwrap().to_owned());
    }
    let (_, own) = identify(
        &kindpakket,
        LEERGELD,
        json!({"kind": {"bsn": "111222333"}, "ouder": {"bsn": "123456782"}}),
    )
    .await;
    let mut taken_in = application(
        own["huishouden"].as_str().unwrap(),
        own["kind"].as_str().unwrap(),
    );
    taken_in["datum"] = json!("2026-09-06");
    let leergelds = kindpakket
        .submit_as(G, LEERGELD, &on_behalf(taken_in))
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // One is decided: no longer to decide.
    let decided = &submitted[2];
    kindpakket
        .post(
            &kindpakket.application_url(G, &format!("aanvragen/{decided}/afwijzing")),
            REGIE,
            &json!({"reden": "Geen inkomensbewijs."}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();

    let list = |query: String, who: As<'static>| {
        let kindpakket = kindpakket.clone();
        async move {
            kindpakket
                .get(
                    &kindpakket.application_url(G, &format!("aanvragen{query}")),
                    Some(who),
                )
                .await
                .unwrap()
        }
    };
    wait_until(
        "the overview has all six",
        Duration::from_secs(20),
        || async {
            let all = list("?aantal=200".to_owned(), REGIE).await.body;
            let decided_seen = all["items"]
                .as_array()
                .is_some_and(|items| items.iter().any(|row| row["status"] == "afgewezen"));
            when(
                all["items"].as_array().map_or(0, Vec::len) == 6 && decided_seen,
                (),
            )
        },
    )
    .await
    .unwrap();

    // Page by page, two at a time, oldest first: every undecided one once, the decided one never.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let query = match &cursor {
            Some(next) => format!("?status=te-beslissen&aantal=2&na={next}"),
            None => "?status=te-beslissen&aantal=2".to_owned(),
        };
        let page = list(query, REGIE).await.expect(StatusCode::OK).unwrap();
        pages += 1;
        for row in page["items"].as_array().unwrap() {
            assert_eq!(row["status"], "ingediend", "{row}");
            seen.push(row["id"].as_str().unwrap().to_owned());
        }
        match page["volgende"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 10, "the pages end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert!(!seen.contains(decided));
    let mut oldest_first = submitted.clone();
    oldest_first.retain(|id| id != decided);
    assert_eq!(seen[..4], oldest_first[..], "the oldest first");
    assert_eq!(seen[4], leergelds);

    // Filters: what Leergeld took in, and the decided ones.
    let by_leergeld = list("?namens=leergeld".to_owned(), REGIE)
        .await
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(by_leergeld["items"].as_array().unwrap().len(), 1);
    let rejected = list("?status=afgewezen".to_owned(), REGIE)
        .await
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(rejected["items"][0]["id"], decided.as_str());

    // Leergeld lists what it took in, under its own reference of the household; a parent their own.
    let leergeld = list(String::new(), LEERGELD)
        .await
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(leergeld["items"].as_array().unwrap().len(), 1);
    assert_eq!(leergeld["items"][0]["huishouden"], own["huishouden"]);

    // Unknown parameters, a made-up cursor, a page too large: 400, naming the parameter.
    for (query, named) in [
        ("?staus=te-beslissen", "staus"),
        ("?status=te-beslissen&na=verzonnen", "'na'"),
        ("?aantal=1000", "'aantal'"),
        ("?status=open", "status"),
    ] {
        let answer = list(query.to_owned(), REGIE).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{query}: {:?}",
            answer.body
        );
        assert!(answer.detail().contains(named), "{}", answer.detail());
    }
}

/// An organisation the gemeente has not enrolled — a token for the gemeente is not enough — learns
/// nothing and records nobody: 403 in Dutch, the vault unchanged, nothing on the audit log as an
/// identification. Once enrolled, the same request gives a reference.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_the_gemeente_has_not_enrolled_identifies_nobody() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket.sport_regeling(G, 2026).await.unwrap();
    let stranger = As {
        organisation: "stichting-onbekend",
        role: "partner",
    };
    let body = json!({"kind": {"bsn": "111222333"}, "ouder": {"bsn": "123456782"}});
    let before = vault_persons(&platform).await;
    // Asked directly (the client's `identify` waits for an enrolment on its way).
    let answer = kindpakket
        .post(
            &kindpakket.application_url(G, "identificaties"),
            stranger,
            &body,
        )
        .await
        .unwrap();
    let (status, refused) = (answer.status, answer.body);
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("niet ingeschreven"),
        "{refused}"
    );
    assert!(!refused.to_string().contains("111222333"));
    assert_eq!(vault_persons(&platform).await, before, "nobody recorded");

    enrol(&kindpakket, stranger.organisation).await;
    let known = wait_until(
        "the enrolment reaches the application service",
        Duration::from_secs(20),
        || async {
            let (status, answer) = identify(&kindpakket, stranger, body.clone()).await;
            when(status == StatusCode::OK, answer)
        },
    )
    .await
    .unwrap();
    assert_eq!(
        known["kind"].as_str().map(str::len),
        Some(reference::REFERENCE_LEN)
    );
}
