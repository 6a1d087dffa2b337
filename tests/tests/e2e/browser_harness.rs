//! The browser harness itself, without the platform: a tiny site served in-process under a strict
//! Content-Security-Policy, looked at through headless Chromium. axe-core runs in spite of the policy
//! and finds what is wrong (so the check can fail), screenshots are PNGs of the right width, the width
//! check fails on a page too wide for a phone, and forms, links and a login through a second origin
//! work.

use std::future::IntoFuture;
use std::path::Path;

use axum::http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use kindpakket_tests::browser::{Browser, Viewport};

const CSP: &str = "default-src 'self'";

const STYLE: &str = "h1 { color: rgb(0, 0, 139); } .wide { width: 600px; height: 20px; }";

/// A page under the strict policy, with a stylesheet from its own origin.
fn page(title: &str, body: &str) -> Response {
    (
        [(CONTENT_SECURITY_POLICY, CSP)],
        Html(format!(
            r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<main>
<h1>{title}</h1>
{body}
</main>
</body>
</html>"#
        )),
    )
        .into_response()
}

/// A page every check passes, with an inline script the policy must block.
fn accessible() -> Response {
    page(
        "An accessible page",
        r#"<p>Every field has a label and every image a text.</p>
<form method="get" action="/sent">
<label for="name">Name</label>
<input id="name" name="name" type="text">
<label for="colour">Colour</label>
<select id="colour" name="colour">
<option value="red">Red</option>
<option value="green">Green</option>
</select>
<button type="submit">Send the form</button>
</form>
<p><a href="/wide">A page that is too wide</a></p>
<script>document.documentElement.setAttribute('data-inline-script-ran', 'yes');</script>"#,
    )
}

/// An image without a text alternative and a field without a label: both critical for axe.
fn inaccessible() -> Response {
    page(
        "An inaccessible page",
        r#"<img src="/missing.png">
<form method="get" action="/sent"><input type="text" name="query"></form>"#,
    )
}

/// A site on `platform` whose `/start` sends a visitor to the "issuer" on another origin, whose
/// one-click user leads back to the platform's `/home` through a redirect.
fn site(platform: String, issuer: String) -> Router {
    Router::new()
        .route(
            "/style.css",
            get(|| async { ([(CONTENT_TYPE, "text/css")], STYLE) }),
        )
        .route("/accessible", get(|| async { accessible() }))
        .route("/inaccessible", get(|| async { inaccessible() }))
        .route(
            "/wide",
            get(|| async { page("A wide page", r#"<div class="wide">Wide</div>"#) }),
        )
        .route(
            "/sent",
            get(
                |axum::extract::RawQuery(query): axum::extract::RawQuery| async move {
                    page(
                        "Sent",
                        &format!("<p>Received {}</p>", query.unwrap_or_default()),
                    )
                },
            ),
        )
        .route(
            "/start",
            get(move || async move {
                (
                    StatusCode::SEE_OTHER,
                    [(LOCATION, format!("{issuer}/login"))],
                )
            }),
        )
        .route(
            "/login",
            get(move || async move {
                page(
                    "Log in",
                    &format!(
                        r#"<p><a href="{platform}/callback">Log in as Anna Jansen (parent)</a></p>"#
                    ),
                )
            }),
        )
        .route(
            "/callback",
            get(|| async { (StatusCode::SEE_OTHER, [(LOCATION, "/home")]) }),
        )
        .route(
            "/home",
            get(|| async { page("Home", "<p>Welcome, Anna.</p>") }),
        )
}

/// Serves the site on two loopback ports: the platform's origin and the issuer's. Gives both base
/// URLs; the servers end with the test's runtime.
async fn serve() -> (String, String) {
    let platform = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let platform_url = format!("http://{}", platform.local_addr().unwrap());
    let issuer_url = format!("http://{}", issuer.local_addr().unwrap());
    let app = site(platform_url.clone(), issuer_url.clone());
    tokio::spawn(axum::serve(platform, app.clone()).into_future());
    tokio::spawn(axum::serve(issuer, app).into_future());
    (platform_url, issuer_url)
}

fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        path.display()
    );
    // The IHDR chunk comes first: width and height, big-endian, at bytes 16 and 20.
    let number = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (number(16), number(20))
}

#[tokio::test]
async fn axe_runs_under_a_strict_csp_and_finds_serious_violations() {
    let (site, _) = serve().await;
    let mut browser = Browser::start().await.unwrap();

    browser.goto(&format!("{site}/accessible")).await.unwrap();
    // The policy is in force: the page's inline script did not run…
    let ran = browser
        .execute(
            "return document.documentElement.getAttribute('data-inline-script-ran');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(ran, serde_json::Value::Null, "the inline script ran");
    // …and the stylesheet from the page's own origin applies.
    assert_eq!(
        browser.computed_style("h1", "color").await.unwrap(),
        "rgb(0, 0, 139)"
    );
    // axe-core runs all the same, and finds nothing serious.
    let violations = browser.axe().await.unwrap();
    assert!(
        violations.iter().all(|violation| !violation.is_serious()),
        "{violations:#?}"
    );
    browser
        .assert_accessible("browser_harness_axe", "accessible")
        .await
        .unwrap();
    browser.phone().await.unwrap();
    browser
        .assert_accessible("browser_harness_axe", "accessible")
        .await
        .unwrap();

    browser.goto(&format!("{site}/inaccessible")).await.unwrap();
    let violations = browser.axe().await.unwrap();
    let serious: Vec<&str> = violations
        .iter()
        .filter(|violation| violation.is_serious())
        .map(|violation| violation.id.as_str())
        .collect();
    assert!(serious.contains(&"image-alt"), "{violations:#?}");
    assert!(serious.contains(&"label"), "{violations:#?}");
    let image = violations.iter().find(|v| v.id == "image-alt").unwrap();
    assert_eq!(image.targets, ["img"], "{image:#?}");
    let error = browser
        .assert_accessible("browser_harness_axe", "inaccessible")
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("image-alt"), "{error}");
    assert!(error.contains("label"), "{error}");
    assert!(
        error.contains("browser_harness_axe, inaccessible"),
        "{error}"
    );
    browser.close().await.unwrap();
}

#[tokio::test]
async fn screenshots_at_desktop_and_phone_width_and_the_width_check() {
    let (site, _) = serve().await;
    let mut browser = Browser::start().await.unwrap();
    let test = "browser_harness_screenshots";

    browser.goto(&format!("{site}/accessible")).await.unwrap();
    assert_eq!(browser.viewport(), Viewport::Desktop);
    let desktop = browser.screenshot(test, "accessible").await.unwrap();
    browser.assert_fits_width().await.unwrap();
    browser.phone().await.unwrap();
    let phone = browser.screenshot(test, "accessible").await.unwrap();
    browser.assert_fits_width().await.unwrap();

    assert!(
        desktop.ends_with(format!("{test}/01-accessible-desktop.png")),
        "{}",
        desktop.display()
    );
    assert!(
        phone.ends_with(format!("{test}/01-accessible-phone.png")),
        "{}",
        phone.display()
    );
    assert!(
        desktop
            .parent()
            .unwrap()
            .ends_with(format!("target/test-output/screenshots/{test}")),
        "{}",
        desktop.display()
    );
    assert_eq!(png_size(&desktop), (1280, 900));
    assert_eq!(png_size(&phone), (360, 740));

    // A 600 pixel wide element makes the phone page scroll sideways; on a desktop it fits.
    browser.click_button_with_text("too wide").await.unwrap();
    assert_eq!(browser.current_url().await.unwrap().path(), "/wide");
    let error = browser.assert_fits_width().await.unwrap_err().to_string();
    assert!(error.contains("div.wide"), "{error}");
    assert!(error.contains("phone"), "{error}");
    let wide = browser.screenshot(test, "wide").await.unwrap();
    assert!(wide.ends_with("02-wide-phone.png"), "{}", wide.display());
    browser.desktop().await.unwrap();
    browser.assert_fits_width().await.unwrap();
    browser.close().await.unwrap();
}

#[tokio::test]
async fn forms_links_and_a_login_through_another_origin() {
    let (site, issuer) = serve().await;
    let browser = Browser::start().await.unwrap();

    browser.goto(&format!("{site}/accessible")).await.unwrap();
    browser.fill("#name", "Ada Lovelace").await.unwrap();
    browser.select("#colour", "green").await.unwrap();
    browser.click_and_wait("button[type=submit]").await.unwrap();
    assert_eq!(browser.current_url().await.unwrap().path(), "/sent");
    let text = browser.text().await.unwrap();
    assert!(
        text.contains("Received name=Ada+Lovelace&colour=green"),
        "{text}"
    );

    // By label as well as by value.
    browser.goto(&format!("{site}/accessible")).await.unwrap();
    browser.select("#colour", "Red").await.unwrap();
    browser
        .click_button_with_text("Send the form")
        .await
        .unwrap();
    assert!(browser.text().await.unwrap().contains("colour=red"));

    // What is not there is said so, with what is.
    let error = browser
        .click_button_with_text("No such button")
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("No such button"), "{error}");
    assert!(browser.find("#nothing").await.is_err());
    browser.goto(&format!("{site}/accessible")).await.unwrap();
    let link = browser.find_text("too wide").await.unwrap();
    assert_eq!(
        browser.element_text(&link).await.unwrap(),
        "A page that is too wide"
    );

    browser
        .login_as(&format!("{site}/start"), "Anna Jansen")
        .await
        .unwrap();
    let url = browser.current_url().await.unwrap();
    assert_eq!(url.as_str(), format!("{site}/home"));
    assert_ne!(url.origin().ascii_serialization(), issuer);
    assert!(browser.text().await.unwrap().contains("Welcome, Anna."));
    browser.close().await.unwrap();
}
