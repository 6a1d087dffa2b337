//! Typed answers: the handler's return type is the documented response, so the document cannot say
//! other than what is sent.

use aide::generate::GenContext;
use aide::openapi::{
    Header, HeaderStyle, MediaType, Operation, ParameterSchemaOrContent, ReferenceOr, Response,
    SchemaObject, StatusCode as DocumentedStatus,
};
use aide::OperationOutput;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Serialize;

/// `201 Created`, with the new resource's URL in `Location` and `T` as the body.
#[derive(Debug, Clone)]
pub struct Created<T> {
    pub location: String,
    pub body: T,
}

impl<T> Created<T> {
    pub fn at(location: impl Into<String>, body: T) -> Self {
        Self {
            location: location.into(),
            body,
        }
    }
}

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> axum::response::Response {
        (
            StatusCode::CREATED,
            [(header::LOCATION, self.location)],
            Json(self.body),
        )
            .into_response()
    }
}

impl<T: JsonSchema> OperationOutput for Created<T> {
    type Inner = T;

    fn operation_response(ctx: &mut GenContext, _: &mut Operation) -> Option<Response> {
        let json_schema = ctx.schema.subschema_for::<T>();
        let location = ctx.schema.subschema_for::<String>();
        Some(Response {
            description: "Aangemaakt; Location wijst naar het nieuwe".to_owned(),
            headers: IndexMap::from_iter([(
                "Location".to_owned(),
                ReferenceOr::Item(Header {
                    description: Some("De URL van wat is aangemaakt".to_owned()),
                    style: HeaderStyle::Simple,
                    required: true,
                    deprecated: None,
                    format: ParameterSchemaOrContent::Schema(SchemaObject {
                        json_schema: location,
                        example: None,
                        external_docs: None,
                    }),
                    example: None,
                    examples: IndexMap::default(),
                    extensions: IndexMap::default(),
                }),
            )]),
            content: IndexMap::from_iter([(
                "application/json".to_owned(),
                MediaType {
                    schema: Some(SchemaObject {
                        json_schema,
                        example: None,
                        external_docs: None,
                    }),
                    ..Default::default()
                },
            )]),
            ..Default::default()
        })
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<DocumentedStatus>, Response)> {
        Self::operation_response(ctx, operation)
            .map(|response| vec![(Some(DocumentedStatus::Code(201)), response)])
            .unwrap_or_default()
    }
}

/// `201 Created` for something recorded that has no URL of its own (a delivery against an
/// entitlement, a redemption of a pass): no `Location`, `T` as the body.
#[derive(Debug, Clone)]
pub struct Recorded<T>(pub T);

impl<T: Serialize> IntoResponse for Recorded<T> {
    fn into_response(self) -> axum::response::Response {
        (StatusCode::CREATED, Json(self.0)).into_response()
    }
}

impl<T: JsonSchema> OperationOutput for Recorded<T> {
    type Inner = T;

    fn operation_response(ctx: &mut GenContext, operation: &mut Operation) -> Option<Response> {
        let mut response = Json::<T>::operation_response(ctx, operation)?;
        response.description = "Vastgelegd".to_owned();
        Some(response)
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<DocumentedStatus>, Response)> {
        Self::operation_response(ctx, operation)
            .map(|response| vec![(Some(DocumentedStatus::Code(201)), response)])
            .unwrap_or_default()
    }
}
