//! Wiring: database, NATS, the consumers of all four streams, and HTTP.

use std::sync::Arc;

use kindpakket_platform::config::ServiceConfig;
use kindpakket_platform::consume::CONSUMER_MIGRATION;
use kindpakket_platform::service::Infrastructure;
use kindpakket_proto::Service;

use crate::http;
use crate::projections::{DashboardProjection, READ_MODEL_MIGRATION};

pub async fn run(config: ServiceConfig) -> anyhow::Result<()> {
    let mut infrastructure = Infrastructure::start(
        "dashboard",
        config,
        &[CONSUMER_MIGRATION, READ_MODEL_MIGRATION],
    )
    .await?;
    let projection = Arc::new(DashboardProjection);
    for source in Service::ALL {
        infrastructure.consume(source, projection.clone());
    }
    let pool = infrastructure.pool.clone();
    infrastructure
        .serve(http::router(pool), http::openapi())
        .await
}
