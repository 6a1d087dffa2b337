//! Service configuration: one layered scheme for every service, read once at start and checked then.
//!
//! Values come, in rising precedence, from
//! 1. the defaults below,
//! 2. a TOML file named by `KINDPAKKET_CONFIG` (keys as the variables below without the prefix, in
//!    lowercase: `database_url = "postgres://…"`),
//! 3. environment variables `KINDPAKKET_<KEY>` (`KINDPAKKET_DATABASE_URL`).
//!
//! Environment values are taken as written (a password of digits stays a string with its leading
//! zeros); numbers and addresses are parsed from them; an empty variable counts as unset. A missing or malformed value stops the service
//! at start with a message that names the variable.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use figment::providers::{Format, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

/// The prefix of every environment variable the platform reads.
pub const PREFIX: &str = "KINDPAKKET_";

/// What the process is started to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Run the service (no arguments).
    Serve,
    /// `migrate`: create and migrate the service's databases as the migration owner, grant the
    /// service's role its privileges, and exit. Production runs this as a separate step (a job or
    /// an init container) with the owner's secret, and the service itself without it.
    Migrate,
}

impl Mode {
    /// The mode the command line asks for.
    pub fn from_args(mut args: impl Iterator<Item = String>) -> Result<Self, ConfigError> {
        let _program = args.next();
        match (args.next().as_deref(), args.next()) {
            (None, _) => Ok(Mode::Serve),
            (Some("migrate"), None) => Ok(Mode::Migrate),
            _ => Err(ConfigError::message(
                "usage: run without arguments to serve, or with `migrate` to migrate and exit",
            )),
        }
    }
}

/// The configuration every service shares.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Serve, or only migrate (from the command line).
    pub mode: Mode,
    /// `KINDPAKKET_HTTP_ADDR`, e.g. `127.0.0.1:8081`.
    pub http_addr: SocketAddr,
    /// `KINDPAKKET_DATABASE_URL` (and `KINDPAKKET_MIGRATION_USER`/`_PASSWORD`): this service's own
    /// database; created when missing.
    pub database: crate::db::DatabaseConfig,
    /// `KINDPAKKET_NATS_URL`: one or more servers, comma-separated.
    pub nats_urls: Vec<String>,
    /// `KINDPAKKET_STREAM_REPLICAS`: 1 on a developer machine, 3 in production.
    pub stream_replicas: usize,
    /// `KINDPAKKET_STREAM_MAX_AGE_DAYS`: how long a stream that names people keeps a message (365).
    pub stream_max_age_days: u32,
    /// `KINDPAKKET_LOG_FORMAT`: `json` (default) or `pretty`.
    pub log_format: LogFormat,
    /// `KINDPAKKET_AUTH_JWKS`, `_ISSUER`, `_AUDIENCE`, `_MAX_TOKEN_SECONDS`: the identity provider's
    /// keys and the claims its tokens must carry.
    pub auth: crate::auth::AuthConfig,
    /// `KINDPAKKET_NATS_USER`, `_PASSWORD`, `_CA`, `_CERT`, `_KEY`: who this service is to NATS.
    pub nats_security: crate::nats::NatsSecurity,
    /// `KINDPAKKET_RATE_PER_SECOND` and `KINDPAKKET_RATE_BURST`: requests a caller may make.
    pub rate_limit: crate::ratelimit::RateLimit,
    /// `KINDPAKKET_MASTER_KEYS` and `KINDPAKKET_KEYS_DATABASE_URL`: where a service that seals
    /// personal data keeps its subject keys, and the master key that wraps them.
    pub keys: KeysConfig,
    /// `KINDPAKKET_CLOCK_OFFSET_DAYS`: days the service's clock is moved ahead (0; for rehearsals and
    /// tests of retention, see [`crate::clock`]).
    pub clock_offset_days: i64,
    /// `KINDPAKKET_CONSUMER_BATCH`: how many arrived messages a consumer applies in one transaction
    /// at most (500; 1 applies each in a transaction of its own).
    pub consumer_batch: usize,
}

/// Where the subject keys of a service live ([`crate::shredding`]).
#[derive(Debug, Clone, Default)]
pub struct KeysConfig {
    /// `KINDPAKKET_MASTER_KEYS`: the master keys file (or, in production, what a key-management
    /// system's wrapper is configured with).
    pub master_keys: Option<PathBuf>,
    /// `KINDPAKKET_KEYS_DATABASE_URL`: the keys database; by default `<database>_keys` beside the
    /// service's own. Back it up for a shorter time than the erasure deadline.
    pub database_url: Option<String>,
    /// `KINDPAKKET_RETENTION_DAYS`: how long what was sealed stays readable; the keys of a month that
    /// ended longer ago are destroyed ([`crate::shredding::sweep_by_age`]). Seven years (2555 days)
    /// by default, as the dashboard keeps a child's rows.
    pub retention_days: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

/// The keys as they are read, before they are put together.
#[derive(Debug, Deserialize)]
struct SharedKeys {
    #[serde(default, deserialize_with = "parsed_option")]
    http_addr: Option<SocketAddr>,
    database_url: String,
    #[serde(default)]
    migration_user: Option<String>,
    #[serde(default)]
    migration_password: Option<String>,
    #[serde(default = "default_nats_url")]
    nats_url: String,
    #[serde(default = "one", deserialize_with = "parsed")]
    stream_replicas: usize,
    #[serde(default = "default_stream_max_age_days", deserialize_with = "parsed")]
    stream_max_age_days: u32,
    #[serde(default = "json_logs")]
    log_format: LogFormat,
    auth_jwks: PathBuf,
    #[serde(default = "default_issuer")]
    auth_issuer: String,
    #[serde(default = "default_audience")]
    auth_audience: String,
    #[serde(default = "twelve_hours", deserialize_with = "parsed")]
    auth_max_token_seconds: u64,
    #[serde(default)]
    nats_user: Option<String>,
    #[serde(default)]
    nats_password: Option<String>,
    #[serde(default)]
    nats_ca: Option<PathBuf>,
    #[serde(default)]
    nats_cert: Option<PathBuf>,
    #[serde(default)]
    nats_key: Option<PathBuf>,
    #[serde(default)]
    master_keys: Option<PathBuf>,
    #[serde(default)]
    keys_database_url: Option<String>,
    #[serde(default, deserialize_with = "parsed")]
    clock_offset_days: i64,
    #[serde(default = "seven_years", deserialize_with = "parsed")]
    retention_days: u32,
    #[serde(default = "default_rate", deserialize_with = "parsed")]
    rate_per_second: f64,
    #[serde(default = "default_burst", deserialize_with = "parsed")]
    rate_burst: f64,
    #[serde(default = "default_consumer_batch", deserialize_with = "parsed")]
    consumer_batch: usize,
}

fn default_nats_url() -> String {
    "nats://127.0.0.1:4222".to_owned()
}
fn one() -> usize {
    1
}
fn default_stream_max_age_days() -> u32 {
    crate::nats::DEFAULT_STREAM_MAX_AGE_DAYS
}
fn seven_years() -> u32 {
    crate::shredding::DEFAULT_RETENTION_DAYS
}
fn json_logs() -> LogFormat {
    LogFormat::Json
}
fn default_issuer() -> String {
    crate::auth::DEV_ISSUER.to_owned()
}
fn default_audience() -> String {
    crate::auth::AUDIENCE.to_owned()
}
fn twelve_hours() -> u64 {
    12 * 3600
}
fn default_rate() -> f64 {
    100.0
}
fn default_burst() -> f64 {
    200.0
}
fn default_consumer_batch() -> usize {
    crate::consume::DEFAULT_MAX_BATCH
}

impl ServiceConfig {
    /// How this service declares its stream.
    pub fn stream_policy(&self) -> crate::nats::StreamPolicy {
        crate::nats::StreamPolicy {
            replicas: self.stream_replicas,
            max_age_days: self.stream_max_age_days,
        }
    }

    /// The mode from the command line (`migrate`, or nothing to serve) and the configuration.
    pub fn from_command_line(default_port: u16) -> Result<Self, ConfigError> {
        Self::load(default_port, Mode::from_args(std::env::args())?)
    }

    /// Reads the shared configuration; `default_port` is used when `KINDPAKKET_HTTP_ADDR` is not set.
    pub fn load(default_port: u16, mode: Mode) -> Result<Self, ConfigError> {
        let keys: SharedKeys = load()?;
        refuse_known_default_passwords(&keys)?;
        let pair = |first: Option<String>, second: Option<String>, names: (&str, &str)| match (
            first, second,
        ) {
            (Some(first), Some(second)) => Ok(Some((first, second))),
            (None, None) => Ok(None),
            _ => Err(ConfigError::message(format!(
                "{PREFIX}{} and {PREFIX}{} go together: set both or neither",
                names.0, names.1
            ))),
        };
        let user = pair(
            keys.nats_user,
            keys.nats_password,
            ("NATS_USER", "NATS_PASSWORD"),
        )?;
        let client_certificate = match (keys.nats_cert, keys.nats_key) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => {
                return Err(ConfigError::message(format!(
                    "{PREFIX}NATS_CERT and {PREFIX}NATS_KEY go together: set both or neither"
                )))
            }
        };
        let migration_owner = match (keys.migration_user, keys.migration_password) {
            (Some(user), password) => Some(crate::db::MigrationOwner { user, password }),
            (None, None) => None,
            (None, Some(_)) => {
                return Err(ConfigError::message(format!(
                    "{PREFIX}MIGRATION_PASSWORD is set without {PREFIX}MIGRATION_USER"
                )))
            }
        };
        let nats_urls: Vec<String> = keys
            .nats_url
            .split(',')
            .map(|url| url.trim().to_owned())
            .filter(|url| !url.is_empty())
            .collect();
        if nats_urls.is_empty() {
            return Err(ConfigError::message(format!(
                "{PREFIX}NATS_URL names no server"
            )));
        }
        if keys.stream_replicas == 0 {
            return Err(ConfigError::message(format!(
                "{PREFIX}STREAM_REPLICAS must be at least 1"
            )));
        }
        if keys.stream_max_age_days == 0 {
            return Err(ConfigError::message(format!(
                "{PREFIX}STREAM_MAX_AGE_DAYS must be at least 1 (days)"
            )));
        }
        if !(keys.rate_per_second > 0.0 && keys.rate_burst >= 1.0) {
            return Err(ConfigError::message(format!(
                "{PREFIX}RATE_PER_SECOND must be above 0 and {PREFIX}RATE_BURST at least 1"
            )));
        }
        if keys.retention_days == 0 {
            return Err(ConfigError::message(format!(
                "{PREFIX}RETENTION_DAYS must be a positive number of days"
            )));
        }
        if keys.clock_offset_days < 0 {
            return Err(ConfigError::message(format!(
                "{PREFIX}CLOCK_OFFSET_DAYS moves the clock ahead only: 0 or more days"
            )));
        }
        if keys.consumer_batch == 0 {
            return Err(ConfigError::message(format!(
                "{PREFIX}CONSUMER_BATCH must be at least 1 (messages per transaction)"
            )));
        }
        if mode == Mode::Migrate && migration_owner.is_none() {
            return Err(ConfigError::message(format!(
                "migrate needs the owner that migrates: set {PREFIX}MIGRATION_USER (and {PREFIX}MIGRATION_PASSWORD)"
            )));
        }
        Ok(Self {
            mode,
            http_addr: keys
                .http_addr
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], default_port))),
            database: crate::db::DatabaseConfig {
                url: keys.database_url,
                migration_owner,
            },
            nats_urls,
            stream_replicas: keys.stream_replicas,
            stream_max_age_days: keys.stream_max_age_days,
            log_format: keys.log_format,
            auth: crate::auth::AuthConfig {
                jwks_path: keys.auth_jwks,
                issuer: keys.auth_issuer,
                audience: keys.auth_audience,
                max_token_seconds: keys.auth_max_token_seconds,
            },
            nats_security: crate::nats::NatsSecurity {
                user,
                ca_file: keys.nats_ca,
                client_certificate,
            },
            rate_limit: crate::ratelimit::RateLimit {
                per_second: keys.rate_per_second,
                burst: keys.rate_burst,
            },
            keys: KeysConfig {
                master_keys: keys.master_keys,
                database_url: keys.keys_database_url,
                retention_days: keys.retention_days,
            },
            clock_offset_days: keys.clock_offset_days,
            consumer_batch: keys.consumer_batch,
        })
    }
}

/// Passwords that ship in examples and images. A service configured with one is exposed to anyone
/// who read the same example, so it refuses to start.
const KNOWN_DEFAULT_PASSWORDS: &[&str] = &[
    "change-me",
    "changeme",
    "change_me",
    "password",
    "postgres",
    "kindpakket",
    "secret",
    "admin",
    "nats",
];

fn refuse_known_default_passwords(keys: &SharedKeys) -> Result<(), ConfigError> {
    // The user information of a postgres URL: `postgres://user:password@host/…`.
    let database_password = keys
        .database_url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.rsplit_once('@'))
        .and_then(|(authority, _)| authority.split_once(':'))
        .map(|(_, password)| password.to_owned());
    let passwords = [
        ("DATABASE_URL", database_password),
        ("MIGRATION_PASSWORD", keys.migration_password.clone()),
        ("NATS_PASSWORD", keys.nats_password.clone()),
    ];
    for (variable, password) in passwords {
        let Some(password) = password else { continue };
        let lowered = password.to_ascii_lowercase();
        let placeholder = ["change-me", "changeme", "change_me", "verander"]
            .iter()
            .any(|prefix| lowered.starts_with(prefix));
        if placeholder || KNOWN_DEFAULT_PASSWORDS.contains(&lowered.as_str()) {
            return Err(ConfigError::message(format!(
                "{PREFIX}{variable} uses a known default password: set a secret of your own"
            )));
        }
    }
    Ok(())
}

/// Reads a service's own keys (any `Deserialize` struct whose fields are the lowercase keys) from
/// the same layers as [`ServiceConfig`].
pub fn load<T: DeserializeOwned>() -> Result<T, ConfigError> {
    figment().extract().map_err(ConfigError::from)
}

/// The layers: the file named by `KINDPAKKET_CONFIG`, then the environment.
pub fn figment() -> Figment {
    let mut figment = Figment::new();
    if let Ok(path) = std::env::var(format!("{PREFIX}CONFIG")) {
        figment = figment.merge(Toml::file_exact(path));
    }
    figment.merge(Environment)
}

/// Every `KINDPAKKET_*` variable as a string, exactly as written.
struct Environment;

impl Provider for Environment {
    fn metadata(&self) -> Metadata {
        Metadata::named("environment variable")
            .interpolater(|_, path| format!("{PREFIX}{}", path.join("_").to_ascii_uppercase()))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let dict: Dict = std::env::vars()
            .filter_map(|(name, value)| {
                let key = name.strip_prefix(PREFIX)?.to_ascii_lowercase();
                // An empty variable is an unset one: deployment templates often set them all.
                (key != "config" && !value.is_empty()).then(|| (key, Value::from(value)))
            })
            .collect();
        Ok(Profile::Default.collect(dict))
    }
}

/// A value parsed from text (environment) or taken as it is (a TOML number).
fn parsed<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + Deserialize<'de>,
    T::Err: fmt::Display,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TextOr<T> {
        Text(String),
        Value(T),
    }
    match TextOr::<T>::deserialize(deserializer)? {
        TextOr::Text(text) => text.trim().parse().map_err(serde::de::Error::custom),
        TextOr::Value(value) => Ok(value),
    }
}

fn parsed_option<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + Deserialize<'de>,
    T::Err: fmt::Display,
{
    parsed(deserializer).map(Some)
}

/// Why the configuration cannot be used; the message names the variable to set.
#[derive(Debug)]
pub struct ConfigError(String);

impl ConfigError {
    pub fn message(text: impl Into<String>) -> Self {
        Self(text.into())
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl From<figment::Error> for ConfigError {
    fn from(errors: figment::Error) -> Self {
        let lines: Vec<String> = errors
            .into_iter()
            .map(|error| {
                let key = error.path.join("_");
                let variable = format!("{PREFIX}{}", key.to_ascii_uppercase());
                match &error.kind {
                    figment::error::Kind::MissingField(field) => {
                        let variable = format!("{PREFIX}{}", field.to_ascii_uppercase());
                        format!(
                            "{variable} is not set (or `{field}` in the file of {PREFIX}CONFIG)"
                        )
                    }
                    _ => format!("{variable}: {}", error.kind),
                }
            })
            .collect();
        Self(format!("configuration: {}", lines.join("; ")))
    }
}

#[cfg(test)]
#[allow(
    clippy::result_large_err,
    reason = "figment's Jail takes closures that return its own error type"
)]
mod tests {
    use super::*;
    use figment::Jail;

    #[test]
    fn variables_are_read_as_written_and_numbers_parsed() {
        Jail::expect_with(|jail| {
            jail.set_env("KINDPAKKET_DATABASE_URL", "postgres://x@127.0.0.1/db");
            jail.set_env("KINDPAKKET_AUTH_JWKS", "/tmp/jwks.json");
            jail.set_env("KINDPAKKET_NATS_USER", "provision");
            jail.set_env("KINDPAKKET_NATS_PASSWORD", "007");
            jail.set_env("KINDPAKKET_STREAM_REPLICAS", "3");
            jail.set_env("KINDPAKKET_NATS_URL", "nats://a:4222, nats://b:4222");
            jail.set_env("KINDPAKKET_NATS_CA", "");
            let config = ServiceConfig::load(8081, Mode::Serve).expect("valid");
            assert_eq!(config.http_addr.port(), 8081);
            assert_eq!(config.stream_replicas, 3);
            assert_eq!(config.nats_urls, ["nats://a:4222", "nats://b:4222"]);
            assert_eq!(
                config.nats_security.user,
                Some(("provision".to_owned(), "007".to_owned()))
            );
            assert_eq!(config.nats_security.ca_file, None, "empty is unset");
            Ok(())
        });
    }

    #[test]
    fn a_missing_or_malformed_value_names_the_variable() {
        Jail::expect_with(|jail| {
            jail.set_env("KINDPAKKET_AUTH_JWKS", "/tmp/jwks.json");
            let missing = ServiceConfig::load(8081, Mode::Serve)
                .unwrap_err()
                .to_string();
            assert!(missing.contains("KINDPAKKET_DATABASE_URL"), "{missing}");
            jail.set_env("KINDPAKKET_DATABASE_URL", "postgres://x@127.0.0.1/db");
            jail.set_env("KINDPAKKET_STREAM_REPLICAS", "drie");
            let malformed = ServiceConfig::load(8081, Mode::Serve)
                .unwrap_err()
                .to_string();
            assert!(
                malformed.contains("KINDPAKKET_STREAM_REPLICAS"),
                "{malformed}"
            );
            Ok(())
        });
    }

    #[test]
    fn the_command_line_says_serve_or_migrate_and_nothing_else() {
        let args = |list: &[&str]| list.iter().map(|arg| (*arg).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            Mode::from_args(args(&["kindpakket-regie"]).into_iter()).unwrap(),
            Mode::Serve
        );
        assert_eq!(
            Mode::from_args(args(&["kindpakket-regie", "migrate"]).into_iter()).unwrap(),
            Mode::Migrate
        );
        assert!(Mode::from_args(args(&["kindpakket-regie", "drop"]).into_iter()).is_err());
        assert!(Mode::from_args(args(&["kindpakket-regie", "migrate", "x"]).into_iter()).is_err());
    }

    #[test]
    fn a_known_default_password_stops_the_service() {
        Jail::expect_with(|jail| {
            jail.set_env("KINDPAKKET_AUTH_JWKS", "/tmp/jwks.json");
            jail.set_env(
                "KINDPAKKET_DATABASE_URL",
                "postgres://regie:change-me@db:5432/kindpakket_regie?sslmode=verify-full",
            );
            let refused = ServiceConfig::load(8081, Mode::Serve)
                .unwrap_err()
                .to_string();
            assert!(refused.contains("KINDPAKKET_DATABASE_URL"), "{refused}");
            assert!(!refused.contains("change-me"), "{refused}");
            jail.set_env(
                "KINDPAKKET_DATABASE_URL",
                "postgres://regie:s3cr3t-of-our-own@db:5432/kindpakket_regie",
            );
            jail.set_env("KINDPAKKET_NATS_USER", "regie");
            jail.set_env("KINDPAKKET_NATS_PASSWORD", "Change-Me-Regie");
            let refused = ServiceConfig::load(8081, Mode::Serve)
                .unwrap_err()
                .to_string();
            assert!(refused.contains("KINDPAKKET_NATS_PASSWORD"), "{refused}");
            jail.set_env("KINDPAKKET_NATS_PASSWORD", "another-secret");
            assert!(ServiceConfig::load(8081, Mode::Serve).is_ok());
            Ok(())
        });
    }

    #[test]
    fn consumers_batch_500_by_default_and_at_least_one() {
        Jail::expect_with(|jail| {
            jail.set_env("KINDPAKKET_AUTH_JWKS", "/tmp/jwks.json");
            jail.set_env("KINDPAKKET_DATABASE_URL", "postgres://x@127.0.0.1/db");
            let config = ServiceConfig::load(8081, Mode::Serve).expect("valid");
            assert_eq!(config.consumer_batch, 500);
            jail.set_env("KINDPAKKET_CONSUMER_BATCH", "1");
            let config = ServiceConfig::load(8081, Mode::Serve).expect("valid");
            assert_eq!(config.consumer_batch, 1);
            jail.set_env("KINDPAKKET_CONSUMER_BATCH", "0");
            let refused = ServiceConfig::load(8081, Mode::Serve)
                .unwrap_err()
                .to_string();
            assert!(refused.contains("KINDPAKKET_CONSUMER_BATCH"), "{refused}");
            Ok(())
        });
    }

    #[test]
    fn the_file_is_read_and_the_environment_wins() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "provision.toml",
                "database_url = \"postgres://file/db\"\nauth_jwks = \"/etc/jwks.json\"\nstream_replicas = 3\n",
            )?;
            jail.set_env("KINDPAKKET_CONFIG", "provision.toml");
            jail.set_env("KINDPAKKET_DATABASE_URL", "postgres://env/db");
            let config = ServiceConfig::load(8084, Mode::Serve).expect("valid");
            assert_eq!(config.database.url, "postgres://env/db");
            assert_eq!(config.stream_replicas, 3);
            assert_eq!(config.auth.jwks_path, PathBuf::from("/etc/jwks.json"));
            Ok(())
        });
    }
}
