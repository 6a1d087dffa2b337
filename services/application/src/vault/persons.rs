//! Keeping, reading, correcting and forgetting a person: each recorded on the audit log with who
//! asked, from where, why, and what came of it (never the data itself).
//!
//! A parent keeps the people of the household their login names, and learns nothing of anyone
//! else: whether the vault knew the BSN or not, they get the same answer (a new pseudonymous id, or
//! the one their household already had). Only the regievoerder, registering with a stated purpose,
//! gets the person the vault knows by a BSN, and sees in its read which records may be the same
//! person.

use kindpakket_platform::free_text::Note;
use kindpakket_platform::store::CommandContext;
use kindpakket_proto::application::ForgetReason;
use kindpakket_proto::GemeenteCode;
use uuid::Uuid;

use super::audit::Actor;
use super::{
    bsn, Correction, Kept, Person, PersonState, PersonalData, Rectified, RegisteredFor, Vault,
};
use crate::forgetting::{Forgetting, Notice};

/// Why the vault did not do what was asked. All but the last are for the caller (Dutch, as they
/// read it, never echoing what they sent); a technical failure is logged.
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
    #[error("Uw inlog noemt geen huishouden: log in via de gemeente (DigiD) om de gegevens van uw gezin op te geven. Er is niets opgeslagen.")]
    NoHousehold,
    #[error("Deze persoon is niet bekend in deze gemeente.")]
    Unknown,
    #[error("Deze persoon is vergeten: er is niets meer te corrigeren.")]
    Erased,
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

/// Who registers a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registrant {
    /// A parent, for the household their login names (if it names one).
    Parent { household: Option<Uuid> },
    /// The regievoerder, for a stated purpose.
    Gemeente,
}

/// A person kept: their pseudonymous reference, and whether the caller is told they are new. A
/// parent is always told so, whatever the vault knew; the regievoerder learns whether the BSN was
/// known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    pub person_id: Uuid,
    pub created: bool,
}

/// Keeps a person of `gemeente` and hands out their reference (see [`Vault::register`]: nothing
/// kept is replaced). A BSN that fails the 11-proef is refused, and so is a parent whose login
/// names no household; both refusals are on the audit log too.
pub async fn register(
    vault: &Vault,
    gemeente: &GemeenteCode,
    registration: Registration,
    registrant: Registrant,
    by: Actor<'_>,
    purpose: &str,
) -> Result<Registered, VaultError> {
    let Registration { kind, mut data } = registration;
    let refuse = |result: &'static str, error: VaultError| async move {
        vault
            .audit(by.entry(gemeente.as_str(), "registreren", "-", result, purpose))
            .await?;
        Err::<Registered, VaultError>(error)
    };
    let registered_for = match registrant {
        Registrant::Parent {
            household: Some(household),
        } => RegisteredFor::Household(household),
        Registrant::Parent { household: None } => {
            return refuse(
                "geweigerd: inlog noemt geen huishouden",
                VaultError::NoHousehold,
            )
            .await;
        }
        Registrant::Gemeente => RegisteredFor::Gemeente,
    };
    data.bsn = data.bsn.trim().to_owned();
    if !bsn::is_valid(&data.bsn) {
        return refuse(
            "geweigerd: BSN voldoet niet aan de 11-proef",
            VaultError::InvalidBsn,
        )
        .await;
    }
    data.name = data.name.trim().to_owned();
    if data.name.is_empty() {
        return Err(VaultError::MissingName);
    }
    let today = kindpakket_platform::clock::today();
    let kept = vault
        .register(gemeente.as_str(), kind, &data, registered_for, today)
        .await?;
    // What the audit log says is what the caller may learn: a parent's registration is a
    // registration, whatever the vault knew (the regievoerder reads the mark on the record).
    let (person_id, action, result, created) = match (registrant, kept) {
        (Registrant::Gemeente, Kept::Known(person_id)) => (person_id, "opzoeken", "bekend", false),
        (_, Kept::New(person_id) | Kept::Known(person_id))
        | (_, Kept::PossibleDuplicate { person_id, .. }) => {
            (person_id, "registreren", "gelukt", true)
        }
    };
    let object = person_id.to_string();
    vault
        .audit(by.entry(gemeente.as_str(), action, &object, result, purpose))
        .await?;
    Ok(Registered { person_id, created })
}

/// Records corrected data of a person of `gemeente` for `purpose` (the regievoerder's rectification,
/// AVG art. 16): the corrected data become the current version, the earlier one stays sealed under
/// the person's key. The platform is told first (`SubjectRectified`, [`Forgetting::rectifying`]).
/// Also an unknown or forgotten person's rectification is on the audit log.
pub async fn rectify(
    forgetting: &Forgetting,
    gemeente: &GemeenteCode,
    person_id: Uuid,
    mut correction: Correction,
    by: Actor<'_>,
    purpose: &str,
    context: &CommandContext,
) -> Result<i32, VaultError> {
    let vault = forgetting.vault.as_ref();
    correction.name = correction.name.trim().to_owned();
    if correction.name.is_empty() {
        return Err(VaultError::MissingName);
    }
    let rectified = match forgetting
        .rectifying(
            gemeente,
            person_id,
            context,
            kindpakket_platform::clock::today(),
        )
        .await?
    {
        Notice::Unknown => Rectified::Unknown,
        Notice::Forgotten => Rectified::Erased,
        Notice::Told => {
            vault
                .rectify(gemeente.as_str(), person_id, &correction)
                .await?
        }
    };
    let result = match rectified {
        Rectified::Corrected { .. } => "gecorrigeerd; vorige versie bewaard",
        Rectified::Unknown => "niet gevonden",
        Rectified::Erased => "verwijderd",
    };
    let object = person_id.to_string();
    vault
        .audit(by.entry(gemeente.as_str(), "rectificeren", &object, result, purpose))
        .await?;
    match rectified {
        Rectified::Corrected { version } => Ok(version),
        Rectified::Unknown => Err(VaultError::Unknown),
        Rectified::Erased => Err(VaultError::Erased),
    }
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
    let result = match person.as_ref().map(|person| &person.state) {
        None => "niet gevonden",
        Some(PersonState::Erased { .. }) => "verwijderd",
        Some(PersonState::Readable { .. }) => "gelezen",
    };
    let object = person_id.to_string();
    vault
        .audit(by.entry(gemeente.as_str(), "lezen", &object, result, purpose))
        .await?;
    person.ok_or(VaultError::Unknown)
}

/// Forgets a person of `gemeente` for `reason` (checked free text: it is kept on the audit log and
/// with the record): their key is destroyed, a parent's household's too, and the platform is told
/// (`SubjectForgotten`, [`Forgetting::forget`]). Also an unknown person's erasure is on the audit log.
pub async fn erase(
    forgetting: &Forgetting,
    gemeente: &GemeenteCode,
    person_id: Uuid,
    reason: &Note,
    by: Actor<'_>,
    context: &CommandContext,
) -> Result<(), VaultError> {
    let reason = reason.as_str();
    if reason.is_empty() {
        return Err(VaultError::MissingReason);
    }
    let erased = forgetting
        .forget(
            gemeente,
            person_id,
            reason,
            ForgetReason::Erasure,
            context,
            kindpakket_platform::clock::today(),
        )
        .await?;
    let object = person_id.to_string();
    let result = if erased {
        "sleutel vernietigd"
    } else {
        "niet gevonden"
    };
    forgetting
        .vault
        .audit(by.entry(gemeente.as_str(), "verwijderen", &object, result, reason))
        .await?;
    if erased {
        Ok(())
    } else {
        Err(VaultError::Unknown)
    }
}
