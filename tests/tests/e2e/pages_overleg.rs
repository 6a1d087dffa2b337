//! The kwartaaloverleg's pages (`/overleg`, docs/overleg.md), through the pages themselves, against
//! a small quarter the test makes through the APIs and so knows exactly:
//!
//! - regie reads the running quarter as *voorlopig*, exact: the funnel, the breakdown by wijk with
//!   its total, the signaller and the partner; downloads a table as CSV for Dutch Excel, a chart as
//!   SVG, and the quarterly report as PDF whose text holds the figures; the auditor reads the same;
//!   a partner is refused every page and file, and nobody logged in is sent to the login;
//! - the overleg sees no quarter before it is established, and is told when it will be;
//! - with the dashboard's clock moved past that moment (and a threshold of 3, so that a small
//!   quarter has figures to show), the overleg reads the established quarter: counts under 3 as
//!   "verborgen", the rest rounded to 5, explained once; the CSV file and the PDF say the same; the
//!   quarter after is refused with the day it will be established;
//! - a signal entered after the quarter was established is not added to it, and regie sees it in
//!   the next quarter as "Nagekomen over …";
//! - both roles in a real browser at desktop and phone width: the form without script, the charts
//!   loaded as images, axe finds nothing serious, nothing scrolls sideways, screenshots saved.

use std::time::Duration;

use kindpakket_tests::browser::Browser;
use kindpakket_tests::client::{As, Kindpakket, REGIE};
use kindpakket_tests::pages::{dutch_date, text_of, Download, PageAnswer, PageSession};
use kindpakket_tests::wait::{wait_until, when};
use kindpakket_tests::{Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use time::{Date, Month};
use uuid::Uuid;

const G: &str = "GM0518";
const TEST: &str = "pages_overleg";
const WIJKTEAM: &str = "wijkteam-centrum";
const CLUB: &str = "jeugdfonds-sport-cultuur";
const NORTH: &str = "WK051801";
const SOUTH: &str = "WK051802";
/// The overleg's threshold for this test: counts under 3 (1 and 2) hidden, so that a quarter of a
/// few children has shown figures as well as hidden ones.
const THRESHOLD: i64 = 3;

/// A quarter: `2026-K4`.
#[derive(Debug, Clone, Copy)]
struct Quarter {
    year: i32,
    number: u8,
}

impl Quarter {
    fn containing(date: Date) -> Self {
        Self {
            year: date.year(),
            number: (u8::from(date.month()) - 1) / 3 + 1,
        }
    }

    fn next(self) -> Self {
        if self.number == 4 {
            Self {
                year: self.year + 1,
                number: 1,
            }
        } else {
            Self {
                year: self.year,
                number: self.number + 1,
            }
        }
    }

    fn first_day(self) -> Date {
        let month = Month::try_from((self.number - 1) * 3 + 1).unwrap();
        Date::from_calendar_date(self.year, month, 1).unwrap()
    }

    /// The day it is established: the first day after it plus the default grace of 14 days.
    fn established_on(self) -> Date {
        self.next().first_day() + time::Duration::days(14)
    }

    fn code(self) -> String {
        format!("{}-K{}", self.year, self.number)
    }
}

/// What the overleg is shown of an exact count: 0 as is, 1 up to (not including) the threshold
/// hidden, the rest rounded to the nearest multiple of 5 (docs/overleg.md).
fn disclosed(count: i64) -> Option<i64> {
    match count {
        0 => Some(0),
        count if count < THRESHOLD => None,
        count => Some((count + 2) / 5 * 5),
    }
}

/// The cells of the table row headed `head` (its `<th scope="row">`), as the page shows them.
fn row(html: &str, head: &str) -> Vec<String> {
    let marker = format!("scope=\"row\">{head}</th>");
    let Some(start) = html.find(&marker) else {
        panic!("no row {head:?} on the page: {}", text_of(html));
    };
    let rest = &html[start + marker.len()..];
    let end = rest.find("</tr>").unwrap_or(rest.len());
    rest[..end]
        .split("<td")
        .skip(1)
        .map(|cell| text_of(&format!("<td{cell}")))
        .collect()
}

fn texts(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}

/// The text of a PDF, by `pdftotext` (poppler-utils; scripts/install-test-tools.sh installs it).
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rapport.pdf");
    std::fs::write(&path, pdf).unwrap();
    let output = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs (scripts/install-test-tools.sh installs poppler-utils)");
    assert!(output.status.success(), "pdftotext: {output:?}");
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A CSV file's lines, after checking it is one for Dutch Excel.
fn csv_lines(file: &Download, name: &str) -> Vec<String> {
    assert_eq!(
        file.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&file.bytes)
    );
    assert_eq!(file.content_type, "text/csv; charset=utf-8");
    assert_eq!(file.disposition, format!("attachment; filename=\"{name}\""));
    assert_eq!(
        &file.bytes[..3],
        b"\xef\xbb\xbf",
        "a byte-order mark for Excel"
    );
    String::from_utf8(file.bytes[3..].to_vec())
        .unwrap()
        .split("\r\n")
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A wijkteam's signal of `child` in `wijk`.
async fn signal(kindpakket: &Kindpakket, child: Uuid, wijk: &str, date: &str) -> Uuid {
    let body = json!({
        "kind": kindpakket.child_reference(WIJKTEAM, child).unwrap(),
        "voorzieningsoort": "maatschappelijke_participatie",
        "reden": "laag_inkomen",
        "datum": date,
        "wijk": wijk,
    });
    let who = As {
        organisation: WIJKTEAM,
        role: "signaller",
    };
    let created = kindpakket
        .post_signal(G, who, &body)
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    Uuid::parse_str(created["id"].as_str().unwrap()).unwrap()
}

/// An application at the loket (no signal) for a child of nine.
async fn at_the_loket(kindpakket: &Kindpakket, child: Uuid, year: i32, date: &str) -> Uuid {
    kindpakket
        .submit(
            G,
            &json!({
                "kanaal": "loket",
                "huishouden": Uuid::new_v4(),
                "kinderen": [{"kind": child, "geboortejaar": year - 9, "geboortemaand": 2}],
                "inkomenPercentage": 110,
                "voorzieningen": ["sportcontributie"],
                "datum": date,
            }),
        )
        .await
        .unwrap()
}

/// The quarter's facts, all dated today:
/// - three children in the north, signalled, applied for online, granted, served by the club;
/// - one child in the south, signalled only;
/// - one child applied for at the loket and granted, not (yet) served;
/// - one child applied for online, not decided.
///
/// Exactly: gesignaleerd 4, aangevraagd 5, toegekend 4, bediend 3.
async fn make_the_quarter(kindpakket: &Kindpakket, today: Date) {
    let (year, date) = (today.year(), today.to_string());
    kindpakket.sport_regeling(G, year).await.unwrap();
    kindpakket
        .enrol_signaller(G, WIJKTEAM, "Wijkteam Centrum")
        .await
        .unwrap();
    for _ in 0..3 {
        let child = Uuid::new_v4();
        let signalled = signal(kindpakket, child, NORTH, &date).await;
        let application = kindpakket
            .apply(
                G,
                child,
                year - 9,
                &["sportcontributie"],
                Some(signalled),
                &date,
            )
            .await
            .unwrap();
        let entitlement = kindpakket
            .grant(G, application, child, "sportcontributie", 25_000, year)
            .await
            .unwrap();
        kindpakket
            .wait_for_entitlement(G, CLUB, entitlement, Duration::from_secs(30))
            .await
            .unwrap();
        kindpakket
            .deliver(G, CLUB, entitlement, 18_000, &date)
            .await
            .unwrap()
            .expect(StatusCode::CREATED)
            .unwrap();
    }
    signal(kindpakket, Uuid::new_v4(), SOUTH, &date).await;
    let child = Uuid::new_v4();
    let application = at_the_loket(kindpakket, child, year, &date).await;
    kindpakket
        .grant(G, application, child, "sportcontributie", 25_000, year)
        .await
        .unwrap();
    kindpakket
        .apply(
            G,
            Uuid::new_v4(),
            year - 9,
            &["sportcontributie"],
            None,
            &date,
        )
        .await
        .unwrap();
}

fn quarter_url(kindpakket_dashboard: &str, quarter: &str, query: &str) -> String {
    format!("{kindpakket_dashboard}/api/v1/gemeenten/{G}/kwartalen/{quarter}{query}")
}

/// Waits until regie's figures of `quarter` (by the API) satisfy `done`.
async fn figures_when(
    kindpakket: &Kindpakket,
    dashboard: &str,
    quarter: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let url = quarter_url(dashboard, quarter, "?indeling=wijk");
    wait_until(
        &format!("regie's figures of {quarter}"),
        Duration::from_secs(60),
        || async {
            let answer = kindpakket.get(&url, Some(REGIE)).await?;
            when(
                answer.status == StatusCode::OK && done(&answer.body),
                answer.body,
            )
        },
    )
    .await
    .unwrap()
}

fn page_ok(page: &PageAnswer) {
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overleg_and_regie_read_a_quarter_with_its_charts_files_and_report() {
    let mut platform = Platform::start().await.unwrap();
    let _login = platform.start_login(&[(G, "Den Haag")]).await.unwrap();
    let base = platform.url(ServiceName::Dashboard, "");
    let kindpakket = platform.client();
    let today = kindpakket_platform::clock::today();
    let quarter = Quarter::containing(today);
    let k = quarter.code();
    let next = quarter.next().code();

    make_the_quarter(&kindpakket, today).await;
    figures_when(&kindpakket, &base, &k, |figures| {
        figures["trechter"]
            == json!({"gesignaleerd": 4, "aangevraagd": 5, "toegekend": 4, "bediend": 3})
            && figures["voorlopig"] == json!(true)
    })
    .await;

    // Regie: the running quarter, exact and provisional.
    let mut regie = PageSession::login(&base, "regievoerder", G).await.unwrap();
    let page = regie.get("/overleg").await.unwrap();
    page_ok(&page);
    let text = page.text();
    assert!(text.contains(&format!("{k} in het kort")), "{text}");
    assert!(text.contains("Voorlopig: dit kwartaal loopt nog"), "{text}");
    assert!(text.contains("U ziet de cijfers exact"), "{text}");
    assert!(!text.contains("zijn verborgen"), "{text}");
    assert!(page
        .html
        .contains(&format!("<option value=\"{k}\" selected>")));
    for (step, count) in [
        ("Gesignaleerd", "4"),
        ("Aangevraagd", "5"),
        ("Toegekend", "4"),
        ("Bediend", "3"),
    ] {
        assert_eq!(row(&page.html, step), [count], "{step}");
    }
    assert!(text.contains("Gesignaleerd: 4 kinderen."), "{text}");
    assert!(text.contains("Bediend: 3 kinderen."), "{text}");
    assert!(text.contains("Gebruik: 75%"), "{text}");

    let query = format!("kwartaal={k}&indeling=wijk");
    let page = regie.get(&format!("/overleg?{query}")).await.unwrap();
    page_ok(&page);
    assert!(page
        .html
        .contains("<option value=\"wijk\" selected>Wijk</option>"));
    // The funnel, then reach: no doelgroep set, so no estimate and no reach, only the children
    // served in the year.
    assert_eq!(
        row(&page.html, NORTH),
        texts(&["3", "3", "3", "3", "–", "3", "–"])
    );
    assert_eq!(
        row(&page.html, SOUTH),
        texts(&["1", "0", "0", "0", "–", "0", "–"])
    );
    assert_eq!(
        row(&page.html, "Onbekend"),
        texts(&["0", "2", "1", "0", "–", "0", "–"])
    );
    assert_eq!(
        row(&page.html, "Totaal"),
        texts(&["4", "5", "4", "3", "–", "3", "–"])
    );
    assert_eq!(row(&page.html, "Wijkteam centrum"), texts(&["4", "3", "3"]));
    assert!(page.html.contains(&format!(
        "src=\"/overleg/grafiek/indeling.svg?kwartaal={k}&#38;indeling=wijk\""
    )));

    // The breakdown as a file for Excel, and a chart as an SVG document.
    let file = regie
        .download(&format!("/overleg/csv/indeling.csv?{query}"))
        .await
        .unwrap();
    assert_eq!(
        csv_lines(&file, &format!("kindpakket-den-haag-{k}-indeling-wijk.csv")),
        [
            "Wijk;Gesignaleerd;Aangevraagd;Toegekend;Bediend;Verwacht;Bediend in het jaar;Bereik %"
                .to_owned(),
            format!("{NORTH};3;3;3;3;;3;"),
            format!("{SOUTH};1;0;0;0;;0;"),
            "Onbekend;0;2;1;0;;0;".to_owned(),
            "Totaal;4;5;4;3;;3;".to_owned(),
        ]
    );
    let chart = regie
        .download(&format!("/overleg/grafiek/trechter.svg?{query}"))
        .await
        .unwrap();
    assert_eq!(chart.status, StatusCode::OK);
    assert_eq!(chart.content_type, "image/svg+xml; charset=utf-8");
    assert!(chart.csp.contains("default-src 'none'"), "{}", chart.csp);
    let svg = String::from_utf8(chart.bytes).unwrap();
    assert!(svg.contains(&format!(
        "<title id=\"grafiek-trechter-titel\">Trechter {k}</title>"
    )));
    let unknown = regie
        .download(&format!("/overleg/csv/alles.csv?{query}"))
        .await
        .unwrap();
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // The quarterly report, printed by Chromium: a PDF whose text holds the figures.
    let pdf = regie
        .download(&format!("/overleg/rapport.pdf?{query}"))
        .await
        .unwrap();
    assert_eq!(
        pdf.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&pdf.bytes)
    );
    assert_eq!(pdf.content_type, "application/pdf");
    assert!(pdf.bytes.starts_with(b"%PDF"));
    assert_eq!(
        pdf.disposition,
        format!("attachment; filename=\"kindpakket-den-haag-{k}-rapport.pdf\"")
    );
    let printed = pdf_text(&pdf.bytes);
    for expected in [
        format!("Kwartaalrapport {k} (voorlopig)"),
        "Gesignaleerd: 4 kinderen.".to_owned(),
        "Bediend: 3 kinderen.".to_owned(),
        format!("{NORTH} 3 3 3 3"),
        "Totaal 4 5 4 3".to_owned(),
    ] {
        assert!(
            printed.contains(&expected),
            "{expected:?} not in the PDF: {printed}"
        );
    }
    let report = regie
        .get(&format!("/overleg/rapport?{query}"))
        .await
        .unwrap();
    page_ok(&report);
    assert!(report
        .html
        .contains("<link rel=\"stylesheet\" href=\"/static/rapport.css\">"));

    // The auditor reads the same exact figures; another role and nobody read nothing.
    let mut auditor = PageSession::login(&base, "auditor", G).await.unwrap();
    let page = auditor.get(&format!("/overleg?{query}")).await.unwrap();
    page_ok(&page);
    assert!(page.text().contains("U ziet de cijfers exact"));
    assert_eq!(row(&page.html, "Totaal")[..4], texts(&["4", "5", "4", "3"]));
    let mut partner = PageSession::login(&base, "leergeld", G).await.unwrap();
    for path in [
        format!("/overleg?{query}"),
        format!("/overleg/csv/trechter.csv?{query}"),
        format!("/overleg/grafiek/trechter.svg?{query}"),
        format!("/overleg/rapport.pdf?{query}"),
    ] {
        let refused = partner.download(&path).await.unwrap();
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
        assert!(
            !String::from_utf8_lossy(&refused.bytes).contains(NORTH),
            "{path}"
        );
        let anonymous = PageSession::anonymous(&base).get(&path).await.unwrap();
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER, "{path}");
        assert!(anonymous
            .location
            .unwrap_or_default()
            .starts_with("/aanmelden"));
    }

    // The overleg, before the quarter is established: nothing to show, and when there will be.
    let mut overleg = PageSession::login(&base, "overleg", G).await.unwrap();
    let page = overleg.get("/overleg").await.unwrap();
    page_ok(&page);
    let text = page.text();
    assert!(
        text.contains("Er is nog geen vastgesteld kwartaal."),
        "{text}"
    );
    assert!(
        text.contains(&dutch_date(quarter.established_on())),
        "{text}"
    );
    assert!(!page.html.contains("<table"), "{text}");
    let early = overleg
        .get(&format!("/overleg?kwartaal={k}"))
        .await
        .unwrap();
    assert_eq!(early.status, StatusCode::NOT_FOUND, "{}", early.text());
    let early_file = overleg
        .download(&format!("/overleg/csv/trechter.csv?kwartaal={k}"))
        .await
        .unwrap();
    assert_eq!(early_file.status, StatusCode::NOT_FOUND);

    // Regie's pages in a browser, at desktop and phone width.
    let mut browser = Browser::start().await.unwrap();
    browser
        .login_as(
            &format!("{base}/aanmelden?terug=/overleg"),
            "Regievoerder van de gemeente — Den Haag",
        )
        .await
        .unwrap();
    walk_in_browser(&mut browser, &base, "regie", &k).await;
    browser.close().await.unwrap();

    // The quarter established: the dashboard's clock moved past the moment, and a late signal
    // entered with the signalling service's clock moved as far.
    let offset = (quarter.established_on() - today).whole_days() + 1;
    let dashboard = platform.service_mut(ServiceName::Dashboard);
    dashboard.set_environment("KINDPAKKET_OVERLEG_THRESHOLD", &THRESHOLD.to_string());
    for service in [ServiceName::Dashboard, ServiceName::Signalling] {
        let process = platform.service_mut(service);
        process.set_environment("KINDPAKKET_CLOCK_OFFSET_DAYS", &offset.to_string());
        process.start_again().await.unwrap();
    }
    signal(&kindpakket, Uuid::new_v4(), NORTH, &today.to_string()).await;

    let page = overleg.get("/overleg").await.unwrap();
    page_ok(&page);
    let text = page.text();
    assert!(
        page.html
            .contains(&format!("<option value=\"{k}\" selected>")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "Vastgesteld per {}",
            dutch_date(quarter.established_on())
        )),
        "{text}"
    );
    assert!(
        !text.contains("Voorlopig") && !text.contains("U ziet de cijfers exact"),
        "{text}"
    );
    assert_eq!(
        text.matches("Aantallen onder de 3 zijn verborgen").count(),
        1,
        "{text}"
    );
    for (step, exact) in [
        ("Gesignaleerd", 4),
        ("Aangevraagd", 5),
        ("Toegekend", 4),
        ("Bediend", 3),
    ] {
        let shown = disclosed(exact).map_or("verborgen".to_owned(), |count| count.to_string());
        assert_eq!(row(&page.html, step), [shown], "{step}");
    }

    let page = overleg.get(&format!("/overleg?{query}")).await.unwrap();
    page_ok(&page);
    for (wijk, exact) in [
        (NORTH, [3, 3, 3, 3]),
        (SOUTH, [1, 0, 0, 0]),
        ("Onbekend", [0, 2, 1, 0]),
    ] {
        let cells = row(&page.html, wijk);
        for (cell, exact) in cells.iter().zip(exact) {
            match disclosed(exact) {
                // Hidden by the threshold.
                None => assert_eq!(cell, "verborgen", "{wijk}: {cells:?}"),
                // Shown rounded, or hidden as the second cell of a sum.
                Some(shown) => assert!(
                    cell == &shown.to_string() || cell == "verborgen",
                    "{wijk}: {cells:?}"
                ),
            }
        }
    }
    assert_eq!(row(&page.html, "Totaal")[..4], texts(&["5", "5", "5", "5"]));
    let file = overleg
        .download(&format!("/overleg/csv/trechter.csv?{query}"))
        .await
        .unwrap();
    assert_eq!(
        csv_lines(&file, &format!("kindpakket-den-haag-{k}-trechter.csv")),
        [
            "Stap;Kinderen",
            "Gesignaleerd;5",
            "Aangevraagd;5",
            "Toegekend;5",
            "Bediend;5"
        ]
    );
    let file = overleg
        .download(&format!("/overleg/csv/indeling.csv?{query}"))
        .await
        .unwrap();
    let lines = csv_lines(&file, &format!("kindpakket-den-haag-{k}-indeling-wijk.csv"));
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with(&format!("{SOUTH};verborgen;"))),
        "{lines:?}"
    );
    let pdf = overleg
        .download(&format!("/overleg/rapport.pdf?{query}"))
        .await
        .unwrap();
    assert!(
        pdf.bytes.starts_with(b"%PDF"),
        "{}",
        String::from_utf8_lossy(&pdf.bytes)
    );
    let printed = pdf_text(&pdf.bytes);
    assert!(
        printed.contains(&format!("Kwartaalrapport {k}")),
        "{printed}"
    );
    assert!(!printed.contains("(voorlopig)"), "{printed}");
    assert!(
        printed.contains("Aantallen onder de 3 zijn verborgen"),
        "{printed}"
    );
    assert!(printed.contains("Totaal 5 5 5 5"), "{printed}");
    // The quarter after is not established: refused, with the day it will be.
    let later = overleg
        .get(&format!("/overleg?kwartaal={next}"))
        .await
        .unwrap();
    assert_eq!(later.status, StatusCode::NOT_FOUND, "{}", later.text());
    assert!(
        later
            .text()
            .contains(&dutch_date(quarter.next().established_on())),
        "{}",
        later.text()
    );

    // The late signal: not in the established quarter; regie sees it in the next one.
    let late = figures_when(&kindpakket, &base, &next, |figures| {
        figures["nagekomen"]
            .as_array()
            .is_some_and(|rows| rows.iter().any(|row| row["kwartaal"] == json!(k)))
    })
    .await;
    assert_eq!(late["voorlopig"], json!(true));
    let page = regie
        .get(&format!("/overleg?kwartaal={next}"))
        .await
        .unwrap();
    page_ok(&page);
    assert_eq!(
        row(&page.html, &format!("Nagekomen over {k}")),
        texts(&["1", "0", "0", "0"])
    );
    let page = regie.get(&format!("/overleg?kwartaal={k}")).await.unwrap();
    assert_eq!(row(&page.html, "Gesignaleerd"), ["4"]);

    // The overleg's pages in a browser.
    let mut browser = Browser::start().await.unwrap();
    browser
        .login_as(
            &format!("{base}/aanmelden?terug=/overleg"),
            "Lid van het kwartaaloverleg — Den Haag",
        )
        .await
        .unwrap();
    walk_in_browser(&mut browser, &base, "overleg", &k).await;
    browser.close().await.unwrap();
}

/// Chooses the quarter and the breakdown in the form (no script: the form is sent as a `GET`),
/// checks the charts load as images and render under the pages' headers, and runs axe at both
/// widths, saving screenshots.
async fn walk_in_browser(browser: &mut Browser, base: &str, who: &str, quarter: &str) {
    // One folder of screenshots per role: each browser starts its own.
    let test = format!("{TEST}_{who}");
    let test = test.as_str();
    for width in ["desktop", "phone"] {
        if width == "desktop" {
            browser.desktop().await.unwrap();
        } else {
            browser.phone().await.unwrap();
        }
        browser.goto(&format!("{base}/overleg")).await.unwrap();
        browser.select("#kwartaal", quarter).await.unwrap();
        browser.select("#indeling", "wijk").await.unwrap();
        browser.click_button_with_text("Tonen").await.unwrap();
        let url = browser.current_url().await.unwrap();
        assert_eq!(url.path(), "/overleg");
        assert_eq!(
            url.query(),
            Some(format!("kwartaal={quarter}&indeling=wijk").as_str())
        );
        let text = browser.text().await.unwrap();
        assert!(text.contains(NORTH) && text.contains("Totaal"), "{text}");
        let images = browser
            .execute(
                "return Array.from(document.images).filter((image) => image.src.includes('/overleg/grafiek/')).map((image) => image.complete && image.naturalWidth > 0);",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(images, json!([true, true]), "both charts load as images");
        browser.screenshot(test, "kwartaal").await.unwrap();
        browser.assert_accessible(test, "kwartaal").await.unwrap();
        browser.assert_fits_width().await.unwrap();

        browser
            .goto(&format!(
                "{base}/overleg/rapport?kwartaal={quarter}&indeling=wijk"
            ))
            .await
            .unwrap();
        browser.screenshot(test, "rapport").await.unwrap();
        browser.assert_accessible(test, "rapport").await.unwrap();
        browser.assert_fits_width().await.unwrap();
    }
    // A chart opened on its own, under the same Content-Security-Policy: the bars are drawn in
    // their colour (presentation attributes, no style).
    browser.desktop().await.unwrap();
    browser
        .goto(&format!(
            "{base}/overleg/grafiek/trechter.svg?kwartaal={quarter}&indeling=wijk"
        ))
        .await
        .unwrap();
    let drawn = browser
        .execute(
            "const bar = document.querySelector('rect[fill=\"#1F4E79\"]'); return [document.documentElement.tagName, bar ? getComputedStyle(bar).fill : null];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(drawn, json!(["svg", "rgb(31, 78, 121)"]));
    browser.screenshot(test, "grafiek").await.unwrap();
}
