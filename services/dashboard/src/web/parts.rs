//! Small things the pages of every role show the same way: amounts in euros, dates in Dutch, and
//! a form's values and problems kept when it is shown again.

use time::Date;

/// `1250` → `€ 12,50`; thousands with a dot: `€ 1.250,00`.
pub fn euro(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    format!("{sign}€ {grouped},{:02}", cents % 100)
}

/// The months, in Dutch.
pub const MONTHS: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];

/// The name of month `number` (1 to 12) in Dutch; empty for another number.
pub fn month_name(number: u8) -> &'static str {
    MONTHS
        .get(usize::from(number).wrapping_sub(1))
        .copied()
        .unwrap_or("")
}

/// `2026-12-01` → `1 december 2026`.
pub fn date(date: Date) -> String {
    format!(
        "{} {} {}",
        date.day(),
        MONTHS[usize::from(u8::from(date.month())) - 1],
        date.year()
    )
}

/// A date as an API gives it (`2026-12-01`, or a timestamp that starts with one), in Dutch; the text
/// itself when it is no date.
pub fn date_text(text: &str) -> String {
    let day = text.get(..10).unwrap_or(text);
    match Date::parse(
        day,
        time::macros::format_description!("[year]-[month]-[day]"),
    ) {
        Ok(parsed) => date(parsed),
        Err(_) => text.to_owned(),
    }
}

/// An amount typed by a person (`12,50`, `12.50`, `€ 12`) in cents; `None` when it is not an amount.
pub fn parse_euro(text: &str) -> Option<i64> {
    let cleaned: String = text
        .trim()
        .trim_start_matches('€')
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    let (whole, fraction) = match cleaned.rsplit_once([',', '.']) {
        Some((whole, fraction)) if fraction.len() <= 2 => (whole.replace('.', ""), fraction),
        Some(_) => (cleaned.replace('.', ""), ""),
        None => (cleaned.clone(), ""),
    };
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let fraction: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().ok()? * 10,
        _ => fraction.parse().ok()?,
    };
    (whole >= 0).then(|| whole * 100 + fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_and_write_the_dutch_way() {
        assert_eq!(euro(1250), "€ 12,50");
        assert_eq!(euro(125_000), "€ 1.250,00");
        assert_eq!(euro(5), "€ 0,05");
        assert_eq!(parse_euro("12,50"), Some(1250));
        assert_eq!(parse_euro("€ 12.5"), Some(1250));
        assert_eq!(parse_euro("1.250,00"), Some(125_000));
        assert_eq!(parse_euro("75"), Some(7500));
        assert_eq!(parse_euro("twaalf"), None);
        assert_eq!(parse_euro("-3"), None);
        assert_eq!(parse_euro(""), None);
    }

    #[test]
    fn dates_are_written_in_dutch() {
        assert_eq!(date_text("2026-12-01"), "1 december 2026");
        assert_eq!(date_text("2026-03-10T09:00:00Z"), "10 maart 2026");
        assert_eq!(date_text("morgen"), "morgen");
    }
}
