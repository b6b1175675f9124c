//! Opaque tokens: 256 random bits from the OS generator, base64url without
//! padding (43 characters). Only the SHA-256 of a token is ever stored.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::hash::{Hash, Hasher};

/// Length of a token on the wire.
pub const TOKEN_CHARS: usize = 43;

/// base64url without padding, with exactly one byte of spare capacity: the
/// C ABI appends its NUL in place, so a token handed to C is neither copied
/// nor left behind in a buffer outgrown.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let len = base64::encoded_len(bytes.len(), false).unwrap_or(0);
    let mut out = String::with_capacity(len + 1);
    URL_SAFE_NO_PAD.encode_string(bytes, &mut out);
    out
}

/// A freshly minted token: 256 random bits.
pub(crate) fn mint() -> (String, TokenHash) {
    let mut raw = zeroize::Zeroizing::new([0u8; 32]);
    crate::random::fill(&mut *raw);
    token_of(&*raw)
}

/// Two fresh tokens from one read of the OS generator (a rotation needs
/// two; the read, a system call, is a measurable share of a refresh).
pub(crate) fn mint_two() -> [(String, TokenHash); 2] {
    let mut raw = zeroize::Zeroizing::new([0u8; 64]);
    crate::random::fill(&mut *raw);
    [token_of(&raw[..32]), token_of(&raw[32..])]
}

fn token_of(raw: &[u8]) -> (String, TokenHash) {
    let token = encode(raw);
    let hash = TokenHash::of(&token);
    (token, hash)
}

/// The SHA-256 of a token: how the store knows it.
///
/// Tokens are looked up by this hash, so a timing difference in the lookup
/// tells an attacker nothing about any real token.
#[derive(Clone, Copy, Eq)]
pub struct TokenHash(pub [u8; 32]);

impl PartialEq for TokenHash {
    fn eq(&self, other: &Self) -> bool {
        // Four word compares, inlined: a lookup's hottest comparison.
        // (Timing here reveals nothing: both sides are hashes.)
        self.0
            .chunks_exact(8)
            .zip(other.0.chunks_exact(8))
            .all(|(a, b)| a == b)
    }
}

/// SHA-256, for tokens and generated client secrets: every check, grant,
/// refresh and client authentication hashes one such block. sha2, not
/// ring's digest: for one block ring's dispatch around its block function
/// costs as much again (101 -> 71 ns here); sha2 takes SHA-NI when the CPU
/// has it.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

impl TokenHash {
    /// The hash of a token string.
    pub fn of(token: &str) -> TokenHash {
        TokenHash(sha256(token.as_bytes()))
    }

    /// A short, non-secret prefix for logs: the first 8 bytes of the hash, in hex.
    pub fn fingerprint(&self) -> String {
        self.0[..8].iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenHash({}…)", self.fingerprint())
    }
}

impl Hash for TokenHash {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Already a uniform hash: its first eight bytes are a perfect key.
        let mut first = [0u8; 8];
        first.copy_from_slice(&self.0[..8]);
        state.write_u64(u64::from_ne_bytes(first));
    }
}

/// A `Hasher` that passes a `TokenHash`'s first eight bytes through unchanged.
#[derive(Default, Clone, Copy)]
pub struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only reached for keys other than TokenHash; fold them in (FNV-1a).
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

/// Builds [`PassThroughHasher`]s.
pub type TokenHashBuilder = std::hash::BuildHasherDefault<PassThroughHasher>;

/// Whether a string has the shape of one of our tokens; anything else can be
/// refused without a lookup.
pub fn looks_like_token(token: &str) -> bool {
    // Every check of a bearer token runs this over its 43 characters.
    const URL_SAFE: crate::byte_class::ByteClass =
        crate::byte_class::ByteClass::alphanumeric_and(b"-_");
    token.len() == TOKEN_CHARS && URL_SAFE.all(token.as_bytes())
}

/// Whether a string has the shape of an access token ropc issues: an
/// opaque token, or a JWT (RFC 9068: three base64url parts, bounded);
/// anything else can be refused without a lookup.
pub fn looks_like_access_token(token: &str) -> bool {
    const JWS: crate::byte_class::ByteClass =
        crate::byte_class::ByteClass::alphanumeric_and(b"-_.");
    looks_like_token(token)
        || (token.len() <= crate::jws::MAX_JWS_BYTES
            && crate::jws::looks_like_jws(token)
            && JWS.all(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_refreshes_read_the_os_generator_once() {
        use crate::random::{start_afresh, OS_READS};
        use crate::{ClientConfig, ClientCredentials, Config, HashParams, Server, UserConfig};
        let cheap = HashParams {
            m_cost: 64,
            t_cost: 1,
            p_cost: 1,
        };
        let mut config = Config::default()
            .scope("read", &["GET /x/*"])
            .client(
                ClientConfig::confidential("app", &crate::hash_client_secret("s"))
                    .grant_types(&["password", "refresh_token"])
                    .scopes(&["read"]),
            )
            .user(UserConfig::new(
                "alice",
                &crate::hash_password("pw", cheap).unwrap(),
            ));
        config.password_hashing = cheap;
        config.allow_weak_password_hashing = true;
        let server = Server::from_config(config).unwrap();
        let app = ClientCredentials::new("app", "s");
        let mut rt = server
            .password_grant(&app, "alice", "pw", Some("read"))
            .unwrap()
            .refresh_token
            .clone()
            .unwrap();
        start_afresh();
        let before = OS_READS.with(|n| n.get());
        let mut seen = std::collections::HashSet::new();
        for _ in 0..16 {
            let t = server.refresh_grant(&app, &rt, None).unwrap();
            rt = t.refresh_token.clone().unwrap();
            assert!(seen.insert(t.access_token.clone()) && seen.insert(rt.clone()));
        }
        assert_eq!(
            OS_READS.with(|n| n.get()) - before,
            1,
            "two tokens a refresh, 64 bytes, sixteen to a 1,024-byte read"
        );
        server.refresh_grant(&app, &rt, None).unwrap();
        assert_eq!(OS_READS.with(|n| n.get()) - before, 2);
    }

    #[test]
    fn minted_tokens_are_256_bit_base64url() {
        let (a, ha) = mint();
        let (b, hb) = mint();
        assert_eq!(a.len(), TOKEN_CHARS);
        assert_eq!(a.capacity(), TOKEN_CHARS + 1, "room for C's NUL, no more");
        assert!(looks_like_token(&a));
        assert_ne!(a, b);
        assert_ne!(ha, hb);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 32);
        assert_eq!(TokenHash::of(&a), ha);
        assert!(!format!("{ha:?}").contains(&a));
        let [(c, hc), (d, hd)] = mint_two();
        for (t, h) in [(&c, hc), (&d, hd)] {
            assert!(looks_like_token(t));
            assert_eq!(URL_SAFE_NO_PAD.decode(t).unwrap().len(), 32);
            assert_eq!(TokenHash::of(t), h);
        }
        assert!(c != d && c != a && d != b);
    }

    /// Stores keep these hashes across restarts and versions: they must stay
    /// plain SHA-256 (FIPS 180-4's vectors, and ring's answer for a token).
    #[test]
    fn token_hashes_are_sha256() {
        let hex = |h: TokenHash| h.0.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(TokenHash::of("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(TokenHash::of("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let (t, h) = mint();
        let d = ring::digest::digest(&ring::digest::SHA256, t.as_bytes());
        assert_eq!(&TokenHash::of(&t).0[..], d.as_ref());
        assert_eq!(TokenHash::of(&t), h);
    }

    #[test]
    fn shape() {
        assert!(!looks_like_token("short"));
        assert!(!looks_like_token(&"a".repeat(42)));
        assert!(!looks_like_token(&format!("{}=", "a".repeat(42))));
        assert!(looks_like_token(&"a".repeat(43)));
        // Every ASCII character at the first, a middle and the last place:
        // exactly the URL-safe base64 alphabet passes.
        for c in (0u8..128).map(char::from) {
            let ok = c.is_ascii_alphanumeric() || c == '-' || c == '_';
            for at in [0, 21, 42] {
                let mut t: Vec<char> = "a".repeat(43).chars().collect();
                t[at] = c;
                let t: String = t.into_iter().collect();
                assert_eq!(looks_like_token(&t), ok, "{c:?} at {at}");
            }
        }
        // Non-ASCII, at 43 bytes.
        assert!(!looks_like_token(&format!("{}é", "a".repeat(41))));
    }
}
