//! The budgets per funding source of a quarter's year (`docs/overleg.md`, "Budgetten"): what the
//! regeling allocated, what grants committed, what was spent and a projection to the year's end.
//!
//! - **Allocated**: the budgets of the regeling version in force on the quarter's last day (of the
//!   versions of the year published before the figures' moment; when none is in force yet, the newest
//!   of the year). A correction restates the whole year's budgets, so one version's budgets are the
//!   year's (README, "Budgets across a correction"); they are not added up over versions.
//! - **Committed**: the amounts of the entitlements granted in the year up to the quarter's end,
//!   split between funder and co-funder as [`split_funding`] splits them.
//! - **Spent**: deliveries, redemptions and approved declarations (the `deliveries` table) in the
//!   year up to the quarter's end, split the same way, as the provision service's ledger does.
//! - **Projection**: [`projection`].
//!
//! An entitlement without a funder is paid from the gemeente's general means
//! ([`Funder::gemeente`], municipal), as in the ledger. Every query counts only facts that occurred
//! before the figures' moment, like every other figure of the quarter.

use std::collections::{BTreeMap, BTreeSet};

use kindpakket_platform::http::vocabulary::FundingSourceDto;
use kindpakket_proto::regie::{split_funding, CoFinancing, Funder, FundingSource};
use kindpakket_proto::{Cents, OrganisationId};
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::disclosure::{Policy, Relation};
use super::quarter::Quarter;

/// The sources in the order the figures list them.
pub const SOURCES: [FundingSource; 4] = [
    FundingSource::National,
    FundingSource::Municipal,
    FundingSource::ExternalFunds,
    FundingSource::Private,
];

fn position(source: FundingSource) -> usize {
    SOURCES.iter().position(|s| *s == source).unwrap_or(0)
}

/// One funding source's year up to the quarter, counted exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetTally {
    pub source: FundingSource,
    /// The budgets of the version in force at the quarter's end.
    pub allocated_cents: i64,
    /// This source's parts of the entitlements granted in the year.
    pub committed_cents: i64,
    /// This source's parts of what was spent in the year.
    pub spent_cents: i64,
    /// Children with an entitlement granted in the year that this source pays (a part of).
    pub children: i64,
    /// Children served in the year with this source's money.
    pub children_served: i64,
}

impl BudgetTally {
    fn new(source: FundingSource) -> Self {
        Self {
            source,
            allocated_cents: 0,
            committed_cents: 0,
            spent_cents: 0,
            children: 0,
            children_served: 0,
        }
    }
}

/// One funding source as the reader may see it (`null`: hidden). Amounts in cents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct BudgetRow {
    #[serde(rename = "bron")]
    pub source: FundingSourceDto,
    /// What the regeling allocated: a public decision, shown exactly to every reader.
    #[serde(rename = "toegewezen")]
    pub allocated_cents: i64,
    /// Committed by grants in the year up to the quarter's end.
    #[serde(rename = "vastgelegd")]
    pub committed_cents: Option<i64>,
    /// Spent in the year up to the quarter's end.
    #[serde(rename = "uitgegeven")]
    pub spent_cents: Option<i64>,
    /// Projected spending at the year's end ([`projection`]).
    #[serde(rename = "prognose")]
    pub projected_cents: Option<i64>,
    /// Children behind what was committed.
    #[serde(rename = "kinderen")]
    pub children: Option<i64>,
}

/// Who pays an amount, from the columns the read model keeps: the funder (absent: the gemeente's
/// general means) and the co-funder with its share.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Payers {
    pub funder: Option<String>,
    pub funder_source: Option<String>,
    pub co_funder: Option<String>,
    pub co_funder_source: Option<String>,
    pub co_share_percent: Option<i16>,
}

fn source_of(word: Option<&str>) -> Option<FundingSource> {
    serde_json::from_value(serde_json::Value::String(word?.to_owned())).ok()
}

fn funder_of(organisation: Option<&str>, source: Option<&str>) -> Option<Funder> {
    Some(Funder {
        organisation: OrganisationId::parse(organisation?).ok()?,
        source: source_of(source)?,
    })
}

impl Payers {
    /// Each source's part of `amount_cents`, to the cent: [`split_funding`], as the provision
    /// service splits an invoice line or a declaration.
    pub fn split(&self, amount_cents: i64) -> Vec<(FundingSource, i64)> {
        let funder = funder_of(self.funder.as_deref(), self.funder_source.as_deref());
        let co_financing = funder_of(self.co_funder.as_deref(), self.co_funder_source.as_deref())
            .zip(self.co_share_percent.and_then(|s| u8::try_from(s).ok()))
            .map(|(funder, share_percent)| CoFinancing {
                funder,
                share_percent,
            });
        split_funding(Cents(amount_cents), funder.as_ref(), co_financing.as_ref())
            .into_iter()
            .map(|part| (part.funder.source, part.amount_cents.get()))
            .collect()
    }
}

/// An amount for one child, and who pays it.
#[derive(Debug, sqlx::FromRow)]
struct Payment {
    child: Uuid,
    amount_cents: i64,
    #[sqlx(flatten)]
    payers: Payers,
}

/// Days of the quarter's year that have passed at the figures' moment: up to the quarter's last
/// day (an established quarter), or up to today (the running one); and the days of the year.
pub fn days_elapsed(quarter: Quarter, as_of: OffsetDateTime) -> (i64, i64) {
    let start = quarter.year_start();
    let year_end = Quarter::new(quarter.year(), 4).map_or(quarter.last_day(), Quarter::last_day);
    let until = as_of.date().min(quarter.last_day());
    let elapsed = (until - start).whole_days() + 1;
    let year = (year_end - start + Duration::days(1)).whole_days();
    (elapsed.clamp(1, year), year)
}

/// The spending projected at the year's end: what was spent so far, scaled by the days of the year
/// that have passed (spending goes on at the pace it had), but
/// - never below what was spent (money spent stays spent), and
/// - never above the larger of what was committed and what was allocated: spending beyond the
///   commitments needs new grants, and a budgeted source grants no more than its budget (the
///   application service refuses once it is committed). A source without a budget is projected to
///   spend at most what it committed: how much more it will grant, nobody decided.
///
/// At the year's end it is what was spent. Spending is seasonal (school costs in August and
/// September), so early in the year the pace understates it; the ceiling and the committed amount
/// beside it show how far it can go.
pub fn projection(
    spent_cents: i64,
    committed_cents: i64,
    allocated_cents: i64,
    (elapsed, year): (i64, i64),
) -> i64 {
    let elapsed = i128::from(elapsed.max(1));
    let at_pace = (i128::from(spent_cents) * i128::from(year) + elapsed / 2) / elapsed;
    let ceiling = spent_cents.max(committed_cents).max(allocated_cents);
    i64::try_from(at_pace)
        .unwrap_or(i64::MAX)
        .clamp(spent_cents, ceiling)
}

/// The budgets of `quarter`'s year in `gemeente` as of `as_of`: one per source with an allocation
/// in the version in force, a commitment or a payment, in the order of [`SOURCES`].
pub async fn tally(
    pool: &PgPool,
    gemeente: &str,
    quarter: Quarter,
    as_of: OffsetDateTime,
) -> Result<Vec<BudgetTally>, sqlx::Error> {
    let (from, to) = (quarter.year_start(), quarter.last_day());
    let mut tallies: BTreeMap<usize, BudgetTally> = BTreeMap::new();
    let allocated: Vec<(String, i64)> = sqlx::query_as(
        "WITH version AS (
            SELECT regeling_id FROM regelingen
            WHERE gemeente = $1 AND year = $2 AND published_at < $4
            ORDER BY valid_from <= $3 DESC,
                     CASE WHEN valid_from <= $3 THEN valid_from END DESC NULLS LAST,
                     published_at DESC, regeling_id
            LIMIT 1
         )
         SELECT b.source, sum(b.amount_cents)::bigint
         FROM regeling_budgets b JOIN version v USING (regeling_id)
         WHERE b.gemeente = $1
         GROUP BY b.source",
    )
    .bind(gemeente)
    .bind(quarter.year())
    .bind(to)
    .bind(as_of)
    .fetch_all(pool)
    .await?;
    for (source, cents) in allocated {
        if let Some(source) = source_of(Some(&source)) {
            tallies
                .entry(position(source))
                .or_insert_with(|| BudgetTally::new(source))
                .allocated_cents += cents;
        }
    }
    let committed: Vec<Payment> = sqlx::query_as(
        "SELECT child, amount_cents, funder, funder_source, co_funder, co_funder_source,
                co_share_percent
         FROM entitlements
         WHERE gemeente = $1 AND granted_on BETWEEN $2 AND $3
           AND coalesce(granted_at, '-infinity') < $4",
    )
    .bind(gemeente)
    .bind(from)
    .bind(to)
    .bind(as_of)
    .fetch_all(pool)
    .await?;
    let spent: Vec<Payment> = sqlx::query_as(
        "SELECT d.child, d.amount_cents, e.funder, e.funder_source, e.co_funder,
                e.co_funder_source, e.co_share_percent
         FROM deliveries d LEFT JOIN entitlements e USING (entitlement_id)
         WHERE d.gemeente = $1 AND d.delivered_on BETWEEN $2 AND $3
           AND coalesce(d.occurred_at, '-infinity') < $4",
    )
    .bind(gemeente)
    .bind(from)
    .bind(to)
    .bind(as_of)
    .fetch_all(pool)
    .await?;
    add_payments(&mut tallies, &committed, &spent);
    Ok(tallies.into_values().collect())
}

/// Adds each payment's parts to its sources: the amounts, and the children behind them.
fn add_payments(
    tallies: &mut BTreeMap<usize, BudgetTally>,
    committed: &[Payment],
    spent: &[Payment],
) {
    let mut children: BTreeMap<usize, BTreeSet<Uuid>> = BTreeMap::new();
    let mut served: BTreeMap<usize, BTreeSet<Uuid>> = BTreeMap::new();
    for (payments, is_spent) in [(committed, false), (spent, true)] {
        for payment in payments {
            for (source, cents) in payment.payers.split(payment.amount_cents) {
                let at = position(source);
                let tally = tallies
                    .entry(at)
                    .or_insert_with(|| BudgetTally::new(source));
                if is_spent {
                    tally.spent_cents += cents;
                    served.entry(at).or_default().insert(payment.child);
                } else {
                    tally.committed_cents += cents;
                    children.entry(at).or_default().insert(payment.child);
                }
            }
        }
    }
    for (at, tally) in tallies.iter_mut() {
        tally.children = children.get(at).map_or(0, |c| c.len() as i64);
        tally.children_served = served.get(at).map_or(0, |c| c.len() as i64);
    }
}

/// The budgets as `policy` discloses them. The allocation is a public decision: shown exactly. What
/// was committed, spent and projected is about the children funded, so for the overleg:
/// - the children per source are a breakdown of the children granted in the year (`granted_in_year`,
///   the usage's "in beeld"): each through [`Policy::count`], with secondary suppression
///   ([`Policy::protect_breakdown`]), so one hidden source is not the total minus the others;
/// - a source's committed amount is hidden with its children; its spending and projection also
///   when the children its money served are few (an amount is hidden whenever the children it went
///   to are);
/// - shown amounts are rounded to whole thousands of euros ([`Policy::budget_amount`]).
pub fn disclose(
    policy: Policy,
    tallies: &[BudgetTally],
    granted_in_year: i64,
    days: (i64, i64),
) -> Vec<BudgetRow> {
    let children = policy.protect_breakdown(&Relation {
        total: granted_in_year,
        parts: tallies.iter().map(|tally| tally.children).collect(),
    });
    tallies
        .iter()
        .zip(children)
        .map(|(tally, children)| {
            let spent_shown = children.is_some() && policy.count(tally.children_served).is_some();
            let projected = projection(
                tally.spent_cents,
                tally.committed_cents,
                tally.allocated_cents,
                days,
            );
            BudgetRow {
                source: tally.source.into(),
                allocated_cents: tally.allocated_cents,
                committed_cents: children.map(|_| policy.budget_amount(tally.committed_cents)),
                spent_cents: spent_shown.then(|| policy.budget_amount(tally.spent_cents)),
                projected_cents: spent_shown.then(|| policy.budget_amount(projected)),
                children,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const OVERLEG: Policy = Policy::DEFAULT_OVERLEG;

    fn payers(funder: Option<(&str, &str)>, co: Option<(&str, &str, i16)>) -> Payers {
        Payers {
            funder: funder.map(|(org, _)| org.to_owned()),
            funder_source: funder.map(|(_, source)| source.to_owned()),
            co_funder: co.map(|(org, _, _)| org.to_owned()),
            co_funder_source: co.map(|(_, source, _)| source.to_owned()),
            co_share_percent: co.map(|(_, _, share)| share),
        }
    }

    #[test]
    fn an_amount_splits_between_funder_and_co_funder_to_the_cent_as_the_ledger_does() {
        // A laptop of € 333,33: Leergeld pays 33 %, rounded down; the gemeente the rest.
        let laptop = payers(
            Some(("gemeente-eindhoven", "municipal")),
            Some(("leergeld-eindhoven", "external_funds", 33)),
        );
        assert_eq!(
            laptop.split(33_333),
            vec![
                (FundingSource::Municipal, 22_334),
                (FundingSource::ExternalFunds, 10_999)
            ]
        );
        let parts: i64 = laptop.split(33_333).iter().map(|(_, cents)| cents).sum();
        assert_eq!(parts, 33_333, "the parts add up to the amount exactly");
        // No funder named: the gemeente's general means pay it all.
        assert_eq!(
            Payers::default().split(25_000),
            vec![(FundingSource::Municipal, 25_000)]
        );
        // A co-funder that is the funder itself pays no separate share.
        let same = payers(
            Some(("jeugdfonds", "external_funds")),
            Some(("jeugdfonds", "external_funds", 50)),
        );
        assert_eq!(
            same.split(10_000),
            vec![(FundingSource::ExternalFunds, 10_000)]
        );
        // The national budget pays a sport contribution whole.
        let national = payers(Some(("rijk", "national")), None);
        assert_eq!(
            national.split(22_500),
            vec![(FundingSource::National, 22_500)]
        );
    }

    #[test]
    fn committed_and_spent_count_each_source_and_the_children_behind_it() {
        let child = |n: u128| Uuid::from_u128(n);
        let co = payers(
            Some(("gemeente", "municipal")),
            Some(("leergeld", "external_funds", 50)),
        );
        let committed = vec![
            Payment {
                child: child(1),
                amount_cents: 10_000,
                payers: co.clone(),
            },
            Payment {
                child: child(1),
                amount_cents: 5_000,
                payers: Payers::default(),
            },
            Payment {
                child: child(2),
                amount_cents: 20_000,
                payers: payers(Some(("rijk", "national")), None),
            },
        ];
        let spent = vec![Payment {
            child: child(1),
            amount_cents: 3_001,
            payers: co,
        }];
        let mut tallies = BTreeMap::new();
        tallies.insert(
            position(FundingSource::Private),
            BudgetTally {
                allocated_cents: 7_000,
                ..BudgetTally::new(FundingSource::Private)
            },
        );
        add_payments(&mut tallies, &committed, &spent);
        let rows: Vec<(FundingSource, i64, i64, i64, i64)> = tallies
            .values()
            .map(|t| {
                (
                    t.source,
                    t.committed_cents,
                    t.spent_cents,
                    t.children,
                    t.children_served,
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                (FundingSource::National, 20_000, 0, 1, 0),
                (FundingSource::Municipal, 10_000, 1_501, 1, 1),
                (FundingSource::ExternalFunds, 5_000, 1_500, 1, 1),
                (FundingSource::Private, 0, 0, 0, 0),
            ],
            "child 1 once under municipal (two entitlements), once under external funds"
        );
    }

    #[test]
    fn the_projection_goes_on_at_the_pace_of_spending_within_what_was_spent_and_what_can_be() {
        let q2 = "2026-K2".parse::<Quarter>().unwrap();
        // Established: up to 30 June, the 181st of 365 days.
        let days = days_elapsed(q2, datetime!(2026-07-15 0:00 UTC));
        assert_eq!(days, (181, 365));
        // Running: up to today.
        assert_eq!(
            days_elapsed(q2, datetime!(2026-04-10 12:00 UTC)),
            (100, 365)
        );
        assert_eq!(
            days_elapsed("2028-K4".parse().unwrap(), datetime!(2029-01-15 0:00 UTC)),
            (366, 366),
            "a leap year, at its end"
        );
        // € 10.000 spent in 181 days: € 20.166 at that pace, within a budget of € 50.000.
        assert_eq!(projection(1_000_000, 3_000_000, 5_000_000, days), 2_016_575);
        // At that pace more than could be spent: no more than the budget (nor than committed).
        assert_eq!(projection(3_000_000, 4_000_000, 5_000_000, days), 5_000_000);
        assert_eq!(projection(3_000_000, 5_500_000, 5_000_000, days), 5_500_000);
        // A source without a budget: at most what it committed.
        assert_eq!(projection(3_000_000, 4_000_000, 0, days), 4_000_000);
        // Never below what was spent (spent beyond what this year's grants committed).
        assert_eq!(projection(3_000_000, 1_000_000, 0, days), 3_000_000);
        // At the year's end: what was spent.
        assert_eq!(
            projection(4_200_000, 5_000_000, 6_000_000, (365, 365)),
            4_200_000
        );
        // Nothing spent yet: nothing projected.
        assert_eq!(projection(0, 5_000_000, 6_000_000, (10, 365)), 0);
    }

    fn tally(source: FundingSource, children: i64, served: i64) -> BudgetTally {
        BudgetTally {
            source,
            allocated_cents: 12_345_678,
            committed_cents: children * 40_049,
            spent_cents: served * 20_049,
            children,
            children_served: served,
        }
    }

    #[test]
    fn the_overleg_reads_the_allocation_exactly_and_the_rest_rounded_and_never_for_few_children() {
        let tallies = vec![
            tally(FundingSource::National, 120, 80),
            tally(FundingSource::Municipal, 60, 7),
            tally(FundingSource::ExternalFunds, 4, 4),
        ];
        let days = (181, 365);
        let rows = disclose(OVERLEG, &tallies, 150, days);
        // The allocation: a public decision, to the cent.
        assert!(rows.iter().all(|row| row.allocated_cents == 12_345_678));
        // External funds: 4 children, hidden; the municipal 60 with them, so that 150 - 120 does
        // not tell the 4.
        let children: Vec<Option<i64>> = rows.iter().map(|row| row.children).collect();
        assert_eq!(children, vec![Some(120), None, None]);
        assert_eq!(rows[1].committed_cents, None);
        assert_eq!(rows[2].spent_cents, None);
        assert_eq!(rows[2].projected_cents, None);
        // National: 120 × € 400,49 = € 48.058,80 committed, read as € 48.000; 80 × € 200,49 =
        // € 16.039,20 spent, read as € 16.000; projected € 32.344,24 (181 days' pace), read as
        // € 32.000.
        assert_eq!(rows[0].committed_cents, Some(4_800_000));
        assert_eq!(rows[0].spent_cents, Some(1_600_000));
        assert_eq!(rows[0].projected_cents, Some(3_200_000));
        // Regie reads it all, to the cent.
        let exact = disclose(Policy::Exact, &tallies, 150, days);
        assert_eq!(exact[2].children, Some(4));
        assert_eq!(exact[0].committed_cents, Some(4_805_880));
        assert_eq!(
            exact[0].projected_cents,
            Some(projection(1_603_920, 4_805_880, 12_345_678, days))
        );
    }

    #[test]
    fn spending_is_hidden_when_few_children_were_served_with_it() {
        // 40 children committed, 3 of them served so far: what they spent is theirs.
        let tallies = vec![tally(FundingSource::Municipal, 40, 3)];
        let rows = disclose(OVERLEG, &tallies, 40, (90, 365));
        assert_eq!(rows[0].children, Some(40));
        assert_eq!(rows[0].committed_cents, Some(1_600_000));
        assert_eq!(rows[0].spent_cents, None);
        assert_eq!(rows[0].projected_cents, None, "it would tell the spending");
        // Nobody served yet: nothing spent, shown as such.
        let rows = disclose(
            OVERLEG,
            &[tally(FundingSource::Municipal, 40, 0)],
            40,
            (90, 365),
        );
        assert_eq!(rows[0].spent_cents, Some(0));
        assert_eq!(rows[0].projected_cents, Some(0));
    }
}
