//! Who calls, and whether they may.
//!
//! A handler says who may call it by the type of its first argument: [`InGemeente<R>`] for an
//! operation on one gemeente's data (`/gemeenten/{gemeente}/…`), [`Authorized<R>`] for one that is not.
//! `R` is a role set declared with [`roles!`](crate::roles). From that one type follow the bearer
//! token check (401), the role check (403) and the gemeente check (403), all before the request body
//! is read, and the operation's `x-rollen`, security requirement and `gemeente` parameter in the
//! OpenAPI document: the document and the enforcement cannot drift.

use std::marker::PhantomData;
use std::sync::Arc;

use aide::generate::GenContext;
use aide::openapi::{
    Operation, Parameter, ParameterData, ParameterSchemaOrContent, Response, SchemaObject,
    SecurityRequirement, StatusCode as DocumentedStatus,
};
use aide::OperationInput;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use indexmap::IndexMap;
use kindpakket_proto::{Actor, GemeenteCode, Role};
use uuid::Uuid;

use super::conventions::CorrelationId;
use super::problem::{problems, ApiError};
use crate::auth::Authenticator;
use crate::store::CommandContext;

/// The name of the security scheme in every document: a bearer JWT of the identity provider.
pub const SECURITY_SCHEME: &str = "bearer";

/// The OpenAPI extension that lists the roles an operation allows.
pub const ROLES_EXTENSION: &str = "x-rollen";

/// Who calls, as the verified bearer token says: the organisation, the role, the gemeenten it acts
/// for, and for a parent their household.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    /// Who acts at the identity provider (the token's `sub`), for the audit log.
    pub subject: String,
    /// The gemeenten the caller acts for; every request is scoped to one of them.
    pub gemeenten: Vec<GemeenteCode>,
    /// For a parent: the household the login established; they act for it alone.
    pub household: Option<Uuid>,
    pub correlation_id: Uuid,
}

impl Caller {
    /// The verified caller of a request (checked once per request, then kept in its extensions).
    pub async fn of(parts: &mut Parts) -> Result<Self, ApiError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let authenticator = parts
            .extensions
            .get::<Arc<Authenticator>>()
            .cloned()
            .ok_or_else(|| ApiError::internal("no authenticator configured"))?;
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "Meld u aan: stuur een geldig token mee in de kopregel Authorization: Bearer <token>.",
                )
            })?;
        let identity = authenticator
            .verify(token)
            .map_err(|error| ApiError::unauthorized(error.to_string()))?;
        let correlation_id = parts
            .extensions
            .get::<CorrelationId>()
            .map_or_else(Uuid::new_v4, |id| id.0);
        let caller = Caller {
            subject: identity.subject,
            actor: Actor {
                organisation: identity.organisation,
                role: identity.role,
            },
            gemeenten: identity.gemeenten,
            household: identity.household,
            correlation_id,
        };
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }

    /// Refuses the request unless the caller acts in one of `allowed`.
    pub fn require(&self, allowed: &[Role]) -> Result<(), ApiError> {
        if allowed.contains(&self.actor.role) {
            return Ok(());
        }
        let names: Vec<&str> = allowed.iter().map(Role::dutch_name).collect();
        Err(ApiError::forbidden(format!(
            "Deze handeling is voorbehouden aan: {}. U handelt als {}.",
            names.join(", "),
            self.actor.role.dutch_name()
        )))
    }

    /// The gemeente named in a request, when the caller acts for it; otherwise 403 and nothing else.
    pub fn acts_for(&self, gemeente: &GemeenteCode) -> Result<(), ApiError> {
        if self.gemeenten.contains(gemeente) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "U handelt niet namens de gemeente in deze URL; uw aanmelding geldt niet voor die gemeente.",
            ))
        }
    }

    /// Whether the caller acts in `role`.
    pub fn is(&self, role: Role) -> bool {
        self.actor.role == role
    }

    /// The context written onto the events of a command this caller asks for.
    pub fn command_context(&self, gemeente: &GemeenteCode) -> CommandContext {
        CommandContext {
            gemeente: gemeente.clone(),
            actor: self.actor.clone(),
            correlation_id: self.correlation_id,
            causation_id: None,
        }
    }
}

/// A set of roles that may call an operation. Declare one with [`roles!`](crate::roles).
pub trait Roles: Send + Sync + 'static {
    const ROLES: &'static [Role];
}

/// Declares a role set: `roles!(pub Signallers = [Signaller, Partner, Regievoerder]);`
#[macro_export]
macro_rules! roles {
    ($(#[$doc:meta])* $vis:vis $name:ident = [$($role:ident),+ $(,)?]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        $vis struct $name;
        impl $crate::http::Roles for $name {
            const ROLES: &'static [kindpakket_proto::Role] = &[$(kindpakket_proto::Role::$role),+];
        }
    };
}

/// A caller in one of the roles of `R`, for an operation that is not about one gemeente.
#[derive(Debug, Clone)]
pub struct Authorized<R> {
    pub caller: Caller,
    roles: PhantomData<R>,
}

impl<S: Send + Sync, R: Roles> FromRequestParts<S> for Authorized<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let caller = Caller::of(parts).await?;
        caller.require(R::ROLES)?;
        Ok(Self {
            caller,
            roles: PhantomData,
        })
    }
}

/// A caller in one of the roles of `R`, acting for the `{gemeente}` of the path.
#[derive(Debug, Clone)]
pub struct InGemeente<R> {
    pub caller: Caller,
    pub gemeente: GemeenteCode,
    roles: PhantomData<R>,
}

impl<S: Send + Sync, R: Roles> FromRequestParts<S> for InGemeente<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let caller = Caller::of(parts).await?;
        caller.require(R::ROLES)?;
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .ok()
            .and_then(|params| {
                params
                    .iter()
                    .find(|(name, _)| *name == "gemeente")
                    .map(|(_, value)| value.to_owned())
            })
            .ok_or_else(|| {
                ApiError::internal("a gemeente operation without {gemeente} in its path")
            })?;
        let gemeente = GemeenteCode::parse(&raw).map_err(|_| {
            ApiError::bad_request(
                "De gemeente in de URL is geen CBS-code: gebruik GM gevolgd door vier cijfers (bijvoorbeeld GM0518).",
            )
        })?;
        caller.acts_for(&gemeente)?;
        Ok(Self {
            caller,
            gemeente,
            roles: PhantomData,
        })
    }
}

impl<R> std::ops::Deref for InGemeente<R> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.caller
    }
}

impl<R> std::ops::Deref for Authorized<R> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.caller
    }
}

/// The security requirement and `x-rollen` of an operation that `R` may call.
fn document_roles<R: Roles>(operation: &mut Operation) {
    let roles: Vec<&str> = R::ROLES.iter().map(Role::as_str).collect();
    operation
        .extensions
        .insert(ROLES_EXTENSION.to_owned(), serde_json::json!(roles));
    operation.security = vec![SecurityRequirement::from_iter([(
        SECURITY_SCHEME.to_owned(),
        Vec::new(),
    )])];
}

fn refusals(ctx: &mut GenContext) -> Vec<(Option<DocumentedStatus>, Response)> {
    problems(
        ctx,
        &[
            (401, "Geen of geen geldig token"),
            (403, "Deze rol of gemeente mag dit niet"),
        ],
    )
}

impl<R: Roles> OperationInput for Authorized<R> {
    fn operation_input(_: &mut GenContext, operation: &mut Operation) {
        document_roles::<R>(operation);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _: &mut Operation,
    ) -> Vec<(Option<DocumentedStatus>, Response)> {
        refusals(ctx)
    }
}

impl<R: Roles> OperationInput for InGemeente<R> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        document_roles::<R>(operation);
        let json_schema = ctx.schema.subschema_for::<GemeenteCode>();
        operation
            .parameters
            .push(aide::openapi::ReferenceOr::Item(Parameter::Path {
                parameter_data: ParameterData {
                    name: "gemeente".to_owned(),
                    description: Some(
                        "De CBS-code van de gemeente, bijvoorbeeld GM0518.".to_owned(),
                    ),
                    required: true,
                    format: ParameterSchemaOrContent::Schema(SchemaObject {
                        json_schema,
                        example: None,
                        external_docs: None,
                    }),
                    extensions: IndexMap::default(),
                    deprecated: None,
                    example: None,
                    examples: IndexMap::default(),
                    explode: None,
                },
                style: aide::openapi::PathStyle::Simple,
            }));
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _: &mut Operation,
    ) -> Vec<(Option<DocumentedStatus>, Response)> {
        refusals(ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller() -> Caller {
        Caller {
            actor: Actor {
                organisation: kindpakket_proto::OrganisationId::parse("wijkteam-centrum").unwrap(),
                role: Role::Signaller,
            },
            subject: "medewerker-1".to_owned(),
            gemeenten: vec![GemeenteCode::parse("GM0518").unwrap()],
            household: None,
            correlation_id: Uuid::nil(),
        }
    }

    #[test]
    fn callers_outside_the_allowed_roles_or_gemeenten_are_refused_in_dutch() {
        let caller = caller();
        assert!(caller
            .acts_for(&GemeenteCode::parse("GM0518").unwrap())
            .is_ok());
        let elsewhere = caller
            .acts_for(&GemeenteCode::parse("GM0363").unwrap())
            .unwrap_err();
        assert_eq!(elsewhere.status, axum::http::StatusCode::FORBIDDEN);
        assert!(elsewhere.detail.contains("niet namens de gemeente"));
        assert!(!elsewhere.detail.contains("GM0363"));
        assert!(caller
            .require(&[Role::Signaller, Role::Regievoerder])
            .is_ok());
        let refused = caller.require(&[Role::Regievoerder]).unwrap_err();
        assert_eq!(refused.status, axum::http::StatusCode::FORBIDDEN);
        assert_eq!(
            refused.detail,
            "Deze handeling is voorbehouden aan: regievoerder. U handelt als signaleerder."
        );
    }
}
