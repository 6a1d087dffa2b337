//! Who may see which figure: the disclosure policy a funnel is built under.
//!
//! Regie and the auditor see every count exactly ([`Exact`]). The kwartaaloverleg sees aggregates
//! only, with small cells suppressed ([`Overleg`]): a count of 1 to 4 children (or of what they
//! received) could point at a family the members know, so it is hidden, and so is what would reveal
//! it (an amount that went to hidden children, a percentage of hidden counts). Zero is shown: it
//! points at nobody. Secondary suppression for the totals across gemeenten: a total step is hidden
//! wherever a gemeente's step is (the total minus the shown gemeenten would tell the hidden one).
//! Still open (the quarterly overleg's issue): partner rows beside a gemeente's counts can narrow a
//! hidden cell down, and the figures are live, so a new child shows as a change.
//!
//! The figures ([`super::Funnel`] and its parts) are generic over the policy, and their count fields
//! are of type [`Disclosure::Count`]: generic code can only make one with [`Disclosure::count`], so a
//! new count cannot be added without passing the policy.

use std::fmt::Debug;

use kindpakket_proto::Cents;
use schemars::JsonSchema;
use serde::Serialize;

/// Counts from 1 up to (not including) this number are hidden from the overleg.
pub const SMALL_CELL_THRESHOLD: i64 = 5;

/// Whether a count is too small to show to the overleg (zero is shown: it points at nobody).
pub fn is_small(count: i64) -> bool {
    (1..SMALL_CELL_THRESHOLD).contains(&count)
}

/// How the figures are disclosed to a reader.
pub trait Disclosure: Debug + Clone + Copy + PartialEq + Eq + Send + Sync + 'static {
    /// A count of children, or of things a few children received.
    type Count: Serialize + JsonSchema + Debug + Clone + Copy + PartialEq + Eq + Send + Sync;
    /// An amount that went to counted children.
    type Amount: Serialize + JsonSchema + Debug + Clone + Copy + PartialEq + Eq + Send + Sync;

    /// Whether this reader is told that small counts are hidden.
    const HIDES_SMALL_COUNTS: bool;

    /// A count as this reader may see it.
    fn count(count: i64) -> Self::Count;

    /// The number behind a count, when this reader may see it.
    fn shown(count: Self::Count) -> Option<i64>;

    /// What went to `children`: shown only when they are.
    fn amount(amount: Cents, children: Self::Count) -> Self::Amount;

    /// The amount, when this reader may see it.
    fn shown_amount(amount: Self::Amount) -> Option<Cents>;

    /// `count`, hidden as well (secondary suppression: it would reveal a hidden one). A reader who
    /// sees every count never has a hidden part, so never needs it.
    fn hide(count: Self::Count) -> Self::Count;
}

/// Every figure as it is: for regie and the auditor. (Its `JsonSchema` only names the schemas of the
/// figures built under it: `FunnelExact`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
pub struct Exact;

impl Disclosure for Exact {
    type Count = i64;
    type Amount = Cents;

    const HIDES_SMALL_COUNTS: bool = false;

    fn count(count: i64) -> i64 {
        count
    }

    fn shown(count: i64) -> Option<i64> {
        Some(count)
    }

    fn amount(amount: Cents, _children: i64) -> Cents {
        amount
    }

    fn shown_amount(amount: Cents) -> Option<Cents> {
        Some(amount)
    }

    fn hide(count: i64) -> i64 {
        count
    }
}

/// For the kwartaaloverleg: a count of 1 to 4 is hidden (`null`), and so is an amount that went to
/// hidden children. (Its `JsonSchema` only names the schemas: `FunnelOverleg`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
pub struct Overleg;

impl Disclosure for Overleg {
    type Count = Option<i64>;
    type Amount = Option<Cents>;

    const HIDES_SMALL_COUNTS: bool = true;

    fn count(count: i64) -> Option<i64> {
        (!is_small(count)).then_some(count)
    }

    fn shown(count: Option<i64>) -> Option<i64> {
        count
    }

    fn amount(amount: Cents, children: Option<i64>) -> Option<Cents> {
        children.map(|_| amount)
    }

    fn shown_amount(amount: Option<Cents>) -> Option<Cents> {
        amount
    }

    fn hide(_count: Option<i64>) -> Option<i64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_counts_of_one_to_four_are_small() {
        assert!(!is_small(0), "zero points at nobody");
        assert!((1..=4).all(is_small));
        assert!(!is_small(5));
    }

    #[test]
    fn the_overleg_sees_small_counts_and_their_amounts_as_hidden_and_the_rest_exactly() {
        assert_eq!(Overleg::count(0), Some(0));
        assert_eq!(Overleg::count(4), None);
        assert_eq!(Overleg::count(5), Some(5));
        assert_eq!(Overleg::amount(Cents(7_550), Overleg::count(2)), None);
        assert_eq!(
            Overleg::amount(Cents(7_550), Overleg::count(6)),
            Some(Cents(7_550))
        );
        assert_eq!(Exact::count(1), 1);
        assert_eq!(Exact::amount(Cents(7_550), Exact::count(1)), Cents(7_550));
    }
}
