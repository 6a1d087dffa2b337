//! The pages of the partner at the till and of the family, tried as their users and as attackers:
//! a shop redeems a voucher at `/kassa` by typing its code (posted, never in an address), records a
//! delivery at `/rechten`, invoices at `/declaraties`; the parent sees the balance at
//! `/ouder/rechten` and sends in a receipt at `/ouder/bon`. Every refusal is the API's Dutch one, and
//! leaves everything as it was; a real browser walks the till at phone width.

use kindpakket_tests::{this_year, this_year_on};
use std::collections::BTreeMap;
use std::time::Duration;

use kindpakket_tests::browser::Browser;
use kindpakket_tests::client::{provision, Kindpakket, REGIE};
use kindpakket_tests::pages::{PageAnswer, PageSession};
use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use super::settlement::{partner, publish};

const G: &str = "GM0518";
const DEN_HAAG: (&str, &str) = ("GM0518", "Den Haag");
const SHOP: &str = "fietsenwinkel-de-spaak";
const OTHER: &str = "leergeld";

/// The demo's regeling in short: a voucher for school things (€ 75) and a bicycle in kind
/// (€ 150); the shop takes both, Leergeld delivers bicycles too.
async fn regeling(kindpakket: &Kindpakket) {
    publish(
        kindpakket,
        G,
        json!({
            "jaar": this_year(), "geldigVanaf": this_year_on("01-01"), "geldigTot": this_year_on("12-31"),
            "inkomensgrens": {"soort": "percentage", "percentage": 120},
            "voorzieningen": [
                provision("schoolspullen", "Schoolspullen", "school", (4, 17), 7_500, "tegoedbon"),
                provision("fiets-brugklas", "Fiets voor brugklassers", "vervoer", (11, 13), 15_000, "in_natura"),
            ],
        }),
    )
    .await;
    kindpakket
        .enrol_partner(
            G,
            SHOP,
            "Fietsenwinkel De Spaak",
            &["schoolspullen", "fiets-brugklas"],
        )
        .await
        .unwrap();
    kindpakket
        .enrol_partner(G, OTHER, "Stichting Leergeld", &["fiets-brugklas"])
        .await
        .unwrap();
}

/// The test parent's household (the "ouder" test user) applies for its child of twelve; the
/// regeling grants both provisions. Returns the entitlement ids (the gemeente's) by provision.
async fn granted_to_the_test_household(kindpakket: &Kindpakket) -> BTreeMap<String, Uuid> {
    let household = kindpakket_platform::dev_issuer::test_household(G);
    let application = kindpakket
        .submit(
            G,
            &json!({
                "kanaal": "online",
                "huishouden": household,
                "kinderen": [{"kind": Uuid::new_v4(), "geboortejaar": 2014, "geboortemaand": 3}],
                "inkomenPercentage": 105,
                "voorzieningen": ["schoolspullen", "fiets-brugklas"],
                "datum": this_year_on("02-15"),
            }),
        )
        .await
        .unwrap();
    let decided = kindpakket
        .assess(G, application, &json!({}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(decided["status"], "toegekend", "{decided}");
    decided["rechten"]
        .as_array()
        .unwrap()
        .iter()
        .map(|right| {
            (
                right["voorziening"].as_str().unwrap().to_owned(),
                Uuid::parse_str(right["id"].as_str().unwrap()).unwrap(),
            )
        })
        .collect()
}

/// The entitlement as regie reads it, once opened.
async fn entitlement(kindpakket: &Kindpakket, id: Uuid) -> Value {
    let url = kindpakket.provision_url(G, &format!("rechten/{id}"));
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

/// Every address a page names: links, form actions, and where a redirect points.
fn addresses(answer: &PageAnswer) -> Vec<String> {
    let mut found: Vec<String> = answer.location.iter().cloned().collect();
    for attribute in ["href=\"", "action=\""] {
        let mut rest = answer.html.as_str();
        while let Some(start) = rest.find(attribute) {
            rest = &rest[start + attribute.len()..];
            let end = rest.find('"').unwrap_or(rest.len());
            found.push(rest[..end].to_owned());
        }
    }
    found
}

/// The code in every form a person may type it: as printed, without dashes, in lower case.
fn code_forms(code: &str) -> Vec<String> {
    let bare = code.replace('-', "");
    vec![
        code.to_owned(),
        bare.clone(),
        code.to_lowercase(),
        bare.to_lowercase(),
    ]
}

/// A platform with the demo's regeling, the test household granted, and its voucher's code.
struct Setup {
    platform: Platform,
    kindpakket: Kindpakket,
    _login: Box<dyn std::any::Any + Send>,
    base: String,
    voucher: Uuid,
    bicycle: Uuid,
    code: String,
}

async fn setup() -> Setup {
    let platform = Platform::start().await.expect("platform starts");
    let login = platform.start_login(&[DEN_HAAG]).await.unwrap();
    let kindpakket = platform.client();
    regeling(&kindpakket).await;
    let rights = granted_to_the_test_household(&kindpakket).await;
    let voucher = rights["schoolspullen"];
    let bicycle = rights["fiets-brugklas"];
    let code = entitlement(&kindpakket, voucher).await["passen"][0]["code"]
        .as_str()
        .expect("regie reads the code to hand it out")
        .to_owned();
    entitlement(&kindpakket, bicycle).await;
    // The shop's enrolment reaches the provision service through the regie stream.
    wait_until(
        "the shop may take the voucher",
        Duration::from_secs(30),
        || async {
            let answer = kindpakket.pass_balance(G, partner(SHOP), &code).await?;
            when(answer.status == StatusCode::OK, ())
        },
    )
    .await
    .unwrap();
    let base = platform.url(ServiceName::Dashboard, "");
    Setup {
        platform,
        kindpakket,
        _login: Box::new(login),
        base,
        voucher,
        bicycle,
        code,
    }
}

/// `path` as `session` sees it, once `ready` holds for its text (a list is kept a moment after the
/// command).
async fn page_once(
    session: &mut PageSession,
    path: &str,
    ready: impl Fn(&str) -> bool,
) -> PageAnswer {
    let mut last = String::new();
    for _ in 0..300 {
        let page = session.get(path).await.unwrap();
        if page.status == StatusCode::OK && ready(&page.text()) {
            return page;
        }
        last = page.text();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never showed what was expected: {last}");
}

/// The link on `/rechten` of the shop's entitlement whose row names `provision`.
async fn right_link(shop: &mut PageSession, provision: &str) -> String {
    let page = page_once(shop, "/rechten", |text| text.contains(provision)).await;
    page.html
        .split("<tr")
        .find(|row| row.contains(provision))
        .and_then(|row| row.split("href=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
        .expect("a row links to the entitlement")
}

/// Presses the button with `text`, scrolled to the middle of the screen at once first: below the
/// fold on a phone, chromedriver's own scrolling is animated by the NL Design System's
/// `scroll-behavior: smooth` and its click lands before the button arrives.
async fn press(browser: &Browser, text: &str) {
    browser
        .execute(
            "for (const b of document.querySelectorAll('button')) { if (b.innerText.includes(arguments[0])) { b.scrollIntoView({block: 'center', behavior: 'instant'}); break; } } return null;",
            vec![json!(text)],
        )
        .await
        .unwrap();
    browser.click_button_with_text(text).await.unwrap();
}

/// A page in the browser: a screenshot, axe (nothing serious), and no sideways scrolling.
async fn check(browser: &mut Browser, test: &str, step: &str) {
    browser.screenshot(test, step).await.unwrap();
    browser.assert_accessible(test, step).await.unwrap();
    browser.assert_fits_width().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_redeems_a_voucher_at_the_till_delivers_and_invoices_and_the_parent_sees_the_balance(
) {
    let Setup {
        platform,
        kindpakket,
        base,
        voucher,
        bicycle,
        code,
        _login: _login_stays,
        ..
    } = setup().await;
    let mut seen: Vec<PageAnswer> = Vec::new();
    let mut shop = PageSession::login(&base, "winkel", G).await.unwrap();

    // The till: the task in the navigation, a big field for the code, no script.
    let till = shop.get("/kassa").await.unwrap();
    assert_eq!(till.status, StatusCode::OK, "{}", till.text());
    assert!(till.text().contains("Pas of bon innemen"));
    assert!(
        till.html.contains("autocomplete=\"off\"") && till.html.contains("inputmode=\"decimal\"")
    );
    assert!(!till.html.contains("<script"));
    seen.push(till);

    // The balance first, then € 25 of the € 75, the code typed carelessly.
    let typed = format!(" {} ", code.to_lowercase().replace('-', " "));
    let balance = shop
        .post("/kassa/saldo", &[("code", typed.as_str())])
        .await
        .unwrap();
    assert_eq!(balance.status, StatusCode::OK, "{}", balance.text());
    assert!(balance.text().contains("€ 75,00"), "{}", balance.text());
    assert!(balance
        .text()
        .contains(&format!("eindigend op {}", &code[10..])));
    seen.push(balance);
    let once = Uuid::new_v4().to_string();
    let redeemed = shop
        .post(
            "/kassa",
            &[
                ("code", typed.as_str()),
                ("bedrag", "25,00"),
                ("id", once.as_str()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        redeemed.status,
        StatusCode::SEE_OTHER,
        "{}",
        redeemed.text()
    );
    let shown = shop.follow(&redeemed).await.unwrap();
    assert!(
        shown
            .text()
            .contains("Gelukt: € 25,00 afgeboekt van Schoolspullen. Er staat nog € 50,00 op."),
        "{}",
        shown.text()
    );
    seen.extend([redeemed, shown]);
    // The same form sent twice (a double tap, a reload) redeems once.
    let again = shop
        .post(
            "/kassa",
            &[
                ("code", typed.as_str()),
                ("bedrag", "25,00"),
                ("id", once.as_str()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.text());
    seen.push(again);
    let right = entitlement(&kindpakket, voucher).await;
    assert_eq!(right["restCent"], 5_000, "{right}");
    assert_eq!(right["verzilveringen"], 1, "{right}");

    // More than is left, then the rest, then the spent voucher again: refused in Dutch, nothing
    // changed.
    let before = platform.events_stored_everywhere().await;
    let too_much = shop
        .post("/kassa", &[("code", code.as_str()), ("bedrag", "60,00")])
        .await
        .unwrap();
    assert!(too_much.status.is_client_error(), "{}", too_much.text());
    assert!(
        too_much.text().contains("Niet gelukt."),
        "{}",
        too_much.text()
    );
    assert_eq!(platform.events_stored_everywhere().await, before);
    seen.push(too_much);
    let rest = shop
        .post("/kassa", &[("code", code.as_str()), ("bedrag", "50")])
        .await
        .unwrap();
    assert_eq!(rest.status, StatusCode::SEE_OTHER, "{}", rest.text());
    let shown = shop.follow(&rest).await.unwrap();
    assert!(
        shown.text().contains("Er staat nog € 0,00 op."),
        "{}",
        shown.text()
    );
    seen.extend([rest, shown]);
    let before = platform.events_stored_everywhere().await;
    let spent = shop
        .post("/kassa", &[("code", code.as_str()), ("bedrag", "1,00")])
        .await
        .unwrap();
    assert!(spent.status.is_client_error(), "{}", spent.text());
    assert!(spent.text().contains("Niet gelukt."), "{}", spent.text());
    let unknown = shop
        .post("/kassa", &[("code", "AAAA-BBBB-CCCC"), ("bedrag", "1,00")])
        .await
        .unwrap();
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.text());
    assert!(
        unknown.text().contains("Deze pascode is onbekend"),
        "{}",
        unknown.text()
    );
    let empty = shop
        .post("/kassa", &[("code", ""), ("bedrag", "1,00")])
        .await
        .unwrap();
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.text().contains("Vul de code van de pas of bon in"));
    assert_eq!(platform.events_stored_everywhere().await, before);
    let right = entitlement(&kindpakket, voucher).await;
    assert_eq!(
        (right["restCent"].clone(), right["verzilveringen"].clone()),
        (json!(0), json!(2))
    );
    seen.extend([spent, unknown, empty]);

    // A bicycle delivered: the entitlement on /rechten under the shop's own id, € 120 of € 150.
    let link = right_link(&mut shop, "Fiets brugklas").await;
    let own = kindpakket.partner_entitlement(SHOP, bicycle).unwrap();
    assert_eq!(link, format!("/rechten/{own}"));
    let page = shop.get(&link).await.unwrap();
    assert!(page.text().contains("€ 150,00"), "{}", page.text());
    seen.push(page);
    let before = platform.events_stored_everywhere().await;
    let refused = shop
        .post(
            &format!("{link}/verstrekking"),
            &[
                ("vorm", "in_natura"),
                ("bedrag", "200,00"),
                ("datum", &kindpakket_platform::clock::today().to_string()),
            ],
        )
        .await
        .unwrap();
    assert!(refused.status.is_client_error(), "{}", refused.text());
    assert!(
        refused.text().contains("Niet gelukt."),
        "{}",
        refused.text()
    );
    assert!(
        refused.html.contains("value=\"200,00\""),
        "the typed amount is kept"
    );
    assert_eq!(platform.events_stored_everywhere().await, before);
    seen.push(refused);
    let delivered = shop
        .post(
            &format!("{link}/verstrekking"),
            &[
                ("vorm", "in_natura"),
                ("bedrag", "120,00"),
                ("datum", &kindpakket_platform::clock::today().to_string()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        delivered.status,
        StatusCode::SEE_OTHER,
        "{}",
        delivered.text()
    );
    let shown = shop.follow(&delivered).await.unwrap();
    assert!(
        shown.text().contains("De verstrekking is vastgelegd."),
        "{}",
        shown.text()
    );
    assert!(
        shown.text().contains("Nog over € 30,00"),
        "{}",
        shown.text()
    );
    seen.extend([delivered, shown]);
    let right = entitlement(&kindpakket, bicycle).await;
    assert_eq!(
        (right["restCent"].clone(), right["verstrekkingen"].clone()),
        (json!(3_000), json!(1))
    );

    // The invoice of the year so far: the two redemptions (made today, at the till) and the bicycle.
    let today = kindpakket_platform::clock::today().to_string();
    let made = shop
        .post(
            "/declaraties/factuur",
            &[("vanaf", &this_year_on("01-01")), ("tot", today.as_str())],
        )
        .await
        .unwrap();
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text());
    let invoice = shop.follow(&made).await.unwrap();
    let text = invoice.text();
    assert!(text.contains("De factuur is gemaakt"), "{text}");
    assert!(text.contains("Totaal € 195,00"), "{text}");
    assert!(
        text.contains("€ 120,00") && text.contains("€ 25,00") && text.contains("€ 50,00"),
        "{text}"
    );
    assert!(text.contains("Wordt beoordeeld"), "{text}");
    seen.extend([made, invoice]);
    // Nothing left to invoice: the API's refusal, on the page.
    let nothing = shop
        .post(
            "/declaraties/factuur",
            &[("vanaf", &this_year_on("01-01")), ("tot", today.as_str())],
        )
        .await
        .unwrap();
    assert!(nothing.status.is_client_error(), "{}", nothing.text());
    assert!(
        nothing.text().contains("Niet gelukt."),
        "{}",
        nothing.text()
    );
    seen.push(nothing);
    let listed = page_once(&mut shop, "/declaraties", |text| text.contains("€ 195,00")).await;
    seen.push(listed);

    // The parent: the voucher used up, € 30 left for the bicycle, the pass by its last characters.
    let mut parent = PageSession::login(&base, "ouder", G).await.unwrap();
    let rights = page_once(&mut parent, "/ouder/rechten", |text| {
        text.contains("Schoolspullen") && text.contains("Fiets brugklas")
    })
    .await;
    let text = rights.text();
    assert!(text.contains("Rechten en saldo"), "{text}");
    assert!(
        text.contains("€ 0,00") && text.contains("€ 30,00"),
        "{text}"
    );
    assert!(
        text.contains(&format!("eindigend op {}", &code[10..])),
        "{text}"
    );
    assert!(
        !text.contains(&code),
        "the parent's page shows the last characters only"
    );
    seen.push(rights);

    // A receipt sent in for the bicycle's € 30: first with a BSN in it (refused, naming the field),
    // then as it should be.
    let form = parent.get("/ouder/bon").await.unwrap();
    assert!(form.text().contains("Nummer van de bon"), "{}", form.text());
    seen.push(form);
    let before = platform.events_stored_everywhere().await;
    let bicycle_id = bicycle.to_string();
    let refused = parent
        .post(
            "/ouder/bon",
            &[
                ("recht", bicycle_id.as_str()),
                ("bedrag", "10,00"),
                ("bewijs", "bsn 123456782"),
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
    assert!(refused.text().contains("bewijs"), "{}", refused.text());
    assert_eq!(platform.events_stored_everywhere().await, before);
    seen.push(refused);
    let sent = parent
        .post(
            "/ouder/bon",
            &[
                ("recht", bicycle_id.as_str()),
                ("bedrag", "10,00"),
                ("bewijs", "kassabon 42"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
    let shown = parent.follow(&sent).await.unwrap();
    assert!(
        shown.text().contains("Uw bon is verstuurd"),
        "{}",
        shown.text()
    );
    seen.extend([sent, shown]);
    let right = entitlement(&kindpakket, bicycle).await;
    assert_eq!(right["gereserveerdCent"], 1_000, "{right}");

    // The code was never part of an address the pages made, nor of a log line.
    for answer in &seen {
        for address in addresses(answer) {
            for form in code_forms(&code) {
                assert!(
                    !address.to_lowercase().contains(&form.to_lowercase()),
                    "the pass code in an address: {address}"
                );
            }
        }
    }
    for service in [ServiceName::Dashboard, ServiceName::Provision] {
        let log = std::fs::read_to_string(platform.service(service).log_path())
            .unwrap()
            .to_lowercase();
        for form in code_forms(&code) {
            assert!(
                !log.contains(&form.to_lowercase()),
                "the pass code in the {service:?} log"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_partners_entitlement_a_forged_post_and_another_role_are_refused_and_change_nothing(
) {
    let Setup {
        platform,
        kindpakket,
        base,
        voucher,
        bicycle,
        code,
        _login: _login_stays,
        ..
    } = setup().await;
    let mut shop = PageSession::login(&base, "winkel", G).await.unwrap();
    let mut leergeld = PageSession::login(&base, "leergeld", G).await.unwrap();
    let link = right_link(&mut shop, "Fiets brugklas").await;
    // Leergeld delivers bicycles too, but the shop's id of the entitlement is not Leergeld's, and
    // neither is the gemeente's own.
    leergeld.get("/rechten").await.unwrap();
    let before = platform.events_stored_everywhere().await;
    for path in [
        format!("{link}/verstrekking"),
        format!("/rechten/{bicycle}/verstrekking"),
    ] {
        let answer = leergeld
            .post(&path, &[("vorm", "in_natura"), ("bedrag", "10,00")])
            .await
            .unwrap();
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            answer.text()
        );
        assert!(
            answer
                .text()
                .contains("Dit recht bestaat niet, of u mag het niet zien."),
            "{}",
            answer.text()
        );
        let page = leergeld
            .get(&path.replace("/verstrekking", ""))
            .await
            .unwrap();
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.text());
    }
    assert_eq!(platform.events_stored_everywhere().await, before);
    assert_eq!(entitlement(&kindpakket, bicycle).await["restCent"], 15_000);

    // Another site posts the till's form in the shop's name: refused, nothing redeemed.
    for forged in [
        vec![("code", code.as_str()), ("bedrag", "75,00")],
        vec![
            ("_csrf", "geraden"),
            ("code", code.as_str()),
            ("bedrag", "75,00"),
        ],
    ] {
        let answer = shop.post_raw("/kassa", &forged).await.unwrap();
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.text());
        assert!(answer.text().contains("Er is niets opgeslagen"));
        let answer = shop
            .post_raw(
                "/rechten/00000000-0000-0000-0000-000000000000/verstrekking",
                &forged,
            )
            .await
            .unwrap();
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(platform.events_stored_everywhere().await, before);
    let right = entitlement(&kindpakket, voucher).await;
    assert_eq!(
        (right["restCent"].clone(), right["verzilveringen"].clone()),
        (json!(7_500), json!(0))
    );

    // The parent is no till, and the shop reads no family's page.
    let mut parent = PageSession::login(&base, "ouder", G).await.unwrap();
    let till = parent.get("/kassa").await.unwrap();
    assert_eq!(till.status, StatusCode::FORBIDDEN);
    let posted = parent
        .post("/kassa", &[("code", code.as_str()), ("bedrag", "75,00")])
        .await
        .unwrap();
    assert_eq!(posted.status, StatusCode::FORBIDDEN);
    assert_eq!(
        shop.get("/ouder/rechten").await.unwrap().status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(platform.events_stored_everywhere().await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_the_shop_redeems_a_voucher_on_a_phone_and_reads_the_lists_at_a_desk() {
    const TEST: &str = "pages_provision_till";
    let Setup {
        platform: _platform_stays,
        kindpakket,
        base,
        voucher,
        code,
        _login: _login_stays,
        ..
    } = setup().await;
    let mut browser = Browser::start().await.unwrap();
    browser.phone().await.unwrap();
    browser
        .login_as(
            &format!("{base}/aanmelden?terug=/kassa"),
            "Fietsenwinkel De Spaak (kassa) — Den Haag",
        )
        .await
        .unwrap();
    browser.goto(&format!("{base}/kassa")).await.unwrap();
    check(&mut browser, TEST, "kassa-telefoon").await;
    browser.fill("#code", &code).await.unwrap();
    press(&browser, "Alleen saldo bekijken").await;
    let text = browser.text().await.unwrap();
    assert!(text.contains("€ 75,00"), "{text}");
    check(&mut browser, TEST, "saldo-telefoon").await;
    browser.fill("#bedrag", "12,50").await.unwrap();
    press(&browser, "Afboeken").await;
    let text = browser.text().await.unwrap();
    assert!(text.contains("Er staat nog € 62,50 op."), "{text}");
    let url = browser
        .current_url()
        .await
        .unwrap()
        .to_string()
        .to_lowercase();
    for form in code_forms(&code) {
        assert!(!url.contains(&form.to_lowercase()), "{url}");
    }
    check(&mut browser, TEST, "afgeboekt-telefoon").await;
    assert_eq!(entitlement(&kindpakket, voucher).await["restCent"], 6_250);
    // A refusal reads the same at the counter.
    browser.fill("#code", "AAAA-BBBB-CCCC").await.unwrap();
    browser.fill("#bedrag", "1").await.unwrap();
    press(&browser, "Afboeken").await;
    assert!(browser
        .text()
        .await
        .unwrap()
        .contains("Deze pascode is onbekend"));
    check(&mut browser, TEST, "onbekend-telefoon").await;

    for (path, step) in [("/rechten", "rechten"), ("/declaraties", "declaraties")] {
        for phone in [false, true] {
            if phone {
                browser.phone().await.unwrap();
            } else {
                browser.desktop().await.unwrap();
            }
            browser.goto(&format!("{base}{path}")).await.unwrap();
            let name = format!("{step}-{}", if phone { "telefoon" } else { "bureau" });
            check(&mut browser, TEST, &name).await;
        }
    }
    // The bicycle's page, with its form, at a desk.
    browser.desktop().await.unwrap();
    browser.goto(&format!("{base}/rechten")).await.unwrap();
    browser.click_and_wait("td a.utrecht-link").await.unwrap();
    assert!(browser
        .text()
        .await
        .unwrap()
        .contains("Levering vastleggen"));
    check(&mut browser, TEST, "recht-bureau").await;
    browser.close().await.unwrap();

    // The parent's pages, at phone width.
    let mut browser = Browser::start().await.unwrap();
    browser.phone().await.unwrap();
    browser
        .login_as(
            &format!("{base}/aanmelden?terug=/ouder/rechten"),
            "Ouder (gezin Jansen, ingelogd met DigiD) — Den Haag",
        )
        .await
        .unwrap();
    for (path, step) in [
        ("/ouder/rechten", "ouder-rechten"),
        ("/ouder/bon", "ouder-bon"),
    ] {
        browser.goto(&format!("{base}{path}")).await.unwrap();
        check(
            &mut browser,
            "pages_provision_family",
            &format!("{step}-telefoon"),
        )
        .await;
    }
    assert!(browser.text().await.unwrap().contains("Bon insturen"));
    browser.close().await.unwrap();
}
