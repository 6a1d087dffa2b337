//! Pass and voucher codes: which entitlement a code belongs to. A new code is registered before the
//! command that issues it; a code whose command then failed points at an entitlement without that
//! pass, and is as unknown as a code never issued.

use kindpakket_platform::store::{AggregateStore, LoadError};
use kindpakket_proto::GemeenteCode;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::entitlement::{code, Entitlement, NewPass};

/// Where a registered code belongs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CodeOwner {
    pub gemeente: String,
    pub entitlement_id: Uuid,
}

/// A new pass with a fresh random code, registered for the entitlement; issue it with a command.
pub async fn new_pass(
    pool: &PgPool,
    pass_id: Uuid,
    gemeente: &GemeenteCode,
    entitlement_id: Uuid,
) -> Result<NewPass, sqlx::Error> {
    let pass = NewPass {
        pass_id,
        code: code::generate(),
    };
    sqlx::query("INSERT INTO pass_codes (code, gemeente, entitlement_id) VALUES ($1, $2, $3)")
        .bind(&pass.code)
        .bind(gemeente.as_str())
        .bind(entitlement_id)
        .execute(pool)
        .await?;
    Ok(pass)
}

/// The gemeente and entitlement of a code, as stored (normalised).
pub async fn owner_of(pool: &PgPool, code: &str) -> Result<Option<CodeOwner>, sqlx::Error> {
    sqlx::query_as("SELECT gemeente, entitlement_id FROM pass_codes WHERE code = $1")
        .bind(code)
        .fetch_optional(pool)
        .await
}

/// What a code typed at a till leads to.
#[derive(Debug)]
pub enum Lookup {
    /// Not a code, never registered, or no pass of the entitlement it names.
    Unknown,
    /// A pass issued by another gemeente.
    OtherGemeente,
    Found(Box<FoundPass>),
}

/// A pass found by its code, with its entitlement as it is now.
#[derive(Debug)]
pub struct FoundPass {
    /// The code as stored.
    pub code: String,
    pub entitlement_id: Uuid,
    pub entitlement: Entitlement,
}

/// Finds the pass behind a code typed (carelessly, perhaps) in `gemeente`.
pub async fn look_up(
    pool: &PgPool,
    entitlements: &AggregateStore<Entitlement>,
    gemeente: &GemeenteCode,
    typed: &str,
) -> anyhow::Result<Lookup> {
    let Some(code) = code::normalise(typed) else {
        return Ok(Lookup::Unknown);
    };
    let Some(owner) = owner_of(pool, &code).await? else {
        return Ok(Lookup::Unknown);
    };
    if owner.gemeente != gemeente.as_str() {
        return Ok(Lookup::OtherGemeente);
    }
    let entitlement = match entitlements.load_in(gemeente, owner.entitlement_id).await {
        Ok(entitlement) => entitlement,
        Err(LoadError::NotFound(_)) => return Ok(Lookup::Unknown),
        Err(LoadError::Technical(cause)) => return Err(anyhow::anyhow!(cause)),
    };
    if entitlement.pass_with_code(&code).is_none() {
        return Ok(Lookup::Unknown);
    }
    Ok(Lookup::Found(Box::new(FoundPass {
        code,
        entitlement_id: owner.entitlement_id,
        entitlement,
    })))
}

/// Drops the codes of entitlements whose child was forgotten: their passes can no longer be found
/// at a till (what was spent stays; nothing more is). In the consumer's transaction.
pub async fn forget_entitlements(
    connection: &mut sqlx::PgConnection,
    entitlement_ids: &[Uuid],
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM pass_codes WHERE entitlement_id = ANY($1)")
            .bind(entitlement_ids)
            .execute(&mut *connection)
            .await?
            .rows_affected(),
    )
}
