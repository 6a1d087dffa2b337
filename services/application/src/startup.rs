//! Wiring: the subject keys, the vault, database, NATS, the resealing of version 1 events, the
//! relay, the consumers (the regie stream, and the service's own for the overview), the hourly
//! retention sweep, the repair of interrupted erasures, and HTTP.

use std::sync::Arc;
use std::time::Duration;

use kindpakket_platform::config::ServiceConfig;
use kindpakket_platform::consume::{CONSUMER_MIGRATION, CONSUMER_OFFSET_KEY_MIGRATION};
use kindpakket_platform::service::Infrastructure;
use kindpakket_platform::store::{AggregateStore, EVENT_STORE_MIGRATION};
use kindpakket_proto::Service;

use crate::config::ApplicationConfig;
use crate::consume::{RegelingenHandler, PARTNER_ROLES_MIGRATION, REGELINGEN_MIGRATION};
use crate::forgetting::Forgetting;
use crate::overview::{
    OverviewHandler, OVERVIEW_KEYSET_MIGRATION, OVERVIEW_MIGRATION, OVERVIEW_REFERENCES_MIGRATION,
};
use crate::pseudonyms::Pseudonyms;
use crate::sealing::Sealer;
use crate::vault::retention::{self, RetentionPeriods};
use crate::vault::Vault;
use crate::{http, publish, reseal};

/// How often the service forgets whoever was kept past their retention period.
const RETENTION_SWEEP: Duration = Duration::from_secs(3600);

/// How often the service finishes erasures a crash interrupted (and once at start).
const FORGETTING_REPAIR: Duration = Duration::from_secs(300);

pub async fn run(config: ServiceConfig, application: ApplicationConfig) -> anyhow::Result<()> {
    let (api, document) = kindpakket_platform::http::finish(http::routes(), http::DESCRIPTION)?;
    let pseudonyms = Pseudonyms::new(kindpakket_platform::auth::pseudonym_key(
        application.pseudonym_key.as_deref(),
    )?);
    let (vault_database, keys_database) = application.vault_databases(&config.database);
    // The vault's keys database holds the subject keys of persons and households alike.
    let subject_keys = kindpakket_platform::shredding::open(&config, &keys_database).await?;
    let vault = Arc::new(Vault::open(&vault_database, &keys_database, subject_keys.clone()).await?);
    let retention = Arc::new(RetentionPeriods::parse(application.retention.as_deref()));
    let mut infrastructure = Infrastructure::start(
        "application",
        config,
        &[
            EVENT_STORE_MIGRATION,
            CONSUMER_MIGRATION,
            CONSUMER_OFFSET_KEY_MIGRATION,
            REGELINGEN_MIGRATION,
            PARTNER_ROLES_MIGRATION,
            OVERVIEW_MIGRATION,
            OVERVIEW_REFERENCES_MIGRATION,
            crate::grants::GRANTED_ENTITLEMENTS_MIGRATION,
            OVERVIEW_KEYSET_MIGRATION,
        ],
    )
    .await?;
    // Before the relay reads a row: version 1 events get their household fields sealed.
    reseal::run(
        &infrastructure.pool,
        &infrastructure.config.database,
        &subject_keys,
    )
    .await?;
    infrastructure
        .publish_events(Service::Application, publish::contract_translator())
        .await?;
    infrastructure.consume(Service::Regie, Arc::new(RegelingenHandler));
    infrastructure.consume(Service::Application, Arc::new(OverviewHandler));
    let pool = infrastructure.pool.clone();
    let sealer = Sealer::new(subject_keys);
    let forgetting = Arc::new(Forgetting {
        vault: vault.clone(),
        subjects: Arc::new(AggregateStore::new(pool.clone(), ())),
    });
    {
        let (forgetting, periods) = (forgetting.clone(), retention.clone());
        infrastructure.every("retention", RETENTION_SWEEP, move || {
            let (forgetting, periods) = (forgetting.clone(), periods.clone());
            async move { retention::sweep(&forgetting, &periods).await }
        });
    }
    {
        let forgetting = forgetting.clone();
        infrastructure.every("forgetting_repair", FORGETTING_REPAIR, move || {
            let forgetting = forgetting.clone();
            async move { forgetting.repair().await.map(|_| ()) }
        });
    }
    let state = http::AppState {
        applications: Arc::new(AggregateStore::new(pool.clone(), sealer.clone())),
        pool,
        vault,
        forgetting,
        sealer,
        pseudonyms,
        retention,
        gezag: Arc::new(crate::intake::DeclarationRecorded),
    };
    infrastructure.serve(api.with_state(state), document).await
}
