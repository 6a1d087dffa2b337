//! Wiring: database, the children's keys, resealing legacy events, NATS, relay, the regie,
//! application and provision consumers and HTTP.

use std::sync::Arc;

use kindpakket_platform::config::ServiceConfig;
use kindpakket_platform::consume::{CONSUMER_MIGRATION, CONSUMER_OFFSET_KEY_MIGRATION};
use kindpakket_platform::service::Infrastructure;
use kindpakket_platform::store::{AggregateStore, EVENT_STORE_MIGRATION};
use kindpakket_proto::Service;

use crate::consume::{ApplicationHandler, RegieHandler};
use crate::domain::signal::upcasters;
use crate::enrolments::{ENROLMENTS_MIGRATION, ENROLMENT_PROVISIONS_MIGRATION};
use crate::links::LINKS_MIGRATION;
use crate::progress::{ProvisionProgress, WithProgress, PROGRESS_MIGRATION};
use crate::references::References;
use crate::routing::ROUTING_MIGRATION;
use crate::worklist::{SignalsHandler, SIGNALS_KEYSET_MIGRATION, SIGNALS_MIGRATION};
use crate::{http, publish, reseal};

/// The keys of this service beside the shared ones.
#[derive(Debug, serde::Deserialize)]
pub struct SignallingConfig {
    /// `KINDPAKKET_PSEUDONYM_KEY`: the secret behind references (the application and provision
    /// services' key).
    #[serde(default)]
    pub pseudonym_key: Option<String>,
}

pub async fn run(config: ServiceConfig) -> anyhow::Result<()> {
    let own = kindpakket_platform::config::load::<SignallingConfig>()?;
    let references = References::new(kindpakket_platform::auth::pseudonym_key(
        own.pseudonym_key.as_deref(),
    )?);
    let (api, document) = kindpakket_platform::http::finish(http::routes(), http::DESCRIPTION)?;
    let mut infrastructure = Infrastructure::start(
        "signalling",
        config,
        &[
            EVENT_STORE_MIGRATION,
            CONSUMER_MIGRATION,
            CONSUMER_OFFSET_KEY_MIGRATION,
            ENROLMENTS_MIGRATION,
            PROGRESS_MIGRATION,
            ENROLMENT_PROVISIONS_MIGRATION,
            ROUTING_MIGRATION,
            SIGNALS_MIGRATION,
            LINKS_MIGRATION,
            SIGNALS_KEYSET_MIGRATION,
        ],
    )
    .await?;
    // The children's keys (`<database>_keys`); then the signals stored before their reason was
    // sealed are sealed once, before the relay reads any of them.
    let keys = kindpakket_platform::shredding::open(
        &infrastructure.config,
        &kindpakket_platform::shredding::keys_database(&infrastructure.config),
    )
    .await?;
    reseal::reseal_legacy_signals(&infrastructure.pool, &infrastructure.config.database, &keys)
        .await?;
    infrastructure
        .publish_events(Service::Signalling, publish::contract_translator())
        .await?;
    infrastructure.consume(Service::Regie, Arc::new(RegieHandler));
    // The application stream's one consumer also keeps the children's progress (`progress`),
    // in the same transaction; the provision stream's consumer keeps only that.
    infrastructure.consume(
        Service::Application,
        Arc::new(WithProgress {
            inner: ApplicationHandler { keys: keys.clone() },
            keys: keys.clone(),
        }),
    );
    infrastructure.consume(
        Service::Provision,
        Arc::new(ProvisionProgress { keys: keys.clone() }),
    );
    // The work list, kept from this service's own stream.
    infrastructure.consume(
        Service::Signalling,
        Arc::new(SignalsHandler { keys: keys.clone() }),
    );
    kindpakket_platform::shredding::sweep_by_age(&mut infrastructure, keys.clone());
    let state = http::AppState {
        pool: infrastructure.pool.clone(),
        signals: Arc::new(AggregateStore::with_upcasters(
            infrastructure.pool.clone(),
            (),
            upcasters::upcasters,
        )),
        keys,
        references,
    };
    infrastructure.serve(api.with_state(state), document).await
}
