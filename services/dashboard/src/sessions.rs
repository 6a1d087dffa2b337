//! The page's own sessions. Logging in on the page turns a checked bearer token into a session of the
//! dashboard alone: the browser keeps a random session id in an HttpOnly cookie, the dashboard keeps
//! who it is (organisation, role, gemeenten) until the token's expiry or eight hours, whichever comes
//! first. The cookie is worth nothing to the other services' APIs, and logging out ends the session
//! on the server. Only a hash of the id is stored, so reading the table does not let anyone take a
//! session over.
//!
//! The pages call the services' APIs with the person's own token (the dashboard is their
//! backend-for-frontend), so a session keeps that token — sealed (AES-256-GCM) under a key derived
//! from the session id, which only the browser's cookie holds: a copy of the table, or of a backup,
//! gives no token.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use kindpakket_platform::db::Migration;
use kindpakket_platform::http::Caller;
use kindpakket_proto::{Actor, GemeenteCode, OrganisationId, Role};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
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

/// The person's token, kept with their session (see the module's documentation).
pub const SESSION_TOKENS_MIGRATION: Migration = Migration {
    name: "0209_page_session_tokens",
    sql: "ALTER TABLE page_sessions ADD COLUMN token_sealed bytea;",
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

    /// The key that seals this session's token: only whoever holds the id can derive it.
    fn token_key(&self) -> anyhow::Result<LessSafeKey> {
        let mut input = b"kindpakket-sessie-token\0".to_vec();
        input.extend_from_slice(self.0.as_bytes());
        let key = UnboundKey::new(&AES_256_GCM, digest(&SHA256, &input).as_ref())
            .map_err(|_| anyhow::anyhow!("a 256-bit key is an AES-256 key"))?;
        Ok(LessSafeKey::new(key))
    }

    fn seal(&self, token: &str) -> anyhow::Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| anyhow::anyhow!("the system's random source failed"))?;
        let mut sealed = token.as_bytes().to_vec();
        self.token_key()?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::empty(),
                &mut sealed,
            )
            .map_err(|_| anyhow::anyhow!("sealing the session's token failed"))?;
        let mut stored = nonce.to_vec();
        stored.extend(sealed);
        Ok(stored)
    }

    fn open_token(&self, stored: &[u8]) -> Option<String> {
        if stored.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = stored.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut sealed = sealed.to_vec();
        let plain = self
            .token_key()
            .ok()?
            .open_in_place(nonce, Aad::empty(), &mut sealed)
            .ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

/// The tokens a session keeps: the access token the pages call the APIs with, and the refresh
/// token that gets a new one when it expires (when the provider gave one).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SessionTokens {
    pub access: String,
    #[serde(default)]
    pub refresh: Option<String>,
}

impl SessionTokens {
    /// What is stored: JSON; a session of an earlier version held the bare access token.
    fn read(text: String) -> Self {
        serde_json::from_str(&text).unwrap_or(Self {
            access: text,
            refresh: None,
        })
    }
}

/// A live session: who, and the token the pages call the APIs with.
#[derive(Debug, Clone)]
pub struct Session {
    pub caller: Caller,
    /// `None` for a session opened before tokens were kept (it logs in again for the pages).
    pub token: Option<String>,
    pub refresh: Option<String>,
    pub expires: OffsetDateTime,
}

/// Opens a session for `caller` until `token_expires` (or [`LONGEST`] from now, if sooner; with a
/// refresh token, [`LONGEST`]), keeping the tokens sealed for the pages' calls.
pub async fn open(
    pool: &PgPool,
    caller: &Caller,
    tokens: &SessionTokens,
    token_expires: OffsetDateTime,
) -> anyhow::Result<SessionId> {
    let id = SessionId::new()?;
    let longest = OffsetDateTime::now_utc() + LONGEST;
    let expires = if tokens.refresh.is_some() {
        longest
    } else {
        token_expires.min(longest)
    };
    let token = serde_json::to_string(tokens)?;
    let token = token.as_str();
    let gemeenten: Vec<String> = caller.gemeenten.iter().map(ToString::to_string).collect();
    sqlx::query(
        "INSERT INTO page_sessions
           (id_hash, organisation, role, subject, gemeenten, expires_at, token_sealed)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.hash())
    .bind(caller.actor.organisation.as_str())
    .bind(caller.actor.role.as_str())
    .bind(&caller.subject)
    .bind(&gemeenten)
    .bind(expires)
    .bind(id.seal(token)?)
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
    token_sealed: Option<Vec<u8>>,
    expires_at: OffsetDateTime,
}

/// The caller of a live session, if `id` names one.
pub async fn find(
    pool: &PgPool,
    id: &SessionId,
    correlation_id: Uuid,
) -> anyhow::Result<Option<Caller>> {
    Ok(find_session(pool, id, correlation_id)
        .await?
        .map(|session| session.caller))
}

/// The live session `id` names, with its token opened.
pub async fn find_session(
    pool: &PgPool,
    id: &SessionId,
    correlation_id: Uuid,
) -> anyhow::Result<Option<Session>> {
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT organisation, role, subject, gemeenten, token_sealed, expires_at FROM page_sessions
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
    let tokens = row
        .token_sealed
        .as_deref()
        .and_then(|sealed| id.open_token(sealed))
        .map(SessionTokens::read);
    let (token, refresh) = match tokens {
        Some(tokens) => (Some(tokens.access), tokens.refresh),
        None => (None, None),
    };
    Ok(Some(Session {
        caller: Caller {
            actor: Actor { organisation, role },
            subject: row.subject,
            gemeenten: row
                .gemeenten
                .iter()
                .filter_map(|code| GemeenteCode::parse(code).ok())
                .collect(),
            household: None,
            correlation_id,
        },
        token,
        refresh,
        expires: row.expires_at,
    }))
}

/// Keeps the new tokens of a session after a refresh.
pub async fn replace_tokens(
    pool: &PgPool,
    id: &SessionId,
    tokens: &SessionTokens,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE page_sessions SET token_sealed = $2 WHERE id_hash = $1")
        .bind(id.hash())
        .bind(id.seal(&serde_json::to_string(tokens)?)?)
        .execute(pool)
        .await?;
    Ok(())
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

    #[test]
    fn a_sealed_token_opens_only_with_its_own_session_id() {
        let id = SessionId::new().unwrap();
        let sealed = id.seal("eyJ.het-token.van-de-gebruiker").unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains("het-token"));
        assert_eq!(
            id.open_token(&sealed).as_deref(),
            Some("eyJ.het-token.van-de-gebruiker")
        );
        assert_eq!(SessionId::new().unwrap().open_token(&sealed), None);
    }
}
