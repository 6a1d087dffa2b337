//! Loads a demo gemeente with some history into a running platform: a regeling, enrolled partners,
//! a wijkteam, a school and a CJG enrolled to signal, signals from them, applications, decisions, deliveries, redeemed vouchers and
//! settled invoices. Running it again
//! changes nothing (it checks whether the demo partner is already enrolled).
//!
//! `kindpakket-demo --regie URL --signalling URL --application URL --provision URL --dashboard URL`

use std::time::Duration;

use anyhow::{bail, Context, Result};
use kindpakket_tests::client::{provision, running_platform, As, Kindpakket, REGIE};
use kindpakket_tests::wait_until;
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

const YEAR: i32 = 2026;

struct Gemeente {
    code: &'static str,
    name: &'static str,
    children: usize,
}

const GEMEENTEN: [Gemeente; 2] = [
    Gemeente {
        code: "GM0518",
        name: "'s-Gravenhage",
        children: 14,
    },
    Gemeente {
        code: "GM0014",
        name: "Groningen",
        children: 7,
    },
];

/// (partner code, name, provisions it delivers)
const PARTNERS: [(&str, &str, &[&str]); 3] = [
    (
        "leergeld",
        "Stichting Leergeld",
        &["schoolspullen", "fiets-brugklas"],
    ),
    (
        "jeugdfonds-sport-cultuur",
        "Jeugdfonds Sport & Cultuur",
        &["sportcontributie", "muziekles"],
    ),
    ("jarige-job", "Stichting Jarige Job", &["verjaardagsbox"]),
];

/// (organisation code, name) of those who signal children; each is enrolled with `signaleren`.
const SIGNALLERS: [(&str, &str); 3] = [
    ("wijkteam-centrum", "Wijkteam Centrum"),
    ("basisschool-de-regenboog", "Basisschool De Regenboog"),
    ("cjg", "Centrum voor Jeugd en Gezin"),
];

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        println!("kindpakket-demo --regie URL --signalling URL --application URL --provision URL --dashboard URL");
        return Ok(());
    }
    // The demo signs its tokens with the development issuer whose keys the services trust, and
    // computes the partners' own ids of entitlements with the provision service's key.
    let platform = running_platform(&args)?;
    for gemeente in &GEMEENTEN {
        load(&platform, gemeente).await?;
        load_till_and_family(&platform, gemeente).await?;
    }
    println!("Demogegevens staan klaar.");
    Ok(())
}

async fn load(platform: &Kindpakket, gemeente: &Gemeente) -> Result<()> {
    let code = gemeente.code;
    let already = platform
        .get(&platform.regie_url(code, "partners/leergeld"), Some(REGIE))
        .await?;
    if already.status == StatusCode::OK {
        println!("{} ({code}): demogegevens waren al geladen.", gemeente.name);
        return Ok(());
    }
    let mut sport = provision(
        "sportcontributie",
        "Sportcontributie",
        "maatschappelijke_participatie",
        (4, 17),
        25_000,
        "in_natura",
    );
    // The Jeugdfonds pays first, while its budget lasts; then the gemeente.
    sport["financiers"] = json!([
        {"organisatie": "jeugdfonds-sport-cultuur", "bron": "externe_fondsen"},
        {"organisatie": "gemeente", "bron": "gemeentelijke_fondsen"},
    ]);
    platform
        .post(
            &platform.regie_url(code, "regelingen"),
            REGIE,
            &json!({
                "jaar": YEAR,
                "geldigVanaf": format!("{YEAR}-01-01"),
                "geldigTot": format!("{YEAR}-12-31"),
                "inkomensgrens": {"soort": "percentage", "percentage": 120},
                "glijdendeSchaal": [{"totPercentage": 130, "aandeelPercentage": 50}],
                "voorzieningen": [
                    sport,
                    provision("muziekles", "Muziekles", "maatschappelijke_participatie", (4, 17), 30_000, "in_natura"),
                    provision("schoolspullen", "Schoolspullen", "school", (4, 17), 7_500, "tegoedbon"),
                    provision("fiets-brugklas", "Fiets voor brugklassers", "vervoer", (11, 13), 15_000, "in_natura"),
                    provision("verjaardagsbox", "Verjaardagsbox", "overig", (4, 12), 2_500, "in_natura"),
                ],
                "budgetten": [{"voorziening": "sportcontributie", "bron": "externe_fondsen", "bedragCent": 50_000}],
            }),
        )
        .await?
        .expect(StatusCode::CREATED)
        .context("publishing the demo regeling")?;
    for (partner, name, provisions) in PARTNERS {
        platform
            .enrol_partner(code, partner, name, provisions)
            .await?;
    }
    // Where signals go: sport and culture to the Jeugdfonds, school costs to Leergeld, the rest to
    // the loket. Set before the signallers are enrolled, so the signalling service knows the
    // routing by the time it accepts their first signal (both come in order on the regie stream).
    platform
        .set_routing(
            code,
            json!([
                {"voorzieningsoort": "maatschappelijke_participatie",
                 "naar": {"partner": "jeugdfonds-sport-cultuur"}, "reactietermijnWerkdagen": 5},
                {"voorzieningsoort": "school", "naar": {"partner": "leergeld"},
                 "reactietermijnWerkdagen": 10},
            ]),
        )
        .await
        .context("setting the demo's routing")?;
    for (signaller, name) in SIGNALLERS {
        platform.enrol_signaller(code, signaller, name).await?;
    }

    // A history: most signalled children apply, most applications are granted, and partners
    // deliver part of what was granted, so the funnel narrows the way the study describes.
    let mut served = 0;
    for index in 0..gemeente.children {
        let child = Uuid::new_v4();
        let month = 3 + (index % 8);
        let date = format!("{YEAR}-{month:02}-10");
        // What the signaller sees the child needs decides where the routing sends it: school costs
        // to Leergeld, sport to the Jeugdfonds, anything else to the gemeente's loket.
        let need = match index % 4 {
            1 => "school",
            2 => "maatschappelijke_participatie",
            _ => "overig",
        };
        let signal = platform
            .signal_child_for(
                code,
                SIGNALLERS[index % SIGNALLERS.len()].0,
                child,
                need,
                &date,
            )
            .await?;
        if index % 5 == 4 {
            continue; // signalled, not (yet) applied: the outreach list of the dashboard
        }
        let (provision_code, partner) = match index % 3 {
            0 => ("sportcontributie", "jeugdfonds-sport-cultuur"),
            1 => ("schoolspullen", "leergeld"),
            _ => ("verjaardagsbox", "jarige-job"),
        };
        let channel = ["online", "loket", "wijkteam"][index % 3];
        let birth_year = YEAR - 6 - (index as i32 % 6);
        // Incomes from 100% to 135% of the sociaal minimum: most are granted, some half (sliding
        // scale up to 130%), a few refused.
        let income = 100 + (index as u16 * 7) % 36;
        let application = platform
            .submit(
                code,
                &json!({
                    "kanaal": channel,
                    "huishouden": Uuid::new_v4(),
                    "kinderen": [{"kind": child, "geboortejaar": birth_year, "geboortemaand": 3}],
                    "inkomenPercentage": income,
                    "voorzieningen": [provision_code],
                    "signalering": signal,
                    "datum": date,
                }),
            )
            .await?;
        let decided = platform
            .assess(code, application, &json!({"datum": date}))
            .await?
            .expect(StatusCode::OK)?;
        if decided["status"] != "toegekend" || index % 4 == 3 {
            continue; // refused, or granted and not yet used: non-use the overleg wants to see
        }
        let entitlement = Uuid::parse_str(
            decided["rechten"][0]["id"]
                .as_str()
                .context("an entitlement")?,
        )?;
        let amount = decided["rechten"][0]["bedragCent"]
            .as_i64()
            .context("an amount")?;
        let answer = if provision_code == "schoolspullen" {
            // A voucher: the gemeente hands the pass to the family, the shop redeems its code (and
            // never sees the entitlement: it finds the pass by the code the family shows).
            let url = platform.provision_url(code, &format!("rechten/{entitlement}"));
            let right = wait_until("the voucher opened", Duration::from_secs(30), || async {
                let answer = platform.get(&url, Some(REGIE)).await?;
                Ok((answer.status == StatusCode::OK).then_some(answer.body))
            })
            .await?;
            let pass = right["passen"][0]["code"]
                .as_str()
                .context("a voucher has a pass")?;
            let redemption = json!({"bedragCent": amount, "datum": date});
            // The shop's enrolment may still be on its way to the provision service.
            wait_until("the voucher redeemed", Duration::from_secs(30), || async {
                let answer = platform.redeem(code, partner, pass, &redemption).await?;
                Ok((answer.status != StatusCode::FORBIDDEN).then_some(answer))
            })
            .await?
        } else {
            platform
                .wait_for_entitlement(code, partner, entitlement, Duration::from_secs(30))
                .await?;
            platform
                .deliver(code, partner, entitlement, amount, &date)
                .await?
        };
        if answer.status != StatusCode::CREATED {
            bail!("demo delivery refused: {}", answer.body);
        }
        served += 1;
    }
    // Each partner invoices the year so far; regie approves every line: the ledger fills.
    for (partner, _, _) in PARTNERS {
        let who = As {
            organisation: partner,
            role: "partner",
        };
        let invoice = platform
            .post(
                &platform.provision_url(code, "facturen"),
                who,
                &json!({"vanaf": format!("{YEAR}-01-01"), "tot": format!("{YEAR}-12-31")}),
            )
            .await?;
        if invoice.status != StatusCode::CREATED {
            continue; // nothing delivered by this partner
        }
        let lines: Vec<_> = invoice.body["regels"]
            .as_array()
            .context("an invoice has lines")?
            .iter()
            .map(|line| json!({"verstrekking": line["verstrekking"], "goedgekeurd": true}))
            .collect();
        let id = invoice.body["id"].as_str().context("an invoice id")?;
        platform
            .post(
                &platform.provision_url(code, &format!("facturen/{id}/beoordeling")),
                REGIE,
                &json!({ "regels": lines }),
            )
            .await?
            .expect(StatusCode::OK)?;
    }
    println!(
        "{} ({code}): regeling {YEAR}, {} partners, {} kinderen gesignaleerd, {served} bediend.",
        gemeente.name,
        PARTNERS.len(),
        gemeente.children
    );
    Ok(())
}

/// The shop of the till (test user "winkel") and the test parent's household (test user "ouder"):
/// Fietsenwinkel De Spaak enrolled to take the demo's vouchers for school things and to deliver
/// bicycles, and the household of `dev_issuer::test_household` with one granted application, a
/// child with a voucher for school things. Loaded once: the shop's enrolment, made last, is the sign
/// that it was.
async fn load_till_and_family(platform: &Kindpakket, gemeente: &Gemeente) -> Result<()> {
    const SHOP: &str = "fietsenwinkel-de-spaak";
    let code = gemeente.code;
    let already = platform
        .get(
            &platform.regie_url(code, &format!("partners/{SHOP}")),
            Some(REGIE),
        )
        .await?;
    if already.status == StatusCode::OK {
        return Ok(());
    }
    let household = kindpakket_platform::dev_issuer::test_household(code);
    let child = Uuid::new_v5(&household, b"kind-1");
    let date = format!("{YEAR}-02-15");
    let application = platform
        .submit(
            code,
            &json!({
                "kanaal": "online",
                "huishouden": household,
                "kinderen": [{"kind": child, "geboortejaar": YEAR - 12, "geboortemaand": 3}],
                "inkomenPercentage": 105,
                "voorzieningen": ["schoolspullen", "fiets-brugklas"],
                "datum": date,
            }),
        )
        .await?;
    let decided = platform
        .assess(code, application, &json!({"datum": date}))
        .await?
        .expect(StatusCode::OK)?;
    if decided["status"] != "toegekend" {
        bail!("the test household's application was not granted: {decided}");
    }
    platform
        .enrol_partner(
            code,
            SHOP,
            "Fietsenwinkel De Spaak",
            &["schoolspullen", "fiets-brugklas"],
        )
        .await?;
    println!(
        "{} ({code}): Fietsenwinkel De Spaak neemt tegoedbonnen in; het testgezin heeft een tegoedbon voor schoolspullen (de code staat bij de regievoerder).",
        gemeente.name
    );
    Ok(())
}
