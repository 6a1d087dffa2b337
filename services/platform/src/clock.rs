//! The service's clock: the date and time the domain acts on. Every date a rule depends on (a
//! submission date, a retention cutoff, the month a key belongs to) comes from here, not from the
//! system clock directly, so that a rehearsal or a test can move it forward.
//!
//! `KINDPAKKET_CLOCK_OFFSET_DAYS` (default 0) moves the clock that many days ahead, for the whole
//! process: a service started with 400 acts as if it were 400 days later. It is meant for rehearsing
//! retention and year ends and for tests; a service whose clock is moved says so in its log at start.
//! It never moves backwards (a negative offset is refused): the event store's order and the audit
//! log's chain assume time goes forward.

use std::sync::OnceLock;

use time::{Date, Duration, OffsetDateTime};

static OFFSET_DAYS: OnceLock<i64> = OnceLock::new();

/// Sets the offset once, at start ([`crate::service::Infrastructure::start`] does it from the
/// configuration). Later calls keep the first value and say whether it was theirs.
pub fn set_offset_days(days: i64) -> bool {
    let set = OFFSET_DAYS.set(days).is_ok();
    if days != 0 {
        tracing::warn!(
            days,
            "the clock is moved: this service acts as if it were {days} days later"
        );
    }
    set
}

/// How many days the clock is moved ahead.
pub fn offset_days() -> i64 {
    OFFSET_DAYS.get().copied().unwrap_or(0)
}

/// The time now, as the domain sees it.
pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc() + Duration::days(offset_days())
}

/// Today's date (UTC), as the domain sees it.
pub fn today() -> Date {
    now().date()
}

/// The calendar month of a date as one number, `yyyymm` (202612 for December 2026).
pub fn month_of(date: Date) -> i32 {
    date.year() * 100 + i32::from(u8::from(date.month()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_month_is_its_year_and_number() {
        assert_eq!(month_of(date!(2026 - 12 - 31)), 202612);
        assert_eq!(month_of(date!(2027 - 01 - 01)), 202701);
        assert!(month_of(date!(2026 - 12 - 31)) < month_of(date!(2027 - 01 - 01)));
    }
}
