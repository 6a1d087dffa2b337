//! Keeping, reading and forgetting a person, as the gemeente asks it: each recorded on the audit log
//! with who asked, from where, why, and what came of it (never the data itself).

use kindpakket_proto::GemeenteCode;
use time::OffsetDateTime;
use uuid::Uuid;

use super::audit::Actor;
use super::{bsn, Person, PersonalData, Vault};

/// Why the vault did not do what was asked. The first four are for the caller (Dutch, as they read
/// it); a technical failure is logged.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("Dit BSN klopt niet: een burgerservicenummer heeft 9 cijfers en voldoet aan de 11-proef. Controleer het nummer; er is niets opgeslagen.")]
    InvalidBsn,
    #[error("De naam ontbreekt; er is niets opgeslagen.")]
    MissingName,
    #[error(
        "Geef de reden van het verwijderen op (bijvoorbeeld: verzoek van betrokkene, AVG art. 17)."
    )]
    MissingReason,
    #[error("Persoon '{0}' is niet bekend in deze gemeente.")]
    Unknown(Uuid),
    #[error("{0:#}")]
    Technical(anyhow::Error),
}

impl From<anyhow::Error> for VaultError {
    fn from(error: anyhow::Error) -> Self {
        VaultError::Technical(error)
    }
}

impl From<sqlx::Error> for VaultError {
    fn from(error: sqlx::Error) -> Self {
        VaultError::Technical(error.into())
    }
}

/// A person as the vault was asked to keep them.
#[derive(Debug, Clone)]
pub struct Registration {
    /// `kind` or `ouder`.
    pub kind: &'static str,
    pub data: PersonalData,
}

/// A person kept: their pseudonymous reference, and whether they were new (or their data replaced).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    pub person_id: Uuid,
    pub created: bool,
}

/// Keeps a person of `gemeente` and hands out their reference; the same BSN again gets the same
/// reference. A BSN that fails the 11-proef is refused, and the refusal is on the audit log too.
pub async fn register(
    vault: &Vault,
    gemeente: &GemeenteCode,
    registration: Registration,
    by: Actor<'_>,
    purpose: &str,
) -> Result<Registered, VaultError> {
    let Registration { kind, mut data } = registration;
    data.bsn = data.bsn.trim().to_owned();
    if !bsn::is_valid(&data.bsn) {
        vault
            .audit(by.entry(
                gemeente.as_str(),
                "registreren",
                "-",
                "geweigerd: BSN voldoet niet aan de 11-proef",
                purpose,
            ))
            .await?;
        return Err(VaultError::InvalidBsn);
    }
    data.name = data.name.trim().to_owned();
    if data.name.is_empty() {
        return Err(VaultError::MissingName);
    }
    let today = OffsetDateTime::now_utc().date();
    let (person_id, created) = vault
        .register(gemeente.as_str(), kind, &data, today)
        .await?;
    let object = person_id.to_string();
    let action = if created { "registreren" } else { "bijwerken" };
    vault
        .audit(by.entry(gemeente.as_str(), action, &object, "gelukt", purpose))
        .await?;
    Ok(Registered { person_id, created })
}

/// Reads a person of `gemeente` for `purpose`: readable, or forgotten. Also an unknown person's
/// read is on the audit log.
pub async fn read(
    vault: &Vault,
    gemeente: &GemeenteCode,
    person_id: Uuid,
    by: Actor<'_>,
    purpose: &str,
) -> Result<Person, VaultError> {
    let person = vault.read(gemeente.as_str(), person_id).await?;
    let result = match &person {
        None => "niet gevonden",
        Some(Person::Erased { .. }) => "verwijderd",
        Some(Person::Readable { .. }) => "gelezen",
    };
    let object = person_id.to_string();
    vault
        .audit(by.entry(gemeente.as_str(), "lezen", &object, result, purpose))
        .await?;
    person.ok_or(VaultError::Unknown(person_id))
}

/// Forgets a person of `gemeente` for `reason`: their key is destroyed. Also an unknown person's
/// erasure is on the audit log.
pub async fn erase(
    vault: &Vault,
    gemeente: &GemeenteCode,
    person_id: Uuid,
    reason: &str,
    by: Actor<'_>,
) -> Result<(), VaultError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(VaultError::MissingReason);
    }
    let erased = vault.erase(gemeente.as_str(), person_id, reason).await?;
    let object = person_id.to_string();
    let result = if erased {
        "sleutel vernietigd"
    } else {
        "niet gevonden"
    };
    vault
        .audit(by.entry(gemeente.as_str(), "verwijderen", &object, result, reason))
        .await?;
    if erased {
        Ok(())
    } else {
        Err(VaultError::Unknown(person_id))
    }
}
