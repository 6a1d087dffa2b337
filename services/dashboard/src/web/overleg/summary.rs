//! What changed since the quarter before, in a few sentences, computed from the two quarters'
//! figures as the API gave them. A hidden figure on either side is never compared: the sentence
//! says so, rather than subtract a guess.

use super::figures::{Figure, QuarterFigures};
use super::view::{number, HIDDEN};

fn children(value: f64) -> String {
    if (value - 1.0).abs() < 1e-9 {
        "1 kind".to_owned()
    } else {
        format!("{} kinderen", number(value))
    }
}

fn plain(value: f64) -> String {
    number(value)
}

fn difference(now: f64, before: f64, previous: &str, unit: fn(f64) -> String) -> String {
    let change = now - before;
    if change.abs() < 1e-9 {
        format!("evenveel als in {previous}")
    } else if change > 0.0 {
        format!("{} meer dan in {previous}", unit(change))
    } else {
        format!("{} minder dan in {previous}", unit(-change))
    }
}

/// One figure of this quarter against the one before: `Bediend: 20 kinderen, 5 meer dan in 2026-K3.`
fn compare(
    label: &str,
    now: Figure,
    before: Option<Figure>,
    previous: &str,
    shown: fn(f64) -> String,
    unit: fn(f64) -> String,
) -> String {
    match (now, before) {
        (Figure::Shown(now), Some(Figure::Shown(before))) => format!(
            "{label}: {}, {}.",
            shown(now),
            difference(now, before, previous, unit)
        ),
        (Figure::Shown(now), None) => format!("{label}: {}.", shown(now)),
        (Figure::Shown(now), Some(Figure::Hidden)) => format!(
            "{label}: {}; niet te vergelijken: in {previous} {HIDDEN}.",
            shown(now)
        ),
        (Figure::Hidden, Some(_)) => format!("{label}: {HIDDEN}; niet te vergelijken: {HIDDEN}."),
        (Figure::Hidden, None) => format!("{label}: {HIDDEN}."),
        (Figure::Absent, _) | (_, Some(Figure::Absent)) => {
            format!("{label}: niet te vergelijken (het cijfer ontbreekt).")
        }
    }
}

fn percent(value: f64) -> String {
    format!("{}%", number(value.round()))
}

fn points(value: f64) -> String {
    let rounded = value.round();
    if (rounded - 1.0).abs() < 1e-9 {
        "1 procentpunt".to_owned()
    } else {
        format!("{} procentpunt", number(rounded))
    }
}

/// The sentences of the summary, and a remark under them (empty when there is none).
pub fn summary(
    current: &QuarterFigures,
    previous: Option<&QuarterFigures>,
) -> (Vec<String>, String) {
    let name = previous.map_or("", |previous| previous.quarter.as_str());
    let mut sentences: Vec<String> = current
        .funnel
        .steps()
        .iter()
        .zip(
            previous
                .map(|previous| previous.funnel.steps().map(|(_, figure)| Some(figure)))
                .unwrap_or([None; 4]),
        )
        .map(|((label, now), before)| compare(label, *now, before, name, children, plain))
        .collect();
    sentences.push(compare(
        "Gebruik",
        current.usage.percentage,
        previous.map(|previous| previous.usage.percentage),
        name,
        percent,
        points,
    ));
    let mut notes = Vec::new();
    match previous {
        None => notes.push("Er is geen eerder kwartaal om mee te vergelijken.".to_owned()),
        Some(_) if !current.disclosure.is_exact() => notes.push(
            "De verschillen zijn berekend uit de afgeronde aantallen: een verschil van 5 kan in werkelijkheid kleiner of groter zijn."
                .to_owned(),
        ),
        Some(_) => {}
    }
    if current.voorlopig {
        notes.push(format!(
            "{} loopt nog: de cijfers gelden tot nu en kunnen nog veranderen.",
            current.quarter
        ));
    }
    (sentences, notes.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::overleg::view::tests::{figures, OVERLEG_K3, OVERLEG_K4, REGIE_RUNNING};

    #[test]
    fn the_summary_compares_shown_figures_and_refuses_hidden_ones() {
        let (sentences, note) = summary(&figures(OVERLEG_K4), Some(&figures(OVERLEG_K3)));
        assert_eq!(
            sentences,
            [
                "Gesignaleerd: 40 kinderen, 10 meer dan in 2026-K3.",
                "Aangevraagd: 30 kinderen, evenveel als in 2026-K3.",
                "Toegekend: 30 kinderen, 15 meer dan in 2026-K3.",
                "Bediend: 20 kinderen; niet te vergelijken: in 2026-K3 verborgen.",
                "Gebruik: 67%; niet te vergelijken: in 2026-K3 verborgen.",
            ]
        );
        assert!(note.contains("afgeronde aantallen"), "{note}");
    }

    #[test]
    fn a_hidden_figure_now_is_not_compared_either() {
        let (sentences, _) = summary(&figures(OVERLEG_K3), Some(&figures(OVERLEG_K4)));
        assert_eq!(
            sentences[1],
            "Aangevraagd: 30 kinderen, evenveel als in 2026-K4."
        );
        assert_eq!(
            sentences[2],
            "Toegekend: 15 kinderen, 15 minder dan in 2026-K4."
        );
        assert_eq!(
            sentences[3],
            "Bediend: verborgen; niet te vergelijken: verborgen."
        );
    }

    #[test]
    fn the_first_quarter_and_a_running_one_say_so() {
        let (sentences, note) = summary(&figures(REGIE_RUNNING), None);
        assert_eq!(sentences[3], "Bediend: 1 kind.");
        assert_eq!(sentences[4], "Gebruik: 50%.");
        assert!(note.contains("geen eerder kwartaal"), "{note}");
        assert!(note.contains("2027-K1 loopt nog"), "{note}");
    }

    #[test]
    fn usage_changes_in_percentage_points() {
        let mut before = figures(REGIE_RUNNING);
        before.quarter = "2026-K4".into();
        before.usage.percentage = Figure::Shown(49.0);
        let (sentences, _) = summary(&figures(REGIE_RUNNING), Some(&before));
        assert_eq!(
            sentences[4],
            "Gebruik: 50%, 1 procentpunt meer dan in 2026-K4."
        );
    }
}
