//! Publishing a regeling version: the use-case that spans aggregates. The version's gemeenten are
//! settled (the publishing gemeente among them, and every one of them a gemeente the publisher acts
//! for), then under the calendar lock the committed versions are searched for one that overlaps it,
//! and only when there is none is it committed, still under the lock ([`crate::calendar`]).

use kindpakket_platform::store::{AggregateStore, CommandContext, CommandError};
use kindpakket_proto::regie::RegelingPublished;
use kindpakket_proto::GemeenteCode;
use sqlx::PgPool;
use time::Date;
use uuid::Uuid;

use crate::calendar::{self, Overlap};
use crate::domain::regeling::{Amend, End, Regeling, RegelingCommand, RegelingError};

/// Why a version was not published. The first three are the regievoerder's to fix (Dutch, as they
/// read it, naming nothing they sent); a refusal of the aggregate keeps its own message; a technical
/// failure is logged.
#[derive(Debug, thiserror::Error)]
pub enum PublicationError {
    /// The version names a gemeente the publisher's login does not act for: it would govern that
    /// gemeente's assessments and block its own regeling.
    #[error("U handelt niet namens elke gemeente in 'gemeenten'. Een regeling van een samenwerkingsverband vraagt een aanmelding die geldt voor alle gemeenten van de regeling.")]
    NotActingForAll,
    #[error("De gemeente uit de URL moet een van de gemeenten in 'gemeenten' zijn; laat 'gemeenten' weg voor een regeling van deze gemeente alleen.")]
    PublisherNotCovered,
    #[error(
        "Deze regeling overlapt in een van haar gemeenten met regeling {}, die geldt van {} tot en met {}. Laat de nieuwe versie beginnen na het einde van de vorige.",
        .0.regeling_id, .0.valid_from, .0.valid_until
    )]
    Overlaps(Overlap),
    #[error("{0}")]
    Refused(CommandError<RegelingError>),
    #[error("the calendar could not be read: {0}")]
    Technical(#[from] sqlx::Error),
}

/// The gemeenten a version published by `publisher` covers: the ones listed (sorted, each once), or
/// the publisher alone when none are; a list must include the publisher, and the publisher must act
/// for every gemeente listed (`acting_for`: the gemeenten of its login).
pub fn covered_gemeenten(
    publisher: &GemeenteCode,
    acting_for: &[GemeenteCode],
    mut listed: Vec<GemeenteCode>,
) -> Result<Vec<GemeenteCode>, PublicationError> {
    if !listed.iter().all(|gemeente| acting_for.contains(gemeente)) {
        return Err(PublicationError::NotActingForAll);
    }
    if listed.is_empty() {
        listed.push(publisher.clone());
    }
    if !listed.contains(publisher) {
        return Err(PublicationError::PublisherNotCovered);
    }
    listed.sort();
    listed.dedup();
    Ok(listed)
}

/// Publishes `version` for the gemeente of `context`, unless it names a gemeente the publisher does
/// not act for (`acting_for`: the gemeenten of its login) or overlaps a published version in one of
/// its gemeenten. Its `gemeenten` may be empty: then it covers the publisher alone.
pub async fn publish(
    pool: &PgPool,
    regelingen: &AggregateStore<Regeling>,
    mut version: RegelingPublished,
    acting_for: &[GemeenteCode],
    context: &CommandContext,
) -> Result<(), PublicationError> {
    version.gemeenten = covered_gemeenten(&context.gemeente, acting_for, version.gemeenten)?;
    let _calendar = calendar::lock(pool).await?;
    let overlap = calendar::overlapping(
        pool,
        &version.gemeenten,
        version.valid_from,
        version.valid_until,
        None,
    )
    .await?;
    if let Some(overlap) = overlap {
        return Err(PublicationError::Overlaps(overlap));
    }
    // A new regeling's id was just made: executed without reading a history first.
    regelingen
        .execute_new(
            version.regeling_id,
            RegelingCommand::Publish(version),
            context,
        )
        .await
        .map_err(PublicationError::Refused)
}

/// Corrects the version `amended` with `successor` from the successor's `valid_from`: the version
/// before ends the day before, in the same commit. The successor covers the same gemeenten (all of
/// which the caller must act for) and may overlap no other version.
pub async fn amend(
    pool: &PgPool,
    regelingen: &AggregateStore<Regeling>,
    amended: Uuid,
    mut successor: RegelingPublished,
    acting_for: &[GemeenteCode],
    context: &CommandContext,
) -> Result<(), PublicationError> {
    let _calendar = calendar::lock(pool).await?;
    let (regeling_id, version) =
        version_of(pool, regelingen, amended, successor.valid_from, context).await?;
    check_acting_for_all(&version.gemeenten, acting_for)?;
    if !successor.gemeenten.is_empty() {
        successor.gemeenten =
            covered_gemeenten(&context.gemeente, acting_for, successor.gemeenten)?;
    }
    let gemeenten = if successor.gemeenten.is_empty() {
        &version.gemeenten
    } else {
        &successor.gemeenten
    };
    let overlap = calendar::overlapping(
        pool,
        gemeenten,
        successor.valid_from,
        successor.valid_until,
        Some(amended),
    )
    .await?;
    if let Some(overlap) = overlap {
        return Err(PublicationError::Overlaps(overlap));
    }
    regelingen
        .execute(
            regeling_id,
            RegelingCommand::Amend(Amend { amended, successor }),
            context,
        )
        .await
        .map_err(PublicationError::Refused)
}

/// Ends the version `regeling_id` from `per` on, without a successor. The caller must act for all
/// of its gemeenten.
pub async fn end(
    pool: &PgPool,
    regelingen: &AggregateStore<Regeling>,
    version_id: Uuid,
    per: Date,
    acting_for: &[GemeenteCode],
    context: &CommandContext,
) -> Result<(), PublicationError> {
    let _calendar = calendar::lock(pool).await?;
    let (regeling_id, version) = version_of(pool, regelingen, version_id, per, context).await?;
    check_acting_for_all(&version.gemeenten, acting_for)?;
    regelingen
        .execute(
            regeling_id,
            RegelingCommand::End(End {
                regeling_id: version_id,
                per,
            }),
            context,
        )
        .await
        .map_err(PublicationError::Refused)
}

/// The aggregate a version lives in and the version as published, when it covers the gemeente of
/// `context` (as unknown as an id never published otherwise) and may end on the day before `per`.
async fn version_of(
    pool: &PgPool,
    regelingen: &AggregateStore<Regeling>,
    version_id: Uuid,
    per: Date,
    context: &CommandContext,
) -> Result<(Uuid, RegelingPublished), PublicationError> {
    let unknown =
        || PublicationError::Refused(CommandError::Rejected(RegelingError::UnknownVersion));
    let regeling_id = calendar::regeling_of(pool, version_id)
        .await?
        .ok_or_else(unknown)?;
    let regeling = regelingen
        .load(regeling_id)
        .await
        .map_err(|error| PublicationError::Refused(CommandError::Technical(error)))?;
    // Known in this gemeente first: a version elsewhere says nothing about its state.
    if regeling
        .clone()
        .version_in(version_id, &context.gemeente)
        .is_none()
    {
        return Err(unknown());
    }
    regeling
        .may_end(version_id, per)
        .map_err(|refusal| PublicationError::Refused(CommandError::Rejected(refusal)))?;
    let version = regeling
        .version_in(version_id, &context.gemeente)
        .ok_or_else(unknown)?;
    Ok((regeling_id, version.published))
}

fn check_acting_for_all(
    gemeenten: &[GemeenteCode],
    acting_for: &[GemeenteCode],
) -> Result<(), PublicationError> {
    if gemeenten
        .iter()
        .all(|gemeente| acting_for.contains(gemeente))
    {
        Ok(())
    } else {
        Err(PublicationError::NotActingForAll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str) -> GemeenteCode {
        GemeenteCode::parse(raw).unwrap()
    }

    #[test]
    fn a_version_covers_its_publisher_alone_or_a_list_that_includes_it() {
        let publisher = code("GM0518");
        let both = [code("GM0518"), code("GM0603")];
        assert_eq!(
            covered_gemeenten(&publisher, &both[..1], vec![]).unwrap(),
            vec![code("GM0518")]
        );
        assert_eq!(
            covered_gemeenten(
                &publisher,
                &both,
                vec![code("GM0603"), code("GM0518"), code("GM0603")]
            )
            .unwrap(),
            vec![code("GM0518"), code("GM0603")]
        );
        let elsewhere = covered_gemeenten(&publisher, &both, vec![code("GM0603")]).unwrap_err();
        assert!(matches!(elsewhere, PublicationError::PublisherNotCovered));
        assert!(!elsewhere.to_string().contains("GM"), "{elsewhere}");
    }

    #[test]
    fn a_version_names_only_gemeenten_the_publisher_acts_for() {
        let publisher = code("GM0518");
        let refused = covered_gemeenten(
            &publisher,
            &[code("GM0518")],
            vec![code("GM0518"), code("GM0363")],
        )
        .unwrap_err();
        assert!(matches!(refused, PublicationError::NotActingForAll));
        assert!(!refused.to_string().contains("GM0363"), "{refused}");
    }
}
