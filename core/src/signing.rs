//! Signing keys that rotate by themselves: the schedule every host follows
//! (written once, above the stores), and the operator's key-encryption key
//! that keeps the private keys sealed in the store.
//!
//! The schedule: the key that activated last signs. The next key is made
//! `lead` seconds before it activates and is published from then on, so a
//! resource server that caches the key set for less than `lead` knows it
//! before any token it signs arrives. A key stops signing when the next
//! activates and stays published `keep` seconds more (at least the longest
//! access-token lifetime), so no token it signed fails verification; then
//! it is dropped. Every host reads the same stored keys and computes the
//! same answer: they agree on the signing key without talking.

use crate::jws::{self, Algorithm, SigningKey};
use crate::store::{keys::newest, StoredKey};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use zeroize::Zeroizing;

/// When keys activate, are announced and are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySchedule {
    /// How long a key signs before the next takes over.
    pub rotate_seconds: u64,
    /// How long before it activates a key is published (less than
    /// `rotate_seconds`; a key set is cached for less than this).
    pub lead_seconds: u64,
    /// How long a key stays published after it stopped signing (at least
    /// the longest access-token lifetime).
    pub keep_seconds: u64,
}

/// What a host does about the keys at some time: make the next key, drop
/// the retired ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Make a key that activates at this time.
    pub make: Option<u64>,
    /// Drop these keys (by `kid`): retired past their keeping.
    pub drop: Vec<String>,
}

impl KeySchedule {
    /// The key that signs at `now`: the one that activated last.
    pub fn signing<'a>(&self, keys: &'a [StoredKey], now: u64) -> Option<&'a StoredKey> {
        keys.iter()
            .filter(|k| k.activates_at <= now)
            .max_by(|a, b| (a.activates_at, &a.kid).cmp(&(b.activates_at, &b.kid)))
    }

    /// Whether `key` is retired at `now`: a later key activated at least
    /// `keep_seconds` ago.
    pub fn retired(&self, key: &StoredKey, keys: &[StoredKey], now: u64) -> bool {
        keys.iter().any(|k| {
            (k.activates_at, &k.kid) > (key.activates_at, &key.kid)
                && k.activates_at <= now
                && now >= k.activates_at.saturating_add(self.keep_seconds)
        })
    }

    /// The keys a key set publishes at `now`: announced (within `lead` of
    /// activating, or active) and not retired.
    pub fn published<'a>(&self, keys: &'a [StoredKey], now: u64) -> Vec<&'a StoredKey> {
        let mut out: Vec<&StoredKey> = keys
            .iter()
            .filter(|k| k.activates_at <= now.saturating_add(self.lead_seconds))
            .filter(|k| !self.retired(k, keys, now))
            .collect();
        out.sort_by(|a, b| (a.activates_at, &a.kid).cmp(&(b.activates_at, &b.kid)));
        out
    }

    /// What to do at `now`. With no key, make one that activates at once
    /// (there is no token yet to verify). Once the newest key activated
    /// `rotate - lead` seconds ago, make the next, to activate `rotate`
    /// after it, or `lead` from now if that has passed (hosts were down):
    /// a key never signs before it was published for `lead`.
    pub fn plan(&self, keys: &[StoredKey], now: u64) -> Plan {
        let make = match newest(keys) {
            None => Some(now),
            Some(latest) => {
                let due = latest.activates_at.saturating_add(self.rotate_seconds);
                (now >= due.saturating_sub(self.lead_seconds))
                    .then(|| due.max(now.saturating_add(self.lead_seconds)))
            }
        };
        let drop = keys
            .iter()
            .filter(|k| self.retired(k, keys, now))
            .map(|k| k.kid.clone())
            .collect();
        Plan { make, drop }
    }
}

/// The operator's key-encryption key: 32 bytes, from the environment or a
/// file, never in the configuration. It seals the private signing keys in
/// the store (AES-256-GCM); its bytes are wiped when it is dropped.
pub struct KeyEncryptionKey {
    key: LessSafeKey,
}

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey(..)")
    }
}

/// Why a key could not be made, sealed or opened. Never holds key material.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyError(&'static str);

impl KeyError {
    /// What was wrong.
    pub fn reason(&self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for KeyError {}

/// A 32-byte key an operator writes as 64 hex digits or 43 base64url
/// characters, surrounding white space ignored (the key-encryption key, the
/// DPoP nonce key); `None` for anything else. The text never reaches an
/// error.
pub(crate) fn key_bytes(text: &str) -> Option<Zeroizing<[u8; 32]>> {
    use base64::Engine;
    let text = text.trim();
    let bytes = Zeroizing::new(
        if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap_or(0))
                .collect::<Vec<u8>>()
        } else {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(text)
                .unwrap_or_default()
        },
    );
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(bytes.get(..32).filter(|_| bytes.len() == 32)?);
    Some(out)
}

impl KeyEncryptionKey {
    /// The key written as 64 hex digits or 43 base64url characters (32
    /// bytes), surrounding white space ignored.
    pub fn from_text(text: &str) -> Result<KeyEncryptionKey, KeyError> {
        let bytes = key_bytes(text).ok_or(KeyError(
            "the key-encryption key must be 32 bytes: 64 hex digits or 43 base64url characters",
        ))?;
        let key = UnboundKey::new(&AES_256_GCM, &bytes[..])
            .map_err(|_| KeyError("the key-encryption key was refused"))?;
        Ok(KeyEncryptionKey {
            key: LessSafeKey::new(key),
        })
    }

    fn aad(kid: &str, alg: &str) -> Vec<u8> {
        format!("ropc signing key\0{kid}\0{alg}").into_bytes()
    }

    /// `pkcs8` sealed for the key `kid` of `alg`: a fresh random nonce,
    /// then the ciphertext and its tag.
    pub fn seal(&self, kid: &str, alg: &str, pkcs8: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        crate::random::fill(&mut nonce);
        let mut out = nonce.to_vec();
        let mut body = pkcs8.to_vec();
        // Sealing in place cannot fail for a buffer this size.
        let _ = self.key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(Self::aad(kid, alg)),
            &mut body,
        );
        out.extend_from_slice(&body);
        zeroize::Zeroize::zeroize(&mut body);
        out
    }

    /// The PKCS#8 document sealed for `kid` of `alg`; an error if it was
    /// sealed under another key-encryption key, for another key, or altered.
    pub fn open(
        &self,
        kid: &str,
        alg: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let wrong = KeyError("a stored signing key does not open with this key-encryption key");
        if sealed.len() < NONCE_LEN {
            return Err(wrong);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| wrong.clone())?;
        let mut body = Zeroizing::new(body.to_vec());
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(Self::aad(kid, alg)), &mut body)
            .map_err(|_| wrong)?;
        Ok(Zeroizing::new(plain.to_vec()))
    }

    /// A new key of `alg`, made at `now`, activating at `activates_at`,
    /// sealed under this key; with the key itself, ready to sign.
    pub fn make_key(
        &self,
        alg: Algorithm,
        now: u64,
        activates_at: u64,
    ) -> Result<(StoredKey, SigningKey), KeyError> {
        let pkcs8 =
            jws::generate_pkcs8(alg).ok_or(KeyError("the system's random generator failed"))?;
        let mut id = [0u8; 12];
        crate::random::fill(&mut id);
        let kid = crate::token::encode(&id);
        let key = SigningKey::from_pkcs8(&kid, alg, &pkcs8)
            .ok_or(KeyError("a key just made does not load"))?;
        let stored = StoredKey {
            sealed: self.seal(&kid, alg.name(), &pkcs8),
            kid,
            alg: alg.name().to_string(),
            created_at: now,
            activates_at,
            public_jwk: key.verifying_key().to_jwk().to_string(),
        };
        Ok((stored, key))
    }

    /// The signing key a stored key holds.
    pub fn load(&self, stored: &StoredKey) -> Result<SigningKey, KeyError> {
        let alg = Algorithm::from_name(&stored.alg)
            .ok_or(KeyError("a stored signing key has an unknown algorithm"))?;
        let pkcs8 = self.open(&stored.kid, &stored.alg, &stored.sealed)?;
        SigningKey::from_pkcs8(&stored.kid, alg, &pkcs8).ok_or(KeyError(
            "a stored signing key is not a key of its algorithm",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400;
    const SCHEDULE: KeySchedule = KeySchedule {
        rotate_seconds: 30 * DAY,
        lead_seconds: 14 * DAY,
        keep_seconds: DAY,
    };

    fn kek() -> KeyEncryptionKey {
        KeyEncryptionKey::from_text(&"ab".repeat(32)).unwrap()
    }

    fn stored(kid: &str, activates_at: u64) -> StoredKey {
        StoredKey {
            kid: kid.into(),
            alg: "EdDSA".into(),
            created_at: activates_at,
            activates_at,
            public_jwk: String::new(),
            sealed: Vec::new(),
        }
    }

    #[test]
    fn a_full_rotation_day_by_day() {
        let t0 = 1_000 * DAY;
        let mut keys: Vec<StoredKey> = Vec::new();
        let mut signed_by: Vec<String> = Vec::new();
        let mut made = 0;
        for day in 0..70 {
            let now = t0 + day * DAY;
            let plan = SCHEDULE.plan(&keys, now);
            if let Some(at) = plan.make {
                assert!(
                    at == now || at >= now + SCHEDULE.lead_seconds,
                    "day {day}: announced for the lead"
                );
                keys.push(stored(&format!("k{made}"), at));
                made += 1;
            }
            keys.retain(|k| !plan.drop.contains(&k.kid));
            let signing = SCHEDULE.signing(&keys, now).unwrap();
            let published: Vec<&str> = SCHEDULE
                .published(&keys, now)
                .iter()
                .map(|k| k.kid.as_str())
                .collect();
            assert!(
                published.contains(&signing.kid.as_str()),
                "day {day}: the signing key is published"
            );
            // A token signed yesterday still verifies today (keep ≥ its lifetime).
            if let Some(yesterday) = signed_by.last() {
                assert!(
                    published.contains(&yesterday.as_str()),
                    "day {day}: yesterday's key {yesterday} is gone"
                );
            }
            signed_by.push(signing.kid.clone());
        }
        assert_eq!(signed_by[0], "k0");
        assert_eq!(signed_by[29], "k0");
        assert_eq!(signed_by[30], "k1", "the next key takes over after 30 days");
        assert_eq!(signed_by[60], "k2");
        // k1 was made on day 16 (30 - 14) and published from then on.
        assert!(
            keys.iter().all(|k| k.kid != "k0"),
            "k0 dropped once retired"
        );
    }

    #[test]
    fn a_next_key_never_signs_before_it_was_announced_for_the_lead() {
        // The hosts were down for 100 days: the next key activates a lead from now.
        let keys = vec![stored("old", 0)];
        let now = 100 * DAY;
        let plan = SCHEDULE.plan(&keys, now);
        assert_eq!(plan.make, Some(now + SCHEDULE.lead_seconds));
        assert_eq!(
            SCHEDULE.signing(&keys, now).unwrap().kid,
            "old",
            "the old key signs meanwhile"
        );
        assert_eq!(
            SCHEDULE.plan(&[], 5).make,
            Some(5),
            "the first key signs at once"
        );
        assert_eq!(SCHEDULE.plan(&keys, DAY).make, None, "nothing due yet");
    }

    #[test]
    fn every_host_names_the_same_key_whatever_the_order() {
        let mut keys = vec![stored("b", 10), stored("a", 10), stored("c", 5)];
        let one = SCHEDULE.signing(&keys, 20).unwrap().kid.clone();
        keys.reverse();
        assert_eq!(SCHEDULE.signing(&keys, 20).unwrap().kid, one);
        assert_eq!(one, "b");
    }

    #[test]
    fn sealed_keys_open_only_with_their_kek_kid_and_alg() {
        let kek = kek();
        let (stored, key) = kek.make_key(Algorithm::EdDsa, 1, 1).unwrap();
        assert!(
            !stored.public_jwk.contains("\"d\""),
            "no private part published"
        );
        let loaded = kek.load(&stored).unwrap();
        assert_eq!(loaded.verifying_key(), key.verifying_key());
        let other = KeyEncryptionKey::from_text(&"cd".repeat(32)).unwrap();
        assert!(other.load(&stored).is_err(), "another KEK");
        let renamed = StoredKey {
            kid: "other".into(),
            ..stored.clone()
        };
        assert!(kek.load(&renamed).is_err(), "sealed for another kid");
        let mut altered = stored.clone();
        *altered.sealed.last_mut().unwrap() ^= 1;
        assert!(kek.load(&altered).is_err(), "altered");
        let es = kek.make_key(Algorithm::Es256, 1, 1).unwrap().0;
        assert!(kek.load(&es).is_ok());
        assert_eq!(format!("{kek:?}"), "KeyEncryptionKey(..)");
        assert!(!format!("{stored:?}").contains("sealed"));
    }

    #[test]
    fn a_kek_is_32_bytes_in_hex_or_base64url() {
        assert!(KeyEncryptionKey::from_text(&"0f".repeat(32)).is_ok());
        assert!(KeyEncryptionKey::from_text(&format!(" {}\n", "A".repeat(43))).is_ok());
        for bad in [
            "",
            "abc",
            &"0f".repeat(31),
            &"A".repeat(44),
            &"zz".repeat(32),
        ] {
            let e = KeyEncryptionKey::from_text(bad).unwrap_err();
            assert!(e.reason().contains("32 bytes"), "{bad:?}");
        }
    }
}
