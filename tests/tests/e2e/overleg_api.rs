//! The quarterly figures' API in its simplest use: regie reads the running quarter exactly (with
//! the wijk a signal carries), the overleg reads no quarter before it is established and no live
//! funnel at all.

use kindpakket_tests::client::{OVERLEG, REGIE};
use kindpakket_tests::harness::Platform;
use kindpakket_tests::wait::{wait_until, when};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

const G: &str = "GM0518";
const WIJKTEAM: &str = "wijkteam-centrum";

/// The running quarter's figures by wijk as regie reads them, once they count `signalled` children;
/// with the quarter (`2026-K4`) and the URL.
async fn running_quarter_counting(
    kindpakket: &kindpakket_tests::client::Kindpakket,
    signalled: i64,
) -> (String, String, serde_json::Value) {
    let today = kindpakket_platform::clock::today();
    let running = format!(
        "{}-K{}",
        today.year(),
        (u8::from(today.month()) - 1) / 3 + 1
    );
    let url = format!(
        "{}/api/v1/gemeenten/{G}/kwartalen/{running}?indeling=wijk",
        kindpakket.endpoints.dashboard
    );
    let figures = wait_until(
        &format!("{signalled} signals counted"),
        Duration::from_secs(30),
        || async {
            let answer = kindpakket
                .get(&url, Some(REGIE))
                .await?
                .expect(StatusCode::OK)?;
            when(answer["trechter"]["gesignaleerd"] == signalled, answer)
        },
    )
    .await
    .unwrap();
    (running, url, figures)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regie_reads_the_running_quarter_by_wijk_and_the_overleg_waits_for_it_to_be_established() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket
        .enrol_signaller(G, WIJKTEAM, "Wijkteam Centrum")
        .await
        .unwrap();
    let today = kindpakket_platform::clock::today();
    let who = kindpakket_tests::client::As {
        organisation: WIJKTEAM,
        role: "signaller",
    };
    for (n, wijk) in ["WK051801", "WK051801", "WK051802"].iter().enumerate() {
        let body = json!({
            "kind": kindpakket.child_reference(WIJKTEAM, Uuid::new_v4()).unwrap(),
            "voorzieningsoort": "school",
            "reden": "laag_inkomen",
            "datum": today.to_string(),
            "wijk": wijk,
        });
        kindpakket
            .post_signal(G, who, &body)
            .await
            .unwrap()
            .expect(StatusCode::CREATED)
            .unwrap_or_else(|error| panic!("signal {n}: {error}"));
    }
    let dashboard = &kindpakket.endpoints.dashboard;
    let list_url = format!("{dashboard}/api/v1/gemeenten/{G}/kwartalen");
    let list = kindpakket
        .get(&list_url, Some(REGIE))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let (running, url, figures) = running_quarter_counting(&kindpakket, 3).await;
    assert_eq!(list["kwartalen"][0]["kwartaal"], running.as_str(), "{list}");
    assert_eq!(list["kwartalen"][0]["voorlopig"], true, "{list}");
    assert_eq!(figures["openbaarheid"]["soort"], "exact", "{figures}");
    assert_eq!(figures["voorlopig"], true);
    let rows = figures["rijen"].as_array().unwrap();
    let row = |wijk: &str| {
        rows.iter()
            .find(|row| row["waarde"] == wijk)
            .unwrap_or_else(|| panic!("{wijk} in {figures}"))
            .clone()
    };
    assert_eq!(row("WK051801")["gesignaleerd"], 2);
    assert_eq!(row("WK051802")["gesignaleerd"], 1);
    let by_type = kindpakket
        .get(
            &url.replace("indeling=wijk", "indeling=voorziening"),
            Some(REGIE),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(by_type["rijen"][0]["waarde"], "school", "{by_type}");
    assert_eq!(by_type["rijen"][0]["gesignaleerd"], 3, "{by_type}");

    // The overleg: the running quarter is not established, and there is no live funnel for it.
    let list = kindpakket
        .get(&list_url, Some(OVERLEG))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(list["kwartalen"], json!([]), "{list}");
    let refused = kindpakket.get(&url, Some(OVERLEG)).await.unwrap();
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.body);
    assert!(
        refused.detail().contains("nog niet vastgesteld"),
        "{}",
        refused.body
    );
    let live = kindpakket
        .get(
            &format!("{dashboard}/api/v1/gemeenten/{G}/trechter"),
            Some(OVERLEG),
        )
        .await
        .unwrap();
    assert_eq!(live.status, StatusCode::FORBIDDEN, "{}", live.body);
    for wrong in ["2026-K5", "K4-2026", "volgend"] {
        let answer = kindpakket
            .get(
                &format!("{dashboard}/api/v1/gemeenten/{G}/kwartalen/{wrong}"),
                Some(REGIE),
            )
            .await
            .unwrap();
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{wrong}");
        assert!(answer.detail().contains("2026-K4"), "{}", answer.body);
    }
    let unknown = kindpakket
        .get(
            &url.replace("indeling=wijk", "indeling=inkomen"),
            Some(REGIE),
        )
        .await
        .unwrap();
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.body);
}

/// A rebuild from the streams: while the replay runs the figures are refused with how far it has
/// come (never a half-built figure shown as the real one), and when it is done they equal what they
/// were before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_figures_are_rebuilt_they_are_refused_with_progress_and_after_they_equal_the_live_ones(
) {
    use kindpakket_tests::ServiceName;
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    kindpakket
        .enrol_signaller(G, WIJKTEAM, "Wijkteam Centrum")
        .await
        .unwrap();
    let today = kindpakket_platform::clock::today();
    for _ in 0..12 {
        kindpakket
            .signal_child(G, WIJKTEAM, Uuid::new_v4(), &today.to_string())
            .await
            .unwrap();
    }
    let dashboard = kindpakket.endpoints.dashboard.clone();
    let (_, url, before) = running_quarter_counting(&kindpakket, 12).await;
    let progress_url = format!("{dashboard}/api/v1/opbouw");
    let not_for_the_overleg = kindpakket.get(&progress_url, Some(OVERLEG)).await.unwrap();
    assert_eq!(not_for_the_overleg.status, StatusCode::FORBIDDEN);
    let idle = kindpakket
        .get(&progress_url, Some(REGIE))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(idle["bezig"], false, "{idle}");

    // The replay of a rebuild, held at a point: every figure refused with the progress.
    let database = platform.postgres.url(ServiceName::Dashboard.database());
    let pool = sqlx::PgPool::connect(&database).await.unwrap();
    sqlx::query(
        "INSERT INTO rebuilding (stream, replay_to, applied) VALUES ('KINDPAKKET_TEST', 1000, 450)",
    )
    .execute(&pool)
    .await
    .unwrap();
    for (what, reader) in [("quarter", REGIE), ("quarter", OVERLEG)] {
        let refused = kindpakket.get(&url, Some(reader)).await.unwrap();
        assert_eq!(
            refused.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{what}: {}",
            refused.body
        );
        assert!(
            refused.detail().contains("(45 % klaar)"),
            "{}",
            refused.body
        );
    }
    let live = kindpakket
        .get(
            &format!("{dashboard}/api/v1/gemeenten/{G}/trechter"),
            Some(REGIE),
        )
        .await
        .unwrap();
    assert_eq!(
        live.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        live.body
    );
    let running_rebuild = kindpakket
        .get(&progress_url, Some(REGIE))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(running_rebuild["bezig"], true);
    assert_eq!(running_rebuild["percentage"], 45);
    sqlx::query("DELETE FROM rebuilding")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    // A real rebuild: every answer while it replays is either the refusal or the whole figure.
    let service = platform.service_mut(ServiceName::Dashboard);
    service.kill();
    let (status, output) = service.run_once(&["rebuild"], &[]).unwrap();
    assert!(status.success(), "rebuild: {output}");
    service.start_again().await.unwrap();
    let after = wait_until("the replay done", Duration::from_secs(60), || async {
        let answer = kindpakket.get(&url, Some(REGIE)).await?;
        match answer.status {
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(
                    answer.detail().contains("opnieuw opgebouwd"),
                    "{}",
                    answer.body
                );
                when(false, answer.body)
            }
            StatusCode::OK => {
                // Never a partial figure: once it answers, it is the whole one.
                let mut figures = answer.body;
                let mut expected = before.clone();
                for figures in [&mut figures, &mut expected] {
                    figures["vastgesteldPer"] = serde_json::Value::Null;
                }
                assert_eq!(figures, expected, "rebuilt figures equal the live ones");
                when(true, figures)
            }
            other => panic!("{other}: {}", answer.body),
        }
    })
    .await
    .unwrap();
    assert_eq!(after["trechter"]["gesignaleerd"], 12);
    let done = kindpakket
        .get(&progress_url, Some(REGIE))
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(done["bezig"], false, "{done}");
}
