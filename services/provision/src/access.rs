//! What a caller may see beyond its role. Regie and the auditor see every entitlement of their
//! gemeente under its own id. A partner sees only the entitlements it serves by recording something
//! against them (a delivery or a declaration, for a provision it is enrolled to deliver), each under
//! ids of the partner's own: its own pseudonym of the child, and its own pseudonym of the
//! entitlement. Two partners cannot join what they know of one child, and an id of one partner (or the
//! gemeente's real id) names nothing for another.
//!
//! Who sees which rows of the read models several organisations read (`entitlements`,
//! `partner_enrolments`) is also enforced by PostgreSQL's row-level security, with FORCE
//! ([`crate::migrations::ROW_SECURITY_MIGRATION`]): every read for a caller runs in
//! [`reading_as`], a transaction that names the caller's organisation, role and gemeente, so a query
//! that forgets its `WHERE partner = …` still shows a partner its own rows only. The consumers that
//! keep those tables write as the projector ([`as_projector`]). A parent (role `applicant`) reads in
//! [`reading_for`], which also names the household of their login: they see that household's
//! entitlements and declarations, under the gemeente's ids (their own children's and entitlements'
//! ids), and nothing else. The service's role does not own the
//! tables (its migration owner does) and so cannot switch the policies off.

use std::sync::Arc;

use kindpakket_proto::provision::EntitlementOpened;
use kindpakket_proto::regie::DeliveryForm;
use kindpakket_proto::{Actor, ChildRef, GemeenteCode, OrganisationId, ProvisionCode, Role};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::read_models::enrolments;
use crate::read_models::entitlements::{self, Visible};

/// The setting the policies read the caller's role from.
pub const ROLE_SETTING: &str = "kindpakket.role";
/// The setting the policies read the caller's gemeente from.
pub const GEMEENTE_SETTING: &str = "kindpakket.gemeente";
/// The setting the policies read a parent's household from (the login's `huishouden`).
pub const HOUSEHOLD_SETTING: &str = "kindpakket.household";
/// The setting that lets a consumer keep the read models: `on`.
pub const PROJECTOR_SETTING: &str = "kindpakket.projector";

/// A transaction on behalf of `actor` in `gemeente`: the row-level security policies show it what
/// that caller may see, and nothing else. Commit or drop it when done; the settings end with it.
pub async fn reading_as(
    pool: &PgPool,
    actor: &Actor,
    gemeente: &GemeenteCode,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    reading_for(pool, actor, None, gemeente).await
}

/// [`reading_as`], for a parent also naming the household their login established: the policies
/// show a parent (role `applicant`) that household's rows, and without it none.
pub async fn reading_for(
    pool: &PgPool,
    actor: &Actor,
    household: Option<Uuid>,
    gemeente: &GemeenteCode,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut transaction =
        kindpakket_platform::db::as_organisation(pool, &actor.organisation).await?;
    sqlx::query(
        "SELECT set_config($1, $2, true), set_config($3, $4, true), set_config($5, $6, true)",
    )
    .bind(ROLE_SETTING)
    .bind(actor.role.as_str())
    .bind(GEMEENTE_SETTING)
    .bind(gemeente.as_str())
    .bind(HOUSEHOLD_SETTING)
    .bind(
        household
            .map(|household| household.to_string())
            .unwrap_or_default(),
    )
    .execute(&mut *transaction)
    .await?;
    Ok(transaction)
}

/// Whether the entitlement is one of `household`'s, asked as its parent (row-level security shows a
/// parent their household's entitlements only).
pub async fn is_households(
    pool: &PgPool,
    actor: &Actor,
    household: Uuid,
    gemeente: &GemeenteCode,
    entitlement_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let mut transaction = reading_for(pool, actor, Some(household), gemeente).await?;
    let found: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM entitlements
                         WHERE gemeente = $1 AND entitlement_id = $2 AND household = $3)",
    )
    .bind(gemeente.as_str())
    .bind(entitlement_id)
    .bind(household)
    .fetch_one(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(found)
}

/// Lets the consumer's transaction keep the read models (every row, read and write).
pub async fn as_projector(connection: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT set_config($1, 'on', true)")
        .bind(PROJECTOR_SETTING)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// What a caller is shown of the read model: for a partner, its own enrolments in force today.
fn partner_of(actor: &Actor) -> Option<(&OrganisationId, time::Date)> {
    (actor.role == Role::Partner)
        .then(|| (&actor.organisation, kindpakket_platform::clock::today()))
}

/// The entitlements of `gemeente` that `actor` may see: regie and the auditor all of them, a partner
/// those it serves by recording (see [`served_by_recording`]) of a provision it is enrolled to
/// deliver, anyone else none.
pub async fn visible_entitlements(
    pool: &PgPool,
    actor: &Actor,
    gemeente: &GemeenteCode,
) -> Result<Vec<Visible>, sqlx::Error> {
    if !matches!(
        actor.role,
        Role::Regievoerder | Role::Auditor | Role::Partner
    ) {
        return Ok(Vec::new());
    }
    let mut transaction = reading_as(pool, actor, gemeente).await?;
    let visible = entitlements::visible(&mut transaction, gemeente, partner_of(actor)).await?;
    transaction.commit().await?;
    Ok(visible)
}

/// The entitlement, when `actor` may see it (see [`visible_entitlements`]).
pub async fn visible_entitlement(
    pool: &PgPool,
    actor: &Actor,
    gemeente: &GemeenteCode,
    entitlement_id: Uuid,
) -> Result<Option<Visible>, sqlx::Error> {
    if !matches!(
        actor.role,
        Role::Regievoerder | Role::Auditor | Role::Partner
    ) {
        return Ok(None);
    }
    let mut transaction = reading_as(pool, actor, gemeente).await?;
    let visible = entitlements::visible_one(
        &mut transaction,
        gemeente,
        entitlement_id,
        partner_of(actor),
    )
    .await?;
    transaction.commit().await?;
    Ok(visible)
}

/// Whether a partner serves the entitlement by recording something against it: a delivery in kind, a
/// discount or a declaration. A pass or voucher (`tegoedbon`) is served at the till by its code,
/// which the family shows: a shop finds the pass by that code, not by browsing entitled children.
pub fn served_by_recording(opened: &EntitlementOpened) -> bool {
    opened.form != Some(DeliveryForm::Voucher)
}

/// Whether `partner` (the caller) is enrolled to deliver `provision` in `gemeente` today, asked as
/// that partner.
pub async fn is_enrolled(
    pool: &PgPool,
    gemeente: &GemeenteCode,
    partner: &OrganisationId,
    provision: &ProvisionCode,
) -> Result<bool, sqlx::Error> {
    let actor = Actor {
        organisation: partner.clone(),
        role: Role::Partner,
    };
    let mut transaction = reading_as(pool, &actor, gemeente).await?;
    let enrolled = enrolments::may_deliver(
        &mut transaction,
        gemeente,
        partner,
        provision,
        kindpakket_platform::clock::today(),
    )
    .await?;
    transaction.commit().await?;
    Ok(enrolled)
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

    /// The child as `actor` may see it: a partner its own reference (`platform::reference`, the
    /// same the application service and the vault's identification give it), the gemeente the id.
    pub fn child_for(&self, actor: &Actor, child: ChildRef) -> String {
        if actor.role == Role::Partner {
            kindpakket_platform::reference::reference(
                &self.key,
                &actor.organisation,
                kindpakket_platform::reference::ReferenceKind::Child,
                child.0,
            )
        } else {
            child.0.to_string()
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
