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
