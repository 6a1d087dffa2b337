//! Forgetting a person, and telling the rest of the platform (AVG art. 17 and 19): the use-case
//! behind erasure by the regievoerder (`/personen/{id}/verwijdering`) and retention
//! ([`crate::vault::retention`]), and behind a rectification's notice.
//!
//! Forgetting happens in three steps, each idempotent, in this order:
//! 1. the vault records the intent ([`Vault::request_forget`]), before anything is destroyed;
//! 2. the subject the platform knows the person by — a child by their own id, a parent by their
//!    household — records `Forgotten` in this service's event store (the [`Subject`] aggregate),
//!    which the relay publishes exactly once as `SubjectForgotten`;
//! 3. the keys are destroyed — the person's own and a parent's household's, which seals what the
//!    household's applications say — and the vault records the person as forgotten.
//!
//! A crash after step 1 leaves an intent that [`Forgetting::repair`] (at start and every few
//! minutes) takes up again: the event is recorded once (the subject ignores a second `Forget`) and
//! the keys are destroyed. So recipients always hear of an erasure, and the event is in the store
//! before the key is gone. The keys live in one database (the vault's keys database) for persons and
//! households alike, so one erasure destroys rows of one table.
//!
//! A rectification is told the same way, before the vault records the correction: a notice of a
//! correction that then fails is harmless (recipients look again and find nothing changed).

use anyhow::Result;
use kindpakket_platform::store::{AggregateStore, CommandContext, CommandError};
use kindpakket_proto::application::ForgetReason;
use kindpakket_proto::{GemeenteCode, Role, Service};
use time::Date;
use uuid::Uuid;

use crate::domain::subject::{Forget, Rectify, Subject, SubjectCommand, SubjectError};
use crate::vault::audit::Actor;
use crate::vault::{ToForget, Vault};

/// The vault and the subjects, which forgetting a person spans.
pub struct Forgetting {
    pub vault: std::sync::Arc<Vault>,
    pub subjects: std::sync::Arc<AggregateStore<Subject>>,
}

/// What the audit log records as the origin and purpose of an erasure finished after a crash.
const REPAIR: &str = "herstel na onderbreking";

/// What came of a rectification's notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// Recorded: the relay publishes `SubjectRectified`.
    Told,
    /// The vault does not know the person in this gemeente.
    Unknown,
    /// The person was forgotten.
    Forgotten,
}

impl Forgetting {
    /// Forgets a person of `gemeente` for `reason` (`why`: erasure or retention), acting as
    /// `context`. `false` when the vault does not know them here (nothing happens). Forgetting a
    /// person again finishes what was left and changes nothing else.
    pub async fn forget(
        &self,
        gemeente: &GemeenteCode,
        person_id: Uuid,
        reason: &str,
        why: ForgetReason,
        context: &CommandContext,
        on: Date,
    ) -> Result<bool> {
        let Some(person) = self
            .vault
            .request_forget(gemeente.as_str(), person_id, reason, why)
            .await?
        else {
            return Ok(false);
        };
        self.finish(&person, context, on).await?;
        Ok(true)
    }

    /// Steps 2 and 3 for a person whose forgetting the vault recorded.
    async fn finish(&self, person: &ToForget, context: &CommandContext, on: Date) -> Result<()> {
        let (subject, kind) = person.subject();
        let command = SubjectCommand::Forget(Forget {
            subject,
            gemeente: context.gemeente.clone(),
            kind,
            why: person.why,
            on,
        });
        self.subjects
            .execute(subject, command, context)
            .await
            .map_err(|error| anyhow::anyhow!("recording that a subject was forgotten: {error}"))?;
        self.vault.destroy_keys(person).await?;
        self.vault.forgotten(person).await
    }

    /// Finishes every forgetting a crash interrupted, each recorded on the audit log; answers how
    /// many.
    pub async fn repair(&self) -> Result<usize> {
        let pending = self.vault.pending_forgets().await?;
        for person in &pending {
            let Ok(gemeente) = GemeenteCode::parse(&person.gemeente) else {
                continue;
            };
            let context = CommandContext::system(&gemeente, Service::Application);
            self.finish(person, &context, kindpakket_platform::clock::today())
                .await?;
            let object = person.person_id.to_string();
            self.vault
                .audit(the_service().entry(
                    gemeente.as_str(),
                    "verwijderen",
                    &object,
                    "sleutel vernietigd",
                    REPAIR,
                ))
                .await?;
            tracing::info!(%gemeente, "an interrupted erasure was finished");
        }
        Ok(pending.len())
    }

    /// Tells the platform that a person of `gemeente` is being corrected, before the vault records
    /// the correction.
    pub async fn rectifying(
        &self,
        gemeente: &GemeenteCode,
        person_id: Uuid,
        context: &CommandContext,
        on: Date,
    ) -> Result<Notice> {
        let Some(((subject, kind), forgotten)) =
            self.vault.subject_of(gemeente.as_str(), person_id).await?
        else {
            return Ok(Notice::Unknown);
        };
        if forgotten {
            return Ok(Notice::Forgotten);
        }
        let command = SubjectCommand::Rectify(Rectify {
            subject,
            gemeente: gemeente.clone(),
            kind,
            on,
        });
        match self.subjects.execute(subject, command, context).await {
            Ok(()) => Ok(Notice::Told),
            Err(CommandError::Rejected(SubjectError::Forgotten)) => Ok(Notice::Forgotten),
            Err(error) => Err(anyhow::anyhow!("recording a rectification: {error}")),
        }
    }
}

/// Who finishes an interrupted erasure.
fn the_service() -> Actor<'static> {
    Actor {
        subject: REPAIR,
        organisation: Service::Application.as_str(),
        role: Role::System.as_str(),
        origin: REPAIR,
    }
}
