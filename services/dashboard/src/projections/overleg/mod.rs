//! The quarterly overleg's figures (`docs/overleg.md`): per gemeente and quarter, as of the moment
//! the quarter is established, through the reader's disclosure [`Policy`]. [`queries`] counts the
//! read model into a [`queries::QuarterTally`]; [`figures`] turns it into what a reader may see;
//! [`reach`] adds the children served against the doelgroep regie expects.

pub mod budgets;
pub mod campaigns;
pub mod disclosure;
pub mod outreach;
pub mod quarter;
pub mod queries;
pub mod reach;
pub mod wishes;

use kindpakket_proto::GemeenteCode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::{Date, OffsetDateTime};

pub use disclosure::{Openness, Policy, Settings};
pub use quarter::Quarter;

use crate::projections::funnel::StepTally;
use disclosure::{percentage, Relation};
use queries::QuarterTally;

/// A dimension the figures break down by (one at a time for the overleg).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub enum Breakdown {
    #[serde(rename = "wijk")]
    Wijk,
    #[serde(rename = "leeftijd")]
    AgeBand,
    #[serde(rename = "kanaal")]
    Channel,
    #[serde(rename = "voorziening")]
    ProvisionType,
    #[serde(rename = "partner")]
    Partner,
}

impl Breakdown {
    pub const ALL: [Breakdown; 5] = [
        Breakdown::Wijk,
        Breakdown::AgeBand,
        Breakdown::Channel,
        Breakdown::ProvisionType,
        Breakdown::Partner,
    ];

    /// Its Dutch name, as in a query string.
    pub fn name(self) -> &'static str {
        match self {
            Breakdown::Wijk => "wijk",
            Breakdown::AgeBand => "leeftijd",
            Breakdown::Channel => "kanaal",
            Breakdown::ProvisionType => "voorziening",
            Breakdown::Partner => "partner",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.name() == name)
    }
}

/// A provision type as the read model keeps it (the contract's word, `participation`) in the
/// Dutch of every API (`maatschappelijke_participatie`); other values (`onbekend`, `pakket`) as
/// they are.
pub fn provision_type_in_dutch(word: &str) -> String {
    use kindpakket_platform::http::vocabulary::ProvisionTypeDto;
    use kindpakket_proto::regie::ProvisionType;
    serde_json::from_value::<ProvisionType>(serde_json::Value::from(word))
        .ok()
        .and_then(|kind| serde_json::to_value(ProvisionTypeDto::from(kind)).ok())
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_else(|| word.to_owned())
}

/// The reverse of [`provision_type_in_dutch`], for a filter.
pub fn provision_type_from_dutch(word: &str) -> String {
    use kindpakket_platform::http::vocabulary::ProvisionTypeDto;
    use kindpakket_proto::regie::ProvisionType;
    serde_json::from_value::<ProvisionTypeDto>(serde_json::Value::from(word))
        .ok()
        .and_then(|dto| serde_json::to_value(ProvisionType::from(dto)).ok())
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_else(|| word.to_owned())
}

/// Restrictions of the whole report to one value per dimension (regie and the auditor only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub wijk: Option<String>,
    pub age_band: Option<String>,
    pub channel: Option<String>,
    pub provision_type: Option<String>,
    pub partner: Option<String>,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The four steps, in children, as the reader may see them (`null`: hidden).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Steps {
    #[serde(rename = "gesignaleerd")]
    pub signalled: Option<i64>,
    #[serde(rename = "aangevraagd")]
    pub applied: Option<i64>,
    #[serde(rename = "toegekend")]
    pub granted: Option<i64>,
    #[serde(rename = "bediend")]
    pub served: Option<i64>,
}

impl Steps {
    fn disclose(policy: Policy, tally: &StepTally) -> Self {
        Self {
            signalled: policy.count(tally.signalled),
            applied: policy.count(tally.applied),
            granted: policy.count(tally.granted),
            served: policy.count(tally.served),
        }
    }
}

/// Children served at least once in the year up to the quarter's end, against children in view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Usage {
    #[serde(rename = "bediend")]
    pub served: Option<i64>,
    #[serde(rename = "inBeeld")]
    pub in_view: Option<i64>,
    /// From the counts as shown.
    pub percentage: Option<i64>,
}

/// One row of a breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Row {
    #[serde(rename = "waarde")]
    pub value: String,
    #[serde(flatten)]
    pub steps: Steps,
    /// In the breakdowns by wijk and by age band: children served in the year and expected.
    #[serde(flatten)]
    pub reach: Option<reach::RowReach>,
}

/// One partner's quarter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PartnerRow {
    pub partner: String,
    #[serde(rename = "naam")]
    pub name: String,
    /// Children referred to it: its row of the breakdown by partner, step signalled.
    #[serde(rename = "doorverwezen")]
    pub referred: Option<i64>,
    /// Signals referred to it that it picked up by the due date; hidden with the children referred.
    #[serde(rename = "opTijdOpgepakt")]
    pub picked_up_in_time: Option<i64>,
    /// Children in the applications it took on a family's behalf: its row of the breakdown by
    /// partner, step applied.
    #[serde(rename = "aanvragen")]
    pub applications_taken: Option<i64>,
    /// Granted under its mandate (maatwerk).
    #[serde(rename = "maatwerk")]
    pub custom_decisions: Option<i64>,
    /// Children it served: the same figure as its row of the breakdown by partner.
    #[serde(rename = "bediend")]
    pub children_served: Option<i64>,
    /// Deliveries, redemptions and approved declarations; hidden with the children served.
    #[serde(rename = "verstrekkingen")]
    pub deliveries: Option<i64>,
    /// What they were worth; hidden with the children served.
    #[serde(rename = "bedragCent")]
    pub amount_cents: Option<i64>,
}

/// One lead time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LeadTime {
    /// `signaal-aanvraag`, `aanvraag-besluit` or `aanvraag-verstrekking`.
    #[serde(rename = "traject")]
    pub route: String,
    #[serde(rename = "aantal")]
    pub cases: Option<i64>,
    #[serde(rename = "mediaanDagen")]
    pub median_days: Option<i64>,
    #[serde(rename = "p90Dagen")]
    pub p90_days: Option<i64>,
}

/// One signalling organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SignallerRow {
    #[serde(rename = "organisatie")]
    pub signaller: String,
    #[serde(rename = "signalen")]
    pub signals: Option<i64>,
    /// Signals the child was applied for after.
    #[serde(rename = "aangevraagd")]
    pub applied: Option<i64>,
    /// Signals the child was served after.
    #[serde(rename = "bediend")]
    pub served: Option<i64>,
}

/// Facts of an earlier quarter that arrived after it was established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LateRow {
    #[serde(rename = "kwartaal")]
    pub quarter: String,
    #[serde(flatten)]
    pub steps: Steps,
}

/// One gemeente's quarter as a reader may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct QuarterFigures {
    pub gemeente: GemeenteCode,
    #[serde(rename = "kwartaal")]
    pub quarter: String,
    #[serde(rename = "van")]
    #[schemars(with = "String")]
    pub from: Date,
    #[serde(rename = "tot")]
    #[schemars(with = "String")]
    pub to: Date,
    /// The moment the figures are as of: when the quarter is established, or now while it runs.
    #[serde(rename = "vastgesteldPer", with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub as_of: OffsetDateTime,
    /// The quarter runs (regie and the auditor only): the figures may still change.
    #[serde(rename = "voorlopig")]
    pub provisional: bool,
    #[serde(rename = "openbaarheid")]
    pub openness: Openness,
    #[serde(rename = "trechter")]
    pub funnel: Steps,
    #[serde(rename = "gebruik")]
    pub usage: Usage,
    /// The children regie expects to be eligible in the quarter's year, and reach in total; `null`
    /// when regie set none for that year.
    #[serde(rename = "doelgroep")]
    pub target_group: Option<reach::TargetGroupFigures>,
    #[serde(rename = "indeling")]
    pub breakdown: Option<Breakdown>,
    #[serde(rename = "rijen")]
    pub rows: Vec<Row>,
    pub partners: Vec<PartnerRow>,
    #[serde(rename = "doorlooptijden")]
    pub lead_times: Vec<LeadTime>,
    #[serde(rename = "signaleerders")]
    pub signallers: Vec<SignallerRow>,
    #[serde(rename = "nagekomen")]
    pub late: Vec<LateRow>,
    /// Per funding source of the quarter's year: allocated, committed, spent, projected, and the
    /// children behind it ([`budgets`]). Empty when regie filters the report (a budget is the whole
    /// gemeente's).
    #[serde(rename = "budgetten")]
    pub budgets: Vec<budgets::BudgetRow>,
    /// The wishes sent in, dated in the quarter: in total, per category and per source
    /// ([`wishes`]). `null` when regie filters the report (a wish has no wijk, age band or
    /// channel).
    #[serde(rename = "wensen")]
    pub wishes: Option<wishes::WishFigures>,
    /// Granted and not yet used at the quarter's end, and the credit that would expire unused;
    /// absent in a report regie filtered.
    #[serde(rename = "nogNietBediend")]
    pub outreach: Option<outreach::OutreachFigures>,
    /// The reminder campaigns started by the quarter's end, each with the children it reminded and
    /// of them those served since ([`campaigns`]); absent in a report regie filtered.
    #[serde(rename = "campagnes")]
    pub campaigns: Option<Vec<campaigns::CampaignFigures>>,
}

/// The rows of a breakdown with its secondary suppression, step by step.
pub(crate) fn breakdown_rows(
    policy: Policy,
    total: &StepTally,
    rows: &[(String, StepTally)],
) -> Vec<Row> {
    let column = |of: fn(&StepTally) -> i64| {
        policy.protect_breakdown(&Relation {
            total: of(total),
            parts: rows.iter().map(|(_, steps)| of(steps)).collect(),
        })
    };
    let signalled = column(|s| s.signalled);
    let applied = column(|s| s.applied);
    let granted = column(|s| s.granted);
    let served = column(|s| s.served);
    rows.iter()
        .enumerate()
        .map(|(i, (value, _))| Row {
            value: value.clone(),
            steps: Steps {
                signalled: signalled[i],
                applied: applied[i],
                granted: granted[i],
                served: served[i],
            },
            reach: None,
        })
        .collect()
}

/// A quarter's tallies as `policy` discloses them.
#[allow(clippy::too_many_arguments)]
pub fn figures(
    policy: Policy,
    gemeente: GemeenteCode,
    quarter: Quarter,
    as_of: OffsetDateTime,
    provisional: bool,
    breakdown: Option<Breakdown>,
    tally: &QuarterTally,
) -> QuarterFigures {
    let rows_of = |breakdown: Breakdown| {
        tally
            .breakdowns
            .get(&breakdown)
            .map(|rows| breakdown_rows(policy, &tally.funnel, rows))
            .unwrap_or_default()
    };
    // A partner's children referred, applied for through it and served are its row of the
    // breakdown by partner: one cell each, disclosed once, so that a cell hidden there (perhaps for
    // another's sake) is hidden here too. What counts a part of a hidden figure hides with it.
    let by_partner = rows_of(Breakdown::Partner);
    let partners = tally
        .partners
        .iter()
        .map(|partner| {
            let row = by_partner.iter().find(|row| row.value == partner.partner);
            let cell = |of: fn(&Steps) -> Option<i64>| row.map_or(Some(0), |row| of(&row.steps));
            let referred = cell(|steps| steps.signalled);
            let served = cell(|steps| steps.served);
            PartnerRow {
                partner: partner.partner.clone(),
                name: partner.name.clone(),
                referred,
                picked_up_in_time: referred.and_then(|_| policy.count(partner.picked_up_in_time)),
                applications_taken: cell(|steps| steps.applied),
                custom_decisions: policy.count(partner.custom_decisions),
                children_served: served,
                deliveries: served.and_then(|_| policy.count(partner.deliveries)),
                amount_cents: policy.amount(partner.amount_cents, partner.children_served, served),
            }
        })
        .collect();
    // The signals per signaller add up to about the children signalled (a child is rarely
    // signalled twice in a quarter): the same secondary suppression as a breakdown.
    let signals = policy.protect_breakdown(&Relation {
        total: tally.funnel.signalled,
        parts: tally.signallers.iter().map(|s| s.signals).collect(),
    });
    let served_in_year = policy.count(tally.served_in_year);
    let in_view = policy.count(tally.granted_in_year);
    QuarterFigures {
        gemeente,
        quarter: quarter.to_string(),
        from: quarter.first_day(),
        to: quarter.last_day(),
        as_of,
        provisional,
        openness: policy.openness(),
        funnel: Steps::disclose(policy, &tally.funnel),
        usage: Usage {
            served: served_in_year,
            in_view,
            percentage: percentage(served_in_year, in_view),
        },
        target_group: reach::target_group(tally, served_in_year),
        breakdown,
        rows: breakdown
            .map(|breakdown| reach::breakdown(policy, tally, breakdown))
            .unwrap_or_default(),
        partners,
        lead_times: tally
            .lead_times
            .iter()
            .map(|lead| {
                let cases = policy.count(lead.cases);
                LeadTime {
                    route: lead.route.clone(),
                    cases,
                    median_days: policy.days(lead.median, cases),
                    p90_days: policy.days(lead.p90, cases),
                }
            })
            .collect(),
        signallers: tally
            .signallers
            .iter()
            .zip(signals)
            .map(|(signaller, signals)| SignallerRow {
                signaller: signaller.signaller.clone(),
                signals,
                applied: signals.and_then(|_| policy.count(signaller.applied)),
                served: signals.and_then(|_| policy.count(signaller.served)),
            })
            .collect(),
        late: tally
            .late
            .iter()
            .map(|(quarter, steps)| LateRow {
                quarter: quarter.to_string(),
                steps: Steps::disclose(policy, steps),
            })
            .collect(),
        budgets: budgets::disclose(
            policy,
            &tally.budgets,
            tally.granted_in_year,
            budgets::days_elapsed(quarter, as_of),
        ),
        wishes: tally
            .wishes
            .as_ref()
            .map(|wishes| wishes::disclose(policy, wishes)),
        outreach: tally
            .outreach
            .as_ref()
            .map(|outreach| outreach::disclose(policy, outreach)),
        campaigns: tally
            .campaigns
            .as_ref()
            .map(|campaigns| campaigns::disclose(policy, campaigns)),
    }
}

/// Where a quarter stands for a reader at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Established: its figures are as of this moment.
    Established(OffsetDateTime),
    /// Running, or ended but not yet established: as of now, provisional.
    Provisional,
    /// Not begun.
    Future,
}

pub fn standing(quarter: Quarter, settings: &Settings, now: OffsetDateTime) -> Standing {
    let established_at = quarter.established_at(settings.grace_days);
    if now >= established_at {
        Standing::Established(established_at)
    } else if now.date() >= quarter.first_day() {
        Standing::Provisional
    } else {
        Standing::Future
    }
}

/// One entry of the list of quarters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct QuarterEntry {
    #[serde(rename = "kwartaal")]
    pub quarter: String,
    #[serde(rename = "van")]
    #[schemars(with = "String")]
    pub from: Date,
    #[serde(rename = "tot")]
    #[schemars(with = "String")]
    pub to: Date,
    /// When it is (or will be) established.
    #[serde(rename = "vastgesteldPer", with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub established_at: OffsetDateTime,
    #[serde(rename = "voorlopig")]
    pub provisional: bool,
}

/// The quarters with figures, newest first: from the first quarter with a fact to the newest
/// established one, and the running ones too when `provisional_too` (at least the current one).
pub async fn quarters(
    pool: &PgPool,
    settings: &Settings,
    gemeente: &GemeenteCode,
    now: OffsetDateTime,
    provisional_too: bool,
) -> Result<Vec<QuarterEntry>, sqlx::Error> {
    let newest = Quarter::of(now.date());
    // Regie sees the running quarter even before its first fact; the overleg a quarter with facts.
    let first = queries::first_fact(pool, gemeente.as_str())
        .await?
        .map(Quarter::of)
        .or(provisional_too.then_some(newest));
    let Some(mut quarter) = first else {
        return Ok(Vec::new());
    };
    let mut list = Vec::new();
    while quarter <= newest {
        let entry = |provisional| QuarterEntry {
            quarter: quarter.to_string(),
            from: quarter.first_day(),
            to: quarter.last_day(),
            established_at: quarter.established_at(settings.grace_days),
            provisional,
        };
        match standing(quarter, settings, now) {
            Standing::Established(_) => list.push(entry(false)),
            Standing::Provisional if provisional_too => list.push(entry(true)),
            _ => {}
        }
        quarter = quarter.next();
    }
    list.reverse();
    Ok(list)
}

/// The figures of `quarter` for `policy`, as of its moment (established) or now (provisional).
#[allow(clippy::too_many_arguments)]
pub async fn report(
    pool: &PgPool,
    settings: &Settings,
    policy: Policy,
    gemeente: &GemeenteCode,
    quarter: Quarter,
    now: OffsetDateTime,
    breakdown: Option<Breakdown>,
    filters: &Filters,
) -> Result<QuarterFigures, sqlx::Error> {
    let (as_of, provisional) = match standing(quarter, settings, now) {
        Standing::Established(at) => (at, false),
        _ => (now, true),
    };
    let previous_as_of = quarter.previous().established_at(settings.grace_days);
    let tally = queries::quarter(
        pool,
        gemeente.as_str(),
        quarter,
        as_of,
        previous_as_of.min(as_of),
        filters,
    )
    .await?;
    Ok(figures(
        policy,
        gemeente.clone(),
        quarter,
        as_of,
        provisional,
        breakdown,
        &tally,
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::Value;
    use time::macros::datetime;

    use super::queries::{PartnerTally, SignallerTally};
    use super::*;

    const OVERLEG: Policy = Policy::DEFAULT_OVERLEG;

    const fn steps(signalled: i64, applied: i64, granted: i64, served: i64) -> StepTally {
        StepTally::new(signalled, applied, granted, served)
    }

    fn tally() -> QuarterTally {
        let mut tally = QuarterTally {
            funnel: steps(28, 20, 20, 14),
            served_in_year: 14,
            granted_in_year: 20,
            ..QuarterTally::default()
        };
        tally.breakdowns.insert(
            Breakdown::Wijk,
            vec![
                ("WK051801".to_owned(), steps(25, 18, 18, 12)),
                ("WK051802".to_owned(), steps(3, 2, 2, 2)),
            ],
        );
        tally.breakdowns.insert(
            Breakdown::Partner,
            vec![
                ("gemeente".to_owned(), steps(16, 9, 9, 0)),
                ("leergeld".to_owned(), steps(12, 11, 11, 14)),
            ],
        );
        tally.partners = vec![PartnerTally {
            partner: "leergeld".to_owned(),
            name: "Stichting Leergeld".to_owned(),
            picked_up_in_time: 11,
            custom_decisions: 0,
            children_served: 14,
            deliveries: 30,
            amount_cents: 70_000,
        }];
        tally.signallers = vec![
            SignallerTally {
                signaller: "wijkteam".to_owned(),
                signals: 26,
                applied: 18,
                served: 12,
            },
            SignallerTally {
                signaller: "school".to_owned(),
                signals: 2,
                applied: 2,
                served: 2,
            },
        ];
        tally
    }

    fn of(policy: Policy, breakdown: Option<Breakdown>, tally: &QuarterTally) -> QuarterFigures {
        figures(
            policy,
            GemeenteCode::parse("GM0518").unwrap(),
            "2026-K4".parse().unwrap(),
            datetime!(2027-01-15 0:00 UTC),
            false,
            breakdown,
            tally,
        )
    }

    #[test]
    fn provision_types_read_in_the_apis_dutch_both_ways() {
        assert_eq!(
            provision_type_in_dutch("participation"),
            "maatschappelijke_participatie"
        );
        assert_eq!(provision_type_in_dutch("onbekend"), "onbekend");
        assert_eq!(
            provision_type_from_dutch("maatschappelijke_participatie"),
            "participation"
        );
        assert_eq!(provision_type_from_dutch("levensonderhoud"), "subsistence");
    }

    #[test]
    fn a_small_wijk_is_hidden_with_its_neighbour_and_the_total_stays() {
        let figures = of(OVERLEG, Some(Breakdown::Wijk), &tally());
        assert_eq!(figures.funnel.signalled, Some(30), "28 rounded to 30");
        let rows: Vec<Option<i64>> = figures.rows.iter().map(|r| r.steps.signalled).collect();
        assert_eq!(rows, vec![None, None], "30 - 25 would tell the 3");
        assert_eq!(figures.usage.percentage, Some(75), "15 of 20, as shown");
        // Regie sees it all.
        let exact = of(Policy::Exact, Some(Breakdown::Wijk), &tally());
        let rows: Vec<Option<i64>> = exact.rows.iter().map(|r| r.steps.signalled).collect();
        assert_eq!(rows, vec![Some(25), Some(3)]);
        assert_eq!(exact.usage.percentage, Some(70));
    }

    #[test]
    fn the_partner_table_shows_the_breakdowns_cells_and_hides_what_hides_with_them() {
        let figures = of(OVERLEG, None, &tally());
        let leergeld = &figures.partners[0];
        let by_partner = of(OVERLEG, Some(Breakdown::Partner), &tally());
        let row = &by_partner.rows[1].steps;
        assert_eq!(leergeld.referred, row.signalled);
        assert_eq!(leergeld.applications_taken, row.applied);
        assert_eq!(leergeld.children_served, row.served);
        assert_eq!(leergeld.children_served, Some(15), "14 rounded");
        assert_eq!(
            leergeld.amount_cents,
            Some(80_000),
            "15 children at 50 euros each, in hundreds of euros: no more than the rounded count tells"
        );
        // Signallers: the school's 2 hidden, and the wijkteam's 26 with it (28 - 26).
        let signals: Vec<Option<i64>> = figures.signallers.iter().map(|s| s.signals).collect();
        assert_eq!(signals, vec![None, None]);
        assert_eq!(
            figures.signallers[0].applied, None,
            "hidden with its signals"
        );
    }

    /// Every number in the JSON, wherever it is.
    fn numbers(value: &Value, found: &mut Vec<i64>) {
        match value {
            Value::Number(number) => found.extend(number.as_i64()),
            Value::Array(items) => items.iter().for_each(|item| numbers(item, found)),
            Value::Object(fields) => fields.values().for_each(|field| numbers(field, found)),
            _ => {}
        }
    }

    #[test]
    fn no_figure_of_the_overleg_escapes_the_policy() {
        // Every tally small: whatever field the figures have, none may show a number then (the
        // policy's own settings aside). A field added without the policy fails here.
        for small in 1..10 {
            let mut tally = QuarterTally {
                funnel: steps(small, small, small, small),
                served_in_year: small,
                granted_in_year: small,
                late: vec![(
                    "2026-K3".parse().unwrap(),
                    steps(small, small, small, small),
                )],
                lead_times: vec![queries::LeadTimeTally {
                    route: "signaal-aanvraag".to_owned(),
                    cases: small,
                    median: Some(small as f64),
                    p90: Some(small as f64),
                }],
                ..QuarterTally::default()
            };
            for breakdown in Breakdown::ALL {
                tally.breakdowns.insert(
                    breakdown,
                    vec![("x".to_owned(), steps(small, small, small, small))],
                );
                // Served in the year, per row of the breakdowns by wijk and age band (reach; its
                // expected numbers are estimates shown exactly, tested in `reach`).
                tally.reach.served_in_year.insert(
                    breakdown,
                    std::collections::BTreeMap::from([("x".to_owned(), small)]),
                );
            }
            tally.partners = vec![PartnerTally {
                partner: "x".to_owned(),
                name: "X".to_owned(),
                picked_up_in_time: small,
                custom_decisions: small,
                children_served: small,
                deliveries: small,
                amount_cents: small * 1000,
            }];
            tally.signallers = vec![SignallerTally {
                signaller: "y".to_owned(),
                signals: small,
                applied: small,
                served: small,
            }];
            // Budgets of few children: a large one (its committed amount alone would not look
            // small) and a small one.
            tally.budgets = vec![
                budgets::BudgetTally {
                    source: kindpakket_proto::regie::FundingSource::National,
                    allocated_cents: 10_000_000,
                    committed_cents: small * 2_000_000,
                    spent_cents: small * 1_000_000,
                    children: small,
                    children_served: small,
                },
                budgets::BudgetTally {
                    source: kindpakket_proto::regie::FundingSource::Private,
                    allocated_cents: small * 100,
                    committed_cents: small * 100,
                    spent_cents: small * 50,
                    children: small,
                    children_served: small,
                },
            ];
            // Few wishes in every category and from every source (a zero would rightly show).
            let few = wishes::tally_of(&[("zwemles".to_owned(), "ouder".to_owned(), small)]);
            tally.wishes = Some(wishes::WishTally {
                total: small,
                categories: few
                    .categories
                    .into_iter()
                    .map(|(c, _)| (c, small))
                    .collect(),
                sources: few.sources.into_iter().map(|(s, _)| (s, small)).collect(),
            });
            tally.outreach = Some(outreach::OutreachTally {
                children: small,
                credit_cents: small * 50_000,
                rows: vec![outreach::OutreachRow {
                    valid_until: time::macros::date!(2026 - 12 - 31),
                    children: small,
                    credit_cents: small * 50_000,
                }],
            });
            tally.campaigns = Some(vec![campaigns::CampaignTally {
                name: "Schooljaar".to_owned(),
                started_on: time::macros::date!(2026 - 08 - 01),
                children: small,
                served_since: small,
            }]);
            for breakdown in Breakdown::ALL {
                let figures = of(OVERLEG, Some(breakdown), &tally);
                assert!(figures.wishes.is_some(), "{small}");
                assert!(figures.outreach.is_some(), "{small}");
                assert!(figures.campaigns.is_some(), "{small}");
                let mut json = serde_json::to_value(&figures).unwrap();
                json["openbaarheid"] = Value::Null;
                // What the regeling allocated is a public decision, about no child: shown exactly.
                assert_eq!(figures.budgets.len(), 2, "{json}");
                for row in json["budgetten"].as_array_mut().unwrap() {
                    row["toegewezen"] = Value::Null;
                }
                let mut shown = Vec::new();
                numbers(&json, &mut shown);
                assert_eq!(shown, Vec::<i64>::new(), "{small}: {json}");
            }
        }
    }
}
