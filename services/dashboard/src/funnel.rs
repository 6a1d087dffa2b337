//! The funnel: how many children were signalled, applied for, granted and served, per gemeente and
//! per partner. Counted in distinct (pseudonymous) children, never listed.

use serde::Serialize;
use sqlx::PgPool;

/// One gemeente's figures.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Funnel {
    pub gemeente: String,
    pub gesignaleerd: i64,
    pub aangevraagd: i64,
    pub toegekend: i64,
    pub bediend: i64,
    /// Served as a share of granted children, in whole percent; none when nobody was granted.
    pub gebruik_percentage: Option<i64>,
    pub partners: Vec<PartnerFigures>,
}

/// One partner's figures in one gemeente.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PartnerFigures {
    pub partner: String,
    pub naam: String,
    /// Children served by this partner.
    pub bediend: i64,
    pub verstrekkingen: i64,
    pub bedrag_cent: i64,
    /// Signals that referred a family to this partner.
    pub doorverwezen: i64,
}

/// The figures of every gemeente together.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub gesignaleerd: i64,
    pub aangevraagd: i64,
    pub toegekend: i64,
    pub bediend: i64,
    pub gebruik_percentage: Option<i64>,
}

/// Served as a whole percentage of granted, rounded half up.
pub fn usage_percentage(served: i64, granted: i64) -> Option<i64> {
    (granted > 0).then(|| (served * 200 + granted) / (granted * 2))
}

pub fn totals(funnels: &[Funnel]) -> Totals {
    let sum = |figure: fn(&Funnel) -> i64| funnels.iter().map(figure).sum::<i64>();
    let toegekend = sum(|f| f.toegekend);
    let bediend = sum(|f| f.bediend);
    Totals {
        gesignaleerd: sum(|f| f.gesignaleerd),
        aangevraagd: sum(|f| f.aangevraagd),
        toegekend,
        bediend,
        gebruik_percentage: usage_percentage(bediend, toegekend),
    }
}

/// One gemeente's funnel (all zeros when nothing happened there yet).
pub async fn for_gemeente(pool: &PgPool, gemeente: &str) -> Result<Funnel, sqlx::Error> {
    let (gesignaleerd, aangevraagd, toegekend, bediend): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT
            (SELECT count(DISTINCT child) FROM signals WHERE gemeente = $1),
            (SELECT count(DISTINCT c.child) FROM application_children c
                 JOIN applications a USING (application_id) WHERE a.gemeente = $1),
            (SELECT count(DISTINCT child) FROM entitlements WHERE gemeente = $1),
            (SELECT count(DISTINCT child) FROM deliveries WHERE gemeente = $1)",
    )
    .bind(gemeente)
    .fetch_one(pool)
    .await?;
    let rows: Vec<(String, String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT p.partner, p.name,
                count(DISTINCT d.child),
                count(d.delivery_id),
                coalesce(sum(d.amount_cents), 0)::bigint,
                (SELECT count(*) FROM signals s WHERE s.gemeente = p.gemeente AND s.referred_partner = p.partner)
         FROM partners p
         LEFT JOIN deliveries d ON d.gemeente = p.gemeente AND d.partner = p.partner
         WHERE p.gemeente = $1
         GROUP BY p.gemeente, p.partner, p.name
         ORDER BY p.name",
    )
    .bind(gemeente)
    .fetch_all(pool)
    .await?;
    let partners = rows
        .into_iter()
        .map(
            |(partner, naam, bediend, verstrekkingen, bedrag_cent, doorverwezen)| PartnerFigures {
                partner,
                naam,
                bediend,
                verstrekkingen,
                bedrag_cent,
                doorverwezen,
            },
        )
        .collect();
    Ok(Funnel {
        gemeente: gemeente.to_owned(),
        gesignaleerd,
        aangevraagd,
        toegekend,
        bediend,
        gebruik_percentage: usage_percentage(bediend, toegekend),
        partners,
    })
}

/// The funnel of every gemeente the read model knows, by CBS code.
pub async fn for_all(pool: &PgPool) -> Result<Vec<Funnel>, sqlx::Error> {
    let gemeenten: Vec<String> = sqlx::query_scalar(
        "SELECT gemeente FROM partners UNION SELECT gemeente FROM provisions UNION SELECT gemeente FROM signals
         UNION SELECT gemeente FROM applications UNION SELECT gemeente FROM deliveries ORDER BY 1",
    )
    .fetch_all(pool)
    .await?;
    let mut funnels = Vec::with_capacity(gemeenten.len());
    for gemeente in gemeenten {
        funnels.push(for_gemeente(pool, &gemeente).await?);
    }
    Ok(funnels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_served_over_granted_rounded_half_up() {
        assert_eq!(usage_percentage(0, 0), None);
        assert_eq!(usage_percentage(1, 1), Some(100));
        assert_eq!(usage_percentage(2, 3), Some(67));
        assert_eq!(usage_percentage(1, 3), Some(33));
        assert_eq!(usage_percentage(1, 8), Some(13));
    }

    #[test]
    fn totals_add_the_gemeenten_up() {
        let funnel = |gesignaleerd, toegekend, bediend| Funnel {
            gemeente: "GM0518".to_owned(),
            gesignaleerd,
            aangevraagd: 0,
            toegekend,
            bediend,
            gebruik_percentage: None,
            partners: vec![],
        };
        let totals = totals(&[funnel(4, 2, 1), funnel(3, 2, 2)]);
        assert_eq!(totals.gesignaleerd, 7);
        assert_eq!(totals.toegekend, 4);
        assert_eq!(totals.bediend, 3);
        assert_eq!(totals.gebruik_percentage, Some(75));
    }
}
