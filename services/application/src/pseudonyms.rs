//! What a partner (or a signalling organisation) reads of this service names children, households
//! and entitlements by *its own* pseudonyms, never by the gemeente's ids: a child and a household as
//! `auth::pseudonym(key, organisation, id)` (HMAC-SHA256), an entitlement as
//! `auth::entitlement_pseudonym(key, organisation, id)` — the same key
//! (`KINDPAKKET_PSEUDONYM_KEY`) and functions as the provision service, so a partner sees one child
//! under one id across both services, and two partners cannot join what they read. The gemeente and
//! the family itself read the ids as they are.
//!
//! Requests in which a partner names a child or household use its pseudonyms, and are mapped back:
//! within an application against the application's own children ([`Pseudonyms::child_named`]); in a
//! new application against those of the applications it took in before
//! ([`crate::overview::resolve`]).

use std::sync::Arc;

use kindpakket_platform::auth;
use kindpakket_proto::{ChildRef, HouseholdRef, OrganisationId};
use uuid::Uuid;

use crate::access::Acting;

/// Who reads, as far as ids are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reader {
    /// The gemeente, or the family itself: the ids as they are.
    AsThey,
    /// An organisation (partner, signaller): its own pseudonyms.
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

/// The secret behind the pseudonyms.
#[derive(Clone)]
pub struct Pseudonyms {
    key: Arc<Vec<u8>>,
}

impl Pseudonyms {
    pub fn new(key: Vec<u8>) -> Self {
        Self { key: Arc::new(key) }
    }

    /// A child as `reader` reads it.
    pub fn child(&self, reader: &Reader, child: ChildRef) -> ChildRef {
        match reader {
            Reader::AsThey => child,
            Reader::Organisation(organisation) => {
                ChildRef(auth::pseudonym(&self.key, organisation, child.0))
            }
        }
    }

    /// A household as `reader` reads it.
    pub fn household(&self, reader: &Reader, household: HouseholdRef) -> HouseholdRef {
        match reader {
            Reader::AsThey => household,
            Reader::Organisation(organisation) => {
                HouseholdRef(auth::pseudonym(&self.key, organisation, household.0))
            }
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

    /// The child among `children` that `reader` names `named`. An organisation names a child by its
    /// pseudonym only: the gemeente's id from it names no child ([`ChildRef`] of nil, in no
    /// application).
    pub fn child_named<'a>(
        &self,
        reader: &Reader,
        named: ChildRef,
        children: impl IntoIterator<Item = &'a ChildRef>,
    ) -> ChildRef {
        match reader {
            Reader::AsThey => named,
            Reader::Organisation(_) => children
                .into_iter()
                .find(|child| self.child(reader, **child) == named)
                .copied()
                .unwrap_or(ChildRef(Uuid::nil())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_organisations_read_a_child_under_different_ids_and_the_gemeente_as_it_is() {
        let pseudonyms = Pseudonyms::new(b"a pseudonym key of some length".to_vec());
        let child = ChildRef(Uuid::from_u128(11));
        let leergeld = Reader::Organisation(OrganisationId::parse("leergeld").unwrap());
        let jeugdfonds = Reader::Organisation(OrganisationId::parse("jeugdfonds").unwrap());
        let a = pseudonyms.child(&leergeld, child);
        let b = pseudonyms.child(&jeugdfonds, child);
        assert_ne!(a, b);
        assert_ne!(a, child);
        assert_eq!(pseudonyms.child(&Reader::AsThey, child), child);
        assert_eq!(pseudonyms.child_named(&leergeld, a, [&child]), child);
        assert_eq!(
            pseudonyms.child_named(&leergeld, child, [&child]),
            ChildRef(Uuid::nil()),
            "the gemeente's id from a partner names no child"
        );
        assert_eq!(
            pseudonyms.child_named(&jeugdfonds, a, [&child]),
            ChildRef(Uuid::nil())
        );
    }
}
