//! PKCE (RFC 7636) for the authorization code sign-in: a random code verifier, its S256
//! challenge, and a random `state` that ties the browser's redirect to this login.
//!
//! Randomness comes from the operating system (`getrandom`). The verifier is a secret until the
//! token is issued: it never appears in a URL, a log or `Debug`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// The verifier's alphabet: 64 of RFC 7636's unreserved characters (`A-Z a-z 0-9 - _`), so a
/// random byte's low six bits pick one without bias.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Verifier length in characters (RFC 7636 allows 43..=128; the AWS CLI uses 64): 384 bits.
pub const VERIFIER_LEN: usize = 64;

/// One login's PKCE pair and state.
pub struct Pkce {
    /// The code verifier, sent only in the CreateToken body.
    verifier: String,
    /// `BASE64URL(SHA256(verifier))` without padding (RFC 7636 §4.2), sent in the authorize URL.
    pub challenge: String,
    /// 128 random bits in hex, sent in the authorize URL and compared with the redirect's.
    pub state: String,
}

impl std::fmt::Debug for Pkce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkce")
            .field("verifier", &"<redacted>")
            .field("challenge", &self.challenge)
            .finish()
    }
}

impl Pkce {
    /// A fresh verifier, challenge and state. Errors when the OS has no randomness to give.
    pub fn new() -> anyhow::Result<Pkce> {
        let mut bytes = [0u8; VERIFIER_LEN + 16];
        getrandom::fill(&mut bytes)
            .map_err(|e| anyhow::anyhow!("could not get random bytes from the system: {e}"))?;
        let (v, s) = bytes.split_at(VERIFIER_LEN);
        let verifier: String = v
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(b & 63)]))
            .collect();
        Ok(Pkce {
            challenge: challenge(&verifier),
            verifier,
            state: crate::plan::hex(s),
        })
    }

    /// The code verifier, for the CreateToken call only.
    pub fn verifier(&self) -> &str {
        &self.verifier
    }
}

/// The S256 code challenge of `verifier` (RFC 7636 §4.2).
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636s_example() {
        // RFC 7636 Appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn each_login_gets_its_own_unreserved_verifier_and_state() {
        let a = Pkce::new().unwrap();
        let b = Pkce::new().unwrap();
        assert_eq!(a.verifier().len(), VERIFIER_LEN);
        assert!(a.verifier().bytes().all(|c| ALPHABET.contains(&c)));
        assert_ne!(a.verifier(), b.verifier());
        assert_ne!(a.state, b.state);
        assert_eq!(a.state.len(), 32);
        assert_eq!(a.challenge, challenge(a.verifier()));
        assert!(!format!("{a:?}").contains(a.verifier()));
    }
}
