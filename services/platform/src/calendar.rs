//! Working days: the days on which a response time runs.
//!
//! A working day is a day from Monday to Friday that is not one of the generally recognised public
//! holidays of the Algemene termijnenwet (article 3): Nieuwjaarsdag, Tweede Paasdag, Koningsdag,
//! Bevrijdingsdag (5 May, every year), Hemelvaartsdag, Tweede Pinksterdag and both Christmas days.
//! Goede Vrijdag is not one of them. Easter is computed per year (the anonymous Gregorian
//! algorithm), so the calendar needs no table to keep up to date.
//!
//! Pure functions, no I/O: the response clock of a referral (`add_working_days`) and the check that
//! a referral is overdue both use this module.

use time::{Date, Duration, Month, Weekday};

/// Easter Sunday of `year` in the Gregorian calendar (the anonymous Gregorian algorithm, also known
/// as Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> Date {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    // The algorithm only yields March (3) or April (4) and a day within that month.
    let month = if month == 3 {
        Month::March
    } else {
        Month::April
    };
    date(year, month, day as u8)
}

/// The public holidays of `year` under the Algemene termijnenwet, in calendar order.
pub fn public_holidays(year: i32) -> Vec<Date> {
    let easter = easter_sunday(year);
    let kings_day = {
        let twenty_seventh = date(year, Month::April, 27);
        if twenty_seventh.weekday() == Weekday::Sunday {
            date(year, Month::April, 26)
        } else {
            twenty_seventh
        }
    };
    let mut holidays = vec![
        date(year, Month::January, 1),
        easter + Duration::days(1),
        kings_day,
        date(year, Month::May, 5),
        easter + Duration::days(39),
        easter + Duration::days(50),
        date(year, Month::December, 25),
        date(year, Month::December, 26),
    ];
    holidays.sort();
    holidays
}

/// Whether `day` is a working day: Monday to Friday, and not a public holiday.
pub fn is_working_day(day: Date) -> bool {
    !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
        && !public_holidays(day.year()).contains(&day)
}

/// The due date of a response time of `working_days` working days set on `day`: the
/// `working_days`-th working day after `day`, counting from the next working day (the day itself
/// never counts, even when it is a working day). Zero working days is `day` itself.
///
/// A time set on Friday with 1 working day is due on Monday; set on 24 December 2025 with 1, it is
/// due on Monday 29 December (Christmas and the weekend skipped).
pub fn add_working_days(day: Date, working_days: u32) -> Date {
    let mut due = day;
    let mut left = working_days;
    while left > 0 {
        due = match due.next_day() {
            Some(next) => next,
            // The end of time::Date's range (year 9999): nothing later to count to.
            None => return due,
        };
        if is_working_day(due) {
            left -= 1;
        }
    }
    due
}

/// A date the caller knows to be valid (a fixed holiday or Easter's own result).
fn date(year: i32, month: Month, day: u8) -> Date {
    Date::from_calendar_date(year, month, day).unwrap_or(Date::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn easter_falls_on_the_known_sundays() {
        assert_eq!(easter_sunday(2024), date!(2024 - 03 - 31));
        assert_eq!(easter_sunday(2025), date!(2025 - 04 - 20));
        assert_eq!(easter_sunday(2026), date!(2026 - 04 - 05));
        assert_eq!(easter_sunday(2027), date!(2027 - 03 - 28));
        assert_eq!(easter_sunday(2038), date!(2038 - 04 - 25));
        assert_eq!(easter_sunday(2285), date!(2285 - 03 - 22));
    }

    #[test]
    fn the_holidays_of_2025() {
        assert_eq!(
            public_holidays(2025),
            vec![
                date!(2025 - 01 - 01),
                date!(2025 - 04 - 21),
                // 27 April 2025 is a Sunday: Koningsdag is the Saturday before.
                date!(2025 - 04 - 26),
                date!(2025 - 05 - 05),
                date!(2025 - 05 - 29),
                date!(2025 - 06 - 09),
                date!(2025 - 12 - 25),
                date!(2025 - 12 - 26),
            ]
        );
    }

    #[test]
    fn the_holidays_of_2026() {
        assert_eq!(
            public_holidays(2026),
            vec![
                date!(2026 - 01 - 01),
                date!(2026 - 04 - 06),
                date!(2026 - 04 - 27),
                date!(2026 - 05 - 05),
                date!(2026 - 05 - 14),
                date!(2026 - 05 - 25),
                date!(2026 - 12 - 25),
                date!(2026 - 12 - 26),
            ]
        );
    }

    #[test]
    fn the_holidays_of_2027() {
        assert_eq!(
            public_holidays(2027),
            vec![
                date!(2027 - 01 - 01),
                date!(2027 - 03 - 29),
                date!(2027 - 04 - 27),
                date!(2027 - 05 - 05),
                date!(2027 - 05 - 06),
                date!(2027 - 05 - 17),
                date!(2027 - 12 - 25),
                date!(2027 - 12 - 26),
            ]
        );
    }

    #[test]
    fn weekends_and_holidays_are_no_working_days() {
        assert!(
            is_working_day(date!(2026 - 04 - 03)),
            "Goede Vrijdag counts"
        );
        assert!(!is_working_day(date!(2026 - 04 - 04)), "a Saturday");
        assert!(!is_working_day(date!(2026 - 04 - 05)), "a Sunday");
        assert!(!is_working_day(date!(2026 - 04 - 06)), "Tweede Paasdag");
        assert!(is_working_day(date!(2026 - 04 - 07)));
        assert!(!is_working_day(date!(2026 - 04 - 27)), "Koningsdag");
        assert!(!is_working_day(date!(2025 - 05 - 05)), "Bevrijdingsdag");
        assert!(!is_working_day(date!(2027 - 05 - 06)), "Hemelvaartsdag");
        assert!(!is_working_day(date!(2025 - 06 - 09)), "Tweede Pinksterdag");
        assert!(is_working_day(date!(2025 - 06 - 10)));
    }

    #[test]
    fn a_due_date_counts_from_the_next_working_day() {
        // Friday → Monday.
        assert_eq!(
            add_working_days(date!(2026 - 01 - 09), 1),
            date!(2026 - 01 - 12)
        );
        // A week of five working days.
        assert_eq!(
            add_working_days(date!(2026 - 01 - 12), 5),
            date!(2026 - 01 - 19)
        );
        // Set on a Saturday: Monday is the first working day.
        assert_eq!(
            add_working_days(date!(2026 - 01 - 10), 1),
            date!(2026 - 01 - 12)
        );
        // Zero is the day itself.
        assert_eq!(
            add_working_days(date!(2026 - 01 - 10), 0),
            date!(2026 - 01 - 10)
        );
    }

    #[test]
    fn a_due_date_skips_the_holidays() {
        // Easter 2026: Goede Vrijdag counts, the weekend and Tweede Paasdag do not.
        assert_eq!(
            add_working_days(date!(2026 - 04 - 02), 2),
            date!(2026 - 04 - 07)
        );
        // Christmas 2025 into 2026: 25, 26 December, the weekend and Nieuwjaarsdag skipped.
        assert_eq!(
            add_working_days(date!(2025 - 12 - 24), 1),
            date!(2025 - 12 - 29)
        );
        assert_eq!(
            add_working_days(date!(2025 - 12 - 24), 4),
            date!(2026 - 01 - 02)
        );
        // Koningsdag on a Monday (2026) and Bevrijdingsdag on the Tuesday after the next weekend.
        assert_eq!(
            add_working_days(date!(2026 - 04 - 24), 1),
            date!(2026 - 04 - 28)
        );
        assert_eq!(
            add_working_days(date!(2026 - 05 - 04), 1),
            date!(2026 - 05 - 06)
        );
        // Hemelvaartsdag 2027 falls the day after Bevrijdingsdag: two days skipped in a row.
        assert_eq!(
            add_working_days(date!(2027 - 05 - 04), 1),
            date!(2027 - 05 - 07)
        );
        // Pinksteren 2025.
        assert_eq!(
            add_working_days(date!(2025 - 06 - 06), 1),
            date!(2025 - 06 - 10)
        );
    }

    #[test]
    fn a_due_date_is_always_a_working_day_after_the_day() {
        let mut day = date!(2025 - 01 - 01);
        while day < date!(2028 - 01 - 01) {
            for n in 1..=10 {
                let due = add_working_days(day, n);
                assert!(due > day);
                assert!(is_working_day(due), "{day} + {n} gave {due}");
            }
            day = day.next_day().unwrap();
        }
    }
}
