//! `GET …/feed`: a partner's feed (docs/money.md §6), a page of CloudEvents 1.0 in JSON after the
//! position the partner processed last. A partner reads its own; regie and the auditor read a named
//! partner's (`partner=`), as that partner reads it (under its pseudonyms). What is fed is
//! [`crate::feed`]'s; the entries come from [`crate::read_models::partner_feed`] under row-level
//! security.

use axum::extract::State;
use axum::Json;
use kindpakket_platform::http::paging::ApiQuery;
use kindpakket_platform::http::{ApiError, InGemeente};
use kindpakket_platform::roles;
use kindpakket_proto::{OrganisationId, Role};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::AppState;
use crate::access;
use crate::feed::FeedData;
use crate::read_models::partner_feed::{self, FeedRow};

roles!(
    /// Who reads a feed: a partner its own, regie and the auditor a named partner's.
    pub FeedReaders = [Partner, Regievoerder, Auditor]
);

/// The most entries a page may hold.
pub const MAX_FEED_PAGE: i64 = 500;
/// The entries on a page when `aantal` is not given.
pub const DEFAULT_FEED_PAGE: i64 = 100;

/// `GET …/feed`: from where, how many, whose.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct FeedQuery {
    /// The position of the last entry you processed (`volgende` of the page before); 0 or absent
    /// for the beginning.
    #[serde(default)]
    #[schemars(with = "Option<u64>")]
    pub na: Option<String>,
    /// How many entries at most, 1 to 500 (100 when absent).
    #[serde(default)]
    #[schemars(with = "Option<u16>")]
    pub aantal: Option<String>,
    /// Regie and the auditor: whose feed (the partner's organisation code). A partner reads its
    /// own only.
    #[serde(default)]
    pub partner: Option<String>,
}

/// One event as a CloudEvent 1.0 (JSON format), with the extension attribute `positie`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CloudEvent {
    /// Always `1.0`.
    pub specversion: &'static str,
    /// The platform's id of the event: the same event is the same id (deduplicate on it).
    pub id: Uuid,
    /// `/kindpakket/{gemeente}/{service}`: where it happened.
    pub source: String,
    /// `nl.kindpakket.{gebeurtenis}.v1`, e.g. `nl.kindpakket.delivery_recorded.v1`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// When it happened (RFC 3339).
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub time: String,
    /// What it is about, as a path under the gemeente in your own ids, e.g. `rechten/{recht}`.
    pub subject: String,
    /// Always `application/json`.
    pub datacontenttype: &'static str,
    /// What happened, by `type` (your own ids of children and entitlements): as it was written, one
    /// of these shapes.
    #[schemars(with = "FeedData")]
    pub data: serde_json::Value,
    /// Its position in your feed: give the last one you processed as `na`.
    pub positie: i64,
}

/// A page of the feed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FeedPage {
    pub events: Vec<CloudEvent>,
    /// The position to ask after next time (`na`): the last on this page, or the `na` you gave.
    pub volgende: i64,
    /// Whether more entries follow now.
    pub meer: bool,
}

fn bad_position() -> ApiError {
    ApiError::bad_request(
        "De parameter 'na' in de URL heeft niet de juiste vorm: de positie van de laatste gebeurtenis die u verwerkte, een geheel getal van 0 of meer.",
    )
}

fn bad_count() -> ApiError {
    ApiError::bad_request(format!(
        "De parameter 'aantal' in de URL heeft niet de juiste vorm: een geheel getal van 1 tot en met {MAX_FEED_PAGE}."
    ))
}

/// The position after which to read: absent is the beginning.
fn position(na: Option<&str>) -> Result<i64, ApiError> {
    match na {
        None => Ok(0),
        Some(text) => text
            .parse::<u64>()
            .ok()
            .and_then(|value| i64::try_from(value).ok())
            .ok_or_else(bad_position),
    }
}

/// How many entries: 1 to [`MAX_FEED_PAGE`].
fn count(aantal: Option<&str>) -> Result<i64, ApiError> {
    match aantal {
        None => Ok(DEFAULT_FEED_PAGE),
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|value| (1..=MAX_FEED_PAGE).contains(value))
            .ok_or_else(bad_count),
    }
}

fn cloud_event(gemeente: &str, row: FeedRow) -> Result<CloudEvent, ApiError> {
    let time = row
        .time
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(ApiError::internal)?;
    Ok(CloudEvent {
        specversion: "1.0",
        id: row.event_id,
        source: format!("/kindpakket/{gemeente}/{}", row.service),
        event_type: row.event_type,
        time,
        subject: row.subject,
        datacontenttype: "application/json",
        data: row.data,
        positie: row.position,
    })
}

/// The feed of the events that concern a partner, after position `na`.
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn read_feed(
    State(state): State<AppState>,
    caller: InGemeente<FeedReaders>,
    ApiQuery(query): ApiQuery<FeedQuery>,
) -> Result<Json<FeedPage>, ApiError> {
    let after = position(query.na.as_deref())?;
    let limit = count(query.aantal.as_deref())?;
    let named = query
        .partner
        .as_deref()
        .map(|text| {
            OrganisationId::parse(text).map_err(|_| {
                ApiError::bad_request(
                    "De parameter 'partner' in de URL heeft niet de juiste vorm: de code van een organisatie.",
                )
            })
        })
        .transpose()?;
    let partner = if caller.actor.role == Role::Partner {
        if named
            .as_ref()
            .is_some_and(|named| named != &caller.actor.organisation)
        {
            return Err(ApiError::forbidden(
                "U leest alleen uw eigen feed; laat de parameter 'partner' weg of noem uw eigen organisatie.",
            ));
        }
        caller.actor.organisation.clone()
    } else {
        named.ok_or_else(|| {
            ApiError::bad_request(
                "De parameter 'partner' ontbreekt: noem de partner wiens feed u wilt lezen.",
            )
        })?
    };
    let mut transaction = access::reading_as(&state.pool, &caller.actor, &caller.gemeente)
        .await
        .map_err(ApiError::internal)?;
    let mut rows = partner_feed::page(
        &mut transaction,
        &caller.gemeente,
        &partner,
        after,
        limit + 1,
    )
    .await
    .map_err(ApiError::internal)?;
    transaction.commit().await.map_err(ApiError::internal)?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next = rows.last().map_or(after, |row| row.position);
    let events = rows
        .into_iter()
        .map(|row| cloud_event(caller.gemeente.as_str(), row))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(FeedPage {
        events,
        volgende: next,
        meer: more,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_is_a_whole_number_of_zero_or_more() {
        assert_eq!(position(None).unwrap(), 0);
        assert_eq!(position(Some("0")).unwrap(), 0);
        assert_eq!(position(Some("42")).unwrap(), 42);
        for bad in ["-1", "abc", "1.5", "", "99999999999999999999"] {
            assert!(position(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_page_holds_one_to_five_hundred_entries() {
        assert_eq!(count(None).unwrap(), DEFAULT_FEED_PAGE);
        assert_eq!(count(Some("1")).unwrap(), 1);
        assert_eq!(count(Some("500")).unwrap(), 500);
        for bad in ["0", "501", "-3", "tien", ""] {
            assert!(count(Some(bad)).is_err(), "{bad}");
        }
    }
}
