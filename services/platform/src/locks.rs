//! Advisory locks for invariants that span aggregates ("no two regeling versions overlap", "a budget
//! is not exceeded", "a delivery is invoiced once"): the check reads committed events and the command
//! commits while the lock is held.
//!
//! A lock lives on a connection of its own, detached from the pool: dropping the guard closes that
//! session and so frees the lock, also when the request is cancelled halfway or the task panics.

use sqlx::{PgConnection, PgPool};

/// Held advisory locks; dropping the guard frees them.
#[must_use = "the lock is freed as soon as the guard is dropped"]
pub struct AdvisoryLock {
    _session: PgConnection,
}

impl AdvisoryLock {
    /// Waits for the lock on every key, taken in sorted order so that two callers locking overlapping
    /// sets (a samenwerkingsverband and one of its gemeenten) cannot deadlock.
    pub async fn acquire<K: AsRef<str>>(pool: &PgPool, keys: &[K]) -> Result<Self, sqlx::Error> {
        let mut sorted: Vec<&str> = keys.iter().map(AsRef::as_ref).collect();
        sorted.sort_unstable();
        sorted.dedup();
        let mut session = pool.acquire().await?.detach();
        for key in sorted {
            sqlx::query("SELECT pg_advisory_lock(hashtext($1))")
                .bind(key)
                .execute(&mut session)
                .await?;
        }
        Ok(Self { _session: session })
    }

    /// Takes the lock on `key` if nobody holds it, without waiting: `None` when another session does.
    pub async fn try_acquire(pool: &PgPool, key: &str) -> Result<Option<Self>, sqlx::Error> {
        let mut session = pool.acquire().await?.detach();
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext($1))")
            .bind(key)
            .fetch_one(&mut session)
            .await?;
        Ok(locked.then_some(Self { _session: session }))
    }

    /// Checks that the session holding the lock is still alive (a lost session has lost the lock).
    pub async fn still_held(&mut self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&mut self._session).await?;
        Ok(())
    }
}
