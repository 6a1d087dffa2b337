//! The read model, fed by the durable consumers of all four streams. Each event is applied inside the
//! transaction that moves the consumer's offset, and every write is an upsert keyed by the fact's own
//! id, so that even a replay without offsets cannot count anything twice.
//!
//! The tables hold facts (one row per signal, application, entitlement, delivery), not counters, so
//! that the figures can be sliced later (by quarter, channel, provision type) and the whole read
//! model can be rebuilt from the streams ([`crate::rebuild`]). [`funnel`] reads them.
//!
//! Privacy, in this module's parts:
//! - the read model takes from each event only what a figure needs (see `docs/privacy.md`, per
//!   consumer): children by their pseudonymous id (the figures count distinct children), dates,
//!   codes, amounts; no household (no figure counts households);
//! - [`forgetting`]: a forgotten child (`SubjectForgotten`) is replaced by a random alias in every
//!   row, and stays so for events of theirs that arrive later, so every figure stays the same while
//!   their id is gone; `SubjectRectified` changes nothing here, as nothing derived from
//!   a person's data is kept;
//! - [`retention`]: past the retention period a child's rows are folded into aggregates and deleted;
//!   facts dated before what was folded are not taken in again.

pub mod forgetting;
pub mod funnel;
pub mod overleg;
pub mod retention;
mod sets;

use kindpakket_platform::consume::{
    EventHandler, HandlerError, InBatch, ReceivedEvent, CONSUMER_MIGRATION,
    CONSUMER_OFFSET_KEY_MIGRATION,
};
use kindpakket_platform::db::Migration;
use kindpakket_proto::application::ApplicationEvent;
use kindpakket_proto::provision::ProvisionEvent;
use kindpakket_proto::regie::{CoFinancing, Funder, RegieEvent};
use kindpakket_proto::signalling::{Referral, SignallingEvent};
use kindpakket_proto::{Cents, Service};
use serde::Serialize;
use sqlx::PgConnection;

use forgetting::Forgetting;
use retention::Retention;

pub const READ_MODEL_MIGRATION: Migration = Migration {
    name: "0200_read_model",
    sql: r#"
        CREATE TABLE provisions (
            gemeente       text NOT NULL,
            code           text NOT NULL,
            name           text NOT NULL,
            provision_type text NOT NULL,
            regeling_id    uuid NOT NULL,
            PRIMARY KEY (gemeente, code, regeling_id)
        );
        CREATE TABLE partners (
            gemeente  text NOT NULL,
            partner   text NOT NULL,
            name      text NOT NULL,
            enrolled_on date NOT NULL,
            ended_on  date,
            PRIMARY KEY (gemeente, partner)
        );
        CREATE TABLE signals (
            signal_id         uuid PRIMARY KEY,
            gemeente          text NOT NULL,
            child             uuid NOT NULL,
            signaller         text NOT NULL,
            reason            text NOT NULL,
            referred_partner  text,
            signalled_on      date NOT NULL,
            outcome           text
        );
        CREATE TABLE applications (
            application_id uuid PRIMARY KEY,
            gemeente       text NOT NULL,
            household      uuid NOT NULL,
            channel        text NOT NULL,
            signal_id      uuid,
            submitted_on   date NOT NULL,
            status         text NOT NULL,
            decided_on     date
        );
        CREATE TABLE application_children (
            application_id uuid NOT NULL,
            child          uuid NOT NULL,
            PRIMARY KEY (application_id, child)
        );
        CREATE TABLE entitlements (
            entitlement_id uuid PRIMARY KEY,
            gemeente       text NOT NULL,
            application_id uuid NOT NULL,
            child          uuid NOT NULL,
            provision      text NOT NULL,
            amount_cents   bigint NOT NULL,
            granted_on     date,
            opened         boolean NOT NULL DEFAULT false
        );
        CREATE TABLE deliveries (
            delivery_id    uuid PRIMARY KEY,
            gemeente       text NOT NULL,
            entitlement_id uuid NOT NULL,
            child          uuid NOT NULL,
            provision      text NOT NULL,
            partner        text NOT NULL,
            form           text NOT NULL,
            amount_cents   bigint NOT NULL,
            delivered_on   date NOT NULL
        );
        CREATE INDEX signals_gemeente ON signals (gemeente);
        CREATE INDEX applications_gemeente ON applications (gemeente);
        CREATE INDEX entitlements_gemeente ON entitlements (gemeente);
        CREATE INDEX deliveries_gemeente ON deliveries (gemeente, partner);
    "#,
};

/// The organisation that acted for a signal (from the envelope), besides the signaller named in
/// the event: they differ when, say, a partner records a signal on behalf of a school.
pub const SIGNAL_ACTOR_MIGRATION: Migration = Migration {
    name: "0201_signals_acting_organisation",
    sql: "ALTER TABLE signals ADD COLUMN acting_organisation text;",
};

/// Entitlements that expired at the year end, with what was left unused: the non-use figures.
pub const EXPIRATIONS_MIGRATION: Migration = Migration {
    name: "0202_expirations",
    sql: r#"
        CREATE TABLE expirations (
            entitlement_id uuid PRIMARY KEY,
            gemeente       text   NOT NULL,
            child          uuid   NOT NULL,
            provision      text   NOT NULL,
            amount_cents   bigint NOT NULL,
            used_cents     bigint NOT NULL,
            unused_cents   bigint NOT NULL,
            expired_on     date   NOT NULL
        );
    "#,
};

/// The signal's reason left the contract (`ChildSignalled` version 2): "debts" or "refugee family"
/// says much about a family and no figure used it. The column goes, with what it held.
pub const SIGNAL_REASON_MIGRATION: Migration = Migration {
    name: "0204_signal_reason_off_the_bus",
    sql: "ALTER TABLE signals DROP COLUMN reason;",
};

/// No figure counts households: the household of an application is not kept (the column goes, with
/// what it held). A forgotten household leaves nothing to anonymise here.
pub const HOUSEHOLD_MIGRATION: Migration = Migration {
    name: "0207_no_households",
    sql: "ALTER TABLE applications DROP COLUMN household;",
};

/// What came of a signal and whether an application was rejected or withdrawn describe the family's
/// answer and situation, and no figure counts them: the columns go, with what they held.
pub const OUTCOMES_MIGRATION: Migration = Migration {
    name: "0208_no_outcomes",
    sql: "ALTER TABLE signals DROP COLUMN outcome; ALTER TABLE applications DROP COLUMN status;",
};

/// What the overleg's quarterly figures need (`docs/overleg.md`): when each fact's event occurred
/// (a quarter's figures are "as of" a moment), the wijk and the kind of help of a signal, when its
/// referral was due and picked up, who took an application on a family's behalf and who decided it
/// under mandate, a child's age band at the application. Rows from before stay without them (a
/// rebuild fills them in): a missing moment counts as long ago.
pub const OVERLEG_MIGRATION: Migration = Migration {
    name: "0211_overleg_facts",
    sql: r#"
        ALTER TABLE signals ADD COLUMN occurred_at timestamptz, ADD COLUMN wijk text,
            ADD COLUMN provision_type text, ADD COLUMN due_on date, ADD COLUMN accepted_on date;
        ALTER TABLE applications ADD COLUMN occurred_at timestamptz, ADD COLUMN taken_by text,
            ADD COLUMN decided_at timestamptz, ADD COLUMN custom_by text;
        ALTER TABLE application_children ADD COLUMN age_band text;
        ALTER TABLE entitlements ADD COLUMN granted_at timestamptz;
        ALTER TABLE deliveries ADD COLUMN occurred_at timestamptz;
        CREATE INDEX signals_gemeente_on ON signals (gemeente, signalled_on);
        CREATE INDEX applications_signal ON applications (signal_id);
        CREATE INDEX application_children_child ON application_children (child);
        CREATE INDEX entitlements_application ON entitlements (application_id);
        CREATE INDEX deliveries_entitlement ON deliveries (entitlement_id);
    "#,
};

/// The doelgroep regie set per gemeente and year (children expected to be eligible per wijk and age
/// band): the denominator of reach. The highest version of a year is kept; an older one arriving
/// later changes nothing. A row without wijk (the whole gemeente, or wijk not known) is kept as
/// `onbekend`, the wijk the figures give a child whose signal named none. Estimates about a
/// population, about no child.
pub const TARGET_GROUP_MIGRATION: Migration = Migration {
    name: "0212_target_group",
    sql: r#"
        CREATE TABLE target_groups (
            gemeente text    NOT NULL,
            year     integer NOT NULL,
            version  integer NOT NULL,
            source   text    NOT NULL,
            set_on   date    NOT NULL,
            PRIMARY KEY (gemeente, year)
        );
        CREATE TABLE target_group_rows (
            gemeente text    NOT NULL,
            year     integer NOT NULL,
            wijk     text    NOT NULL,
            age_band text    NOT NULL,
            children bigint  NOT NULL,
            PRIMARY KEY (gemeente, year, wijk, age_band)
        );
    "#,
};

/// What the overleg's budgets per funding source need (`docs/overleg.md`, "Budgetten"): each
/// regeling version's year, period, budgets and the moment it was published, per gemeente it covers
/// (a samenwerkingsverband's version holds for each of its gemeenten); and who pays each
/// entitlement — the funder and the co-funder with its share, organisations with their source — so
/// that what was committed and spent splits between them as the provision service's ledger splits
/// it. Entitlements from before stay without a funder (the gemeente's general means) until a
/// rebuild fills it in.
pub const BUDGETS_MIGRATION: Migration = Migration {
    name: "0214_budgets",
    sql: r#"
        CREATE TABLE regelingen (
            regeling_id  uuid NOT NULL,
            gemeente     text NOT NULL,
            year         integer NOT NULL,
            valid_from   date NOT NULL,
            valid_until  date NOT NULL,
            published_at timestamptz NOT NULL,
            PRIMARY KEY (regeling_id, gemeente)
        );
        CREATE TABLE regeling_budgets (
            regeling_id    uuid NOT NULL,
            gemeente       text NOT NULL,
            position       integer NOT NULL,
            source         text NOT NULL,
            provision      text,
            provision_type text,
            amount_cents   bigint NOT NULL,
            PRIMARY KEY (regeling_id, gemeente, position)
        );
        CREATE INDEX regelingen_gemeente_year ON regelingen (gemeente, year);
        ALTER TABLE entitlements ADD COLUMN funder text, ADD COLUMN funder_source text,
            ADD COLUMN co_funder text, ADD COLUMN co_funder_source text,
            ADD COLUMN co_share_percent smallint;
        CREATE INDEX entitlements_gemeente_granted ON entitlements (gemeente, granted_on);
        CREATE INDEX deliveries_gemeente_on ON deliveries (gemeente, delivered_on);
    "#,
};

/// The wishes sent in (`docs/overleg.md`, "Wensen"): per wish its category and source in the API's
/// Dutch words, the day it was sent and the moment its event occurred (a quarter's figures are as of
/// a moment). No text, no child, no household, no sender: nothing in a wish points at anyone.
pub const WISHES_MIGRATION: Migration = Migration {
    name: "0215_wishes",
    sql: r#"
        CREATE TABLE wishes (
            wish_id      uuid        PRIMARY KEY,
            gemeente     text        NOT NULL,
            category     text        NOT NULL,
            source       text        NOT NULL,
            submitted_on date        NOT NULL,
            occurred_at  timestamptz NOT NULL
        );
        CREATE INDEX wishes_gemeente_on ON wishes (gemeente, submitted_on);
    "#,
};

/// Regie's reminder campaigns (`CampaignStarted`): name, start and the entitlements targeted (their
/// children are the entitlements'), to measure each one's conversion.
pub const CAMPAIGNS_MIGRATION: Migration = Migration {
    name: "0216_campaigns",
    sql: r#"
        CREATE TABLE campaigns (
            campaign_id uuid        PRIMARY KEY,
            gemeente    text        NOT NULL,
            name        text        NOT NULL,
            started_on  date        NOT NULL,
            occurred_at timestamptz NOT NULL
        );
        CREATE INDEX campaigns_gemeente_on ON campaigns (gemeente, started_on);
        CREATE TABLE campaign_targets (
            campaign_id    uuid NOT NULL,
            entitlement_id uuid NOT NULL,
            PRIMARY KEY (campaign_id, entitlement_id)
        );
    "#,
};

/// The other children of a household budget (gezinstegoed): the entitlement is counted under its
/// first child in `entitlements`; these count as granted too. Forgotten, folded and rebuilt like
/// the entitlements.
pub const HOUSEHOLD_CHILDREN_MIGRATION: Migration = Migration {
    name: "0220_household_children",
    sql: r#"
        CREATE TABLE household_children (
            entitlement_id uuid NOT NULL,
            gemeente       text NOT NULL,
            child          uuid NOT NULL,
            granted_on     date NOT NULL,
            valid_until    date NOT NULL,
            PRIMARY KEY (entitlement_id, child)
        );
        CREATE INDEX household_children_gemeente ON household_children (gemeente);
    "#,
};

/// Reclaims after a sample check (`ReclaimDecided`, `docs/money.md` §4): per reclaim its gemeente,
/// provision, from whom (the household or a partner, and which), the amount and when. No child and no
/// entitlement: the figures count reclaims and money, never who.
pub const RECLAIMS_MIGRATION: Migration = Migration {
    name: "0230_reclaims",
    sql: r#"
        CREATE TABLE reclaims (
            reclaim_id   uuid        PRIMARY KEY,
            gemeente     text        NOT NULL,
            provision    text        NOT NULL,
            reclaimed_from text      NOT NULL,
            partner      text,
            amount_cents bigint      NOT NULL,
            decided_on   date        NOT NULL,
            occurred_at  timestamptz NOT NULL
        );
        CREATE INDEX reclaims_gemeente_on ON reclaims (gemeente, decided_on);
    "#,
};

/// Every migration of the dashboard's database, in order.
pub const MIGRATIONS: [Migration; 22] = [
    CONSUMER_MIGRATION,
    CONSUMER_OFFSET_KEY_MIGRATION,
    READ_MODEL_MIGRATION,
    SIGNAL_ACTOR_MIGRATION,
    EXPIRATIONS_MIGRATION,
    crate::sessions::SESSIONS_MIGRATION,
    SIGNAL_REASON_MIGRATION,
    forgetting::FORGETTING_MIGRATION,
    retention::RETENTION_MIGRATION,
    HOUSEHOLD_MIGRATION,
    OUTCOMES_MIGRATION,
    crate::sessions::SESSION_TOKENS_MIGRATION,
    crate::web::login::LOGINS_MIGRATION,
    OVERLEG_MIGRATION,
    TARGET_GROUP_MIGRATION,
    crate::rebuilding::REBUILDING_MIGRATION,
    BUDGETS_MIGRATION,
    WISHES_MIGRATION,
    CAMPAIGNS_MIGRATION,
    HOUSEHOLD_CHILDREN_MIGRATION,
    RECLAIMS_MIGRATION,
    funnel::queries::FUNNEL_INDEX_MIGRATION,
];

/// Applies every event of every stream to the read model. An event type this version does not know
/// (or a payload it cannot read) is poison: the consumer parks it in `dead_letters` and goes on.
///
/// Every per-person id goes through [`Forgetting::person`] before it is written, and a fact dated
/// before the last fold ([`Retention::is_folded`]) is not taken in.
#[derive(Debug, Clone)]
pub struct DashboardProjection {
    pub forgetting: Forgetting,
}

/// The JSON name of a serialisable enum value (e.g. `low_income`), as stored in the read model.
fn word<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl EventHandler for DashboardProjection {
    async fn handle(
        &self,
        connection: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        apply_one(self, connection, event).await
    }

    /// A batch in sets ([`sets`]): the same rows as one by one, a statement per kind of row.
    async fn handle_batch(
        &self,
        connection: &mut PgConnection,
        events: &[InBatch<'_>],
    ) -> Result<(), HandlerError> {
        sets::apply(self, connection, events).await
    }
}

/// Applies one event, a few statements for it: the reference the sets of a batch equal.
async fn apply_one(
    projection: &DashboardProjection,
    connection: &mut PgConnection,
    event: &ReceivedEvent,
) -> Result<(), HandlerError> {
    let fact = Fact {
        gemeente: event.envelope.gemeente.as_str(),
        acting: event.envelope.actor.organisation.as_str(),
        occurred_at: event.envelope.occurred_at,
    };
    let forgetting = &projection.forgetting;
    match event.envelope.service {
        Service::Regie => apply_regie(connection, &fact, event.decode()?).await,
        Service::Signalling => {
            apply_signalling(connection, forgetting, &fact, event.decode()?).await
        }
        Service::Application => {
            apply_application(connection, forgetting, &fact, event.decode()?).await
        }
        Service::Provision => apply_provision(connection, forgetting, &fact, event.decode()?).await,
    }
}

/// Where an event comes from: its gemeente, the organisation that acted, and when it occurred (the
/// moment a quarter's figures are "as of" is compared with it).
struct Fact<'a> {
    gemeente: &'a str,
    acting: &'a str,
    occurred_at: time::OffsetDateTime,
}

async fn apply_regie(
    connection: &mut PgConnection,
    fact: &Fact<'_>,
    event: RegieEvent,
) -> Result<(), HandlerError> {
    let gemeente = fact.gemeente;
    match event {
        RegieEvent::RegelingPublished(regeling) => {
            // A samenwerkingsverband's regeling holds for each of its gemeenten.
            for member in &regeling.gemeenten {
                // The version and its budgets (a public decision): the overleg's budgets per
                // funding source. A version never changes once published; its successor is a new
                // version, so the first write stands.
                sqlx::query(
                    "INSERT INTO regelingen (regeling_id, gemeente, year, valid_from, valid_until,
                         published_at)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                )
                .bind(regeling.regeling_id)
                .bind(member.as_str())
                .bind(regeling.year)
                .bind(regeling.valid_from)
                .bind(regeling.valid_until)
                .bind(fact.occurred_at)
                .execute(&mut *connection)
                .await?;
                for (position, budget) in regeling.budgets.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO regeling_budgets (regeling_id, gemeente, position, source,
                             provision, provision_type, amount_cents)
                         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                    )
                    .bind(regeling.regeling_id)
                    .bind(member.as_str())
                    .bind(i32::try_from(position).unwrap_or(i32::MAX))
                    .bind(word(&budget.source))
                    .bind(budget.provision.as_ref().map(|code| code.as_str()))
                    .bind(budget.provision_type.as_ref().map(word))
                    .bind(budget.amount_cents.get())
                    .execute(&mut *connection)
                    .await?;
                }
                for provision in &regeling.provisions {
                    sqlx::query(
                        "INSERT INTO provisions (gemeente, code, name, provision_type, regeling_id)
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    )
                    .bind(member.as_str())
                    .bind(provision.code.as_str())
                    .bind(&provision.name)
                    .bind(word(&provision.provision_type))
                    .bind(regeling.regeling_id)
                    .execute(&mut *connection)
                    .await?;
                }
            }
        }
        // An organisation enrolled only to signal (a wijkteam, a school) serves no child: it is not a
        // partner in the figures per partner; its signals count under the signalling organisation.
        RegieEvent::PartnerEnrolled(enrolled)
            if enrolled
                .roles
                .iter()
                .all(|role| *role == kindpakket_proto::regie::PartnerRole::Signal) =>
        {
            sqlx::query("DELETE FROM partners WHERE gemeente = $1 AND partner = $2")
                .bind(gemeente)
                .bind(enrolled.partner.as_str())
                .execute(&mut *connection)
                .await?;
        }
        RegieEvent::PartnerEnrolled(enrolled) => {
            sqlx::query(
                "INSERT INTO partners (gemeente, partner, name, enrolled_on) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (gemeente, partner) DO UPDATE SET name = EXCLUDED.name,
                     enrolled_on = EXCLUDED.enrolled_on, ended_on = NULL",
            )
            .bind(gemeente)
            .bind(enrolled.partner.as_str())
            .bind(&enrolled.name)
            .bind(enrolled.enrolled_on)
            .execute(&mut *connection)
            .await?;
        }
        RegieEvent::PartnerEnrolmentEnded(ended) => {
            sqlx::query("UPDATE partners SET ended_on = $3 WHERE gemeente = $1 AND partner = $2")
                .bind(gemeente)
                .bind(ended.partner.as_str())
                .bind(ended.ended_on)
                .execute(&mut *connection)
                .await?;
        }
        RegieEvent::TargetGroupSet(set) => keep_target_group(connection, &set).await?,
        // A wish is kept once: the same event delivered again changes nothing.
        RegieEvent::WishSubmitted(wish) => {
            use kindpakket_platform::http::vocabulary::{WishCategoryDto, WishSourceDto};
            sqlx::query(
                "INSERT INTO wishes (wish_id, gemeente, category, source, submitted_on, occurred_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(wish.wish_id)
            .bind(wish.gemeente.as_str())
            .bind(word(&WishCategoryDto::from(wish.category)))
            .bind(word(&WishSourceDto::from(wish.from)))
            .bind(wish.submitted_on)
            .bind(fact.occurred_at)
            .execute(&mut *connection)
            .await?;
        }
        // The routing table and a version's end are no figure of the funnel.
        // The routing table is no figure. A version's end changes no budget: the budgets of a year
        // are those of the version in force at a quarter's end, and a version ended early is
        // followed by its successor, which restates the year's budgets (README, "Budgets across a
        // correction"); one ended without a successor still holds the year's last decision.
        // A standing discount is a term between regie and a provider; what it gives shows as
        // deliveries.
        RegieEvent::RoutingSet(_)
        | RegieEvent::RegelingEnded(_)
        | RegieEvent::DiscountAgreed(_)
        | RegieEvent::DiscountEnded(_) => {}
    }
    Ok(())
}

/// Keeps a year's doelgroep when it is newer than the one kept (the whole table replaced), and
/// ignores an older version that arrives later.
async fn keep_target_group(
    connection: &mut PgConnection,
    set: &kindpakket_proto::regie::TargetGroupSet,
) -> Result<(), HandlerError> {
    let gemeente = set.gemeente.as_str();
    let version = i32::try_from(set.version)
        .map_err(|_| HandlerError::Poison(format!("doelgroep version {} too high", set.version)))?;
    let newer: Option<i32> = sqlx::query_scalar(
        "INSERT INTO target_groups (gemeente, year, version, source, set_on)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (gemeente, year) DO UPDATE SET version = EXCLUDED.version,
             source = EXCLUDED.source, set_on = EXCLUDED.set_on
         WHERE target_groups.version < EXCLUDED.version
         RETURNING version",
    )
    .bind(gemeente)
    .bind(set.year)
    .bind(version)
    .bind(word(&set.source))
    .bind(set.set_on)
    .fetch_optional(&mut *connection)
    .await?;
    if newer.is_none() {
        return Ok(());
    }
    sqlx::query("DELETE FROM target_group_rows WHERE gemeente = $1 AND year = $2")
        .bind(gemeente)
        .bind(set.year)
        .execute(&mut *connection)
        .await?;
    for row in &set.rows {
        sqlx::query(
            "INSERT INTO target_group_rows (gemeente, year, wijk, age_band, children)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(gemeente)
        .bind(set.year)
        .bind(row.wijk.as_ref().map_or("onbekend", |wijk| wijk.as_str()))
        .bind(row.age_band.as_str())
        .bind(i64::from(row.children))
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

async fn apply_signalling(
    connection: &mut PgConnection,
    forgetting: &Forgetting,
    fact: &Fact<'_>,
    event: SignallingEvent,
) -> Result<(), HandlerError> {
    let gemeente = fact.gemeente;
    match event {
        // The household a signal may name is not kept: no figure counts households.
        SignallingEvent::ChildSignalled(signal) => {
            if Retention::is_folded(connection, signal.signalled_on).await? {
                return Ok(());
            }
            let referred_partner = match &signal.referral {
                Referral::Loket => None,
                Referral::Partner { partner } => Some(partner.as_str()),
            };
            let child = forgetting
                .person(connection, signal.child.0, signal.signalled_on)
                .await?;
            sqlx::query(
                "INSERT INTO signals (signal_id, gemeente, child, signaller, referred_partner,
                     signalled_on, acting_organisation, occurred_at, wijk, provision_type, due_on)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
            )
            .bind(signal.signal_id)
            .bind(gemeente)
            .bind(child)
            .bind(signal.signaller.as_str())
            .bind(referred_partner)
            .bind(signal.signalled_on)
            .bind(fact.acting)
            .bind(fact.occurred_at)
            .bind(signal.wijk.as_ref().map(|wijk| wijk.as_str()))
            .bind(signal.provision_type.as_ref().map(word))
            .bind(signal.due_on)
            .execute(&mut *connection)
            .await?;
        }
        // Picked up: whether in time is a figure per partner. The first pick-up counts.
        SignallingEvent::SignalAccepted(accepted) => {
            sqlx::query(
                "UPDATE signals SET accepted_on = coalesce(accepted_on, $2) WHERE signal_id = $1",
            )
            .bind(accepted.signal_id)
            .bind(accepted.accepted_on)
            .execute(&mut *connection)
            .await?;
        }
        // What came of a signal (contacted, applied, declined, unreachable) is about the family's
        // answer, and no figure counts it: not kept. A re-routing or a hand-back leaves the figures
        // with the first referral (the partner it was referred to first, and whether in time).
        SignallingEvent::SignalOutcomeRecorded(_)
        | SignallingEvent::SignalReferred(_)
        | SignallingEvent::SignalHandedBack(_) => {}
    }
    Ok(())
}

async fn apply_application(
    connection: &mut PgConnection,
    forgetting: &Forgetting,
    fact: &Fact<'_>,
    event: ApplicationEvent,
) -> Result<(), HandlerError> {
    let gemeente = fact.gemeente;
    match event {
        ApplicationEvent::ApplicationSubmitted(application) => {
            if Retention::is_folded(connection, application.submitted_on).await? {
                return Ok(());
            }
            let on = application.submitted_on;
            sqlx::query(
                "INSERT INTO applications (application_id, gemeente, channel, signal_id, submitted_on,
                     occurred_at, taken_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            )
            .bind(application.application_id)
            .bind(gemeente)
            .bind(word(&application.channel))
            .bind(application.signal_id)
            .bind(application.submitted_on)
            .bind(fact.occurred_at)
            .bind(application.on_behalf_of.as_ref().map(|org| org.as_str()))
            .execute(&mut *connection)
            .await?;
            for applicant in &application.children {
                let child = forgetting.person(connection, applicant.child.0, on).await?;
                // The age band, not the month of birth: enough for the figures per age band.
                let band = age_band(applicant.birth_year, applicant.birth_month, on);
                sqlx::query("INSERT INTO application_children (application_id, child, age_band) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                    .bind(application.application_id)
                    .bind(child)
                    .bind(band)
                    .execute(&mut *connection)
                    .await?;
            }
        }
        ApplicationEvent::ApplicationGranted(granted) => {
            decide(connection, granted.application_id, granted.decided_on).await?;
            // Maatwerk under a partner's mandate: a figure per partner (who decided it).
            let custom = granted.assessment.as_ref().is_some_and(|a| a.custom);
            sqlx::query(
                "UPDATE applications SET decided_at = $2, custom_by = $3 WHERE application_id = $1",
            )
            .bind(granted.application_id)
            .bind(fact.occurred_at)
            .bind(custom.then_some(fact.acting))
            .execute(&mut *connection)
            .await?;
            for entitlement in &granted.entitlements {
                if Retention::is_folded(connection, entitlement.valid_until).await? {
                    continue;
                }
                let child = forgetting
                    .person(connection, entitlement.child.0, entitlement.valid_until)
                    .await?;
                let payers = Payers::of(
                    entitlement.funder.as_ref(),
                    entitlement.co_financing.as_ref(),
                );
                sqlx::query(
                    "INSERT INTO entitlements (entitlement_id, gemeente, application_id, child, provision, amount_cents, granted_on, valid_until, granted_at,
                         funder, funder_source, co_funder, co_funder_source, co_share_percent)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                     ON CONFLICT (entitlement_id) DO UPDATE SET granted_on = EXCLUDED.granted_on,
                         valid_until = EXCLUDED.valid_until, granted_at = EXCLUDED.granted_at,
                         funder = EXCLUDED.funder, funder_source = EXCLUDED.funder_source,
                         co_funder = EXCLUDED.co_funder, co_funder_source = EXCLUDED.co_funder_source,
                         co_share_percent = EXCLUDED.co_share_percent",
                )
                .bind(entitlement.entitlement_id)
                .bind(gemeente)
                .bind(granted.application_id)
                .bind(child)
                .bind(entitlement.provision.as_str())
                .bind(entitlement.amount_cents.get())
                .bind(granted.decided_on)
                .bind(entitlement.valid_until)
                .bind(fact.occurred_at)
                .bind(payers.funder)
                .bind(payers.funder_source)
                .bind(payers.co_funder)
                .bind(payers.co_funder_source)
                .bind(payers.co_share_percent)
                .execute(&mut *connection)
                .await?;
                // A household budget is granted to each of its children.
                for member in entitlement
                    .household_children
                    .iter()
                    .filter(|member| **member != entitlement.child)
                {
                    let member = forgetting
                        .person(connection, member.0, entitlement.valid_until)
                        .await?;
                    sqlx::query(
                        "INSERT INTO household_children (entitlement_id, gemeente, child, granted_on, valid_until)
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    )
                    .bind(entitlement.entitlement_id)
                    .bind(gemeente)
                    .bind(member)
                    .bind(granted.decided_on)
                    .bind(entitlement.valid_until)
                    .execute(&mut *connection)
                    .await?;
                }
            }
        }
        ApplicationEvent::ApplicationRejected(rejected) => {
            decide(connection, rejected.application_id, rejected.decided_on).await?;
            sqlx::query("UPDATE applications SET decided_at = $2 WHERE application_id = $1")
                .bind(rejected.application_id)
                .bind(fact.occurred_at)
                .execute(&mut *connection)
                .await?;
        }
        ApplicationEvent::ApplicationWithdrawn(withdrawn) => {
            decide(connection, withdrawn.application_id, withdrawn.withdrawn_on).await?;
        }
        ApplicationEvent::SubjectForgotten(forgotten) => {
            forgetting.forget(connection, &forgotten).await?;
        }
        // Nothing derived from a person's data is kept here (ids, dates, codes and amounts only), so
        // a correction changes nothing in the read model.
        ApplicationEvent::SubjectRectified(_) => {}
    }
    Ok(())
}

/// When an application was decided or withdrawn: the end of its part in a child's involvement, for
/// retention. Whether it was granted shows in the entitlements; a rejection or withdrawal is about
/// the household, and no figure counts it, so the outcome itself is not kept.
async fn decide(
    connection: &mut PgConnection,
    application_id: uuid::Uuid,
    on: time::Date,
) -> Result<(), HandlerError> {
    sqlx::query("UPDATE applications SET decided_on = $2 WHERE application_id = $1")
        .bind(application_id)
        .bind(on)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

async fn apply_provision(
    connection: &mut PgConnection,
    forgetting: &Forgetting,
    fact: &Fact<'_>,
    event: ProvisionEvent,
) -> Result<(), HandlerError> {
    let gemeente = fact.gemeente;
    match event {
        ProvisionEvent::EntitlementOpened(opened) => {
            if Retention::is_folded(connection, opened.valid_until).await? {
                return Ok(());
            }
            let child = forgetting
                .person(connection, opened.child.0, opened.valid_until)
                .await?;
            // Who pays, as decided: the same as the grant says (whichever arrives first writes it).
            let payers = Payers::of(opened.funder.as_ref(), opened.co_financing.as_ref());
            sqlx::query(
                "INSERT INTO entitlements (entitlement_id, gemeente, application_id, child, provision, amount_cents, opened, valid_until,
                     funder, funder_source, co_funder, co_funder_source, co_share_percent)
                 VALUES ($1, $2, $3, $4, $5, $6, true, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT (entitlement_id) DO UPDATE SET opened = true,
                     valid_until = coalesce(entitlements.valid_until, EXCLUDED.valid_until),
                     funder = coalesce(entitlements.funder, EXCLUDED.funder),
                     funder_source = coalesce(entitlements.funder_source, EXCLUDED.funder_source),
                     co_funder = coalesce(entitlements.co_funder, EXCLUDED.co_funder),
                     co_funder_source = coalesce(entitlements.co_funder_source, EXCLUDED.co_funder_source),
                     co_share_percent = coalesce(entitlements.co_share_percent, EXCLUDED.co_share_percent)",
            )
            .bind(opened.entitlement_id)
            .bind(gemeente)
            .bind(opened.application_id)
            .bind(child)
            .bind(opened.provision.as_str())
            .bind(opened.amount_cents.get())
            .bind(opened.valid_until)
            .bind(payers.funder)
            .bind(payers.funder_source)
            .bind(payers.co_funder)
            .bind(payers.co_funder_source)
            .bind(payers.co_share_percent)
            .execute(&mut *connection)
            .await?;
        }
        ProvisionEvent::DeliveryRecorded(delivery) => {
            let served = Served {
                id: delivery.delivery_id,
                entitlement_id: delivery.entitlement_id,
                child: delivery.child.0,
                provision: delivery.provision.as_str(),
                partner: delivery.partner.as_str(),
                form: word(&delivery.form),
                amount: delivery.amount_cents,
                on: delivery.delivered_on,
            };
            served.record(connection, forgetting, fact).await?;
        }
        // A redeemed pass and an approved declaration serve the child as a delivery does.
        ProvisionEvent::PassRedeemed(redeemed) => {
            let served = Served {
                id: redeemed.redemption_id,
                entitlement_id: redeemed.entitlement_id,
                child: redeemed.child.0,
                provision: redeemed.provision.as_str(),
                partner: redeemed.partner.as_str(),
                form: "voucher".to_owned(),
                amount: redeemed.amount_cents,
                on: redeemed.redeemed_on,
            };
            served.record(connection, forgetting, fact).await?;
        }
        ProvisionEvent::DeclarationDecided(decided) if decided.approved => {
            let served = Served {
                id: decided.declaration_id,
                entitlement_id: decided.entitlement_id,
                child: decided.child.0,
                provision: decided.provision.as_str(),
                partner: decided.submitted_by.as_str(),
                form: "declaration".to_owned(),
                amount: decided.amount_cents,
                on: decided.decided_on,
            };
            served.record(connection, forgetting, fact).await?;
        }
        ProvisionEvent::EntitlementExpired(expired) => {
            if Retention::is_folded(connection, expired.expired_on).await? {
                return Ok(());
            }
            let child = forgetting
                .person(connection, expired.child.0, expired.expired_on)
                .await?;
            sqlx::query(
                "INSERT INTO expirations (entitlement_id, gemeente, child, provision, amount_cents, used_cents, unused_cents, expired_on)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            )
            .bind(expired.entitlement_id)
            .bind(gemeente)
            .bind(child)
            .bind(expired.provision.as_str())
            .bind(expired.amount_cents.get())
            .bind(expired.used_cents.get())
            .bind(expired.unused_cents.get())
            .bind(expired.expired_on)
            .execute(&mut *connection)
            .await?;
        }
        // Passes issued or blocked, pending declarations, invoices and samples do not change who was
        // served; the money side is the provision service's ledger.
        ProvisionEvent::PassIssued(_)
        | ProvisionEvent::PassBlocked(_)
        | ProvisionEvent::DeclarationSubmitted(_)
        | ProvisionEvent::DeclarationDecided(_)
        | ProvisionEvent::InvoiceSubmitted(_)
        | ProvisionEvent::InvoiceSettled(_)
        | ProvisionEvent::SampleDrawn(_)
        | ProvisionEvent::SampleCheckRecorded(_)
        | ProvisionEvent::CreditNoteIssued(_)
        | ProvisionEvent::ProofAttached(_) => {}
        // A reclaim is money recovered, counted per gemeente: kept once, without the child.
        ProvisionEvent::ReclaimDecided(reclaim) => {
            sqlx::query(
                "INSERT INTO reclaims (reclaim_id, gemeente, provision, reclaimed_from, partner,
                     amount_cents, decided_on, occurred_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            )
            .bind(reclaim.reclaim_id)
            .bind(gemeente)
            .bind(reclaim.provision.as_str())
            .bind(word(&reclaim.from))
            .bind(reclaim.partner.as_ref().map(|partner| partner.as_str()))
            .bind(reclaim.amount_cents.get())
            .bind(reclaim.decided_on)
            .bind(fact.occurred_at)
            .execute(&mut *connection)
            .await?;
        }
        // A campaign names entitlements only; its conversion is measured from the deliveries that
        // follow. Started once: a redelivery writes nothing new.
        ProvisionEvent::CampaignStarted(campaign) => {
            sqlx::query(
                "INSERT INTO campaigns (campaign_id, gemeente, name, started_on, occurred_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(campaign.campaign_id)
            .bind(gemeente)
            .bind(&campaign.name)
            .bind(campaign.started_on)
            .bind(fact.occurred_at)
            .execute(&mut *connection)
            .await?;
            sqlx::query(
                "INSERT INTO campaign_targets (campaign_id, entitlement_id)
                 SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING",
            )
            .bind(campaign.campaign_id)
            .bind(&campaign.targets)
            .execute(&mut *connection)
            .await?;
        }
    }
    Ok(())
}

/// Who pays an entitlement, as the read model keeps it: organisations and their funding sources
/// (`null` funder: the gemeente's general means, [`Funder::gemeente`]).
struct Payers {
    funder: Option<String>,
    funder_source: Option<String>,
    co_funder: Option<String>,
    co_funder_source: Option<String>,
    co_share_percent: Option<i16>,
}

impl Payers {
    fn of(funder: Option<&Funder>, co_financing: Option<&CoFinancing>) -> Self {
        Self {
            funder: funder.map(|f| f.organisation.as_str().to_owned()),
            funder_source: funder.map(|f| word(&f.source)),
            co_funder: co_financing.map(|co| co.funder.organisation.as_str().to_owned()),
            co_funder_source: co_financing.map(|co| word(&co.funder.source)),
            co_share_percent: co_financing.map(|co| i16::from(co.share_percent)),
        }
    }
}

/// The age band of a child born in `year`/`month` on `on` (whole years, counted from the first of
/// the month of birth): `0-3`, `4-11`, `12-17` or `18+`.
pub fn age_band(year: i32, month: u8, on: time::Date) -> &'static str {
    let months = (on.year() - year) * 12 + i32::from(u8::from(on.month())) - i32::from(month);
    match months.div_euclid(12) {
        ..=3 => "0-3",
        4..=11 => "4-11",
        12..=17 => "12-17",
        _ => "18+",
    }
}

/// A child served against an entitlement: a delivery, a redemption or an approved declaration.
struct Served<'a> {
    id: uuid::Uuid,
    entitlement_id: uuid::Uuid,
    child: uuid::Uuid,
    provision: &'a str,
    partner: &'a str,
    form: String,
    amount: Cents,
    on: time::Date,
}

impl Served<'_> {
    async fn record(
        &self,
        connection: &mut PgConnection,
        forgetting: &Forgetting,
        fact: &Fact<'_>,
    ) -> Result<(), HandlerError> {
        if Retention::is_folded(connection, self.on).await? {
            return Ok(());
        }
        let child = forgetting.person(connection, self.child, self.on).await?;
        sqlx::query(
            "INSERT INTO deliveries (delivery_id, gemeente, entitlement_id, child, provision, partner, form, amount_cents, delivered_on, occurred_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
        )
        .bind(self.id)
        .bind(fact.gemeente)
        .bind(self.entitlement_id)
        .bind(child)
        .bind(self.provision)
        .bind(self.partner)
        .bind(&self.form)
        .bind(self.amount.get())
        .bind(self.on)
        .bind(fact.occurred_at)
        .execute(&mut *connection)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::age_band;

    #[test]
    fn an_age_band_counts_whole_years_from_the_month_of_birth() {
        assert_eq!(age_band(2023, 3, date!(2026 - 12 - 01)), "0-3");
        assert_eq!(
            age_band(2022, 12, date!(2026 - 11 - 30)),
            "0-3",
            "not yet 4"
        );
        assert_eq!(age_band(2022, 12, date!(2026 - 12 - 01)), "4-11");
        assert_eq!(age_band(2015, 1, date!(2026 - 12 - 01)), "4-11");
        assert_eq!(age_band(2014, 12, date!(2026 - 12 - 01)), "12-17");
        assert_eq!(age_band(2008, 12, date!(2026 - 12 - 01)), "18+");
        assert_eq!(
            age_band(2027, 1, date!(2026 - 12 - 01)),
            "0-3",
            "not born yet: youngest"
        );
    }
}
