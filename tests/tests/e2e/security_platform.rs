//! Attacks on what every service shares, through the public APIs: a flood that respells its token or
//! comes without one, tokens that are not yet valid or valid too long, error details that would echo
//! what was sent, and the dashboard's session cookie used as an API token or after logging out. Each
//! is refused and changes nothing.

use std::time::Duration;

use kindpakket_tests::{Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

const GEMEENTE: &str = "GM0518";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_cannot_respell_its_token_for_a_fresh_budget_nor_starve_health_or_other_callers() {
    let mut platform = Platform::start().await.expect("platform starts");
    // A small budget, so that the test does not depend on how fast the machine is: a burst of 20
    // and one more request a second.
    let provision = platform.service_mut(ServiceName::Provision);
    provision.set_environment("KINDPAKKET_RATE_PER_SECOND", "1");
    provision.set_environment("KINDPAKKET_RATE_BURST", "20");
    provision.start_again().await.unwrap();
    let url = platform.url(
        ServiceName::Provision,
        &format!("/api/v1/gemeenten/{GEMEENTE}/rechten"),
    );
    let token = platform
        .issuer
        .mint("gemeente-den-haag", "regievoerder", &[GEMEENTE], 300);
    // 60 requests with one token, spelled with one to four spaces after "Bearer" (15 each): one
    // caller with one budget of 20, not four budgets that would each cover its 15.
    let mut limited = 0;
    for index in 0..60 {
        let header = format!("Bearer{}{token}", " ".repeat(1 + index % 4));
        let status = platform
            .http()
            .get(&url)
            .header("authorization", header)
            .send()
            .await
            .unwrap()
            .status();
        assert!(
            status == StatusCode::OK || status == StatusCode::TOO_MANY_REQUESTS,
            "{status}"
        );
        limited += usize::from(status == StatusCode::TOO_MANY_REQUESTS);
    }
    assert!(
        limited >= 30,
        "respelled tokens are one caller with one budget: only {limited} of 60 were limited"
    );

    // An anonymous flood is limited too, while /health and a caller with a token are served.
    let mut anonymous_limited = 0;
    for _ in 0..60 {
        let status = platform.http().get(&url).send().await.unwrap().status();
        anonymous_limited += usize::from(status == StatusCode::TOO_MANY_REQUESTS);
    }
    assert!(
        anonymous_limited >= 30,
        "anonymous callers have a budget too"
    );
    let health = platform.url(ServiceName::Provision, "/health");
    for _ in 0..30 {
        let status = platform.http().get(&health).send().await.unwrap().status();
        assert_eq!(status, StatusCode::OK, "health is never limited");
    }
    let other = platform
        .issuer
        .mint("gemeente-den-haag-2", "regievoerder", &[GEMEENTE], 300);
    let answer = platform
        .http()
        .get(&url)
        .bearer_auth(other)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK, "another caller is served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_not_yet_valid_valid_too_long_or_for_another_audience_are_refused_and_store_nothing()
{
    let platform = Platform::start().await.expect("platform starts");
    let url = platform.url(
        ServiceName::Signalling,
        &format!("/api/v1/gemeenten/{GEMEENTE}/signaleringen"),
    );
    let body = platform
        .client()
        .signal_body("gemeente-den-haag", Uuid::new_v4())
        .unwrap();
    let issuer = &platform.issuer;
    let mut not_yet = issuer.claims("gemeente-den-haag", "regievoerder", &[GEMEENTE], 3600);
    not_yet.nbf = Some(not_yet.iat + 1800);
    let too_long = issuer.claims(
        "gemeente-den-haag",
        "regievoerder",
        &[GEMEENTE],
        30 * 24 * 3600,
    );
    let mut elsewhere = issuer.claims("gemeente-den-haag", "regievoerder", &[GEMEENTE], 300);
    elsewhere.aud =
        kindpakket_platform::auth::Audience::Many(vec!["portaal".to_owned(), "archief".to_owned()]);
    let mut confused =
        serde_json::to_value(issuer.claims("gemeente-den-haag", "regievoerder", &[GEMEENTE], 3600))
            .unwrap();
    confused["nbf"] = json!("99999999999");
    for (what, token) in [
        ("nbf in the future", issuer.mint_claims(&not_yet)),
        ("valid for 30 days", issuer.mint_claims(&too_long)),
        ("another audience", issuer.mint_claims(&elsewhere)),
        ("nbf as a string", issuer.mint_value(&confused)),
    ] {
        let answer = platform
            .http()
            .post(&url)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{what}");
    }
    // An audience list that names the platform is a valid token.
    let mut listed = issuer.claims("gemeente-den-haag", "regievoerder", &[GEMEENTE], 300);
    listed.aud = kindpakket_platform::auth::Audience::Many(vec![
        "portaal".to_owned(),
        kindpakket_platform::auth::AUDIENCE.to_owned(),
    ]);
    let answer = platform
        .http()
        .post(&url)
        .bearer_auth(issuer.mint_claims(&listed))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::CREATED);
    assert_eq!(platform.events_stored(ServiceName::Signalling).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_details_name_the_field_and_its_form_without_repeating_what_was_sent() {
    let platform = Platform::start().await.expect("platform starts");
    let token = platform
        .issuer
        .mint("gemeente-den-haag", "regievoerder", &[GEMEENTE], 300);
    let signals = platform.url(
        ServiceName::Signalling,
        &format!("/api/v1/gemeenten/{GEMEENTE}/signaleringen"),
    );
    let secret = "123456782";
    let valid = platform
        .client()
        .signal_body("gemeente-den-haag", Uuid::new_v4())
        .unwrap();
    let attempts = [
        ("wijk", json!(secret)),
        ("reden", json!(format!("<b>{secret}</b>"))),
        ("datum", json!(secret)),
        ("voorzieningsoort", json!(format!("X{secret}"))),
    ];
    for (field, value) in attempts {
        let mut body = valid.clone();
        body[field] = value;
        let answer = platform
            .http()
            .post(&signals)
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{body}");
        let problem: Value = answer.json().await.unwrap();
        let detail = problem["detail"].as_str().unwrap();
        assert!(!detail.contains(secret), "{detail}");
        assert!(!detail.contains('<'), "{detail}");
        assert!(detail.contains("het veld '"), "names the field: {detail}");
        for english in ["expected", "invalid", "UUID parsing", "unknown variant"] {
            assert!(!detail.contains(english), "{detail}");
        }
    }
    // A gemeente in the path that is no CBS code, and a malformed correlation id: Dutch, no echo,
    // and the API-Version header on every answer.
    let answer = platform
        .http()
        .post(platform.url(
            ServiceName::Signalling,
            &format!("/api/v1/gemeenten/{secret}/signaleringen"),
        ))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_client_error());
    let text = answer.text().await.unwrap();
    assert!(!text.contains(secret), "{text}");
    let answer = platform
        .http()
        .get(platform.url(ServiceName::Signalling, "/health"))
        .header("x-correlation-id", secret)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert_eq!(answer.headers()["api-version"], "1.0.0");
    assert!(!answer.text().await.unwrap().contains(secret));
    assert_eq!(platform.events_stored(ServiceName::Signalling).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_session_cookie_is_no_api_token_and_dies_with_logout() {
    let platform = Platform::start().await.expect("platform starts");
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let viewer = platform
        .issuer
        .mint("gemeente-den-haag", "regievoerder", &[GEMEENTE], 3600);
    let login = browser
        .post(platform.url(ServiceName::Dashboard, "/inloggen"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-forwarded-proto", "https")
        .body(format!("token={viewer}"))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Secure"),
        "over HTTPS the cookie is Secure: {cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_owned();
    let value = session.split_once('=').unwrap().1.to_owned();
    assert!(
        !value.contains(&viewer) && !viewer.contains(&value),
        "the cookie holds no token"
    );

    // The session opens the page...
    let page = platform.url(ServiceName::Dashboard, "/");
    let shown = browser
        .get(&page)
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(shown.status(), StatusCode::OK);
    // ...but is worth nothing to an API, the dashboard's own included.
    for service in [ServiceName::Dashboard, ServiceName::Provision] {
        let path = match service {
            ServiceName::Dashboard => format!("/api/v1/gemeenten/{GEMEENTE}/trechter"),
            _ => format!("/api/v1/gemeenten/{GEMEENTE}/budgetten/2026"),
        };
        let answer = browser
            .get(platform.url(service, &path))
            .bearer_auth(&value)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{service:?}");
    }
    // After logging out the same cookie opens nothing.
    let logout = browser
        .post(platform.url(ServiceName::Dashboard, "/uitloggen"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    let after = browser
        .get(&page)
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrating_is_a_step_of_its_own_and_a_service_runs_without_the_owners_secret() {
    let mut platform = Platform::start().await.expect("platform starts");
    // `migrate` without an owner says what is missing and does nothing.
    let regie = platform.service(ServiceName::Regie);
    let (status, output) = regie
        .run_once(&["migrate"], &[("KINDPAKKET_MIGRATION_USER", None)])
        .unwrap();
    assert!(!status.success());
    assert!(output.contains("KINDPAKKET_MIGRATION_USER"), "{output}");
    // `migrate` as the owner prepares a database from nothing, grants the service's role, and exits.
    let fresh = platform
        .postgres
        .url_as("kindpakket_regie", "kindpakket_regie_fresh");
    let (status, output) = regie
        .run_once(&["migrate"], &[("KINDPAKKET_DATABASE_URL", Some(&fresh))])
        .unwrap();
    assert!(status.success(), "{output}");
    // The service, given only its own role (which may not change the schema), starts on the
    // migrated database and serves.
    let service = platform.service_mut(ServiceName::Regie);
    service.set_environment("KINDPAKKET_DATABASE_URL", &fresh);
    service.remove_environment("KINDPAKKET_MIGRATION_USER");
    service
        .start_again()
        .await
        .expect("starts without migration rights");
    let token = platform
        .issuer
        .mint("gemeente-den-haag", "regievoerder", &[GEMEENTE], 300);
    let answer = platform
        .http()
        .get(platform.url(
            ServiceName::Regie,
            &format!("/api/v1/gemeenten/{GEMEENTE}/regelingen/{}", Uuid::new_v4()),
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    // An unknown command is refused.
    let (status, _) = platform
        .service(ServiceName::Regie)
        .run_once(&["drop-everything"], &[])
        .unwrap();
    assert!(!status.success());
}
