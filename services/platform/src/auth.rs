//! Authentication: OIDC-style bearer tokens (JWT), checked on every request for signature, issuer,
//! audience and expiry. The token says who acts: the organisation (`organisatie`), the role (`rol`)
//! and the gemeenten it acts for (`gemeenten`).
//!
//! Keys come from a JWKS document (`KINDPAKKET_AUTH_JWKS`, a file: in production the gemeente's
//! identity provider's key set, fetched by the deployment). Local runs and tests use the
//! development issuer (`crate::dev_issuer`, feature `dev-issuer`), which makes an Ed25519 key, writes
//! its JWKS and signs tokens.

use std::path::PathBuf;
use std::sync::Arc;

use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use aes::Aes256;
use anyhow::{bail, Context, Result};
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use kindpakket_proto::{GemeenteCode, OrganisationId, Role};
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
    /// `KINDPAKKET_AUTH_MAX_TOKEN_SECONDS` (default 12 hours): a token valid for longer (from `iat`,
    /// or `nbf` when later, to `exp`) is refused, so a token that leaks cannot be used for long.
    pub max_token_seconds: u64,
}

pub const DEV_ISSUER: &str = "kindpakket-dev";
pub const AUDIENCE: &str = "kindpakket";

/// What a token says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// One audience or several; the platform's must be among them.
    pub aud: Audience,
    /// The person or system acting (an identifier at the identity provider, never a BSN).
    pub sub: String,
    pub exp: u64,
    pub iat: u64,
    /// Not valid before this time, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    pub organisatie: String,
    pub rol: String,
    #[serde(default)]
    pub gemeenten: Vec<String>,
    /// For a parent (role `applicant`): the pseudonymous id of the household they act for, as the
    /// gemeente's login (DigiD) establishes it. An applicant without it may not apply or read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub huishouden: Option<String>,
}

/// The `aud` claim: a single audience or a list (both are allowed by RFC 7519).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

/// Who a verified token says acts.
#[derive(Debug, Clone)]
pub struct Identity {
    pub subject: String,
    pub organisation: OrganisationId,
    pub role: Role,
    pub gemeenten: Vec<GemeenteCode>,
    pub household: Option<uuid::Uuid>,
    /// When the token stops being valid (`exp`, seconds since the epoch).
    pub expires: u64,
}

/// Why a token was refused, in Dutch for the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("Uw token is verlopen. Vraag een nieuw token aan.")]
    Expired,
    #[error("Dit token is niet geldig voor het Kindpakket (verkeerde uitgever, doelgroep of handtekening).")]
    Invalid,
    #[error("Dit token is te lang geldig: vraag een token aan dat korter geldt.")]
    TooLongValid,
    #[error("Het token noemt geen geldige organisatie, rol of gemeente: {0}")]
    BadClaims(&'static str),
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
    max_token_seconds: u64,
}

impl Authenticator {
    pub fn load(config: &AuthConfig) -> Result<Arc<Self>> {
        let text = std::fs::read_to_string(&config.jwks_path)
            .with_context(|| format!("reading the JWKS {}", config.jwks_path.display()))?;
        Self::from_jwks(&text, config)
    }

    /// An authenticator for the keys of `jwks` (a JWKS document) and the claims `config` demands.
    pub fn from_jwks(jwks: &str, config: &AuthConfig) -> Result<Arc<Self>> {
        let set: JwkSet = serde_json::from_str(jwks).context("the JWKS is not valid")?;
        let mut keys = Vec::new();
        for jwk in &set.keys {
            // The algorithm follows from the key, never from the token: no algorithm confusion.
            let algorithm = match &jwk.algorithm {
                AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
                AlgorithmParameters::RSA(_) => Algorithm::RS256,
                AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
                // Shared secrets are not accepted, nor key types this version does not know.
                _ => continue,
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
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            max_token_seconds: config.max_token_seconds,
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
            validation.validate_nbf = true;
            validation.leeway = LEEWAY_SECONDS;
            match jsonwebtoken::decode::<Claims>(token, &key.key, &validation) {
                Ok(data) => {
                    self.within_lifetime(&data.claims)?;
                    return identity(data.claims);
                }
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

/// How far clocks may differ between the identity provider and the services.
const LEEWAY_SECONDS: u64 = 30;

impl Authenticator {
    /// A token may be valid for at most the configured time, counted from when it was issued (or
    /// from `nbf`, when later); one issued in the future is refused.
    fn within_lifetime(&self, claims: &Claims) -> Result<(), TokenError> {
        let now = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0);
        if claims.iat > now + LEEWAY_SECONDS {
            return Err(TokenError::Invalid);
        }
        let from = claims.nbf.map_or(claims.iat, |nbf| nbf.max(claims.iat));
        if claims.exp.saturating_sub(from) > self.max_token_seconds {
            return Err(TokenError::TooLongValid);
        }
        Ok(())
    }
}

fn identity(claims: Claims) -> Result<Identity, TokenError> {
    let organisation = OrganisationId::parse(&claims.organisatie)
        .map_err(|_| TokenError::BadClaims("de organisatie is geen geldige organisatiecode"))?;
    let role = Role::parse(&claims.rol)
        .filter(|role| *role != Role::System)
        .ok_or(TokenError::BadClaims("de rol bestaat niet"))?;
    let gemeenten = claims
        .gemeenten
        .iter()
        .map(|code| GemeenteCode::parse(code))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| TokenError::BadClaims("een gemeente is geen CBS-code"))?;
    let household = claims
        .huishouden
        .as_deref()
        .map(|raw| {
            uuid::Uuid::parse_str(raw)
                .map_err(|_| TokenError::BadClaims("het huishouden is geen geldige verwijzing"))
        })
        .transpose()?;
    Ok(Identity {
        expires: claims.exp,
        subject: claims.sub,
        organisation,
        role,
        gemeenten,
        household,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dev_issuer::DevIssuer;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    fn config() -> AuthConfig {
        AuthConfig {
            jwks_path: PathBuf::new(),
            issuer: DEV_ISSUER.to_owned(),
            audience: AUDIENCE.to_owned(),
            max_token_seconds: 12 * 3600,
        }
    }

    fn authenticator(issuer: &DevIssuer) -> Arc<Authenticator> {
        Authenticator::from_jwks(&issuer.jwks().to_string(), &config()).unwrap()
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
        claims.aud = Audience::One("another-app".to_owned());
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
    #[test]
    fn a_token_not_yet_valid_or_valid_for_too_long_is_refused() {
        let issuer = DevIssuer::generate().unwrap();
        let check = authenticator(&issuer);
        let mut early = issuer.claims("leergeld", "partner", &["GM0518"], 3600);
        early.nbf = Some(early.iat + 600);
        assert_eq!(
            check.verify(&issuer.mint_claims(&early)).unwrap_err(),
            TokenError::Invalid
        );
        let long = issuer.claims("leergeld", "partner", &["GM0518"], 13 * 3600);
        assert_eq!(
            check.verify(&issuer.mint_claims(&long)).unwrap_err(),
            TokenError::TooLongValid
        );
        let mut from_the_future = issuer.claims("leergeld", "partner", &["GM0518"], 3600);
        from_the_future.iat += 3600;
        from_the_future.exp += 3600;
        assert_eq!(
            check
                .verify(&issuer.mint_claims(&from_the_future))
                .unwrap_err(),
            TokenError::Invalid
        );
    }

    #[test]
    fn an_audience_list_that_names_the_platform_is_accepted_and_one_that_does_not_is_refused() {
        let issuer = DevIssuer::generate().unwrap();
        let check = authenticator(&issuer);
        let mut claims = issuer.claims("leergeld", "partner", &["GM0518"], 300);
        claims.aud = Audience::Many(vec!["portal".to_owned(), AUDIENCE.to_owned()]);
        assert!(check.verify(&issuer.mint_claims(&claims)).is_ok());
        claims.aud = Audience::Many(vec!["portal".to_owned(), "archive".to_owned()]);
        assert_eq!(
            check.verify(&issuer.mint_claims(&claims)).unwrap_err(),
            TokenError::Invalid
        );
    }

    #[test]
    fn a_not_before_of_the_wrong_type_does_not_skip_the_check() {
        // The type confusion of jsonwebtoken before 10.3 (CVE-2026-25537): an `nbf` sent as a string
        // was treated as absent. Signed by the issuer itself, so only the claim check can refuse it.
        let issuer = DevIssuer::generate().unwrap();
        let check = authenticator(&issuer);
        let claims = issuer.claims("leergeld", "partner", &["GM0518"], 300);
        let mut raw = serde_json::to_value(&claims).unwrap();
        raw["nbf"] = serde_json::json!((claims.iat + 99_999).to_string());
        let token = issuer.mint_value(&raw);
        assert_eq!(check.verify(&token).unwrap_err(), TokenError::Invalid);
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

/// `partner`'s own pseudonym of an entitlement: the id's 16 bytes encrypted with AES-256 under a key
/// of that partner alone, derived from the pseudonym key. A permutation of all ids, so it is
/// reversed without a table ([`entitlement_of_pseudonym`]), stable as long as the key, and different
/// for every partner.
pub fn entitlement_pseudonym(
    key: &[u8],
    partner: &OrganisationId,
    entitlement_id: uuid::Uuid,
) -> uuid::Uuid {
    let mut block = (*entitlement_id.as_bytes()).into();
    entitlement_cipher(key, partner).encrypt_block(&mut block);
    uuid::Uuid::from_bytes(block.into())
}

/// The entitlement whose pseudonym for `partner` is `pseudonym`.
pub fn entitlement_of_pseudonym(
    key: &[u8],
    partner: &OrganisationId,
    pseudonym: uuid::Uuid,
) -> uuid::Uuid {
    let mut block = (*pseudonym.as_bytes()).into();
    entitlement_cipher(key, partner).decrypt_block(&mut block);
    uuid::Uuid::from_bytes(block.into())
}

/// The block cipher of `partner`'s entitlement pseudonyms: its key is HMAC-SHA256(pseudonym key,
/// NUL ‖ "entitlement" ‖ NUL ‖ partner). The leading NUL keeps it apart from the children's
/// pseudonyms, whose HMAC input starts with the organisation's (printable) code.
fn entitlement_cipher(key: &[u8], partner: &OrganisationId) -> Aes256 {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    let mut context = ring::hmac::Context::with_key(&key);
    context.update(b"\0entitlement\0");
    context.update(partner.as_str().as_bytes());
    let tag = context.sign();
    let mut derived = [0u8; 32];
    derived.copy_from_slice(tag.as_ref());
    Aes256::new(&derived.into())
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
