//! References: how an organisation names a child or household without ever handling the gemeente's
//! id of it (`docs/chain.md`, "References instead of pseudonyms").
//!
//! `reference = base64url(AES-256(k, id) ‖ HMAC-SHA256(t, AES-256(k, id))[..8])`, 32 characters, where
//! `k` and `t` are derived from the pseudonym key (`KINDPAKKET_PSEUDONYM_KEY`) per organisation and
//! kind. So a reference is
//! - deterministic: the same organisation always gets the same reference for the same child, and its
//!   own records join on it;
//! - its own per organisation and per kind: two organisations comparing notes cannot link a child,
//!   and a child's reference is not a household's;
//! - reversible by any service with the pseudonym key, for that organisation and kind only: a
//!   reference made up, mistyped, taken from another organisation or of the other kind fails its tag
//!   and [`resolve`] answers `None`.
//!
//! The 8-byte tag makes a guessed reference pass with a chance of 2⁻⁶⁴.

use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use aes::Aes256;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use kindpakket_proto::OrganisationId;
use uuid::Uuid;

/// What a reference names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceKind {
    Child,
    Household,
}

impl ReferenceKind {
    /// The word that keeps the keys of the two kinds apart (and the Dutch name a caller reads).
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceKind::Child => "kind",
            ReferenceKind::Household => "huishouden",
        }
    }
}

/// Length of a reference in characters: 24 bytes in unpadded base64url.
pub const REFERENCE_LEN: usize = 32;
const TAG_LEN: usize = 8;

/// `organisation`'s reference of the child or household `id`.
pub fn reference(
    key: &[u8],
    organisation: &OrganisationId,
    kind: ReferenceKind,
    id: Uuid,
) -> String {
    let keys = Keys::derive(key, organisation, kind);
    let mut block = (*id.as_bytes()).into();
    keys.cipher.encrypt_block(&mut block);
    let ciphertext: [u8; 16] = block.into();
    let tag = keys.tag(&ciphertext);
    let mut bytes = [0u8; 16 + TAG_LEN];
    bytes[..16].copy_from_slice(&ciphertext);
    bytes[16..].copy_from_slice(&tag);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The id `reference` names, when it is one [`reference`] made for this organisation and kind;
/// `None` for anything else (made up, mistyped, another organisation's, the other kind's).
pub fn resolve(
    key: &[u8],
    organisation: &OrganisationId,
    kind: ReferenceKind,
    reference: &str,
) -> Option<Uuid> {
    if reference.len() != REFERENCE_LEN {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(reference).ok()?;
    if bytes.len() != 16 + TAG_LEN {
        return None;
    }
    let (ciphertext, tag) = bytes.split_at(16);
    let keys = Keys::derive(key, organisation, kind);
    if !equal_in_constant_time(&keys.tag(ciphertext), tag) {
        return None;
    }
    let ciphertext: [u8; 16] = ciphertext.try_into().ok()?;
    let mut block = ciphertext.into();
    keys.cipher.decrypt_block(&mut block);
    Some(Uuid::from_bytes(block.into()))
}

struct Keys {
    cipher: Aes256,
    tag: ring::hmac::Key,
}

impl Keys {
    /// `k = HMAC(key, NUL "reference" NUL kind NUL organisation NUL "k")` and the same with "t".
    /// The leading NUL keeps these apart from the children's HMAC pseudonyms (whose input starts
    /// with a printable organisation code) and from the entitlement pseudonyms (`\0entitlement\0`).
    fn derive(key: &[u8], organisation: &OrganisationId, kind: ReferenceKind) -> Self {
        let master = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
        let derive = |purpose: &[u8]| {
            let mut context = ring::hmac::Context::with_key(&master);
            context.update(b"\0reference\0");
            context.update(kind.as_str().as_bytes());
            context.update(b"\0");
            context.update(organisation.as_str().as_bytes());
            context.update(b"\0");
            context.update(purpose);
            let mut derived = [0u8; 32];
            derived.copy_from_slice(context.sign().as_ref());
            derived
        };
        Self {
            cipher: Aes256::new(&derive(b"k").into()),
            tag: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &derive(b"t")),
        }
    }

    fn tag(&self, ciphertext: &[u8]) -> [u8; TAG_LEN] {
        let full = ring::hmac::sign(&self.tag, ciphertext);
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&full.as_ref()[..TAG_LEN]);
        tag
    }
}

fn equal_in_constant_time(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"a secret of at least sixteen bytes";

    fn org(code: &str) -> OrganisationId {
        OrganisationId::parse(code).unwrap()
    }

    #[test]
    fn a_reference_is_stable_32_characters_and_resolves_for_its_organisation_and_kind() {
        let child = Uuid::from_u128(42);
        let made = reference(KEY, &org("leergeld"), ReferenceKind::Child, child);
        assert_eq!(made.len(), REFERENCE_LEN);
        assert!(made
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(
            made,
            reference(KEY, &org("leergeld"), ReferenceKind::Child, child)
        );
        assert_eq!(
            resolve(KEY, &org("leergeld"), ReferenceKind::Child, &made),
            Some(child)
        );
        assert!(!made.contains(&child.simple().to_string()));
    }

    #[test]
    fn references_differ_per_organisation_kind_and_key() {
        let id = Uuid::from_u128(7);
        let leergeld = reference(KEY, &org("leergeld"), ReferenceKind::Child, id);
        assert_ne!(
            leergeld,
            reference(KEY, &org("jeugdfonds"), ReferenceKind::Child, id)
        );
        assert_ne!(
            leergeld,
            reference(KEY, &org("leergeld"), ReferenceKind::Household, id)
        );
        assert_ne!(
            leergeld,
            reference(
                b"another secret, also long enough",
                &org("leergeld"),
                ReferenceKind::Child,
                id
            )
        );
        assert_ne!(
            leergeld,
            reference(
                KEY,
                &org("leergeld"),
                ReferenceKind::Child,
                Uuid::from_u128(8)
            )
        );
    }

    #[test]
    fn a_foreign_other_kind_tampered_or_made_up_reference_does_not_resolve() {
        let id = Uuid::from_u128(7);
        let made = reference(KEY, &org("leergeld"), ReferenceKind::Child, id);
        assert_eq!(
            resolve(KEY, &org("jeugdfonds"), ReferenceKind::Child, &made),
            None
        );
        assert_eq!(
            resolve(KEY, &org("leergeld"), ReferenceKind::Household, &made),
            None
        );
        assert_eq!(
            resolve(
                b"another secret, also long enough",
                &org("leergeld"),
                ReferenceKind::Child,
                &made
            ),
            None
        );
        // Every single character changed, in the cipher text and in the tag.
        for position in 0..made.len() {
            let mut chars: Vec<char> = made.chars().collect();
            chars[position] = if chars[position] == 'A' { 'B' } else { 'A' };
            let tampered: String = chars.into_iter().collect();
            assert_eq!(
                resolve(KEY, &org("leergeld"), ReferenceKind::Child, &tampered),
                None,
                "position {position}"
            );
        }
        for junk in [
            "",
            "abc",
            &made[..31],
            &format!("{made}A"),
            &format!("{}=", &made[..31]),
            "********************************",
            &id.to_string(),
            &"A".repeat(32),
        ] {
            assert_eq!(
                resolve(KEY, &org("leergeld"), ReferenceKind::Child, junk),
                None
            );
        }
    }
}
