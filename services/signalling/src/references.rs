//! A caller names a child and household by its own reference (`platform::reference`, made by the
//! application service's `/identificaties`), never by the gemeente's id; every answer names them
//! the same way. A reference that is not this organisation's (made up, mistyped, another
//! organisation's, of the other kind) is refused: a Dutch 422 that names the field and not what
//! was sent.

use std::sync::Arc;

use kindpakket_platform::reference::{self, ReferenceKind};
use kindpakket_platform::refusal::{Refusal, RefusalKind};
use kindpakket_proto::{ChildRef, HouseholdRef, OrganisationId};

/// The secret behind references (`KINDPAKKET_PSEUDONYM_KEY`, the same as the application and
/// provision services').
#[derive(Clone)]
pub struct References {
    key: Arc<Vec<u8>>,
}

/// A reference this organisation was not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Het veld '{field}' is een onbekende referentie: gebruik de referentie die uw organisatie kreeg bij het identificeren (/identificaties). Er is niets opgeslagen.")]
pub struct UnknownReference {
    pub field: &'static str,
}

impl Refusal for UnknownReference {
    fn kind(&self) -> RefusalKind {
        RefusalKind::Invalid
    }
}

impl References {
    pub fn new(key: Vec<u8>) -> Self {
        Self { key: Arc::new(key) }
    }

    /// The child `organisation`'s reference names.
    pub fn child(
        &self,
        organisation: &OrganisationId,
        reference: &str,
    ) -> Result<ChildRef, UnknownReference> {
        reference::resolve(&self.key, organisation, ReferenceKind::Child, reference)
            .map(ChildRef)
            .ok_or(UnknownReference { field: "kind" })
    }

    /// The household `organisation`'s reference names.
    pub fn household(
        &self,
        organisation: &OrganisationId,
        reference: &str,
    ) -> Result<HouseholdRef, UnknownReference> {
        reference::resolve(&self.key, organisation, ReferenceKind::Household, reference)
            .map(HouseholdRef)
            .ok_or(UnknownReference {
                field: "huishouden",
            })
    }

    /// `organisation`'s reference of a child.
    pub fn of_child(&self, organisation: &OrganisationId, child: ChildRef) -> String {
        reference::reference(&self.key, organisation, ReferenceKind::Child, child.0)
    }
}
