//! Fuzzing every API with schemathesis (installed from PyPI by scripts/test.sh into .tools/fuzz)
//! against the OpenAPI documents the services serve: inputs that break the schema must get a 4xx,
//! never a 5xx, and store nothing; valid inputs must never get a 5xx either.

use std::path::PathBuf;
use std::process::Command;

use kindpakket_tests::{Platform, ServiceName};

fn schemathesis() -> PathBuf {
    if let Ok(path) = std::env::var("KINDPAKKET_SCHEMATHESIS") {
        return PathBuf::from(path);
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/fuzz/bin/st");
    assert!(
        path.exists(),
        "schemathesis is not installed: run scripts/test.sh (it installs it into .tools/fuzz)"
    );
    path
}

/// Where the runs keep their configuration and their HAR recordings (every request and response):
/// removed when the test passes, kept for reading when it fails.
fn work_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kindpakket-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The service's OpenAPI document with the `{gemeente}` of every path pinned to the one the tokens act
/// for, so that the fuzzer reaches the handlers. (Fixing the parameter by configuration instead lets
/// schemathesis count a case "negative" whose only violation was in that parameter, which the fixed
/// value then makes valid.)
async fn document_for_gemeente(platform: &Platform, service: ServiceName) -> std::path::PathBuf {
    let mut document: serde_json::Value = platform
        .http()
        .get(platform.url(service, "/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in document["paths"].as_object_mut().unwrap().values_mut() {
        for operation in path.as_object_mut().unwrap().values_mut() {
            for parameter in operation["parameters"].as_array_mut().into_iter().flatten() {
                if parameter["in"] == "path" && parameter["name"] == "gemeente" {
                    parameter["schema"] = serde_json::json!({"type": "string", "enum": ["GM0518"]});
                }
            }
        }
    }
    let file = work_dir().join(format!("{}.openapi.json", service.binary()));
    std::fs::write(&file, serde_json::to_vec_pretty(&document).unwrap()).unwrap();
    file
}

async fn fuzz(
    platform: &Platform,
    service: ServiceName,
    token: &str,
    mode: &str,
) -> (bool, String) {
    // Extra parameters are off: schemathesis counts an undeclared header
    // (`x-schemathesis-unknown-property`) on an otherwise valid request as negative input, but HTTP
    // servers rightly ignore headers they do not know, so such a request is valid and may store what
    // it asks.
    let config = work_dir().join("schemathesis.toml");
    std::fs::write(&config, "[generation]\nallow-extra-parameters = false\n").unwrap();
    let document = document_for_gemeente(platform, service).await;
    let output = Command::new(schemathesis())
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(&document)
        .args(["--url", &platform.url(service, "")])
        .args(["--checks", "not_a_server_error"])
        .args(["--mode", mode])
        .args(["--max-examples", "12"])
        .args(["--seed", "20261122"])
        .args(["--workers", "1"])
        .args(["--generation-database", "none"])
        .args(["--report", "har", "--report-har-path"])
        .arg(work_dir().join(format!(
            "{}-{mode}-{}.har",
            service.binary(),
            &token[token.len() - 8..]
        )))
        .args(["--request-timeout", "10"])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .env("NO_COLOR", "1")
        .current_dir(work_dir())
        .output()
        .expect("schemathesis runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

async fn stored_events(platform: &Platform) -> i64 {
    let total = platform.events_stored_everywhere().await;
    if total > 0 {
        for service in [
            ServiceName::Regie,
            ServiceName::Signalling,
            ServiceName::Application,
            ServiceName::Provision,
        ] {
            eprintln!(
                "{}: {} stored",
                service.binary(),
                platform.events_stored(service).await
            );
        }
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_survives_schemathesis_without_a_5xx_and_bad_input_stores_nothing() {
    let platform = Platform::start().await.expect("platform starts");
    let callers = [
        platform
            .issuer
            .mint("gemeente-den-haag", "regievoerder", &["GM0518"], 3600),
        platform
            .issuer
            .mint("leergeld", "partner", &["GM0518"], 3600),
        platform
            .issuer
            .mint("wijkteam-centrum", "signaller", &["GM0518"], 3600),
        platform
            .issuer
            .mint("gemeente-controller", "auditor", &["GM0518"], 3600),
    ];
    let mut failures = Vec::new();
    for service in ServiceName::ALL {
        for token in &callers {
            let (passed, report) = fuzz(&platform, service, token, "negative").await;
            if !passed {
                failures.push(format!("{} (negative):\n{report}", service.binary()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(requests and responses in {})",
        failures.join("\n\n"),
        work_dir().display()
    );
    assert_eq!(
        stored_events(&platform).await,
        0,
        "input that breaks the schema stored something (requests and responses in {})",
        work_dir().display()
    );

    for service in ServiceName::ALL {
        let (passed, report) = fuzz(&platform, service, &callers[0], "positive").await;
        if !passed {
            failures.push(format!("{} (positive):\n{report}", service.binary()));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(requests and responses in {})",
        failures.join("\n\n"),
        work_dir().display()
    );
    std::fs::remove_dir_all(work_dir()).ok();
}
