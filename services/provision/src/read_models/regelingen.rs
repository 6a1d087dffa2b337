//! The regeling versions published by regie, kept whole: their budgets and sample rate are read here.

use kindpakket_proto::regie::{RegelingEnded, RegelingPublished};
use kindpakket_proto::GemeenteCode;
use sqlx::{PgConnection, PgPool};
use time::Date;

/// Keeps a published regeling version (once; a redelivered one changes nothing).
pub async fn record(
    connection: &mut PgConnection,
    regeling: &RegelingPublished,
) -> anyhow::Result<()> {
    let gemeenten: Vec<String> = regeling.gemeenten.iter().map(ToString::to_string).collect();
    sqlx::query(
        "INSERT INTO regelingen (regeling_id, gemeenten, valid_from, valid_until, body)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (regeling_id) DO NOTHING",
    )
    .bind(regeling.regeling_id)
    .bind(&gemeenten)
    .bind(regeling.valid_from)
    .bind(regeling.valid_until)
    .bind(serde_json::to_value(regeling)?)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// A version corrected or ended early is in force until the day it ended (its body stays as
/// published; the entitlements granted under it keep their own dates).
pub async fn record_end(
    connection: &mut PgConnection,
    ended: &RegelingEnded,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE regelingen SET valid_until = LEAST(valid_until, $2) WHERE regeling_id = $1",
    )
    .bind(ended.regeling_id)
    .bind(ended.valid_until)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// The regeling in force in `gemeente` on `date` (the latest to begin, should two ever overlap).
pub async fn in_force(
    pool: &PgPool,
    gemeente: &GemeenteCode,
    date: Date,
) -> anyhow::Result<Option<RegelingPublished>> {
    let body: Option<serde_json::Value> = sqlx::query_scalar(
        "SELECT body FROM regelingen
         WHERE $1 = ANY(gemeenten) AND valid_from <= $2 AND valid_until >= $2
         ORDER BY valid_from DESC LIMIT 1",
    )
    .bind(gemeente.as_str())
    .bind(date)
    .fetch_optional(pool)
    .await?;
    Ok(body.map(serde_json::from_value).transpose()?)
}

/// The regeling versions of `gemeente` that are in force during part of `year`, oldest first.
pub async fn of_year(
    pool: &PgPool,
    gemeente: &GemeenteCode,
    year: i32,
) -> anyhow::Result<Vec<RegelingPublished>> {
    let bodies: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT body FROM regelingen
         WHERE $1 = ANY(gemeenten)
           AND EXTRACT(YEAR FROM valid_from) <= $2 AND EXTRACT(YEAR FROM valid_until) >= $2
         ORDER BY valid_from",
    )
    .bind(gemeente.as_str())
    .bind(year)
    .fetch_all(pool)
    .await?;
    bodies
        .into_iter()
        .map(|body| Ok(serde_json::from_value(body)?))
        .collect()
}
