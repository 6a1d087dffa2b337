//! Every page of every role in one sweep, at a phone's width and a desktop's: axe-core finds no
//! serious or critical violation, nothing scrolls sideways, and each is saved as a screenshot.
//! The walks of each area check what the pages say; this checks that none is left out.

use kindpakket_tests::browser::Browser;
use kindpakket_tests::{Platform, ServiceName};

const G: &str = "GM0518";
const TEST: &str = "pages_axe";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_of_every_role_passes_axe_at_phone_and_desktop_width() {
    let platform = Platform::start().await.unwrap();
    let _login = platform.start_login(&[(G, "Den Haag")]).await.unwrap();
    let base = platform.url(ServiceName::Dashboard, "");
    let kindpakket = platform.client();
    let year = kindpakket_platform::clock::today().year();
    kindpakket.sport_regeling(G, year).await.unwrap();
    kindpakket
        .enrol_partner(G, "leergeld", "Stichting Leergeld", &["sportcontributie"])
        .await
        .unwrap();
    kindpakket
        .enrol_signaller(G, "basisschool-de-regenboog", "Basisschool De Regenboog")
        .await
        .unwrap();

    // (the label on the development login, the pages of that role)
    let roles: [(&str, &[&str]); 5] = [
        (
            "Basisschool De Regenboog (signaleert) — Den Haag",
            &[
                "/start",
                "/signaleren",
                "/signaleringen",
                "/aanvragen/nieuw",
            ],
        ),
        (
            "Stichting Leergeld (partner: neemt aanvragen in, levert) — Den Haag",
            &[
                "/verwijzingen",
                "/aanvragen/nieuw",
                "/aanvragen",
                "/rechten",
                "/kassa",
                "/declaraties",
                // A page of another role: the refusal is a page too.
                "/regie",
            ],
        ),
        (
            "Regievoerder van de gemeente — Den Haag",
            &[
                "/regie",
                "/regie/werkbak/te-beslissen",
                "/regie/werkbak/te-laat",
                "/regie/werkbak/te-beoordelen",
                "/regie/werkbak/af-te-rekenen",
                "/regie/regeling",
                "/regie/partners",
                "/regie/budgetten",
                "/regie/doelgroep",
                "/overleg",
                "/dashboard",
                "/",
            ],
        ),
        (
            "Ouder (gezin Jansen, ingelogd met DigiD) — Den Haag",
            &[
                "/ouder",
                "/ouder/aanvragen",
                "/ouder/aanvragen/nieuw",
                "/ouder/rechten",
                "/ouder/bon",
                "/wensen",
            ],
        ),
        (
            "Lid van het kwartaaloverleg — Den Haag",
            &["/start", "/overleg"],
        ),
    ];
    let mut browser = Browser::start().await.unwrap();
    // Before anyone logs in: the start page and the dashboard's login page.
    for phone in [true, false] {
        if phone {
            browser.phone().await.unwrap();
        } else {
            browser.desktop().await.unwrap();
        }
        for page in ["/start", "/inloggen"] {
            browser.goto(&format!("{base}{page}")).await.unwrap();
            check(&mut browser, page).await;
        }
    }
    for (user, pages) in roles {
        browser.goto(&format!("{base}/start")).await.unwrap();
        if browser.text().await.unwrap().contains("Uitloggen") {
            browser.click_button_with_text("Uitloggen").await.unwrap();
        }
        browser
            .login_as(&format!("{base}/aanmelden?terug=/start"), user)
            .await
            .unwrap();
        for phone in [true, false] {
            if phone {
                browser.phone().await.unwrap();
            } else {
                browser.desktop().await.unwrap();
            }
            for page in pages {
                browser.goto(&format!("{base}{page}")).await.unwrap();
                let text = browser.text().await.unwrap();
                assert!(!text.contains("Er ging iets mis"), "{user} {page}: {text}");
                check(&mut browser, page).await;
            }
        }
    }
    browser.close().await.unwrap();
}

async fn check(browser: &mut Browser, page: &str) {
    let step = match page.trim_matches('/') {
        "" => "root".to_owned(),
        name => name.replace('/', "-"),
    };
    browser.assert_accessible(TEST, &step).await.unwrap();
    browser.assert_fits_width().await.unwrap();
    browser.screenshot(TEST, &step).await.unwrap();
}
