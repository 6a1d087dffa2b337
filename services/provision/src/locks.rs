//! Session advisory locks on a connection of their own: dropping the guard closes the session and
//! frees the lock, also when the request is cancelled halfway.

use sqlx::{PgConnection, PgPool};

pub struct Lock {
    _connection: PgConnection,
}

pub async fn lock(pool: &PgPool, key: &str) -> Result<Lock, sqlx::Error> {
    let mut connection = pool.acquire().await?.detach();
    sqlx::query("SELECT pg_advisory_lock(hashtext($1))")
        .bind(key)
        .execute(&mut connection)
        .await?;
    Ok(Lock {
        _connection: connection,
    })
}
