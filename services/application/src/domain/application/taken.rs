//! How an application was taken (issue 14, item 6; `docs/chain.md`, "On behalf, with gezag"): by
//! the parent under their own login (perhaps helped by a partner), or by an intermediary — a
//! partner, a signaller, the loket — on the family's behalf. An application taken on a family's
//! behalf records who took it, the parent's consent (when, in what form) and that the applicant has
//! parental authority (gezag): declared by the applicant, checked by whom and when, and from what
//! source. Without consent or a declared gezag it is refused.
//!
//! None of this is published: a consumer needs to know *that* an organisation applied (the
//! contract's `on_behalf_of`), not the consent's form or who checked the gezag
//! (`docs/privacy.md`). It says nothing of income or case details and stays in plain in this
//! service's store as the record the gemeente answers for.

use kindpakket_proto::OrganisationId;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::ApplicationError;

/// How an application was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Taken {
    /// The parent submitted it under their own login, helped by an organisation (`geholpenDoor`),
    /// if one helped.
    ByParent { assisted_by: Option<OrganisationId> },
    /// An intermediary took it on the family's behalf.
    OnBehalf(OnBehalf),
}

/// An application taken on a family's behalf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnBehalf {
    /// The organisation and the worker (the token's subject: an identifier at the identity
    /// provider, never a BSN) who took it, in which role.
    pub taken_by: Worker,
    pub consent: Consent,
    pub gezag: Gezag,
}

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Worker {
    pub organisation: OrganisationId,
    /// `partner`, `signaller` or `regievoerder`.
    pub role: String,
    pub subject: String,
}

/// The parent's consent to apply on their behalf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub given: bool,
    pub given_on: Date,
    pub form: ConsentForm,
}

/// How the consent was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsentForm {
    Oral,
    Written,
    Digital,
}

/// That the applicant has parental authority (gezag) over the children applied for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gezag {
    /// The applicant declared it.
    pub declared: bool,
    /// Who checked it: the worker's subject for a declaration; the register for a lookup.
    pub checked_by: String,
    pub checked_at: OffsetDateTime,
    pub source: GezagSource,
}

/// Where the finding on gezag comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GezagSource {
    /// The applicant's declaration, recorded by the worker (today's only source).
    Declaration,
    /// A lookup in the BRP (reserved: the `GezagCheck` port of `crate::intake` is where it plugs
    /// in).
    Brp,
}

impl Taken {
    /// The rule: on a family's behalf only with the parent's consent, given on or before the
    /// application date, and a declared gezag.
    pub fn check(&self, submitted_on: Date) -> Result<(), ApplicationError> {
        let Taken::OnBehalf(on_behalf) = self else {
            return Ok(());
        };
        if !on_behalf.consent.given {
            return Err(ApplicationError::NoConsent);
        }
        if on_behalf.consent.given_on > submitted_on {
            return Err(ApplicationError::ConsentAfterApplication);
        }
        if !on_behalf.gezag.declared {
            return Err(ApplicationError::NoGezag);
        }
        Ok(())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use time::macros::{date, datetime};

    pub fn on_behalf() -> OnBehalf {
        OnBehalf {
            taken_by: Worker {
                organisation: OrganisationId::parse("leergeld").unwrap(),
                role: "partner".to_owned(),
                subject: "medewerker-1".to_owned(),
            },
            consent: Consent {
                given: true,
                given_on: date!(2026 - 09 - 01),
                form: ConsentForm::Oral,
            },
            gezag: Gezag {
                declared: true,
                checked_by: "medewerker-1".to_owned(),
                checked_at: datetime!(2026-09-01 10:00 UTC),
                source: GezagSource::Declaration,
            },
        }
    }

    #[test]
    fn on_behalf_needs_consent_given_in_time_and_a_declared_gezag() {
        let day = date!(2026 - 09 - 01);
        assert_eq!(Taken::OnBehalf(on_behalf()).check(day), Ok(()));
        assert_eq!(Taken::ByParent { assisted_by: None }.check(day), Ok(()));
        let mut refused = on_behalf();
        refused.consent.given = false;
        assert_eq!(
            Taken::OnBehalf(refused).check(day),
            Err(ApplicationError::NoConsent)
        );
        let mut late = on_behalf();
        late.consent.given_on = date!(2026 - 09 - 02);
        assert_eq!(
            Taken::OnBehalf(late).check(day),
            Err(ApplicationError::ConsentAfterApplication)
        );
        let mut undeclared = on_behalf();
        undeclared.gezag.declared = false;
        assert_eq!(
            Taken::OnBehalf(undeclared).check(day),
            Err(ApplicationError::NoGezag)
        );
    }
}
