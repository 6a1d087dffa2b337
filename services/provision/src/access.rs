//! What a caller may see beyond its role. Regie and the auditor see every entitlement of their
//! gemeente under its own id. A partner sees only the entitlements it serves by recording something
//! against them (a delivery or a declaration, for a provision it is enrolled to deliver), each under
//! ids of the partner's own: its own pseudonym of the child, and its own pseudonym of the
//! entitlement. Two partners cannot join what they know of one child, and an id of one partner (or the
//! gemeente's real id) names nothing for another.

use std::sync::Arc;

use kindpakket_proto::provision::EntitlementOpened;
use kindpakket_proto::regie::DeliveryForm;
use kindpakket_proto::{Actor, ChildRef, GemeenteCode, OrganisationId, ProvisionCode, Role};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::entitlement::Entitlement;
use crate::read_models::enrolments;

/// Whether `actor` may see `entitlement` of `gemeente`: regie and the auditor all of them, a partner
/// those it serves by recording (see [`served_by_recording`]) of a provision it is enrolled to
/// deliver, anyone else none.
pub async fn may_see(
    pool: &PgPool,
    actor: &Actor,
    gemeente: &GemeenteCode,
    entitlement: &Entitlement,
) -> Result<bool, sqlx::Error> {
    let opened = match (&entitlement.gemeente, &entitlement.opened) {
        (Some(own), Some(opened)) if own == gemeente => opened,
        _ => return Ok(false),
    };
    match actor.role {
        Role::Regievoerder | Role::Auditor => Ok(true),
        Role::Partner => Ok(served_by_recording(opened)
            && is_enrolled(pool, gemeente, &actor.organisation, &opened.provision).await?),
        _ => Ok(false),
    }
}

/// Whether a partner serves the entitlement by recording something against it: a delivery in kind, a
/// discount or a declaration. A pass or voucher (`tegoedbon`) is served at the till by its code,
/// which the family shows: a shop finds the pass by that code, not by browsing entitled children.
pub fn served_by_recording(opened: &EntitlementOpened) -> bool {
    opened.form != Some(DeliveryForm::Voucher)
}

/// Whether `partner` is enrolled to deliver `provision` in `gemeente` today.
pub async fn is_enrolled(
    pool: &PgPool,
    gemeente: &GemeenteCode,
    partner: &OrganisationId,
    provision: &ProvisionCode,
) -> Result<bool, sqlx::Error> {
    enrolments::may_deliver(pool, gemeente, partner, provision).await
}

/// The secret behind each partner's own pseudonyms: of a child, and of an entitlement.
#[derive(Clone)]
pub struct Pseudonyms {
    key: Arc<Vec<u8>>,
}

impl Pseudonyms {
    pub fn new(key: Vec<u8>) -> Self {
        Self { key: Arc::new(key) }
    }

    /// The child as `actor` may see it: a partner its own pseudonym, the gemeente the reference itself.
    pub fn child_for(&self, actor: &Actor, child: ChildRef) -> Uuid {
        if actor.role == Role::Partner {
            kindpakket_platform::auth::pseudonym(&self.key, &actor.organisation, child.0)
        } else {
            child.0
        }
    }

    /// The entitlement's id as `actor` may see it: a partner its own pseudonym, the gemeente the id
    /// itself.
    pub fn entitlement_for(&self, actor: &Actor, entitlement_id: Uuid) -> Uuid {
        if actor.role == Role::Partner {
            entitlement_pseudonym(&self.key, &actor.organisation, entitlement_id)
        } else {
            entitlement_id
        }
    }

    /// The entitlement that an id in `actor`'s request names: for a partner, the one whose pseudonym
    /// it is. Another partner's pseudonym or the gemeente's own id names, for a partner, an
    /// entitlement that does not exist.
    pub fn entitlement_from(&self, actor: &Actor, shown: Uuid) -> Uuid {
        if actor.role == Role::Partner {
            entitlement_of_pseudonym(&self.key, &actor.organisation, shown)
        } else {
            shown
        }
    }
}

impl std::fmt::Debug for Pseudonyms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonyms(<secret>)")
    }
}

pub use kindpakket_platform::auth::{entitlement_of_pseudonym, entitlement_pseudonym};

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"a secret of at least sixteen bytes";

    #[test]
    fn each_partner_has_its_own_stable_reversible_pseudonym_of_an_entitlement() {
        let entitlement = Uuid::new_v4();
        let club = OrganisationId::parse("sportclub").unwrap();
        let shop = OrganisationId::parse("computerwinkel").unwrap();
        let for_club = entitlement_pseudonym(KEY, &club, entitlement);
        let for_shop = entitlement_pseudonym(KEY, &shop, entitlement);
        assert_ne!(for_club, entitlement);
        assert_ne!(for_club, for_shop);
        assert_eq!(entitlement_pseudonym(KEY, &club, entitlement), for_club);
        assert_eq!(entitlement_of_pseudonym(KEY, &club, for_club), entitlement);
        assert_ne!(entitlement_of_pseudonym(KEY, &club, for_shop), entitlement);
        assert_ne!(
            entitlement_of_pseudonym(KEY, &club, entitlement),
            entitlement
        );
        let other_key = b"another secret of sixteen bytes or more";
        assert_ne!(
            entitlement_pseudonym(other_key, &club, entitlement),
            for_club
        );
    }

    #[test]
    fn a_partner_sees_the_gemeente_ids_only_under_its_own_and_regie_as_they_are() {
        let pseudonyms = Pseudonyms::new(KEY.to_vec());
        let partner = Actor {
            organisation: OrganisationId::parse("sportclub").unwrap(),
            role: Role::Partner,
        };
        let regie = Actor {
            organisation: OrganisationId::parse("gemeente").unwrap(),
            role: Role::Regievoerder,
        };
        let entitlement = Uuid::new_v4();
        let shown = pseudonyms.entitlement_for(&partner, entitlement);
        assert_eq!(pseudonyms.entitlement_from(&partner, shown), entitlement);
        assert_eq!(pseudonyms.entitlement_for(&regie, entitlement), entitlement);
        assert_eq!(
            pseudonyms.entitlement_from(&regie, entitlement),
            entitlement
        );
    }
}
