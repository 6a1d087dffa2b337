//! Quarters (`2026-K4`) and the moment each is established ("as of", see `docs/overleg.md`).

use std::fmt;
use std::str::FromStr;

use time::{Date, Duration, Month, OffsetDateTime, Time};

/// One calendar quarter: `2026-K4` is October to December 2026.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    year: i32,
    /// 1 to 4.
    number: u8,
    first_day: Date,
}

/// A quarter could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Onbekend kwartaal: schrijf het als 2026-K4 (jaar, K, kwartaal 1 tot 4).")]
pub struct NotAQuarter;

impl Quarter {
    /// Quarter `number` (1 to 4) of `year` (2000 to 9998).
    pub fn new(year: i32, number: u8) -> Option<Self> {
        if !(1..=4).contains(&number) || !(2000..=9998).contains(&year) {
            return None;
        }
        let month = Month::try_from((number - 1) * 3 + 1).ok()?;
        let first_day = Date::from_calendar_date(year, month, 1).ok()?;
        Some(Self {
            year,
            number,
            first_day,
        })
    }

    /// The quarter a date falls in (a date outside 2000 to 9998 in the nearest of those years).
    pub fn of(date: Date) -> Self {
        let year = date.year().clamp(2000, 9998);
        let number = (u8::from(date.month()) - 1) / 3 + 1;
        Self::new(year, number).unwrap_or(Self::FIRST)
    }

    const FIRST: Quarter = Quarter {
        year: 2000,
        number: 1,
        first_day: time::macros::date!(2000 - 01 - 01),
    };

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn number(self) -> u8 {
        self.number
    }

    /// Its first day.
    pub fn first_day(self) -> Date {
        self.first_day
    }

    /// Its last day.
    pub fn last_day(self) -> Date {
        self.next().first_day - Duration::days(1)
    }

    pub fn next(self) -> Self {
        let (year, number) = if self.number == 4 {
            (self.year + 1, 1)
        } else {
            (self.year, self.number + 1)
        };
        Self::new(year, number).unwrap_or_else(|| Self {
            year,
            number,
            first_day: self.first_day + Duration::days(92),
        })
    }

    pub fn previous(self) -> Self {
        let (year, number) = if self.number == 1 {
            (self.year - 1, 4)
        } else {
            (self.year, self.number - 1)
        };
        Self::new(year, number).unwrap_or(self)
    }

    /// The first day of its year (the usage counts from there).
    pub fn year_start(self) -> Date {
        Self::new(self.year, 1).map_or(self.first_day, Self::first_day)
    }

    /// The moment the quarter is established: the first day after it plus `grace_days`, 00:00
    /// UTC. Its figures count the facts that occurred before this moment.
    pub fn established_at(self, grace_days: u16) -> OffsetDateTime {
        (self.next().first_day() + Duration::days(i64::from(grace_days)))
            .with_time(Time::MIDNIGHT)
            .assume_utc()
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-K{}", self.year, self.number)
    }
}

impl FromStr for Quarter {
    type Err = NotAQuarter;

    fn from_str(text: &str) -> Result<Self, NotAQuarter> {
        let (year, number) = text.trim().split_once(['-']).ok_or(NotAQuarter)?;
        let number = number
            .strip_prefix(['K', 'k'])
            .ok_or(NotAQuarter)?
            .parse::<u8>()
            .map_err(|_| NotAQuarter)?;
        if year.len() != 4 {
            return Err(NotAQuarter);
        }
        let year = year.parse::<i32>().map_err(|_| NotAQuarter)?;
        Self::new(year, number).ok_or(NotAQuarter)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    #[test]
    fn a_quarter_reads_and_writes_as_year_k_number() {
        let quarter: Quarter = "2026-K4".parse().unwrap();
        assert_eq!(quarter.to_string(), "2026-K4");
        assert_eq!("2027-k1".parse::<Quarter>().unwrap().to_string(), "2027-K1");
        for wrong in [
            "2026-K5", "2026-K0", "2026K4", "26-K4", "2026-Q4", "", "2026-K4x",
        ] {
            assert_eq!(wrong.parse::<Quarter>(), Err(NotAQuarter), "{wrong}");
        }
    }

    #[test]
    fn a_quarter_runs_from_its_first_to_its_last_day_and_follows_the_previous() {
        let q4: Quarter = "2026-K4".parse().unwrap();
        assert_eq!(q4.first_day(), date!(2026 - 10 - 01));
        assert_eq!(q4.last_day(), date!(2026 - 12 - 31));
        assert_eq!(q4.next().to_string(), "2027-K1");
        assert_eq!(q4.next().previous(), q4);
        assert_eq!(Quarter::of(date!(2026 - 03 - 31)).to_string(), "2026-K1");
        assert_eq!(Quarter::of(date!(2026 - 04 - 01)).to_string(), "2026-K2");
        assert_eq!(q4.year_start(), date!(2026 - 01 - 01));
    }

    #[test]
    fn a_quarter_is_established_its_grace_days_after_its_end() {
        let q4: Quarter = "2026-K4".parse().unwrap();
        assert_eq!(q4.established_at(14), datetime!(2027-01-15 0:00 UTC));
        assert_eq!(q4.established_at(0), datetime!(2027-01-01 0:00 UTC));
    }
}
