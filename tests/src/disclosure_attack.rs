//! The overleg's figures as an attacker reads them (`docs/overleg.md`, "Disclosure for the
//! overleg"): every count the overleg can read becomes an integer interval of what the true count
//! can be, every published sum a relation between them, and the intervals are narrowed over all
//! relations together until nothing changes (interval constraint propagation). What is left for a
//! hidden cell is what the overleg can know of it; a hidden cell narrowed to one value is disclosed.
//!
//! What a reader learns from one figure, under a policy of threshold `t` and rounding base `a`:
//! - a count shown as `r > 0`: the true count rounds to `r` (halves up), so it lies in
//!   `[r - ⌊a/2⌋, r + ⌈a/2⌉ - 1]` (`[r-2, r+2]` for `a = 5`, exactly `r` for `a = 1`), and it is at
//!   least `t` (smaller ones are hidden);
//! - a count shown as `0`: nobody (1 to `t - 1` would be hidden, not rounded to zero);
//! - a hidden count (`null`): at least 1. Hidden for being small (1 to `t - 1`) or hidden beside
//!   another (secondary suppression: any size): the reader cannot tell which, so nothing more.
//!
//! The relations (each sound: they hold for the true counts whatever the data):
//! - per quarter and step, the total (`trechter`) is the sum of every breakdown's rows;
//! - a cell read twice (the total in every breakdown's answer, a partner's `bediend` in the
//!   partners table and in the breakdown by partner) is one cell: what each read says holds at once;
//! - inequalities that follow from the definitions: the children served in the year up to the
//!   quarter's end (`gebruik.bediend`) include those served in the quarter, the children in view
//!   (`gebruik.inBeeld`) those granted in it; a partner's deliveries are at least the children it
//!   served; a signaller's signals at least those of which the child was applied for or served.
//!
//! Propagation over sums with intervals finds the exact range of each cell when the relations form a
//! star around the shared totals (as the breakdowns of one quarter do: rows of two breakdowns meet
//! only in the total); with further links it may find a wider range than the exact one, never a
//! narrower one (it is sound). The unit tests compare it with enumeration.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde_json::Value;

/// The four steps of the funnel, as the JSON names them.
pub const STEPS: [&str; 4] = ["gesignaleerd", "aangevraagd", "toegekend", "bediend"];

/// The breakdowns the overleg can choose (`indeling`); `None` is the answer without rows.
pub const BREAKDOWNS: [Option<&str>; 6] = [
    None,
    Some("wijk"),
    Some("leeftijd"),
    Some("kanaal"),
    Some("voorziening"),
    Some("partner"),
];

/// The counts of a partner in the partners table (`bediend` is the partner breakdown's cell).
pub const PARTNER_COUNTS: [&str; 6] = [
    "doorverwezen",
    "opTijdOpgepakt",
    "aanvragen",
    "maatwerk",
    "bediend",
    "verstrekkingen",
];

/// The counts of a signalling organisation in `signaleerders`.
pub const SIGNALLER_COUNTS: [&str; 3] = ["signalen", "aangevraagd", "bediend"];

/// The integers from `lo` to `hi` (`None`: without an upper bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub lo: i64,
    pub hi: Option<i64>,
}

impl Interval {
    pub const fn new(lo: i64, hi: i64) -> Self {
        Self { lo, hi: Some(hi) }
    }

    pub const fn exactly(value: i64) -> Self {
        Self::new(value, value)
    }

    pub const fn at_least(lo: i64) -> Self {
        Self { lo, hi: None }
    }

    /// One value only: the cell is disclosed.
    pub fn is_point(&self) -> bool {
        self.hi == Some(self.lo)
    }

    pub fn contains(&self, value: i64) -> bool {
        value >= self.lo && self.hi.is_none_or(|hi| value <= hi)
    }

    fn is_empty(&self) -> bool {
        self.hi.is_some_and(|hi| hi < self.lo)
    }

    fn intersect(self, other: Interval) -> Interval {
        Interval {
            lo: self.lo.max(other.lo),
            hi: match (self.hi, other.hi) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.hi {
            Some(hi) if hi == self.lo => write!(f, "{}", self.lo),
            Some(hi) => write!(f, "[{}, {hi}]", self.lo),
            None => write!(f, "[{}, ∞)", self.lo),
        }
    }
}

/// How counts are disclosed: hidden below `threshold`, the rest rounded to multiples of `rounding`.
/// `Policy::EXACT` for regie and the auditor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub threshold: i64,
    pub rounding: i64,
}

impl Policy {
    pub const EXACT: Policy = Policy {
        threshold: 1,
        rounding: 1,
    };

    /// The policy an answer says it applied (`openbaarheid`): `exact`, or `overleg` with `drempel`
    /// and `afronding`.
    pub fn of_answer(answer: &Value) -> Result<Policy, String> {
        let disclosure = &answer["openbaarheid"];
        match disclosure["soort"].as_str() {
            Some("exact") => Ok(Policy::EXACT),
            Some("overleg") => {
                let threshold = disclosure["drempel"].as_i64();
                let rounding = disclosure["afronding"].as_i64();
                match (threshold, rounding) {
                    (Some(threshold), Some(rounding)) if threshold >= 1 && rounding >= 1 => {
                        Ok(Policy {
                            threshold,
                            rounding,
                        })
                    }
                    _ => Err(format!(
                        "openbaarheid without drempel/afronding: {disclosure}"
                    )),
                }
            }
            _ => Err(format!("unknown openbaarheid: {disclosure}")),
        }
    }

    /// What the true count can be when it is shown as `shown` (`None`: hidden).
    pub fn true_count(self, shown: Option<i64>) -> Interval {
        let Some(shown) = shown else {
            // Primary (small) or secondary (any size): the reader cannot tell.
            return Interval::at_least(1);
        };
        let below = self.rounding / 2;
        let above = self.rounding - 1 - below;
        let (lo, hi) = (shown - below, shown + above);
        if shown == 0 {
            // Zero is shown as zero; a small count is hidden rather than rounded down, so only a
            // count of at least the threshold could round to zero (never, for threshold > a/2).
            return if self.threshold > hi {
                Interval::exactly(0)
            } else {
                Interval::new(0, hi)
            };
        }
        Interval::new(lo.max(self.threshold).max(0), hi)
    }

    /// How a true count is shown: `None` below the threshold (and above zero), otherwise rounded to
    /// the nearest multiple of the base, halves up. (Secondary suppression is not a property of a
    /// single count: a shown count may be hidden beside another.)
    pub fn primary(self, count: i64) -> Option<i64> {
        if count > 0 && count < self.threshold {
            return None;
        }
        Some(round_half_up(count, self.rounding))
    }
}

/// `value` rounded to the nearest multiple of `base`, halves up.
pub fn round_half_up(value: i64, base: i64) -> i64 {
    (2 * value + base).div_euclid(2 * base) * base
}

/// A relation between cells that holds for the true counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relation {
    /// `total` is the sum of `parts`.
    Sum { total: usize, parts: Vec<usize> },
    /// `larger` is at least `smaller`.
    AtLeast { larger: usize, smaller: usize },
    /// The sum of `parts` is at least `total` (each counted thing has at least one part, perhaps
    /// more).
    SumAtLeast { total: usize, parts: Vec<usize> },
}

/// The constraints an attacker has gathered: cells by name, what each read said of them, and the
/// relations between them.
#[derive(Debug, Clone, Default)]
pub struct Attack {
    names: Vec<String>,
    index: HashMap<String, usize>,
    known: Vec<Interval>,
    hidden: Vec<bool>,
    relations: Vec<Relation>,
}

/// The observations contradict each other: no true counts fit them (the answers are inconsistent,
/// or a relation assumed here does not hold for the API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Infeasible(pub String);

impl fmt::Display for Infeasible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no true counts fit what was read: {}", self.0)
    }
}

impl std::error::Error for Infeasible {}

impl Attack {
    pub fn new() -> Self {
        Self::default()
    }

    /// The cell named `name` (a count is never negative).
    pub fn cell(&mut self, name: &str) -> usize {
        if let Some(&cell) = self.index.get(name) {
            return cell;
        }
        let cell = self.names.len();
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), cell);
        self.known.push(Interval::at_least(0));
        self.hidden.push(false);
        cell
    }

    /// A read of the cell `name`: shown as `shown`, or hidden (`None`), under `policy`.
    pub fn observe(&mut self, name: &str, shown: Option<i64>, policy: Policy) -> usize {
        let cell = self.cell(name);
        if shown.is_none() {
            self.hidden[cell] = true;
        }
        self.bound(cell, policy.true_count(shown));
        cell
    }

    /// A read of a JSON count: a number, or `null` (hidden). Anything else is not a count.
    pub fn observe_json(
        &mut self,
        name: &str,
        shown: &Value,
        policy: Policy,
    ) -> Result<usize, String> {
        match shown {
            Value::Null => Ok(self.observe(name, None, policy)),
            Value::Number(number) => match number.as_i64() {
                Some(count) => Ok(self.observe(name, Some(count), policy)),
                None => Err(format!("{name}: {number} is not a whole count")),
            },
            other => Err(format!("{name}: {other} is not a count")),
        }
    }

    /// What is known of `cell` besides the reads.
    pub fn bound(&mut self, cell: usize, interval: Interval) {
        self.known[cell] = self.known[cell].intersect(interval);
    }

    pub fn sum(&mut self, total: &str, parts: &[String]) {
        let total = self.cell(total);
        let parts = parts.iter().map(|part| self.cell(part)).collect();
        self.relations.push(Relation::Sum { total, parts });
    }

    pub fn sum_at_least(&mut self, total: &str, parts: &[String]) {
        let total = self.cell(total);
        let parts = parts.iter().map(|part| self.cell(part)).collect();
        self.relations.push(Relation::SumAtLeast { total, parts });
    }

    /// Whether some read or relation named the cell.
    pub fn knows(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    pub fn at_least(&mut self, larger: &str, smaller: &str) {
        let larger = self.cell(larger);
        let smaller = self.cell(smaller);
        self.relations.push(Relation::AtLeast { larger, smaller });
    }

    pub fn relations(&self) -> &[Relation] {
        &self.relations
    }

    pub fn name(&self, cell: usize) -> &str {
        &self.names[cell]
    }

    /// Narrows every cell over all relations until nothing changes.
    pub fn solve(&self) -> Result<Solution, Infeasible> {
        let mut cells = self.known.clone();
        if let Some(cell) = cells.iter().position(Interval::is_empty) {
            return Err(Infeasible(format!(
                "the reads of {} contradict each other",
                self.names[cell]
            )));
        }
        // Sums of non-negative cells with finite reads converge; a cap guards against a slow
        // creep in inconsistent input.
        for _ in 0..100_000 {
            let mut changed = false;
            for relation in &self.relations {
                changed |= self.narrow(relation, &mut cells)?;
            }
            if !changed {
                return Ok(Solution {
                    cells: self
                        .names
                        .iter()
                        .zip(&cells)
                        .zip(&self.hidden)
                        .map(|((name, interval), hidden)| (name.clone(), (*interval, *hidden)))
                        .collect(),
                });
            }
        }
        Err(Infeasible("the bounds keep moving".to_owned()))
    }

    fn narrow(&self, relation: &Relation, cells: &mut [Interval]) -> Result<bool, Infeasible> {
        let mut changed = false;
        let mut set = |cells: &mut [Interval], cell: usize, interval: Interval| {
            let narrowed = cells[cell].intersect(interval);
            if narrowed.is_empty() {
                return Err(Infeasible(format!(
                    "{} cannot be both {} and {interval}",
                    self.names[cell], cells[cell]
                )));
            }
            if narrowed != cells[cell] {
                cells[cell] = narrowed;
                changed = true;
            }
            Ok(())
        };
        match relation {
            Relation::SumAtLeast { total, parts } => {
                let unbounded = parts
                    .iter()
                    .filter(|&&part| cells[part].hi.is_none())
                    .count();
                let finite_hi: i64 = parts.iter().filter_map(|&part| cells[part].hi).sum();
                set(
                    cells,
                    *total,
                    Interval {
                        lo: 0,
                        hi: (unbounded == 0).then_some(finite_hi),
                    },
                )?;
                let total_lo = cells[*total].lo;
                for &part in parts {
                    let others_hi = match cells[part].hi {
                        Some(hi) if unbounded == 0 => Some(finite_hi - hi),
                        None if unbounded == 1 => Some(finite_hi),
                        _ => None,
                    };
                    if let Some(others) = others_hi {
                        set(cells, part, Interval::at_least(total_lo - others))?;
                    }
                }
            }
            Relation::Sum { total, parts } => {
                let sum_lo: i64 = parts.iter().map(|&part| cells[part].lo).sum();
                let unbounded = parts
                    .iter()
                    .filter(|&&part| cells[part].hi.is_none())
                    .count();
                let finite_hi: i64 = parts.iter().filter_map(|&part| cells[part].hi).sum();
                let sum_hi = (unbounded == 0).then_some(finite_hi);
                set(
                    cells,
                    *total,
                    Interval {
                        lo: sum_lo,
                        hi: sum_hi,
                    },
                )?;
                let total_now = cells[*total];
                for &part in parts {
                    let own = cells[part];
                    let others_hi = match own.hi {
                        Some(hi) if unbounded == 0 => Some(finite_hi - hi),
                        None if unbounded == 1 => Some(finite_hi),
                        _ => None,
                    };
                    let others_lo = sum_lo - own.lo;
                    let lo = others_hi.map_or(0, |others| total_now.lo - others);
                    let hi = total_now.hi.map(|hi| hi - others_lo);
                    set(cells, part, Interval { lo, hi })?;
                }
            }
            Relation::AtLeast { larger, smaller } => {
                let (big, small) = (cells[*larger], cells[*smaller]);
                set(cells, *larger, Interval::at_least(small.lo))?;
                set(cells, *smaller, Interval { lo: 0, hi: big.hi })?;
            }
        }
        Ok(changed)
    }
}

/// What the attacker knows of every cell after propagation.
#[derive(Debug, Clone)]
pub struct Solution {
    /// Per cell: its feasible values and whether some read hid it.
    pub cells: BTreeMap<String, (Interval, bool)>,
}

impl Solution {
    pub fn interval(&self, name: &str) -> Option<Interval> {
        self.cells.get(name).map(|(interval, _)| *interval)
    }

    /// Every cell some read hid, with what the attacker knows of it.
    pub fn hidden(&self) -> impl Iterator<Item = (&str, Interval)> {
        self.cells
            .iter()
            .filter(|(_, (_, hidden))| *hidden)
            .map(|(name, (interval, _))| (name.as_str(), *interval))
    }

    /// The hidden cells the attacker narrowed to one value: disclosed.
    pub fn disclosed(&self) -> Vec<(String, i64)> {
        self.hidden()
            .filter(|(_, interval)| interval.is_point())
            .map(|(name, interval)| (name.to_owned(), interval.lo))
            .collect()
    }
}

/// Knowledge from outside the figures: in `quarter`'s `step`, partner row `partner` of the breakdown
/// by partner counts exactly the children of the rows `provision_types` of the breakdown by
/// provision type (the routing table sends those kinds of help to that partner; a provision is
/// delivered by the one partner enrolled for it). A row the breakdown did not list is zero. Call
/// after [`gather`], with both breakdowns read.
pub fn same_children(
    attack: &mut Attack,
    quarter: &str,
    step: &str,
    partner: &str,
    provision_types: &[&str],
) {
    let mut named = |breakdown: &str, value: &str| {
        let name = row_cell(quarter, breakdown, value, step);
        if !attack.knows(&name) {
            let cell = attack.cell(&name);
            attack.bound(cell, Interval::exactly(0));
        }
        name
    };
    let total = named("partner", partner);
    let parts: Vec<String> = provision_types
        .iter()
        .map(|provision_type| named("voorziening", provision_type))
        .collect();
    attack.sum(&total, &parts);
}

/// Everything the overleg read of one quarter: the answer per breakdown (`None`: without rows).
#[derive(Debug, Clone)]
pub struct QuarterReads {
    pub quarter: String,
    pub answers: Vec<(Option<String>, Value)>,
}

/// The constraints of everything read: every quarter, every breakdown. Fails on an answer that is
/// not shaped as `docs/overleg.md` documents.
pub fn gather(reads: &[QuarterReads]) -> Result<Attack, String> {
    let mut attack = Attack::new();
    for quarter in reads {
        for (breakdown, answer) in &quarter.answers {
            read_answer(&mut attack, &quarter.quarter, breakdown.as_deref(), answer)?;
        }
    }
    Ok(attack)
}

/// The cell of step `step` of quarter `quarter`'s total.
pub fn total_cell(quarter: &str, step: &str) -> String {
    format!("{quarter}/trechter/{step}")
}

/// The cell of `step` in row `value` of `breakdown`.
pub fn row_cell(quarter: &str, breakdown: &str, value: &str, step: &str) -> String {
    format!("{quarter}/{breakdown}/{value}/{step}")
}

/// The cell of a partner's count in the partners table; `bediend` is the partner breakdown's cell.
pub fn partner_cell(quarter: &str, partner: &str, count: &str) -> String {
    if count == "bediend" {
        row_cell(quarter, "partner", partner, "bediend")
    } else {
        format!("{quarter}/partners/{partner}/{count}")
    }
}

fn array<'a>(answer: &'a Value, field: &str) -> Result<&'a Vec<Value>, String> {
    answer[field]
        .as_array()
        .ok_or_else(|| format!("no list `{field}` in {answer}"))
}

fn text<'a>(row: &'a Value, field: &str) -> Result<&'a str, String> {
    row[field]
        .as_str()
        .ok_or_else(|| format!("no `{field}` in {row}"))
}

/// Every count of one answer, by cell name, as the answer shows it (a number or `null`); amounts,
/// percentages and days are not counts. Fails on an answer not shaped as documented.
pub fn counts(
    quarter: &str,
    breakdown: Option<&str>,
    answer: &Value,
) -> Result<Vec<(String, Value)>, String> {
    if answer["kwartaal"] != quarter {
        return Err(format!(
            "asked for {quarter}, answered {}",
            answer["kwartaal"]
        ));
    }
    if answer["indeling"].as_str() != breakdown {
        return Err(format!(
            "asked for indeling {breakdown:?}, answered {}",
            answer["indeling"]
        ));
    }
    let mut counts = Vec::new();
    let mut count = |name: String, value: &Value| counts.push((name, value.clone()));
    for step in STEPS {
        count(total_cell(quarter, step), &answer["trechter"][step]);
    }
    for usage in ["bediend", "inBeeld"] {
        count(
            format!("{quarter}/gebruik/{usage}"),
            &answer["gebruik"][usage],
        );
    }
    let rows = array(answer, "rijen")?;
    match breakdown {
        None if !rows.is_empty() => return Err(format!("rows without a breakdown: {answer}")),
        None => {}
        Some(breakdown) => {
            for row in rows {
                let value = text(row, "waarde")?;
                for step in STEPS {
                    count(row_cell(quarter, breakdown, value, step), &row[step]);
                }
            }
        }
    }
    for partner in array(answer, "partners")? {
        let code = text(partner, "partner")?;
        for name in PARTNER_COUNTS {
            count(partner_cell(quarter, code, name), &partner[name]);
        }
    }
    for lead_time in array(answer, "doorlooptijden")? {
        let route = text(lead_time, "traject")?;
        count(
            format!("{quarter}/doorlooptijden/{route}/aantal"),
            &lead_time["aantal"],
        );
    }
    for signaller in array(answer, "signaleerders")? {
        let organisation = text(signaller, "organisatie")?;
        for name in SIGNALLER_COUNTS {
            count(
                signaller_cell(quarter, organisation, name),
                &signaller[name],
            );
        }
    }
    for late in array(answer, "nagekomen")? {
        let earlier = text(late, "kwartaal")?;
        for step in STEPS {
            count(format!("{quarter}/nagekomen/{earlier}/{step}"), &late[step]);
        }
    }
    Ok(counts)
}

/// The cell of a signalling organisation's count.
pub fn signaller_cell(quarter: &str, organisation: &str, count: &str) -> String {
    format!("{quarter}/signaleerders/{organisation}/{count}")
}

fn read_answer(
    attack: &mut Attack,
    quarter: &str,
    breakdown: Option<&str>,
    answer: &Value,
) -> Result<(), String> {
    let policy = Policy::of_answer(answer)?;
    for (name, shown) in counts(quarter, breakdown, answer)? {
        attack.observe_json(&name, &shown, policy)?;
    }
    // The relations the answer publishes, and those that follow from the definitions.
    let usage = |count: &str| format!("{quarter}/gebruik/{count}");
    attack.at_least(&usage("bediend"), &total_cell(quarter, "bediend"));
    attack.at_least(&usage("inBeeld"), &total_cell(quarter, "toegekend"));
    if let Some(breakdown) = breakdown {
        let rows = array(answer, "rijen")?;
        for step in STEPS {
            let mut parts = Vec::with_capacity(rows.len());
            for row in rows {
                parts.push(row_cell(quarter, breakdown, text(row, "waarde")?, step));
            }
            attack.sum(&total_cell(quarter, step), &parts);
        }
    }
    for partner in array(answer, "partners")? {
        let code = text(partner, "partner")?;
        attack.at_least(
            &partner_cell(quarter, code, "verstrekkingen"),
            &partner_cell(quarter, code, "bediend"),
        );
    }
    let mut signals = Vec::new();
    for signaller in array(answer, "signaleerders")? {
        let organisation = text(signaller, "organisatie")?;
        let cell = |count: &str| signaller_cell(quarter, organisation, count);
        attack.at_least(&cell("signalen"), &cell("aangevraagd"));
        attack.at_least(&cell("signalen"), &cell("bediend"));
        signals.push(cell("signalen"));
    }
    // Every child signalled has at least one signal (some have two).
    attack.sum_at_least(&total_cell(quarter, "gesignaleerd"), &signals);
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const EXACT_10: Policy = Policy {
        threshold: 10,
        rounding: 1,
    };
    const ROUNDED_10: Policy = Policy {
        threshold: 10,
        rounding: 5,
    };

    /// One breakdown's rows (`None`: hidden) and its total, as cells `r0`, `r1`, … and `total`.
    fn breakdown(policy: Policy, total: Option<i64>, rows: &[Option<i64>]) -> Attack {
        let mut attack = Attack::new();
        attack.observe("total", total, policy);
        let names: Vec<String> = (0..rows.len()).map(|row| format!("r{row}")).collect();
        for (name, shown) in names.iter().zip(rows) {
            attack.observe(name, *shown, policy);
        }
        attack.sum("total", &names);
        attack
    }

    #[test]
    fn a_shown_count_says_where_the_true_one_lies_under_the_policy() {
        assert_eq!(ROUNDED_10.true_count(Some(15)), Interval::new(13, 17));
        assert_eq!(
            ROUNDED_10.true_count(Some(10)),
            Interval::new(10, 12),
            "at least the threshold"
        );
        assert_eq!(ROUNDED_10.true_count(Some(0)), Interval::exactly(0));
        assert_eq!(ROUNDED_10.true_count(None), Interval::at_least(1));
        assert_eq!(EXACT_10.true_count(Some(23)), Interval::exactly(23));
        let tens = Policy {
            threshold: 10,
            rounding: 10,
        };
        assert_eq!(
            tens.true_count(Some(20)),
            Interval::new(15, 24),
            "halves up"
        );
        // Every true count is inside what its shown value says.
        for policy in [EXACT_10, ROUNDED_10, tens] {
            for count in 0..200 {
                let interval = policy.true_count(policy.primary(count));
                assert!(
                    interval.contains(count),
                    "{policy:?}: {count} in {interval}"
                );
            }
        }
        assert_eq!(round_half_up(12, 5), 10);
        assert_eq!(round_half_up(13, 5), 15);
        assert_eq!(round_half_up(25, 10), 30, "halves up");
        assert_eq!(round_half_up(7, 1), 7);
    }

    #[test]
    fn one_hidden_cell_among_exact_shown_ones_without_secondary_suppression_is_recovered() {
        // 30 children: 12 and 15 shown, the third row hidden: it can only be 3.
        let attack = breakdown(EXACT_10, Some(30), &[Some(12), None, Some(15)]);
        let solution = attack.solve().unwrap();
        assert_eq!(solution.interval("r1"), Some(Interval::exactly(3)));
        assert_eq!(solution.disclosed(), vec![("r1".to_owned(), 3)]);
    }

    #[test]
    fn two_hidden_cells_among_exact_shown_ones_are_not_recovered() {
        // The small row (3) and, beside it, the smallest shown row (12) hidden: 15 between them.
        let attack = breakdown(EXACT_10, Some(30), &[None, None, Some(15)]);
        let solution = attack.solve().unwrap();
        assert_eq!(solution.interval("r0"), Some(Interval::new(1, 14)));
        assert_eq!(solution.interval("r1"), Some(Interval::new(1, 14)));
        assert!(solution.disclosed().is_empty());
    }

    #[test]
    fn two_hidden_cells_of_one_child_each_are_recovered_even_so() {
        // What the documented policy leaves open: a relation with two small hidden cells gets no
        // secondary suppression, and when their sum is 2, each is 1.
        let attack = breakdown(EXACT_10, Some(32), &[None, None, Some(30)]);
        let solution = attack.solve().unwrap();
        assert_eq!(
            solution.disclosed(),
            vec![("r0".to_owned(), 1), ("r1".to_owned(), 1)]
        );
    }

    #[test]
    fn rounding_alone_leaves_one_hidden_cell_a_range() {
        // Shown 30 (28..32), 10 (10..12) and 15 (13..17): the hidden row is 1..9.
        let attack = breakdown(ROUNDED_10, Some(30), &[Some(10), None, Some(15)]);
        let solution = attack.solve().unwrap();
        assert_eq!(solution.interval("r1"), Some(Interval::new(1, 9)));
        assert!(solution.disclosed().is_empty());
    }

    #[test]
    fn a_total_pinned_by_one_breakdown_discloses_the_single_hidden_cell_of_another() {
        // Breakdown A shows every row exactly (total hidden nowhere but shown as a hidden cell in
        // B's answer would still be the same cell); B hides one row.
        let mut attack = Attack::new();
        attack.observe("T", None, EXACT_10);
        for (name, shown) in [("a0", 20), ("a1", 13)] {
            attack.observe(name, Some(shown), EXACT_10);
        }
        attack.sum("T", &["a0".to_owned(), "a1".to_owned()]);
        attack.observe("b0", Some(30), EXACT_10);
        attack.observe("b1", None, EXACT_10);
        attack.sum("T", &["b0".to_owned(), "b1".to_owned()]);
        let solution = attack.solve().unwrap();
        assert_eq!(solution.interval("T"), Some(Interval::exactly(33)));
        assert_eq!(solution.interval("b1"), Some(Interval::exactly(3)));
    }

    #[test]
    fn a_cell_hidden_in_one_read_and_shown_in_another_is_disclosed() {
        let mut attack = Attack::new();
        attack.observe("leergeld/bediend", None, EXACT_10);
        attack.observe("leergeld/bediend", Some(15), EXACT_10);
        let solution = attack.solve().unwrap();
        assert_eq!(
            solution.disclosed(),
            vec![("leergeld/bediend".to_owned(), 15)]
        );
    }

    #[test]
    fn signals_at_least_as_many_as_children_bound_a_hidden_signaller_from_below_only() {
        // 30 children signalled; the wijkteam's 22 signals shown, the school's hidden: at least 8,
        // and no upper bound (a child may be signalled by both).
        let mut attack = Attack::new();
        attack.observe("T", Some(30), EXACT_10);
        attack.observe("wijkteam", Some(22), EXACT_10);
        attack.observe("school", None, EXACT_10);
        attack.sum_at_least("T", &["wijkteam".to_owned(), "school".to_owned()]);
        let solution = attack.solve().unwrap();
        assert_eq!(solution.interval("school"), Some(Interval::at_least(8)));
        assert!(solution.disclosed().is_empty());
    }

    #[test]
    fn knowing_the_routing_links_two_breakdowns_and_can_tell_a_hidden_cell() {
        // By provision type: school 12 shown, `overig` 3 hidden, vervoer 20 shown (total 35); by
        // partner, Leergeld (school) 12 and the loket (overig + vervoer) 23 shown. Each breakdown
        // alone hides one cell beside another? No: by type, overig (3) is hidden, and the smallest
        // shown (school, 12) with it; by partner nothing is small. The routing says Leergeld's
        // children are the school row's: 12, so overig is 35 - 12 - 20 = 3.
        let mut attack = Attack::new();
        let q = "2026-K4";
        attack.observe(&total_cell(q, "gesignaleerd"), Some(35), EXACT_10);
        let rows = |breakdown: &str, values: &[&str]| -> Vec<String> {
            values
                .iter()
                .map(|value| row_cell(q, breakdown, value, "gesignaleerd"))
                .collect()
        };
        let by_type = rows("voorziening", &["school", "overig", "vervoer"]);
        for (cell, shown) in by_type.iter().zip([None, None, Some(20)]) {
            attack.observe(cell, shown, EXACT_10);
        }
        attack.sum(&total_cell(q, "gesignaleerd"), &by_type);
        let by_partner = rows("partner", &["leergeld", "gemeente"]);
        for (cell, shown) in by_partner.iter().zip([Some(12), Some(23)]) {
            attack.observe(cell, shown, EXACT_10);
        }
        attack.sum(&total_cell(q, "gesignaleerd"), &by_partner);
        assert!(attack.solve().unwrap().disclosed().is_empty(), "alone");
        same_children(&mut attack, q, "gesignaleerd", "leergeld", &["school"]);
        same_children(
            &mut attack,
            q,
            "gesignaleerd",
            "gemeente",
            &["overig", "vervoer", "bijzondere_omstandigheden"],
        );
        let solution = attack.solve().unwrap();
        assert_eq!(solution.interval(&by_type[1]), Some(Interval::exactly(3)));
        assert_eq!(
            solution.interval(&row_cell(
                q,
                "voorziening",
                "bijzondere_omstandigheden",
                "gesignaleerd"
            )),
            Some(Interval::exactly(0)),
            "a row not listed is zero"
        );
    }

    #[test]
    fn contradicting_reads_are_infeasible() {
        let attack = breakdown(EXACT_10, Some(30), &[Some(12), Some(15)]);
        let error = attack.solve().unwrap_err();
        assert!(error.0.contains("total"), "{error}");
        // Hidden (at least one) in one read, zero in another.
        let mut attack = Attack::new();
        attack.observe("c", None, EXACT_10);
        attack.observe("c", Some(0), EXACT_10);
        assert!(attack.solve().is_err());
    }

    /// A tiny deterministic generator (no dependency for one test).
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: u64) -> i64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            i64::try_from((self.0 >> 33) % n).unwrap()
        }
    }

    /// Every assignment of the cells within `box_hi` that satisfies `attack`'s reads and relations,
    /// per cell the least and greatest value: the exact ranges, by enumeration.
    fn enumerate(attack: &Attack, box_hi: i64) -> Option<Vec<(i64, i64)>> {
        let cells = attack.names.len();
        let mut ranges: Option<Vec<(i64, i64)>> = None;
        let mut values = vec![0i64; cells];
        fn walk(
            attack: &Attack,
            box_hi: i64,
            cell: usize,
            values: &mut Vec<i64>,
            ranges: &mut Option<Vec<(i64, i64)>>,
        ) {
            if cell == values.len() {
                let holds = attack.relations.iter().all(|relation| match relation {
                    Relation::Sum { total, parts } => {
                        values[*total] == parts.iter().map(|&part| values[part]).sum::<i64>()
                    }
                    Relation::AtLeast { larger, smaller } => values[*larger] >= values[*smaller],
                    Relation::SumAtLeast { total, parts } => {
                        parts.iter().map(|&part| values[part]).sum::<i64>() >= values[*total]
                    }
                });
                if holds {
                    let ranges = ranges.get_or_insert_with(|| {
                        values.iter().map(|&value| (value, value)).collect()
                    });
                    for (range, &value) in ranges.iter_mut().zip(values.iter()) {
                        range.0 = range.0.min(value);
                        range.1 = range.1.max(value);
                    }
                }
                return;
            }
            let known = attack.known[cell];
            let hi = known.hi.unwrap_or(box_hi).min(box_hi);
            for value in known.lo..=hi {
                values[cell] = value;
                walk(attack, box_hi, cell + 1, values, ranges);
            }
        }
        walk(attack, box_hi, 0, &mut values, &mut ranges);
        ranges
    }

    #[test]
    fn propagation_finds_exactly_the_ranges_enumeration_finds_for_breakdowns_sharing_a_total() {
        // Two breakdowns of one total (a star around it), small counts, random reads: the
        // propagated ranges are the exact ones. Every cell is bounded by a box here, so that
        // enumeration ends.
        let mut random = Lcg(16);
        let box_hi = 6;
        let mut instances = 0;
        for _ in 0..300 {
            let policy = Policy {
                threshold: 3,
                rounding: if random.below(2) == 0 { 1 } else { 3 },
            };
            let mut breakdowns: Vec<Vec<i64>> = (0..2)
                .map(|_| (0..2 + random.below(2)).map(|_| random.below(5)).collect())
                .collect();
            // Both breakdowns divide the same true total.
            let total: i64 = breakdowns[0].iter().sum();
            let last = breakdowns[1].len() - 1;
            let rest: i64 = breakdowns[1][..last].iter().sum();
            if rest > total || total - rest > box_hi {
                continue;
            }
            breakdowns[1][last] = total - rest;

            let mut attack = Attack::new();
            let total_cell = attack.observe("T", policy.primary(total), policy);
            attack.bound(total_cell, Interval::new(0, 3 * box_hi));
            for (index, counts) in breakdowns.iter().enumerate() {
                let names: Vec<String> = (0..counts.len())
                    .map(|row| format!("b{index}r{row}"))
                    .collect();
                for (name, &count) in names.iter().zip(counts) {
                    let cell = attack.observe(name, policy.primary(count), policy);
                    attack.bound(cell, Interval::new(0, box_hi));
                }
                attack.sum("T", &names);
            }
            let exact = enumerate(&attack, 3 * box_hi).expect("the true counts fit");
            let solved = attack.solve().unwrap();
            for (cell, (lo, hi)) in exact.iter().enumerate() {
                let name = attack.name(cell);
                assert_eq!(
                    solved.interval(name),
                    Some(Interval::new(*lo, *hi)),
                    "{name} in {breakdowns:?} under {policy:?}"
                );
            }
            instances += 1;
        }
        assert!(instances > 100, "{instances} instances tried");
    }

    #[test]
    fn propagation_never_excludes_a_value_enumeration_allows() {
        // Random true relations over a few cells (sums and inequalities in any shape, not only
        // stars): sound, if not always as narrow as enumeration.
        let mut random = Lcg(4);
        let cells = 5;
        let pick = |random: &mut Lcg| usize::try_from(random.below(5)).unwrap();
        for _ in 0..200 {
            let truth: Vec<i64> = (0..cells).map(|_| random.below(5)).collect();
            let names: Vec<String> = (0..cells).map(|cell| format!("c{cell}")).collect();
            let mut attack = Attack::new();
            for (name, &value) in names.iter().zip(&truth) {
                // A count of zero is always shown; others hidden one time in three.
                let hidden = value > 0 && random.below(3) == 0;
                let cell = attack.observe(name, (!hidden).then_some(value), Policy::EXACT);
                attack.bound(cell, Interval::new(0, 12));
            }
            let total = pick(&mut random);
            let parts: Vec<String> = (0..cells)
                .filter(|&cell| cell != total && random.below(2) == 0)
                .map(|cell| names[cell].clone())
                .collect();
            let sum: i64 = parts
                .iter()
                .map(|part| truth[attack.index[part.as_str()]])
                .sum();
            if !parts.is_empty() && sum == truth[total] {
                attack.sum(&names[total], &parts);
            }
            let (larger, smaller) = (pick(&mut random), pick(&mut random));
            if truth[larger] >= truth[smaller] {
                attack.at_least(&names[larger], &names[smaller]);
            }
            let exact = enumerate(&attack, 12).expect("the truth fits");
            let solved = attack.solve().unwrap();
            for (cell, (lo, hi)) in exact.iter().enumerate() {
                let interval = solved.interval(attack.name(cell)).unwrap();
                assert!(
                    interval.contains(*lo) && interval.contains(*hi),
                    "{}: {interval} misses [{lo}, {hi}]",
                    attack.name(cell)
                );
                assert!(interval.contains(truth[cell]));
            }
        }
    }

    /// The example of `docs/overleg.md` (the overleg, by wijk), with the answer without rows. (Its
    /// one signaller has 40 signals here, not 25: 40 children signalled had at least 40 signals.)
    fn documented_example() -> Vec<QuarterReads> {
        let by_wijk = json!({
          "gemeente": "GM0518",
          "kwartaal": "2026-K4", "van": "2026-10-01", "tot": "2026-12-31",
          "vastgesteldPer": "2027-01-15T00:00:00Z", "voorlopig": false,
          "openbaarheid": {"soort": "overleg", "drempel": 10, "afronding": 5},
          "trechter": {"gesignaleerd": 40, "aangevraagd": 30, "toegekend": 30, "bediend": 20},
          "gebruik": {"bediend": 20, "inBeeld": 30, "percentage": 67},
          "indeling": "wijk",
          "rijen": [
            {"waarde": "WK051801", "gesignaleerd": 25, "aangevraagd": 20, "toegekend": 20, "bediend": 15},
            {"waarde": "WK051802", "gesignaleerd": null, "aangevraagd": null, "toegekend": 0, "bediend": null},
            {"waarde": "onbekend", "gesignaleerd": 10, "aangevraagd": null, "toegekend": 10, "bediend": null}
          ],
          "partners": [
            {"partner": "leergeld-den-haag", "naam": "Stichting Leergeld Den Haag", "doorverwezen": 15,
             "opTijdOpgepakt": 10, "aanvragen": 15, "maatwerk": 0, "bediend": 15, "verstrekkingen": 20,
             "bedragCent": 150000}
          ],
          "doorlooptijden": [
            {"traject": "signaal-aanvraag", "aantal": 20, "mediaanDagen": 3, "p90Dagen": 9},
            {"traject": "aanvraag-besluit", "aantal": 30, "mediaanDagen": 1, "p90Dagen": 4},
            {"traject": "aanvraag-verstrekking", "aantal": null, "mediaanDagen": null, "p90Dagen": null}
          ],
          "signaleerders": [
            {"organisatie": "wijkteam-centrum", "signalen": 40, "aangevraagd": 20, "bediend": 15}
          ],
          "nagekomen": [
            {"kwartaal": "2026-K3", "gesignaleerd": 0, "aangevraagd": null, "toegekend": 0, "bediend": 0}
          ]
        });
        let mut without_rows = by_wijk.clone();
        without_rows["indeling"] = Value::Null;
        without_rows["rijen"] = json!([]);
        vec![QuarterReads {
            quarter: "2026-K4".to_owned(),
            answers: vec![(None, without_rows), (Some("wijk".to_owned()), by_wijk)],
        }]
    }

    #[test]
    fn the_documented_answers_become_cells_and_relations() {
        let attack = gather(&documented_example()).unwrap();
        let solution = attack.solve().unwrap();
        // The total (38..42 signalled) less the shown rows (23..27, 10..12): 1..9 in the small wijk.
        assert_eq!(
            solution.interval("2026-K4/wijk/WK051802/gesignaleerd"),
            Some(Interval::new(1, 9))
        );
        // Leergeld's `bediend` is the cell of the breakdown by partner.
        assert!(solution
            .interval("2026-K4/partner/leergeld-den-haag/bediend")
            .is_some());
        assert!(solution
            .hidden()
            .any(|(name, _)| name == "2026-K4/doorlooptijden/aanvraag-verstrekking/aantal"));
        assert!(
            solution.disclosed().is_empty(),
            "{:?}",
            solution.disclosed()
        );
        let sums = attack
            .relations()
            .iter()
            .filter(|relation| matches!(relation, Relation::Sum { .. }))
            .count();
        assert_eq!(sums, 4, "one per step of the one breakdown");
    }

    #[test]
    fn an_answer_of_another_shape_is_refused() {
        let mut reads = documented_example();
        reads[0].answers[1].1["rijen"][0]["bediend"] = json!("veel");
        assert!(gather(&reads).unwrap_err().contains("not a count"));
        let mut reads = documented_example();
        reads[0].answers[1].1["openbaarheid"] = json!({"soort": "geheim"});
        assert!(gather(&reads).is_err());
    }
}
