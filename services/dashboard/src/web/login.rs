//! Logging in on the pages: OpenID Connect's authorisation code flow with PKCE (S256) against the
//! gemeente's identity provider (Keycloak, Entra ID; the development issuer locally). The dashboard
//! is a confidential backend-for-frontend: the browser never holds a token, only the session cookie.
//!
//! `GET /aanmelden?terug=/pad` makes a `state` and a PKCE verifier, keeps them (hashed state) in
//! `page_logins` for ten minutes, binds them to this browser with a short cookie, and sends the
//! browser to the provider. `GET /aanmelden/terug?code&state` checks that the state is the one this
//! browser started with (no login forced onto someone else's browser), exchanges the code with the
//! verifier, checks the token as every service does, and opens a session.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use kindpakket_platform::auth::Authenticator;
use kindpakket_platform::db::Migration;
use kindpakket_platform::http::{Caller, CorrelationId};
use kindpakket_proto::Actor;
use ring::digest::{digest, SHA256};
use ring::rand::{SecureRandom, SystemRandom};
use serde::Deserialize;
use time::OffsetDateTime;
use tokio::sync::OnceCell;

use super::viewer::{error_page, PageForm};
use super::WebState;
use crate::http::page::SESSION_COOKIE;
use crate::sessions::{self, SessionId};

pub const LOGINS_MIGRATION: Migration = Migration {
    name: "0210_page_logins",
    sql: r#"
        CREATE TABLE page_logins (
            state_hash bytea PRIMARY KEY,
            verifier   text NOT NULL,
            back_to    text NOT NULL,
            expires_at timestamptz NOT NULL
        );
    "#,
};

/// The cookie that binds a login in progress to the browser that started it.
const LOGIN_COOKIE: &str = "kindpakket_aanmelding";

/// The identity provider, as configured (`KINDPAKKET_OIDC_ISSUER_URL`, `KINDPAKKET_OIDC_CLIENT_ID`)
/// and discovered (`/.well-known/openid-configuration`, read once).
#[derive(Debug)]
pub struct Oidc {
    pub issuer_url: String,
    pub client_id: String,
    /// The pages' own address, for the redirect URI (`KINDPAKKET_PUBLIC_URL`).
    pub public_url: String,
    endpoints: OnceCell<Endpoints>,
    http: reqwest::Client,
}

#[derive(Debug, Clone, Deserialize)]
struct Endpoints {
    authorization_endpoint: String,
    token_endpoint: String,
}

/// The provider's answer to a code exchange or a refresh.
#[derive(Debug, Deserialize)]
pub struct TokenAnswer {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
}

impl Oidc {
    pub fn new(issuer_url: &str, client_id: &str, public_url: &str) -> Self {
        Self {
            issuer_url: issuer_url.trim_end_matches('/').to_owned(),
            client_id: client_id.to_owned(),
            public_url: public_url.trim_end_matches('/').to_owned(),
            endpoints: OnceCell::new(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
        }
    }

    fn redirect_uri(&self) -> String {
        format!("{}/aanmelden/terug", self.public_url)
    }

    async fn endpoints(&self) -> anyhow::Result<&Endpoints> {
        self.endpoints
            .get_or_try_init(|| async {
                let url = format!("{}/.well-known/openid-configuration", self.issuer_url);
                let endpoints: Endpoints = self
                    .http
                    .get(&url)
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                anyhow::Ok(endpoints)
            })
            .await
    }
}

fn random(bytes: usize) -> anyhow::Result<String> {
    let mut buffer = vec![0u8; bytes];
    SystemRandom::new()
        .fill(&mut buffer)
        .map_err(|_| anyhow::anyhow!("the system's random source failed"))?;
    Ok(URL_SAFE_NO_PAD.encode(buffer))
}

fn hash(text: &str) -> Vec<u8> {
    digest(&SHA256, text.as_bytes()).as_ref().to_vec()
}

/// Only a path of this site to go back to after logging in: `/x`, never `//elsewhere` or a URL.
pub fn safe_back(back: Option<&str>) -> String {
    match back {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains(['\\', '\r', '\n'])
                && !path.starts_with("/aanmelden") =>
        {
            path.to_owned()
        }
        _ => "/start".to_owned(),
    }
}

#[derive(Debug, Deserialize)]
pub struct BeginQuery {
    terug: Option<String>,
}

fn over_https(web: &WebState, headers: &HeaderMap) -> bool {
    web.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

/// `GET /aanmelden`: to the identity provider.
pub async fn begin(
    State(web): State<WebState>,
    headers: HeaderMap,
    Query(query): Query<BeginQuery>,
) -> Response {
    let Some(oidc) = web.oidc.clone() else {
        return error_page(
            &web,
            StatusCode::SERVICE_UNAVAILABLE,
            "Inloggen is op deze omgeving niet ingesteld (KINDPAKKET_OIDC_ISSUER_URL).",
        );
    };
    match start_login(&web, &oidc, &safe_back(query.terug.as_deref())).await {
        Ok((state, location)) => {
            let cookie = Cookie::build((LOGIN_COOKIE, state))
                .path("/aanmelden")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(over_https(&web, &headers))
                .max_age(time::Duration::minutes(10))
                .build();
            (CookieJar::new().add(cookie), Redirect::to(&location)).into_response()
        }
        Err(error) => {
            tracing::error!(%error, "starting a login");
            error_page(
                &web,
                StatusCode::BAD_GATEWAY,
                "De inlogdienst van de gemeente is nu niet bereikbaar. Probeer het over een paar minuten opnieuw.",
            )
        }
    }
}

async fn start_login(web: &WebState, oidc: &Oidc, back: &str) -> anyhow::Result<(String, String)> {
    let endpoints = oidc.endpoints().await?;
    let state = random(24)?;
    let verifier = random(48)?;
    let challenge = URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()));
    sqlx::query("DELETE FROM page_logins WHERE expires_at < now()")
        .execute(&web.pool)
        .await?;
    sqlx::query(
        "INSERT INTO page_logins (state_hash, verifier, back_to, expires_at)
         VALUES ($1, $2, $3, now() + interval '10 minutes')",
    )
    .bind(hash(&state))
    .bind(&verifier)
    .bind(back)
    .execute(&web.pool)
    .await?;
    let mut location = url::Url::parse(&endpoints.authorization_endpoint)?;
    location
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &oidc.client_id)
        .append_pair("redirect_uri", &oidc.redirect_uri())
        .append_pair("scope", "openid")
        .append_pair("state", &state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    Ok((state, location.to_string()))
}

#[derive(Debug, Deserialize)]
pub struct ReturnQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /aanmelden/terug`: the provider's answer; a session, and back to where the person was.
#[allow(clippy::too_many_arguments)]
pub async fn finish(
    State(web): State<WebState>,
    Extension(authenticator): Extension<Arc<Authenticator>>,
    correlation: Option<Extension<CorrelationId>>,
    headers: HeaderMap,
    cookies: CookieJar,
    Query(query): Query<ReturnQuery>,
) -> Response {
    let refuse = |message: &str| error_page(&web, StatusCode::BAD_REQUEST, message);
    if query.error.is_some() {
        return refuse(
            "Inloggen is afgebroken of geweigerd. Probeer het opnieuw vanaf de startpagina.",
        );
    }
    let (Some(code), Some(state)) = (query.code, query.state) else {
        return refuse(
            "Dit is geen geldig antwoord van de inlogdienst. Begin opnieuw bij de startpagina.",
        );
    };
    let started_here = cookies
        .get(LOGIN_COOKIE)
        .is_some_and(|cookie| cookie.value() == state);
    if !started_here {
        return refuse(
            "Deze inlog is niet in deze browser begonnen (of duurde te lang). Begin opnieuw bij de startpagina.",
        );
    }
    let Some(oidc) = web.oidc.clone() else {
        return refuse("Inloggen is op deze omgeving niet ingesteld.");
    };
    let pending: Option<(String, String)> = match sqlx::query_as(
        "DELETE FROM page_logins WHERE state_hash = $1 AND expires_at > now()
         RETURNING verifier, back_to",
    )
    .bind(hash(&state))
    .fetch_optional(&web.pool)
    .await
    {
        Ok(pending) => pending,
        Err(error) => {
            tracing::error!(%error, "reading a login in progress");
            return error_page(
                &web,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Inloggen lukte niet. Probeer het opnieuw.",
            );
        }
    };
    let Some((verifier, back)) = pending else {
        return refuse("Deze inlog is verlopen of al gebruikt. Begin opnieuw bij de startpagina.");
    };
    let answer = match exchange(&oidc, &code, &verifier).await {
        Ok(answer) => answer,
        Err(error) => {
            tracing::warn!(%error, "the code exchange failed");
            return error_page(
                &web,
                StatusCode::BAD_GATEWAY,
                "De inlogdienst gaf geen toegang. Begin opnieuw bij de startpagina.",
            );
        }
    };
    let token = answer.access_token.clone();
    let identity = match authenticator.verify(&token) {
        Ok(identity) => identity,
        Err(error) => return error_page(&web, StatusCode::UNAUTHORIZED, &error.to_string()),
    };
    let expires = i64::try_from(identity.expires)
        .ok()
        .and_then(|seconds| OffsetDateTime::from_unix_timestamp(seconds).ok())
        .unwrap_or_else(OffsetDateTime::now_utc);
    let caller = Caller {
        actor: Actor {
            organisation: identity.organisation,
            role: identity.role,
        },
        subject: identity.subject,
        gemeenten: identity.gemeenten,
        household: identity.household,
        correlation_id: correlation.map_or_else(uuid::Uuid::new_v4, |id| id.0 .0),
    };
    let tokens = sessions::SessionTokens {
        access: answer.access_token,
        refresh: answer.refresh_token,
    };
    let id: SessionId = match sessions::open(&web.pool, &caller, &tokens, expires).await {
        Ok(id) => id,
        Err(error) => {
            tracing::error!(%error, "opening a page session");
            return error_page(
                &web,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Inloggen lukte niet. Probeer het opnieuw.",
            );
        }
    };
    let secure = over_https(&web, &headers);
    let session = Cookie::build((SESSION_COOKIE, id.as_str().to_owned()))
        .path("/")
        .http_only(true)
        // Lax, not Strict: the first page after the provider's redirect must see the session. No
        // page changes anything on GET, and every form carries the session's form token.
        .same_site(SameSite::Lax)
        .secure(secure)
        .build();
    let mut done = Cookie::build((LOGIN_COOKIE, "")).path("/aanmelden").build();
    done.set_max_age(time::Duration::ZERO);
    (
        CookieJar::new().add(session).add(done),
        Redirect::to(&safe_back(Some(&back))),
    )
        .into_response()
}

async fn exchange(oidc: &Oidc, code: &str, verifier: &str) -> anyhow::Result<TokenAnswer> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", &oidc.redirect_uri())
        .append_pair("client_id", &oidc.client_id)
        .append_pair("code_verifier", verifier)
        .finish();
    oidc.token_request(body).await
}

impl Oidc {
    /// A new access token (and refresh token) for a session whose access token expires.
    pub async fn refresh(&self, refresh_token: &str) -> anyhow::Result<TokenAnswer> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "refresh_token")
            .append_pair("refresh_token", refresh_token)
            .append_pair("client_id", &self.client_id)
            .finish();
        self.token_request(body).await
    }

    async fn token_request(&self, body: String) -> anyhow::Result<TokenAnswer> {
        let endpoints = self.endpoints().await?;
        let answer: TokenAnswer = self
            .http
            .post(&endpoints.token_endpoint)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(answer)
    }
}

#[derive(Debug, Deserialize)]
pub struct Nothing {}

/// `POST /afmelden`: ends the session on the server and forgets the cookie.
pub async fn logout(
    State(web): State<WebState>,
    cookies: CookieJar,
    PageForm(_): PageForm<Nothing>,
) -> Response {
    if let Some(cookie) = cookies.get(SESSION_COOKIE) {
        if let Err(error) =
            sessions::close(&web.pool, &SessionId::from_cookie(cookie.value())).await
        {
            tracing::error!(%error, "closing a page session");
        }
    }
    let mut forgotten = Cookie::build((SESSION_COOKIE, "")).path("/").build();
    forgotten.set_max_age(time::Duration::ZERO);
    (
        CookieJar::new().add(forgotten),
        Redirect::to("/start?afgemeld=1"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::safe_back;

    #[test]
    fn only_a_path_of_this_site_is_gone_back_to() {
        assert_eq!(
            safe_back(Some("/signaleringen?na=3")),
            "/signaleringen?na=3"
        );
        for elsewhere in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
            "/aanmelden/terug",
            "",
        ] {
            assert_eq!(safe_back(Some(elsewhere)), "/start", "{elsewhere}");
        }
        assert_eq!(safe_back(None), "/start");
    }
}
