//! The quarterly overleg's figures (`docs/overleg.md`): per gemeente and quarter, as of the moment
//! the quarter is established, through the reader's disclosure [`Policy`]. [`queries`] counts the
//! read model into a [`queries::QuarterTally`]; [`figures`] turns it into what a reader may see;
//! [`reach`] adds the children served against the doelgroep regie expects.

pub mod disclosure;
pub mod quarter;
pub mod queries;
pub mod reach;

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
    /// Signals referred to it.
    #[serde(rename = "doorverwezen")]
    pub referred: Option<i64>,
    /// Of those, picked up by the due date.
    #[serde(rename = "opTijdOpgepakt")]
    pub picked_up_in_time: Option<i64>,
    /// Applications it took on a family's behalf.
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
    // A partner's children served is its row of the breakdown by partner: one cell, disclosed once.
    let by_partner = rows_of(Breakdown::Partner);
    let partners = tally
        .partners
        .iter()
        .map(|partner| {
            let served = by_partner
                .iter()
                .find(|row| row.value == partner.partner)
                .map_or(Some(0), |row| row.steps.served);
            let served = if partner.children_served == 0 {
                Some(0)
            } else {
                served
            };
            PartnerRow {
                partner: partner.partner.clone(),
                name: partner.name.clone(),
                referred: policy.count(partner.referred),
                picked_up_in_time: policy.count(partner.picked_up_in_time),
                applications_taken: policy.count(partner.applications_taken),
                custom_decisions: policy.count(partner.custom_decisions),
                children_served: served,
                deliveries: served.and_then(|_| policy.count(partner.deliveries)),
                amount_cents: policy.amount(partner.amount_cents, partner.children_served, served),
            }
        })
        .collect();
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
            .map(|signaller| SignallerRow {
                signaller: signaller.signaller.clone(),
                signals: policy.count(signaller.signals),
                applied: policy.count(signaller.applied),
                served: policy.count(signaller.served),
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
