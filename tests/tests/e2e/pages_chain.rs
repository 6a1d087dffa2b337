//! The whole chain through the pages, in a real browser, as the people who do it: a school signals
//! a pupil → Leergeld picks up the referral and enters the application on the family's behalf (with
//! consent and gezag, citing the signal) → the regievoerder decides by the regeling → the shop
//! redeems the voucher at its till by typing the code → the school sees "Bediend". Once at desktop
//! width and once, for a second pupil, at phone width; axe, a screenshot and the no-sideways check
//! on every page.

use std::time::Duration;

use kindpakket_tests::browser::Browser;
use kindpakket_tests::client::{provision, Kindpakket, REGIE};
use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};

const G: &str = "GM0518";
const DEN_HAAG: (&str, &str) = ("GM0518", "Den Haag");
const TEST: &str = "pages_chain";

const SCHOOL: &str = "Basisschool De Regenboog (signaleert) — Den Haag";
const LEERGELD: &str = "Stichting Leergeld (partner: neemt aanvragen in, levert) — Den Haag";
const REGIEVOERDER: &str = "Regievoerder van de gemeente — Den Haag";
const SHOP: &str = "Fietsenwinkel De Spaak (kassa) — Den Haag";

/// A regeling with a voucher for school things (€ 75); Leergeld takes applications, the shop
/// redeems the voucher; school needs go to Leergeld within 10 working days; the school signals.
async fn set_up(kindpakket: &Kindpakket) {
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
    for (partner, name) in [
        ("leergeld", "Stichting Leergeld"),
        ("fietsenwinkel-de-spaak", "Fietsenwinkel De Spaak"),
    ] {
        kindpakket
            .enrol_partner(G, partner, name, &["schoolspullen"])
            .await
            .unwrap();
    }
    kindpakket
        .set_routing(
            G,
            json!([{"voorzieningsoort": "school", "wijk": null,
                    "naar": {"partner": "leergeld"}, "reactietermijnWerkdagen": 10}]),
        )
        .await
        .unwrap();
    kindpakket
        .enrol_signaller(G, "basisschool-de-regenboog", "Basisschool De Regenboog")
        .await
        .unwrap();
    // The services learn of enrolments from the regie stream: wait until the school may signal
    // and the shop may redeem.
    let school = kindpakket_tests::client::As {
        organisation: "basisschool-de-regenboog",
        role: "signaller",
    };
    kindpakket.wait_until_known(G, school).await.unwrap();
}

/// axe (no serious or critical violation), a screenshot, and no sideways scrolling.
async fn check(browser: &mut Browser, step: &str) {
    browser.assert_accessible(TEST, step).await.unwrap();
    browser.screenshot(TEST, step).await.unwrap();
    browser.assert_fits_width().await.unwrap();
}

/// Ticks a box or picks a radio button (a click by script: the label may lie over it).
async fn tick(browser: &Browser, css: &str) {
    browser
        .execute(
            "document.querySelector(arguments[0]).click(); return null;",
            vec![json!(css)],
        )
        .await
        .unwrap();
}

/// Sets a date field's value (typing into one depends on the browser's locale).
async fn set_date(browser: &Browser, css: &str, value: &str) {
    browser
        .execute(
            "document.querySelector(arguments[0]).value = arguments[1]; return null;",
            vec![json!(css), json!(value)],
        )
        .await
        .unwrap();
}

/// Logs out (if logged in) and in again as `user`, landing on `page`.
async fn log_in(browser: &Browser, base: &str, user: &str, page: &str) {
    if browser
        .text()
        .await
        .unwrap_or_default()
        .contains("Uitloggen")
    {
        browser.click_button_with_text("Uitloggen").await.unwrap();
    }
    browser
        .login_as(&format!("{base}/aanmelden?terug={page}"), user)
        .await
        .unwrap();
}

/// The last segment of the browser's address: the id of the object a page shows.
async fn id_in_address(browser: &Browser) -> String {
    let url = browser.current_url().await.unwrap();
    url.path_segments()
        .and_then(|mut segments| segments.next_back())
        .unwrap()
        .to_owned()
}

/// The voucher's code as the provision API gives it to regie (to check the page's).
async fn voucher_code(kindpakket: &Kindpakket, application: &str) -> String {
    let decided = kindpakket
        .get(
            &kindpakket.application_url(G, &format!("aanvragen/{application}")),
            Some(REGIE),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let entitlement = decided["rechten"][0]["id"].as_str().unwrap().to_owned();
    let url = kindpakket.provision_url(G, &format!("rechten/{entitlement}"));
    let right: Value = wait_until("the voucher opened", Duration::from_secs(30), || async {
        let answer = kindpakket.get(&url, Some(REGIE)).await?;
        when(answer.status == StatusCode::OK, answer.body)
    })
    .await
    .unwrap();
    right["passen"][0]["code"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_becomes_a_served_child_through_the_pages_at_desktop_and_phone_width() {
    let platform = Platform::start().await.unwrap();
    let _login = platform.start_login(&[DEN_HAAG]).await.unwrap();
    let base = platform.url(ServiceName::Dashboard, "");
    let kindpakket = platform.client();
    set_up(&kindpakket).await;

    let mut browser = Browser::start().await.unwrap();
    for (width, pupil, born) in [
        ("desktop", "Noor", "2016-04-12"),
        ("telefoon", "Daan", "2015-09-03"),
    ] {
        if width == "telefoon" {
            browser.phone().await.unwrap();
        } else {
            browser.desktop().await.unwrap();
        }
        let step = |name: &str| format!("{width}-{name}");

        // 1. The school signals the pupil: name, date of birth, what the family needs.
        log_in(&browser, &base, SCHOOL, "/signaleren").await;
        check(&mut browser, &step("1-school-signaleren")).await;
        browser.fill("#voornaam", pupil).await.unwrap();
        browser.fill("#achternaam", "Visser").await.unwrap();
        let (year, rest) = born.split_at(4);
        let dutch = format!("{}-{}-{year}", &rest[4..6], &rest[1..3]);
        browser.fill("#geboortedatum", &dutch).await.unwrap();
        tick(&browser, "#soort-school").await;
        tick(&browser, "#reden-laag_inkomen").await;
        browser
            .click_button_with_text("Signalering versturen")
            .await
            .unwrap();
        let text = browser.text().await.unwrap();
        assert!(text.contains("Uw signalering is verstuurd"), "{text}");
        assert!(text.contains("Stichting Leergeld"), "{text}");
        check(&mut browser, &step("2-school-verstuurd")).await;

        // 2. Leergeld picks up the referral and enters the application on the family's behalf.
        log_in(&browser, &base, LEERGELD, "/verwijzingen").await;
        let referrals = wait_until("the referral listed", Duration::from_secs(30), || async {
            browser.goto(&format!("{base}/verwijzingen")).await?;
            let text = browser.text().await?;
            when(text.contains("Openen"), text)
        })
        .await
        .unwrap();
        assert!(
            referrals.contains("Basisschool De Regenboog"),
            "{referrals}"
        );
        check(&mut browser, &step("3-leergeld-verwijzingen")).await;
        // The new referral: the row still waiting to be picked up (the first pupil's is done).
        let open = browser
            .execute(
                "for (const row of document.querySelectorAll('tbody tr')) {
                   if (row.innerText.includes('Doorverwezen')) { return row.querySelector('a').href; }
                 }
                 return null;",
                vec![],
            )
            .await
            .unwrap();
        browser.goto(open.as_str().unwrap()).await.unwrap();
        browser
            .click_button_with_text("Verwijzing oppakken")
            .await
            .unwrap();
        let text = browser.text().await.unwrap();
        assert!(text.contains("Aanvraag invoeren voor dit gezin"), "{text}");
        check(&mut browser, &step("4-leergeld-opgepakt")).await;
        browser
            .click_button_with_text("Aanvraag invoeren voor dit gezin")
            .await
            .unwrap();
        check(&mut browser, &step("5-leergeld-aanvraagformulier")).await;
        browser.fill("#ouder_voornaam", "Mila").await.unwrap();
        browser.fill("#ouder_achternaam", "Visser").await.unwrap();
        set_date(&browser, "#ouder_geboortedatum", "1988-02-20").await;
        browser.fill("#kind1_voornaam", pupil).await.unwrap();
        browser.fill("#kind1_achternaam", "Visser").await.unwrap();
        set_date(&browser, "#kind1_geboortedatum", born).await;
        browser.fill("#inkomen", "105").await.unwrap();
        tick(&browser, "#voorziening-schoolspullen").await;
        tick(&browser, "#toestemming").await;
        tick(&browser, "#gezag").await;
        browser
            .click_button_with_text("Aanvraag indienen")
            .await
            .unwrap();
        let text = browser.text().await.unwrap();
        assert!(!text.contains("Niet gelukt"), "{text}");
        let application = id_in_address(&browser).await;
        check(&mut browser, &step("6-leergeld-ingediend")).await;

        // 3. The regievoerder finds it among those to decide and decides by the regeling.
        log_in(&browser, &base, REGIEVOERDER, "/aanvragen").await;
        let inbox = browser.text().await.unwrap();
        assert!(
            inbox.contains("Te beslissen") || inbox.contains("te beslissen"),
            "{inbox}"
        );
        check(&mut browser, &step("7-regie-aanvragen")).await;
        browser
            .goto(&format!("{base}/aanvragen/{application}"))
            .await
            .unwrap();
        browser
            .click_button_with_text("Beslissen volgens de regeling")
            .await
            .unwrap();
        let text = browser.text().await.unwrap();
        assert!(text.contains("Toegekend"), "{text}");
        assert!(text.contains("€ 75,00"), "{text}");
        check(&mut browser, &step("8-regie-besloten")).await;

        // 4. The regievoerder hands the family the voucher's code (shown beside the entitlement
        //    once the provision service opened it); the family shows it at the shop, where it is
        //    typed at the till.
        let code = wait_until(
            "the voucher's code shown",
            Duration::from_secs(30),
            || async {
                browser
                    .goto(&format!("{base}/aanvragen/{application}"))
                    .await?;
                let code = browser
                    .execute(
                        "const cell = document.querySelector('td.kp-code');
                     return cell ? cell.innerText.trim() : '';",
                        vec![],
                    )
                    .await?;
                let code = code.as_str().unwrap_or("").to_owned();
                when(code.len() > 4, code)
            },
        )
        .await
        .unwrap();
        assert_eq!(code, voucher_code(&kindpakket, &application).await);
        check(&mut browser, &step("8b-regie-pascode")).await;
        log_in(&browser, &base, SHOP, "/kassa").await;
        check(&mut browser, &step("9-winkel-kassa")).await;
        browser.fill("#code", &code).await.unwrap();
        browser.fill("#bedrag", "75,00").await.unwrap();
        browser.click_button_with_text("Afboeken").await.unwrap();
        let text = browser.text().await.unwrap();
        assert!(text.contains("Gelukt"), "{text}");
        assert!(text.contains("€ 75,00"), "{text}");
        let address = browser.current_url().await.unwrap().to_string();
        assert!(
            !address.contains(&code),
            "the code in an address: {address}"
        );
        check(&mut browser, &step("10-winkel-afgeboekt")).await;

        // 5. The school sees what became of its signal: "Bediend", and nothing of the application.
        log_in(&browser, &base, SCHOOL, "/signaleringen").await;
        let list = wait_until(
            "the school sees bediend",
            Duration::from_secs(30),
            || async {
                browser.goto(&format!("{base}/signaleringen")).await?;
                let text = browser.text().await?;
                when(text.contains("Bediend"), text)
            },
        )
        .await
        .unwrap();
        for private in ["105", "Mila", "Fietsenwinkel", "€"] {
            assert!(
                !list.contains(private),
                "{private} shown to the school: {list}"
            );
        }
        check(&mut browser, &step("11-school-bediend")).await;
    }
    browser.close().await.unwrap();
}
