//! Client secrets: generating them, their two hash forms (`sha256:<hex>` for
//! generated secrets, argon2id for chosen ones), verifying them, and the
//! dummy an unknown client id is verified against.

use crate::error::ConfigError;
use crate::password::{reserve, Busy, PasswordHashed};
use crate::random::fill as fill_random;
use crate::token::{encode, sha256};
use subtle::ConstantTimeEq;

/// Makes a new client secret (256 random bits, base64url) and the hash that
/// goes into the configuration. Hand the secret to the client once; keep only
/// the hash.
pub fn generate_client_secret() -> (String, String) {
    let mut raw = zeroize::Zeroizing::new([0u8; 32]);
    fill_random(&mut *raw);
    let secret = encode(&*raw);
    let hash = hash_client_secret(&secret);
    (secret, hash)
}

/// The `sha256:<hex>` hash of a generated, high-entropy client secret. For a
/// secret a person chose, use an argon2id PHC string from
/// [`crate::hash_password`] instead.
pub fn hash_client_secret(secret: &str) -> String {
    let hex: String = sha256(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

pub(crate) enum SecretHash {
    Sha256([u8; 32]),
    /// Boxed: a parsed argon2 hash is ten times the size of a sha256 one.
    Argon2(Box<PasswordHashed>),
}

/// Why a client secret hash cannot be used.
#[derive(Debug)]
pub(crate) enum SecretHashError {
    /// `sha256:` without 64 hex digits.
    Sha256Digits,
    /// An argon2 PHC string that does not parse.
    Phc(crate::password::PhcError),
    /// Neither form.
    UnknownForm,
}

impl std::fmt::Display for SecretHashError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretHashError::Sha256Digits => {
                f.write_str("a sha256: secret hash needs 64 hex digits")
            }
            SecretHashError::Phc(e) => e.fmt(f),
            SecretHashError::UnknownForm => {
                f.write_str("a client secret hash is 'sha256:<hex>' or an argon2id PHC string")
            }
        }
    }
}

impl SecretHash {
    pub(crate) fn parse(s: &str) -> Result<SecretHash, SecretHashError> {
        if let Some(hex) = s.strip_prefix("sha256:") {
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| {
                    hex.get(i..i + 2)
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                })
                .collect::<Option<Vec<u8>>>()
                .filter(|b| b.len() == 32 && hex.len() == 64)
                .ok_or(SecretHashError::Sha256Digits)?;
            let mut out = [0u8; 32];
            out.copy_from_slice(&bytes);
            Ok(SecretHash::Sha256(out))
        } else if s.starts_with("$argon2") {
            PasswordHashed::parse_argon2(s)
                .map(|h| SecretHash::Argon2(Box::new(h)))
                .map_err(SecretHashError::Phc)
        } else {
            Err(SecretHashError::UnknownForm)
        }
    }

    /// Constant-time for the sha256 form; one argon2 verification (on the
    /// bounded pool) otherwise, or `Busy` when the pool is full.
    pub(crate) fn verify(&self, secret: &str) -> Result<bool, Busy> {
        match self {
            SecretHash::Sha256(expected) => {
                Ok(bool::from(sha256(secret.as_bytes()).ct_eq(expected)))
            }
            SecretHash::Argon2(h) => Ok(h.verify_on_pool(reserve()?, secret)),
        }
    }
}

impl SecretHash {
    /// The kind of hash, as one verification of it costs: `sha256`, or
    /// the argon2 variant and its parameters.
    pub(crate) fn kind(&self) -> String {
        match self {
            SecretHash::Sha256(_) => "sha256".into(),
            SecretHash::Argon2(h) => match h.params() {
                Some(p) => format!("argon2 m={} t={} p={}", p.m_cost, p.t_cost, p.p_cost),
                None => "argon2".into(),
            },
        }
    }
}

/// A random secret's hash of the costliest kind among the clients' `secrets`.
pub(crate) fn dummy_secret<'a>(
    secrets: impl Iterator<Item = &'a SecretHash>,
) -> Result<SecretHash, ConfigError> {
    let mut raw = [0u8; 32];
    fill_random(&mut raw);
    let secret = encode(&raw);
    let argon2 = secrets
        .filter_map(|s| match s {
            SecretHash::Argon2(h) => h.params(),
            _ => None,
        })
        .max_by_key(|p| (u64::from(p.m_cost) * u64::from(p.t_cost), p.p_cost));
    let hash = match argon2 {
        Some(params) => crate::password::hash_password(&secret, params).map_err(|e| {
            ConfigError::new(
                "clients",
                format!("cannot hash with a client secret's parameters: {e}"),
            )
        })?,
        None => hash_client_secret(&secret),
    };
    SecretHash::parse(&hash).map_err(|e| ConfigError::new("clients", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Configurations keep these hashes: plain SHA-256 in hex, and a
    /// generated secret verifies against its own hash only.
    #[test]
    fn sha256_secret_hashes_stay_plain_sha256() {
        assert_eq!(
            hash_client_secret("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let (secret, hash) = generate_client_secret();
        let parsed = SecretHash::parse(&hash).expect("a sha256 hash");
        assert_eq!(parsed.verify(&secret).ok(), Some(true));
        assert_eq!(parsed.verify(&format!("{secret}x")).ok(), Some(false));
    }
}
