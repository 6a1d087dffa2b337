//! Signals stored before version 3 kept their reason ("debts") in plaintext inside the contract's
//! event. At start (and in `migrate`), before the relay reads anything, each such row is rewritten
//! once into version 3 ([`kindpakket_platform::store::reseal_events`], as the database owner): first
//! brought to version 2's shape by the pure [`upcasters`] (a version 1 row gets its signaller from
//! its metadata), then its reason taken out of the event and sealed under the child's key beside it.
//! Outcomes carry nothing to seal and only get the new version.
//!
//! A reason of a child that was already forgotten is dropped, not sealed. A reason is sealed with the
//! key of the month it is resealed in, so retention counts its age from then. The plaintext stays in
//! the WAL and in backups made before, until they expire.

use anyhow::{anyhow, Context, Result};
use cqrs_es::persist::SerializedEvent;
use cqrs_es::Aggregate;
use kindpakket_platform::db::DatabaseConfig;
use kindpakket_platform::shredding::{SealError, SubjectKeys};
use kindpakket_platform::store::reseal_events;
use kindpakket_proto::signalling::SignalReason;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::signal::{upcasters, Signal, WhySignalled, EVENT_VERSION};

/// Reseals every signal stored as version 1 or 2; returns how many were rewritten.
pub async fn reseal_legacy_signals(
    pool: &PgPool,
    database: &DatabaseConfig,
    keys: &SubjectKeys,
) -> Result<u64> {
    let mut rewritten = 0;
    for legacy in ["1", "2"] {
        rewritten += reseal_events(
            pool,
            database,
            Signal::TYPE,
            legacy,
            EVENT_VERSION,
            |event_type, payload| {
                let (pool, keys) = (pool.clone(), keys.clone());
                async move { reseal(&pool, &keys, legacy, &event_type, payload).await }
            },
        )
        .await?;
    }
    Ok(rewritten)
}

/// One legacy signal event as version 3.
async fn reseal(
    pool: &PgPool,
    keys: &SubjectKeys,
    version: &str,
    event_type: &str,
    payload: Value,
) -> Result<Value> {
    if event_type != "ChildSignalled" {
        return Ok(payload);
    }
    let signal_id = payload
        .pointer("/ChildSignalled/event/signal_id")
        .and_then(Value::as_str)
        .context("a stored signal without its id")?
        .to_owned();
    let metadata: Value = sqlx::query_scalar(
        "SELECT metadata::jsonb FROM events
          WHERE aggregate_type = 'signal' AND aggregate_id = $1 AND event_type = 'ChildSignalled'",
    )
    .bind(&signal_id)
    .fetch_optional(pool)
    .await?
    .context("a stored signal that cannot be found again")?;
    let mut event = SerializedEvent {
        aggregate_id: signal_id,
        sequence: 1,
        aggregate_type: Signal::TYPE.to_owned(),
        event_type: event_type.to_owned(),
        event_version: version.to_owned(),
        payload,
        metadata,
    };
    for upcaster in upcasters::upcasters() {
        if upcaster.can_upcast(&event.event_type, &event.event_version) {
            event = upcaster.upcast(event);
        }
    }
    seal_reason(keys, event.payload).await
}

/// A version 2 `ChildSignalled` as version 3: its reason out of the event, sealed beside it.
async fn seal_reason(keys: &SubjectKeys, mut payload: Value) -> Result<Value> {
    let outer = payload
        .get_mut("ChildSignalled")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| anyhow!("a stored ChildSignalled is not an object"))?;
    let event = outer
        .get_mut("event")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| anyhow!("a stored ChildSignalled without its event"))?;
    let reason = event.remove("reason");
    let child = event
        .get("child")
        .and_then(Value::as_str)
        .context("a stored signal without its child")?;
    let child = Uuid::parse_str(child)?;
    if let Some(reason) = reason {
        let reason: SignalReason = serde_json::from_value(reason)?;
        let why = WhySignalled { reason, note: None };
        match keys.seal(child, &why).await {
            Ok(sealed) => {
                outer.insert("why".to_owned(), serde_json::to_value(sealed)?);
            }
            Err(SealError::Forgotten) => {}
            Err(SealError::Technical(error)) => return Err(error),
        }
    }
    Ok(payload)
}
