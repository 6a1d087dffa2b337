//! How far each child got along the chain after a signal — `aangevraagd`, `toegekend`, `bediend` —
//! kept from the application and provision streams, so that a signaller can read what became of its
//! signal as a status only: never an amount, a decision's reasons or what was delivered.
//!
//! - `ApplicationSubmitted`: each child of the application has been applied for (`aangevraagd`);
//! - `ApplicationGranted`: each child with an entitlement in the grant is `toegekend`;
//! - `DeliveryRecorded`, `PassRedeemed`, and `DeclarationDecided` approved: the child is `bediend`;
//! - `SubjectForgotten` of a child: its row is deleted, and nothing is recorded for it again
//!   (the keys database remembers it was forgotten: [`SubjectKeys::is_forgotten`]).
//!
//! A stage never goes back: a later event of an earlier stage (a second application for a child
//! already served) leaves the row as it is. Each change is made in the consumer's transaction,
//! with its offset (`platform::consume`), so a redelivered event changes nothing twice.
//!
//! The application stream is read through signalling's one consumer of it (`signalling-application`,
//! [`WithProgress`] around [`crate::consume::ApplicationHandler`]); the provision stream through
//! `signalling-provision` ([`ProvisionProgress`]).
//!
//! A child forgotten on the application stream while one of its deliveries is still on its way on
//! the provision stream: both transactions take an advisory lock per child before they look, so the
//! delivery either lands before the row is deleted, or finds the child forgotten and records nothing.

use kindpakket_platform::consume::{EventHandler, HandlerError, ReceivedEvent};
use kindpakket_platform::db::Migration;
use kindpakket_platform::shredding::SubjectKeys;
use kindpakket_proto::application::{ApplicationEvent, SubjectKind};
use kindpakket_proto::provision::ProvisionEvent;
use kindpakket_proto::{ChildRef, GemeenteCode};
use sqlx::PgConnection;
use time::Date;
use uuid::Uuid;

pub const PROGRESS_MIGRATION: Migration = Migration {
    name: "0300_child_progress",
    sql: r#"
        CREATE TABLE child_progress (
            gemeente   text NOT NULL,
            child      uuid NOT NULL,
            stage      text NOT NULL CHECK (stage IN ('aangevraagd', 'toegekend', 'bediend')),
            reached_on date NOT NULL,
            PRIMARY KEY (gemeente, child)
        );
        CREATE INDEX child_progress_by_child ON child_progress (child);
    "#,
};

/// A stage of the chain after the signal, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Applied,
    Granted,
    Served,
}

impl Stage {
    /// The word the table keeps (and a signaller reads).
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Applied => "aangevraagd",
            Stage::Granted => "toegekend",
            Stage::Served => "bediend",
        }
    }

    pub fn parse(text: &str) -> Option<Stage> {
        match text {
            "aangevraagd" => Some(Stage::Applied),
            "toegekend" => Some(Stage::Granted),
            "bediend" => Some(Stage::Served),
            _ => None,
        }
    }

    /// The stage an event moves a child to, and the children it moves, for the application stream.
    pub fn of_application(event: &ApplicationEvent) -> Vec<(ChildRef, Stage, Date)> {
        match event {
            ApplicationEvent::ApplicationSubmitted(submitted) => submitted
                .children
                .iter()
                .map(|child| (child.child, Stage::Applied, submitted.submitted_on))
                .collect(),
            ApplicationEvent::ApplicationGranted(granted) => granted
                .entitlements
                .iter()
                .map(|entitlement| (entitlement.child, Stage::Granted, granted.decided_on))
                .collect(),
            ApplicationEvent::ApplicationRejected(_)
            | ApplicationEvent::ApplicationWithdrawn(_)
            | ApplicationEvent::SubjectForgotten(_)
            | ApplicationEvent::SubjectRectified(_) => Vec::new(),
        }
    }

    /// The child an event of the provision stream serves, if it serves one.
    pub fn of_provision(event: &ProvisionEvent) -> Option<(ChildRef, Stage, Date)> {
        match event {
            ProvisionEvent::DeliveryRecorded(delivered) => {
                Some((delivered.child, Stage::Served, delivered.delivered_on))
            }
            ProvisionEvent::PassRedeemed(redeemed) => {
                Some((redeemed.child, Stage::Served, redeemed.redeemed_on))
            }
            ProvisionEvent::DeclarationDecided(decided) if decided.approved => {
                Some((decided.child, Stage::Served, decided.decided_on))
            }
            _ => None,
        }
    }
}

/// Serialises what is recorded of one child between the two consumers (see the module's text).
async fn lock_child(connection: &mut PgConnection, child: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('child_progress:' || $1::text, 0))")
        .bind(child)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// Moves the child forward to `stage` (never back), unless the child was forgotten.
async fn reach(
    connection: &mut PgConnection,
    keys: &SubjectKeys,
    gemeente: &GemeenteCode,
    child: ChildRef,
    stage: Stage,
    on: Date,
) -> Result<(), HandlerError> {
    lock_child(connection, child.0).await?;
    if keys
        .is_forgotten(child.0)
        .await
        .map_err(HandlerError::Transient)?
    {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO child_progress (gemeente, child, stage, reached_on) VALUES ($1, $2, $3, $4)
         ON CONFLICT (gemeente, child) DO UPDATE
            SET stage = EXCLUDED.stage, reached_on = EXCLUDED.reached_on
          WHERE array_position(ARRAY['aangevraagd', 'toegekend', 'bediend'], EXCLUDED.stage)
              > array_position(ARRAY['aangevraagd', 'toegekend', 'bediend'], child_progress.stage)",
    )
    .bind(gemeente.as_str())
    .bind(child.0)
    .bind(stage.as_str())
    .bind(on)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Deletes what is kept of a forgotten child, in every gemeente.
async fn forget(connection: &mut PgConnection, child: Uuid) -> Result<(), sqlx::Error> {
    lock_child(connection, child).await?;
    sqlx::query("DELETE FROM child_progress WHERE child = $1")
        .bind(child)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// The furthest stage the child reached in the gemeente, and on which day; `None` before it was
/// applied for, and once it was forgotten.
pub async fn furthest(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    child: Uuid,
) -> Result<Option<(Stage, Date)>, sqlx::Error> {
    let row: Option<(String, Date)> = sqlx::query_as(
        "SELECT stage, reached_on FROM child_progress WHERE gemeente = $1 AND child = $2",
    )
    .bind(gemeente.as_str())
    .bind(child)
    .fetch_optional(&mut *connection)
    .await?;
    Ok(row.and_then(|(stage, on)| Stage::parse(&stage).map(|stage| (stage, on))))
}

/// The application stream's handler `H` (signalling's one consumer of that stream), and then the
/// progress of the children in the same transaction.
pub struct WithProgress<H> {
    pub inner: H,
    pub keys: SubjectKeys,
}

impl<H: EventHandler> EventHandler for WithProgress<H> {
    async fn handle(
        &self,
        connection: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        self.inner.handle(connection, event).await?;
        let decoded = event.decode::<ApplicationEvent>()?;
        if let ApplicationEvent::SubjectForgotten(forgotten) = &decoded {
            if forgotten.kind == SubjectKind::Child {
                forget(connection, forgotten.subject).await?;
            }
            return Ok(());
        }
        for (child, stage, on) in Stage::of_application(&decoded) {
            reach(
                connection,
                &self.keys,
                &event.envelope.gemeente,
                child,
                stage,
                on,
            )
            .await?;
        }
        Ok(())
    }
}

/// The provision stream: a delivery, a redeemed pass or an approved declaration serves the child.
pub struct ProvisionProgress {
    pub keys: SubjectKeys,
}

impl EventHandler for ProvisionProgress {
    async fn handle(
        &self,
        connection: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        if let Some((child, stage, on)) = Stage::of_provision(&event.decode::<ProvisionEvent>()?) {
            reach(
                connection,
                &self.keys,
                &event.envelope.gemeente,
                child,
                stage,
                on,
            )
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kindpakket_proto::application::{
        ApplicantChild, ApplicationGranted, ApplicationSubmitted, Channel, GrantedEntitlement,
    };
    use kindpakket_proto::provision::DeclarationDecided;
    use kindpakket_proto::{Cents, HouseholdRef, OrganisationId, ProvisionCode};

    fn day() -> Date {
        Date::from_calendar_date(2026, time::Month::March, 2).unwrap()
    }

    #[test]
    fn stages_are_ordered_and_read_back_as_their_dutch_word() {
        assert!(Stage::Applied < Stage::Granted && Stage::Granted < Stage::Served);
        for stage in [Stage::Applied, Stage::Granted, Stage::Served] {
            assert_eq!(Stage::parse(stage.as_str()), Some(stage));
        }
        assert_eq!(Stage::parse("gesignaleerd"), None);
    }

    #[test]
    fn an_application_moves_each_child_and_a_grant_only_the_children_with_an_entitlement() {
        let (first, second) = (ChildRef(Uuid::new_v4()), ChildRef(Uuid::new_v4()));
        let submitted = ApplicationEvent::ApplicationSubmitted(ApplicationSubmitted {
            application_id: Uuid::new_v4(),
            household: HouseholdRef(Uuid::new_v4()),
            channel: Channel::Online,
            on_behalf_of: None,
            children: [first, second]
                .into_iter()
                .map(|child| ApplicantChild {
                    child,
                    birth_year: 2015,
                    birth_month: 3,
                    school: None,
                })
                .collect(),
            requested_provisions: Vec::new(),
            signal_id: None,
            submitted_on: day(),
        });
        let moved = Stage::of_application(&submitted);
        assert_eq!(
            moved,
            vec![
                (first, Stage::Applied, day()),
                (second, Stage::Applied, day())
            ]
        );
        let granted = ApplicationEvent::ApplicationGranted(ApplicationGranted {
            application_id: Uuid::new_v4(),
            entitlements: vec![GrantedEntitlement {
                entitlement_id: Uuid::new_v4(),
                child: second,
                provision: ProvisionCode::parse("sport").unwrap(),
                amount_cents: Cents::new(100),
                valid_from: day(),
                valid_until: day(),
                funder: None,
                co_financing: None,
                form: None,
                unit_value_cents: None,
                household_children: vec![],
            }],
            decided_on: day(),
            assessment: None,
        });
        assert_eq!(
            Stage::of_application(&granted),
            vec![(second, Stage::Granted, day())]
        );
    }

    #[test]
    fn only_an_approved_declaration_serves_the_child() {
        let child = ChildRef(Uuid::new_v4());
        let decided = |approved| {
            ProvisionEvent::DeclarationDecided(DeclarationDecided {
                entitlement_id: Uuid::new_v4(),
                declaration_id: Uuid::new_v4(),
                child,
                provision: ProvisionCode::parse("sport").unwrap(),
                submitted_by: OrganisationId::parse("leergeld").unwrap(),
                approved,
                amount_cents: Cents::new(100),
                funding: Vec::new(),
                decided_on: day(),
            })
        };
        assert_eq!(
            Stage::of_provision(&decided(true)),
            Some((child, Stage::Served, day()))
        );
        assert_eq!(Stage::of_provision(&decided(false)), None);
    }
}
