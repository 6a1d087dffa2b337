//! Free text that a worker or a family types — a maatwerk motivation, a reason, a proof reference —
//! is where personal data slips in unnoticed. It is kept short, and refused when it holds a BSN (a
//! number of nine digits that passes the 11-proef), an IBAN, an e-mail address or a telephone number.
//!
//! A request carries [`FreeText`] as it was typed; the domain takes only a [`Note`], which
//! [`FreeText::checked`] makes. The refusal is a Dutch 422 that names the field and the kind of data
//! found, never the data.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::refusal::{Refusal, RefusalKind};

/// The longest free text kept, in characters.
pub const MAX_CHARS: usize = 500;

/// Free text as a request carries it, not yet checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
#[schemars(
    description = "Vrije tekst: kort (hoogstens 500 tekens), zonder BSN, IBAN, e-mailadres of telefoonnummer."
)]
pub struct FreeText(#[schemars(length(max = 500))] String);

/// Free text that was checked: short, and naming no person by BSN, IBAN, e-mail or telephone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Note(String);

/// What free text may not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    Bsn,
    Iban,
    Email,
    Phone,
}

impl Found {
    fn dutch(self) -> &'static str {
        match self {
            Found::Bsn => "een BSN",
            Found::Iban => "een IBAN (rekeningnummer)",
            Found::Email => "een e-mailadres",
            Found::Phone => "een telefoonnummer",
        }
    }
}

/// Why free text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FreeTextRefusal {
    #[error("Het veld '{field}' is te lang: gebruik hoogstens {MAX_CHARS} tekens.")]
    TooLong { field: &'static str },
    #[error("Het veld '{field}' lijkt {} te bevatten. Vrije tekst mag geen persoonsgegevens bevatten: laat die weg; het pseudoniem van het kind of huishouden is genoeg.", found.dutch())]
    PersonalData { field: &'static str, found: Found },
}

impl Refusal for FreeTextRefusal {
    fn kind(&self) -> RefusalKind {
        RefusalKind::Invalid
    }
}

impl FreeText {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The text as a [`Note`], trimmed, when it is short and holds no personal data; `field` names it
    /// in the refusal.
    pub fn checked(self, field: &'static str) -> Result<Note, FreeTextRefusal> {
        let text = self.0.trim();
        if text.chars().count() > MAX_CHARS {
            return Err(FreeTextRefusal::TooLong { field });
        }
        if let Some(found) = personal_data_in(text) {
            return Err(FreeTextRefusal::PersonalData { field, found });
        }
        Ok(Note(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Note {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The first kind of personal data found in `text`, if any.
pub fn personal_data_in(text: &str) -> Option<Found> {
    if text.split_whitespace().any(is_email) {
        return Some(Found::Email);
    }
    if contains_iban(text) {
        return Some(Found::Iban);
    }
    for number in numbers_in(text) {
        let digits = number.digits.as_str();
        if (digits.len() == 9 && passes_elfproef(digits))
            || (digits.len() == 8 && passes_elfproef(&format!("0{digits}")))
        {
            return Some(Found::Bsn);
        }
        if is_phone(&number) {
            return Some(Found::Phone);
        }
    }
    None
}

/// The 11-proef of a BSN: 9×d1 + 8×d2 + … + 2×d8 − 1×d9 is a multiple of 11 (and not all zeros).
pub fn passes_elfproef(digits: &str) -> bool {
    if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) || digits == "000000000" {
        return false;
    }
    let sum: i64 = digits
        .bytes()
        .zip([9, 8, 7, 6, 5, 4, 3, 2, -1])
        .map(|(digit, weight)| i64::from(digit - b'0') * weight)
        .sum();
    sum % 11 == 0
}

fn is_email(word: &str) -> bool {
    let word = word.trim_matches(|c: char| !c.is_alphanumeric());
    match word.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && domain
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-'))
        }
        None => false,
    }
}

/// An IBAN: two letters, two check digits and 11 to 30 letters or digits, possibly in groups of four
/// separated by spaces, whose mod-97 check holds.
fn contains_iban(text: &str) -> bool {
    let compact: Vec<char> = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (0..compact.len()).any(|start| {
        let rest = &compact[start..];
        if rest.len() < 15
            || !rest[0].is_ascii_uppercase()
            || !rest[1].is_ascii_uppercase()
            || !rest[2].is_ascii_digit()
            || !rest[3].is_ascii_digit()
        {
            return false;
        }
        let body: Vec<char> = rest
            .iter()
            .take(34)
            .take_while(|c| c.is_ascii_alphanumeric())
            .copied()
            .collect();
        (15..=body.len()).any(|length| iban_checksum_holds(&body[..length]))
    })
}

fn iban_checksum_holds(iban: &[char]) -> bool {
    let rearranged = iban[4..].iter().chain(iban[..4].iter());
    let mut remainder: u32 = 0;
    for c in rearranged {
        let value = match c.to_digit(36) {
            Some(value) => value,
            None => return false,
        };
        let digits = if value >= 10 { 100 } else { 10 };
        remainder = (remainder * digits + value) % 97;
    }
    remainder == 1
}

/// A run of digits in text, possibly written with spaces, dots, dashes or brackets between them, and
/// whether it started with `+`.
struct Number {
    digits: String,
    international: bool,
}

fn numbers_in(text: &str) -> Vec<Number> {
    let is_separator = |c: char| matches!(c, ' ' | '.' | '-' | '(' | ')' | '/');
    let chars: Vec<char> = text.chars().collect();
    let mut numbers = Vec::new();
    let mut current = String::new();
    let mut international = false;
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        if c.is_ascii_digit() {
            current.push(c);
            index += 1;
            continue;
        }
        if c == '+' && current.is_empty() {
            international = true;
            index += 1;
            continue;
        }
        // Up to three separators between digits ("010 - 123 45 67") keep a number together.
        if is_separator(c) && !current.is_empty() {
            let run = chars[index..]
                .iter()
                .take_while(|c| is_separator(**c))
                .count();
            if run <= 3 && chars.get(index + run).is_some_and(char::is_ascii_digit) {
                index += run;
                continue;
            }
        }
        if !current.is_empty() {
            numbers.push(Number {
                digits: std::mem::take(&mut current),
                international,
            });
        }
        international = false;
        index += 1;
    }
    if !current.is_empty() {
        numbers.push(Number {
            digits: current,
            international,
        });
    }
    numbers
}

/// A Dutch number (ten digits from 0, or 31 and nine digits) or an international one (+ and 8 to 15
/// digits).
fn is_phone(number: &Number) -> bool {
    let digits = number.digits.as_str();
    if number.international {
        return (8..=15).contains(&digits.len());
    }
    (digits.len() == 10 && digits.starts_with('0'))
        || (digits.len() == 11 && digits.starts_with("31"))
        || (digits.len() == 13 && digits.starts_with("0031"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<Note, FreeTextRefusal> {
        FreeText::new(text).checked("motivatie")
    }

    fn found(text: &str) -> Option<Found> {
        match check(text) {
            Err(FreeTextRefusal::PersonalData { found, .. }) => Some(found),
            _ => None,
        }
    }

    #[test]
    fn ordinary_motivations_pass() {
        for text in [
            "Gezin zit in de schuldsanering; netto besteedbaar inkomen te laag.",
            "Kassabon 2026-0917, sportwinkel, € 123,45",
            "Aanvraag 12345678 volgt",
            "Factuurnummer 2026001234",
            "Bon 1234567890123",
            "",
        ] {
            assert!(check(text).is_ok(), "{text}: {:?}", check(text));
        }
    }

    #[test]
    fn a_bsn_an_iban_an_email_or_a_phone_number_is_refused_in_dutch_without_the_value() {
        assert_eq!(found("BSN 123456782 volgens moeder"), Some(Found::Bsn));
        assert_eq!(found("bsn: 1234.56.782"), Some(Found::Bsn));
        assert_eq!(
            found("12345678 (zonder voorloopnul)"),
            None,
            "fails the 11-proef"
        );
        assert_eq!(found("rekening NL91 ABNA 0417 1643 00"), Some(Found::Iban));
        assert_eq!(found("NL91ABNA0417164300"), Some(Found::Iban));
        assert_eq!(
            found("mail naar j.jansen@example.nl graag"),
            Some(Found::Email)
        );
        assert_eq!(found("bel 06-12345678"), Some(Found::Phone));
        assert_eq!(found("tel. +31 6 1234 5678"), Some(Found::Phone));
        assert_eq!(found("010 - 123 45 67"), Some(Found::Phone));
        assert_eq!(found("010-1234567"), Some(Found::Phone));
        let refusal = check("BSN 123456782").unwrap_err().to_string();
        assert!(
            refusal.contains("'motivatie'") && refusal.contains("een BSN"),
            "{refusal}"
        );
        assert!(!refusal.contains("123456782"), "{refusal}");
    }

    #[test]
    fn free_text_is_short() {
        assert!(matches!(
            check(&"a".repeat(MAX_CHARS + 1)),
            Err(FreeTextRefusal::TooLong { .. })
        ));
        assert_eq!(check("  kort  ").unwrap().as_str(), "kort");
    }

    #[test]
    fn the_elfproef_holds_for_valid_numbers_only() {
        assert!(passes_elfproef("123456782"));
        assert!(passes_elfproef("111222333"));
        assert!(!passes_elfproef("123456789"));
        assert!(!passes_elfproef("000000000"));
        assert!(!passes_elfproef("12345678"));
    }
}
