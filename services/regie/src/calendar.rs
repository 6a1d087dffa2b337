//! No two regeling versions of one gemeente may be in force on the same day. Versions are separate
//! aggregates (a samenwerkingsverband's version covers several gemeenten), so this invariant spans
//! aggregates: it is checked against the committed events while holding an advisory lock that every
//! publication takes, and the new version is committed under the same lock
//! ([`crate::publication`]). A correction ends the version before on the day before it starts and is
//! committed with that end, so it overlaps nothing; a version counts until the day it was ended.

use kindpakket_platform::locks::AdvisoryLock;
use kindpakket_proto::GemeenteCode;
use sqlx::PgPool;
use time::Date;
use uuid::Uuid;

/// The one lock every publication takes, in every gemeente: a samenwerkingsverband's version and a
/// member's own version must not pass each other.
const CALENDAR_LOCK: &str = "kindpakket-regeling-calendar";

/// Waits for the publication lock; it is held until the guard is dropped.
pub async fn lock(pool: &PgPool) -> Result<AdvisoryLock, sqlx::Error> {
    AdvisoryLock::acquire(pool, &[CALENDAR_LOCK]).await
}

/// A published version that shares a day with the given period in one of the given gemeenten.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Overlap {
    pub regeling_id: Uuid,
    pub gemeente: String,
    pub valid_from: Date,
    pub valid_until: Date,
}

/// The earliest published version that overlaps `valid_from..=valid_until` in one of `gemeenten`,
/// other than `except` (the version a correction ends the day before it starts). A version that was
/// ended early (corrected or ended) counts until the day it was ended on; one ended before it began
/// counts not at all.
pub async fn overlapping(
    pool: &PgPool,
    gemeenten: &[GemeenteCode],
    valid_from: Date,
    valid_until: Date,
    except: Option<Uuid>,
) -> Result<Option<Overlap>, sqlx::Error> {
    let codes: Vec<&str> = gemeenten.iter().map(GemeenteCode::as_str).collect();
    sqlx::query_as(
        "SELECT regeling_id, gemeente, valid_from, valid_until
         FROM (SELECT (version->>'regeling_id')::uuid AS regeling_id,
                      member AS gemeente,
                      (version->>'valid_from')::date AS valid_from,
                      LEAST((version->>'valid_until')::date, ended.valid_until) AS valid_until
               FROM (SELECT payload::jsonb->'Published' AS version FROM events
                     WHERE aggregate_type = 'regeling' AND event_type = 'Published') published
               CROSS JOIN LATERAL jsonb_array_elements_text(version->'gemeenten') AS member
               LEFT JOIN LATERAL (
                   SELECT MIN((payload::jsonb->'Ended'->>'valid_until')::date) AS valid_until
                   FROM events
                   WHERE aggregate_type = 'regeling' AND event_type = 'Ended'
                     AND payload::jsonb->'Ended'->>'regeling_id' = version->>'regeling_id'
               ) ended ON TRUE) versions
         WHERE gemeente = ANY($1)
           AND valid_from <= valid_until
           AND valid_from <= $3
           AND valid_until >= $2
           AND regeling_id IS DISTINCT FROM $4
         ORDER BY valid_from
         LIMIT 1",
    )
    .bind(&codes)
    .bind(valid_from)
    .bind(valid_until)
    .bind(except)
    .fetch_optional(pool)
    .await
}

/// The aggregate a version belongs to: the first version's id (a correction is stored with the
/// version it corrects). `None` for an id never published.
pub async fn regeling_of(pool: &PgPool, version: Uuid) -> Result<Option<Uuid>, sqlx::Error> {
    let aggregate_id: Option<String> = sqlx::query_scalar(
        "SELECT aggregate_id FROM events
         WHERE aggregate_type = 'regeling' AND event_type = 'Published'
           AND payload::jsonb->'Published'->>'regeling_id' = $1
         LIMIT 1",
    )
    .bind(version.to_string())
    .fetch_optional(pool)
    .await?;
    Ok(aggregate_id.and_then(|id| Uuid::parse_str(&id).ok()))
}

/// The regeling aggregates (their first version's id) with a version that covers `gemeente`.
pub async fn regelingen_in(
    pool: &PgPool,
    gemeente: &GemeenteCode,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT aggregate_id FROM events
         WHERE aggregate_type = 'regeling' AND event_type = 'Published'
           AND payload::jsonb->'Published'->'gemeenten' @> jsonb_build_array($1::text)",
    )
    .bind(gemeente.as_str())
    .fetch_all(pool)
    .await?;
    Ok(ids
        .iter()
        .filter_map(|id| Uuid::parse_str(id).ok())
        .collect())
}

/// The organisations ever enrolled in `gemeente` (ended or not), by their enrolment's aggregate id
/// (`GM0518:leergeld`).
pub async fn enrolments_in(
    pool: &PgPool,
    gemeente: &GemeenteCode,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT aggregate_id FROM events
         WHERE aggregate_type = 'enrolment' AND aggregate_id LIKE $1
         ORDER BY aggregate_id",
    )
    .bind(format!("{}:%", gemeente.as_str()))
    .fetch_all(pool)
    .await
}
