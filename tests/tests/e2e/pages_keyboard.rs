//! The pages by keyboard alone, as someone who cannot use a mouse works: the skip link first, a
//! visible focus ring on everything reached, and a school's signal sent without touching the mouse.

use std::time::Duration;

use kindpakket_tests::browser::{keys, Browser};
use kindpakket_tests::client::{provision, As};
use kindpakket_tests::{wait_until, when, Platform, ServiceName};

const G: &str = "GM0518";

/// Presses Tab until the element with `id` has the focus (at most `most` times; an `id` ending in
/// `-` is a prefix: the first of a radio group), checking that every element on the way shows
/// where the focus is.
async fn tab_to(browser: &Browser, id: &str, most: usize) {
    for _ in 0..most {
        browser.press(&[keys::TAB]).await.unwrap();
        let focused = browser.focused().await.unwrap();
        assert_eq!(focused["ring"], true, "no visible focus on {focused}");
        let reached = focused["id"].as_str().unwrap_or("");
        if reached == id || (id.ends_with('-') && reached.starts_with(id)) {
            return;
        }
    }
    panic!("{id} not reached with {most} presses of Tab");
}

/// Moves through a radio group with the arrow key until `id` is chosen.
async fn arrow_to(browser: &Browser, id: &str) {
    for _ in 0..10 {
        if browser.focused().await.unwrap()["id"] == id {
            browser.press(&[keys::SPACE]).await.unwrap();
            return;
        }
        browser.press(&[keys::DOWN]).await.unwrap();
    }
    panic!("{id} not reached with the arrow keys");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_school_signals_a_child_with_the_keyboard_alone_and_always_sees_where_the_focus_is() {
    let platform = Platform::start().await.unwrap();
    let _login = platform.start_login(&[(G, "Den Haag")]).await.unwrap();
    let base = platform.url(ServiceName::Dashboard, "");
    let kindpakket = platform.client();
    let year = kindpakket_platform::clock::today().year();
    kindpakket
        .publish_regeling(
            G,
            year,
            &[provision(
                "schoolspullen",
                "Schoolspullen",
                "school",
                (4, 17),
                7_500,
                "tegoedbon",
            )],
        )
        .await
        .unwrap();
    kindpakket
        .enrol_signaller(G, "basisschool-de-regenboog", "Basisschool De Regenboog")
        .await
        .unwrap();
    let school = As {
        organisation: "basisschool-de-regenboog",
        role: "signaller",
    };
    kindpakket.wait_until_known(G, school).await.unwrap();

    let mut browser = Browser::start().await.unwrap();
    browser.desktop().await.unwrap();
    browser
        .login_as(
            &format!("{base}/aanmelden?terug=/signaleren"),
            "Basisschool De Regenboog (signaleert) — Den Haag",
        )
        .await
        .unwrap();
    // The first Tab reaches the skip link, which takes the focus past the header and the tasks.
    browser.press(&[keys::TAB]).await.unwrap();
    let skip = browser.focused().await.unwrap();
    assert_eq!(skip["text"], "Naar de inhoud", "{skip}");
    assert_eq!(skip["ring"], true, "{skip}");
    browser.press(&[keys::ENTER]).await.unwrap();

    tab_to(&browser, "voornaam", 5).await;
    browser.press(&["Noor"]).await.unwrap();
    tab_to(&browser, "achternaam", 3).await;
    browser.press(&["Visser"]).await.unwrap();
    tab_to(&browser, "geboortedatum", 3).await;
    browser.press(&["12-04-2016"]).await.unwrap();
    // The BSN field is next; then the needs, one radio group, chosen with the arrow keys.
    tab_to(&browser, "soort-", 4).await;
    arrow_to(&browser, "soort-school").await;
    browser.press(&[keys::TAB]).await.unwrap();
    let reasons = browser.focused().await.unwrap();
    assert!(
        reasons["id"].as_str().unwrap_or("").starts_with("reden-"),
        "then the group of reasons: {reasons}"
    );
    arrow_to(&browser, "reden-laag_inkomen").await;
    // On to the button, and Enter sends the form.
    for _ in 0..8 {
        browser.press(&[keys::TAB]).await.unwrap();
        let focused = browser.focused().await.unwrap();
        assert_eq!(focused["ring"], true, "no visible focus on {focused}");
        if focused["text"] == "Signalering versturen" {
            break;
        }
    }
    assert_eq!(
        browser.focused().await.unwrap()["text"],
        "Signalering versturen"
    );
    browser.press(&[keys::ENTER]).await.unwrap();
    let sent = wait_until("the confirmation", Duration::from_secs(20), || async {
        let text = browser.text().await?;
        when(text.contains("Uw signalering is verstuurd"), text)
    })
    .await
    .unwrap();
    assert!(sent.contains("Schoolspullen of schoolkosten"), "{sent}");
    browser.close().await.unwrap();
}
