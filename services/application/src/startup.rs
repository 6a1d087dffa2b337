//! Wiring: database, NATS, relay and HTTP.

use std::sync::Arc;

use kindpakket_platform::config::ServiceConfig;
use kindpakket_platform::service::Infrastructure;
use kindpakket_platform::store::{AggregateStore, EVENT_STORE_MIGRATION};
use kindpakket_proto::Service;

use crate::{http, publish};

pub async fn run(config: ServiceConfig) -> anyhow::Result<()> {
    let mut infrastructure =
        Infrastructure::start("application", config, &[EVENT_STORE_MIGRATION]).await?;
    infrastructure
        .publish_events(Service::Application, publish::contract_translator())
        .await?;
    let store = Arc::new(AggregateStore::new(infrastructure.pool.clone(), ()));
    infrastructure
        .serve(http::router(store), http::openapi())
        .await
}
