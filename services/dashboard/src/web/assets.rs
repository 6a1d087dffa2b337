//! The style sheets and logos: the NL Design System's CSS (installed from npm by
//! `scripts/install-deps.sh` into `KINDPAKKET_WEB_ASSETS`), our own small additions, and each
//! gemeente's house style and logo. Only names from a fixed list are served, never a path.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::WebState;

/// Our own additions to the components (layout of the page, the funnel's bars).
pub fn own_css() -> String {
    let mut css = include_str!("../../templates/web/kindpakket.css").to_owned();
    for width in (0..=100).step_by(5) {
        css.push_str(&format!(".balk-{width} {{ width: {width}%; }}\n"));
    }
    css
}

fn css(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Niet gevonden").into_response()
}

/// `GET /static/{file}`: `utrecht.css`, `tokens.css`, `kindpakket.css`, `rapport.css`.
pub async fn file(State(web): State<WebState>, Path(file): Path<String>) -> Response {
    let package = match file.as_str() {
        "kindpakket.css" => return css(own_css()),
        "rapport.css" => return css(super::overleg::REPORT_CSS.to_owned()),
        "utrecht.css" => "@utrecht/component-library-css/dist/index.css",
        "tokens.css" => "@nl-design-system-unstable/voorbeeld-design-tokens/dist/theme.css",
        _ => return not_found(),
    };
    let Some(dir) = web.assets.as_ref() else {
        return not_found();
    };
    match tokio::fs::read_to_string(dir.join(package)).await {
        Ok(body) => css(body),
        Err(error) => {
            tracing::error!(%error, package, "a style sheet of the NL Design System is missing: run scripts/install-deps.sh");
            not_found()
        }
    }
}

/// `GET /static/huisstijl/{GM….css|GM….svg}`: a gemeente's colours and logo.
pub async fn house_style(State(web): State<WebState>, Path(file): Path<String>) -> Response {
    if let Some(code) = file.strip_suffix(".css") {
        return match web.house.css(code) {
            Some(body) => css(body),
            None => not_found(),
        };
    }
    if let Some(code) = file.strip_suffix(".svg") {
        let Some(path) = web.house.logo_path(code) else {
            return not_found();
        };
        return match tokio::fs::read(path).await {
            Ok(body) => (
                [
                    (header::CONTENT_TYPE, "image/svg+xml"),
                    (header::CACHE_CONTROL, "public, max-age=3600"),
                ],
                body,
            )
                .into_response(),
            Err(_) => not_found(),
        };
    }
    not_found()
}
