//! Wiring: database, NATS, relay, consumers, the daily year-end sweep and HTTP.

use std::sync::Arc;
use std::time::Duration;

use kindpakket_platform::config::ServiceConfig;
use kindpakket_platform::consume::CONSUMER_MIGRATION;
use kindpakket_platform::service::Infrastructure;
use kindpakket_platform::store::{AggregateStore, CommandContext, EVENT_STORE_MIGRATION};
use kindpakket_proto::{Actor, GemeenteCode, OrganisationId, Role, Service};
use uuid::Uuid;

use crate::consume::{EnrolmentsHandler, GrantsHandler, ENROLMENTS_MIGRATION, PROVISION_MIGRATION};
use crate::{http, publish};

pub async fn run(config: ServiceConfig) -> anyhow::Result<()> {
    let mut infrastructure = Infrastructure::start(
        "provision",
        config,
        &[
            EVENT_STORE_MIGRATION,
            CONSUMER_MIGRATION,
            ENROLMENTS_MIGRATION,
            PROVISION_MIGRATION,
        ],
    )
    .await?;
    infrastructure
        .publish_events(Service::Provision, publish::contract_translator())
        .await?;
    let pool = infrastructure.pool.clone();
    let entitlements = Arc::new(AggregateStore::new(pool.clone(), ()));
    infrastructure.consume(
        Service::Application,
        Arc::new(GrantsHandler {
            entitlements: entitlements.clone(),
            pool: pool.clone(),
        }),
    );
    infrastructure.consume(Service::Regie, Arc::new(EnrolmentsHandler));
    let state = http::AppState {
        entitlements,
        invoices: Arc::new(AggregateStore::new(pool.clone(), ())),
        samples: Arc::new(AggregateStore::new(pool.clone(), ())),
        pool,
        pseudonym_key: Arc::new(kindpakket_platform::auth::pseudonym_key_from_env()),
    };
    tokio::spawn(expire_daily(state.clone()));
    infrastructure
        .serve(http::router(state.clone()), http::openapi())
        .await
}

/// Once an hour, expires every entitlement whose period has ended, in every gemeente: the year end
/// happens without anyone pressing a button (regie can also close a year by hand).
async fn expire_daily(state: http::AppState) {
    let mut interval = tokio::time::interval(Duration::from_secs(3600));
    loop {
        interval.tick().await;
        let gemeenten: Result<Vec<String>, _> = sqlx::query_scalar(
            "SELECT DISTINCT metadata->>'gemeente' FROM events WHERE aggregate_type = 'entitlement'",
        )
        .fetch_all(&state.pool)
        .await;
        let Ok(gemeenten) = gemeenten else {
            continue;
        };
        let today = time::OffsetDateTime::now_utc().date();
        for gemeente in gemeenten {
            let Ok(gemeente) = GemeenteCode::parse(&gemeente) else {
                continue;
            };
            let context = CommandContext {
                gemeente: gemeente.clone(),
                actor: Actor {
                    organisation: OrganisationId::parse("provision").expect("valid"),
                    role: Role::System,
                },
                correlation_id: Uuid::new_v4(),
                causation_id: None,
            };
            match http::close_year(&state, &context, &gemeente, today).await {
                Ok(0) => {}
                Ok(expired) => tracing::info!(%gemeente, expired, "entitlements expired"),
                Err(error) => tracing::warn!(%gemeente, ?error, "year-end sweep failed"),
            }
        }
    }
}
