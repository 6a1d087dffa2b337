//! Who may see and act on which application. A parent acts for the household their login
//! established and for no other: another household's application is as unknown to them as one that
//! does not exist. A partner sees the applications it took on a family's behalf (as the recorded
//! `namens`, which [`crate::intake`] sets to the submitter's own organisation), and all of its
//! gemeente while it has a mandate to decide on them. The gemeente's own roles see all of theirs.

use kindpakket_platform::refusal::{Refusal, RefusalKind};
use kindpakket_proto::{GemeenteCode, HouseholdRef, OrganisationId};
use sqlx::PgPool;
use uuid::Uuid;

use crate::consume::mandate_of;
use crate::domain::application::{Application, Withdrawer};

/// Who acts, as far as applications care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acting {
    /// A parent, for the household their login established (if it established one).
    Parent { household: Option<Uuid> },
    /// A partner organisation.
    Partner { organisation: OrganisationId },
    /// A signalling organisation (wijkteam, CJG, school).
    Signaller { organisation: OrganisationId },
    /// The gemeente's regievoerder: no household or partner limits.
    Gemeente,
}

/// Why a parent may not apply for a household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotTheirHousehold {
    #[error("U kunt alleen een aanvraag doen voor uw eigen huishouden.")]
    Other,
    #[error(
        "Uw inlog noemt geen huishouden: log in via de gemeente (DigiD) om een aanvraag te doen."
    )]
    Unknown,
}

impl Refusal for NotTheirHousehold {
    fn kind(&self) -> RefusalKind {
        RefusalKind::Forbidden
    }
}

impl Acting {
    /// Whether this caller acts for `household`: a parent only for their own, anyone else for all.
    pub fn acts_for(&self, household: Option<&HouseholdRef>) -> bool {
        match self {
            Acting::Parent { household: own } => {
                matches!((own, household), (Some(own), Some(theirs)) if *own == theirs.0)
            }
            Acting::Partner { .. } | Acting::Signaller { .. } | Acting::Gemeente => true,
        }
    }

    /// The organisation that takes in applications, for a partner or a signaller.
    pub fn organisation(&self) -> Option<&OrganisationId> {
        match self {
            Acting::Partner { organisation } | Acting::Signaller { organisation } => {
                Some(organisation)
            }
            Acting::Parent { .. } | Acting::Gemeente => None,
        }
    }

    /// Who withdraws, as the application decides whether they may.
    pub fn withdrawer(&self) -> Withdrawer {
        match self {
            Acting::Parent { household } => Withdrawer::Parent {
                household: *household,
            },
            Acting::Partner { organisation } | Acting::Signaller { organisation } => {
                Withdrawer::Organisation(organisation.clone())
            }
            Acting::Gemeente => Withdrawer::Gemeente,
        }
    }

    /// Whether this caller may apply for `household`, and if not, why.
    pub fn may_apply_for(&self, household: &HouseholdRef) -> Result<(), NotTheirHousehold> {
        if self.acts_for(Some(household)) {
            return Ok(());
        }
        match self {
            Acting::Parent { household: None } => Err(NotTheirHousehold::Unknown),
            _ => Err(NotTheirHousehold::Other),
        }
    }
}

/// Whether `acting` may see `application` of `gemeente`: a parent their own household's; a partner
/// (or signaller) those it took on a family's behalf, a partner all of the gemeente when it has a
/// mandate to decide today; the regievoerder all.
pub async fn may_see(
    pool: &PgPool,
    acting: &Acting,
    gemeente: &GemeenteCode,
    application: &Application,
) -> anyhow::Result<bool> {
    let submitted = application.submitted.as_ref();
    if !acting.acts_for(submitted.map(|submitted| &submitted.household)) {
        return Ok(false);
    }
    let Some(organisation) = acting.organisation() else {
        return Ok(true);
    };
    if submitted.and_then(|submitted| submitted.on_behalf_of.as_ref()) == Some(organisation) {
        return Ok(true);
    }
    if !matches!(acting, Acting::Partner { .. }) {
        return Ok(false);
    }
    let today = kindpakket_platform::clock::today();
    Ok(mandate_of(pool, gemeente, organisation, today)
        .await?
        .is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parent_acts_for_their_own_household_only_and_others_for_all() {
        let own = HouseholdRef(Uuid::from_u128(1));
        let other = HouseholdRef(Uuid::from_u128(2));
        let parent = Acting::Parent {
            household: Some(own.0),
        };
        assert!(parent.acts_for(Some(&own)));
        assert!(!parent.acts_for(Some(&other)));
        assert!(!parent.acts_for(None));
        assert_eq!(parent.may_apply_for(&own), Ok(()));
        assert_eq!(parent.may_apply_for(&other), Err(NotTheirHousehold::Other));
        let without_household = Acting::Parent { household: None };
        assert!(!without_household.acts_for(Some(&own)));
        assert_eq!(
            without_household.may_apply_for(&own),
            Err(NotTheirHousehold::Unknown)
        );
        let partner = Acting::Partner {
            organisation: OrganisationId::parse("leergeld-den-haag").unwrap(),
        };
        assert!(partner.acts_for(Some(&other)) && partner.acts_for(None));
        assert!(Acting::Gemeente.acts_for(None));
        assert_eq!(
            partner.withdrawer(),
            Withdrawer::Organisation(OrganisationId::parse("leergeld-den-haag").unwrap())
        );
        assert_eq!(Acting::Gemeente.withdrawer(), Withdrawer::Gemeente);
        assert_eq!(
            parent.withdrawer(),
            Withdrawer::Parent {
                household: Some(own.0)
            }
        );
    }
}
