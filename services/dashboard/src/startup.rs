//! Wiring: the dashboard's database (migrated), NATS, one durable consumer per service stream, and
//! HTTP, until stopped.

use std::sync::Arc;

use kindpakket_platform::config::ServiceConfig;
use kindpakket_platform::service::Infrastructure;
use kindpakket_proto::Service;

use crate::http;
use crate::projections::{DashboardProjection, MIGRATIONS};

/// Runs the dashboard until SIGINT or SIGTERM. The consumers wait (and retry) until the streams
/// exist, so the dashboard may start before the services that publish.
pub async fn run(config: ServiceConfig) -> anyhow::Result<()> {
    let mut infrastructure = Infrastructure::start("dashboard", config, &MIGRATIONS).await?;
    let projection = Arc::new(DashboardProjection);
    for source in [
        Service::Regie,
        Service::Signalling,
        Service::Application,
        Service::Provision,
    ] {
        infrastructure.consume(source, projection.clone());
    }
    let pool = infrastructure.pool.clone();
    infrastructure
        .serve(http::router(pool), http::openapi())
        .await
}
