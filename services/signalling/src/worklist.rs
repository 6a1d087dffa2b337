//! The work list of signals (`GET /signaleringen`), a read model several organisations read: a
//! signaller its own signals, a partner the referrals addressed to it now, the regievoerder all of
//! its gemeente. Kept from this service's own stream (the contract: who signalled, the child, where
//! it is referred, the due date, accepted, handed back, the outcome; nothing sealed), exactly once
//! per event by the durable consumer `signalling-signalling`.
//!
//! **Status.** A signal's own stage (`doorverwezen`, `opgepakt`, `teruggegeven`, `gezin-bereikt`,
//! `afgezien`, `onbereikbaar`), unless the child got further along the chain on or after the day it
//! was signalled (`child_progress`, [`crate::progress`]: `aangevraagd`, `toegekend`, `bediend`).
//! `te-laat`: referred, not accepted, and its due date passed ([`kindpakket_platform::clock`]).
//!
//! **Row-level security**, with FORCE: a reader sees only the rows its transaction's setting admits
//! ([`as_reader`]): `kindpakket.organisation` the rows it signalled or that are referred to it,
//! `kindpakket.regie_gemeente` the rows of its gemeente; the projector writes under
//! `kindpakket.projector = 'signals'`. Without a setting a query sees nothing.

use kindpakket_platform::consume::{EventHandler, HandlerError, ReceivedEvent};
use kindpakket_platform::db::{self, Migration};
use kindpakket_platform::shredding::SubjectKeys;
use kindpakket_proto::signalling::{Referral, SignalOutcome, SignallingEvent};
use kindpakket_proto::{GemeenteCode, OrganisationId};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use time::Date;
use uuid::Uuid;

pub const SIGNALS_MIGRATION: Migration = Migration {
    name: "0230_signals",
    sql: r#"
        CREATE TABLE signals (
            signal_id    uuid PRIMARY KEY,
            gemeente     text NOT NULL,
            signaller    text NOT NULL,
            child        uuid,
            partner      text,
            due_on       date,
            stage        text NOT NULL,
            signalled_on date NOT NULL
        );
        CREATE INDEX signals_signaller ON signals (signaller, gemeente, signalled_on);
        CREATE INDEX signals_partner ON signals (partner, gemeente, signalled_on);
        CREATE INDEX signals_gemeente ON signals (gemeente, signalled_on);
        CREATE INDEX signals_child ON signals (child);

        ALTER TABLE signals ENABLE ROW LEVEL SECURITY;
        ALTER TABLE signals FORCE ROW LEVEL SECURITY;
        CREATE POLICY organisation_reads ON signals FOR SELECT
            USING (signaller = current_setting('kindpakket.organisation', true)
                   OR partner = current_setting('kindpakket.organisation', true));
        CREATE POLICY regie_reads ON signals FOR SELECT
            USING (gemeente = current_setting('kindpakket.regie_gemeente', true));
        CREATE POLICY projector_writes ON signals FOR ALL
            USING (current_setting('kindpakket.projector', true) = 'signals')
            WITH CHECK (current_setting('kindpakket.projector', true) = 'signals');
    "#,
};

/// The work list's keyset is `(signalled_on, signal_id)`: with the id in the indexes a page starts
/// exactly at its cursor instead of re-reading (and filtering) the cursor's whole day.
pub const SIGNALS_KEYSET_MIGRATION: Migration = Migration {
    name: "0320_signals_keyset",
    sql: r#"
        CREATE INDEX signals_by_signaller ON signals (signaller, gemeente, signalled_on, signal_id);
        CREATE INDEX signals_by_partner ON signals (partner, gemeente, signalled_on, signal_id);
        CREATE INDEX signals_by_gemeente ON signals (gemeente, signalled_on, signal_id);
        DROP INDEX signals_signaller;
        DROP INDEX signals_partner;
        DROP INDEX signals_gemeente;
    "#,
};

/// Who lists, as the policies and the query know them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lister {
    /// A signaller: the signals it made.
    Signaller(OrganisationId),
    /// A partner: the referrals addressed to it now.
    Partner(OrganisationId),
    /// The regievoerder: all of its gemeente.
    Gemeente(GemeenteCode),
}

/// A transaction in which the policies admit `lister`'s rows and no others.
pub async fn as_reader(
    pool: &PgPool,
    lister: &Lister,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    match lister {
        Lister::Signaller(organisation) | Lister::Partner(organisation) => {
            db::as_organisation(pool, organisation).await
        }
        Lister::Gemeente(gemeente) => {
            let mut transaction = pool.begin().await?;
            sqlx::query("SELECT set_config('kindpakket.regie_gemeente', $1, true)")
                .bind(gemeente.as_str())
                .execute(&mut *transaction)
                .await?;
            Ok(transaction)
        }
    }
}

/// A status filter of the list: a status, or `te-laat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    Status(&'static str),
    Overdue,
}

/// One row of the list.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Listed {
    pub signal_id: Uuid,
    pub signaller: String,
    pub child: Option<Uuid>,
    pub partner: Option<String>,
    pub due_on: Option<Date>,
    pub signalled_on: Date,
    pub status: String,
    pub overdue: bool,
}

/// The signals of `gemeente` that `lister` may list, newest first, `limit` rows after the keyset
/// `after` (`(signalled_on, signal_id)` of the last row of the page before).
pub async fn list(
    pool: &PgPool,
    gemeente: &GemeenteCode,
    lister: &Lister,
    filter: Option<Filter>,
    after: Option<(Date, Uuid)>,
    limit: i64,
    today: Date,
) -> Result<Vec<Listed>, sqlx::Error> {
    let mut transaction = as_reader(pool, lister).await?;
    let (who, organisation) = match lister {
        Lister::Signaller(organisation) => ("s.signaller = $2", organisation.as_str()),
        Lister::Partner(organisation) => ("s.partner = $2", organisation.as_str()),
        Lister::Gemeente(_) => ("$2 = $2", ""),
    };
    let (status, overdue) = match filter {
        Some(Filter::Status(status)) => (Some(status), false),
        Some(Filter::Overdue) => (None, true),
        None => (None, false),
    };
    let (after_date, after_id) = after.unzip();
    let rows = sqlx::query_as(&format!(
        "SELECT * FROM (
             SELECT s.signal_id, s.signaller, s.child, s.partner, s.due_on, s.signalled_on,
                    CASE WHEN p.stage IS NOT NULL AND p.reached_on >= s.signalled_on
                         THEN p.stage ELSE s.stage END AS status,
                    (s.stage = 'doorverwezen' AND s.due_on IS NOT NULL AND s.due_on < $3) AS overdue
               FROM signals s
               LEFT JOIN child_progress p ON p.gemeente = s.gemeente AND p.child = s.child
              WHERE s.gemeente = $1 AND {who}
         ) listed
         WHERE ($4::text IS NULL OR status = $4)
           AND (NOT $5 OR overdue)
           AND ($6::date IS NULL OR (signalled_on, signal_id) < ($6, $7))
         ORDER BY signalled_on DESC, signal_id DESC
         LIMIT $8"
    ))
    .bind(gemeente.as_str())
    .bind(organisation)
    .bind(today)
    .bind(status)
    .bind(overdue)
    .bind(after_date)
    .bind(after_id)
    .bind(limit)
    .fetch_all(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(rows)
}

/// The status word of an outcome.
pub fn outcome_word(outcome: SignalOutcome) -> &'static str {
    match outcome {
        SignalOutcome::Contacted => "gezin-bereikt",
        SignalOutcome::Declined => "afgezien",
        SignalOutcome::Unreachable => "onbereikbaar",
        // Recorded by signallers before routing; the application stream says it now.
        SignalOutcome::Applied => "aangevraagd",
    }
}

/// A child forgotten: its id leaves the rows (the rows stay, with their status).
pub async fn forget_child(connection: &mut PgConnection, child: Uuid) -> Result<(), sqlx::Error> {
    projecting(connection).await?;
    sqlx::query("UPDATE signals SET child = NULL WHERE child = $1")
        .bind(child)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

async fn projecting(connection: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT set_config('kindpakket.projector', 'signals', true)")
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// Keeps the work list from this service's own stream.
pub struct SignalsHandler {
    pub keys: SubjectKeys,
}

impl EventHandler for SignalsHandler {
    async fn handle(
        &self,
        connection: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        projecting(connection).await?;
        let gemeente = event.envelope.gemeente.as_str();
        let (signal_id, stage, referral) = match event.decode::<SignallingEvent>()? {
            SignallingEvent::ChildSignalled(signalled) => {
                // A child forgotten before its signal reached this list is kept without its id.
                let forgotten = self
                    .keys
                    .is_forgotten(signalled.child.0)
                    .await
                    .map_err(HandlerError::Transient)?;
                sqlx::query(
                    "INSERT INTO signals (signal_id, gemeente, signaller, child, partner, due_on,
                                          stage, signalled_on)
                     VALUES ($1, $2, $3, $4, $5, $6, 'doorverwezen', $7)
                     ON CONFLICT (signal_id) DO NOTHING",
                )
                .bind(signalled.signal_id)
                .bind(gemeente)
                .bind(signalled.signaller.as_str())
                .bind((!forgotten).then_some(signalled.child.0))
                .bind(partner_of(&signalled.referral))
                .bind(signalled.due_on)
                .bind(signalled.signalled_on)
                .execute(&mut *connection)
                .await?;
                return Ok(());
            }
            SignallingEvent::SignalReferred(referred) => (
                referred.signal_id,
                "doorverwezen",
                Some((referred.referral, referred.due_on)),
            ),
            SignallingEvent::SignalAccepted(accepted) => (accepted.signal_id, "opgepakt", None),
            SignallingEvent::SignalHandedBack(handed_back) => {
                (handed_back.signal_id, "teruggegeven", None)
            }
            SignallingEvent::SignalOutcomeRecorded(recorded) => {
                (recorded.signal_id, outcome_word(recorded.outcome), None)
            }
        };
        match referral {
            Some((referral, due_on)) => {
                sqlx::query(
                    "UPDATE signals SET stage = $2, partner = $3, due_on = $4 WHERE signal_id = $1",
                )
                .bind(signal_id)
                .bind(stage)
                .bind(partner_of(&referral))
                .bind(due_on)
                .execute(&mut *connection)
                .await?;
            }
            None => {
                sqlx::query("UPDATE signals SET stage = $2 WHERE signal_id = $1")
                    .bind(signal_id)
                    .bind(stage)
                    .execute(&mut *connection)
                    .await?;
            }
        }
        Ok(())
    }
}

fn partner_of(referral: &Referral) -> Option<&str> {
    match referral {
        Referral::Loket => None,
        Referral::Partner { partner } => Some(partner.as_str()),
    }
}
