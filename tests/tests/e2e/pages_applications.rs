//! The pages of applications, as the people who use them and as attackers: Stichting Leergeld
//! enters an application on a family's behalf (consent and gezag, or nothing is done), the
//! regievoerder decides it and the page explains the outcome per child and provision, maatwerk
//! with a BSN in its motivation is refused; another partner, another household, a signaller and a
//! forged form get nothing and change nothing (checked through the API). And in a real browser:
//! the parent applies online at phone and desktop width, Leergeld enters one, axe on every page.

use std::time::Duration;

use kindpakket_tests::browser::Browser;
use kindpakket_tests::client::{on_behalf, As, Kindpakket, REGIE};
use kindpakket_tests::pages::{PageAnswer, PageSession};
use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};

const G: &str = "GM0518";
const DEN_HAAG: (&str, &str) = ("GM0518", "Den Haag");
const LEERGELD: As<'static> = As {
    organisation: "leergeld",
    role: "partner",
};

fn today() -> String {
    kindpakket_platform::clock::today().to_string()
}

/// A regeling in force this year (sportcontributie, € 250, ages 4–17, up to 120% of the social
/// minimum), Leergeld enrolled to take in applications, the wijkteam to signal; and a first
/// application through the API, decided, so that the application service knows all of it before
/// the pages are used.
async fn prepared(kindpakket: &Kindpakket) {
    let year = kindpakket_platform::clock::today().year();
    kindpakket.sport_regeling(G, year).await.unwrap();
    kindpakket
        .enrol_partner(G, "leergeld", "Stichting Leergeld", &["sportcontributie"])
        .await
        .unwrap();
    kindpakket
        .enrol_signaller(G, "wijkteam-centrum", "Wijkteam Centrum")
        .await
        .unwrap();
    let identified = wait_until("Leergeld may identify", Duration::from_secs(20), || async {
        let answer = kindpakket
            .identify(
                G,
                LEERGELD,
                &json!({"kind": {"bsn": "999999990"}, "ouder": {"bsn": "100000009"}}),
            )
            .await?;
        when(answer.status == StatusCode::OK, answer.body)
    })
    .await
    .unwrap();
    let body = on_behalf(json!({
        "kanaal": "partner",
        "huishouden": identified["huishouden"],
        "kinderen": [{"kind": identified["kind"], "geboortejaar": 2015, "geboortemaand": 2}],
        "inkomenPercentage": 100,
        "voorzieningen": ["sportcontributie"],
    }));
    let created = kindpakket
        .submit_as(G, LEERGELD, &body)
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let id = uuid::Uuid::parse_str(created["id"].as_str().unwrap()).unwrap();
    kindpakket
        .assess(G, id, &json!({}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
}

/// The application as the gemeente reads it through the API.
async fn as_gemeente(kindpakket: &Kindpakket, id: &str) -> Value {
    kindpakket
        .get(
            &kindpakket.application_url(G, &format!("aanvragen/{id}")),
            Some(REGIE),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap()
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

/// The fields of Leergeld's form for one family: Noor, born April 2016, 110% of the minimum.
fn family_fields(consent: bool, today: &str) -> Vec<(&str, &str)> {
    let mut fields = vec![
        ("ouder_bsn", "123456782"),
        ("kind1_voornaam", "Noor"),
        ("kind1_achternaam", "Bakker"),
        ("kind1_geboortedatum", "2016-04-12"),
        ("inkomen", "110"),
        ("volwassenen", "1"),
        ("voorziening", "sportcontributie"),
        ("toestemming_datum", today),
        ("toestemming_vorm", "mondeling"),
        ("gezag", "ja"),
    ];
    if consent {
        fields.push(("toestemming", "ja"));
    }
    fields
}

fn id_from(answer: &PageAnswer, prefix: &str) -> String {
    let location = answer.location.clone().expect("a redirect");
    location
        .strip_prefix(prefix)
        .and_then(|rest| rest.split('?').next())
        .unwrap_or_else(|| panic!("{location}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leergeld_enters_an_application_with_consent_and_gezag_and_the_regievoerder_decides_it_on_the_page(
) {
    let platform = Platform::start().await.unwrap();
    let _login = platform.start_login(&[DEN_HAAG]).await.unwrap();
    let kindpakket = platform.client();
    prepared(&kindpakket).await;
    let base = platform.url(ServiceName::Dashboard, "");
    let today = today();

    let mut leergeld = PageSession::login(&base, "leergeld", G).await.unwrap();
    // The dashboard learns the published regeling from the stream, a moment after.
    let form = wait_until(
        "the form offers the regeling",
        Duration::from_secs(20),
        || async {
            let form = leergeld.clone().get("/aanvragen/nieuw").await?;
            when(form.text().contains("Sportcontributie"), form)
        },
    )
    .await
    .unwrap();
    leergeld.get("/aanvragen/nieuw").await.unwrap();
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    let text = form.text();
    for expected in [
        "De ouder geeft toestemming",
        "De ouder heeft het gezag",
        "sociaal minimum",
        "Sportcontributie",
        "voor kinderen van 4 tot 17 jaar",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }

    // Without the consent box: the page's Dutch refusal, the values kept, nobody looked up.
    let events = platform.events_stored(ServiceName::Application).await;
    let persons = vault_persons(&platform).await;
    let refused = leergeld
        .post("/aanvragen/nieuw", &family_fields(false, &today))
        .await
        .unwrap();
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().contains("Zonder toestemming van de ouder"),
        "{}",
        refused.text()
    );
    assert!(refused.html.contains(r#"value="Noor""#), "values kept");
    assert!(refused.html.contains(r#"value="110""#), "values kept");
    assert_eq!(
        platform.events_stored(ServiceName::Application).await,
        events
    );
    assert_eq!(vault_persons(&platform).await, persons, "nobody looked up");

    // An application the API refuses (a BSN that fails the 11-proef): its Dutch words beside the
    // form, nothing stored.
    let mut bad_bsn = family_fields(true, &today);
    bad_bsn[0] = ("ouder_bsn", "123456789");
    let refused = leergeld.post("/aanvragen/nieuw", &bad_bsn).await.unwrap();
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text()
    );
    assert!(refused.text().contains("'ouder'"), "{}", refused.text());
    assert!(refused.html.contains(r#"value="123456789""#), "values kept");
    assert_eq!(
        platform.events_stored(ServiceName::Application).await,
        events
    );

    // With consent and gezag: submitted, by Leergeld, as the API shows.
    let submitted = leergeld
        .post("/aanvragen/nieuw", &family_fields(true, &today))
        .await
        .unwrap();
    assert_eq!(
        submitted.status,
        StatusCode::SEE_OTHER,
        "{}",
        submitted.text()
    );
    let id = id_from(&submitted, "/aanvragen/");
    let shown = leergeld.follow(&submitted).await.unwrap();
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text());
    let text = shown.text();
    assert!(text.contains("De aanvraag is ingediend"), "{text}");
    assert!(text.contains("Ingediend, wacht op besluit"), "{text}");
    assert!(text.contains("Kind 1, geboren in april 2016"), "{text}");
    assert!(text.contains("110% van het sociaal minimum"), "{text}");
    assert!(
        !text.contains("Beslissen volgens de regeling"),
        "Leergeld has no mandate to decide"
    );
    let read = as_gemeente(&kindpakket, &id).await;
    assert_eq!(read["status"], "ingediend");
    assert_eq!(read["namens"], "leergeld");
    assert_eq!(read["ingenomen"]["door"], "intermediair");
    assert_eq!(read["ingenomen"]["organisatie"], "leergeld");
    assert_eq!(read["ingenomen"]["toestemming"]["vorm"], "mondeling");
    assert_eq!(read["ingenomen"]["gezag"]["verklaard"], true);
    assert_eq!(read["inkomenPercentage"], 110);
    let child = read["kinderen"][0]["kind"].as_str().unwrap().to_owned();

    // The regievoerder finds it among "Te beslissen", the default of the work list.
    let mut regie = PageSession::login(&base, "regievoerder", G).await.unwrap();
    let href = format!("/aanvragen/{id}");
    wait_until(
        "the work list shows it",
        Duration::from_secs(20),
        || async {
            let list = regie.clone().get("/aanvragen").await?;
            when(list.html.contains(&href), list)
        },
    )
    .await
    .unwrap();
    let list = regie.get("/aanvragen").await.unwrap();
    assert!(list.text().contains("Te beslissen"), "{}", list.text());
    let page = regie.get(&href).await.unwrap();
    assert!(page.text().contains("Beslissen volgens de regeling"));
    assert!(page.text().contains("Beslissen met maatwerk"));

    // Maatwerk whose motivation holds a BSN: refused in Dutch, the motivation kept, nothing changed.
    let events = platform.events_stored(ServiceName::Application).await;
    let grant = format!("{child}|sportcontributie");
    let refused = regie
        .post(
            &format!("/aanvragen/{id}/maatwerk"),
            &[
                ("datum", today.as_str()),
                ("toekenning", grant.as_str()),
                ("motivatie", "Moeder (BSN 123456782) heeft schulden."),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text()
    );
    let text = refused.text();
    assert!(text.contains("Niet gelukt."), "{text}");
    assert!(text.contains("motivatie"), "{text}");
    assert_eq!(as_gemeente(&kindpakket, &id).await["status"], "ingediend");
    assert_eq!(
        platform.events_stored(ServiceName::Application).await,
        events
    );

    // Decided by the regeling: the outcome per child and provision, with the API's explanation.
    let decided = regie
        .post(
            &format!("/aanvragen/{id}/beoordeling"),
            &[("datum", today.as_str())],
        )
        .await
        .unwrap();
    assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.text());
    let page = regie.follow(&decided).await.unwrap();
    let text = page.text();
    for expected in [
        "Het besluit is genomen",
        "Toegekend",
        "Besluit per kind",
        "Kind 1, geboren in april 2016",
        "Sportcontributie",
        "€ 250,00",
        "Inkomen onder de grens",
        "code within_threshold",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    let read = as_gemeente(&kindpakket, &id).await;
    assert_eq!(read["status"], "toegekend");
    let explanation = read["beoordeling"]["uitkomsten"][0]["uitleg"]
        .as_str()
        .unwrap();
    assert!(
        text.contains(explanation),
        "the API's explanation: {explanation}"
    );
    assert!(!page.text().contains("Beslissen volgens de regeling"));

    // Leergeld reads the outcome too, under its own references.
    let theirs = leergeld.get(&href).await.unwrap();
    assert!(theirs.text().contains("€ 250,00"), "{}", theirs.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_partner_another_household_a_signaller_and_a_forged_form_get_nothing_and_change_nothing(
) {
    let platform = Platform::start().await.unwrap();
    let _login = platform.start_login(&[DEN_HAAG]).await.unwrap();
    let kindpakket = platform.client();
    prepared(&kindpakket).await;
    let base = platform.url(ServiceName::Dashboard, "");
    let today = today();

    let mut leergeld = PageSession::login(&base, "leergeld", G).await.unwrap();
    leergeld.get("/aanvragen/nieuw").await.unwrap();
    let submitted = leergeld
        .post("/aanvragen/nieuw", &family_fields(true, &today))
        .await
        .unwrap();
    assert_eq!(
        submitted.status,
        StatusCode::SEE_OTHER,
        "{}",
        submitted.text()
    );
    let id = id_from(&submitted, "/aanvragen/");
    let href = format!("/aanvragen/{id}");
    let hidden = ["Kind 1, geboren", "sociaal minimum", "Sportcontributie"];

    // The Jeugdfonds (a partner without a mandate to decide) opens Leergeld's application: as if
    // it did not exist.
    let mut jeugdfonds = PageSession::login(&base, "jeugdfonds", G).await.unwrap();
    let refused = jeugdfonds.get(&href).await.unwrap();
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.text());
    for secret in hidden {
        assert!(!refused.text().contains(secret), "{}", refused.text());
    }

    // A parent opens another household's application: not found, nothing shown.
    let mut ouder = PageSession::login(&base, "ouder", G).await.unwrap();
    let refused = ouder.get(&format!("/ouder{href}")).await.unwrap();
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.text());
    for secret in hidden {
        assert!(!refused.text().contains(secret), "{}", refused.text());
    }
    // … nor on the staff page (another role).
    assert_eq!(
        ouder.get(&href).await.unwrap().status,
        StatusCode::FORBIDDEN
    );

    // A signaller: no decision offered, and a forged decision refused by the API.
    let events = platform.events_stored(ServiceName::Application).await;
    let mut wijkteam = PageSession::login(&base, "wijkteam", G).await.unwrap();
    let page = wijkteam.get(&href).await.unwrap();
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.text());
    assert!(!page.text().contains("Beslissen"));
    for secret in hidden {
        assert!(!page.text().contains(secret), "{}", page.text());
    }
    wijkteam.get("/aanvragen/nieuw").await.unwrap();
    let forged = wijkteam
        .post(&format!("{href}/beoordeling"), &[("datum", today.as_str())])
        .await
        .unwrap();
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.text());
    assert!(forged.text().contains("Niet gelukt."), "{}", forged.text());
    // Leergeld, without a mandate, forges one too: refused.
    let forged = leergeld
        .post(&format!("{href}/beoordeling"), &[("datum", today.as_str())])
        .await
        .unwrap();
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.text());
    assert_eq!(as_gemeente(&kindpakket, &id).await["status"], "ingediend");
    assert_eq!(
        platform.events_stored(ServiceName::Application).await,
        events
    );

    // Posts without the form token (another site's form): refused, nothing stored or decided.
    let persons = vault_persons(&platform).await;
    let mut fields = family_fields(true, &today);
    fields[0] = ("ouder_bsn", "100000009");
    let forged = leergeld
        .post_raw("/aanvragen/nieuw", &fields)
        .await
        .unwrap();
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.text());
    let mut regie = PageSession::login(&base, "regievoerder", G).await.unwrap();
    let forged = regie
        .post_raw(&format!("{href}/beoordeling"), &[("datum", today.as_str())])
        .await
        .unwrap();
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.text());
    assert!(forged.text().contains("Er is niets opgeslagen"));
    assert_eq!(as_gemeente(&kindpakket, &id).await["status"], "ingediend");
    assert_eq!(
        platform.events_stored(ServiceName::Application).await,
        events
    );
    assert_eq!(vault_persons(&platform).await, persons);

    // The parent applies online over HTTP and finds it on "Ons Kindpakket", with who helped.
    ouder.get("/ouder/aanvragen/nieuw").await.unwrap();
    let applied = ouder
        .post(
            "/ouder/aanvragen/nieuw",
            &[
                ("kind1_voornaam", "Sem"),
                ("kind1_achternaam", "Jansen"),
                ("kind1_bsn", "111222333"),
                ("kind1_geboortedatum", "2014-09-03"),
                ("inkomen", "105"),
                ("voorziening", "sportcontributie"),
                ("geholpen_door", "leergeld"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.text());
    let own = id_from(&applied, "/ouder/aanvragen/");
    let page = ouder.follow(&applied).await.unwrap();
    assert!(
        page.text().contains("Uw aanvraag is verstuurd"),
        "{}",
        page.text()
    );
    let read = as_gemeente(&kindpakket, &own).await;
    assert_eq!(read["kanaal"], "online");
    assert_eq!(
        read["huishouden"],
        kindpakket_platform::dev_issuer::test_household(G).to_string()
    );
    assert_eq!(
        read["ingenomen"],
        json!({"door": "ouder", "geholpenDoor": "leergeld"})
    );
    wait_until(
        "the parent's list shows it",
        Duration::from_secs(20),
        || async {
            let home = ouder.clone().get("/ouder").await?;
            when(home.html.contains(&format!("/ouder/aanvragen/{own}")), ())
        },
    )
    .await
    .unwrap();
}

const TEST: &str = "pages_applications";

/// Ticks a checkbox, or sets a date field (typing into one depends on the browser's locale).
async fn set(browser: &Browser, css: &str, value: Option<&str>) {
    browser
        .execute(
            "const field = document.querySelector(arguments[0]);
             if (arguments[1] === null) { field.click(); } else { field.value = arguments[1]; }
             return null;",
            vec![json!(css), json!(value)],
        )
        .await
        .unwrap();
}

/// Shows pages at a phone's width (`telefoon`) or a desktop's. Once more when the window's new size
/// was not yet in place when the harness measured it (seen once under load).
async fn at_width(browser: &mut Browser, width: &str) {
    for attempt in 0..2 {
        let resized = if width == "telefoon" {
            browser.phone().await
        } else {
            browser.desktop().await
        };
        match resized {
            Ok(()) => return,
            Err(error) if attempt == 1 => panic!("{error:#}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
}

/// Clicks a button far down a long form. The NL Design System's root scrolls smoothly (unless the
/// person asks for reduced motion), and WebDriver clicks where the button is before the scroll has
/// ended ("click intercepted"): scroll at once for the test, as a reduced-motion setting would.
async fn submit(browser: &Browser, text: &str) {
    browser
        .execute(
            "document.documentElement.style.scrollBehavior = 'auto'; return null;",
            vec![],
        )
        .await
        .unwrap();
    browser.click_button_with_text(text).await.unwrap();
}

async fn checked(browser: &mut Browser, step: &str) {
    // The parent's walk and Leergeld's in two browsers, each with a folder of screenshots.
    let test = match step.strip_prefix("leergeld-") {
        Some(_) => "pages_applications_leergeld",
        None => TEST,
    };
    browser.assert_accessible(test, step).await.unwrap();
    browser.assert_fits_width().await.unwrap();
    browser.screenshot(test, step).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_the_parent_applies_online_on_a_phone_and_a_desktop_and_leergeld_enters_one() {
    let platform = Platform::start().await.unwrap();
    let _login = platform.start_login(&[DEN_HAAG]).await.unwrap();
    let kindpakket = platform.client();
    prepared(&kindpakket).await;
    let base = platform.url(ServiceName::Dashboard, "");

    let mut browser = Browser::start().await.unwrap();
    browser
        .login_as(
            &format!("{base}/aanmelden?terug=/ouder"),
            "Ouder (gezin Jansen, ingelogd met DigiD) — Den Haag",
        )
        .await
        .unwrap();
    for (width, bsn) in [("telefoon", "111222333"), ("bureau", "123456782")] {
        at_width(&mut browser, width).await;
        browser.goto(&format!("{base}/ouder")).await.unwrap();
        checked(&mut browser, &format!("{width}-1-ons-kindpakket")).await;
        browser
            .click_button_with_text("Kindpakket aanvragen")
            .await
            .unwrap();
        checked(&mut browser, &format!("{width}-2-formulier")).await;
        browser.fill("#kind1_voornaam", "Sem").await.unwrap();
        browser.fill("#kind1_achternaam", "Jansen").await.unwrap();
        browser.fill("#kind1_bsn", bsn).await.unwrap();
        set(&browser, "#kind1_geboortedatum", Some("2014-09-03")).await;
        browser.fill("#inkomen", "105").await.unwrap();
        set(&browser, "#voorziening-sportcontributie", None).await;
        // (Set as the list's value: a native list left open on a phone covers the button.)
        set(&browser, "#geholpen_door", Some("leergeld")).await;
        submit(&browser, "Aanvraag versturen").await;
        let text = browser.text().await.unwrap();
        assert!(text.contains("Uw aanvraag is verstuurd"), "{text}");
        assert!(text.contains("Ingediend, wacht op besluit"), "{text}");
        checked(&mut browser, &format!("{width}-3-verstuurd")).await;
    }
    browser.close().await.unwrap();

    let mut browser = Browser::start().await.unwrap();
    browser
        .login_as(
            &format!("{base}/aanmelden?terug=/aanvragen/nieuw"),
            "Stichting Leergeld (partner: neemt aanvragen in, levert) — Den Haag",
        )
        .await
        .unwrap();
    for width in ["telefoon", "bureau"] {
        at_width(&mut browser, width).await;
        browser
            .goto(&format!("{base}/aanvragen/nieuw"))
            .await
            .unwrap();
        checked(&mut browser, &format!("leergeld-{width}-1-formulier")).await;
        browser.fill("#ouder_bsn", "100000009").await.unwrap();
        browser.fill("#kind1_voornaam", "Noor").await.unwrap();
        browser.fill("#kind1_achternaam", "Bakker").await.unwrap();
        set(&browser, "#kind1_geboortedatum", Some("2016-04-12")).await;
        browser.fill("#inkomen", "110").await.unwrap();
        set(&browser, "#gezag", None).await;
        // First without consent: the refusal beside the form, the values kept.
        submit(&browser, "Aanvraag indienen").await;
        let text = browser.text().await.unwrap();
        assert!(text.contains("Zonder toestemming van de ouder"), "{text}");
        checked(&mut browser, &format!("leergeld-{width}-2-geweigerd")).await;
        set(&browser, "#toestemming", None).await;
        submit(&browser, "Aanvraag indienen").await;
        let text = browser.text().await.unwrap();
        assert!(text.contains("De aanvraag is ingediend"), "{text}");
        checked(&mut browser, &format!("leergeld-{width}-3-ingediend")).await;
        browser.goto(&format!("{base}/aanvragen")).await.unwrap();
        checked(&mut browser, &format!("leergeld-{width}-4-lijst")).await;
    }
    browser.close().await.unwrap();
}
