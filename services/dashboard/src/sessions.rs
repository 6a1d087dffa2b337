//! The page's own sessions. Logging in on the page turns a checked bearer token into a session of the
//! dashboard alone: the browser keeps a random session id in an HttpOnly cookie, the dashboard keeps
//! who it is (organisation, role, gemeenten) until the token's expiry or eight hours, whichever comes
//! first. The cookie is worth nothing to the other services' APIs, and logging out ends the session
//! on the server. Only a hash of the id is stored, so reading the table does not let anyone take a
//! session over.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use kindpakket_platform::db::Migration;
use kindpakket_platform::http::Caller;
use kindpakket_proto::{Actor, GemeenteCode, OrganisationId, Role};
use ring::digest::{digest, SHA256};
use ring::rand::{SecureRandom, SystemRandom};
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

pub const SESSIONS_MIGRATION: Migration = Migration {
    name: "0203_page_sessions",
    sql: r#"
        CREATE TABLE page_sessions (
            id_hash      bytea PRIMARY KEY,
            organisation text   NOT NULL,
            role         text   NOT NULL,
            subject      text   NOT NULL,
            gemeenten    text[] NOT NULL,
            expires_at   timestamptz NOT NULL,
            created_at   timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX page_sessions_expiry ON page_sessions (expires_at);
    "#,
};

/// The longest a page session lasts, whatever the token said.
pub const LONGEST: Duration = Duration::hours(8);

/// A session id as the browser holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionId(String);

impl SessionId {
    /// 256 random bits, base64url.
    pub fn new() -> anyhow::Result<Self> {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| anyhow::anyhow!("the system's random source failed"))?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    pub fn from_cookie(value: &str) -> Self {
        Self(value.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn hash(&self) -> Vec<u8> {
        digest(&SHA256, self.0.as_bytes()).as_ref().to_vec()
    }
}

/// Opens a session for `caller` until `token_expires` (or [`LONGEST`] from now, if sooner).
pub async fn open(
    pool: &PgPool,
    caller: &Caller,
    token_expires: OffsetDateTime,
) -> anyhow::Result<SessionId> {
    let id = SessionId::new()?;
    let expires = token_expires.min(OffsetDateTime::now_utc() + LONGEST);
    let gemeenten: Vec<String> = caller.gemeenten.iter().map(ToString::to_string).collect();
    sqlx::query(
        "INSERT INTO page_sessions (id_hash, organisation, role, subject, gemeenten, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.hash())
    .bind(caller.actor.organisation.as_str())
    .bind(caller.actor.role.as_str())
    .bind(&caller.subject)
    .bind(&gemeenten)
    .bind(expires)
    .execute(pool)
    .await?;
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    organisation: String,
    role: String,
    subject: String,
    gemeenten: Vec<String>,
}

/// The caller of a live session, if `id` names one.
pub async fn find(
    pool: &PgPool,
    id: &SessionId,
    correlation_id: Uuid,
) -> anyhow::Result<Option<Caller>> {
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT organisation, role, subject, gemeenten FROM page_sessions
         WHERE id_hash = $1 AND expires_at > now()",
    )
    .bind(id.hash())
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let (Ok(organisation), Some(role)) = (
        OrganisationId::parse(&row.organisation),
        Role::parse(&row.role),
    ) else {
        return Ok(None);
    };
    Ok(Some(Caller {
        actor: Actor { organisation, role },
        subject: row.subject,
        gemeenten: row
            .gemeenten
            .iter()
            .filter_map(|code| GemeenteCode::parse(code).ok())
            .collect(),
        household: None,
        correlation_id,
    }))
}

/// Ends a session.
pub async fn close(pool: &PgPool, id: &SessionId) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM page_sessions WHERE id_hash = $1")
        .bind(id.hash())
        .execute(pool)
        .await?;
    Ok(())
}

/// Removes the sessions that have expired (a job).
pub async fn forget_expired(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM page_sessions WHERE expires_at <= now()")
        .execute(pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_long_random_and_url_safe() {
        let first = SessionId::new().unwrap();
        let second = SessionId::new().unwrap();
        assert_ne!(first, second);
        assert_eq!(first.as_str().len(), 43);
        assert!(first
            .as_str()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(first.hash().len(), 32);
    }
}
