//! Wiring: configuration, database, NATS, relay, consumers, the hourly year end and HTTP.

use std::sync::Arc;
use std::time::Duration;

use kindpakket_platform::config::ServiceConfig;
use kindpakket_platform::consume::{CONSUMER_MIGRATION, CONSUMER_OFFSET_KEY_MIGRATION};
use kindpakket_platform::service::Infrastructure;
use kindpakket_platform::store::{AggregateStore, EVENT_STORE_MIGRATION};
use kindpakket_proto::Service;

use crate::access::Pseudonyms;
use crate::consume::{ApplicationHandler, OwnHandler, RegieHandler, SignallingHandler};
use crate::feed::Feeder;
use crate::migrations::{
    APPLICATION_INTERMEDIARIES_MIGRATION, DISCOUNTS_MIGRATION, ENROLMENTS_MIGRATION,
    FEED_MIGRATION, HOUSEHOLD_CHILDREN_MIGRATION, PROOF_DOCUMENTS_MIGRATION, PROVISION_MIGRATION,
    ROW_SECURITY_MIGRATION, WORK_LISTS_MIGRATION, WORK_LIST_KEYSETS_MIGRATION,
};
use crate::read_models::ledger_state::{self, LEDGER_STATE_MIGRATION};
use crate::{http, publish, reseal, year_end};

/// The keys of this service beside the shared ones.
#[derive(Debug, serde::Deserialize)]
pub struct ProvisionConfig {
    /// `KINDPAKKET_PSEUDONYM_KEY`: the secret behind each partner's own pseudonym for a child.
    #[serde(default)]
    pub pseudonym_key: Option<String>,
    /// `KINDPAKKET_PROOF_MAX_BYTES`: the largest proof document a declarant may attach (5 MiB
    /// when not set).
    #[serde(default)]
    pub proof_max_bytes: Option<usize>,
}

/// How often the year end looks for entitlements whose period has ended.
const YEAR_END_EVERY: Duration = Duration::from_secs(3600);

pub async fn run(config: ServiceConfig) -> anyhow::Result<()> {
    let own = kindpakket_platform::config::load::<ProvisionConfig>()?;
    let pseudonyms = Pseudonyms::new(kindpakket_platform::auth::pseudonym_key(
        own.pseudonym_key.as_deref(),
    )?);
    let (api, document) = kindpakket_platform::http::finish(http::routes(), http::DESCRIPTION)?;
    let mut infrastructure = Infrastructure::start(
        "provision",
        config,
        &[
            EVENT_STORE_MIGRATION,
            CONSUMER_MIGRATION,
            CONSUMER_OFFSET_KEY_MIGRATION,
            ENROLMENTS_MIGRATION,
            PROVISION_MIGRATION,
            ROW_SECURITY_MIGRATION,
            WORK_LISTS_MIGRATION,
            APPLICATION_INTERMEDIARIES_MIGRATION,
            HOUSEHOLD_CHILDREN_MIGRATION,
            PROOF_DOCUMENTS_MIGRATION,
            DISCOUNTS_MIGRATION,
            FEED_MIGRATION,
            LEDGER_STATE_MIGRATION,
            WORK_LIST_KEYSETS_MIGRATION,
        ],
    )
    .await?;
    // The children's keys (`<database>_keys`), then the events stored before free text was sealed
    // are sealed once, before the relay reads any of them.
    let keys = kindpakket_platform::shredding::open(
        &infrastructure.config,
        &kindpakket_platform::shredding::keys_database(&infrastructure.config),
    )
    .await?;
    let resealed =
        reseal::reseal_legacy_events(&infrastructure.pool, &infrastructure.config.database, &keys)
            .await?;
    // The ledger's rows of the events stored before them (or rewritten just now), before anything
    // reads or appends.
    ledger_state::fill(&infrastructure.pool, resealed).await?;
    infrastructure
        .publish_events(Service::Provision, publish::contract_translator())
        .await?;
    let pool = infrastructure.pool.clone();
    let entitlements = Arc::new(AggregateStore::new(pool.clone(), ()));
    infrastructure.consume(
        Service::Application,
        Arc::new(ApplicationHandler {
            entitlements: entitlements.clone(),
            pool: pool.clone(),
            keys: keys.clone(),
        }),
    );
    let feeder = Feeder {
        pseudonyms: pseudonyms.clone(),
        keys: keys.clone(),
    };
    infrastructure.consume(
        Service::Regie,
        Arc::new(RegieHandler {
            feeder: feeder.clone(),
        }),
    );
    infrastructure.consume(
        Service::Provision,
        Arc::new(OwnHandler {
            feeder: feeder.clone(),
        }),
    );
    infrastructure.consume(Service::Signalling, Arc::new(SignallingHandler { feeder }));
    {
        let pool = pool.clone();
        let entitlements = entitlements.clone();
        infrastructure.every("year_end", YEAR_END_EVERY, move || {
            let pool = pool.clone();
            let entitlements = entitlements.clone();
            async move { year_end::expire_everywhere(&pool, &entitlements).await }
        });
    }
    kindpakket_platform::shredding::sweep_by_age(&mut infrastructure, keys.clone());
    http::proofs::sweep_by_age(&mut infrastructure);
    let proof_locks = http::proofs::lock_pool(&pool);
    {
        let pool = pool.clone();
        let days = infrastructure.config.keys.retention_days;
        infrastructure.every(
            "feed_retention",
            kindpakket_platform::shredding::RETENTION_SWEEP,
            move || {
                let pool = pool.clone();
                async move { crate::feed::sweep(&pool, days).await }
            },
        );
    }
    let state = http::AppState {
        entitlements,
        invoices: Arc::new(AggregateStore::new(pool.clone(), ())),
        samples: Arc::new(AggregateStore::new(pool.clone(), ())),
        campaigns: Arc::new(AggregateStore::new(pool.clone(), ())),
        pool,
        pseudonyms,
        keys,
        proof_max_bytes: own
            .proof_max_bytes
            .unwrap_or(http::proofs::DEFAULT_MAX_BYTES),
        proof_locks,
    };
    infrastructure.serve(api.with_state(state), document).await
}
