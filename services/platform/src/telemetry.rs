//! Structured logs and traces. Every line is key=value (or JSON); spans carry the correlation id so
//! one family's case can be followed across services.
//!
//! With `OTEL_EXPORTER_OTLP_ENDPOINT` set (e.g. `http://otel-collector:4318`), the same spans are
//! also OpenTelemetry spans, exported by OTLP over HTTP/protobuf to `<endpoint>/v1/traces` in
//! batches, under `service.name` = the service's name; [`crate::trace_context`] carries their
//! context across HTTP and NATS. Without it no exporter, no OpenTelemetry layer: nothing changes.
//! The other standard `OTEL_EXPORTER_OTLP_*` variables (headers, timeout, a traces-only endpoint)
//! and `OTEL_SDK_DISABLED=true` are honoured.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// The variables that switch the export on, the standard ones.
const ENDPOINT_VARIABLES: [&str; 2] = [
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
];

/// What has to be flushed at the end: the spans not yet exported.
#[must_use = "call shutdown() at the end, or the last spans are not exported"]
pub struct Telemetry {
    traces: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Exports the spans still in the batch and stops the exporter (at a graceful stop, after the
    /// service's tasks have finished). Waits at most the exporter's timeout.
    pub async fn shutdown(self) {
        let Some(provider) = self.traces else {
            return;
        };
        let stopped = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        match stopped {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "flushing the last traces failed"),
            Err(error) => tracing::warn!(%error, "flushing the last traces failed"),
        }
    }
}

/// Installs the global subscriber; `RUST_LOG` filters (default `info`). `service` is the name under
/// which traces are exported (`kindpakket-signalling`).
pub fn init(service: &'static str, format: LogFormat) -> Telemetry {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (json, compact) = match format {
        LogFormat::Json => (
            Some(
                tracing_subscriber::fmt::layer()
                    .with_target(true)
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false),
            ),
            None,
        ),
        LogFormat::Pretty => (
            None,
            Some(tracing_subscriber::fmt::layer().with_target(true).compact()),
        ),
    };
    // An exporter that cannot be built is logged once the subscriber is there; the service runs
    // without traces.
    let (traces, failure) = if exporting() {
        match tracer_provider(service) {
            Ok(provider) => (Some(provider), None),
            Err(error) => (None, Some(format!("{error:#}"))),
        }
    } else {
        (None, None)
    };
    let layer = traces.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("kindpakket"))
            .with_tracked_inactivity(false)
    });
    let result = tracing_subscriber::registry()
        .with(filter)
        .with(json)
        .with(compact)
        .with(layer)
        .try_init();
    // A second init (tests in one process) is harmless.
    let _ = result;
    if let Some(endpoint) = traces.as_ref().and_then(|_| endpoint()) {
        tracing::info!(service, endpoint, "exporting traces by OTLP");
    }
    if let Some(error) = failure {
        tracing::warn!(
            service,
            error,
            "OpenTelemetry exporter not started: no traces"
        );
    }
    Telemetry { traces }
}

fn endpoint() -> Option<String> {
    ENDPOINT_VARIABLES
        .iter()
        .filter_map(|variable| std::env::var(variable).ok())
        .find(|value| !value.trim().is_empty())
}

/// Whether traces are to be exported: an endpoint is set and the SDK is not switched off.
fn exporting() -> bool {
    let disabled = std::env::var("OTEL_SDK_DISABLED")
        .is_ok_and(|value| value.trim().eq_ignore_ascii_case("true"));
    !disabled && endpoint().is_some()
}

fn tracer_provider(service: &'static str) -> anyhow::Result<SdkTracerProvider> {
    // The endpoint, headers and timeout come from the standard variables.
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .build()?;
    let resource = Resource::builder().with_service_name(service).build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}
