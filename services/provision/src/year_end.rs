//! The year end: every entitlement whose period has ended expires, and what was left unused is
//! recorded (the dashboard's non-use figure). It happens without anyone pressing a button, once an
//! hour in every gemeente ([`expire_everywhere`]); regie can also close a year by hand, on a day of
//! its choosing up to today (a day to come would end entitlements that can still be used).

use kindpakket_platform::refusal::{Refusal, RefusalKind};
use kindpakket_platform::store::{AggregateStore, CommandContext, CommandError};
use kindpakket_proto::{Cents, GemeenteCode, Service};
use sqlx::PgPool;
use time::Date;

use crate::domain::entitlement::{Entitlement, EntitlementCommand, EntitlementError, Expire};
use crate::ledger;

/// Why the year was not closed. The messages are Dutch: the caller reads them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YearEndRefused {
    /// A day to come would expire entitlements that can still be used today.
    #[error("De peildatum ligt na vandaag: een jaar wordt afgesloten op vandaag of een eerdere datum (JJJJ-MM-DD). Er is niets vervallen.")]
    InTheFuture,
    #[error(transparent)]
    Entitlement(#[from] EntitlementError),
}

impl Refusal for YearEndRefused {
    fn kind(&self) -> RefusalKind {
        match self {
            YearEndRefused::InTheFuture => RefusalKind::Invalid,
            YearEndRefused::Entitlement(refusal) => refusal.kind(),
        }
    }
}

/// Expires every entitlement of `gemeente` that ended before `on`, a day no later than `today`.
/// Returns how many expired.
pub async fn close_year(
    pool: &PgPool,
    entitlements: &AggregateStore<Entitlement>,
    context: &CommandContext,
    gemeente: &GemeenteCode,
    on: Date,
    today: Date,
) -> Result<usize, CommandError<YearEndRefused>> {
    if on > today {
        return Err(CommandError::Rejected(YearEndRefused::InTheFuture));
    }
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
            .await
            .map_err(|error| match error {
                CommandError::Rejected(refusal) => {
                    CommandError::Rejected(YearEndRefused::from(refusal))
                }
                CommandError::Conflict => CommandError::Conflict,
                CommandError::Technical(cause) => CommandError::Technical(cause),
            })?;
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
    let today = kindpakket_platform::clock::today();
    for gemeente in gemeenten {
        let Ok(gemeente) = GemeenteCode::parse(&gemeente) else {
            continue;
        };
        let context = CommandContext::system(&gemeente, Service::Provision);
        match close_year(pool, entitlements, &context, &gemeente, today, today).await {
            Ok(0) => {}
            Ok(expired) => tracing::info!(%gemeente, expired, "entitlements expired"),
            Err(error) => tracing::warn!(%gemeente, %error, "year-end sweep failed"),
        }
    }
    Ok(())
}
