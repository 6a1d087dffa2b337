//! No two regeling versions of one gemeente may be in force on the same day. Versions are separate
//! aggregates (a samenwerkingsverband's version covers several gemeenten), so this invariant spans
//! aggregates: it is checked against the committed events while holding an advisory lock that every
//! publication takes, and the new version is committed under the same lock.

use kindpakket_proto::GemeenteCode;
use sqlx::{PgConnection, PgPool};
use time::Date;
use uuid::Uuid;

/// A session of its own holding the publication lock; dropping it closes the session and frees the lock.
pub struct CalendarLock {
    _connection: PgConnection,
}

pub async fn lock(pool: &PgPool) -> Result<CalendarLock, sqlx::Error> {
    let mut connection = pool.acquire().await?.detach();
    sqlx::query("SELECT pg_advisory_lock(hashtext('kindpakket-regeling-calendar'))")
        .execute(&mut connection)
        .await?;
    Ok(CalendarLock {
        _connection: connection,
    })
}

/// A published version that shares a day with the given period in one of the given gemeenten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    pub regeling_id: Uuid,
    pub gemeente: String,
    pub valid_from: Date,
    pub valid_until: Date,
}

pub async fn overlapping(
    pool: &PgPool,
    gemeenten: &[GemeenteCode],
    valid_from: Date,
    valid_until: Date,
) -> Result<Option<Overlap>, sqlx::Error> {
    let codes: Vec<String> = gemeenten.iter().map(ToString::to_string).collect();
    let row: Option<(Uuid, String, Date, Date)> = sqlx::query_as(
        "SELECT (version->>'regeling_id')::uuid, member, (version->>'valid_from')::date, (version->>'valid_until')::date
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
    .await?;
    Ok(
        row.map(|(regeling_id, gemeente, valid_from, valid_until)| Overlap {
            regeling_id,
            gemeente,
            valid_from,
            valid_until,
        }),
    )
}
