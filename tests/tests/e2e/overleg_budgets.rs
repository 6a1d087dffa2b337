//! The budgets per funding source in the quarterly figures: what the regeling allocated, what the
//! grants committed and what the deliveries spent, each split between funder and co-funder, as
//! regie reads them for the running quarter.

use std::collections::BTreeMap;
use std::time::Duration;

use kindpakket_tests::client::{provision, Kindpakket, REGIE};
use kindpakket_tests::harness::Platform;
use kindpakket_tests::wait::{wait_until, when};
use kindpakket_tests::ServiceName;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

const G: &str = "GM0344";

/// A family at 110% applies for a laptop and a sport contribution for one child of nine, today;
/// the regeling decides. Returns the entitlement ids by provision.
async fn granted(kindpakket: &Kindpakket, today: &str, year: i32) -> BTreeMap<String, Uuid> {
    let application = kindpakket
        .submit(
            G,
            &json!({
                "kanaal": "loket",
                "huishouden": Uuid::new_v4(),
                "kinderen": [{"kind": Uuid::new_v4(), "geboortejaar": year - 9, "geboortemaand": 2}],
                "inkomenPercentage": 110,
                "voorzieningen": ["laptop", "sportcontributie"],
                "datum": today,
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

/// The spending projected at the year's end as docs/overleg.md states the rule: spent so far at
/// the pace of the days passed, no less than spent, no more than the larger of committed and
/// allocated.
fn projected(spent: i64, committed: i64, allocated: i64, day_of_year: i64, days: i64) -> i64 {
    let at_pace = (spent * days + day_of_year / 2) / day_of_year;
    at_pace.clamp(spent, spent.max(committed).max(allocated))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regie_reads_each_sources_budget_committed_and_spent_split_as_the_regeling_sets() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    let today = kindpakket_platform::clock::today();
    let year = today.year();
    // The laptop: the gemeente pays, Leergeld a quarter of every euro (no budget of its own); the
    // sport contribution: the Rijk's money. Budgets from two sources.
    let mut laptop = provision("laptop", "Laptop", "school", (4, 17), 40_000, "in_natura");
    laptop["financiers"] =
        json!([{"organisatie": "gemeente-utrecht", "bron": "gemeentelijke_fondsen"}]);
    laptop["medefinanciering"] = json!({"organisatie": "leergeld-utrecht", "bron": "externe_fondsen", "aandeelPercentage": 25});
    let mut sport = provision(
        "sportcontributie",
        "Sportcontributie",
        "maatschappelijke_participatie",
        (4, 17),
        25_000,
        "in_natura",
    );
    sport["financiers"] = json!([{"organisatie": "rijksoverheid", "bron": "rijksmiddelen"}]);
    kindpakket
        .post(
            &kindpakket.regie_url(G, "regelingen"),
            REGIE,
            &json!({
                "jaar": year, "geldigVanaf": format!("{year}-01-01"), "geldigTot": format!("{year}-12-31"),
                "inkomensgrens": {"soort": "percentage", "percentage": 120},
                "voorzieningen": [laptop, sport],
                "budgetten": [
                    {"voorziening": "sportcontributie", "bron": "rijksmiddelen", "bedragCent": 1_000_000},
                    {"type": "school", "bron": "gemeentelijke_fondsen", "bedragCent": 2_000_000},
                ],
            }),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    kindpakket
        .enrol_partner(G, "computerwinkel", "Computerwinkel", &["laptop"])
        .await
        .unwrap();
    kindpakket
        .enrol_partner(G, "sportclub", "Sportclub", &["sportcontributie"])
        .await
        .unwrap();

    // Three children granted both; two laptops and two sport contributions delivered.
    let date = today.to_string();
    let mut children = Vec::new();
    for _ in 0..3 {
        children.push(granted(&kindpakket, &date, year).await);
    }
    for (partner, provision, child, amount) in [
        ("computerwinkel", "laptop", 0, 40_000),
        ("computerwinkel", "laptop", 1, 33_333),
        ("sportclub", "sportcontributie", 0, 25_000),
        ("sportclub", "sportcontributie", 2, 10_000),
    ] {
        let entitlement = children[child][provision];
        kindpakket
            .wait_for_entitlement(G, partner, entitlement, Duration::from_secs(20))
            .await
            .unwrap();
        kindpakket
            .deliver(G, partner, entitlement, amount, &date)
            .await
            .unwrap()
            .expect(StatusCode::CREATED)
            .unwrap();
    }

    let quarter = format!("{year}-K{}", (u8::from(today.month()) - 1) / 3 + 1);
    let url = format!(
        "{}/api/v1/gemeenten/{G}/kwartalen/{quarter}",
        kindpakket.endpoints.dashboard
    );
    // Committed: 3 × (400 + 250) euros. Spent: the laptops 400,00 + 333,33 euros (a quarter of each
    // Leergeld's, rounded down to the cent: 100,00 and 83,33) and the sport 250 + 100 euros.
    let figures = wait_until(
        "the three grants and four deliveries counted",
        Duration::from_secs(30),
        || async {
            let answer = kindpakket
                .get(&url, Some(REGIE))
                .await?
                .expect(StatusCode::OK)?;
            let sum = |field: &str| -> i64 {
                answer["budgetten"]
                    .as_array()
                    .map(|rows| rows.iter().filter_map(|r| r[field].as_i64()).sum())
                    .unwrap_or(0)
            };
            when(
                sum("vastgelegd") == 195_000 && sum("uitgegeven") == 108_333,
                answer,
            )
        },
    )
    .await
    .unwrap();
    assert_eq!(figures["voorlopig"], true, "{figures}");
    assert_eq!(figures["openbaarheid"]["soort"], "exact", "{figures}");
    assert_eq!(figures["gebruik"]["inBeeld"], 3, "{figures}");
    // Outreach: every child got something, and what is left on their entitlements runs to the
    // year's end: 3 × (400 + 250) − (400 + 250 + 333,33 + 100) euros.
    assert_eq!(
        figures["nogNietBediend"],
        json!({"kinderen": 0, "tegoedCent": 86_667, "perVervaldatum": [
            {"vervaltOp": format!("{year}-12-31"), "kinderen": 0, "tegoedCent": 86_667}
        ]}),
        "{figures}"
    );
    let rows = figures["budgetten"].as_array().unwrap();
    let sources: Vec<&str> = rows.iter().map(|r| r["bron"].as_str().unwrap()).collect();
    assert_eq!(
        sources,
        vec!["rijksmiddelen", "gemeentelijke_fondsen", "externe_fondsen"],
        "{figures}"
    );
    let day_of_year = i64::from(today.ordinal());
    let days = if time::util::is_leap_year(year) {
        366
    } else {
        365
    };
    // (allocated, committed, spent, children) per source.
    let expected = [
        // Three sport contributions of 250, from the Rijk's 10.000.
        ("rijksmiddelen", 1_000_000, 75_000, 35_000, 3),
        // Three laptops of 400, three quarters each, from the gemeente's 20.000.
        ("gemeentelijke_fondsen", 2_000_000, 90_000, 55_000, 3),
        // Leergeld's quarter of them, without a budget of its own.
        ("externe_fondsen", 0, 30_000, 18_333, 3),
    ];
    for (row, (source, allocated, committed, spent, children)) in rows.iter().zip(expected) {
        assert_eq!(row["bron"], source);
        assert_eq!(row["toegewezen"], allocated, "{source}: {row}");
        assert_eq!(row["vastgelegd"], committed, "{source}: {row}");
        assert_eq!(row["uitgegeven"], spent, "{source}: {row}");
        assert_eq!(row["kinderen"], children, "{source}: {row}");
        let projection = row["prognose"].as_i64().unwrap();
        assert_eq!(
            projection,
            projected(spent, committed, allocated, day_of_year, days),
            "{source}: {row}"
        );
        assert!(
            (spent..=committed.max(allocated)).contains(&projection),
            "{source}: {row}"
        );
    }
    // A report restricted to a wijk has no budgets: a budget is the whole gemeente's.
    let filtered: Value = kindpakket
        .get(&format!("{url}?wijk=onbekend"), Some(REGIE))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(filtered["budgetten"], json!([]), "{filtered}");

    // Rebuilt from the streams: the versions, their budgets and who pays each entitlement come
    // again, and the budgets are what they were.
    let service = platform.service_mut(ServiceName::Dashboard);
    service.kill();
    let (status, output) = service.run_once(&["rebuild"], &[]).unwrap();
    assert!(status.success(), "rebuild: {output}");
    service.start_again().await.unwrap();
    let rebuilt = wait_until("the replay done", Duration::from_secs(60), || async {
        let answer = kindpakket.get(&url, Some(REGIE)).await?;
        when(answer.status == StatusCode::OK, answer.body)
    })
    .await
    .unwrap();
    assert_eq!(rebuilt["budgetten"], figures["budgetten"], "{rebuilt}");
}

/// A regeling version for `year` from `from`, with a sport contribution and `budgets`.
fn version(year: i32, from: &str, budgets: Value) -> Value {
    json!({
        "jaar": year, "geldigVanaf": from, "geldigTot": format!("{year}-12-31"),
        "inkomensgrens": {"soort": "percentage", "percentage": 120},
        "voorzieningen": [provision(
            "sportcontributie",
            "Sportcontributie",
            "maatschappelijke_participatie",
            (4, 17),
            25_000,
            "in_natura",
        )],
        "budgetten": budgets,
    })
}

/// The allocation per source of one quarter as regie reads it, once `done` holds for it.
async fn allocated(
    kindpakket: &Kindpakket,
    quarter: &str,
    done: impl Fn(&Value) -> bool,
) -> BTreeMap<String, i64> {
    let url = format!(
        "{}/api/v1/gemeenten/{G}/kwartalen/{quarter}",
        kindpakket.endpoints.dashboard
    );
    let figures = wait_until(
        &format!("the budgets of {quarter}"),
        Duration::from_secs(30),
        || async {
            let answer = kindpakket
                .get(&url, Some(REGIE))
                .await?
                .expect(StatusCode::OK)?;
            when(done(&answer["budgetten"]), answer)
        },
    )
    .await
    .unwrap();
    figures["budgetten"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["bron"].as_str().unwrap().to_owned(),
                row["toegewezen"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correction_restates_the_years_budgets_from_the_quarter_it_is_in_force_and_not_before() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    let today = kindpakket_platform::clock::today();
    let year = today.year();
    let number = (u8::from(today.month()) - 1) / 3 + 1;
    let running = format!("{year}-K{number}");
    let first = kindpakket
        .post(
            &kindpakket.regie_url(G, "regelingen"),
            REGIE,
            &version(
                year,
                &format!("{year}-01-01"),
                json!([{"voorziening": "sportcontributie", "bron": "rijksmiddelen", "bedragCent": 1_000_000}]),
            ),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let first = first["id"].as_str().unwrap().to_owned();
    let national_only = allocated(&kindpakket, &running, |rows| {
        rows.as_array().is_some_and(|rows| !rows.is_empty())
    })
    .await;
    assert_eq!(
        national_only,
        BTreeMap::from([("rijksmiddelen".to_owned(), 1_000_000)])
    );

    // Corrected from the running quarter's first day (from 2 January in the first): the year's
    // budgets restated, more from the Rijk and some from the gemeente.
    let quarter_start = time::Date::from_calendar_date(
        year,
        time::Month::try_from((number - 1) * 3 + 1).unwrap(),
        1,
    )
    .unwrap();
    let from =
        quarter_start.max(time::Date::from_calendar_date(year, time::Month::January, 2).unwrap());
    kindpakket
        .post(
            &kindpakket.regie_url(G, &format!("regelingen/{first}/wijziging")),
            REGIE,
            &version(
                year,
                &from.to_string(),
                json!([
                    {"voorziening": "sportcontributie", "bron": "rijksmiddelen", "bedragCent": 1_500_000},
                    {"type": "maatschappelijke_participatie", "bron": "gemeentelijke_fondsen", "bedragCent": 200_000},
                ]),
            ),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    // The running quarter: the correction's budgets, not added to the first version's.
    let restated = allocated(&kindpakket, &running, |rows| {
        rows.as_array().is_some_and(|rows| rows.len() == 2)
    })
    .await;
    assert_eq!(
        restated,
        BTreeMap::from([
            ("rijksmiddelen".to_owned(), 1_500_000),
            ("gemeentelijke_fondsen".to_owned(), 200_000),
        ])
    );
    // The quarter before. Established (14 days after its end), it is as of that moment, before
    // either version was published: no budget. Provisional, it is as of now, and its last day was
    // under the first version: that one's budgets, though the correction is known by now.
    let (previous_year, previous_number) = if number == 1 {
        (year - 1, 4)
    } else {
        (year, number - 1)
    };
    let previous = format!("{previous_year}-K{previous_number}");
    let url = format!(
        "{}/api/v1/gemeenten/{G}/kwartalen/{previous}",
        kindpakket.endpoints.dashboard
    );
    let check_previous = |figures: Value| {
        let expected = if figures["voorlopig"] == true && previous_year == year {
            json!([{"bron": "rijksmiddelen", "toegewezen": 1_000_000, "vastgelegd": 0,
                    "uitgegeven": 0, "prognose": 0, "kinderen": 0}])
        } else {
            json!([])
        };
        assert_eq!(figures["budgetten"], expected, "{figures}");
        figures["voorlopig"] == true
    };
    let read_previous = || async {
        kindpakket
            .get(&url, Some(REGIE))
            .await
            .unwrap()
            .expect(StatusCode::OK)
            .unwrap()
    };
    check_previous(read_previous().await);
    // With a year's grace no quarter of the last year is established yet: the quarter before is
    // provisional, as of now.
    let dashboard = platform.service_mut(ServiceName::Dashboard);
    dashboard.set_environment("KINDPAKKET_OVERLEG_GRACE_DAYS", "366");
    dashboard.start_again().await.unwrap();
    assert!(
        check_previous(read_previous().await),
        "{previous} provisional"
    );
}
