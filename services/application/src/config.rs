//! The application service's own configuration, beside the shared one: the vault's databases and
//! the retention periods. Read with the platform's configuration (a file named by
//! `KINDPAKKET_CONFIG`, or `KINDPAKKET_*` variables).

use kindpakket_platform::config::ConfigError;
use kindpakket_platform::db::DatabaseConfig;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ApplicationConfig {
    /// `KINDPAKKET_RETENTION`: per kind of record the days it is kept, e.g. `kind=2555,ouder=2555`
    /// ([`crate::vault::retention::RetentionPeriods`]).
    #[serde(default)]
    pub retention: Option<String>,
    /// `KINDPAKKET_VAULT_DATABASE_URL`: the vault's database; by default `<database>_vault` next to
    /// the service's own.
    #[serde(default)]
    pub vault_database_url: Option<String>,
    /// `KINDPAKKET_VAULT_KEYS_DATABASE_URL`: the vault's keys; by default `<database>_vault_keys`.
    /// Also the service's subject keys ([`kindpakket_platform::shredding`]): the persons' and the
    /// households' keys in one table, so one erasure destroys rows of one database.
    #[serde(default)]
    pub vault_keys_database_url: Option<String>,
    /// `KINDPAKKET_PSEUDONYM_KEY`: the secret behind each partner's own pseudonyms of children,
    /// households and entitlements; the same as the provision service's.
    #[serde(default)]
    pub pseudonym_key: Option<String>,
}

impl ApplicationConfig {
    pub fn load() -> Result<Self, ConfigError> {
        kindpakket_platform::config::load()
    }

    /// The vault's two databases, migrated by the owner of the service's own (`service`).
    pub fn vault_databases(&self, service: &DatabaseConfig) -> (DatabaseConfig, DatabaseConfig) {
        let url = |configured: &Option<String>, suffix: &str| {
            configured
                .clone()
                .unwrap_or_else(|| next_to(&service.url, suffix))
        };
        (
            service.with_url(url(&self.vault_database_url, "_vault")),
            service.with_url(url(&self.vault_keys_database_url, "_vault_keys")),
        )
    }
}

/// The url of a database named as the one in `service_url` plus `suffix`, with the same options.
fn next_to(service_url: &str, suffix: &str) -> String {
    // The query may hold paths (`sslrootcert=/etc/...`): split it off before finding the name.
    match service_url.split_once('?') {
        Some((location, query)) => format!("{location}{suffix}?{query}"),
        None => format!("{service_url}{suffix}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(url: &str) -> DatabaseConfig {
        DatabaseConfig {
            url: url.to_owned(),
            migration_owner: Some(kindpakket_platform::db::MigrationOwner {
                user: "kindpakket_owner".to_owned(),
                password: None,
            }),
        }
    }

    #[test]
    fn the_vault_databases_sit_next_to_the_service_database_with_the_same_options_and_owner() {
        let (data, keys) = ApplicationConfig::default().vault_databases(&service(
            "postgres://kindpakket_application@db:5432/kindpakket_application?sslmode=verify-full&sslrootcert=/etc/kindpakket/ca.pem",
        ));
        assert_eq!(
            data.url,
            "postgres://kindpakket_application@db:5432/kindpakket_application_vault?sslmode=verify-full&sslrootcert=/etc/kindpakket/ca.pem"
        );
        assert_eq!(
            keys.url,
            "postgres://kindpakket_application@db:5432/kindpakket_application_vault_keys?sslmode=verify-full&sslrootcert=/etc/kindpakket/ca.pem"
        );
        assert_eq!(
            keys.migration_owner.map(|owner| owner.user).as_deref(),
            Some("kindpakket_owner")
        );
        let (data, _) =
            ApplicationConfig::default().vault_databases(&service("postgres://localhost/app"));
        assert_eq!(data.url, "postgres://localhost/app_vault");
    }

    #[test]
    fn configured_vault_databases_win() {
        let config = ApplicationConfig {
            vault_database_url: Some("postgres://vault/data".to_owned()),
            vault_keys_database_url: Some("postgres://vault/keys".to_owned()),
            ..ApplicationConfig::default()
        };
        let (data, keys) = config.vault_databases(&service("postgres://localhost/app"));
        assert_eq!(
            (data.url.as_str(), keys.url.as_str()),
            ("postgres://vault/data", "postgres://vault/keys")
        );
    }
}
