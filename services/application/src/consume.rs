//! The regie stream, kept as the versions of every gemeente's regeling, so that an application is
//! assessed against the version in force on its date (a samenwerkingsverband's regeling is stored
//! once per member gemeente), and as the enrolments of partners: their mandates, so that a partner
//! decides, and sees the applications of its gemeente, only while it has one; and their roles, so
//! that an organisation takes in applications on a family's behalf only while it is enrolled to.

use kindpakket_platform::consume::{EventHandler, HandlerError, ReceivedEvent};
use kindpakket_platform::db::Migration;
use kindpakket_proto::regie::{
    Mandate, PartnerEnrolled, PartnerEnrolmentEnded, PartnerRole, RegelingEnded, RegelingPublished,
    RegieEvent,
};
use kindpakket_proto::{GemeenteCode, OrganisationId};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use time::Date;

pub const REGELINGEN_MIGRATION: Migration = Migration {
    name: "0200_regeling_versions",
    sql: r#"
        CREATE TABLE regeling_versions (
            gemeente    text  NOT NULL,
            regeling_id uuid  NOT NULL,
            valid_from  date  NOT NULL,
            valid_until date  NOT NULL,
            document    jsonb NOT NULL,
            PRIMARY KEY (gemeente, regeling_id)
        );
        CREATE TABLE partner_mandates (
            gemeente text  NOT NULL,
            partner  text  NOT NULL,
            mandate  jsonb,
            ended_on date,
            PRIMARY KEY (gemeente, partner)
        );
    "#,
};

/// The roles of an enrolled partner, beside its mandate. Enrolments applied before this migration
/// keep no roles (`NULL`): such a partner takes in no applications until it is enrolled again.
pub const PARTNER_ROLES_MIGRATION: Migration = Migration {
    name: "0201_partner_roles",
    sql: r#"
        ALTER TABLE partner_mandates ADD COLUMN roles jsonb;
    "#,
};

/// Keeps the regie stream: regeling versions per gemeente, and the mandates and roles of enrolled
/// partners.
pub struct RegelingenHandler;

impl EventHandler for RegelingenHandler {
    async fn handle(
        &self,
        connection: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let gemeente = &event.envelope.gemeente;
        match event.decode::<RegieEvent>()? {
            RegieEvent::RegelingPublished(regeling) => keep_regeling(connection, &regeling).await,
            RegieEvent::RegelingEnded(ended) => end_regeling(connection, &ended).await,
            RegieEvent::PartnerEnrolled(enrolled) => {
                keep_mandate(connection, gemeente, &enrolled).await
            }
            RegieEvent::PartnerEnrolmentEnded(ended) => {
                end_mandate(connection, gemeente, &ended).await
            }
            // Routing concerns signals, not applications; the doelgroep (children expected to be
            // eligible) and the wishes are figures of the dashboard's, never a reason to decide
            // otherwise.
            RegieEvent::RoutingSet(_)
            | RegieEvent::TargetGroupSet(_)
            | RegieEvent::WishSubmitted(_)
            | RegieEvent::DiscountAgreed(_)
            | RegieEvent::DiscountEnded(_) => Ok(()),
        }
    }
}

/// Keeps a version once for each gemeente it covers.
async fn keep_regeling(
    connection: &mut PgConnection,
    regeling: &RegelingPublished,
) -> Result<(), HandlerError> {
    let document =
        serde_json::to_value(regeling).map_err(|error| HandlerError::Poison(error.to_string()))?;
    for gemeente in &regeling.gemeenten {
        sqlx::query(
            "INSERT INTO regeling_versions (gemeente, regeling_id, valid_from, valid_until, document)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(gemeente.as_str())
        .bind(regeling.regeling_id)
        .bind(regeling.valid_from)
        .bind(regeling.valid_until)
        .bind(&document)
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

/// A version corrected or ended early is in force until the day it ended: from the day after, no
/// application dated then finds it ([`regeling_in_force`]). The document stays as published, so
/// every decision made under it is reproduced from the same rules and an application dated within
/// its period still gets the entitlement period the version set.
async fn end_regeling(
    connection: &mut PgConnection,
    ended: &RegelingEnded,
) -> Result<(), HandlerError> {
    sqlx::query(
        "UPDATE regeling_versions SET valid_until = LEAST(valid_until, $2) WHERE regeling_id = $1",
    )
    .bind(ended.regeling_id)
    .bind(ended.valid_until)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Keeps a partner's mandate (none when it may not decide) and roles; enrolling again replaces
/// them.
async fn keep_mandate(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    enrolled: &PartnerEnrolled,
) -> Result<(), HandlerError> {
    let mandate = enrolled
        .mandate
        .as_ref()
        .map(serde_json::to_value)
        .transpose()
        .map_err(|error| HandlerError::Poison(error.to_string()))?;
    sqlx::query(
        "INSERT INTO partner_mandates (gemeente, partner, mandate, roles, ended_on)
         VALUES ($1, $2, $3, $4, NULL)
         ON CONFLICT (gemeente, partner)
         DO UPDATE SET mandate = EXCLUDED.mandate, roles = EXCLUDED.roles, ended_on = NULL",
    )
    .bind(gemeente.as_str())
    .bind(enrolled.partner.as_str())
    .bind(mandate)
    .bind(Json(&enrolled.roles))
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Records the day a partner's enrolment, and so its mandate, ended.
async fn end_mandate(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    ended: &PartnerEnrolmentEnded,
) -> Result<(), HandlerError> {
    sqlx::query("UPDATE partner_mandates SET ended_on = $3 WHERE gemeente = $1 AND partner = $2")
        .bind(gemeente.as_str())
        .bind(ended.partner.as_str())
        .bind(ended.ended_on)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// A regeling version as it is kept per gemeente.
#[derive(Debug, sqlx::FromRow)]
struct RegelingVersionRow {
    document: Json<RegelingPublished>,
}

/// A partner's mandate as it is kept per gemeente (none for a partner that may not decide).
#[derive(Debug, sqlx::FromRow)]
struct MandateRow {
    mandate: Option<Json<Mandate>>,
}

/// The regeling version in force in `gemeente` on `on` (the latest published when versions overlap).
pub async fn regeling_in_force(
    pool: &PgPool,
    gemeente: &GemeenteCode,
    on: Date,
) -> anyhow::Result<Option<RegelingPublished>> {
    let row: Option<RegelingVersionRow> = sqlx::query_as(
        "SELECT document FROM regeling_versions
         WHERE gemeente = $1 AND valid_from <= $2 AND valid_until >= $2
         ORDER BY valid_from DESC LIMIT 1",
    )
    .bind(gemeente.as_str())
    .bind(on)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(
        |RegelingVersionRow {
             document: Json(regeling),
         }| regeling,
    ))
}

/// The mandate of an enrolled partner in `gemeente`, if it has one and its enrolment has not ended.
pub async fn mandate_of(
    pool: &PgPool,
    gemeente: &GemeenteCode,
    partner: &OrganisationId,
    on: Date,
) -> anyhow::Result<Option<Mandate>> {
    let row: Option<MandateRow> = sqlx::query_as(
        "SELECT mandate FROM partner_mandates
         WHERE gemeente = $1 AND partner = $2 AND (ended_on IS NULL OR ended_on >= $3)",
    )
    .bind(gemeente.as_str())
    .bind(partner.as_str())
    .bind(on)
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(|row| row.mandate).map(|Json(mandate)| mandate))
}

/// Whether `organisation` has an enrolment in `gemeente` on `on`, in any role (to signal, take in
/// applications or deliver).
pub async fn is_enrolled(
    pool: &PgPool,
    gemeente: &GemeenteCode,
    organisation: &OrganisationId,
    on: Date,
) -> anyhow::Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM partner_mandates
                        WHERE gemeente = $1 AND partner = $2
                          AND (ended_on IS NULL OR ended_on >= $3))",
    )
    .bind(gemeente.as_str())
    .bind(organisation.as_str())
    .bind(on)
    .fetch_one(pool)
    .await?)
}

/// Whether `organisation` is enrolled in `gemeente` on `on` to take in applications on a family's
/// behalf (the partner role `aanvragen_innemen`).
pub async fn takes_applications(
    pool: &PgPool,
    gemeente: &GemeenteCode,
    organisation: &OrganisationId,
    on: Date,
) -> anyhow::Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM partner_mandates
                        WHERE gemeente = $1 AND partner = $2 AND roles @> $3
                          AND (ended_on IS NULL OR ended_on >= $4))",
    )
    .bind(gemeente.as_str())
    .bind(organisation.as_str())
    .bind(Json([PartnerRole::TakeApplications]))
    .bind(on)
    .fetch_one(pool)
    .await?)
}
