//! The development identity provider: hands out signed tokens for any organisation, role and
//! gemeenten, so that the platform can be tried locally with real bearer tokens. Never run it where
//! real data is: whoever reaches it can act as anyone.
//!
//! `kindpakket-dev-issuer --dir .data/issuer --addr 127.0.0.1:8079`
//! - `POST /token {"organisatie": "leergeld", "rol": "partner", "gemeenten": ["GM0518"]}` → `{"token": …}`
//!   (a parent: `"rol": "applicant", "huishouden": "<uuid>"`)
//! - `GET /.well-known/jwks.json` → the public keys (also written to `<dir>/jwks.json`).
//! - `GET /inloggen?terug=<dashboard>/inloggen&gemeenten=GM0518,GM0014` → a page that logs a browser in
//!   on the dashboard as the kwartaaloverleg, the regievoerder or the auditor of those gemeenten.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::{get, post};
use axum::{Json, Router};
use kindpakket_platform::dev_issuer::DevIssuer;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    organisatie: String,
    rol: String,
    #[serde(default)]
    gemeenten: Vec<String>,
    #[serde(rename = "geldigSeconden", default = "hour")]
    valid_seconds: i64,
    /// For a parent (`rol: applicant`): the household they act for.
    #[serde(default)]
    huishouden: Option<String>,
}

fn hour() -> i64 {
    3600
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str, default: &str| {
        args.iter()
            .position(|arg| arg == flag)
            .and_then(|index| args.get(index + 1).cloned())
            .unwrap_or_else(|| default.to_owned())
    };
    let dir = PathBuf::from(value("--dir", ".data/issuer"));
    let addr = value("--addr", "127.0.0.1:8079");
    let issuer = Arc::new(DevIssuer::open(&dir)?);
    let app = Router::new()
        .route("/token", post(token))
        .route("/inloggen", get(login_page))
        .route(
            "/.well-known/jwks.json",
            get(|State(issuer): State<Arc<DevIssuer>>| async move { Json(issuer.jwks()) }),
        )
        .with_state(issuer);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "development issuer on http://{addr} (keys in {})",
        dir.display()
    );
    axum::serve(listener, app).await?;
    Ok(())
}

async fn token(
    State(issuer): State<Arc<DevIssuer>>,
    Json(request): Json<TokenRequest>,
) -> Json<Value> {
    let gemeenten: Vec<&str> = request.gemeenten.iter().map(String::as_str).collect();
    let mut claims = issuer.claims(
        &request.organisatie,
        &request.rol,
        &gemeenten,
        request.valid_seconds,
    );
    claims.huishouden = request.huishouden;
    let token = issuer.mint_claims(&claims);
    Json(json!({ "token": token }))
}

#[derive(Deserialize)]
struct LoginQuery {
    terug: String,
    #[serde(default)]
    gemeenten: String,
}

/// Buttons that post a freshly signed token to the dashboard's login, one per reading role. Only
/// for a dashboard on this machine: `terug` must be a loopback address.
async fn login_page(
    State(issuer): State<Arc<DevIssuer>>,
    Query(query): Query<LoginQuery>,
) -> Result<Html<String>, (axum::http::StatusCode, &'static str)> {
    let Some(terug) = loopback_address(&query.terug) else {
        return Err((
            axum::http::StatusCode::BAD_REQUEST,
            "terug moet een adres op deze machine zijn (http://127.0.0.1:…)",
        ));
    };
    let gemeenten: Vec<&str> = query
        .gemeenten
        .split(',')
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .collect();
    let mut html = String::from(
        "<!doctype html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\"><title>Inloggen (ontwikkelomgeving)</title></head>\n\
         <body style=\"font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto\">\n\
         <h1>Inloggen (ontwikkelomgeving)</h1>\n\
         <p>Dit is de ontwikkel-inlog van het Kindpakket-platform: hij geeft iedereen toegang. Gebruik hem nooit met echte gegevens.</p>\n",
    );
    for (organisation, role, label) in [
        ("kwartaaloverleg", "overleg_viewer", "als kwartaaloverleg"),
        ("gemeente-den-haag", "regievoerder", "als regievoerder"),
        ("gemeente-controller", "auditor", "als auditor"),
    ] {
        let token = issuer.mint(organisation, role, &gemeenten, 8 * 3600);
        html.push_str(&format!(
            "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"token\" value=\"{token}\">\
             <button type=\"submit\">Inloggen {label}</button></form>\n",
            terug
        ));
    }
    html.push_str("</body></html>\n");
    Ok(Html(html))
}

/// `raw` as a URL, if it is an http address on this machine and nothing else: parsed, so that
/// `http://127.0.0.1:1@elsewhere/` (a user name `127.0.0.1`, a password `1`, the host `elsewhere`)
/// is refused, and serialised again so that no quote or angle bracket reaches the page.
fn loopback_address(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw).ok()?;
    let loopback = match url.host()? {
        url::Host::Domain(name) => name == "localhost",
        url::Host::Ipv4(address) => address.is_loopback(),
        url::Host::Ipv6(address) => address.is_loopback(),
    };
    let plain = url.scheme() == "http" && url.username().is_empty() && url.password().is_none();
    let serialised = url.to_string();
    (loopback && plain && !serialised.contains(['"', '<', '>', '\''])).then_some(serialised)
}

#[cfg(test)]
mod tests {
    use super::loopback_address;

    #[test]
    fn only_plain_http_addresses_on_this_machine_are_taken_back_to() {
        assert!(loopback_address("http://127.0.0.1:8080/inloggen").is_some());
        assert!(loopback_address("http://localhost:8080/inloggen").is_some());
        for refused in [
            "http://127.0.0.1:1@elsewhere.example/inloggen",
            "http://127.0.0.1:8080@elsewhere.example/",
            "http://elsewhere.example/?http://127.0.0.1:8080",
            "https://evil.example/127.0.0.1",
            "javascript:alert(1)",
            "http://127.0.0.1.evil.example/",
            "//127.0.0.1:8080/",
        ] {
            assert_eq!(loopback_address(refused), None, "{refused}");
        }
    }
}
