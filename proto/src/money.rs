//! Money and periods as they travel: amounts in whole euro cents (never floats), and a period of
//! calendar days with both ends included.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;

/// An amount in euro cents. On the wire a plain integer (`25000` is € 250,00).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(transparent)]
pub struct Cents(pub i64);

impl Cents {
    pub const ZERO: Cents = Cents(0);

    pub const fn new(cents: i64) -> Self {
        Self(cents)
    }

    /// The amount as a number of cents.
    pub const fn get(self) -> i64 {
        self.0
    }

    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// `percent` of this amount, rounded down to the cent (towards zero).
    pub fn percent(self, percent: u32) -> Cents {
        Cents(self.0 * i64::from(percent) / 100)
    }

    /// This amount `times` over.
    pub fn times(self, times: i64) -> Cents {
        Cents(self.0 * times)
    }

    /// The amount as a Dutch reader writes it: `€ 1.234,56`, `-€ 5,00`.
    pub fn euro(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let cents = self.0.unsigned_abs();
        let euros = (cents / 100).to_string();
        let mut grouped = String::new();
        for (index, digit) in euros.chars().enumerate() {
            if index > 0 && (euros.len() - index) % 3 == 0 {
                grouped.push('.');
            }
            grouped.push(digit);
        }
        format!("{sign}€ {grouped},{:02}", cents % 100)
    }
}

impl fmt::Display for Cents {
    /// In euros, as [`Cents::euro`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.euro())
    }
}

impl Add for Cents {
    type Output = Cents;
    fn add(self, other: Cents) -> Cents {
        Cents(self.0 + other.0)
    }
}

impl Sub for Cents {
    type Output = Cents;
    fn sub(self, other: Cents) -> Cents {
        Cents(self.0 - other.0)
    }
}

impl AddAssign for Cents {
    fn add_assign(&mut self, other: Cents) {
        self.0 += other.0;
    }
}

impl SubAssign for Cents {
    fn sub_assign(&mut self, other: Cents) {
        self.0 -= other.0;
    }
}

impl Neg for Cents {
    type Output = Cents;
    fn neg(self) -> Cents {
        Cents(-self.0)
    }
}

impl Sum for Cents {
    fn sum<I: Iterator<Item = Cents>>(iter: I) -> Cents {
        Cents(iter.map(|cents| cents.0).sum())
    }
}

impl<'a> Sum<&'a Cents> for Cents {
    fn sum<I: Iterator<Item = &'a Cents>>(iter: I) -> Cents {
        Cents(iter.map(|cents| cents.0).sum())
    }
}

/// Calendar days from `from` up to and including `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    pub from: Date,
    pub until: Date,
}

impl Period {
    /// A period, when `until` is not before `from`.
    pub fn new(from: Date, until: Date) -> Option<Self> {
        (from <= until).then_some(Self { from, until })
    }

    pub fn contains(&self, day: Date) -> bool {
        self.from <= day && day <= self.until
    }

    /// Whether the two periods share at least one day.
    pub fn overlaps(&self, other: &Period) -> bool {
        self.from <= other.until && other.from <= self.until
    }

    /// The calendar year `year`.
    pub fn year(year: i32) -> Option<Self> {
        let from = Date::from_calendar_date(year, time::Month::January, 1).ok()?;
        let until = Date::from_calendar_date(year, time::Month::December, 31).ok()?;
        Some(Self { from, until })
    }

    /// Quarter `quarter` (1 to 4) of `year`.
    pub fn quarter(year: i32, quarter: u8) -> Option<Self> {
        if !(1..=4).contains(&quarter) {
            return None;
        }
        let first = time::Month::try_from(quarter * 3 - 2).ok()?;
        let last = time::Month::try_from(quarter * 3).ok()?;
        let from = Date::from_calendar_date(year, first, 1).ok()?;
        let until = Date::from_calendar_date(year, last, last.length(year)).ok()?;
        Some(Self { from, until })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn amounts_read_the_dutch_way() {
        assert_eq!(Cents(123_456).euro(), "€ 1.234,56");
        assert_eq!(Cents(5).euro(), "€ 0,05");
        assert_eq!(Cents(-500).euro(), "-€ 5,00");
        assert_eq!(Cents(100_000_000).euro(), "€ 1.000.000,00");
    }

    #[test]
    fn a_share_is_rounded_down_to_the_cent() {
        assert_eq!(Cents(999).percent(50), Cents(499));
        assert_eq!(Cents(25_000).percent(30), Cents(7_500));
        assert_eq!([Cents(1), Cents(2)].iter().sum::<Cents>(), Cents(3));
    }

    #[test]
    fn cents_travel_as_plain_integers() {
        assert_eq!(serde_json::to_string(&Cents(2500)).unwrap(), "2500");
        assert_eq!(serde_json::from_str::<Cents>("2500").unwrap(), Cents(2500));
    }

    #[test]
    fn periods_include_both_ends() {
        let q3 = Period::quarter(2026, 3).unwrap();
        assert_eq!(q3.from, date!(2026 - 07 - 01));
        assert_eq!(q3.until, date!(2026 - 09 - 30));
        assert!(q3.contains(date!(2026 - 09 - 30)));
        assert!(!q3.contains(date!(2026 - 10 - 01)));
        assert!(Period::quarter(2026, 5).is_none());
        assert!(Period::new(date!(2026 - 02 - 01), date!(2026 - 01 - 01)).is_none());
        let year = Period::year(2026).unwrap();
        assert!(year.overlaps(&q3));
    }
}
