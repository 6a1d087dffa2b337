//! The personal data vault, on the gemeente's side: names, BSN, addresses and income evidence,
//! sealed per person (AES-256-GCM) under a key of that person's own: a subject key of the service's
//! [`SubjectKeys`], wrapped by the master key and kept in a separate database (the vault's keys
//! database, which is also where the households' keys that seal the applications live). Events and
//! NATS messages carry only the pseudonymous reference the vault hands out.
//!
//! Forgetting a person destroys their key: what is left is ciphertext nobody can read, so no replay
//! of any stream or backup of the vault brings them back. Forgetting a parent destroys the key of
//! their household too, which seals what the household's applications say (income, explanations,
//! motivations, reasons); see [`crate::forgetting`], which also tells the rest of the platform.
//! Every read and write is on the audit log.
//!
//! Before crypto-shredding the vault kept a raw key per person (`person_keys`); at start
//! [`Vault::open`] reseals every such person under a subject key and deletes the raw key
//! ([`Vault::reseal_legacy_persons`]).
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
//! - [`identify`]: finding or recording a person as an organisation knows them (BSN, or name and
//!   date of birth), for the references of `POST …/identificaties`;
//! - [`bsn`]: the 11-proef.

pub mod audit;
pub mod bsn;
pub mod identify;
pub mod persons;
pub mod retention;

use anyhow::{anyhow, Context, Result};
use kindpakket_platform::db::{self, DatabaseConfig, Migration};
use kindpakket_platform::shredding::{Opened, Sealed, SubjectKeys};
use kindpakket_proto::application::{ForgetReason, SubjectKind};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
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

/// The persons' data sealed under their subject keys ([`SubjectKeys`], JSON of [`Sealed`]); the raw
/// columns `nonce` and `ciphertext` of before stay empty for them. And the intent to forget a
/// person, recorded before anything is destroyed, so a crash half-way is finished at the next
/// start ([`crate::forgetting`]).
pub const SEALED_PERSONS_MIGRATION: Migration = Migration {
    name: "0303_vault_sealed_persons",
    sql: r#"
        ALTER TABLE persons
            ADD COLUMN sealed json,
            ALTER COLUMN nonce DROP NOT NULL,
            ALTER COLUMN ciphertext DROP NOT NULL,
            ADD COLUMN forget_requested_at timestamptz,
            ADD COLUMN forget_why text;
        ALTER TABLE person_versions
            ADD COLUMN sealed json,
            ALTER COLUMN nonce DROP NOT NULL,
            ALTER COLUMN ciphertext DROP NOT NULL;
        CREATE INDEX persons_forget_pending ON persons (forget_requested_at)
            WHERE forget_requested_at IS NOT NULL AND erased_at IS NULL;
    "#,
};

/// Finds a person by their normalised name and date of birth without keeping either: a keyed hash
/// of them ([`identify`]).
pub const NAME_INDEX_MIGRATION: Migration = Migration {
    name: "0304_vault_name_index",
    sql: r#"
        CREATE TABLE name_index (
            gemeente  text NOT NULL,
            name_hash text NOT NULL,
            person_id uuid NOT NULL,
            PRIMARY KEY (gemeente, name_hash)
        );
        CREATE INDEX name_index_person ON name_index (person_id);
    "#,
};

/// The auditor reads one gemeente's audit log a page at a time, in the chain's order
/// ([`audit::page`]): without this index every page scanned the whole log of all gemeenten.
pub const AUDIT_LOG_INDEX_MIGRATION: Migration = Migration {
    name: "0421_audit_log_by_gemeente",
    sql: r#"
        CREATE INDEX audit_log_by_gemeente ON audit_log (gemeente, seq);
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
    sealed: Option<sqlx::types::Json<Sealed<PersonalData>>>,
    erased_why: Option<String>,
    household: Option<Uuid>,
    duplicate_of: Option<Uuid>,
    version: i32,
}

/// A person the vault is to forget, or was asked to: who they are to the rest of the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToForget {
    pub person_id: Uuid,
    pub gemeente: String,
    /// `kind` or `ouder`.
    pub kind: String,
    /// The household of the parent who registered them, if a parent did.
    pub household: Option<Uuid>,
    pub why: ForgetReason,
}

/// What the rest of the platform knows a person by.
impl ToForget {
    /// A child by their own id; a parent by their household: the household their login named when
    /// they registered, or else their own id (the regievoerder registers a parent and uses the id it
    /// gets as the household's).
    pub fn subject(&self) -> (Uuid, SubjectKind) {
        subject_of(self.person_id, &self.kind, self.household)
    }

    /// The subject keys to destroy: the person's own and, for a parent, their household's.
    pub fn keys(&self) -> Vec<Uuid> {
        let (subject, _) = self.subject();
        let mut keys = vec![self.person_id];
        if subject != self.person_id {
            keys.push(subject);
        }
        keys
    }
}

/// The subject a person of `kind` is known by elsewhere (see [`ToForget::subject`]).
pub fn subject_of(person_id: Uuid, kind: &str, household: Option<Uuid>) -> (Uuid, SubjectKind) {
    if kind == "ouder" {
        (household.unwrap_or(person_id), SubjectKind::Household)
    } else {
        (person_id, SubjectKind::Child)
    }
}

/// A record's nonce and ciphertext under a raw key of before.
type RawSealed = (Option<Vec<u8>>, Option<Vec<u8>>);

/// A person to forget, as the vault database keeps them: id, gemeente, kind, household, why.
type PendingRow = (Uuid, String, String, Option<Uuid>, Option<String>);

fn why_code(why: ForgetReason) -> &'static str {
    match why {
        ForgetReason::Erasure => "erasure",
        ForgetReason::Retention => "retention",
    }
}

fn why_of(code: Option<&str>) -> ForgetReason {
    match code {
        Some("retention") => ForgetReason::Retention,
        _ => ForgetReason::Erasure,
    }
}

/// The vault's two databases: the sealed records with the BSN index and the audit log, and apart
/// from them the keys (the subject keys, the BSN index key) with the audit log's head.
pub struct Vault {
    data: PgPool,
    keys: PgPool,
    subject_keys: SubjectKeys,
    index_key: Vec<u8>,
}

impl Vault {
    /// Appends to the audit log and moves its head forward.
    pub async fn audit(&self, entry: audit::Entry<'_>) -> Result<(), sqlx::Error> {
        let (seq, hash) = audit::append(&self.data, entry).await?;
        audit::advance_anchor(&self.keys, seq, &hash).await
    }

    /// Appends entries to the audit log in one go and moves its head forward.
    pub async fn audit_all(&self, entries: &[audit::Entry<'_>]) -> Result<(), sqlx::Error> {
        if let Some((seq, hash)) = audit::append_all(&self.data, entries).await? {
            audit::advance_anchor(&self.keys, seq, &hash).await?;
        }
        Ok(())
    }

    /// A page of `gemeente`'s audit log (`limit` rows after sequence number `after`), and the first
    /// row at which the whole chain is broken, if any.
    pub async fn audit_log(
        &self,
        gemeente: &str,
        after: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<audit::Row>, Option<i64>), sqlx::Error> {
        let rows = audit::page(&self.data, gemeente, after, limit).await?;
        let anchor = audit::anchor(&self.keys).await?;
        let broken = audit::verify(&self.data, anchor.as_ref()).await?;
        Ok((rows, broken))
    }

    /// Connects to (and migrates) the vault's database and its keys database, whose subject keys
    /// `subject_keys` are (see [`crate::startup`]); reseals what was kept under raw keys before.
    pub async fn open(
        data: &DatabaseConfig,
        keys: &DatabaseConfig,
        subject_keys: SubjectKeys,
    ) -> Result<Self> {
        let data = db::open(
            data,
            &[
                VAULT_MIGRATION,
                HOUSEHOLDS_MIGRATION,
                SEALED_PERSONS_MIGRATION,
                NAME_INDEX_MIGRATION,
                AUDIT_LOG_INDEX_MIGRATION,
            ],
        )
        .await?;
        let keys = db::open(keys, &[KEYS_MIGRATION, AUDIT_ANCHOR_MIGRATION]).await?;
        let mut fresh = vec![0u8; 32];
        SystemRandom::new()
            .fill(&mut fresh)
            .map_err(|_| anyhow!("no randomness"))?;
        sqlx::query("INSERT INTO index_key (key) VALUES ($1) ON CONFLICT DO NOTHING")
            .bind(&fresh)
            .execute(&keys)
            .await?;
        let index_key: Vec<u8> = sqlx::query_scalar("SELECT key FROM index_key")
            .fetch_one(&keys)
            .await?;
        let vault = Self {
            data,
            keys,
            subject_keys,
            index_key,
        };
        let resealed = vault.reseal_legacy_persons().await?;
        if resealed > 0 {
            tracing::info!(resealed, "vault persons resealed under subject keys");
        }
        Ok(vault)
    }

    /// The subject keys: the persons' and the households'.
    pub fn subject_keys(&self) -> &SubjectKeys {
        &self.subject_keys
    }

    /// Reseals every person (and every earlier version) kept under a raw key of before under a
    /// subject key, then deletes the raw key; a person forgotten before has nothing to reseal and is
    /// recorded as forgotten among the subject keys. Idempotent, person by person: a crash half-way
    /// leaves each person either as before or resealed, and the next start goes on.
    pub async fn reseal_legacy_persons(&self) -> Result<u64> {
        let raw: Vec<(Uuid, Vec<u8>)> = sqlx::query_as("SELECT person_id, key FROM person_keys")
            .fetch_all(&self.keys)
            .await?;
        let mut resealed = 0;
        for (person_id, key) in raw {
            let mut tx = self.data.begin().await?;
            let current: Option<RawSealed> = sqlx::query_as(
                "SELECT nonce, ciphertext FROM persons WHERE person_id = $1 FOR UPDATE",
            )
            .bind(person_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((Some(nonce), Some(ciphertext))) = current {
                let data = legacy_unseal(&key, &nonce, ciphertext)?;
                let sealed = self.subject_keys.seal(person_id, &data).await?;
                sqlx::query(
                    "UPDATE persons SET sealed = $2, nonce = NULL, ciphertext = NULL WHERE person_id = $1",
                )
                .bind(person_id)
                .bind(sqlx::types::Json(&sealed))
                .execute(&mut *tx)
                .await?;
            }
            let versions: Vec<(i32, Vec<u8>, Vec<u8>)> = sqlx::query_as(
                "SELECT version, nonce, ciphertext FROM person_versions
                 WHERE person_id = $1 AND nonce IS NOT NULL AND ciphertext IS NOT NULL",
            )
            .bind(person_id)
            .fetch_all(&mut *tx)
            .await?;
            for (version, nonce, ciphertext) in versions {
                let data = legacy_unseal(&key, &nonce, ciphertext)?;
                let sealed = self.subject_keys.seal(person_id, &data).await?;
                sqlx::query(
                    "UPDATE person_versions SET sealed = $3, nonce = NULL, ciphertext = NULL
                     WHERE person_id = $1 AND version = $2",
                )
                .bind(person_id)
                .bind(version)
                .bind(sqlx::types::Json(&sealed))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            sqlx::query("DELETE FROM person_keys WHERE person_id = $1")
                .bind(person_id)
                .execute(&self.keys)
                .await?;
            resealed += 1;
        }
        // Forgotten before: their raw key is gone and their ciphertext unreadable. Drop the
        // ciphertext and record them as forgotten, so no key is ever made for them again.
        let erased: Vec<(Uuid, String)> = sqlx::query_as(
            "SELECT person_id, coalesce(erased_why, 'vergeten') FROM persons
             WHERE erased_at IS NOT NULL AND nonce IS NOT NULL",
        )
        .fetch_all(&self.data)
        .await?;
        for (person_id, why) in erased {
            self.subject_keys.forget(person_id, &why).await?;
            sqlx::query("UPDATE persons SET nonce = NULL, ciphertext = NULL WHERE person_id = $1")
                .bind(person_id)
                .execute(&self.data)
                .await?;
            sqlx::query(
                "UPDATE person_versions SET nonce = NULL, ciphertext = NULL WHERE person_id = $1",
            )
            .bind(person_id)
            .execute(&self.data)
            .await?;
        }
        Ok(resealed)
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
        // A BSN new to the vault, of someone it may know by name and date of birth alone
        // ([`identify`]): possibly the same person.
        let name_hash = match (&known, data.birth_date.as_deref().map(parse_date)) {
            (None, Some(Some(birth_date))) => {
                Some(self.name_hash(gemeente, &data.name, birth_date))
            }
            _ => None,
        };
        let by_name: Option<Uuid> = match &name_hash {
            Some(hash) => {
                sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7013))")
                    .bind(format!("{gemeente}:{hash}"))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query_scalar(
                    "SELECT person_id FROM name_index WHERE gemeente = $1 AND name_hash = $2",
                )
                .bind(gemeente)
                .bind(hash)
                .fetch_optional(&mut *tx)
                .await?
            }
            None => None,
        };
        let duplicate_of = known.or(by_name);
        let person_id = Uuid::new_v4();
        let sealed = self
            .subject_keys
            .seal(person_id, data)
            .await
            .context("sealing a person")?;
        sqlx::query(
            "INSERT INTO persons (person_id, gemeente, kind, sealed, created_on, household, duplicate_of)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(person_id)
        .bind(gemeente)
        .bind(kind)
        .bind(sqlx::types::Json(&sealed))
        .bind(today)
        .bind(household)
        .bind(duplicate_of)
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
        if let (Some(hash), None) = (&name_hash, by_name) {
            sqlx::query(
                "INSERT INTO name_index (gemeente, name_hash, person_id) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
            )
            .bind(gemeente)
            .bind(hash)
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
        Ok(match duplicate_of {
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
            "SELECT kind, sealed, erased_why, household, duplicate_of, version
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
        let Some(sqlx::types::Json(sealed)) = row.sealed else {
            return Ok(Rectified::Erased);
        };
        let Opened::Value(current) = self.subject_keys.open(&sealed).await? else {
            return Ok(Rectified::Erased);
        };
        let corrected = PersonalData {
            bsn: current.bsn,
            name: correction.name.clone(),
            address: correction.address.clone(),
            birth_date: correction.birth_date.clone(),
            iban: correction.iban.clone(),
            income_evidence: correction.income_evidence.clone(),
        };
        sqlx::query(
            "INSERT INTO person_versions (person_id, version, sealed, replaced_at)
             VALUES ($1, $2, $3, now())",
        )
        .bind(person_id)
        .bind(row.version)
        .bind(sqlx::types::Json(&sealed))
        .execute(&mut *tx)
        .await?;
        let corrected = self
            .subject_keys
            .seal(person_id, &corrected)
            .await
            .context("sealing a correction")?;
        let version = row.version + 1;
        sqlx::query("UPDATE persons SET sealed = $2, version = $3 WHERE person_id = $1")
            .bind(person_id)
            .bind(sqlx::types::Json(&corrected))
            .bind(version)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Rectified::Corrected { version })
    }

    /// A person of `gemeente` in their current version, or `None` when there is none.
    pub async fn read(&self, gemeente: &str, person_id: Uuid) -> Result<Option<Person>> {
        let row: Option<SealedRow> = sqlx::query_as(
            "SELECT kind, sealed, erased_why, household, duplicate_of, version
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
        let opened = match &row.sealed {
            Some(sqlx::types::Json(sealed)) => self.subject_keys.open(sealed).await?,
            None => Opened::Forgotten,
        };
        let state = match opened {
            Opened::Forgotten => PersonState::Erased {
                why: row
                    .erased_why
                    .unwrap_or_else(|| "sleutel vernietigd".to_owned()),
            },
            Opened::Value(data) => PersonState::Readable {
                data,
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

    /// Records the intent to forget a person of `gemeente` (the first reason given stays), before
    /// anything is destroyed: what [`crate::forgetting`] then does is repeated at the next start
    /// until [`Vault::forgotten`] records it done. `None` when the vault does not know them here.
    pub async fn request_forget(
        &self,
        gemeente: &str,
        person_id: Uuid,
        reason: &str,
        why: ForgetReason,
    ) -> Result<Option<ToForget>> {
        let row: Option<(String, Option<Uuid>, Option<String>)> = sqlx::query_as(
            "UPDATE persons SET forget_requested_at = coalesce(forget_requested_at, now()),
                                forget_why = coalesce(forget_why, $3),
                                erased_why = coalesce(erased_why, $4)
             WHERE person_id = $1 AND gemeente = $2
             RETURNING kind, household, forget_why",
        )
        .bind(person_id)
        .bind(gemeente)
        .bind(why_code(why))
        .bind(reason)
        .fetch_optional(&self.data)
        .await?;
        Ok(row.map(|(kind, household, recorded)| ToForget {
            person_id,
            gemeente: gemeente.to_owned(),
            kind,
            household,
            why: why_of(recorded.as_deref()),
        }))
    }

    /// The people whose forgetting was asked and not yet recorded as done (a crash in between).
    pub async fn pending_forgets(&self) -> Result<Vec<ToForget>> {
        let rows: Vec<PendingRow> = sqlx::query_as(
            "SELECT person_id, gemeente, kind, household, forget_why FROM persons
             WHERE forget_requested_at IS NOT NULL AND erased_at IS NULL
             ORDER BY forget_requested_at",
        )
        .fetch_all(&self.data)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(person_id, gemeente, kind, household, why)| ToForget {
                person_id,
                gemeente,
                kind,
                household,
                why: why_of(why.as_deref()),
            })
            .collect())
    }

    /// Destroys the keys of a person to forget — their own, and a parent's household's — so every
    /// version of their data and everything sealed for the household is unreadable; their BSN no
    /// longer finds them. Idempotent.
    pub async fn destroy_keys(&self, person: &ToForget) -> Result<()> {
        let why = why_code(person.why);
        for subject in person.keys() {
            self.subject_keys.forget(subject, why).await?;
        }
        sqlx::query("DELETE FROM bsn_index WHERE person_id = $1")
            .bind(person.person_id)
            .execute(&self.data)
            .await?;
        sqlx::query("DELETE FROM household_bsn_index WHERE person_id = $1")
            .bind(person.person_id)
            .execute(&self.data)
            .await?;
        sqlx::query("DELETE FROM name_index WHERE person_id = $1")
            .bind(person.person_id)
            .execute(&self.data)
            .await?;
        Ok(())
    }

    /// Records a person as forgotten: done.
    pub async fn forgotten(&self, person: &ToForget) -> Result<()> {
        sqlx::query(
            "UPDATE persons SET erased_at = coalesce(erased_at, now()) WHERE person_id = $1",
        )
        .bind(person.person_id)
        .execute(&self.data)
        .await?;
        Ok(())
    }

    /// The subject a person of `gemeente` is known by elsewhere, and whether they were forgotten;
    /// `None` when the vault does not know them here.
    pub async fn subject_of(
        &self,
        gemeente: &str,
        person_id: Uuid,
    ) -> Result<Option<((Uuid, SubjectKind), bool)>> {
        let row: Option<(String, Option<Uuid>, bool)> = sqlx::query_as(
            "SELECT kind, household, forget_requested_at IS NOT NULL OR erased_at IS NOT NULL
             FROM persons WHERE person_id = $1 AND gemeente = $2",
        )
        .bind(person_id)
        .bind(gemeente)
        .fetch_optional(&self.data)
        .await?;
        Ok(row.map(|(kind, household, forgotten)| {
            (subject_of(person_id, &kind, household), forgotten)
        }))
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
                 WHERE gemeente = $1 AND kind = $2 AND forget_requested_at IS NULL AND erased_at IS NULL
                   AND created_on + $3::int <= $4",
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

/// A date of birth as the vault keeps it (`YYYY-MM-DD`), if it is one.
fn parse_date(text: &str) -> Option<Date> {
    Date::parse(
        text.trim(),
        &time::format_description::well_known::Iso8601::DATE,
    )
    .ok()
}

/// Opens a record sealed under a raw key of before ([`Vault::reseal_legacy_persons`]).
fn legacy_unseal(key: &[u8], nonce: &[u8], mut ciphertext: Vec<u8>) -> Result<PersonalData> {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).map_err(|_| anyhow!("bad key"))?);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| anyhow!("bad nonce"))?;
    let plaintext = key
        .open_in_place(nonce, Aad::empty(), &mut ciphertext)
        .map_err(|_| anyhow!("a record does not decrypt with its raw key"))?;
    Ok(serde_json::from_slice(plaintext)?)
}

/// A record sealed under a raw key, as the vault kept it before; for the resealing test.
#[cfg(test)]
fn legacy_seal(key: &[u8], plaintext: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).unwrap());
    let nonce = [7u8; ring::aead::NONCE_LEN];
    let mut sealed = plaintext.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::empty(),
        &mut sealed,
    )
    .unwrap();
    (nonce.to_vec(), sealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_of_before_opens_with_its_raw_key() {
        let data = PersonalData {
            bsn: "111222333".to_owned(),
            name: "J. Jansen".to_owned(),
            address: None,
            birth_date: None,
            iban: None,
            income_evidence: None,
        };
        let key = [3u8; 32];
        let (nonce, ciphertext) = legacy_seal(&key, &serde_json::to_vec(&data).unwrap());
        assert_eq!(
            legacy_unseal(&key, &nonce, ciphertext.clone()).unwrap(),
            data
        );
        assert!(legacy_unseal(&[4u8; 32], &nonce, ciphertext).is_err());
    }

    #[test]
    fn a_child_is_known_by_their_own_id_and_a_parent_by_their_household() {
        let person = Uuid::from_u128(1);
        let household = Uuid::from_u128(2);
        assert_eq!(
            subject_of(person, "kind", Some(household)),
            (person, SubjectKind::Child)
        );
        assert_eq!(
            subject_of(person, "ouder", Some(household)),
            (household, SubjectKind::Household)
        );
        assert_eq!(
            subject_of(person, "ouder", None),
            (person, SubjectKind::Household)
        );
        let parent = ToForget {
            person_id: person,
            gemeente: "GM0518".to_owned(),
            kind: "ouder".to_owned(),
            household: Some(household),
            why: ForgetReason::Erasure,
        };
        assert_eq!(parent.keys(), vec![person, household]);
        let alone = ToForget {
            household: None,
            ..parent
        };
        assert_eq!(alone.keys(), vec![person]);
    }
}
