//! Wiring: the dashboard's database (migrated), NATS, one durable consumer per service stream, and
//! HTTP (the API and the pages), until stopped.

use std::sync::Arc;
use std::time::Duration;

use kindpakket_platform::config::ServiceConfig;
use kindpakket_platform::service::Infrastructure;
use kindpakket_proto::Service;
use serde::Deserialize;

use crate::http;
use crate::http::page::PageState;
use crate::projections::{DashboardProjection, MIGRATIONS};

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
}

impl DashboardConfig {
    /// The login address to link, when it is a web address.
    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies
            .as_deref()
            .is_some_and(|value| matches!(value.trim(), "true" | "1" | "ja"))
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
    let (api, document) = kindpakket_platform::http::finish(http::routes(), http::DESCRIPTION)?;
    let mut infrastructure = Infrastructure::start("dashboard", config, &MIGRATIONS).await?;
    let projection = Arc::new(DashboardProjection);
    for source in [
        Service::Regie,
        Service::Signalling,
        Service::Application,
        Service::Provision,
    ] {
        infrastructure.consume(source, projection.clone());
    }
    let pool = infrastructure.pool.clone();
    let sessions = pool.clone();
    infrastructure.every(
        "forget_expired_sessions",
        Duration::from_secs(600),
        move || {
            let sessions = sessions.clone();
            async move { crate::sessions::forget_expired(&sessions).await }
        },
    );
    let pages = http::pages(PageState {
        pool: pool.clone(),
        login_url: own.login_url(),
        secure_cookies: own.secure_cookies(),
    });
    infrastructure
        .serve_with_pages(api.with_state(pool), document, pages)
        .await
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
}
