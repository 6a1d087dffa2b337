//! Wiring: database, NATS, relay and HTTP.

use std::sync::Arc;

use kindpakket_platform::config::ServiceConfig;
use kindpakket_platform::service::Infrastructure;
use kindpakket_platform::store::{AggregateStore, EVENT_STORE_MIGRATION};
use kindpakket_proto::Service;

use crate::{http, publish};

pub async fn run(config: ServiceConfig) -> anyhow::Result<()> {
    let (api, document) = kindpakket_platform::http::finish(http::routes(), http::DESCRIPTION)?;
    let mut infrastructure =
        Infrastructure::start("regie", config, &[EVENT_STORE_MIGRATION]).await?;
    infrastructure
        .publish_events(Service::Regie, publish::contract_translator())
        .await?;
    let state = http::AppState {
        pool: infrastructure.pool.clone(),
        regelingen: Arc::new(AggregateStore::new(infrastructure.pool.clone(), ())),
        enrolments: Arc::new(AggregateStore::new(infrastructure.pool.clone(), ())),
        routings: Arc::new(AggregateStore::new(infrastructure.pool.clone(), ())),
        target_groups: Arc::new(AggregateStore::new(infrastructure.pool.clone(), ())),
        wishes: Arc::new(AggregateStore::new(infrastructure.pool.clone(), ())),
    };
    infrastructure.serve(api.with_state(state), document).await
}
