//! Backup and restore, as `deploy/README.md` documents it: a base backup of the PostgreSQL cluster
//! with its WAL; JetStream needs none (the streams are republished from the stores). Restored into
//! empty servers, with the dashboard's projections rebuilt, every figure is what it was and
//! `kindpakket-check` finds nothing amiss.

use std::time::Duration;

use kindpakket_tests::client::REGIE;
use kindpakket_tests::overleg;
use kindpakket_tests::{wait_until, when, Platform, ServiceName};
use serde_json::Value;
use time::OffsetDateTime;

const G: &str = "GM0518";

async fn check_clean(platform: &Platform) -> String {
    wait_until(
        "kindpakket-check reports all in order",
        Duration::from_secs(90),
        || async {
            let (clean, report) = platform.check()?;
            if clean {
                Ok(Some(report))
            } else {
                anyhow::bail!("{report}")
            }
        },
    )
    .await
    .unwrap()
}

/// Everything regie reads of the gemeente's figures: the live funnel, every quarter in every
/// breakdown, and the ledger and budgets of the year.
async fn figures(platform: &Platform, year: i32) -> Vec<(String, Value)> {
    let kindpakket = platform.client();
    let mut figures = vec![("trechter".to_owned(), kindpakket.funnel(G).await.unwrap())];
    let (list, quarters) = overleg::read_everything(&kindpakket, REGIE, G)
        .await
        .unwrap();
    figures.push(("kwartalen".to_owned(), list));
    for quarter in quarters {
        for (breakdown, mut answer) in quarter.answers {
            // A provisional quarter says when it was computed: now, at every read.
            if answer["voorlopig"] == true {
                answer["vastgesteldPer"] = Value::Null;
            }
            figures.push((
                format!("kwartaal {} {breakdown:?}", quarter.quarter),
                answer,
            ));
        }
    }
    for path in [format!("grootboek/{year}"), format!("budgetten/{year}")] {
        let answer = kindpakket
            .get(&kindpakket.provision_url(G, &path), Some(REGIE))
            .await
            .unwrap();
        figures.push((path, answer.body));
    }
    figures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_base_backup_restored_into_empty_servers_gives_every_figure_back_and_a_clean_check() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    let today = OffsetDateTime::now_utc().date();
    let scenario = overleg::make(&kindpakket, G, today, overleg::plan(G, today))
        .await
        .expect("a quarter made through the APIs");
    let truth = scenario.truth.funnel;
    kindpakket
        .wait_for_funnel(G, Duration::from_secs(60), |funnel| {
            kindpakket_tests::disclosure_attack::STEPS
                .iter()
                .all(|step| funnel[step] == truth.get(step))
        })
        .await
        .unwrap();
    check_clean(&platform).await;
    let year = today.year();
    let before = figures(&platform, year).await;

    // The backup, taken while everything runs.
    let backup = platform.postgres.base_backup("backup").unwrap();

    // The disaster: every process dies; PostgreSQL's data and JetStream's store are lost.
    for service in ServiceName::ALL {
        platform.service_mut(service).kill();
    }
    platform.nats.kill();
    std::fs::remove_dir_all(platform.nats.store_dir()).unwrap();

    // The restore: the base backup in place of the lost data, an empty NATS, the services started
    // (each relay finds its stream short of what it had acknowledged and republishes from its
    // store), and the dashboard's projections rebuilt from the streams.
    platform
        .postgres
        .restore_base_backup(&backup)
        .await
        .unwrap();
    platform.nats.start_again().await.unwrap();
    for service in ServiceName::ALL {
        if service != ServiceName::Dashboard {
            platform.service_mut(service).start_again().await.unwrap();
        }
    }
    let dashboard = platform.service_mut(ServiceName::Dashboard);
    let (status, output) = dashboard.run_once(&["rebuild"], &[]).unwrap();
    assert!(status.success(), "rebuild: {output}");
    dashboard.start_again().await.unwrap();

    let report = check_clean(&platform).await;
    assert!(!report.is_empty());
    let progress = format!("{}/api/v1/opbouw", kindpakket.endpoints.dashboard);
    wait_until("the replay done", Duration::from_secs(60), || async {
        let answer = kindpakket.get(&progress, Some(REGIE)).await?;
        when(answer.body["bezig"] == false, answer.body)
    })
    .await
    .unwrap();
    let after = figures(&platform, year).await;
    assert_eq!(before.len(), after.len());
    for ((what, was), (_, is)) in before.iter().zip(&after) {
        let mut differences = Vec::new();
        differ(was, is, what, &mut differences);
        assert!(
            differences.is_empty(),
            "{what} differs after the restore:\n{}",
            differences.join("\n")
        );
    }
    // Something was really there to restore: children at every step, money in the ledger.
    let funnel = &before[0].1;
    for step in kindpakket_tests::disclosure_attack::STEPS {
        assert!(funnel[step].as_i64().unwrap_or(0) > 0, "{step}: {funnel}");
    }
    let spent = before
        .iter()
        .filter(|(what, _)| what.starts_with("kwartaal") && what.ends_with("None"))
        .filter_map(|(_, quarter)| quarter["budgetten"][0]["uitgegeven"].as_i64())
        .sum::<i64>();
    assert!(spent > 0, "money was spent before the backup");
}

/// Where `a` and `b` differ, by JSON path.
fn differ(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys().filter(|key| !x.contains_key(*key))) {
                differ(
                    x.get(key).unwrap_or(&Value::Null),
                    y.get(key).unwrap_or(&Value::Null),
                    &format!("{path}.{key}"),
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (index, (x, y)) in x.iter().zip(y).enumerate() {
                differ(x, y, &format!("{path}[{index}]"), out);
            }
        }
        _ if a != b => out.push(format!("{path}: {a} before, {b} after")),
        _ => {}
    }
}
