//! The whole chain of issue 14, through the public APIs of the real services, as the people on it do
//! it: a school identifies a pupil at the vault (by name and date of birth: it has no BSN) and
//! signals the child by the reference it got; regie's routing refers the signal to Stichting
//! Leergeld, which has no account and answers through one-time links (picked up, family reached);
//! the gemeente's loket applies on the family's behalf (consent and gezag recorded), citing the
//! signal; the application is granted by the regeling; a sports club delivers; and the school sees
//! "bediend" — status only, nothing of the decision, the income or the money. The dashboard counts
//! the child once at every step, because every service names it by the same gemeente id behind the
//! organisations' own references.

use std::time::Duration;

use kindpakket_tests::client::{on_behalf, provision, As, Kindpakket, REGIE};
use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

const G: &str = "GM0518";
const SCHOOL: As<'static> = As {
    organisation: "basisschool-de-regenboog",
    role: "signaller",
};
const LEERGELD: &str = "leergeld";
const SPORTCLUB: &str = "vv-de-zwaluwen";
const WIJK: &str = "WK051801";
/// The family's income as a percentage of the sociaal minimum: under the threshold, so granted.
const INCOME: u16 = 105;

async fn set_up(kindpakket: &Kindpakket) {
    kindpakket
        .publish_regeling(
            G,
            2026,
            &[provision(
                "sportcontributie",
                "Sportcontributie",
                "maatschappelijke_participatie",
                (4, 17),
                25_000,
                "in_natura",
            )],
        )
        .await
        .unwrap();
    for (partner, name) in [
        (LEERGELD, "Stichting Leergeld"),
        (SPORTCLUB, "VV De Zwaluwen"),
    ] {
        kindpakket
            .enrol_partner(G, partner, name, &["sportcontributie"])
            .await
            .unwrap();
    }
    // The routing before the school's enrolment: both reach the signalling service in this order.
    kindpakket
        .set_routing(
            G,
            json!([{"voorzieningsoort": "maatschappelijke_participatie", "wijk": WIJK,
                    "naar": {"partner": LEERGELD}, "reactietermijnWerkdagen": 5}]),
        )
        .await
        .unwrap();
    kindpakket
        .enrol_signaller(G, SCHOOL.organisation, "Basisschool De Regenboog")
        .await
        .unwrap();
}

fn signal_url(kindpakket: &Kindpakket, id: &str, step: &str) -> String {
    let path = if step.is_empty() {
        format!("signaleringen/{id}")
    } else {
        format!("signaleringen/{id}/{step}")
    };
    kindpakket.signalling_url(G, &path)
}

/// The school's own row of its signal on its work list.
async fn school_row(kindpakket: &Kindpakket, id: &str) -> Option<Value> {
    let page = kindpakket
        .get(&kindpakket.signalling_url(G, "signaleringen"), Some(SCHOOL))
        .await
        .ok()?
        .expect(StatusCode::OK)
        .ok()?;
    page["items"]
        .as_array()?
        .iter()
        .find(|row| row["id"] == id)
        .cloned()
}

/// Waits until the school's list shows its signal with `status`.
async fn school_sees(kindpakket: &Kindpakket, id: &str, status: &str) -> Value {
    let what = format!("the school sees its signal as {status}");
    wait_until(&what, Duration::from_secs(30), || async {
        let row = school_row(kindpakket, id).await;
        let seen = row.as_ref().map(|row| row["status"].clone());
        when(seen == Some(json!(status)), row)
    })
    .await
    .unwrap()
    .unwrap()
}

/// Leergeld answers through a fresh one-time link the regie made for the referral.
async fn leergeld_answers(platform: &Platform, kindpakket: &Kindpakket, id: &str, answer: &str) {
    let link = kindpakket
        .post(
            &signal_url(kindpakket, id, "eenmalige-link"),
            REGIE,
            &json!({}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let url = platform.url(ServiceName::Signalling, link["url"].as_str().unwrap());
    // What the volunteer sees: the minimum to act on, nothing about the family.
    let shown = kindpakket
        .get(&url, None)
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(shown["voorzieningsoort"], "maatschappelijke_participatie");
    assert_eq!(shown["signaleerder"]["naam"], "Basisschool De Regenboog");
    for absent in ["kind", "huishouden", "reden", "toelichting"] {
        assert!(shown.get(absent).is_none(), "{absent}: {shown}");
    }
    kindpakket
        .post_anonymously(&url, &json!({"antwoord": answer}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    // Single use: the same link again changes nothing.
    let again = kindpakket
        .post_anonymously(&url, &json!({"antwoord": answer}))
        .await
        .unwrap();
    assert_eq!(again.status, StatusCode::GONE, "{}", again.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schools_signal_reaches_a_served_child_and_the_school_sees_status_only() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    set_up(&kindpakket).await;

    // 1. The school identifies the pupil as it knows her, and gets a reference of its own.
    let pupil =
        json!({"voornaam": "Noor", "achternaam": "El Amrani", "geboortedatum": "2016-04-12"});
    let identified = kindpakket
        .identify(G, SCHOOL, &json!({"kind": pupil}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let reference = identified["kind"].as_str().unwrap().to_owned();

    // 2. It signals the child by that reference, in its wijk, for sport. The routing refers it to
    //    Leergeld with a due date.
    let signal_body = json!({"kind": reference, "wijk": WIJK, "reden": "laag_inkomen",
                             "voorzieningsoort": "maatschappelijke_participatie",
                             "datum": "2026-08-20"});
    let id = wait_until(
        "the signal routed to Leergeld",
        Duration::from_secs(30),
        || async {
            let created = kindpakket
                .post_signal(G, SCHOOL, &signal_body)
                .await?
                .expect(StatusCode::CREATED)?;
            let id = created["id"].as_str().unwrap_or_default().to_owned();
            let view = kindpakket
                .get(&signal_url(&kindpakket, &id, ""), Some(REGIE))
                .await?
                .expect(StatusCode::OK)?;
            when(view["verwezenNaar"]["partner"] == LEERGELD, id)
        },
    )
    .await
    .unwrap();
    school_sees(&kindpakket, &id, "doorverwezen").await;

    // 3. Leergeld, without an account, picks it up and reaches the family, each time through a
    //    one-time link.
    leergeld_answers(&platform, &kindpakket, &id, "opgepakt").await;
    school_sees(&kindpakket, &id, "opgepakt").await;
    leergeld_answers(&platform, &kindpakket, &id, "gezin-bereikt").await;
    school_sees(&kindpakket, &id, "gezin-bereikt").await;

    // 4. The loket applies on the family's behalf: it identifies mother and child (now with the
    //    BSN the mother brought), records her consent and gezag, and cites the school's signal.
    let family = kindpakket
        .identify(
            G,
            REGIE,
            &json!({"kind": {"voornaam": "Noor", "achternaam": "El Amrani",
                             "geboortedatum": "2016-04-12"},
                    "ouder": {"bsn": "111222333"}}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let application = on_behalf(json!({
        "kanaal": "loket",
        "huishouden": family["huishouden"],
        "kinderen": [{"kind": family["kind"], "geboortejaar": 2016, "geboortemaand": 4}],
        "inkomenPercentage": INCOME,
        "voorzieningen": ["sportcontributie"],
        "signalering": id,
        "datum": "2026-09-01",
    }));
    let created = kindpakket
        .submit_as(G, REGIE, &application)
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let application_id = Uuid::parse_str(created["id"].as_str().unwrap()).unwrap();
    school_sees(&kindpakket, &id, "aangevraagd").await;

    // 5. Assessed by the regeling: granted.
    let decided = kindpakket
        .assess(G, application_id, &json!({}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(decided["status"], "toegekend", "{decided}");
    let entitlement = Uuid::parse_str(decided["rechten"][0]["id"].as_str().unwrap()).unwrap();
    school_sees(&kindpakket, &id, "toegekend").await;

    // 6. The sports club enrols the child and records it.
    kindpakket
        .wait_for_entitlement(G, SPORTCLUB, entitlement, Duration::from_secs(30))
        .await
        .unwrap();
    kindpakket
        .deliver(G, SPORTCLUB, entitlement, 18_000, "2026-09-15")
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();

    // 7. The school sees "bediend", and nothing more than status: its row holds the date, its own
    //    reference, the status and the id; its view of the signal nothing of the decision, the
    //    family's income or the money.
    let row = school_sees(&kindpakket, &id, "bediend").await;
    let keys: Vec<&str> = row
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["datum", "id", "kind", "status"], "{row}");
    assert_eq!(row["kind"], reference.as_str());
    let view = kindpakket
        .get(&signal_url(&kindpakket, &id, ""), Some(SCHOOL))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(view["status"], "bediend", "{view}");
    let text = view.to_string();
    for hidden in [
        "verwezenNaar",
        "uiterlijk",
        "bedragCent",
        "inkomenPercentage",
        "beoordeling",
        "recht",
        "18000",
        "25000",
        &application_id.to_string(),
        &entitlement.to_string(),
        "111222333",
    ] {
        assert!(
            !text.contains(hidden),
            "{hidden} shown to the school: {text}"
        );
    }
    // The school cannot read the application, nor the entitlement.
    for url in [
        kindpakket.application_url(G, &format!("aanvragen/{application_id}")),
        kindpakket.provision_url(G, &format!("rechten/{entitlement}")),
    ] {
        let answer = kindpakket.get(&url, Some(SCHOOL)).await.unwrap();
        assert!(
            matches!(answer.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{url}: {}",
            answer.status
        );
    }

    // 8. The dashboard follows one child along the chain: counted once at every step, although the
    //    school, the loket and the club each named it their own way.
    let funnel = kindpakket
        .wait_for_funnel(G, Duration::from_secs(60), |funnel| funnel["bediend"] == 1)
        .await
        .unwrap();
    assert_eq!(
        (
            &funnel["gesignaleerd"],
            &funnel["aangevraagd"],
            &funnel["toegekend"],
            &funnel["bediend"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(1)),
        "{funnel}"
    );
}

/// The README's curl flow, as `scripts/try-chain.sh` runs it, against throw-away services and a
/// development issuer holding their keys: a newcomer's copy of the chain runs end to end, twice (a
/// second run in the same gemeente makes a new child and does not trip over the first), and ends
/// with the school seeing "bediend".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readmes_curl_flow_runs_as_written_and_again() {
    let platform = Platform::start().await.expect("platform starts");
    let port = kindpakket_tests::harness::free_port();
    let _issuer = KillOnDrop(
        std::process::Command::new(
            Platform::binary_path("kindpakket-dev-issuer").expect("the binaries are built"),
        )
        .args(["--dir", platform.issuer_dir().to_str().unwrap()])
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the development issuer starts"),
    );
    let issuer_url = format!("http://127.0.0.1:{port}");
    let http = platform.http();
    wait_until("the issuer answers", Duration::from_secs(20), || async {
        let jwks = http
            .get(format!("{issuer_url}/.well-known/jwks.json"))
            .send()
            .await?;
        when(jwks.status() == StatusCode::OK, ())
    })
    .await
    .unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/try-chain.sh");
    let base = |name: ServiceName| platform.url(name, "");
    for run in 1..=2 {
        let output = tokio::process::Command::new("bash")
            .arg(&script)
            .env("KP_ISSUER", &issuer_url)
            .env("KP_REGIE", base(ServiceName::Regie))
            .env("KP_SIGNALLING", base(ServiceName::Signalling))
            .env("KP_APPLICATION", base(ServiceName::Application))
            .env("KP_PROVISION", base(ServiceName::Provision))
            .env("KP_DASHBOARD", base(ServiceName::Dashboard))
            .env("KP_TRACE", "1")
            .output()
            .await
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        assert!(output.status.success(), "run {run}:\n{stdout}\n{stderr}");
        assert!(
            stdout.contains("\"status\":\"bediend\""),
            "run {run}:\n{stdout}"
        );
        assert!(stdout.contains("try-chain: done"), "run {run}:\n{stdout}");
    }
    let funnel = platform.client().funnel("GM0363").await.unwrap();
    assert_eq!(funnel["bediend"], 2, "two children, one per run: {funnel}");
}

/// A child process stopped when the test ends, also when it fails.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}
