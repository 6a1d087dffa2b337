//! Wiring: the vault, database, NATS, relay, the regie consumer, the hourly retention sweep and HTTP.

use std::sync::Arc;
use std::time::Duration;

use kindpakket_platform::config::ServiceConfig;
use kindpakket_platform::consume::CONSUMER_MIGRATION;
use kindpakket_platform::service::Infrastructure;
use kindpakket_platform::store::{AggregateStore, EVENT_STORE_MIGRATION};
use kindpakket_proto::Service;

use crate::config::ApplicationConfig;
use crate::consume::{RegelingenHandler, PARTNER_ROLES_MIGRATION, REGELINGEN_MIGRATION};
use crate::vault::retention::{self, RetentionPeriods};
use crate::vault::Vault;
use crate::{http, publish};

/// How often the service forgets whoever was kept past their retention period.
const RETENTION_SWEEP: Duration = Duration::from_secs(3600);

pub async fn run(config: ServiceConfig, application: ApplicationConfig) -> anyhow::Result<()> {
    let (api, document) = kindpakket_platform::http::finish(http::routes(), http::DESCRIPTION)?;
    let (vault_database, keys_database) = application.vault_databases(&config.database);
    let vault = Arc::new(Vault::open(&vault_database, &keys_database).await?);
    let retention = Arc::new(RetentionPeriods::parse(application.retention.as_deref()));
    let mut infrastructure = Infrastructure::start(
        "application",
        config,
        &[
            EVENT_STORE_MIGRATION,
            CONSUMER_MIGRATION,
            REGELINGEN_MIGRATION,
            PARTNER_ROLES_MIGRATION,
        ],
    )
    .await?;
    infrastructure
        .publish_events(Service::Application, publish::contract_translator())
        .await?;
    infrastructure.consume(Service::Regie, Arc::new(RegelingenHandler));
    let (swept, periods) = (vault.clone(), retention.clone());
    infrastructure.every("retention", RETENTION_SWEEP, move || {
        let (vault, periods) = (swept.clone(), periods.clone());
        async move { retention::sweep(&vault, &periods).await }
    });
    let state = http::AppState {
        applications: Arc::new(AggregateStore::new(infrastructure.pool.clone(), ())),
        pool: infrastructure.pool.clone(),
        vault,
        retention,
    };
    infrastructure.serve(api.with_state(state), document).await
}
