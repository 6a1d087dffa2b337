//! One-time links: how a partner without an account answers a referral (`docs/chain.md`).
//!
//! The regievoerder makes a link for a signal referred to a partner. Its token is 32 random bytes
//! (base64url, in the URL); only its SHA-256 is kept (`links`), with the signal, the partner it is
//! for, who made it and until when it holds (14 days by default). Opening it shows the minimum to
//! act on; answering it gives the signal a command as that partner, with the link's id and the time
//! on the event ([`LinkUse`]): the audit.
//!
//! **Single use, crash-safe.** A link is spent by the event that names it, committed with the
//! answer's effect in one transaction of the event store: the signal refuses a second answer
//! through a link already on one of its events ([`SignalError::LinkUsed`]), and two answers at once
//! race on the aggregate's sequence (the loser reloads, sees the link spent, and is refused). The
//! `used_at` column is written after the commit, to answer a spent link without loading the signal;
//! a crash before it is harmless, as the signal still says the link is spent. An answer that is
//! refused (the signal was closed meanwhile) stores nothing and spends nothing.
//!
//! Unknown token: 404. Expired, spent, or for a partner the signal is no longer referred to: 410.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use kindpakket_platform::db::Migration;
use kindpakket_platform::refusal::{Refusal, RefusalKind};
use kindpakket_platform::store::{AggregateStore, CommandContext, CommandError, LoadError};
use kindpakket_proto::signalling::{Referral, SignalOutcome};
use kindpakket_proto::{Actor, GemeenteCode, OrganisationId, Role};
use ring::digest::{digest, SHA256};
use ring::rand::{SecureRandom, SystemRandom};
use sqlx::PgPool;
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use crate::domain::signal::{
    Accept, Acting, HandBack, LinkUse, RecordOutcome, Signal, SignalCommand, SignalDetails,
    SignalError, Stage,
};

pub const LINKS_MIGRATION: Migration = Migration {
    name: "0240_links",
    sql: r#"
        CREATE TABLE links (
            link_id     uuid PRIMARY KEY,
            token_hash  bytea NOT NULL UNIQUE,
            gemeente    text NOT NULL,
            signal_id   uuid NOT NULL,
            partner     text NOT NULL,
            made_by     text NOT NULL,
            made_at     timestamptz NOT NULL,
            valid_until timestamptz NOT NULL,
            used_at     timestamptz
        );
        CREATE INDEX links_signal ON links (signal_id);
    "#,
};

/// How long a link holds unless told otherwise.
pub const DEFAULT_VALID_DAYS: i64 = 14;
/// A token's length in characters: 32 bytes in unpadded base64url.
pub const TOKEN_LEN: usize = 43;

/// Why a link was not made, opened or answered. Dutch, for the caller; never repeats the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefusal {
    #[error("Deze link bestaat niet. Controleer of u de hele link hebt gebruikt.")]
    Unknown,
    #[error("Deze link is verlopen. Vraag de regievoerder van de gemeente om een nieuwe. Er is niets veranderd.")]
    Expired,
    #[error("Deze link is al gebruikt; een link werkt één keer. Er is niets veranderd.")]
    Used,
    #[error("Deze verwijzing is intussen naar een ander gegaan; deze link geldt niet meer. Er is niets veranderd.")]
    Moved,
    #[error("Een eenmalige link is er alleen voor een verwijzing naar een partner die nog open staat. Er is niets veranderd.")]
    NotForPartner,
}

impl LinkRefusal {
    /// The HTTP status: 404 unknown, 410 gone, 409 for a link that cannot be made.
    pub fn status(self) -> u16 {
        match self {
            LinkRefusal::Unknown => 404,
            LinkRefusal::Expired | LinkRefusal::Used | LinkRefusal::Moved => 410,
            LinkRefusal::NotForPartner => 409,
        }
    }
}

impl Refusal for LinkRefusal {
    fn kind(&self) -> RefusalKind {
        match self {
            LinkRefusal::Unknown => RefusalKind::NotFound,
            _ => RefusalKind::Conflict,
        }
    }
}

/// Why a link's step failed.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("{0}")]
    Refused(LinkRefusal),
    #[error("{0}")]
    Unknown(LoadError),
    #[error("{0}")]
    Command(CommandError<SignalError>),
    #[error("links could not be read or written: {0}")]
    Technical(#[from] sqlx::Error),
    #[error("no random bytes for a token")]
    Random,
}

/// A link as it was made: the token (given once, never kept) and until when it holds.
#[derive(Debug, Clone)]
pub struct MadeLink {
    pub token: String,
    pub valid_until: OffsetDateTime,
}

/// The SHA-256 of a token: all that is kept of it.
pub fn token_hash(token: &str) -> Vec<u8> {
    digest(&SHA256, token.as_bytes()).as_ref().to_vec()
}

fn new_token() -> Result<String, LinkError> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| LinkError::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Makes a link for the partner the signal is referred to now; refused for the loket and for a
/// closed signal.
pub async fn make_link(
    pool: &PgPool,
    signals: &AggregateStore<Signal>,
    gemeente: &GemeenteCode,
    signal_id: Uuid,
    made_by: &OrganisationId,
    now: OffsetDateTime,
    valid_for: Duration,
) -> Result<MadeLink, LinkError> {
    let signal = signals
        .load_in(gemeente, signal_id)
        .await
        .map_err(LinkError::Unknown)?;
    let partner = match (&signal.referral, &signal.stage) {
        (_, Stage::Closed | Stage::HandedBack { .. }) => None,
        (Some(Referral::Partner { partner }), _) => Some(partner.clone()),
        _ => None,
    }
    .ok_or(LinkError::Refused(LinkRefusal::NotForPartner))?;
    let token = new_token()?;
    let valid_until = now + valid_for;
    sqlx::query(
        "INSERT INTO links (link_id, token_hash, gemeente, signal_id, partner, made_by, made_at,
                            valid_until)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(Uuid::new_v4())
    .bind(token_hash(&token))
    .bind(gemeente.as_str())
    .bind(signal_id)
    .bind(partner.as_str())
    .bind(made_by.as_str())
    .bind(now)
    .bind(valid_until)
    .execute(pool)
    .await?;
    Ok(MadeLink { token, valid_until })
}

/// A link found by its token.
#[derive(Debug, Clone, sqlx::FromRow)]
struct LinkRow {
    link_id: Uuid,
    gemeente: String,
    signal_id: Uuid,
    partner: String,
    valid_until: OffsetDateTime,
    used_at: Option<OffsetDateTime>,
}

/// What a link holder may see and act on: the link, and the signal as it stands.
#[derive(Debug, Clone)]
pub struct Opened {
    pub link_id: Uuid,
    pub gemeente: GemeenteCode,
    pub partner: OrganisationId,
    pub details: SignalDetails,
    pub due_on: Option<Date>,
}

/// The link of `token`, when it still holds at `now`: known, not expired, not spent, and the signal
/// still referred to its partner.
pub async fn open(
    pool: &PgPool,
    signals: &AggregateStore<Signal>,
    token: &str,
    now: OffsetDateTime,
) -> Result<Opened, LinkError> {
    let refused = |refusal| LinkError::Refused(refusal);
    if token.len() != TOKEN_LEN {
        return Err(refused(LinkRefusal::Unknown));
    }
    let row: Option<LinkRow> = sqlx::query_as(
        "SELECT link_id, gemeente, signal_id, partner, valid_until, used_at
           FROM links WHERE token_hash = $1",
    )
    .bind(token_hash(token))
    .fetch_optional(pool)
    .await?;
    let row = row.ok_or(refused(LinkRefusal::Unknown))?;
    if row.used_at.is_some() {
        return Err(refused(LinkRefusal::Used));
    }
    if now > row.valid_until {
        return Err(refused(LinkRefusal::Expired));
    }
    let (Ok(gemeente), Ok(partner)) = (
        GemeenteCode::parse(&row.gemeente),
        OrganisationId::parse(&row.partner),
    ) else {
        return Err(refused(LinkRefusal::Unknown));
    };
    let signal = signals
        .load_in(&gemeente, row.signal_id)
        .await
        .map_err(LinkError::Unknown)?;
    if signal.link_used(row.link_id) {
        return Err(refused(LinkRefusal::Used));
    }
    if !signal.is_addressee(&partner, false) {
        return Err(refused(LinkRefusal::Moved));
    }
    let details = signal
        .details
        .clone()
        .ok_or(refused(LinkRefusal::Unknown))?;
    Ok(Opened {
        link_id: row.link_id,
        gemeente,
        partner,
        details,
        due_on: signal.due_on,
    })
}

/// What a partner answers through a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accepted,
    HandedBack,
    Outcome(SignalOutcome),
}

/// Answers through the link of `token` as its partner; the link is spent with the answer's events.
pub async fn answer(
    pool: &PgPool,
    signals: &AggregateStore<Signal>,
    token: &str,
    answer: Answer,
    now: OffsetDateTime,
    correlation_id: Uuid,
) -> Result<Opened, LinkError> {
    let opened = open(pool, signals, token, now).await?;
    let by = Acting {
        gemeente: opened.gemeente.clone(),
        organisation: opened.partner.clone(),
        as_loket: false,
        via_link: Some(LinkUse {
            link_id: opened.link_id,
            at: now,
        }),
    };
    let today = now.date();
    let command = match answer {
        Answer::Accepted => SignalCommand::Accept(Accept { by, on: today }),
        Answer::HandedBack => SignalCommand::HandBack(HandBack {
            by,
            on: today,
            reason: None,
        }),
        Answer::Outcome(outcome) => SignalCommand::RecordOutcome(RecordOutcome {
            by,
            outcome,
            recorded_on: today,
        }),
    };
    let context = CommandContext {
        gemeente: opened.gemeente.clone(),
        actor: Actor {
            organisation: opened.partner.clone(),
            role: Role::Partner,
        },
        correlation_id,
        causation_id: None,
    };
    match signals
        .execute(opened.details.signal_id, command, &context)
        .await
    {
        Ok(()) => {}
        Err(CommandError::Rejected(SignalError::LinkUsed)) => {
            return Err(LinkError::Refused(LinkRefusal::Used))
        }
        Err(CommandError::Rejected(SignalError::NotAddressee)) => {
            return Err(LinkError::Refused(LinkRefusal::Moved))
        }
        Err(error) => return Err(LinkError::Command(error)),
    }
    // The signal says the link is spent; this only spares the next opening a load.
    if let Err(error) = sqlx::query("UPDATE links SET used_at = $2 WHERE link_id = $1")
        .bind(opened.link_id)
        .bind(now)
        .execute(pool)
        .await
    {
        tracing::warn!(%error, "a spent link could not be marked; the signal still refuses it");
    }
    Ok(opened)
}
