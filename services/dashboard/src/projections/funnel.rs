//! The funnel: how many children were signalled, applied for, granted and served, per gemeente and
//! per partner. Counted in distinct (pseudonymous) children, never listed: no query here returns a
//! child reference.
//!
//! The steps, each a count of distinct children:
//! - `gesignaleerd`: children in a signal;
//! - `aangevraagd`: children in a submitted application, whatever became of it;
//! - `toegekend`: children with at least one entitlement, whether the grant (application stream) or
//!   the opened entitlement (provision stream) arrived first; both write the same row;
//! - `bediend`: children with at least one delivery. A delivery is always against an entitlement
//!   opened earlier on the same aggregate, so `bediend` never exceeds `toegekend`.

use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;

/// The overleg sees aggregates only, with small cells suppressed (DESIGN.md §2): a count of 1 to 4
/// children (or of what they received) could point at a family the members know.
pub const SMALL_CELL_THRESHOLD: i64 = 5;

/// Whether a count is too small to show to the overleg (zero is shown: it points at nobody).
pub fn is_small(count: i64) -> bool {
    (1..SMALL_CELL_THRESHOLD).contains(&count)
}

/// Counts of children, or of things a few children received, that are hidden when small.
const SMALL_WHEN_SMALL: [&str; 9] = [
    "gesignaleerd",
    "aangevraagd",
    "toegekend",
    "bediend",
    "doorverwezen",
    "verstrekkingen",
    "vervallenRechten",
    "rechtenZonderGebruik",
    "kinderenZonderGebruik",
];

/// The JSON of a funnel (or of several) as the overleg may see it: every small count in
/// [`SMALL_WHEN_SMALL`] becomes `null`, and so does what could reveal it: the usage percentage when
/// granted or served is hidden, a partner's amount when its served children are, the unused amount
/// when the children without use are. Differences between shown totals and shown parts can still
/// narrow a hidden cell down (no secondary suppression).
pub fn suppress_small_cells(value: &mut Value) {
    match value {
        Value::Object(object) => {
            for key in SMALL_WHEN_SMALL {
                if let Some(count) = object.get(key).and_then(Value::as_i64) {
                    if is_small(count) {
                        object.insert(key.to_owned(), Value::Null);
                    }
                }
            }
            let hidden = |object: &serde_json::Map<String, Value>, key: &str| {
                object.get(key).is_some_and(Value::is_null)
            };
            if (hidden(object, "toegekend") || hidden(object, "bediend"))
                && object.contains_key("gebruikPercentage")
            {
                object.insert("gebruikPercentage".to_owned(), Value::Null);
            }
            if hidden(object, "bediend") && object.contains_key("bedragCent") {
                object.insert("bedragCent".to_owned(), Value::Null);
            }
            if hidden(object, "kinderenZonderGebruik") && object.contains_key("ongebruiktCent") {
                object.insert("ongebruiktCent".to_owned(), Value::Null);
            }
            for child in object.values_mut() {
                suppress_small_cells(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(suppress_small_cells),
        _ => {}
    }
}

/// The four steps and the usage, counted in children.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub gesignaleerd: i64,
    pub aangevraagd: i64,
    pub toegekend: i64,
    pub bediend: i64,
    /// Served as a share of granted children, in whole percent; none when nobody was granted.
    pub gebruik_percentage: Option<i64>,
}

impl Counts {
    pub fn new(gesignaleerd: i64, aangevraagd: i64, toegekend: i64, bediend: i64) -> Self {
        Self {
            gesignaleerd,
            aangevraagd,
            toegekend,
            bediend,
            gebruik_percentage: usage_percentage(bediend, toegekend),
        }
    }
}

/// One gemeente's figures.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Funnel {
    /// The CBS code, e.g. `GM0518`.
    pub gemeente: String,
    #[serde(flatten)]
    pub counts: Counts,
    pub partners: Vec<PartnerFigures>,
    /// What expired unused at the year end: the outreach list of the next year.
    pub niet_gebruikt: NonUse,
}

/// Entitlements that expired, and what was left on them.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct NonUse {
    pub vervallen_rechten: i64,
    /// Expired without anything spent on them.
    pub rechten_zonder_gebruik: i64,
    /// Children with at least one entitlement that expired unused.
    pub kinderen_zonder_gebruik: i64,
    pub ongebruikt_cent: i64,
}

impl Funnel {
    /// A gemeente where nothing happened yet.
    pub fn empty(gemeente: &str) -> Self {
        Self {
            gemeente: gemeente.to_owned(),
            counts: Counts::default(),
            partners: Vec::new(),
            niet_gebruikt: NonUse::default(),
        }
    }
}

/// One partner's figures in one gemeente.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PartnerFigures {
    /// The partner's organisation code, e.g. `leergeld-den-haag`.
    pub partner: String,
    /// The partner's public name; its code while its enrolment has not reached the dashboard yet.
    pub naam: String,
    /// Children served by this partner.
    pub bediend: i64,
    pub verstrekkingen: i64,
    pub bedrag_cent: i64,
    /// Signals that referred a family to this partner.
    pub doorverwezen: i64,
}

/// Every gemeente's funnel, and the totals.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Overview {
    pub gemeenten: Vec<Funnel>,
    /// Across all gemeenten; a child known in two gemeenten counts once.
    pub totaal: Counts,
}

/// Served as a whole percentage of granted, rounded half up; none when nobody was granted.
pub fn usage_percentage(served: i64, granted: i64) -> Option<i64> {
    (granted > 0).then(|| (served * 200 + granted) / (granted * 2))
}

/// One gemeente's funnel (all zeros when nothing happened there yet).
pub async fn for_gemeente(pool: &PgPool, gemeente: &str) -> Result<Funnel, sqlx::Error> {
    let mut funnels = for_gemeenten(pool, &[gemeente.to_owned()]).await?;
    Ok(funnels.pop().unwrap_or_else(|| Funnel::empty(gemeente)))
}

/// The funnels of the given gemeenten (the ones a reader acts for), by CBS code, and their totals.
pub async fn overview(pool: &PgPool, gemeenten: &[String]) -> Result<Overview, sqlx::Error> {
    let (gesignaleerd, aangevraagd, toegekend, bediend): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT
            (SELECT count(DISTINCT child) FROM signals WHERE gemeente = ANY($1)),
            (SELECT count(DISTINCT c.child) FROM application_children c
                 JOIN applications a USING (application_id) WHERE a.gemeente = ANY($1)),
            (SELECT count(DISTINCT child) FROM entitlements WHERE gemeente = ANY($1)),
            (SELECT count(DISTINCT child) FROM deliveries WHERE gemeente = ANY($1))",
    )
    .bind(gemeenten)
    .fetch_one(pool)
    .await?;
    Ok(Overview {
        gemeenten: for_gemeenten(pool, gemeenten).await?,
        totaal: Counts::new(gesignaleerd, aangevraagd, toegekend, bediend),
    })
}

/// The funnels of the given gemeenten, ordered by code; each gemeente has one, zeros included.
async fn for_gemeenten(pool: &PgPool, gemeenten: &[String]) -> Result<Vec<Funnel>, sqlx::Error> {
    let counts: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT g.gemeente,
            (SELECT count(DISTINCT child) FROM signals s WHERE s.gemeente = g.gemeente),
            (SELECT count(DISTINCT c.child) FROM application_children c
                 JOIN applications a USING (application_id) WHERE a.gemeente = g.gemeente),
            (SELECT count(DISTINCT child) FROM entitlements e WHERE e.gemeente = g.gemeente),
            (SELECT count(DISTINCT child) FROM deliveries d WHERE d.gemeente = g.gemeente)
         FROM (SELECT DISTINCT unnest($1::text[]) AS gemeente) g
         ORDER BY g.gemeente",
    )
    .bind(gemeenten)
    .fetch_all(pool)
    .await?;
    // Every partner that is enrolled, delivered or was referred to, so that a delivery by a partner
    // whose enrolment has not arrived yet still counts.
    let partners: Vec<(String, String, String, i64, i64, i64, i64)> = sqlx::query_as(
        "WITH known AS (
            SELECT gemeente, partner FROM partners WHERE gemeente = ANY($1)
            UNION SELECT gemeente, partner FROM deliveries WHERE gemeente = ANY($1)
            UNION SELECT gemeente, referred_partner FROM signals
                WHERE gemeente = ANY($1) AND referred_partner IS NOT NULL
         ), served AS (
            SELECT gemeente, partner, count(DISTINCT child) AS children, count(*) AS deliveries,
                   sum(amount_cents)::bigint AS amount_cents
            FROM deliveries WHERE gemeente = ANY($1) GROUP BY gemeente, partner
         ), referred AS (
            SELECT gemeente, referred_partner AS partner, count(*) AS signals
            FROM signals WHERE gemeente = ANY($1) AND referred_partner IS NOT NULL
            GROUP BY gemeente, referred_partner
         )
         SELECT k.gemeente, k.partner, coalesce(p.name, k.partner),
                coalesce(s.children, 0), coalesce(s.deliveries, 0), coalesce(s.amount_cents, 0),
                coalesce(r.signals, 0)
         FROM known k
         LEFT JOIN partners p USING (gemeente, partner)
         LEFT JOIN served s USING (gemeente, partner)
         LEFT JOIN referred r USING (gemeente, partner)
         ORDER BY k.gemeente, lower(coalesce(p.name, k.partner)), k.partner",
    )
    .bind(gemeenten)
    .fetch_all(pool)
    .await?;
    let mut funnels: Vec<Funnel> = counts
        .into_iter()
        .map(
            |(gemeente, gesignaleerd, aangevraagd, toegekend, bediend)| Funnel {
                gemeente,
                counts: Counts::new(gesignaleerd, aangevraagd, toegekend, bediend),
                partners: Vec::new(),
                niet_gebruikt: NonUse::default(),
            },
        )
        .collect();
    let non_use: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT gemeente, count(*), count(*) FILTER (WHERE used_cents = 0),
                count(DISTINCT child) FILTER (WHERE used_cents = 0), coalesce(sum(unused_cents), 0)::bigint
         FROM expirations WHERE gemeente = ANY($1) GROUP BY gemeente",
    )
    .bind(gemeenten)
    .fetch_all(pool)
    .await?;
    for (gemeente, expired, unused_entitlements, children, cents) in non_use {
        if let Some(funnel) = funnels.iter_mut().find(|f| f.gemeente == gemeente) {
            funnel.niet_gebruikt = NonUse {
                vervallen_rechten: expired,
                rechten_zonder_gebruik: unused_entitlements,
                kinderen_zonder_gebruik: children,
                ongebruikt_cent: cents,
            };
        }
    }
    for (gemeente, partner, naam, bediend, verstrekkingen, bedrag_cent, doorverwezen) in partners {
        if let Some(funnel) = funnels.iter_mut().find(|f| f.gemeente == gemeente) {
            funnel.partners.push(PartnerFigures {
                partner,
                naam,
                bediend,
                verstrekkingen,
                bedrag_cent,
                doorverwezen,
            });
        }
    }
    Ok(funnels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_served_over_granted_rounded_half_up() {
        assert_eq!(usage_percentage(1, 1), Some(100));
        assert_eq!(usage_percentage(2, 3), Some(67));
        assert_eq!(usage_percentage(1, 3), Some(33));
        assert_eq!(usage_percentage(1, 8), Some(13), "12.5 rounds up");
        assert_eq!(usage_percentage(1, 200), Some(1), "0.5 rounds up");
        assert_eq!(usage_percentage(1, 201), Some(0));
        assert_eq!(usage_percentage(0, 5), Some(0));
    }

    #[test]
    fn usage_is_absent_when_nobody_was_granted() {
        assert_eq!(usage_percentage(0, 0), None);
        let counts = Counts::new(3, 2, 0, 0);
        assert_eq!(counts.gebruik_percentage, None);
        let json = serde_json::to_value(&counts).unwrap();
        assert!(
            json["gebruikPercentage"].is_null(),
            "shown as null, not left out: {json}"
        );
    }

    #[test]
    fn a_funnel_reads_as_dutch_json_with_its_counts_beside_the_gemeente() {
        let funnel = Funnel {
            gemeente: "GM0518".to_owned(),
            counts: Counts::new(4, 3, 2, 1),
            partners: vec![PartnerFigures {
                partner: "leergeld".to_owned(),
                naam: "Stichting Leergeld".to_owned(),
                bediend: 1,
                verstrekkingen: 2,
                bedrag_cent: 7_550,
                doorverwezen: 1,
            }],
            niet_gebruikt: NonUse {
                vervallen_rechten: 2,
                rechten_zonder_gebruik: 1,
                kinderen_zonder_gebruik: 1,
                ongebruikt_cent: 2_500,
            },
        };
        let json = serde_json::to_value(&funnel).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "gemeente": "GM0518",
                "gesignaleerd": 4, "aangevraagd": 3, "toegekend": 2, "bediend": 1,
                "gebruikPercentage": 50,
                "partners": [{"partner": "leergeld", "naam": "Stichting Leergeld", "bediend": 1,
                              "verstrekkingen": 2, "bedragCent": 7_550, "doorverwezen": 1}],
                "nietGebruikt": {"vervallenRechten": 2, "rechtenZonderGebruik": 1,
                                 "kinderenZonderGebruik": 1, "ongebruiktCent": 2_500}
            })
        );
    }

    #[test]
    fn an_empty_gemeente_has_zeros_and_no_usage() {
        let funnel = Funnel::empty("GM0014");
        assert_eq!(funnel.counts.gesignaleerd, 0);
        assert_eq!(funnel.counts.bediend, 0);
        assert_eq!(funnel.counts.gebruik_percentage, None);
        assert!(funnel.partners.is_empty());
    }
}

#[cfg(test)]
mod small_cells {
    use serde_json::json;

    use super::suppress_small_cells;

    #[test]
    fn small_counts_and_what_would_reveal_them_are_hidden_and_the_rest_is_kept() {
        let mut figures = json!({
            "gemeente": "GM0518", "gesignaleerd": 12, "aangevraagd": 7, "toegekend": 6, "bediend": 3,
            "gebruikPercentage": 50,
            "partners": [
                {"partner": "leergeld", "bediend": 2, "verstrekkingen": 2, "bedragCent": 7550, "doorverwezen": 0},
                {"partner": "jeugdfonds", "bediend": 5, "verstrekkingen": 9, "bedragCent": 90000, "doorverwezen": 6}
            ],
            "nietGebruikt": {"vervallenRechten": 1, "rechtenZonderGebruik": 1, "kinderenZonderGebruik": 1, "ongebruiktCent": 2500}
        });
        suppress_small_cells(&mut figures);
        assert_eq!(figures["gesignaleerd"], 12);
        assert_eq!(figures["aangevraagd"], 7);
        assert_eq!(figures["bediend"], json!(null));
        assert_eq!(figures["gebruikPercentage"], json!(null));
        assert_eq!(figures["partners"][0]["bediend"], json!(null));
        assert_eq!(figures["partners"][0]["bedragCent"], json!(null));
        assert_eq!(
            figures["partners"][0]["doorverwezen"], 0,
            "zero points at nobody"
        );
        assert_eq!(figures["partners"][1]["bediend"], 5);
        assert_eq!(figures["partners"][1]["bedragCent"], 90000);
        assert_eq!(figures["nietGebruikt"]["ongebruiktCent"], json!(null));
    }
}
