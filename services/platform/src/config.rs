//! Service configuration from the environment (12-factor): one struct, read once at start.

use std::net::SocketAddr;

use anyhow::{Context, Result};

/// How a service is configured. Every field has an environment variable.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// `KINDPAKKET_HTTP_ADDR`, e.g. `127.0.0.1:8081`.
    pub http_addr: SocketAddr,
    /// `KINDPAKKET_DATABASE_URL`: this service's own database; created when missing.
    pub database_url: String,
    /// `KINDPAKKET_NATS_URL`: one or more servers, comma-separated.
    pub nats_urls: Vec<String>,
    /// `KINDPAKKET_STREAM_REPLICAS`: 1 on a developer machine, 3 in production.
    pub stream_replicas: usize,
    /// `KINDPAKKET_LOG_FORMAT`: `json` (default) or `pretty`.
    pub log_format: LogFormat,
    /// `KINDPAKKET_AUTH_*`: the identity provider's keys, issuer and audience.
    pub auth: crate::auth::AuthConfig,
    /// `KINDPAKKET_NATS_USER`, `_PASSWORD`, `_CA`, `_CERT`, `_KEY`: who this service is to NATS.
    pub nats_security: crate::nats::NatsSecurity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

impl ServiceConfig {
    /// Reads the configuration; `default_port` is used when `KINDPAKKET_HTTP_ADDR` is not set.
    pub fn from_env(default_port: u16) -> Result<Self> {
        let http_addr = std::env::var("KINDPAKKET_HTTP_ADDR")
            .unwrap_or_else(|_| format!("127.0.0.1:{default_port}"))
            .parse()
            .context("KINDPAKKET_HTTP_ADDR must be host:port")?;
        let database_url = std::env::var("KINDPAKKET_DATABASE_URL")
            .context("KINDPAKKET_DATABASE_URL must name this service's database")?;
        let nats_urls = std::env::var("KINDPAKKET_NATS_URL")
            .unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
            .split(',')
            .map(|url| url.trim().to_owned())
            .filter(|url| !url.is_empty())
            .collect();
        let stream_replicas = std::env::var("KINDPAKKET_STREAM_REPLICAS")
            .ok()
            .map(|value| value.parse())
            .transpose()
            .context("KINDPAKKET_STREAM_REPLICAS must be a number")?
            .unwrap_or(1);
        let log_format = match std::env::var("KINDPAKKET_LOG_FORMAT").as_deref() {
            Ok("pretty") => LogFormat::Pretty,
            _ => LogFormat::Json,
        };
        Ok(Self {
            http_addr,
            database_url,
            nats_urls,
            stream_replicas,
            log_format,
            auth: crate::auth::AuthConfig::from_env()?,
            nats_security: crate::nats::NatsSecurity::from_env()?,
        })
    }
}
