//! Application events stored before crypto-shredding (version 1) kept the household's income, its
//! adults and money left, every explanation, a maatwerk motivation and a rejection reason in plain
//! text, in the contract's own structs. At start, after the migrations and before the relay, they
//! are rewritten once into version 2 ([`crate::domain::application::ApplicationEvent`]), with those
//! values sealed under the household's key ([`kindpakket_platform::store::reseal_events`], as the
//! database's owner). Idempotent: only version 1 rows are read, each rewritten in one statement.
//!
//! A decision or rejection does not name its household; the household (and the inputs, for a
//! decision's sealed details) come from the application's own `Submitted` event, read first.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use anyhow::{anyhow, Context, Result};
use kindpakket_platform::db::DatabaseConfig;
use kindpakket_platform::shredding::SubjectKeys;
use kindpakket_platform::store::reseal_events;
use serde_json::{json, Map, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::application::{EVENT_VERSION, NOTHING_GRANTED};
use crate::domain::eligibility::GRANTED_BY_HAND;

/// What a version 1 `Submitted` event says of its application, for its later events.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub household: Uuid,
    /// The inputs in plain text (`income_percent`, `adults`, `money_left_cents`), when the
    /// submission was version 1 itself.
    pub inputs: Option<Value>,
}

/// Rewrites the version 1 application events of the store; answers how many.
pub async fn run(pool: &PgPool, database: &DatabaseConfig, keys: &SubjectKeys) -> Result<u64> {
    let submissions: Vec<(String, i64, String, String)> = sqlx::query_as(
        "SELECT aggregate_id, sequence, event_version, payload::text FROM events
         WHERE aggregate_type = 'application' AND event_type = 'Submitted'",
    )
    .fetch_all(pool)
    .await?;
    let mut applications = HashMap::new();
    for (_, _, version, payload) in submissions {
        let payload: Value = serde_json::from_str(&payload)?;
        let application = &payload["Submitted"]["application"];
        let (Some(id), Some(household)) = (
            application["application_id"].as_str(),
            application["household"].as_str(),
        ) else {
            continue;
        };
        let inputs = (version == "1").then(|| inputs_of(application));
        applications.insert(
            Uuid::parse_str(id)?,
            Applied {
                household: Uuid::parse_str(household)?,
                inputs,
            },
        );
    }
    let applications = Arc::new(applications);
    reseal_events(
        pool,
        database,
        "application",
        "1",
        EVENT_VERSION,
        |event_type, payload| {
            let applications = applications.clone();
            let keys = keys.clone();
            async move {
                let seal = |subject: Uuid, value: Value| {
                    let keys = keys.clone();
                    async move {
                        let sealed = keys
                            .seal(subject, &value)
                            .await
                            .map_err(|error| anyhow!("{error}"))?;
                        Ok(serde_json::to_value(sealed)?)
                    }
                };
                version_2(&event_type, payload, &applications, seal).await
            }
        },
    )
    .await
}

/// The household's inputs of a version 1 submission.
fn inputs_of(application: &Value) -> Value {
    json!({
        "income_percent": application["income_percent"],
        "adults": application.get("adults").cloned().unwrap_or(Value::Null),
        "money_left_cents": application.get("money_left_cents").cloned().unwrap_or(Value::Null),
    })
}

/// A version 1 payload in version 2, with `seal(household, value)` sealing what it says of the
/// household.
pub async fn version_2<S, F>(
    event_type: &str,
    mut payload: Value,
    applications: &HashMap<Uuid, Applied>,
    seal: S,
) -> Result<Value>
where
    S: Fn(Uuid, Value) -> F,
    F: Future<Output = Result<Value>>,
{
    let inner = payload
        .get_mut(event_type)
        .and_then(Value::as_object_mut)
        .ok_or_else(|| anyhow!("a {event_type} event without its payload"))?;
    match event_type {
        "Submitted" => {
            let application = inner
                .get_mut("application")
                .and_then(Value::as_object_mut)
                .context("a submission without its application")?;
            let household = uuid_in(application, "household")?;
            let inputs = inputs_of(&Value::Object(application.clone()));
            for field in ["income_percent", "adults", "money_left_cents"] {
                application.remove(field);
            }
            application.insert("inputs".to_owned(), seal(household, inputs).await?);
        }
        "Granted" | "Rejected" => {
            let application = applications
                .get(&uuid_in(inner, "application_id")?)
                .context("a decision on an application without a submission")?;
            if event_type == "Rejected" {
                let reason = inner
                    .remove("reason")
                    .and_then(|reason| reason.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let reason = if reason == NOTHING_GRANTED {
                    json!("NothingGranted")
                } else {
                    json!({"Written": seal(application.household, json!(reason)).await?})
                };
                inner.insert("reason".to_owned(), reason);
            }
            let assessment = inner.remove("assessment").unwrap_or(Value::Null);
            let decision = match assessment {
                Value::Object(assessment) => decision(assessment, application, &seal).await?,
                _ => Value::Null,
            };
            inner.insert("assessment".to_owned(), decision);
        }
        "Withdrawn" => {
            inner.entry("reason").or_insert(Value::Null);
        }
        other => return Err(anyhow!("an application event of unknown type {other}")),
    }
    Ok(payload)
}

/// A version 1 assessment as a version 2 decision: codes and amounts plain, the inputs, shares,
/// explanations and motivation sealed.
async fn decision<S, F>(
    mut assessment: Map<String, Value>,
    application: &Applied,
    seal: &S,
) -> Result<Value>
where
    S: Fn(Uuid, Value) -> F,
    F: Future<Output = Result<Value>>,
{
    let outcomes = match assessment.remove("outcomes") {
        Some(Value::Array(outcomes)) => outcomes,
        _ => Vec::new(),
    };
    let mut plain = Vec::with_capacity(outcomes.len());
    let mut sealed = Vec::with_capacity(outcomes.len());
    for mut outcome in outcomes {
        let fields = outcome
            .as_object_mut()
            .context("an outcome that is not an object")?;
        sealed.push(json!({
            "share_percent": fields.remove("share_percent").unwrap_or(json!(0)),
            "explanation": fields.remove("explanation").unwrap_or(json!("")),
        }));
        plain.push(outcome);
    }
    let by_hand = !plain.is_empty()
        && plain
            .iter()
            .all(|outcome| outcome["reason"] == GRANTED_BY_HAND);
    let motivation = assessment
        .remove("custom_motivation")
        .unwrap_or(Value::Null);
    let inputs = application.inputs.clone().unwrap_or_else(|| {
        json!({"income_percent": assessment.get("income_percent").cloned().unwrap_or(json!(0)),
               "adults": null, "money_left_cents": null})
    });
    let details = json!({
        "inputs": inputs,
        "outcomes": sealed,
        "custom_motivation": motivation,
    });
    Ok(json!({
        "regeling_id": assessment.get("regeling_id").cloned().unwrap_or(Value::Null),
        "outcomes": plain,
        "custom": !motivation.is_null(),
        "by_hand": by_hand,
        "details": seal(application.household, details).await?,
    }))
}

fn uuid_in(fields: &Map<String, Value>, name: &str) -> Result<Uuid> {
    let text = fields
        .get(name)
        .and_then(Value::as_str)
        .with_context(|| format!("a payload without {name}"))?;
    Ok(Uuid::parse_str(text)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::application::{ApplicationEvent, RejectionReason};
    use crate::domain::eligibility::AssessmentInputs;
    use crate::sealing::Sealer;

    /// Seals as the plain test sealer does: the value is kept as text.
    async fn plain(subject: Uuid, value: Value) -> Result<Value> {
        Ok(json!({"s": subject, "e": 0, "n": "plain", "c": value.to_string()}))
    }

    fn version_1() -> (Value, Value, Value, Value) {
        let submitted = json!({"Submitted": {"gemeente": "GM0518", "application": {
            "application_id": Uuid::from_u128(5), "household": Uuid::from_u128(6),
            "channel": "loket", "on_behalf_of": null,
            "children": [{"child": Uuid::from_u128(11), "birth_year": 2016, "birth_month": 5}],
            "income_percent": 117, "requested_provisions": ["sportcontributie"],
            "signal_id": null, "submitted_on": "2026-09-01", "adults": 2, "money_left_cents": 31_000}}});
        let granted = json!({"Granted": {"application_id": Uuid::from_u128(5),
            "entitlements": [], "decided_on": "2026-09-10",
            "assessment": {"regeling_id": Uuid::from_u128(2026), "income_percent": 117,
                "outcomes": [{"child": Uuid::from_u128(11), "provision": "sportcontributie",
                    "granted": true, "share_percent": 50, "amount_cents": 12_500,
                    "reason": "custom_decision", "explanation": "Schuldhulp, zie motivatie."}],
                "custom_motivation": "Schuldhulpverlening"}}});
        let rejected = json!({"Rejected": {"application_id": Uuid::from_u128(5),
            "reason": "Geen inkomensbewijs.", "decided_on": "2026-09-10"}});
        let withdrawn = json!({"Withdrawn": {"application_id": Uuid::from_u128(5),
            "withdrawn_on": "2026-09-02"}});
        (submitted, granted, rejected, withdrawn)
    }

    #[tokio::test]
    async fn version_1_events_are_rewritten_with_what_they_say_of_the_household_sealed() {
        let (submitted, granted, rejected, withdrawn) = version_1();
        let applications = HashMap::from([(
            Uuid::from_u128(5),
            Applied {
                household: Uuid::from_u128(6),
                inputs: Some(inputs_of(&submitted["Submitted"]["application"])),
            },
        )]);
        let sealer = Sealer::plain();
        let rewrite = |event_type: &'static str, payload: Value| {
            let applications = applications.clone();
            async move {
                let payload = version_2(event_type, payload, &applications, plain)
                    .await
                    .unwrap();
                serde_json::from_value::<ApplicationEvent>(payload).unwrap()
            }
        };
        let ApplicationEvent::Submitted { application, .. } = rewrite("Submitted", submitted).await
        else {
            panic!()
        };
        assert_eq!(application.inputs.subject, Uuid::from_u128(6));
        assert_eq!(
            sealer.opened(&application.inputs).await,
            AssessmentInputs {
                income_percent: 117,
                adults: Some(2),
                money_left_cents: Some(kindpakket_proto::Cents(31_000)),
            }
        );
        let ApplicationEvent::Granted(granted) = rewrite("Granted", granted).await else {
            panic!()
        };
        let decision = granted.assessment.unwrap();
        assert!(decision.custom && !decision.by_hand);
        assert_eq!(decision.outcomes[0].reason, "custom_decision");
        let details = sealer.opened(&decision.details).await;
        assert_eq!(details.inputs.income_percent, 117);
        assert_eq!(details.outcomes[0].share_percent, 50);
        assert_eq!(
            details.custom_motivation.as_deref(),
            Some("Schuldhulpverlening")
        );
        let ApplicationEvent::Rejected(rejected) = rewrite("Rejected", rejected).await else {
            panic!()
        };
        let RejectionReason::Written(reason) = rejected.reason else {
            panic!()
        };
        assert_eq!(sealer.opened(&reason).await, "Geen inkomensbewijs.");
        let ApplicationEvent::Withdrawn(withdrawn) = rewrite("Withdrawn", withdrawn).await else {
            panic!()
        };
        assert_eq!(withdrawn.reason, None);
    }

    #[tokio::test]
    async fn a_rejection_for_nothing_granted_keeps_no_text() {
        let applications = HashMap::from([(
            Uuid::from_u128(5),
            Applied {
                household: Uuid::from_u128(6),
                inputs: None,
            },
        )]);
        let rejected = json!({"Rejected": {"application_id": Uuid::from_u128(5),
            "reason": NOTHING_GRANTED, "decided_on": "2026-09-10"}});
        let payload = version_2("Rejected", rejected, &applications, plain)
            .await
            .unwrap();
        assert_eq!(payload["Rejected"]["reason"], "NothingGranted");
    }
}
