//! A quarter's figures as people read them: Dutch numbers and names, "verborgen" for a hidden
//! figure, and every table once, in one shape that the page, the report, the charts and the CSV
//! files all take from.

use std::collections::HashMap;

use super::chart::{BarChart, Group};
use super::figures::{BreakdownRow, Figure, Funnel, QuarterFigures, RowReach};
use super::summary;
use crate::web::parts;
use crate::web::viewer::readable;

/// The word a hidden figure is shown as, on the page, in the charts and in the CSV files.
pub const HIDDEN: &str = "verborgen";

/// The breakdowns the overleg may choose from (one at a time), as `(value, label)`; `geen` is none.
pub const BREAKDOWNS: [(&str, &str); 6] = [
    ("geen", "Geen indeling"),
    ("wijk", "Wijk"),
    ("leeftijd", "Leeftijd"),
    ("kanaal", "Kanaal van de aanvraag"),
    ("voorziening", "Voorziening"),
    ("partner", "Partner"),
];

/// A breakdown's label; `None` for one that does not exist.
pub fn breakdown_label(breakdown: &str) -> Option<&'static str> {
    BREAKDOWNS
        .iter()
        .find(|(value, _)| *value == breakdown)
        .map(|(_, label)| *label)
}

/// `1250` → `1.250`; `2.5` → `2,5`.
pub fn number(value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        let whole = value.round() as i64;
        let digits = whole.unsigned_abs().to_string();
        let mut grouped = String::new();
        for (index, digit) in digits.chars().enumerate() {
            if index > 0 && (digits.len() - index) % 3 == 0 {
                grouped.push('.');
            }
            grouped.push(digit);
        }
        if whole < 0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    } else {
        format!("{value:.1}").replace('.', ",")
    }
}

/// A count on the page or in a chart: the number, "verborgen", or a dash when the answer lacks it.
pub fn count_text(figure: Figure) -> String {
    match figure {
        Figure::Shown(value) => number(value),
        Figure::Hidden => HIDDEN.to_owned(),
        Figure::Absent => "–".to_owned(),
    }
}

/// A number in a CSV cell for Dutch Excel: no thousands separator, a decimal comma.
fn csv_number(value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        (value.round() as i64).to_string()
    } else {
        format!("{value:.1}").replace('.', ",")
    }
}

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// As the page shows it.
    pub text: String,
    /// As the CSV file has it.
    pub csv: String,
    pub hidden: bool,
}

impl Cell {
    pub fn count(figure: Figure) -> Self {
        Self {
            text: count_text(figure),
            csv: match figure {
                Figure::Shown(value) => csv_number(value),
                Figure::Hidden => HIDDEN.to_owned(),
                Figure::Absent => String::new(),
            },
            hidden: figure.is_hidden(),
        }
    }

    /// An amount in cents, shown in euros.
    pub fn amount(figure: Figure) -> Self {
        match figure {
            Figure::Shown(cents) => {
                let cents = cents.round() as i64;
                Self {
                    text: parts::euro(cents),
                    csv: format!("{},{:02}", cents / 100, (cents % 100).abs()),
                    hidden: false,
                }
            }
            other => Self::count(other),
        }
    }

    /// Days (a median or percentile).
    pub fn days(figure: Figure) -> Self {
        Self::count(figure)
    }
}

/// A row: its header cell and its figures.
#[derive(Debug, Clone)]
pub struct Row {
    pub head: String,
    pub cells: Vec<Cell>,
}

/// A table of the quarter.
#[derive(Debug, Clone)]
pub struct Table {
    /// Its name in addresses (`trechter`, `indeling`, …): the CSV file and the page's anchor.
    pub key: &'static str,
    /// Its heading.
    pub title: String,
    /// What it shows, in a sentence (the table's caption).
    pub caption: String,
    /// The column headers; the first is the row headers'.
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
    /// The total row, when the table has one.
    pub total: Option<Row>,
    /// What the page says when there are no rows.
    pub empty: String,
}

impl Table {
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty() && self.total.is_none()
    }
}

/// The tables a CSV file can be asked for.
pub const TABLES: [&str; 11] = [
    "trechter",
    "indeling",
    "partners",
    "budgetten",
    "nog-niet-bediend",
    "campagnes",
    "wensen",
    "wensen-van",
    "doorlooptijden",
    "signaleerders",
    "nagekomen",
];

const STEPS: [&str; 4] = ["Gesignaleerd", "Aangevraagd", "Toegekend", "Bediend"];

/// The columns reach adds to the breakdowns by wijk and by age band.
const REACH_HEADERS: [&str; 3] = ["Verwacht", "Bediend in het jaar", "Bereik %"];

fn funnel_cells(funnel: &Funnel) -> Vec<Cell> {
    funnel
        .steps()
        .iter()
        .map(|(_, figure)| Cell::count(*figure))
        .collect()
}

/// The reach columns of a row: expected (exact, a dash without an estimate), served in the year,
/// reach in percent.
fn reach_cells(reach: &RowReach) -> Vec<Cell> {
    vec![
        Cell::count(reach.expected.map_or(Figure::Absent, Figure::Shown)),
        Cell::count(reach.served_in_year),
        Cell::count(reach.percentage_shown()),
    ]
}

/// A breakdown row's cells: the funnel, and reach when the answer has it for this breakdown.
fn breakdown_cells(row: &BreakdownRow, with_reach: bool) -> Vec<Cell> {
    let mut cells = funnel_cells(&row.funnel);
    if with_reach {
        cells.extend(reach_cells(&row.reach));
    }
    cells
}

/// A funding source as people read it (the regeling's API words).
pub fn source_label(source: &str) -> String {
    match source {
        "rijksmiddelen" => "Rijksmiddelen".to_owned(),
        "gemeentelijke_fondsen" => "Gemeentelijke fondsen".to_owned(),
        "externe_fondsen" => "Externe fondsen".to_owned(),
        "private_partijen" => "Private partijen".to_owned(),
        other => readable(other),
    }
}

/// Who sent a wish, as people read it.
pub fn wish_source_label(source: &str) -> String {
    match source {
        "kind" => "Het kind zelf".to_owned(),
        "ouder" => "Ouders".to_owned(),
        "partner" => "Partners".to_owned(),
        "school" => "Scholen".to_owned(),
        "wijkteam" => "Wijkteams".to_owned(),
        other => readable(other),
    }
}

/// Where the doelgroep's estimate comes from, as people read it.
pub fn target_group_source_label(source: &str) -> String {
    match source {
        "eigen_inkomensgegevens" => "uit de eigen inkomensgegevens van de gemeente".to_owned(),
        "cbs_schatting" => "een schatting van het CBS".to_owned(),
        other => readable(other).to_lowercase(),
    }
}

/// A value of a breakdown as people read it.
pub fn breakdown_value(
    breakdown: &str,
    value: &str,
    partner_names: &HashMap<String, String>,
) -> String {
    if value == "onbekend" {
        return "Onbekend".to_owned();
    }
    match breakdown {
        "leeftijd" => match value {
            "18+" => "18 jaar en ouder".to_owned(),
            band => match band.split_once('-') {
                Some((from, to)) => format!("{from} tot en met {to} jaar"),
                None => band.to_owned(),
            },
        },
        "kanaal" => match value {
            "loket" => "Loket".to_owned(),
            "online" => "Online".to_owned(),
            "partner" => "Via een partner".to_owned(),
            "wijkteam" => "Wijkteam".to_owned(),
            "cjg" => "CJG".to_owned(),
            "signalering" => "Alleen gesignaleerd".to_owned(),
            other => readable(other),
        },
        "voorziening" => match value {
            "pakket" => "Pakket (meer voorzieningen)".to_owned(),
            other => readable(other),
        },
        "partner" => match value {
            "gemeente" => "Gemeente (geen partner)".to_owned(),
            other => partner_names
                .get(other)
                .cloned()
                .unwrap_or_else(|| readable(other)),
        },
        _ => value.to_owned(),
    }
}

/// A lead time's path as people read it.
pub fn path_label(path: &str) -> String {
    match path {
        "signaal-aanvraag" => "Van signaal tot aanvraag".to_owned(),
        "aanvraag-besluit" => "Van aanvraag tot besluit".to_owned(),
        "aanvraag-verstrekking" => "Van aanvraag tot eerste verstrekking".to_owned(),
        other => readable(other),
    }
}

/// `2026-10-01`, `2026-12-31` → `1 oktober tot en met 31 december 2026`.
pub fn period(from: &str, to: &str) -> String {
    if from.is_empty() || to.is_empty() {
        return String::new();
    }
    let (first, last) = (parts::date_text(from), parts::date_text(to));
    // "1 oktober 2026 tot en met 31 december 2026" reads as "1 oktober tot en met 31 december 2026".
    let same_year = from.get(..4).is_some_and(|year| to.starts_with(year));
    match first.rsplit_once(' ') {
        Some((day_and_month, _)) if same_year => format!("{day_and_month} tot en met {last}"),
        _ => format!("{first} tot en met {last}"),
    }
}

/// A quarter's figures, ready to show.
#[derive(Debug, Clone)]
pub struct QuarterView {
    pub quarter: String,
    pub gemeente_name: String,
    /// "1 oktober tot en met 31 december 2026".
    pub period: String,
    /// "15 januari 2027"; empty when the answer does not say.
    pub established: String,
    pub provisional: bool,
    pub exact: bool,
    /// The explanation of hidden and rounded figures, once on the page (the overleg's figures).
    pub disclosure_note: String,
    /// What changed since the quarter before, sentence by sentence.
    pub summary: Vec<String>,
    /// A remark under the summary (no quarter before; differences of rounded counts).
    pub summary_note: String,
    /// "Gebruik: 67% …".
    pub usage: String,
    /// "Bereik: 2% …": the children served in the year against the doelgroep.
    pub reach: String,
    pub breakdown: Option<String>,
    pub breakdown_label: String,
    pub funnel_table: Table,
    pub breakdown_table: Option<Table>,
    pub partners_table: Table,
    pub budgets_table: Table,
    pub wishes_table: Table,
    pub outreach_table: Table,
    pub campaigns_table: Table,
    pub wish_sources_table: Table,
    pub lead_times_table: Table,
    pub signallers_table: Table,
    pub late_table: Table,
    pub funnel_chart: BarChart,
    pub breakdown_chart: Option<BarChart>,
}

impl QuarterView {
    pub fn new(
        figures: &QuarterFigures,
        previous: Option<&QuarterFigures>,
        gemeente_name: &str,
    ) -> Self {
        let exact = figures.disclosure.is_exact();
        let disclosure_note = if exact {
            String::new()
        } else {
            let threshold = figures.disclosure.threshold.unwrap_or(10);
            let rounding = figures.disclosure.rounding.unwrap_or(5);
            format!(
                "Aantallen onder de {threshold} zijn verborgen (er staat dan \u{201c}{HIDDEN}\u{201d}; een 0 wijst niemand aan en staat er gewoon), zodat niemand een kind of gezin kan herkennen; soms is een tweede aantal verborgen, zodat het eerste niet uit te rekenen is. Getoonde aantallen zijn afgerond op {rounding}; bedragen en percentages zijn berekend uit de afgeronde aantallen."
            )
        };
        let (summary, summary_note) = summary::summary(figures, previous);
        let partner_names: HashMap<String, String> = figures
            .partners
            .iter()
            .map(|row| {
                (
                    row.partner.clone(),
                    row.name
                        .clone()
                        .filter(|name| !name.is_empty())
                        .unwrap_or_else(|| readable(&row.partner)),
                )
            })
            .collect();
        let breakdown = figures
            .breakdown
            .clone()
            .filter(|breakdown| !breakdown.is_empty() && breakdown != "geen");
        let breakdown_label_text = breakdown
            .as_deref()
            .and_then(breakdown_label)
            .unwrap_or("Indeling")
            .to_owned();
        let steps: Vec<String> = STEPS.iter().map(|step| (*step).to_owned()).collect();
        // Reach is in the answer for the breakdowns by wijk and by age band only.
        let with_reach = figures.rows.iter().any(|row| row.reach.is_present());

        let funnel_table = Table {
            key: "trechter",
            title: "Trechter".into(),
            caption: format!(
                "Kinderen per stap in {}: elk kind één keer per stap.",
                figures.quarter
            ),
            headers: vec!["Stap".into(), "Kinderen".into()],
            rows: figures
                .funnel
                .steps()
                .iter()
                .map(|(step, figure)| Row {
                    head: (*step).to_owned(),
                    cells: vec![Cell::count(*figure)],
                })
                .collect(),
            total: None,
            empty: String::new(),
        };
        let breakdown_table = breakdown.as_ref().map(|breakdown| Table {
            key: "indeling",
            title: format!("Per {}", breakdown_label_text.to_lowercase()),
            caption: format!(
                "De trechter per {} in {}, met het totaal.",
                breakdown_label_text.to_lowercase(),
                figures.quarter
            ),
            headers: std::iter::once(breakdown_label_text.clone())
                .chain(steps.iter().cloned())
                .chain(
                    REACH_HEADERS
                        .iter()
                        .filter(|_| with_reach)
                        .map(|header| (*header).to_owned()),
                )
                .collect(),
            rows: figures
                .rows
                .iter()
                .map(|row| Row {
                    head: breakdown_value(breakdown, &row.value, &partner_names),
                    cells: breakdown_cells(row, with_reach),
                })
                .collect(),
            total: Some(Row {
                head: "Totaal".into(),
                cells: {
                    let mut cells = funnel_cells(&figures.funnel);
                    if with_reach {
                        // The total's served in the year is the usage's; expected and reach the
                        // doelgroep's.
                        let group = figures.target_group.as_ref();
                        cells.extend(reach_cells(&RowReach {
                            served_in_year: figures.usage.served,
                            expected: group.map(|group| group.children),
                            percentage: group.map_or(Figure::Absent, |group| group.percentage),
                        }));
                    }
                    cells
                },
            }),
            empty: "Geen rijen in deze indeling.".into(),
        });
        let partners_table = Table {
            key: "partners",
            title: "Partners".into(),
            caption: format!("Wat elke partner deed in {}.", figures.quarter),
            headers: [
                "Partner",
                "Doorverwezen signalen",
                "Op tijd opgepakt",
                "Aanvragen ingediend",
                "Maatwerkbesluiten",
                "Kinderen bediend",
                "Verstrekkingen",
                "Bedrag",
            ]
            .iter()
            .map(|header| (*header).to_owned())
            .collect(),
            rows: figures
                .partners
                .iter()
                .map(|row| Row {
                    head: partner_names
                        .get(&row.partner)
                        .cloned()
                        .unwrap_or_else(|| readable(&row.partner)),
                    cells: vec![
                        Cell::count(row.referred),
                        Cell::count(row.picked_up_in_time),
                        Cell::count(row.applications),
                        Cell::count(row.custom_decisions),
                        Cell::count(row.served),
                        Cell::count(row.deliveries),
                        Cell::amount(row.amount_cents),
                    ],
                })
                .collect(),
            total: None,
            empty: "Geen partner deed iets in dit kwartaal.".into(),
        };
        let year = figures.tot.get(..4).unwrap_or("");
        let budgets_table = Table {
            key: "budgetten",
            title: "Budgetten".into(),
            caption: format!(
                "Per financieringsbron in {year}, tot en met het einde van {}: het budget dat de regeling toewees, wat toegekende rechten vastlegden, wat is uitgegeven, wat er op dit tempo aan het eind van het jaar is uitgegeven, en voor hoeveel kinderen met een recht.{} Uitgaven zijn seizoensgebonden (schoolkosten in augustus en september): lees de prognose naast wat is vastgelegd.",
                figures.quarter,
                if exact {
                    ""
                } else {
                    " Bedragen zijn afgerond op hele duizenden euro's, behalve wat is toegewezen (een openbaar besluit)."
                }
            ),
            headers: [
                "Bron",
                "Toegewezen",
                "Vastgelegd",
                "Uitgegeven",
                "Prognose eind van het jaar",
                "Kinderen",
            ]
            .iter()
            .map(|header| (*header).to_owned())
            .collect(),
            rows: figures
                .budgets
                .iter()
                .map(|row| Row {
                    head: source_label(&row.source),
                    cells: vec![
                        Cell::amount(row.allocated_cents),
                        Cell::amount(row.committed_cents),
                        Cell::amount(row.spent_cents),
                        Cell::amount(row.projected_cents),
                        Cell::count(row.children),
                    ],
                })
                .collect(),
            total: None,
            empty: format!(
                "Geen budgetten om te tonen: de regeling van {year} wijst geen budget toe en er is niets vastgelegd of uitgegeven, of de cijfers zijn gefilterd (een budget geldt voor de hele gemeente)."
            ),
        };
        let wishes = figures.wishes.clone().unwrap_or_default();
        // Two groupings of the same wishes: one table each, with the same total row.
        let wish_table = |key: &'static str,
                          title: &str,
                          caption: String,
                          header: &str,
                          rows: Vec<(String, Figure)>| {
            Table {
            key,
            title: title.into(),
            caption,
            headers: vec![header.to_owned(), "Wensen".to_owned()],
            rows: rows
                .into_iter()
                .map(|(head, count)| Row {
                    head,
                    cells: vec![Cell::count(count)],
                })
                .collect(),
            total: figures.wishes.as_ref().map(|wishes| Row {
                head: "Alle wensen".to_owned(),
                cells: vec![Cell::count(wishes.total)],
            }),
            empty: if figures.wishes.is_none() {
                "Geen wensen om te tonen: de cijfers zijn gefilterd (een wens hoort bij geen wijk, leeftijd, kanaal of partner)."
            } else {
                "Er kwamen dit kwartaal geen wensen binnen."
            }
            .to_owned(),
        }
        };
        let wishes_table = wish_table(
            "wensen",
            "Wensen: wat mist er in het Kindpakket?",
            format!(
                "Wat kinderen, ouders en partners in {} lieten weten dat het pakket mist, per soort (via de pagina Wensen).",
                figures.quarter
            ),
            "Wat mist er",
            wishes
                .categories
                .iter()
                .map(|row| {
                    let label = crate::web::wishes::CATEGORIES
                        .iter()
                        .find(|(value, _)| *value == row.category)
                        .map_or_else(|| readable(&row.category), |(_, label)| (*label).to_owned());
                    (label, row.count)
                })
                .collect(),
        );
        let wish_sources_table = wish_table(
            "wensen-van",
            "Van wie de wensen kwamen",
            format!("De wensen van {} naar wie ze stuurde.", figures.quarter),
            "Van",
            wishes
                .sources
                .iter()
                .map(|row| (wish_source_label(&row.source), row.count))
                .collect(),
        );
        let outreach = figures.outreach.clone().unwrap_or_default();
        let outreach_table = Table {
            key: "nog-niet-bediend",
            title: "Toegekend, nog niet bediend".into(),
            caption: format!(
                "Aan het eind van {}: kinderen met een recht dat nog loopt die nog niets kregen, en het tegoed dat nog op de lopende rechten staat, per vervaldatum. Wat niet wordt gebruikt, vervalt: bereik deze gezinnen vóór de start van het schooljaar en vóór december, via de organisatie die de aanvraag opnam.{}",
                figures.quarter,
                if exact {
                    ""
                } else {
                    " Bedragen zijn afgerond op hele duizenden euro's."
                }
            ),
            headers: vec![
                "Vervalt op".to_owned(),
                "Kinderen nog niet bediend".to_owned(),
                "Tegoed".to_owned(),
            ],
            rows: outreach
                .dates
                .iter()
                .map(|row| Row {
                    head: crate::web::parts::date_text(&row.valid_until),
                    cells: vec![Cell::count(row.children), Cell::amount(row.credit_cents)],
                })
                .collect(),
            total: figures.outreach.as_ref().map(|outreach| Row {
                head: "Alle lopende rechten".to_owned(),
                cells: vec![
                    Cell::count(outreach.children),
                    Cell::amount(outreach.credit_cents),
                ],
            }),
            empty: if figures.outreach.is_none() {
                "Niet te tonen: de cijfers zijn gefilterd.".to_owned()
            } else {
                "Er lopen geen rechten meer.".to_owned()
            },
        };
        let campaigns_table = Table {
            key: "campagnes",
            title: "Herinneringscampagnes".into(),
            caption: format!(
                "De campagnes die regie startte tot het eind van {}, via de organisatie die de aanvraag opnam: de kinderen met een toegekend recht waaraan de campagne herinnerde, en hoeveel van hen sinds de start zijn bediend.",
                figures.quarter
            ),
            headers: vec![
                "Campagne".to_owned(),
                "Gestart op".to_owned(),
                "Kinderen herinnerd".to_owned(),
                "Bediend sindsdien".to_owned(),
                "Conversie (%)".to_owned(),
            ],
            rows: figures
                .campaigns
                .iter()
                .flatten()
                .map(|campaign| Row {
                    head: campaign.name.clone(),
                    cells: vec![
                        Cell {
                            text: crate::web::parts::date_text(&campaign.started_on),
                            csv: campaign.started_on.clone(),
                            hidden: false,
                        },
                        Cell::count(campaign.children),
                        Cell::count(campaign.served_since),
                        Cell::count(campaign.conversion_percent),
                    ],
                })
                .collect(),
            total: None,
            empty: if figures.campaigns.is_none() {
                "Niet te tonen: de cijfers zijn gefilterd.".to_owned()
            } else {
                "Er is nog geen campagne gestart.".to_owned()
            },
        };
        let lead_times_table = Table {
            key: "doorlooptijden",
            title: "Doorlooptijden".into(),
            caption: format!(
                "Dagen per traject, geteld in het kwartaal waarin het traject eindigde ({}).",
                figures.quarter
            ),
            headers: [
                "Traject",
                "Aantal",
                "Mediaan (dagen)",
                "90e percentiel (dagen)",
            ]
            .iter()
            .map(|header| (*header).to_owned())
            .collect(),
            rows: figures
                .lead_times
                .iter()
                .map(|row| Row {
                    head: path_label(&row.path),
                    cells: vec![
                        Cell::count(row.cases),
                        Cell::days(row.median_days),
                        Cell::days(row.p90_days),
                    ],
                })
                .collect(),
            total: None,
            empty: "Geen trajecten die in dit kwartaal eindigden.".into(),
        };
        let signallers_table = Table {
            key: "signaleerders",
            title: "Signaleerders".into(),
            caption: format!(
                "Signalen per organisatie in {}, en wat er (tot nu) van kwam.",
                figures.quarter
            ),
            headers: [
                "Organisatie",
                "Signalen",
                "Kind aangevraagd",
                "Kind bediend",
            ]
            .iter()
            .map(|header| (*header).to_owned())
            .collect(),
            rows: figures
                .signallers
                .iter()
                .map(|row| Row {
                    head: readable(&row.organisation),
                    cells: vec![
                        Cell::count(row.signals),
                        Cell::count(row.applied),
                        Cell::count(row.served),
                    ],
                })
                .collect(),
            total: None,
            empty: "Geen signalen in dit kwartaal.".into(),
        };
        let late_table = Table {
            key: "nagekomen",
            title: "Nagekomen".into(),
            caption: format!(
                "Feiten van eerdere kwartalen die binnenkwamen nadat die waren vastgesteld; ze tellen niet mee in die kwartalen, maar staan hier (in {}).",
                figures.quarter
            ),
            headers: std::iter::once("Nagekomen over".to_owned())
                .chain(steps.iter().cloned())
                .collect(),
            rows: figures
                .late
                .iter()
                .map(|row| Row {
                    head: format!("Nagekomen over {}", row.quarter),
                    cells: funnel_cells(&row.funnel),
                })
                .collect(),
            total: None,
            empty: "Er kwam niets na over eerdere kwartalen.".into(),
        };

        let funnel_chart = BarChart {
            key: "trechter",
            title: format!("Trechter {}", figures.quarter),
            description: format!(
                "Staafdiagram van de trechter in {}: {}. Dezelfde cijfers staan in de tabel eronder.",
                figures.quarter,
                figures
                    .funnel
                    .steps()
                    .iter()
                    .map(|(step, figure)| format!("{} {}", step.to_lowercase(), count_text(*figure)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            series: vec!["Kinderen".into()],
            groups: figures
                .funnel
                .steps()
                .iter()
                .map(|(step, figure)| Group {
                    label: (*step).to_owned(),
                    values: vec![*figure],
                })
                .collect(),
            unit: "aantal kinderen".into(),
        };
        let breakdown_chart = breakdown_table.as_ref().map(|table| BarChart {
            key: "indeling",
            title: format!("{} per {}", figures.quarter, breakdown_label_text.to_lowercase()),
            description: format!(
                "Staafdiagram van de trechter per {} in {}: per {} vier balken, gesignaleerd, aangevraagd, toegekend en bediend. {}. Dezelfde cijfers staan in de tabel eronder.",
                breakdown_label_text.to_lowercase(),
                figures.quarter,
                breakdown_label_text.to_lowercase(),
                table
                    .rows
                    .iter()
                    .map(|row| format!(
                        "{}: {}",
                        row.head,
                        row.cells.iter().take(STEPS.len()).map(|cell| cell.text.clone()).collect::<Vec<_>>().join(", ")
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            series: steps.clone(),
            groups: figures
                .rows
                .iter()
                .zip(&table.rows)
                .map(|(row, shown)| Group {
                    label: shown.head.clone(),
                    values: row.funnel.steps().iter().map(|(_, figure)| *figure).collect(),
                })
                .collect(),
            unit: "aantal kinderen".into(),
        });

        let usage = usage_text(figures);
        let reach = reach_text(figures);
        Self {
            quarter: figures.quarter.clone(),
            gemeente_name: gemeente_name.to_owned(),
            period: period(&figures.van, &figures.tot),
            established: if figures.established_at.is_empty() {
                String::new()
            } else {
                parts::date_text(&figures.established_at)
            },
            provisional: figures.voorlopig,
            exact,
            disclosure_note,
            summary,
            summary_note,
            usage,
            reach,
            breakdown,
            breakdown_label: breakdown_label_text,
            funnel_table,
            breakdown_table,
            partners_table,
            budgets_table,
            wishes_table,
            wish_sources_table,
            outreach_table,
            campaigns_table,
            lead_times_table,
            signallers_table,
            late_table,
            funnel_chart,
            breakdown_chart,
        }
    }

    /// Every table, in the page's order.
    pub fn tables(&self) -> Vec<&Table> {
        let mut tables = vec![&self.funnel_table];
        if let Some(table) = &self.breakdown_table {
            tables.push(table);
        }
        tables.extend([
            &self.partners_table,
            &self.budgets_table,
            &self.outreach_table,
            &self.campaigns_table,
            &self.wishes_table,
            &self.wish_sources_table,
            &self.lead_times_table,
            &self.signallers_table,
            &self.late_table,
        ]);
        tables
    }

    /// The table named `key`, if this view has it.
    pub fn table(&self, key: &str) -> Option<&Table> {
        self.tables().into_iter().find(|table| table.key == key)
    }

    /// The tables after the funnel and the breakdown (they come with their charts).
    pub fn other_tables(&self) -> Vec<&Table> {
        vec![
            &self.partners_table,
            &self.budgets_table,
            &self.outreach_table,
            &self.campaigns_table,
            &self.wishes_table,
            &self.wish_sources_table,
            &self.lead_times_table,
            &self.signallers_table,
            &self.late_table,
        ]
    }
}

/// "Gebruik: 67% (20 van de 30 kinderen in beeld …)".
fn usage_text(figures: &QuarterFigures) -> String {
    let usage = &figures.usage;
    let year = figures.tot.get(..4).unwrap_or("");
    let percentage = match usage.percentage {
        Figure::Shown(value) => format!("{}%", number(value.round())),
        Figure::Hidden => HIDDEN.to_owned(),
        Figure::Absent => "–".to_owned(),
    };
    format!(
        "Gebruik: {percentage}. Van de kinderen die in {year} tot en met het einde van dit kwartaal in beeld waren (toegekend: {}), zijn er {} minstens één keer bediend.",
        count_text(usage.in_view),
        count_text(usage.served),
    )
}

/// "Bereik: 2%. Voor 2026 verwacht de gemeente 900 kinderen …": the usage's children served
/// against the doelgroep regie set.
fn reach_text(figures: &QuarterFigures) -> String {
    let year = figures.tot.get(..4).unwrap_or("");
    let Some(group) = &figures.target_group else {
        return format!(
            "Bereik: niet te berekenen, want er is voor {year} geen doelgroep vastgesteld (hoeveel kinderen naar verwachting recht hebben op het kindpakket)."
        );
    };
    let percentage = match (group.percentage, figures.usage.served) {
        (Figure::Shown(value), _) => format!("{}%", number(value.round())),
        (_, Figure::Hidden) => HIDDEN.to_owned(),
        _ => "–".to_owned(),
    };
    format!(
        "Bereik: {percentage}. Voor {} verwacht de gemeente {} kinderen met recht op het kindpakket ({}); daarvan zijn er {} in {} tot en met het einde van dit kwartaal minstens één keer bediend.",
        group.year,
        number(group.children),
        target_group_source_label(&group.source),
        count_text(figures.usage.served),
        group.year,
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The example of docs/overleg.md: the overleg's view, by wijk.
    pub const OVERLEG_K4: &str = r#"{
      "gemeente": "GM0518",
      "kwartaal": "2026-K4", "van": "2026-10-01", "tot": "2026-12-31",
      "vastgesteldPer": "2027-01-15T00:00:00Z", "voorlopig": false,
      "openbaarheid": {"soort": "overleg", "drempel": 10, "afronding": 5},
      "trechter": {"gesignaleerd": 40, "aangevraagd": 30, "toegekend": 30, "bediend": 20},
      "gebruik": {"bediend": 20, "inBeeld": 30, "percentage": 67},
      "indeling": "wijk",
      "doelgroep": {"jaar": 2026, "bron": "cbs_schatting", "kinderen": 900, "bereikPercentage": 2},
      "rijen": [
        {"waarde": "WK051801", "gesignaleerd": 25, "aangevraagd": 20, "toegekend": 20, "bediend": 15,
         "bediendInJaar": 15, "verwacht": 500, "bereikPercentage": 3},
        {"waarde": "WK051802", "gesignaleerd": null, "aangevraagd": null, "toegekend": 0, "bediend": null,
         "bediendInJaar": null, "verwacht": 300, "bereikPercentage": null},
        {"waarde": "onbekend", "gesignaleerd": 10, "aangevraagd": null, "toegekend": 10, "bediend": null,
         "bediendInJaar": null, "verwacht": 100, "bereikPercentage": null},
        {"waarde": "WK051803", "gesignaleerd": 0, "aangevraagd": 0, "toegekend": 0, "bediend": 0,
         "bediendInJaar": 0, "verwacht": null, "bereikPercentage": null}
      ],
      "partners": [
        {"partner": "leergeld-den-haag", "naam": "Stichting Leergeld Den Haag", "doorverwezen": 15,
         "opTijdOpgepakt": 10, "aanvragen": 15, "maatwerk": 0, "bediend": 15, "verstrekkingen": 20,
         "bedragCent": 150000}
      ],
      "doorlooptijden": [
        {"traject": "signaal-aanvraag", "aantal": 20, "mediaanDagen": 3, "p90Dagen": 9},
        {"traject": "aanvraag-besluit", "aantal": 30, "mediaanDagen": 1, "p90Dagen": 4},
        {"traject": "aanvraag-verstrekking", "aantal": null, "mediaanDagen": null, "p90Dagen": null}
      ],
      "signaleerders": [
        {"organisatie": "wijkteam-centrum", "signalen": 25, "aangevraagd": 20, "bediend": 15}
      ],
      "nagekomen": [
        {"kwartaal": "2026-K3", "gesignaleerd": 0, "aangevraagd": null, "toegekend": 0, "bediend": 0}
      ],
      "budgetten": [
        {"bron": "rijksmiddelen", "toegewezen": 2500000, "vastgelegd": 900000, "uitgegeven": 700000,
         "prognose": 700000, "kinderen": 30},
        {"bron": "gemeentelijke_fondsen", "toegewezen": 1000000, "vastgelegd": null, "uitgegeven": null,
         "prognose": null, "kinderen": null},
        {"bron": "externe_fondsen", "toegewezen": 500000, "vastgelegd": null, "uitgegeven": null,
         "prognose": null, "kinderen": null}
      ],
      "wensen": {"totaal": 25,
                 "categorieen": [{"categorie": "zwemles", "aantal": 15}, {"categorie": "fiets", "aantal": null},
                                 {"categorie": "anders", "aantal": null}],
                 "van": [{"van": "kind", "aantal": 10}, {"van": "ouder", "aantal": 15}]},
      "nogNietBediend": {"kinderen": 20, "tegoedCent": 1500000,
                         "perVervaldatum": [{"vervaltOp": "2026-12-31", "kinderen": 20, "tegoedCent": 1200000},
                                            {"vervaltOp": "2027-07-31", "kinderen": 0, "tegoedCent": 300000}]}
    }"#;

    /// The quarter before, for the overleg: served hidden.
    pub const OVERLEG_K3: &str = r#"{
      "gemeente": "GM0518", "kwartaal": "2026-K3", "van": "2026-07-01", "tot": "2026-09-30",
      "vastgesteldPer": "2026-10-15T00:00:00Z", "voorlopig": false,
      "openbaarheid": {"soort": "overleg", "drempel": 10, "afronding": 5},
      "trechter": {"gesignaleerd": 30, "aangevraagd": 30, "toegekend": 15, "bediend": null},
      "gebruik": {"bediend": null, "inBeeld": 15, "percentage": null},
      "indeling": null, "rijen": [], "partners": [], "doorlooptijden": [], "signaleerders": [], "nagekomen": []
    }"#;

    /// Regie's view of the running quarter: exact, provisional, with a median of half a day.
    pub const REGIE_RUNNING: &str = r#"{
      "gemeente": "GM0518", "kwartaal": "2027-K1", "van": "2027-01-01", "tot": "2027-03-31",
      "vastgesteldPer": "2027-04-15T00:00:00Z", "voorlopig": true,
      "openbaarheid": {"soort": "exact"},
      "trechter": {"gesignaleerd": 3, "aangevraagd": 2, "toegekend": 2, "bediend": 1},
      "gebruik": {"bediend": 1, "inBeeld": 2, "percentage": 50},
      "indeling": "leeftijd",
      "rijen": [{"waarde": "4-11", "gesignaleerd": 2, "aangevraagd": 2, "toegekend": 2, "bediend": 1},
                {"waarde": "onbekend", "gesignaleerd": 1, "aangevraagd": 0, "toegekend": 0, "bediend": 0}],
      "partners": [{"partner": "jeugdfonds-sport-cultuur", "bediend": 1, "verstrekkingen": 1, "bedragCent": 18000}],
      "doorlooptijden": [{"traject": "aanvraag-besluit", "aantal": 2, "mediaanDagen": 0.5, "p90Dagen": 1}],
      "signaleerders": [], "nagekomen": []
    }"#;

    pub fn figures(json: &str) -> QuarterFigures {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_overlegs_view_says_verborgen_and_explains_it_once() {
        let k4 = figures(OVERLEG_K4);
        let view = QuarterView::new(&k4, Some(&figures(OVERLEG_K3)), "Den Haag");
        assert!(!view.exact);
        assert!(
            view.disclosure_note
                .contains("Aantallen onder de 10 zijn verborgen"),
            "{}",
            view.disclosure_note
        );
        assert!(view.disclosure_note.contains("afgerond op 5"));
        assert_eq!(view.established, "15 januari 2027");
        assert_eq!(view.period, "1 oktober tot en met 31 december 2026");
        let breakdown = view.breakdown_table.as_ref().unwrap();
        assert_eq!(breakdown.headers[0], "Wijk");
        assert_eq!(breakdown.rows[1].head, "WK051802");
        let texts: Vec<&str> = breakdown.rows[1]
            .cells
            .iter()
            .map(|c| c.text.as_str())
            .collect();
        assert_eq!(texts[..4], ["verborgen", "verborgen", "0", "verborgen"]);
        assert_eq!(breakdown.rows[2].head, "Onbekend");
        let total: Vec<&str> = breakdown
            .total
            .as_ref()
            .unwrap()
            .cells
            .iter()
            .map(|c| c.text.as_str())
            .collect();
        assert_eq!(total[..4], ["40", "30", "30", "20"]);
        assert_eq!(
            view.partners_table.rows[0].head,
            "Stichting Leergeld Den Haag"
        );
        assert_eq!(view.partners_table.rows[0].cells[6].text, "€ 1.500,00");
        assert_eq!(
            view.lead_times_table.rows[2].head,
            "Van aanvraag tot eerste verstrekking"
        );
        assert!(view.lead_times_table.rows[2]
            .cells
            .iter()
            .all(|cell| cell.hidden));
        assert_eq!(view.late_table.rows[0].head, "Nagekomen over 2026-K3");
        assert!(view.usage.starts_with("Gebruik: 67%."), "{}", view.usage);
        assert!(view
            .breakdown_chart
            .as_ref()
            .unwrap()
            .description
            .contains("WK051802: verborgen, verborgen, 0, verborgen"));
    }

    #[test]
    fn regie_reads_exact_provisional_figures() {
        let view = QuarterView::new(&figures(REGIE_RUNNING), None, "Den Haag");
        assert!(view.exact && view.provisional);
        assert!(view.disclosure_note.is_empty());
        let breakdown = view.breakdown_table.as_ref().unwrap();
        assert_eq!(breakdown.rows[0].head, "4 tot en met 11 jaar");
        assert_eq!(view.lead_times_table.rows[0].cells[1].text, "0,5");
        assert_eq!(view.lead_times_table.rows[0].cells[1].csv, "0,5");
        // A partner without a name in the answer gets its code made readable.
        assert_eq!(view.partners_table.rows[0].head, "Jeugdfonds sport cultuur");
        // A figure the answer left out is no hidden one.
        assert_eq!(view.partners_table.rows[0].cells[0].text, "–");
        assert!(!view.partners_table.rows[0].cells[0].hidden);
    }

    fn csv_text(table: &Table) -> String {
        String::from_utf8(super::super::csv::csv(table)).unwrap()
    }

    fn texts(cells: &[Cell]) -> Vec<&str> {
        cells.iter().map(|cell| cell.text.as_str()).collect()
    }

    #[test]
    fn granted_children_not_yet_served_and_credit_left_read_per_expiry_date() {
        let view = QuarterView::new(&figures(OVERLEG_K4), None, "Den Haag");
        let table = &view.outreach_table;
        assert_eq!(table.rows[0].head, "31 december 2026");
        assert_eq!(texts(&table.rows[0].cells), ["20", "€ 12.000,00"]);
        assert_eq!(
            texts(&table.total.as_ref().unwrap().cells),
            ["20", "€ 15.000,00"]
        );
        assert!(table.caption.contains("hele duizenden"));
        assert!(csv_text(view.table("nog-niet-bediend").unwrap())
            .contains("31 december 2026;20;12000,00"));
    }

    #[test]
    fn the_wishes_are_grouped_by_what_is_missed_and_by_whom_with_hidden_counts_hidden() {
        let view = QuarterView::new(&figures(OVERLEG_K4), None, "Den Haag");
        let wishes = &view.wishes_table;
        assert_eq!(wishes.rows[0].head, "Zwemles voor een zwemdiploma");
        assert_eq!(texts(&wishes.rows[0].cells), ["15"]);
        assert!(wishes.rows[1].cells[0].hidden, "fiets: verborgen");
        assert_eq!(wishes.rows[1].cells[0].csv, "verborgen");
        assert_eq!(texts(&wishes.total.as_ref().unwrap().cells), ["25"]);
        let from = &view.wish_sources_table;
        assert_eq!(from.rows[0].head, "Het kind zelf");
        assert_eq!(texts(&from.rows[1].cells), ["15"]);
        assert!(view.table("wensen").is_some() && view.table("wensen-van").is_some());
        assert!(view.other_tables().iter().any(|t| t.key == "wensen"));
        assert!(
            csv_text(view.table("wensen").unwrap()).contains("Zwemles voor een zwemdiploma;15"),
            "{}",
            csv_text(view.table("wensen").unwrap())
        );
        // A report regie filtered has none: said so, not an empty table without a word.
        let mut filtered = figures(OVERLEG_K4);
        filtered.wishes = None;
        let view = QuarterView::new(&filtered, None, "Den Haag");
        assert!(view.wishes_table.is_empty());
        assert!(view.wishes_table.empty.contains("gefilterd"));
    }

    #[test]
    fn the_budgets_show_the_allocation_and_hide_what_the_overleg_may_not_see() {
        let view = QuarterView::new(&figures(OVERLEG_K4), None, "Den Haag");
        let budgets = &view.budgets_table;
        assert_eq!(
            budgets.headers,
            [
                "Bron",
                "Toegewezen",
                "Vastgelegd",
                "Uitgegeven",
                "Prognose eind van het jaar",
                "Kinderen"
            ]
        );
        assert_eq!(budgets.rows[0].head, "Rijksmiddelen");
        assert_eq!(
            texts(&budgets.rows[0].cells),
            [
                "€ 25.000,00",
                "€ 9.000,00",
                "€ 7.000,00",
                "€ 7.000,00",
                "30"
            ]
        );
        assert_eq!(budgets.rows[0].cells[0].csv, "25000,00");
        assert_eq!(budgets.rows[1].head, "Gemeentelijke fondsen");
        // What the regeling allocated is public; the rest of a hidden source is hidden with it.
        assert_eq!(
            texts(&budgets.rows[1].cells),
            [
                "€ 10.000,00",
                "verborgen",
                "verborgen",
                "verborgen",
                "verborgen"
            ]
        );
        assert!(!budgets.rows[1].cells[0].hidden);
        assert!(budgets.rows[1].cells[1..].iter().all(|cell| cell.hidden));
        assert_eq!(budgets.rows[1].cells[4].csv, "verborgen");
        assert!(budgets.caption.contains("hele duizenden"));
        assert_eq!(view.table("budgetten").unwrap().rows.len(), 3);
        assert!(view.other_tables().iter().any(|t| t.key == "budgetten"));
    }

    #[test]
    fn reach_is_shown_per_wijk_and_in_total_and_hidden_with_its_count() {
        let view = QuarterView::new(&figures(OVERLEG_K4), None, "Den Haag");
        assert!(
            view.reach
                .starts_with("Bereik: 2%. Voor 2026 verwacht de gemeente 900 kinderen"),
            "{}",
            view.reach
        );
        assert!(
            view.reach.contains("een schatting van het CBS"),
            "{}",
            view.reach
        );
        assert!(view.reach.contains("daarvan zijn er 20"), "{}", view.reach);
        let breakdown = view.breakdown_table.as_ref().unwrap();
        assert_eq!(
            breakdown.headers[5..],
            ["Verwacht", "Bediend in het jaar", "Bereik %"]
        );
        assert_eq!(texts(&breakdown.rows[0].cells[4..]), ["500", "15", "3"]);
        // The estimate is exact; the count and its reach are hidden together.
        assert_eq!(
            texts(&breakdown.rows[1].cells[4..]),
            ["300", "verborgen", "verborgen"]
        );
        // A wijk without an estimate: no figure, and no hidden one either.
        assert_eq!(breakdown.rows[3].head, "WK051803");
        assert_eq!(texts(&breakdown.rows[3].cells[4..]), ["–", "0", "–"]);
        assert!(breakdown.rows[3].cells.iter().all(|cell| !cell.hidden));
        assert_eq!(breakdown.rows[3].cells[4].csv, "");
        let total = breakdown.total.as_ref().unwrap();
        assert_eq!(texts(&total.cells[4..]), ["900", "20", "2"]);
        // The chart's description names the funnel's four figures per row, not the reach.
        assert!(view
            .breakdown_chart
            .as_ref()
            .unwrap()
            .description
            .contains("WK051801: 25, 20, 20, 15;"));
    }

    #[test]
    fn without_a_doelgroep_reach_is_not_computed_and_a_breakdown_without_reach_has_no_columns() {
        let mut json: serde_json::Value = serde_json::from_str(OVERLEG_K4).unwrap();
        json["doelgroep"] = serde_json::Value::Null;
        for row in json["rijen"].as_array_mut().unwrap() {
            row["verwacht"] = serde_json::Value::Null;
            row["bereikPercentage"] = serde_json::Value::Null;
        }
        let view = QuarterView::new(&serde_json::from_value(json).unwrap(), None, "Den Haag");
        assert!(
            view.reach
                .starts_with("Bereik: niet te berekenen, want er is voor 2026 geen doelgroep"),
            "{}",
            view.reach
        );
        let breakdown = view.breakdown_table.as_ref().unwrap();
        assert_eq!(texts(&breakdown.rows[0].cells[4..]), ["–", "15", "–"]);
        assert_eq!(
            texts(&breakdown.total.as_ref().unwrap().cells[4..]),
            ["–", "20", "–"]
        );

        // Regie's breakdown without reach in the answer (an older answer): the funnel only, and
        // no budgets to show.
        let view = QuarterView::new(&figures(REGIE_RUNNING), None, "Den Haag");
        let breakdown = view.breakdown_table.as_ref().unwrap();
        assert_eq!(breakdown.headers.len(), 5);
        assert_eq!(breakdown.rows[0].cells.len(), 4);
        assert!(view.budgets_table.rows.is_empty());
        assert!(view.budgets_table.empty.starts_with("Geen budgetten"));
    }

    #[test]
    fn numbers_are_written_the_dutch_way() {
        assert_eq!(number(1250.0), "1.250");
        assert_eq!(number(1_000_000.0), "1.000.000");
        assert_eq!(number(5.0), "5");
        assert_eq!(number(2.5), "2,5");
        assert_eq!(number(-1250.0), "-1.250");
    }
}
