//! The kwartaaloverleg's figures and their disclosure, as an attacker tries them
//! (`docs/overleg.md`). A quarter of about fifty children is made through the public APIs
//! (`kindpakket_tests::overleg`); the dashboard's clock is moved past the moment the quarter is
//! established; then
//!
//! - regie reads the quarter exactly: every count as the test sent it;
//! - the overleg reads every quarter it may, in every breakdown: every count shown agrees with the
//!   true one under the policy (hidden below 10, rounded to 5), the small wijk is hidden, no relation
//!   has exactly one hidden cell, and reasoning over every relation at once
//!   (`kindpakket_tests::disclosure_attack`) pins no hidden cell to one value — also with exact
//!   figures (`KINDPAKKET_OVERLEG_ROUNDING=1`), where secondary suppression alone must protect them;
//! - the overleg is refused the live funnel, a quarter not yet established, a filter, an unknown
//!   breakdown or quarter and another gemeente, and nothing changes by any of it;
//! - a late application (dated in the quarter, made after it was established) leaves the quarter
//!   as it was, and the next quarter's report lists it as nagekomen; a rebuild of the read model
//!   gives the same figures;
//! - (ignored until the policy protects it) a quarter of twelve children, where the overleg pins
//!   two hidden wijken to one child each.

use std::time::Duration;

use kindpakket_tests::client::{Kindpakket, OVERLEG, REGIE};
use kindpakket_tests::disclosure_attack::{
    self, counts, round_half_up, Policy, QuarterReads, STEPS,
};
use kindpakket_tests::overleg::{
    self, clock_offset_past, dutch_date, quarter_url, quarters_url, wijken, Quarter, Scenario,
    Truth, GRACE_DAYS,
};
use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use time::OffsetDateTime;
use uuid::Uuid;

const G: &str = "GM0518";
/// Another gemeente, whose figures the overleg of `G` may not read.
const H: &str = "GM0014";

const THRESHOLD: i64 = 10;

/// The quarter `plan` makes today, with the dashboard caught up with every fact of it (regie's
/// live funnel says what the test sent).
async fn quarter_made(
    platform: &Platform,
    plan: fn(&str, time::Date) -> Vec<overleg::FamilyPlan>,
) -> Scenario {
    let kindpakket = platform.client();
    let today = OffsetDateTime::now_utc().date();
    let scenario = overleg::make(&kindpakket, G, today, plan(G, today))
        .await
        .expect("the quarter is made through the APIs");
    let truth = scenario.truth.clone();
    kindpakket
        .wait_for_funnel(G, Duration::from_secs(60), |funnel| {
            let partner = |code: &str| {
                funnel["partners"]
                    .as_array()
                    .and_then(|partners| partners.iter().find(|row| row["partner"] == code))
                    .cloned()
                    .unwrap_or_default()
            };
            STEPS
                .iter()
                .all(|step| funnel[step] == truth.funnel.get(step))
                && truth.partners.iter().all(|(code, counts)| {
                    let row = partner(code);
                    // (The live funnel's `doorverwezen` counts signals, the quarter's children.)
                    ["bediend", "verstrekkingen", "bedragCent"]
                        .iter()
                        .all(|count| row[count] == json!(counts.get(count)))
                })
        })
        .await
        .expect("the dashboard has every fact");
    scenario
}

/// Days to move a service's clock so that `quarter` is established for it.
fn past_establishment(quarter: Quarter) -> i64 {
    clock_offset_past(
        quarter.established_at(GRACE_DAYS),
        OffsetDateTime::now_utc(),
    )
}

/// Restarts `service` with its clock moved past `quarter`'s establishment, and `environment`.
async fn restart_established(
    platform: &mut Platform,
    service: ServiceName,
    quarter: Quarter,
    environment: &[(&str, &str)],
) {
    let process = platform.service_mut(service);
    process.set_environment(
        "KINDPAKKET_CLOCK_OFFSET_DAYS",
        &past_establishment(quarter).to_string(),
    );
    for (key, value) in environment {
        process.set_environment(key, value);
    }
    process.start_again().await.expect("restarts");
}

/// Everything `who` reads of `G`: the list of quarters and every quarter in every breakdown.
async fn everything(
    kindpakket: &Kindpakket,
    who: kindpakket_tests::client::As<'_>,
) -> (Value, Vec<QuarterReads>) {
    overleg::read_everything(kindpakket, who, G)
        .await
        .expect("every quarter and breakdown answers")
}

/// The answer of `quarter` in `reads`, per breakdown.
fn answers_of<'a>(reads: &'a [QuarterReads], quarter: &str) -> &'a [(Option<String>, Value)] {
    &reads
        .iter()
        .find(|read| read.quarter == quarter)
        .unwrap_or_else(|| panic!("{quarter} read"))
        .answers
}

/// Regie's reading is the truth, count by count; the lead times' medians lie within their cases.
fn assert_exact(reads: &[QuarterReads], scenario: &Scenario) {
    let quarter = scenario.quarter.code();
    let cells = scenario.truth.cells(&quarter);
    for (breakdown, answer) in answers_of(reads, &quarter) {
        assert_eq!(answer["openbaarheid"]["soort"], "exact", "{answer}");
        assert_eq!(answer["voorlopig"], false);
        for (name, shown) in counts(&quarter, breakdown.as_deref(), answer).unwrap() {
            let truth = cells.get(&name).copied().unwrap_or(0);
            assert_eq!(shown, json!(truth), "{name} ({breakdown:?}) for regie");
        }
        // Every row the test made is there (rows of zero may be left out or listed).
        if let Some(breakdown) = breakdown {
            let listed: Vec<&str> = answer["rijen"]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| row["waarde"].as_str().unwrap())
                .collect();
            for value in scenario.truth.rows_of(breakdown).keys() {
                assert!(
                    listed.contains(&value.as_str()),
                    "{breakdown} {value}: {listed:?}"
                );
            }
        }
        for partner in answer["partners"].as_array().unwrap() {
            let code = partner["partner"].as_str().unwrap();
            let amount = scenario
                .truth
                .partners
                .get(code)
                .map_or(0, |counts| counts.bedrag_cent);
            assert_eq!(partner["bedragCent"], amount, "{code}");
        }
        for lead_time in answer["doorlooptijden"].as_array().unwrap() {
            let route = lead_time["traject"].as_str().unwrap();
            let cases = scenario
                .truth
                .lead_times
                .get(route)
                .cloned()
                .unwrap_or_default();
            if let (Some(min), Some(max)) = (cases.iter().min(), cases.iter().max()) {
                let median = lead_time["mediaanDagen"].as_f64().unwrap();
                let p90 = lead_time["p90Dagen"].as_f64().unwrap();
                assert!(
                    (*min as f64..=*max as f64).contains(&median) && median <= p90,
                    "{route}: {lead_time} for {cases:?}"
                );
            }
        }
        let usage = &answer["gebruik"];
        let expected = (100 * scenario.truth.usage_served + scenario.truth.usage_in_view / 2)
            / scenario.truth.usage_in_view;
        assert_eq!(usage["percentage"], expected, "{usage}");
        for late in answer["nagekomen"].as_array().unwrap() {
            for step in STEPS {
                assert_eq!(late[step], 0, "nothing was late: {late}");
            }
        }
    }
}

/// The overleg's reading agrees with the truth under `policy`, and follows each rule of it.
fn assert_disclosed(reads: &[QuarterReads], scenario: &Scenario, policy: Policy) {
    let quarter = scenario.quarter.code();
    let cells = scenario.truth.cells(&quarter);
    for (breakdown, answer) in answers_of(reads, &quarter) {
        let what = format!("{quarter} by {breakdown:?}");
        assert_eq!(
            answer["openbaarheid"],
            json!({"soort": "overleg", "drempel": policy.threshold, "afronding": policy.rounding}),
            "{what}"
        );
        assert_eq!(answer["voorlopig"], false, "{what}");
        // 1, 2: each count hidden when small, otherwise rounded; zero shown. A count hidden
        // besides (secondary) was at least not zero.
        for (name, shown) in counts(&quarter, breakdown.as_deref(), answer).unwrap() {
            let truth = cells.get(&name).copied().unwrap_or(0);
            match shown.as_i64() {
                None => {
                    assert!(shown.is_null(), "{name}: {shown}");
                    assert_ne!(truth, 0, "{name}: a zero hidden ({what})");
                }
                Some(shown) => {
                    assert!(
                        !(1..policy.threshold).contains(&truth),
                        "{name}: {truth} shown as {shown} ({what})"
                    );
                    assert_eq!(
                        shown,
                        round_half_up(truth, policy.rounding),
                        "{name}: true {truth} ({what})"
                    );
                }
            }
        }
        // 3: no published sum with exactly one hidden cell.
        if let Some(breakdown) = breakdown {
            for step in STEPS {
                let hidden = answer["rijen"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|row| row[step].is_null())
                    .count()
                    + usize::from(answer["trechter"][step].is_null());
                assert_ne!(hidden, 1, "{breakdown} {step}: one hidden cell in {answer}");
            }
        }
        // An amount hidden with the children it went to; shown as the shown children times the
        // average per child (in whole euros), so it tells no more than the rounded count.
        for partner in answer["partners"].as_array().unwrap() {
            let code = partner["partner"].as_str().unwrap();
            match partner["bediend"].as_i64() {
                None => assert!(partner["bedragCent"].is_null(), "{code}: {partner}"),
                Some(shown) => {
                    let truth = scenario
                        .truth
                        .partners
                        .get(code)
                        .copied()
                        .unwrap_or_default();
                    let expected = if truth.bediend == 0 {
                        0
                    } else {
                        let average = truth.bedrag_cent as f64 / truth.bediend as f64;
                        (shown as f64 * average / 100.0).round() as i64 * 100
                    };
                    assert_eq!(partner["bedragCent"], expected, "{code}: {partner}");
                }
            }
        }
        // The signals per signaller are a published sum of the children signalled, too.
        let signals = answer["signaleerders"].as_array().unwrap();
        let hidden = signals
            .iter()
            .filter(|row| row["signalen"].is_null())
            .count();
        if !answer["trechter"]["gesignaleerd"].is_null() {
            assert_ne!(hidden, 1, "one signaller hidden alone: {signals:?}");
        }
        // A percentage from the shown counts only.
        let usage = &answer["gebruik"];
        match (usage["bediend"].as_i64(), usage["inBeeld"].as_i64()) {
            (Some(served), Some(in_view)) if in_view > 0 => {
                let percentage = usage["percentage"].as_f64().unwrap();
                let exact = 100.0 * served as f64 / in_view as f64;
                assert!((percentage - exact).abs() <= 0.5, "{usage}");
            }
            _ => assert!(usage["percentage"].is_null(), "{usage}"),
        }
        // A median or percentile only where its cases are shown.
        for lead_time in answer["doorlooptijden"].as_array().unwrap() {
            if lead_time["aantal"].is_null() {
                assert!(lead_time["mediaanDagen"].is_null(), "{lead_time}");
                assert!(lead_time["p90Dagen"].is_null(), "{lead_time}");
            } else if lead_time["aantal"] != 0 {
                assert!(
                    lead_time["mediaanDagen"].is_i64(),
                    "whole days: {lead_time}"
                );
            }
        }
    }
    // The small wijk is hidden in every step it has children in (and the large one is shown).
    let [large, small, _] = wijken(G);
    let by_wijk = &answers_of(reads, &quarter)
        .iter()
        .find(|(breakdown, _)| breakdown.as_deref() == Some("wijk"))
        .unwrap()
        .1;
    let row = |wijk: &str| {
        by_wijk["rijen"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["waarde"] == wijk)
            .unwrap_or_else(|| panic!("{wijk} in {by_wijk}"))
            .clone()
    };
    let small_steps = scenario.truth.rows_of("wijk")[&small];
    for step in STEPS.iter().filter(|step| small_steps.get(step) > 0) {
        assert!(row(&small)[step].is_null(), "{small} {step}: {by_wijk}");
    }
    assert!(row(&large)["gesignaleerd"].is_i64(), "{by_wijk}");
}

/// What every relation together gives away: nothing pinned, and the truth inside every range (the
/// attack's reasoning is sound, so "not pinned" means something).
fn assert_not_recovered(reads: &[QuarterReads], truth: &Truth, quarter: &str, routing_known: bool) {
    let mut attack =
        disclosure_attack::gather(reads).expect("the answers are shaped as documented");
    if routing_known {
        overleg::outside_knowledge(&mut attack, quarter);
    }
    let solution = attack
        .solve()
        .unwrap_or_else(|infeasible| panic!("{infeasible}"));
    let cells = truth.cells(quarter);
    let hidden: Vec<(&str, _)> = solution.hidden().collect();
    assert!(!hidden.is_empty(), "some cell is hidden");
    for (name, interval) in &hidden {
        if name.starts_with(quarter) {
            let value = cells.get(*name).copied().unwrap_or(0);
            assert!(
                interval.contains(value),
                "{name}: the attack says {interval}, the truth is {value}"
            );
        }
    }
    assert!(
        solution.disclosed().is_empty(),
        "hidden cells narrowed to one value: {:?}",
        solution.disclosed()
    );
}

/// The overleg's median and 90th percentile are regie's, where its cases are shown.
fn assert_lead_times_as_regie_reads_them(
    reads: &[QuarterReads],
    regie: &[QuarterReads],
    quarter: &str,
) {
    let lead_times =
        |reads: &[QuarterReads]| answers_of(reads, quarter)[0].1["doorlooptijden"].clone();
    let (overleg, exact) = (lead_times(reads), lead_times(regie));
    for (shown, exact) in overleg
        .as_array()
        .unwrap()
        .iter()
        .zip(exact.as_array().unwrap())
    {
        assert_eq!(shown["traject"], exact["traject"]);
        if !shown["aantal"].is_null() {
            assert_eq!(shown["mediaanDagen"], exact["mediaanDagen"], "{shown}");
            assert_eq!(shown["p90Dagen"], exact["p90Dagen"], "{shown}");
        }
    }
}

/// Every refusal the overleg meets, and what it says.
async fn assert_refused(platform: &Platform, kindpakket: &Kindpakket, quarter: Quarter) {
    let get = |url: String| async move { kindpakket.get(&url, Some(OVERLEG)).await.unwrap() };
    let dashboard = |path: &str| platform.url(ServiceName::Dashboard, path);

    // The live figures are for regie and the auditor.
    for path in [
        "/api/v1/trechter",
        &format!("/api/v1/gemeenten/{G}/trechter"),
    ] {
        let answer = get(dashboard(path)).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            answer.body
        );
    }
    let token = platform
        .issuer
        .mint(OVERLEG.organisation, OVERLEG.role, &[G], 3600);
    let page = platform
        .http()
        .get(dashboard("/"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::FORBIDDEN, "the page /");

    // The running quarter is not established: 404, saying when it will be.
    let running = quarter.next();
    let answer = get(quarter_url(kindpakket, G, &running.code(), Some("wijk"))).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.body);
    let when = dutch_date(running.established_at(GRACE_DAYS).date());
    assert_eq!(
        answer.detail(),
        format!(
            "Het kwartaal {} is nog niet vastgesteld; dat gebeurt op {when}.",
            running.code()
        )
    );

    // One breakdown at a time, no filters; a quarter and a breakdown as documented.
    let established = quarter.code();
    let base = quarter_url(kindpakket, G, &established, None);
    let [large, ..] = wijken(G);
    for query in [
        format!("?wijk={large}"),
        "?leeftijd=4-11".to_owned(),
        format!("?indeling=leeftijd&wijk={large}"),
        "?kanaal=online".to_owned(),
    ] {
        let answer = get(format!("{base}{query}")).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{query}: {}",
            answer.body
        );
        assert!(!answer.detail().is_empty(), "{query}: a message");
    }
    for breakdown in ["school", "wijk,leeftijd", "WIJK", "wijk&indeling=leeftijd"] {
        let answer = get(format!("{base}?indeling={breakdown}")).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{breakdown}: {}",
            answer.body
        );
    }
    for unknown in ["2026-K5", "2026K4", "2026-Q4", "K4-2026", "2026-K0"] {
        let answer = get(quarter_url(kindpakket, G, unknown, None)).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{unknown}: {}",
            answer.body
        );
        assert!(
            answer
                .detail()
                .starts_with("Onbekend kwartaal: schrijf het als 2026-K4"),
            "{unknown}: {}",
            answer.detail()
        );
    }

    // Another gemeente: a token for G only, asking for H.
    for url in [
        quarters_url(kindpakket, H),
        quarter_url(kindpakket, H, &established, Some("wijk")),
    ] {
        let answer = platform
            .http()
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_hidden_figure_of_an_established_quarter_can_be_recovered_from_everything_the_overleg_reads(
) {
    let mut platform = Platform::start().await.expect("platform starts");
    let scenario = quarter_made(&platform, overleg::plan).await;
    let quarter = scenario.quarter;
    restart_established(&mut platform, ServiceName::Dashboard, quarter, &[]).await;
    let kindpakket = platform.client();

    // Regie reads the quarter exactly; its list has the running quarter too.
    let (regie_list, regie_reads) = everything(&kindpakket, REGIE).await;
    assert_exact(&regie_reads, &scenario);
    let codes = |list: &Value| -> Vec<String> {
        list["kwartalen"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["kwartaal"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(codes(&regie_list), [quarter.next().code(), quarter.code()]);
    assert_eq!(regie_list["kwartalen"][0]["voorlopig"], true);

    // The overleg reads the established quarter only, under the policy.
    let (list, reads) = everything(&kindpakket, OVERLEG).await;
    assert_eq!(
        list,
        json!({"kwartalen": [{
            "kwartaal": quarter.code(),
            "van": quarter.first_day().to_string(),
            "tot": quarter.last_day().to_string(),
            "vastgesteldPer": format!("{}T00:00:00Z", quarter.established_at(GRACE_DAYS).date()),
            "voorlopig": false,
        }]})
    );
    let policy = Policy {
        threshold: THRESHOLD,
        rounding: 5,
    };
    assert_disclosed(&reads, &scenario, policy);
    assert_lead_times_as_regie_reads_them(&reads, &regie_reads, &quarter.code());
    // Rounded: not even who delivers what and where the routing sends a signal helps.
    assert_not_recovered(&reads, &scenario.truth, &quarter.code(), true);

    // The refusals, and nothing changed by them.
    let events = platform.events_stored_everywhere().await;
    assert_refused(&platform, &kindpakket, quarter).await;
    assert_eq!(platform.events_stored_everywhere().await, events);
    assert_eq!(everything(&kindpakket, OVERLEG).await.1.len(), reads.len());
    for (again, before) in everything(&kindpakket, OVERLEG).await.1.iter().zip(&reads) {
        assert_eq!(again.answers, before.answers, "{}", before.quarter);
    }

    // Exact counts for the overleg: secondary suppression alone must protect the hidden ones.
    restart_established(
        &mut platform,
        ServiceName::Dashboard,
        quarter,
        &[("KINDPAKKET_OVERLEG_ROUNDING", "1")],
    )
    .await;
    let (_, exact_reads) = everything(&kindpakket, OVERLEG).await;
    let exact = Policy {
        threshold: THRESHOLD,
        rounding: 1,
    };
    assert_disclosed(&exact_reads, &scenario, exact);
    assert_lead_times_as_regie_reads_them(&exact_reads, &regie_reads, &quarter.code());
    // From the figures alone (docs/overleg.md: with exact counts, secondary suppression does not
    // follow the routing's link between the breakdowns by partner and by provision type).
    assert_not_recovered(&exact_reads, &scenario.truth, &quarter.code(), false);
}

/// How far the dashboard's consumers are: the events applied, summed over every aggregate.
async fn applied(platform: &Platform) -> i64 {
    let pool = sqlx::PgPool::connect(&platform.postgres.url(ServiceName::Dashboard.database()))
        .await
        .unwrap();
    let applied: i64 =
        sqlx::query_scalar("SELECT coalesce(sum(last_sequence), 0)::bigint FROM consumer_offsets")
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    applied
}

/// The figures of `quarter` as `who` reads them, every breakdown.
async fn quarter_figures(
    kindpakket: &Kindpakket,
    who: kindpakket_tests::client::As<'_>,
    quarter: &str,
) -> Vec<Value> {
    let mut figures = Vec::new();
    for breakdown in disclosure_attack::BREAKDOWNS {
        figures.push(
            kindpakket
                .get(&quarter_url(kindpakket, G, quarter, breakdown), Some(who))
                .await
                .unwrap()
                .expect(StatusCode::OK)
                .unwrap(),
        );
    }
    figures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_application_leaves_the_established_quarter_as_it_was_and_a_rebuild_gives_the_same_figures(
) {
    let mut platform = Platform::start().await.expect("platform starts");
    let scenario = quarter_made(&platform, overleg::plan).await;
    let quarter = scenario.quarter;
    let code = quarter.code();
    restart_established(&mut platform, ServiceName::Dashboard, quarter, &[]).await;
    let kindpakket = platform.client();
    let regie_before = quarter_figures(&kindpakket, REGIE, &code).await;
    let overleg_before = quarter_figures(&kindpakket, OVERLEG, &code).await;
    let (_, regie_reads) = everything(&kindpakket, REGIE).await;
    assert_exact(&regie_reads, &scenario);

    // A paper application entered after the quarter was established, dated inside it.
    restart_established(&mut platform, ServiceName::Application, quarter, &[]).await;
    let today = OffsetDateTime::now_utc().date();
    let child = Uuid::new_v4();
    kindpakket
        .submit(
            G,
            &json!({
                "kanaal": "online",
                "huishouden": Uuid::new_v4(),
                "kinderen": [{"kind": child, "geboortejaar": today.year() - 9, "geboortemaand": 1}],
                "inkomenPercentage": 105,
                "datum": today,
            }),
        )
        .await
        .expect("a late application is taken in");

    // The next quarter (running, voorlopig for regie) lists it as late for this one.
    let next = quarter.next().code();
    let late = wait_until(
        "the late application in the next quarter's report",
        Duration::from_secs(60),
        || async {
            let report = kindpakket
                .get(&quarter_url(&kindpakket, G, &next, None), Some(REGIE))
                .await?
                .expect(StatusCode::OK)?;
            let row = report["nagekomen"]
                .as_array()
                .and_then(|rows| rows.iter().find(|row| row["kwartaal"] == code.as_str()))
                .cloned();
            when(
                row.as_ref().is_some_and(|row| row["aangevraagd"] == 1),
                (report, row),
            )
        },
    )
    .await
    .unwrap();
    assert_eq!(late.0["voorlopig"], true, "{}", late.0);
    assert_eq!(
        late.1,
        Some(
            json!({"kwartaal": code, "gesignaleerd": 0, "aangevraagd": 1, "toegekend": 0,
                    "bediend": 0})
        ),
        "{}",
        late.0
    );
    for step in STEPS {
        assert_eq!(late.0["trechter"][step], 0, "nothing else in {next}");
    }

    // The established quarter did not move, for regie nor for the overleg: the late application
    // is not in it.
    let unchanged = |label: &str, now: &[Value], before: &[Value]| {
        for (now, before) in now.iter().zip(before) {
            assert_eq!(now, before, "{label}, by {}", before["indeling"]);
        }
    };
    unchanged(
        "regie, after the late application",
        &quarter_figures(&kindpakket, REGIE, &code).await,
        &regie_before,
    );
    unchanged(
        "the overleg, after the late application",
        &quarter_figures(&kindpakket, OVERLEG, &code).await,
        &overleg_before,
    );
    assert_eq!(
        regie_before[0]["trechter"]["aangevraagd"],
        scenario.truth.funnel.get("aangevraagd")
    );

    // Rebuilt from the streams, the read model gives the same figures (the running quarter's
    // moment is now, so that moves).
    let provisional = |mut figures: Vec<Value>| {
        for answer in &mut figures {
            answer["vastgesteldPer"] = Value::Null;
        }
        figures
    };
    let next_before = provisional(quarter_figures(&kindpakket, REGIE, &next).await);
    let offsets = applied(&platform).await;
    let dashboard = platform.service_mut(ServiceName::Dashboard);
    dashboard.kill();
    let (status, output) = dashboard.run_once(&["rebuild"], &[]).unwrap();
    assert!(status.success(), "rebuild: {output}");
    dashboard.start_again().await.unwrap();
    wait_until(
        "the dashboard's consumers caught up again",
        Duration::from_secs(60),
        || async {
            let now = applied(&platform).await;
            when(now == offsets, now)
        },
    )
    .await
    .unwrap();
    // Until the replay is done the figures answer 503 (`GET /api/v1/opbouw` says how far).
    let progress = format!("{}/api/v1/opbouw", kindpakket.endpoints.dashboard);
    wait_until("the rebuild done", Duration::from_secs(60), || async {
        let answer = kindpakket.get(&progress, Some(REGIE)).await?;
        when(answer.body["bezig"] == false, answer.body)
    })
    .await
    .unwrap();
    unchanged(
        "regie, rebuilt",
        &quarter_figures(&kindpakket, REGIE, &code).await,
        &regie_before,
    );
    unchanged(
        "the overleg, rebuilt",
        &quarter_figures(&kindpakket, OVERLEG, &code).await,
        &overleg_before,
    );
    unchanged(
        "the next quarter, rebuilt",
        &provisional(quarter_figures(&kindpakket, REGIE, &next).await),
        &next_before,
    );
}

/// A small quarter: twelve children signalled, ten in one wijk and one in each of two others. The
/// overleg reads the total as 10 (so 10 to 12: below 10 it would be hidden) and the large wijk as 10
/// (10 to 12), the two small wijken hidden (each at least 1). Together they are at most 12 - 10 = 2,
/// so each is 1. The documented policy adds no third hidden cell to a sum that has two, and the
/// bound "a shown count is at least the threshold" makes a rounded count near it nearly exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the disclosure policy gives away two hidden wijken of one child each in a quarter of \
            twelve children (see the report of the attack test); run with --ignored"]
async fn in_a_quarter_of_twelve_children_no_hidden_wijk_is_pinned() {
    let mut platform = Platform::start().await.expect("platform starts");
    let scenario = quarter_made(&platform, overleg::small_plan).await;
    let quarter = scenario.quarter;
    restart_established(&mut platform, ServiceName::Dashboard, quarter, &[]).await;
    let kindpakket = platform.client();
    let (_, reads) = everything(&kindpakket, OVERLEG).await;
    assert_disclosed(
        &reads,
        &scenario,
        Policy {
            threshold: THRESHOLD,
            rounding: 5,
        },
    );
    assert_not_recovered(&reads, &scenario.truth, &quarter.code(), false);
}
