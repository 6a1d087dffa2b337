//! Who may do what (the roles in README.md), tried against the running services: every role against every
//! endpoint, with real tokens of the development issuer. The table below is the authorisation
//! matrix; each service's OpenAPI document must say the same (`x-rollen`), and the services must
//! enforce it: the allowed cells get past authorisation, the refused ones get a 403 that leaks
//! nothing, a token for another gemeente gets a 403, and no token a 401.

use std::collections::{BTreeMap, BTreeSet};

use kindpakket_tests::{Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

const RE: &str = "regievoerder";
const SI: &str = "signaller";
const PA: &str = "partner";
const AP: &str = "applicant";
const OV: &str = "overleg_viewer";
const AU: &str = "auditor";
const ROLES: [&str; 6] = [RE, SI, PA, AP, OV, AU];
/// No login: the one-time link's token in the path is the credential (signalling's `/antwoord`).
const LINK: &str = "eenmalige-link";

/// (service, method, path, roles allowed)
const MATRIX: &[(ServiceName, &str, &str, &[&str])] = &[
    (
        ServiceName::Regie,
        "POST",
        "/api/v1/gemeenten/{gemeente}/regelingen",
        &[RE],
    ),
    (
        ServiceName::Regie,
        "GET",
        "/api/v1/gemeenten/{gemeente}/regelingen",
        &[RE, PA, SI, AU],
    ),
    (
        ServiceName::Regie,
        "GET",
        "/api/v1/gemeenten/{gemeente}/partners",
        &[RE, PA, SI, AU],
    ),
    (
        ServiceName::Regie,
        "GET",
        "/api/v1/gemeenten/{gemeente}/regelingen/{id}",
        &[RE, PA, SI, AU],
    ),
    (
        ServiceName::Regie,
        "POST",
        "/api/v1/gemeenten/{gemeente}/partners",
        &[RE],
    ),
    (
        ServiceName::Regie,
        "GET",
        "/api/v1/gemeenten/{gemeente}/partners/{partner}",
        &[RE, PA, SI, AU],
    ),
    (
        ServiceName::Regie,
        "POST",
        "/api/v1/gemeenten/{gemeente}/partners/{partner}/beeindiging",
        &[RE],
    ),
    (
        ServiceName::Regie,
        "POST",
        "/api/v1/gemeenten/{gemeente}/regelingen/{id}/wijziging",
        &[RE],
    ),
    (
        ServiceName::Regie,
        "POST",
        "/api/v1/gemeenten/{gemeente}/regelingen/{id}/beeindiging",
        &[RE],
    ),
    (
        ServiceName::Regie,
        "PUT",
        "/api/v1/gemeenten/{gemeente}/routering",
        &[RE],
    ),
    (
        ServiceName::Regie,
        "GET",
        "/api/v1/gemeenten/{gemeente}/routering",
        &[RE, PA, SI, AU],
    ),
    (
        ServiceName::Regie,
        "PUT",
        "/api/v1/gemeenten/{gemeente}/doelgroep/{jaar}",
        &[RE],
    ),
    (
        ServiceName::Regie,
        "GET",
        "/api/v1/gemeenten/{gemeente}/doelgroep/{jaar}",
        &[RE, OV, AU],
    ),
    (
        ServiceName::Regie,
        "POST",
        "/api/v1/gemeenten/{gemeente}/wensen",
        &[AP, PA, SI, RE],
    ),
    (
        ServiceName::Signalling,
        "POST",
        "/api/v1/gemeenten/{gemeente}/signaleringen",
        &[SI, PA, RE],
    ),
    (
        ServiceName::Signalling,
        "GET",
        "/api/v1/gemeenten/{gemeente}/signaleringen/{id}",
        &[SI, PA, RE],
    ),
    (
        ServiceName::Signalling,
        "GET",
        "/api/v1/gemeenten/{gemeente}/signaleringen",
        &[SI, PA, RE],
    ),
    (
        ServiceName::Signalling,
        "POST",
        "/api/v1/gemeenten/{gemeente}/signaleringen/{id}/acceptatie",
        &[PA, RE],
    ),
    (
        ServiceName::Signalling,
        "POST",
        "/api/v1/gemeenten/{gemeente}/signaleringen/{id}/teruggave",
        &[PA],
    ),
    (
        ServiceName::Signalling,
        "POST",
        "/api/v1/gemeenten/{gemeente}/signaleringen/{id}/herroutering",
        &[RE],
    ),
    (
        ServiceName::Signalling,
        "POST",
        "/api/v1/gemeenten/{gemeente}/signaleringen/{id}/uitkomst",
        &[PA, RE],
    ),
    (
        ServiceName::Signalling,
        "POST",
        "/api/v1/gemeenten/{gemeente}/signaleringen/{id}/eenmalige-link",
        &[RE],
    ),
    (
        ServiceName::Signalling,
        "GET",
        "/api/v1/antwoord/{token}",
        &[LINK],
    ),
    (
        ServiceName::Signalling,
        "POST",
        "/api/v1/antwoord/{token}",
        &[LINK],
    ),
    (
        ServiceName::Application,
        "POST",
        "/api/v1/gemeenten/{gemeente}/aanvragen",
        &[AP, PA, SI, RE],
    ),
    (
        ServiceName::Application,
        "GET",
        "/api/v1/gemeenten/{gemeente}/aanvragen",
        &[RE, AP, PA],
    ),
    (
        ServiceName::Application,
        "GET",
        "/api/v1/gemeenten/{gemeente}/aanvragen/{id}",
        &[RE, AP, PA],
    ),
    (
        ServiceName::Application,
        "POST",
        "/api/v1/gemeenten/{gemeente}/aanvragen/{id}/beoordeling",
        &[RE, PA],
    ),
    (
        ServiceName::Application,
        "POST",
        "/api/v1/gemeenten/{gemeente}/aanvragen/{id}/toekenning",
        &[RE],
    ),
    (
        ServiceName::Application,
        "POST",
        "/api/v1/gemeenten/{gemeente}/aanvragen/{id}/afwijzing",
        &[RE],
    ),
    (
        ServiceName::Application,
        "POST",
        "/api/v1/gemeenten/{gemeente}/aanvragen/{id}/intrekking",
        &[AP, PA, SI, RE],
    ),
    (
        ServiceName::Application,
        "POST",
        "/api/v1/gemeenten/{gemeente}/identificaties",
        &[SI, PA, RE],
    ),
    (
        ServiceName::Application,
        "POST",
        "/api/v1/gemeenten/{gemeente}/personen",
        &[RE, AP],
    ),
    (
        ServiceName::Application,
        "GET",
        "/api/v1/gemeenten/{gemeente}/personen/{id}",
        &[RE],
    ),
    (
        ServiceName::Application,
        "POST",
        "/api/v1/gemeenten/{gemeente}/personen/{id}/verwijdering",
        &[RE],
    ),
    (
        ServiceName::Application,
        "POST",
        "/api/v1/gemeenten/{gemeente}/personen/{id}/rectificatie",
        &[RE],
    ),
    (
        ServiceName::Application,
        "POST",
        "/api/v1/gemeenten/{gemeente}/bewaartermijnen",
        &[RE],
    ),
    (
        ServiceName::Application,
        "GET",
        "/api/v1/gemeenten/{gemeente}/auditlog",
        &[AU],
    ),
    (
        ServiceName::Provision,
        "GET",
        "/api/v1/gemeenten/{gemeente}/rechten",
        &[PA, RE, AU, AP],
    ),
    (
        ServiceName::Provision,
        "GET",
        "/api/v1/gemeenten/{gemeente}/rechten/{id}",
        &[PA, RE, AU, AP],
    ),
    (
        ServiceName::Provision,
        "GET",
        "/api/v1/gemeenten/{gemeente}/declaraties",
        &[PA, RE, AU, AP],
    ),
    (
        ServiceName::Provision,
        "POST",
        "/api/v1/gemeenten/{gemeente}/rechten/{id}/verstrekkingen",
        &[PA],
    ),
    (
        ServiceName::Provision,
        "POST",
        "/api/v1/gemeenten/{gemeente}/rechten/{id}/passen",
        &[RE],
    ),
    (
        ServiceName::Provision,
        "POST",
        "/api/v1/gemeenten/{gemeente}/rechten/{id}/passen/{pas}/blokkering",
        &[RE],
    ),
    (
        ServiceName::Provision,
        "POST",
        "/api/v1/gemeenten/{gemeente}/rechten/{id}/declaraties",
        &[PA, RE, AP],
    ),
    (
        ServiceName::Provision,
        "POST",
        "/api/v1/gemeenten/{gemeente}/rechten/{id}/declaraties/{declaratie}/beoordeling",
        &[RE],
    ),
    (
        ServiceName::Provision,
        "POST",
        "/api/v1/gemeenten/{gemeente}/passen/opvragen",
        &[PA, RE],
    ),
    (
        ServiceName::Provision,
        "POST",
        "/api/v1/gemeenten/{gemeente}/verzilveringen",
        &[PA],
    ),
    (
        ServiceName::Provision,
        "POST",
        "/api/v1/gemeenten/{gemeente}/facturen",
        &[PA],
    ),
    (
        ServiceName::Provision,
        "GET",
        "/api/v1/gemeenten/{gemeente}/facturen",
        &[PA, RE, AU],
    ),
    (
        ServiceName::Provision,
        "GET",
        "/api/v1/gemeenten/{gemeente}/facturen/{id}",
        &[PA, RE, AU],
    ),
    (
        ServiceName::Provision,
        "POST",
        "/api/v1/gemeenten/{gemeente}/facturen/{id}/beoordeling",
        &[RE],
    ),
    (
        ServiceName::Provision,
        "POST",
        "/api/v1/gemeenten/{gemeente}/steekproeven",
        &[RE, AU],
    ),
    (
        ServiceName::Provision,
        "GET",
        "/api/v1/gemeenten/{gemeente}/steekproeven/{id}",
        &[RE, AU],
    ),
    (
        ServiceName::Provision,
        "POST",
        "/api/v1/gemeenten/{gemeente}/steekproeven/{id}/controles",
        &[RE, AU],
    ),
    (
        ServiceName::Provision,
        "POST",
        "/api/v1/gemeenten/{gemeente}/campagnes",
        &[RE],
    ),
    (
        ServiceName::Provision,
        "GET",
        "/api/v1/gemeenten/{gemeente}/campagnes",
        &[RE, AU],
    ),
    (
        ServiceName::Provision,
        "GET",
        "/api/v1/gemeenten/{gemeente}/herinneringen",
        &[RE, PA],
    ),
    (
        ServiceName::Provision,
        "POST",
        "/api/v1/gemeenten/{gemeente}/jaarafsluiting",
        &[RE],
    ),
    (
        ServiceName::Provision,
        "GET",
        "/api/v1/gemeenten/{gemeente}/grootboek/{jaar}",
        &[RE, AU],
    ),
    (
        ServiceName::Provision,
        "GET",
        "/api/v1/gemeenten/{gemeente}/budgetten/{jaar}",
        &[RE, AU],
    ),
    (
        ServiceName::Provision,
        "GET",
        "/api/v1/gemeenten/{gemeente}/partners/{partner}/afrekeningen/{jaar}/{kwartaal}",
        &[PA, RE, AU],
    ),
    (
        ServiceName::Regie,
        "PUT",
        "/api/v1/gemeenten/{gemeente}/partners/{partner}/kortingen/{voorziening}",
        &[RE],
    ),
    (
        ServiceName::Regie,
        "DELETE",
        "/api/v1/gemeenten/{gemeente}/partners/{partner}/kortingen/{voorziening}",
        &[RE],
    ),
    (
        ServiceName::Regie,
        "GET",
        "/api/v1/gemeenten/{gemeente}/partners/{partner}/kortingen",
        &[RE, PA, AU],
    ),
    (
        ServiceName::Provision,
        "PUT",
        "/api/v1/gemeenten/{gemeente}/rechten/{id}/declaraties/{declaratie}/bewijs",
        &[PA, RE, AP],
    ),
    (
        ServiceName::Provision,
        "GET",
        "/api/v1/gemeenten/{gemeente}/rechten/{id}/declaraties/{declaratie}/bewijs",
        &[RE, AU],
    ),
    (
        ServiceName::Provision,
        "POST",
        "/api/v1/gemeenten/{gemeente}/kortingen",
        &[PA],
    ),
    (
        ServiceName::Provision,
        "POST",
        "/api/v1/gemeenten/{gemeente}/facturen/{id}/creditnotas",
        &[PA],
    ),
    (
        ServiceName::Provision,
        "POST",
        "/api/v1/gemeenten/{gemeente}/steekproeven/{id}/terugvorderingen",
        &[RE],
    ),
    (
        ServiceName::Provision,
        "GET",
        "/api/v1/gemeenten/{gemeente}/feed",
        &[PA, RE, AU],
    ),
    (
        ServiceName::Dashboard,
        "GET",
        "/api/v1/gemeenten/{gemeente}/trechter",
        &[RE, AU],
    ),
    (ServiceName::Dashboard, "GET", "/api/v1/trechter", &[RE, AU]),
    (ServiceName::Dashboard, "GET", "/api/v1/opbouw", &[RE, AU]),
    (
        ServiceName::Dashboard,
        "GET",
        "/api/v1/gemeenten/{gemeente}/kwartalen",
        &[OV, RE, AU],
    ),
    (
        ServiceName::Dashboard,
        "GET",
        "/api/v1/gemeenten/{gemeente}/kwartalen/{kwartaal}",
        &[OV, RE, AU],
    ),
];

const GEMEENTE: &str = "GM0518";

fn organisation(role: &str) -> &'static str {
    match role {
        RE => "gemeente-den-haag",
        SI => "wijkteam-centrum",
        PA => "leergeld",
        AP => "ouder",
        OV => "kwartaaloverleg",
        _ => "gemeente-controller",
    }
}

fn concrete(path: &str) -> String {
    path.replace("{gemeente}", GEMEENTE)
        .replace("{partner}", "leergeld")
        .replace("{voorziening}", "sportkorting")
        .replace("{jaar}", "2026")
        .replace("{kwartaal}", "1")
        .replace("{id}", &Uuid::new_v4().to_string())
        .replace("{pas}", &Uuid::new_v4().to_string())
        .replace("{declaratie}", &Uuid::new_v4().to_string())
        .replace("{token}", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
}

async fn call(
    platform: &Platform,
    service: ServiceName,
    method: &str,
    path: &str,
    token: Option<String>,
) -> (StatusCode, Value) {
    let url = platform.url(service, path);
    let mut request = match method {
        "GET" => platform.http().get(&url),
        "PUT" => platform.http().put(&url).json(&serde_json::json!({})),
        "DELETE" => platform.http().delete(&url),
        _ => platform.http().post(&url).json(&serde_json::json!({})),
    };
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// A refusal says why, and nothing else: the four problem fields, no data.
fn assert_bare_refusal(body: &Value, context: &str) {
    let keys: BTreeSet<&str> = body
        .as_object()
        .expect(context)
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from(["detail", "status", "title", "type"]),
        "{context}: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_against_every_endpoint_is_allowed_or_refused_as_the_matrix_says() {
    let platform = Platform::start().await.expect("platform starts");

    // The documents say what the matrix says, operation for operation.
    let mut documented: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
    for service in ServiceName::ALL {
        let document: Value = platform
            .http()
            .get(platform.url(service, "/api/v1/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for (path, operations) in document["paths"].as_object().unwrap() {
            for (method, operation) in operations.as_object().unwrap() {
                let roles = operation["x-rollen"]
                    .as_array()
                    .map(|roles| {
                        roles
                            .iter()
                            .map(|r| r.as_str().unwrap().to_owned())
                            .collect()
                    })
                    .unwrap_or_default();
                documented.insert(
                    (
                        service.binary().to_owned(),
                        method.to_uppercase(),
                        path.clone(),
                    ),
                    roles,
                );
            }
        }
    }
    let expected: BTreeMap<(String, String, String), BTreeSet<String>> = MATRIX
        .iter()
        .map(|(service, method, path, roles)| {
            (
                (
                    service.binary().to_owned(),
                    (*method).to_owned(),
                    (*path).to_owned(),
                ),
                roles.iter().map(|r| (*r).to_owned()).collect(),
            )
        })
        .collect();
    assert_eq!(
        documented, expected,
        "the OpenAPI documents and the matrix differ"
    );

    let mut cells = 0;
    for (service, method, template, allowed) in MATRIX {
        if *allowed == [LINK] {
            // No login: any token, or none, reaches the handler; a token nobody was given is a 404.
            let tokens = ROLES
                .iter()
                .map(|role| {
                    Some(
                        platform
                            .issuer
                            .mint(organisation(role), role, &[GEMEENTE], 300),
                    )
                })
                .chain([None]);
            for token in tokens {
                let (status, body) =
                    call(&platform, *service, method, &concrete(template), token).await;
                // GET: the unknown token; POST: the empty body is read before the token is looked up.
                assert!(
                    status == StatusCode::NOT_FOUND
                        || (*method == "POST" && status == StatusCode::UNPROCESSABLE_ENTITY)
                        || (*method == "POST" && status == StatusCode::BAD_REQUEST),
                    "{method} {template}: {status} {body}"
                );
                assert_bare_refusal(&body, template);
            }
            cells += ROLES.len();
            continue;
        }
        for role in ROLES {
            let token = platform
                .issuer
                .mint(organisation(role), role, &[GEMEENTE], 300);
            let (status, body) = call(
                &platform,
                *service,
                method,
                &concrete(template),
                Some(token),
            )
            .await;
            let context = format!("{role} {method} {template}");
            if allowed.contains(&role) {
                // Past the matrix; a rule of the domain may still say no (a partner without a mandate).
                let detail = body["detail"].as_str().unwrap_or("");
                let refused_by_matrix = status == StatusCode::FORBIDDEN
                    && (detail.contains("voorbehouden aan")
                        || detail.contains("niet namens de gemeente"));
                assert!(
                    status != StatusCode::UNAUTHORIZED && !refused_by_matrix,
                    "{context} must be allowed, got {status}: {body}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{context} must be refused: {body}"
                );
                assert_bare_refusal(&body, &context);
                assert!(
                    body["detail"]
                        .as_str()
                        .unwrap()
                        .contains("voorbehouden aan"),
                    "{context}: {body}"
                );
            }
            cells += 1;
        }
        // The right role for another gemeente is refused too, before anything is read.
        if template.contains("{gemeente}") {
            let role = allowed[0];
            let token = platform
                .issuer
                .mint(organisation(role), role, &["GM0363"], 300);
            let (status, body) = call(
                &platform,
                *service,
                method,
                &concrete(template),
                Some(token),
            )
            .await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{role} of GM0363 {method} {template}: {body}"
            );
            assert_bare_refusal(&body, template);
        }
        // Without a token: 401, whatever the endpoint.
        let (status, body) = call(&platform, *service, method, &concrete(template), None).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {template} without a token: {body}"
        );
        assert_bare_refusal(&body, template);
    }
    assert_eq!(cells, MATRIX.len() * ROLES.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floods_get_429_and_oversized_bodies_413_in_dutch_and_nothing_is_stored() {
    let mut platform = Platform::start().await.expect("platform starts");
    // A small budget (a burst of 20, one more a second), so that the flood is one whatever the
    // speed of the machine.
    let provision = platform.service_mut(ServiceName::Provision);
    provision.set_environment("KINDPAKKET_RATE_PER_SECOND", "1");
    provision.set_environment("KINDPAKKET_RATE_BURST", "20");
    provision.start_again().await.unwrap();
    let token = platform
        .issuer
        .mint("gemeente-den-haag", RE, &[GEMEENTE], 300);
    let url = platform.url(
        ServiceName::Provision,
        &format!("/api/v1/gemeenten/{GEMEENTE}/rechten"),
    );
    let mut requests = Vec::new();
    for _ in 0..60 {
        let request = platform.http().get(&url).bearer_auth(&token);
        requests.push(tokio::spawn(async move { request.send().await.unwrap() }));
    }
    let mut limited = 0;
    for request in requests {
        let response = request.await.unwrap();
        let status = response.status();
        assert!(
            status == StatusCode::OK || status == StatusCode::TOO_MANY_REQUESTS,
            "{status}"
        );
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited += 1;
            assert!(response.headers().get("retry-after").is_some());
            let body: Value = response.json().await.unwrap();
            assert!(
                body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("te veel verzoeken"),
                "{body}"
            );
        }
    }
    assert!(
        limited >= 30,
        "60 requests at once from one caller are more than its burst of 20: {limited} limited"
    );
    // Another caller is not held back by the flood.
    let other = platform
        .issuer
        .mint("gemeente-den-haag-2", RE, &[GEMEENTE], 300);
    let answer = platform
        .http()
        .get(&url)
        .bearer_auth(other)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);

    // A body over 256 KiB is refused with 413 before it is read into any command.
    let signals = platform.url(
        ServiceName::Signalling,
        &format!("/api/v1/gemeenten/{GEMEENTE}/signaleringen"),
    );
    let signaller = platform
        .issuer
        .mint("wijkteam-centrum", SI, &[GEMEENTE], 300);
    let huge = serde_json::json!({"kind": Uuid::new_v4(), "reden": "schulden", "verwezenNaar": {"soort": "loket"}, "toelichting": "x".repeat(300 * 1024)});
    let answer = platform
        .http()
        .post(&signals)
        .bearer_auth(signaller)
        .json(&huge)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = answer.json().await.unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("groter dan toegestaan"),
        "{body}"
    );
    let store = sqlx::PgPool::connect(&platform.postgres.url(ServiceName::Signalling.database()))
        .await
        .unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&store)
        .await
        .unwrap();
    assert_eq!(stored, 0, "nothing was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_asks_for_a_login_shows_only_the_readers_gemeenten_and_no_live_figures_to_the_overleg(
) {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    for gemeente in ["GM0518", "GM0014"] {
        kindpakket
            .enrol_signaller(gemeente, "wijkteam-centrum", "Wijkteam Centrum")
            .await
            .unwrap();
        kindpakket
            .signal_child(gemeente, "wijkteam-centrum", Uuid::new_v4(), "2026-09-01")
            .await
            .unwrap();
        kindpakket
            .wait_for_funnel(gemeente, std::time::Duration::from_secs(15), |f| {
                f["gesignaleerd"] == 1
            })
            .await
            .unwrap();
    }
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = platform.url(ServiceName::Dashboard, "/");
    let viewer = platform
        .issuer
        .mint("kwartaaloverleg", OV, &["GM0518"], 3600);

    // Without a token: the login page, and no figures.
    let anonymous = browser.get(&page).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let text = anonymous.text().await.unwrap();
    assert!(text.contains("Inloggen"), "{text}");
    assert!(!text.contains("Gemeente Den Haag"), "{text}");

    // A partner is no reader of the dashboard.
    let partner = platform.issuer.mint("leergeld", PA, &["GM0518"], 3600);
    let refused = browser
        .get(&page)
        .bearer_auth(&partner)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(!refused.text().await.unwrap().contains("Gemeente Den Haag"));

    // The overleg reads established quarters (`/api/v1/gemeenten/{g}/kwartalen`), never the live
    // funnel: a figure that changes by one as a child comes in would tell who came in.
    let refused = browser
        .get(&page)
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(!refused.text().await.unwrap().contains("Gemeente Den Haag"));
    let json_url = platform.url(ServiceName::Dashboard, "/api/v1/gemeenten/GM0518/trechter");
    let figures_for = |token: String| {
        let request = browser.get(&json_url).bearer_auth(token);
        async move {
            let answer = request.send().await.unwrap();
            (answer.status(), answer.json::<Value>().await.unwrap())
        }
    };
    let (status, figures) = figures_for(viewer.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{figures}");
    assert!(figures.get("gesignaleerd").is_none(), "{figures}");
    // ...while regie sees the exact figures of its gemeente.
    let regie = platform
        .issuer
        .mint("gemeente-den-haag", RE, &["GM0518"], 3600);
    let (status, exact) = figures_for(regie.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(exact["gesignaleerd"], 1, "{exact}");
    let page_for_regie = browser.get(&page).bearer_auth(&regie).send().await.unwrap();
    let text = page_for_regie.text().await.unwrap();
    assert!(text.contains(r#"<td>1<span class="balk balk-"#), "{text}");
    assert!(text.contains("Gemeente Den Haag"), "{text}");
    assert!(
        !text.contains("GM0014") && !text.contains("Groningen"),
        "another gemeente shown: {text}"
    );

    // ...or after logging in on the page, with the token in a session cookie.
    let login = browser
        .post(platform.url(ServiceName::Dashboard, "/inloggen"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={regie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let cookie = login
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .expect("a session cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_owned();
    let shown = browser
        .get(&page)
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(shown.status(), StatusCode::OK);
    assert!(shown.text().await.unwrap().contains("Gemeente Den Haag"));

    // A login without a token is told so, in Dutch, and sets nothing.
    let empty = browser
        .post(platform.url(ServiceName::Dashboard, "/inloggen"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("naam=Jan")
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST);
    assert!(empty.headers().get("set-cookie").is_none());
    assert!(empty
        .text()
        .await
        .unwrap()
        .contains("Vul een toegangstoken in"));

    // A forged token does not log in.
    let forged = browser
        .post(platform.url(ServiceName::Dashboard, "/inloggen"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "token={}{}",
            &viewer[..viewer.len() - 1],
            if viewer.ends_with('A') { 'B' } else { 'A' }
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    assert!(forged.headers().get("set-cookie").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_applies_for_and_reads_their_own_household_only() {
    let platform = Platform::start().await.expect("platform starts");
    let http = platform.http();
    let (ours, theirs) = (Uuid::new_v4(), Uuid::new_v4());
    let parent = |household: &Uuid| {
        platform
            .issuer
            .mint_for_household("ouder", &[GEMEENTE], &household.to_string(), 3600)
    };
    let url = platform.url(
        ServiceName::Application,
        &format!("/api/v1/gemeenten/{GEMEENTE}/aanvragen"),
    );
    let body = |household: &Uuid| {
        serde_json::json!({
            "kanaal": "online",
            "huishouden": household,
            "kinderen": [{"kind": Uuid::new_v4(), "geboortejaar": 2015, "geboortemaand": 3}],
            "inkomenPercentage": 110,
            "datum": "2026-09-03",
        })
    };
    let submit = |token: String, household: Uuid| {
        http.post(&url)
            .bearer_auth(token)
            .json(&body(&household))
            .send()
    };

    let created = submit(parent(&ours), ours).await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let application = format!("{url}/{id}");

    // Another household's parent neither applies for ours nor sees or withdraws our application.
    let foreign = submit(parent(&theirs), ours).await.unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let detail = foreign.json::<Value>().await.unwrap()["detail"].clone();
    assert!(
        detail.as_str().unwrap().contains("eigen huishouden"),
        "{detail}"
    );
    let peek = http
        .get(&application)
        .bearer_auth(parent(&theirs))
        .send()
        .await
        .unwrap();
    assert_eq!(peek.status(), StatusCode::NOT_FOUND);
    let body = peek.json::<Value>().await.unwrap();
    assert!(body.get("kinderen").is_none(), "{body}");
    let withdrawn = http
        .post(format!("{application}/intrekking"))
        .bearer_auth(parent(&theirs))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(withdrawn.status(), StatusCode::NOT_FOUND);

    // A login that names no household may not apply at all.
    let anonymous_parent = platform.issuer.mint("ouder", AP, &[GEMEENTE], 3600);
    let refused = submit(anonymous_parent, ours).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // The parent of the household reads it, still submitted.
    let own: Value = http
        .get(&application)
        .bearer_auth(parent(&ours))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(own["status"], "ingediend", "{own}");
}

/// The third dimension of the matrix: an organisation in the right role, for the right gemeente, on
/// an object of another organisation of the same role. Every such call is refused (as if the object
/// did not exist, or 403 where the API says so) and nothing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_object_endpoint_refuses_another_organisation_of_the_same_role() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket.sport_regeling(GEMEENTE, 2026).await.unwrap();
    kindpakket
        .enrol_partner(
            GEMEENTE,
            "leergeld",
            "Stichting Leergeld",
            &["sportcontributie"],
        )
        .await
        .unwrap();
    for signaller in ["wijkteam-centrum", "wijkteam-noord"] {
        kindpakket
            .enrol_signaller(GEMEENTE, signaller, "Wijkteam")
            .await
            .unwrap();
    }
    // Objects of one organisation each: a wijkteam's signal, Leergeld's intake of an application, a
    // household's application, the Jeugdfonds's entitlement, delivery and invoice.
    let child = Uuid::new_v4();
    let signal = kindpakket
        .signal_child(GEMEENTE, "wijkteam-centrum", child, "2026-09-01")
        .await
        .unwrap();
    let leergeld = kindpakket_tests::client::As {
        organisation: "leergeld",
        role: PA,
    };
    let taken = kindpakket
        .submit_as(
            GEMEENTE,
            leergeld,
            &kindpakket_tests::client::on_behalf(serde_json::json!({"kanaal": "partner",
                "huishouden": kindpakket.household_reference("leergeld", Uuid::new_v4()).unwrap(),
                "kinderen": [{"kind": kindpakket.child_reference("leergeld", Uuid::new_v4()).unwrap(),
                    "geboortejaar": 2015, "geboortemaand": 3}],
                "inkomenPercentage": 110, "voorzieningen": ["sportcontributie"], "datum": "2026-09-02"})),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let taken = taken["id"].as_str().unwrap().to_owned();
    let household = Uuid::new_v4();
    let own_application = kindpakket
        .submit(
            GEMEENTE,
            &serde_json::json!({"kanaal": "online", "huishouden": household,
                "kinderen": [{"kind": child, "geboortejaar": 2015, "geboortemaand": 3}],
                "inkomenPercentage": 110, "voorzieningen": ["sportcontributie"], "datum": "2026-09-02"}),
        )
        .await
        .unwrap();
    let entitlement = kindpakket
        .grant(
            GEMEENTE,
            own_application,
            child,
            "sportcontributie",
            25_000,
            2026,
        )
        .await
        .unwrap();
    kindpakket
        .wait_for_entitlement(
            GEMEENTE,
            "jeugdfonds-sport-cultuur",
            entitlement,
            std::time::Duration::from_secs(20),
        )
        .await
        .unwrap();
    kindpakket
        .deliver(
            GEMEENTE,
            "jeugdfonds-sport-cultuur",
            entitlement,
            10_000,
            "2026-09-15",
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let jeugdfonds_token = platform
        .issuer
        .mint("jeugdfonds-sport-cultuur", PA, &[GEMEENTE], 300);
    let invoice: Value = platform
        .http()
        .post(platform.url(
            ServiceName::Provision,
            &format!("/api/v1/gemeenten/{GEMEENTE}/facturen"),
        ))
        .bearer_auth(&jeugdfonds_token)
        .json(&serde_json::json!({"vanaf": "2026-09-01", "tot": "2026-09-30"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let invoice = invoice["id"].as_str().unwrap().to_owned();
    // The Jeugdfonds's own id of the entitlement: what it would hold in its records.
    let jeugdfonds_id = kindpakket
        .partner_entitlement("jeugdfonds-sport-cultuur", entitlement)
        .unwrap();
    let before = platform.events_stored_everywhere().await;

    let other_parent =
        platform
            .issuer
            .mint_for_household("ouder", &[GEMEENTE], &Uuid::new_v4().to_string(), 300);
    let other_wijkteam = platform.issuer.mint("wijkteam-noord", SI, &[GEMEENTE], 300);
    let other_partner = platform.issuer.mint("leergeld", PA, &[GEMEENTE], 300);
    let g = |path: String| format!("/api/v1/gemeenten/{GEMEENTE}/{path}");
    let cells: Vec<(&str, ServiceName, &str, String, &String, Value)> = vec![
        (
            "another wijkteam reads a signal",
            ServiceName::Signalling,
            "GET",
            g(format!("signaleringen/{signal}")),
            &other_wijkteam,
            Value::Null,
        ),
        (
            "a partner it is not referred to records its outcome",
            ServiceName::Signalling,
            "POST",
            g(format!("signaleringen/{signal}/uitkomst")),
            &other_partner,
            serde_json::json!({"uitkomst": "gezin-bereikt"}),
        ),
        (
            "another parent reads an application",
            ServiceName::Application,
            "GET",
            g(format!("aanvragen/{own_application}")),
            &other_parent,
            Value::Null,
        ),
        (
            "another parent withdraws it",
            ServiceName::Application,
            "POST",
            g(format!("aanvragen/{own_application}/intrekking")),
            &other_parent,
            serde_json::json!({}),
        ),
        (
            "another partner withdraws Leergeld's intake",
            ServiceName::Application,
            "POST",
            g(format!("aanvragen/{taken}/intrekking")),
            &jeugdfonds_token,
            serde_json::json!({}),
        ),
        (
            "another partner reads the Jeugdfonds's entitlement by its id",
            ServiceName::Provision,
            "GET",
            g(format!("rechten/{jeugdfonds_id}")),
            &other_partner,
            Value::Null,
        ),
        (
            "another partner delivers on it",
            ServiceName::Provision,
            "POST",
            g(format!("rechten/{jeugdfonds_id}/verstrekkingen")),
            &other_partner,
            serde_json::json!({"vorm": "in_natura", "bedragCent": 100, "datum": "2026-09-16"}),
        ),
        (
            "another partner declares on it",
            ServiceName::Provision,
            "POST",
            g(format!("rechten/{jeugdfonds_id}/declaraties")),
            &other_partner,
            serde_json::json!({"bedragCent": 100, "bewijs": "bon 1", "datum": "2026-09-16"}),
        ),
        (
            "another partner uses the gemeente's id",
            ServiceName::Provision,
            "GET",
            g(format!("rechten/{entitlement}")),
            &other_partner,
            Value::Null,
        ),
        (
            "another partner reads the invoice",
            ServiceName::Provision,
            "GET",
            g(format!("facturen/{invoice}")),
            &other_partner,
            Value::Null,
        ),
        (
            "another partner reads the Jeugdfonds's statement",
            ServiceName::Provision,
            "GET",
            g("partners/jeugdfonds-sport-cultuur/afrekeningen/2026/3".to_owned()),
            &other_partner,
            Value::Null,
        ),
        (
            "another partner reads the Jeugdfonds's feed",
            ServiceName::Provision,
            "GET",
            g("feed?partner=jeugdfonds-sport-cultuur".to_owned()),
            &other_partner,
            Value::Null,
        ),
    ];
    for (what, service, method, path, token, body) in cells {
        let url = platform.url(service, &path);
        let request = match method {
            "GET" => platform.http().get(&url),
            _ => platform.http().post(&url).json(&body),
        };
        let response = request.bearer_auth(token).send().await.unwrap();
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
            "{what}: {status} {answer}"
        );
        assert_bare_refusal(&answer, what);
    }
    assert_eq!(
        platform.events_stored_everywhere().await,
        before,
        "nothing was stored"
    );
}

/// The attack the overleg could make with two gemeenten: "all together" minus the gemeente it sees
/// would give the small one it may not see. The overleg reads no live figures at all now, and its
/// quarterly figures have no total across gemeenten; regie sees the live total.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overleg_cannot_recover_a_hidden_gemeente_from_the_total_of_all_gemeenten() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    for (gemeente, children) in [("GM0518", 2), ("GM0014", 6)] {
        kindpakket
            .enrol_signaller(gemeente, "wijkteam-centrum", "Wijkteam Centrum")
            .await
            .unwrap();
        for _ in 0..children {
            kindpakket
                .signal_child(gemeente, "wijkteam-centrum", Uuid::new_v4(), "2026-09-01")
                .await
                .unwrap();
        }
        kindpakket
            .wait_for_funnel(gemeente, std::time::Duration::from_secs(20), |f| {
                f["gesignaleerd"] == children
            })
            .await
            .unwrap();
    }
    let page = platform.url(ServiceName::Dashboard, "/");
    let browser = reqwest::Client::new();
    let read = |organisation: &str, role: &str| {
        let token = platform
            .issuer
            .mint(organisation, role, &["GM0518", "GM0014"], 3600);
        let request = browser.get(&page).bearer_auth(token);
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    let token = platform
        .issuer
        .mint("kwartaaloverleg", OV, &["GM0518", "GM0014"], 3600);
    let page_answer = browser.get(&page).bearer_auth(&token).send().await.unwrap();
    assert_eq!(page_answer.status(), StatusCode::FORBIDDEN);
    let text = page_answer.text().await.unwrap();
    assert!(!text.contains(" 8 ") && !text.contains(" 6 "), "{text}");
    let json = browser
        .get(platform.url(ServiceName::Dashboard, "/api/v1/trechter"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), StatusCode::FORBIDDEN);
    // Its quarters are per gemeente: no answer of the quarterly API holds both.
    for gemeente in ["GM0518", "GM0014"] {
        let quarters: Value = browser
            .get(platform.url(
                ServiceName::Dashboard,
                &format!("/api/v1/gemeenten/{gemeente}/kwartalen"),
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(quarters.get("totaal").is_none(), "{quarters}");
        assert!(quarters["kwartalen"].is_array(), "{quarters}");
    }
    // Regie sees the exact total.
    let regie = kindpakket_tests::pages::text_of(&read("gemeente-den-haag", RE).await);
    let all = regie.split("Alle gemeenten samen").nth(1).unwrap();
    assert!(all.contains(" 8 "), "{all}");
}
