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
    let (vault_url, keys_url) = crate::vault::database_urls(&config.database_url);
    let vault = Arc::new(crate::vault::Vault::open(&vault_url, &keys_url).await?);
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
        vault,
        retention: crate::vault::retention_from_env(),
    };
    tokio::spawn(retention_sweep(state.clone()));
    infrastructure
        .serve(http::router(state), http::openapi())
        .await
}

/// Once an hour, forgets everyone whose retention period has passed, in every gemeente.
async fn retention_sweep(state: http::AppState) {
    let mut interval = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        interval.tick().await;
        let gemeenten: Result<Vec<String>, _> =
            sqlx::query_scalar("SELECT DISTINCT gemeente FROM persons")
                .fetch_all(&state.vault.data)
                .await;
        let Ok(gemeenten) = gemeenten else { continue };
        let today = time::OffsetDateTime::now_utc().date();
        for gemeente in gemeenten {
            let Ok(gemeente) = kindpakket_proto::GemeenteCode::parse(&gemeente) else {
                continue;
            };
            match http::persons::apply_retention(
                &state,
                &gemeente,
                today,
                ("bewaartermijn", "application", "system"),
            )
            .await
            {
                Ok(0) => {}
                Ok(erased) => tracing::info!(%gemeente, erased, "retention applied"),
                Err(error) => tracing::warn!(%gemeente, ?error, "retention sweep failed"),
            }
        }
    }
}
