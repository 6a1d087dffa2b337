//! Outreach (`docs/overleg.md`, "Nog niet bediend"): ahead of the key moments (the start of the
//! school year, December) the overleg sees how many granted children have not used their
//! entitlement yet, and how much credit will expire unused if nothing changes — per expiry date, as
//! flows, never a list of children. Regie reaches them through the organisation that took the
//! application, with a campaign ([`super::campaigns`] measures its conversion).
//!
//! As of the quarter's moment: entitlements granted by the quarter's end that run at least to its
//! last day, with what was delivered on them by then; a child counts as not yet served when nothing
//! was delivered to them at all.

use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgPool;
use time::{Date, OffsetDateTime};

use super::disclosure::{Policy, Relation};
use super::quarter::Quarter;

/// One expiry date's running entitlements, counted exactly.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutreachRow {
    pub valid_until: Date,
    /// Children with a running entitlement that were not served at all yet.
    pub children: i64,
    /// What is left on the running entitlements (granted minus delivered).
    pub credit_cents: i64,
}

/// Granted, not yet used, as counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutreachTally {
    pub children: i64,
    pub credit_cents: i64,
    pub rows: Vec<OutreachRow>,
}

/// As a reader may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct OutreachFigures {
    /// Children granted an entitlement that runs to the quarter's end, not served at all yet.
    #[serde(rename = "kinderen")]
    pub children: Option<i64>,
    /// What is left on the running entitlements, in cents: it expires unused unless it is used.
    #[serde(rename = "tegoedCent")]
    pub credit_cents: Option<i64>,
    #[serde(rename = "perVervaldatum")]
    pub rows: Vec<OutreachDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct OutreachDate {
    #[serde(rename = "vervaltOp")]
    #[schemars(with = "String")]
    pub valid_until: Date,
    #[serde(rename = "kinderen")]
    pub children: Option<i64>,
    #[serde(rename = "tegoedCent")]
    pub credit_cents: Option<i64>,
}

/// The running entitlements of `gemeente` at `quarter`'s end, as of `as_of`.
pub async fn tally(
    pool: &PgPool,
    gemeente: &str,
    quarter: Quarter,
    as_of: OffsetDateTime,
) -> Result<OutreachTally, sqlx::Error> {
    // Running: granted by the quarter's end and valid to its last day at least. Served: a child
    // with any delivery in the gemeente by the quarter's end (known by the moment).
    const RUNNING: &str = "
        served AS (
            SELECT DISTINCT d.child FROM deliveries d
            WHERE d.gemeente = $1 AND d.delivered_on <= $2
              AND coalesce(d.occurred_at, '-infinity') < $3
        ), running AS (
            SELECT e.entitlement_id, e.child, e.valid_until, e.amount_cents,
                   coalesce((SELECT sum(d.amount_cents) FROM deliveries d
                             WHERE d.entitlement_id = e.entitlement_id AND d.delivered_on <= $2
                               AND coalesce(d.occurred_at, '-infinity') < $3), 0)::bigint AS used,
                   e.child IN (SELECT child FROM served) AS child_served
            FROM entitlements e
            WHERE e.gemeente = $1 AND e.granted_on <= $2 AND e.valid_until >= $2
              AND coalesce(e.granted_at, '-infinity') < $3
        )";
    let rows: Vec<OutreachRow> = sqlx::query_as(&format!(
        "WITH {RUNNING}
         SELECT valid_until, count(DISTINCT child) FILTER (WHERE NOT child_served) AS children,
                sum(greatest(amount_cents - used, 0))::bigint AS credit_cents
         FROM running GROUP BY valid_until ORDER BY valid_until"
    ))
    .bind(gemeente)
    .bind(quarter.last_day())
    .bind(as_of)
    .fetch_all(pool)
    .await?;
    let children: i64 = sqlx::query_scalar(&format!(
        "WITH {RUNNING}
         SELECT count(DISTINCT child) FROM running WHERE NOT child_served"
    ))
    .bind(gemeente)
    .bind(quarter.last_day())
    .bind(as_of)
    .fetch_one(pool)
    .await?;
    Ok(OutreachTally {
        children,
        credit_cents: rows.iter().map(|row| row.credit_cents).sum(),
        rows,
    })
}

/// As `policy` discloses it: the children through [`Policy::count`], the dates a breakdown of them,
/// and credit only where its children are shown, for the overleg in whole thousands of euros.
pub fn disclose(policy: Policy, tally: &OutreachTally) -> OutreachFigures {
    let children = policy.count(tally.children);
    let per_date = policy.protect_breakdown(&Relation {
        total: tally.children,
        parts: tally.rows.iter().map(|row| row.children).collect(),
    });
    OutreachFigures {
        children,
        credit_cents: children.map(|_| policy.budget_amount(tally.credit_cents)),
        rows: tally
            .rows
            .iter()
            .zip(per_date)
            .map(|(row, children)| OutreachDate {
                valid_until: row.valid_until,
                children,
                credit_cents: children.map(|_| policy.budget_amount(row.credit_cents)),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    const OVERLEG: Policy = Policy::DEFAULT_OVERLEG;

    fn tally() -> OutreachTally {
        OutreachTally {
            children: 28,
            credit_cents: 1_260_000,
            rows: vec![
                OutreachRow {
                    valid_until: date!(2026 - 12 - 31),
                    children: 25,
                    credit_cents: 1_100_000,
                },
                OutreachRow {
                    valid_until: date!(2027 - 07 - 31),
                    children: 3,
                    credit_cents: 160_000,
                },
            ],
        }
    }

    #[test]
    fn the_overleg_sees_who_has_not_used_their_right_as_rounded_flows_and_regie_exactly() {
        let figures = disclose(OVERLEG, &tally());
        assert_eq!(figures.children, Some(30), "28 rounded");
        assert_eq!(figures.credit_cents, Some(1_300_000), "thousands of euros");
        assert_eq!(
            figures.rows.iter().map(|r| r.children).collect::<Vec<_>>(),
            vec![None, None],
            "3 hidden, and the 25 with it (30 - 25)"
        );
        assert!(figures.rows.iter().all(|r| r.credit_cents.is_none()));
        let exact = disclose(Policy::Exact, &tally());
        assert_eq!(exact.children, Some(28));
        assert_eq!(exact.rows[1].credit_cents, Some(160_000));
    }
}
