//! The regievoerder's pages, through the pages themselves: the inboxes show what waits (an
//! application to decide, a declaration to judge, an invoice to settle), settling an invoice and
//! judging a declaration through the page change what the API says, the regeling page shows the
//! catalogue, enrolling a partner through the page enrols it, and the API's Dutch refusals are shown
//! with nothing changed. Then the attacks: other roles, another gemeente's regievoerder, a post
//! without the form token. And the main task in a real browser at desktop and phone width.

use std::time::Duration;

use kindpakket_tests::browser::Browser;
use kindpakket_tests::client::{provision, As, Kindpakket, REGIE};
use kindpakket_tests::pages::{PageAnswer, PageSession};
use kindpakket_tests::wait::{wait_until, when};
use kindpakket_tests::{Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

const G: &str = "GM0518";
const DEN_HAAG: (&str, &str) = ("GM0518", "Den Haag");
const GRONINGEN: (&str, &str) = ("GM0014", "Groningen");
const CLUB: &str = "jeugdfonds-sport-cultuur";

/// What the setup made, through the APIs.
struct Setup {
    /// An application nobody decided yet.
    to_decide: Uuid,
    /// An invoice of the club with one line (a delivery of € 180).
    invoice: Uuid,
    /// A declaration on a zwemles entitlement: (entitlement, declaration).
    declaration: (Uuid, Uuid),
}

fn today() -> String {
    kindpakket_platform::clock::today().to_string()
}

fn year() -> i32 {
    kindpakket_platform::clock::today().year()
}

fn application(provisions: &[&str]) -> (Value, Uuid) {
    let child = Uuid::new_v4();
    (
        json!({
            "kanaal": "loket",
            "huishouden": Uuid::new_v4(),
            "kinderen": [{"kind": child, "geboortejaar": year() - 9, "geboortemaand": 2}],
            "inkomenPercentage": 110,
            "voorzieningen": provisions,
            "datum": today(),
        }),
        child,
    )
}

/// The entitlement as regie sees it, once the provision service opened it.
async fn opened(kindpakket: &Kindpakket, entitlement: Uuid) -> Value {
    let url = kindpakket.provision_url(G, &format!("rechten/{entitlement}"));
    wait_until(
        "the entitlement opened",
        Duration::from_secs(30),
        || async {
            let answer = kindpakket.get(&url, Some(REGIE)).await?;
            when(answer.status == StatusCode::OK, answer.body)
        },
    )
    .await
    .unwrap()
}

/// A regeling of this year (sport in kind, zwemles by declaration, a budget), the club enrolled,
/// an application to decide, a delivery the club invoiced, and a declaration to judge.
/// A child granted sport by hand, the club delivering `amount_cents` of it, and the club's
/// invoice of the year so far (its id).
async fn sport_invoiced(kindpakket: &Kindpakket, amount_cents: i64) -> Uuid {
    let (body, child) = application(&["sportcontributie"]);
    let granted = kindpakket.submit(G, &body).await.unwrap();
    let sport = kindpakket
        .grant(G, granted, child, "sportcontributie", 25_000, year())
        .await
        .unwrap();
    kindpakket
        .wait_for_entitlement(G, CLUB, sport, Duration::from_secs(30))
        .await
        .unwrap();
    kindpakket
        .deliver(G, CLUB, sport, amount_cents, &today())
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let invoice = kindpakket
        .post(
            &kindpakket.provision_url(G, "facturen"),
            As {
                organisation: CLUB,
                role: "partner",
            },
            &json!({"vanaf": format!("{}-01-01", year()), "tot": today()}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    Uuid::parse_str(invoice["id"].as_str().unwrap()).unwrap()
}

async fn set_up(kindpakket: &Kindpakket) -> Setup {
    let y = year();
    kindpakket
        .post(
            &kindpakket.regie_url(G, "regelingen"),
            REGIE,
            &json!({
                "jaar": y, "geldigVanaf": format!("{y}-01-01"), "geldigTot": format!("{y}-12-31"),
                "inkomensgrens": {"soort": "percentage", "percentage": 120},
                "glijdendeSchaal": [{"totPercentage": 130, "aandeelPercentage": 50}],
                "voorzieningen": [
                    provision("sportcontributie", "Sportcontributie", "maatschappelijke_participatie", (4, 17), 25_000, "in_natura"),
                    provision("zwemles", "Zwemles", "maatschappelijke_participatie", (4, 12), 30_000, "declaratie"),
                ],
                "budgetten": [{"voorziening": "sportcontributie", "bron": "gemeentelijke_fondsen", "bedragCent": 1_000_000}],
            }),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    kindpakket
        .enrol_partner(G, CLUB, "Jeugdfonds Sport & Cultuur", &["sportcontributie"])
        .await
        .unwrap();

    let (body, _) = application(&["sportcontributie"]);
    let to_decide = kindpakket.submit(G, &body).await.unwrap();

    // Sport granted by hand, delivered by the club, invoiced.
    let invoice = sport_invoiced(kindpakket, 18_000).await;

    // Zwemles granted; the loket declares a receipt for the parent.
    let (body, child) = application(&["zwemles"]);
    let swimming = kindpakket.submit(G, &body).await.unwrap();
    let lessons = kindpakket
        .grant(G, swimming, child, "zwemles", 30_000, y)
        .await
        .unwrap();
    opened(kindpakket, lessons).await;
    let declared = kindpakket
        .post(
            &kindpakket.provision_url(G, &format!("rechten/{lessons}/declaraties")),
            REGIE,
            &json!({"bedragCent": 3_450, "bewijs": "kassabon 123"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let declaration = Uuid::parse_str(declared["declaratie"].as_str().unwrap()).unwrap();
    Setup {
        to_decide,
        invoice,
        declaration: (lessons, declaration),
    }
}

/// The inbox page, once every work list shows what the setup made (the lists are read models: a
/// moment after the command).
async fn inboxes_showing(session: &mut PageSession, setup: &Setup) -> PageAnswer {
    let mut last = String::new();
    for _ in 0..100 {
        let page = session.get("/regie").await.unwrap();
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        if page
            .html
            .contains(&format!("/aanvragen/{}", setup.to_decide))
            && page
                .html
                .contains(&format!("/regie/facturen/{}", setup.invoice))
            && page.html.contains(&format!(
                "/regie/declaraties/{}/{}",
                setup.declaration.0, setup.declaration.1
            ))
        {
            return page;
        }
        last = page.text();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the inboxes never showed the setup: {last}");
}

async fn invoice_of(kindpakket: &Kindpakket, invoice: Uuid) -> Value {
    kindpakket
        .get(
            &kindpakket.provision_url(G, &format!("facturen/{invoice}")),
            Some(REGIE),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap()
}

async fn declaration_status(
    kindpakket: &Kindpakket,
    (entitlement, declaration): (Uuid, Uuid),
) -> String {
    let entitlement = opened(kindpakket, entitlement).await;
    entitlement["declaraties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["id"] == json!(declaration))
        .map(|item| item["status"].as_str().unwrap().to_owned())
        .unwrap()
}

async fn enrolment_status(kindpakket: &Kindpakket, gemeente: &str, code: &str) -> StatusCode {
    kindpakket
        .get(
            &kindpakket.regie_url(gemeente, &format!("partners/{code}")),
            Some(REGIE),
        )
        .await
        .unwrap()
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_regievoerder_sees_the_inboxes_settles_an_invoice_judges_a_declaration_and_enrols_a_partner(
) {
    let platform = Platform::start().await.unwrap();
    let _login = platform.start_login(&[DEN_HAAG]).await.unwrap();
    let base = platform.url(ServiceName::Dashboard, "");
    let kindpakket = platform.client();
    let setup = set_up(&kindpakket).await;
    let mut regie = PageSession::login(&base, "regievoerder", G).await.unwrap();

    // The inboxes: what waits, with counts.
    let page = inboxes_showing(&mut regie, &setup).await;
    let text = page.text();
    for words in [
        "Aanvragen te beslissen",
        "Verwijzingen te laat",
        "Declaraties te beoordelen",
        "Facturen af te rekenen",
        "Factuur van jeugdfonds-sport-cultuur",
        "€ 180,00",
        "€ 34,50",
        "Er zijn geen verwijzingen te laat.",
    ] {
        assert!(text.contains(words), "'{words}' in: {text}");
    }
    for task in [
        "Werkbakken",
        "Regeling",
        "Partners",
        "Budgetten",
        "Doelgroep",
    ] {
        assert!(text.contains(task), "the navigation names {task}");
    }
    // Each inbox on its own page, paged as the API pages.
    let own = regie.get("/regie/werkbak/af-te-rekenen").await.unwrap();
    assert_eq!(own.status, StatusCode::OK);
    assert!(own
        .html
        .contains(&format!("/regie/facturen/{}", setup.invoice)));
    let bad_cursor = regie
        .get("/regie/werkbak/te-beslissen?na=verzonnen")
        .await
        .unwrap();
    assert_eq!(
        bad_cursor.status,
        StatusCode::BAD_REQUEST,
        "{}",
        bad_cursor.text()
    );

    // Settling the invoice: one line, approved through the page.
    let path = format!("/regie/facturen/{}", setup.invoice);
    let page = regie.get(&path).await.unwrap();
    assert!(page.text().contains("nog te beoordelen"), "{}", page.text());
    let line = invoice_of(&kindpakket, setup.invoice).await["regels"][0]["verstrekking"]
        .as_str()
        .unwrap()
        .to_owned();
    // Rejecting without a reason: the API's Dutch refusal, nothing decided.
    let refused = regie
        .post(
            &path,
            &[
                ("verstrekking", line.as_str()),
                ("besluit", "afkeuren"),
                ("reden", ""),
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
    assert!(
        refused.text().contains("Niet gelukt."),
        "{}",
        refused.text()
    );
    assert!(refused.text().contains("reden"), "{}", refused.text());
    assert_eq!(
        invoice_of(&kindpakket, setup.invoice).await["regels"][0]["status"],
        "open"
    );
    let settled = regie
        .post(
            &path,
            &[
                ("verstrekking", line.as_str()),
                ("besluit", "goedkeuren"),
                ("reden", ""),
            ],
        )
        .await
        .unwrap();
    assert_eq!(settled.status, StatusCode::SEE_OTHER, "{}", settled.text());
    let shown = regie.follow(&settled).await.unwrap();
    assert!(
        shown.text().contains("Uw beoordeling is opgeslagen"),
        "{}",
        shown.text()
    );
    assert!(shown.text().contains("afgehandeld"), "{}", shown.text());
    let invoice = invoice_of(&kindpakket, setup.invoice).await;
    assert_eq!(invoice["regels"][0]["status"], "goedgekeurd", "{invoice}");
    assert_eq!(invoice["afgehandeld"], true);
    assert_eq!(invoice["goedgekeurdCent"], 18_000);

    // Judging the declaration: its proof shown; a rejection without reason refused in Dutch.
    let path = format!(
        "/regie/declaraties/{}/{}",
        setup.declaration.0, setup.declaration.1
    );
    let page = regie.get(&path).await.unwrap();
    assert!(page.text().contains("kassabon 123"), "{}", page.text());
    let refused = regie
        .post(&path, &[("besluit", "afwijzen"), ("reden", "")])
        .await
        .unwrap();
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text()
    );
    assert!(
        refused.text().contains("Niet gelukt."),
        "{}",
        refused.text()
    );
    assert_eq!(
        declaration_status(&kindpakket, setup.declaration).await,
        "ingediend"
    );
    let approved = regie
        .post(&path, &[("besluit", "goedkeuren")])
        .await
        .unwrap();
    assert_eq!(
        approved.status,
        StatusCode::SEE_OTHER,
        "{}",
        approved.text()
    );
    assert_eq!(
        declaration_status(&kindpakket, setup.declaration).await,
        "goedgekeurd"
    );

    // The regeling: its catalogue and income rules in words.
    let page = regie.get("/regie/regeling").await.unwrap();
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    for words in [
        "Sportcontributie",
        "Zwemles",
        "4 tot en met 17 jaar",
        "€ 250,00",
        "In natura (de partner levert)",
        "Declaratie (bonnetje)",
        "tot en met 120% van het sociaal minimum",
        "niet hoger dan 130%, dan krijgt het gezin 50% van de waarde",
        "alle signaleringen gaan naar het loket",
    ] {
        assert!(text.contains(words), "'{words}' in: {text}");
    }
    // The routing set through the page; a partner not enrolled for the type is refused in Dutch.
    let refused = regie
        .post(
            "/regie/regeling/routering",
            &[
                ("soort", "maatschappelijke_participatie"),
                ("wijk", ""),
                ("naar", "niemand-bekend"),
                ("termijn", "5"),
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
    assert!(
        refused.text().contains("Niet gelukt."),
        "{}",
        refused.text()
    );
    let routing_url = kindpakket.regie_url(G, "routering");
    let routing = kindpakket
        .get(&routing_url, Some(REGIE))
        .await
        .unwrap()
        .body;
    assert_eq!(routing["versie"], 0, "nothing stored: {routing}");
    let set = regie
        .post(
            "/regie/regeling/routering",
            &[
                ("soort", "maatschappelijke_participatie"),
                ("wijk", ""),
                ("naar", CLUB),
                ("termijn", "5"),
                ("soort", ""),
                ("wijk", ""),
                ("naar", ""),
                ("termijn", ""),
            ],
        )
        .await
        .unwrap();
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.text());
    let routing = kindpakket
        .get(&routing_url, Some(REGIE))
        .await
        .unwrap()
        .body;
    assert_eq!(routing["versie"], 1, "{routing}");
    assert_eq!(routing["routes"][0]["naar"], json!({"partner": CLUB}));
    assert_eq!(routing["routes"][0]["reactietermijnWerkdagen"], 5);

    // Enrolling a partner through the page.
    let enrolled = regie
        .post(
            "/regie/partners",
            &[
                ("naam", "Zwemschool De Golf"),
                ("code", "zwemschool-de-golf"),
                ("rollen", "verstrekken"),
                ("rollen", "besluiten"),
                ("voorzieningen", "zwemles"),
                ("mandaat_voorzieningen", "zwemles"),
                ("mandaat_bedrag", "150,00"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        enrolled.status,
        StatusCode::SEE_OTHER,
        "{}",
        enrolled.text()
    );
    let page = regie.follow(&enrolled).await.unwrap();
    let text = page.text();
    assert!(
        text.contains("zwemschool-de-golf is ingeschreven"),
        "{text}"
    );
    assert!(text.contains("beslist over Zwemles tot € 150,00"), "{text}");
    assert!(text.contains("Jeugdfonds Sport & Cultuur"), "{text}");
    let enrolment = kindpakket
        .get(
            &kindpakket.regie_url(G, "partners/zwemschool-de-golf"),
            Some(REGIE),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(enrolment["naam"], "Zwemschool De Golf");
    assert_eq!(enrolment["mandaat"]["maximumBedragCent"], 15_000);

    // A bad enrolment: delivering without a provision. The API's refusal, the form kept, nothing stored.
    let refused = regie
        .post(
            "/regie/partners",
            &[
                ("naam", "Club Zonder Voorziening"),
                ("code", "club-zonder"),
                ("rollen", "verstrekken"),
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
    assert!(
        refused
            .text()
            .contains("ten minste één voorziening in 'voorzieningen'"),
        "{}",
        refused.text()
    );
    assert!(refused.html.contains("value=\"Club Zonder Voorziening\""));
    assert_eq!(
        enrolment_status(&kindpakket, G, "club-zonder").await,
        StatusCode::NOT_FOUND
    );

    // The budgets in euros: allocated, what the approved line spent, and what is left.
    let page = regie.get("/regie/budgetten").await.unwrap();
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let text = page.text();
    assert!(text.contains("Sportcontributie"), "{text}");
    assert!(text.contains("€ 10.000,00"), "{text}");
    assert!(
        text.contains("€ 180,00"),
        "spent by the approved line: {text}"
    );
    assert!(text.contains("€ 9.820,00"), "left: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partners_signallers_another_gemeente_and_forged_posts_change_nothing_on_the_regie_pages() {
    let platform = Platform::start().await.unwrap();
    let _login = platform.start_login(&[DEN_HAAG, GRONINGEN]).await.unwrap();
    let base = platform.url(ServiceName::Dashboard, "");
    let kindpakket = platform.client();
    let setup = set_up(&kindpakket).await;
    let invoice_page = format!("/regie/facturen/{}", setup.invoice);
    let declaration_page = format!(
        "/regie/declaraties/{}/{}",
        setup.declaration.0, setup.declaration.1
    );
    let line = invoice_of(&kindpakket, setup.invoice).await["regels"][0]["verstrekking"]
        .as_str()
        .unwrap()
        .to_owned();
    let approve = [
        ("verstrekking", line.as_str()),
        ("besluit", "goedkeuren"),
        ("reden", ""),
    ];
    let enrol = [
        ("naam", "Nep"),
        ("code", "nep-partner"),
        ("rollen", "signaleren"),
    ];

    // A partner and a signaller: a Dutch 403 on every regie page; their forged posts change nothing.
    for user in ["leergeld", "wijkteam"] {
        let mut other = PageSession::login(&base, user, G).await.unwrap();
        for path in [
            "/regie",
            "/regie/werkbak/te-beslissen",
            "/regie/werkbak/af-te-rekenen",
            invoice_page.as_str(),
            declaration_page.as_str(),
            "/regie/regeling",
            "/regie/partners",
            "/regie/budgetten",
            "/regie/doelgroep",
        ] {
            let page = other.get(path).await.unwrap();
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{user} {path}");
            assert!(
                page.text()
                    .contains("Deze pagina is voor de rol regievoerder"),
                "{user} {path}: {}",
                page.text()
            );
        }
        // With a valid form token of their own session (from their start page).
        other.get("/start").await.unwrap();
        for (path, fields) in [
            (invoice_page.as_str(), &approve[..]),
            (declaration_page.as_str(), &[("besluit", "goedkeuren")][..]),
            ("/regie/partners", &enrol[..]),
            (
                "/regie/regeling/routering",
                &[
                    ("soort", "school"),
                    ("wijk", ""),
                    ("naar", "loket"),
                    ("termijn", "3"),
                ][..],
            ),
        ] {
            let forged = other.post(path, fields).await.unwrap();
            assert_eq!(forged.status, StatusCode::FORBIDDEN, "{user} {path}");
        }
    }

    // A post without the form token, by the regievoerder's own session: refused.
    let mut regie = PageSession::login(&base, "regievoerder", G).await.unwrap();
    regie.get("/regie").await.unwrap();
    for (path, fields) in [
        (invoice_page.as_str(), &approve[..]),
        (declaration_page.as_str(), &[("besluit", "goedkeuren")][..]),
        ("/regie/partners", &enrol[..]),
    ] {
        let forged = regie.post_raw(path, fields).await.unwrap();
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "{path}");
        assert!(
            forged.text().contains("Er is niets opgeslagen"),
            "{}",
            forged.text()
        );
    }

    // Groningen's regievoerder: their token is for Groningen only, so Den Haag's invoice and
    // declaration do not exist for them, and their enrolment lands in Groningen.
    let mut groningen = PageSession::login(&base, "regievoerder", "GM0014")
        .await
        .unwrap();
    let page = groningen.get(&invoice_page).await.unwrap();
    assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.text());
    groningen.get("/regie").await.unwrap();
    let forged = groningen.post(&invoice_page, &approve).await.unwrap();
    assert_eq!(forged.status, StatusCode::NOT_FOUND, "{}", forged.text());
    let forged = groningen
        .post(&declaration_page, &[("besluit", "goedkeuren")])
        .await
        .unwrap();
    assert_eq!(forged.status, StatusCode::NOT_FOUND, "{}", forged.text());
    let elsewhere = groningen.post("/regie/partners", &enrol).await.unwrap();
    assert_eq!(
        elsewhere.status,
        StatusCode::SEE_OTHER,
        "{}",
        elsewhere.text()
    );
    assert_eq!(
        enrolment_status(&kindpakket, "GM0014", "nep-partner").await,
        StatusCode::OK,
        "in Groningen"
    );

    // Nothing changed in Den Haag.
    let invoice = invoice_of(&kindpakket, setup.invoice).await;
    assert_eq!(invoice["regels"][0]["status"], "open", "{invoice}");
    assert_eq!(
        declaration_status(&kindpakket, setup.declaration).await,
        "ingediend"
    );
    assert_eq!(
        enrolment_status(&kindpakket, G, "nep-partner").await,
        StatusCode::NOT_FOUND
    );
    let routing = kindpakket
        .get(&kindpakket.regie_url(G, "routering"), Some(REGIE))
        .await
        .unwrap()
        .body;
    assert_eq!(routing["versie"], 0, "{routing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_the_regievoerder_opens_the_inboxes_and_settles_an_invoice_on_desktop_and_phone(
) {
    const TEST: &str = "pages_regie";
    let platform = Platform::start().await.unwrap();
    let _login = platform.start_login(&[DEN_HAAG]).await.unwrap();
    let base = platform.url(ServiceName::Dashboard, "");
    let kindpakket = platform.client();
    let setup = set_up(&kindpakket).await;
    // A second invoice, so that each width settles one.
    let second = sport_invoiced(&kindpakket, 9_000).await;
    // Wait until both invoices are in the inbox (over HTTP, before the browser looks).
    let mut session = PageSession::login(&base, "regievoerder", G).await.unwrap();
    inboxes_showing(&mut session, &setup).await;
    let mut listed = false;
    for _ in 0..100 {
        let page = session.get("/regie/werkbak/af-te-rekenen").await.unwrap();
        if page.html.contains(&second.to_string()) {
            listed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(listed, "the second invoice is listed");

    let mut browser = Browser::start().await.unwrap();
    browser
        .login_as(
            &format!("{base}/aanmelden?terug=/regie"),
            "Regievoerder van de gemeente — Den Haag",
        )
        .await
        .unwrap();
    for (width, invoice) in [("desktop", setup.invoice), ("phone", second)] {
        if width == "desktop" {
            browser.desktop().await.unwrap();
        } else {
            browser.phone().await.unwrap();
        }
        let step = |name: &str| format!("{name}-{width}");
        for (path, name) in [
            ("/regie".to_owned(), "werkbakken"),
            ("/regie/werkbak/af-te-rekenen".to_owned(), "af-te-rekenen"),
            ("/regie/regeling".to_owned(), "regeling"),
            ("/regie/partners".to_owned(), "partners"),
            ("/regie/budgetten".to_owned(), "budgetten"),
            (
                format!(
                    "/regie/declaraties/{}/{}",
                    setup.declaration.0, setup.declaration.1
                ),
                "declaratie",
            ),
        ] {
            browser.goto(&format!("{base}{path}")).await.unwrap();
            browser.screenshot(TEST, &step(name)).await.unwrap();
            browser.assert_accessible(TEST, &step(name)).await.unwrap();
            browser.assert_fits_width().await.unwrap();
        }
        // From the inbox to the invoice, approve its line.
        browser
            .goto(&format!("{base}/regie/werkbak/af-te-rekenen"))
            .await
            .unwrap();
        browser
            .click_and_wait(&format!("a[href='/regie/facturen/{invoice}']"))
            .await
            .unwrap();
        browser.screenshot(TEST, &step("factuur")).await.unwrap();
        browser
            .assert_accessible(TEST, &step("factuur"))
            .await
            .unwrap();
        browser.assert_fits_width().await.unwrap();
        // "Goedkeuren" is chosen for every open line already.
        if width == "desktop" {
            browser
                .click_button_with_text("Beoordeling opslaan")
                .await
                .unwrap();
        } else {
            // At phone width the harness's WebDriver click does not reach a button below the fold
            // (Chromium's mobile emulation does not scroll it into view): submit the form as a
            // keyboard user does, with Enter in the line's reason field.
            browser.fill("#reden-1", "\u{E007}").await.unwrap();
        }
        let text = wait_until("the confirmation", Duration::from_secs(20), || async {
            let text = browser.text().await.unwrap_or_default();
            when(text.contains("Uw beoordeling is opgeslagen"), text)
        })
        .await
        .unwrap();
        assert!(text.contains("afgehandeld"), "{text}");
        browser.screenshot(TEST, &step("afgerekend")).await.unwrap();
        browser
            .assert_accessible(TEST, &step("afgerekend"))
            .await
            .unwrap();
        browser.assert_fits_width().await.unwrap();
        assert_eq!(
            invoice_of(&kindpakket, invoice).await["regels"][0]["status"],
            "goedgekeurd"
        );
    }
    browser.close().await.unwrap();
}
