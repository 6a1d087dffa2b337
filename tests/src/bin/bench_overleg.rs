//! Measures the quarterly overleg's two promises against the real services on a throw-away
//! Postgres and nats-server:
//! - how soon a new event shows in the figures: a signal is posted and the live funnel read until it
//!   counts it, many times over (the relay, the stream, the dashboard's consumer and the read);
//! - how fast one quarter's figures answer per breakdown, for a gemeente with a history (signals in
//!   three wijken, applications, grants).
//!
//! `cargo run -p kindpakket-tests --bin bench-overleg -- [signals] [rounds]` (default 300 40); the
//! service binaries must be built in the same profile (`cargo build --workspace --bins`).

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use kindpakket_tests::client::{As, REGIE};
use kindpakket_tests::Platform;
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

const G: &str = "GM0518";
const SCHOOL: As<'static> = As {
    organisation: "basisschool-de-regenboog",
    role: "signaller",
};
const WIJKEN: [&str; 3] = ["WK051801", "WK051802", "WK051803"];

fn median_and_p90(mut times: Vec<f64>) -> (f64, f64, f64) {
    times.sort_by(f64::total_cmp);
    let at = |share: f64| times[((times.len() - 1) as f64 * share).round() as usize];
    (at(0.5), at(0.9), times[times.len() - 1])
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let signals: usize = args.first().and_then(|n| n.parse().ok()).unwrap_or(300);
    let rounds: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(40);

    let platform = Platform::start().await?;
    let kindpakket = platform.client();
    let today = kindpakket_platform::clock::today();
    let year = today.year();
    kindpakket.sport_regeling(G, year).await?;
    kindpakket
        .enrol_signaller(G, SCHOOL.organisation, "Basisschool De Regenboog")
        .await?;
    kindpakket.wait_until_known(G, SCHOOL).await?;
    eprintln!("loading {signals} signals in three wijken, half of them applied for…");
    let date = today.to_string();
    let signal = |child: Uuid, wijk: &str| {
        json!({
            "kind": kindpakket.child_reference(SCHOOL.organisation, child).unwrap_or_default(),
            "voorzieningsoort": "maatschappelijke_participatie",
            "reden": "laag_inkomen",
            "datum": date,
            "wijk": wijk,
        })
    };
    for index in 0..signals {
        let child = Uuid::new_v4();
        let created = kindpakket
            .post_signal(G, SCHOOL, &signal(child, WIJKEN[index % 3]))
            .await?
            .expect(StatusCode::CREATED)?;
        if index % 2 == 0 {
            let channel = ["loket", "online"][index % 4 / 2];
            kindpakket
                .submit(
                    G,
                    &json!({
                        "kanaal": channel,
                        "huishouden": Uuid::new_v4(),
                        "kinderen": [{"kind": child, "geboortejaar": year - 3 - (index as i32 % 12),
                                      "geboortemaand": 4}],
                        "inkomenPercentage": 105,
                        "voorzieningen": ["sportcontributie"],
                        "signalering": created["id"],
                        "datum": date,
                    }),
                )
                .await?;
        }
    }
    let funnel_url = format!(
        "{}/api/v1/gemeenten/{G}/trechter",
        kindpakket.endpoints.dashboard
    );
    let signalled = |answer: &serde_json::Value| answer["gesignaleerd"].as_i64().unwrap_or(0);
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        let funnel = kindpakket.get(&funnel_url, Some(REGIE)).await?;
        if signalled(&funnel.body) >= signals as i64 {
            break;
        }
        if Instant::now() > until {
            bail!(
                "the signals did not all reach the dashboard: {}",
                funnel.body
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // From a signal accepted (201) to the live funnel counting it.
    let mut lags = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let before = signalled(&kindpakket.get(&funnel_url, Some(REGIE)).await?.body);
        let started = Instant::now();
        kindpakket
            .post_signal(G, SCHOOL, &signal(Uuid::new_v4(), WIJKEN[round % 3]))
            .await?
            .expect(StatusCode::CREATED)?;
        loop {
            let funnel = kindpakket.get(&funnel_url, Some(REGIE)).await?;
            if signalled(&funnel.body) > before {
                break;
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!("a signal did not reach the dashboard within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        lags.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    println!("| measure | median ms | p90 ms | slowest ms |");
    println!("|---|---|---|---|");
    let (median, p90, slowest) = median_and_p90(lags);
    println!(
        "| a signal posted until the funnel counts it ({rounds} times) | {median:.0} | {p90:.0} | {slowest:.0} |"
    );

    // One quarter's figures per breakdown, as regie reads the running quarter.
    let quarter = format!("{year}-K{}", (u8::from(today.month()) - 1) / 3 + 1);
    for breakdown in ["", "wijk", "leeftijd", "kanaal", "voorziening", "partner"] {
        let url = format!(
            "{}/api/v1/gemeenten/{G}/kwartalen/{quarter}{}",
            kindpakket.endpoints.dashboard,
            if breakdown.is_empty() {
                String::new()
            } else {
                format!("?indeling={breakdown}")
            }
        );
        for _ in 0..3 {
            kindpakket
                .get(&url, Some(REGIE))
                .await?
                .expect(StatusCode::OK)?;
        }
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let started = Instant::now();
            kindpakket
                .get(&url, Some(REGIE))
                .await?
                .expect(StatusCode::OK)?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        let (median, p90, slowest) = median_and_p90(times);
        let name = if breakdown.is_empty() {
            "geen"
        } else {
            breakdown
        };
        println!(
            "| quarter's figures, indeling {name} ({} signals) | {median:.1} | {p90:.1} | {slowest:.1} |",
            signals + rounds
        );
    }
    Ok(())
}
