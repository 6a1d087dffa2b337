//! The flow that proves the backbone, across real processes: regie publishes a regeling and enrols
//! two partners, a wijkteam signals a child, the parent applies citing the signal, the gemeente
//! grants, partner A delivers, and the dashboard shows it — with every stored event on its stream
//! exactly once.

use std::time::Duration;

use kindpakket_proto::Service;
use kindpakket_tests::client::{provision, Kindpakket};
use kindpakket_tests::inspect::{compare, database_of, stream_messages, StoreVersusStream};
use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use reqwest::StatusCode;
use uuid::Uuid;

const GEMEENTE: &str = "GM0518";
const PARTNER_A: &str = "jeugdfonds-sport-cultuur";
const PARTNER_B: &str = "leergeld";
const YEAR: i32 = 2026;

/// Regeling with two provisions, two partners enrolled, each for one of them.
async fn regeling_with_two_partners(kindpakket: &Kindpakket) -> anyhow::Result<()> {
    kindpakket
        .publish_regeling(
            GEMEENTE,
            YEAR,
            &[
                provision(
                    "sportcontributie",
                    "Sportcontributie",
                    "maatschappelijke_participatie",
                    (4, 17),
                    25_000,
                    "in_natura",
                ),
                provision(
                    "schoolspullen",
                    "Schoolspullen",
                    "school",
                    (4, 17),
                    7_500,
                    "tegoedbon",
                ),
            ],
        )
        .await?;
    kindpakket
        .enrol_partner(
            GEMEENTE,
            PARTNER_A,
            "Jeugdfonds Sport & Cultuur",
            &["sportcontributie"],
        )
        .await?;
    kindpakket
        .enrol_partner(
            GEMEENTE,
            PARTNER_B,
            "Stichting Leergeld",
            &["schoolspullen"],
        )
        .await?;
    Ok(())
}

/// Waits until every store equals its stream (the relays publish asynchronously), then returns the
/// comparison of all four.
async fn settled_comparison(platform: &Platform) -> Vec<StoreVersusStream> {
    wait_until(
        "every store equal to its stream",
        Duration::from_secs(20),
        || async {
            let mut all = Vec::new();
            for service in Service::ALL {
                let url = platform.postgres.url(database_of(service));
                all.push(compare(service, &url, &platform.nats.url()).await?);
            }
            when(all.iter().all(StoreVersusStream::is_exact), all)
        },
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signalled_child_is_served_by_partner_a_and_the_dashboard_shows_the_whole_funnel() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    regeling_with_two_partners(&kindpakket).await.unwrap();
    kindpakket
        .enrol_signaller(GEMEENTE, "wijkteam-centrum", "Wijkteam Centrum")
        .await
        .unwrap();

    let child = Uuid::new_v4();
    let signal = kindpakket
        .signal_child(GEMEENTE, "wijkteam-centrum", child, "2026-09-01")
        .await
        .unwrap();
    let application = kindpakket
        .apply(
            GEMEENTE,
            child,
            2015,
            &["sportcontributie"],
            Some(signal),
            "2026-09-03",
        )
        .await
        .unwrap();
    let case = Uuid::new_v4();
    let entitlement = kindpakket
        .with_correlation(case)
        .grant(
            GEMEENTE,
            application,
            child,
            "sportcontributie",
            25_000,
            YEAR,
        )
        .await
        .unwrap();

    let seen_by_a = kindpakket
        .wait_for_entitlement(GEMEENTE, PARTNER_A, entitlement, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(seen_by_a["restCent"], 25_000);
    let delivered = kindpakket
        .deliver(GEMEENTE, PARTNER_A, entitlement, 18_000, "2026-09-15")
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    assert_eq!(
        delivered["restCent"], 7_000,
        "what is left after the delivery"
    );

    // The dashboard reads four streams independently: wait for the whole funnel, not its last step.
    let funnel = kindpakket
        .wait_for_funnel(GEMEENTE, Duration::from_secs(15), |funnel| {
            ["gesignaleerd", "aangevraagd", "toegekend", "bediend"]
                .iter()
                .all(|step| funnel[*step] == 1)
        })
        .await
        .unwrap();
    assert_eq!(funnel["gesignaleerd"], 1, "{funnel}");
    assert_eq!(funnel["aangevraagd"], 1, "{funnel}");
    assert_eq!(funnel["toegekend"], 1, "{funnel}");
    assert_eq!(funnel["bediend"], 1, "{funnel}");
    let partners = funnel["partners"].as_array().expect("partners listed");
    let served_by = |partner: &str| {
        partners
            .iter()
            .find(|row| row["partner"] == partner)
            .map(|row| row["bediend"].as_i64().unwrap_or(-1))
    };
    assert_eq!(served_by(PARTNER_A), Some(1), "{funnel}");
    assert_ne!(
        served_by(PARTNER_B),
        Some(1),
        "partner B served nobody: {funnel}"
    );

    // Nothing dropped, nothing doubled: every stored event is on its stream exactly once.
    for comparison in settled_comparison(&platform).await {
        assert!(comparison.is_exact(), "{comparison:?}");
    }
    // And the dashboard has applied each of them once (offsets equal the aggregates' last sequence).
    let funnel_again = kindpakket.funnel(GEMEENTE).await.unwrap();
    assert_eq!(funnel_again["bediend"], 1);

    // The case's correlation id followed the grant into the provision service's event, and the
    // entitlement names the grant as its cause.
    let application_events = stream_messages(&platform.nats.url(), Service::Application)
        .await
        .unwrap();
    let granted = application_events
        .iter()
        .map(|(_, message)| message)
        .find(|message| message.envelope.event_type == "ApplicationGranted")
        .expect("the grant is on the application stream");
    assert_eq!(granted.envelope.correlation_id, case);
    let provision_events = stream_messages(&platform.nats.url(), Service::Provision)
        .await
        .unwrap();
    let opened = provision_events
        .iter()
        .map(|(_, message)| message)
        .find(|message| message.envelope.event_type == "EntitlementOpened")
        .expect("the entitlement is on the provision stream");
    assert_eq!(opened.envelope.correlation_id, case);
    assert_eq!(
        opened.envelope.causation_id,
        Some(granted.envelope.event_id)
    );
    assert_eq!(opened.envelope.gemeente.as_str(), GEMEENTE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_or_unauthorised_commands_get_a_dutch_4xx_and_change_nothing() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    regeling_with_two_partners(&kindpakket).await.unwrap();
    let child = Uuid::new_v4();
    let application = kindpakket
        .apply(
            GEMEENTE,
            child,
            2015,
            &["sportcontributie"],
            None,
            "2026-09-03",
        )
        .await
        .unwrap();
    let entitlement = kindpakket
        .grant(
            GEMEENTE,
            application,
            child,
            "sportcontributie",
            25_000,
            YEAR,
        )
        .await
        .unwrap();
    kindpakket
        .wait_for_entitlement(GEMEENTE, PARTNER_A, entitlement, Duration::from_secs(20))
        .await
        .unwrap();
    let before = settled_comparison(&platform).await;
    for comparison in &before {
        assert!(comparison.is_exact(), "{comparison:?}");
    }

    let signals = kindpakket.signalling_url(GEMEENTE, "signaleringen");
    let http = &kindpakket.http;
    let wijkteam_token = kindpakket.token(
        &signals,
        kindpakket_tests::client::As {
            organisation: "wijkteam-centrum",
            role: "signaller",
        },
    );
    let wijkteam = |request: reqwest::RequestBuilder| request.bearer_auth(&wijkteam_token);

    // Not JSON at all.
    let answer = wijkteam(http.post(&signals))
        .header("content-type", "application/json")
        .body("{\"kind\": ")
        .send()
        .await
        .unwrap();
    assert_problem(answer, StatusCode::BAD_REQUEST, "geen geldige JSON").await;

    // An unknown field (a name, which must never be sent).
    let answer = wijkteam(http.post(&signals))
        .json(&serde_json::json!({"kind": Uuid::new_v4(), "naam": "Jan", "reden": "schulden", "verwezenNaar": {"soort": "loket"}}))
        .send()
        .await
        .unwrap();
    assert_problem(answer, StatusCode::BAD_REQUEST, "het onbekende veld 'naam'").await;

    // The wrong content type.
    let answer = wijkteam(http.post(&signals))
        .header("content-type", "text/plain")
        .body("kind=1")
        .send()
        .await
        .unwrap();
    assert_problem(
        answer,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Content-Type: application/json",
    )
    .await;

    // No organisation or role.
    let answer = http
        .post(&signals)
        .json(&serde_json::json!({"kind": Uuid::new_v4(), "reden": "schulden", "verwezenNaar": {"soort": "loket"}}))
        .send()
        .await
        .unwrap();
    assert_problem(answer, StatusCode::UNAUTHORIZED, "Authorization: Bearer").await;

    // An expired token, a token of another issuer, and a token for another gemeente.
    let signal = serde_json::json!({"kind": Uuid::new_v4(), "reden": "schulden", "verwezenNaar": {"soort": "loket"}});
    let expired = platform
        .issuer
        .mint("wijkteam-centrum", "signaller", &[GEMEENTE], -300);
    let answer = http
        .post(&signals)
        .bearer_auth(expired)
        .json(&signal)
        .send()
        .await
        .unwrap();
    assert_problem(answer, StatusCode::UNAUTHORIZED, "verlopen").await;
    let stranger = kindpakket_platform::dev_issuer::DevIssuer::generate().unwrap();
    let forged = stranger.mint("wijkteam-centrum", "signaller", &[GEMEENTE], 300);
    let answer = http
        .post(&signals)
        .bearer_auth(forged)
        .json(&signal)
        .send()
        .await
        .unwrap();
    assert_problem(answer, StatusCode::UNAUTHORIZED, "niet geldig").await;
    let elsewhere = platform
        .issuer
        .mint("wijkteam-centrum", "signaller", &["GM0363"], 300);
    let answer = http
        .post(&signals)
        .bearer_auth(elsewhere)
        .json(&signal)
        .send()
        .await
        .unwrap();
    assert_problem(answer, StatusCode::FORBIDDEN, "niet namens de gemeente").await;

    // An invalid gemeente code.
    let answer = wijkteam(http.post(kindpakket.signalling_url("GM99", "signaleringen")))
        .json(&serde_json::json!({"kind": Uuid::new_v4(), "reden": "schulden", "verwezenNaar": {"soort": "loket"}}))
        .send()
        .await
        .unwrap();
    assert_problem(answer, StatusCode::BAD_REQUEST, "geen CBS-code").await;

    // A wijkteam that tries to grant an application.
    let grant_url =
        kindpakket.application_url(GEMEENTE, &format!("aanvragen/{application}/toekenning"));
    let answer = wijkteam(http.post(&grant_url))
        .json(&serde_json::json!({"rechten": [{"kind": child, "voorziening": "schoolspullen", "bedragCent": 100, "geldigVanaf": "2026-01-01", "geldigTot": "2026-12-31"}]}))
        .send()
        .await
        .unwrap();
    assert_problem(
        answer,
        StatusCode::FORBIDDEN,
        "voorbehouden aan: regievoerder",
    )
    .await;

    // A threshold outside the allowed set.
    let answer = kindpakket
        .post(
            &kindpakket.regie_url(GEMEENTE, "regelingen"),
            kindpakket_tests::client::REGIE,
            &serde_json::json!({
                "jaar": 2027, "geldigVanaf": "2027-01-01", "geldigTot": "2027-12-31",
                "inkomensgrens": {"soort": "percentage", "percentage": 117},
                "voorzieningen": [provision("fiets", "Fiets", "vervoer", (12, 17), 15_000, "in_natura")],
            }),
        )
        .await
        .unwrap();
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        answer.body
    );
    assert!(
        answer
            .detail()
            .contains("'inkomensgrens' is niet toegestaan"),
        "{}",
        answer.detail()
    );
    assert!(!answer.detail().contains("117"), "{}", answer.detail());

    // A partner not enrolled for the provision.
    let answer = kindpakket
        .deliver(GEMEENTE, PARTNER_B, entitlement, 1_000, "2026-09-15")
        .await
        .unwrap();
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{:?}", answer.body);
    assert!(
        answer.detail().contains("niet ingeschreven"),
        "{}",
        answer.detail()
    );

    // More than the entitlement holds.
    let answer = kindpakket
        .deliver(GEMEENTE, PARTNER_A, entitlement, 25_001, "2026-09-15")
        .await
        .unwrap();
    assert_eq!(answer.status, StatusCode::CONFLICT, "{:?}", answer.body);
    assert!(
        answer
            .detail()
            .contains("hoger dan wat er op dit recht over is"),
        "{}",
        answer.detail()
    );
    assert_eq!(answer.content_type, "application/problem+json");

    // A path no service knows, and a known path with the wrong method.
    let answer = http
        .get(kindpakket.signalling_url(GEMEENTE, "kinderen"))
        .send()
        .await
        .unwrap();
    assert_problem(answer, StatusCode::NOT_FOUND, "Deze URL bestaat niet").await;
    let answer = http.delete(&signals).send().await.unwrap();
    assert_problem(
        answer,
        StatusCode::METHOD_NOT_ALLOWED,
        "niet met deze HTTP-methode",
    )
    .await;

    // Nothing of the above was stored or published.
    let after = settled_comparison(&platform).await;
    assert_eq!(before, after);
    let funnel = kindpakket.funnel(GEMEENTE).await.unwrap();
    assert_eq!(funnel["gesignaleerd"], 0, "{funnel}");
    assert_eq!(funnel["bediend"], 0, "{funnel}");
}

async fn assert_problem(response: reqwest::Response, status: StatusCode, detail_contains: &str) {
    assert_eq!(response.status(), status);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: serde_json::Value = response.json().await.unwrap();
    let detail = body["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains(detail_contains),
        "detail {detail:?} should mention {detail_contains:?}"
    );
    assert_eq!(body["status"], status.as_u16());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_serves_its_openapi_document_with_the_routes_it_answers() {
    let platform = Platform::start().await.expect("platform starts");
    let expectations = [
        (
            ServiceName::Regie,
            "/api/v1/gemeenten/{gemeente}/regelingen",
        ),
        (
            ServiceName::Signalling,
            "/api/v1/gemeenten/{gemeente}/signaleringen",
        ),
        (
            ServiceName::Application,
            "/api/v1/gemeenten/{gemeente}/aanvragen/{id}/toekenning",
        ),
        (
            ServiceName::Provision,
            "/api/v1/gemeenten/{gemeente}/rechten/{id}/verstrekkingen",
        ),
        (
            ServiceName::Dashboard,
            "/api/v1/gemeenten/{gemeente}/trechter",
        ),
    ];
    for (service, path) in expectations {
        let response = platform
            .http()
            .get(platform.url(service, "/api/v1/openapi.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["api-version"], "1.0.0");
        let document: serde_json::Value = response.json().await.unwrap();
        assert_eq!(document["openapi"], "3.1.0");
        assert!(
            document["paths"][path].is_object(),
            "{service:?} documents {path}: {document}"
        );
    }
    let signalling: serde_json::Value = platform
        .http()
        .get(platform.url(ServiceName::Signalling, "/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let body =
        &signalling["paths"]["/api/v1/gemeenten/{gemeente}/signaleringen"]["post"]["requestBody"];
    let reference = body["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap();
    let name = reference.rsplit('/').next().unwrap();
    let schema = &signalling["components"]["schemas"][name];
    assert_eq!(
        schema["additionalProperties"], false,
        "unknown fields are refused: {schema}"
    );
    assert!(schema["required"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("kind")));
}
