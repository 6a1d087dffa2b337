//! Proof documents with a declaration (`docs/money.md`, §3), against the real services: the
//! submitter attaches a PDF or a PNG while the declaration is undecided (the latest counts); a file
//! whose bytes are not what its type says is 415, one too large 413, one after the decision 409, all
//! in Dutch and changing nothing; only regie and the auditor download it, byte for byte, served as
//! an attachment that cannot run; the submitter, another partner, a family and a till are refused;
//! no stream, no stored event and no log holds its content; forgetting the child deletes it.

use std::time::Duration;

use kindpakket_proto::Service;
use kindpakket_tests::client::{As, Kindpakket, REGIE};
use kindpakket_tests::inspect::stream_messages;
use kindpakket_tests::{wait_until, Platform, ServiceName};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use super::forgetting_provision::{granted_to, regeling, register_child, LEERGELD};
use super::settlement::{partner, AUDITOR};

const G: &str = "GM0599";

/// A PDF whose content carries `marker`, `filler` bytes long after its header.
fn pdf(marker: &str, filler: usize) -> Vec<u8> {
    let mut bytes = format!("%PDF-1.7\n% {marker}\n").into_bytes();
    bytes.extend(std::iter::repeat_n(b'x', filler));
    bytes.extend_from_slice(b"\n%%EOF\n");
    bytes
}

/// A PNG (its signature) whose content carries `marker`.
fn png(marker: &str) -> Vec<u8> {
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    bytes.extend_from_slice(format!("tEXt{marker}").as_bytes());
    bytes
}

async fn put(
    kindpakket: &Kindpakket,
    url: &str,
    token: String,
    content_type: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let response = kindpakket
        .http
        .put(url)
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

struct Download {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

async fn get(kindpakket: &Kindpakket, url: &str, token: String) -> Download {
    let response = kindpakket
        .http
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    Download {
        status: response.status(),
        headers: response.headers().clone(),
        bytes: response.bytes().await.unwrap().to_vec(),
    }
}

fn detail(body: &Value) -> &str {
    body["detail"].as_str().unwrap_or("")
}

async fn rows(platform: &Platform, sql: &str, id: Uuid) -> i64 {
    let mut connection = PgConnection::connect(&platform.postgres.url("kindpakket_provision"))
        .await
        .unwrap();
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(&mut connection)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proof_is_kept_sealed_for_regie_and_the_auditor_only_and_forgotten_with_the_child() {
    let platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    regeling(&kindpakket, G).await;
    // Another partner enrolled for the same receipts, and a shop at its till.
    kindpakket
        .enrol_partner(G, "leergeld-noord", "Leergeld Noord", &["schoolspullen"])
        .await
        .unwrap();
    let marker = format!("MARKER-bon-{}", kindpakket_tests::text_marker(10));

    let child = register_child(&kindpakket, G).await;
    let receipts = granted_to(&kindpakket, G, child, &["schoolspullen"]).await["schoolspullen"];
    kindpakket
        .wait_for_entitlement(G, LEERGELD, receipts, Duration::from_secs(20))
        .await
        .unwrap();
    let own = kindpakket.partner_entitlement(LEERGELD, receipts).unwrap();
    // Leergeld declares what it paid; the loket declares a parent's receipt.
    let declare = |who: As<'static>, right: Uuid, cents: i64| {
        let kindpakket = kindpakket.clone();
        async move {
            let body = kindpakket
                .post(
                    &kindpakket.provision_url(G, &format!("rechten/{right}/declaraties")),
                    who,
                    &json!({"bedragCent": cents, "bewijs": "kassabon 17", "datum": "2026-03-10"}),
                )
                .await
                .unwrap()
                .expect(StatusCode::CREATED)
                .unwrap();
            Uuid::parse_str(body["declaratie"].as_str().unwrap()).unwrap()
        }
    };
    let by_partner = declare(partner(LEERGELD), own, 2_500).await;
    let by_loket = declare(REGIE, receipts, 1_500).await;
    let partner_url =
        kindpakket.provision_url(G, &format!("rechten/{own}/declaraties/{by_partner}/bewijs"));
    let regie_url = |declaration: Uuid| {
        kindpakket.provision_url(
            G,
            &format!("rechten/{receipts}/declaraties/{declaration}/bewijs"),
        )
    };
    let token = |who: As<'_>| kindpakket.token(&partner_url, who);

    // The partner attaches a PDF, then replaces it: the latest counts, the first is deleted.
    let first = pdf(&format!("{marker}-eerste"), 1_000);
    let (status, attached) = put(
        &kindpakket,
        &partner_url,
        token(partner(LEERGELD)),
        "application/pdf",
        first,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{attached}");
    let receipt = pdf(&marker, 20_000);
    let (status, attached) = put(
        &kindpakket,
        &partner_url,
        token(partner(LEERGELD)),
        "application/pdf",
        receipt.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{attached}");
    assert_eq!(
        (attached["type"].as_str(), attached["grootteBytes"].as_u64()),
        (Some("application/pdf"), Some(receipt.len() as u64))
    );
    let digest = attached["sha256"].as_str().unwrap().to_owned();
    assert_eq!(digest.len(), 64);
    let stored = "SELECT count(*) FROM proof_documents WHERE declaration_id = $1";
    assert_eq!(
        rows(&platform, stored, by_partner).await,
        1,
        "the first was replaced"
    );
    // Eight replacements at the same moment, on two instances: the entitlement names one of
    // them, and exactly that one is kept.
    let second = platform
        .another_instance(ServiceName::Provision)
        .await
        .unwrap();
    let mut racing = Vec::new();
    for attempt in 0..8 {
        let base = if attempt % 2 == 0 {
            platform.url(ServiceName::Provision, "")
        } else {
            second.base_url().to_owned()
        };
        let url =
            format!("{base}/api/v1/gemeenten/{G}/rechten/{own}/declaraties/{by_partner}/bewijs");
        let kindpakket = kindpakket.clone();
        let token = token(partner(LEERGELD));
        let bytes = pdf(&format!("{marker}-race-{attempt}"), 100);
        racing.push(tokio::spawn(async move {
            put(&kindpakket, &url, token, "application/pdf", bytes).await
        }));
    }
    for race in racing {
        let (status, body) = race.await.unwrap();
        assert!(
            status == StatusCode::OK || status == StatusCode::CONFLICT,
            "{status}: {body}"
        );
    }
    assert_eq!(
        rows(&platform, stored, by_partner).await,
        1,
        "one document kept"
    );
    let kept = get(
        &kindpakket,
        &partner_url.replace(&own.to_string(), &receipts.to_string()),
        token(REGIE),
    )
    .await;
    assert_eq!(kept.status, StatusCode::OK, "the one the entitlement names");
    drop(second);
    // The partner sends its receipt once more: the latest counts.
    let (status, attached) = put(
        &kindpakket,
        &partner_url,
        token(partner(LEERGELD)),
        "application/pdf",
        receipt.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{attached}");
    assert_eq!(rows(&platform, stored, by_partner).await, 1);
    // The loket attaches a photo of the parent's receipt.
    let photo = png(&format!("{marker}-foto"));
    let (status, body) = put(
        &kindpakket,
        &regie_url(by_loket),
        kindpakket.token(&partner_url, REGIE),
        "image/png",
        photo.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Refused, in Dutch, and nothing changes: an executable sent as a PDF, another type, too large,
    // by someone who did not submit it.
    let events_before = platform.events_stored(ServiceName::Provision).await;
    let executable = b"MZ\x90\x00\x03\x00\x00\x00 This program cannot be run in DOS mode".to_vec();
    let (status, body) = put(
        &kindpakket,
        &partner_url,
        token(partner(LEERGELD)),
        "application/pdf",
        executable,
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert!(detail(&body).contains("geen pdf"), "{body}");
    let (status, body) = put(
        &kindpakket,
        &partner_url,
        token(partner(LEERGELD)),
        "image/gif",
        b"GIF89a".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert!(detail(&body).contains("pdf, jpeg of png"), "{body}");
    let (status, body) = put(
        &kindpakket,
        &partner_url,
        token(partner(LEERGELD)),
        "application/pdf",
        pdf(&marker, 6 * 1024 * 1024),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(detail(&body).contains("groter dan toegestaan"), "{body}");
    let (status, body) = put(
        &kindpakket,
        &regie_url(by_partner),
        kindpakket.token(&partner_url, REGIE),
        "application/pdf",
        pdf("van regie", 10),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        detail(&body).contains("Alleen wie de declaratie indiende"),
        "{body}"
    );
    // Another partner (under its own id of the entitlement) and another family find no such
    // declaration.
    let other_own = kindpakket
        .partner_entitlement("leergeld-noord", receipts)
        .unwrap();
    let (status, body) = put(
        &kindpakket,
        &kindpakket.provision_url(
            G,
            &format!("rechten/{other_own}/declaraties/{by_partner}/bewijs"),
        ),
        token(partner("leergeld-noord")),
        "application/pdf",
        pdf("van een ander", 10),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let family =
        platform
            .issuer
            .mint_for_household("ouder", &[G], &Uuid::new_v4().to_string(), 300);
    let (status, body) = put(
        &kindpakket,
        &regie_url(by_loket),
        family.clone(),
        "image/png",
        png("van een gezin"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(
        platform.events_stored(ServiceName::Provision).await,
        events_before,
        "nothing was recorded"
    );
    assert_eq!(rows(&platform, stored, by_partner).await, 1);

    // Regie (who judges) and the auditor download it, byte for byte, as an attachment that
    // cannot run in their browser.
    for reader in [REGIE, AUDITOR] {
        let download = get(&kindpakket, &regie_url(by_partner), token(reader)).await;
        assert_eq!(download.status, StatusCode::OK);
        assert!(
            download.bytes == receipt,
            "{} reads the document as sent",
            reader.role
        );
        let header = |name: &str| {
            download
                .headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        assert_eq!(header("content-type"), "application/pdf");
        assert!(header("content-disposition").starts_with("attachment"));
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert!(header("content-security-policy").contains("sandbox"));
    }
    let photo_read = get(&kindpakket, &regie_url(by_loket), token(AUDITOR)).await;
    assert!(photo_read.status == StatusCode::OK && photo_read.bytes == photo);
    // The submitter, another partner, a family, a till, a wijkteam and the overleg do not.
    let refused_readers = [
        (token(partner(LEERGELD)), partner_url.clone()),
        (
            token(partner("leergeld-noord")),
            regie_url(by_partner).replace(&receipts.to_string(), &other_own.to_string()),
        ),
        (family, regie_url(by_loket)),
        (token(partner("boekhandel-kassa")), regie_url(by_partner)),
        (
            token(As {
                organisation: "wijkteam-west",
                role: "signaller",
            }),
            regie_url(by_partner),
        ),
        (
            token(As {
                organisation: "kwartaaloverleg",
                role: "overleg_viewer",
            }),
            regie_url(by_partner),
        ),
    ];
    for (reader, url) in refused_readers {
        let refused = get(&kindpakket, &url, reader).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{url}");
        assert!(
            !refused
                .bytes
                .windows(marker.len())
                .any(|w| w == marker.as_bytes()),
            "a refusal shows nothing of the document"
        );
        let body: Value = serde_json::from_slice(&refused.bytes).unwrap();
        assert!(detail(&body).contains("voorbehouden aan"), "{body}");
    }

    // The submitter sees that a proof is attached; the sample lists it with where to open it.
    let seen = kindpakket
        .get(
            &kindpakket.provision_url(G, &format!("rechten/{own}")),
            Some(partner(LEERGELD)),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    assert_eq!(
        seen["declaraties"][0]["bewijsstuk"],
        json!({"type": "application/pdf", "grootteBytes": receipt.len()}),
        "{seen}"
    );
    let drawn = kindpakket
        .post(
            &kindpakket.provision_url(G, "steekproeven"),
            REGIE,
            &json!({"vanaf": "2026-03-01", "tot": "2026-03-31", "zaad": 7}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let drawn_partner = drawn["getrokken"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["declaratie"] == by_partner.to_string())
        .expect("drawn at 100%")
        .clone();
    assert_eq!(drawn_partner["bewijsBijgevoegd"], true, "{drawn_partner}");
    let link = drawn_partner["bewijs"]["url"].as_str().unwrap().to_owned();
    let from_sample = get(
        &kindpakket,
        &platform.url(ServiceName::Provision, &link),
        token(AUDITOR),
    )
    .await;
    assert!(from_sample.status == StatusCode::OK && from_sample.bytes == receipt);

    // Decided: no proof is attached or replaced any more.
    kindpakket
        .post(
            &kindpakket.provision_url(
                G,
                &format!("rechten/{receipts}/declaraties/{by_partner}/beoordeling"),
            ),
            REGIE,
            &json!({"goedgekeurd": true}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let events_before = platform.events_stored(ServiceName::Provision).await;
    let (status, body) = put(
        &kindpakket,
        &partner_url,
        token(partner(LEERGELD)),
        "application/pdf",
        pdf("te laat", 10),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(detail(&body).contains("al besloten"), "{body}");
    assert_eq!(
        platform.events_stored(ServiceName::Provision).await,
        events_before
    );
    let still = get(&kindpakket, &regie_url(by_partner), token(REGIE)).await;
    assert!(still.bytes == receipt, "the document stays as it was");

    // No stream, no stored event and no service log holds the document's content; the stream
    // does not hold its digest either.
    let published = stream_messages(&platform.nats.url(), Service::Provision)
        .await
        .unwrap();
    assert!(published.iter().any(|(_, message)| message
        .event
        .to_string()
        .contains("ProofAttached")
        || message.envelope.event_type == "ProofAttached"));
    for (_, message) in &published {
        let text = serde_json::to_string(message).unwrap();
        assert!(
            !text.contains(&marker),
            "the document on the stream: {text}"
        );
        assert!(!text.contains(&digest), "its digest on the stream: {text}");
    }
    let mut store = PgConnection::connect(&platform.postgres.url("kindpakket_provision"))
        .await
        .unwrap();
    let payloads: Vec<String> = sqlx::query_scalar("SELECT payload::text FROM events")
        .fetch_all(&mut store)
        .await
        .unwrap();
    assert!(payloads.iter().any(|payload| payload.contains(&digest)));
    for payload in &payloads {
        assert!(
            !payload.contains(&marker),
            "the document in an event: {payload}"
        );
    }
    let sealed: Vec<Vec<u8>> = sqlx::query_scalar("SELECT sealed FROM proof_documents")
        .fetch_all(&mut store)
        .await
        .unwrap();
    for bytes in &sealed {
        assert!(
            !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
            "stored sealed, never as it was sent"
        );
    }
    for name in ServiceName::ALL {
        let log = std::fs::read_to_string(platform.service(name).log_path()).unwrap_or_default();
        assert!(!log.contains(&marker), "the document in the {name:?} log");
    }

    // The gemeente forgets the child: its documents are gone, and what was sealed is unreadable.
    kindpakket
        .post(
            &kindpakket.application_url(G, &format!("personen/{child}/verwijdering")),
            REGIE,
            &json!({"reden": "verzoek van betrokkene (AVG art. 17)"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::OK)
        .unwrap();
    let gone = wait_until(
        "the proof is forgotten",
        Duration::from_secs(30),
        || async {
            let answer = get(&kindpakket, &regie_url(by_partner), token(REGIE)).await;
            Ok((answer.status != StatusCode::OK).then_some(answer))
        },
    )
    .await
    .unwrap();
    assert!(
        gone.status == StatusCode::GONE || gone.status == StatusCode::NOT_FOUND,
        "{}",
        gone.status
    );
    assert!(!gone
        .bytes
        .windows(marker.len())
        .any(|w| w == marker.as_bytes()));
    // The keys are destroyed first (the document unreadable at once), then the rows are deleted in
    // the consumer's transaction: wait for that too.
    wait_until("the rows are deleted", Duration::from_secs(30), || async {
        let left = rows(
            &platform,
            "SELECT count(*) FROM proof_documents WHERE subject = $1",
            child,
        )
        .await;
        Ok((left == 0).then_some(()))
    })
    .await
    .unwrap();
    // Nothing new is attached about a forgotten child.
    let (status, _) = put(
        &kindpakket,
        &regie_url(by_loket),
        token(REGIE),
        "image/png",
        png("na het vergeten"),
    )
    .await;
    assert!(status.is_client_error(), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proof_sealed_in_a_month_past_the_retention_period_is_deleted() {
    let mut platform = Platform::start().await.expect("platform starts");
    let kindpakket = platform.client();
    regeling(&kindpakket, G).await;
    let child = register_child(&kindpakket, G).await;
    let receipts = granted_to(&kindpakket, G, child, &["schoolspullen"]).await["schoolspullen"];
    let declared = kindpakket
        .post(
            &kindpakket.provision_url(G, &format!("rechten/{receipts}/declaraties")),
            REGIE,
            &json!({"bedragCent": 1_000, "bewijs": "bon 3", "datum": "2026-03-10"}),
        )
        .await
        .unwrap()
        .expect(StatusCode::CREATED)
        .unwrap();
    let declaration = Uuid::parse_str(declared["declaratie"].as_str().unwrap()).unwrap();
    let url = kindpakket.provision_url(
        G,
        &format!("rechten/{receipts}/declaraties/{declaration}/bewijs"),
    );
    let (status, body) = put(
        &kindpakket,
        &url,
        kindpakket.token(&url, REGIE),
        "application/pdf",
        pdf("bewaartermijn", 100),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stored = "SELECT count(*) FROM proof_documents WHERE declaration_id = $1";
    assert_eq!(rows(&platform, stored, declaration).await, 1);
    // Within the retention period (60 days, ten days on) the document stays.
    let provision = platform.service_mut(ServiceName::Provision);
    provision.set_environment("KINDPAKKET_RETENTION_DAYS", "60");
    provision.set_environment("KINDPAKKET_CLOCK_OFFSET_DAYS", "10");
    provision.start_again().await.unwrap();
    assert_eq!(
        get(&kindpakket, &url, kindpakket.token(&url, AUDITOR))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(rows(&platform, stored, declaration).await, 1);
    // A hundred days on, the month it was sealed in ended more than 60 days ago: deleted.
    let provision = platform.service_mut(ServiceName::Provision);
    provision.set_environment("KINDPAKKET_CLOCK_OFFSET_DAYS", "100");
    provision.start_again().await.unwrap();
    wait_until("the sweep deletes it", Duration::from_secs(30), || async {
        Ok((rows(&platform, stored, declaration).await == 0).then_some(()))
    })
    .await
    .unwrap();
    assert_eq!(
        get(&kindpakket, &url, kindpakket.token(&url, AUDITOR))
            .await
            .status,
        StatusCode::GONE
    );
}
