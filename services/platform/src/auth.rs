//! Authentication: OIDC-style bearer tokens (JWT), checked on every request for signature, issuer,
//! audience and expiry. The token says who acts: the organisation (`organisatie`), the role (`rol`)
//! and the gemeenten it acts for (`gemeenten`).
//!
//! Keys come from a JWKS document (`KINDPAKKET_AUTH_JWKS`, a file: in production the gemeente's
//! identity provider's key set, fetched by the deployment). Local runs and tests use the
//! [`DevIssuer`], which makes an Ed25519 key, writes its JWKS and signs tokens.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use kindpakket_proto::{GemeenteCode, OrganisationId, Role};
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde::{Deserialize, Serialize};

/// Where the keys are and what a token must say of itself (read by [`crate::config`]).
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `KINDPAKKET_AUTH_JWKS`: path of the JWKS document with the issuer's public keys.
    pub jwks_path: PathBuf,
    /// `KINDPAKKET_AUTH_ISSUER` (default `kindpakket-dev`): the `iss` every token must carry.
    pub issuer: String,
    /// `KINDPAKKET_AUTH_AUDIENCE` (default `kindpakket`): the `aud` every token must carry.
    pub audience: String,
}

pub const DEV_ISSUER: &str = "kindpakket-dev";
pub const AUDIENCE: &str = "kindpakket";

/// What a token says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The person or system acting (an identifier at the identity provider, never a BSN).
    pub sub: String,
    pub exp: u64,
    pub iat: u64,
    pub organisatie: String,
    pub rol: String,
    #[serde(default)]
    pub gemeenten: Vec<String>,
    /// For a parent (role `applicant`): the pseudonymous id of the household they act for, as the
    /// gemeente's login (DigiD) establishes it. An applicant without it may not apply or read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub huishouden: Option<String>,
}

/// Who a verified token says acts.
#[derive(Debug, Clone)]
pub struct Identity {
    pub subject: String,
    pub organisation: OrganisationId,
    pub role: Role,
    pub gemeenten: Vec<GemeenteCode>,
    pub household: Option<uuid::Uuid>,
}

/// Why a token was refused, in Dutch for the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("Uw token is verlopen. Vraag een nieuw token aan.")]
    Expired,
    #[error("Dit token is niet geldig voor het Kindpakket (verkeerde uitgever, doelgroep of handtekening).")]
    Invalid,
    #[error("Het token noemt geen geldige organisatie, rol of gemeente: {0}")]
    BadClaims(String),
}

struct Key {
    kid: Option<String>,
    key: DecodingKey,
    algorithm: Algorithm,
}

/// Verifies bearer tokens against the configured keys.
pub struct Authenticator {
    keys: Vec<Key>,
    issuer: String,
    audience: String,
}

impl Authenticator {
    pub fn load(config: &AuthConfig) -> Result<Arc<Self>> {
        let text = std::fs::read_to_string(&config.jwks_path)
            .with_context(|| format!("reading the JWKS {}", config.jwks_path.display()))?;
        Self::from_jwks(&text, &config.issuer, &config.audience)
    }

    pub fn from_jwks(jwks: &str, issuer: &str, audience: &str) -> Result<Arc<Self>> {
        let set: JwkSet = serde_json::from_str(jwks).context("the JWKS is not valid")?;
        let mut keys = Vec::new();
        for jwk in &set.keys {
            // The algorithm follows from the key, never from the token: no algorithm confusion.
            let algorithm = match &jwk.algorithm {
                AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
                AlgorithmParameters::RSA(_) => Algorithm::RS256,
                AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
                AlgorithmParameters::OctetKey(_) => continue, // shared secrets are not accepted
            };
            keys.push(Key {
                kid: jwk.common.key_id.clone(),
                key: DecodingKey::from_jwk(jwk).context("a key of the JWKS")?,
                algorithm,
            });
        }
        if keys.is_empty() {
            bail!("the JWKS has no public signing key");
        }
        Ok(Arc::new(Self {
            keys,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        }))
    }

    pub fn verify(&self, token: &str) -> Result<Identity, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        let candidates = self
            .keys
            .iter()
            .filter(|key| header.kid.is_none() || key.kid == header.kid)
            .filter(|key| key.algorithm == header.alg);
        let mut last = TokenError::Invalid;
        for key in candidates {
            let mut validation = Validation::new(key.algorithm);
            validation.set_issuer(&[&self.issuer]);
            validation.set_audience(&[&self.audience]);
            validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
            validation.leeway = 30;
            match jsonwebtoken::decode::<Claims>(token, &key.key, &validation) {
                Ok(data) => return identity(data.claims),
                Err(error) => {
                    last = match error.kind() {
                        jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                        _ => TokenError::Invalid,
                    }
                }
            }
        }
        Err(last)
    }
}

fn identity(claims: Claims) -> Result<Identity, TokenError> {
    let organisation = OrganisationId::parse(&claims.organisatie)
        .map_err(|error| TokenError::BadClaims(error.message))?;
    let role = Role::parse(&claims.rol)
        .filter(|role| *role != Role::System)
        .ok_or_else(|| TokenError::BadClaims(format!("de rol '{}' bestaat niet", claims.rol)))?;
    let gemeenten = claims
        .gemeenten
        .iter()
        .map(|code| GemeenteCode::parse(code))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| TokenError::BadClaims(error.message))?;
    let household = claims
        .huishouden
        .as_deref()
        .map(|raw| {
            uuid::Uuid::parse_str(raw).map_err(|_| {
                TokenError::BadClaims(format!("het huishouden '{raw}' is geen geldige verwijzing"))
            })
        })
        .transpose()?;
    Ok(Identity {
        subject: claims.sub,
        organisation,
        role,
        gemeenten,
        household,
    })
}

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
            aud: AUDIENCE.to_owned(),
            sub: format!("{organisation}/{role}"),
            exp: (now + ttl_seconds).max(0) as u64,
            iat: now.max(0) as u64,
            organisatie: organisation.to_owned(),
            rol: role.to_owned(),
            gemeenten: gemeenten.iter().map(|g| (*g).to_owned()).collect(),
            huishouden: None,
        }
    }

    #[allow(
        clippy::expect_used,
        reason = "the key was made or checked by `from_pkcs8`; an Ed25519 key always signs"
    )]
    pub fn mint_claims(&self, claims: &Claims) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&self.pkcs8))
            .expect("an Ed25519 key signs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authenticator(issuer: &DevIssuer) -> Arc<Authenticator> {
        Authenticator::from_jwks(&issuer.jwks().to_string(), DEV_ISSUER, AUDIENCE).unwrap()
    }

    #[test]
    fn a_token_of_the_issuer_says_who_acts() {
        let issuer = DevIssuer::generate().unwrap();
        let token = issuer.mint("leergeld", "partner", &["GM0518"], 300);
        let identity = authenticator(&issuer).verify(&token).unwrap();
        assert_eq!(identity.organisation.as_str(), "leergeld");
        assert_eq!(identity.role, Role::Partner);
        assert_eq!(identity.gemeenten[0].as_str(), "GM0518");
    }

    #[test]
    fn expired_foreign_and_tampered_tokens_are_refused() {
        let issuer = DevIssuer::generate().unwrap();
        let check = authenticator(&issuer);
        assert_eq!(
            check
                .verify(&issuer.mint("leergeld", "partner", &[], -120))
                .unwrap_err(),
            TokenError::Expired
        );
        let stranger = DevIssuer::generate().unwrap();
        assert_eq!(
            check
                .verify(&stranger.mint("leergeld", "partner", &[], 300))
                .unwrap_err(),
            TokenError::Invalid
        );
        let mut claims = issuer.claims("leergeld", "partner", &[], 300);
        claims.aud = "another-app".to_owned();
        assert_eq!(
            check.verify(&issuer.mint_claims(&claims)).unwrap_err(),
            TokenError::Invalid
        );
        // A partner that rewrites its role in the payload breaks the signature.
        let token = issuer.mint("leergeld", "partner", &["GM0518"], 300);
        let parts: Vec<&str> = token.split('.').collect();
        let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        let forged = URL_SAFE_NO_PAD.encode(payload.replace("\"partner\"", "\"regievoerder\""));
        let forged = format!("{}.{}.{}", parts[0], forged, parts[2]);
        assert_eq!(check.verify(&forged).unwrap_err(), TokenError::Invalid);
        assert!(matches!(
            check.verify(&issuer.mint("leergeld", "system", &[], 300)),
            Err(TokenError::BadClaims(_))
        ));
    }
}

/// A partner's own stable pseudonym for a child (or any reference): HMAC-SHA256 under the platform's
/// pseudonym key over the organisation and the reference, as a UUID. Two partners get different
/// pseudonyms for the same child and cannot join their data; only the gemeente can map them back.
pub fn pseudonym(key: &[u8], organisation: &OrganisationId, reference: uuid::Uuid) -> uuid::Uuid {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    let mut context = ring::hmac::Context::with_key(&key);
    context.update(organisation.as_str().as_bytes());
    context.update(b"|");
    context.update(reference.as_bytes());
    let tag = context.sign();
    let digest = tag.as_ref();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// The secret behind the partners' pseudonyms (`KINDPAKKET_PSEUDONYM_KEY`). Without one a random key
/// is used, and pseudonyms change when the service restarts (fine for a trial, wrong in production).
pub fn pseudonym_key(configured: Option<&str>) -> Result<Vec<u8>> {
    match configured {
        Some(key) if key.len() >= 16 => Ok(key.as_bytes().to_vec()),
        Some(_) => bail!(
            "KINDPAKKET_PSEUDONYM_KEY must be at least 16 characters (32 random bytes, base64)"
        ),
        None => {
            tracing::warn!("KINDPAKKET_PSEUDONYM_KEY is not set: partner pseudonyms are not stable across restarts");
            let mut key = vec![0u8; 32];
            ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut key)
                .map_err(|_| anyhow::anyhow!("the system's random source failed"))?;
            Ok(key)
        }
    }
}

#[cfg(test)]
mod pseudonym_tests {
    use super::*;

    #[test]
    fn each_partner_has_its_own_stable_pseudonym_for_a_child() {
        let child = uuid::Uuid::from_u128(42);
        let leergeld = OrganisationId::parse("leergeld").unwrap();
        let jeugdfonds = OrganisationId::parse("jeugdfonds").unwrap();
        let key = b"a secret of at least sixteen bytes";
        assert_eq!(
            pseudonym(key, &leergeld, child),
            pseudonym(key, &leergeld, child)
        );
        assert_ne!(
            pseudonym(key, &leergeld, child),
            pseudonym(key, &jeugdfonds, child)
        );
        assert_ne!(pseudonym(key, &leergeld, child), child);
        assert_ne!(
            pseudonym(b"another secret, also long enough", &leergeld, child),
            pseudonym(key, &leergeld, child)
        );
    }
}
