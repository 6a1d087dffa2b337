//! The doelgroep page and what the overleg's pages make of it (docs/overleg.md, "The doelgroep",
//! "Bereik", "Budgetten"), through the pages themselves:
//!
//! - regie sets the year's doelgroep on `/regie/doelgroep` and the regie API answers the same table;
//!   a table the API refuses is shown beside the form with what was typed kept, and changes nothing;
//!   a partner and a post without the form token are refused and change nothing;
//! - on `/overleg` regie reads the quarter's budgets per funding source and reach against that
//!   doelgroep, in total and per wijk, on the page and in the CSV files.

use std::time::Duration;

use kindpakket_tests::client::{As, Kindpakket, REGIE};
use kindpakket_tests::pages::{text_of, Download, PageAnswer, PageSession};
use kindpakket_tests::wait::{wait_until, when};
use kindpakket_tests::{Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

const G: &str = "GM0518";
const WIJKTEAM: &str = "wijkteam-centrum";
const CLUB: &str = "jeugdfonds-sport-cultuur";
const NORTH: &str = "WK051801";

fn page_ok(page: &PageAnswer) {
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
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

fn csv_lines(file: &Download) -> Vec<String> {
    assert_eq!(
        file.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&file.bytes)
    );
    String::from_utf8(file.bytes[3..].to_vec())
        .unwrap()
        .split("\r\n")
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The year's doelgroep as the regie API answers it to regie.
async fn doelgroep(kindpakket: &Kindpakket, year: i32) -> Value {
    kindpakket
        .get(
            &kindpakket.regie_url(G, &format!("doelgroep/{year}")),
            Some(REGIE),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap()
}

/// Two children in the north, signalled, applied for, granted (€ 250 each, paid from the
/// gemeente's general means: the regeling names no funder) and served by the club (€ 180 each).
async fn two_children_served(kindpakket: &Kindpakket, year: i32, date: &str) {
    kindpakket.sport_regeling(G, year).await.unwrap();
    kindpakket
        .enrol_signaller(G, WIJKTEAM, "Wijkteam Centrum")
        .await
        .unwrap();
    let who = As {
        organisation: WIJKTEAM,
        role: "signaller",
    };
    for _ in 0..2 {
        let child = Uuid::new_v4();
        let body = json!({
            "kind": kindpakket.child_reference(WIJKTEAM, child).unwrap(),
            "voorzieningsoort": "maatschappelijke_participatie",
            "reden": "laag_inkomen",
            "datum": date,
            "wijk": NORTH,
        });
        let created = kindpakket
            .post_signal(G, who, &body)
            .await
            .unwrap()
            .expect(StatusCode::CREATED)
            .unwrap();
        let signalled = Uuid::parse_str(created["id"].as_str().unwrap()).unwrap();
        let application = kindpakket
            .apply(
                G,
                child,
                year - 9,
                &["sportcontributie"],
                Some(signalled),
                date,
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
            .deliver(G, CLUB, entitlement, 18_000, date)
            .await
            .unwrap()
            .expect(StatusCode::CREATED)
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regie_sets_the_doelgroep_on_its_page_and_reads_reach_and_budgets_on_the_overleg_page() {
    let platform = Platform::start().await.unwrap();
    let _login = platform.start_login(&[(G, "Den Haag")]).await.unwrap();
    let base = platform.url(ServiceName::Dashboard, "");
    let kindpakket = platform.client();
    let today = kindpakket_platform::clock::today();
    let year = today.year();
    let quarter = format!("{year}-K{}", (u8::from(today.month()) - 1) / 3 + 1);
    two_children_served(&kindpakket, year, &today.to_string()).await;

    // Regie: no doelgroep yet; set one in the form.
    let mut regie = PageSession::login(&base, "regievoerder", G).await.unwrap();
    let path = format!("/regie/doelgroep?jaar={year}");
    let page = regie.get(&path).await.unwrap();
    page_ok(&page);
    assert!(
        page.text()
            .contains(&format!("Voor {year} is nog geen doelgroep vastgesteld.")),
        "{}",
        page.text()
    );
    // The task is in regie's navigation.
    assert!(page.html.contains("href=\"/regie/doelgroep\""));
    let year_text = year.to_string();
    let form = |rows: [(&'static str, &'static str, &'static str); 3]| {
        let mut fields = vec![
            ("jaar", year_text.clone()),
            ("bron", "eigen_inkomensgegevens".to_owned()),
        ];
        for (wijk, age, children) in rows {
            fields.push(("wijk", wijk.to_owned()));
            fields.push(("leeftijd", age.to_owned()));
            fields.push(("kinderen", children.to_owned()));
        }
        fields
    };
    let fields = form([(NORTH, "4-11", "40"), ("", "0-3", "10"), ("", "", "")]);
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = regie.post("/regie/doelgroep", &borrowed).await.unwrap();
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    let page = regie.follow(&done).await.unwrap();
    page_ok(&page);
    let text = page.text();
    assert!(
        text.contains(&format!("De doelgroep voor {year} is vastgesteld.")),
        "{text}"
    );
    assert!(
        text.contains("Versie 1") && text.contains("In totaal 50 kinderen."),
        "{text}"
    );
    let set = doelgroep(&kindpakket, year).await;
    assert_eq!(set["versie"], json!(1));
    assert_eq!(set["bron"], json!("eigen_inkomensgegevens"));
    assert_eq!(set["kinderen"], json!(50));
    assert_eq!(
        set["rijen"],
        json!([
            {"wijk": null, "leeftijd": "0-3", "kinderen": 10},
            {"wijk": NORTH, "leeftijd": "4-11", "kinderen": 40},
        ])
    );

    // A wijk of another gemeente: the API's refusal beside the form, what was typed kept.
    let fields = form([("WK036301", "4-11", "70"), ("", "", ""), ("", "", "")]);
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = regie.post("/regie/doelgroep", &borrowed).await.unwrap();
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
    assert!(refused.html.contains("value=\"WK036301\""));
    assert!(refused.html.contains("value=\"70\""));
    // A partner, and a post without the form token (another site's), are refused.
    let mut partner = PageSession::login(&base, "leergeld", G).await.unwrap();
    assert_eq!(
        partner.get(&path).await.unwrap().status,
        StatusCode::FORBIDDEN
    );
    let fields = form([(NORTH, "4-11", "999"), ("", "", ""), ("", "", "")]);
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let by_partner = partner.post("/regie/doelgroep", &borrowed).await.unwrap();
    assert_eq!(by_partner.status, StatusCode::FORBIDDEN);
    let forged = regie.post_raw("/regie/doelgroep", &borrowed).await.unwrap();
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.text().contains("Er is niets opgeslagen"));
    let unchanged = doelgroep(&kindpakket, year).await;
    assert_eq!(unchanged, set, "nothing changed by the refused posts");

    // The quarter against it, once the dashboard has the doelgroep and the deliveries.
    let url = format!("{base}/api/v1/gemeenten/{G}/kwartalen/{quarter}?indeling=wijk");
    wait_until(
        "regie's figures with the doelgroep",
        Duration::from_secs(60),
        || async {
            let answer = kindpakket.get(&url, Some(REGIE)).await?;
            when(
                answer.status == StatusCode::OK
                    && answer.body["doelgroep"]["kinderen"] == json!(50)
                    && answer.body["gebruik"]["bediend"] == json!(2)
                    && answer.body["budgetten"].as_array().is_some_and(|rows| {
                        rows.iter().any(|row| row["uitgegeven"] == json!(36_000))
                    }),
                answer.body,
            )
        },
    )
    .await
    .unwrap();
    // The page's row of the wijk counts its children from events of their own (signals,
    // applications, grants): read once it has them all, as the quarter's total above.
    let query = format!("kwartaal={quarter}&indeling=wijk");
    let mut page = regie.get(&format!("/overleg?{query}")).await.unwrap();
    for _ in 0..120 {
        if row(&page.html, NORTH) == ["2", "2", "2", "2", "40", "2", "5"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        page = regie.get(&format!("/overleg?{query}")).await.unwrap();
    }
    page_ok(&page);
    let text = page.text();
    assert!(
        text.contains(&format!(
            "Bereik: 4%. Voor {year} verwacht de gemeente 50 kinderen met recht op het kindpakket (uit de eigen inkomensgegevens van de gemeente)"
        )),
        "{text}"
    );
    // Verwacht 40, bediend in het jaar 2, bereik 5% in the north; the rows without wijk expected
    // 10 and reached nobody; the total against the whole doelgroep.
    assert_eq!(row(&page.html, NORTH), ["2", "2", "2", "2", "40", "2", "5"]);
    assert_eq!(row(&page.html, "Onbekend")[4..], ["10", "0", "0"]);
    assert_eq!(row(&page.html, "Totaal")[4..], ["50", "2", "4"]);
    // The budgets: no allocation, € 500 committed and € 360 spent for two children.
    let budget = row(&page.html, "Gemeentelijke fondsen");
    assert_eq!(
        budget[..3],
        ["€ 0,00", "€ 500,00", "€ 360,00"],
        "{budget:?}"
    );
    assert_eq!(budget[4], "2");

    let file = regie
        .download(&format!("/overleg/csv/budgetten.csv?{query}"))
        .await
        .unwrap();
    let lines = csv_lines(&file);
    assert_eq!(
        lines[0],
        "Bron;Toegewezen;Vastgelegd;Uitgegeven;Prognose eind van het jaar;Kinderen"
    );
    assert!(
        lines.iter().any(
            |line| line.starts_with("Gemeentelijke fondsen;0,00;500,00;360,00;")
                && line.ends_with(";2")
        ),
        "{lines:?}"
    );
    let file = regie
        .download(&format!("/overleg/csv/indeling.csv?{query}"))
        .await
        .unwrap();
    let lines = csv_lines(&file);
    assert_eq!(
        lines[0],
        "Wijk;Gesignaleerd;Aangevraagd;Toegekend;Bediend;Verwacht;Bediend in het jaar;Bereik %"
    );
    assert!(
        lines.contains(&format!("{NORTH};2;2;2;2;40;2;5")),
        "{lines:?}"
    );
    assert_eq!(lines.last().unwrap(), "Totaal;2;2;2;2;50;2;4");
}
