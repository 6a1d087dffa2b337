//! The overview of applications, a read model that several organisations read (`GET /aanvragen`):
//! an intermediary (partner, signaller) the applications it took in on families' behalf, the
//! regievoerder all of its gemeente, a parent their household's. Kept from this service's own
//! stream (the contract: codes, dates, children by pseudonym; nothing sealed), exactly once per
//! event by a durable consumer, and forgetting what `SubjectForgotten` names: a household's id is
//! cleared; the counts stay. An intermediary reads the household under its own reference, made
//! when it reads ([`crate::pseudonyms`]); nothing of it is kept here.
//!
//! **A work list** ([`list`]): filtered (`status`, `namens`, `kanaal`) and paged by keyset on
//! (submitted on, id) — newest first, but the regievoerder's `te-beslissen` inbox oldest first —
//! through `platform::http::paging`.
//!
//! **Row-level security.** Both tables have RLS with `FORCE ROW LEVEL SECURITY` (so it binds the
//! table's owner too). A reader sees only the rows its policy admits, by a setting of its own
//! transaction ([`as_reader`]): `kindpakket.organisation` (an intermediary's rows), or
//! `kindpakket.regie_gemeente` (the regievoerder's gemeente), or `kindpakket.household` (a
//! parent's). The projector writes under a policy of its own (`kindpakket.projector`). Without a
//! setting a query sees nothing. So a query that forgets its `WHERE` still shows a partner only its
//! own rows. RLS guards against such mistakes in this service's queries; it is no barrier against
//! someone who can run SQL as the service's role (who can set the settings too).

use kindpakket_platform::consume::{EventHandler, HandlerError, ReceivedEvent};
use kindpakket_platform::db::{self, Migration};
use kindpakket_proto::application::{ApplicationEvent, SubjectKind};
use kindpakket_proto::{GemeenteCode, OrganisationId};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use time::Date;
use uuid::Uuid;

pub const OVERVIEW_MIGRATION: Migration = Migration {
    name: "0400_application_overview",
    sql: r#"
        CREATE TABLE application_overview (
            application_id      uuid PRIMARY KEY,
            gemeente            text NOT NULL,
            organisation        text,
            household           uuid,
            household_pseudonym uuid,
            channel             text NOT NULL,
            status              text NOT NULL,
            submitted_on        date NOT NULL,
            decided_on          date,
            children            integer NOT NULL
        );
        CREATE INDEX application_overview_organisation ON application_overview (organisation, gemeente);
        CREATE INDEX application_overview_gemeente ON application_overview (gemeente);
        CREATE INDEX application_overview_household ON application_overview (household);
        CREATE INDEX application_overview_household_pseudonym
            ON application_overview (organisation, household_pseudonym);

        -- The children of an intermediary's applications under its pseudonyms: how its requests
        -- that name a child it read before are mapped back.
        CREATE TABLE application_overview_children (
            application_id uuid NOT NULL,
            organisation   text NOT NULL,
            child          uuid NOT NULL,
            pseudonym      uuid NOT NULL,
            PRIMARY KEY (application_id, child)
        );
        CREATE INDEX application_overview_children_pseudonym
            ON application_overview_children (organisation, pseudonym);
        CREATE INDEX application_overview_children_child ON application_overview_children (child);

        ALTER TABLE application_overview ENABLE ROW LEVEL SECURITY;
        ALTER TABLE application_overview FORCE ROW LEVEL SECURITY;
        CREATE POLICY organisation_reads ON application_overview FOR SELECT
            USING (organisation = current_setting('kindpakket.organisation', true));
        CREATE POLICY regie_reads ON application_overview FOR SELECT
            USING (gemeente = current_setting('kindpakket.regie_gemeente', true));
        CREATE POLICY household_reads ON application_overview FOR SELECT
            USING (household::text = current_setting('kindpakket.household', true));
        CREATE POLICY projector_writes ON application_overview FOR ALL
            USING (current_setting('kindpakket.projector', true) = 'application_overview')
            WITH CHECK (current_setting('kindpakket.projector', true) = 'application_overview');

        ALTER TABLE application_overview_children ENABLE ROW LEVEL SECURITY;
        ALTER TABLE application_overview_children FORCE ROW LEVEL SECURITY;
        CREATE POLICY organisation_reads ON application_overview_children FOR SELECT
            USING (organisation = current_setting('kindpakket.organisation', true));
        CREATE POLICY projector_writes ON application_overview_children FOR ALL
            USING (current_setting('kindpakket.projector', true) = 'application_overview')
            WITH CHECK (current_setting('kindpakket.projector', true) = 'application_overview');
    "#,
};

/// Before issue 14 the overview kept each intermediary's HMAC pseudonyms of households and
/// children to map its requests back; references are reversible by themselves, so those go. The
/// index serves the work lists' filters and keyset.
pub const OVERVIEW_REFERENCES_MIGRATION: Migration = Migration {
    name: "0401_application_overview_references",
    sql: r#"
        DROP TABLE application_overview_children;
        ALTER TABLE application_overview DROP COLUMN household_pseudonym;
        CREATE INDEX application_overview_work_list
            ON application_overview (gemeente, status, submitted_on, application_id);
    "#,
};

/// The indexes of the work list's keyset for the lists without a status filter: the gemeente's
/// (newest first) and an intermediary's. Without them a page sorted all of a gemeente's (or an
/// organisation's) applications of the year for every request.
pub const OVERVIEW_KEYSET_MIGRATION: Migration = Migration {
    name: "0420_application_overview_keyset",
    sql: r#"
        CREATE INDEX application_overview_by_date
            ON application_overview (gemeente, submitted_on, application_id);
        CREATE INDEX application_overview_by_organisation_date
            ON application_overview (organisation, gemeente, submitted_on, application_id);
        DROP INDEX application_overview_organisation;
    "#,
};

/// Who lists, as the policies know them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lister {
    /// The regievoerder: all of its gemeente.
    Gemeente(GemeenteCode),
    /// A parent: their household's.
    Household(Uuid),
    /// An intermediary: what it took in.
    Organisation(OrganisationId),
}

/// A transaction in which the policies admit `lister`'s rows and no others: an organisation's
/// through [`db::as_organisation`], the gemeente's and a household's by a setting of their own.
pub async fn as_reader(
    pool: &PgPool,
    lister: &Lister,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let (setting, value) = match lister {
        Lister::Organisation(organisation) => return db::as_organisation(pool, organisation).await,
        Lister::Gemeente(gemeente) => ("kindpakket.regie_gemeente", gemeente.as_str().to_owned()),
        Lister::Household(household) => ("kindpakket.household", household.to_string()),
    };
    let mut transaction = pool.begin().await?;
    sqlx::query("SELECT set_config($1, $2, true)")
        .bind(setting)
        .bind(value)
        .execute(&mut *transaction)
        .await?;
    Ok(transaction)
}

/// One application in the overview.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Listed {
    pub application_id: Uuid,
    pub organisation: Option<String>,
    pub household: Option<Uuid>,
    pub channel: String,
    pub status: String,
    pub submitted_on: Date,
    pub decided_on: Option<Date>,
    pub children: i32,
}

/// What a work list asks for, besides who lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// `submitted`, `granted`, `rejected` or `withdrawn`.
    pub status: Option<&'static str>,
    /// Only what this organisation took in (the regievoerder's filter).
    pub organisation: Option<OrganisationId>,
    /// `online`, `loket`, … as the contract names the channel.
    pub channel: Option<String>,
    /// Oldest first (the inbox of applications to decide); newest first otherwise.
    pub oldest_first: bool,
    /// The sort key of the last row of the page before.
    pub after: Option<(Date, Uuid)>,
    /// The rows to fetch (one more than the page holds).
    pub limit: i64,
}

/// One page of the applications of `gemeente` that `lister` may list, as `filter` asks.
pub async fn list(
    pool: &PgPool,
    gemeente: &GemeenteCode,
    lister: &Lister,
    filter: &ListFilter,
) -> Result<Vec<Listed>, sqlx::Error> {
    let mut transaction = as_reader(pool, lister).await?;
    let (own_organisation, household) = match lister {
        Lister::Organisation(organisation) => (Some(organisation.as_str().to_owned()), None),
        Lister::Household(household) => (None, Some(*household)),
        Lister::Gemeente(_) => (None, None),
    };
    let (keyset, order) = if filter.oldest_first {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    // The row-level security policies admit the lister's rows only; the WHERE says the same.
    let sql = format!(
        "SELECT application_id, organisation, household, channel, status, submitted_on,
                decided_on, children
         FROM application_overview
         WHERE gemeente = $1
           AND ($2::text IS NULL OR organisation = $2)
           AND ($3::uuid IS NULL OR household = $3)
           AND ($4::text IS NULL OR status = $4)
           AND ($5::text IS NULL OR organisation = $5)
           AND ($6::text IS NULL OR channel = $6)
           AND ($7::date IS NULL OR (submitted_on, application_id) {keyset} ($7, $8))
         ORDER BY submitted_on {order}, application_id {order}
         LIMIT $9"
    );
    let (after_date, after_id) = filter.after.unzip();
    let rows = sqlx::query_as(&sql)
        .bind(gemeente.as_str())
        .bind(own_organisation)
        .bind(household)
        .bind(filter.status)
        .bind(filter.organisation.as_ref().map(OrganisationId::as_str))
        .bind(filter.channel.as_deref())
        .bind(after_date)
        .bind(after_id)
        .bind(filter.limit)
        .fetch_all(&mut *transaction)
        .await?;
    transaction.commit().await?;
    Ok(rows)
}

/// Keeps the overview from this service's own stream.
pub struct OverviewHandler;

impl EventHandler for OverviewHandler {
    async fn handle(
        &self,
        connection: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        sqlx::query("SELECT set_config('kindpakket.projector', 'application_overview', true)")
            .execute(&mut *connection)
            .await?;
        let gemeente = event.envelope.gemeente.as_str();
        match event.decode::<ApplicationEvent>()? {
            ApplicationEvent::ApplicationSubmitted(submitted) => {
                let channel = serde_json::to_value(submitted.channel)
                    .ok()
                    .and_then(|value| value.as_str().map(str::to_owned))
                    .unwrap_or_default();
                sqlx::query(
                    "INSERT INTO application_overview (application_id, gemeente, organisation,
                         household, channel, status, submitted_on, children)
                     VALUES ($1, $2, $3, $4, $5, 'submitted', $6, $7)
                     ON CONFLICT (application_id) DO NOTHING",
                )
                .bind(submitted.application_id)
                .bind(gemeente)
                .bind(submitted.on_behalf_of.as_ref().map(OrganisationId::as_str))
                .bind(submitted.household.0)
                .bind(channel)
                .bind(submitted.submitted_on)
                .bind(i32::try_from(submitted.children.len()).unwrap_or(i32::MAX))
                .execute(&mut *connection)
                .await?;
            }
            ApplicationEvent::ApplicationGranted(granted) => {
                decided(
                    connection,
                    granted.application_id,
                    "granted",
                    granted.decided_on,
                )
                .await?;
            }
            ApplicationEvent::ApplicationRejected(rejected) => {
                decided(
                    connection,
                    rejected.application_id,
                    "rejected",
                    rejected.decided_on,
                )
                .await?;
            }
            ApplicationEvent::ApplicationWithdrawn(withdrawn) => {
                decided(
                    connection,
                    withdrawn.application_id,
                    "withdrawn",
                    withdrawn.withdrawn_on,
                )
                .await?;
            }
            ApplicationEvent::SubjectForgotten(forgotten) => match forgotten.kind {
                SubjectKind::Household => {
                    sqlx::query(
                        "UPDATE application_overview SET household = NULL WHERE household = $1",
                    )
                    .bind(forgotten.subject)
                    .execute(&mut *connection)
                    .await?;
                }
                // The overview keeps no child.
                SubjectKind::Child => {}
            },
            // Nothing of the person is kept here to look at again.
            ApplicationEvent::SubjectRectified(_) => {}
        }
        Ok(())
    }
}

async fn decided(
    connection: &mut PgConnection,
    application_id: Uuid,
    status: &str,
    on: Date,
) -> Result<(), HandlerError> {
    sqlx::query(
        "UPDATE application_overview SET status = $2, decided_on = $3 WHERE application_id = $1",
    )
    .bind(application_id)
    .bind(status)
    .bind(on)
    .execute(&mut *connection)
    .await?;
    Ok(())
}
