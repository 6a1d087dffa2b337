//! Reading the read model into funnels: each query counts into tallies, which become figures under
//! the reader's [`Disclosure`]. Each tally is what the rows still hold plus what was folded into the
//! aggregates past the retention period (`folded_*`, see [`crate::projections::retention`]).

use kindpakket_platform::db::Migration;
use kindpakket_proto::GemeenteCode;
use sqlx::PgPool;

use super::{
    Counts, Disclosure, Funnel, NonUse, NonUseTally, Overview, PartnerFigures, PartnerTally,
    ReclaimTally, Reclaims, StepTally,
};

/// The funnel counts the distinct children of a gemeente at each step on every request: with the
/// child in the index beside the gemeente those counts read the index only, not every row of the
/// gemeente's year (on a filled year about six times faster for a large gemeente). They replace the
/// indexes on the gemeente alone, which they serve as well, so a write keeps as many indexes.
pub const FUNNEL_INDEX_MIGRATION: Migration = Migration {
    name: "0250_funnel_children_indexes",
    sql: r#"
        CREATE INDEX signals_gemeente_child ON signals (gemeente, child);
        CREATE INDEX applications_gemeente_id ON applications (gemeente, application_id);
        CREATE INDEX entitlements_gemeente_child ON entitlements (gemeente, child);
        CREATE INDEX deliveries_gemeente_child ON deliveries (gemeente, child);
        CREATE INDEX household_children_gemeente_child ON household_children (gemeente, child);
        DROP INDEX signals_gemeente;
        DROP INDEX applications_gemeente;
        DROP INDEX entitlements_gemeente;
        DROP INDEX household_children_gemeente;
    "#,
};

/// The steps of one gemeente.
#[derive(Debug, sqlx::FromRow)]
struct GemeenteSteps {
    gemeente: String,
    #[sqlx(flatten)]
    steps: StepTally,
}

/// One partner in one gemeente.
#[derive(Debug, sqlx::FromRow)]
struct GemeentePartner {
    gemeente: String,
    #[sqlx(flatten)]
    tally: PartnerTally,
}

/// The expired entitlements of one gemeente.
#[derive(Debug, sqlx::FromRow)]
struct GemeenteNonUse {
    gemeente: String,
    #[sqlx(flatten)]
    tally: NonUseTally,
}

/// The reclaims of one gemeente.
#[derive(Debug, sqlx::FromRow)]
struct GemeenteReclaims {
    gemeente: String,
    #[sqlx(flatten)]
    tally: ReclaimTally,
}

/// One gemeente's funnel (all zeros when nothing happened there yet).
pub async fn for_gemeente<D: Disclosure>(
    pool: &PgPool,
    gemeente: &GemeenteCode,
) -> Result<Funnel<D>, sqlx::Error> {
    let mut funnels = for_gemeenten(pool, std::slice::from_ref(gemeente)).await?;
    Ok(funnels
        .pop()
        .unwrap_or_else(|| Funnel::empty(gemeente.clone())))
}

/// The funnels of the given gemeenten (the ones a reader acts for), by CBS code, and their totals.
pub async fn overview<D: Disclosure>(
    pool: &PgPool,
    gemeenten: &[GemeenteCode],
) -> Result<Overview<D>, sqlx::Error> {
    // Children still in the rows, plus the folded ones whose gemeenten meet the reader's (a folded
    // child is in no row any more, so the two never overlap; see `projections::retention`).
    let total: StepTally = sqlx::query_as(
        "WITH folded AS (
            SELECT step, sum(children)::bigint AS children FROM folded_totals
            WHERE gemeenten && $1::text[] GROUP BY step
         )
         SELECT
            (SELECT count(DISTINCT child) FROM signals WHERE gemeente = ANY($1))
              + coalesce((SELECT children FROM folded WHERE step = 'signalled'), 0) AS signalled,
            (SELECT count(DISTINCT c.child) FROM application_children c
                 JOIN applications a USING (application_id) WHERE a.gemeente = ANY($1))
              + coalesce((SELECT children FROM folded WHERE step = 'applied'), 0) AS applied,
            (SELECT count(DISTINCT child) FROM (SELECT gemeente, child FROM entitlements
                 UNION ALL SELECT gemeente, child FROM household_children) e WHERE gemeente = ANY($1))
              + coalesce((SELECT children FROM folded WHERE step = 'granted'), 0) AS granted,
            (SELECT count(DISTINCT child) FROM deliveries WHERE gemeente = ANY($1))
              + coalesce((SELECT children FROM folded WHERE step = 'served'), 0) AS served",
    )
    .bind(codes(gemeenten))
    .fetch_one(pool)
    .await?;
    let gemeenten = for_gemeenten(pool, gemeenten).await?;
    let total = Counts::disclose(total)
        .hidden_where_a_part_is(gemeenten.iter().map(|funnel| &funnel.counts));
    Ok(Overview { gemeenten, total })
}

fn codes(gemeenten: &[GemeenteCode]) -> Vec<&str> {
    gemeenten.iter().map(GemeenteCode::as_str).collect()
}

/// The funnels of the given gemeenten, ordered by code; each gemeente has one, zeros included.
async fn for_gemeenten<D: Disclosure>(
    pool: &PgPool,
    gemeenten: &[GemeenteCode],
) -> Result<Vec<Funnel<D>>, sqlx::Error> {
    let codes = codes(gemeenten);
    let steps: Vec<GemeenteSteps> = sqlx::query_as(
        "SELECT g.gemeente,
            (SELECT count(DISTINCT child) FROM signals s WHERE s.gemeente = g.gemeente)
              + coalesce(f.signalled, 0) AS signalled,
            (SELECT count(DISTINCT c.child) FROM application_children c
                 JOIN applications a USING (application_id) WHERE a.gemeente = g.gemeente)
              + coalesce(f.applied, 0) AS applied,
            (SELECT count(DISTINCT child) FROM (SELECT gemeente, child FROM entitlements
                 UNION ALL SELECT gemeente, child FROM household_children) e
              WHERE e.gemeente = g.gemeente)
              + coalesce(f.granted, 0) AS granted,
            (SELECT count(DISTINCT child) FROM deliveries d WHERE d.gemeente = g.gemeente)
              + coalesce(f.served, 0) AS served
         FROM (SELECT DISTINCT unnest($1::text[]) AS gemeente) g
         LEFT JOIN folded_steps f USING (gemeente)
         ORDER BY g.gemeente",
    )
    .bind(&codes)
    .fetch_all(pool)
    .await?;
    // Every partner that is enrolled, delivered or was referred to, so that a delivery by a partner
    // whose enrolment has not arrived yet still counts.
    let partners: Vec<GemeentePartner> = sqlx::query_as(
        "WITH known AS (
            SELECT gemeente, partner FROM partners WHERE gemeente = ANY($1)
            UNION SELECT gemeente, partner FROM deliveries WHERE gemeente = ANY($1)
            UNION SELECT gemeente, referred_partner FROM signals
                WHERE gemeente = ANY($1) AND referred_partner IS NOT NULL
            UNION SELECT gemeente, partner FROM folded_partners WHERE gemeente = ANY($1)
         ), served AS (
            SELECT gemeente, partner, count(DISTINCT child) AS children, count(*) AS deliveries,
                   sum(amount_cents)::bigint AS amount_cents
            FROM deliveries WHERE gemeente = ANY($1) GROUP BY gemeente, partner
         ), referred AS (
            SELECT gemeente, referred_partner AS partner, count(*) AS signals
            FROM signals WHERE gemeente = ANY($1) AND referred_partner IS NOT NULL
            GROUP BY gemeente, referred_partner
         )
         SELECT k.gemeente, k.partner, coalesce(p.name, k.partner) AS name,
                coalesce(s.children, 0) + coalesce(f.children_served, 0) AS children_served,
                coalesce(s.deliveries, 0) + coalesce(f.deliveries, 0) AS deliveries,
                (coalesce(s.amount_cents, 0) + coalesce(f.amount_cents, 0))::bigint AS amount_cents,
                coalesce(r.signals, 0) + coalesce(f.referrals, 0) AS referrals
         FROM known k
         LEFT JOIN partners p USING (gemeente, partner)
         LEFT JOIN served s USING (gemeente, partner)
         LEFT JOIN referred r USING (gemeente, partner)
         LEFT JOIN folded_partners f USING (gemeente, partner)
         ORDER BY k.gemeente, lower(coalesce(p.name, k.partner)), k.partner",
    )
    .bind(&codes)
    .fetch_all(pool)
    .await?;
    let mut funnels = Vec::with_capacity(steps.len());
    for row in steps {
        let gemeente = GemeenteCode::parse(&row.gemeente)
            .map_err(|invalid| sqlx::Error::Decode(Box::new(invalid)))?;
        funnels.push(Funnel::<D> {
            counts: Counts::disclose(row.steps),
            ..Funnel::empty(gemeente)
        });
    }
    let non_use: Vec<GemeenteNonUse> = sqlx::query_as(
        "WITH live AS (
            SELECT gemeente, count(*) AS expired, count(*) FILTER (WHERE used_cents = 0) AS expired_unused,
                   count(DISTINCT child) FILTER (WHERE used_cents = 0) AS children_unused,
                   coalesce(sum(unused_cents), 0)::bigint AS unused_cents
            FROM expirations WHERE gemeente = ANY($1) GROUP BY gemeente
         ), folded AS (
            SELECT gemeente, expired, expired_unused, children_unused, unused_cents
            FROM folded_non_use WHERE gemeente = ANY($1)
         )
         SELECT gemeente, coalesce(l.expired, 0) + coalesce(f.expired, 0) AS expired,
                coalesce(l.expired_unused, 0) + coalesce(f.expired_unused, 0) AS expired_unused,
                coalesce(l.children_unused, 0) + coalesce(f.children_unused, 0) AS children_unused,
                (coalesce(l.unused_cents, 0) + coalesce(f.unused_cents, 0))::bigint AS unused_cents
         FROM live l FULL JOIN folded f USING (gemeente)",
    )
    .bind(&codes)
    .fetch_all(pool)
    .await?;
    for row in non_use {
        if let Some(funnel) = funnels
            .iter_mut()
            .find(|f| f.gemeente.as_str() == row.gemeente)
        {
            funnel.non_use = NonUse::disclose(row.tally);
        }
    }
    let reclaims: Vec<GemeenteReclaims> = sqlx::query_as(
        "SELECT gemeente, count(*) AS reclaims, coalesce(sum(amount_cents), 0)::bigint AS amount_cents
         FROM reclaims WHERE gemeente = ANY($1) GROUP BY gemeente",
    )
    .bind(&codes)
    .fetch_all(pool)
    .await?;
    for row in reclaims {
        if let Some(funnel) = funnels
            .iter_mut()
            .find(|f| f.gemeente.as_str() == row.gemeente)
        {
            funnel.reclaims = Reclaims::disclose(row.tally);
        }
    }
    for row in partners {
        if let Some(funnel) = funnels
            .iter_mut()
            .find(|f| f.gemeente.as_str() == row.gemeente)
        {
            funnel.partners.push(PartnerFigures::disclose(row.tally));
        }
    }
    Ok(funnels)
}
