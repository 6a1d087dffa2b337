//! Setting a gemeente's routing: the use-case that reads the enrolments and the catalogue before the
//! `Routing` aggregate checks the table.
//!
//! For every partner a route names, the provision types it is enrolled for are looked up: its
//! enrolment in this gemeente must be active on the day the table is set (not ended, or ended on a
//! later day) in a role other than signalling, and each of its provision codes gets the type the
//! gemeente's published regeling versions give it. The aggregate refuses a route to a partner for a
//! type outside that set.

use std::collections::{HashMap, HashSet};

use kindpakket_platform::store::{AggregateStore, CommandContext, CommandError};
use kindpakket_proto::regie::{PartnerRole, ProvisionType, RouteTarget};
use kindpakket_proto::{GemeenteCode, OrganisationId, ProvisionCode};
use sqlx::PgPool;
use time::Date;

use crate::domain::enrolment::{Enrolment, EnrolmentId};
use crate::domain::routing::{ProposedRoute, Routing, RoutingCommand, RoutingError, SetRouting};

/// Sets the routing table of `gemeente` to `routes`, as of `set_on`.
pub async fn set(
    pool: &PgPool,
    routings: &AggregateStore<Routing>,
    enrolments: &AggregateStore<Enrolment>,
    gemeente: &GemeenteCode,
    routes: Vec<ProposedRoute>,
    set_on: Date,
    context: &CommandContext,
) -> Result<(), CommandError<RoutingError>> {
    let technical = |error: String| CommandError::Technical(error);
    let partners: HashSet<&OrganisationId> = routes
        .iter()
        .filter_map(|route| match &route.to {
            RouteTarget::Partner(partner) => Some(partner),
            RouteTarget::Loket => None,
        })
        .collect();
    let mut enrolled = HashMap::new();
    if !partners.is_empty() {
        let catalogue = catalogue(pool, gemeente)
            .await
            .map_err(|error| technical(error.to_string()))?;
        for partner in partners {
            let enrolment = enrolments
                .load(EnrolmentId { gemeente, partner })
                .await
                .map_err(technical)?;
            let types = enrolled_types(&enrolment, &catalogue, set_on);
            enrolled.insert(partner.clone(), types);
        }
    }
    let command = RoutingCommand::Set(SetRouting {
        gemeente: gemeente.clone(),
        routes,
        set_on,
        enrolled,
    });
    routings.execute(gemeente, command, context).await
}

/// The provision types an enrolment acts for on `on`: none when it is not active then, or only
/// signals.
fn enrolled_types(
    enrolment: &Enrolment,
    catalogue: &HashMap<ProvisionCode, ProvisionType>,
    on: Date,
) -> HashSet<ProvisionType> {
    let Some(enrolled) = &enrolment.enrolled else {
        return HashSet::new();
    };
    let active = enrolment.ended_on.is_none_or(|ended_on| ended_on >= on);
    let acts_for_provisions = enrolled
        .roles
        .iter()
        .any(|role| *role != PartnerRole::Signal);
    if !active || !acts_for_provisions {
        return HashSet::new();
    }
    enrolled
        .provisions
        .iter()
        .filter_map(|code| catalogue.get(code).copied())
        .collect()
}

/// The type of each provision code in the gemeente's published regeling versions.
async fn catalogue(
    pool: &PgPool,
    gemeente: &GemeenteCode,
) -> Result<HashMap<ProvisionCode, ProvisionType>, sqlx::Error> {
    let rows: Vec<(String, serde_json::Value)> = sqlx::query_as(
        "SELECT DISTINCT provision->>'code', provision->'provision_type'
         FROM events,
              jsonb_array_elements(payload::jsonb->'Published'->'provisions') AS provision
         WHERE aggregate_type = 'regeling' AND event_type = 'Published'
           AND payload::jsonb->'Published'->'gemeenten' ? $1",
    )
    .bind(gemeente.as_str())
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(code, provision_type)| {
            Some((
                ProvisionCode::parse(&code).ok()?,
                serde_json::from_value(provision_type).ok()?,
            ))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kindpakket_proto::regie::PartnerEnrolled;
    use time::macros::date;

    fn enrolment(roles: Vec<PartnerRole>, ended_on: Option<Date>) -> Enrolment {
        Enrolment {
            gemeente: Some(GemeenteCode::parse("GM0518").unwrap()),
            enrolled: Some(PartnerEnrolled {
                partner: OrganisationId::parse("leergeld").unwrap(),
                name: "Stichting Leergeld".to_owned(),
                provisions: vec![
                    ProvisionCode::parse("sportcontributie").unwrap(),
                    ProvisionCode::parse("niet-in-de-regeling").unwrap(),
                ],
                roles,
                enrolled_on: date!(2026 - 01 - 01),
                mandate: None,
            }),
            ended_on,
            discounts: Default::default(),
        }
    }

    fn catalogue() -> HashMap<ProvisionCode, ProvisionType> {
        HashMap::from([
            (
                ProvisionCode::parse("sportcontributie").unwrap(),
                ProvisionType::Participation,
            ),
            (
                ProvisionCode::parse("laptop").unwrap(),
                ProvisionType::School,
            ),
        ])
    }

    #[test]
    fn a_partner_acts_for_the_types_of_its_provisions_while_its_enrolment_lasts() {
        let on = date!(2026 - 03 - 02);
        let serving = vec![PartnerRole::Deliver];
        assert_eq!(
            enrolled_types(&enrolment(serving.clone(), None), &catalogue(), on),
            HashSet::from([ProvisionType::Participation])
        );
        // Ending on the day itself still counts; ended the day before does not.
        assert_eq!(
            enrolled_types(&enrolment(serving.clone(), Some(on)), &catalogue(), on).len(),
            1
        );
        assert!(enrolled_types(
            &enrolment(serving, Some(date!(2026 - 03 - 01))),
            &catalogue(),
            on
        )
        .is_empty());
        // An organisation that only signals receives no referrals.
        assert!(enrolled_types(
            &enrolment(vec![PartnerRole::Signal], None),
            &catalogue(),
            on
        )
        .is_empty());
        assert!(enrolled_types(&Enrolment::default(), &catalogue(), on).is_empty());
    }
}
