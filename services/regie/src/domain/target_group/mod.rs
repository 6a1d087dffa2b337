//! A gemeente's doelgroep for a year: how many children are expected to be eligible, per wijk and
//! age band, from the gemeente's own income data or a CBS estimate. The dashboard divides the
//! children served by it (reach).
//!
//! One aggregate per gemeente and year (its id is `GM0518:2026`), like the routing: the table is one
//! estimate, replaced whole and versioned as a whole. Rows are kept in one order (the whole gemeente
//! first, then by wijk and age band), so the same table sent in another order is the same table and
//! changes nothing.

mod commands;
mod error;
mod events;

pub use commands::{ProposedRow, SetTargetGroup, TargetGroupCommand};
pub use error::TargetGroupError;
pub use events::TargetGroupEvent;

use std::collections::HashSet;
use std::fmt;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use kindpakket_platform::store::Tenanted;
use kindpakket_proto::regie::{TargetGroupRow, TargetGroupSet};
use kindpakket_proto::{GemeenteCode, WijkCode};
use serde::{Deserialize, Serialize};

use crate::domain::regeling::Position;

/// The years a doelgroep may be set for.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;
/// The most children one row may count (more than the largest gemeente has).
pub const MAX_CHILDREN: u64 = 1_000_000;
/// The most rows a table may have: one per wijk and age band of a large gemeente, with room.
pub const MAX_ROWS: usize = 2000;

/// The aggregate id of a gemeente's doelgroep for a year: `GM0518:2026`.
#[derive(Debug, Clone, Copy)]
pub struct TargetGroupId<'a> {
    pub gemeente: &'a GemeenteCode,
    pub year: i32,
}

impl fmt::Display for TargetGroupId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.gemeente, self.year)
    }
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct TargetGroup {
    pub current: Option<TargetGroupSet>,
}

impl Aggregate for TargetGroup {
    const TYPE: &'static str = "target_group";
    type Command = TargetGroupCommand;
    type Event = TargetGroupEvent;
    type Error = TargetGroupError;
    type Services = ();

    async fn handle(
        &mut self,
        command: TargetGroupCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), TargetGroupError> {
        let events = match command {
            TargetGroupCommand::Set(command) => self.set(command)?,
        };
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: TargetGroupEvent) {
        match event {
            TargetGroupEvent::Set(set) => self.current = Some(set),
        }
    }
}

impl Tenanted for TargetGroup {
    const NOT_FOUND: &'static str = "Deze gemeente heeft voor dit jaar nog geen doelgroep.";

    fn gemeente(&self) -> Option<&GemeenteCode> {
        self.current.as_ref().map(|set| &set.gemeente)
    }
}

impl TargetGroup {
    /// The next table, with the next version; nothing when it is the table already in force (a
    /// repeated PUT changes nothing).
    fn set(&self, command: SetTargetGroup) -> Result<Vec<TargetGroupEvent>, TargetGroupError> {
        if !YEARS.contains(&command.year) {
            return Err(TargetGroupError::InvalidYear);
        }
        let rows = checked_rows(&command)?;
        if let Some(current) = &self.current {
            if current.rows == rows && current.source == command.source {
                return Ok(vec![]);
            }
        }
        let version = self.current.as_ref().map_or(0, |current| current.version) + 1;
        Ok(vec![TargetGroupEvent::Set(TargetGroupSet {
            gemeente: command.gemeente,
            year: command.year,
            version,
            rows,
            source: command.source,
            set_on: command.set_on,
        })])
    }
}

/// Each row checked in order (the first broken rule is reported with the row's place), then put in
/// the table's one order.
fn checked_rows(command: &SetTargetGroup) -> Result<Vec<TargetGroupRow>, TargetGroupError> {
    if command.rows.len() > MAX_ROWS {
        return Err(TargetGroupError::TooManyRows);
    }
    let mut seen = HashSet::new();
    let mut rows = Vec::with_capacity(command.rows.len());
    for (index, proposed) in command.rows.iter().enumerate() {
        let position = Position::of(index);
        let wijk = proposed
            .wijk
            .as_deref()
            .map(|raw| WijkCode::parse(raw).map_err(|_| TargetGroupError::InvalidWijk(position)))
            .transpose()?;
        if let Some(wijk) = &wijk {
            // WK0518xx lies in GM0518.
            if wijk.as_str()[2..6] != command.gemeente.as_str()[2..] {
                return Err(TargetGroupError::WijkOutsideGemeente(position));
            }
        }
        let children = u32::try_from(proposed.children)
            .ok()
            .filter(|children| u64::from(*children) <= MAX_CHILDREN)
            .ok_or(TargetGroupError::InvalidChildren(position))?;
        if !seen.insert((wijk.clone(), proposed.age_band)) {
            return Err(TargetGroupError::DuplicateRow(position));
        }
        rows.push(TargetGroupRow {
            wijk,
            age_band: proposed.age_band,
            children,
        });
    }
    rows.sort_by(|a, b| (&a.wijk, a.age_band).cmp(&(&b.wijk, b.age_band)));
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    use cqrs_es::test::TestFramework;
    use kindpakket_proto::regie::{TargetAgeBand, TargetGroupSource};
    use time::macros::date;

    fn gemeente() -> GemeenteCode {
        GemeenteCode::parse("GM0518").unwrap()
    }

    fn proposed(wijk: Option<&str>, age_band: TargetAgeBand, children: u64) -> ProposedRow {
        ProposedRow {
            wijk: wijk.map(str::to_owned),
            age_band,
            children,
        }
    }

    fn command(year: i32, source: TargetGroupSource, rows: Vec<ProposedRow>) -> TargetGroupCommand {
        TargetGroupCommand::Set(SetTargetGroup {
            gemeente: gemeente(),
            year,
            rows,
            source,
            set_on: date!(2026 - 01 - 12),
        })
    }

    fn cbs(rows: Vec<ProposedRow>) -> TargetGroupCommand {
        command(2026, TargetGroupSource::CbsEstimate, rows)
    }

    fn row(wijk: Option<&str>, age_band: TargetAgeBand, children: u32) -> TargetGroupRow {
        TargetGroupRow {
            wijk: wijk.map(|code| WijkCode::parse(code).unwrap()),
            age_band,
            children,
        }
    }

    fn set(version: u32, source: TargetGroupSource, rows: Vec<TargetGroupRow>) -> TargetGroupEvent {
        TargetGroupEvent::Set(TargetGroupSet {
            gemeente: gemeente(),
            year: 2026,
            version,
            rows,
            source,
            set_on: date!(2026 - 01 - 12),
        })
    }

    use TargetAgeBand::{From12To17, From4To11, UpTo3};

    #[test]
    fn the_aggregate_id_is_the_gemeente_and_the_year() {
        let id = TargetGroupId {
            gemeente: &gemeente(),
            year: 2026,
        };
        assert_eq!(id.to_string(), "GM0518:2026");
    }

    #[tokio::test]
    async fn the_first_table_is_version_1_in_one_order_and_the_next_one_version_2() {
        TestFramework::<TargetGroup>::with(())
            .given_no_previous_events()
            .when_async(cbs(vec![
                proposed(Some("WK051802"), From4To11, 30),
                proposed(Some("WK051801"), From12To17, 10),
                proposed(Some("WK051801"), From4To11, 40),
                proposed(None, UpTo3, 20),
            ]))
            .await
            .then_expect_events(vec![set(
                1,
                TargetGroupSource::CbsEstimate,
                vec![
                    row(None, UpTo3, 20),
                    row(Some("WK051801"), From4To11, 40),
                    row(Some("WK051801"), From12To17, 10),
                    row(Some("WK051802"), From4To11, 30),
                ],
            )]);
        TestFramework::<TargetGroup>::with(())
            .given(vec![set(
                1,
                TargetGroupSource::CbsEstimate,
                vec![row(None, UpTo3, 20)],
            )])
            .when_async(cbs(vec![proposed(None, UpTo3, 25)]))
            .await
            .then_expect_events(vec![set(
                2,
                TargetGroupSource::CbsEstimate,
                vec![row(None, UpTo3, 25)],
            )]);
    }

    #[tokio::test]
    async fn the_same_table_again_in_any_order_changes_nothing_but_another_source_does() {
        let given = vec![set(
            1,
            TargetGroupSource::CbsEstimate,
            vec![row(None, UpTo3, 20), row(Some("WK051801"), From4To11, 40)],
        )];
        TestFramework::<TargetGroup>::with(())
            .given(given.clone())
            .when_async(cbs(vec![
                proposed(Some("WK051801"), From4To11, 40),
                proposed(None, UpTo3, 20),
            ]))
            .await
            .then_expect_events(vec![]);
        TestFramework::<TargetGroup>::with(())
            .given(given)
            .when_async(command(
                2026,
                TargetGroupSource::OwnIncomeData,
                vec![
                    proposed(None, UpTo3, 20),
                    proposed(Some("WK051801"), From4To11, 40),
                ],
            ))
            .await
            .then_expect_events(vec![set(
                2,
                TargetGroupSource::OwnIncomeData,
                vec![row(None, UpTo3, 20), row(Some("WK051801"), From4To11, 40)],
            )]);
    }

    #[tokio::test]
    async fn an_empty_table_withdraws_the_estimate_as_a_new_version() {
        TestFramework::<TargetGroup>::with(())
            .given(vec![set(
                1,
                TargetGroupSource::CbsEstimate,
                vec![row(None, UpTo3, 20)],
            )])
            .when_async(cbs(vec![]))
            .await
            .then_expect_events(vec![set(2, TargetGroupSource::CbsEstimate, vec![])]);
    }

    #[tokio::test]
    async fn a_year_is_2000_to_2100() {
        for bad in [1999, 2101, 0, -2026] {
            TestFramework::<TargetGroup>::with(())
                .given_no_previous_events()
                .when_async(command(bad, TargetGroupSource::CbsEstimate, vec![]))
                .await
                .then_expect_error(TargetGroupError::InvalidYear);
        }
        for good in [2000, 2100] {
            let events = TestFramework::<TargetGroup>::with(())
                .given_no_previous_events()
                .when_async(command(good, TargetGroupSource::CbsEstimate, vec![]))
                .await
                .inspect_result();
            assert_eq!(events.map(|events| events.len()), Ok(1), "{good}");
        }
    }

    #[tokio::test]
    async fn a_wijk_code_of_the_wrong_form_is_refused() {
        for bad in ["wk051801", "WK0518", "WK05180A", "Laakkwartier", ""] {
            TestFramework::<TargetGroup>::with(())
                .given_no_previous_events()
                .when_async(cbs(vec![
                    proposed(None, UpTo3, 5),
                    proposed(Some(bad), UpTo3, 5),
                ]))
                .await
                .then_expect_error(TargetGroupError::InvalidWijk(Position(2)));
        }
    }

    #[tokio::test]
    async fn a_wijk_of_another_gemeente_is_refused() {
        TestFramework::<TargetGroup>::with(())
            .given_no_previous_events()
            .when_async(cbs(vec![proposed(Some("WK036301"), UpTo3, 5)]))
            .await
            .then_expect_error(TargetGroupError::WijkOutsideGemeente(Position(1)));
    }

    #[tokio::test]
    async fn a_row_counts_0_to_a_million_children() {
        for bad in [MAX_CHILDREN + 1, u64::from(u32::MAX) + 1, u64::MAX] {
            TestFramework::<TargetGroup>::with(())
                .given_no_previous_events()
                .when_async(cbs(vec![proposed(None, UpTo3, bad)]))
                .await
                .then_expect_error(TargetGroupError::InvalidChildren(Position(1)));
        }
        for good in [0, MAX_CHILDREN] {
            TestFramework::<TargetGroup>::with(())
                .given_no_previous_events()
                .when_async(cbs(vec![proposed(None, UpTo3, good)]))
                .await
                .then_expect_events(vec![set(
                    1,
                    TargetGroupSource::CbsEstimate,
                    vec![row(None, UpTo3, good as u32)],
                )]);
        }
    }

    #[tokio::test]
    async fn two_rows_for_the_same_wijk_and_age_band_are_refused() {
        TestFramework::<TargetGroup>::with(())
            .given_no_previous_events()
            .when_async(cbs(vec![
                proposed(Some("WK051801"), UpTo3, 5),
                proposed(Some("WK051801"), From4To11, 5),
                proposed(None, UpTo3, 5),
                proposed(Some("WK051801"), UpTo3, 7),
            ]))
            .await
            .then_expect_error(TargetGroupError::DuplicateRow(Position(4)));
        TestFramework::<TargetGroup>::with(())
            .given_no_previous_events()
            .when_async(cbs(vec![
                proposed(None, UpTo3, 5),
                proposed(None, UpTo3, 5),
            ]))
            .await
            .then_expect_error(TargetGroupError::DuplicateRow(Position(2)));
    }

    #[tokio::test]
    async fn a_table_has_at_most_2000_rows() {
        // 100 wijken × 3 age bands is 300 rows; 2001 rows can only be too many.
        let rows = |count: usize| {
            (0..count)
                .map(|i| {
                    let wijk = format!("WK0518{:02}", i / 3 % 100);
                    let band = TargetAgeBand::ALL[i % 3];
                    proposed(Some(&wijk), band, 1)
                })
                .collect::<Vec<_>>()
        };
        TestFramework::<TargetGroup>::with(())
            .given_no_previous_events()
            .when_async(cbs(rows(MAX_ROWS + 1)))
            .await
            .then_expect_error(TargetGroupError::TooManyRows);
        let events = TestFramework::<TargetGroup>::with(())
            .given_no_previous_events()
            .when_async(cbs(rows(300)))
            .await
            .inspect_result();
        assert_eq!(events.map(|events| events.len()), Ok(1));
    }

    #[test]
    fn refusals_name_the_row_and_never_the_value() {
        let message = TargetGroupError::InvalidWijk(Position(2)).to_string();
        assert!(message.contains("rij 2"), "{message}");
        assert!(message.contains("'wijk'"), "{message}");
        let message = TargetGroupError::InvalidChildren(Position(3)).to_string();
        assert!(message.contains("rij 3"), "{message}");
        assert!(message.contains("1.000.000"), "{message}");
    }
}
