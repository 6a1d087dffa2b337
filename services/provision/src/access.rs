//! What a caller may see beyond its role. Regie and the auditor see every entitlement of their
//! gemeente; a partner only those of the provisions it is enrolled to deliver, and each child under
//! the partner's own pseudonym, so two partners cannot join what they know of one child.

use std::sync::Arc;

use kindpakket_proto::{Actor, ChildRef, GemeenteCode, OrganisationId, ProvisionCode, Role};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::entitlement::Entitlement;
use crate::read_models::enrolments;

/// Whether `actor` may see `entitlement` of `gemeente`: regie and the auditor all of them, a partner
/// those of a provision it is enrolled to deliver, anyone else none.
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
        Role::Partner => is_enrolled(pool, gemeente, &actor.organisation, &opened.provision).await,
        _ => Ok(false),
    }
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

/// The secret behind each partner's own pseudonym for a child.
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
}

impl std::fmt::Debug for Pseudonyms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonyms(<secret>)")
    }
}
