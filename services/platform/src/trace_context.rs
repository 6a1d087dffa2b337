//! The W3C trace context of one family's case, carried the way its correlation id is: taken from an
//! incoming request's `traceparent` header, written into the metadata of every event a command
//! stores, set by the relay as the `traceparent` header of the published message, and taken from
//! that header by the consumer, whose handler runs in a span that is the publishing command's child.
//! A command a consumer issues in turn stores that span's context: the chain of services is one trace.
//!
//! Only `traceparent` travels past the HTTP edge: version, trace id, span id and flags, as the
//! propagator formats them from the parsed ids, so nothing a caller typed (a `tracestate` can hold any
//! text) reaches the event store or the bus. Without an exporter ([`crate::telemetry`]) spans have no
//! trace context, nothing is written and nothing is set.

use std::collections::HashMap;

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The W3C header, the event metadata key and the NATS header: one name everywhere.
pub const TRACEPARENT: &str = kindpakket_proto::envelope::headers::TRACEPARENT;

/// The current span's trace context as metadata entries (`traceparent`), or nothing when no trace
/// is being recorded.
pub fn current() -> HashMap<String, String> {
    let context = tracing::Span::current().context();
    let mut carrier = HashMap::new();
    if context.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&context, &mut carrier);
    }
    carrier.retain(|key, _| key == TRACEPARENT);
    carrier
}

/// The `traceparent` a stored event's metadata carries, if it is a well-formed one.
pub fn from_metadata(metadata: &HashMap<String, String>) -> Option<&str> {
    let value = metadata.get(TRACEPARENT)?;
    is_traceparent(value).then_some(value.as_str())
}

/// Sets the `traceparent` header of a message published for a stored event, from the metadata its
/// command wrote (nothing when it has none: an event stored before traces, or without an exporter).
pub fn set_on_message(metadata: &HashMap<String, String>, headers: &mut async_nats::HeaderMap) {
    if let Some(traceparent) = from_metadata(metadata) {
        headers.insert(TRACEPARENT, traceparent);
    }
}

/// Makes `span` a child of the context in an incoming request's headers (nothing when they carry
/// none, or a malformed one: then the span starts a trace of its own).
pub fn follow_http(span: &tracing::Span, headers: &axum::http::HeaderMap) {
    follow(span, &HttpHeaders(headers));
}

/// Makes `span` a child of the context in a NATS message's headers, as the relay set them.
pub fn follow_message(span: &tracing::Span, headers: Option<&async_nats::HeaderMap>) {
    if let Some(headers) = headers {
        follow(span, &NatsHeaders(headers));
    }
}

fn follow(span: &tracing::Span, carrier: &dyn Extractor) {
    let parent = TraceContextPropagator::new().extract(carrier);
    if parent.span().span_context().is_valid() {
        // Fails only when the span is disabled or already started without this layer: then it
        // simply has no parent.
        let _ = span.set_parent(parent);
    }
}

/// `00-<32 hex>-<16 hex>-<2 hex>`: the only shape written into metadata or onto the bus.
fn is_traceparent(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let hex = |part: &str, length: usize| {
        part.len() == length
            && part
                .bytes()
                .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
    };
    parts.len() == 4
        && hex(parts[0], 2)
        && hex(parts[1], 32)
        && hex(parts[2], 16)
        && hex(parts[3], 2)
}

struct HttpHeaders<'a>(&'a axum::http::HeaderMap);

impl Extractor for HttpHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|key| key.as_str()).collect()
    }
}

struct NatsHeaders<'a>(&'a async_nats::HeaderMap);

impl Extractor for NatsHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|value| value.as_str())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(key, _)| key.as_ref()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt;

    const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

    /// Spans recorded as OpenTelemetry spans (nothing exported), as with an exporter configured.
    fn traced<T>(run: impl FnOnce() -> T) -> T {
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::with_default(subscriber, run)
    }

    #[test]
    fn the_callers_trace_goes_into_the_metadata_onto_the_message_and_into_the_consumer() {
        traced(|| {
            let callers = format!("00-{TRACE_ID}-00f067aa0ba902b7-01");
            let mut incoming = axum::http::HeaderMap::new();
            incoming.insert("traceparent", callers.parse().unwrap());
            incoming.insert(
                "tracestate",
                "gemeente=jan-jansen-12-03-2015".parse().unwrap(),
            );
            let request = tracing::info_span!("request");
            follow_http(&request, &incoming);
            let metadata = request.in_scope(current);

            // Ids only: nothing of the caller's tracestate (free text) is kept.
            assert_eq!(metadata.keys().collect::<Vec<_>>(), vec![TRACEPARENT]);
            let stored = &metadata[TRACEPARENT];
            assert!(
                stored.starts_with(&format!("00-{TRACE_ID}-")) && stored.ends_with("-01"),
                "the caller's trace, sampled: {stored}"
            );
            assert_ne!(
                stored, &callers,
                "the service's own span is the next parent"
            );
            assert!(is_traceparent(stored));

            let mut headers = async_nats::HeaderMap::new();
            set_on_message(&metadata, &mut headers);
            assert_eq!(
                headers.get(TRACEPARENT).map(|value| value.as_str()),
                Some(stored.as_str())
            );

            let consume = tracing::info_span!("consume");
            follow_message(&consume, Some(&headers));
            let onward = consume.in_scope(current);
            let onward = &onward[TRACEPARENT];
            assert!(
                onward.starts_with(&format!("00-{TRACE_ID}-")),
                "the consumer continues the trace: {onward}"
            );
            assert_ne!(onward, stored, "in a span of its own");
        });
    }

    #[test]
    fn without_a_trace_or_with_a_malformed_one_nothing_is_written_or_set() {
        // No OpenTelemetry layer (no exporter configured): nothing in the metadata.
        let span = tracing::info_span!("request");
        assert!(span.in_scope(current).is_empty());
        traced(|| {
            // A span that follows nothing starts a trace of its own.
            let mut incoming = axum::http::HeaderMap::new();
            incoming.insert("traceparent", "00-jan-jansen-01".parse().unwrap());
            let request = tracing::info_span!("request");
            follow_http(&request, &incoming);
            let metadata = request.in_scope(current);
            assert!(!metadata[TRACEPARENT].contains(TRACE_ID));
            assert!(is_traceparent(&metadata[TRACEPARENT]));
        });
        // Metadata that holds something else under the key never reaches the bus.
        for value in [
            "00-jan-jansen-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 extra",
            "",
        ] {
            let metadata = HashMap::from([(TRACEPARENT.to_owned(), value.to_owned())]);
            let mut headers = async_nats::HeaderMap::new();
            set_on_message(&metadata, &mut headers);
            assert!(headers.get(TRACEPARENT).is_none(), "{value:?} was set");
        }
        let mut headers = async_nats::HeaderMap::new();
        set_on_message(&HashMap::new(), &mut headers);
        assert!(headers.get(TRACEPARENT).is_none());
    }
}
