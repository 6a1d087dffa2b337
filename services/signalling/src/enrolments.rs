//! Which organisations are enrolled in which gemeente, in which roles, for which provisions and until
//! when, and which provision type each provision of a regeling is: the regie stream's enrolments and
//! regelingen, kept by [`crate::consume`] in the consumer's transaction. Signalling asks it whether an
//! organisation may signal, whether a partner is enrolled for a provision type (a re-route), and an
//! organisation's public name (a one-time link shows it).

use kindpakket_platform::db::Migration;
use kindpakket_proto::regie::{
    PartnerEnrolled, PartnerEnrolmentEnded, PartnerRole, ProvisionType, RegelingPublished,
};
use kindpakket_proto::{GemeenteCode, OrganisationId, ProvisionCode};
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

/// The provisions and public name of an enrolment, and the provision type of each provision of the
/// gemeente's regelingen: what a re-route to a partner is checked against (issue 14). Enrolments
/// kept before this migration have no provisions here until the partner is enrolled again.
pub const ENROLMENT_PROVISIONS_MIGRATION: Migration = Migration {
    name: "0210_enrolment_provisions",
    sql: r#"
        ALTER TABLE enrolments ADD COLUMN provisions jsonb NOT NULL DEFAULT '[]';
        ALTER TABLE enrolments ADD COLUMN name text;
        CREATE TABLE provision_types (
            gemeente       text NOT NULL,
            provision      text NOT NULL,
            provision_type text NOT NULL,
            PRIMARY KEY (gemeente, provision)
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
        "INSERT INTO enrolments (gemeente, organisation, roles, ended_on, provisions, name)
         VALUES ($1, $2, $3, NULL, $4, $5)
         ON CONFLICT (gemeente, organisation)
         DO UPDATE SET roles = EXCLUDED.roles, ended_on = NULL, provisions = EXCLUDED.provisions,
                       name = EXCLUDED.name",
    )
    .bind(gemeente.as_str())
    .bind(enrolled.partner.as_str())
    .bind(Json(&enrolled.roles))
    .bind(Json(&enrolled.provisions))
    .bind(&enrolled.name)
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

/// The provision type of each provision of a regeling, for every gemeente it covers. A later version
/// that gives a code another type replaces it.
pub async fn record_provision_types(
    connection: &mut PgConnection,
    published: &RegelingPublished,
) -> Result<(), sqlx::Error> {
    for gemeente in &published.gemeenten {
        for provision in &published.provisions {
            sqlx::query(
                "INSERT INTO provision_types (gemeente, provision, provision_type) VALUES ($1, $2, $3)
                 ON CONFLICT (gemeente, provision) DO UPDATE SET provision_type = EXCLUDED.provision_type",
            )
            .bind(gemeente.as_str())
            .bind(provision.code.as_str())
            .bind(type_word(provision.provision_type))
            .execute(&mut *connection)
            .await?;
        }
    }
    Ok(())
}

/// How a provision type is kept in `provision_types`: its contract name.
fn type_word(provision_type: ProvisionType) -> String {
    serde_json::to_value(provision_type)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Whether `partner` is enrolled in `gemeente` on `day` for a provision of `provision_type`.
pub async fn enrolled_for_type(
    pool: &PgPool,
    gemeente: &GemeenteCode,
    partner: &OrganisationId,
    provision_type: ProvisionType,
    day: Date,
) -> Result<bool, sqlx::Error> {
    let row: Option<(Json<Vec<ProvisionCode>>, Option<Date>)> = sqlx::query_as(
        "SELECT provisions, ended_on FROM enrolments WHERE gemeente = $1 AND organisation = $2",
    )
    .bind(gemeente.as_str())
    .bind(partner.as_str())
    .fetch_optional(pool)
    .await?;
    let Some((Json(provisions), ended_on)) = row else {
        return Ok(false);
    };
    if ended_on.is_some_and(|ended_on| ended_on < day) {
        return Ok(false);
    }
    let codes: Vec<String> = provisions
        .iter()
        .map(|code| code.as_str().to_owned())
        .collect();
    let of_type: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM provision_types
                         WHERE gemeente = $1 AND provision = ANY($2) AND provision_type = $3)",
    )
    .bind(gemeente.as_str())
    .bind(&codes)
    .bind(type_word(provision_type))
    .fetch_one(pool)
    .await?;
    Ok(of_type)
}

/// The public name an organisation was enrolled under in `gemeente`, if any.
pub async fn name_of(
    pool: &PgPool,
    gemeente: &GemeenteCode,
    organisation: &OrganisationId,
) -> Result<Option<String>, sqlx::Error> {
    let name: Option<Option<String>> =
        sqlx::query_scalar("SELECT name FROM enrolments WHERE gemeente = $1 AND organisation = $2")
            .bind(gemeente.as_str())
            .bind(organisation.as_str())
            .fetch_optional(pool)
            .await?;
    Ok(name.flatten())
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
