//! Prometheus metrics of one service process, served at `/metrics` in the OpenMetrics text format.
//!
//! What an operator alerts on (see `deploy/README.md`): commands and their latency per aggregate,
//! HTTP answers per route template and status, the relay's backlog and lag, each durable consumer's
//! pending messages and outcomes, parked events, and a stream that lost acknowledged messages.
//!
//! Labels are templates and names only: a route is `/api/v1/gemeenten/{gemeente}/rechten/{id}`, never
//! the path a caller sent, so no id, code or typed text reaches the metrics. Counters are recorded
//! where things happen (the HTTP layer, the store, the relay, the consumers); the relay's backlog and
//! the parked events are read from the database when Prometheus scrapes, so they are exact whichever
//! instance holds the relay.

use std::sync::atomic::AtomicU64;
use std::sync::OnceLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use sqlx::PgPool;

/// The content type of [`render`]'s answer.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CommandLabels {
    pub aggregate: String,
    /// `accepted`, `refused` (a domain rule said no), `conflict` (lost every retry) or `error`.
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AggregateLabels {
    pub aggregate: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConsumerLabels {
    pub durable: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConsumerOutcomeLabels {
    pub durable: String,
    /// `applied`, `duplicate`, `early`, `retry` or `parked`.
    pub outcome: &'static str,
}

/// Every metric of the process.
pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_duration: Family<RouteLabels, Histogram>,
    pub commands: Family<CommandLabels, Counter>,
    pub command_duration: Family<AggregateLabels, Histogram>,
    pub relay_published: Counter,
    pub relay_backlog: Gauge,
    pub relay_lag_seconds: Gauge<f64, AtomicU64>,
    pub relay_lost_stream: Counter,
    pub consumer_events: Family<ConsumerOutcomeLabels, Counter>,
    pub consumer_pending: Family<ConsumerLabels, Gauge>,
    pub parked: Family<ConsumerLabels, Gauge>,
}

fn seconds_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("kindpakket");
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, per method, route template and status",
            http_requests.clone(),
        );
        let http_duration =
            Family::<RouteLabels, Histogram>::new_with_constructor(seconds_histogram as fn() -> _);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, per method and route template",
            http_duration.clone(),
        );
        let commands = Family::<CommandLabels, Counter>::default();
        registry.register(
            "commands",
            "Commands executed on an aggregate, per outcome",
            commands.clone(),
        );
        let command_duration = Family::<AggregateLabels, Histogram>::new_with_constructor(
            seconds_histogram as fn() -> _,
        );
        registry.register(
            "command_duration_seconds",
            "Time to execute a command, its retries included",
            command_duration.clone(),
        );
        let relay_published = Counter::default();
        registry.register(
            "relay_published_events",
            "Events this process's relay published and JetStream acknowledged",
            relay_published.clone(),
        );
        let relay_backlog = Gauge::default();
        registry.register(
            "relay_backlog_events",
            "Committed events not yet acknowledged by JetStream (read at scrape time)",
            relay_backlog.clone(),
        );
        let relay_lag_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "relay_lag_seconds",
            "Age of the oldest committed event not yet acknowledged by JetStream; 0 when none",
            relay_lag_seconds.clone(),
        );
        let relay_lost_stream = Counter::default();
        registry.register(
            "relay_stream_lost_messages",
            "Times the relay found its stream missing messages JetStream had acknowledged",
            relay_lost_stream.clone(),
        );
        let consumer_events = Family::<ConsumerOutcomeLabels, Counter>::default();
        registry.register(
            "consumer_events",
            "Messages a durable consumer handled, per outcome",
            consumer_events.clone(),
        );
        let consumer_pending = Family::<ConsumerLabels, Gauge>::default();
        registry.register(
            "consumer_pending_messages",
            "Messages on the stream not yet delivered to the durable consumer (as of its last message)",
            consumer_pending.clone(),
        );
        let parked = Family::<ConsumerLabels, Gauge>::default();
        registry.register(
            "parked_events",
            "Events parked in dead_letters and not replayed, per consumer (read at scrape time)",
            parked.clone(),
        );
        Self {
            registry,
            http_requests,
            http_duration,
            commands,
            command_duration,
            relay_published,
            relay_backlog,
            relay_lag_seconds,
            relay_lost_stream,
            consumer_events,
            consumer_pending,
            parked,
        }
    }

    /// Records one answered HTTP request.
    pub fn record_http(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.http_requests
            .get_or_create(&HttpLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.http_duration
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    /// Records one executed command.
    pub fn record_command(&self, aggregate: &str, outcome: &'static str, took: Duration) {
        self.commands
            .get_or_create(&CommandLabels {
                aggregate: aggregate.to_owned(),
                outcome,
            })
            .inc();
        self.command_duration
            .get_or_create(&AggregateLabels {
                aggregate: aggregate.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    /// Records one message a consumer handled, and what its stream still holds for it.
    pub fn record_consumed(&self, durable: &str, outcome: &'static str, pending: Option<u64>) {
        self.consumer_events
            .get_or_create(&ConsumerOutcomeLabels {
                durable: durable.to_owned(),
                outcome,
            })
            .inc();
        if let Some(pending) = pending {
            self.consumer_pending
                .get_or_create(&ConsumerLabels {
                    durable: durable.to_owned(),
                })
                .set(i64::try_from(pending).unwrap_or(i64::MAX));
        }
    }
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// Reads the relay's backlog and the parked events from the service's database, then encodes every
/// metric. A table the service does not have (a service without consumers has no `dead_letters`)
/// leaves its metric out.
pub async fn render(pool: &PgPool) -> String {
    let metrics = metrics();
    let backlog: Result<(i64, Option<f64>), _> = sqlx::query_as(
        "SELECT count(*)::bigint,
                EXTRACT(EPOCH FROM clock_timestamp() - min(e.recorded_at))::float8
         FROM relay_checkpoints c
         JOIN events e ON (e.tx_id, e.global_position) > (c.tx_id, c.global_position)",
    )
    .fetch_one(pool)
    .await;
    match backlog {
        Ok((count, oldest)) => {
            metrics.relay_backlog.set(count);
            metrics
                .relay_lag_seconds
                .set(oldest.unwrap_or(0.0).max(0.0));
        }
        Err(error) => tracing::debug!(%error, "no relay backlog to report"),
    }
    let parked: Result<Vec<(String, i64)>, _> = sqlx::query_as(
        "SELECT consumer, count(*) FILTER (WHERE replayed_at IS NULL)::bigint
         FROM dead_letters GROUP BY consumer",
    )
    .fetch_all(pool)
    .await;
    match parked {
        Ok(rows) => {
            for (durable, count) in rows {
                metrics
                    .parked
                    .get_or_create(&ConsumerLabels { durable })
                    .set(count);
            }
        }
        Err(error) => tracing::debug!(%error, "no parked events to report"),
    }
    let mut text = String::new();
    if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &metrics.registry) {
        tracing::warn!(%error, "encoding metrics failed");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_requests_and_commands_appear_in_the_text_under_their_templates() {
        let metrics = metrics();
        metrics.record_http(
            "POST",
            "/api/v1/gemeenten/{gemeente}/signaleringen",
            201,
            Duration::from_millis(12),
        );
        metrics.record_command("signal", "accepted", Duration::from_millis(8));
        metrics.record_consumed("dashboard-signalling", "applied", Some(41));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &metrics.registry).unwrap();
        assert!(text.contains(
            r#"kindpakket_http_requests_total{method="POST",route="/api/v1/gemeenten/{gemeente}/signaleringen",status="201"} 1"#
        ), "{text}");
        assert!(
            text.contains(r#"kindpakket_commands_total{aggregate="signal",outcome="accepted"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"kindpakket_consumer_pending_messages{durable="dashboard-signalling"} 41"#
            ),
            "{text}"
        );
        assert!(text.contains("kindpakket_command_duration_seconds_bucket"));
    }
}
