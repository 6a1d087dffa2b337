//! Wishes (issue 16): a parent, a school, a partner and the regievoerder send in what the package
//! lacks through the real regie service, and a parent once more through the page `/wensen`; a wish
//! sent again is one wish; bad input and the wrong roles are refused in Dutch with nothing stored;
//! regie's running quarter on the dashboard counts them exactly per category and per source.

use std::time::Duration;

use kindpakket_tests::client::{As, Kindpakket, OVERLEG, REGIE};
use kindpakket_tests::pages::PageSession;
use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

const G: &str = "GM0518";

const SCHOOL: As<'static> = As {
    organisation: "basisschool-de-regenboog",
    role: "signaller",
};
const PARTNER: As<'static> = As {
    organisation: "leergeld",
    role: "partner",
};
const AUDITOR: As<'static> = As {
    organisation: "gemeente-controller",
    role: "auditor",
};

fn wish(id: Uuid, category: &str, from: &str) -> Value {
    json!({"id": id, "categorie": category, "van": from})
}

/// The regie service's stored wish events.
async fn stored(platform: &Platform) -> i64 {
    let pool = sqlx::PgPool::connect(&platform.postgres.url("kindpakket_regie"))
        .await
        .unwrap();
    let count = sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = 'wish'")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    count
}

async fn send(kindpakket: &Kindpakket, who: As<'_>, body: &Value) -> Value {
    let url = kindpakket.regie_url(G, "wensen");
    kindpakket
        .post(&url, who, body)
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parents_schools_and_partners_send_wishes_and_regies_quarter_counts_them_per_category_and_source(
) {
    let mut platform = Platform::start().await.expect("platform starts");
    let _login = platform
        .start_login(&[(G, "Den Haag")])
        .await
        .expect("login starts");
    let kindpakket = platform.client();
    let url = kindpakket.regie_url(G, "wensen");
    let today = kindpakket_platform::clock::today();
    let running = format!(
        "{}-K{}",
        today.year(),
        (u8::from(today.month()) - 1) / 3 + 1
    );

    // A parent: swimming lessons they miss, and their child's own wish for a bicycle.
    let household = Uuid::new_v4();
    let parents = Uuid::new_v4();
    let taken = kindpakket
        .post_as_parent(&url, household, &wish(parents, "zwemles", "ouder"))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        taken,
        json!({"id": parents, "categorie": "zwemles", "van": "ouder", "ingediendOp": today.to_string()})
    );
    kindpakket
        .post_as_parent(&url, household, &wish(Uuid::new_v4(), "fiets", "kind"))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    // A school: school supplies, and a child's own wish for swimming lessons.
    send(
        &kindpakket,
        SCHOOL,
        &wish(Uuid::new_v4(), "schoolspullen", "school"),
    )
    .await;
    send(
        &kindpakket,
        SCHOOL,
        &wish(Uuid::new_v4(), "zwemles", "kind"),
    )
    .await;
    // A partner: a laptop with internet.
    send(
        &kindpakket,
        PARTNER,
        &wish(Uuid::new_v4(), "laptop_internet", "partner"),
    )
    .await;
    // Regie enters a wijkteam's paper form.
    send(
        &kindpakket,
        REGIE,
        &wish(Uuid::new_v4(), "sport", "wijkteam"),
    )
    .await;
    assert_eq!(stored(&platform).await, 6);

    // The parent's first wish sent again: the same wish, nothing new.
    let again = kindpakket
        .post_as_parent(&url, household, &wish(parents, "zwemles", "ouder"))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(again, taken);
    assert_eq!(stored(&platform).await, 6);

    // Refused in Dutch, nothing stored: another wish under a known id, a role speaking for whom it
    // may not, words the API does not know, free text, and the roles that send none.
    let refusals = [
        (
            REGIE,
            wish(parents, "fiets", "ouder"),
            StatusCode::CONFLICT,
            "Er bestaat al een andere wens met dit 'id'",
        ),
        (
            SCHOOL,
            wish(Uuid::new_v4(), "sport", "ouder"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Als signaleerder stuurt u een wens van een school",
        ),
        (
            PARTNER,
            wish(Uuid::new_v4(), "sport", "wijkteam"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Als partner stuurt u een wens van uw organisatie",
        ),
        (
            REGIE,
            wish(Uuid::new_v4(), "zwemmen", "kind"),
            StatusCode::BAD_REQUEST,
            "kies uit: sport, cultuur_muziek, zwemles",
        ),
        (
            REGIE,
            wish(Uuid::new_v4(), "zwemles", "buurman"),
            StatusCode::BAD_REQUEST,
            "kies uit: kind, ouder, partner, school, wijkteam",
        ),
        (
            REGIE,
            json!({"id": Uuid::new_v4(), "categorie": "zwemles", "van": "kind",
                   "toelichting": "Jan (8) wil op zwemles"}),
            StatusCode::BAD_REQUEST,
            "toelichting",
        ),
        (
            OVERLEG,
            wish(Uuid::new_v4(), "sport", "kind"),
            StatusCode::FORBIDDEN,
            "voorbehouden aan",
        ),
        (
            AUDITOR,
            wish(Uuid::new_v4(), "sport", "kind"),
            StatusCode::FORBIDDEN,
            "voorbehouden aan",
        ),
    ];
    for (who, body, status, says) in refusals {
        let refused = kindpakket.post(&url, who, &body).await.unwrap();
        assert_eq!(refused.status, status, "{body}: {}", refused.body);
        assert!(refused.detail().contains(says), "{body}: {}", refused.body);
    }
    let parent_for_the_school = kindpakket
        .post_as_parent(&url, household, &wish(Uuid::new_v4(), "sport", "school"))
        .await
        .unwrap();
    assert_eq!(
        parent_for_the_school.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        parent_for_the_school.body
    );
    assert!(
        parent_for_the_school
            .detail()
            .contains("Als ouder stuurt u"),
        "{}",
        parent_for_the_school.body
    );
    assert_eq!(stored(&platform).await, 6);

    // A parent on the page: "Wat mist er in het Kindpakket?", their child's own swimming lessons.
    let base = platform.url(ServiceName::Dashboard, "");
    let mut parent = PageSession::login(&base, "ouder", G).await.unwrap();
    let form = parent.get("/wensen").await.unwrap();
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    assert!(form.text().contains("Wat mist er in het Kindpakket?"));
    assert!(form.text().contains("Mijn kind wil dit zelf"));
    // Nothing chosen: the page says what to choose, and nothing is sent.
    let empty = parent.post("/wensen", &[("van", "kind")]).await.unwrap();
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        empty.text().contains("Kies bij 'Wat mist er?'"),
        "{}",
        empty.text()
    );
    // A form sent for a school: the API's refusal, in Dutch, on the page.
    let for_school = parent
        .post("/wensen", &[("categorie", "sport"), ("van", "school")])
        .await
        .unwrap();
    assert_eq!(for_school.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        for_school
            .text()
            .contains("Als ouder stuurt u een wens van uzelf"),
        "{}",
        for_school.text()
    );
    assert_eq!(stored(&platform).await, 6);
    let page_wish = Uuid::new_v4().to_string();
    let sent = parent
        .post(
            "/wensen",
            &[
                ("categorie", "zwemles"),
                ("van", "kind"),
                ("id", &page_wish),
            ],
        )
        .await
        .unwrap();
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
    let thanks = parent.follow(&sent).await.unwrap();
    assert!(
        thanks.text().contains("De wens is doorgegeven"),
        "{}",
        thanks.text()
    );
    // The same form sent twice (a double click) is one wish.
    let twice = parent
        .post(
            "/wensen",
            &[
                ("categorie", "zwemles"),
                ("van", "kind"),
                ("id", &page_wish),
            ],
        )
        .await
        .unwrap();
    assert_eq!(twice.status, StatusCode::SEE_OTHER, "{}", twice.text());
    assert_eq!(stored(&platform).await, 7);
    // The overleg sends none on the page either.
    let mut overleg = PageSession::login(&base, "overleg", G).await.unwrap();
    let refused = overleg.get("/wensen").await.unwrap();
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // Regie's running quarter: every wish, per category and per source, exactly.
    let figures_url = format!(
        "{}/api/v1/gemeenten/{G}/kwartalen/{running}",
        kindpakket.endpoints.dashboard
    );
    let figures = wait_until(
        "the dashboard counts the seven wishes",
        Duration::from_secs(30),
        || async {
            let figures = kindpakket
                .get(&figures_url, Some(REGIE))
                .await?
                .expect(StatusCode::OK)?;
            when(figures["wensen"]["totaal"] == 7, figures)
        },
    )
    .await
    .unwrap();
    let category = |name: &str, count: i64| json!({"categorie": name, "aantal": count});
    let source = |name: &str, count: i64| json!({"van": name, "aantal": count});
    assert_eq!(
        figures["wensen"],
        json!({
            "totaal": 7,
            "categorieen": [
                category("sport", 1),
                category("cultuur_muziek", 0),
                category("zwemles", 3),
                category("schoolspullen", 1),
                category("laptop_internet", 1),
                category("kleding_schoenen", 0),
                category("fiets", 1),
                category("uitjes_vakantie", 0),
                category("verjaardag", 0),
                category("anders", 0)
            ],
            "van": [
                source("kind", 3),
                source("ouder", 1),
                source("partner", 1),
                source("school", 1),
                source("wijkteam", 1)
            ]
        }),
        "{figures}"
    );
    // On regie's page of the quarter, and in its CSV file: the same counts, in words.
    let mut regie = PageSession::login(&base, "regievoerder", G).await.unwrap();
    let page = regie
        .get(&format!("/overleg?kwartaal={running}"))
        .await
        .unwrap();
    let text = page.text();
    assert!(
        text.contains("Wensen: wat mist er in het Kindpakket?"),
        "{text}"
    );
    assert!(text.contains("Zwemles voor een zwemdiploma 3"), "{text}");
    assert!(text.contains("Het kind zelf 3"), "{text}");
    let file = regie
        .get(&format!("/overleg/csv/wensen.csv?kwartaal={running}"))
        .await
        .unwrap();
    assert!(
        file.html.contains("Zwemles voor een zwemdiploma;3"),
        "{}",
        file.html
    );
    assert!(file.html.contains("Alle wensen;7"), "{}", file.html);
    // A report regie restricts to a wijk has no wishes: a wish has no wijk.
    let filtered = kindpakket
        .get(&format!("{figures_url}?wijk=WK051801"), Some(REGIE))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(filtered["wensen"], Value::Null, "{filtered}");

    // A rebuild clears the wishes with the rest of the read model, and the replay brings back the
    // same counts.
    let service = platform.service_mut(ServiceName::Dashboard);
    service.kill();
    let (status, output) = service.run_once(&["rebuild"], &[]).unwrap();
    assert!(status.success(), "rebuild: {output}");
    let pool = sqlx::PgPool::connect(&platform.postgres.url(ServiceName::Dashboard.database()))
        .await
        .unwrap();
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM wishes")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(kept, 0, "the rebuild cleared the wishes");
    platform
        .service_mut(ServiceName::Dashboard)
        .start_again()
        .await
        .unwrap();
    let rebuilt = wait_until(
        "the replay brings the wishes back",
        Duration::from_secs(60),
        || async {
            let answer = kindpakket.get(&figures_url, Some(REGIE)).await?;
            when(
                answer.status == StatusCode::OK && answer.body["wensen"] == figures["wensen"],
                answer.body,
            )
        },
    )
    .await
    .unwrap();
    assert_eq!(rebuilt["wensen"]["totaal"], 7, "{rebuilt}");
}
