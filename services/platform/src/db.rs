//! A service's own database: connect (creating it when missing) and migrate.

use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

/// One migration: a name that never changes and the SQL to run once.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub name: &'static str,
    pub sql: &'static str,
}

/// A pooled connection idle for longer than this is pinged before use.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_millis(500);

/// Connects to the database in `url`, creating the database first when it does not exist.
/// Retries for a while, so a service may start before Postgres does.
pub async fn connect(url: &str) -> Result<PgPool> {
    let options =
        PgConnectOptions::from_str(url).context("KINDPAKKET_DATABASE_URL is not a postgres url")?;
    connect_with(options).await
}

async fn connect_with(options: PgConnectOptions) -> Result<PgPool> {
    let database = options
        .get_database()
        .context("KINDPAKKET_DATABASE_URL must name a database")?
        .to_owned();
    let mut attempt = 0;
    loop {
        match ensure_database(&options, &database).await {
            Ok(()) => break,
            Err(error) if attempt < 30 => {
                attempt += 1;
                tracing::warn!(%database, error = %error, attempt, "database not reachable yet, retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(error) => return Err(error),
        }
    }
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        // sqlx pings a connection when it goes back to the pool (in the background), and by
        // default again when it is taken out: a round trip on the request's path per statement.
        // Taken out within a moment of its release ping, it is not pinged again; one that sat idle
        // longer (Postgres may have restarted meanwhile) is, and a dead one is replaced as before.
        // One killed within that moment fails its next statement (nothing half-done) and is
        // dropped by the release ping.
        .test_before_acquire(false)
        .before_acquire(|connection, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_WHEN_IDLE_FOR {
                    connection.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_with(options.log_statements(tracing::log::LevelFilter::Trace))
        .await
        .with_context(|| format!("connecting to database {database}"))?;
    Ok(pool)
}

async fn ensure_database(options: &PgConnectOptions, database: &str) -> Result<()> {
    let maintenance = options.clone().database("postgres");
    let mut connection = PgConnection::connect_with(&maintenance).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(database)
            .fetch_one(&mut connection)
            .await?;
    if !exists {
        let statement = format!("CREATE DATABASE \"{}\"", database.replace('"', ""));
        match sqlx::raw_sql(&statement).execute(&mut connection).await {
            Ok(_) => tracing::info!(%database, "created database"),
            // Another instance created it at the same moment.
            Err(sqlx::Error::Database(error)) if error.code().as_deref() == Some("42P04") => {}
            Err(error) => return Err(error.into()),
        }
    }
    connection.close().await?;
    Ok(())
}

/// Tables a service may only append to and read: no UPDATE, DELETE or TRUNCATE, whatever else its
/// role may do. The event log is the truth; the audit log is evidence.
pub const APPEND_ONLY_TABLES: &[&str] = &["events", "audit_log"];

/// Where a service's database is and who may change its schema.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// The service's own database, as the service's role connects (`KINDPAKKET_DATABASE_URL`).
    pub url: String,
    /// The owner who migrates it (`KINDPAKKET_MIGRATION_USER` and `_PASSWORD`), when the service's
    /// role is not to change its own schema.
    pub migration_owner: Option<MigrationOwner>,
}

impl DatabaseConfig {
    /// The database named as this one plus `suffix` (`kindpakket_provision_keys`), on the same
    /// server with the same options and owner.
    pub fn next_to(&self, suffix: &str) -> Self {
        // The query may hold paths (`sslrootcert=/etc/...`): split it off before finding the name.
        let url = match self.url.split_once('?') {
            Some((location, query)) => format!("{location}{suffix}?{query}"),
            None => format!("{}{suffix}", self.url),
        };
        self.with_url(url)
    }

    /// Another database of the same service (the vault's), migrated by the same owner.
    pub fn with_url(&self, url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            migration_owner: self.migration_owner.clone(),
        }
    }
}

/// The Postgres role that owns a service's tables and migrates them.
#[derive(Clone)]
pub struct MigrationOwner {
    pub user: String,
    pub password: Option<String>,
}

impl std::fmt::Debug for MigrationOwner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MigrationOwner")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// Connects to the database as the service will run, after migrating it.
///
/// With a [`MigrationOwner`] configured, the database is created and migrated as that owner, who
/// then grants the service's own role (the user in the url) what it needs and no more: read and
/// write on its working tables, only SELECT and INSERT on the append-only ones
/// ([`APPEND_ONLY_TABLES`]), nothing on the schema. Without one the user in the url migrates
/// itself, as on a developer's machine.
pub async fn open(config: &DatabaseConfig, migrations: &[Migration]) -> Result<PgPool> {
    prepare(config, migrations).await?;
    connect(&config.url).await
}

/// Creates and migrates the database as [`open`] does, without keeping a connection.
pub async fn prepare(config: &DatabaseConfig, migrations: &[Migration]) -> Result<()> {
    let Some(owner) = &config.migration_owner else {
        let pool = connect(&config.url).await?;
        migrate(&pool, migrations).await?;
        pool.close().await;
        return Ok(());
    };
    let runtime = PgConnectOptions::from_str(&config.url)
        .context("KINDPAKKET_DATABASE_URL is not a postgres url")?;
    let role = runtime.get_username().to_owned();
    let mut owner_options = runtime.clone().username(&owner.user);
    if let Some(password) = &owner.password {
        owner_options = owner_options.password(password);
    }
    let owner_pool = connect_with(owner_options).await?;
    migrate(&owner_pool, migrations).await?;
    if role != owner.user {
        grant_least_privilege(&owner_pool, &role).await?;
    }
    owner_pool.close().await;
    Ok(())
}

/// A connection as the owner of the database (the [`MigrationOwner`], or the service's own role
/// when none is configured): for the rare data migration that rewrites what the service's role may
/// only append to.
pub async fn connect_as_owner(config: &DatabaseConfig) -> Result<PgPool> {
    let Some(owner) = &config.migration_owner else {
        return connect(&config.url).await;
    };
    let runtime = PgConnectOptions::from_str(&config.url)
        .context("KINDPAKKET_DATABASE_URL is not a postgres url")?;
    let mut options = runtime.username(&owner.user);
    if let Some(password) = &owner.password {
        options = options.password(password);
    }
    connect_with(options).await
}

/// The setting row-level security policies read the caller's organisation from.
pub const ORGANISATION_SETTING: &str = "kindpakket.organisation";

/// A transaction on behalf of one organisation: the row-level security policies of the read models
/// that several organisations read (`USING (organisation = current_setting('kindpakket.organisation',
/// true))`) show it its own rows only, whatever `WHERE` a query forgets. The setting is local to the
/// transaction, so a pooled connection never carries it into the next caller's work.
pub async fn as_organisation(
    pool: &PgPool,
    organisation: &kindpakket_proto::OrganisationId,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    let mut transaction = pool.begin().await?;
    sqlx::query("SELECT set_config($1, $2, true)")
        .bind(ORGANISATION_SETTING)
        .bind(organisation.as_str())
        .execute(&mut *transaction)
        .await?;
    Ok(transaction)
}

/// Run by the owner after every migration, so tables added later are covered too.
async fn grant_least_privilege(owner: &PgPool, role: &str) -> Result<()> {
    let append_only = APPEND_ONLY_TABLES
        .iter()
        .map(|table| format!("'{table}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let role = role.replace('\'', "''");
    let statement = format!(
        "DO $$
         DECLARE t text;
         BEGIN
           EXECUTE format('REVOKE CREATE ON SCHEMA public FROM %I', '{role}');
           EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', '{role}');
           FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
             EXECUTE format('REVOKE ALL ON TABLE public.%I FROM %I', t, '{role}');
             IF t = 'schema_migrations' THEN
               EXECUTE format('GRANT SELECT ON TABLE public.%I TO %I', t, '{role}');
             ELSIF t IN ({append_only}) THEN
               EXECUTE format('GRANT SELECT, INSERT ON TABLE public.%I TO %I', t, '{role}');
             ELSE
               EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.%I TO %I', t, '{role}');
             END IF;
           END LOOP;
           EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', '{role}');
         END $$"
    );
    // Two instances granting at once would race on the catalog; the migration lock serialises them.
    let mut connection = owner.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock(7011)")
        .execute(&mut *connection)
        .await?;
    let result = sqlx::raw_sql(&statement).execute(&mut *connection).await;
    sqlx::query("SELECT pg_advisory_unlock(7011)")
        .execute(&mut *connection)
        .await?;
    result.with_context(|| format!("granting role {role} its privileges"))?;
    tracing::info!(%role, "granted least privilege");
    Ok(())
}

/// Runs the migrations not yet applied, in order, each in its own transaction. An advisory lock
/// keeps two instances starting at once from running the same migration twice.
pub async fn migrate(pool: &PgPool, migrations: &[Migration]) -> Result<()> {
    let mut connection = pool.acquire().await?;
    // A service that runs without the right to change its schema (production, where a separate step
    // migrates as the owner) finds everything applied and touches nothing.
    if all_applied(&mut connection, migrations).await? {
        return Ok(());
    }
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            name text PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .execute(&mut *connection)
    .await?;
    sqlx::query("SELECT pg_advisory_lock(7011)")
        .execute(&mut *connection)
        .await?;
    let result = apply_missing(&mut connection, migrations).await;
    sqlx::query("SELECT pg_advisory_unlock(7011)")
        .execute(&mut *connection)
        .await?;
    result
}

/// Whether every migration is recorded as applied, read without any DDL.
async fn all_applied(connection: &mut PgConnection, migrations: &[Migration]) -> Result<bool> {
    let table: Option<String> = sqlx::query_scalar("SELECT to_regclass('schema_migrations')::text")
        .fetch_one(&mut *connection)
        .await?;
    if table.is_none() {
        return Ok(false);
    }
    let names: Vec<&str> = migrations.iter().map(|migration| migration.name).collect();
    let applied: i64 =
        sqlx::query_scalar("SELECT count(*) FROM schema_migrations WHERE name = ANY($1)")
            .bind(&names)
            .fetch_one(&mut *connection)
            .await?;
    Ok(usize::try_from(applied).unwrap_or(0) == names.len())
}

async fn apply_missing(connection: &mut PgConnection, migrations: &[Migration]) -> Result<()> {
    for migration in migrations {
        let applied: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE name = $1)")
                .bind(migration.name)
                .fetch_one(&mut *connection)
                .await?;
        if applied {
            continue;
        }
        let mut transaction = connection.begin().await?;
        sqlx::raw_sql(migration.sql)
            .execute(&mut *transaction)
            .await
            .with_context(|| format!("migration {}", migration.name))?;
        sqlx::query("INSERT INTO schema_migrations (name) VALUES ($1)")
            .bind(migration.name)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        tracing::info!(migration = migration.name, "applied migration");
    }
    Ok(())
}
