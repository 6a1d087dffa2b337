//! What a partner (or a signalling organisation) reads of this service names children and households
//! by *its own* references ([`kindpakket_platform::reference`], `docs/chain.md`), never by the
//! gemeente's ids, and entitlements by its own pseudonyms (`auth::entitlement_pseudonym`) — the same
//! key (`KINDPAKKET_PSEUDONYM_KEY`) and functions as the provision service, so a partner sees one
//! child under one reference across both services (and as the vault's identification answered it),
//! and two partners cannot join what they read. The gemeente and the family itself read the ids as
//! they are.
//!
//! Requests in which an organisation names a child or household use its references, turned back
//! with [`Pseudonyms::named_child`] / [`Pseudonyms::named_household`]: a reference that is not its
//! own for that kind is an [`UnknownReference`] (422, nothing changed). The gemeente and a parent
//! name them by id; the gemeente may also use a reference the identification gave it.

use std::sync::Arc;

use kindpakket_platform::auth;
use kindpakket_platform::reference::{self, ReferenceKind};
use kindpakket_platform::refusal::{Refusal, RefusalKind};
use kindpakket_proto::{ChildRef, HouseholdRef, OrganisationId};
use uuid::Uuid;

use crate::access::Acting;

/// Who reads, as far as ids are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reader {
    /// The gemeente, or the family itself: the ids as they are.
    AsThey,
    /// An organisation (partner, signaller): its own references.
    Organisation(OrganisationId),
}

impl Reader {
    pub fn of(acting: &Acting) -> Self {
        match acting {
            Acting::Partner { organisation } | Acting::Signaller { organisation } => {
                Reader::Organisation(organisation.clone())
            }
            Acting::Parent { .. } | Acting::Gemeente => Reader::AsThey,
        }
    }
}

/// A child or household named in a request by something that is not the caller's: a reference made
/// for another organisation or of the other kind, mistyped, made up, or (from an organisation) the
/// gemeente's id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Onbekende referentie in '{field}': gebruik de referentie die de identificatie (POST …/identificaties) u gaf. Er is niets gewijzigd.")]
pub struct UnknownReference {
    pub field: String,
}

impl Refusal for UnknownReference {
    fn kind(&self) -> RefusalKind {
        RefusalKind::Invalid
    }
}

/// The secret behind the references and pseudonyms.
#[derive(Clone)]
pub struct Pseudonyms {
    key: Arc<Vec<u8>>,
}

impl std::fmt::Debug for Pseudonyms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonyms(<secret>)")
    }
}

impl Pseudonyms {
    pub fn new(key: Vec<u8>) -> Self {
        Self { key: Arc::new(key) }
    }

    /// `organisation`'s reference of the child or household `id`.
    pub fn reference(
        &self,
        organisation: &OrganisationId,
        kind: ReferenceKind,
        id: Uuid,
    ) -> String {
        reference::reference(&self.key, organisation, kind, id)
    }

    /// A child as `reader` reads it: an organisation its reference, the gemeente and the family the
    /// id.
    pub fn child(&self, reader: &Reader, child: ChildRef) -> String {
        self.shown(reader, ReferenceKind::Child, child.0)
    }

    /// A household as `reader` reads it.
    pub fn household(&self, reader: &Reader, household: HouseholdRef) -> String {
        self.shown(reader, ReferenceKind::Household, household.0)
    }

    fn shown(&self, reader: &Reader, kind: ReferenceKind, id: Uuid) -> String {
        match reader {
            Reader::AsThey => id.to_string(),
            Reader::Organisation(organisation) => self.reference(organisation, kind, id),
        }
    }

    /// An entitlement as `reader` reads it.
    pub fn entitlement(&self, reader: &Reader, entitlement: Uuid) -> Uuid {
        match reader {
            Reader::AsThey => entitlement,
            Reader::Organisation(organisation) => {
                auth::entitlement_pseudonym(&self.key, organisation, entitlement)
            }
        }
    }

    /// The child `reader` names `named` in the request field `field`.
    pub fn named_child(
        &self,
        reader: &Reader,
        caller: &OrganisationId,
        named: &str,
        field: &str,
    ) -> Result<ChildRef, UnknownReference> {
        self.named(reader, caller, ReferenceKind::Child, named, field)
            .map(ChildRef)
    }

    /// The household `reader` names `named` in the request field `field`.
    pub fn named_household(
        &self,
        reader: &Reader,
        caller: &OrganisationId,
        named: &str,
        field: &str,
    ) -> Result<HouseholdRef, UnknownReference> {
        self.named(reader, caller, ReferenceKind::Household, named, field)
            .map(HouseholdRef)
    }

    /// An organisation names by its own reference only; the gemeente and the family by id, or by a
    /// reference of the caller's organisation (the gemeente's identification answers one).
    fn named(
        &self,
        reader: &Reader,
        caller: &OrganisationId,
        kind: ReferenceKind,
        named: &str,
        field: &str,
    ) -> Result<Uuid, UnknownReference> {
        let named = named.trim();
        let own = || reference::resolve(&self.key, caller, kind, named);
        let found = match reader {
            Reader::Organisation(_) => own(),
            Reader::AsThey => Uuid::parse_str(named).ok().or_else(own),
        };
        found.ok_or_else(|| UnknownReference {
            field: field.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(code: &str) -> OrganisationId {
        OrganisationId::parse(code).unwrap()
    }

    #[test]
    fn two_organisations_read_a_child_under_different_references_and_the_gemeente_as_it_is() {
        let pseudonyms = Pseudonyms::new(b"a pseudonym key of some length".to_vec());
        let child = ChildRef(Uuid::from_u128(11));
        let leergeld = Reader::Organisation(org("leergeld"));
        let jeugdfonds = Reader::Organisation(org("jeugdfonds"));
        let a = pseudonyms.child(&leergeld, child);
        let b = pseudonyms.child(&jeugdfonds, child);
        assert_ne!(a, b);
        assert_ne!(a, child.0.to_string());
        assert_eq!(
            pseudonyms.child(&Reader::AsThey, child),
            child.0.to_string()
        );
        assert_eq!(
            pseudonyms.named_child(&leergeld, &org("leergeld"), &a, "kind"),
            Ok(child)
        );
        let refused = pseudonyms
            .named_child(&leergeld, &org("leergeld"), &child.0.to_string(), "kind")
            .unwrap_err();
        assert!(refused
            .to_string()
            .contains("Onbekende referentie in 'kind'"));
        assert!(!refused.to_string().contains(&child.0.to_string()));
        assert!(pseudonyms
            .named_child(&jeugdfonds, &org("jeugdfonds"), &a, "kind")
            .is_err());
        assert!(
            pseudonyms
                .named_household(&leergeld, &org("leergeld"), &a, "huishouden")
                .is_err(),
            "a child's reference names no household"
        );
        let gemeente = org("gemeente-den-haag");
        assert_eq!(
            pseudonyms.named_child(&Reader::AsThey, &gemeente, &child.0.to_string(), "kind"),
            Ok(child)
        );
        let own = pseudonyms.reference(&gemeente, ReferenceKind::Child, child.0);
        assert_eq!(
            pseudonyms.named_child(&Reader::AsThey, &gemeente, &own, "kind"),
            Ok(child)
        );
        assert!(pseudonyms
            .named_child(&Reader::AsThey, &gemeente, &a, "kind")
            .is_err());
    }
}
