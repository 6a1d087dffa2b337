//! The national year generator (`generate-year`, `kindpakket_tests::national`) at a tiny size,
//! checked as a user would check what it made: every gemeente has its regeling as drawn (regie's
//! API), and the dashboard's funnel counts exactly the children the generator says it signalled,
//! applied for, granted and served (households of several children among them), its partners'
//! figures the uses it recorded, in every form (in kind, voucher, discount, declaration), after
//! the year end the rights that expired and those left unused, and each gemeente's ledger, once
//! the partners' quarterly invoices are settled, every cent the uses spent. The same
//! seed draws the same commands (compared by digest, without sending them twice).

use std::time::Duration;

use kindpakket_tests::client::REGIE;
use kindpakket_tests::harness::Platform;
use kindpakket_tests::national::{self, Size};
use kindpakket_tests::wait::{wait_until, when};
use reqwest::StatusCode;

/// Seed 45 draws regelingen with all four forms among the three gemeenten.
const SIZE: Size = Size {
    gemeenten: 3,
    // About 60 children over the three gemeenten.
    fraction: 0.000_15,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_generated_year_shows_on_the_dashboard_as_the_generator_reports_it() {
    // This year, on a platform whose clock stands at its last day: every drawn day lies in the past
    // and the year's regeling is in force for the discounts regie agrees.
    let mut platform = Platform::start().await.expect("platform starts");
    let year = platform
        .at_year_end()
        .await
        .expect("clocks at the year's end");
    let plan = national::plan(45, SIZE, year);
    assert_eq!(
        plan.digest(),
        national::plan(45, SIZE, year).digest(),
        "the same seed draws the same commands"
    );
    assert_ne!(plan.digest(), national::plan(46, SIZE, year).digest());
    assert!(
        (40..=90).contains(&plan.children()),
        "{} children",
        plan.children()
    );

    // Households of several children apply once for all of them; the funnel counts children.
    assert!(plan
        .households
        .iter()
        .any(|h| h.children.len() > 1 && !h.applies_for.is_empty()));

    let kindpakket = platform.client();
    let report = national::run(&kindpakket, &plan, 8).await.unwrap();
    let total = report.total();
    assert!(
        total.signalled > 0 && total.applied > 0 && total.granted > 0 && total.deliveries > 0,
        "a year signals, applies, grants and delivers: {total:?}"
    );
    assert!(
        total.rights > total.rights_unused && total.rights_unused > 0 && total.spent_cents > 0,
        "some rights are used, some not, and the uses spend: {total:?}"
    );
    // Every form is used: in kind, voucher, discount at the till, the parent's declaration.
    assert_eq!(
        report.uses_per_form.keys().collect::<Vec<_>>(),
        ["declaratie", "in_natura", "korting", "tegoedbon"],
        "{:?}",
        report.uses_per_form
    );

    // The year end, on 1 January: every right of the year expires; the unused ones are the
    // dashboard's non-use figures.
    platform
        .at_new_year()
        .await
        .expect("clocks in the new year");
    national::close_year(&kindpakket, &plan, 8).await.unwrap();

    for gemeente in &plan.gemeenten {
        let code = &gemeente.code;
        // Its regeling, with the provisions drawn for it.
        let listed = kindpakket
            .get(&kindpakket.regie_url(code, "regelingen"), Some(REGIE))
            .await
            .unwrap()
            .expect(StatusCode::OK)
            .unwrap();
        let items = listed["items"].as_array().expect("a list of regelingen");
        assert_eq!(items.len(), 1, "{code}: {listed}");
        let offered: Vec<&str> = items[0]["voorzieningen"]
            .as_array()
            .unwrap()
            .iter()
            .map(|provision| provision["code"].as_str().unwrap())
            .collect();
        let drawn: Vec<&str> = gemeente
            .provisions
            .iter()
            .map(|p| p.code.as_str())
            .collect();
        assert_eq!(offered, drawn, "{code}");
        assert_eq!(
            items[0]["inkomensgrens"],
            gemeente.regeling["inkomensgrens"]
        );

        // The dashboard counts what the generator did, once the streams have reached it.
        let expected = report.per_gemeente[code];
        let url = format!(
            "{}/api/v1/gemeenten/{code}/trechter",
            kindpakket.endpoints.dashboard
        );
        // The year's ledger: every use, once its invoice was settled or its declaration approved.
        let ledger = kindpakket
            .get(
                &kindpakket.provision_url(code, &format!("grootboek/{year}")),
                Some(REGIE),
            )
            .await
            .unwrap()
            .expect(StatusCode::OK)
            .unwrap();
        let spent_cents = ledger["totaalCent"].as_i64().unwrap_or(-1);
        let shown = |funnel: &serde_json::Value| national::Tally {
            signalled: funnel["gesignaleerd"].as_i64().unwrap_or(-1),
            applied: funnel["aangevraagd"].as_i64().unwrap_or(-1),
            granted: funnel["toegekend"].as_i64().unwrap_or(-1),
            served: funnel["bediend"].as_i64().unwrap_or(-1),
            deliveries: funnel["partners"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|partner| partner["verstrekkingen"].as_i64().unwrap_or(0))
                .sum(),
            rights: funnel["nietGebruikt"]["vervallenRechten"]
                .as_i64()
                .unwrap_or(-1),
            rights_unused: funnel["nietGebruikt"]["rechtenZonderGebruik"]
                .as_i64()
                .unwrap_or(-1),
            children_unused: funnel["nietGebruikt"]["kinderenZonderGebruik"]
                .as_i64()
                .unwrap_or(-1),
            spent_cents,
        };
        let funnel = wait_until(
            &format!("{code}'s funnel showing {expected:?}"),
            Duration::from_secs(60),
            || async {
                let funnel = kindpakket
                    .get(&url, Some(REGIE))
                    .await?
                    .expect(StatusCode::OK)?;
                when(shown(&funnel) == expected, funnel)
            },
        )
        .await
        .unwrap();
        assert_eq!(shown(&funnel), expected, "{code}: {funnel}");
    }
}
