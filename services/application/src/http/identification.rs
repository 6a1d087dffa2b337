//! `POST /identificaties`: an organisation identifies a child (and optionally a parent, for the
//! household) the way it knows them — BSN, or name and date of birth — and gets back references of
//! its own ([`kindpakket_platform::reference`]). The answer is the same, with the same status,
//! whether the vault knew the person or recorded them just now, and never carries the gemeente's
//! id. The use-case is [`crate::vault::persons::identify`]; on the audit log with the purpose
//! (`X-Doel`, or this endpoint's own).

use axum::extract::State;
use axum::Json;
use kindpakket_platform::http::{refused, ApiError, ApiJson, InGemeente};
use kindpakket_platform::reference::ReferenceKind;
use kindpakket_platform::roles;
use kindpakket_proto::schema::DateSchema;
use kindpakket_proto::Role;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;

use super::purpose::{actor, Origin, Purpose};
use super::AppState;
use crate::vault::persons::{self, Described, IdentifyError};

roles!(
    /// Who identifies a child to act on: a signaller, a partner, the gemeente.
    pub Identifiers = [Signaller, Partner, Regievoerder]
);

/// The purpose recorded on the audit log when the caller states none.
const PURPOSE: &str = "kind identificeren voor signalering of aanvraag";

/// Whom to identify.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentifyRequest {
    /// The child.
    #[serde(rename = "kind")]
    pub child: PersonDto,
    /// A parent of the child, for the household's reference.
    #[serde(rename = "ouder", default)]
    pub parent: Option<PersonDto>,
}

/// A person by BSN, or by first name, surname and date of birth (or all four).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonDto {
    /// Nine digits that pass the 11-proef.
    #[serde(default)]
    pub bsn: Option<String>,
    #[serde(default)]
    pub voornaam: Option<String>,
    #[serde(default)]
    pub achternaam: Option<String>,
    #[serde(default)]
    #[schemars(with = "Option<DateSchema>")]
    pub geboortedatum: Option<Date>,
}

impl From<PersonDto> for Described {
    fn from(person: PersonDto) -> Self {
        Described {
            bsn: person.bsn,
            first_name: person.voornaam,
            surname: person.achternaam,
            birth_date: person.geboortedatum,
        }
    }
}

/// Your own references: use them for this child and household in every request; other
/// organisations get other references for the same people.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Identified {
    /// Your reference of the child.
    pub kind: String,
    /// Your reference of the household (when a parent was given).
    pub huishouden: Option<String>,
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn identify(
    State(state): State<AppState>,
    caller: InGemeente<Identifiers>,
    Origin(origin): Origin,
    purpose: Purpose,
    ApiJson(request): ApiJson<IdentifyRequest>,
) -> Result<Json<Identified>, ApiError> {
    let purpose = purpose.or(PURPOSE)?;
    // An organisation the gemeente has not enrolled learns and records nobody: the vault is not
    // asked, so nothing is stored.
    if caller.actor.role != Role::Regievoerder {
        let enrolled = crate::consume::is_enrolled(
            &state.pool,
            &caller.gemeente,
            &caller.actor.organisation,
            kindpakket_platform::clock::today(),
        )
        .await
        .map_err(|error| ApiError::internal(format!("{error:#}")))?;
        if !enrolled {
            return Err(ApiError::forbidden(
                "Uw organisatie is in deze gemeente niet ingeschreven. Vraag de regievoerder om een \
                 inschrijving; er is niemand opgezocht of vastgelegd.",
            ));
        }
    }
    let identified = persons::identify(
        &state.vault,
        &caller.gemeente,
        request.child.into(),
        request.parent.map(Into::into),
        actor(&caller, &origin),
        &purpose,
    )
    .await
    .map_err(|error| match error {
        IdentifyError::Refused(refusal) => refused(&refusal),
        IdentifyError::Technical(cause) => ApiError::internal(format!("{cause:#}")),
    })?;
    let organisation = &caller.actor.organisation;
    Ok(Json(Identified {
        kind: state
            .pseudonyms
            .reference(organisation, ReferenceKind::Child, identified.child),
        huishouden: identified.household.map(|household| {
            state
                .pseudonyms
                .reference(organisation, ReferenceKind::Household, household)
        }),
    }))
}
