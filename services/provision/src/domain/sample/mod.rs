//! A sample check (steekproef) of declarations: drawn once, stratified by submitter and amount band,
//! with its seed and population recorded so an auditor can draw it again; then one recorded outcome
//! per drawn declaration.

mod commands;
mod error;
mod events;

pub use commands::{DecideReclaim, DrawSample, PaidDeclaration, RecordCheck, SampleCommand};
pub use error::SampleError;
pub use events::{SampleEvent, EVENT_VERSION};

use std::collections::HashMap;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use kindpakket_platform::free_text::Note;
use kindpakket_platform::idempotency::{repeat_of, Repeat};
use kindpakket_platform::shredding::Sealed;
use kindpakket_platform::store::Tenanted;
use kindpakket_proto::provision::{
    draw_sample, CheckOutcome, ReclaimDecided, ReclaimFrom, SampleCheckRecorded, SampleDrawn,
};
use kindpakket_proto::{Cents, GemeenteCode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct SampleDraw {
    pub gemeente: Option<GemeenteCode>,
    pub drawn: Option<SampleDrawn>,
    pub checks: HashMap<Uuid, SampleCheckRecorded>,
    /// The checker's note per declaration, sealed under the key of its child.
    pub notes: HashMap<Uuid, Sealed<Note>>,
    /// The reclaims decided, in order.
    #[serde(default)]
    pub reclaims: Vec<ReclaimDecided>,
}

impl Aggregate for SampleDraw {
    const TYPE: &'static str = "sample";
    type Command = SampleCommand;
    type Event = SampleEvent;
    type Error = SampleError;
    type Services = ();

    async fn handle(
        &mut self,
        command: SampleCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), SampleError> {
        let events = match command {
            SampleCommand::Draw(command) => self.draw(command)?,
            SampleCommand::RecordCheck(command) => self.record_check(command)?,
            SampleCommand::DecideReclaim(command) => self.decide_reclaim(command)?,
        };
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: SampleEvent) {
        match event {
            SampleEvent::SampleDrawn { gemeente, drawn } => {
                self.gemeente = Some(gemeente);
                self.drawn = Some(drawn);
            }
            SampleEvent::SampleCheckRecorded { check, note } => {
                if let Some(note) = note {
                    self.notes.insert(check.declaration_id, note);
                }
                self.checks.insert(check.declaration_id, check);
            }
            SampleEvent::ReclaimDecided(reclaim) => self.reclaims.push(reclaim),
        }
    }
}

impl Tenanted for SampleDraw {
    const NOT_FOUND: &'static str = "Deze steekproef bestaat niet in deze gemeente.";

    fn gemeente(&self) -> Option<&GemeenteCode> {
        self.gemeente.as_ref()
    }
}

impl SampleDraw {
    fn draw(&self, command: DrawSample) -> Result<Vec<SampleEvent>, SampleError> {
        if self.drawn.is_some() {
            return Err(SampleError::AlreadyDrawn);
        }
        let drawn = command.drawn;
        let again = draw_sample(
            drawn.seed,
            drawn.rate_percent,
            &drawn.amount_bands_cents,
            &drawn.population,
        );
        if again != drawn.selected {
            return Err(SampleError::NotReproducible);
        }
        Ok(vec![SampleEvent::SampleDrawn {
            gemeente: command.gemeente,
            drawn,
        }])
    }

    fn record_check(&self, command: RecordCheck) -> Result<Vec<SampleEvent>, SampleError> {
        let drawn = self.in_gemeente(&command.gemeente)?;
        if !drawn.selected.contains(&command.declaration_id) {
            return Err(SampleError::NotSelected);
        }
        // An outcome is recorded once; even the same outcome again is refused.
        if self.checks.contains_key(&command.declaration_id) {
            return Err(SampleError::AlreadyChecked);
        }
        if command.outcome == CheckOutcome::NotInOrder && command.note.is_none() {
            return Err(SampleError::MissingNote);
        }
        Ok(vec![SampleEvent::SampleCheckRecorded {
            check: SampleCheckRecorded {
                draw_id: drawn.draw_id,
                declaration_id: command.declaration_id,
                outcome: command.outcome,
                checked_on: command.checked_on,
            },
            note: command.note,
        }])
    }

    /// A reclaim is decided only for a drawn declaration checked not in order, that was paid, for at
    /// most what was paid for it minus what was reclaimed of it before; from a partner only when a
    /// partner submitted it. The same reclaim id with the same terms again changes nothing.
    fn decide_reclaim(&self, command: DecideReclaim) -> Result<Vec<SampleEvent>, SampleError> {
        let drawn = self.in_gemeente(&command.gemeente)?;
        let earlier = self
            .reclaims
            .iter()
            .find(|reclaim| reclaim.reclaim_id == command.reclaim_id);
        let same = |earlier: &ReclaimDecided| {
            earlier.declaration_id == command.declaration_id
                && earlier.from == command.from
                && earlier.amount_cents == command.amount_cents
        };
        if repeat_of(earlier, same, SampleError::ReclaimIdReused)? == Repeat::Again {
            return Ok(vec![]);
        }
        if !drawn.selected.contains(&command.declaration_id) {
            return Err(SampleError::NotSelected);
        }
        let found_wanting = self
            .checks
            .get(&command.declaration_id)
            .is_some_and(|check| check.outcome == CheckOutcome::NotInOrder);
        if !found_wanting {
            return Err(SampleError::NotFoundWanting);
        }
        let paid = command.paid;
        let Some(approved_cents) = paid.approved_cents else {
            return Err(SampleError::NothingPaid);
        };
        if !command.amount_cents.is_positive() {
            return Err(SampleError::InvalidAmount);
        }
        let left_cents = approved_cents - self.reclaimed_of(command.declaration_id);
        if command.amount_cents > left_cents {
            return Err(SampleError::AboveWhatWasPaid { left_cents });
        }
        let partner = match command.from {
            ReclaimFrom::Partner => Some(command.partner.ok_or(SampleError::NoPartner)?),
            ReclaimFrom::Household => None,
        };
        Ok(vec![SampleEvent::ReclaimDecided(ReclaimDecided {
            reclaim_id: command.reclaim_id,
            draw_id: drawn.draw_id,
            declaration_id: command.declaration_id,
            entitlement_id: paid.entitlement_id,
            child: paid.child,
            provision: paid.provision,
            from: command.from,
            partner,
            amount_cents: command.amount_cents,
            funding: paid.funding,
            decided_on: command.decided_on,
        })])
    }

    /// What was reclaimed of a declaration so far.
    pub fn reclaimed_of(&self, declaration_id: Uuid) -> Cents {
        self.reclaims
            .iter()
            .filter(|reclaim| reclaim.declaration_id == declaration_id)
            .map(|reclaim| reclaim.amount_cents)
            .sum()
    }

    /// The draw, when it was made in `gemeente`.
    fn in_gemeente(&self, gemeente: &GemeenteCode) -> Result<&SampleDrawn, SampleError> {
        match (&self.gemeente, &self.drawn) {
            (Some(own), Some(drawn)) if own == gemeente => Ok(drawn),
            _ => Err(SampleError::NotFound),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;
    use kindpakket_proto::provision::{SampleMember, SAMPLE_AMOUNT_BANDS_CENTS};
    use kindpakket_proto::{Cents, OrganisationId};
    use time::macros::date;

    fn gemeente() -> GemeenteCode {
        GemeenteCode::parse("GM0518").unwrap()
    }

    fn drawn() -> SampleDrawn {
        let population: Vec<SampleMember> = (1..=10)
            .map(|id| SampleMember {
                declaration_id: Uuid::from_u128(id),
                entitlement_id: Uuid::from_u128(id + 100),
                submitted_by: OrganisationId::parse("leergeld").unwrap(),
                amount_cents: Cents(2_500),
            })
            .collect();
        let selected = draw_sample(42, 20, &SAMPLE_AMOUNT_BANDS_CENTS, &population);
        SampleDrawn {
            draw_id: Uuid::from_u128(1),
            period_from: date!(2026 - 01 - 01),
            period_until: date!(2026 - 03 - 31),
            rate_percent: 20,
            seed: 42,
            amount_bands_cents: SAMPLE_AMOUNT_BANDS_CENTS.to_vec(),
            population,
            selected,
        }
    }

    #[tokio::test]
    async fn a_draw_is_recorded_only_when_it_can_be_drawn_again() {
        TestFramework::<SampleDraw>::with(())
            .given_no_previous_events()
            .when_async(SampleCommand::Draw(DrawSample {
                gemeente: gemeente(),
                drawn: drawn(),
            }))
            .await
            .then_expect_events(vec![SampleEvent::SampleDrawn {
                gemeente: gemeente(),
                drawn: drawn(),
            }]);
        let mut forged = drawn();
        forged.selected = vec![Uuid::from_u128(99)];
        TestFramework::<SampleDraw>::with(())
            .given_no_previous_events()
            .when_async(SampleCommand::Draw(DrawSample {
                gemeente: gemeente(),
                drawn: forged,
            }))
            .await
            .then_expect_error(SampleError::NotReproducible);
    }

    #[tokio::test]
    async fn a_drawn_declaration_is_checked_once_and_a_finding_needs_a_note() {
        let given = vec![SampleEvent::SampleDrawn {
            gemeente: gemeente(),
            drawn: drawn(),
        }];
        let chosen = drawn().selected[0];
        let check = |outcome, note: Option<Sealed<Note>>| {
            SampleCommand::RecordCheck(RecordCheck {
                gemeente: gemeente(),
                declaration_id: chosen,
                outcome,
                note,
                checked_on: date!(2026 - 04 - 02),
            })
        };
        TestFramework::<SampleDraw>::with(())
            .given(given.clone())
            .when_async(check(CheckOutcome::NotInOrder, None))
            .await
            .then_expect_error(SampleError::MissingNote);
        let recorded = SampleEvent::SampleCheckRecorded {
            check: SampleCheckRecorded {
                draw_id: Uuid::from_u128(1),
                declaration_id: chosen,
                outcome: CheckOutcome::InOrder,
                checked_on: date!(2026 - 04 - 02),
            },
            note: None,
        };
        TestFramework::<SampleDraw>::with(())
            .given(given.clone())
            .when_async(check(CheckOutcome::InOrder, None))
            .await
            .then_expect_events(vec![recorded.clone()]);
        TestFramework::<SampleDraw>::with(())
            .given(given.into_iter().chain([recorded]).collect())
            .when_async(check(CheckOutcome::InOrder, None))
            .await
            .then_expect_error(SampleError::AlreadyChecked);
    }

    fn paid(approved_cents: Option<i64>, amount_cents: i64) -> PaidDeclaration {
        let funder = kindpakket_proto::regie::Funder::gemeente();
        PaidDeclaration {
            entitlement_id: Uuid::from_u128(101),
            child: kindpakket_proto::ChildRef(Uuid::from_u128(7)),
            provision: kindpakket_proto::ProvisionCode::parse("schoolspullen").unwrap(),
            approved_cents: approved_cents.map(Cents),
            funding: vec![kindpakket_proto::regie::FundingPart {
                funder,
                amount_cents: Cents(amount_cents),
            }],
        }
    }

    fn reclaim(
        declaration: Uuid,
        from: ReclaimFrom,
        partner: Option<&str>,
        amount_cents: i64,
        approved_cents: Option<i64>,
    ) -> SampleCommand {
        SampleCommand::DecideReclaim(DecideReclaim {
            gemeente: gemeente(),
            reclaim_id: Uuid::from_u128(500),
            declaration_id: declaration,
            from,
            partner: partner.map(|p| OrganisationId::parse(p).unwrap()),
            amount_cents: Cents(amount_cents),
            paid: paid(approved_cents, amount_cents),
            decided_on: date!(2026 - 04 - 10),
        })
    }

    #[tokio::test]
    async fn a_reclaim_is_only_for_a_paid_declaration_found_wanting_and_never_more_than_was_paid() {
        let selected = drawn().selected;
        let (wanting, fine) = (selected[0], selected[1]);
        let check = |declaration, outcome| SampleEvent::SampleCheckRecorded {
            check: SampleCheckRecorded {
                draw_id: Uuid::from_u128(1),
                declaration_id: declaration,
                outcome,
                checked_on: date!(2026 - 04 - 02),
            },
            note: None,
        };
        let given = vec![
            SampleEvent::SampleDrawn {
                gemeente: gemeente(),
                drawn: drawn(),
            },
            check(wanting, CheckOutcome::NotInOrder),
            check(fine, CheckOutcome::InOrder),
        ];
        let refused = |command, error| {
            let given = given.clone();
            async move {
                TestFramework::<SampleDraw>::with(())
                    .given(given)
                    .when_async(command)
                    .await
                    .then_expect_error(error);
            }
        };
        let household = ReclaimFrom::Household;
        refused(
            reclaim(fine, household, None, 100, Some(2_500)),
            SampleError::NotFoundWanting,
        )
        .await;
        refused(
            reclaim(Uuid::from_u128(999), household, None, 100, Some(2_500)),
            SampleError::NotSelected,
        )
        .await;
        refused(
            reclaim(wanting, household, None, 100, None),
            SampleError::NothingPaid,
        )
        .await;
        refused(
            reclaim(wanting, household, None, 0, Some(2_500)),
            SampleError::InvalidAmount,
        )
        .await;
        refused(
            reclaim(wanting, household, None, 2_501, Some(2_500)),
            SampleError::AboveWhatWasPaid {
                left_cents: Cents(2_500),
            },
        )
        .await;
        refused(
            reclaim(wanting, ReclaimFrom::Partner, None, 100, Some(2_500)),
            SampleError::NoPartner,
        )
        .await;
        let mut sample = SampleDraw::default();
        for event in given.clone() {
            sample.apply(event);
        }
        let SampleCommand::DecideReclaim(first) = reclaim(
            wanting,
            ReclaimFrom::Partner,
            Some("leergeld"),
            2_000,
            Some(2_500),
        ) else {
            unreachable!()
        };
        let events = sample.decide_reclaim(first.clone()).unwrap();
        assert_eq!(events.len(), 1);
        for event in events {
            sample.apply(event);
        }
        // The same reclaim again records nothing; other terms under its id are refused.
        assert_eq!(sample.decide_reclaim(first.clone()), Ok(vec![]));
        let other_terms = DecideReclaim {
            amount_cents: Cents(1),
            ..first.clone()
        };
        assert_eq!(
            sample.decide_reclaim(other_terms),
            Err(SampleError::ReclaimIdReused)
        );
        // What is left: 500.
        let more = DecideReclaim {
            reclaim_id: Uuid::from_u128(501),
            amount_cents: Cents(501),
            ..first
        };
        assert_eq!(
            sample.decide_reclaim(more),
            Err(SampleError::AboveWhatWasPaid {
                left_cents: Cents(500)
            })
        );
    }
}
