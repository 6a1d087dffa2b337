//! Forgetting a child in the read model (`SubjectForgotten`, AVG art. 17 and 19). (Households are
//! not kept here at all; a forgotten household is remembered like a child, with nothing to replace.)
//!
//! The read model counts children, so it cannot simply delete a forgotten child's rows: every figure
//! would change. Instead the child's pseudonymous id is replaced, in every row of every table, by one
//! **fresh random alias**: the rows still count as one distinct child everywhere they did, so every count and every amount stays exactly as it was, but nothing in the dashboard's
//! database carries the id any more, and nothing derived from it (the alias is random, not a hash).
//!
//! The person's events may still arrive after `SubjectForgotten`: from the other streams, which are
//! consumed independently (a delivery recorded before the erasure but consumed after it), or on a
//! replay, where `SubjectForgotten` comes after the person's earlier events. So the dashboard
//! remembers who was forgotten, in `forgotten_subjects`, without keeping the id: the row is found by a
//! **marker**, `HMAC-SHA256(forgetting key, id)`, and holds the alias. Every per-person id an event
//! carries goes through [`Forgetting::person`] before it is written: a forgotten person's events are
//! written under the alias straight away, and the end state is the same whichever came first.
//!
//! The forgetting key is made once per dashboard database (`forgetting_key`). Whoever holds the
//! database *and* the pseudonymous id can still find the alias while the marker exists; the streams
//! hold the same facts under that id for the same time. The marker is dropped once no event of the
//! person can be taken in any more (see [`super::retention`]): from then on nothing links the alias
//! to anyone.
//!
//! Concurrency: a writer of per-person rows holds a shared transaction lock per person it writes, the
//! forgetting an exclusive one, so an event of the person committed concurrently is either seen by
//! the forgetting or sees the marker (never neither).
//!
//! What is replaced: the child in `signals`, `application_children`, `entitlements`, `deliveries` and
//! `expirations`, and the id in the payloads of events parked in `dead_letters`. The ids of facts (signal, application, entitlement, delivery) are the services'
//! record ids, not a person's: they stay, as they do in `consumer_offsets`.

use anyhow::anyhow;
use kindpakket_platform::consume::HandlerError;
use kindpakket_platform::db::Migration;
use kindpakket_proto::application::SubjectForgotten;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use sqlx::{PgConnection, PgPool};
use time::Date;
use uuid::Uuid;

pub const FORGETTING_MIGRATION: Migration = Migration {
    name: "0205_forgetting",
    sql: r#"
        -- One key per dashboard database, for the markers below.
        CREATE TABLE forgetting_key (
            only_one boolean PRIMARY KEY DEFAULT true CHECK (only_one),
            key      bytea   NOT NULL
        );
        -- Who was forgotten, by marker (HMAC of the id under the key above; never the id), and the
        -- random alias their rows carry now. last_fact_on: the latest date of a fact of theirs taken
        -- in, for dropping the marker once such facts can no longer arrive.
        CREATE TABLE forgotten_subjects (
            marker       bytea PRIMARY KEY,
            alias        uuid  NOT NULL UNIQUE,
            forgotten_on date  NOT NULL,
            last_fact_on date  NOT NULL
        );
    "#,
};

/// The person ids in the read model, by table and column.
const PERSON_COLUMNS: [(&str, &str); 6] = [
    ("signals", "child"),
    ("application_children", "child"),
    ("entitlements", "child"),
    ("deliveries", "child"),
    ("expirations", "child"),
    ("household_children", "child"),
];

/// The dashboard's forgetting: its key, and the look-ups and replacements made with it.
#[derive(Clone)]
pub struct Forgetting {
    key: hmac::Key,
}

impl std::fmt::Debug for Forgetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forgetting").finish_non_exhaustive()
    }
}

impl Forgetting {
    /// Loads the database's forgetting key, making it the first time.
    pub async fn open(pool: &PgPool) -> anyhow::Result<Self> {
        let mut fresh = [0u8; 32];
        SystemRandom::new()
            .fill(&mut fresh)
            .map_err(|_| anyhow!("the system's random source failed"))?;
        sqlx::query("INSERT INTO forgetting_key (key) VALUES ($1) ON CONFLICT DO NOTHING")
            .bind(fresh.as_slice())
            .execute(pool)
            .await?;
        let key: Vec<u8> = sqlx::query_scalar("SELECT key FROM forgetting_key")
            .fetch_one(pool)
            .await?;
        Ok(Self::with_key(&key))
    }

    pub fn with_key(key: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
        }
    }

    /// The marker a forgotten person is remembered by.
    pub fn marker(&self, id: Uuid) -> Vec<u8> {
        hmac::sign(&self.key, id.as_bytes()).as_ref().to_vec()
    }

    /// The id to write for a person a fact of `on` concerns: their alias when they were forgotten,
    /// else the id itself. Holds the person's shared lock until the transaction ends.
    pub async fn person(
        &self,
        connection: &mut PgConnection,
        id: Uuid,
        on: Date,
    ) -> Result<Uuid, HandlerError> {
        let marker = self.marker(id);
        sqlx::query("SELECT pg_advisory_xact_lock_shared($1)")
            .bind(lock_key(&marker))
            .execute(&mut *connection)
            .await?;
        let alias: Option<Uuid> = sqlx::query_scalar(
            "UPDATE forgotten_subjects SET last_fact_on = greatest(last_fact_on, $2)
             WHERE marker = $1 RETURNING alias",
        )
        .bind(&marker)
        .bind(on)
        .fetch_optional(&mut *connection)
        .await?;
        Ok(alias.unwrap_or(id))
    }

    /// Forgets a person: one fresh alias replaces their id everywhere, and the marker remembers it
    /// for their events still to come. Applying it again changes nothing.
    pub async fn forget(
        &self,
        connection: &mut PgConnection,
        forgotten: &SubjectForgotten,
    ) -> Result<(), HandlerError> {
        let marker = self.marker(forgotten.subject);
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(lock_key(&marker))
            .execute(&mut *connection)
            .await?;
        sqlx::query(
            "INSERT INTO forgotten_subjects (marker, alias, forgotten_on, last_fact_on)
             VALUES ($1, $2, $3, $3) ON CONFLICT (marker) DO NOTHING",
        )
        .bind(&marker)
        .bind(Uuid::new_v4())
        .bind(forgotten.forgotten_on)
        .execute(&mut *connection)
        .await?;
        let alias: Uuid =
            sqlx::query_scalar("SELECT alias FROM forgotten_subjects WHERE marker = $1")
                .bind(&marker)
                .fetch_one(&mut *connection)
                .await?;
        for (table, column) in PERSON_COLUMNS {
            // Table and column names are the constants above, never input.
            sqlx::query(&format!(
                "UPDATE {table} SET {column} = $2 WHERE {column} = $1"
            ))
            .bind(forgotten.subject)
            .bind(alias)
            .execute(&mut *connection)
            .await?;
        }
        sqlx::query(
            "UPDATE dead_letters SET payload = replace(payload, $1, $2)
             WHERE strpos(payload, $1) > 0",
        )
        .bind(forgotten.subject.hyphenated().to_string())
        .bind(alias.hyphenated().to_string())
        .execute(&mut *connection)
        .await?;
        tracing::info!("a forgotten subject was anonymised in the read model");
        Ok(())
    }
}

/// The advisory lock of one person, from their marker (not from the id: the lock table is readable).
pub(super) fn lock_key(marker: &[u8]) -> i64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&marker[..8]);
    i64::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_is_stable_per_key_and_reveals_nothing_of_the_id() {
        let id = Uuid::from_u128(0x1234_5678);
        let one = Forgetting::with_key(b"one key of thirty-two bytes.....");
        let other = Forgetting::with_key(b"another key of thirty-two bytes.");
        assert_eq!(one.marker(id), one.marker(id));
        assert_ne!(one.marker(id), other.marker(id), "keyed");
        assert_ne!(one.marker(id), one.marker(Uuid::from_u128(1)));
        assert_eq!(one.marker(id).len(), 32);
        assert!(!one
            .marker(id)
            .windows(16)
            .any(|window| window == id.as_bytes()));
    }
}
