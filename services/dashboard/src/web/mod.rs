//! The front doors: a page for every role's daily work, served by the dashboard service as the
//! platform's backend-for-frontend (docs/frontdoor.md says why here). Server-rendered HTML from
//! askama templates (`templates/web/`), styled by the NL Design System's CSS components and design
//! tokens in each gemeente's house style, without scripts; every page calls the services' public
//! APIs with the logged-in person's own token, so no page can do what the API would refuse them.
//!
//! - [`login`]: OpenID Connect (code flow with PKCE) and the session;
//! - [`viewer`]: [`viewer::Viewer`], the person of a page in one of its roles, and
//!   [`viewer::PageForm`], the form post with the session's form token;
//! - [`backend`]: the services' APIs; [`layout`]: house style, navigation; [`assets`]: CSS, logos;
//! - the pages of each role, one module each.

pub mod applications;
pub mod assets;
pub mod backend;
pub mod family;
pub mod family_applications;
pub mod layout;
pub mod login;
pub mod overleg;
pub mod parts;
pub mod regie;
pub mod regie_doelgroep;
pub mod signalling;
pub mod start;
pub mod till;
pub mod viewer;
pub mod wishes;

use std::path::PathBuf;
use std::sync::Arc;

use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use sqlx::PgPool;

use backend::Backends;
use layout::HouseStyles;
use login::Oidc;

/// What every page needs.
#[derive(Debug, Clone)]
pub struct WebState {
    pub pool: PgPool,
    pub backends: Arc<Backends>,
    /// The identity provider; `None` when not configured (then nobody can log in on the pages).
    pub oidc: Option<Arc<Oidc>>,
    pub house: Arc<HouseStyles>,
    /// The installed npm packages (`KINDPAKKET_WEB_ASSETS`, the `node_modules` folder).
    pub assets: Option<Arc<PathBuf>>,
    pub secure_cookies: bool,
    /// The headless browser that prints the quarterly report as PDF.
    pub chromium: Arc<overleg::pdf::Chromium>,
}

/// The Content-Security-Policy of every page: nothing but this site's own style sheets and
/// images; no script at all, no inline style, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The pages and their assets.
pub fn routes(state: WebState) -> Router {
    Router::new()
        .route("/start", get(start::start))
        .route("/gemeente", post(start::switch_gemeente))
        .route("/dashboard", get(start::dashboard))
        .route("/aanmelden", get(login::begin))
        .route("/aanmelden/terug", get(login::finish))
        .route("/afmelden", post(login::logout))
        .route("/static/{file}", get(assets::file))
        .route("/static/huisstijl/{file}", get(assets::house_style))
        .merge(signalling::routes())
        .merge(regie::routes())
        .merge(regie_doelgroep::routes())
        .merge(till::routes())
        .merge(applications::routes())
        .merge(family::routes())
        .merge(family_applications::routes())
        .merge(overleg::routes())
        .merge(wishes::routes())
        .with_state(state)
        .layer(axum::middleware::map_response(secure_headers))
}

/// The headers every page carries: the Content-Security-Policy and its companions.
pub async fn secure_headers(mut response: axum::response::Response) -> axum::response::Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
