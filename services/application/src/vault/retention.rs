//! Retention: whoever was kept longer than the period for their kind of record is forgotten (their
//! key destroyed, a parent's household's too, and the platform told with `SubjectForgotten` for the
//! reason `retention`: [`crate::forgetting`]), and each is recorded on the audit log. Asked for one gemeente and day through
//! `/bewaartermijnen`, and for every gemeente once an hour by the service itself. Never on a day
//! still to come: that would forget people whose term has not passed.

use kindpakket_platform::store::CommandContext;
use kindpakket_proto::application::ForgetReason;
use kindpakket_proto::{GemeenteCode, Role, Service};
use time::Date;

use super::audit::Actor;
use crate::forgetting::Forgetting;

/// What the audit log records as the origin of an erasure by retention, whoever asked for it.
pub const ORIGIN: &str = "bewaartermijn";
/// And as its purpose.
const PURPOSE: &str = "bewaartermijn verstreken";

/// Seven years: the usual archive term for social-domain files.
const DEFAULT_DAYS: i64 = 2555;

/// Per kind of record (`kind`, `ouder`), the days after registration it is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionPeriods(Vec<(String, i64)>);

impl RetentionPeriods {
    /// The periods as configured (`retention`, e.g. `kind=2555,ouder=2555`); a pair that cannot be
    /// read is left out, and a kind without a period is kept seven years.
    pub fn parse(configured: Option<&str>) -> Self {
        let mut periods: Vec<(String, i64)> = configured
            .unwrap_or_default()
            .split(',')
            .filter_map(|pair| {
                let (kind, days) = pair.split_once('=')?;
                Some((kind.trim().to_owned(), days.trim().parse().ok()?))
            })
            .collect();
        for kind in ["kind", "ouder"] {
            if !periods.iter().any(|(k, _)| k == kind) {
                periods.push((kind.to_owned(), DEFAULT_DAYS));
            }
        }
        Self(periods)
    }

    pub fn as_slice(&self) -> &[(String, i64)] {
        &self.0
    }
}

/// Who erases when the service applies retention on its own.
fn the_service() -> Actor<'static> {
    Actor {
        subject: ORIGIN,
        organisation: Service::Application.as_str(),
        role: Role::System.as_str(),
        origin: ORIGIN,
    }
}

/// Why retention was not applied. The first is for the caller (Dutch); a technical failure is
/// logged.
#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error("De peildatum ligt in de toekomst: bewaartermijnen gelden op vandaag of op een dag die voorbij is. Laat de peildatum weg voor vandaag; er is niets verwijderd.")]
    InTheFuture,
    #[error("{0:#}")]
    Technical(#[from] anyhow::Error),
}

impl From<sqlx::Error> for RetentionError {
    fn from(error: sqlx::Error) -> Self {
        RetentionError::Technical(error.into())
    }
}

/// Forgets everyone of `gemeente` whose retention period has passed on `on` (today or a day gone
/// by, never a day to come), each recorded on the audit log as erased by `by` (whose origin is
/// [`ORIGIN`]); answers how many.
pub async fn apply(
    forgetting: &Forgetting,
    periods: &RetentionPeriods,
    gemeente: &GemeenteCode,
    on: Date,
    by: Actor<'_>,
    context: &CommandContext,
) -> Result<usize, RetentionError> {
    let today = kindpakket_platform::clock::today();
    if on > today {
        return Err(RetentionError::InTheFuture);
    }
    let vault = forgetting.vault.as_ref();
    let due = vault
        .past_retention(gemeente.as_str(), periods.as_slice(), on)
        .await?;
    for person_id in &due {
        forgetting
            .forget(
                gemeente,
                *person_id,
                PURPOSE,
                ForgetReason::Retention,
                context,
                today,
            )
            .await?;
        let object = person_id.to_string();
        vault
            .audit(by.entry(
                gemeente.as_str(),
                "verwijderen",
                &object,
                "sleutel vernietigd",
                PURPOSE,
            ))
            .await?;
    }
    Ok(due.len())
}

/// Applies retention today in every gemeente that has anyone in the vault. A gemeente that fails is
/// logged and the others go on.
pub async fn sweep(forgetting: &Forgetting, periods: &RetentionPeriods) -> anyhow::Result<()> {
    let today = kindpakket_platform::clock::today();
    for gemeente in forgetting.vault.gemeenten().await? {
        let Ok(gemeente) = GemeenteCode::parse(&gemeente) else {
            continue;
        };
        let context = CommandContext::system(&gemeente, Service::Application);
        match apply(
            forgetting,
            periods,
            &gemeente,
            today,
            the_service(),
            &context,
        )
        .await
        {
            Ok(0) => {}
            Ok(erased) => tracing::info!(%gemeente, erased, "retention applied"),
            Err(error) => {
                tracing::warn!(%gemeente, error = format!("{error:#}"), "retention sweep failed")
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_read_per_kind_and_default_to_seven_years() {
        assert_eq!(
            RetentionPeriods::parse(None).as_slice(),
            [("kind".to_owned(), 2555), ("ouder".to_owned(), 2555)]
        );
        assert_eq!(
            RetentionPeriods::parse(Some(" kind = 30, ouder=abc, bewijs=10")).as_slice(),
            [
                ("kind".to_owned(), 30),
                ("bewijs".to_owned(), 10),
                ("ouder".to_owned(), 2555)
            ]
        );
        assert_eq!(
            RetentionPeriods::parse(Some("")),
            RetentionPeriods::parse(None)
        );
    }

    #[test]
    fn the_service_erases_as_the_system_of_the_application_service() {
        let actor = the_service();
        assert_eq!(
            (actor.subject, actor.organisation, actor.role, actor.origin),
            ("bewaartermijn", "application", "system", "bewaartermijn")
        );
    }
}
