//! The dashboard page for the kwartaaloverleg: plain server-rendered HTML with inline CSS, no
//! script, in Dutch, readable on a screen and printable on paper; behind the same token check as the
//! API, for the gemeenten the reader acts for. The token comes from the `Authorization` header (as
//! the gemeente's login proxy sends it) or from the session cookie `/inloggen` sets.

pub mod view;

use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use kindpakket_platform::auth::Authenticator;
use kindpakket_platform::http::{ApiError, Authorized, Roles};
use serde::Deserialize;
use sqlx::PgPool;
use time::OffsetDateTime;

use super::{for_the_overleg, Readers};
use crate::projections::funnel::{self, Exact, Overleg};
use view::{DashboardPage, LoginPage};

/// The cookie that carries a reader's token after logging in on the page.
pub const SESSION_COOKIE: &str = "kindpakket_token";

/// What the pages need: the read model, and where people log in.
#[derive(Debug, Clone)]
pub struct PageState {
    pub pool: PgPool,
    /// The gemeente's login (or the development issuer's page on a developer's machine), when
    /// configured.
    pub login_url: Option<Arc<str>>,
}

impl PageState {
    fn login_page(&self, status: StatusCode, problem: Option<&str>) -> Response {
        let page = LoginPage {
            problem,
            login_url: self.login_url.as_deref(),
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(error) => ApiError::internal(error).into_response(),
        }
    }
}

const NOT_A_READER: &str = "Dit dashboard is voor het kwartaaloverleg, de regievoerder en de auditor. Log in met een account met een van die rollen.";

/// `GET /`: the page for the gemeenten the reader acts for, rendered from the read model at every
/// request (it refreshes itself every 10 seconds); without a valid token the login page (401), for
/// a role that reads no dashboard a 403 page.
#[tracing::instrument(skip_all)]
pub async fn dashboard(
    State(state): State<PageState>,
    reader: Result<Authorized<Readers>, ApiError>,
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
    let page = if for_the_overleg(&reader) {
        let overview = funnel::overview::<Overleg>(&state.pool, &reader.gemeenten)
            .await
            .map_err(ApiError::internal)?;
        DashboardPage::new(&overview, now).render()
    } else {
        let overview = funnel::overview::<Exact>(&state.pool, &reader.gemeenten)
            .await
            .map_err(ApiError::internal)?;
        DashboardPage::new(&overview, now).render()
    };
    Ok(Html(page.map_err(ApiError::internal)?).into_response())
}

/// Puts the session cookie's token in the `Authorization` header when the request has none, so
/// the page is checked exactly as the API is.
pub async fn session_cookie_middleware(
    cookies: CookieJar,
    mut request: Request,
    next: Next,
) -> Response {
    if !request.headers().contains_key(header::AUTHORIZATION) {
        let bearer = cookies
            .get(SESSION_COOKIE)
            .map(|cookie| HeaderValue::from_str(&format!("Bearer {}", cookie.value())));
        if let Some(Ok(value)) = bearer {
            request.headers_mut().insert(header::AUTHORIZATION, value);
        }
    }
    next.run(request).await
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    token: String,
}

/// The session cookie: for this browser session, not readable by scripts, never sent along from
/// another site.
fn session_cookie(token: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .build()
}

/// `POST /inloggen` (a form with `token`): checks the token as every request is checked and keeps it
/// in an HttpOnly, SameSite=Strict cookie for this browser session.
#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<PageState>,
    Extension(authenticator): Extension<Arc<Authenticator>>,
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
        Ok(identity) if Readers::ROLES.contains(&identity.role) => {
            let cookies = CookieJar::new().add(session_cookie(token.to_owned()));
            (cookies, Redirect::to("/")).into_response()
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

/// `POST /uitloggen`: forgets the session cookie.
#[tracing::instrument(skip_all)]
pub async fn logout() -> Response {
    let forgotten = Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::ZERO)
        .build();
    (CookieJar::new().add(forgotten), Redirect::to("/inloggen")).into_response()
}
