//! NATS at rest: the JetStream store is encrypted on disk (the harness starts every server as the
//! deploy configurations do), every NATS configuration in `deploy/` encrypts its store with a key
//! from the environment, and the streams that name children and households keep a message no longer
//! than the configured maximum age (the regie stream, which names nobody, keeps its history).

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_nats::jetstream;
use kindpakket_platform::nats::StreamPolicy;
use kindpakket_proto::Service;
use kindpakket_tests::{wait_until, Nats, Platform, ServiceName};

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// How many bytes the message blocks of the store hold, and which files contain `needle`.
fn scan_store(dir: &Path, needle: &[u8]) -> (u64, Vec<PathBuf>) {
    let mut block_bytes = 0;
    let mut found = Vec::new();
    for file in files_under(dir) {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        if file.extension().is_some_and(|extension| extension == "blk") {
            block_bytes += bytes.len() as u64;
        }
        if bytes.windows(needle.len()).any(|window| window == needle) {
            found.push(file);
        }
    }
    (block_bytes, found)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payload_published_to_a_stream_cannot_be_read_in_the_store_files_on_disk() {
    let nats = Nats::start().await.unwrap();
    let (client, js) = kindpakket_platform::nats::connect(&[nats.url()])
        .await
        .unwrap();
    kindpakket_platform::nats::ensure_stream(&js, Service::Signalling, &StreamPolicy::default())
        .await
        .unwrap();
    let marker = format!("KINDPAKKET-AT-REST-{}", uuid::Uuid::new_v4().simple());
    let payload = format!("{{\"kind\": \"{marker}\", \"reden\": \"schulden {marker}\"}}");
    let published = 200;
    for _ in 0..published {
        js.publish(
            "kindpakket.GM0518.signalling.ChildSignalled",
            payload.clone().into(),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    }
    // The server has the messages (it gives them back) ...
    let mut stream = js
        .get_stream(Service::Signalling.stream().name)
        .await
        .unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, published);
    let first = stream.get_raw_message(1).await.unwrap();
    assert_eq!(first.payload.as_ref(), payload.as_bytes());
    // ... and has written them to its message blocks on disk: at least as many bytes as they hold.
    let needle = marker.as_bytes();
    let (block_bytes, found) = wait_until(
        "the messages written to the store's blocks",
        Duration::from_secs(20),
        || async {
            let scanned = scan_store(&nats.store_dir(), needle);
            anyhow::Ok((scanned.0 >= published * payload.len() as u64).then_some(scanned))
        },
    )
    .await
    .unwrap();
    assert!(block_bytes > 0);
    // Nowhere in the store can the marker be read: not in a block, an index or the metadata.
    assert_eq!(
        found,
        Vec::<PathBuf>::new(),
        "the store holds the payload in clear"
    );
    drop(client);
}

/// The NATS configurations in `deploy/`, as text.
fn deploy(path: &str) -> String {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy")
        .join(path);
    std::fs::read_to_string(&file).unwrap_or_else(|error| panic!("{}: {error}", file.display()))
}

#[test]
fn every_nats_configuration_in_deploy_encrypts_its_store_with_a_key_from_the_environment() {
    for node in 1..=3 {
        let config = deploy(&format!("nats/cluster/nats-{node}.conf"));
        let jetstream = config
            .split("jetstream {")
            .nth(1)
            .and_then(|rest| rest.split('}').next())
            .unwrap_or_else(|| panic!("node {node} has a jetstream block"));
        assert!(jetstream.contains("cipher: chachapoly"), "node {node}");
        assert!(
            jetstream.contains("key: $KINDPAKKET_NATS_STORE_KEY"),
            "node {node}: the key comes from the environment"
        );
    }
    let compose = deploy("compose/docker-compose.yml");
    assert!(
        compose.contains("KINDPAKKET_NATS_STORE_KEY: ${KINDPAKKET_NATS_STORE_KEY:?"),
        "compose gives every node the key from .env, without a default"
    );
    let helm = deploy("helm/nats-values.yaml");
    assert!(helm.contains("cipher: chachapoly"));
    assert!(helm.contains("key: << $KINDPAKKET_NATS_STORE_KEY >>"));
    assert!(
        helm.contains("secretKeyRef:") && helm.contains("name: kindpakket-nats-store-key"),
        "the Helm values take the key from a Secret"
    );
    let manifests = deploy("helm/kindpakket/values.yaml");
    assert!(manifests.contains("nats-values.yaml"));
    let unit = deploy("systemd/nats-server.service");
    assert!(unit.contains("LoadCredentialEncrypted=nats-store-key:"));
    assert!(unit.contains(
        "KINDPAKKET_NATS_STORE_KEY=\"$(cat \"$CREDENTIALS_DIRECTORY/nats-store-key\")\""
    ));
    let run = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/run.sh"),
    )
    .unwrap();
    assert!(run.contains("cipher: chachapoly"));
    assert!(run.contains("KINDPAKKET_NATS_STORE_KEY=\"$(cat \"$DATA/nats/store.key\")\""));
}

/// The maximum age of each stream, as the server has it.
async fn max_ages(platform: &Platform) -> Vec<(Service, Duration)> {
    let client = async_nats::connect(platform.nats.url()).await.unwrap();
    let js = jetstream::new(client);
    let mut ages = Vec::new();
    for service in Service::ALL {
        let name = service.stream().name;
        let mut stream = wait_until(
            &format!("stream {name} declared by its relay"),
            Duration::from_secs(30),
            || async { Ok(js.get_stream(&name).await.ok()) },
        )
        .await
        .unwrap();
        ages.push((service, stream.info().await.unwrap().config.max_age));
    }
    ages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_that_name_people_keep_a_message_for_the_configured_days_and_regie_keeps_its_history(
) {
    let mut platform = Platform::start().await.expect("platform starts");
    let day = Duration::from_secs(24 * 3600);
    assert_eq!(
        max_ages(&platform).await,
        vec![
            (Service::Regie, Duration::ZERO),
            (Service::Signalling, day * 365),
            (Service::Application, day * 365),
            (Service::Provision, day * 365),
        ],
        "by default a year, and no limit for regie (zero is JetStream's 'none')"
    );
    // Configured shorter, the relay declares it so at its next start.
    let signalling = platform.service_mut(ServiceName::Signalling);
    signalling.set_environment("KINDPAKKET_STREAM_MAX_AGE_DAYS", "30");
    signalling.start_again().await.unwrap();
    let client = async_nats::connect(platform.nats.url()).await.unwrap();
    let js = jetstream::new(client);
    wait_until(
        "the signalling stream declared with 30 days",
        Duration::from_secs(30),
        || async {
            let mut stream = js.get_stream(Service::Signalling.stream().name).await?;
            let age = stream.info().await?.config.max_age;
            kindpakket_tests::when(age == day * 30, age)
        },
    )
    .await
    .unwrap();
    // A service refuses a maximum age of zero days (which would mean "keep for ever").
    let (status, output) = platform
        .service(ServiceName::Signalling)
        .run_once(&[], &[("KINDPAKKET_STREAM_MAX_AGE_DAYS", Some("0"))])
        .unwrap();
    assert!(!status.success());
    assert!(
        output.contains("KINDPAKKET_STREAM_MAX_AGE_DAYS"),
        "{output}"
    );
}
