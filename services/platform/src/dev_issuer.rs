//! The development issuer: signs tokens for any organisation, role and gemeenten, so that the
//! platform can be tried locally and tested with real bearer tokens. Compiled only with the
//! `dev-issuer` feature (the test tooling and `scripts/run.sh` use it) and in tests: it is not in a
//! service built for production, and its binary is built only with the feature.

use std::path::Path;

use anyhow::Result;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::signature::{Ed25519KeyPair, KeyPair};

use crate::auth::{Audience, Claims, AUDIENCE, DEV_ISSUER};

/// The development issuer: an Ed25519 key of its own, its JWKS, and tokens signed with it. Never for
/// production: whoever holds its key file can act as anyone.
pub struct DevIssuer {
    pkcs8: Vec<u8>,
    public: Vec<u8>,
    kid: String,
}

impl std::fmt::Debug for DevIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevIssuer")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl DevIssuer {
    pub fn generate() -> Result<Self> {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|_| anyhow::anyhow!("cannot generate an Ed25519 key"))?;
        Self::from_pkcs8(pkcs8.as_ref().to_vec())
    }

    pub fn from_pkcs8(pkcs8: Vec<u8>) -> Result<Self> {
        let pair = Ed25519KeyPair::from_pkcs8(&pkcs8)
            .map_err(|_| anyhow::anyhow!("not an Ed25519 PKCS#8 key"))?;
        let public = pair.public_key().as_ref().to_vec();
        let kid = URL_SAFE_NO_PAD.encode(&public[..8]);
        Ok(Self { pkcs8, public, kid })
    }

    /// Loads the key of `dir`, or makes one there: `issuer.key` (PKCS#8) and `jwks.json`.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let key_path = dir.join("issuer.key");
        let issuer = match std::fs::read(&key_path) {
            Ok(pkcs8) => Self::from_pkcs8(pkcs8)?,
            Err(_) => {
                let issuer = Self::generate()?;
                std::fs::write(&key_path, &issuer.pkcs8)?;
                issuer
            }
        };
        std::fs::write(dir.join("jwks.json"), issuer.jwks().to_string())?;
        Ok(issuer)
    }

    /// The public key set services verify with.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({"keys": [{
            "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA",
            "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(&self.public),
        }]})
    }

    /// A token for `organisation` in `role` acting for `gemeenten`, valid for `ttl_seconds`.
    pub fn mint(
        &self,
        organisation: &str,
        role: &str,
        gemeenten: &[&str],
        ttl_seconds: i64,
    ) -> String {
        self.mint_claims(&self.claims(organisation, role, gemeenten, ttl_seconds))
    }

    /// A parent's token: role `applicant`, acting for `household` alone.
    pub fn mint_for_household(
        &self,
        organisation: &str,
        gemeenten: &[&str],
        household: &str,
        ttl_seconds: i64,
    ) -> String {
        let mut claims = self.claims(organisation, "applicant", gemeenten, ttl_seconds);
        claims.huishouden = Some(household.to_owned());
        self.mint_claims(&claims)
    }

    pub fn claims(
        &self,
        organisation: &str,
        role: &str,
        gemeenten: &[&str],
        ttl_seconds: i64,
    ) -> Claims {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        Claims {
            iss: DEV_ISSUER.to_owned(),
            aud: Audience::One(AUDIENCE.to_owned()),
            sub: format!("{organisation}/{role}"),
            exp: (now + ttl_seconds).max(0) as u64,
            iat: now.max(0) as u64,
            nbf: None,
            organisatie: organisation.to_owned(),
            rol: role.to_owned(),
            gemeenten: gemeenten.iter().map(|g| (*g).to_owned()).collect(),
            huishouden: None,
        }
    }

    pub fn mint_claims(&self, claims: &Claims) -> String {
        self.mint_value(claims)
    }

    /// Signs any payload, also one that is not a valid set of claims (tests of refusals).
    #[allow(
        clippy::expect_used,
        reason = "the key was made or checked by `from_pkcs8`; an Ed25519 key always signs"
    )]
    pub fn mint_value(&self, claims: &impl serde::Serialize) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&self.pkcs8))
            .expect("an Ed25519 key signs")
    }
}

/// A one-click test user of the development login: who they are at the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestUser {
    /// The value the login page posts (`regievoerder`, `wijkteam`, …).
    pub key: &'static str,
    /// What the button says, in Dutch.
    pub label: &'static str,
    pub organisation: &'static str,
    pub role: &'static str,
}

/// The test users of every demo gemeente, one per role's daily work.
pub const TEST_USERS: [TestUser; 9] = [
    TestUser {
        key: "regievoerder",
        label: "Regievoerder van de gemeente",
        organisation: "gemeente-den-haag",
        role: "regievoerder",
    },
    TestUser {
        key: "wijkteam",
        label: "Wijkteam Centrum (signaleert)",
        organisation: "wijkteam-centrum",
        role: "signaller",
    },
    TestUser {
        key: "school",
        label: "Basisschool De Regenboog (signaleert)",
        organisation: "basisschool-de-regenboog",
        role: "signaller",
    },
    TestUser {
        key: "leergeld",
        label: "Stichting Leergeld (partner: neemt aanvragen in, levert)",
        organisation: "leergeld",
        role: "partner",
    },
    TestUser {
        key: "jeugdfonds",
        label: "Jeugdfonds Sport & Cultuur (partner)",
        organisation: "jeugdfonds-sport-cultuur",
        role: "partner",
    },
    TestUser {
        key: "winkel",
        label: "Fietsenwinkel De Spaak (kassa)",
        organisation: "fietsenwinkel-de-spaak",
        role: "partner",
    },
    TestUser {
        key: "ouder",
        label: "Ouder (gezin Jansen, ingelogd met DigiD)",
        organisation: "digid",
        role: "applicant",
    },
    TestUser {
        key: "overleg",
        label: "Lid van het kwartaaloverleg",
        organisation: "kwartaaloverleg",
        role: "overleg_viewer",
    },
    TestUser {
        key: "auditor",
        label: "Controller van de gemeente (auditor)",
        organisation: "gemeente-controller",
        role: "auditor",
    },
];

/// The demo household a test parent of `gemeente` acts for: the same id in every run, so the demo
/// loader can prepare it and the login can name it.
pub fn test_household(gemeente: &str) -> uuid::Uuid {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_OID,
        format!("kindpakket-demo-huishouden-{gemeente}").as_bytes(),
    )
}

/// What an authorisation code stands for until it is exchanged (once, within a minute).
#[derive(Debug, Clone)]
pub struct PendingCode {
    pub claims: Claims,
    pub client_id: String,
    pub redirect_uri: String,
    /// `BASE64URL(SHA256(code_verifier))`, as the client sent it (PKCE, S256 only).
    pub code_challenge: String,
    pub issued: std::time::Instant,
}

/// Why a code exchange is refused (`invalid_grant` and friends, RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantError {
    /// Unknown, used or expired code, or a redirect URI or client that differs.
    InvalidGrant,
    /// The verifier does not match the challenge.
    PkceMismatch,
}

/// The codes handed out and not yet exchanged.
#[derive(Debug, Default)]
pub struct Codes {
    pending: std::sync::Mutex<std::collections::HashMap<String, PendingCode>>,
}

/// How long a code may wait for its exchange.
pub const CODE_LIFETIME: std::time::Duration = std::time::Duration::from_secs(60);

impl Codes {
    /// Remembers `pending` under a fresh random code and gives the code.
    pub fn issue(&self, pending: PendingCode) -> Result<String> {
        let mut bytes = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
            .map_err(|_| anyhow::anyhow!("the system's random source failed"))?;
        let code = URL_SAFE_NO_PAD.encode(bytes);
        let mut pending_codes = self
            .pending
            .lock()
            .map_err(|_| anyhow::anyhow!("the code table is poisoned"))?;
        pending_codes.retain(|_, pending| pending.issued.elapsed() < CODE_LIFETIME);
        pending_codes.insert(code.clone(), pending);
        Ok(code)
    }

    /// Exchanges `code` (once): the claims, when client, redirect URI and PKCE verifier match.
    pub fn exchange(
        &self,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        code_verifier: &str,
    ) -> Result<Claims, GrantError> {
        let pending = self
            .pending
            .lock()
            .map_err(|_| GrantError::InvalidGrant)?
            .remove(code)
            .ok_or(GrantError::InvalidGrant)?;
        if pending.issued.elapsed() >= CODE_LIFETIME
            || pending.client_id != client_id
            || pending.redirect_uri != redirect_uri
        {
            return Err(GrantError::InvalidGrant);
        }
        if pkce_challenge(code_verifier) != pending.code_challenge {
            return Err(GrantError::PkceMismatch);
        }
        Ok(pending.claims)
    }
}

/// Refresh tokens handed out with a code exchange: each is used once and answered with a new one
/// (rotation), for the same person, within its lifetime.
#[derive(Debug, Default)]
pub struct RefreshTokens {
    live: std::sync::Mutex<std::collections::HashMap<String, (Claims, String, std::time::Instant)>>,
}

/// How long a refresh token of the development issuer lives.
pub const REFRESH_LIFETIME: std::time::Duration = std::time::Duration::from_secs(8 * 3600);

impl RefreshTokens {
    /// A new refresh token for the person of `claims`, for `client_id`.
    pub fn issue(&self, claims: &Claims, client_id: &str) -> Result<String> {
        let mut bytes = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
            .map_err(|_| anyhow::anyhow!("the system's random source failed"))?;
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let mut live = self
            .live
            .lock()
            .map_err(|_| anyhow::anyhow!("the refresh tokens are poisoned"))?;
        live.retain(|_, (_, _, issued)| issued.elapsed() < REFRESH_LIFETIME);
        live.insert(
            token.clone(),
            (
                claims.clone(),
                client_id.to_owned(),
                std::time::Instant::now(),
            ),
        );
        Ok(token)
    }

    /// Uses `token` up: the person it was for, when it is live and of `client_id`.
    pub fn redeem(&self, token: &str, client_id: &str) -> Result<Claims, GrantError> {
        let (claims, client, issued) = self
            .live
            .lock()
            .map_err(|_| GrantError::InvalidGrant)?
            .remove(token)
            .ok_or(GrantError::InvalidGrant)?;
        if client != client_id || issued.elapsed() >= REFRESH_LIFETIME {
            return Err(GrantError::InvalidGrant);
        }
        Ok(claims)
    }
}

/// The S256 challenge of a PKCE verifier (RFC 7636 §4.2).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(challenge: &str) -> PendingCode {
        let issuer = DevIssuer::generate().unwrap();
        PendingCode {
            claims: issuer.claims("leergeld", "partner", &["GM0518"], 600),
            client_id: "kindpakket-web".into(),
            redirect_uri: "http://127.0.0.1:8080/aanmelden/terug".into(),
            code_challenge: challenge.into(),
            issued: std::time::Instant::now(),
        }
    }

    #[test]
    fn a_code_is_exchanged_once_and_only_with_its_verifier_client_and_redirect() {
        let codes = Codes::default();
        let verifier = "een-lange-geheime-verifier-van-minstens-43-tekens-lang";
        let code = codes.issue(pending(&pkce_challenge(verifier))).unwrap();
        let redirect = "http://127.0.0.1:8080/aanmelden/terug";
        assert_eq!(
            codes
                .exchange(&code, "kindpakket-web", redirect, "een-andere-verifier")
                .unwrap_err(),
            GrantError::PkceMismatch
        );
        // A failed attempt used the code up: no guessing the verifier.
        assert_eq!(
            codes
                .exchange(&code, "kindpakket-web", redirect, verifier)
                .unwrap_err(),
            GrantError::InvalidGrant
        );
        let code = codes.issue(pending(&pkce_challenge(verifier))).unwrap();
        assert_eq!(
            codes
                .exchange(&code, "kindpakket-web", "http://127.0.0.1:9/x", verifier)
                .unwrap_err(),
            GrantError::InvalidGrant
        );
        let code = codes.issue(pending(&pkce_challenge(verifier))).unwrap();
        let claims = codes
            .exchange(&code, "kindpakket-web", redirect, verifier)
            .unwrap();
        assert_eq!(claims.organisatie, "leergeld");
        assert_eq!(
            codes
                .exchange(&code, "kindpakket-web", redirect, verifier)
                .unwrap_err(),
            GrantError::InvalidGrant
        );
    }
}
