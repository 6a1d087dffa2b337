//! A gemeente's routing: who receives the signals of which provision type (per wijk where the
//! gemeente works with wijken), and within how many working days they must answer.
//!
//! One aggregate per gemeente (its id is the gemeente code), apart from the enrolments and the
//! regeling versions: the table is the regievoerder's one decision about where signals go, it is
//! replaced whole and versioned as a whole, and it changes on another rhythm than a partner's
//! enrolment or a year's regeling. That a partner is enrolled for a route's provision type is read
//! by the use-case ([`crate::routing`]) and handed in with the command, so the rule is checked here.
//! A provision type without a route goes to the loket.

mod commands;
mod error;
mod events;

pub use commands::{ProposedRoute, RoutingCommand, SetRouting};
pub use error::RoutingError;
pub use events::RoutingEvent;

use std::collections::HashSet;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use kindpakket_platform::store::Tenanted;
use kindpakket_proto::regie::{Route, RouteTarget, RoutingSet};
use kindpakket_proto::{GemeenteCode, WijkCode};
use serde::{Deserialize, Serialize};

use crate::domain::regeling::Position;

/// The longest response time a route may set, in working days (about three months).
pub const MAX_RESPONSE_DAYS: u32 = 60;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Routing {
    pub current: Option<RoutingSet>,
}

impl Aggregate for Routing {
    const TYPE: &'static str = "routing";
    type Command = RoutingCommand;
    type Event = RoutingEvent;
    type Error = RoutingError;
    type Services = ();

    async fn handle(
        &mut self,
        command: RoutingCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), RoutingError> {
        let events = match command {
            RoutingCommand::Set(command) => self.set(command)?,
        };
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: RoutingEvent) {
        match event {
            RoutingEvent::Set(set) => self.current = Some(set),
        }
    }
}

impl Tenanted for Routing {
    const NOT_FOUND: &'static str = "Deze gemeente heeft nog geen routering.";

    fn gemeente(&self) -> Option<&GemeenteCode> {
        self.current.as_ref().map(|set| &set.gemeente)
    }
}

impl Routing {
    /// The next table, with the next version; nothing when it is the table already in force (a
    /// repeated PUT changes nothing).
    fn set(&self, command: SetRouting) -> Result<Vec<RoutingEvent>, RoutingError> {
        let routes = checked_routes(&command)?;
        if let Some(current) = &self.current {
            if current.routes == routes {
                return Ok(vec![]);
            }
        }
        let version = self.current.as_ref().map_or(0, |current| current.version) + 1;
        Ok(vec![RoutingEvent::Set(RoutingSet {
            gemeente: command.gemeente,
            version,
            routes,
            set_on: command.set_on,
        })])
    }
}

/// Each route checked in order; the first broken rule is reported with the route's place.
fn checked_routes(command: &SetRouting) -> Result<Vec<Route>, RoutingError> {
    let mut seen = HashSet::new();
    let mut routes = Vec::with_capacity(command.routes.len());
    for (index, proposed) in command.routes.iter().enumerate() {
        let position = Position::of(index);
        let wijk = proposed
            .wijk
            .as_deref()
            .map(|raw| WijkCode::parse(raw).map_err(|_| RoutingError::InvalidWijk(position)))
            .transpose()?;
        if let Some(wijk) = &wijk {
            // WK0518xx lies in GM0518.
            if wijk.as_str()[2..6] != command.gemeente.as_str()[2..] {
                return Err(RoutingError::WijkOutsideGemeente(position));
            }
        }
        let response_days = u8::try_from(proposed.response_days)
            .ok()
            .filter(|days| (1..=MAX_RESPONSE_DAYS).contains(&u32::from(*days)))
            .ok_or(RoutingError::InvalidResponseTime(position))?;
        if !seen.insert((proposed.provision_type, wijk.clone())) {
            return Err(RoutingError::DuplicateRoute(position));
        }
        if let RouteTarget::Partner(partner) = &proposed.to {
            let enrolled = command
                .enrolled
                .get(partner)
                .is_some_and(|types| types.contains(&proposed.provision_type));
            if !enrolled {
                return Err(RoutingError::PartnerNotEnrolled(position));
            }
        }
        routes.push(Route {
            provision_type: proposed.provision_type,
            wijk,
            to: proposed.to.clone(),
            response_days,
        });
    }
    Ok(routes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    use cqrs_es::test::TestFramework;
    use kindpakket_proto::regie::ProvisionType;
    use kindpakket_proto::OrganisationId;
    use time::macros::date;

    fn leergeld() -> OrganisationId {
        OrganisationId::parse("leergeld").unwrap()
    }

    fn gemeente() -> GemeenteCode {
        GemeenteCode::parse("GM0518").unwrap()
    }

    fn proposed(wijk: Option<&str>, to: RouteTarget, response_days: u32) -> ProposedRoute {
        ProposedRoute {
            provision_type: ProvisionType::Participation,
            wijk: wijk.map(str::to_owned),
            to,
            response_days,
        }
    }

    fn command(routes: Vec<ProposedRoute>) -> RoutingCommand {
        RoutingCommand::Set(SetRouting {
            gemeente: gemeente(),
            routes,
            set_on: date!(2026 - 03 - 02),
            enrolled: HashMap::from([(leergeld(), HashSet::from([ProvisionType::Participation]))]),
        })
    }

    fn set(version: u32, routes: Vec<Route>) -> RoutingEvent {
        RoutingEvent::Set(RoutingSet {
            gemeente: gemeente(),
            version,
            routes,
            set_on: date!(2026 - 03 - 02),
        })
    }

    fn to_leergeld_in_wk051801() -> Route {
        Route {
            provision_type: ProvisionType::Participation,
            wijk: Some(WijkCode::parse("WK051801").unwrap()),
            to: RouteTarget::Partner(leergeld()),
            response_days: 5,
        }
    }

    #[tokio::test]
    async fn the_first_table_is_version_1_and_the_next_one_version_2() {
        TestFramework::<Routing>::with(())
            .given_no_previous_events()
            .when_async(command(vec![proposed(
                Some("WK051801"),
                RouteTarget::Partner(leergeld()),
                5,
            )]))
            .await
            .then_expect_events(vec![set(1, vec![to_leergeld_in_wk051801()])]);
        TestFramework::<Routing>::with(())
            .given(vec![set(1, vec![to_leergeld_in_wk051801()])])
            .when_async(command(vec![]))
            .await
            .then_expect_events(vec![set(2, vec![])]);
    }

    #[tokio::test]
    async fn the_same_table_again_changes_nothing() {
        TestFramework::<Routing>::with(())
            .given(vec![set(1, vec![to_leergeld_in_wk051801()])])
            .when_async(command(vec![proposed(
                Some("WK051801"),
                RouteTarget::Partner(leergeld()),
                5,
            )]))
            .await
            .then_expect_events(vec![]);
    }

    #[tokio::test]
    async fn a_wijk_code_of_the_wrong_form_is_refused() {
        for bad in ["wk051801", "WK0518", "WK05180A", "Laakkwartier"] {
            TestFramework::<Routing>::with(())
                .given_no_previous_events()
                .when_async(command(vec![
                    proposed(None, RouteTarget::Loket, 5),
                    proposed(Some(bad), RouteTarget::Loket, 5),
                ]))
                .await
                .then_expect_error(RoutingError::InvalidWijk(Position(2)));
        }
    }

    #[tokio::test]
    async fn a_wijk_of_another_gemeente_is_refused() {
        TestFramework::<Routing>::with(())
            .given_no_previous_events()
            .when_async(command(vec![proposed(
                Some("WK036301"),
                RouteTarget::Loket,
                5,
            )]))
            .await
            .then_expect_error(RoutingError::WijkOutsideGemeente(Position(1)));
    }

    #[tokio::test]
    async fn a_response_time_is_1_to_60_working_days() {
        for bad in [0, 61, 256, 100_000] {
            TestFramework::<Routing>::with(())
                .given_no_previous_events()
                .when_async(command(vec![proposed(None, RouteTarget::Loket, bad)]))
                .await
                .then_expect_error(RoutingError::InvalidResponseTime(Position(1)));
        }
        for good in [1, 60] {
            TestFramework::<Routing>::with(())
                .given_no_previous_events()
                .when_async(command(vec![proposed(None, RouteTarget::Loket, good)]))
                .await
                .then_expect_events(vec![set(
                    1,
                    vec![Route {
                        provision_type: ProvisionType::Participation,
                        wijk: None,
                        to: RouteTarget::Loket,
                        response_days: good as u8,
                    }],
                )]);
        }
    }

    #[tokio::test]
    async fn two_routes_for_the_same_type_and_wijk_are_refused() {
        TestFramework::<Routing>::with(())
            .given_no_previous_events()
            .when_async(command(vec![
                proposed(Some("WK051801"), RouteTarget::Loket, 5),
                proposed(None, RouteTarget::Loket, 5),
                proposed(Some("WK051801"), RouteTarget::Partner(leergeld()), 3),
            ]))
            .await
            .then_expect_error(RoutingError::DuplicateRoute(Position(3)));
    }

    #[tokio::test]
    async fn a_partner_is_routed_only_provision_types_it_is_enrolled_for() {
        let mut school = proposed(None, RouteTarget::Partner(leergeld()), 5);
        school.provision_type = ProvisionType::School;
        TestFramework::<Routing>::with(())
            .given_no_previous_events()
            .when_async(command(vec![school]))
            .await
            .then_expect_error(RoutingError::PartnerNotEnrolled(Position(1)));
        let stranger = OrganisationId::parse("onbekend").unwrap();
        TestFramework::<Routing>::with(())
            .given_no_previous_events()
            .when_async(command(vec![proposed(
                None,
                RouteTarget::Partner(stranger),
                5,
            )]))
            .await
            .then_expect_error(RoutingError::PartnerNotEnrolled(Position(1)));
    }

    #[test]
    fn refusals_name_the_route_and_never_the_value() {
        let message = RoutingError::InvalidWijk(Position(2)).to_string();
        assert!(message.contains("route 2"), "{message}");
        assert!(message.contains("'wijk'"), "{message}");
    }
}
