//! Reminder campaigns and their conversion (`docs/overleg.md`, "Campagnes"): per campaign regie
//! started by the quarter's end, how many children it reminded (the children of its targeted
//! entitlements) and how many of them were served on or after its start, up to the quarter's end —
//! flows, never a list of children. Both counts go through [`Policy::count`], the percentage only
//! from the counts as shown ([`percentage`]).

use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgPool;
use time::{Date, OffsetDateTime};

use super::disclosure::{percentage, Policy};
use super::quarter::Quarter;

/// One campaign, counted exactly.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CampaignTally {
    pub name: String,
    pub started_on: Date,
    /// The children of its targeted entitlements.
    pub children: i64,
    /// Of them, those served on or after its start.
    pub served_since: i64,
}

/// One campaign as a reader may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CampaignFigures {
    #[serde(rename = "naam")]
    pub name: String,
    #[serde(rename = "gestartOp")]
    #[schemars(with = "String")]
    pub started_on: Date,
    #[serde(rename = "kinderen")]
    pub children: Option<i64>,
    #[serde(rename = "bediendSindsdien")]
    pub served_since: Option<i64>,
    #[serde(rename = "conversiePercentage")]
    pub conversion_percent: Option<i64>,
}

/// The campaigns of `gemeente` started by `quarter`'s end, as of `as_of`, oldest first; a child
/// counts as served since when a delivery to them is dated from the start to the quarter's end and
/// known by the moment.
pub async fn tally(
    pool: &PgPool,
    gemeente: &str,
    quarter: Quarter,
    as_of: OffsetDateTime,
) -> Result<Vec<CampaignTally>, sqlx::Error> {
    sqlx::query_as(
        "WITH started AS (
             SELECT campaign_id, name, started_on, occurred_at FROM campaigns
             WHERE gemeente = $1 AND started_on <= $2 AND occurred_at < $3
         ), reminded AS (
             SELECT DISTINCT s.campaign_id, e.child FROM started s
             JOIN campaign_targets t ON t.campaign_id = s.campaign_id
             JOIN entitlements e ON e.entitlement_id = t.entitlement_id
         )
         SELECT s.name, s.started_on,
                (SELECT count(*) FROM reminded r WHERE r.campaign_id = s.campaign_id) AS children,
                (SELECT count(*) FROM reminded r
                 WHERE r.campaign_id = s.campaign_id
                   AND EXISTS (SELECT 1 FROM deliveries d
                               WHERE d.gemeente = $1 AND d.child = r.child
                                 AND d.delivered_on BETWEEN s.started_on AND $2
                                 AND coalesce(d.occurred_at, '-infinity') < $3)) AS served_since
         FROM started s ORDER BY s.started_on, s.occurred_at, s.campaign_id",
    )
    .bind(gemeente)
    .bind(quarter.last_day())
    .bind(as_of)
    .fetch_all(pool)
    .await
}

/// As `policy` discloses them.
pub fn disclose(policy: Policy, tallies: &[CampaignTally]) -> Vec<CampaignFigures> {
    tallies
        .iter()
        .map(|tally| {
            let children = policy.count(tally.children);
            let served_since = policy.count(tally.served_since);
            CampaignFigures {
                name: tally.name.clone(),
                started_on: tally.started_on,
                children,
                served_since,
                conversion_percent: percentage(served_since, children),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    const OVERLEG: Policy = Policy::DEFAULT_OVERLEG;

    fn campaign(children: i64, served_since: i64) -> CampaignTally {
        CampaignTally {
            name: "Schooljaar".to_owned(),
            started_on: date!(2026 - 08 - 01),
            children,
            served_since,
        }
    }

    #[test]
    fn regie_reads_the_conversion_exactly() {
        let figures = disclose(Policy::Exact, &[campaign(2, 1)]);
        assert_eq!(figures[0].children, Some(2));
        assert_eq!(figures[0].served_since, Some(1));
        assert_eq!(figures[0].conversion_percent, Some(50));
    }

    #[test]
    fn the_overleg_reads_rounded_counts_and_the_percentage_of_what_it_reads() {
        // 43 children, 17 served since: shown as 45 and 15, so 33 % (not the exact 40 %).
        let figures = disclose(OVERLEG, &[campaign(43, 17)]);
        assert_eq!(figures[0].children, Some(45));
        assert_eq!(figures[0].served_since, Some(15));
        assert_eq!(figures[0].conversion_percent, Some(33));
        // Few served since: hidden, and so is the percentage that would tell it.
        let figures = disclose(OVERLEG, &[campaign(43, 3)]);
        assert_eq!(figures[0].children, Some(45));
        assert_eq!(figures[0].served_since, None);
        assert_eq!(figures[0].conversion_percent, None);
    }
}
