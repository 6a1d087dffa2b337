//! Wiring: the dashboard's database (migrated), NATS, one durable consumer per service stream, the
//! retention fold, and HTTP (the API and the pages), until stopped.

use std::sync::Arc;
use std::time::Duration;

use kindpakket_platform::config::ServiceConfig;
use kindpakket_platform::service::Infrastructure;
use kindpakket_proto::Service;
use serde::Deserialize;

use crate::http;
use crate::http::page::PageState;
use crate::projections::forgetting::Forgetting;
use crate::projections::retention::{Retention, DEFAULT_RETENTION_DAYS};
use crate::projections::{DashboardProjection, MIGRATIONS};
use crate::web::backend::Backends;
use crate::web::layout::HouseStyles;
use crate::web::login::Oidc;
use crate::web::WebState;

/// The streams the dashboard reads, one durable consumer each.
pub const SOURCES: [Service; 4] = [
    Service::Regie,
    Service::Signalling,
    Service::Application,
    Service::Provision,
];

/// Held (shared) by every serving instance for as long as it runs; `rebuild` needs it exclusively.
pub const SERVING_LOCK: &str = "kindpakket-dashboard-serving";

/// The dashboard's own configuration.
#[derive(Debug, Default, Deserialize)]
pub struct DashboardConfig {
    /// `KINDPAKKET_LOGIN_URL`: where people log in (the gemeente's login, or the development
    /// issuer's page on a developer's machine), linked from the login page. Only an `http://` or
    /// `https://` address is linked.
    #[serde(default)]
    pub login_url: Option<String>,
    /// `KINDPAKKET_SECURE_COOKIES`: `true` when the page is served over HTTPS (in production), so the
    /// session cookie is never sent over plain HTTP. A proxy's `X-Forwarded-Proto: https` does too.
    #[serde(default)]
    pub secure_cookies: Option<String>,
    /// `KINDPAKKET_RETENTION_DAYS`: how long after a child's latest fact its rows are kept; after
    /// that they are folded into aggregates ([`crate::projections::retention`]). Seven years (2555
    /// days) by default.
    #[serde(default)]
    pub retention_days: Option<String>,
    /// `KINDPAKKET_REGIE_URL`, `…_SIGNALLING_URL`, `…_APPLICATION_URL`, `…_PROVISION_URL`: the
    /// services' APIs, which the pages call with the person's token.
    #[serde(default)]
    pub regie_url: Option<String>,
    #[serde(default)]
    pub signalling_url: Option<String>,
    #[serde(default)]
    pub application_url: Option<String>,
    #[serde(default)]
    pub provision_url: Option<String>,
    /// `KINDPAKKET_OIDC_ISSUER_URL`: the gemeente's identity provider (its discovery document is at
    /// `<url>/.well-known/openid-configuration`); without it nobody logs in on the pages.
    #[serde(default)]
    pub oidc_issuer_url: Option<String>,
    /// `KINDPAKKET_OIDC_CLIENT_ID` (default `kindpakket-web`).
    #[serde(default)]
    pub oidc_client_id: Option<String>,
    /// `KINDPAKKET_PUBLIC_URL`: the pages' address as browsers reach it (the redirect URI is
    /// `<url>/aanmelden/terug`); by default `http://` and the HTTP address.
    #[serde(default)]
    pub public_url: Option<String>,
    /// `KINDPAKKET_WEB_ASSETS`: the `node_modules` folder with the NL Design System's CSS.
    #[serde(default)]
    pub web_assets: Option<String>,
    /// `KINDPAKKET_HUISSTIJL_DIR`: the gemeenten's house styles (`deploy/huisstijl`).
    #[serde(default)]
    pub huisstijl_dir: Option<String>,
}

impl DashboardConfig {
    /// The login address to link, when it is a web address.
    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies
            .as_deref()
            .is_some_and(|value| matches!(value.trim(), "true" | "1" | "ja"))
    }

    /// The retention of the read model; a value that is not a positive number of days stops the start.
    pub fn retention(&self) -> anyhow::Result<Retention> {
        let days = match self.retention_days.as_deref().map(str::trim) {
            None => DEFAULT_RETENTION_DAYS,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|days| *days > 0)
                .ok_or_else(|| {
                    anyhow::anyhow!("KINDPAKKET_RETENTION_DAYS must be a positive number of days")
                })?,
        };
        Ok(Retention { days })
    }

    /// What the front doors need: the services, the identity provider, the house styles, the CSS.
    pub fn web_state(&self, pool: &sqlx::PgPool, http_addr: &str) -> anyhow::Result<WebState> {
        let url = |value: &Option<String>, default: &str| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|url| !url.is_empty())
                .unwrap_or(default)
                .to_owned()
        };
        let backends = Backends::new(
            &url(&self.regie_url, "http://127.0.0.1:8081"),
            &url(&self.signalling_url, "http://127.0.0.1:8082"),
            &url(&self.application_url, "http://127.0.0.1:8083"),
            &url(&self.provision_url, "http://127.0.0.1:8084"),
        );
        let public_url = url(&self.public_url, &format!("http://{http_addr}"));
        let oidc = self
            .oidc_issuer_url
            .as_deref()
            .map(str::trim)
            .filter(|issuer| !issuer.is_empty())
            .map(|issuer| {
                Arc::new(Oidc::new(
                    issuer,
                    &url(&self.oidc_client_id, "kindpakket-web"),
                    &public_url,
                ))
            });
        if oidc.is_none() {
            tracing::warn!("KINDPAKKET_OIDC_ISSUER_URL is not set: nobody can log in on the pages");
        }
        let house = match self
            .huisstijl_dir
            .as_deref()
            .filter(|dir| !dir.trim().is_empty())
        {
            Some(dir) => HouseStyles::load(std::path::Path::new(dir.trim()))?,
            None => HouseStyles::default(),
        };
        let assets = self
            .web_assets
            .as_deref()
            .filter(|dir| !dir.trim().is_empty())
            .map(|dir| Arc::new(std::path::PathBuf::from(dir.trim())));
        if assets.is_none() {
            tracing::warn!(
                "KINDPAKKET_WEB_ASSETS is not set: the pages have no NL Design System style sheets"
            );
        }
        Ok(WebState {
            pool: pool.clone(),
            backends: Arc::new(backends),
            oidc,
            house: Arc::new(house),
            assets,
            secure_cookies: self.secure_cookies(),
        })
    }

    pub fn login_url(&self) -> Option<Arc<str>> {
        self.login_url
            .as_deref()
            .filter(|url| url.starts_with("http://") || url.starts_with("https://"))
            .map(Arc::from)
    }
}

/// Runs the dashboard until SIGINT or SIGTERM. The consumers wait (and retry) until the streams
/// exist, so the dashboard may start before the services that publish.
pub async fn run(config: ServiceConfig) -> anyhow::Result<()> {
    let own: DashboardConfig = kindpakket_platform::config::load()?;
    let retention = own.retention()?;
    let overleg = crate::projections::overleg::Settings::from_env()?;
    let http_addr = config.http_addr.to_string();
    if config.stream_max_age_days > retention.days {
        tracing::warn!(
            alert = "retention_policy",
            stream_max_age_days = config.stream_max_age_days,
            retention_days = retention.days,
            "the streams keep messages longer than the dashboard's retention period; set KINDPAKKET_STREAM_MAX_AGE_DAYS no longer than KINDPAKKET_RETENTION_DAYS"
        );
    }
    let (api, document) = kindpakket_platform::http::finish(http::routes(), http::DESCRIPTION)?;
    let mut infrastructure = Infrastructure::start("dashboard", config, &MIGRATIONS).await?;
    let pool = infrastructure.pool.clone();
    if infrastructure.migrating() {
        return infrastructure
            .serve_with_pages(
                api.with_state(pool).layer(axum::Extension(overleg)),
                document,
                axum::Router::new(),
            )
            .await;
    }
    // Kept for as long as this instance serves: a rebuild refuses to run beside it.
    let mut serving = pool.acquire().await?.detach();
    sqlx::query("SELECT pg_advisory_lock_shared(hashtext($1))")
        .bind(SERVING_LOCK)
        .execute(&mut serving)
        .await?;
    let projection = Arc::new(DashboardProjection {
        forgetting: Forgetting::open(&pool).await?,
    });
    for source in SOURCES {
        infrastructure.consume(source, projection.clone());
    }
    let folding = pool.clone();
    infrastructure.every(
        "fold_past_retention",
        Duration::from_secs(3600),
        move || {
            let folding = folding.clone();
            async move {
                retention
                    .fold(&folding, kindpakket_platform::clock::today())
                    .await
                    .map(|_| ())
            }
        },
    );
    let (tracked, js) = (pool.clone(), infrastructure.js.clone());
    infrastructure.every("track_rebuild", Duration::from_secs(1), move || {
        let (tracked, js) = (tracked.clone(), js.clone());
        async move { crate::rebuilding::track(&tracked, &js, &SOURCES).await }
    });
    let sessions = pool.clone();
    infrastructure.every(
        "forget_expired_sessions",
        Duration::from_secs(600),
        move || {
            let sessions = sessions.clone();
            async move { crate::sessions::forget_expired(&sessions).await }
        },
    );
    let web = own.web_state(&pool, &http_addr)?;
    let pages = http::pages(PageState {
        pool: pool.clone(),
        login_url: own.login_url(),
        secure_cookies: own.secure_cookies(),
        house: web.house.clone(),
    })
    .merge(crate::web::routes(web));
    let api = api.with_state(pool).layer(axum::Extension(overleg));
    let served = infrastructure.serve_with_pages(api, document, pages).await;
    drop(serving);
    served
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_web_address_is_linked_as_the_login() {
        let with = |url: &str| DashboardConfig {
            login_url: Some(url.to_owned()),
            ..DashboardConfig::default()
        };
        assert_eq!(
            with("https://login.example.nl/").login_url().as_deref(),
            Some("https://login.example.nl/")
        );
        assert_eq!(with("javascript:alert(1)").login_url(), None);
        assert_eq!(DashboardConfig::default().login_url(), None);
    }

    #[test]
    fn the_retention_is_seven_years_unless_configured_as_a_positive_number_of_days() {
        let with = |days: &str| DashboardConfig {
            retention_days: Some(days.to_owned()),
            ..DashboardConfig::default()
        };
        assert_eq!(DashboardConfig::default().retention().unwrap().days, 2555);
        assert_eq!(with("30").retention().unwrap().days, 30);
        for wrong in ["0", "-1", "zeven jaar"] {
            let refused = with(wrong).retention().unwrap_err().to_string();
            assert!(refused.contains("KINDPAKKET_RETENTION_DAYS"), "{refused}");
        }
    }
}
