//! Reading a quarter's tallies from the read model (exact counts, never shown as they are: they
//! become figures through a [`super::disclosure::Policy`]). Every query counts only facts that
//! occurred before the quarter's moment (`as_of`), so the figures of an established quarter stay
//! what they were however many events arrive later.

use std::collections::BTreeMap;

use sqlx::PgPool;
use time::{Date, OffsetDateTime};

use super::quarter::Quarter;
use super::reach::{self, ReachTally};
use super::{Breakdown, Filters};
use crate::projections::funnel::StepTally;

/// Every fact of one gemeente as a step of a child's chain, with the dimensions the overleg breaks
/// the figures down by. `$1` is the gemeente, `$4` the moment the figures are as of (an
/// application's age band and a child's wijk come only from what occurred before it).
///
/// - signalled: the signal's wijk and kind of help; the partner it was referred to;
/// - applied: the wijk of the signal it follows; its channel; who took it on the family's behalf;
/// - granted, served: the application's wijk and channel; the provision's type; who took the
///   application (granted) or who served (served).
const FACTS: &str = r#"
    app AS (
        SELECT a.application_id, a.channel, a.submitted_on, a.occurred_at, a.taken_by, s.wijk
        FROM applications a LEFT JOIN signals s ON s.signal_id = a.signal_id
        WHERE a.gemeente = $1
    ), band AS (
        SELECT DISTINCT ON (c.child) c.child, c.age_band
        FROM application_children c JOIN app a USING (application_id)
        WHERE c.age_band IS NOT NULL AND coalesce(a.occurred_at, '-infinity') < $4
        ORDER BY c.child, a.submitted_on DESC, a.application_id
    ), ptype AS (
        SELECT DISTINCT ON (code) code, provision_type FROM provisions
        WHERE gemeente = $1 ORDER BY code, regeling_id
    ), raw AS (
        SELECT 'signalled' AS step, s.child, s.signalled_on AS on_date, s.occurred_at,
               s.wijk, 'signalering' AS channel, s.provision_type,
               coalesce(s.referred_partner, 'gemeente') AS partner
        FROM signals s WHERE s.gemeente = $1
        UNION ALL
        SELECT 'applied', c.child, a.submitted_on, a.occurred_at, a.wijk, a.channel, 'pakket',
               coalesce(a.taken_by, 'gemeente')
        FROM application_children c JOIN app a USING (application_id)
        UNION ALL
        SELECT 'granted', e.child, e.granted_on, e.granted_at, a.wijk, a.channel, t.provision_type,
               coalesce(a.taken_by, 'gemeente')
        FROM entitlements e LEFT JOIN app a USING (application_id)
             LEFT JOIN ptype t ON t.code = e.provision
        WHERE e.gemeente = $1 AND e.granted_on IS NOT NULL
        UNION ALL
        SELECT 'served', d.child, d.delivered_on, d.occurred_at, a.wijk, a.channel,
               t.provision_type, d.partner
        FROM deliveries d LEFT JOIN entitlements e USING (entitlement_id)
             LEFT JOIN app a ON a.application_id = e.application_id
             LEFT JOIN ptype t ON t.code = d.provision
        WHERE d.gemeente = $1
    ), facts AS (
        SELECT r.step, r.child, r.on_date, coalesce(r.occurred_at, '-infinity') AS occurred_at,
               coalesce(r.wijk, 'onbekend') AS wijk, coalesce(b.age_band, 'onbekend') AS age_band,
               coalesce(r.channel, 'onbekend') AS channel,
               coalesce(r.provision_type, 'onbekend') AS provision_type, r.partner
        FROM raw r LEFT JOIN band b USING (child)
        WHERE ($5::text IS NULL OR coalesce(r.wijk, 'onbekend') = $5)
          AND ($6::text IS NULL OR coalesce(b.age_band, 'onbekend') = $6)
          AND ($7::text IS NULL OR coalesce(r.channel, 'onbekend') = $7)
          AND ($8::text IS NULL OR coalesce(r.provision_type, 'onbekend') = $8)
          AND ($9::text IS NULL OR r.partner = $9)
    )
"#;

/// One quarter of one gemeente, counted exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuarterTally {
    pub funnel: StepTally,
    /// Children served in the year up to the quarter's end, and children in view (granted).
    pub served_in_year: i64,
    pub granted_in_year: i64,
    /// Every breakdown: its rows (value, steps), ordered by value.
    pub breakdowns: BTreeMap<Breakdown, Vec<(String, StepTally)>>,
    pub partners: Vec<PartnerTally>,
    pub lead_times: Vec<LeadTimeTally>,
    pub signallers: Vec<SignallerTally>,
    /// Facts of earlier quarters that occurred after those were established and before this one.
    pub late: Vec<(Quarter, StepTally)>,
    /// Children served in the year per wijk and age band, and the doelgroep of the year.
    pub reach: ReachTally,
    /// The year's budgets per funding source (none when the report is filtered).
    pub budgets: Vec<super::budgets::BudgetTally>,
    /// The wishes dated in the quarter (none when the report is filtered).
    pub wishes: Option<super::wishes::WishTally>,
    pub outreach: Option<super::outreach::OutreachTally>,
    /// The campaigns started by the quarter's end (none when the report is filtered).
    pub campaigns: Option<Vec<super::campaigns::CampaignTally>>,
}

/// One partner's quarter, counted exactly.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PartnerTally {
    pub partner: String,
    pub name: String,
    /// Signals referred to it and picked up by their due date.
    pub picked_up_in_time: i64,
    pub custom_decisions: i64,
    pub children_served: i64,
    pub deliveries: i64,
    pub amount_cents: i64,
}

/// One lead time: its cases, their median and 90th percentile in days.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LeadTimeTally {
    pub route: String,
    pub cases: i64,
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

impl Eq for LeadTimeTally {}

/// One signalling organisation's signals in the quarter and what became of them by the moment.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SignallerTally {
    pub signaller: String,
    pub signals: i64,
    pub applied: i64,
    pub served: i64,
}

#[derive(Debug, sqlx::FromRow)]
struct Cell {
    step: String,
    dimension: Option<String>,
    value: Option<String>,
    children: i64,
}

fn add(steps: &mut StepTally, step: &str, children: i64) {
    match step {
        "signalled" => steps.signalled = children,
        "applied" => steps.applied = children,
        "granted" => steps.granted = children,
        _ => steps.served = children,
    }
}

/// The facts' dates and moments a query counts.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub from: Date,
    pub to: Date,
    pub as_of: OffsetDateTime,
}

fn bind_facts<'q>(
    query: sqlx::query::QueryAs<'q, sqlx::Postgres, Cell, sqlx::postgres::PgArguments>,
    gemeente: &'q str,
    window: Window,
    filters: &'q Filters,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, Cell, sqlx::postgres::PgArguments> {
    query
        .bind(gemeente)
        .bind(window.from)
        .bind(window.to)
        .bind(window.as_of)
        .bind(filters.wijk.as_deref())
        .bind(filters.age_band.as_deref())
        .bind(filters.channel.as_deref())
        .bind(filters.provision_type.as_deref())
        .bind(filters.partner.as_deref())
}

/// The tallies of `quarter` in `gemeente` as of `as_of`.
pub async fn quarter(
    pool: &PgPool,
    gemeente: &str,
    quarter: Quarter,
    as_of: OffsetDateTime,
    previous_as_of: OffsetDateTime,
    filters: &Filters,
) -> Result<QuarterTally, sqlx::Error> {
    let window = Window {
        from: quarter.first_day(),
        to: quarter.last_day(),
        as_of,
    };
    let mut tally = QuarterTally::default();
    // The funnel and every breakdown at once: one grouping set per dimension.
    let cells: Vec<Cell> = bind_facts(
        sqlx::query_as(&format!(
            "WITH {FACTS}
             SELECT step,
                    CASE WHEN grouping(wijk) = 0 THEN 'wijk'
                         WHEN grouping(age_band) = 0 THEN 'leeftijd'
                         WHEN grouping(channel) = 0 THEN 'kanaal'
                         WHEN grouping(provision_type) = 0 THEN 'voorziening'
                         WHEN grouping(partner) = 0 THEN 'partner' END AS dimension,
                    coalesce(
                        CASE WHEN grouping(wijk) = 0 THEN wijk END,
                        CASE WHEN grouping(age_band) = 0 THEN age_band END,
                        CASE WHEN grouping(channel) = 0 THEN channel END,
                        CASE WHEN grouping(provision_type) = 0 THEN provision_type END,
                        CASE WHEN grouping(partner) = 0 THEN partner END) AS value,
                    count(DISTINCT child) AS children
             FROM facts
             WHERE on_date BETWEEN $2 AND $3 AND occurred_at < $4
             GROUP BY GROUPING SETS ((step), (step, wijk), (step, age_band), (step, channel),
                                     (step, provision_type), (step, partner))"
        )),
        gemeente,
        window,
        filters,
    )
    .fetch_all(pool)
    .await?;
    let mut rows: BTreeMap<Breakdown, BTreeMap<String, StepTally>> = Breakdown::ALL
        .iter()
        .map(|breakdown| (*breakdown, BTreeMap::new()))
        .collect();
    for cell in cells {
        match (
            cell.dimension.as_deref().and_then(Breakdown::parse),
            cell.value,
        ) {
            (Some(Breakdown::ProvisionType), Some(value)) => add(
                rows.entry(Breakdown::ProvisionType)
                    .or_default()
                    .entry(super::provision_type_in_dutch(&value))
                    .or_default(),
                &cell.step,
                cell.children,
            ),
            (Some(breakdown), Some(value)) => add(
                rows.entry(breakdown).or_default().entry(value).or_default(),
                &cell.step,
                cell.children,
            ),
            _ => add(&mut tally.funnel, &cell.step, cell.children),
        }
    }
    tally.breakdowns = rows
        .into_iter()
        .map(|(breakdown, rows)| (breakdown, rows.into_iter().collect()))
        .collect();

    // The usage: served and granted children in the year up to the quarter's end.
    let year = Window {
        from: quarter.year_start(),
        ..window
    };
    let in_year: Vec<Cell> = bind_facts(
        sqlx::query_as(&format!(
            "WITH {FACTS}
             SELECT step, NULL::text AS dimension, NULL::text AS value,
                    count(DISTINCT child) AS children
             FROM facts
             WHERE on_date BETWEEN $2 AND $3 AND occurred_at < $4
               AND step IN ('granted', 'served')
             GROUP BY step"
        )),
        gemeente,
        year,
        filters,
    )
    .fetch_all(pool)
    .await?;
    for cell in in_year {
        match cell.step.as_str() {
            "granted" => tally.granted_in_year = cell.children,
            _ => tally.served_in_year = cell.children,
        }
    }

    // Late: facts dated before this quarter that occurred after the previous one was established.
    let late: Vec<Cell> = bind_facts(
        sqlx::query_as(&format!(
            "WITH {FACTS}
             SELECT step, NULL::text AS dimension,
                    (extract(year FROM on_date)::int || '-K' || extract(quarter FROM on_date)::int)
                        AS value,
                    count(DISTINCT child) AS children
             FROM facts
             WHERE on_date < $2 AND occurred_at < $4 AND occurred_at >= $10
               AND $3::date IS NOT NULL
             GROUP BY step, value"
        )),
        gemeente,
        window,
        filters,
    )
    .bind(previous_as_of)
    .fetch_all(pool)
    .await?;
    let mut late_rows: BTreeMap<Quarter, StepTally> = BTreeMap::new();
    for cell in late {
        if let Some(quarter) = cell.value.as_deref().and_then(|v| v.parse().ok()) {
            add(
                late_rows.entry(quarter).or_default(),
                &cell.step,
                cell.children,
            );
        }
    }
    tally.late = late_rows.into_iter().rev().collect();

    tally.reach = ReachTally {
        served_in_year: served_in_year_by(pool, gemeente, year, filters).await?,
        target_group: reach::target_group_tally(pool, gemeente, quarter.year(), filters).await?,
    };
    tally.partners = partners(pool, gemeente, window).await?;
    tally.lead_times = lead_times(pool, gemeente, window).await?;
    tally.signallers = signallers(pool, gemeente, window).await?;
    // A budget is the whole gemeente's: a report restricted to a wijk or a partner has none.
    if filters.is_empty() {
        tally.budgets = super::budgets::tally(pool, gemeente, quarter, as_of).await?;
        // A wish has no wijk, age band, channel or partner: a filtered report has none.
        tally.wishes = Some(super::wishes::tally(pool, gemeente, window).await?);
        tally.outreach = Some(super::outreach::tally(pool, gemeente, quarter, as_of).await?);
        // A campaign reminds children of the whole gemeente.
        tally.campaigns = Some(super::campaigns::tally(pool, gemeente, quarter, as_of).await?);
    }
    Ok(tally)
}

/// Children served in `year` (the year up to the quarter's end) per wijk and per age band.
async fn served_in_year_by(
    pool: &PgPool,
    gemeente: &str,
    year: Window,
    filters: &Filters,
) -> Result<BTreeMap<Breakdown, BTreeMap<String, i64>>, sqlx::Error> {
    let cells: Vec<Cell> = bind_facts(
        sqlx::query_as(&format!(
            "WITH {FACTS}
             SELECT step,
                    CASE WHEN grouping(wijk) = 0 THEN 'wijk' ELSE 'leeftijd' END AS dimension,
                    CASE WHEN grouping(wijk) = 0 THEN wijk ELSE age_band END AS value,
                    count(DISTINCT child) AS children
             FROM facts
             WHERE on_date BETWEEN $2 AND $3 AND occurred_at < $4 AND step = 'served'
             GROUP BY GROUPING SETS ((step, wijk), (step, age_band))"
        )),
        gemeente,
        year,
        filters,
    )
    .fetch_all(pool)
    .await?;
    let mut served: BTreeMap<Breakdown, BTreeMap<String, i64>> = BTreeMap::new();
    for cell in cells {
        if let (Some(breakdown), Some(value)) = (
            cell.dimension.as_deref().and_then(Breakdown::parse),
            cell.value,
        ) {
            served
                .entry(breakdown)
                .or_default()
                .insert(value, cell.children);
        }
    }
    Ok(served)
}

/// Per partner: the referrals it picked up in time, what it decided under mandate, what it
/// delivered and for how much (children referred, applied for and served are its rows of the
/// breakdown by partner). Every enrolled partner, and every organisation that was referred to, took
/// an application, decided or served.
async fn partners(
    pool: &PgPool,
    gemeente: &str,
    window: Window,
) -> Result<Vec<PartnerTally>, sqlx::Error> {
    sqlx::query_as(
        "WITH referred AS (
            SELECT referred_partner AS partner,
                   count(*) FILTER (WHERE accepted_on IS NOT NULL AND accepted_on < $4::date
                                    AND accepted_on <= coalesce(due_on, accepted_on))
                       AS picked_up_in_time
            FROM signals
            WHERE gemeente = $1 AND referred_partner IS NOT NULL
              AND signalled_on BETWEEN $2 AND $3 AND coalesce(occurred_at, '-infinity') < $4
            GROUP BY referred_partner
         ), taken AS (
            SELECT DISTINCT taken_by AS partner FROM applications
            WHERE gemeente = $1 AND taken_by IS NOT NULL
              AND submitted_on BETWEEN $2 AND $3 AND coalesce(occurred_at, '-infinity') < $4
         ), custom AS (
            SELECT custom_by AS partner, count(*) AS custom_decisions FROM applications
            WHERE gemeente = $1 AND custom_by IS NOT NULL
              AND decided_on BETWEEN $2 AND $3 AND coalesce(decided_at, '-infinity') < $4
            GROUP BY custom_by
         ), served AS (
            SELECT partner, count(DISTINCT child) AS children_served, count(*) AS deliveries,
                   sum(amount_cents)::bigint AS amount_cents
            FROM deliveries
            WHERE gemeente = $1 AND delivered_on BETWEEN $2 AND $3
              AND coalesce(occurred_at, '-infinity') < $4
            GROUP BY partner
         ), known AS (
            SELECT partner FROM partners WHERE gemeente = $1
            UNION SELECT partner FROM referred UNION SELECT partner FROM taken
            UNION SELECT partner FROM custom UNION SELECT partner FROM served
         )
         SELECT k.partner, coalesce(p.name, k.partner) AS name,
                coalesce(r.picked_up_in_time, 0) AS picked_up_in_time,
                coalesce(c.custom_decisions, 0) AS custom_decisions,
                coalesce(s.children_served, 0) AS children_served,
                coalesce(s.deliveries, 0) AS deliveries,
                coalesce(s.amount_cents, 0) AS amount_cents
         FROM known k
         LEFT JOIN partners p ON p.gemeente = $1 AND p.partner = k.partner
         LEFT JOIN referred r ON r.partner = k.partner
         LEFT JOIN custom c ON c.partner = k.partner LEFT JOIN served s ON s.partner = k.partner
         ORDER BY lower(coalesce(p.name, k.partner)), k.partner",
    )
    .bind(gemeente)
    .bind(window.from)
    .bind(window.to)
    .bind(window.as_of)
    .fetch_all(pool)
    .await
}

/// The three lead times, each case counted in the quarter of its end.
async fn lead_times(
    pool: &PgPool,
    gemeente: &str,
    window: Window,
) -> Result<Vec<LeadTimeTally>, sqlx::Error> {
    sqlx::query_as(
        "WITH cases AS (
            SELECT 'signaal-aanvraag' AS route, a.submitted_on - s.signalled_on AS days
            FROM applications a JOIN signals s ON s.signal_id = a.signal_id
            WHERE a.gemeente = $1 AND a.submitted_on BETWEEN $2 AND $3
              AND coalesce(a.occurred_at, '-infinity') < $4
            UNION ALL
            SELECT 'aanvraag-besluit', decided_on - submitted_on FROM applications
            WHERE gemeente = $1 AND decided_on BETWEEN $2 AND $3 AND decided_at < $4
            UNION ALL
            SELECT 'aanvraag-verstrekking', f.first_on - a.submitted_on
            FROM applications a JOIN (
                SELECT e.application_id, min(d.delivered_on) AS first_on
                FROM deliveries d JOIN entitlements e USING (entitlement_id)
                WHERE d.gemeente = $1 AND coalesce(d.occurred_at, '-infinity') < $4
                GROUP BY e.application_id
            ) f USING (application_id)
            WHERE a.gemeente = $1 AND f.first_on BETWEEN $2 AND $3
         ), routes(route, position) AS (
            VALUES ('signaal-aanvraag', 1), ('aanvraag-besluit', 2), ('aanvraag-verstrekking', 3)
         )
         SELECT r.route, count(c.days) AS cases,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY c.days) AS median,
                percentile_cont(0.9) WITHIN GROUP (ORDER BY c.days) AS p90
         FROM routes r LEFT JOIN cases c USING (route)
         GROUP BY r.route, r.position ORDER BY r.position",
    )
    .bind(gemeente)
    .bind(window.from)
    .bind(window.to)
    .bind(window.as_of)
    .fetch_all(pool)
    .await
}

/// Per signalling organisation: its signals in the quarter, of which the child was applied for
/// (an application following the signal) and served (a delivery since the signal), by the moment.
async fn signallers(
    pool: &PgPool,
    gemeente: &str,
    window: Window,
) -> Result<Vec<SignallerTally>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.signaller, count(*) AS signals,
                count(*) FILTER (WHERE EXISTS (
                    SELECT 1 FROM applications a WHERE a.signal_id = s.signal_id
                      AND coalesce(a.occurred_at, '-infinity') < $4)) AS applied,
                count(*) FILTER (WHERE EXISTS (
                    SELECT 1 FROM deliveries d WHERE d.gemeente = s.gemeente AND d.child = s.child
                      AND d.delivered_on >= s.signalled_on
                      AND coalesce(d.occurred_at, '-infinity') < $4)) AS served
         FROM signals s
         WHERE s.gemeente = $1 AND s.signalled_on BETWEEN $2 AND $3
           AND coalesce(s.occurred_at, '-infinity') < $4
         GROUP BY s.signaller ORDER BY s.signaller",
    )
    .bind(gemeente)
    .bind(window.from)
    .bind(window.to)
    .bind(window.as_of)
    .fetch_all(pool)
    .await
}

/// The first day with a fact in `gemeente`, if any.
pub async fn first_fact(pool: &PgPool, gemeente: &str) -> Result<Option<Date>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT least(
            (SELECT min(signalled_on) FROM signals WHERE gemeente = $1),
            (SELECT min(submitted_on) FROM applications WHERE gemeente = $1),
            (SELECT min(granted_on) FROM entitlements WHERE gemeente = $1),
            (SELECT min(delivered_on) FROM deliveries WHERE gemeente = $1),
            (SELECT min(submitted_on) FROM wishes WHERE gemeente = $1))",
    )
    .bind(gemeente)
    .fetch_one(pool)
    .await
}
