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
//! - OpenID Connect for the pages (authorisation code flow with PKCE, S256 only), as a gemeente's
//!   Keycloak or Entra ID plays it in production: `GET /.well-known/openid-configuration`,
//!   `GET /authorize` (a page of one-click test users per gemeente, [`TEST_USERS`]), `POST /token`
//!   with a form (`grant_type=authorization_code`). Codes live a minute and are used once; only a
//!   `redirect_uri` on this machine is served.
//!
//! The code exchange also gives a refresh token (used once, answered with a new one:
//! `grant_type=refresh_token`), so the pages keep a person logged in past a short access token.
//!
//! Flags: `--dir`, `--addr`, `--public-url` (default `http://<addr>`), `--gemeenten
//! "GM0518=Den Haag,GM0014=Groningen"` (the gemeenten whose test users the login page offers),
//! `--access-seconds` (how long the pages' access tokens live, 3600 by default; Keycloak's default
//! is 300).

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use kindpakket_platform::dev_issuer::{
    test_household, Codes, DevIssuer, GrantError, PendingCode, RefreshTokens, TEST_USERS,
};
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
    let public_url = value("--public-url", &format!("http://{addr}"))
        .trim_end_matches('/')
        .to_owned();
    let gemeenten = value("--gemeenten", "GM0518=Den Haag,GM0014=Groningen")
        .split(',')
        .filter_map(|entry| {
            let (code, name) = entry.split_once('=').unwrap_or((entry, entry));
            let code = code.trim();
            (!code.is_empty()).then(|| (code.to_owned(), name.trim().to_owned()))
        })
        .collect();
    let access_seconds = value("--access-seconds", "3600")
        .parse::<u64>()
        .map_err(|_| anyhow::anyhow!("--access-seconds: a number of seconds"))?;
    let issuer = Arc::new(Issuer {
        keys: DevIssuer::open(&dir)?,
        codes: Codes::default(),
        refresh: RefreshTokens::default(),
        access_seconds,
        public_url,
        gemeenten,
    });
    let app = Router::new()
        .route("/token", post(token))
        .route("/inloggen", get(login_page))
        .route("/authorize", get(authorize_page).post(authorize))
        .route("/.well-known/openid-configuration", get(discovery))
        .route(
            "/.well-known/jwks.json",
            get(|State(issuer): State<Arc<Issuer>>| async move { Json(issuer.keys.jwks()) }),
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

/// The issuer's keys, its codes in flight, and the gemeenten its login page offers.
struct Issuer {
    keys: DevIssuer,
    codes: Codes,
    refresh: RefreshTokens,
    /// How long an access token of the code flow lives.
    access_seconds: u64,
    public_url: String,
    /// (CBS code, name)
    gemeenten: Vec<(String, String)>,
}

/// `POST /token`: a JSON request for a token of anyone (curl, the demo), or the OpenID Connect code
/// exchange (a form).
async fn token(State(issuer): State<Arc<Issuer>>, headers: HeaderMap, body: Bytes) -> Response {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if form {
        return exchange_code(&issuer, &body);
    }
    match serde_json::from_slice::<TokenRequest>(&body) {
        Ok(request) => mint_requested(&issuer.keys, request).into_response(),
        Err(error) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"fout": format!("Onleesbaar verzoek: {error}")})),
        )
            .into_response(),
    }
}

fn mint_requested(issuer: &DevIssuer, request: TokenRequest) -> Json<Value> {
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

/// The code exchange of RFC 6749 §4.1.3 with PKCE (RFC 7636): an error as the RFC names it.
fn exchange_code(issuer: &Issuer, body: &[u8]) -> Response {
    let fields: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(body).into_owned().collect();
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or("");
    let refuse = |error: &str, description: &str| {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": error, "error_description": description})),
        )
            .into_response()
    };
    let granted = match field("grant_type") {
        "authorization_code" => {
            if field("code_verifier").len() < 43 {
                return refuse("invalid_request", "code_verifier (PKCE) is required");
            }
            issuer.codes.exchange(
                field("code"),
                field("client_id"),
                field("redirect_uri"),
                field("code_verifier"),
            )
        }
        "refresh_token" => issuer
            .refresh
            .redeem(field("refresh_token"), field("client_id")),
        _ => {
            return refuse(
                "unsupported_grant_type",
                "only authorization_code and refresh_token are served",
            )
        }
    };
    match granted {
        Ok(mut claims) => {
            let now = time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
            claims.iat = now;
            claims.exp = now + issuer.access_seconds;
            let token = issuer.keys.mint_claims(&claims);
            let refresh = match issuer.refresh.issue(&claims, field("client_id")) {
                Ok(refresh) => refresh,
                Err(error) => {
                    return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
                }
            };
            (
                [(header::CACHE_CONTROL, "no-store")],
                Json(json!({
                    "access_token": token,
                    "id_token": token,
                    "refresh_token": refresh,
                    "token_type": "Bearer",
                    "expires_in": issuer.access_seconds,
                })),
            )
                .into_response()
        }
        Err(GrantError::InvalidGrant) => refuse(
            "invalid_grant",
            "unknown, used or expired code or refresh token, or another client or redirect_uri",
        ),
        Err(GrantError::PkceMismatch) => refuse(
            "invalid_grant",
            "code_verifier does not match the challenge",
        ),
    }
}

/// `GET /.well-known/openid-configuration`.
async fn discovery(State(issuer): State<Arc<Issuer>>) -> Json<Value> {
    let base = &issuer.public_url;
    Json(json!({
        "issuer": kindpakket_platform::auth::DEV_ISSUER,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "token_endpoint_auth_methods_supported": ["none"],
    }))
}

/// The parameters of an authorisation request (and, posted back, the chosen user).
#[derive(Debug, Deserialize, Clone)]
struct AuthorizeRequest {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
    /// Posted back: the test user's key and gemeente.
    #[serde(default)]
    gebruiker: String,
    #[serde(default)]
    gemeente: String,
}

impl AuthorizeRequest {
    /// The redirect URI when the request is one this issuer serves: code flow, S256, on this machine.
    fn check(&self) -> Result<String, &'static str> {
        let redirect = loopback_address(&self.redirect_uri)
            .ok_or("redirect_uri moet een adres op deze machine zijn (http://127.0.0.1:…)")?;
        if self.response_type != "code" {
            return Err("alleen response_type=code wordt ondersteund");
        }
        if self.code_challenge_method != "S256" || self.code_challenge.len() != 43 {
            return Err("PKCE is verplicht: code_challenge met code_challenge_method=S256");
        }
        if self.client_id.is_empty() {
            return Err("client_id ontbreekt");
        }
        Ok(redirect)
    }
}

/// A name as it can stand in an organisation id: `'s-Hertogenbosch` → `s-hertogenbosch`.
fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// `GET /authorize`: a page of test users, one button each, per gemeente.
async fn authorize_page(
    State(issuer): State<Arc<Issuer>>,
    Query(request): Query<AuthorizeRequest>,
) -> Response {
    if let Err(problem) = request.check() {
        return (StatusCode::BAD_REQUEST, problem).into_response();
    }
    let hidden = |name: &str, value: &str| {
        format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            escape(value)
        )
    };
    let carried = [
        hidden("response_type", &request.response_type),
        hidden("client_id", &request.client_id),
        hidden("redirect_uri", &request.redirect_uri),
        hidden("state", &request.state),
        hidden("code_challenge", &request.code_challenge),
        hidden("code_challenge_method", &request.code_challenge_method),
    ]
    .concat();
    let mut html = String::from(
        "<!doctype html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Inloggen (ontwikkelomgeving)</title></head>\n\
         <body style=\"font-family: system-ui, sans-serif; max-width: 40rem; margin: 1rem auto; padding: 0 1rem\">\n<main>\
         <h1>Inloggen (ontwikkelomgeving)</h1>\n\
         <p>Dit is de ontwikkel-inlog van het Kindpakket-platform, in plaats van de inlog van de gemeente \
         (Keycloak, Entra ID, DigiD). Hij geeft iedereen toegang: gebruik hem nooit met echte gegevens.</p>\n",
    );
    for (code, name) in &issuer.gemeenten {
        html.push_str(&format!("<h2>Gemeente {}</h2>\n<ul>\n", escape(name)));
        for user in &TEST_USERS {
            html.push_str(&format!(
                "<li><form method=\"post\" action=\"/authorize\">{carried}{}{}\
                 <button type=\"submit\">{} — {}</button></form></li>\n",
                hidden("gebruiker", user.key),
                hidden("gemeente", code),
                escape(user.label),
                escape(name),
            ));
        }
        html.push_str("</ul>\n");
    }
    html.push_str("</main></body></html>\n");
    ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

/// `POST /authorize`: the chosen user; back to the client with a code (and the state it sent).
async fn authorize(
    State(issuer): State<Arc<Issuer>>,
    Form(request): Form<AuthorizeRequest>,
) -> Response {
    let redirect = match request.check() {
        Ok(redirect) => redirect,
        Err(problem) => return (StatusCode::BAD_REQUEST, problem).into_response(),
    };
    let Some(user) = TEST_USERS.iter().find(|user| user.key == request.gebruiker) else {
        return (StatusCode::BAD_REQUEST, "onbekende testgebruiker").into_response();
    };
    if !issuer
        .gemeenten
        .iter()
        .any(|(code, _)| *code == request.gemeente)
    {
        return (StatusCode::BAD_REQUEST, "onbekende gemeente").into_response();
    }
    // The regievoerder is the gemeente's own: "gemeente-den-haag", "gemeente-groningen".
    let organisation = match user.key {
        "regievoerder" => issuer
            .gemeenten
            .iter()
            .find(|(code, _)| *code == request.gemeente)
            .map(|(_, name)| format!("gemeente-{}", slug(name)))
            .unwrap_or_else(|| user.organisation.to_owned()),
        _ => user.organisation.to_owned(),
    };
    let mut claims = issuer.keys.claims(
        &organisation,
        user.role,
        &[request.gemeente.as_str()],
        8 * 3600,
    );
    claims.sub = format!("{organisation}/{}", user.key);
    if user.role == "applicant" {
        claims.huishouden = Some(test_household(&request.gemeente).to_string());
    }
    let code = match issuer.codes.issue(PendingCode {
        claims,
        client_id: request.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        code_challenge: request.code_challenge.clone(),
        issued: std::time::Instant::now(),
    }) {
        Ok(code) => code,
        Err(error) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
        }
    };
    let mut target = match url::Url::parse(&redirect) {
        Ok(url) => url,
        Err(_) => return (StatusCode::BAD_REQUEST, "redirect_uri").into_response(),
    };
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &request.state);
    Redirect::to(target.as_str()).into_response()
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
    State(issuer): State<Arc<Issuer>>,
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
        let token = issuer.keys.mint(organisation, role, &gemeenten, 8 * 3600);
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
    fn a_gemeentes_name_becomes_part_of_an_organisation_id() {
        assert_eq!(super::slug("Den Haag"), "den-haag");
        assert_eq!(super::slug("'s-Hertogenbosch"), "s-hertogenbosch");
        assert_eq!(super::slug("Súdwest-Fryslân"), "s-dwest-frysl-n");
    }

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
