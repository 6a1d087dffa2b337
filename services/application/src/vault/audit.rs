//! The audit log of personal data: every read and write (action, object, result, origin, actor,
//! organisation, time, purpose — never the data itself), append-only and hash-chained: each row's
//! hash covers its fields and the previous row's hash, so an edited, inserted or deleted row breaks
//! the chain from there on.

use schemars::JsonSchema;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use time::OffsetDateTime;

/// One entry, as it is written.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub gemeente: &'a str,
    pub action: &'a str,
    pub object: &'a str,
    pub result: &'a str,
    pub origin: &'a str,
    pub actor: &'a str,
    pub organisation: &'a str,
    pub role: &'a str,
    pub purpose: &'a str,
}

/// Who acts on personal data, and from where, as the audit log names them.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// The person or system acting (the token's subject; never a BSN).
    pub subject: &'a str,
    pub organisation: &'a str,
    pub role: &'a str,
    /// Where the request came from (`http`, `http <forwarded-for>`) or what started it.
    pub origin: &'a str,
}

impl<'a> Actor<'a> {
    /// The entry that records this actor doing `action` on `object` in `gemeente`.
    pub fn entry(
        &self,
        gemeente: &'a str,
        action: &'a str,
        object: &'a str,
        result: &'a str,
        purpose: &'a str,
    ) -> Entry<'a> {
        Entry {
            gemeente,
            action,
            object,
            result,
            origin: self.origin,
            actor: self.subject,
            organisation: self.organisation,
            role: self.role,
            purpose,
        }
    }
}

/// One entry, as it is read back (and as the auditor reads it).
#[derive(Debug, Clone, Serialize, JsonSchema, sqlx::FromRow)]
pub struct Row {
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub at: OffsetDateTime,
    pub gemeente: String,
    pub action: String,
    pub object: String,
    pub result: String,
    pub origin: String,
    pub actor: String,
    pub organisation: String,
    pub role: String,
    pub purpose: String,
    pub prev_hash: String,
    pub hash: String,
}

fn hash_of(prev_hash: &str, seq: i64, at: OffsetDateTime, entry: &Entry<'_>) -> String {
    let mut hasher = Sha256::new();
    for field in [
        prev_hash,
        &seq.to_string(),
        &at.unix_timestamp_nanos().to_string(),
        entry.gemeente,
        entry.action,
        entry.object,
        entry.result,
        entry.origin,
        entry.actor,
        entry.organisation,
        entry.role,
        entry.purpose,
    ] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The head of the chain: the last sequence number and its hash.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Appends an entry at the end of the chain (one writer at a time); answers its sequence number and
/// hash, the new head.
pub async fn append(pool: &PgPool, entry: Entry<'_>) -> Result<(i64, String), sqlx::Error> {
    let head = append_all(pool, &[entry]).await?;
    Ok(head.unwrap_or((0, GENESIS.to_owned())))
}

/// Appends entries at the end of the chain, in their order, in one transaction (a list read is
/// recorded as one read per application it shows); answers the new head, if there were any.
pub async fn append_all(
    pool: &PgPool,
    entries: &[Entry<'_>],
) -> Result<Option<(i64, String)>, sqlx::Error> {
    if entries.is_empty() {
        return Ok(None);
    }
    let mut tx = pool.begin().await?;
    // An advisory lock rather than LOCK TABLE: the service's role may only append to the audit
    // log, and Postgres allows an EXCLUSIVE table lock only to roles that may change rows.
    sqlx::query("SELECT pg_advisory_xact_lock(7012)")
        .execute(&mut *tx)
        .await?;
    let last: Option<Head> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
    let (mut seq, mut prev_hash) = match last {
        Some(Head { seq, hash }) => (seq, hash),
        None => (0, GENESIS.to_owned()),
    };
    // Microseconds, as Postgres keeps them, so the hash can be recomputed from the row.
    let now = OffsetDateTime::now_utc();
    let at = now
        .replace_nanosecond(now.nanosecond() / 1000 * 1000)
        .unwrap_or(now);
    for entry in entries {
        seq += 1;
        let hash = hash_of(&prev_hash, seq, at, entry);
        sqlx::query(
            "INSERT INTO audit_log (seq, at, gemeente, action, object, result, origin, actor, organisation, role, purpose, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(seq)
        .bind(at)
        .bind(entry.gemeente)
        .bind(entry.action)
        .bind(entry.object)
        .bind(entry.result)
        .bind(entry.origin)
        .bind(entry.actor)
        .bind(entry.organisation)
        .bind(entry.role)
        .bind(entry.purpose)
        .bind(&prev_hash)
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
        prev_hash = hash;
    }
    tx.commit().await?;
    Ok(Some((seq, prev_hash)))
}

/// Moves the head kept in the keys database forward (never back: appends may finish out of order).
/// Written after the row is committed, so a crash in between leaves the head one row behind, which
/// reads as intact, never as a false alarm.
pub async fn advance_anchor(keys: &PgPool, seq: i64, hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_anchor (seq, hash) VALUES ($1, $2)
         ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash
         WHERE audit_anchor.seq < EXCLUDED.seq",
    )
    .bind(seq)
    .bind(hash)
    .execute(keys)
    .await?;
    Ok(())
}

/// The head kept in the keys database: the last sequence number and hash, if anything was logged.
pub async fn anchor(keys: &PgPool) -> Result<Option<Head>, sqlx::Error> {
    sqlx::query_as("SELECT seq, hash FROM audit_anchor")
        .fetch_optional(keys)
        .await
}

/// One gemeente's rows after `after` (a sequence number), `limit` of them, in the chain's order:
/// a page of what the auditor reads. The index `audit_log_by_gemeente` serves it.
pub async fn page(
    pool: &PgPool,
    gemeente: &str,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<Row>, sqlx::Error> {
    sqlx::query_as(
        "SELECT seq, at, gemeente, action, object, result, origin, actor, organisation, role, purpose, prev_hash, hash
         FROM audit_log
         WHERE gemeente = $1 AND ($2::bigint IS NULL OR seq > $2)
         ORDER BY seq
         LIMIT $3",
    )
    .bind(gemeente)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The first row at which the whole chain is broken, with the head kept apart: read in chunks of
/// [`VERIFY_CHUNK`] rows by sequence number rather than held in memory at once (the log grows with
/// every read of the year).
pub async fn verify(pool: &PgPool, anchor: Option<&Head>) -> Result<Option<i64>, sqlx::Error> {
    let mut verifier = Verifier::new(anchor);
    let mut after = 0_i64;
    loop {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT seq, at, gemeente, action, object, result, origin, actor, organisation, role, purpose, prev_hash, hash
             FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(VERIFY_CHUNK)
        .fetch_all(pool)
        .await?;
        for row in &rows {
            if let Some(broken) = verifier.push(row) {
                return Ok(Some(broken));
            }
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == VERIFY_CHUNK => after = last.seq,
            _ => return Ok(verifier.finish()),
        }
    }
}

/// How many rows [`verify`] reads at a time.
const VERIFY_CHUNK: i64 = 10_000;

/// Checks a chain row by row, in order, and at the end the head kept apart.
struct Verifier<'a> {
    anchor: Option<&'a Head>,
    prev_hash: String,
    count: i64,
    /// Whether the row the head names has the head's hash, once that row was seen.
    head_matches: Option<bool>,
}

impl<'a> Verifier<'a> {
    fn new(anchor: Option<&'a Head>) -> Self {
        Verifier {
            anchor,
            prev_hash: GENESIS.to_owned(),
            count: 0,
            head_matches: None,
        }
    }

    /// The next row; `Some(seq)` where the chain breaks.
    fn push(&mut self, row: &Row) -> Option<i64> {
        let expected_seq = self.count + 1;
        let entry = Entry {
            gemeente: &row.gemeente,
            action: &row.action,
            object: &row.object,
            result: &row.result,
            origin: &row.origin,
            actor: &row.actor,
            organisation: &row.organisation,
            role: &row.role,
            purpose: &row.purpose,
        };
        if row.seq != expected_seq
            || row.prev_hash != self.prev_hash
            || hash_of(&self.prev_hash, row.seq, row.at, &entry) != row.hash
        {
            return Some(expected_seq);
        }
        if let Some(head) = self.anchor.filter(|head| head.seq == row.seq) {
            self.head_matches = Some(head.hash == row.hash);
        }
        self.prev_hash.clone_from(&row.hash);
        self.count = expected_seq;
        None
    }

    /// After the last row: is the head kept apart the row it names?
    fn finish(self) -> Option<i64> {
        self.anchor?;
        match self.head_matches {
            Some(true) => None,
            Some(false) => self.anchor.map(|head| head.seq),
            // The head names a row that is gone: the end was cut off.
            None => Some(self.count + 1),
        }
    }
}

/// The first row at which the chain is broken (edited, inserted or missing before it), if any; with
/// the head kept apart, also rows cut off the end: [`verify`]'s check over rows in memory, for the
/// unit tests below.
#[cfg(test)]
fn first_break(rows: &[Row], anchor: Option<&Head>) -> Option<i64> {
    let mut verifier = Verifier::new(anchor);
    for row in rows {
        if let Some(broken) = verifier.push(row) {
            return Some(broken);
        }
    }
    verifier.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(length: i64) -> Vec<Row> {
        let mut prev_hash = GENESIS.to_owned();
        (1..=length)
            .map(|seq| {
                let at = OffsetDateTime::UNIX_EPOCH;
                let actor = Actor {
                    subject: "medewerker",
                    organisation: "gemeente-den-haag",
                    role: "regievoerder",
                    origin: "http",
                };
                let entry = actor.entry("GM0518", "lezen", "-", "gelezen", "controle");
                let hash = hash_of(&prev_hash, seq, at, &entry);
                Row {
                    seq,
                    at,
                    gemeente: entry.gemeente.to_owned(),
                    action: entry.action.to_owned(),
                    object: entry.object.to_owned(),
                    result: entry.result.to_owned(),
                    origin: entry.origin.to_owned(),
                    actor: entry.actor.to_owned(),
                    organisation: entry.organisation.to_owned(),
                    role: entry.role.to_owned(),
                    purpose: entry.purpose.to_owned(),
                    prev_hash: std::mem::replace(&mut prev_hash, hash.clone()),
                    hash,
                }
            })
            .collect()
    }

    fn head(rows: &[Row]) -> Head {
        let last = rows.last().unwrap();
        Head {
            seq: last.seq,
            hash: last.hash.clone(),
        }
    }

    #[test]
    fn an_edited_row_or_a_cut_off_end_breaks_the_chain() {
        let rows = chain(3);
        assert_eq!(first_break(&rows, Some(&head(&rows))), None);
        assert_eq!(first_break(&[], None), None);
        let mut edited = rows.clone();
        edited[1].purpose = "iets anders".to_owned();
        assert_eq!(first_break(&edited, Some(&head(&rows))), Some(2));
        assert_eq!(first_break(&rows[..2], Some(&head(&rows))), Some(3));
    }
}
