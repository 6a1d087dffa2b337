//! What may be asked of a sample draw.

use kindpakket_platform::free_text::Note;
use kindpakket_platform::shredding::Sealed;
use kindpakket_proto::provision::{CheckOutcome, ReclaimFrom, SampleDrawn};
use kindpakket_proto::regie::FundingPart;
use kindpakket_proto::{Cents, ChildRef, GemeenteCode, OrganisationId, ProvisionCode};
use time::Date;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub enum SampleCommand {
    Draw(DrawSample),
    RecordCheck(RecordCheck),
    DecideReclaim(DecideReclaim),
}

/// Records a draw, made by [`crate::sampling`]: it is refused unless its seed and population give
/// the same selection again.
#[derive(Debug, Clone)]
pub struct DrawSample {
    pub gemeente: GemeenteCode,
    pub drawn: SampleDrawn,
}

/// The outcome of checking one drawn declaration.
#[derive(Debug, Clone)]
pub struct RecordCheck {
    pub gemeente: GemeenteCode,
    pub declaration_id: Uuid,
    pub outcome: CheckOutcome,
    /// What the checker wrote, sealed under the key of the declaration's child; required when the
    /// declaration was not in order.
    pub note: Option<Sealed<Note>>,
    pub checked_on: Date,
}

/// Regie reclaims (part of) what was paid for a drawn declaration that was checked not in order.
#[derive(Debug, Clone)]
pub struct DecideReclaim {
    pub gemeente: GemeenteCode,
    pub reclaim_id: Uuid,
    pub declaration_id: Uuid,
    pub from: ReclaimFrom,
    /// The partner it is reclaimed from, when `from` is the partner.
    pub partner: Option<OrganisationId>,
    pub amount_cents: Cents,
    /// The declaration as its entitlement knows it, loaded by the caller.
    pub paid: PaidDeclaration,
    pub decided_on: Date,
}

/// What the entitlement says of a declaration: whose and what, and what was approved (paid) for it.
#[derive(Debug, Clone)]
pub struct PaidDeclaration {
    pub entitlement_id: Uuid,
    pub child: ChildRef,
    pub provision: ProvisionCode,
    /// What was approved for it; `None` when it was not approved (nothing was paid).
    pub approved_cents: Option<Cents>,
    /// The reclaimed amount split over the declaration's funders as its approval was.
    pub funding: Vec<FundingPart>,
}
