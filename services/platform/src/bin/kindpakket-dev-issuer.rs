//! The development identity provider: hands out signed tokens for any organisation, role and
//! gemeenten, so that the platform can be tried locally with real bearer tokens. Never run it where
//! real data is: whoever reaches it can act as anyone.
//!
//! `kindpakket-dev-issuer --dir .data/issuer --addr 127.0.0.1:8079`
//! - `POST /token {"organisatie": "leergeld", "rol": "partner", "gemeenten": ["GM0518"]}` → `{"token": …}`
//! - `GET /.well-known/jwks.json` → the public keys (also written to `<dir>/jwks.json`).

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use kindpakket_platform::auth::DevIssuer;
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
    let token = issuer.mint(
        &request.organisatie,
        &request.rol,
        &gemeenten,
        request.valid_seconds,
    );
    Json(json!({ "token": token }))
}
