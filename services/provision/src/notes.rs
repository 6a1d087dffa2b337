//! What a worker types about a child — why a pass was blocked, a proof's reference, why a declaration
//! or an invoice line was rejected, what a sample check found — is checked, then sealed under the
//! child's key before it reaches a command; answers open it again for those who may read it.
//!
//! - [`check`]: free text as a request carries it ([`FreeText`]) to a [`Note`], or a Dutch 422 when
//!   it holds a BSN, IBAN, e-mail address or telephone number (nothing is stored then); blank is
//!   none;
//! - [`seal`]: a checked note sealed under the child's key ([`SubjectKeys::seal`]); a child that was
//!   forgotten gets nothing new written about it;
//! - [`Unsealed`]: the texts of one answer, opened: each the text, or "forgotten" once the child's
//!   key was destroyed (erasure, retention) — never an error.
//!
//! The aggregates stay pure: they carry [`Sealed`] values and never open them. Sealing happens here,
//! between the handler and the command, because the key lives in a database; this keeps the
//! aggregates' given/when/then tests free of keys (they use opaque sealed values).

use std::collections::{HashMap, HashSet};

use kindpakket_platform::free_text::{FreeText, FreeTextRefusal, Note};
use kindpakket_platform::refusal::{Refusal, RefusalKind};
use kindpakket_platform::shredding::{Opened, SealError, Sealed, SubjectKeys};
use kindpakket_proto::ChildRef;
use uuid::Uuid;

use crate::domain::entitlement::Entitlement;
use crate::domain::invoice::Invoice;
use crate::domain::sample::SampleDraw;

/// What an answer shows where a text was forgotten, beside `null`.
pub const FORGOTTEN: &str = "vergeten";

/// Why a note was not kept.
#[derive(Debug, thiserror::Error)]
pub enum NoteError {
    /// The text holds personal data or is too long (a Dutch 422 naming the field).
    #[error("{0}")]
    Refused(FreeTextRefusal),
    /// The child was forgotten: nothing new is written about it.
    #[error("{0}")]
    Forgotten(ForgottenChild),
    #[error("sealing a note failed: {0:#}")]
    Technical(anyhow::Error),
}

/// A child that was forgotten: nothing new is recorded about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("De gegevens van dit kind zijn vergeten; er wordt niets nieuws over vastgelegd. Er is niets opgeslagen.")]
pub struct ForgottenChild;

impl Refusal for ForgottenChild {
    fn kind(&self) -> RefusalKind {
        RefusalKind::Conflict
    }
}

impl From<FreeTextRefusal> for NoteError {
    fn from(refusal: FreeTextRefusal) -> Self {
        NoteError::Refused(refusal)
    }
}

/// `text` checked as the field `field`: `None` when absent or blank.
pub fn check(text: Option<FreeText>, field: &'static str) -> Result<Option<Note>, FreeTextRefusal> {
    match text {
        None => Ok(None),
        Some(text) => Ok(Some(text.checked(field)?).filter(|note| !note.is_empty())),
    }
}

/// A checked note sealed under `child`'s key.
pub async fn seal(
    keys: &SubjectKeys,
    child: ChildRef,
    note: Option<Note>,
) -> Result<Option<Sealed<Note>>, NoteError> {
    let Some(note) = note else {
        return Ok(None);
    };
    match keys.seal(child.0, &note).await {
        Ok(sealed) => Ok(Some(sealed)),
        Err(SealError::Forgotten) => Err(NoteError::Forgotten(ForgottenChild)),
        Err(SealError::Technical(error)) => Err(NoteError::Technical(error)),
    }
}

/// Which texts an answer opens, by what they belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// Why a pass was blocked, by the pass's id.
    BlockReason,
    /// A declaration's proof reference, by the declaration's id.
    Proof,
    /// Why a declaration was rejected, by the declaration's id.
    Rejection,
    /// Why an invoice line was rejected, by its delivery's id.
    LineReason,
    /// A sample check's note, by the declaration's id.
    CheckNote,
}

/// The sealed texts of one answer, opened, and which of its children were forgotten.
#[derive(Debug, Default, Clone)]
pub struct Unsealed {
    /// `None` where the text was forgotten.
    texts: HashMap<(Field, Uuid), Option<String>>,
    forgotten_children: HashSet<Uuid>,
}

impl Unsealed {
    /// The text of `field` for `id`: `None` when there is none or it was forgotten.
    pub fn text(&self, field: Field, id: Uuid) -> Option<String> {
        self.texts.get(&(field, id)).cloned().flatten()
    }

    /// Whether `field` for `id` was written but can no longer be read.
    pub fn forgotten(&self, field: Field, id: Uuid) -> bool {
        matches!(self.texts.get(&(field, id)), Some(None))
    }

    /// Whether `child` was forgotten (its reference is no longer shown).
    pub fn child_forgotten(&self, child: ChildRef) -> bool {
        self.forgotten_children.contains(&child.0)
    }

    /// Sets a text as opened (also for tests of the answers, which have no keys).
    pub fn insert(&mut self, field: Field, id: Uuid, text: Option<String>) {
        self.texts.insert((field, id), text);
    }

    /// Marks a child as forgotten (also for tests of the answers).
    pub fn forget_child(&mut self, child: ChildRef) {
        self.forgotten_children.insert(child.0);
    }

    async fn open(
        &mut self,
        keys: &SubjectKeys,
        field: Field,
        id: Uuid,
        sealed: Option<&Sealed<Note>>,
    ) -> anyhow::Result<()> {
        if let Some(sealed) = sealed {
            let text = match keys.open(sealed).await? {
                Opened::Value(note) => Some(note.as_str().to_owned()),
                Opened::Forgotten => None,
            };
            self.insert(field, id, text);
        }
        Ok(())
    }

    async fn note_child(&mut self, keys: &SubjectKeys, child: ChildRef) -> anyhow::Result<()> {
        if !self.forgotten_children.contains(&child.0) && keys.is_forgotten(child.0).await? {
            self.forgotten_children.insert(child.0);
        }
        Ok(())
    }

    /// The texts of an entitlement: its passes' block reasons, its declarations' proofs and
    /// rejections; and whether its child was forgotten.
    pub async fn of_entitlement(
        keys: &SubjectKeys,
        entitlement: &Entitlement,
    ) -> anyhow::Result<Self> {
        let mut unsealed = Self::default();
        unsealed.add_entitlement(keys, entitlement).await?;
        Ok(unsealed)
    }

    /// Adds whether the entitlement's child was forgotten, without opening its texts (for lists).
    pub async fn add_child_of(
        &mut self,
        keys: &SubjectKeys,
        entitlement: &Entitlement,
    ) -> anyhow::Result<()> {
        if let Some(opened) = &entitlement.opened {
            // Every child of a household budget: it is shown to those who are not forgotten.
            for child in opened.spenders() {
                self.note_child(keys, child).await?;
            }
        }
        Ok(())
    }

    async fn add_entitlement(
        &mut self,
        keys: &SubjectKeys,
        entitlement: &Entitlement,
    ) -> anyhow::Result<()> {
        self.add_child_of(keys, entitlement).await?;
        for pass in &entitlement.passes {
            let id = pass.issued.pass_id;
            self.open(keys, Field::BlockReason, id, pass.block_reason.as_ref())
                .await?;
        }
        for declaration in &entitlement.declarations {
            let id = declaration.submitted.declaration_id;
            self.open(keys, Field::Proof, id, declaration.proof.as_ref())
                .await?;
            self.open(
                keys,
                Field::Rejection,
                id,
                declaration.rejection_reason.as_ref(),
            )
            .await?;
        }
        Ok(())
    }

    /// The texts of an invoice: its rejected lines' reasons; and which of its children were
    /// forgotten.
    pub async fn of_invoice(keys: &SubjectKeys, invoice: &Invoice) -> anyhow::Result<Self> {
        let mut unsealed = Self::default();
        if let Some(submitted) = &invoice.submitted {
            for line in &submitted.lines {
                unsealed.note_child(keys, line.child).await?;
            }
        }
        for (delivery_id, reason) in &invoice.reasons {
            unsealed
                .open(keys, Field::LineReason, *delivery_id, Some(reason))
                .await?;
        }
        Ok(unsealed)
    }

    /// The texts of a sample: its checks' notes.
    pub async fn of_sample(keys: &SubjectKeys, sample: &SampleDraw) -> anyhow::Result<Self> {
        let mut unsealed = Self::default();
        for (declaration_id, note) in &sample.notes {
            unsealed
                .open(keys, Field::CheckNote, *declaration_id, Some(note))
                .await?;
        }
        Ok(unsealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_text_is_none_and_personal_data_is_refused() {
        assert_eq!(check(None, "reden").unwrap(), None);
        assert_eq!(check(Some(FreeText::new("   ")), "reden").unwrap(), None);
        assert_eq!(
            check(Some(FreeText::new(" kwijt ")), "reden")
                .unwrap()
                .map(|note| note.as_str().to_owned()),
            Some("kwijt".to_owned())
        );
        assert!(check(Some(FreeText::new("bel 06-12345678")), "reden").is_err());
    }

    #[test]
    fn a_forgotten_text_reads_as_none_and_as_forgotten() {
        let mut unsealed = Unsealed::default();
        let id = Uuid::from_u128(1);
        unsealed.insert(Field::Proof, id, None);
        unsealed.insert(Field::Rejection, id, Some("andere bon".to_owned()));
        assert_eq!(unsealed.text(Field::Proof, id), None);
        assert!(unsealed.forgotten(Field::Proof, id));
        assert!(!unsealed.forgotten(Field::Rejection, id));
        assert!(!unsealed.forgotten(Field::BlockReason, id), "never written");
    }
}
