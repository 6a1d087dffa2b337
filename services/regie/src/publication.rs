//! Publishing a regeling version: the use-case that spans aggregates. The version's gemeenten are
//! settled (the publishing gemeente among them), then under the calendar lock the committed versions
//! are searched for one that overlaps it, and only when there is none is it committed, still under
//! the lock ([`crate::calendar`]).

use kindpakket_platform::store::{AggregateStore, CommandContext, CommandError};
use kindpakket_proto::regie::RegelingPublished;
use kindpakket_proto::GemeenteCode;
use sqlx::PgPool;

use crate::calendar::{self, Overlap};
use crate::domain::regeling::{Regeling, RegelingCommand, RegelingError};

/// Why a version was not published. The first two are the regievoerder's to fix (Dutch, as they
/// read it); a refusal of the aggregate keeps its own message; a technical failure is logged.
#[derive(Debug, thiserror::Error)]
pub enum PublicationError {
    #[error("De gemeente {0} uit de URL moet een van de gemeenten van de regeling zijn.")]
    PublisherNotCovered(GemeenteCode),
    #[error(
        "Deze regeling overlapt in gemeente {} met regeling {}, die geldt van {} tot en met {}. Laat de nieuwe versie beginnen na het einde van de vorige.",
        .0.gemeente, .0.regeling_id, .0.valid_from, .0.valid_until
    )]
    Overlaps(Overlap),
    #[error("{0}")]
    Refused(CommandError<RegelingError>),
    #[error("the calendar could not be read: {0}")]
    Technical(#[from] sqlx::Error),
}

/// The gemeenten a version published by `publisher` covers: the ones listed (sorted, each once), or
/// the publisher alone when none are; a list must include the publisher.
pub fn covered_gemeenten(
    publisher: &GemeenteCode,
    mut listed: Vec<GemeenteCode>,
) -> Result<Vec<GemeenteCode>, PublicationError> {
    if listed.is_empty() {
        listed.push(publisher.clone());
    }
    if !listed.contains(publisher) {
        return Err(PublicationError::PublisherNotCovered(publisher.clone()));
    }
    listed.sort();
    listed.dedup();
    Ok(listed)
}

/// Publishes `version` for the gemeente of `context`, unless it overlaps a published version in one
/// of its gemeenten. Its `gemeenten` may be empty: then it covers the publisher alone.
pub async fn publish(
    pool: &PgPool,
    regelingen: &AggregateStore<Regeling>,
    mut version: RegelingPublished,
    context: &CommandContext,
) -> Result<(), PublicationError> {
    version.gemeenten = covered_gemeenten(&context.gemeente, version.gemeenten)?;
    let _calendar = calendar::lock(pool).await?;
    let overlap = calendar::overlapping(
        pool,
        &version.gemeenten,
        version.valid_from,
        version.valid_until,
    )
    .await?;
    if let Some(overlap) = overlap {
        return Err(PublicationError::Overlaps(overlap));
    }
    regelingen
        .execute(
            version.regeling_id,
            RegelingCommand::Publish(version),
            context,
        )
        .await
        .map_err(PublicationError::Refused)
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
        assert_eq!(
            covered_gemeenten(&publisher, vec![]).unwrap(),
            vec![code("GM0518")]
        );
        assert_eq!(
            covered_gemeenten(
                &publisher,
                vec![code("GM0603"), code("GM0518"), code("GM0603")]
            )
            .unwrap(),
            vec![code("GM0518"), code("GM0603")]
        );
        let elsewhere = covered_gemeenten(&publisher, vec![code("GM0603")]).unwrap_err();
        assert_eq!(
            elsewhere.to_string(),
            "De gemeente GM0518 uit de URL moet een van de gemeenten van de regeling zijn."
        );
    }
}
