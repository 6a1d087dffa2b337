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

/// Why an identification was refused: which person (`kind` or `ouder`) and what is wrong, in Dutch,
/// never echoing what was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentificationRefusal {
    #[error("Geef van '{0}' het BSN, of de voornaam, achternaam en geboortedatum. Er is niets opgeslagen.")]
    Incomplete(&'static str),
    #[error("Het BSN van '{0}' klopt niet: een burgerservicenummer heeft 9 cijfers en voldoet aan de 11-proef. Er is niets opgeslagen.")]
    InvalidBsn(&'static str),
    #[error("De naam van '{0}' moet gewone tekst zijn van 1 tot 100 tekens, zonder cijfers of stuurtekens. Er is niets opgeslagen.")]
    InvalidName(&'static str),
    #[error("De geboortedatum van '{0}' ligt in de toekomst of meer dan 120 jaar terug. Er is niets opgeslagen.")]
    InvalidBirthDate(&'static str),
}

impl kindpakket_platform::refusal::Refusal for IdentificationRefusal {
    fn kind(&self) -> kindpakket_platform::refusal::RefusalKind {
        kindpakket_platform::refusal::RefusalKind::Invalid
    }
}

/// A person as the caller sent them, before checking.
#[derive(Debug, Clone, Default)]
pub struct Described {
    pub bsn: Option<String>,
    pub first_name: Option<String>,
    pub surname: Option<String>,
    pub birth_date: Option<time::Date>,
}

impl Described {
    /// What the vault looks the person up by, checked; `field` names them (`kind`, `ouder`).
    pub fn checked(
        self,
        field: &'static str,
        today: time::Date,
    ) -> Result<super::identify::KnownAs, IdentificationRefusal> {
        let bsn = self.bsn.map(|bsn| bsn.trim().to_owned());
        if bsn.as_deref().is_some_and(|bsn| !bsn::is_valid(bsn)) {
            return Err(IdentificationRefusal::InvalidBsn(field));
        }
        let plain = |name: Option<String>| -> Result<Option<String>, IdentificationRefusal> {
            let Some(name) = name else { return Ok(None) };
            let name = name.trim().to_owned();
            let chars = name.chars().count();
            if !(1..=100).contains(&chars)
                || name.chars().any(|c| c.is_control() || c.is_ascii_digit())
            {
                return Err(IdentificationRefusal::InvalidName(field));
            }
            Ok(Some(name))
        };
        let first_name = plain(self.first_name)?;
        let surname = plain(self.surname)?;
        if let Some(birth_date) = self.birth_date {
            let oldest = today.replace_year(today.year() - 120).unwrap_or(today);
            if birth_date > today || birth_date < oldest {
                return Err(IdentificationRefusal::InvalidBirthDate(field));
            }
        }
        let name = match (first_name, surname, self.birth_date) {
            (Some(first_name), Some(surname), Some(birth_date)) => {
                Some(super::identify::NameAndBirth {
                    first_name,
                    surname,
                    birth_date,
                })
            }
            (None, None, None) => None,
            _ => return Err(IdentificationRefusal::Incomplete(field)),
        };
        if bsn.is_none() && name.is_none() {
            return Err(IdentificationRefusal::Incomplete(field));
        }
        Ok(super::identify::KnownAs { bsn, name })
    }
}

/// A child (and the household of a parent) as the vault identified them: the gemeente's ids, which
/// the caller never sees (the HTTP layer answers the caller's own references).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identified {
    pub child: Uuid,
    pub household: Option<Uuid>,
}

/// Identifies a child of `gemeente`, and optionally their parent (whose household is answered), as
/// the caller knows them; found or recorded, the caller cannot tell. Refused input is on the audit
/// log too, without what was sent.
pub async fn identify(
    vault: &Vault,
    gemeente: &GemeenteCode,
    child: Described,
    parent: Option<Described>,
    by: Actor<'_>,
    purpose: &str,
) -> Result<Identified, IdentifyError> {
    let today = kindpakket_platform::clock::today();
    let checked = child.checked("kind", today).and_then(|child| {
        parent
            .map(|parent| parent.checked("ouder", today))
            .transpose()
            .map(|parent| (child, parent))
    });
    let (child, parent) = match checked {
        Ok(checked) => checked,
        Err(refusal) => {
            vault
                .audit(by.entry(
                    gemeente.as_str(),
                    "identificeren",
                    "-",
                    "geweigerd: onvolledig of ongeldig",
                    purpose,
                ))
                .await?;
            return Err(IdentifyError::Refused(refusal));
        }
    };
    let (child_id, _) = vault
        .identify(gemeente.as_str(), "kind", &child, today)
        .await?;
    let household = match &parent {
        Some(parent) => {
            vault
                .identify(gemeente.as_str(), "ouder", parent, today)
                .await?
                .1
        }
        None => None,
    };
    let object = format!("kind {child_id}");
    vault
        .audit(by.entry(
            gemeente.as_str(),
            "identificeren",
            &object,
            "gelukt",
            purpose,
        ))
        .await?;
    Ok(Identified {
        child: child_id,
        household,
    })
}

/// Why an identification did not answer: refused input, or a technical failure (logged).
#[derive(Debug, thiserror::Error)]
pub enum IdentifyError {
    #[error("{0}")]
    Refused(IdentificationRefusal),
    #[error("{0:#}")]
    Technical(anyhow::Error),
}

impl From<anyhow::Error> for IdentifyError {
    fn from(error: anyhow::Error) -> Self {
        IdentifyError::Technical(error)
    }
}

impl From<sqlx::Error> for IdentifyError {
    fn from(error: sqlx::Error) -> Self {
        IdentifyError::Technical(error.into())
    }
}

#[cfg(test)]
mod identification_tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_person_is_known_by_a_valid_bsn_or_by_whole_name_and_birth_date() {
        let today = date!(2026 - 09 - 01);
        let by_bsn = Described {
            bsn: Some(" 111222333 ".to_owned()),
            ..Described::default()
        };
        assert_eq!(
            by_bsn.checked("kind", today).unwrap().bsn.as_deref(),
            Some("111222333")
        );
        let by_name = Described {
            first_name: Some("Jan".to_owned()),
            surname: Some("Jansen".to_owned()),
            birth_date: Some(date!(2016 - 03 - 01)),
            ..Described::default()
        };
        assert!(by_name
            .clone()
            .checked("kind", today)
            .unwrap()
            .name
            .is_some());
        for (refused, error) in [
            (
                Described::default(),
                IdentificationRefusal::Incomplete("kind"),
            ),
            (
                Described {
                    bsn: Some("111222336".to_owned()),
                    ..Described::default()
                },
                IdentificationRefusal::InvalidBsn("kind"),
            ),
            (
                Described {
                    birth_date: None,
                    ..by_name.clone()
                },
                IdentificationRefusal::Incomplete("kind"),
            ),
            (
                Described {
                    birth_date: Some(date!(2027 - 01 - 01)),
                    ..by_name.clone()
                },
                IdentificationRefusal::InvalidBirthDate("kind"),
            ),
            (
                Described {
                    first_name: Some("J4n".to_owned()),
                    ..by_name.clone()
                },
                IdentificationRefusal::InvalidName("kind"),
            ),
        ] {
            assert_eq!(refused.checked("kind", today).unwrap_err(), error);
        }
        assert!(!IdentificationRefusal::InvalidBsn("kind")
            .to_string()
            .contains("111222336"));
    }
}
