//! Where a signal goes: the routing table the regievoerder sets (`RoutingSet` on the regie stream,
//! kept here by [`crate::consume`], the newest version per gemeente), and the due date of a referral
//! (`platform::calendar`: working days, Dutch public holidays skipped).
//!
//! A signal of a provision type in a wijk goes by the route of that type and wijk, else by the route
//! of that type for every wijk, else to the loket without a due date. A route to a partner whose
//! enrolment has ended sends the signal to the loket instead (with the route's response time): the
//! routing table may be older than the enrolment's end.

use std::collections::HashMap;

use kindpakket_platform::calendar;
use kindpakket_platform::db::Migration;
use kindpakket_proto::regie::{PartnerRole, ProvisionType, Route, RouteTarget, RoutingSet};
use kindpakket_proto::signalling::Referral;
use kindpakket_proto::{GemeenteCode, OrganisationId, WijkCode};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use time::Date;

use crate::enrolments::Enrolment;

pub const ROUTING_MIGRATION: Migration = Migration {
    name: "0220_routing",
    sql: r#"
        CREATE TABLE routing (
            gemeente text    PRIMARY KEY,
            version  integer NOT NULL,
            routing  jsonb   NOT NULL
        );
    "#,
};

/// Response time of a re-route without a route of its own (working days).
pub const DEFAULT_RESPONSE_DAYS: u8 = 5;

/// Keeps a routing table, unless a newer version is kept already (a redelivered or late older
/// table changes nothing).
pub async fn record_routing(
    connection: &mut PgConnection,
    set: &RoutingSet,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO routing (gemeente, version, routing) VALUES ($1, $2, $3)
         ON CONFLICT (gemeente) DO UPDATE SET version = EXCLUDED.version, routing = EXCLUDED.routing
         WHERE routing.version < EXCLUDED.version",
    )
    .bind(set.gemeente.as_str())
    .bind(i64::from(set.version) as i32)
    .bind(Json(set))
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// The route a signal of `provision_type` in `wijk` takes in `gemeente`, if regie set one.
pub async fn route_for(
    pool: &PgPool,
    gemeente: &GemeenteCode,
    provision_type: ProvisionType,
    wijk: Option<&WijkCode>,
) -> Result<Option<Route>, sqlx::Error> {
    let set: Option<Json<RoutingSet>> =
        sqlx::query_scalar("SELECT routing FROM routing WHERE gemeente = $1")
            .bind(gemeente.as_str())
            .fetch_optional(pool)
            .await?;
    Ok(set.and_then(|Json(set)| set.route_for(provision_type, wijk).cloned()))
}

/// Where a new signal goes and by when it must be picked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    pub referral: Referral,
    pub due_on: Option<Date>,
}

/// The referral of a route (or of none), with the due date counted from `signalled_on`.
pub fn referral_of(route: Option<&Route>, partner_enrolled: bool, signalled_on: Date) -> Routed {
    match route {
        None => Routed {
            referral: Referral::Loket,
            due_on: None,
        },
        Some(route) => Routed {
            referral: match &route.to {
                RouteTarget::Partner(partner) if partner_enrolled => Referral::Partner {
                    partner: partner.clone(),
                },
                RouteTarget::Partner(_) | RouteTarget::Loket => Referral::Loket,
            },
            due_on: Some(due_date(signalled_on, route.response_days)),
        },
    }
}

/// `response_days` working days after `from`.
pub fn due_date(from: Date, response_days: u8) -> Date {
    calendar::add_working_days(from, u32::from(response_days))
}

/// What signalling a child reads before its command, in one statement: the signaller's enrolment,
/// the gemeente's routing table, and the enrolments of the partners that table routes to.
#[derive(Debug, Clone, Default)]
pub struct SignalSetting {
    pub signaller: Option<Enrolment>,
    routing: Option<RoutingSet>,
    partners: HashMap<String, Enrolment>,
}

/// Reads the [`SignalSetting`] of `signaller` in `gemeente`.
pub async fn signal_setting(
    pool: &PgPool,
    gemeente: &GemeenteCode,
    signaller: &OrganisationId,
) -> Result<SignalSetting, sqlx::Error> {
    type Row = (
        Option<Json<RoutingSet>>,
        Option<String>,
        Option<Json<Vec<PartnerRole>>>,
        Option<Date>,
    );
    // One row per organisation asked for (the signaller, every partner the table routes to), with
    // its enrolment or NULLs, each carrying the table. Every enrolment is a point lookup on the
    // primary key: a gemeente may have thousands of enrolments, none of them scanned. A route's
    // target is "loket" or {"partner": "<organisation>"}.
    let rows: Vec<Row> = sqlx::query_as(
        "WITH table_of AS (SELECT routing FROM routing WHERE gemeente = $1)
         SELECT (SELECT routing FROM table_of), e.organisation, e.roles, e.ended_on
           FROM unnest(array_append(
                  ARRAY(SELECT jsonb_path_query(routing, '$.routes[*].to.partner') #>> '{}'
                          FROM table_of),
                  $2::text)) AS w (organisation)
           LEFT JOIN LATERAL (
                SELECT organisation, roles, ended_on FROM enrolments
                 WHERE gemeente = $1 AND organisation = w.organisation) AS e ON true",
    )
    .bind(gemeente.as_str())
    .bind(signaller.as_str())
    .fetch_all(pool)
    .await?;
    let mut setting = SignalSetting::default();
    for (routing, organisation, roles, ended_on) in rows {
        setting.routing = routing.map(|Json(routing)| routing);
        let (Some(organisation), Some(Json(roles))) = (organisation, roles) else {
            continue;
        };
        let enrolment = Enrolment { roles, ended_on };
        if organisation == signaller.as_str() {
            setting.signaller = Some(enrolment.clone());
        }
        setting.partners.insert(organisation, enrolment);
    }
    Ok(setting)
}

/// Routes a new signal by the gemeente's routing table of `setting`: a route to a partner whose
/// enrolment is not in force on `today` goes to the loket instead.
pub fn route_signal(
    setting: &SignalSetting,
    provision_type: Option<ProvisionType>,
    wijk: Option<&WijkCode>,
    signalled_on: Date,
    today: Date,
) -> Routed {
    let route = match (provision_type, &setting.routing) {
        (Some(provision_type), Some(routing)) => routing.route_for(provision_type, wijk),
        _ => None,
    };
    let partner_enrolled = match route.map(|route| &route.to) {
        Some(RouteTarget::Partner(partner)) => setting
            .partners
            .get(partner.as_str())
            .is_some_and(|enrolment| enrolment.in_force_on(today)),
        _ => false,
    };
    referral_of(route, partner_enrolled, signalled_on)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kindpakket_proto::OrganisationId;
    use time::macros::date;

    fn route(to: RouteTarget, days: u8) -> Route {
        Route {
            provision_type: ProvisionType::Participation,
            wijk: None,
            to,
            response_days: days,
        }
    }

    #[test]
    fn a_route_to_a_partner_gives_a_due_date_in_working_days_skipping_a_holiday() {
        let leergeld = OrganisationId::parse("leergeld").unwrap();
        // Friday 24 April 2026; Monday 27 April is Koningsdag.
        let routed = referral_of(
            Some(&route(RouteTarget::Partner(leergeld.clone()), 2)),
            true,
            date!(2026 - 04 - 24),
        );
        assert_eq!(
            routed,
            Routed {
                referral: Referral::Partner { partner: leergeld },
                due_on: Some(date!(2026 - 04 - 29)),
            }
        );
    }

    #[test]
    fn without_a_route_or_an_enrolled_partner_the_signal_goes_to_the_loket() {
        assert_eq!(
            referral_of(None, false, date!(2026 - 09 - 01)),
            Routed {
                referral: Referral::Loket,
                due_on: None
            }
        );
        let gone = OrganisationId::parse("gestopt").unwrap();
        let routed = referral_of(
            Some(&route(RouteTarget::Partner(gone), 3)),
            false,
            date!(2026 - 09 - 01),
        );
        assert_eq!(routed.referral, Referral::Loket);
        assert_eq!(routed.due_on, Some(date!(2026 - 09 - 04)));
    }
}
