//! Earlier grants, read from this service's own event store, for the two rules that span
//! applications: a funder's budget is not exceeded, and the same child is not funded twice for the
//! same provision in the same period. A decision reads them and commits under an advisory lock per
//! gemeente, so two decisions in the same gemeente cannot both spend the last of a budget.

use kindpakket_proto::regie::{CoFinancing, Funder};
use kindpakket_proto::{ChildRef, GemeenteCode, ProvisionCode};
use sqlx::{PgConnection, PgPool};
use time::Date;
use uuid::Uuid;

use crate::domain::eligibility::PriorGrant;

/// Sessions of its own holding the locks of the gemeenten; dropping it frees them.
pub struct GrantsLock {
    _connection: PgConnection,
}

/// Locks the gemeenten in a fixed order (no deadlock between a samenwerkingsverband and a member).
pub async fn lock(pool: &PgPool, gemeenten: &[GemeenteCode]) -> Result<GrantsLock, sqlx::Error> {
    let mut sorted: Vec<&GemeenteCode> = gemeenten.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut connection = pool.acquire().await?.detach();
    for gemeente in sorted {
        sqlx::query("SELECT pg_advisory_lock(hashtext('kindpakket-grants:' || $1))")
            .bind(gemeente.as_str())
            .execute(&mut connection)
            .await?;
    }
    Ok(GrantsLock {
        _connection: connection,
    })
}

/// Every entitlement granted so far in these gemeenten.
pub async fn prior_grants(
    pool: &PgPool,
    gemeenten: &[GemeenteCode],
) -> anyhow::Result<Vec<PriorGrant>> {
    let codes: Vec<String> = gemeenten.iter().map(ToString::to_string).collect();
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        String,
        Uuid,
        String,
        Date,
        Date,
        i64,
        Option<serde_json::Value>,
        Option<serde_json::Value>,
    )> = sqlx::query_as(
        "SELECT aggregate_id, (entitlement->>'child')::uuid, entitlement->>'provision',
                (entitlement->>'valid_from')::date, (entitlement->>'valid_until')::date,
                (entitlement->>'amount_cents')::bigint, (entitlement->'funder')::jsonb,
                (entitlement->'co_financing')::jsonb
         FROM events, json_array_elements(payload->'Granted'->'entitlements') AS entitlement
         WHERE aggregate_type = 'application' AND event_type = 'Granted'
           AND metadata->>'gemeente' = ANY($1)",
    )
    .bind(&codes)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(
            |(
                application,
                child,
                provision,
                valid_from,
                valid_until,
                amount_cents,
                funder,
                co_financing,
            )| {
                Ok(PriorGrant {
                    application_id: Uuid::parse_str(&application)?,
                    child: ChildRef(child),
                    provision: ProvisionCode::parse(&provision)?,
                    valid_from,
                    valid_until,
                    amount_cents,
                    funder: funder.map(serde_json::from_value::<Funder>).transpose()?,
                    co_financing: co_financing
                        .map(serde_json::from_value::<CoFinancing>)
                        .transpose()?,
                })
            },
        )
        .collect()
}

/// Locks the gemeenten and reads their earlier grants: the lock must be held until the decision is
/// committed, so it is returned with them.
pub async fn locked_prior_grants(
    pool: &PgPool,
    gemeenten: &[GemeenteCode],
) -> anyhow::Result<(GrantsLock, Vec<PriorGrant>)> {
    let lock = lock(pool, gemeenten).await?;
    let prior = prior_grants(pool, gemeenten).await?;
    Ok((lock, prior))
}
