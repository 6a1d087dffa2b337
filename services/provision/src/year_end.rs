//! The year end: every entitlement whose period has ended expires, and what was left unused is
//! recorded (the dashboard's non-use figure). It happens without anyone pressing a button, once an
//! hour in every gemeente ([`expire_everywhere`]); regie can also close a year by hand, on a day of
//! its choosing.

use kindpakket_platform::store::{AggregateStore, CommandContext, CommandError};
use kindpakket_proto::{Cents, GemeenteCode, Service};
use sqlx::PgPool;
use time::{Date, OffsetDateTime};

use crate::domain::entitlement::{Entitlement, EntitlementCommand, EntitlementError, Expire};
use crate::ledger;

/// Expires every entitlement of `gemeente` that ended before `on`. Returns how many expired.
pub async fn close_year(
    pool: &PgPool,
    entitlements: &AggregateStore<Entitlement>,
    context: &CommandContext,
    gemeente: &GemeenteCode,
    on: Date,
) -> Result<usize, CommandError<EntitlementError>> {
    let history = ledger::load(pool, gemeente)
        .await
        .map_err(|error| CommandError::Technical(format!("{error:#}")))?;
    let due = history.due_to_expire(on);
    for entitlement_id in &due {
        let command = EntitlementCommand::Expire(Expire {
            gemeente: gemeente.clone(),
            on,
        });
        entitlements
            .execute(entitlement_id, command, context)
            .await?;
    }
    Ok(due.len())
}

/// What was left unused on the entitlements of `gemeente` that expired so far.
pub async fn unused_so_far(pool: &PgPool, gemeente: &GemeenteCode) -> anyhow::Result<Cents> {
    Ok(ledger::load(pool, gemeente).await?.unused_at_expiry())
}

/// The job: closes the year up to today in every gemeente that has entitlements. A gemeente that
/// fails is logged and the others go on.
pub async fn expire_everywhere(
    pool: &PgPool,
    entitlements: &AggregateStore<Entitlement>,
) -> anyhow::Result<()> {
    let gemeenten: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT metadata->>'gemeente' FROM events WHERE aggregate_type = 'entitlement'",
    )
    .fetch_all(pool)
    .await?;
    let today = OffsetDateTime::now_utc().date();
    for gemeente in gemeenten {
        let Ok(gemeente) = GemeenteCode::parse(&gemeente) else {
            continue;
        };
        let context = CommandContext::system(&gemeente, Service::Provision);
        match close_year(pool, entitlements, &context, &gemeente, today).await {
            Ok(0) => {}
            Ok(expired) => tracing::info!(%gemeente, expired, "entitlements expired"),
            Err(error) => tracing::warn!(%gemeente, %error, "year-end sweep failed"),
        }
    }
    Ok(())
}
