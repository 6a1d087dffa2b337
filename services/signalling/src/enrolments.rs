//! Which organisations are enrolled in which gemeente, in which roles and until when: the regie
//! stream's enrolments, kept by [`crate::consume`] in the consumer's transaction. Signalling asks it
//! whether an organisation may signal, and whether a referral names a partner of the gemeente.

use kindpakket_platform::db::Migration;
use kindpakket_proto::regie::{PartnerEnrolled, PartnerEnrolmentEnded, PartnerRole};
use kindpakket_proto::{GemeenteCode, OrganisationId};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use time::Date;

pub const ENROLMENTS_MIGRATION: Migration = Migration {
    name: "0200_enrolments",
    sql: r#"
        CREATE TABLE enrolments (
            gemeente     text  NOT NULL,
            organisation text  NOT NULL,
            roles        jsonb NOT NULL,
            ended_on     date,
            PRIMARY KEY (gemeente, organisation)
        );
    "#,
};

/// An organisation's enrolment in one gemeente, as far as signalling cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    pub roles: Vec<PartnerRole>,
    /// The last day of the enrolment, once it was ended.
    pub ended_on: Option<Date>,
}

impl Enrolment {
    /// Whether the enrolment is in force on `day` (it is up to and including the day it ends).
    pub fn in_force_on(&self, day: Date) -> bool {
        self.ended_on.is_none_or(|ended_on| ended_on >= day)
    }

    /// Whether the organisation may signal children on `day`: enrolled then, with `signaleren`.
    pub fn may_signal_on(&self, day: Date) -> bool {
        self.in_force_on(day) && self.roles.contains(&PartnerRole::Signal)
    }
}

/// An organisation enrolled (again): its roles replace the earlier ones, and it is no longer ended.
/// Applying the same event twice leaves the same row.
pub async fn record_enrolment(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    enrolled: &PartnerEnrolled,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO enrolments (gemeente, organisation, roles, ended_on) VALUES ($1, $2, $3, NULL)
         ON CONFLICT (gemeente, organisation)
         DO UPDATE SET roles = EXCLUDED.roles, ended_on = NULL",
    )
    .bind(gemeente.as_str())
    .bind(enrolled.partner.as_str())
    .bind(Json(&enrolled.roles))
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// An organisation's enrolment ended on a day.
pub async fn record_end(
    connection: &mut PgConnection,
    gemeente: &GemeenteCode,
    ended: &PartnerEnrolmentEnded,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE enrolments SET ended_on = $3 WHERE gemeente = $1 AND organisation = $2")
        .bind(gemeente.as_str())
        .bind(ended.partner.as_str())
        .bind(ended.ended_on)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// The enrolment of `organisation` in `gemeente`, if it was ever enrolled there.
pub async fn enrolment_of(
    pool: &PgPool,
    gemeente: &GemeenteCode,
    organisation: &OrganisationId,
) -> Result<Option<Enrolment>, sqlx::Error> {
    let row: Option<(Json<Vec<PartnerRole>>, Option<Date>)> = sqlx::query_as(
        "SELECT roles, ended_on FROM enrolments WHERE gemeente = $1 AND organisation = $2",
    )
    .bind(gemeente.as_str())
    .bind(organisation.as_str())
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(Json(roles), ended_on)| Enrolment { roles, ended_on }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn an_organisation_signals_with_the_role_signaleren_until_its_enrolment_ends() {
        let wijkteam = Enrolment {
            roles: vec![PartnerRole::Signal],
            ended_on: Some(date!(2026 - 06 - 30)),
        };
        assert!(wijkteam.may_signal_on(date!(2026 - 06 - 30)));
        assert!(!wijkteam.may_signal_on(date!(2026 - 07 - 01)));
        let deliverer = Enrolment {
            roles: vec![PartnerRole::Deliver, PartnerRole::TakeApplications],
            ended_on: None,
        };
        assert!(deliverer.in_force_on(date!(2026 - 07 - 01)));
        assert!(!deliverer.may_signal_on(date!(2026 - 07 - 01)));
    }
}
