//! Crypto-shredding: what a stored event says about a person (an income, the money a family has left,
//! a worker's free text) is sealed under a key of that person alone — a child or a household — so that
//! destroying the key makes it unreadable everywhere it was copied: in the event store, in replays, in
//! old backups. The event log stays append-only and complete; only its sealed fields fall silent.
//!
//! - [`Sealed<T>`]: a value as a stored event keeps it: AES-256-GCM under the subject's key of the
//!   month it was sealed in, bound to both (a sealed value cannot be moved to another subject);
//! - [`SubjectKeys`]: the keys, one per subject and calendar month, in a database of their own (back
//!   it up for a shorter time than the erasure deadline), each wrapped by a master key. Erasure
//!   destroys all of a subject's keys ([`SubjectKeys::forget`]); retention destroys the months that
//!   ended before its cutoff ([`SubjectKeys::forget_sealed_before`]), whoever they belong to;
//! - [`KeyWrapper`]: the master key, behind an interface a key-management system plugs into
//!   ([`FileMasterKeys`] for development and small installations; see `docs/keys.md` for HashiCorp
//!   Vault's transit engine, a cloud KMS or an HSM).
//!
//! Why a master key: a backup of the keys database holds wrapped keys. Rotating the master key
//! ([`SubjectKeys::rewrap`]) and destroying its old versions after the backup retention makes a
//! destroyed subject key unrecoverable from any backup too.

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::Date;
use uuid::Uuid;

use crate::db::Migration;

/// A value sealed under one subject's key. Stored events hold these instead of the plaintext.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Sealed<T> {
    /// The child or household whose key seals it.
    #[serde(rename = "s")]
    pub subject: Uuid,
    /// The calendar month (`yyyymm`) whose key of the subject seals it: retention destroys a
    /// subject's keys month by month.
    #[serde(rename = "e")]
    pub epoch: i32,
    #[serde(rename = "n")]
    nonce: String,
    #[serde(rename = "c")]
    ciphertext: String,
    #[serde(skip)]
    kind: PhantomData<fn() -> T>,
}

impl<T> Clone for Sealed<T> {
    fn clone(&self) -> Self {
        Self {
            subject: self.subject,
            epoch: self.epoch,
            nonce: self.nonce.clone(),
            ciphertext: self.ciphertext.clone(),
            kind: PhantomData,
        }
    }
}

impl<T> PartialEq for Sealed<T> {
    fn eq(&self, other: &Self) -> bool {
        self.subject == other.subject
            && self.epoch == other.epoch
            && self.nonce == other.nonce
            && self.ciphertext == other.ciphertext
    }
}

impl<T> Eq for Sealed<T> {}

impl<T> std::fmt::Debug for Sealed<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealed")
            .field("subject", &self.subject)
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

/// What opening a sealed value gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened<T> {
    Value(T),
    /// The subject's key was destroyed: the person was forgotten, or the data outlived its retention.
    Forgotten,
}

impl<T> Opened<T> {
    pub fn value(self) -> Option<T> {
        match self {
            Opened::Value(value) => Some(value),
            Opened::Forgotten => None,
        }
    }
}

/// A subject key as the master key wraps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrapped {
    /// Which version of the master key wrapped it.
    pub version: u32,
    pub nonce: Vec<u8>,
    pub bytes: Vec<u8>,
}

/// The master key that wraps every subject key. A key-management system (HashiCorp Vault's transit
/// engine, a cloud KMS, an HSM) implements it by calling its wrap and unwrap operations; the master
/// key then never leaves it.
pub trait KeyWrapper: Send + Sync {
    /// The version new keys are wrapped with.
    fn current_version(&self) -> u32;
    fn wrap(&self, key: &[u8]) -> Result<Wrapped>;
    /// Fails when the version that wrapped it has been destroyed.
    fn unwrap(&self, wrapped: &Wrapped) -> Result<Vec<u8>>;
}

/// Master keys from a file: `{"1": "<32 bytes, base64>", "2": "…"}`; the highest version wraps new
/// keys, the others only unwrap until they are removed from the file.
pub struct FileMasterKeys {
    versions: BTreeMap<u32, Vec<u8>>,
    random: SystemRandom,
}

impl FileMasterKeys {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the master keys {}", path.display()))?;
        let raw: BTreeMap<String, String> =
            serde_json::from_str(&text).context("the master keys file is not {\"1\": \"…\"}")?;
        let mut versions = BTreeMap::new();
        for (version, key) in raw {
            let version: u32 = version
                .parse()
                .with_context(|| format!("master key version '{version}' is not a number"))?;
            let key = STANDARD
                .decode(key.trim())
                .with_context(|| format!("master key version {version} is not base64"))?;
            if key.len() != 32 {
                bail!("master key version {version} is not 32 bytes");
            }
            versions.insert(version, key);
        }
        if versions.is_empty() {
            bail!("the master keys file holds no key");
        }
        Ok(Self {
            versions,
            random: SystemRandom::new(),
        })
    }

    /// A file with one fresh version, for a developer's machine or a test (written once).
    pub fn create(path: &Path) -> Result<()> {
        let mut key = [0u8; 32];
        SystemRandom::new()
            .fill(&mut key)
            .map_err(|_| anyhow!("the system's random source failed"))?;
        let text = serde_json::json!({"1": STANDARD.encode(key)}).to_string();
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
    }

    fn key(&self, version: u32) -> Result<LessSafeKey> {
        let bytes = self
            .versions
            .get(&version)
            .ok_or_else(|| anyhow!("master key version {version} is gone"))?;
        let unbound =
            UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| anyhow!("bad master key"))?;
        Ok(LessSafeKey::new(unbound))
    }
}

impl KeyWrapper for FileMasterKeys {
    fn current_version(&self) -> u32 {
        self.versions.keys().next_back().copied().unwrap_or(1)
    }

    fn wrap(&self, key: &[u8]) -> Result<Wrapped> {
        let version = self.current_version();
        let (nonce, bytes) = seal_bytes(
            &self.key(version)?,
            &self.random,
            b"kindpakket-subject-key",
            key,
        )?;
        Ok(Wrapped {
            version,
            nonce,
            bytes,
        })
    }

    fn unwrap(&self, wrapped: &Wrapped) -> Result<Vec<u8>> {
        open_bytes(
            &self.key(wrapped.version)?,
            &wrapped.nonce,
            b"kindpakket-subject-key",
            &wrapped.bytes,
        )
    }
}

/// The keys table of a service's keys database.
pub const SUBJECT_KEYS_MIGRATION: Migration = Migration {
    name: "0900_subject_keys",
    sql: r#"
        -- One key per subject and calendar month of sealing (yyyymm): retention destroys the
        -- months that ended before its cutoff, erasure every month of the subject.
        CREATE TABLE subject_keys (
            subject        uuid NOT NULL,
            epoch          integer NOT NULL,
            master_version integer NOT NULL,
            nonce          bytea NOT NULL,
            wrapped        bytea NOT NULL,
            created_at     timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (subject, epoch)
        );
        CREATE INDEX subject_keys_epoch ON subject_keys (epoch);
        -- Subjects whose key was destroyed, and when: a key is never made again for them.
        CREATE TABLE forgotten_subjects (
            subject      uuid PRIMARY KEY,
            forgotten_at timestamptz NOT NULL DEFAULT now(),
            why          text NOT NULL
        );
    "#,
};

/// Opens the subject keys of a service: its keys database (migrated as its own) and the master
/// keys file. A service that seals personal data cannot start without them.
pub async fn open(
    service: &crate::config::ServiceConfig,
    database: &crate::db::DatabaseConfig,
) -> Result<SubjectKeys> {
    let path = service.keys.master_keys.as_deref().ok_or_else(|| {
        anyhow!("KINDPAKKET_MASTER_KEYS must name the master keys file (scripts/run.sh makes one in .data/keys)")
    })?;
    let master = FileMasterKeys::load(path)?;
    let pool = crate::db::open(database, &[SUBJECT_KEYS_MIGRATION]).await?;
    Ok(SubjectKeys::new(pool, Arc::new(master)))
}

/// How long what a service sealed stays readable when `KINDPAKKET_RETENTION_DAYS` is not set:
/// seven years.
pub const DEFAULT_RETENTION_DAYS: u32 = 2555;

/// How often a service that seals destroys the keys of months past its retention period.
pub const RETENTION_SWEEP: std::time::Duration = std::time::Duration::from_secs(3600);

/// Retention by age for a service that seals (signalling, provision): at start and every hour,
/// every subject key of a month that ended more than `KINDPAKKET_RETENTION_DAYS` before the platform
/// clock's today is destroyed, so whatever was sealed under it — a signal's reason, a note, a
/// rejection reason, a proof reference — reads as forgotten, in the store, in replays and in old
/// backups of the events, whoever it was about. Moving the clock (`KINDPAKKET_CLOCK_OFFSET_DAYS`)
/// rehearses it.
pub fn sweep_by_age(infrastructure: &mut crate::service::Infrastructure, keys: SubjectKeys) {
    let days = infrastructure.config.keys.retention_days;
    infrastructure.every("retention", RETENTION_SWEEP, move || {
        let keys = keys.clone();
        async move {
            let cutoff = crate::clock::today() - time::Duration::days(i64::from(days));
            let destroyed = keys.forget_sealed_before(cutoff).await?;
            if destroyed > 0 {
                tracing::info!(destroyed, %cutoff, "destroyed the subject keys of months past retention");
            }
            Ok(())
        }
    });
}

/// The keys database a service uses when none is configured: `<database>_keys`.
pub fn keys_database(service: &crate::config::ServiceConfig) -> crate::db::DatabaseConfig {
    match &service.keys.database_url {
        Some(url) => service.database.with_url(url.clone()),
        None => service.database.next_to("_keys"),
    }
}

/// The subject keys of one service.
#[derive(Clone)]
pub struct SubjectKeys {
    pool: PgPool,
    master: Arc<dyn KeyWrapper>,
    random: SystemRandom,
}

/// Why a value could not be sealed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The subject was forgotten: nothing new is kept of them.
    #[error("this person was forgotten; nothing new is kept of them")]
    Forgotten,
    #[error(transparent)]
    Technical(#[from] anyhow::Error),
}

impl From<sqlx::Error> for SealError {
    fn from(error: sqlx::Error) -> Self {
        SealError::Technical(error.into())
    }
}

/// A row of the keys table: subject, epoch, master version, nonce, wrapped key.
type StoredKey = (Uuid, i32, i32, Vec<u8>, Vec<u8>);

#[derive(sqlx::FromRow)]
struct KeyRow {
    master_version: i32,
    nonce: Vec<u8>,
    wrapped: Vec<u8>,
}

/// A subject's stored key, if it has one; else whether one was made, or the subject forgotten.
#[derive(sqlx::FromRow)]
struct ReadOrMade {
    master_version: Option<i32>,
    nonce: Option<Vec<u8>>,
    wrapped: Option<Vec<u8>>,
    made: bool,
    forgotten: bool,
}

impl SubjectKeys {
    pub fn new(pool: PgPool, master: Arc<dyn KeyWrapper>) -> Self {
        Self {
            pool,
            master,
            random: SystemRandom::new(),
        }
    }

    /// Seals `value` under `subject`'s key, making the key when the subject has none yet.
    pub async fn seal<T: Serialize>(
        &self,
        subject: Uuid,
        value: &T,
    ) -> Result<Sealed<T>, SealError> {
        let epoch = crate::clock::month_of(crate::clock::today());
        let key = self.key_for_sealing(subject, epoch).await?;
        let plaintext = serde_json::to_vec(value).map_err(anyhow::Error::from)?;
        let (nonce, ciphertext) = seal_bytes(
            &key,
            &self.random,
            &associated_data(subject, epoch),
            &plaintext,
        )?;
        Ok(Sealed {
            subject,
            epoch,
            nonce: STANDARD.encode(nonce),
            ciphertext: STANDARD.encode(ciphertext),
            kind: PhantomData,
        })
    }

    /// Opens a sealed value; [`Opened::Forgotten`] once its subject's key was destroyed.
    pub async fn open<T: DeserializeOwned>(&self, sealed: &Sealed<T>) -> Result<Opened<T>> {
        let Some(key) = self.key_of(sealed.subject, sealed.epoch).await? else {
            return Ok(Opened::Forgotten);
        };
        let nonce = STANDARD.decode(&sealed.nonce).context("a sealed nonce")?;
        let ciphertext = STANDARD
            .decode(&sealed.ciphertext)
            .context("a sealed value")?;
        let plaintext = open_bytes(
            &key,
            &nonce,
            &associated_data(sealed.subject, sealed.epoch),
            &ciphertext,
        )?;
        Ok(Opened::Value(serde_json::from_slice(&plaintext)?))
    }

    /// Destroys `subject`'s keys: every value sealed under them is unreadable from now on, wherever
    /// it was copied, and no key is made for the subject again. Returns whether there was a key.
    pub async fn forget(&self, subject: Uuid, why: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let removed = sqlx::query("DELETE FROM subject_keys WHERE subject = $1")
            .bind(subject)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query(
            "INSERT INTO forgotten_subjects (subject, why) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(subject)
        .bind(why)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(removed > 0)
    }

    /// Retention: destroys every key of a month that ended before `cutoff`, so that whatever was
    /// sealed before that month is unreadable. The subjects are not forgotten: what is sealed for
    /// them from now on gets a key of its month. Returns how many keys were destroyed.
    pub async fn forget_sealed_before(&self, cutoff: Date) -> Result<u64> {
        let removed = sqlx::query("DELETE FROM subject_keys WHERE epoch < $1")
            .bind(crate::clock::month_of(cutoff))
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(removed)
    }

    /// Wraps every key that an older master key version wrapped with the current one, so the older
    /// version can be destroyed (after the keys database's backups of its time have expired).
    pub async fn rewrap(&self) -> Result<u64> {
        let current = i32::try_from(self.master.current_version())?;
        let rows: Vec<StoredKey> = sqlx::query_as(
            "SELECT subject, epoch, master_version, nonce, wrapped FROM subject_keys WHERE master_version <> $1",
        )
        .bind(current)
        .fetch_all(&self.pool)
        .await?;
        let mut count = 0;
        for (subject, epoch, version, nonce, bytes) in rows {
            let key = self.master.unwrap(&Wrapped {
                version: u32::try_from(version)?,
                nonce,
                bytes,
            })?;
            let wrapped = self.master.wrap(&key)?;
            sqlx::query(
                "UPDATE subject_keys SET master_version = $3, nonce = $4, wrapped = $5 WHERE subject = $1 AND epoch = $2",
            )
            .bind(subject)
            .bind(epoch)
            .bind(i32::try_from(wrapped.version)?)
            .bind(&wrapped.nonce)
            .bind(&wrapped.bytes)
            .execute(&self.pool)
            .await?;
            count += 1;
        }
        Ok(count)
    }

    /// Whether `subject` was forgotten.
    pub async fn is_forgotten(&self, subject: Uuid) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM forgotten_subjects WHERE subject = $1)",
        )
        .bind(subject)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn key_of(&self, subject: Uuid, epoch: i32) -> Result<Option<LessSafeKey>> {
        let row: Option<KeyRow> = sqlx::query_as(
            "SELECT master_version, nonce, wrapped FROM subject_keys WHERE subject = $1 AND epoch = $2",
        )
        .bind(subject)
        .bind(epoch)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let key = self.master.unwrap(&Wrapped {
            version: u32::try_from(row.master_version)?,
            nonce: row.nonce,
            bytes: row.wrapped,
        })?;
        let unbound =
            UnboundKey::new(&AES_256_GCM, &key).map_err(|_| anyhow!("bad subject key"))?;
        Ok(Some(LessSafeKey::new(unbound)))
    }

    /// The key `subject`'s values of `epoch` are sealed under: the one it has, or one made now unless
    /// the subject was forgotten — read or made in one statement (one round trip either way). A key
    /// made is committed (and flushed, as every commit) before it is returned: a value sealed under
    /// it is only ever stored after its key is durable, so a crash can lose an unused key but never
    /// the key of something stored. The candidate key is drawn and wrapped before the statement and
    /// dropped unused when the subject has a key.
    async fn key_for_sealing(&self, subject: Uuid, epoch: i32) -> Result<LessSafeKey, SealError> {
        let mut key = [0u8; 32];
        self.random
            .fill(&mut key)
            .map_err(|_| anyhow!("the system's random source failed"))?;
        let wrapped = self.master.wrap(&key)?;
        // The stored key, if any; else made, or why not: the subject was forgotten, or another seal
        // made its key after this statement's snapshot (the insert waited for that one to commit;
        // its key is read below and this one dropped unused).
        let row: ReadOrMade = sqlx::query_as(
            "WITH existing AS (
                 SELECT master_version, nonce, wrapped FROM subject_keys WHERE subject = $1 AND epoch = $2),
             forgotten AS (
                 SELECT EXISTS (SELECT 1 FROM forgotten_subjects WHERE subject = $1) AS yes),
             made AS (
                 INSERT INTO subject_keys (subject, epoch, master_version, nonce, wrapped)
                 SELECT $1, $2, $3, $4, $5
                  WHERE NOT EXISTS (SELECT 1 FROM existing) AND NOT (SELECT yes FROM forgotten)
                 ON CONFLICT (subject, epoch) DO NOTHING
                 RETURNING 1)
             SELECT e.master_version, e.nonce, e.wrapped,
                    EXISTS (SELECT 1 FROM made) AS made, (SELECT yes FROM forgotten) AS forgotten
               FROM (SELECT 1) AS one LEFT JOIN existing AS e ON true",
        )
        .bind(subject)
        .bind(epoch)
        .bind(i32::try_from(wrapped.version).map_err(anyhow::Error::from)?)
        .bind(&wrapped.nonce)
        .bind(&wrapped.bytes)
        .fetch_one(&self.pool)
        .await?;
        if let (Some(master_version), Some(nonce), Some(bytes)) =
            (row.master_version, row.nonce, row.wrapped)
        {
            let key = self.master.unwrap(&Wrapped {
                version: u32::try_from(master_version).map_err(anyhow::Error::from)?,
                nonce,
                bytes,
            })?;
            let unbound =
                UnboundKey::new(&AES_256_GCM, &key).map_err(|_| anyhow!("bad subject key"))?;
            return Ok(LessSafeKey::new(unbound));
        }
        if row.made {
            let unbound =
                UnboundKey::new(&AES_256_GCM, &key).map_err(|_| anyhow!("bad subject key"))?;
            return Ok(LessSafeKey::new(unbound));
        }
        if row.forgotten {
            return Err(SealError::Forgotten);
        }
        match self.key_of(subject, epoch).await? {
            Some(key) => Ok(key),
            None if self.is_forgotten(subject).await? => Err(SealError::Forgotten),
            None => Err(SealError::Technical(anyhow!(
                "the subject key another seal made is gone"
            ))),
        }
    }
}

/// A document's bytes sealed under one subject's key (a proof of a declaration): like [`Sealed`], but
/// raw bytes for a `bytea` column, with no JSON (and no base64) around them.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedBytes {
    pub subject: Uuid,
    pub epoch: i32,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

impl std::fmt::Debug for SealedBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedBytes")
            .field("subject", &self.subject)
            .field("epoch", &self.epoch)
            .field("bytes", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

impl SubjectKeys {
    /// Seals raw bytes under `subject`'s key of this month (made when the subject has none yet).
    pub async fn seal_document(
        &self,
        subject: Uuid,
        plaintext: &[u8],
    ) -> Result<SealedBytes, SealError> {
        let epoch = crate::clock::month_of(crate::clock::today());
        let key = self.key_for_sealing(subject, epoch).await?;
        let (nonce, ciphertext) = seal_bytes(
            &key,
            &self.random,
            &document_associated_data(subject, epoch),
            plaintext,
        )?;
        Ok(SealedBytes {
            subject,
            epoch,
            nonce,
            ciphertext,
        })
    }

    /// Opens sealed bytes; [`Opened::Forgotten`] once the subject's key (of that month) is gone.
    pub async fn open_document(&self, sealed: &SealedBytes) -> Result<Opened<Vec<u8>>> {
        let Some(key) = self.key_of(sealed.subject, sealed.epoch).await? else {
            return Ok(Opened::Forgotten);
        };
        Ok(Opened::Value(open_bytes(
            &key,
            &sealed.nonce,
            &document_associated_data(sealed.subject, sealed.epoch),
            &sealed.ciphertext,
        )?))
    }
}

/// What sealed bytes are bound to: their subject, their month, and that they are a document (a
/// document's ciphertext never opens as a sealed JSON value, nor the other way round).
fn document_associated_data(subject: Uuid, epoch: i32) -> Vec<u8> {
    let mut aad = associated_data(subject, epoch);
    aad.extend_from_slice(b"document");
    aad
}

/// What a sealed value is bound to: its subject and its month. A value copied into another
/// subject's event, or relabelled with another month, does not open.
fn associated_data(subject: Uuid, epoch: i32) -> Vec<u8> {
    let mut aad = subject.as_bytes().to_vec();
    aad.extend_from_slice(&epoch.to_be_bytes());
    aad
}

fn seal_bytes(
    key: &LessSafeKey,
    random: &SystemRandom,
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(Vec<u8>, Vec<u8>)> {
    let mut nonce = [0u8; NONCE_LEN];
    random
        .fill(&mut nonce)
        .map_err(|_| anyhow!("the system's random source failed"))?;
    let mut buffer = plaintext.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        &mut buffer,
    )
    .map_err(|_| anyhow!("sealing failed"))?;
    Ok((nonce.to_vec(), buffer))
}

fn open_bytes(key: &LessSafeKey, nonce: &[u8], aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>> {
    let nonce: [u8; NONCE_LEN] = nonce
        .try_into()
        .map_err(|_| anyhow!("a nonce of the wrong length"))?;
    let mut buffer = ciphertext.to_vec();
    let plaintext = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut buffer,
        )
        .map_err(|_| {
            anyhow!("a sealed value does not open: tampered, or sealed for another subject")
        })?;
    Ok(plaintext.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn master() -> FileMasterKeys {
        let dir = tempfile_dir();
        let path = dir.join("master.json");
        FileMasterKeys::create(&path).unwrap();
        FileMasterKeys::load(&path).unwrap()
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("kindpakket-shredding-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_master_key_wraps_and_unwraps_and_a_destroyed_version_opens_nothing() {
        let keys = master();
        let wrapped = keys.wrap(b"a subject key of thirty-two bytes").unwrap();
        assert_eq!(
            keys.unwrap(&wrapped).unwrap(),
            b"a subject key of thirty-two bytes"
        );
        let gone = Wrapped {
            version: 7,
            ..wrapped
        };
        assert!(keys.unwrap(&gone).is_err());
    }

    #[test]
    fn a_sealed_value_is_bound_to_its_subject() {
        let random = SystemRandom::new();
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[7u8; 32]).unwrap());
        let child = Uuid::from_u128(1);
        let (nonce, ciphertext) = seal_bytes(&key, &random, child.as_bytes(), b"125%").unwrap();
        assert_eq!(
            open_bytes(&key, &nonce, child.as_bytes(), &ciphertext).unwrap(),
            b"125%"
        );
        let other = Uuid::from_u128(2);
        assert!(open_bytes(&key, &nonce, other.as_bytes(), &ciphertext).is_err());
    }

    #[test]
    fn a_sealed_value_shows_no_plaintext_in_its_json_or_debug_form() {
        let sealed: Sealed<u16> = Sealed {
            subject: Uuid::from_u128(1),
            epoch: 202612,
            nonce: STANDARD.encode([0u8; 12]),
            ciphertext: STANDARD.encode(b"opaque"),
            kind: PhantomData,
        };
        let json = serde_json::to_string(&sealed).unwrap();
        assert!(json.contains("\"s\"") && json.contains("\"c\""));
        let back: Sealed<u16> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, sealed);
        assert!(!format!("{sealed:?}").contains("opaque"));
    }
}
