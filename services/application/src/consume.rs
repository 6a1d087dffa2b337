//! The regie stream, kept as the versions of every gemeente's regeling, so that an application is
//! assessed against the version in force on its date. A samenwerkingsverband's regeling is stored
//! once per member gemeente.

use kindpakket_platform::consume::{EventHandler, HandlerError, ReceivedEvent};
use kindpakket_platform::db::Migration;
use kindpakket_proto::regie::{RegelingPublished, RegieEvent};
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
    "#,
};

pub struct RegelingenHandler;

impl EventHandler for RegelingenHandler {
    async fn handle(
        &self,
        connection: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let RegieEvent::RegelingPublished(regeling) = event.decode::<RegieEvent>()? else {
            return Ok(());
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
