//! Starting a service: database, NATS, its relay, consumers and jobs, and the HTTP server, until
//! stopped. Started with `migrate`, the same wiring only prepares the databases (as the migration
//! owner) and exits: which migrations a service has is said in one place. On SIGTERM the server stops taking requests and finishes those in flight, then the relay,
//! the consumers and the jobs are told to stop and are awaited.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aide::openapi::OpenApi;
use anyhow::{Context, Result};
use async_nats::jetstream;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use kindpakket_proto::Service;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::{Mode, ServiceConfig};
use crate::consume::{self, ConsumerConfig, EventHandler};
use crate::db::{self, Migration};
use crate::http;
use crate::relay::{Relay, Translator};

/// The largest request body any service accepts.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The running parts of one service.
pub struct Infrastructure {
    pub name: &'static str,
    pub config: ServiceConfig,
    pub pool: PgPool,
    pub nats: async_nats::Client,
    pub js: jetstream::Context,
    shutdown_sender: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Infrastructure {
    /// Connects to the service's database (migrating it) and to NATS.
    pub async fn start(
        name: &'static str,
        config: ServiceConfig,
        migrations: &[Migration],
    ) -> Result<Self> {
        crate::clock::set_offset_days(config.clock_offset_days);
        let pool = db::open(&config.database, migrations).await?;
        let (nats, js) = crate::nats::connect_as(&config.nats_urls, &config.nats_security).await?;
        let (shutdown_sender, _) = watch::channel(false);
        tracing::info!(service = name, "connected to database and NATS");
        Ok(Self {
            name,
            config,
            pool,
            nats,
            js,
            shutdown_sender,
            tasks: JoinSet::new(),
        })
    }

    /// Whether this process only migrates (then nothing is started, only databases prepared).
    pub fn migrating(&self) -> bool {
        self.config.mode == Mode::Migrate
    }

    /// Starts the relay that publishes this service's events (it declares the stream itself).
    pub async fn publish_events(&mut self, service: Service, translate: Translator) -> Result<()> {
        db::prepare(&self.config.database, &[crate::relay::RELAY_MIGRATION]).await?;
        if self.migrating() {
            return Ok(());
        }
        let mut relay = Relay::new(service, self.pool.clone(), self.js.clone(), translate);
        relay.stream_policy = self.config.stream_policy();
        let shutdown = self.shutdown_sender.subscribe();
        self.tasks.spawn(relay.run(shutdown));
        Ok(())
    }

    /// Starts a durable consumer of another service's stream.
    pub fn consume<H: EventHandler>(&mut self, source: Service, handler: Arc<H>) {
        if self.migrating() {
            return;
        }
        let config = ConsumerConfig {
            durable_name: kindpakket_proto::subjects::durable_name(self.name, source),
            source,
            max_batch: self.config.consumer_batch,
        };
        let shutdown = self.shutdown_sender.subscribe();
        self.tasks.spawn(consume::run(
            self.js.clone(),
            self.pool.clone(),
            config,
            handler,
            shutdown,
        ));
    }

    /// Runs `job` every `period` (the first time at once) until the service stops. A run that fails is
    /// logged and the next one comes at its time; a run in progress at shutdown finishes first.
    pub fn every<F, Fut>(&mut self, name: &'static str, period: Duration, job: F)
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = Result<()>> + Send,
    {
        if self.migrating() {
            return;
        }
        let mut shutdown = self.shutdown_sender.subscribe();
        self.tasks.spawn(async move {
            let mut interval = tokio::time::interval(period);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = interval.tick() => {}
                    _ = shutdown.changed() => return,
                }
                if let Err(error) = job().await {
                    tracing::warn!(job = name, error = format!("{error:#}"), "job failed");
                }
            }
        });
    }

    /// Serves the API (plus `/health`, `/health/live`, `/health/ready`, `/metrics`, the OpenAPI document and the conventions) until SIGINT or
    /// SIGTERM, then stops the relay, the consumers and the jobs and waits for them.
    pub async fn serve(self, api: Router, document: OpenApi) -> Result<()> {
        self.serve_with_pages(api, document, Router::new()).await
    }

    /// [`Self::serve`], with pages for people beside the API (the dashboard's): they follow the same
    /// conventions, but are not part of the OpenAPI document.
    pub async fn serve_with_pages(
        mut self,
        api: Router,
        document: OpenApi,
        pages: Router,
    ) -> Result<()> {
        if self.migrating() {
            tracing::info!(service = self.name, "migrated; exiting");
            return Ok(());
        }
        let health_state = HealthState {
            pool: self.pool.clone(),
            nats: self.nats.clone(),
        };
        let document =
            Arc::new(serde_json::to_value(&document).context("serialising the OpenAPI document")?);
        let authenticator = crate::auth::Authenticator::load(&self.config.auth)?;
        let app = api
            .merge(pages)
            .route_layer(axum::middleware::from_fn(http::record_route))
            .route(
                "/api/v1/openapi.json",
                get(move || {
                    let document = document.clone();
                    async move { Json(document.as_ref().clone()) }
                }),
            )
            .route("/health", get(health).with_state(health_state.clone()))
            .route("/health/live", get(live))
            .route("/health/ready", get(ready).with_state(health_state.clone()))
            .route("/metrics", get(metrics).with_state(health_state))
            .fallback(http::not_found_fallback)
            .method_not_allowed_fallback(http::method_not_allowed_fallback)
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .layer(axum::middleware::from_fn_with_state(
                crate::ratelimit::RateLimiter::from_config(self.config.rate_limit),
                crate::ratelimit::rate_limit_middleware,
            ))
            .layer(axum::Extension(authenticator))
            .layer(axum::middleware::from_fn(http::conventions_middleware));
        let listener = tokio::net::TcpListener::bind(self.config.http_addr)
            .await
            .with_context(|| format!("binding {}", self.config.http_addr))?;
        tracing::info!(service = self.name, address = %self.config.http_addr, "listening");
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(stop_signal())
        .await
        .context("serving HTTP")?;
        tracing::info!(service = self.name, "stopping");
        let _ = self.shutdown_sender.send(true);
        while self.tasks.join_next().await.is_some() {}
        Ok(())
    }
}

#[derive(Clone)]
struct HealthState {
    pool: PgPool,
    nats: async_nats::Client,
}

/// 200 when the database answers: then commands are accepted and kept, even while NATS is away
/// (the relay publishes them later). The body says whether NATS is connected, for monitoring.
async fn health(State(state): State<HealthState>) -> (StatusCode, Json<Value>) {
    let database = sqlx::query("SELECT 1").execute(&state.pool).await.is_ok();
    let nats = state.nats.connection_state() == async_nats::connection::State::Connected;
    let status = if database {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let summary = if database { "ok" } else { "niet gereed" };
    (
        status,
        Json(json!({"status": summary, "database": database, "nats": nats})),
    )
}

/// Liveness: the process answers. Restarting it would not help anything else.
async fn live() -> (StatusCode, Json<Value>) {
    (StatusCode::OK, Json(json!({"status": "ok"})))
}

/// Readiness: 200 only when the database answers and NATS is connected (migrations ran before the
/// server started listening); 503 otherwise, so a load balancer sends requests elsewhere.
async fn ready(State(state): State<HealthState>) -> (StatusCode, Json<Value>) {
    let database = sqlx::query("SELECT 1").execute(&state.pool).await.is_ok();
    let nats = state.nats.connection_state() == async_nats::connection::State::Connected;
    if database && nats {
        (
            StatusCode::OK,
            Json(json!({"status": "gereed", "database": true, "nats": true})),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "niet gereed", "database": database, "nats": nats})),
        )
    }
}

/// The metrics in the OpenMetrics text format ([`crate::metrics`]).
async fn metrics(State(state): State<HealthState>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let text = crate::metrics::render(&state.pool).await;
    (
        [(
            axum::http::header::CONTENT_TYPE,
            crate::metrics::CONTENT_TYPE,
        )],
        text,
    )
        .into_response()
}

/// Resolves on SIGINT or SIGTERM. Without a SIGTERM handler (it cannot be installed) only SIGINT.
async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "no SIGTERM handler; stopping on SIGINT only");
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
