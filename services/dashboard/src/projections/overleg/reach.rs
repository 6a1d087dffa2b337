//! Reach (`docs/overleg.md`, "Reach"): the children served in the year up to a quarter's end
//! against the children regie expects to be eligible that year (the doelgroep, per wijk and age
//! band, from the gemeente's own income data or a CBS estimate).
//!
//! The expected numbers are estimates about a population, about no child: every reader sees them
//! exactly. The children served are counts like every other: per row of the breakdown by wijk or
//! age band they pass [`Policy::count`] and [`Policy::protect_breakdown`] (their total is the usage's
//! children served, one cell), and a percentage is computed only from a count as shown, so it is
//! hidden where the count is.

use std::collections::BTreeMap;

use kindpakket_platform::http::vocabulary::TargetGroupSourceDto;
use kindpakket_proto::regie::TargetGroupSource;
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgPool;

use super::disclosure::{percentage, Policy, Relation};
use super::queries::QuarterTally;
use super::{breakdown_rows, Breakdown, Filters, Row};
use crate::projections::funnel::StepTally;

/// What reach needs of a quarter, counted exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReachTally {
    /// Children served in the year up to the quarter's end, per value of the breakdowns by wijk
    /// and by age band (their total is the usage's children served).
    pub served_in_year: BTreeMap<Breakdown, BTreeMap<String, i64>>,
    /// The doelgroep of the quarter's year, if regie set one with at least one row.
    pub target_group: Option<TargetGroupTally>,
}

/// The doelgroep of a year as regie last set it, restricted to the report's filters by wijk and age
/// band.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetGroupTally {
    pub year: i32,
    pub source: TargetGroupSource,
    /// Children expected in all the rows counted.
    pub children: i64,
    /// Children expected per wijk (`onbekend`: the rows without wijk) and per age band.
    pub expected: BTreeMap<Breakdown, BTreeMap<String, i64>>,
}

/// The breakdowns that have a denominator.
fn has_reach(breakdown: Breakdown) -> bool {
    matches!(breakdown, Breakdown::Wijk | Breakdown::AgeBand)
}

/// The answer's `doelgroep`: the year's expected children, and reach in total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TargetGroupFigures {
    #[serde(rename = "jaar")]
    pub year: i32,
    #[serde(rename = "bron")]
    pub source: TargetGroupSourceDto,
    /// Expected, exactly (an estimate, about no child).
    #[serde(rename = "kinderen")]
    pub children: i64,
    /// The usage's children served (as shown) per 100 expected; `null` when that count is hidden
    /// or nothing is expected.
    #[serde(rename = "bereikPercentage")]
    pub percentage: Option<i64>,
}

/// The columns reach adds to a row of the breakdown by wijk or by age band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct RowReach {
    /// Children served in the year up to the quarter's end (`null`: hidden).
    #[serde(rename = "bediendInJaar")]
    pub served_in_year: Option<i64>,
    /// Children expected by the doelgroep, exactly; `null` without a doelgroep or without a row of
    /// it for this value.
    #[serde(rename = "verwacht")]
    pub expected: Option<i64>,
    /// `bediendInJaar` per 100 `verwacht`, from the count as shown; `null` where either is.
    #[serde(rename = "bereikPercentage")]
    pub percentage: Option<i64>,
}

/// The answer's `doelgroep`, given the usage's children served as shown.
pub fn target_group(tally: &QuarterTally, served_shown: Option<i64>) -> Option<TargetGroupFigures> {
    tally
        .reach
        .target_group
        .as_ref()
        .map(|group| TargetGroupFigures {
            year: group.year,
            source: group.source.into(),
            children: group.children,
            percentage: percentage(served_shown, Some(group.children)),
        })
}

/// The rows of `breakdown` as `policy` discloses them. The breakdowns by wijk and by age band also
/// list every value the doelgroep expects children for or a child was served in during the year
/// (with zeros for the quarter where it had none), each with its reach.
pub fn breakdown(policy: Policy, tally: &QuarterTally, breakdown: Breakdown) -> Vec<Row> {
    let mut rows: BTreeMap<String, StepTally> = tally
        .breakdowns
        .get(&breakdown)
        .map(|rows| rows.iter().cloned().collect())
        .unwrap_or_default();
    if !has_reach(breakdown) {
        let rows: Vec<(String, StepTally)> = rows.into_iter().collect();
        return breakdown_rows(policy, &tally.funnel, &rows);
    }
    let served = tally.reach.served_in_year.get(&breakdown);
    let expected = tally
        .reach
        .target_group
        .as_ref()
        .and_then(|group| group.expected.get(&breakdown));
    for value in served
        .into_iter()
        .chain(expected)
        .flat_map(|values| values.keys())
    {
        rows.entry(value.clone()).or_default();
    }
    let rows: Vec<(String, StepTally)> = rows.into_iter().collect();
    let served_of = |value: &str| served.and_then(|s| s.get(value)).copied().unwrap_or(0);
    let served_shown = policy.protect_breakdown(&Relation {
        total: tally.served_in_year,
        parts: rows.iter().map(|(value, _)| served_of(value)).collect(),
    });
    let mut shown = breakdown_rows(policy, &tally.funnel, &rows);
    for (row, served_in_year) in shown.iter_mut().zip(served_shown) {
        let expected_here = tally
            .reach
            .target_group
            .as_ref()
            .and_then(|_| expected.and_then(|e| e.get(&row.value)).copied());
        row.reach = Some(RowReach {
            served_in_year,
            expected: expected_here,
            percentage: percentage(served_in_year, expected_here),
        });
    }
    shown
}

/// The doelgroep of `year` in `gemeente` as regie last set it, restricted to the filters by wijk and
/// age band; none when regie set none, or withdrew it (a table without rows).
pub async fn target_group_tally(
    pool: &PgPool,
    gemeente: &str,
    year: i32,
    filters: &Filters,
) -> Result<Option<TargetGroupTally>, sqlx::Error> {
    let source: Option<String> = sqlx::query_scalar(
        "SELECT source FROM target_groups g WHERE gemeente = $1 AND year = $2
           AND EXISTS (SELECT 1 FROM target_group_rows r
                       WHERE r.gemeente = g.gemeente AND r.year = g.year)",
    )
    .bind(gemeente)
    .bind(year)
    .fetch_optional(pool)
    .await?;
    let Some(source) = source.and_then(|word| serde_json::from_value(word.into()).ok()) else {
        return Ok(None);
    };
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT wijk, age_band, children FROM target_group_rows
         WHERE gemeente = $1 AND year = $2
           AND ($3::text IS NULL OR wijk = $3) AND ($4::text IS NULL OR age_band = $4)",
    )
    .bind(gemeente)
    .bind(year)
    .bind(filters.wijk.as_deref())
    .bind(filters.age_band.as_deref())
    .fetch_all(pool)
    .await?;
    let mut expected: BTreeMap<Breakdown, BTreeMap<String, i64>> = BTreeMap::new();
    let mut children = 0;
    for (wijk, age_band, count) in rows {
        children += count;
        for (breakdown, value) in [(Breakdown::Wijk, wijk), (Breakdown::AgeBand, age_band)] {
            *expected
                .entry(breakdown)
                .or_default()
                .entry(value)
                .or_default() += count;
        }
    }
    Ok(Some(TargetGroupTally {
        year,
        source,
        children,
        expected,
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};
    use time::macros::datetime;

    use super::*;
    use crate::projections::overleg::{figures, QuarterFigures};
    use kindpakket_proto::GemeenteCode;

    const OVERLEG: Policy = Policy::DEFAULT_OVERLEG;

    const fn steps(signalled: i64, applied: i64, granted: i64, served: i64) -> StepTally {
        StepTally::new(signalled, applied, granted, served)
    }

    fn map(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
        pairs
            .iter()
            .map(|(value, count)| ((*value).to_owned(), *count))
            .collect()
    }

    /// A K3 of 60 children served in the year: 43 in WK051801, 3 in WK051802, 14 without wijk;
    /// regie expects 500, 100 and 300 (WK051803 has nobody served yet).
    fn tally() -> QuarterTally {
        let mut tally = QuarterTally {
            funnel: steps(30, 25, 25, 20),
            served_in_year: 60,
            granted_in_year: 70,
            ..QuarterTally::default()
        };
        tally.breakdowns.insert(
            Breakdown::Wijk,
            vec![
                ("WK051801".to_owned(), steps(20, 15, 15, 12)),
                ("WK051802".to_owned(), steps(0, 0, 0, 0)),
                ("onbekend".to_owned(), steps(10, 10, 10, 8)),
            ],
        );
        tally.breakdowns.insert(
            Breakdown::AgeBand,
            vec![
                ("4-11".to_owned(), steps(18, 15, 15, 12)),
                ("12-17".to_owned(), steps(12, 10, 10, 8)),
            ],
        );
        tally.reach.served_in_year.insert(
            Breakdown::Wijk,
            map(&[("WK051801", 43), ("WK051802", 3), ("onbekend", 14)]),
        );
        tally
            .reach
            .served_in_year
            .insert(Breakdown::AgeBand, map(&[("4-11", 38), ("12-17", 22)]));
        let mut expected = BTreeMap::new();
        expected.insert(
            Breakdown::Wijk,
            map(&[
                ("WK051801", 500),
                ("WK051802", 100),
                ("WK051803", 200),
                ("onbekend", 100),
            ]),
        );
        expected.insert(
            Breakdown::AgeBand,
            map(&[("0-3", 150), ("4-11", 450), ("12-17", 300)]),
        );
        tally.reach.target_group = Some(TargetGroupTally {
            year: 2026,
            source: TargetGroupSource::CbsEstimate,
            children: 900,
            expected,
        });
        tally
    }

    fn of(policy: Policy, breakdown: Option<Breakdown>, tally: &QuarterTally) -> QuarterFigures {
        figures(
            policy,
            GemeenteCode::parse("GM0518").unwrap(),
            "2026-K3".parse().unwrap(),
            datetime!(2026-10-15 0:00 UTC),
            false,
            breakdown,
            tally,
        )
    }

    fn row<'a>(figures: &'a QuarterFigures, value: &str) -> &'a Row {
        figures
            .rows
            .iter()
            .find(|row| row.value == value)
            .unwrap_or_else(|| panic!("{value} in {:?}", figures.rows))
    }

    #[test]
    fn regie_reads_reach_per_wijk_against_the_doelgroep_with_every_expected_wijk_listed() {
        let figures = of(Policy::Exact, Some(Breakdown::Wijk), &tally());
        let json = serde_json::to_value(&figures).unwrap();
        assert_eq!(
            json["doelgroep"],
            json!({"jaar": 2026, "bron": "cbs_schatting", "kinderen": 900, "bereikPercentage": 7}),
            "60 of 900"
        );
        let reach = |value: &str| row(&figures, value).reach.unwrap();
        assert_eq!(
            reach("WK051801"),
            RowReach {
                served_in_year: Some(43),
                expected: Some(500),
                percentage: Some(9),
            }
        );
        assert_eq!(reach("WK051802").percentage, Some(3), "3 of 100");
        assert_eq!(
            reach("WK051803"),
            RowReach {
                served_in_year: Some(0),
                expected: Some(200),
                percentage: Some(0),
            },
            "a wijk nobody was served in yet is listed: its reach is what matters most"
        );
        assert_eq!(row(&figures, "WK051803").steps.signalled, Some(0));
        assert_eq!(reach("onbekend").expected, Some(100));
        let wire = json["rijen"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["waarde"] == "WK051801")
            .unwrap()
            .clone();
        assert_eq!(
            wire,
            json!({"waarde": "WK051801", "gesignaleerd": 20, "aangevraagd": 15, "toegekend": 15,
                   "bediend": 12, "bediendInJaar": 43, "verwacht": 500, "bereikPercentage": 9})
        );
    }

    #[test]
    fn the_overleg_reads_the_expected_numbers_exactly_and_a_percentage_only_from_a_count_shown() {
        let figures = of(OVERLEG, Some(Breakdown::Wijk), &tally());
        let group = figures.target_group.unwrap();
        assert_eq!(group.children, 900, "an estimate: exact");
        assert_eq!(group.percentage, Some(7), "60 shown as 60, of 900");
        let reach = |value: &str| row(&figures, value).reach.unwrap();
        // WK051802's 3 is hidden; the smallest other non-zero (onbekend's 14) with it, or 60 - 45
        // would tell it.
        assert_eq!(
            reach("WK051802"),
            RowReach {
                served_in_year: None,
                expected: Some(100),
                percentage: None,
            }
        );
        assert_eq!(reach("onbekend").served_in_year, None);
        assert_eq!(reach("onbekend").percentage, None);
        assert_eq!(reach("onbekend").expected, Some(100));
        assert_eq!(
            reach("WK051801"),
            RowReach {
                served_in_year: Some(45),
                expected: Some(500),
                percentage: Some(9),
            },
            "43 rounded to 45; 45 of 500"
        );
        assert_eq!(
            reach("WK051803").served_in_year,
            Some(0),
            "zero points at nobody"
        );

        let by_age = of(OVERLEG, Some(Breakdown::AgeBand), &tally());
        let reach = |value: &str| row(&by_age, value).reach.unwrap();
        assert_eq!(reach("4-11").served_in_year, Some(40), "38 rounded");
        assert_eq!(reach("4-11").percentage, Some(9), "40 of 450");
        assert_eq!(reach("12-17").percentage, Some(7), "20 of 300");
        assert_eq!(reach("0-3").expected, Some(150));
        assert_eq!(reach("0-3").percentage, Some(0));
    }

    #[test]
    fn without_a_doelgroep_there_is_none_and_no_row_expects_anything() {
        let mut tally = tally();
        tally.reach.target_group = None;
        let figures = of(Policy::Exact, Some(Breakdown::Wijk), &tally);
        assert_eq!(figures.target_group, None);
        let json = serde_json::to_value(&figures).unwrap();
        assert_eq!(json["doelgroep"], Value::Null);
        assert!(figures.rows.iter().all(|row| {
            let reach = row.reach.unwrap();
            reach.expected.is_none() && reach.percentage.is_none()
        }));
        assert_eq!(
            row(&figures, "WK051801").reach.unwrap().served_in_year,
            Some(43)
        );
        assert!(
            figures.rows.iter().all(|row| row.value != "WK051803"),
            "no expected wijk to list"
        );
    }

    #[test]
    fn other_breakdowns_have_no_reach_columns() {
        let mut tally = tally();
        tally.breakdowns.insert(
            Breakdown::Channel,
            vec![("online".to_owned(), steps(30, 25, 25, 20))],
        );
        let figures = of(Policy::Exact, Some(Breakdown::Channel), &tally);
        assert_eq!(figures.rows[0].reach, None);
        let json = serde_json::to_value(&figures).unwrap();
        assert_eq!(json["rijen"][0].get("verwacht"), None, "{json}");
    }

    #[test]
    fn when_every_count_is_small_the_overleg_reads_only_the_estimates_and_zeros() {
        for small in 1..10 {
            let mut tally = tally();
            tally.funnel = steps(small, small, small, small);
            tally.served_in_year = small;
            tally.granted_in_year = small;
            for breakdown in [Breakdown::Wijk, Breakdown::AgeBand] {
                tally.breakdowns.insert(
                    breakdown,
                    vec![("x".to_owned(), steps(small, small, small, small))],
                );
                tally
                    .reach
                    .served_in_year
                    .insert(breakdown, map(&[("x", small)]));
            }
            for breakdown in [Breakdown::Wijk, Breakdown::AgeBand] {
                let figures = of(OVERLEG, Some(breakdown), &tally);
                assert_eq!(figures.target_group.unwrap().percentage, None, "{small}");
                let row = row(&figures, "x");
                assert_eq!(
                    row.reach.unwrap(),
                    RowReach {
                        served_in_year: None,
                        expected: None,
                        percentage: None,
                    },
                    "{small}"
                );
                for other in figures.rows.iter().filter(|row| row.value != "x") {
                    let reach = other.reach.unwrap();
                    assert_eq!(reach.served_in_year, Some(0), "{small}");
                    assert!(reach.expected.is_some(), "{small}");
                    assert_eq!(reach.percentage, Some(0), "{small}");
                }
            }
        }
    }
}
