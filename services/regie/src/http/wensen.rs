//! `/wensen`: a parent, a partner, a signaller (a school, a wijkteam) or the regievoerder (entering
//! paper forms) sends in what the package lacks, in one category and without free text. The
//! dashboard groups them for the kwartaaloverleg; nobody reads one wish back.

use axum::extract::State;
use axum::Json;
use kindpakket_platform::clock;
use kindpakket_platform::http::vocabulary::{WishCategoryDto, WishSourceDto};
use kindpakket_platform::http::{ApiError, ApiJson, InGemeente};
use kindpakket_proto::schema::DateSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use super::{AppState, WishSenders};
use crate::domain::wish::{may_send, SubmitWish, WishCommand};

/// One wish. No free text: a text could name a child or a family.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WishRequest {
    /// Chosen by the sender (a UUID); the same wish sent again under it changes nothing.
    pub id: Uuid,
    /// `sport`, `cultuur_muziek`, `zwemles`, `schoolspullen`, `laptop_internet`,
    /// `kleding_schoenen`, `fiets`, `uitjes_vakantie`, `verjaardag` or `anders`.
    #[serde(rename = "categorie")]
    pub category: WishCategoryDto,
    /// Whose wish: `kind` (the child's own, entered on its behalf), `ouder`, `partner`, `school` or
    /// `wijkteam`. A parent sends `ouder` or `kind`; a partner `partner` or `kind`; a signaller
    /// `school`, `wijkteam` or `kind`; the regievoerder any.
    #[serde(rename = "van")]
    pub from: WishSourceDto,
}

/// The wish as it was taken in.
#[derive(Debug, Serialize, JsonSchema)]
pub struct WishView {
    pub id: Uuid,
    #[serde(rename = "categorie")]
    pub category: WishCategoryDto,
    #[serde(rename = "van")]
    pub from: WishSourceDto,
    /// The day it was taken in.
    #[serde(rename = "ingediendOp")]
    #[schemars(with = "DateSchema")]
    pub submitted_on: Date,
}

#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente))]
pub async fn submit_wish(
    State(state): State<AppState>,
    caller: InGemeente<WishSenders>,
    ApiJson(request): ApiJson<WishRequest>,
) -> Result<Json<WishView>, ApiError> {
    let gemeente = &caller.gemeente;
    let role = caller.caller.actor.role;
    // Checked here too, so that a refused wish never touches the store.
    may_send(role, request.from.into()).map_err(|error| {
        ApiError::from(kindpakket_platform::store::CommandError::Rejected(error))
    })?;
    let command = WishCommand::Submit(SubmitWish {
        wish_id: request.id,
        gemeente: gemeente.clone(),
        category: request.category.into(),
        from: request.from.into(),
        sent_by: role,
        submitted_on: clock::today(),
    });
    state
        .wishes
        .execute(request.id, command, &caller.command_context(gemeente))
        .await?;
    let wish = state
        .wishes
        .load_in(gemeente, request.id)
        .await?
        .submitted
        .ok_or_else(|| ApiError::internal("a wish taken in without its event"))?;
    Ok(Json(WishView {
        id: wish.wish_id,
        category: wish.category.into(),
        from: wish.from.into(),
        submitted_on: wish.submitted_on,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_wish_reads_in_dutch_and_has_no_room_for_text() {
        let request: WishRequest = serde_json::from_value(json!({
            "id": "6f1c2a4e-0000-4000-8000-000000000016", "categorie": "zwemles", "van": "kind"
        }))
        .unwrap();
        assert_eq!(
            kindpakket_proto::regie::WishCategory::from(request.category),
            kindpakket_proto::regie::WishCategory::SwimmingLessons
        );
        assert_eq!(
            kindpakket_proto::regie::WishSource::from(request.from),
            kindpakket_proto::regie::WishSource::Child
        );
        for wrong in [
            json!({"id": "6f1c2a4e-0000-4000-8000-000000000016", "categorie": "zwemmen", "van": "kind"}),
            json!({"id": "6f1c2a4e-0000-4000-8000-000000000016", "categorie": "zwemles", "van": "buurman"}),
            json!({"id": "niet-een-uuid", "categorie": "zwemles", "van": "kind"}),
            json!({"id": "6f1c2a4e-0000-4000-8000-000000000016", "categorie": "zwemles", "van": "kind",
                   "toelichting": "Jan (8) wil op zwemles"}),
        ] {
            assert!(
                serde_json::from_value::<WishRequest>(wrong.clone()).is_err(),
                "{wrong}"
            );
        }
    }
}
