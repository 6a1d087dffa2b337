//! Identifying a child or a parent the way an organisation knows them (issue 14, item 1;
//! `docs/chain.md`, "References instead of pseudonyms"): by BSN, or by name and date of birth when
//! the BSN is not at hand. The vault finds the person or records them, and the caller gets its own
//! reference ([`kindpakket_platform::reference`]) — the same answer whether the vault knew them or
//! not.
//!
//! - By BSN: the keyed BSN index ([`Vault::bsn_hash`]); a BSN must pass the 11-proef.
//! - By name and date of birth: a keyed index of the normalised name and date ([`normalised_name`],
//!   [`Vault::name_hash`]): "Jan  van der  Berg" and "jan Van-der Berg" born the same day are one
//!   person. A later record of the same person *with* a BSN (identified with name and date too, or
//!   registered by the gemeente or a parent with that name and date) is marked as possibly the same
//!   person (`duplicate_of`), as the vault does for a household's BSN it already knew; the
//!   regievoerder reads the mark.
//!
//! Each identification is on the audit log (`identificeren`), with the purpose.

use anyhow::Context;
use sha2::{Digest, Sha256};
use time::Date;
use uuid::Uuid;

use super::{PersonalData, Vault};

/// How the caller knows a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownAs {
    /// Checked by the caller of [`Vault::identify`] (11-proef).
    pub bsn: Option<String>,
    /// Given name(s) and surname with date of birth, when all three are known.
    pub name: Option<NameAndBirth>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAndBirth {
    pub first_name: String,
    pub surname: String,
    pub birth_date: Date,
}

impl NameAndBirth {
    fn full_name(&self) -> String {
        format!("{} {}", self.first_name.trim(), self.surname.trim())
    }
}

/// A name as the index compares it: lower case, without diacritics, letters and digits only,
/// words separated by one space (hyphens, apostrophes and dots separate words too).
pub fn normalised_name(name: &str) -> String {
    let folded: String = name
        .chars()
        .flat_map(char::to_lowercase)
        .map(fold_diacritic)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The base letter of the accented Latin letters Dutch names use.
fn fold_diacritic(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        'ş' | 'š' => 's',
        'ğ' => 'g',
        'ı' => 'i',
        other => other,
    }
}

impl Vault {
    /// The keyed hash of a normalised name and a date of birth in `gemeente`.
    pub(super) fn name_hash(&self, gemeente: &str, name: &str, birth_date: Date) -> String {
        let mut hasher = Sha256::new();
        hasher.update(&self.index_key);
        hasher.update(b"name|");
        hasher.update(gemeente.as_bytes());
        hasher.update(b"|");
        hasher.update(normalised_name(name).as_bytes());
        hasher.update(b"|");
        hasher.update(birth_date.to_string().as_bytes());
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The person of `kind` (`kind` or `ouder`) of `gemeente` the caller knows `as`, found or
    /// recorded now; and the household a parent is known by (see [`super::subject_of`]). Nothing
    /// kept is replaced; a new record with a BSN whose name and date the vault knew without a BSN is
    /// marked as possibly the same person.
    pub async fn identify(
        &self,
        gemeente: &str,
        kind: &str,
        known_as: &KnownAs,
        today: Date,
    ) -> anyhow::Result<(Uuid, Option<Uuid>)> {
        let bsn_hash = known_as
            .bsn
            .as_deref()
            .map(|bsn| self.bsn_hash(gemeente, bsn));
        let name_hash = known_as
            .name
            .as_ref()
            .map(|name| self.name_hash(gemeente, &name.full_name(), name.birth_date));
        let mut tx = self.data.begin().await?;
        // The same locks as a registration takes, always the BSN's first: two identifications of
        // one person at once find one record.
        for hash in bsn_hash.iter().chain(name_hash.iter()) {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7013))")
                .bind(format!("{gemeente}:{hash}"))
                .execute(&mut *tx)
                .await?;
        }
        let by_bsn: Option<Uuid> = match &bsn_hash {
            Some(hash) => {
                sqlx::query_scalar(
                    "SELECT person_id FROM bsn_index WHERE gemeente = $1 AND bsn_hash = $2",
                )
                .bind(gemeente)
                .bind(hash)
                .fetch_optional(&mut *tx)
                .await?
            }
            None => None,
        };
        let by_name: Option<Uuid> = match &name_hash {
            Some(hash) => {
                sqlx::query_scalar(
                    "SELECT person_id FROM name_index WHERE gemeente = $1 AND name_hash = $2",
                )
                .bind(gemeente)
                .bind(hash)
                .fetch_optional(&mut *tx)
                .await?
            }
            None => None,
        };
        let person_id = match (&bsn_hash, by_bsn, by_name) {
            (_, Some(known), _) => known,
            (None, None, Some(known)) => known,
            (_, None, possibly) => {
                // New: with a BSN (possibly the person known by name and date), or by name alone.
                let person_id = Uuid::new_v4();
                let data = PersonalData {
                    bsn: known_as.bsn.clone().unwrap_or_default(),
                    name: known_as
                        .name
                        .as_ref()
                        .map(NameAndBirth::full_name)
                        .unwrap_or_default(),
                    address: None,
                    birth_date: known_as
                        .name
                        .as_ref()
                        .map(|name| name.birth_date.to_string()),
                    iban: None,
                    income_evidence: None,
                };
                let sealed = self
                    .subject_keys
                    .seal(person_id, &data)
                    .await
                    .context("sealing an identified person")?;
                let duplicate_of = if bsn_hash.is_some() { possibly } else { None };
                sqlx::query(
                    "INSERT INTO persons (person_id, gemeente, kind, sealed, created_on, duplicate_of)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(person_id)
                .bind(gemeente)
                .bind(kind)
                .bind(sqlx::types::Json(&sealed))
                .bind(today)
                .bind(duplicate_of)
                .execute(&mut *tx)
                .await?;
                if let Some(hash) = &bsn_hash {
                    sqlx::query(
                        "INSERT INTO bsn_index (gemeente, bsn_hash, person_id) VALUES ($1, $2, $3)",
                    )
                    .bind(gemeente)
                    .bind(hash)
                    .bind(person_id)
                    .execute(&mut *tx)
                    .await?;
                }
                if let (Some(hash), None) = (&name_hash, possibly) {
                    sqlx::query(
                        "INSERT INTO name_index (gemeente, name_hash, person_id) VALUES ($1, $2, $3)",
                    )
                    .bind(gemeente)
                    .bind(hash)
                    .bind(person_id)
                    .execute(&mut *tx)
                    .await?;
                }
                person_id
            }
        };
        let household: Option<(String, Option<Uuid>)> =
            sqlx::query_as("SELECT kind, household FROM persons WHERE person_id = $1")
                .bind(person_id)
                .fetch_optional(&mut *tx)
                .await?;
        tx.commit().await?;
        let household = household.and_then(|(kind, household)| {
            (kind == "ouder").then(|| super::subject_of(person_id, &kind, household).0)
        });
        Ok((person_id, household))
    }
}

#[cfg(test)]
mod tests {
    use super::normalised_name;

    #[test]
    fn names_are_compared_without_case_diacritics_or_punctuation() {
        assert_eq!(normalised_name("  Jan  van der  Berg "), "jan van der berg");
        assert_eq!(
            normalised_name("jan Van-der Berg"),
            normalised_name("Jan van der Berg")
        );
        assert_eq!(normalised_name("Zoë D'Hondt"), "zoe d hondt");
        assert_eq!(normalised_name("Çağla Öztürk"), "cagla ozturk");
        assert_ne!(normalised_name("Jan Berg"), normalised_name("Jan Bergh"));
    }
}
