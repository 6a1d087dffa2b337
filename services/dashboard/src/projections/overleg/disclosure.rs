//! How the overleg sees a quarter's figures (`docs/overleg.md`, "Disclosure for the overleg"):
//! counts from 1 up to the threshold hidden, shown counts rounded, and secondary suppression over
//! every published sum. Regie and the auditor see every figure exactly ([`Policy::Exact`]).
//!
//! Every count of a quarter's figures passes [`Policy::count`] (primary suppression and rounding);
//! every breakdown passes [`Policy::protect_breakdown`] (secondary suppression); every amount
//! [`Policy::amount`]; every lead time [`Policy::days`]. A figure is an `Option<i64>`: `None` is
//! hidden.

use serde::Serialize;

/// The overleg's defaults: counts under 10 hidden, shown counts rounded to 5, a quarter
/// established 14 days after its end.
pub const DEFAULT_THRESHOLD: i64 = 10;
pub const DEFAULT_ROUNDING: i64 = 5;
pub const DEFAULT_GRACE_DAYS: u16 = 14;
/// The overleg reads a budget's committed, spent and projected amounts in whole thousands of euros.
pub const BUDGET_ROUNDING_CENTS: i64 = 100_000;

/// The overleg's settings, from the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// `KINDPAKKET_OVERLEG_THRESHOLD`: counts from 1 up to (not including) this are hidden.
    pub threshold: i64,
    /// `KINDPAKKET_OVERLEG_ROUNDING`: shown counts are rounded to a multiple of this (1: exact).
    pub rounding: i64,
    /// `KINDPAKKET_OVERLEG_GRACE_DAYS`: days after its end a quarter is established.
    pub grace_days: u16,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            threshold: DEFAULT_THRESHOLD,
            rounding: DEFAULT_ROUNDING,
            grace_days: DEFAULT_GRACE_DAYS,
        }
    }
}

impl Settings {
    /// From `KINDPAKKET_OVERLEG_THRESHOLD`, `…_ROUNDING` and `…_GRACE_DAYS`, each optional. A
    /// threshold below 2 would show single children, so it is refused, as is a rounding below 1.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let defaults = Self::default();
        let number = |name: &str, default: i64| -> anyhow::Result<i64> {
            match lookup(name) {
                None => Ok(default),
                Some(text) => text
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| anyhow::anyhow!("{name} must be a whole number, not {text:?}")),
            }
        };
        let threshold = number("KINDPAKKET_OVERLEG_THRESHOLD", defaults.threshold)?;
        anyhow::ensure!(
            (2..=1000).contains(&threshold),
            "KINDPAKKET_OVERLEG_THRESHOLD must be 2 to 1000: a lower one would show single children"
        );
        let rounding = number("KINDPAKKET_OVERLEG_ROUNDING", defaults.rounding)?;
        anyhow::ensure!(
            (1..=100).contains(&rounding),
            "KINDPAKKET_OVERLEG_ROUNDING must be 1 (exact) to 100"
        );
        let grace = number(
            "KINDPAKKET_OVERLEG_GRACE_DAYS",
            i64::from(defaults.grace_days),
        )?;
        let grace_days = u16::try_from(grace)
            .ok()
            .filter(|days| *days <= 366)
            .ok_or_else(|| anyhow::anyhow!("KINDPAKKET_OVERLEG_GRACE_DAYS must be 0 to 366"))?;
        Ok(Self {
            threshold,
            rounding,
            grace_days,
        })
    }
}

/// Who reads the figures, and so how they are disclosed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Regie and the auditor: every figure exactly.
    Exact,
    /// The kwartaaloverleg.
    Overleg { threshold: i64, rounding: i64 },
}

/// What the answer says about the policy (`openbaarheid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "soort", rename_all = "lowercase")]
pub enum Openness {
    /// Every figure exact.
    Exact,
    /// Counts from 1 up to `drempel` hidden (`null`), shown counts rounded to `afronding`.
    Overleg {
        #[serde(rename = "drempel")]
        threshold: i64,
        #[serde(rename = "afronding")]
        rounding: i64,
    },
}

/// A breakdown's cells of one step, before and after disclosure: the total and one per row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub total: i64,
    pub parts: Vec<i64>,
}

impl Policy {
    /// The overleg's policy with the default settings (threshold 10, rounding 5).
    pub const DEFAULT_OVERLEG: Policy = Policy::Overleg {
        threshold: DEFAULT_THRESHOLD,
        rounding: DEFAULT_ROUNDING,
    };

    pub fn overleg(settings: &Settings) -> Self {
        Self::Overleg {
            threshold: settings.threshold,
            rounding: settings.rounding,
        }
    }

    pub fn openness(self) -> Openness {
        match self {
            Policy::Exact => Openness::Exact,
            Policy::Overleg {
                threshold,
                rounding,
            } => Openness::Overleg {
                threshold,
                rounding,
            },
        }
    }

    /// Whether a count is hidden on its own (primary suppression): 1 up to the threshold.
    fn is_small(self, count: i64) -> bool {
        match self {
            Policy::Exact => false,
            Policy::Overleg { threshold, .. } => (1..threshold).contains(&count),
        }
    }

    /// A count as this reader sees it: hidden when small, else rounded (zero stays zero: it
    /// points at nobody).
    pub fn count(self, count: i64) -> Option<i64> {
        match self {
            Policy::Exact => Some(count),
            Policy::Overleg { rounding, .. } => {
                (!self.is_small(count)).then(|| round_to(count, rounding))
            }
        }
    }

    /// The parts of a sum as this reader sees them: each through [`Policy::count`], then, while
    /// the total is shown and the hidden parts could be told from it, the smallest other part is
    /// hidden too. They could be told when exactly one part is hidden (the total minus the shown parts
    /// is that part), and when the hidden parts together are fewer than the threshold (the total
    /// minus the shown parts is then small, and with every hidden part at least 1 it pins them down:
    /// 12 children, 10 in one wijk and 1 in each of two others, shown as 10 and 10, leaves the two
    /// hidden wijken at most 2 together, so 1 each). The total is never hidden for a part's sake: it
    /// is one cell shared by every breakdown, so hiding it here would not hide it there.
    pub fn protect_breakdown(self, relation: &Relation) -> Vec<Option<i64>> {
        let mut shown: Vec<Option<i64>> = relation.parts.iter().map(|p| self.count(*p)).collect();
        let Policy::Overleg { threshold, .. } = self else {
            return shown;
        };
        if self.count(relation.total).is_none() {
            return shown;
        }
        loop {
            let hidden: Vec<usize> = (0..shown.len()).filter(|&i| shown[i].is_none()).collect();
            let hidden_sum: i64 = hidden.iter().map(|&i| relation.parts[i]).sum();
            let exposed = hidden.len() == 1 || (!hidden.is_empty() && hidden_sum < threshold);
            if !exposed {
                return shown;
            }
            // The smallest shown part that is not zero; a zero only when there is nothing else.
            let next = (0..shown.len())
                .filter(|&i| shown[i].is_some())
                .min_by_key(|&i| (relation.parts[i] == 0, relation.parts[i], i));
            match next {
                Some(next) => shown[next] = None,
                None => return shown,
            }
        }
    }

    /// An amount that went to `children` (as counted exactly), now shown as `shown_children`: hidden
    /// with them, and for the overleg the shown children times the average per child (so the
    /// amount tells no more about the number of children than the rounded count does), in whole
    /// hundreds of euros (with the regeling's known prices, exact euros would narrow the rounded
    /// count down again).
    pub fn amount(self, cents: i64, children: i64, shown_children: Option<i64>) -> Option<i64> {
        let shown_children = shown_children?;
        match self {
            Policy::Exact => Some(cents),
            Policy::Overleg { .. } if children == 0 => Some(0),
            Policy::Overleg { .. } => {
                let average = cents as f64 / children as f64;
                Some(((shown_children as f64 * average) / 10_000.0).round() as i64 * 10_000)
            }
        }
    }

    /// An amount of a budget (committed, spent, projected) as this reader sees it: exact, or for
    /// the overleg in whole thousands of euros (halves up). Whether it is shown at all is decided by
    /// the children behind it (`budgets::disclose`).
    pub fn budget_amount(self, cents: i64) -> i64 {
        match self {
            Policy::Exact => cents,
            Policy::Overleg { .. } => round_to(cents, BUDGET_ROUNDING_CENTS),
        }
    }

    /// A lead time in days, shown only where its cases are.
    pub fn days(self, days: Option<f64>, shown_cases: Option<i64>) -> Option<i64> {
        shown_cases?;
        days.map(|days| days.round() as i64)
    }
}

/// `count` rounded to the nearest multiple of `base`, halves up.
pub fn round_to(count: i64, base: i64) -> i64 {
    if base <= 1 {
        return count;
    }
    (count * 2 + base).div_euclid(base * 2) * base
}

/// Served as a whole percentage of in view, halves up; none when nothing is in view or either is
/// hidden.
pub fn percentage(part: Option<i64>, whole: Option<i64>) -> Option<i64> {
    let (part, whole) = (part?, whole?);
    (whole > 0).then(|| (part * 200 + whole) / (whole * 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OVERLEG: Policy = Policy::DEFAULT_OVERLEG;

    #[test]
    fn counts_under_the_threshold_are_hidden_and_the_rest_rounded_to_five() {
        assert_eq!(OVERLEG.count(0), Some(0), "zero points at nobody");
        for small in 1..10 {
            assert_eq!(OVERLEG.count(small), None, "{small}");
        }
        assert_eq!(OVERLEG.count(10), Some(10));
        assert_eq!(OVERLEG.count(12), Some(10));
        assert_eq!(OVERLEG.count(13), Some(15), "halves up: 12.5 is 15");
        assert_eq!(OVERLEG.count(17), Some(15));
        assert_eq!(OVERLEG.count(18), Some(20));
        assert_eq!(Policy::Exact.count(3), Some(3));
        assert_eq!(round_to(13, 1), 13);
    }

    #[test]
    fn one_hidden_part_takes_the_smallest_shown_part_with_it_and_never_the_total() {
        let relation = Relation {
            total: 43,
            parts: vec![25, 3, 0, 15],
        };
        assert_eq!(
            OVERLEG.protect_breakdown(&relation),
            vec![Some(25), None, Some(0), None],
            "the 15, not the zero: a hidden zero would protect nothing"
        );
        // Two hidden already: nothing more is needed.
        let relation = Relation {
            total: 30,
            parts: vec![20, 4, 6],
        };
        assert_eq!(
            OVERLEG.protect_breakdown(&relation),
            vec![Some(20), None, None]
        );
        // A hidden total protects its parts itself.
        let relation = Relation {
            total: 7,
            parts: vec![7, 0],
        };
        assert_eq!(OVERLEG.protect_breakdown(&relation), vec![None, Some(0)]);
        // Regie sees every part.
        let relation = Relation {
            total: 28,
            parts: vec![25, 3],
        };
        assert_eq!(
            Policy::Exact.protect_breakdown(&relation),
            vec![Some(25), Some(3)]
        );
    }

    #[test]
    fn hidden_parts_that_together_are_fewer_than_the_threshold_take_another_with_them() {
        // 12 children: 10 in one wijk, 1 in each of two others. Shown 10 and 10, the two hidden
        // wijken would share at most 2: 1 each.
        let relation = Relation {
            total: 12,
            parts: vec![10, 1, 1],
        };
        assert_eq!(OVERLEG.protect_breakdown(&relation), vec![None, None, None]);
        // Hidden together 3 + 4 = 7 < 10: the 20 goes too, and then it is enough.
        let relation = Relation {
            total: 57,
            parts: vec![30, 20, 3, 4],
        };
        assert_eq!(
            OVERLEG.protect_breakdown(&relation),
            vec![Some(30), None, None, None]
        );
        // 6 + 7 = 13: enough already.
        let relation = Relation {
            total: 43,
            parts: vec![30, 6, 7],
        };
        assert_eq!(
            OVERLEG.protect_breakdown(&relation),
            vec![Some(30), None, None]
        );
    }

    #[test]
    fn without_secondary_suppression_the_total_minus_the_shown_parts_would_tell_the_hidden_one() {
        // The attack this guards against, with exact shown counts (rounding 1): 28 - 25 = 3.
        let exact_shown = Policy::Overleg {
            threshold: 10,
            rounding: 1,
        };
        let relation = Relation {
            total: 28,
            parts: vec![25, 3],
        };
        let shown = exact_shown.protect_breakdown(&relation);
        let total = exact_shown.count(relation.total).unwrap();
        let known: i64 = shown.iter().flatten().sum();
        let hidden = shown.iter().filter(|part| part.is_none()).count();
        assert_eq!(hidden, 2, "{shown:?}");
        assert_ne!(total - known, 3, "the hidden part is not the difference");
    }

    #[test]
    fn an_amount_shows_no_more_than_its_rounded_children_and_hides_with_them() {
        // 12 children at 50 euros: 600 exactly would tell 12; the overleg reads 10 × 50.
        assert_eq!(OVERLEG.amount(60_000, 12, OVERLEG.count(12)), Some(50_000));
        assert_eq!(OVERLEG.amount(15_000, 3, OVERLEG.count(3)), None);
        assert_eq!(Policy::Exact.amount(60_000, 12, Some(12)), Some(60_000));
    }

    #[test]
    fn a_budget_amount_reads_in_whole_thousands_of_euros_for_the_overleg_only() {
        assert_eq!(OVERLEG.budget_amount(4_805_880), 4_800_000);
        assert_eq!(OVERLEG.budget_amount(4_850_000), 4_900_000, "halves up");
        assert_eq!(OVERLEG.budget_amount(49_999), 0);
        assert_eq!(Policy::Exact.budget_amount(4_805_880), 4_805_880);
    }

    #[test]
    fn a_percentage_needs_both_counts_shown_and_something_in_view() {
        assert_eq!(percentage(Some(20), Some(30)), Some(67));
        assert_eq!(percentage(None, Some(30)), None);
        assert_eq!(percentage(Some(0), Some(0)), None);
    }

    #[test]
    fn settings_refuse_what_would_show_single_children() {
        let lookup = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| value.to_string())
            }
        };
        assert_eq!(
            Settings::from_lookup(lookup(&[])).unwrap(),
            Settings::default()
        );
        let set = Settings::from_lookup(lookup(&[
            ("KINDPAKKET_OVERLEG_THRESHOLD", "15"),
            ("KINDPAKKET_OVERLEG_ROUNDING", "1"),
            ("KINDPAKKET_OVERLEG_GRACE_DAYS", "0"),
        ]))
        .unwrap();
        assert_eq!((set.threshold, set.rounding, set.grace_days), (15, 1, 0));
        for (name, value) in [
            ("KINDPAKKET_OVERLEG_THRESHOLD", "1"),
            ("KINDPAKKET_OVERLEG_THRESHOLD", "tien"),
            ("KINDPAKKET_OVERLEG_ROUNDING", "0"),
            ("KINDPAKKET_OVERLEG_GRACE_DAYS", "-1"),
        ] {
            let pairs: &'static [(&'static str, &'static str)] =
                Box::leak(Box::new([(name, value)]));
            assert!(
                Settings::from_lookup(lookup(pairs)).is_err(),
                "{name}={value}"
            );
        }
    }
}
