//! Crypto-shredding, key epochs, master-key rotation, resealing legacy events and row-level security,
//! against a real PostgreSQL: the platform parts every service builds its forgetting on.

use std::sync::Arc;

use kindpakket_platform::db::{self, DatabaseConfig};
use kindpakket_platform::shredding::{
    FileMasterKeys, Opened, SealError, SubjectKeys, SUBJECT_KEYS_MIGRATION,
};
use kindpakket_platform::store::{reseal_events, EVENT_STORE_MIGRATION};
use kindpakket_proto::OrganisationId;
use kindpakket_tests::Postgres;
use sqlx::PgPool;
use time::Duration;
use uuid::Uuid;

/// One row of `subject_keys`: subject, epoch, master key version, nonce, wrapped key.
type KeyRow = (Uuid, i32, i32, Vec<u8>, Vec<u8>);

struct Keys {
    _postgres: Postgres,
    pool: PgPool,
    dir: tempfile::TempDir,
}

impl Keys {
    async fn start() -> Keys {
        let postgres = Postgres::start().await.unwrap();
        let config = DatabaseConfig {
            url: postgres.url("keys_test"),
            migration_owner: None,
        };
        let pool = db::open(&config, &[SUBJECT_KEYS_MIGRATION]).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        FileMasterKeys::create(&dir.path().join("master.json")).unwrap();
        Keys {
            _postgres: postgres,
            pool,
            dir,
        }
    }

    fn master_file(&self) -> std::path::PathBuf {
        self.dir.path().join("master.json")
    }

    /// The subject keys as a service opens them: the master keys file as it is now.
    fn subject_keys(&self) -> SubjectKeys {
        let master = FileMasterKeys::load(&self.master_file()).unwrap();
        SubjectKeys::new(self.pool.clone(), Arc::new(master))
    }

    fn master_versions(&self) -> serde_json::Map<String, serde_json::Value> {
        let text = std::fs::read_to_string(self.master_file()).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn write_master_versions(&self, versions: &serde_json::Map<String, serde_json::Value>) {
        std::fs::write(
            self.master_file(),
            serde_json::Value::Object(versions.clone()).to_string(),
        )
        .unwrap();
    }

    /// The keys table as a backup holds it.
    async fn backup(&self) -> Vec<KeyRow> {
        sqlx::query_as("SELECT subject, epoch, master_version, nonce, wrapped FROM subject_keys")
            .fetch_all(&self.pool)
            .await
            .unwrap()
    }

    async fn restore(&self, rows: &[KeyRow]) {
        for (subject, epoch, version, nonce, wrapped) in rows {
            sqlx::query(
                "INSERT INTO subject_keys (subject, epoch, master_version, nonce, wrapped)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(subject)
            .bind(epoch)
            .bind(version)
            .bind(nonce)
            .bind(wrapped)
            .execute(&self.pool)
            .await
            .unwrap();
        }
    }
}

#[tokio::test]
async fn a_forgotten_subject_opens_as_forgotten_and_gets_no_new_key() {
    let keys = Keys::start().await;
    let subject_keys = keys.subject_keys();
    let household = Uuid::new_v4();
    let other = Uuid::new_v4();
    let income = subject_keys.seal(household, &137u16).await.unwrap();
    let neighbour = subject_keys.seal(other, &95u16).await.unwrap();
    assert_eq!(
        subject_keys.open(&income).await.unwrap(),
        Opened::Value(137)
    );
    let stored = serde_json::to_string(&income).unwrap();
    assert!(!stored.contains("137"), "sealed JSON shows the value");

    assert!(subject_keys.forget(household, "verzoek").await.unwrap());
    assert_eq!(subject_keys.open(&income).await.unwrap(), Opened::Forgotten);
    assert!(subject_keys.is_forgotten(household).await.unwrap());
    assert!(matches!(
        subject_keys.seal(household, &140u16).await,
        Err(SealError::Forgotten)
    ));
    // Another household is untouched.
    assert_eq!(
        subject_keys.open(&neighbour).await.unwrap(),
        Opened::Value(95)
    );
    // Forgetting twice is harmless.
    assert!(!subject_keys.forget(household, "verzoek").await.unwrap());
}

/// Eight seals for one new subject that all find no key and then race to make one: one key is
/// made, the others wait for it and seal under it, so every value opens. The race is forced: the
/// table is locked against writes until all eight are waiting to insert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seals_racing_to_make_one_subjects_key_all_seal_under_the_one_made() {
    let keys = Keys::start().await;
    let subject_keys = keys.subject_keys();
    let child = Uuid::new_v4();
    let mut lock = keys.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE subject_keys IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let seals: Vec<_> = (0..8u16)
        .map(|value| {
            let subject_keys = subject_keys.clone();
            tokio::spawn(async move { (value, subject_keys.seal(child, &value).await) })
        })
        .collect();
    let waiting = async {
        loop {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity
                  WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO subject_keys%'",
            )
            .fetch_one(&keys.pool)
            .await
            .unwrap();
            if waiting == 8 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(20), waiting)
        .await
        .expect("all eight seals wait to make the key");
    lock.commit().await.unwrap();
    for seal in seals {
        let (value, sealed) = seal.await.unwrap();
        let sealed = sealed.unwrap();
        assert_eq!(
            subject_keys.open(&sealed).await.unwrap(),
            Opened::Value(value)
        );
    }
    let made: i64 = sqlx::query_scalar("SELECT count(*) FROM subject_keys WHERE subject = $1")
        .bind(child)
        .fetch_one(&keys.pool)
        .await
        .unwrap();
    assert_eq!(made, 1, "one key for the subject");
}

#[tokio::test]
async fn retention_destroys_the_months_before_its_cutoff_and_no_later_ones() {
    let keys = Keys::start().await;
    let subject_keys = keys.subject_keys();
    let child = Uuid::new_v4();
    let note = subject_keys
        .seal(child, &"marker-retentie".to_owned())
        .await
        .unwrap();
    let today = kindpakket_platform::clock::today();

    // A cutoff within this month keeps this month's keys.
    assert_eq!(subject_keys.forget_sealed_before(today).await.unwrap(), 0);
    assert!(subject_keys.open(&note).await.unwrap().value().is_some());

    // A cutoff in the next month destroys them; the child is not forgotten, new data gets a new key.
    let next_month = today + Duration::days(32);
    assert_eq!(
        subject_keys.forget_sealed_before(next_month).await.unwrap(),
        1
    );
    assert_eq!(subject_keys.open(&note).await.unwrap(), Opened::Forgotten);
    assert!(!subject_keys.is_forgotten(child).await.unwrap());
    let later = subject_keys.seal(child, &"nieuw".to_owned()).await.unwrap();
    assert_eq!(
        subject_keys.open(&later).await.unwrap(),
        Opened::Value("nieuw".to_owned())
    );
}

#[tokio::test]
async fn a_destroyed_key_restored_from_a_backup_opens_nothing_once_the_old_master_version_is_gone()
{
    let keys = Keys::start().await;
    let child = Uuid::new_v4();
    let sealed = keys
        .subject_keys()
        .seal(child, &"marker-backup".to_owned())
        .await
        .unwrap();
    let backup = keys.backup().await;

    // The key is destroyed; then the master key rotates: a new version, every key rewrapped,
    // the old version destroyed (after the backups of its time expired).
    assert!(keys.subject_keys().forget(child, "verzoek").await.unwrap());
    let mut versions = keys.master_versions();
    let new_key = {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("next.json");
        FileMasterKeys::create(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let next: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
        next["1"].clone()
    };
    versions.insert("2".to_owned(), new_key);
    keys.write_master_versions(&versions);
    let survivor = Uuid::new_v4();
    let kept = keys
        .subject_keys()
        .seal(survivor, &"blijft".to_owned())
        .await
        .unwrap();
    keys.subject_keys().rewrap().await.unwrap();
    versions.remove("1");
    keys.write_master_versions(&versions);

    // Someone restores the old keys table: the destroyed key is back, wrapped by version 1.
    keys.restore(&backup).await;
    let subject_keys = keys.subject_keys();
    assert!(
        subject_keys.open(&sealed).await.is_err(),
        "a key wrapped by a destroyed master version must not open"
    );
    assert_eq!(
        subject_keys.open(&kept).await.unwrap(),
        Opened::Value("blijft".to_owned())
    );
}

#[tokio::test]
async fn legacy_events_are_resealed_once_and_keep_their_place() {
    let postgres = Postgres::start().await.unwrap();
    let config = DatabaseConfig {
        url: postgres.url("reseal_test"),
        migration_owner: None,
    };
    let pool = db::open(&config, &[EVENT_STORE_MIGRATION]).await.unwrap();
    for (sequence, income) in [(1, 131), (2, 142)] {
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
             VALUES ('application', 'a-1', $1, 'Submitted', '1', $2, '{}')",
        )
        .bind(sequence)
        .bind(serde_json::json!({"income_percent": income, "children": 2}))
        .execute(&pool)
        .await
        .unwrap();
    }
    let positions_before: Vec<i64> =
        sqlx::query_scalar("SELECT global_position FROM events ORDER BY sequence")
            .fetch_all(&pool)
            .await
            .unwrap();

    // What a service does: the plaintext field out, a sealed one in (here a stand-in).
    let reseal = |_event_type: String, mut payload: serde_json::Value| async move {
        if let Some(fields) = payload.as_object_mut() {
            fields.remove("income_percent");
            fields.insert("sealed".to_owned(), serde_json::json!("verzegeld"));
        }
        Ok(payload)
    };
    let rewritten = reseal_events(&pool, &config, "application", "1", "2", reseal)
        .await
        .unwrap();
    assert_eq!(rewritten, 2);
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT event_version, payload::text FROM events ORDER BY sequence")
            .fetch_all(&pool)
            .await
            .unwrap();
    for (version, payload) in &rows {
        assert_eq!(version, "2");
        assert!(
            !payload.contains("131") && !payload.contains("142"),
            "{payload}"
        );
        assert!(payload.contains("\"children\":2"), "{payload}");
    }
    let positions_after: Vec<i64> =
        sqlx::query_scalar("SELECT global_position FROM events ORDER BY sequence")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(positions_before, positions_after);
    // Nothing left to do the second time.
    let again = reseal_events(&pool, &config, "application", "1", "2", reseal)
        .await
        .unwrap();
    assert_eq!(again, 0);
}

#[tokio::test]
async fn row_level_security_shows_an_organisation_its_own_rows_whatever_the_query_forgets() {
    let postgres = Postgres::start().await.unwrap();
    let admin = db::connect(&postgres.url("rls_test")).await.unwrap();
    // A role that owns the table, as a service's migration owner does: FORCE binds owners too
    // (superusers are never bound, so the test does not use one).
    sqlx::raw_sql(
        "CREATE ROLE reader LOGIN;
         CREATE TABLE partner_rows (organisation text NOT NULL, child uuid NOT NULL);
         ALTER TABLE partner_rows OWNER TO reader;
         ALTER TABLE partner_rows ENABLE ROW LEVEL SECURITY;
         ALTER TABLE partner_rows FORCE ROW LEVEL SECURITY;
         CREATE POLICY own_rows ON partner_rows
             USING (organisation = current_setting('kindpakket.organisation', true));",
    )
    .execute(&admin)
    .await
    .unwrap();
    for organisation in ["leergeld-nijmegen", "jeugdfonds-gelderland"] {
        sqlx::query("INSERT INTO partner_rows VALUES ($1, $2)")
            .bind(organisation)
            .bind(Uuid::new_v4())
            .execute(&admin)
            .await
            .unwrap();
    }
    let pool = db::connect(&postgres.url_as("reader", "rls_test"))
        .await
        .unwrap();
    let leergeld = OrganisationId::parse("leergeld-nijmegen").unwrap();
    let mut transaction = db::as_organisation(&pool, &leergeld).await.unwrap();
    // The query forgets its WHERE: the policy still shows one organisation's rows.
    let seen: Vec<String> = sqlx::query_scalar("SELECT organisation FROM partner_rows")
        .fetch_all(&mut *transaction)
        .await
        .unwrap();
    transaction.commit().await.unwrap();
    assert_eq!(seen, vec!["leergeld-nijmegen".to_owned()]);
    // Outside such a transaction the setting is gone: nothing at all.
    let outside: i64 = sqlx::query_scalar("SELECT count(*) FROM partner_rows")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(outside, 0);
}
