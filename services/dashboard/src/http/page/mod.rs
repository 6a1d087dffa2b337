//! The dashboard page for the kwartaaloverleg: plain server-rendered HTML with inline CSS, no
//! script, in Dutch, readable on a screen and printable on paper; behind the same reader check as the
//! API, for the gemeenten the reader acts for. The reader is who the `Authorization` header's token
//! says (as the gemeente's login proxy sends it), or who the page's own session says: `/inloggen`
//! checks a token once and opens a session ([`crate::sessions`]); the cookie holds only its random id.

pub mod view;

use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use kindpakket_platform::auth::Authenticator;
use kindpakket_platform::http::{ApiError, Authorized, Caller, CorrelationId, Roles};
use kindpakket_proto::Actor;
use serde::Deserialize;
use sqlx::PgPool;
use time::OffsetDateTime;

use super::LiveReaders;
use crate::projections::funnel::{self, Exact};
use crate::sessions::{self, SessionId};
use crate::web::layout::{role_label, tasks_for, HouseStyles, Layout, NavItem};
use crate::web::start::DashboardInHouseStyle;
use crate::web::viewer::{csrf_token, readable};
use view::{DashboardPage, LoginPage};

/// The cookie that carries a reader's session id after logging in on the page.
pub const SESSION_COOKIE: &str = "kindpakket_sessie";

/// What the pages need: the read model, and where people log in.
#[derive(Debug, Clone)]
pub struct PageState {
    pub pool: PgPool,
    /// The gemeente's login (or the development issuer's page on a developer's machine), when
    /// configured.
    pub login_url: Option<Arc<str>>,
    /// Whether the session cookie is marked `Secure` (the page is served over HTTPS).
    pub secure_cookies: bool,
    /// The gemeenten's names and house styles.
    pub house: Arc<HouseStyles>,
}

impl PageState {
    fn login_page(&self, status: StatusCode, problem: Option<&str>) -> Response {
        let page = LoginPage {
            layout: Layout::public("Inloggen op het dashboard", &self.house, None),
            problem,
            login_url: self.login_url.as_deref(),
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(error) => ApiError::internal(error).into_response(),
        }
    }
}

const NOT_A_READER: &str = "Dit dashboard is voor de regievoerder en de auditor; het kwartaaloverleg leest de vastgestelde kwartaalcijfers op /overleg. Log in met een account met een van die rollen.";

/// `GET /`: the page for the gemeenten the reader acts for, rendered from the read model at every
/// request (it refreshes itself every 10 seconds); without a valid token the login page (401), for
/// a role that reads no dashboard a 403 page.
#[tracing::instrument(skip_all)]
pub async fn dashboard(
    State(state): State<PageState>,
    cookies: CookieJar,
    reader: Result<Authorized<LiveReaders>, ApiError>,
) -> Result<Response, ApiError> {
    let reader = match reader {
        Ok(reader) => reader,
        // The token is valid, the role is not one of the readers.
        Err(refusal) if refusal.status == StatusCode::FORBIDDEN => {
            return Ok(state.login_page(StatusCode::FORBIDDEN, Some(NOT_A_READER)));
        }
        Err(refusal) => {
            return Ok(state.login_page(StatusCode::UNAUTHORIZED, Some(&refusal.detail)));
        }
    };
    let now = OffsetDateTime::now_utc();
    let names = |code: &str| state.house.name(code);
    // While the figures are rebuilt from the events they are incomplete: 503 with the progress.
    crate::rebuilding::refuse_while_rebuilding(&state.pool).await?;
    // Regie and the auditor, exactly: the overleg reads established quarters, never this live view.
    let overview = funnel::overview::<Exact>(&state.pool, &reader.gemeenten)
        .await
        .map_err(ApiError::internal)?;
    let figures = DashboardPage::new(&overview, now)
        .named(names)
        .render()
        .map_err(ApiError::internal)?;
    // In the house style of the reader's gemeente when there is one; with the reader's tasks and
    // logout when they came with a session cookie (a login proxy's reader has neither).
    let single = match reader.gemeenten.as_slice() {
        [gemeente] => Some(gemeente.as_str()),
        _ => None,
    };
    let mut layout = Layout::public("Dashboard", &state.house, single);
    if let Some(cookie) = cookies.get(SESSION_COOKIE) {
        layout.user = format!(
            "{} ({})",
            readable(reader.actor.organisation.as_str()),
            role_label(reader.actor.role)
        );
        layout.csrf = csrf_token(cookie.value());
        layout.nav = tasks_for(reader.actor.role)
            .map(|task| NavItem {
                href: task.path,
                label: task.label,
                current: false,
            })
            .collect();
    }
    let page = DashboardInHouseStyle { layout, figures };
    Ok(crate::web::viewer::render(&page))
}

/// Makes the reader of a live page session the caller of the request, when the request has no
/// `Authorization` header of its own; the page is then checked exactly as the API is.
pub async fn session_middleware(
    State(state): State<PageState>,
    cookies: CookieJar,
    mut request: Request,
    next: Next,
) -> Response {
    if !request.headers().contains_key(header::AUTHORIZATION) {
        if let Some(cookie) = cookies.get(SESSION_COOKIE) {
            let correlation_id = request
                .extensions()
                .get::<CorrelationId>()
                .map_or_else(uuid::Uuid::new_v4, |id| id.0);
            let id = SessionId::from_cookie(cookie.value());
            match sessions::find(&state.pool, &id, correlation_id).await {
                Ok(Some(caller)) => {
                    request.extensions_mut().insert(caller);
                }
                Ok(None) => {}
                Err(error) => return ApiError::internal(error).into_response(),
            }
        }
    }
    next.run(request).await
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    token: String,
}

/// The session cookie: for this browser session, not readable by scripts, never sent along from
/// another site, and only over HTTPS when the page is served so.
fn session_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .build()
}

/// Whether this request reached us over HTTPS (directly configured, or as the proxy in front says).
fn over_https(state: &PageState, headers: &axum::http::HeaderMap) -> bool {
    state.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

/// `POST /inloggen` (a form with `token`): checks the token as every request is checked and opens a
/// page session for its reader; the browser gets the session's id in an HttpOnly, SameSite=Strict
/// cookie (Secure over HTTPS), never the token.
#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<PageState>,
    Extension(authenticator): Extension<Arc<Authenticator>>,
    correlation: Option<Extension<CorrelationId>>,
    headers: axum::http::HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return state.login_page(
            StatusCode::BAD_REQUEST,
            Some("Vul een toegangstoken in (formulierveld token) en probeer het opnieuw."),
        );
    };
    let token = form.token.trim();
    match authenticator.verify(token) {
        Ok(identity) if LiveReaders::ROLES.contains(&identity.role) => {
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
                household: None,
                correlation_id: correlation.map_or_else(uuid::Uuid::new_v4, |id| id.0 .0),
            };
            match sessions::open(
                &state.pool,
                &caller,
                &sessions::SessionTokens {
                    access: token.to_owned(),
                    refresh: None,
                },
                expires,
            )
            .await {
                Ok(id) => {
                    let secure = over_https(&state, &headers);
                    let cookies =
                        CookieJar::new().add(session_cookie(id.as_str().to_owned(), secure));
                    (cookies, Redirect::to("/")).into_response()
                }
                Err(error) => ApiError::internal(error).into_response(),
            }
        }
        Ok(_) => state.login_page(
            StatusCode::FORBIDDEN,
            Some("Dit dashboard is voor het kwartaaloverleg, de regievoerder en de auditor; uw rol hoort daar niet bij."),
        ),
        Err(error) => state.login_page(StatusCode::UNAUTHORIZED, Some(&error.to_string())),
    }
}

/// `GET /inloggen`: the login page.
#[tracing::instrument(skip_all)]
pub async fn login_form(State(state): State<PageState>) -> Response {
    state.login_page(StatusCode::OK, None)
}

/// `POST /uitloggen`: ends the page session on the server and forgets its cookie.
#[tracing::instrument(skip_all)]
pub async fn logout(
    State(state): State<PageState>,
    cookies: CookieJar,
    headers: axum::http::HeaderMap,
) -> Response {
    if let Some(cookie) = cookies.get(SESSION_COOKIE) {
        if let Err(error) =
            sessions::close(&state.pool, &SessionId::from_cookie(cookie.value())).await
        {
            return ApiError::internal(error).into_response();
        }
    }
    let mut forgotten = session_cookie(String::new(), over_https(&state, &headers));
    forgotten.set_max_age(time::Duration::ZERO);
    (CookieJar::new().add(forgotten), Redirect::to("/inloggen")).into_response()
}
