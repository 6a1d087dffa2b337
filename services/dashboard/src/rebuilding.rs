//! A rebuild's replay, watched: `kindpakket-dashboard rebuild` records, per stream, the last message
//! the replay must reach (`rebuilding`); while the dashboard replays, a job notes each consumer's
//! progress there every second and clears the row once its consumer has applied that message. Until
//! every row is cleared the figures are incomplete: the quarterly figures and the live funnel answer
//! 503 with the progress ("De cijfers worden opnieuw opgebouwd: 45 %"), and the pages show it, so
//! nobody reads a half-built figure as the real one. Rebuilt figures equal the live ones (the replay
//! applies the same events the same way; `tests/e2e/overleg_disclosure.rs` compares them).

use kindpakket_platform::db::Migration;
use kindpakket_platform::http::ApiError;
use kindpakket_proto::subjects::durable_name;
use kindpakket_proto::Service;
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgPool;

pub const REBUILDING_MIGRATION: Migration = Migration {
    name: "0213_rebuilding",
    sql: r#"
        CREATE TABLE rebuilding (
            stream     text PRIMARY KEY,
            replay_to  bigint NOT NULL,
            applied    bigint NOT NULL DEFAULT 0,
            started_at timestamptz NOT NULL DEFAULT now()
        );
    "#,
};

/// How far a replay has come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Progress {
    /// Whether a replay is still running: the figures are incomplete until it is done.
    #[serde(rename = "bezig")]
    pub running: bool,
    /// Messages applied, over all streams still replaying.
    #[serde(rename = "verwerkt")]
    pub applied: i64,
    /// Messages to apply, over all streams still replaying.
    #[serde(rename = "totaal")]
    pub total: i64,
    pub percentage: i64,
}

impl Progress {
    /// The refusal while the replay runs, with how far it has come.
    pub fn refusal(&self) -> ApiError {
        ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "Cijfers in opbouw",
            format!(
                "De cijfers worden opnieuw opgebouwd uit de gebeurtenissen: {} van {} verwerkt ({} %). \
                 Tot dat klaar is zijn ze onvolledig; probeer het over enkele minuten opnieuw.",
                self.applied, self.total, self.percentage
            ),
        )
    }
}

/// The progress of a running replay, if one runs.
pub async fn progress(pool: &PgPool) -> Result<Option<Progress>, sqlx::Error> {
    let (rows, applied, total): (i64, Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT count(*), sum(least(applied, replay_to))::bigint, sum(replay_to)::bigint
         FROM rebuilding",
    )
    .fetch_one(pool)
    .await?;
    if rows == 0 {
        return Ok(None);
    }
    let (applied, total) = (applied.unwrap_or(0), total.unwrap_or(0));
    Ok(Some(Progress {
        running: true,
        applied,
        total,
        percentage: if total > 0 { applied * 100 / total } else { 0 },
    }))
}

/// 503 with the progress while a replay runs.
pub async fn refuse_while_rebuilding(pool: &PgPool) -> Result<(), ApiError> {
    match progress(pool).await.map_err(ApiError::internal)? {
        Some(progress) => Err(progress.refusal()),
        None => Ok(()),
    }
}

/// Notes each replaying consumer's progress and clears the streams it has caught up on.
pub async fn track(
    pool: &PgPool,
    js: &async_nats::jetstream::Context,
    sources: &[Service],
) -> anyhow::Result<()> {
    let replaying: Vec<(String, i64)> = sqlx::query_as("SELECT stream, replay_to FROM rebuilding")
        .fetch_all(pool)
        .await?;
    for (name, replay_to) in replaying {
        let Some(source) = sources.iter().find(|s| s.stream().name == name) else {
            continue;
        };
        let stream = js.get_stream(&name).await?;
        let applied = match stream
            .consumer_info(durable_name("dashboard", *source))
            .await
        {
            Ok(info) => i64::try_from(info.ack_floor.stream_sequence).unwrap_or(i64::MAX),
            // Not created yet: the consumer starts in a moment.
            Err(_) => 0,
        };
        if applied >= replay_to {
            sqlx::query("DELETE FROM rebuilding WHERE stream = $1")
                .bind(&name)
                .execute(pool)
                .await?;
            tracing::info!(stream = %name, replay_to, "replay caught up");
        } else {
            sqlx::query("UPDATE rebuilding SET applied = $2 WHERE stream = $1")
                .bind(&name)
                .bind(applied)
                .execute(pool)
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_says_how_far_the_replay_has_come() {
        let progress = Progress {
            running: true,
            applied: 450,
            total: 1000,
            percentage: 45,
        };
        let problem = progress.refusal().problem();
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(json["status"], 503);
        let detail = json["detail"].as_str().unwrap();
        assert!(detail.contains("450 van 1000 verwerkt (45 %)"), "{detail}");
    }
}
