//! Personal data across the real services: the vault keeps names, BSN, address, IBAN and income
//! evidence encrypted per person; after a full flow no stream, no table of any database and no service
//! log holds any of it; a forgotten person reads "verwijderd" while every figure stays; the audit log
//! records every read and write and detects an edited or deleted row; retention forgets by itself.

use std::time::Duration;

use kindpakket_proto::Service;
use kindpakket_tests::client::{As, Kindpakket, REGIE};
use kindpakket_tests::inspect::stream_messages;
use kindpakket_tests::{Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

const G: &str = "GM0518";
const AUDITOR: As<'static> = As {
    organisation: "gemeente-controller",
    role: "auditor",
};
const PARENT_BSN: &str = "111222333";
const CHILD_BSN: &str = "123456782";
const SECRETS: [&str; 8] = [
    PARENT_BSN,
    CHILD_BSN,
    "Fatima",
    "El Amrani",
    "Noor",
    "Laan van Meerdervoort",
    "NL91ABNA0417164300",
    "loonstrook juni",
];

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

async fn read_person(
    kindpakket: &Kindpakket,
    person: Uuid,
    purpose: Option<&str>,
) -> (StatusCode, Value) {
    let url = kindpakket.application_url(G, &format!("personen/{person}"));
    let mut request = kindpakket
        .http
        .get(&url)
        .bearer_auth(kindpakket.token(&url, REGIE));
    if let Some(purpose) = purpose {
        request = request.header("x-doel", purpose);
    }
    let response = request.send().await.unwrap();
    (
        response.status(),
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn audit(kindpakket: &Kindpakket) -> Value {
    kindpakket
        .get(&kindpakket.application_url(G, "auditlog"), Some(AUDITOR))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap()
}

/// Every row of every table of every database of the platform, as text.
async fn all_tables(platform: &Platform) -> String {
    let admin = sqlx::PgPool::connect(&platform.postgres.url("postgres"))
        .await
        .unwrap();
    let databases: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'kindpakket%'")
            .fetch_all(&admin)
            .await
            .unwrap();
    assert!(
        databases.len() >= 7,
        "the five services and the vault's two: {databases:?}"
    );
    let mut text = String::new();
    for database in databases {
        text.push_str(
            &kindpakket_tests::inspect::rows_as_text(&platform.postgres.url(&database))
                .await
                .unwrap(),
        );
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_stays_in_the_vault_is_forgotten_on_request_and_every_access_is_on_record() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket.sport_regeling(G, 2026).await.unwrap();
    kindpakket
        .enrol_signaller(G, "wijkteam-centrum", "Wijkteam Centrum")
        .await
        .unwrap();

    // A BSN that fails the 11-proef is refused, and nothing of the person is kept.
    let refused = kindpakket
        .post_for_purpose(
            &kindpakket.application_url(G, "personen"),
            REGIE,
            "aanvraag Kindpakket",
            &json!({"soort": "ouder", "bsn": "111222336", "naam": "Fatima El Amrani"}),
        )
        .await
        .unwrap();
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{refused:?}"
    );
    assert!(
        refused.detail().contains("11-proef"),
        "{}",
        refused.detail()
    );

    // The loket keeps the parent and the child in the vault and works on with their references only.
    let parent = register(
        &kindpakket,
        json!({
            "soort": "ouder", "bsn": PARENT_BSN, "naam": "Fatima El Amrani",
            "adres": "Laan van Meerdervoort 1234, 2517 AB Den Haag", "iban": "NL91ABNA0417164300",
            "inkomensbewijs": "loonstrook juni 2026",
        }),
    )
    .await;
    let child = register(&kindpakket, json!({"soort": "kind", "bsn": CHILD_BSN, "naam": "Noor El Amrani", "geboortedatum": "2016-04-02"})).await;
    // A partner has no legal ground for a BSN: it cannot keep or read one.
    let partner = As {
        organisation: "jeugdfonds-sport-cultuur",
        role: "partner",
    };
    let attempt = kindpakket
        .post(
            &kindpakket.application_url(G, "personen"),
            partner,
            &json!({"soort": "kind", "bsn": CHILD_BSN, "naam": "Noor"}),
        )
        .await
        .unwrap();
    assert_eq!(attempt.status, StatusCode::FORBIDDEN);

    let signal = kindpakket
        .signal_child(G, "wijkteam-centrum", child, "2026-09-01")
        .await
        .unwrap();
    let application = kindpakket
        .submit(G, &json!({
            "kanaal": "loket", "huishouden": parent,
            "kinderen": [{"kind": child, "geboortejaar": 2016, "geboortemaand": 4}],
            "inkomenPercentage": 110, "voorzieningen": ["sportcontributie"], "signalering": signal, "datum": "2026-09-02",
        }))
        .await
        .unwrap();
    let decided = kindpakket
        .assess(G, application, &json!({}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let entitlement = Uuid::parse_str(decided["rechten"][0]["id"].as_str().unwrap()).unwrap();
    kindpakket
        .wait_for_entitlement(
            G,
            "jeugdfonds-sport-cultuur",
            entitlement,
            Duration::from_secs(20),
        )
        .await
        .unwrap();
    kindpakket
        .deliver(
            G,
            "jeugdfonds-sport-cultuur",
            entitlement,
            25_000,
            "2026-09-15",
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let served = kindpakket
        .wait_for_funnel(G, Duration::from_secs(20), |f| {
            f["gesignaleerd"] == 1
                && f["aangevraagd"] == 1
                && f["toegekend"] == 1
                && f["bediend"] == 1
        })
        .await
        .unwrap();

    // The gemeente reads the parent back, for a stated purpose only.
    let (status, _) = read_person(&kindpakket, parent, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no purpose, no data");
    let (status, read) = read_person(&kindpakket, parent, Some("aanvraag beoordelen")).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(
        (read["naam"].as_str(), read["bsn"].as_str()),
        (Some("Fatima El Amrani"), Some(PARENT_BSN))
    );

    // No stream, no table of any database, no service log holds a BSN, a name, an address or an IBAN.
    let mut streams = String::new();
    for service in [
        Service::Regie,
        Service::Signalling,
        Service::Application,
        Service::Provision,
    ] {
        for (_, message) in stream_messages(&platform.nats.url(), service)
            .await
            .unwrap()
        {
            streams.push_str(&serde_json::to_string(&message).unwrap());
        }
    }
    assert!(
        streams.contains(&child.to_string()),
        "the streams carry the child's reference"
    );
    let tables = all_tables(&platform).await;
    assert!(
        tables.contains(&child.to_string()),
        "the tables hold the child's reference"
    );
    let mut logs = String::new();
    for name in ServiceName::ALL {
        logs.push_str(&std::fs::read_to_string(platform.service(name).log_path()).unwrap());
    }
    assert!(!logs.is_empty());
    for secret in SECRETS {
        assert!(!streams.contains(secret), "'{secret}' on a stream");
        assert!(!tables.contains(secret), "'{secret}' in a database table");
        assert!(!logs.contains(secret), "'{secret}' in a service log");
    }

    // Forgetting the parent: the key is destroyed; the person reads "verwijderd"; every figure stays.
    let forgotten = kindpakket
        .post(
            &kindpakket.application_url(G, &format!("personen/{parent}/verwijdering")),
            REGIE,
            &json!({"reden": "verzoek van betrokkene (AVG art. 17)"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(forgotten["status"], "verwijderd");
    let (_, read) = read_person(&kindpakket, parent, Some("controle na verwijdering")).await;
    assert_eq!(read["status"], "verwijderd", "{read}");
    assert!(
        read.get("naam").is_none() && read.get("bsn").is_none(),
        "{read}"
    );
    // Restarting the service replays nothing back: the key is gone.
    {
        let service = platform.service_mut(ServiceName::Application);
        service.kill();
        service.start_again().await.unwrap();
    }
    let (_, read) = read_person(&kindpakket, parent, Some("controle na herstart")).await;
    assert_eq!(read["status"], "verwijderd", "{read}");
    let (_, child_read) = read_person(&kindpakket, child, Some("controle")).await;
    assert_eq!(
        child_read["naam"], "Noor El Amrani",
        "only the parent was forgotten"
    );
    let after = kindpakket.funnel(G).await.unwrap();
    for figure in ["gesignaleerd", "aangevraagd", "toegekend", "bediend"] {
        assert_eq!(
            after[figure], served[figure],
            "{figure} changed by the erasure"
        );
    }

    // The auditor reads every access, without the data itself, and the chain holds.
    let log = audit(&kindpakket).await;
    assert_eq!(log["keten"], "in orde", "{log}");
    let rows = log["regels"].as_array().unwrap();
    let actions: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r["action"].as_str().unwrap(), r["result"].as_str().unwrap()))
        .collect();
    assert!(
        actions.contains(&("registreren", "geweigerd: BSN voldoet niet aan de 11-proef")),
        "{actions:?}"
    );
    assert!(actions.contains(&("lezen", "gelezen")), "{actions:?}");
    assert!(
        actions.contains(&("verwijderen", "sleutel vernietigd")),
        "{actions:?}"
    );
    assert!(rows
        .iter()
        .any(|r| r["purpose"] == "aanvraag beoordelen" && r["object"] == parent.to_string()));
    for secret in SECRETS {
        assert!(
            !log.to_string().contains(secret),
            "'{secret}' in the audit log"
        );
    }

    // An edited row, then a deleted one, breaks the chain where it happened.
    let vault = sqlx::PgPool::connect(&platform.postgres.url("kindpakket_application_vault"))
        .await
        .unwrap();
    let original: String = sqlx::query_scalar("SELECT purpose FROM audit_log WHERE seq = 3")
        .fetch_one(&vault)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET purpose = 'iets anders' WHERE seq = 3")
        .execute(&vault)
        .await
        .unwrap();
    let log = audit(&kindpakket).await;
    assert_eq!(
        (log["keten"].as_str(), log["verbrokenVanafRegel"].as_i64()),
        (Some("verbroken"), Some(3)),
        "{}",
        log["keten"]
    );
    sqlx::query("UPDATE audit_log SET purpose = $1 WHERE seq = 3")
        .bind(&original)
        .execute(&vault)
        .await
        .unwrap();
    assert_eq!(
        audit(&kindpakket).await["keten"],
        "in orde",
        "restored, the chain holds again"
    );
    // Rows cut off the end leave a chain that is whole but shorter than its head, kept in the keys
    // database, says.
    let last: i64 = sqlx::query_scalar("SELECT max(seq) FROM audit_log")
        .fetch_one(&vault)
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq >= $1")
        .bind(last - 1)
        .execute(&vault)
        .await
        .unwrap();
    let log = audit(&kindpakket).await;
    assert_eq!(
        (log["keten"].as_str(), log["verbrokenVanafRegel"].as_i64()),
        (Some("verbroken"), Some(last - 1)),
        "{}",
        log["keten"]
    );
    sqlx::query("DELETE FROM audit_log WHERE seq = 2")
        .execute(&vault)
        .await
        .unwrap();
    let log = audit(&kindpakket).await;
    assert_eq!(
        (log["keten"].as_str(), log["verbrokenVanafRegel"].as_i64()),
        (Some("verbroken"), Some(2))
    );

    // Retention: nothing is due today; with the child's record seven years old (its registration
    // moved back, as a peildatum in the future is refused), it is forgotten by itself.
    let kept = kindpakket
        .post(
            &kindpakket.application_url(G, "bewaartermijnen"),
            REGIE,
            &json!({}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(kept["verwijderd"], 0, "nothing is due yet");
    sqlx::query("UPDATE persons SET created_on = created_on - 2556 WHERE person_id = $1")
        .bind(child)
        .execute(&vault)
        .await
        .unwrap();
    let later = kindpakket
        .post(
            &kindpakket.application_url(G, "bewaartermijnen"),
            REGIE,
            &json!({}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(later["verwijderd"], 1, "{later}");
    let (_, child_read) = read_person(&kindpakket, child, Some("controle na bewaartermijn")).await;
    assert_eq!(
        (child_read["status"].as_str(), child_read["reden"].as_str()),
        (Some("verwijderd"), Some("bewaartermijn verstreken"))
    );
}

/// The privilege a statement was refused for: Postgres' `insufficient_privilege`.
async fn refused(pool: &sqlx::PgPool, statement: &str) -> bool {
    match sqlx::raw_sql(statement).execute(pool).await {
        Err(sqlx::Error::Database(error)) => error.code().as_deref() == Some("42501"),
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_service_runs_as_its_own_role_that_may_append_events_but_never_change_them() {
    let platform = Platform::start().await.expect("platform starts");
    for (service, database, table) in [
        (ServiceName::Regie, "kindpakket_regie", "events"),
        (ServiceName::Signalling, "kindpakket_signalling", "events"),
        (ServiceName::Application, "kindpakket_application", "events"),
        (ServiceName::Provision, "kindpakket_provision", "events"),
        (
            ServiceName::Application,
            "kindpakket_application_vault",
            "audit_log",
        ),
    ] {
        let pool = sqlx::PgPool::connect(&platform.postgres.url_as(service.role(), database))
            .await
            .unwrap();
        let who: String = sqlx::query_scalar("SELECT current_user::text")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(who, service.role());
        // It may read and append (inside a transaction we roll back)...
        sqlx::raw_sql(&format!("SELECT count(*) FROM {table}"))
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("{database}: {} cannot read {table}: {e}", service.role()));
        if table == "events" {
            let mut tx = pool.begin().await.unwrap();
            sqlx::query(
                "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
                 VALUES ('proef', 'proef', 1, 'Proef', '1', '{}', '{}')",
            )
            .execute(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("{database}: cannot append an event: {e}"));
            tx.rollback().await.unwrap();
        }
        // ...but never change, remove or empty what is there, nor change the schema.
        let column = if table == "events" { "sequence" } else { "seq" };
        for statement in [
            format!("UPDATE {table} SET {column} = {column}"),
            format!("DELETE FROM {table}"),
            format!("TRUNCATE {table}"),
            format!("ALTER TABLE {table} ADD COLUMN extra text"),
            format!("DROP TABLE {table}"),
            "CREATE TABLE shadow (x int)".to_owned(),
        ] {
            assert!(
                refused(&pool, &statement).await,
                "{database}: {} was allowed `{statement}`",
                service.role()
            );
        }
        pool.close().await;
    }
}
