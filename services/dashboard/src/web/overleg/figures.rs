//! The quarterly figures as the dashboard's API answers them (docs/overleg.md, "API"), read into
//! the pages' own types: the pages depend on the documented JSON, not on the projection's code. A
//! field the answer leaves out takes its default, so an answer with more (or fewer) parts still
//! shows what it has.

use serde::{Deserialize, Deserializer};

/// One figure: a number, hidden by the disclosure policy (`null`), or not in the answer at all.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Figure {
    /// Not in the answer (an older or newer API): shown as a dash, never as "verborgen".
    #[default]
    Absent,
    /// `null`: hidden for the overleg (a count from 1 to the threshold, or a second cell hidden so
    /// that the first cannot be worked out).
    Hidden,
    Shown(f64),
}

impl<'de> Deserialize<'de> for Figure {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<f64>::deserialize(deserializer)? {
            Some(value) => Figure::Shown(value),
            None => Figure::Hidden,
        })
    }
}

impl Figure {
    pub fn value(self) -> Option<f64> {
        match self {
            Figure::Shown(value) => Some(value),
            _ => None,
        }
    }

    pub fn is_hidden(self) -> bool {
        self == Figure::Hidden
    }
}

impl From<Option<f64>> for Figure {
    fn from(value: Option<f64>) -> Self {
        value.map_or(Figure::Hidden, Figure::Shown)
    }
}

/// `GET /api/v1/gemeenten/{gemeente}/kwartalen`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Quarters {
    #[serde(rename = "kwartalen")]
    pub quarters: Vec<QuarterEntry>,
}

/// A quarter with figures, in the list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QuarterEntry {
    #[serde(rename = "kwartaal")]
    pub quarter: String,
    pub van: String,
    pub tot: String,
    #[serde(rename = "vastgesteldPer")]
    pub established_at: String,
    pub voorlopig: bool,
}

/// `GET /api/v1/gemeenten/{gemeente}/kwartalen/{kwartaal}?indeling=…`: one quarter's figures.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QuarterFigures {
    pub gemeente: String,
    #[serde(rename = "kwartaal")]
    pub quarter: String,
    pub van: String,
    pub tot: String,
    #[serde(rename = "vastgesteldPer")]
    pub established_at: String,
    pub voorlopig: bool,
    #[serde(rename = "openbaarheid")]
    pub disclosure: Disclosure,
    #[serde(rename = "trechter")]
    pub funnel: Funnel,
    #[serde(rename = "gebruik")]
    pub usage: Usage,
    #[serde(rename = "indeling")]
    pub breakdown: Option<String>,
    #[serde(rename = "rijen")]
    pub rows: Vec<BreakdownRow>,
    pub partners: Vec<PartnerRow>,
    #[serde(rename = "doorlooptijden")]
    pub lead_times: Vec<LeadTime>,
    #[serde(rename = "signaleerders")]
    pub signallers: Vec<SignallerRow>,
    #[serde(rename = "nagekomen")]
    pub late: Vec<LateRow>,
    /// The year's expected children and reach in total; `None` when regie set no doelgroep (or the
    /// answer has none).
    #[serde(rename = "doelgroep")]
    pub target_group: Option<TargetGroup>,
    /// Per funding source; empty in a report regie filtered (a budget is the whole gemeente's).
    #[serde(rename = "budgetten")]
    pub budgets: Vec<BudgetRow>,
    /// What the package lacks, as sent in the quarter; absent in a report regie filtered.
    #[serde(rename = "wensen")]
    pub wishes: Option<Wishes>,
    /// Granted, not yet served, and the credit that would expire unused; absent when filtered.
    #[serde(rename = "nogNietBediend")]
    pub outreach: Option<Outreach>,
    /// The reminder campaigns started by the quarter's end; absent when filtered.
    #[serde(rename = "campagnes")]
    pub campaigns: Option<Vec<Campaign>>,
}

/// One reminder campaign: the children it reminded and of them those served since its start.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Campaign {
    #[serde(rename = "naam")]
    pub name: String,
    #[serde(rename = "gestartOp")]
    pub started_on: String,
    #[serde(rename = "kinderen")]
    pub children: Figure,
    #[serde(rename = "bediendSindsdien")]
    pub served_since: Figure,
    #[serde(rename = "conversiePercentage")]
    pub conversion_percent: Figure,
}

/// Granted children not yet served at the quarter's end, and what is left on running entitlements.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Outreach {
    #[serde(rename = "kinderen")]
    pub children: Figure,
    #[serde(rename = "tegoedCent")]
    pub credit_cents: Figure,
    #[serde(rename = "perVervaldatum")]
    pub dates: Vec<OutreachDate>,
}

/// The running entitlements that expire on one day.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OutreachDate {
    #[serde(rename = "vervaltOp")]
    pub valid_until: String,
    #[serde(rename = "kinderen")]
    pub children: Figure,
    #[serde(rename = "tegoedCent")]
    pub credit_cents: Figure,
}

/// The wishes of the quarter, grouped by category and by whom they came from.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Wishes {
    #[serde(rename = "totaal")]
    pub total: Figure,
    #[serde(rename = "categorieen")]
    pub categories: Vec<WishCount>,
    #[serde(rename = "van")]
    pub sources: Vec<WishSource>,
}

/// Wishes of one category.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WishCount {
    #[serde(rename = "categorie")]
    pub category: String,
    #[serde(rename = "aantal")]
    pub count: Figure,
}

/// Wishes from one kind of sender.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WishSource {
    #[serde(rename = "van")]
    pub source: String,
    #[serde(rename = "aantal")]
    pub count: Figure,
}

/// The doelgroep of the quarter's year: children expected (an estimate, shown exactly) and reach.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TargetGroup {
    #[serde(rename = "jaar")]
    pub year: i32,
    /// `eigen_inkomensgegevens` or `cbs_schatting`.
    #[serde(rename = "bron")]
    pub source: String,
    #[serde(rename = "kinderen")]
    pub children: f64,
    /// `null`: the children served are hidden (or nothing is expected).
    #[serde(rename = "bereikPercentage")]
    pub percentage: Figure,
}

/// The columns reach adds to a row of the breakdown by wijk or by age band.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(default)]
pub struct RowReach {
    /// Children served in the year up to the quarter's end (`null`: hidden).
    #[serde(rename = "bediendInJaar")]
    pub served_in_year: Figure,
    /// Children the doelgroep expects: exact; `null` means no estimate for this value, never hidden.
    #[serde(rename = "verwacht", deserialize_with = "estimate")]
    pub expected: Option<f64>,
    /// `null` where the count is hidden or there is no estimate.
    #[serde(rename = "bereikPercentage")]
    pub percentage: Figure,
}

fn estimate<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    Option::<f64>::deserialize(deserializer)
}

impl RowReach {
    /// Whether the answer has reach for this row at all (only the breakdowns by wijk and leeftijd).
    pub fn is_present(&self) -> bool {
        self.served_in_year != Figure::Absent
    }

    /// The reach as the page may show it: hidden with its count; without an estimate no figure
    /// (a dash), never "verborgen".
    pub fn percentage_shown(&self) -> Figure {
        match (self.percentage, self.served_in_year, self.expected) {
            (Figure::Shown(value), _, _) => Figure::Shown(value),
            (_, Figure::Hidden, _) => Figure::Hidden,
            _ => Figure::Absent,
        }
    }
}

/// One funding source of the quarter's year, amounts in cents (`null`: hidden).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BudgetRow {
    /// `rijksmiddelen`, `gemeentelijke_fondsen`, `externe_fondsen`, `private_partijen`.
    #[serde(rename = "bron")]
    pub source: String,
    /// A public decision: never hidden.
    #[serde(rename = "toegewezen")]
    pub allocated_cents: Figure,
    #[serde(rename = "vastgelegd")]
    pub committed_cents: Figure,
    #[serde(rename = "uitgegeven")]
    pub spent_cents: Figure,
    #[serde(rename = "prognose")]
    pub projected_cents: Figure,
    #[serde(rename = "kinderen")]
    pub children: Figure,
}

/// Which policy the figures went through: `exact` (regie, the auditor) or `overleg`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Disclosure {
    #[serde(rename = "soort")]
    pub kind: String,
    /// Counts from 1 up to this number are hidden.
    #[serde(rename = "drempel")]
    pub threshold: Option<i64>,
    /// Counts shown are rounded to a multiple of this.
    #[serde(rename = "afronding")]
    pub rounding: Option<i64>,
}

impl Disclosure {
    /// Whether the figures are exact (nothing hidden or rounded).
    pub fn is_exact(&self) -> bool {
        self.kind == "exact"
    }
}

/// Children per step of the funnel.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(default)]
pub struct Funnel {
    #[serde(rename = "gesignaleerd")]
    pub signalled: Figure,
    #[serde(rename = "aangevraagd")]
    pub applied: Figure,
    #[serde(rename = "toegekend")]
    pub granted: Figure,
    #[serde(rename = "bediend")]
    pub served: Figure,
}

impl Funnel {
    /// The steps in order, with their Dutch names.
    pub fn steps(&self) -> [(&'static str, Figure); 4] {
        [
            ("Gesignaleerd", self.signalled),
            ("Aangevraagd", self.applied),
            ("Toegekend", self.granted),
            ("Bediend", self.served),
        ]
    }
}

/// Children served in the calendar year so far against children in view, in percent.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(default)]
pub struct Usage {
    #[serde(rename = "bediend")]
    pub served: Figure,
    #[serde(rename = "inBeeld")]
    pub in_view: Figure,
    pub percentage: Figure,
}

/// The funnel of one value of the breakdown.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BreakdownRow {
    #[serde(rename = "waarde")]
    pub value: String,
    #[serde(flatten)]
    pub funnel: Funnel,
    #[serde(flatten)]
    pub reach: RowReach,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PartnerRow {
    pub partner: String,
    #[serde(rename = "naam")]
    pub name: Option<String>,
    #[serde(rename = "doorverwezen")]
    pub referred: Figure,
    #[serde(rename = "opTijdOpgepakt")]
    pub picked_up_in_time: Figure,
    #[serde(rename = "aanvragen")]
    pub applications: Figure,
    #[serde(rename = "maatwerk")]
    pub custom_decisions: Figure,
    #[serde(rename = "bediend")]
    pub served: Figure,
    #[serde(rename = "verstrekkingen")]
    pub deliveries: Figure,
    #[serde(rename = "bedragCent")]
    pub amount_cents: Figure,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LeadTime {
    #[serde(rename = "traject")]
    pub path: String,
    #[serde(rename = "aantal")]
    pub cases: Figure,
    #[serde(rename = "mediaanDagen")]
    pub median_days: Figure,
    #[serde(rename = "p90Dagen")]
    pub p90_days: Figure,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SignallerRow {
    #[serde(rename = "organisatie")]
    pub organisation: String,
    #[serde(rename = "signalen")]
    pub signals: Figure,
    #[serde(rename = "aangevraagd")]
    pub applied: Figure,
    #[serde(rename = "bediend")]
    pub served: Figure,
}

/// Facts of an earlier quarter that arrived after it was established.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LateRow {
    #[serde(rename = "kwartaal")]
    pub quarter: String,
    #[serde(flatten)]
    pub funnel: Funnel,
}

/// A quarter's name, `2026-K4`: the year and the quarter's number (1 to 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct QuarterName {
    pub year: i32,
    pub number: u8,
}

impl QuarterName {
    /// Reads `2026-K4`; `None` for anything else (the name goes into an API path: nothing else
    /// passes).
    pub fn parse(text: &str) -> Option<Self> {
        let (year, number) = text.split_once("-K")?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) || number.len() != 1 {
            return None;
        }
        let number: u8 = number.parse().ok()?;
        (1..=4).contains(&number).then_some(Self {
            year: year.parse().ok()?,
            number,
        })
    }

    /// The quarter a date falls in.
    pub fn of(date: time::Date) -> Self {
        Self {
            year: date.year(),
            number: (u8::from(date.month()) - 1) / 3 + 1,
        }
    }

    /// The quarter before.
    pub fn previous(self) -> Self {
        if self.number == 1 {
            Self {
                year: self.year - 1,
                number: 4,
            }
        } else {
            Self {
                year: self.year,
                number: self.number - 1,
            }
        }
    }
}

impl std::fmt::Display for QuarterName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-K{}", self.year, self.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hidden_figure_is_null_and_an_absent_one_is_left_out() {
        let funnel: Funnel =
            serde_json::from_str(r#"{"gesignaleerd": 40, "aangevraagd": null}"#).unwrap();
        assert_eq!(funnel.signalled, Figure::Shown(40.0));
        assert_eq!(funnel.applied, Figure::Hidden);
        assert_eq!(funnel.granted, Figure::Absent);
    }

    #[test]
    fn only_a_quarters_own_name_is_read() {
        assert_eq!(
            QuarterName::parse("2026-K4"),
            Some(QuarterName {
                year: 2026,
                number: 4
            })
        );
        for wrong in [
            "2026-K5",
            "2026-K0",
            "26-K4",
            "2026K4",
            "2026-K4/../x",
            "",
            "2026-K44",
        ] {
            assert_eq!(QuarterName::parse(wrong), None, "{wrong}");
        }
        let first = QuarterName::parse("2027-K1").unwrap();
        assert_eq!(first.previous().to_string(), "2026-K4");
        assert_eq!(
            QuarterName::of(time::macros::date!(2026 - 11 - 30)).to_string(),
            "2026-K4"
        );
    }
}
