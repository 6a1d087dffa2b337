//! A service's API: its routes and the OpenAPI 3.1 document derived from their handlers' types (aide).
//!
//! A service declares each endpoint once, in its `routes()`:
//! `.api_route("/api/v1/gemeenten/{gemeente}/signaleringen", post_with(signal_child, |op| op.summary("Een kind signaleren")))`.
//! The handler's argument types give the roles ([`super::InGemeente`]), the path parameters
//! ([`super::ApiPath`]) and the request body ([`super::ApiJson`]); its return type gives the answer
//! ([`super::Created`], `Json<T>`) and [`super::ApiError`] the problems.

use aide::axum::ApiRouter;
use aide::openapi::{
    Info, OpenApi, Parameter, ParameterData, ParameterSchemaOrContent, ReferenceOr, SchemaObject,
    SecurityScheme, Server,
};
use axum::Router;
use indexmap::IndexMap;

use super::caller::{ROLES_EXTENSION, SECURITY_SCHEME};
use super::conventions::API_VERSION;

/// What the document says of the service as a whole.
#[derive(Debug, Clone, Copy)]
pub struct ApiDescription {
    pub title: &'static str,
    pub description: &'static str,
}

/// Why a service's API cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("operation {method} {path} declares no roles: give its handler an InGemeente<R> or Authorized<R> argument")]
    NoRoles { method: String, path: String },
    #[error("the OpenAPI document of the API could not be generated: {0}")]
    Generation(String),
}

/// Turns the declared routes into the router and the document. Refuses an operation that declares
/// no roles: an endpoint is closed unless its handler says who may call it.
pub fn finish<S: Clone + Send + Sync + 'static>(
    routes: ApiRouter<S>,
    description: ApiDescription,
) -> Result<(Router<S>, OpenApi), DocumentError> {
    let errors = std::rc::Rc::new(std::cell::RefCell::new(Vec::<String>::new()));
    let collected = errors.clone();
    aide::generate::on_error(move |error| collected.borrow_mut().push(error.to_string()));
    let mut document = OpenApi {
        info: Info {
            title: description.title.to_owned(),
            description: Some(description.description.to_owned()),
            version: API_VERSION.to_owned(),
            ..Info::default()
        },
        servers: vec![Server {
            url: "/".to_owned(),
            ..Server::default()
        }],
        ..OpenApi::default()
    };
    let router = routes.finish_api_with(&mut document, |api| {
        api.security_scheme(
            SECURITY_SCHEME,
            SecurityScheme::Http {
                scheme: "bearer".to_owned(),
                bearer_format: Some("JWT".to_owned()),
                description: Some(
                    "Een token van de identity provider van de gemeente (lokaal: de ontwikkeluitgever), met organisatie, rol en gemeenten.".to_owned(),
                ),
                extensions: IndexMap::default(),
            },
        )
    });
    aide::generate::on_error(|_| {});
    let errors = errors.take();
    if !errors.is_empty() {
        return Err(DocumentError::Generation(errors.join("; ")));
    }
    add_correlation_header(&mut document);
    every_operation_declares_roles(&document)?;
    Ok((router, document))
}

/// Every operation takes the optional `X-Correlation-ID` header.
fn add_correlation_header(document: &mut OpenApi) {
    let json_schema = schemars::json_schema!({"type": "string", "format": "uuid"});
    for (_, path) in document
        .paths
        .iter_mut()
        .flat_map(|paths| paths.paths.iter_mut())
    {
        let ReferenceOr::Item(path) = path else {
            continue;
        };
        let operations = [
            &mut path.get,
            &mut path.put,
            &mut path.post,
            &mut path.delete,
            &mut path.patch,
        ];
        for operation in operations.into_iter().flatten() {
            operation
                .parameters
                .push(ReferenceOr::Item(Parameter::Header {
                    parameter_data: ParameterData {
                        name: "X-Correlation-ID".to_owned(),
                        description: Some(
                            "Volgt één zaak door alle diensten en logs; weglaten mag.".to_owned(),
                        ),
                        required: false,
                        format: ParameterSchemaOrContent::Schema(SchemaObject {
                            json_schema: json_schema.clone(),
                            example: None,
                            external_docs: None,
                        }),
                        extensions: IndexMap::default(),
                        deprecated: None,
                        example: None,
                        examples: IndexMap::default(),
                        explode: None,
                    },
                    style: aide::openapi::HeaderStyle::Simple,
                }));
        }
    }
}

fn every_operation_declares_roles(document: &OpenApi) -> Result<(), DocumentError> {
    for (path, item) in document.paths.iter().flat_map(|paths| paths.paths.iter()) {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, operation) in item.iter() {
            let declared = operation
                .extensions
                .get(ROLES_EXTENSION)
                .and_then(serde_json::Value::as_array)
                .is_some_and(|roles| !roles.is_empty());
            if !declared {
                return Err(DocumentError::NoRoles {
                    method: method.to_ascii_uppercase(),
                    path: path.clone(),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{ApiError, ApiJson, ApiPath, Created, InGemeente};
    use aide::axum::routing::{get_with, post_with};
    use axum::Json;

    crate::roles!(Regie = [Regievoerder]);

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[allow(dead_code, reason = "only its schema is used")]
    struct Body {
        naam: String,
    }
    #[derive(serde::Serialize, schemars::JsonSchema)]
    struct Answer {
        id: uuid::Uuid,
    }
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[allow(dead_code, reason = "only its schema is used")]
    struct Id {
        id: uuid::Uuid,
    }

    async fn create(
        _: InGemeente<Regie>,
        ApiJson(_): ApiJson<Body>,
    ) -> Result<Created<Answer>, ApiError> {
        Err(ApiError::not_found("niets"))
    }

    async fn read(_: InGemeente<Regie>, ApiPath(_): ApiPath<Id>) -> Result<Json<Answer>, ApiError> {
        Err(ApiError::not_found("niets"))
    }

    async fn open_to_all() -> Json<Answer> {
        Json(Answer {
            id: uuid::Uuid::nil(),
        })
    }

    const DESCRIPTION: ApiDescription = ApiDescription {
        title: "proef",
        description: "proef",
    };

    #[test]
    fn the_document_follows_from_the_handlers_types() {
        let routes: ApiRouter = ApiRouter::new()
            .api_route(
                "/api/v1/gemeenten/{gemeente}/dingen",
                post_with(create, |op| op.summary("Iets maken")),
            )
            .api_route(
                "/api/v1/gemeenten/{gemeente}/dingen/{id}",
                get_with(read, |op| op.summary("Iets lezen")),
            );
        let (_, document) = finish(routes, DESCRIPTION).expect("a valid document");
        let json = serde_json::to_value(&document).unwrap();
        if std::env::var("SHOW_DOCUMENT").is_ok() {
            println!("{}", serde_json::to_string_pretty(&json).unwrap());
        }
        let create = &json["paths"]["/api/v1/gemeenten/{gemeente}/dingen"]["post"];
        assert_eq!(create["x-rollen"], serde_json::json!(["regievoerder"]));
        assert_eq!(create["summary"], "Iets maken");
        assert!(create["requestBody"]["content"]["application/json"].is_object());
        assert!(create["responses"]["201"]["headers"]["Location"].is_object());
        for status in ["400", "401", "403", "404", "413", "415", "422"] {
            assert!(
                create["responses"][status]["content"]["application/problem+json"].is_object(),
                "{status}: {create}"
            );
        }
        let read = &json["paths"]["/api/v1/gemeenten/{gemeente}/dingen/{id}"]["get"];
        let parameters: Vec<&str> = read["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|parameter| parameter["name"].as_str().unwrap())
            .collect();
        assert_eq!(parameters, ["gemeente", "id", "X-Correlation-ID"]);
        assert!(read["responses"]["200"]["content"]["application/json"].is_object());
    }

    #[test]
    fn an_operation_without_roles_is_refused_at_start() {
        let routes: ApiRouter =
            ApiRouter::new().api_route("/api/v1/open", get_with(open_to_all, |op| op));
        let error = finish(routes, DESCRIPTION).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("GET /api/v1/open declares no roles"),
            "{error}"
        );
    }
}
