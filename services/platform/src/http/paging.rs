//! Work lists: one way to read a query string strictly and one way to page.
//!
//! A list endpoint takes [`ApiQuery<F>`] where `F` is its filter struct with `#[serde(flatten)]`
//! [`Paging`] in it, and answers [`Page<T>`]: `{"items": [...], "volgende": "<cursor>"}`. Paging is by
//! keyset, never by offset: the cursor is the sort key of the last item given (opaque to the caller,
//! base64url of a small JSON value), so a list that grows while someone pages through it neither
//! skips nor repeats an item. `aantal` is 50 by default and at most 200.
//!
//! ```ignore
//! #[derive(Deserialize, JsonSchema)]
//! #[serde(deny_unknown_fields, rename_all = "camelCase")]
//! struct Filter { status: Option<Status>, #[serde(flatten)] paging: Paging }
//!
//! async fn list(caller: InGemeente<R>, ApiQuery(filter): ApiQuery<Filter>) -> Result<Json<Page<Row>>, ApiError> {
//!     let after: Option<(time::Date, Uuid)> = filter.paging.after()?;
//!     let rows = query(after, filter.paging.fetch_limit()).await?;   // ORDER BY (date, id), LIMIT aantal + 1
//!     Ok(Json(Page::from_rows(rows, filter.paging.limit(), |row| (row.date, row.id))))
//! }
//! ```
//!
//! `deny_unknown_fields` does not work together with `flatten` in serde, so [`ApiQuery`] checks
//! the parameter names itself against the schema of `F`: an unknown parameter is a 400 that names it.
//! With `flatten`, serde hands every value over as text: a filter's enums and strings read as
//! usual, but a number or a date is best kept as `Option<String>` (with `#[schemars(with = ..)]`)
//! and parsed by the endpoint, as [`Paging::limit`] does.

use aide::generate::GenContext;
use aide::openapi::{Operation, Response, StatusCode as DocumentedStatus};
use aide::OperationInput;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::problem::{problems, ApiError};

/// The default number of items on a page.
pub const DEFAULT_PAGE: u32 = 50;
/// The most items a page may hold.
pub const MAX_PAGE: u32 = 200;

/// The query string of an operation as a struct, read strictly: every parameter known (checked
/// against `T`'s schema, flattened fields included), every value of its form; otherwise a Dutch 400
/// naming the parameter and never repeating its value.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + JsonSchema + Send> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let raw = parts.uri.query().unwrap_or("");
        let known = known_parameters::<T>();
        let pairs = url_pairs(raw);
        for (name, _) in &pairs {
            if !known.iter().any(|known| known == name) {
                let allowed = if known.is_empty() {
                    "deze lijst kent geen parameters".to_owned()
                } else {
                    format!("bekend zijn: {}", known.join(", "))
                };
                return Err(ApiError::bad_request(format!(
                    "Onbekende parameter '{}' in de URL; {allowed}.",
                    plain(name)
                )));
            }
        }
        match Query::<T>::try_from_uri(&parts.uri) {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => {
                let text = rejection.body_text();
                let named = pairs
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .find(|name| text.contains(&format!("`{name}`")) || text.contains(name));
                Err(ApiError::bad_request(match named {
                    Some(name) => format!(
                        "De parameter '{}' in de URL heeft niet de juiste vorm.",
                        plain(name)
                    ),
                    None => "De parameters in de URL hebben niet de juiste vorm.".to_owned(),
                }))
            }
        }
    }
}

/// The names of a query struct's parameters, flattened ones included, from its JSON schema.
fn known_parameters<T: JsonSchema>() -> Vec<String> {
    let schema = schemars::SchemaGenerator::default().into_root_schema_for::<T>();
    let mut names: Vec<String> = schema
        .get("properties")
        .and_then(|properties| properties.as_object())
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// `a=1&b=2` as pairs, percent-decoded (`+` as a space), as browsers and curl send them.
fn url_pairs(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => {
                        out.push(byte);
                        index += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A name as it may be repeated in an answer: printable, short.
fn plain(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
        .take(40)
        .collect()
}

impl<T: JsonSchema> OperationInput for ApiQuery<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        Query::<T>::operation_input(ctx, operation);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _: &mut Operation,
    ) -> Vec<(Option<DocumentedStatus>, Response)> {
        problems(ctx, &[(400, "Onjuiste parameters")])
    }
}

/// Which page: `aantal` items after the cursor `na` (the `volgende` of the page before).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct Paging {
    /// The `volgende` of the page before; leave out for the first page.
    #[serde(default)]
    pub na: Option<String>,
    /// Items on a page: 1 to 200, 50 when left out. Kept as text: a query string flattened into a
    /// filter struct reaches serde as text only, so the number is read in [`Paging::limit`].
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub aantal: Option<String>,
}

impl Paging {
    /// The number of items to give, refused (400) unless a number from 1 to 200.
    pub fn limit(&self) -> Result<u32, ApiError> {
        match self
            .aantal
            .as_deref()
            .map(|text| text.trim().parse::<u32>())
        {
            None => Ok(DEFAULT_PAGE),
            Some(Ok(count)) if (1..=MAX_PAGE).contains(&count) => Ok(count),
            Some(_) => Err(ApiError::bad_request(format!(
                "'aantal' moet een getal van 1 tot en met {MAX_PAGE} zijn."
            ))),
        }
    }

    /// The rows to fetch: one more than the page holds, to know whether a next page exists.
    pub fn fetch_limit(&self) -> Result<i64, ApiError> {
        Ok(i64::from(self.limit()?) + 1)
    }

    /// The sort key of the last item of the page before, or `None` for the first page. A cursor the
    /// platform did not give is a 400.
    pub fn after<K: DeserializeOwned>(&self) -> Result<Option<K>, ApiError> {
        let Some(cursor) = self.na.as_deref() else {
            return Ok(None);
        };
        URL_SAFE_NO_PAD
            .decode(cursor.trim())
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad_request(
                    "'na' is geen vervolg dat deze lijst gaf; begin opnieuw zonder 'na'.",
                )
            })
    }
}

/// One page of a work list.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `na` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volgende: Option<String>,
}

impl<T> Page<T> {
    /// A page of `rows` fetched with [`Paging::fetch_limit`] (one more than `limit`), in the order
    /// of `key`: the extra row, if any, only says there is a next page.
    pub fn from_rows<K: Serialize>(mut rows: Vec<T>, limit: u32, key: impl Fn(&T) -> K) -> Self {
        let limit = limit as usize;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let volgende = if more {
            rows.last()
                .and_then(|last| serde_json::to_vec(&key(last)).ok())
                .map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
        } else {
            None
        };
        Page {
            items: rows,
            volgende,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            volgende: self.volgende,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(rename_all = "camelCase")]
    struct Filter {
        #[serde(default)]
        status: Option<String>,
        #[serde(flatten)]
        paging: Paging,
    }

    async fn read(uri: &str) -> Result<Filter, String> {
        let (mut parts, ()) = Request::builder().uri(uri).body(()).unwrap().into_parts();
        ApiQuery::<Filter>::from_request_parts(&mut parts, &())
            .await
            .map(|ApiQuery(filter)| filter)
            .map_err(|error| error.problem().detail)
    }

    #[tokio::test]
    async fn known_parameters_are_read_and_unknown_ones_refused_by_name_in_dutch() {
        let filter = read("/x?status=open&aantal=10").await.unwrap();
        assert_eq!(filter.status.as_deref(), Some("open"));
        assert_eq!(filter.paging.limit().unwrap(), 10);
        let refused = read("/x?stauts=open").await.unwrap_err();
        assert!(
            refused.contains("Onbekende parameter 'stauts'"),
            "{refused}"
        );
        assert!(refused.contains("aantal, na, status"), "{refused}");
        let refused = read("/x?aantal=veel")
            .await
            .unwrap()
            .paging
            .limit()
            .unwrap_err()
            .problem()
            .detail;
        assert!(refused.contains("'aantal'"), "{refused}");
        assert!(!refused.contains("veel"), "{refused}");
    }

    #[test]
    fn pages_follow_each_other_by_key_and_the_last_has_no_next() {
        let rows: Vec<u32> = (1..=5).collect();
        let page = Page::from_rows(rows, 3, |row| *row);
        assert_eq!(page.items, vec![1, 2, 3]);
        let paging = Paging {
            na: page.volgende.clone(),
            aantal: Some("3".into()),
        };
        assert_eq!(paging.after::<u32>().unwrap(), Some(3));
        let last = Page::from_rows(vec![4, 5], 3, |row| *row);
        assert!(last.volgende.is_none());
        let forged = Paging {
            na: Some("bla".into()),
            aantal: None,
        };
        assert!(forged.after::<u32>().is_err());
        let too_many = Paging {
            na: None,
            aantal: Some("500".into()),
        };
        assert!(too_many.limit().is_err());
    }
}
