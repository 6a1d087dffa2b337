//! A table of the quarter as a CSV file for Dutch Excel: `;` between the cells, a decimal comma,
//! UTF-8 with a byte-order mark (without it Excel reads the file as Windows-1252 and mangles "€"
//! and "ë"), Dutch headers, and "verborgen" in a hidden cell: an empty cell would read as "no
//! data" or be summed as nothing, the word says what it is. A cell the answer lacks is empty.

use super::view::Table;

/// Quotes a cell when it holds the separator, a quote or a line break; a cell that a spreadsheet
/// would read as a formula (`=`, `+`, `-`, `@` first) gets a leading apostrophe, so no name in a
/// file can run as one.
fn cell(text: &str) -> String {
    let text = match text.chars().next() {
        Some('=' | '+' | '@') => format!("'{text}"),
        Some('-')
            if text.parse::<f64>().is_err() && text.replace(',', ".").parse::<f64>().is_err() =>
        {
            format!("'{text}")
        }
        _ => text.to_owned(),
    };
    if text.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn line(cells: impl IntoIterator<Item = String>) -> String {
    let mut line = cells
        .into_iter()
        .map(|text| cell(&text))
        .collect::<Vec<_>>()
        .join(";");
    line.push_str("\r\n");
    line
}

/// The table as a CSV file, byte-order mark first.
pub fn csv(table: &Table) -> Vec<u8> {
    let mut text = String::from("\u{feff}");
    text.push_str(&line(table.headers.iter().cloned()));
    for row in table.rows.iter().chain(table.total.iter()) {
        text.push_str(&line(
            std::iter::once(row.head.clone()).chain(row.cells.iter().map(|cell| cell.csv.clone())),
        ));
    }
    text.into_bytes()
}

/// A name for a file: lower case letters, digits and dashes (`'s-Hertogenbosch` → `s-hertogenbosch`).
pub fn slug(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars() {
        let c = match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            other => other.to_ascii_lowercase(),
        };
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// `kindpakket-den-haag-2026-K4-indeling-wijk.csv`.
pub fn file_name(
    gemeente_name: &str,
    quarter: &str,
    table: &str,
    breakdown: Option<&str>,
) -> String {
    let mut name = format!("kindpakket-{}-{quarter}-{table}", slug(gemeente_name));
    if let (Some(breakdown), "indeling") = (breakdown, table) {
        name.push('-');
        name.push_str(&slug(breakdown));
    }
    name.push_str(".csv");
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::overleg::view::tests::{figures, OVERLEG_K4, REGIE_RUNNING};
    use crate::web::overleg::view::QuarterView;

    fn text(bytes: &[u8]) -> String {
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        text.strip_prefix('\u{feff}')
            .expect("a byte-order mark")
            .to_owned()
    }

    #[test]
    fn the_budgets_are_a_file_with_euros_and_verborgen() {
        let view = QuarterView::new(&figures(OVERLEG_K4), None, "Den Haag");
        assert_eq!(
            text(&csv(view.table("budgetten").unwrap())),
            "Bron;Toegewezen;Vastgelegd;Uitgegeven;Prognose eind van het jaar;Kinderen\r\n\
             Rijksmiddelen;25000,00;9000,00;7000,00;7000,00;30\r\n\
             Gemeentelijke fondsen;10000,00;verborgen;verborgen;verborgen;verborgen\r\n\
             Externe fondsen;5000,00;verborgen;verborgen;verborgen;verborgen\r\n"
        );
    }

    #[test]
    fn the_breakdown_is_a_dutch_excel_file_with_verborgen_and_its_total() {
        let view = QuarterView::new(&figures(OVERLEG_K4), None, "Den Haag");
        let bytes = csv(view.table("indeling").unwrap());
        assert_eq!(&bytes[..3], b"\xef\xbb\xbf");
        assert_eq!(
            text(&bytes),
            "Wijk;Gesignaleerd;Aangevraagd;Toegekend;Bediend;Verwacht;Bediend in het jaar;Bereik %\r\n\
             WK051801;25;20;20;15;500;15;3\r\n\
             WK051802;verborgen;verborgen;0;verborgen;300;verborgen;verborgen\r\n\
             Onbekend;10;verborgen;10;verborgen;100;verborgen;verborgen\r\n\
             WK051803;0;0;0;0;;0;\r\n\
             Totaal;40;30;30;20;900;20;2\r\n"
        );
    }

    #[test]
    fn amounts_and_days_have_a_decimal_comma_and_names_are_quoted_when_needed() {
        let mut figures = figures(REGIE_RUNNING);
        figures.partners[0].name = Some("Sport; Cultuur \"Jeugdfonds\"".into());
        let view = QuarterView::new(&figures, None, "Den Haag");
        let partners = text(&csv(view.table("partners").unwrap()));
        assert!(
            partners.contains("\"Sport; Cultuur \"\"Jeugdfonds\"\"\";;;;;1;1;180,00\r\n"),
            "{partners}"
        );
        let lead_times = text(&csv(view.table("doorlooptijden").unwrap()));
        assert!(
            lead_times.contains("Van aanvraag tot besluit;2;0,5;1\r\n"),
            "{lead_times}"
        );
    }

    #[test]
    fn a_name_that_looks_like_a_formula_is_defused() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("-12"), "-12");
        assert_eq!(cell("-2,5"), "-2,5");
        assert_eq!(cell("-kwaad"), "'-kwaad");
    }

    #[test]
    fn the_file_is_named_after_the_gemeente_and_the_quarter() {
        assert_eq!(
            file_name("Den Haag", "2026-K4", "indeling", Some("wijk")),
            "kindpakket-den-haag-2026-K4-indeling-wijk.csv"
        );
        assert_eq!(
            file_name("'s-Hertogenbosch", "2026-K4", "trechter", Some("wijk")),
            "kindpakket-s-hertogenbosch-2026-K4-trechter.csv"
        );
    }
}
