//! What may be asked of a gemeente's doelgroep for a year.

use kindpakket_proto::regie::{TargetAgeBand, TargetGroupSource};
use kindpakket_proto::GemeenteCode;
use time::Date;

#[derive(Debug, Clone)]
pub enum TargetGroupCommand {
    Set(SetTargetGroup),
}

/// The regievoerder sets the whole doelgroep of a gemeente for one year; it replaces the table
/// before it.
#[derive(Debug, Clone)]
pub struct SetTargetGroup {
    pub gemeente: GemeenteCode,
    /// As the URL said it: checked by the aggregate.
    pub year: i32,
    pub rows: Vec<ProposedRow>,
    pub source: TargetGroupSource,
    pub set_on: Date,
}

/// A row as the regievoerder sent it, before it is checked: the wijk as typed, the children as any
/// number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposedRow {
    pub wijk: Option<String>,
    pub age_band: TargetAgeBand,
    pub children: u64,
}
