//! Today's date, as the domain means it.
//!
//! TODO(issue-13): replace with `kindpakket_platform::clock::today()` once the lead's clock (with
//! `KINDPAKKET_CLOCK_OFFSET_DAYS`) is on `issue-13`.

use time::{Date, OffsetDateTime};

pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}
