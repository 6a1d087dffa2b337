//! The regie stream, kept as the versions of every gemeente's regeling, so that an application is
//! assessed against the version in force on its date. A samenwerkingsverband's regeling is stored
//! once per member gemeente.

use kindpakket_platform::consume::{EventHandler, HandlerError, ReceivedEvent};
use kindpakket_platform::db::Migration;
use kindpakket_proto::regie::{Mandate, RegelingPublished, RegieEvent};
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

pub struct RegelingenHandler;

impl EventHandler for RegelingenHandler {
    async fn handle(
        &self,
        connection: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let regeling = match event.decode::<RegieEvent>()? {
            RegieEvent::RegelingPublished(regeling) => regeling,
            RegieEvent::PartnerEnrolled(enrolled) => {
                let mandate = enrolled
                    .mandate
                    .as_ref()
                    .map(serde_json::to_value)
                    .transpose()
                    .map_err(|error| HandlerError::Poison(error.to_string()))?;
                sqlx::query(
                    "INSERT INTO partner_mandates (gemeente, partner, mandate, ended_on) VALUES ($1, $2, $3, NULL)
                     ON CONFLICT (gemeente, partner) DO UPDATE SET mandate = EXCLUDED.mandate, ended_on = NULL",
                )
                .bind(event.envelope.gemeente.as_str())
                .bind(enrolled.partner.as_str())
                .bind(mandate)
                .execute(&mut *connection)
                .await?;
                return Ok(());
            }
            RegieEvent::PartnerEnrolmentEnded(ended) => {
                sqlx::query("UPDATE partner_mandates SET ended_on = $3 WHERE gemeente = $1 AND partner = $2")
                    .bind(event.envelope.gemeente.as_str())
                    .bind(ended.partner.as_str())
                    .bind(ended.ended_on)
                    .execute(&mut *connection)
                    .await?;
                return Ok(());
            }
        };
        let document = serde_json::to_value(&regeling)
            .map_err(|error| HandlerError::Poison(error.to_string()))?;
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
}

/// The regeling version in force in `gemeente` on `on` (the latest published when versions overlap).
pub async fn regeling_in_force(
    pool: &PgPool,
    gemeente: &str,
    on: Date,
) -> anyhow::Result<Option<RegelingPublished>> {
    let document: Option<serde_json::Value> = sqlx::query_scalar(
        "SELECT document FROM regeling_versions
         WHERE gemeente = $1 AND valid_from <= $2 AND valid_until >= $2
         ORDER BY valid_from DESC LIMIT 1",
    )
    .bind(gemeente)
    .bind(on)
    .fetch_optional(pool)
    .await?;
    Ok(document.map(serde_json::from_value).transpose()?)
}

/// The mandate of an enrolled partner in `gemeente`, if it has one and its enrolment has not ended.
pub async fn mandate_of(
    pool: &PgPool,
    gemeente: &str,
    partner: &str,
    on: Date,
) -> anyhow::Result<Option<Mandate>> {
    let mandate: Option<Option<serde_json::Value>> = sqlx::query_scalar(
        "SELECT mandate FROM partner_mandates
         WHERE gemeente = $1 AND partner = $2 AND (ended_on IS NULL OR ended_on >= $3)",
    )
    .bind(gemeente)
    .bind(partner)
    .bind(on)
    .fetch_optional(pool)
    .await?;
    Ok(mandate.flatten().map(serde_json::from_value).transpose()?)
}
