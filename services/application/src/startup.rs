//! Wiring: database, NATS, relay, the regie consumer and HTTP.

use std::sync::Arc;

use kindpakket_platform::config::ServiceConfig;
use kindpakket_platform::consume::CONSUMER_MIGRATION;
use kindpakket_platform::service::Infrastructure;
use kindpakket_platform::store::{AggregateStore, EVENT_STORE_MIGRATION};
use kindpakket_proto::Service;

use crate::consume::{RegelingenHandler, REGELINGEN_MIGRATION};
use crate::{http, publish};

pub async fn run(config: ServiceConfig) -> anyhow::Result<()> {
    let mut infrastructure = Infrastructure::start(
        "application",
        config,
        &[
            EVENT_STORE_MIGRATION,
            CONSUMER_MIGRATION,
            REGELINGEN_MIGRATION,
        ],
    )
    .await?;
    infrastructure
        .publish_events(Service::Application, publish::contract_translator())
        .await?;
    infrastructure.consume(Service::Regie, Arc::new(RegelingenHandler));
    let state = http::AppState {
        applications: Arc::new(AggregateStore::new(infrastructure.pool.clone(), ())),
        pool: infrastructure.pool.clone(),
    };
    infrastructure
        .serve(http::router(state), http::openapi())
        .await
}
