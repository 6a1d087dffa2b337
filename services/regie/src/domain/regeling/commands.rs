//! What may be asked of a regeling version.

use kindpakket_proto::regie::RegelingPublished;

#[derive(Debug, Clone)]
pub enum RegelingCommand {
    /// The regievoerder publishes a version: its gemeenten, period, income rules, catalogue and
    /// budgets, exactly as it will be in force.
    Publish(RegelingPublished),
}
