//! Events stored before version 2 kept free text in plaintext inside the contract's event: a block
//! reason, a proof's reference, a declaration's and an invoice line's rejection reason, a sample
//! check's note. At start (and in `migrate`), before the relay reads anything, each such row is
//! rewritten once into version 2 ([`kindpakket_platform::store::reseal_events`], as the database
//! owner): the text sealed under the child's key beside the event, the event itself as the contract
//! now has it. Events without free text only get the new version.
//!
//! The child of a text is found in the event itself or, for a block reason and a check note, in the
//! entitlement's own `Opened` and `DeclarationSubmitted` events. A text of a child that was already
//! forgotten is dropped, not sealed. A text is sealed with the key of the month it is resealed in,
//! so retention counts its age from then. The plaintext stays in the WAL and in backups made before,
//! until they expire.

use std::collections::BTreeMap;

use anyhow::{anyhow, Context, Result};
use cqrs_es::Aggregate;
use kindpakket_platform::db::DatabaseConfig;
use kindpakket_platform::free_text::Note;
use kindpakket_platform::shredding::{SealError, Sealed, SubjectKeys};
use kindpakket_platform::store::reseal_events;
use serde_json::{Map, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::entitlement::{self, Entitlement};
use crate::domain::invoice::{self, Invoice};
use crate::domain::sample::{self, SampleDraw};

/// The stored version before free text was sealed.
const LEGACY_VERSION: &str = "1";

/// Reseals every legacy event of the three aggregates; returns how many were rewritten.
pub async fn reseal_legacy_events(
    pool: &PgPool,
    database: &DatabaseConfig,
    keys: &SubjectKeys,
) -> Result<u64> {
    let mut rewritten = 0;
    // Entitlements first: a sample check finds its child in the entitlement's events.
    rewritten += reseal_events(
        pool,
        database,
        Entitlement::TYPE,
        LEGACY_VERSION,
        entitlement::EVENT_VERSION,
        |event_type, payload| {
            let (pool, keys) = (pool.clone(), keys.clone());
            async move { reseal_entitlement_event(&pool, &keys, &event_type, payload).await }
        },
    )
    .await?;
    rewritten += reseal_events(
        pool,
        database,
        Invoice::TYPE,
        LEGACY_VERSION,
        invoice::EVENT_VERSION,
        |event_type, payload| {
            let keys = keys.clone();
            async move { reseal_invoice_event(&keys, &event_type, payload).await }
        },
    )
    .await?;
    rewritten += reseal_events(
        pool,
        database,
        SampleDraw::TYPE,
        LEGACY_VERSION,
        sample::EVENT_VERSION,
        |event_type, payload| {
            let (pool, keys) = (pool.clone(), keys.clone());
            async move { reseal_sample_event(&pool, &keys, &event_type, payload).await }
        },
    )
    .await?;
    Ok(rewritten)
}

/// `text` sealed under `child`'s key; `None` for no text, or a child already forgotten.
async fn seal(keys: &SubjectKeys, child: Uuid, text: Option<String>) -> Result<Option<Value>> {
    let Some(text) = text
        .map(|text| text.trim().to_owned())
        .filter(|t| !t.is_empty())
    else {
        return Ok(None);
    };
    let note: Note = serde_json::from_value(Value::String(text))?;
    match keys.seal(child, &note).await {
        Ok(sealed) => Ok(Some(serde_json::to_value::<Sealed<Note>>(sealed)?)),
        Err(SealError::Forgotten) => Ok(None),
        Err(SealError::Technical(error)) => Err(error),
    }
}

/// The object under `variant` of an externally tagged enum's JSON.
fn inner(payload: &mut Value, variant: &str) -> Result<Map<String, Value>> {
    match payload.get_mut(variant).map(Value::take) {
        Some(Value::Object(fields)) => Ok(fields),
        _ => Err(anyhow!("a stored {variant} event is not an object")),
    }
}

/// Removes a text field, giving its text when it had one.
fn take_text(fields: &mut Map<String, Value>, name: &str) -> Option<String> {
    match fields.remove(name) {
        Some(Value::String(text)) => Some(text),
        _ => None,
    }
}

fn child_in(fields: &Map<String, Value>) -> Result<Uuid> {
    let child = fields
        .get("child")
        .and_then(Value::as_str)
        .context("a stored event without its child")?;
    Ok(Uuid::parse_str(child)?)
}

/// The `{variant: {event: …, sealed_name: …}}` of version 2.
fn version_2(
    variant: &str,
    event_name: &str,
    event: Map<String, Value>,
    sealed: Option<(&str, Value)>,
) -> Value {
    let mut fields = Map::new();
    fields.insert(event_name.to_owned(), Value::Object(event));
    if let Some((name, value)) = sealed {
        fields.insert(name.to_owned(), value);
    }
    let mut payload = Map::new();
    payload.insert(variant.to_owned(), Value::Object(fields));
    Value::Object(payload)
}

/// The child of an entitlement, from its `Opened` event.
async fn child_of_entitlement(pool: &PgPool, entitlement_id: &str) -> Result<Uuid> {
    let child: Option<String> = sqlx::query_scalar(
        "SELECT payload->'Opened'->'opened'->>'child' FROM events
          WHERE aggregate_type = 'entitlement' AND aggregate_id = $1 AND event_type = 'Opened'",
    )
    .bind(entitlement_id)
    .fetch_optional(pool)
    .await?
    .flatten();
    let child = child.context("a pass blocked on an entitlement that was never opened")?;
    Ok(Uuid::parse_str(&child)?)
}

async fn reseal_entitlement_event(
    pool: &PgPool,
    keys: &SubjectKeys,
    event_type: &str,
    mut payload: Value,
) -> Result<Value> {
    match event_type {
        "PassBlocked" => {
            let mut blocked = inner(&mut payload, "PassBlocked")?;
            let reason = take_text(&mut blocked, "reason");
            let entitlement_id = blocked
                .get("entitlement_id")
                .and_then(Value::as_str)
                .context("a blocked pass without its entitlement")?
                .to_owned();
            let child = child_of_entitlement(pool, &entitlement_id).await?;
            let sealed = seal(keys, child, reason).await?;
            Ok(version_2(
                "PassBlocked",
                "blocked",
                blocked,
                sealed.map(|sealed| ("reason", sealed)),
            ))
        }
        "DeclarationSubmitted" => {
            let mut submitted = inner(&mut payload, "DeclarationSubmitted")?;
            let proof = take_text(&mut submitted, "proof_reference");
            let sealed = seal(keys, child_in(&submitted)?, proof).await?;
            Ok(version_2(
                "DeclarationSubmitted",
                "submitted",
                submitted,
                sealed.map(|sealed| ("proof", sealed)),
            ))
        }
        "DeclarationDecided" => {
            let mut decided = inner(&mut payload, "DeclarationDecided")?;
            let reason = take_text(&mut decided, "reason");
            let sealed = seal(keys, child_in(&decided)?, reason).await?;
            Ok(version_2(
                "DeclarationDecided",
                "decided",
                decided,
                sealed.map(|sealed| ("reason", sealed)),
            ))
        }
        // No free text: the same payload under the new version.
        _ => Ok(payload),
    }
}

async fn reseal_invoice_event(
    keys: &SubjectKeys,
    event_type: &str,
    mut payload: Value,
) -> Result<Value> {
    if event_type != "InvoiceSettled" {
        return Ok(payload);
    }
    let mut settled = inner(&mut payload, "InvoiceSettled")?;
    let mut reasons = BTreeMap::new();
    if let Some(Value::Array(lines)) = settled.get_mut("lines") {
        for line in lines {
            let Value::Object(line) = line else {
                continue;
            };
            let reason = take_text(line, "reason");
            let delivery_id = line
                .get("delivery_id")
                .and_then(Value::as_str)
                .context("an invoice line without its delivery")?
                .to_owned();
            if let Some(sealed) = seal(keys, child_in(line)?, reason).await? {
                reasons.insert(delivery_id, sealed);
            }
        }
    }
    let reasons = (!reasons.is_empty()).then(|| ("reasons", serde_json::to_value(reasons)));
    let reasons = match reasons {
        Some((name, value)) => Some((name, value?)),
        None => None,
    };
    Ok(version_2("InvoiceSettled", "settled", settled, reasons))
}

/// The child of a declaration, from the `DeclarationSubmitted` event of its entitlement (of either
/// version).
async fn child_of_declaration(pool: &PgPool, declaration_id: &str) -> Result<Uuid> {
    let child: Option<String> = sqlx::query_scalar(
        "SELECT COALESCE(payload->'DeclarationSubmitted'->'submitted'->>'child',
                         payload->'DeclarationSubmitted'->>'child')
           FROM events
          WHERE aggregate_type = 'entitlement' AND event_type = 'DeclarationSubmitted'
            AND COALESCE(payload->'DeclarationSubmitted'->'submitted'->>'declaration_id',
                         payload->'DeclarationSubmitted'->>'declaration_id') = $1",
    )
    .bind(declaration_id)
    .fetch_optional(pool)
    .await?
    .flatten();
    let child = child.context("a sample check of a declaration that was never submitted")?;
    Ok(Uuid::parse_str(&child)?)
}

async fn reseal_sample_event(
    pool: &PgPool,
    keys: &SubjectKeys,
    event_type: &str,
    mut payload: Value,
) -> Result<Value> {
    if event_type != "SampleCheckRecorded" {
        return Ok(payload);
    }
    let mut check = inner(&mut payload, "SampleCheckRecorded")?;
    let note = take_text(&mut check, "note");
    let sealed = match note.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => {
            let declaration_id = check
                .get("declaration_id")
                .and_then(Value::as_str)
                .context("a sample check without its declaration")?
                .to_owned();
            let child = child_of_declaration(pool, &declaration_id).await?;
            seal(keys, child, note).await?
        }
        _ => None,
    };
    Ok(version_2(
        "SampleCheckRecorded",
        "check",
        check,
        sealed.map(|sealed| ("note", sealed)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_version_2_payload_nests_the_contract_event_beside_its_sealed_text() {
        let mut payload = json!({"PassBlocked": {"entitlement_id": "e", "pass_id": "p",
                                                  "reason": "kwijt", "blocked_on": "2026-04-01"}});
        let mut blocked = inner(&mut payload, "PassBlocked").unwrap();
        assert_eq!(take_text(&mut blocked, "reason").as_deref(), Some("kwijt"));
        let rewritten = version_2("PassBlocked", "blocked", blocked, None);
        assert_eq!(
            rewritten,
            json!({"PassBlocked": {"blocked": {"entitlement_id": "e", "pass_id": "p",
                                               "blocked_on": "2026-04-01"}}})
        );
    }
}
