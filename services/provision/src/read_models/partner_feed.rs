//! The partners' feed as a table ([`crate::migrations::FEED_MIGRATION`]): written by the consumers as
//! the projector, in their transactions with their offsets ([`crate::feed::Feeder`]), read under
//! row-level security ([`crate::access::reading_as`]) by the feed's endpoint.
//!
//! Positions: `position` is a sequence, and sequences hand out numbers in the order they are taken,
//! not in the order their transactions commit. So every writer first takes the gemeente's feed lock
//! ([`lock`]), a transaction-scoped advisory lock held until it commits: within a gemeente, entries
//! commit in the order of their positions, and a reader that has seen position `n` will never see a
//! smaller one appear later.

use kindpakket_proto::{GemeenteCode, OrganisationId, ProvisionCode};
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::feed::ReferralFacts;

/// Takes the gemeente's feed lock until the transaction ends (see the module's note).
pub async fn lock(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('partner_feed:' || $1))")
        .bind(gemeente.as_str())
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// One entry to add.
pub struct NewEntry<'a> {
    pub gemeente: &'a GemeenteCode,
    pub partner: &'a OrganisationId,
    pub event_id: Uuid,
    pub service: &'a str,
    pub event_type: &'a str,
    pub time: OffsetDateTime,
    pub subject: &'a str,
    pub data: serde_json::Value,
    pub child: Option<Uuid>,
}

/// Adds an entry once: the same event for the same partner again changes nothing.
pub async fn append(connection: &mut PgConnection, entry: NewEntry<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO partner_feed (gemeente, partner, event_id, service, type, time, subject, data, child)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (gemeente, partner, event_id) DO NOTHING",
    )
    .bind(entry.gemeente.as_str())
    .bind(entry.partner.as_str())
    .bind(entry.event_id)
    .bind(entry.service)
    .bind(entry.event_type)
    .bind(entry.time)
    .bind(entry.subject)
    .bind(entry.data)
    .bind(entry.child)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// The partners that may see an entitlement of `provision` on `on`: enrolled to deliver it, the
/// enrolment not ended before that day (the rule of [`crate::access`]).
pub async fn partners_seeing(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    provision: &ProvisionCode,
    on: Date,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT partner FROM partner_enrolments
          WHERE gemeente = $1 AND provision = $2 AND may_deliver
            AND (ended_on IS NULL OR ended_on >= $3)
          ORDER BY partner",
    )
    .bind(gemeente.as_str())
    .bind(provision.as_str())
    .bind(on)
    .fetch_all(&mut *connection)
    .await
}

/// Whether `organisation` is a partner enrolled in `gemeente` (in any role, ended or not).
pub async fn is_partner(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    organisation: &OrganisationId,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM partner_enrolments WHERE gemeente = $1 AND partner = $2)",
    )
    .bind(gemeente.as_str())
    .bind(organisation.as_str())
    .fetch_one(&mut *connection)
    .await
}

/// An entitlement opened in this service's store, as the events table holds it.
#[derive(Debug, sqlx::FromRow)]
pub struct StoredOpening {
    pub aggregate_id: String,
    pub sequence: i64,
    pub opened: serde_json::Value,
    pub occurred_at: Option<String>,
}

/// The entitlements of `provisions` in `gemeente` opened so far, from this service's own events,
/// leaving out those whose child the read model knows as forgotten.
pub async fn openings(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    provisions: &[String],
) -> Result<Vec<StoredOpening>, sqlx::Error> {
    sqlx::query_as(
        "SELECT ev.aggregate_id, ev.sequence, ev.payload->'Opened'->'opened' AS opened,
                ev.metadata->>'occurred_at' AS occurred_at
           FROM events ev
           LEFT JOIN entitlements e ON e.entitlement_id::text = ev.aggregate_id
          WHERE ev.metadata->>'gemeente' = $1 AND ev.aggregate_type = 'entitlement'
            AND ev.event_type = 'Opened'
            AND ev.payload->'Opened'->'opened'->>'provision' = ANY($2)
            AND (e.entitlement_id IS NULL OR e.child IS NOT NULL)
          ORDER BY ev.global_position",
    )
    .bind(gemeente.as_str())
    .bind(provisions)
    .fetch_all(&mut *connection)
    .await
}

/// Forgets a child: every entry about it, and what was kept of its referrals.
pub async fn forget_child(connection: &mut PgConnection, child: Uuid) -> Result<u64, sqlx::Error> {
    let removed = sqlx::query("DELETE FROM partner_feed WHERE child = $1")
        .bind(child)
        .execute(&mut *connection)
        .await?
        .rows_affected();
    sqlx::query("DELETE FROM feed_referrals WHERE child = $1")
        .bind(child)
        .execute(&mut *connection)
        .await?;
    Ok(removed)
}

/// Drops the entries of events before `before`, and the referrals signalled before its day.
pub async fn sweep(
    connection: &mut PgConnection,
    before: OffsetDateTime,
) -> Result<u64, sqlx::Error> {
    let removed = sqlx::query("DELETE FROM partner_feed WHERE time < $1")
        .bind(before)
        .execute(&mut *connection)
        .await?
        .rows_affected();
    sqlx::query("DELETE FROM feed_referrals WHERE signalled_on < $1")
        .bind(before.date())
        .execute(&mut *connection)
        .await?;
    Ok(removed)
}

/// Keeps a signal referred to a partner (or the loket: `partner` `None`) when it was signalled.
pub async fn record_referral(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    facts: &ReferralFacts,
    signalled_on: Date,
    partner: Option<&OrganisationId>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO feed_referrals (signal_id, gemeente, child, signaller, provision_type,
                                     signalled_on, partner)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (signal_id) DO NOTHING",
    )
    .bind(facts.signal_id)
    .bind(gemeente.as_str())
    .bind(facts.child.0)
    .bind(facts.signaller.as_str())
    .bind(
        facts
            .provision_type
            .and_then(|kind| serde_json::to_value(kind).ok())
            .and_then(|word| word.as_str().map(str::to_owned)),
    )
    .bind(signalled_on)
    .bind(partner.map(OrganisationId::as_str))
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Where a signal is referred to now (`None` for the loket), and what is known of it.
pub async fn referral(
    connection: &mut PgConnection,
    signal_id: Uuid,
) -> Result<Option<(ReferralFacts, Option<String>)>, sqlx::Error> {
    let row: Option<(Uuid, String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT child, signaller, provision_type, partner FROM feed_referrals WHERE signal_id = $1",
    )
    .bind(signal_id)
    .fetch_optional(&mut *connection)
    .await?;
    Ok(row.and_then(|(child, signaller, provision_type, partner)| {
        let signaller = OrganisationId::parse(&signaller).ok()?;
        let provision_type = provision_type
            .and_then(|word| serde_json::from_value(serde_json::Value::String(word)).ok());
        Some((
            ReferralFacts {
                signal_id,
                child: kindpakket_proto::ChildRef(child),
                signaller,
                provision_type,
                due_on: None,
            },
            partner,
        ))
    }))
}

/// The signal is referred to `partner` now (`None`: the loket, or handed back to regie).
pub async fn refer(
    connection: &mut PgConnection,
    signal_id: Uuid,
    partner: Option<&OrganisationId>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE feed_referrals SET partner = $2 WHERE signal_id = $1")
        .bind(signal_id)
        .bind(partner.map(OrganisationId::as_str))
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// One entry as the feed's reader gets it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedRow {
    pub position: i64,
    pub event_id: Uuid,
    pub service: String,
    #[sqlx(rename = "type")]
    pub event_type: String,
    pub time: OffsetDateTime,
    pub subject: String,
    pub data: serde_json::Value,
}

/// A page of `partner`'s entries in `gemeente` after position `after`, in order, at most `limit`.
pub async fn page(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    partner: &OrganisationId,
    after: i64,
    limit: i64,
) -> Result<Vec<FeedRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT position, event_id, service, type, time, subject, data FROM partner_feed
          WHERE gemeente = $1 AND partner = $2 AND position > $3
          ORDER BY position
          LIMIT $4",
    )
    .bind(gemeente.as_str())
    .bind(partner.as_str())
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *connection)
    .await
}
