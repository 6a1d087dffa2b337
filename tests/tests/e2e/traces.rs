//! Traces as an operator sees them in a collector: the services export their spans by OTLP (here to a
//! tiny OTLP/HTTP receiver of the test's own), and one family's case — signalled, applied for,
//! granted, delivered — is one trace across the services, carried through NATS by the `traceparent`
//! header the relay sets from the event's metadata. The trace is the one the caller started: the
//! `traceparent` it sent is honoured.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use kindpakket_tests::client::{provision, Kindpakket};
use kindpakket_tests::{Platform, ServiceName};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;
use prost::Message;
use uuid::Uuid;

const GEMEENTE: &str = "GM0518";
const PARTNER: &str = "jeugdfonds-sport-cultuur";
const YEAR: i32 = 2026;

/// The trace and span the caller's own system started the case in.
const TRACE_ID: &str = "5e1f0a7c3b2d4e6f8a9b0c1d2e3f4a5b";
const CALLER_SPAN_ID: &str = "a1b2c3d4e5f60718";

/// One span as the receiver got it.
#[derive(Debug, Clone)]
struct ReceivedSpan {
    service: String,
    name: String,
    trace_id: String,
    span_id: String,
    parent_span_id: String,
    attributes: HashMap<String, String>,
}

type Received = Arc<Mutex<Vec<ReceivedSpan>>>;

/// `POST /v1/traces` with an `ExportTraceServiceRequest` in protobuf, as a collector takes it.
async fn receive(State(received): State<Received>, body: Bytes) -> (StatusCode, Vec<u8>) {
    let Ok(request) = ExportTraceServiceRequest::decode(body) else {
        return (StatusCode::BAD_REQUEST, Vec::new());
    };
    let text = |value: &Option<opentelemetry_proto::tonic::common::v1::AnyValue>| match value
        .as_ref()
        .and_then(|value| value.value.as_ref())
    {
        Some(any_value::Value::StringValue(text)) => text.clone(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    };
    let mut spans = received.lock().unwrap();
    for resource_spans in request.resource_spans {
        let service = resource_spans
            .resource
            .iter()
            .flat_map(|resource| &resource.attributes)
            .find(|attribute| attribute.key == "service.name")
            .map(|attribute| text(&attribute.value))
            .unwrap_or_default();
        for scope_spans in resource_spans.scope_spans {
            for span in scope_spans.spans {
                spans.push(ReceivedSpan {
                    service: service.clone(),
                    name: span.name,
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                    attributes: span
                        .attributes
                        .iter()
                        .map(|attribute| (attribute.key.clone(), text(&attribute.value)))
                        .collect(),
                });
            }
        }
    }
    // An empty ExportTraceServiceResponse: everything accepted.
    (StatusCode::OK, Vec::new())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Starts the receiver on a free loopback port; gives its base URL.
async fn start_receiver(received: Received) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route("/v1/traces", post(receive))
        .with_state(received);
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

/// The platform's client, sending the caller's `traceparent` on every request of the case.
fn traced(kindpakket: &Kindpakket, case: Uuid) -> Kindpakket {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "traceparent",
        format!("00-{TRACE_ID}-{CALLER_SPAN_ID}-01")
            .parse()
            .unwrap(),
    );
    let mut traced = kindpakket.with_correlation(case);
    traced.http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .default_headers(headers)
        .build()
        .unwrap();
    traced
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_familys_case_is_one_trace_across_the_services_through_nats() {
    let received: Received = Arc::default();
    let endpoint = start_receiver(received.clone()).await;
    let mut platform = Platform::start_with_environment(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        // Batches every half second instead of every five, so the test waits less.
        ("OTEL_BSP_SCHEDULE_DELAY", "500"),
    ])
    .await
    .expect("platform starts");

    // The gemeente's set-up, outside the case.
    let kindpakket = platform.client();
    kindpakket
        .publish_regeling(
            GEMEENTE,
            YEAR,
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
    kindpakket
        .enrol_partner(
            GEMEENTE,
            PARTNER,
            "Jeugdfonds Sport & Cultuur",
            &["sportcontributie"],
        )
        .await
        .unwrap();
    kindpakket
        .enrol_signaller(GEMEENTE, "wijkteam-centrum", "Wijkteam Centrum")
        .await
        .unwrap();

    // The case, every request of it sent with the caller's trace context.
    let case = traced(&kindpakket, Uuid::new_v4());
    let child = Uuid::new_v4();
    let signal = case
        .signal_child(GEMEENTE, "wijkteam-centrum", child, "2026-09-01")
        .await
        .unwrap();
    let application = case
        .apply(
            GEMEENTE,
            child,
            2015,
            &["sportcontributie"],
            Some(signal),
            "2026-09-03",
        )
        .await
        .unwrap();
    let entitlement = case
        .grant(
            GEMEENTE,
            application,
            child,
            "sportcontributie",
            25_000,
            YEAR,
        )
        .await
        .unwrap();
    case.wait_for_entitlement(GEMEENTE, PARTNER, entitlement, Duration::from_secs(20))
        .await
        .unwrap();
    case.deliver(GEMEENTE, PARTNER, entitlement, 18_000, "2026-09-15")
        .await
        .unwrap()
        .expect(reqwest::StatusCode::CREATED)
        .unwrap();

    // Spans arrive in batches, each service's on its own: wait until the last of what is asserted
    // below is there (or 30 seconds), then say which part is missing.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let spans = loop {
        let spans = received.lock().unwrap().clone();
        let linked = consumer_spans_linked_from_elsewhere(&spans);
        let arrived = |consumer: &str, parent: &str| {
            linked
                .iter()
                .any(|(span, from)| span.service == consumer && from.service == parent)
        };
        let complete = arrived("kindpakket-provision", "kindpakket-application")
            && arrived("kindpakket-dashboard", "kindpakket-provision")
            && spans.iter().any(is_first_request)
            && two_hops_from_the_caller(&spans).is_some();
        if complete || tokio::time::Instant::now() > deadline {
            break spans;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let in_trace: Vec<&ReceivedSpan> = spans
        .iter()
        .filter(|span| span.trace_id == TRACE_ID)
        .collect();

    // The caller's traceparent is honoured: the first request of the case (the signal) is its child.
    assert!(
        spans.iter().any(is_first_request),
        "the signalling request is a child of the caller's span:\n{}",
        summary(&spans)
    );

    // One trace across at least three services.
    let mut services: Vec<&str> = in_trace.iter().map(|span| span.service.as_str()).collect();
    services.sort_unstable();
    services.dedup();
    assert!(
        services.len() >= 3,
        "spans of {services:?} in the caller's trace:\n{}",
        summary(&spans)
    );

    // Through NATS: a consumer span in one service whose parent is a span of another service.
    let linked = consumer_spans_linked_from_elsewhere(&spans);
    assert!(
        linked.iter().any(
            |(consumer, parent)| consumer.service == "kindpakket-provision"
                && parent.service == "kindpakket-application"
                && parent.name == "command"
        ),
        "provision applies the grant as a child of the application's command:\n{}",
        summary(&spans)
    );
    assert!(
        linked.iter().any(|(consumer, parent)| consumer.service == "kindpakket-dashboard"
            && parent.service == "kindpakket-provision"
            && parent.name == "command"),
        "the dashboard applies provision's events as children of the commands that stored them:\n{}",
        summary(&spans)
    );
    // The chain unbroken: from the dashboard, span by parent span, through provision's consumer (which
    // opened the entitlement from the grant) and the application, back to the caller's span.
    let chain = two_hops_from_the_caller(&spans).unwrap_or_else(|| {
        panic!(
            "no dashboard span leads back to the caller through two services' consumers:\n{}",
            summary(&spans)
        )
    });
    assert!(
        chain.contains(&"kindpakket-application request".to_owned()),
        "{chain:?}"
    );
    // Every consume span carries the ids of the event it applied, and nothing else about a person.
    for (consumer, _) in &linked {
        for key in consumer.attributes.keys() {
            assert!(
                [
                    "consumer",
                    "correlation_id",
                    "event_id",
                    "event_type",
                    "aggregate_id",
                    "sequence",
                ]
                .contains(&key.as_str())
                    || key.starts_with("code.")
                    || key.starts_with("thread.")
                    || key.starts_with("busy_ns")
                    || key.starts_with("idle_ns")
                    || key == "target"
                    || key.starts_with("otel."),
                "unexpected attribute {key} on {consumer:?}"
            );
        }
    }

    // Flushed at a graceful stop: regie, now batching only every ten minutes, still exports the span
    // of its last request when stopped.
    let regie = platform.service_mut(ServiceName::Regie);
    regie.set_environment("OTEL_BSP_SCHEDULE_DELAY", "600000");
    regie.start_again().await.unwrap();
    const LAST_TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
    let answer = reqwest::Client::new()
        .get(platform.url(ServiceName::Regie, "/health/live"))
        .header(
            "traceparent",
            format!("00-{LAST_TRACE_ID}-b7ad6b7169203331-01"),
        )
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
    let regie_last = |received: &Received| {
        received
            .lock()
            .unwrap()
            .iter()
            .any(|span| span.trace_id == LAST_TRACE_ID && span.service == "kindpakket-regie")
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!regie_last(&received), "not exported before the stop");
    let status = platform
        .service_mut(ServiceName::Regie)
        .terminate(Duration::from_secs(20))
        .await
        .unwrap();
    assert!(status.success(), "regie stopped cleanly: {status}");
    assert!(
        regie_last(&received),
        "regie exported its last span before it exited:\n{}",
        summary(&received.lock().unwrap())
    );
}

/// The first chain of spans, from a `consume` span in the dashboard parent by parent up to the
/// caller's span, that passes through a `consume` span in provision: two hops through NATS. Each
/// span as "service name".
fn two_hops_from_the_caller(spans: &[ReceivedSpan]) -> Option<Vec<String>> {
    let by_id: HashMap<&str, &ReceivedSpan> = spans
        .iter()
        .filter(|span| span.trace_id == TRACE_ID)
        .map(|span| (span.span_id.as_str(), span))
        .collect();
    spans
        .iter()
        .filter(|span| {
            span.trace_id == TRACE_ID
                && span.service == "kindpakket-dashboard"
                && span.name == "consume"
        })
        .find_map(|start| {
            let mut chain = Vec::new();
            let mut span: &ReceivedSpan = start;
            loop {
                chain.push(format!("{} {}", span.service, span.name));
                if span.parent_span_id == CALLER_SPAN_ID {
                    break;
                }
                span = *by_id.get(span.parent_span_id.as_str())?;
                if chain.len() > 20 {
                    return None;
                }
            }
            chain
                .contains(&"kindpakket-provision consume".to_owned())
                .then_some(chain)
        })
}

/// The signalling service's request span of the signal, a child of the caller's span.
fn is_first_request(span: &ReceivedSpan) -> bool {
    span.trace_id == TRACE_ID
        && span.service == "kindpakket-signalling"
        && span.name == "request"
        && span.parent_span_id == CALLER_SPAN_ID
}

/// Each `consume` span of the caller's trace with its parent, where the parent is a span of
/// another service.
fn consumer_spans_linked_from_elsewhere(
    spans: &[ReceivedSpan],
) -> Vec<(ReceivedSpan, ReceivedSpan)> {
    spans
        .iter()
        .filter(|span| span.trace_id == TRACE_ID && span.name == "consume")
        .filter_map(|consumer| {
            spans
                .iter()
                .find(|parent| {
                    parent.trace_id == TRACE_ID
                        && parent.span_id == consumer.parent_span_id
                        && parent.service != consumer.service
                })
                .map(|parent| (consumer.clone(), parent.clone()))
        })
        .collect()
}

/// The received spans, one line each, for a failure's message.
fn summary(spans: &[ReceivedSpan]) -> String {
    spans
        .iter()
        .filter(|span| span.name != "request" || span.trace_id == TRACE_ID)
        .map(|span| {
            format!(
                "{} {} {} trace={} span={} parent={}",
                span.service,
                span.name,
                span.attributes
                    .get("event_type")
                    .or_else(|| span.attributes.get("aggregate_type"))
                    .map(String::as_str)
                    .unwrap_or(""),
                span.trace_id,
                span.span_id,
                span.parent_span_id
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_that_is_down_costs_the_spans_and_nothing_else() {
    // Nothing listens on this port: every export fails.
    let nobody = format!(
        "http://127.0.0.1:{}",
        kindpakket_tests::harness::free_port()
    );
    let mut platform = Platform::start_with_environment(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", nobody.as_str()),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ])
    .await
    .expect("platform starts");
    let kindpakket = platform.client();
    kindpakket
        .enrol_signaller(GEMEENTE, "wijkteam-centrum", "Wijkteam Centrum")
        .await
        .unwrap();
    let case = traced(&kindpakket, Uuid::new_v4());
    case.signal_child(GEMEENTE, "wijkteam-centrum", Uuid::new_v4(), "2026-09-01")
        .await
        .unwrap();
    // The signal reaches the stream as without traces, and the service still stops cleanly.
    platform
        .wait_until_stream_equals_store(
            kindpakket_proto::Service::Signalling,
            Duration::from_secs(20),
        )
        .await
        .unwrap();
    let status = platform
        .service_mut(ServiceName::Signalling)
        .terminate(Duration::from_secs(15))
        .await
        .unwrap();
    assert!(status.success(), "signalling stopped cleanly: {status}");
}
