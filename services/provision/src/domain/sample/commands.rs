//! What may be asked of a sample draw.

use kindpakket_platform::free_text::Note;
use kindpakket_platform::shredding::Sealed;
use kindpakket_proto::provision::{CheckOutcome, SampleDrawn};
use kindpakket_proto::GemeenteCode;
use time::Date;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub enum SampleCommand {
    Draw(DrawSample),
    RecordCheck(RecordCheck),
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
