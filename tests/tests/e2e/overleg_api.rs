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
    let running = format!(
        "{}-K{}",
        today.year(),
        (u8::from(today.month()) - 1) / 3 + 1
    );
    assert_eq!(list["kwartalen"][0]["kwartaal"], running.as_str(), "{list}");
    assert_eq!(list["kwartalen"][0]["voorlopig"], true, "{list}");
    let url = format!("{dashboard}/api/v1/gemeenten/{G}/kwartalen/{running}?indeling=wijk");
    let figures = wait_until(
        "the three signals counted",
        Duration::from_secs(30),
        || async {
            let answer = kindpakket
                .get(&url, Some(REGIE))
                .await?
                .expect(StatusCode::OK)?;
            when(answer["trechter"]["gesignaleerd"] == 3, answer)
        },
    )
    .await
    .unwrap();
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
