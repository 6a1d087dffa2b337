//! The front doors' foundation, tried as a user and as an attacker through the pages themselves:
//! the OpenID Connect login with PKCE against the development issuer, the session (its token kept
//! sealed), the form token on every post, the role check, the house style per gemeente.

use kindpakket_tests::pages::PageSession;
use kindpakket_tests::{Platform, ServiceName};
use reqwest::StatusCode;

const DEN_HAAG: (&str, &str) = ("GM0518", "Den Haag");
const GRONINGEN: (&str, &str) = ("GM0014", "Groningen");

#[tokio::test]
async fn a_person_logs_in_with_pkce_sees_their_gemeentes_house_style_and_logs_out() {
    let platform = Platform::start().await.unwrap();
    let _login = platform.start_login(&[DEN_HAAG, GRONINGEN]).await.unwrap();
    let base = platform.url(ServiceName::Dashboard, "");

    // Not logged in: to the login, remembering where to go back to.
    let mut anonymous = PageSession::anonymous(&base);
    let refused = anonymous.get("/dashboard").await.unwrap();
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert_eq!(
        refused.location.as_deref(),
        Some("/aanmelden?terug=%2Fdashboard")
    );
    let start = anonymous.get("/start").await.unwrap();
    assert!(start.text().contains("Inloggen"), "{}", start.text());

    let mut haag = PageSession::login(&base, "regievoerder", "GM0518")
        .await
        .unwrap();
    let page = haag.get("/dashboard").await.unwrap();
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(
        page.text().contains("Dashboard Den Haag"),
        "{}",
        page.text()
    );
    assert!(page.html.contains("/static/huisstijl/GM0518.css"));
    assert!(
        !page.text().contains("GM0518"),
        "the gemeente by name, not code"
    );

    let mut groningen = PageSession::login(&base, "auditor", "GM0014")
        .await
        .unwrap();
    let page = groningen.get("/dashboard").await.unwrap();
    assert!(
        page.text().contains("Dashboard Groningen"),
        "{}",
        page.text()
    );
    assert!(page.html.contains("/static/huisstijl/GM0014.css"));
    let haag_css = haag.get("/static/huisstijl/GM0518.css").await.unwrap().html;
    let groningen_css = groningen
        .get("/static/huisstijl/GM0014.css")
        .await
        .unwrap()
        .html;
    assert_ne!(haag_css, groningen_css, "two gemeenten, two house styles");
    for sheet in ["/static/utrecht.css", "/static/tokens.css"] {
        let css = haag.get(sheet).await.unwrap();
        assert_eq!(
            css.status,
            StatusCode::OK,
            "{sheet}: run scripts/install-deps.sh"
        );
        assert!(css.html.contains("--utrecht-") || css.html.contains(".utrecht-"));
    }

    // Logging out ends the session on the server: the old cookie opens nothing.
    let stolen = haag.clone();
    let out = haag.post("/afmelden", &[]).await.unwrap();
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let mut stolen = stolen;
    let after = stolen.get("/dashboard").await.unwrap();
    assert_eq!(after.status, StatusCode::SEE_OTHER, "{}", after.text());
}

#[tokio::test]
async fn forged_posts_foreign_logins_and_other_roles_are_refused_and_change_nothing() {
    let platform = Platform::start().await.unwrap();
    let _login = platform.start_login(&[DEN_HAAG]).await.unwrap();
    let base = platform.url(ServiceName::Dashboard, "");
    let mut regie = PageSession::login(&base, "regievoerder", "GM0518")
        .await
        .unwrap();

    // Another site posts the logout form in the person's name (the cookie goes along, the form
    // token cannot): refused, and the session still works.
    for forged in [vec![], vec![("_csrf", "geraden-token")]] {
        let answer = regie.post_raw("/afmelden", &forged).await.unwrap();
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.text());
        assert!(answer.text().contains("Er is niets opgeslagen"));
    }
    assert_eq!(
        regie.get("/dashboard").await.unwrap().status,
        StatusCode::OK
    );

    // A login that did not start in this browser (an attacker's code and state forced onto the
    // victim's browser) opens no session.
    let mut attacker = PageSession::anonymous(&base);
    let begin = attacker.get("/aanmelden").await.unwrap();
    let state = begin
        .location
        .as_deref()
        .and_then(|location| location.split("state=").nth(1))
        .map(|rest| rest.split('&').next().unwrap_or("").to_owned())
        .unwrap();
    let mut victim = PageSession::anonymous(&base);
    let forced = victim
        .get(&format!("/aanmelden/terug?code=gestolen&state={state}"))
        .await
        .unwrap();
    assert_eq!(forced.status, StatusCode::BAD_REQUEST, "{}", forced.text());
    assert!(forced.text().contains("niet in deze browser begonnen"));
    assert_eq!(
        victim.get("/dashboard").await.unwrap().status,
        StatusCode::SEE_OTHER
    );

    // A signaller has no business on the dashboard: a Dutch refusal, no figures.
    let mut school = PageSession::login(&base, "school", "GM0518").await.unwrap();
    let refused = school.get("/dashboard").await.unwrap();
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.text().contains("Deze pagina is voor de rol"),
        "{}",
        refused.text()
    );
    assert!(!refused.text().contains("Gesignaleerd"));

    // Switching to a gemeente one does not work for is refused.
    let switched = school
        .post("/gemeente", &[("gemeente", "GM0014")])
        .await
        .unwrap();
    assert_eq!(switched.status, StatusCode::FORBIDDEN);

    // The sessions' table holds no token a copy of it could use: sealed under the cookie's id.
    let rows = kindpakket_tests::inspect::rows_as_text(
        &platform.postgres.url(ServiceName::Dashboard.database()),
    )
    .await
    .unwrap();
    let pool = sqlx::PgPool::connect(&platform.postgres.url(ServiceName::Dashboard.database()))
        .await
        .unwrap();
    let kept: i64 =
        sqlx::query_scalar("SELECT count(*) FROM page_sessions WHERE token_sealed IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(kept >= 2, "both sessions keep their token, sealed");
    // A token is a JWT: "eyJ…" as text, 65794a… in a bytea's hex.
    assert!(!rows.contains("eyJ"), "no token in the clear: {rows}");
    assert!(!rows.contains("65794a"), "no token in the clear: {rows}");
}

/// The start page, the login page of the development issuer, the dashboard in each gemeente's house
/// style, in a real browser at desktop and phone width: axe finds nothing serious, nothing scrolls
/// sideways, and the two gemeenten look different.
#[tokio::test]
async fn the_start_page_login_and_dashboard_pass_axe_at_desktop_and_phone_width_in_two_house_styles(
) {
    use kindpakket_tests::browser::Browser;
    let platform = Platform::start().await.unwrap();
    let _login = platform.start_login(&[DEN_HAAG, GRONINGEN]).await.unwrap();
    let base = platform.url(ServiceName::Dashboard, "");
    let mut header_colours = Vec::new();
    for (user, gemeente) in [
        ("Regievoerder van de gemeente — Den Haag", "Den Haag"),
        (
            "Controller van de gemeente (auditor) — Groningen",
            "Groningen",
        ),
    ] {
        let test = format!("pages_foundation-{}", gemeente.replace(' ', "-"));
        let test = test.as_str();
        let mut browser = Browser::start().await.unwrap();
        for phone in [false, true] {
            if phone {
                browser.phone().await.unwrap();
            } else {
                browser.desktop().await.unwrap();
            }
            browser.goto(&format!("{base}/start")).await.unwrap();
            let step = format!("start-{gemeente}");
            browser.assert_accessible(test, &step).await.unwrap();
            browser.assert_fits_width().await.unwrap();
            browser.screenshot(test, &step).await.unwrap();
            if !phone {
                browser
                    .login_as(&format!("{base}/aanmelden?terug=/dashboard"), user)
                    .await
                    .unwrap();
            } else {
                browser.goto(&format!("{base}/dashboard")).await.unwrap();
            }
            let text = browser.text().await.unwrap();
            assert!(text.contains(&format!("Dashboard {gemeente}")), "{text}");
            assert!(text.contains("Gesignaleerd"), "{text}");
            let step = format!("dashboard-{gemeente}");
            browser.assert_accessible(test, &step).await.unwrap();
            browser.assert_fits_width().await.unwrap();
            browser.screenshot(test, &step).await.unwrap();
            // The dashboard's own address (also for a login proxy) is in the same house style.
            browser.goto(&format!("{base}/")).await.unwrap();
            let text = browser.text().await.unwrap();
            assert!(text.contains(&format!("Gemeente {gemeente}")), "{text}");
            let step = format!("dashboard-adres-{gemeente}");
            browser.assert_accessible(test, &step).await.unwrap();
            browser.assert_fits_width().await.unwrap();
            browser.screenshot(test, &step).await.unwrap();
        }
        header_colours.push(
            browser
                .computed_style(".kp-kop", "background-color")
                .await
                .unwrap(),
        );
        browser.close().await.unwrap();
    }
    assert_ne!(
        header_colours[0], header_colours[1],
        "each gemeente in its own colours"
    );
}

/// A provider's access tokens live minutes; a person's work on the pages lasts longer. The session
/// gets a new access token with its refresh token (used once) when the old one is about to expire,
/// and the pages go on calling the APIs.
#[tokio::test]
async fn a_session_outlives_a_short_access_token_by_refreshing_it() {
    let platform = Platform::start().await.unwrap();
    // Tokens of 35 s: the pages refresh 30 s before the end, so after 6 s the next page does.
    let _login = platform.start_login_with(&[DEN_HAAG], 35).await.unwrap();
    let base = platform.url(ServiceName::Dashboard, "");
    let year = kindpakket_platform::clock::today().year();
    platform
        .client()
        .sport_regeling("GM0518", year)
        .await
        .unwrap();
    let mut regie = PageSession::login(&base, "regievoerder", "GM0518")
        .await
        .unwrap();
    let pool = sqlx::PgPool::connect(&platform.postgres.url(ServiceName::Dashboard.database()))
        .await
        .unwrap();
    let sealed = || async {
        sqlx::query_scalar::<_, Vec<u8>>("SELECT token_sealed FROM page_sessions")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let before = sealed().await;
    let page = regie.get("/regie/regeling").await.unwrap();
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("Sportcontributie"), "{}", page.text());
    assert_eq!(sealed().await, before, "a fresh token is not refreshed");

    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let page = regie.get("/regie/regeling").await.unwrap();
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(
        page.text().contains("Sportcontributie") && !page.text().contains("verlopen"),
        "the API took the new token: {}",
        page.text()
    );
    assert_ne!(sealed().await, before, "the session keeps the new tokens");
}

/// Every form of every role, posted from another site: with the person's cookie (the browser sends
/// it) but without the session's form token. Each is refused before anything is asked of an API,
/// by the role the form is for (so the refusal is the form token's, not the role check's).
#[tokio::test]
async fn every_form_post_without_the_form_token_is_refused_for_the_role_it_is_for() {
    let platform = Platform::start().await.unwrap();
    let _login = platform.start_login(&[DEN_HAAG]).await.unwrap();
    let base = platform.url(ServiceName::Dashboard, "");
    let some = "0b9d6f8e-6a41-4a53-9a1e-5f0f2f3b7c11";
    let forms: [(&str, Vec<String>); 3] = [
        (
            "regievoerder",
            vec![
                "/aanvragen/nieuw".into(),
                format!("/aanvragen/{some}/beoordeling"),
                format!("/aanvragen/{some}/maatwerk"),
                "/gemeente".into(),
                format!("/regie/facturen/{some}"),
                format!("/regie/declaraties/{some}/{some}"),
                "/regie/regeling/routering".into(),
                "/regie/partners".into(),
                "/regie/doelgroep".into(),
                "/signaleren".into(),
                "/afmelden".into(),
            ],
        ),
        (
            "leergeld",
            vec![
                format!("/verwijzingen/{some}/oppakken"),
                format!("/verwijzingen/{some}/teruggeven"),
                format!("/verwijzingen/{some}/uitkomst"),
                format!("/rechten/{some}/verstrekking"),
                "/kassa".into(),
                "/kassa/saldo".into(),
                "/declaraties/factuur".into(),
                "/wensen".into(),
            ],
        ),
        (
            "ouder",
            vec![
                "/ouder/bon".into(),
                "/ouder/aanvragen/nieuw".into(),
                "/wensen".into(),
            ],
        ),
    ];
    for (user, paths) in forms {
        let mut person = PageSession::login(&base, user, "GM0518").await.unwrap();
        for path in paths {
            let forged = person
                .post_raw(&path, &[("gemeente", "GM0518"), ("code", "ABCD-EFGH")])
                .await
                .unwrap();
            assert_eq!(forged.status, StatusCode::FORBIDDEN, "{user} {path}");
            assert!(
                forged.text().contains("kwam niet van deze site"),
                "{user} {path}: {}",
                forged.text()
            );
        }
        // And the session lives on: the forged logout did nothing either.
        assert_eq!(person.get("/start").await.unwrap().status, StatusCode::OK);
        assert!(person
            .get("/start")
            .await
            .unwrap()
            .text()
            .contains("Uitloggen"));
    }
}
