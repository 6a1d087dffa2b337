//! Who looks at a page: the person of the session cookie, in one of the roles a page is for, acting
//! for one of their gemeenten. [`Viewer`] is the extractor every page of a role takes; it sends
//! whoever is not logged in to the login, and refuses a role the page is not for with a Dutch page.
//! [`PageForm`] is the extractor of every form post: it refuses a post without this session's form
//! token, so another site cannot post a form in the person's name.

use std::marker::PhantomData;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use kindpakket_platform::http::{Caller, CorrelationId, Roles};
use kindpakket_proto::{GemeenteCode, Role};
use ring::digest::{digest, SHA256};
use serde::de::DeserializeOwned;
use serde::Serialize;
use time::OffsetDateTime;

use super::backend::{Api, ApiProblem, Call};
use super::layout::{role_label, tasks_for, GemeenteChoice, Layout, NavItem};
use super::WebState;
use crate::http::page::SESSION_COOKIE;
use crate::sessions::{self, SessionId};

/// The cookie that remembers which of their gemeenten a person works in.
pub const GEMEENTE_COOKIE: &str = "kindpakket_gemeente";

/// The form token of a session: derived from its id, so it needs no storage, and useless without it.
pub fn csrf_token(session: &str) -> String {
    let mut input = b"kindpakket-formulier\0".to_vec();
    input.extend_from_slice(session.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest(&SHA256, &input).as_ref()[..24])
}

/// The logged-in person of a page for the roles `R`.
#[derive(Debug, Clone)]
pub struct Viewer<R> {
    pub caller: Caller,
    token: String,
    /// The gemeente the person works in now (one of theirs).
    pub gemeente: GemeenteCode,
    pub web: WebState,
    /// The path of the page, for the navigation.
    path: String,
    csrf: String,
    roles: PhantomData<R>,
}

/// A page for someone who is not logged in (to the login) or not in a role of the page (403).
#[derive(Debug)]
pub enum NotAViewer {
    Login(String),
    WrongRole(Response),
    Failed(Response),
}

impl IntoResponse for NotAViewer {
    fn into_response(self) -> Response {
        match self {
            NotAViewer::Login(back) => {
                let target = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("terug", &back)
                    .finish();
                Redirect::to(&format!("/aanmelden?{target}")).into_response()
            }
            NotAViewer::WrongRole(response) | NotAViewer::Failed(response) => response,
        }
    }
}

/// The page that says a role may not use a page.
#[derive(Template)]
#[template(path = "web/refused.html")]
pub struct RefusedPage {
    pub layout: Layout,
    pub message: String,
}

impl<R: Roles + Send + Sync> FromRequestParts<WebState> for Viewer<R> {
    type Rejection = NotAViewer;

    async fn from_request_parts(parts: &mut Parts, web: &WebState) -> Result<Self, NotAViewer> {
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", |path| path.as_str())
            .to_owned();
        let back = if parts.method == Method::GET {
            path.clone()
        } else {
            "/start".to_owned()
        };
        let cookies = CookieJar::from_headers(&parts.headers);
        let Some(cookie) = cookies.get(SESSION_COOKIE) else {
            return Err(NotAViewer::Login(back));
        };
        let id = SessionId::from_cookie(cookie.value());
        let correlation_id = parts
            .extensions
            .get::<CorrelationId>()
            .map_or_else(uuid::Uuid::new_v4, |id| id.0);
        let session = match sessions::find_session(&web.pool, &id, correlation_id).await {
            Ok(Some(session)) => session,
            Ok(None) => return Err(NotAViewer::Login(back)),
            Err(error) => {
                tracing::error!(%error, "reading a page session");
                return Err(NotAViewer::Failed(error_page(
                    web,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Er ging iets mis bij het lezen van uw sessie. Probeer het opnieuw.",
                )));
            }
        };
        let Some(mut token) = session.token.clone() else {
            return Err(NotAViewer::Login(back));
        };
        if expires_within(&token, 30) {
            let authenticator = parts
                .extensions
                .get::<std::sync::Arc<kindpakket_platform::auth::Authenticator>>()
                .cloned();
            match refreshed(web, &id, &session, authenticator, correlation_id).await {
                Some(fresh) => token = fresh,
                None => return Err(NotAViewer::Login(back)),
            }
        }
        let chosen = cookies
            .get(GEMEENTE_COOKIE)
            .map(|cookie| cookie.value().to_owned());
        let gemeente = session
            .caller
            .gemeenten
            .iter()
            .find(|gemeente| chosen.as_deref() == Some(gemeente.as_str()))
            .or_else(|| session.caller.gemeenten.first())
            .cloned();
        let Some(gemeente) = gemeente else {
            return Err(NotAViewer::WrongRole(error_page(
                web,
                StatusCode::FORBIDDEN,
                "Uw account hoort bij geen enkele gemeente. Vraag uw beheerder om uw account te koppelen.",
            )));
        };
        let mut caller = session.caller;
        if caller.household.is_none() {
            caller.household = household_of(&token);
        }
        let viewer = Viewer {
            caller,
            token,
            gemeente,
            web: web.clone(),
            path: parts.uri.path().to_owned(),
            csrf: csrf_token(id.as_str()),
            roles: PhantomData,
        };
        if !R::ROLES.contains(&viewer.caller.actor.role) {
            let allowed: Vec<&str> = R::ROLES.iter().map(|role| role_label(*role)).collect();
            let page = RefusedPage {
                layout: viewer.layout("Geen toegang"),
                message: format!(
                    "Deze pagina is voor de rol {}. U bent ingelogd als {}.",
                    allowed.join(" of "),
                    role_label(viewer.caller.actor.role)
                ),
            };
            return Err(NotAViewer::WrongRole(render_with(
                StatusCode::FORBIDDEN,
                &page,
            )));
        }
        Ok(viewer)
    }
}

impl<R> Viewer<R> {
    pub fn role(&self) -> Role {
        self.caller.actor.role
    }

    /// The person's organisation (`leergeld`).
    pub fn organisation(&self) -> &str {
        self.caller.actor.organisation.as_str()
    }

    /// The layout of a page titled `title`.
    pub fn layout(&self, title: &str) -> Layout {
        let code = self.gemeente.as_str();
        let mut layout = Layout::public(title, &self.web.house, Some(code));
        layout.user = if self.role() == Role::Applicant {
            // A parent logs in as themselves (DigiD), not for an organisation.
            "ouder of verzorger".to_owned()
        } else {
            format!(
                "{} ({})",
                readable(self.caller.actor.organisation.as_str()),
                role_label(self.role())
            )
        };
        layout.nav = tasks_for(self.role())
            .map(|task| NavItem {
                href: task.path,
                label: task.label,
                current: self.path == task.path,
            })
            .collect();
        if self.caller.gemeenten.len() > 1 {
            layout.gemeenten = self
                .caller
                .gemeenten
                .iter()
                .map(|gemeente| GemeenteChoice {
                    code: gemeente.to_string(),
                    name: self.web.house.name(gemeente.as_str()),
                    selected: gemeente == &self.gemeente,
                })
                .collect();
        }
        layout.csrf = self.csrf.clone();
        layout
    }

    /// `/api/v1/gemeenten/<gemeente>/<rest>`: a path of the gemeente the person works in.
    pub fn gemeente_path(&self, rest: &str) -> String {
        format!(
            "/api/v1/gemeenten/{}/{}",
            self.gemeente,
            rest.trim_start_matches('/')
        )
    }

    /// `GET` of a service's API as this person.
    pub async fn get<T: DeserializeOwned>(
        &self,
        service: impl Into<Api>,
        path: &str,
    ) -> Result<T, ApiProblem> {
        self.request(reqwest::Method::GET, service, path, None, None)
            .await
    }

    /// `GET` with the purpose of the processing (`X-Doel`), for reads the API audits.
    pub async fn get_for_purpose<T: DeserializeOwned>(
        &self,
        service: impl Into<Api>,
        path: &str,
        purpose: &str,
    ) -> Result<T, ApiProblem> {
        self.request(reqwest::Method::GET, service, path, None, Some(purpose))
            .await
    }

    /// `POST` of a JSON body as this person.
    pub async fn post<T: DeserializeOwned>(
        &self,
        service: impl Into<Api>,
        path: &str,
        body: &(impl Serialize + Sync),
    ) -> Result<T, ApiProblem> {
        self.send(reqwest::Method::POST, service, path, body, None)
            .await
    }

    /// `POST` with the purpose of the processing (`X-Doel`).
    pub async fn post_for_purpose<T: DeserializeOwned>(
        &self,
        service: impl Into<Api>,
        path: &str,
        body: &(impl Serialize + Sync),
        purpose: &str,
    ) -> Result<T, ApiProblem> {
        self.send(reqwest::Method::POST, service, path, body, Some(purpose))
            .await
    }

    /// `PUT` of a JSON body as this person.
    pub async fn put<T: DeserializeOwned>(
        &self,
        service: impl Into<Api>,
        path: &str,
        body: &(impl Serialize + Sync),
    ) -> Result<T, ApiProblem> {
        self.send(reqwest::Method::PUT, service, path, body, None)
            .await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        service: impl Into<Api>,
        path: &str,
        body: &(impl Serialize + Sync),
        purpose: Option<&str>,
    ) -> Result<T, ApiProblem> {
        self.request(method, service, path, Some(body), purpose)
            .await
    }

    async fn request<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        service: impl Into<Api>,
        path: &str,
        body: Option<&(dyn super::backend::erased::Body + Sync)>,
        purpose: Option<&str>,
    ) -> Result<T, ApiProblem> {
        self.web
            .backends
            .call(
                &self.token,
                self.caller.correlation_id,
                Call {
                    service: service.into(),
                    method,
                    path,
                    body,
                    purpose,
                },
            )
            .await
    }
}

/// An organisation's code as people read it: `basisschool-de-regenboog` → "Basisschool de regenboog".
/// (The token names the organisation by code; its full name is regie's.)
pub fn readable(code: &str) -> String {
    let spaced = code.replace('-', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The household a parent's token names (claim `huishouden`): the session keeps the token, checked
/// when the person logged in, and every API checks it again; the pages need the id itself where an
/// API asks a parent to name their household.
fn household_of(token: &str) -> Option<uuid::Uuid> {
    let claims = claims_of(token)?;
    uuid::Uuid::parse_str(claims.get("huishouden")?.as_str()?).ok()
}

/// The claims of a token the session keeps (checked when it was received).
fn claims_of(token: &str) -> Option<serde_json::Value> {
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

/// Whether the token expires within `seconds` (or says nothing of when).
fn expires_within(token: &str, seconds: i64) -> bool {
    let expires = claims_of(token).and_then(|claims| claims.get("exp")?.as_i64());
    expires.is_none_or(|expires| expires - seconds <= OffsetDateTime::now_utc().unix_timestamp())
}

/// A fresh access token for a session whose token expires: from the provider with the session's
/// refresh token (checked as every service checks it, and kept), or the one another request of the
/// same session just got; `None` when the person must log in again.
async fn refreshed(
    web: &WebState,
    id: &SessionId,
    session: &sessions::Session,
    authenticator: Option<std::sync::Arc<kindpakket_platform::auth::Authenticator>>,
    correlation_id: uuid::Uuid,
) -> Option<String> {
    let (Some(refresh), Some(oidc), Some(authenticator)) =
        (session.refresh.as_deref(), web.oidc.as_ref(), authenticator)
    else {
        return None;
    };
    match oidc.refresh(refresh).await {
        Ok(answer) => {
            let identity = authenticator.verify(&answer.access_token).ok()?;
            // The same person, or no one: a provider that answers for someone else is not trusted.
            if identity.organisation != session.caller.actor.organisation
                || identity.role != session.caller.actor.role
                || identity.subject != session.caller.subject
            {
                tracing::warn!("a refreshed token names someone else; the session ends");
                return None;
            }
            let tokens = sessions::SessionTokens {
                access: answer.access_token,
                refresh: answer.refresh_token.or_else(|| Some(refresh.to_owned())),
            };
            if let Err(error) = sessions::replace_tokens(&web.pool, id, &tokens).await {
                tracing::error!(%error, "keeping a session's refreshed tokens");
                return None;
            }
            Some(tokens.access)
        }
        Err(error) => {
            // Another request of this session may have used the refresh token first (each is
            // used once): then its new token is in the session.
            tracing::info!(%error, "refreshing a session's token failed");
            let again = sessions::find_session(&web.pool, id, correlation_id)
                .await
                .ok()??;
            again
                .token
                .filter(|token| Some(token) != session.token.as_ref() && !expires_within(token, 30))
        }
    }
}

/// Renders a page with status 200.
pub fn render(page: &impl Template) -> Response {
    render_with(StatusCode::OK, page)
}

/// Renders a page with `status` (a form shown again with its problem: 422, or the API's status).
pub fn render_with(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, no_store(), Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "rendering a page");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "De pagina kon niet worden getoond.",
            )
                .into_response()
        }
    }
}

/// Pages show people's data: never kept by a browser's or proxy's cache.
fn no_store() -> [(axum::http::HeaderName, &'static str); 1] {
    [(axum::http::header::CACHE_CONTROL, "no-store")]
}

/// A plain page that tells a problem (no session needed).
pub fn error_page(web: &WebState, status: StatusCode, message: &str) -> Response {
    let page = RefusedPage {
        layout: Layout::public("Er ging iets mis", &web.house, None),
        message: message.to_owned(),
    };
    render_with(status, &page)
}

/// The status a page answers with when an API refused: the API's own 4xx, 502 when it failed.
pub fn status_of(problem: &ApiProblem) -> StatusCode {
    match problem.status {
        400..=499 => StatusCode::from_u16(problem.status).unwrap_or(StatusCode::BAD_REQUEST),
        _ => StatusCode::BAD_GATEWAY,
    }
}

/// A posted form whose `_csrf` is this session's form token; `T` is read from the other fields.
/// Without the token (or with another session's) the post is refused with 403 and nothing is done.
#[derive(Debug)]
pub struct PageForm<T>(pub T);

/// Why a form post was refused.
#[derive(Debug)]
pub struct FormRefused(Response);

impl IntoResponse for FormRefused {
    fn into_response(self) -> Response {
        self.0
    }
}

impl<T: DeserializeOwned> FromRequest<WebState> for PageForm<T> {
    type Rejection = FormRefused;

    async fn from_request(request: Request, web: &WebState) -> Result<Self, FormRefused> {
        let cookies = CookieJar::from_headers(request.headers());
        let expected = cookies
            .get(SESSION_COOKIE)
            .map(|cookie| csrf_token(cookie.value()));
        let bytes = Bytes::from_request(request, web).await.map_err(|_| {
            FormRefused(error_page(
                web,
                StatusCode::BAD_REQUEST,
                "Het formulier kon niet worden gelezen.",
            ))
        })?;
        let mut token = None;
        let mut rest = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in url::form_urlencoded::parse(&bytes) {
            if name == "_csrf" {
                token = Some(value.into_owned());
            } else {
                rest.append_pair(&name, &value);
            }
        }
        let valid = match (&expected, &token) {
            // Compared as digests: the time it takes tells nothing about the expected token.
            (Some(expected), Some(token)) => {
                digest(&SHA256, expected.as_bytes()).as_ref()
                    == digest(&SHA256, token.as_bytes()).as_ref()
            }
            _ => false,
        };
        if !valid {
            return Err(FormRefused(error_page(
                web,
                StatusCode::FORBIDDEN,
                "Dit formulier is verlopen of kwam niet van deze site. Er is niets opgeslagen. Open de pagina opnieuw en probeer het nog eens.",
            )));
        }
        let rest = rest.finish();
        serde_html_form::from_str(&rest).map(PageForm).map_err(|error| {
            FormRefused(error_page(
                web,
                StatusCode::BAD_REQUEST,
                &format!("Het formulier is niet volledig of onleesbaar ({error}). Er is niets opgeslagen."),
            ))
        })
    }
}
