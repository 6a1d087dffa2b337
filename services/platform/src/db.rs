//! A service's own database: connect (creating it when missing) and migrate.

use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

/// One migration: a name that never changes and the SQL to run once.
pub struct Migration {
    pub name: &'static str,
    pub sql: &'static str,
}

/// Connects to the database in `url`, creating the database first when it does not exist.
/// Retries for a while, so a service may start before Postgres does.
pub async fn connect(url: &str) -> Result<PgPool> {
    let options =
        PgConnectOptions::from_str(url).context("KINDPAKKET_DATABASE_URL is not a postgres url")?;
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

/// Runs the migrations not yet applied, in order, each in its own transaction. An advisory lock
/// keeps two instances starting at once from running the same migration twice.
pub async fn migrate(pool: &PgPool, migrations: &[Migration]) -> Result<()> {
    let mut connection = pool.acquire().await?;
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
