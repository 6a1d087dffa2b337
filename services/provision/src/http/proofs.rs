//! `/rechten/{id}/declaraties/{declaratie}/bewijs`: the proof document of a declaration (`docs/money.md`,
//! §3). Whoever submitted the declaration attaches a receipt while it is undecided; another one
//! replaces it (the latest counts, the older is deleted). Only regie, who judges the declaration,
//! and the auditor read it back.
//!
//! - The body is the document itself, `application/pdf`, `image/jpeg` or `image/png`, and its first
//!   bytes must say so (`%PDF-`, `FF D8 FF`, the PNG signature): 415 otherwise; larger than
//!   `KINDPAKKET_PROOF_MAX_BYTES` (5 MiB): 413. Both in Dutch, and nothing is stored.
//! - The bytes are sealed under the child's key ([`SubjectKeys::seal_document`]) into
//!   `proof_documents`; the entitlement records `ProofAttached` with the document's id, type, size
//!   and SHA-256 (the contract's event says only that a proof was attached). The bytes never reach
//!   an event, a stream or a log line.
//! - Forgetting the child destroys its keys (every copy, backups included, is unreadable) and
//!   deletes its rows ([`forget_child`]); the hourly retention sweep deletes the documents sealed
//!   in months past the retention period, as their keys are destroyed ([`sweep_by_age`]).
//! - Served as an attachment, with `X-Content-Type-Options: nosniff` and a sandboxing CSP, so that
//!   a crafted document cannot run in the reader's browser.

use aide::generate::GenContext;
use aide::openapi::{MediaType, Operation, RequestBody, Response, SchemaObject};
use aide::{OperationInput, OperationOutput};
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use futures::StreamExt;
use kindpakket_platform::clock;
use kindpakket_platform::http::{refused, ApiError, ApiPath, InGemeente};
use kindpakket_platform::service::Infrastructure;
use kindpakket_platform::shredding::{Opened, SealError, SealedBytes, RETENTION_SWEEP};
use kindpakket_proto::{ChildRef, Role};
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use super::entitlements::{
    child_of, declarant, entitlement_in, require_households, require_served_by, DeclarationPath,
};
use super::{AppState, Control, Declarants};
use crate::access::{as_projector, reading_as};
use crate::domain::entitlement::{
    AttachProof, Declaration, Entitlement, EntitlementCommand, ProofDocument,
};
use crate::notes::ForgottenChild;

/// The largest proof document when `KINDPAKKET_PROOF_MAX_BYTES` is not set: 5 MiB.
pub const DEFAULT_MAX_BYTES: usize = 5 * 1024 * 1024;

/// How much of a body that is too large is still read (and thrown away) before the 413, so that
/// the client that sends it reads the answer instead of a reset connection.
const DRAIN_FACTOR: usize = 4;

/// The kinds of document a proof may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofType {
    Pdf,
    Jpeg,
    Png,
}

impl ProofType {
    const ALL: [ProofType; 3] = [ProofType::Pdf, ProofType::Jpeg, ProofType::Png];

    pub fn content_type(self) -> &'static str {
        match self {
            ProofType::Pdf => "application/pdf",
            ProofType::Jpeg => "image/jpeg",
            ProofType::Png => "image/png",
        }
    }

    /// The first bytes every document of the type starts with.
    fn magic(self) -> &'static [u8] {
        match self {
            ProofType::Pdf => b"%PDF-",
            ProofType::Jpeg => &[0xFF, 0xD8, 0xFF],
            ProofType::Png => &[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
        }
    }

    fn extension(self) -> &'static str {
        match self {
            ProofType::Pdf => "pdf",
            ProofType::Jpeg => "jpg",
            ProofType::Png => "png",
        }
    }

    /// The type a `Content-Type` header names (parameters and case ignored).
    fn from_header(value: &str) -> Option<Self> {
        let mime = value.split(';').next()?.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|kind| kind.content_type() == mime)
    }

    fn from_stored(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.content_type() == value)
    }

    /// Whether `bytes` are a document of this type, by their first bytes.
    pub fn matches(self, bytes: &[u8]) -> bool {
        bytes.starts_with(self.magic())
    }
}

fn unsupported(detail: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Verkeerd inhoudstype",
        detail,
    )
}

const WRONG_TYPE: &str = "Stuur het bewijsstuk als pdf, jpeg of png, met dat type in de kopregel Content-Type (application/pdf, image/jpeg of image/png). Er is niets opgeslagen.";

fn too_large(max_bytes: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "Verzoek te groot",
        format!(
            "Het bewijsstuk is groter dan toegestaan (ten hoogste {max_bytes} bytes). Maak het kleiner, bijvoorbeeld als foto met een lagere resolutie. Er is niets opgeslagen."
        ),
    )
}

/// The body of a `PUT …/bewijs`: a document of an accepted type, its bytes checked against it, at
/// most the configured size. Read only after the caller's role was checked.
pub struct ProofUpload {
    pub kind: ProofType,
    pub bytes: Vec<u8>,
}

impl FromRequest<AppState> for ProofUpload {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let max_bytes = state.proof_max_bytes;
        let kind = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(ProofType::from_header)
            .ok_or_else(|| unsupported(WRONG_TYPE))?;
        let announced = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<usize>().ok());
        let mut stream = request.into_body().into_data_stream();
        let mut bytes = Vec::with_capacity(announced.unwrap_or(0).min(max_bytes));
        let mut received: usize = 0;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk
                .map_err(|_| ApiError::bad_request("Het bewijsstuk kon niet worden gelezen."))?;
            received = received.saturating_add(chunk.len());
            if received > max_bytes {
                // Too large: read on (and drop) a while, so the sender reads this answer.
                if received > max_bytes.saturating_mul(DRAIN_FACTOR) {
                    break;
                }
                bytes = Vec::new();
                continue;
            }
            bytes.extend_from_slice(&chunk);
        }
        if received > max_bytes {
            return Err(too_large(max_bytes));
        }
        if !kind.matches(&bytes) {
            return Err(unsupported(&format!(
                "De inhoud van het bewijsstuk is geen {}, terwijl de kopregel Content-Type dat zegt. Stuur een pdf, jpeg of png met het juiste type. Er is niets opgeslagen.",
                kind.extension()
            )));
        }
        Ok(Self { kind, bytes })
    }
}

/// The OpenAPI schema of a binary document.
fn binary_media() -> MediaType {
    MediaType {
        schema: Some(SchemaObject {
            json_schema: schemars::json_schema!({"type": "string", "format": "binary"}),
            example: None,
            external_docs: None,
        }),
        ..Default::default()
    }
}

impl OperationInput for ProofUpload {
    fn operation_input(_: &mut GenContext, operation: &mut Operation) {
        let mut body = RequestBody {
            description: Some(
                "Het bewijsstuk zelf (ten hoogste KINDPAKKET_PROOF_MAX_BYTES, standaard 5 MiB); de eerste bytes moeten bij het type passen.".to_owned(),
            ),
            required: true,
            ..Default::default()
        };
        for kind in ProofType::ALL {
            body.content
                .insert(kind.content_type().to_owned(), binary_media());
        }
        operation.request_body = Some(aide::openapi::ReferenceOr::Item(body));
    }
}

/// The proof attached to a declaration, as its submitter reads it back: that it is there, of what
/// type and size, and its digest; never the document.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProofView {
    #[serde(rename = "declaratie")]
    pub declaration_id: Uuid,
    /// The document's id: the same bytes attached again give the same id.
    #[serde(rename = "document")]
    pub document_id: Uuid,
    #[serde(rename = "type")]
    pub content_type: String,
    #[serde(rename = "grootteBytes")]
    pub size_bytes: u64,
    /// SHA-256 of the document, in hex.
    pub sha256: String,
}

/// The document as regie and the auditor download it.
pub struct ProofDownload {
    kind: ProofType,
    declaration_id: Uuid,
    bytes: Vec<u8>,
}

impl IntoResponse for ProofDownload {
    fn into_response(self) -> axum::response::Response {
        let disposition = format!(
            "attachment; filename=\"bewijs-{}.{}\"",
            self.declaration_id,
            self.kind.extension()
        );
        let mut response = (StatusCode::OK, self.bytes).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.kind.content_type()),
        );
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("sandbox; default-src 'none'"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

impl OperationOutput for ProofDownload {
    type Inner = Vec<u8>;

    fn operation_response(_: &mut GenContext, _: &mut Operation) -> Option<Response> {
        let mut response = Response {
            description: "Het bewijsstuk, als bijlage (Content-Disposition: attachment)".to_owned(),
            ..Default::default()
        };
        for kind in ProofType::ALL {
            response
                .content
                .insert(kind.content_type().to_owned(), binary_media());
        }
        Some(response)
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<aide::openapi::StatusCode>, Response)> {
        Self::operation_response(ctx, operation)
            .map(|response| vec![(Some(aide::openapi::StatusCode::Code(200)), response)])
            .unwrap_or_default()
    }
}

fn no_declaration() -> ApiError {
    ApiError::not_found("Deze declaratie bestaat niet bij dit recht, of u mag haar niet zien.")
}

fn declaration_of(entitlement: &Entitlement, declaration_id: Uuid) -> Option<&Declaration> {
    entitlement
        .declarations
        .iter()
        .find(|declaration| declaration.submitted.declaration_id == declaration_id)
}

/// Attaches (or replaces) the proof document of an undecided declaration, as its submitter: a
/// partner that serves the entitlement, the loket (regie) for a parent, a parent for their
/// household. Another partner or household finds no such declaration (404); regie is refused a
/// declaration it did not submit (403); a decided one is 409.
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, entitlement_id = %id, declaration_id = %declaration_id))]
pub async fn attach(
    State(state): State<AppState>,
    caller: InGemeente<Declarants>,
    ApiPath(DeclarationPath { id, declaration_id }): ApiPath<DeclarationPath>,
    upload: ProofUpload,
) -> Result<Json<ProofView>, ApiError> {
    let (id, entitlement) = entitlement_in(&state, &caller, id).await?;
    if caller.is(Role::Partner) {
        require_served_by(&state, &caller, &entitlement).await?;
    }
    if caller.is(Role::Applicant) {
        require_households(&state, &caller, id).await?;
    }
    let declarant = declarant(&caller);
    let declaration = declaration_of(&entitlement, declaration_id).ok_or_else(no_declaration)?;
    // A partner or parent sees only its own declarations: another's is as unknown as none.
    if matches!(caller.actor.role, Role::Partner | Role::Applicant)
        && declaration.submitted.submitted_by != declarant
    {
        return Err(no_declaration());
    }
    let child = child_of(&entitlement)?;
    let sha256 = hex(ring::digest::digest(&ring::digest::SHA256, &upload.bytes).as_ref());
    let document = ProofDocument {
        document_id: Uuid::new_v5(
            &declaration_id,
            format!("{}:{sha256}", upload.kind.content_type()).as_bytes(),
        ),
        content_type: upload.kind.content_type().to_owned(),
        size_bytes: upload.bytes.len() as u64,
        sha256,
        attached_by: declarant,
    };
    let sealed = state
        .keys
        .seal_document(child.0, &upload.bytes)
        .await
        .map_err(|error| match error {
            SealError::Forgotten => refused(&ForgottenChild),
            SealError::Technical(cause) => ApiError::internal(format!("{cause:#}")),
        })?;
    // One upload per declaration at a time, so an older document is never deleted after a newer
    // one was attached. The row commits before the command: the entitlement never names a
    // document that is not stored.
    let technical = |error: sqlx::Error| ApiError::internal(error);
    let mut lock = state.proof_locks.begin().await.map_err(technical)?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("kindpakket-proof:{declaration_id}"))
        .execute(&mut *lock)
        .await
        .map_err(technical)?;
    let inserted = store(
        &state,
        &caller.gemeente,
        id,
        declaration_id,
        &document,
        &sealed,
    )
    .await
    .map_err(technical)?;
    let command = EntitlementCommand::AttachProof(AttachProof {
        gemeente: caller.gemeente.clone(),
        declaration_id,
        document: document.clone(),
        attached_on: clock::today(),
    });
    let executed = state
        .entitlements
        .execute(id, command, &caller.command_context(&caller.gemeente))
        .await;
    if let Err(error) = executed {
        if inserted {
            remove(&state, declaration_id, None, Some(document.document_id))
                .await
                .map_err(technical)?;
        }
        return Err(error.into());
    }
    remove(&state, declaration_id, Some(document.document_id), None)
        .await
        .map_err(technical)?;
    lock.commit().await.map_err(technical)?;
    tracing::info!(document_id = %document.document_id, size_bytes = document.size_bytes, "proof attached");
    Ok(Json(ProofView {
        declaration_id,
        document_id: document.document_id,
        content_type: document.content_type,
        size_bytes: document.size_bytes,
        sha256: document.sha256,
    }))
}

/// Stores a sealed document (once: the same bytes again are the same row). Returns whether it was
/// new.
async fn store(
    state: &AppState,
    gemeente: &kindpakket_proto::GemeenteCode,
    entitlement_id: Uuid,
    declaration_id: Uuid,
    document: &ProofDocument,
    sealed: &SealedBytes,
) -> Result<bool, sqlx::Error> {
    let mut transaction = state.pool.begin().await?;
    as_projector(&mut transaction).await?;
    let inserted = sqlx::query(
        "INSERT INTO proof_documents (document_id, gemeente, entitlement_id, declaration_id, subject,
             epoch, content_type, size_bytes, nonce, sealed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (document_id) DO NOTHING",
    )
    .bind(document.document_id)
    .bind(gemeente.as_str())
    .bind(entitlement_id)
    .bind(declaration_id)
    .bind(sealed.subject)
    .bind(sealed.epoch)
    .bind(&document.content_type)
    .bind(i64::try_from(document.size_bytes).unwrap_or(i64::MAX))
    .bind(&sealed.nonce)
    .bind(&sealed.ciphertext)
    .execute(&mut *transaction)
    .await?
    .rows_affected()
        == 1;
    transaction.commit().await?;
    Ok(inserted)
}

/// Deletes a declaration's documents: all but `keep`, or only `only`.
async fn remove(
    state: &AppState,
    declaration_id: Uuid,
    keep: Option<Uuid>,
    only: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    let mut transaction = state.pool.begin().await?;
    as_projector(&mut transaction).await?;
    sqlx::query(
        "DELETE FROM proof_documents WHERE declaration_id = $1
             AND ($2::uuid IS NULL OR document_id <> $2)
             AND ($3::uuid IS NULL OR document_id = $3)",
    )
    .bind(declaration_id)
    .bind(keep)
    .bind(only)
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await
}

/// A stored document: its type and its sealed bytes.
#[derive(sqlx::FromRow)]
struct StoredDocument {
    content_type: String,
    subject: Uuid,
    epoch: i32,
    nonce: Vec<u8>,
    sealed: Vec<u8>,
}

fn gone() -> ApiError {
    ApiError::new(
        StatusCode::GONE,
        "Verwijderd",
        "Het bewijsstuk is verwijderd: het kind is vergeten, of de bewaartermijn is verstreken.",
    )
}

/// The proof document of a declaration, for regie (who judges it) and the auditor; read under
/// row-level security as the caller. The submitter sees that a proof is attached (the
/// declaration and the sample say so), never the document.
#[tracing::instrument(skip_all, fields(gemeente = %caller.gemeente, entitlement_id = %id, declaration_id = %declaration_id))]
pub async fn download(
    State(state): State<AppState>,
    caller: InGemeente<Control>,
    ApiPath(DeclarationPath { id, declaration_id }): ApiPath<DeclarationPath>,
) -> Result<ProofDownload, ApiError> {
    let (_, entitlement) = entitlement_in(&state, &caller, id).await?;
    let declaration = declaration_of(&entitlement, declaration_id).ok_or_else(no_declaration)?;
    let Some(document) = &declaration.proof_document else {
        return Err(ApiError::not_found(
            "Bij deze declaratie is (nog) geen bewijsstuk gevoegd.",
        ));
    };
    let technical = |error: sqlx::Error| ApiError::internal(error);
    let mut transaction = reading_as(&state.pool, &caller.actor, &caller.gemeente)
        .await
        .map_err(technical)?;
    let stored: Option<StoredDocument> = sqlx::query_as(
        "SELECT content_type, subject, epoch, nonce, sealed FROM proof_documents
         WHERE document_id = $1 AND declaration_id = $2",
    )
    .bind(document.document_id)
    .bind(declaration_id)
    .fetch_optional(&mut *transaction)
    .await
    .map_err(technical)?;
    transaction.commit().await.map_err(technical)?;
    let Some(stored) = stored else {
        return Err(gone());
    };
    let kind = ProofType::from_stored(&stored.content_type)
        .ok_or_else(|| ApiError::internal("a stored proof of an unknown type"))?;
    let sealed = SealedBytes {
        subject: stored.subject,
        epoch: stored.epoch,
        nonce: stored.nonce,
        ciphertext: stored.sealed,
    };
    let bytes = match state
        .keys
        .open_document(&sealed)
        .await
        .map_err(|error| ApiError::internal(format!("{error:#}")))?
    {
        Opened::Value(bytes) => bytes,
        Opened::Forgotten => return Err(gone()),
    };
    tracing::info!(document_id = %document.document_id, reader = %caller.actor.organisation, "proof document read");
    Ok(ProofDownload {
        kind,
        declaration_id,
        bytes,
    })
}

/// Deletes the proof documents of a forgotten child, in the consumer's transaction (which set the
/// projector); its keys were destroyed just before, so any copy is unreadable already.
pub async fn forget_child(
    connection: &mut PgConnection,
    child: ChildRef,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM proof_documents WHERE subject = $1")
            .bind(child.0)
            .execute(&mut *connection)
            .await?
            .rows_affected(),
    )
}

/// Deletes the documents sealed in months that ended more than `KINDPAKKET_RETENTION_DAYS` ago: the
/// same months whose keys [`kindpakket_platform::shredding::sweep_by_age`] destroys. Hourly, and at
/// start.
pub fn sweep_by_age(infrastructure: &mut Infrastructure) {
    let days = infrastructure.config.keys.retention_days;
    let pool = infrastructure.pool.clone();
    infrastructure.every("proof_retention", RETENTION_SWEEP, move || {
        let pool = pool.clone();
        async move {
            let cutoff = clock::today() - time::Duration::days(i64::from(days));
            let mut transaction = pool.begin().await?;
            as_projector(&mut transaction).await?;
            let deleted = sqlx::query("DELETE FROM proof_documents WHERE epoch < $1")
                .bind(clock::month_of(cutoff))
                .execute(&mut *transaction)
                .await?
                .rows_affected();
            transaction.commit().await?;
            if deleted > 0 {
                tracing::info!(deleted, %cutoff, "deleted proof documents past retention");
            }
            Ok(())
        }
    });
}

/// The connections for the upload locks: at most four, opened when first needed, to the service's
/// own database.
pub fn lock_pool(pool: &sqlx::PgPool) -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(std::time::Duration::from_secs(30))
        .connect_lazy_with((*pool.connect_options()).clone())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_of_its_type_only_when_its_first_bytes_say_so() {
        assert!(ProofType::Pdf.matches(b"%PDF-1.7\n..."));
        assert!(!ProofType::Pdf.matches(b"MZ\x90\x00 an executable"));
        assert!(!ProofType::Pdf.matches(b""));
        assert!(ProofType::Jpeg.matches(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]));
        assert!(!ProofType::Jpeg.matches(&[0xFF, 0xD8]));
        assert!(ProofType::Png.matches(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]));
        assert!(!ProofType::Png.matches(b"%PDF-"));
        assert_eq!(
            ProofType::from_header("Application/PDF; charset=binary"),
            Some(ProofType::Pdf)
        );
        assert_eq!(ProofType::from_header("image/gif"), None);
        assert_eq!(ProofType::from_header("application/json"), None);
    }
}
