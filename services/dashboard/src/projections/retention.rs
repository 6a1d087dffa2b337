//! Retention: past the retention period the dashboard keeps aggregates only.
//!
//! A child's rows are **folded** when the child's latest fact — a signal, an application (submitted or
//! decided), an entitlement (granted, or valid until), a delivery, an expiry — is older than the
//! retention period (`KINDPAKKET_RETENTION_DAYS`, seven years by default): the child's contribution to
//! every figure is added to the aggregate tables (`folded_*`), and the rows are deleted. An
//! application row goes when none of its children is left and it is past the period itself. The period runs from the end of the child's involvement, as for a case file: while
//! a child is still involved its earlier rows are needed to count it once.
//!
//! Folding a child as a whole keeps every figure exact: each figure counts distinct children (or sums
//! rows), a folded child has no rows left, so its share in the aggregates and the rows still kept never
//! overlap. For the totals over several gemeenten (a child known in two counts once) the aggregate is
//! kept per *set* of gemeenten a child had the step in (`folded_totals`): a reader's total adds the
//! sets that meet the reader's gemeenten. A child that comes back after the retention period (no fact
//! for longer than the period, then a new one) is counted as a new child, as the platform then no
//! longer knows them either.
//!
//! The fold records the cutoff it used (`retention_state.folded_before`). Facts dated before it are
//! not taken in again ([`Retention::is_folded`]): a replay, or the relay of a service republishing
//! its store, cannot bring a folded child back next to its aggregate. Markers of forgotten people
//! (see [`super::forgetting`]) whose latest fact is before it are dropped: none of their facts can be
//! taken in any more.
//!
//! The fold runs at start and every hour, and takes a table lock so the consumers wait for it (a
//! fold is a few statements) and two instances never fold at once. Its today is the platform clock's
//! (`kindpakket_platform::clock::today`, moved by `KINDPAKKET_CLOCK_OFFSET_DAYS` in rehearsals).

use kindpakket_platform::db::Migration;
use sqlx::{PgConnection, PgPool};
use time::{Date, Duration};
use uuid::Uuid;

pub const RETENTION_MIGRATION: Migration = Migration {
    name: "0206_retention",
    sql: r#"
        ALTER TABLE entitlements ADD COLUMN valid_until date;
        -- Children counted per step and gemeente, folded.
        CREATE TABLE folded_steps (
            gemeente  text PRIMARY KEY,
            signalled bigint NOT NULL DEFAULT 0,
            applied   bigint NOT NULL DEFAULT 0,
            granted   bigint NOT NULL DEFAULT 0,
            served    bigint NOT NULL DEFAULT 0
        );
        -- Children per step and per set of gemeenten they had the step in (sorted), folded: the totals
        -- over several gemeenten count a child once.
        CREATE TABLE folded_totals (
            step      text   NOT NULL CHECK (step IN ('signalled', 'applied', 'granted', 'served')),
            gemeenten text[] NOT NULL,
            children  bigint NOT NULL,
            PRIMARY KEY (step, gemeenten)
        );
        CREATE TABLE folded_partners (
            gemeente        text   NOT NULL,
            partner         text   NOT NULL,
            children_served bigint NOT NULL DEFAULT 0,
            deliveries      bigint NOT NULL DEFAULT 0,
            amount_cents    bigint NOT NULL DEFAULT 0,
            referrals       bigint NOT NULL DEFAULT 0,
            PRIMARY KEY (gemeente, partner)
        );
        CREATE TABLE folded_non_use (
            gemeente        text PRIMARY KEY,
            expired         bigint NOT NULL DEFAULT 0,
            expired_unused  bigint NOT NULL DEFAULT 0,
            children_unused bigint NOT NULL DEFAULT 0,
            unused_cents    bigint NOT NULL DEFAULT 0
        );
        CREATE TABLE retention_state (
            only_one      boolean PRIMARY KEY DEFAULT true CHECK (only_one),
            folded_before date    NOT NULL
        );
    "#,
};

/// The default retention period: seven years, as the application service's.
pub const DEFAULT_RETENTION_DAYS: u32 = 2555;

/// The latest fact of every child in the read model, per row type.
const CHILD_FACTS: &str = "
    SELECT child, signalled_on AS fact_on FROM signals
    UNION ALL SELECT c.child, greatest(a.submitted_on, a.decided_on)
        FROM application_children c JOIN applications a USING (application_id)
    UNION ALL SELECT child, greatest(granted_on, valid_until) FROM entitlements
    UNION ALL SELECT child, greatest(granted_on, valid_until) FROM household_children
    UNION ALL SELECT child, delivered_on FROM deliveries
    UNION ALL SELECT child, expired_on FROM expirations";

/// The per-step rows of children, with their gemeente.
const STEPS: [(&str, &str); 4] = [
    ("signalled", "SELECT gemeente, child FROM signals"),
    (
        "applied",
        "SELECT a.gemeente, c.child FROM application_children c JOIN applications a USING (application_id)",
    ),
    (
        "granted",
        "SELECT gemeente, child FROM entitlements UNION ALL SELECT gemeente, child FROM household_children",
    ),
    ("served", "SELECT gemeente, child FROM deliveries"),
];

/// What a fold did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Folded {
    pub children: u64,
    pub applications: u64,
    pub markers: u64,
}

/// The retention of the read model.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub days: u32,
}

impl Retention {
    /// The first day still kept per child on `today`.
    pub fn cutoff(&self, today: Date) -> Date {
        today - Duration::days(i64::from(self.days))
    }

    /// Folds every child whose latest fact is before the cutoff of `today`.
    pub async fn fold(&self, pool: &PgPool, today: Date) -> anyhow::Result<Folded> {
        let cutoff = self.cutoff(today);
        let mut transaction = pool.begin().await?;
        sqlx::query(
            "LOCK TABLE signals, applications, application_children, entitlements, deliveries,
                 expirations, household_children, forgotten_subjects IN SHARE ROW EXCLUSIVE MODE",
        )
        .execute(&mut *transaction)
        .await?;
        let children: Vec<Uuid> = sqlx::query_scalar(&format!(
            "SELECT child FROM ({CHILD_FACTS}) facts GROUP BY child HAVING max(fact_on) < $1"
        ))
        .bind(cutoff)
        .fetch_all(&mut *transaction)
        .await?;
        let mut folded = Folded {
            children: children.len() as u64,
            ..Folded::default()
        };
        if !children.is_empty() {
            add_to_aggregates(&mut transaction, &children).await?;
            for table in [
                "signals",
                "application_children",
                "entitlements",
                "deliveries",
                "expirations",
                "household_children",
            ] {
                sqlx::query(&format!("DELETE FROM {table} WHERE child = ANY($1)"))
                    .bind(&children)
                    .execute(&mut *transaction)
                    .await?;
            }
        }
        folded.applications = sqlx::query(
            "DELETE FROM applications a
             WHERE greatest(a.submitted_on, a.decided_on) < $1
               AND NOT EXISTS (SELECT 1 FROM application_children c WHERE c.application_id = a.application_id)",
        )
        .bind(cutoff)
        .execute(&mut *transaction)
        .await?
        .rows_affected();
        sqlx::query(
            "INSERT INTO retention_state (folded_before) VALUES ($1)
             ON CONFLICT (only_one) DO UPDATE
                 SET folded_before = greatest(retention_state.folded_before, EXCLUDED.folded_before)",
        )
        .bind(cutoff)
        .execute(&mut *transaction)
        .await?;
        folded.markers = sqlx::query("DELETE FROM forgotten_subjects WHERE last_fact_on < $1")
            .bind(cutoff)
            .execute(&mut *transaction)
            .await?
            .rows_affected();
        transaction.commit().await?;
        if folded != Folded::default() {
            tracing::info!(
                children = folded.children,
                applications = folded.applications,
                markers = folded.markers,
                %cutoff,
                "rows past the retention period folded into aggregates"
            );
        }
        Ok(folded)
    }

    /// The cutoff of the last fold, if any: facts dated before it are not taken in.
    pub async fn folded_before(connection: &mut PgConnection) -> Result<Option<Date>, sqlx::Error> {
        sqlx::query_scalar("SELECT folded_before FROM retention_state")
            .fetch_optional(connection)
            .await
    }

    /// Whether a fact of `on` belongs to what was folded already (and is not taken in again).
    pub async fn is_folded(connection: &mut PgConnection, on: Date) -> Result<bool, sqlx::Error> {
        Ok(Self::folded_before(connection)
            .await?
            .is_some_and(|folded_before| on < folded_before))
    }
}

/// Adds the folded children's share of every figure to the aggregates.
async fn add_to_aggregates(
    connection: &mut PgConnection,
    children: &[Uuid],
) -> Result<(), sqlx::Error> {
    for (step, rows) in STEPS {
        // Per gemeente: distinct children (the step's column is named after it, a constant).
        sqlx::query(&format!(
            "INSERT INTO folded_steps (gemeente, {step})
             SELECT gemeente, count(DISTINCT child) FROM ({rows}) r WHERE child = ANY($1) GROUP BY gemeente
             ON CONFLICT (gemeente) DO UPDATE SET {step} = folded_steps.{step} + EXCLUDED.{step}"
        ))
        .bind(children)
        .execute(&mut *connection)
        .await?;
        // Over gemeenten: each child once, under the set of gemeenten it had the step in.
        sqlx::query(&format!(
            "INSERT INTO folded_totals (step, gemeenten, children)
             SELECT $2, gemeenten, count(*) FROM (
                 SELECT child, array_agg(DISTINCT gemeente ORDER BY gemeente) AS gemeenten
                 FROM ({rows}) r WHERE child = ANY($1) GROUP BY child
             ) per_child GROUP BY gemeenten
             ON CONFLICT (step, gemeenten) DO UPDATE
                 SET children = folded_totals.children + EXCLUDED.children"
        ))
        .bind(children)
        .bind(step)
        .execute(&mut *connection)
        .await?;
    }
    sqlx::query(
        "INSERT INTO folded_partners (gemeente, partner, children_served, deliveries, amount_cents)
         SELECT gemeente, partner, count(DISTINCT child), count(*), sum(amount_cents)::bigint
         FROM deliveries WHERE child = ANY($1) GROUP BY gemeente, partner
         ON CONFLICT (gemeente, partner) DO UPDATE SET
             children_served = folded_partners.children_served + EXCLUDED.children_served,
             deliveries = folded_partners.deliveries + EXCLUDED.deliveries,
             amount_cents = folded_partners.amount_cents + EXCLUDED.amount_cents",
    )
    .bind(children)
    .execute(&mut *connection)
    .await?;
    sqlx::query(
        "INSERT INTO folded_partners (gemeente, partner, referrals)
         SELECT gemeente, referred_partner, count(*) FROM signals
         WHERE child = ANY($1) AND referred_partner IS NOT NULL GROUP BY gemeente, referred_partner
         ON CONFLICT (gemeente, partner) DO UPDATE SET
             referrals = folded_partners.referrals + EXCLUDED.referrals",
    )
    .bind(children)
    .execute(&mut *connection)
    .await?;
    sqlx::query(
        "INSERT INTO folded_non_use (gemeente, expired, expired_unused, children_unused, unused_cents)
         SELECT gemeente, count(*), count(*) FILTER (WHERE used_cents = 0),
                count(DISTINCT child) FILTER (WHERE used_cents = 0), coalesce(sum(unused_cents), 0)::bigint
         FROM expirations WHERE child = ANY($1) GROUP BY gemeente
         ON CONFLICT (gemeente) DO UPDATE SET
             expired = folded_non_use.expired + EXCLUDED.expired,
             expired_unused = folded_non_use.expired_unused + EXCLUDED.expired_unused,
             children_unused = folded_non_use.children_unused + EXCLUDED.children_unused,
             unused_cents = folded_non_use.unused_cents + EXCLUDED.unused_cents",
    )
    .bind(children)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_cutoff_is_the_period_before_today() {
        let retention = Retention { days: 30 };
        assert_eq!(
            retention.cutoff(date!(2027 - 03 - 31)),
            date!(2027 - 03 - 01)
        );
        assert_eq!(
            Retention {
                days: DEFAULT_RETENTION_DAYS
            }
            .cutoff(date!(2033 - 12 - 01)),
            date!(2026 - 12 - 03)
        );
    }
}
