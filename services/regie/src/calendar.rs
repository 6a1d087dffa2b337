//! No two regeling versions of one gemeente may be in force on the same day. Versions are separate
//! aggregates (a samenwerkingsverband's version covers several gemeenten), so this invariant spans
//! aggregates: it is checked against the committed events while holding an advisory lock that every
//! publication takes, and the new version is committed under the same lock
//! ([`crate::publication`]).

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

/// The earliest published version that overlaps `valid_from..=valid_until` in one of `gemeenten`.
pub async fn overlapping(
    pool: &PgPool,
    gemeenten: &[GemeenteCode],
    valid_from: Date,
    valid_until: Date,
) -> Result<Option<Overlap>, sqlx::Error> {
    let codes: Vec<&str> = gemeenten.iter().map(GemeenteCode::as_str).collect();
    sqlx::query_as(
        "SELECT (version->>'regeling_id')::uuid AS regeling_id,
                member AS gemeente,
                (version->>'valid_from')::date AS valid_from,
                (version->>'valid_until')::date AS valid_until
         FROM (SELECT payload::jsonb->'Published' AS version FROM events
               WHERE aggregate_type = 'regeling' AND event_type = 'Published') published,
              jsonb_array_elements_text(version->'gemeenten') AS member
         WHERE member = ANY($1)
           AND (version->>'valid_from')::date <= $3
           AND (version->>'valid_until')::date >= $2
         ORDER BY 3
         LIMIT 1",
    )
    .bind(&codes)
    .bind(valid_from)
    .bind(valid_until)
    .fetch_optional(pool)
    .await
}
