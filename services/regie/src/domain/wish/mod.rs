//! A wish: what a child, a parent, a partner, a school or a wijkteam misses in the package, in one
//! of fixed categories (never free text: a text could name a child or a family, and an event cannot
//! be erased). The dashboard groups them for the kwartaaloverleg.
//!
//! One aggregate per wish (its id is the wish's id, chosen by the sender): the same wish sent again
//! changes nothing; another wish under the same id is refused.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use kindpakket_platform::refusal::{Refusal, RefusalKind};
use kindpakket_platform::store::Tenanted;
use kindpakket_proto::regie::{WishCategory, WishSource, WishSubmitted};
use kindpakket_proto::{GemeenteCode, Role};
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub enum WishCommand {
    Submit(SubmitWish),
}

/// A wish as it was sent, with the role of whoever sent it.
#[derive(Debug, Clone)]
pub struct SubmitWish {
    pub wish_id: Uuid,
    pub gemeente: GemeenteCode,
    pub category: WishCategory,
    pub from: WishSource,
    pub sent_by: Role,
    pub submitted_on: Date,
}

/// The events as this service stores them; [`crate::publish`] converts them into the contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WishEvent {
    Submitted(WishSubmitted),
}

impl DomainEvent for WishEvent {
    fn event_type(&self) -> String {
        match self {
            WishEvent::Submitted(_) => "Submitted",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// Why a wish was refused. Dutch: the sender reads it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WishError {
    #[error(
        "Als ouder stuurt u een wens van uzelf ('van': 'ouder') of van uw kind ('van': 'kind')."
    )]
    ParentSpeaksForOthers,
    #[error("Als partner stuurt u een wens van uw organisatie ('van': 'partner') of van een kind ('van': 'kind').")]
    PartnerSpeaksForOthers,
    #[error("Als signaleerder stuurt u een wens van een school ('van': 'school'), een wijkteam ('van': 'wijkteam') of van een kind ('van': 'kind').")]
    SignallerSpeaksForOthers,
    #[error("Deze rol kan geen wensen insturen.")]
    NotASender,
    #[error("Er bestaat al een andere wens met dit 'id': kies een nieuw id voor een nieuwe wens.")]
    OtherWishWithThisId,
}

impl Refusal for WishError {
    fn kind(&self) -> RefusalKind {
        match self {
            WishError::OtherWishWithThisId => RefusalKind::Conflict,
            WishError::NotASender => RefusalKind::Forbidden,
            _ => RefusalKind::Invalid,
        }
    }
}

/// Whether `role` may send a wish said to come from `from`: a parent speaks for itself and its
/// child, a partner for itself and a child it works with, a signaller (a school, a wijkteam) for
/// itself and a child; the regievoerder enters paper forms of anyone.
pub fn may_send(role: Role, from: WishSource) -> Result<(), WishError> {
    use WishSource::*;
    match (role, from) {
        (Role::Regievoerder, _) => Ok(()),
        (Role::Applicant, Parent | Child) => Ok(()),
        (Role::Applicant, _) => Err(WishError::ParentSpeaksForOthers),
        (Role::Partner, Partner | Child) => Ok(()),
        (Role::Partner, _) => Err(WishError::PartnerSpeaksForOthers),
        (Role::Signaller, School | Wijkteam | Child) => Ok(()),
        (Role::Signaller, _) => Err(WishError::SignallerSpeaksForOthers),
        _ => Err(WishError::NotASender),
    }
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Wish {
    pub submitted: Option<WishSubmitted>,
}

impl Aggregate for Wish {
    const TYPE: &'static str = "wish";
    type Command = WishCommand;
    type Event = WishEvent;
    type Error = WishError;
    type Services = ();

    async fn handle(
        &mut self,
        command: WishCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), WishError> {
        let events = match command {
            WishCommand::Submit(command) => self.submit(command)?,
        };
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: WishEvent) {
        match event {
            WishEvent::Submitted(submitted) => self.submitted = Some(submitted),
        }
    }
}

impl Tenanted for Wish {
    const NOT_FOUND: &'static str = "Deze wens bestaat niet in deze gemeente.";

    fn gemeente(&self) -> Option<&GemeenteCode> {
        self.submitted.as_ref().map(|wish| &wish.gemeente)
    }
}

impl Wish {
    fn submit(&self, command: SubmitWish) -> Result<Vec<WishEvent>, WishError> {
        may_send(command.sent_by, command.from)?;
        if let Some(submitted) = &self.submitted {
            // The same wish again (a retry) changes nothing, whatever day it arrives; another wish
            // under this id, or one in another gemeente, is not this one.
            let same = submitted.gemeente == command.gemeente
                && submitted.category == command.category
                && submitted.from == command.from;
            return if same {
                Ok(vec![])
            } else {
                Err(WishError::OtherWishWithThisId)
            };
        }
        Ok(vec![WishEvent::Submitted(WishSubmitted {
            wish_id: command.wish_id,
            gemeente: command.gemeente,
            category: command.category,
            from: command.from,
            submitted_on: command.submitted_on,
        })])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use cqrs_es::test::TestFramework;
    use time::macros::date;

    const ID: Uuid = Uuid::from_u128(0x16);

    fn gemeente() -> GemeenteCode {
        GemeenteCode::parse("GM0518").unwrap()
    }

    fn submit(sent_by: Role, from: WishSource, category: WishCategory) -> WishCommand {
        WishCommand::Submit(SubmitWish {
            wish_id: ID,
            gemeente: gemeente(),
            category,
            from,
            sent_by,
            submitted_on: date!(2026 - 12 - 01),
        })
    }

    fn submitted(from: WishSource, category: WishCategory) -> WishEvent {
        WishEvent::Submitted(WishSubmitted {
            wish_id: ID,
            gemeente: gemeente(),
            category,
            from,
            submitted_on: date!(2026 - 12 - 01),
        })
    }

    #[test]
    fn a_parent_sends_its_own_wish_and_a_repeat_changes_nothing() {
        TestFramework::<Wish>::with(())
            .given_no_previous_events()
            .when(submit(
                Role::Applicant,
                WishSource::Parent,
                WishCategory::SwimmingLessons,
            ))
            .then_expect_events(vec![submitted(
                WishSource::Parent,
                WishCategory::SwimmingLessons,
            )]);
        // Sent again a day later: the same wish.
        let mut again = submit(
            Role::Applicant,
            WishSource::Parent,
            WishCategory::SwimmingLessons,
        );
        let WishCommand::Submit(command) = &mut again;
        command.submitted_on = date!(2026 - 12 - 02);
        TestFramework::<Wish>::with(())
            .given(vec![submitted(
                WishSource::Parent,
                WishCategory::SwimmingLessons,
            )])
            .when(again)
            .then_expect_events(vec![]);
    }

    #[test]
    fn another_wish_under_a_known_id_is_refused() {
        TestFramework::<Wish>::with(())
            .given(vec![submitted(
                WishSource::Parent,
                WishCategory::SwimmingLessons,
            )])
            .when(submit(
                Role::Applicant,
                WishSource::Parent,
                WishCategory::Bicycle,
            ))
            .then_expect_error(WishError::OtherWishWithThisId);
    }

    #[test]
    fn each_role_speaks_for_whom_it_may() {
        use WishSource::*;
        let allowed = |role: Role| -> Vec<WishSource> {
            WishSource::ALL
                .into_iter()
                .filter(|from| may_send(role, *from).is_ok())
                .collect()
        };
        assert_eq!(allowed(Role::Applicant), vec![Child, Parent]);
        assert_eq!(allowed(Role::Partner), vec![Child, Partner]);
        assert_eq!(allowed(Role::Signaller), vec![Child, School, Wijkteam]);
        assert_eq!(allowed(Role::Regievoerder), WishSource::ALL.to_vec());
        for role in [Role::OverlegViewer, Role::Auditor, Role::System] {
            assert_eq!(allowed(role), vec![], "{role:?}");
        }
        TestFramework::<Wish>::with(())
            .given_no_previous_events()
            .when(submit(Role::Applicant, School, WishCategory::Sport))
            .then_expect_error(WishError::ParentSpeaksForOthers);
    }
}
