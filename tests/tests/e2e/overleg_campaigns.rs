//! Reminder campaigns (issue 16): regie grants entitlements to three children (one through Leergeld
//! on the family's behalf, two at the loket) and serves one; a campaign then targets the two granted
//! and not served yet. Only regie starts one (a partner, a school and the overleg are refused with
//! nothing stored); a repeated start changes nothing; the reminders go out through whoever took the
//! application: Leergeld sees the one it took under its own ids, regie the loket's. Once one
//! targeted child is served, regie's running quarter shows the campaign's conversion (in the API, on
//! the page and in its CSV file; not in a report filtered to a wijk), and again after a rebuild.

use std::time::Duration;

use kindpakket_tests::client::{on_behalf, As, Kindpakket, OVERLEG, REGIE};
use kindpakket_tests::pages::PageSession;
use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

const G: &str = "GM0518";
const DELIVERER: &str = "jeugdfonds-sport-cultuur";

const LEERGELD: As<'static> = As {
    organisation: "leergeld",
    role: "partner",
};
const SCHOOL: As<'static> = As {
    organisation: "basisschool-de-regenboog",
    role: "signaller",
};

/// The regeling decides the application; returns its one entitlement.
async fn granted(kindpakket: &Kindpakket, application: Uuid) -> Uuid {
    let decided = kindpakket
        .assess(G, application, &json!({}))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(decided["status"], "toegekend", "{decided}");
    let entitlement = Uuid::parse_str(decided["rechten"][0]["id"].as_str().unwrap()).unwrap();
    // Opened in the provision service (the campaign chooses from there).
    kindpakket
        .wait_for_entitlement(G, DELIVERER, entitlement, Duration::from_secs(20))
        .await
        .unwrap();
    entitlement
}

fn loket_application(year: i32, today: &str) -> Value {
    json!({
        "kanaal": "loket",
        "huishouden": Uuid::new_v4(),
        "kinderen": [{"kind": Uuid::new_v4(), "geboortejaar": year - 9, "geboortemaand": 2}],
        "inkomenPercentage": 110,
        "voorzieningen": ["sportcontributie"],
        "datum": today,
    })
}

async fn campaigns(kindpakket: &Kindpakket) -> Value {
    kindpakket
        .get(&kindpakket.provision_url(G, "campagnes"), Some(REGIE))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap()
}

async fn reminders(kindpakket: &Kindpakket, who: As<'_>) -> Value {
    kindpakket
        .get(&kindpakket.provision_url(G, "herinneringen"), Some(who))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regie_starts_a_campaign_that_goes_out_through_who_took_the_application_and_measures_it() {
    let mut platform = Platform::start().await.expect("platform starts");
    let _login = platform
        .start_login(&[(G, "Den Haag")])
        .await
        .expect("login starts");
    let kindpakket = platform.client();
    let today = kindpakket_platform::clock::today();
    let year = today.year();
    let date = today.to_string();
    kindpakket.sport_regeling(G, year).await.unwrap();
    kindpakket
        .enrol_partner(G, "leergeld", "Leergeld", &["sportcontributie"])
        .await
        .unwrap();
    kindpakket
        .enrol_signaller(G, SCHOOL.organisation, "Basisschool De Regenboog")
        .await
        .unwrap();

    // Leergeld takes one family's application; two families apply at the loket.
    let child = Uuid::new_v4();
    let taken = kindpakket
        .submit_as(
            G,
            LEERGELD,
            &on_behalf(json!({
                "kanaal": "partner",
                "huishouden": kindpakket.household_reference("leergeld", Uuid::new_v4()).unwrap(),
                "kinderen": [{"kind": kindpakket.child_reference("leergeld", child).unwrap(),
                    "geboortejaar": year - 9, "geboortemaand": 2}],
                "inkomenPercentage": 110,
                "voorzieningen": ["sportcontributie"],
                "datum": date,
            })),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let through_leergeld = granted(
        &kindpakket,
        Uuid::parse_str(taken["id"].as_str().unwrap()).unwrap(),
    )
    .await;
    let served_before = granted(
        &kindpakket,
        kindpakket
            .submit(G, &loket_application(year, &date))
            .await
            .unwrap(),
    )
    .await;
    let at_the_loket = granted(
        &kindpakket,
        kindpakket
            .submit(G, &loket_application(year, &date))
            .await
            .unwrap(),
    )
    .await;
    kindpakket
        .deliver(G, DELIVERER, served_before, 10_000, &date)
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();

    let url = kindpakket.provision_url(G, "campagnes");
    let id = Uuid::new_v4();
    let body = json!({"id": id, "naam": "Herinnering voor de start van het schooljaar"});
    // Only regie starts a campaign: nothing is stored for the others.
    for who in [LEERGELD, SCHOOL, OVERLEG] {
        let answer = kindpakket.post(&url, who, &body).await.unwrap();
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{}: {}",
            who.role,
            answer.body
        );
        let answer = kindpakket
            .get(&kindpakket.provision_url(G, "herinneringen"), Some(who))
            .await
            .unwrap();
        if who.role != "partner" {
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{}: {}",
                who.role,
                answer.body
            );
        }
    }
    assert_eq!(campaigns(&kindpakket).await, json!({"campagnes": []}));
    // Of a type nobody was granted: nothing to remind of.
    let answer = kindpakket
        .post(
            &url,
            REGIE,
            &json!({"id": Uuid::new_v4(), "naam": "Schoolkosten", "voorzieningsoort": "school"}),
        )
        .await
        .unwrap();
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    assert_eq!(
        answer.detail(),
        "Er zijn geen toegekende rechten die nog niet gebruikt zijn."
    );
    assert_eq!(campaigns(&kindpakket).await, json!({"campagnes": []}));
    // A name goes on the stream, where nothing can be erased: no telephone number or e-mail in it.
    for name in ["Bel Jansen op 0612345678", "Mail naar piet@voorbeeld.nl"] {
        let answer = kindpakket
            .post(&url, REGIE, &json!({"id": Uuid::new_v4(), "naam": name}))
            .await
            .unwrap();
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            answer.body
        );
        assert!(answer.detail().contains("'naam'"), "{}", answer.body);
        assert!(!answer.detail().contains("0612345678") && !answer.detail().contains("piet@"));
    }
    assert_eq!(campaigns(&kindpakket).await, json!({"campagnes": []}));

    // Regie starts it: the two granted and not served yet; again, and nothing changes.
    for _ in 0..2 {
        let started = kindpakket
            .post(&url, REGIE, &body)
            .await
            .unwrap()
            .expect(StatusCode::CREATED)
            .unwrap();
        assert_eq!(started["rechten"], 2, "{started}");
    }
    assert_eq!(
        campaigns(&kindpakket).await,
        json!({"campagnes": [{"id": id, "naam": "Herinnering voor de start van het schooljaar",
            "voorzieningsoort": null, "gestartOp": date, "rechten": 2}]})
    );
    let other = kindpakket
        .post(&url, REGIE, &json!({"id": id, "naam": "December"}))
        .await
        .unwrap();
    assert_eq!(other.status, StatusCode::CONFLICT, "{}", other.body);

    // The reminders go out through who took the application: Leergeld its own family, under its own
    // ids; regie the loket's (not the child served before).
    let leergeld = reminders(&kindpakket, LEERGELD).await;
    assert_eq!(
        leergeld["herinneringen"],
        json!([{"campagne": id, "campagneNaam": "Herinnering voor de start van het schooljaar",
            "recht": kindpakket.partner_entitlement("leergeld", through_leergeld).unwrap(),
            "kind": kindpakket.child_reference("leergeld", child).unwrap(),
            "voorziening": "sportcontributie", "geldigTot": format!("{year}-12-31")}]),
        "{leergeld}"
    );
    let loket = reminders(&kindpakket, REGIE).await;
    let listed: Vec<&str> = loket["herinneringen"]
        .as_array()
        .unwrap()
        .iter()
        .map(|reminder| reminder["recht"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [at_the_loket.to_string()], "{loket}");

    // One targeted child is served: the running quarter shows half of the campaign converted.
    kindpakket
        .deliver(G, DELIVERER, at_the_loket, 10_000, &date)
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let quarter = format!("{year}-K{}", (u8::from(today.month()) - 1) / 3 + 1);
    let figures_url = format!(
        "{}/api/v1/gemeenten/{G}/kwartalen/{quarter}",
        kindpakket.endpoints.dashboard
    );
    let figures = wait_until(
        "the campaign's conversion counted",
        Duration::from_secs(30),
        || async {
            let answer = kindpakket
                .get(&figures_url, Some(REGIE))
                .await?
                .expect(StatusCode::OK)?;
            when(answer["campagnes"][0]["bediendSindsdien"] == 1, answer)
        },
    )
    .await
    .unwrap();
    assert_eq!(
        figures["campagnes"],
        json!([{"naam": "Herinnering voor de start van het schooljaar", "gestartOp": date,
            "kinderen": 2, "bediendSindsdien": 1, "conversiePercentage": 50}]),
        "{figures}"
    );
    // A report regie restricts to a wijk has none: a campaign reminds the whole gemeente.
    let filtered = kindpakket
        .get(&format!("{figures_url}?wijk=WK051801"), Some(REGIE))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(filtered["campagnes"], Value::Null, "{filtered}");
    // On regie's page of the quarter, and in its CSV file.
    let base = platform.url(ServiceName::Dashboard, "");
    let mut regie = PageSession::login(&base, "regievoerder", G).await.unwrap();
    let page = regie
        .get(&format!("/overleg?kwartaal={quarter}"))
        .await
        .unwrap();
    assert!(
        page.text().contains("Herinneringscampagnes"),
        "{}",
        page.text()
    );
    let file = regie
        .get(&format!("/overleg/csv/campagnes.csv?kwartaal={quarter}"))
        .await
        .unwrap();
    assert!(
        file.html.contains(&format!(
            "Herinnering voor de start van het schooljaar;{date};2;1;50"
        )),
        "{}",
        file.html
    );
    // Served since: the reminder is no longer to be sent.
    assert_eq!(
        reminders(&kindpakket, REGIE).await,
        json!({"herinneringen": []})
    );

    // A rebuild clears the campaigns with the rest of the read model, and the replay brings back
    // the same conversion.
    let service = platform.service_mut(ServiceName::Dashboard);
    service.kill();
    let (status, output) = service.run_once(&["rebuild"], &[]).unwrap();
    assert!(status.success(), "rebuild: {output}");
    let pool = sqlx::PgPool::connect(&platform.postgres.url(ServiceName::Dashboard.database()))
        .await
        .unwrap();
    for table in ["campaigns", "campaign_targets"] {
        let kept: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(kept, 0, "the rebuild cleared {table}");
    }
    pool.close().await;
    platform
        .service_mut(ServiceName::Dashboard)
        .start_again()
        .await
        .unwrap();
    wait_until(
        "the replay brings the campaign back",
        Duration::from_secs(60),
        || async {
            let answer = kindpakket.get(&figures_url, Some(REGIE)).await?;
            when(
                answer.status == StatusCode::OK && answer.body["campagnes"] == figures["campagnes"],
                answer.body,
            )
        },
    )
    .await
    .unwrap();
}
