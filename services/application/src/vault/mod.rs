//! The personal data vault, on the gemeente's side: names, BSN, addresses and income evidence,
//! encrypted per person (AES-256-GCM) with a key of that person's own, kept in a separate database.
//! Events and NATS messages carry only the pseudonymous reference the vault hands out.
//!
//! Forgetting a person destroys their key: what is left is ciphertext nobody can read, so no replay
//! of any stream or backup of the vault brings them back. Every read and write is on the audit log.
//!
//! - [`Vault`]: the two databases and what they keep;
//! - [`persons`]: keeping, reading and forgetting a person, each recorded on the audit log;
//! - [`retention`]: forgetting whoever was kept longer than their retention period;
//! - [`audit`]: the hash-chained audit log;
//! - [`bsn`]: the 11-proef.

pub mod audit;
pub mod bsn;
pub mod persons;
pub mod retention;

use anyhow::{anyhow, Context, Result};
use kindpakket_platform::db::{self, DatabaseConfig, Migration};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use time::Date;
use uuid::Uuid;

pub const VAULT_MIGRATION: Migration = Migration {
    name: "0300_vault",
    sql: r#"
        CREATE TABLE persons (
            person_id   uuid PRIMARY KEY,
            gemeente    text NOT NULL,
            kind        text NOT NULL,
            nonce       bytea NOT NULL,
            ciphertext  bytea NOT NULL,
            created_on  date NOT NULL,
            erased_at   timestamptz,
            erased_why  text
        );
        -- Finds a person by BSN without keeping the BSN: a keyed hash of it.
        CREATE TABLE bsn_index (
            gemeente  text NOT NULL,
            bsn_hash  text NOT NULL,
            person_id uuid NOT NULL,
            PRIMARY KEY (gemeente, bsn_hash)
        );
        CREATE TABLE audit_log (
            seq          bigint PRIMARY KEY,
            at           timestamptz NOT NULL,
            gemeente     text NOT NULL,
            action       text NOT NULL,
            object       text NOT NULL,
            result       text NOT NULL,
            origin       text NOT NULL,
            actor        text NOT NULL,
            organisation text NOT NULL,
            role         text NOT NULL,
            purpose      text NOT NULL,
            prev_hash    text NOT NULL,
            hash         text NOT NULL
        );
    "#,
};

pub const KEYS_MIGRATION: Migration = Migration {
    name: "0300_vault_keys",
    sql: r#"
        CREATE TABLE person_keys (
            person_id uuid PRIMARY KEY,
            key       bytea NOT NULL
        );
        CREATE TABLE index_key (
            id  boolean PRIMARY KEY DEFAULT true CHECK (id),
            key bytea NOT NULL
        );
    "#,
};

/// The audit log's head (its last sequence number and hash), kept in the keys database, away from
/// the log: cutting rows off the end of the log leaves a chain that is whole, but shorter than its
/// head says.
pub const AUDIT_ANCHOR_MIGRATION: Migration = Migration {
    name: "0301_audit_anchor",
    sql: r#"
        CREATE TABLE audit_anchor (
            id   boolean PRIMARY KEY DEFAULT true CHECK (id),
            seq  bigint NOT NULL,
            hash text NOT NULL
        );
    "#,
};

/// What the vault keeps of a person. Only the gemeente reads it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalData {
    pub bsn: String,
    pub name: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub birth_date: Option<String>,
    #[serde(default)]
    pub iban: Option<String>,
    /// A description of the income evidence (e.g. "loonstrook juni 2026"), never the document.
    #[serde(default)]
    pub income_evidence: Option<String>,
}

/// A person as the vault answers: readable, or forgotten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Person {
    Readable { kind: String, data: PersonalData },
    Erased { kind: String, why: String },
}

/// A person's sealed record, as the vault database keeps it.
#[derive(Debug, sqlx::FromRow)]
struct SealedRow {
    kind: String,
    nonce: Vec<u8>,
    ciphertext: Vec<u8>,
    erased_why: Option<String>,
}

/// The vault's two databases: the sealed records with the BSN index and the audit log, and apart
/// from them the keys, with the audit log's head.
pub struct Vault {
    data: PgPool,
    keys: PgPool,
    index_key: Vec<u8>,
    random: SystemRandom,
}

impl Vault {
    /// Appends to the audit log and moves its head forward.
    pub async fn audit(&self, entry: audit::Entry<'_>) -> Result<(), sqlx::Error> {
        let (seq, hash) = audit::append(&self.data, entry).await?;
        audit::advance_anchor(&self.keys, seq, &hash).await
    }

    /// The audit log, and the first row at which it is broken, if any.
    pub async fn audit_log(&self) -> Result<(Vec<audit::Row>, Option<i64>), sqlx::Error> {
        let rows = audit::rows(&self.data).await?;
        let anchor = audit::anchor(&self.keys).await?;
        let broken = audit::first_break(&rows, anchor.as_ref());
        Ok((rows, broken))
    }

    /// Connects to (and migrates) the vault's database and its keys database.
    pub async fn open(data: &DatabaseConfig, keys: &DatabaseConfig) -> Result<Self> {
        let data = db::open(data, &[VAULT_MIGRATION]).await?;
        let keys = db::open(keys, &[KEYS_MIGRATION, AUDIT_ANCHOR_MIGRATION]).await?;
        let random = SystemRandom::new();
        let mut fresh = vec![0u8; 32];
        random
            .fill(&mut fresh)
            .map_err(|_| anyhow!("no randomness"))?;
        sqlx::query("INSERT INTO index_key (key) VALUES ($1) ON CONFLICT DO NOTHING")
            .bind(&fresh)
            .execute(&keys)
            .await?;
        let index_key: Vec<u8> = sqlx::query_scalar("SELECT key FROM index_key")
            .fetch_one(&keys)
            .await?;
        Ok(Self {
            data,
            keys,
            index_key,
            random,
        })
    }

    fn bsn_hash(&self, gemeente: &str, bsn: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(&self.index_key);
        hasher.update(gemeente.as_bytes());
        hasher.update(b"|");
        hasher.update(bsn.as_bytes());
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Keeps a person and returns their pseudonymous reference; the same BSN in the same gemeente
    /// gets the same reference (and its data are replaced).
    pub async fn register(
        &self,
        gemeente: &str,
        kind: &str,
        data: &PersonalData,
        today: Date,
    ) -> Result<(Uuid, bool)> {
        let bsn_hash = self.bsn_hash(gemeente, &data.bsn);
        let existing: Option<Uuid> = sqlx::query_scalar(
            "SELECT person_id FROM bsn_index WHERE gemeente = $1 AND bsn_hash = $2",
        )
        .bind(gemeente)
        .bind(&bsn_hash)
        .fetch_optional(&self.data)
        .await?;
        let (person_id, created) = match existing {
            Some(id) => (id, false),
            None => (Uuid::new_v4(), true),
        };
        let mut key = vec![0u8; 32];
        self.random
            .fill(&mut key)
            .map_err(|_| anyhow!("no randomness"))?;
        if created {
            sqlx::query("INSERT INTO person_keys (person_id, key) VALUES ($1, $2)")
                .bind(person_id)
                .bind(&key)
                .execute(&self.keys)
                .await?;
        } else {
            key = self
                .key_of(person_id)
                .await?
                .context("a registered person has a key")?;
        }
        let (nonce, ciphertext) = self.seal(&key, &serde_json::to_vec(data)?)?;
        sqlx::query(
            "INSERT INTO persons (person_id, gemeente, kind, nonce, ciphertext, created_on)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (person_id) DO UPDATE SET nonce = EXCLUDED.nonce, ciphertext = EXCLUDED.ciphertext",
        )
        .bind(person_id)
        .bind(gemeente)
        .bind(kind)
        .bind(&nonce)
        .bind(&ciphertext)
        .bind(today)
        .execute(&self.data)
        .await?;
        if created {
            sqlx::query(
                "INSERT INTO bsn_index (gemeente, bsn_hash, person_id) VALUES ($1, $2, $3)",
            )
            .bind(gemeente)
            .bind(&bsn_hash)
            .bind(person_id)
            .execute(&self.data)
            .await?;
        }
        Ok((person_id, created))
    }

    async fn key_of(&self, person_id: Uuid) -> Result<Option<Vec<u8>>> {
        Ok(
            sqlx::query_scalar("SELECT key FROM person_keys WHERE person_id = $1")
                .bind(person_id)
                .fetch_optional(&self.keys)
                .await?,
        )
    }

    fn seal(&self, key: &[u8], plaintext: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
        let key =
            LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).map_err(|_| anyhow!("bad key"))?);
        let mut nonce = [0u8; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .map_err(|_| anyhow!("no randomness"))?;
        let mut sealed = plaintext.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::empty(),
            &mut sealed,
        )
        .map_err(|_| anyhow!("cannot encrypt"))?;
        Ok((nonce.to_vec(), sealed))
    }

    /// A person of `gemeente`, or `None` when there is none.
    pub async fn read(&self, gemeente: &str, person_id: Uuid) -> Result<Option<Person>> {
        let row: Option<SealedRow> = sqlx::query_as(
            "SELECT kind, nonce, ciphertext, erased_why FROM persons WHERE person_id = $1 AND gemeente = $2",
        )
        .bind(person_id)
        .bind(gemeente)
        .fetch_optional(&self.data)
        .await?;
        let Some(SealedRow {
            kind,
            nonce,
            mut ciphertext,
            erased_why,
        }) = row
        else {
            return Ok(None);
        };
        let Some(key) = self.key_of(person_id).await? else {
            return Ok(Some(Person::Erased {
                kind,
                why: erased_why.unwrap_or_else(|| "sleutel vernietigd".to_owned()),
            }));
        };
        let key =
            LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key).map_err(|_| anyhow!("bad key"))?);
        let nonce = Nonce::try_assume_unique_for_key(&nonce).map_err(|_| anyhow!("bad nonce"))?;
        let plaintext = key
            .open_in_place(nonce, Aad::empty(), &mut ciphertext)
            .map_err(|_| anyhow!("the record does not decrypt with its key"))?;
        Ok(Some(Person::Readable {
            kind,
            data: serde_json::from_slice(plaintext)?,
        }))
    }

    /// Forgets a person: their key is destroyed and their BSN no longer finds them. Returns whether
    /// there was anything to forget.
    pub async fn erase(&self, gemeente: &str, person_id: Uuid, why: &str) -> Result<bool> {
        let known: Option<Uuid> = sqlx::query_scalar(
            "SELECT person_id FROM persons WHERE person_id = $1 AND gemeente = $2",
        )
        .bind(person_id)
        .bind(gemeente)
        .fetch_optional(&self.data)
        .await?;
        if known.is_none() {
            return Ok(false);
        }
        sqlx::query("DELETE FROM person_keys WHERE person_id = $1")
            .bind(person_id)
            .execute(&self.keys)
            .await?;
        sqlx::query("DELETE FROM bsn_index WHERE person_id = $1")
            .bind(person_id)
            .execute(&self.data)
            .await?;
        sqlx::query(
            "UPDATE persons SET erased_at = coalesce(erased_at, now()), erased_why = coalesce(erased_why, $2) WHERE person_id = $1",
        )
        .bind(person_id)
        .bind(why)
        .execute(&self.data)
        .await?;
        Ok(true)
    }

    /// The gemeenten that have anyone in the vault.
    pub async fn gemeenten(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT DISTINCT gemeente FROM persons")
            .fetch_all(&self.data)
            .await?)
    }

    /// The people of `gemeente` whose retention period has passed on `today`: per kind, the number
    /// of days after registration they are kept.
    pub async fn past_retention(
        &self,
        gemeente: &str,
        retention_days: &[(String, i64)],
        today: Date,
    ) -> Result<Vec<Uuid>> {
        let mut due = Vec::new();
        for (kind, days) in retention_days {
            let ids: Vec<Uuid> = sqlx::query_scalar(
                "SELECT person_id FROM persons
                 WHERE gemeente = $1 AND kind = $2 AND erased_at IS NULL AND created_on + $3::int <= $4",
            )
            .bind(gemeente)
            .bind(kind)
            .bind(*days as i32)
            .bind(today)
            .fetch_all(&self.data)
            .await?;
            due.extend(ids);
        }
        Ok(due)
    }
}
