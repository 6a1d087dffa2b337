//! Sealing for the application aggregate: what an application says about a household (its income,
//! adults and money left, each outcome's share and explanation, a maatwerk motivation, a written
//! reason) is stored sealed under the household's key ([`kindpakket_platform::shredding`]), so
//! forgetting the household makes it unreadable in the store, in replays and in backups.
//!
//! The [`Sealer`] is the aggregate's `Services`: the explanations a decision seals are made by the
//! eligibility engine inside the aggregate's rules, so sealing there — after the rules accepted the
//! command, so a refused command makes no key — keeps the decision in one place. It wraps the
//! service's [`SubjectKeys`]; the aggregate's given/when/then tests use its in-memory form, which
//! needs no database.

use kindpakket_platform::shredding::{Opened, SealError, Sealed, SubjectKeys};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

/// Seals and opens values under a subject's key.
#[derive(Clone)]
pub struct Sealer(Inner);

#[derive(Clone)]
enum Inner {
    Keys(SubjectKeys),
    /// For tests of the rules: "sealed" values hold their plaintext, and the listed subjects are
    /// forgotten.
    #[cfg(test)]
    Plain(std::sync::Arc<std::sync::Mutex<std::collections::HashSet<Uuid>>>),
}

impl Sealer {
    pub fn new(keys: SubjectKeys) -> Self {
        Sealer(Inner::Keys(keys))
    }

    /// The keys behind it.
    pub fn keys(&self) -> Option<&SubjectKeys> {
        match &self.0 {
            Inner::Keys(keys) => Some(keys),
            #[cfg(test)]
            Inner::Plain(_) => None,
        }
    }

    /// Seals `value` under `subject`'s key; refused once the subject was forgotten.
    pub async fn seal<T: Serialize>(
        &self,
        subject: Uuid,
        value: &T,
    ) -> Result<Sealed<T>, SealError> {
        match &self.0 {
            Inner::Keys(keys) => keys.seal(subject, value).await,
            #[cfg(test)]
            Inner::Plain(forgotten) => {
                if forgotten.lock().map_err(poisoned)?.contains(&subject) {
                    return Err(SealError::Forgotten);
                }
                let plaintext = serde_json::to_string(value).map_err(anyhow::Error::from)?;
                let sealed =
                    serde_json::json!({"s": subject, "e": 0, "n": "plain", "c": plaintext});
                Ok(serde_json::from_value(sealed).map_err(anyhow::Error::from)?)
            }
        }
    }

    /// Opens a sealed value: the value, or [`Opened::Forgotten`] once its subject's key is gone.
    pub async fn open<T: DeserializeOwned>(&self, sealed: &Sealed<T>) -> anyhow::Result<Opened<T>> {
        match &self.0 {
            Inner::Keys(keys) => keys.open(sealed).await,
            #[cfg(test)]
            Inner::Plain(forgotten) => {
                if forgotten
                    .lock()
                    .map_err(poisoned)?
                    .contains(&sealed.subject)
                {
                    return Ok(Opened::Forgotten);
                }
                let json = serde_json::to_value(sealed)?;
                let plaintext = json["c"].as_str().unwrap_or_default();
                Ok(Opened::Value(serde_json::from_str(plaintext)?))
            }
        }
    }
}

#[cfg(test)]
fn poisoned<E>(_: E) -> anyhow::Error {
    anyhow::anyhow!("a test sealer's lock was poisoned")
}

#[cfg(test)]
impl Sealer {
    /// A sealer without keys, for tests of the rules: values are kept in plain text.
    pub fn plain() -> Self {
        Sealer(Inner::Plain(Default::default()))
    }

    /// Forgets `subject` in a plain sealer.
    pub fn forget(&self, subject: Uuid) {
        if let Inner::Plain(forgotten) = &self.0 {
            forgotten.lock().unwrap().insert(subject);
        }
    }

    /// A value as a plain sealer seals it, made at once (for the events a test is given).
    pub fn plain_sealed<T: Serialize>(subject: Uuid, value: &T) -> Sealed<T> {
        let plaintext = serde_json::to_string(value).unwrap();
        serde_json::from_value(
            serde_json::json!({"s": subject, "e": 0, "n": "plain", "c": plaintext}),
        )
        .unwrap()
    }

    /// Opens a value sealed by a plain sealer, or panics.
    pub async fn opened<T: DeserializeOwned>(&self, sealed: &Sealed<T>) -> T {
        self.open(sealed).await.unwrap().value().unwrap()
    }
}
