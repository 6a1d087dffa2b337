//! Wiring: database, NATS, relay, the regie consumer and HTTP.

use std::sync::Arc;

use kindpakket_platform::config::ServiceConfig;
use kindpakket_platform::consume::CONSUMER_MIGRATION;
use kindpakket_platform::service::Infrastructure;
use kindpakket_platform::store::{AggregateStore, EVENT_STORE_MIGRATION};
use kindpakket_proto::Service;

use crate::consume::RegieHandler;
use crate::domain::signal::upcasters;
use crate::enrolments::ENROLMENTS_MIGRATION;
use crate::{http, publish};

pub async fn run(config: ServiceConfig) -> anyhow::Result<()> {
    let (api, document) = kindpakket_platform::http::finish(http::routes(), http::DESCRIPTION)?;
    let mut infrastructure = Infrastructure::start(
        "signalling",
        config,
        &[
            EVENT_STORE_MIGRATION,
            CONSUMER_MIGRATION,
            ENROLMENTS_MIGRATION,
        ],
    )
    .await?;
    infrastructure
        .publish_events(Service::Signalling, publish::contract_translator())
        .await?;
    infrastructure.consume(Service::Regie, Arc::new(RegieHandler));
    let state = http::AppState {
        pool: infrastructure.pool.clone(),
        signals: Arc::new(AggregateStore::with_upcasters(
            infrastructure.pool.clone(),
            (),
            upcasters::upcasters,
        )),
    };
    infrastructure.serve(api.with_state(state), document).await
}
