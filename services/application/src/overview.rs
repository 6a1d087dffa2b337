//! The overview of applications, a read model that several organisations read (`GET /aanvragen`):
//! an intermediary (partner, signaller) the applications it took in on families' behalf, the
//! regievoerder all of its gemeente, a parent their household's. Kept from this service's own
//! stream (the contract: codes, dates, children by pseudonym; nothing sealed), exactly once per
//! event by a durable consumer, and forgetting what `SubjectForgotten` names: a household's id (and
//! the intermediary's pseudonym of it) is cleared, a child's rows are dropped; the counts stay.
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
use kindpakket_proto::{ChildRef, GemeenteCode, HouseholdRef, OrganisationId};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use time::Date;
use uuid::Uuid;

use crate::pseudonyms::{Pseudonyms, Reader};

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
    pub household_pseudonym: Option<Uuid>,
    pub channel: String,
    pub status: String,
    pub submitted_on: Date,
    pub decided_on: Option<Date>,
    pub children: i32,
}

/// The applications of `gemeente` that `lister` may list, newest first.
pub async fn list(
    pool: &PgPool,
    gemeente: &GemeenteCode,
    lister: &Lister,
) -> Result<Vec<Listed>, sqlx::Error> {
    let mut transaction = as_reader(pool, lister).await?;
    let select = "SELECT application_id, organisation, household, household_pseudonym, channel,
                         status, submitted_on, decided_on, children
                  FROM application_overview";
    let order = "ORDER BY submitted_on DESC, application_id";
    let rows = match lister {
        Lister::Organisation(organisation) => {
            sqlx::query_as(&format!(
                "{select} WHERE gemeente = $1 AND organisation = $2 {order}"
            ))
            .bind(gemeente.as_str())
            .bind(organisation.as_str())
            .fetch_all(&mut *transaction)
            .await?
        }
        Lister::Household(household) => {
            sqlx::query_as(&format!(
                "{select} WHERE gemeente = $1 AND household = $2 {order}"
            ))
            .bind(gemeente.as_str())
            .bind(household)
            .fetch_all(&mut *transaction)
            .await?
        }
        Lister::Gemeente(_) => {
            sqlx::query_as(&format!("{select} WHERE gemeente = $1 {order}"))
                .bind(gemeente.as_str())
                .fetch_all(&mut *transaction)
                .await?
        }
    };
    transaction.commit().await?;
    Ok(rows)
}

/// The household and children an intermediary names in a new application, mapped back from its
/// own pseudonyms of those in the applications it took in before. An id that is none of its
/// pseudonyms is taken as given (the family's reference, as the gemeente handed it out).
pub async fn resolve(
    pool: &PgPool,
    organisation: &OrganisationId,
    household: HouseholdRef,
    children: &[ChildRef],
) -> Result<(HouseholdRef, Vec<ChildRef>), sqlx::Error> {
    let mut transaction = as_reader(pool, &Lister::Organisation(organisation.clone())).await?;
    let known_household: Option<Uuid> = sqlx::query_scalar(
        "SELECT household FROM application_overview
         WHERE organisation = $1 AND household_pseudonym = $2 AND household IS NOT NULL LIMIT 1",
    )
    .bind(organisation.as_str())
    .bind(household.0)
    .fetch_optional(&mut *transaction)
    .await?;
    let mut resolved = Vec::with_capacity(children.len());
    for child in children {
        let known: Option<Uuid> = sqlx::query_scalar(
            "SELECT child FROM application_overview_children
             WHERE organisation = $1 AND pseudonym = $2 LIMIT 1",
        )
        .bind(organisation.as_str())
        .bind(child.0)
        .fetch_optional(&mut *transaction)
        .await?;
        resolved.push(known.map_or(*child, ChildRef));
    }
    transaction.commit().await?;
    Ok((known_household.map_or(household, HouseholdRef), resolved))
}

/// Keeps the overview from this service's own stream.
pub struct OverviewHandler {
    pub pseudonyms: Pseudonyms,
}

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
                let intermediary = submitted
                    .on_behalf_of
                    .as_ref()
                    .map(|organisation| Reader::Organisation(organisation.clone()));
                let household_pseudonym = intermediary
                    .as_ref()
                    .map(|reader| self.pseudonyms.household(reader, submitted.household).0);
                let channel = serde_json::to_value(submitted.channel)
                    .ok()
                    .and_then(|value| value.as_str().map(str::to_owned))
                    .unwrap_or_default();
                sqlx::query(
                    "INSERT INTO application_overview (application_id, gemeente, organisation,
                         household, household_pseudonym, channel, status, submitted_on, children)
                     VALUES ($1, $2, $3, $4, $5, $6, 'submitted', $7, $8)
                     ON CONFLICT (application_id) DO NOTHING",
                )
                .bind(submitted.application_id)
                .bind(gemeente)
                .bind(submitted.on_behalf_of.as_ref().map(OrganisationId::as_str))
                .bind(submitted.household.0)
                .bind(household_pseudonym)
                .bind(channel)
                .bind(submitted.submitted_on)
                .bind(i32::try_from(submitted.children.len()).unwrap_or(i32::MAX))
                .execute(&mut *connection)
                .await?;
                if let (Some(organisation), Some(reader)) = (&submitted.on_behalf_of, &intermediary)
                {
                    for child in &submitted.children {
                        sqlx::query(
                            "INSERT INTO application_overview_children
                                 (application_id, organisation, child, pseudonym)
                             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                        )
                        .bind(submitted.application_id)
                        .bind(organisation.as_str())
                        .bind(child.child.0)
                        .bind(self.pseudonyms.child(reader, child.child).0)
                        .execute(&mut *connection)
                        .await?;
                    }
                }
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
                        "UPDATE application_overview SET household = NULL, household_pseudonym = NULL
                         WHERE household = $1",
                    )
                    .bind(forgotten.subject)
                    .execute(&mut *connection)
                    .await?;
                }
                SubjectKind::Child => {
                    sqlx::query("DELETE FROM application_overview_children WHERE child = $1")
                        .bind(forgotten.subject)
                        .execute(&mut *connection)
                        .await?;
                }
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
