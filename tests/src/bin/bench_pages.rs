//! Measures how fast the pages answer, end to end: the browser's request to the dashboard service
//! (the backend-for-frontend), its calls to the services' APIs with the person's token, and the
//! rendered HTML back — against the real services on a throw-away Postgres and nats-server, with a
//! gemeente holding some history (signals, applications, partners). Prints the median and the 90th
//! percentile per page over many requests, one after another (a person clicking, not a load test).
//!
//! `cargo run -p kindpakket-tests --bin bench-pages -- [signals] [requests]` (default 200 40); the
//! service binaries must be built in the same profile (`cargo build --workspace --bins`).

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use kindpakket_tests::client::{As, REGIE};
use kindpakket_tests::pages::PageSession;
use kindpakket_tests::{Platform, ServiceName};
use serde_json::json;
use uuid::Uuid;

const G: &str = "GM0518";
const SCHOOL: As<'static> = As {
    organisation: "basisschool-de-regenboog",
    role: "signaller",
};

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let signals: usize = args.first().and_then(|n| n.parse().ok()).unwrap_or(200);
    let requests: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(40);

    let platform = Platform::start().await?;
    let _login = platform.start_login(&[(G, "Den Haag")]).await?;
    let base = platform.url(ServiceName::Dashboard, "");
    let kindpakket = platform.client();
    let year = kindpakket_platform::clock::today().year();
    kindpakket.sport_regeling(G, year).await?;
    kindpakket
        .enrol_partner(G, "leergeld", "Stichting Leergeld", &["sportcontributie"])
        .await?;
    kindpakket
        .set_routing(
            G,
            json!([{"voorzieningsoort": "maatschappelijke_participatie", "wijk": null,
                    "naar": {"partner": "leergeld"}, "reactietermijnWerkdagen": 5}]),
        )
        .await?;
    kindpakket
        .enrol_signaller(G, SCHOOL.organisation, "Basisschool De Regenboog")
        .await?;
    kindpakket.wait_until_known(G, SCHOOL).await?;
    eprintln!("loading {signals} signals and half as many applications…");
    let date = format!("{year}-03-10");
    for index in 0..signals {
        let child = Uuid::new_v4();
        let signal = kindpakket
            .signal_child_for(
                G,
                SCHOOL.organisation,
                child,
                "maatschappelijke_participatie",
                &date,
            )
            .await?;
        if index % 2 == 0 {
            kindpakket
                .submit(
                    G,
                    &json!({
                        "kanaal": "loket",
                        "huishouden": Uuid::new_v4(),
                        "kinderen": [{"kind": child, "geboortejaar": year - 9, "geboortemaand": 4}],
                        "inkomenPercentage": 105,
                        "voorzieningen": ["sportcontributie"],
                        "signalering": signal,
                        "datum": date,
                    }),
                )
                .await?;
        }
    }
    // The work lists are read models, kept from the streams a moment later.
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = kindpakket
            .get(
                &kindpakket.application_url(G, "aanvragen?status=te-beslissen&aantal=100"),
                Some(REGIE),
            )
            .await?;
        if listed.body["items"].as_array().map_or(0, Vec::len) >= (signals / 2).min(100) {
            break;
        }
        if Instant::now() > until {
            bail!(
                "the applications did not reach the work list: {}",
                listed.body
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let pages: [(&str, &[&str]); 3] = [
        ("school", &["/start", "/signaleren", "/signaleringen"]),
        (
            "leergeld",
            &["/verwijzingen", "/aanvragen/nieuw", "/aanvragen"],
        ),
        (
            "regievoerder",
            &[
                "/regie",
                "/aanvragen?status=te-beslissen",
                "/regie/regeling",
                "/regie/partners",
                "/dashboard",
            ],
        ),
    ];
    println!("| page (as) | median ms | p90 ms | slowest ms |");
    println!("|---|---|---|---|");
    for (user, paths) in pages {
        let mut session = PageSession::login(&base, user, G)
            .await
            .with_context(|| format!("logging in as {user}"))?;
        for path in paths {
            for _ in 0..3 {
                session.get(path).await?;
            }
            let mut times = Vec::with_capacity(requests);
            for _ in 0..requests {
                let started = Instant::now();
                let answer = session.get(path).await?;
                times.push(started.elapsed().as_secs_f64() * 1000.0);
                if answer.status != reqwest::StatusCode::OK {
                    bail!("{path} as {user}: {}", answer.status);
                }
            }
            times.sort_by(f64::total_cmp);
            let at = |share: f64| times[((times.len() - 1) as f64 * share).round() as usize];
            println!(
                "| `{path}` ({user}) | {:.1} | {:.1} | {:.1} |",
                at(0.5),
                at(0.9),
                times[times.len() - 1]
            );
        }
    }
    Ok(())
}
