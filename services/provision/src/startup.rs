//! Wiring: database, NATS, relay, consumers and HTTP.

use std::sync::Arc;

use kindpakket_platform::config::ServiceConfig;
use kindpakket_platform::consume::CONSUMER_MIGRATION;
use kindpakket_platform::service::Infrastructure;
use kindpakket_platform::store::{AggregateStore, EVENT_STORE_MIGRATION};
use kindpakket_proto::Service;

use crate::consume::{EnrolmentsHandler, GrantsHandler, ENROLMENTS_MIGRATION};
use crate::{http, publish};

pub async fn run(config: ServiceConfig) -> anyhow::Result<()> {
    let mut infrastructure = Infrastructure::start(
        "provision",
        config,
        &[
            EVENT_STORE_MIGRATION,
            CONSUMER_MIGRATION,
            ENROLMENTS_MIGRATION,
        ],
    )
    .await?;
    infrastructure
        .publish_events(Service::Provision, publish::contract_translator())
        .await?;
    let entitlements = Arc::new(AggregateStore::new(infrastructure.pool.clone(), ()));
    infrastructure.consume(
        Service::Application,
        Arc::new(GrantsHandler {
            entitlements: entitlements.clone(),
        }),
    );
    infrastructure.consume(Service::Regie, Arc::new(EnrolmentsHandler));
    let state = http::AppState {
        entitlements,
        pool: infrastructure.pool.clone(),
    };
    infrastructure
        .serve(http::router(state), http::openapi())
        .await
}
