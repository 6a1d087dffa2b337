//! What may be asked of a regeling.

use kindpakket_proto::regie::RegelingPublished;
use time::Date;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub enum RegelingCommand {
    /// The regievoerder publishes a version: its gemeenten, period, income rules, catalogue and
    /// budgets, exactly as it will be in force.
    Publish(RegelingPublished),
    Amend(Amend),
    End(End),
}

/// A correction: `successor` is in force from its `valid_from`, and the version `amended` ends the
/// day before.
#[derive(Debug, Clone)]
pub struct Amend {
    pub amended: Uuid,
    pub successor: RegelingPublished,
}

/// The version `regeling_id` is no longer in force from `per` on, and nothing takes its place.
#[derive(Debug, Clone)]
pub struct End {
    pub regeling_id: Uuid,
    pub per: Date,
}
