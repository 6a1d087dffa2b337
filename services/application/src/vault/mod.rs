//! The personal data vault, on the gemeente's side: names, BSN, addresses and income evidence,
//! encrypted per person (AES-256-GCM) with a key of that person's own, kept in a separate database.
//! Events and NATS messages carry only the pseudonymous reference the vault hands out.
//!
//! Forgetting a person destroys their key: what is left is ciphertext nobody can read, so no replay
//! of any stream or backup of the vault brings them back. Every read and write is on the audit log.
//!
//! No registration ever replaces what is kept of a person: a parent registers people of their own
//! household only (a BSN the vault knows from elsewhere becomes a new record of that household,
//! marked for the regievoerder as possibly the same person), and the gemeente registering a known
//! BSN gets the person it knows. Only a rectification by the regievoerder records corrected data,
//! and it keeps the earlier version, sealed under the same key: forgetting the person makes every
//! version unreadable.
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

use anyhow::{anyhow, Result};
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

/// Who registered a person (a parent's household), whether the vault knew their BSN from another
/// record (possibly the same person), and the earlier versions a rectification kept.
pub const HOUSEHOLDS_MIGRATION: Migration = Migration {
    name: "0302_vault_households_and_versions",
    sql: r#"
        ALTER TABLE persons
            ADD COLUMN household    uuid,
            ADD COLUMN duplicate_of uuid,
            ADD COLUMN version      integer NOT NULL DEFAULT 1;
        CREATE INDEX persons_duplicate_of ON persons (duplicate_of) WHERE duplicate_of IS NOT NULL;
        -- Finds a person a household registered, by the keyed hash of their BSN.
        CREATE TABLE household_bsn_index (
            gemeente  text NOT NULL,
            household uuid NOT NULL,
            bsn_hash  text NOT NULL,
            person_id uuid NOT NULL,
            PRIMARY KEY (gemeente, household, bsn_hash)
        );
        -- Versions a rectification replaced, sealed under the person's own key.
        CREATE TABLE person_versions (
            person_id   uuid NOT NULL,
            version     integer NOT NULL,
            nonce       bytea NOT NULL,
            ciphertext  bytea NOT NULL,
            replaced_at timestamptz NOT NULL,
            PRIMARY KEY (person_id, version)
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

/// What may be corrected of a person: everything but the BSN (a wrong BSN is another person).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    pub name: String,
    pub address: Option<String>,
    pub birth_date: Option<String>,
    pub iban: Option<String>,
    pub income_evidence: Option<String>,
}

/// A person as the vault answers (to the regievoerder): who registered them, whether they may be
/// the same person as another record, and their data or why they were forgotten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// `kind` or `ouder`.
    pub kind: String,
    /// The household of the parent who registered them, if a parent did.
    pub household: Option<Uuid>,
    /// The record the vault already kept under the same BSN when a household registered them.
    pub possible_duplicate_of: Option<Uuid>,
    /// Records households registered later under the same BSN.
    pub possible_duplicates: Vec<Uuid>,
    pub state: PersonState,
}

/// Readable (in its current version), or forgotten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonState {
    Readable { data: PersonalData, version: i32 },
    Erased { why: String },
}

/// For whom a person is registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisteredFor {
    /// A parent, for the household their login names.
    Household(Uuid),
    /// The gemeente itself (the regievoerder).
    Gemeente,
}

/// What came of a registration. Nothing kept is ever replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// A person new to the vault.
    New(Uuid),
    /// The person the vault already kept: for a household, registered by that household; for the
    /// gemeente, under this BSN.
    Known(Uuid),
    /// A new record for a household, whose BSN the vault already kept for someone else: possibly
    /// the same person as `of`.
    PossibleDuplicate { person_id: Uuid, of: Uuid },
}

/// What came of a rectification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rectified {
    /// The corrected data are the current version; the earlier one is kept, sealed.
    Corrected {
        version: i32,
    },
    Unknown,
    Erased,
}

/// A person's sealed record, as the vault database keeps it.
#[derive(Debug, sqlx::FromRow)]
struct SealedRow {
    kind: String,
    nonce: Vec<u8>,
    ciphertext: Vec<u8>,
    erased_why: Option<String>,
    household: Option<Uuid>,
    duplicate_of: Option<Uuid>,
    version: i32,
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
        let data = db::open(data, &[VAULT_MIGRATION, HOUSEHOLDS_MIGRATION]).await?;
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

    /// Keeps a person `for` a household or the gemeente, and returns what came of it. Nothing the
    /// vault kept is replaced: a household that registers a BSN again gets the person it registered;
    /// a household that registers a BSN the vault kept for someone else gets a new record of its
    /// own, marked as possibly the same person; the gemeente gets the person it knows by the BSN.
    pub async fn register(
        &self,
        gemeente: &str,
        kind: &str,
        data: &PersonalData,
        registered_for: RegisteredFor,
        today: Date,
    ) -> Result<Kept> {
        let bsn_hash = self.bsn_hash(gemeente, &data.bsn);
        let mut tx = self.data.begin().await?;
        // One registration of a BSN at a time, so that two at once cannot both be new.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7013))")
            .bind(format!("{gemeente}:{bsn_hash}"))
            .execute(&mut *tx)
            .await?;
        let household = match registered_for {
            RegisteredFor::Household(household) => Some(household),
            RegisteredFor::Gemeente => None,
        };
        if let Some(household) = household {
            let own: Option<Uuid> = sqlx::query_scalar(
                "SELECT person_id FROM household_bsn_index
                 WHERE gemeente = $1 AND household = $2 AND bsn_hash = $3",
            )
            .bind(gemeente)
            .bind(household)
            .bind(&bsn_hash)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(person_id) = own {
                return Ok(Kept::Known(person_id));
            }
        }
        let known: Option<Uuid> = sqlx::query_scalar(
            "SELECT person_id FROM bsn_index WHERE gemeente = $1 AND bsn_hash = $2",
        )
        .bind(gemeente)
        .bind(&bsn_hash)
        .fetch_optional(&mut *tx)
        .await?;
        if let (RegisteredFor::Gemeente, Some(person_id)) = (registered_for, known) {
            return Ok(Kept::Known(person_id));
        }
        let person_id = Uuid::new_v4();
        let mut key = vec![0u8; 32];
        self.random
            .fill(&mut key)
            .map_err(|_| anyhow!("no randomness"))?;
        sqlx::query("INSERT INTO person_keys (person_id, key) VALUES ($1, $2)")
            .bind(person_id)
            .bind(&key)
            .execute(&self.keys)
            .await?;
        let (nonce, ciphertext) = self.seal(&key, &serde_json::to_vec(data)?)?;
        sqlx::query(
            "INSERT INTO persons (person_id, gemeente, kind, nonce, ciphertext, created_on, household, duplicate_of)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(person_id)
        .bind(gemeente)
        .bind(kind)
        .bind(&nonce)
        .bind(&ciphertext)
        .bind(today)
        .bind(household)
        .bind(known)
        .execute(&mut *tx)
        .await?;
        if known.is_none() {
            sqlx::query(
                "INSERT INTO bsn_index (gemeente, bsn_hash, person_id) VALUES ($1, $2, $3)",
            )
            .bind(gemeente)
            .bind(&bsn_hash)
            .bind(person_id)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(household) = household {
            sqlx::query(
                "INSERT INTO household_bsn_index (gemeente, household, bsn_hash, person_id)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(gemeente)
            .bind(household)
            .bind(&bsn_hash)
            .bind(person_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(match known {
            None => Kept::New(person_id),
            Some(of) => Kept::PossibleDuplicate { person_id, of },
        })
    }

    /// Records corrected data of a person of `gemeente` as their current version. The version it
    /// replaces is kept, sealed under the same key, and read by nobody; the BSN stays as it was.
    pub async fn rectify(
        &self,
        gemeente: &str,
        person_id: Uuid,
        correction: &Correction,
    ) -> Result<Rectified> {
        let mut tx = self.data.begin().await?;
        let row: Option<SealedRow> = sqlx::query_as(
            "SELECT kind, nonce, ciphertext, erased_why, household, duplicate_of, version
             FROM persons WHERE person_id = $1 AND gemeente = $2 FOR UPDATE",
        )
        .bind(person_id)
        .bind(gemeente)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(Rectified::Unknown);
        };
        if row.erased_why.is_some() {
            return Ok(Rectified::Erased);
        }
        let Some(key) = self.key_of(person_id).await? else {
            return Ok(Rectified::Erased);
        };
        let current = self.unseal(&key, &row.nonce, row.ciphertext.clone())?;
        let corrected = PersonalData {
            bsn: current.bsn,
            name: correction.name.clone(),
            address: correction.address.clone(),
            birth_date: correction.birth_date.clone(),
            iban: correction.iban.clone(),
            income_evidence: correction.income_evidence.clone(),
        };
        sqlx::query(
            "INSERT INTO person_versions (person_id, version, nonce, ciphertext, replaced_at)
             VALUES ($1, $2, $3, $4, now())",
        )
        .bind(person_id)
        .bind(row.version)
        .bind(&row.nonce)
        .bind(&row.ciphertext)
        .execute(&mut *tx)
        .await?;
        let (nonce, ciphertext) = self.seal(&key, &serde_json::to_vec(&corrected)?)?;
        let version = row.version + 1;
        sqlx::query(
            "UPDATE persons SET nonce = $2, ciphertext = $3, version = $4 WHERE person_id = $1",
        )
        .bind(person_id)
        .bind(&nonce)
        .bind(&ciphertext)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Rectified::Corrected { version })
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

    /// Opens a sealed record with its person's key.
    fn unseal(&self, key: &[u8], nonce: &[u8], mut ciphertext: Vec<u8>) -> Result<PersonalData> {
        let key =
            LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).map_err(|_| anyhow!("bad key"))?);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| anyhow!("bad nonce"))?;
        let plaintext = key
            .open_in_place(nonce, Aad::empty(), &mut ciphertext)
            .map_err(|_| anyhow!("the record does not decrypt with its key"))?;
        Ok(serde_json::from_slice(plaintext)?)
    }

    /// A person of `gemeente` in their current version, or `None` when there is none.
    pub async fn read(&self, gemeente: &str, person_id: Uuid) -> Result<Option<Person>> {
        let row: Option<SealedRow> = sqlx::query_as(
            "SELECT kind, nonce, ciphertext, erased_why, household, duplicate_of, version
             FROM persons WHERE person_id = $1 AND gemeente = $2",
        )
        .bind(person_id)
        .bind(gemeente)
        .fetch_optional(&self.data)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let possible_duplicates: Vec<Uuid> = sqlx::query_scalar(
            "SELECT person_id FROM persons WHERE duplicate_of = $1 AND gemeente = $2
             ORDER BY created_on, person_id",
        )
        .bind(person_id)
        .bind(gemeente)
        .fetch_all(&self.data)
        .await?;
        let state = match self.key_of(person_id).await? {
            None => PersonState::Erased {
                why: row
                    .erased_why
                    .unwrap_or_else(|| "sleutel vernietigd".to_owned()),
            },
            Some(key) => PersonState::Readable {
                data: self.unseal(&key, &row.nonce, row.ciphertext)?,
                version: row.version,
            },
        };
        Ok(Some(Person {
            kind: row.kind,
            household: row.household,
            possible_duplicate_of: row.duplicate_of,
            possible_duplicates,
            state,
        }))
    }

    /// Forgets a person: their key is destroyed (every version of their data, current and earlier,
    /// is sealed under it) and their BSN no longer finds them. Returns whether
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
        sqlx::query("DELETE FROM household_bsn_index WHERE person_id = $1")
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
