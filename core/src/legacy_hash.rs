//! Password hashes an existing user base brings: bcrypt, PBKDF2 and scrypt,
//! in the formats the common libraries write them. They verify (on the same
//! bounded pool as argon2) so that users log in as before, and a successful
//! login re-hashes them to argon2id: a user base migrates without a reset.
//!
//! Formats:
//! - bcrypt: `$2a$`, `$2b$`, `$2x$`, `$2y$` (Modular Crypt Format, 60 chars).
//!   Passwords are truncated at 72 bytes, as every bcrypt implementation that
//!   made these hashes did.
//! - PBKDF2-HMAC-SHA256 or -SHA512:
//!   - PHC: `$pbkdf2-sha256$i=600000,l=32$<salt>$<hash>` (RustCrypto),
//!   - passlib: `$pbkdf2-sha256$29000$<salt>$<hash>` (adapted base64),
//!   - Django: `pbkdf2_sha256$600000$<salt>$<base64 hash>`,
//!   - Werkzeug (Flask): `pbkdf2:sha256:600000$<salt>$<hex hash>`.
//! - scrypt:
//!   - PHC / passlib: `$scrypt$ln=16,r=8,p=1$<salt>$<hash>`,
//!   - Werkzeug: `scrypt:32768:8:1$<salt>$<hex hash>`.
//!
//! Costs beyond [`MAX_BCRYPT_COST`], [`MAX_PBKDF2_ITERATIONS`] and
//! [`MAX_SCRYPT_BYTES`] are refused when the hash is loaded: one login must
//! not be able to take the server's memory or minutes of a core.

use crate::secret::Wiped;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use std::num::NonZeroU32;
use subtle::ConstantTimeEq;

/// The highest bcrypt cost accepted (2^16 rounds, several seconds).
pub const MAX_BCRYPT_COST: u32 = 16;
/// The most PBKDF2 iterations accepted.
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// The most memory one scrypt verification may take (1 GiB).
pub const MAX_SCRYPT_BYTES: u64 = 1 << 30;

/// A decoded legacy hash, ready to verify.
pub(crate) enum Legacy {
    Bcrypt {
        hash: String,
    },
    Pbkdf2 {
        algorithm: ring::pbkdf2::Algorithm,
        iterations: NonZeroU32,
        salt: Vec<u8>,
        expected: Vec<u8>,
    },
    Scrypt {
        params: scrypt::Params,
        salt: Vec<u8>,
        expected: Vec<u8>,
    },
}

impl Legacy {
    /// The algorithm's name, for `Debug` and messages.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Legacy::Bcrypt { .. } => "bcrypt",
            Legacy::Pbkdf2 { algorithm, .. } if *algorithm == ring::pbkdf2::PBKDF2_HMAC_SHA512 => {
                "pbkdf2-sha512"
            }
            Legacy::Pbkdf2 { .. } => "pbkdf2-sha256",
            Legacy::Scrypt { .. } => "scrypt",
        }
    }

    /// Whether `password` matches, compared in constant time.
    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        match self {
            Legacy::Bcrypt { hash } => bcrypt::verify(password, hash).unwrap_or(false),
            Legacy::Pbkdf2 {
                algorithm,
                iterations,
                salt,
                expected,
            } => ring::pbkdf2::verify(*algorithm, *iterations, salt, password, expected).is_ok(),
            Legacy::Scrypt {
                params,
                salt,
                expected,
            } => {
                let mut out = Wiped::new(vec![0u8; expected.len()]);
                scrypt::scrypt(password, salt, params, &mut out).is_ok()
                    && bool::from(out.as_slice().ct_eq(expected))
            }
        }
    }
}

/// Why a hash that looks like one of the legacy formats cannot be used.
fn invalid(format: &str, why: impl std::fmt::Display) -> String {
    format!("{format} hash: {why}")
}

/// Parses `hash` if it is in one of the legacy formats: `None` when it is
/// none of them, `Some(Err(why))` when it is one but invalid.
pub(crate) fn parse(hash: &str) -> Option<Result<Legacy, String>> {
    if let Some(rest) = hash.strip_prefix('$') {
        let id = rest.split('$').next().unwrap_or("");
        return match id {
            "2a" | "2b" | "2x" | "2y" => Some(parse_bcrypt(hash)),
            "pbkdf2-sha256" | "pbkdf2-sha512" => Some(parse_pbkdf2_dollar(id, rest)),
            "scrypt" => Some(parse_scrypt_phc(rest)),
            _ => None,
        };
    }
    if let Some(rest) = hash.strip_prefix("pbkdf2_sha256$") {
        return Some(parse_django(rest));
    }
    if let Some(rest) = hash.strip_prefix("pbkdf2:") {
        return Some(parse_werkzeug_pbkdf2(rest));
    }
    if let Some(rest) = hash.strip_prefix("scrypt:") {
        return Some(parse_werkzeug_scrypt(rest));
    }
    None
}

fn parse_bcrypt(hash: &str) -> Result<Legacy, String> {
    let parts: bcrypt::HashParts = hash.parse().map_err(|e| invalid("bcrypt", e))?;
    if parts.get_cost() > MAX_BCRYPT_COST {
        return Err(invalid(
            "bcrypt",
            format!(
                "cost {} is beyond the limit {MAX_BCRYPT_COST}",
                parts.get_cost()
            ),
        ));
    }
    Ok(Legacy::Bcrypt {
        hash: hash.to_string(),
    })
}

fn pbkdf2_algorithm(name: &str) -> Result<ring::pbkdf2::Algorithm, String> {
    match name {
        "sha256" => Ok(ring::pbkdf2::PBKDF2_HMAC_SHA256),
        "sha512" => Ok(ring::pbkdf2::PBKDF2_HMAC_SHA512),
        other => Err(invalid(
            "PBKDF2",
            format!("digest {other:?} is not supported (sha256 or sha512)"),
        )),
    }
}

fn iterations(format: &str, text: &str) -> Result<NonZeroU32, String> {
    let n: u32 = text
        .parse()
        .map_err(|_| invalid(format, format!("iterations {text:?} are not a number")))?;
    if n > MAX_PBKDF2_ITERATIONS {
        return Err(invalid(
            format,
            format!("{n} iterations are beyond the limit {MAX_PBKDF2_ITERATIONS}"),
        ));
    }
    NonZeroU32::new(n).ok_or_else(|| invalid(format, "zero iterations"))
}

/// A salt or hash in the PHC string format's base64 (no padding), or
/// passlib's adapted base64 (`.` for `+`).
fn b64(format: &str, what: &str, text: &str) -> Result<Vec<u8>, String> {
    let text = text.replace('.', "+");
    STANDARD_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| invalid(format, format!("the {what} is not base64")))
}

fn non_empty(format: &str, salt: &[u8], expected: &[u8]) -> Result<(), String> {
    if salt.is_empty() || expected.len() < 16 {
        return Err(invalid(format, "the salt is empty or the hash too short"));
    }
    Ok(())
}

/// `$pbkdf2-sha256$i=N,l=32$salt$hash` (PHC) or `$pbkdf2-sha256$N$salt$hash`
/// (passlib); `rest` is without the leading `$`.
fn parse_pbkdf2_dollar(id: &str, rest: &str) -> Result<Legacy, String> {
    let fields: Vec<&str> = rest.split('$').collect();
    let [_, params, salt, hash] = fields[..] else {
        return Err(invalid(id, "expected $id$params$salt$hash"));
    };
    let algorithm = pbkdf2_algorithm(&id["pbkdf2-".len()..])?;
    let rounds = if params.contains('=') {
        let mut rounds = None;
        for pair in params.split(',') {
            match pair.split_once('=') {
                Some(("i", n)) => rounds = Some(n),
                Some(("l", _)) => {}
                _ => return Err(invalid(id, format!("unknown parameter {pair:?}"))),
            }
        }
        rounds.ok_or_else(|| invalid(id, "no iteration count (i=)"))?
    } else {
        params
    };
    let iterations = iterations(id, rounds)?;
    let salt = b64(id, "salt", salt)?;
    let expected = b64(id, "hash", hash)?;
    non_empty(id, &salt, &expected)?;
    Ok(Legacy::Pbkdf2 {
        algorithm,
        iterations,
        salt,
        expected,
    })
}

/// Django: `pbkdf2_sha256$N$salt$base64(hash)`, the salt used as it is.
fn parse_django(rest: &str) -> Result<Legacy, String> {
    let format = "Django pbkdf2_sha256";
    let fields: Vec<&str> = rest.split('$').collect();
    let [rounds, salt, hash] = fields[..] else {
        return Err(invalid(
            format,
            "expected pbkdf2_sha256$iterations$salt$hash",
        ));
    };
    let iterations = iterations(format, rounds)?;
    let expected = STANDARD
        .decode(hash)
        .map_err(|_| invalid(format, "the hash is not base64"))?;
    non_empty(format, salt.as_bytes(), &expected)?;
    Ok(Legacy::Pbkdf2 {
        algorithm: ring::pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        salt: salt.as_bytes().to_vec(),
        expected,
    })
}

fn hex(format: &str, text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid(format, "the hash is not hexadecimal"));
    }
    Ok((0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("checked hex digits"))
        .collect())
}

/// Werkzeug: `pbkdf2:sha256:N$salt$hex(hash)`; `rest` is after `pbkdf2:`.
fn parse_werkzeug_pbkdf2(rest: &str) -> Result<Legacy, String> {
    let format = "Werkzeug pbkdf2";
    let fields: Vec<&str> = rest.split('$').collect();
    let [method, salt, hash] = fields[..] else {
        return Err(invalid(
            format,
            "expected pbkdf2:digest:iterations$salt$hash",
        ));
    };
    let (digest, rounds) = method.split_once(':').unwrap_or((method, "600000"));
    let algorithm = pbkdf2_algorithm(digest)?;
    let iterations = iterations(format, rounds)?;
    let expected = hex(format, hash)?;
    non_empty(format, salt.as_bytes(), &expected)?;
    Ok(Legacy::Pbkdf2 {
        algorithm,
        iterations,
        salt: salt.as_bytes().to_vec(),
        expected,
    })
}

fn scrypt_params(format: &str, log_n: u32, r: u32, p: u32) -> Result<scrypt::Params, String> {
    // ROMix takes 128·r·N bytes, and each of the p lanes 128·r more.
    let bytes = 128u64
        .saturating_mul(u64::from(r))
        .saturating_mul((1u64 << log_n.min(63)).saturating_add(u64::from(p)));
    if log_n >= 64 || bytes > MAX_SCRYPT_BYTES || p > 16 {
        return Err(invalid(
            format,
            format!("ln={log_n} r={r} p={p} are beyond the limits (1 GiB of memory, p<=16)"),
        ));
    }
    scrypt::Params::new(log_n as u8, r, p).map_err(|e| invalid(format, e))
}

/// `$scrypt$ln=16,r=8,p=1$salt$hash`; `rest` is without the leading `$`.
fn parse_scrypt_phc(rest: &str) -> Result<Legacy, String> {
    let format = "scrypt";
    let fields: Vec<&str> = rest.split('$').collect();
    let [_, params, salt, hash] = fields[..] else {
        return Err(invalid(
            format,
            "expected $scrypt$ln=..,r=..,p=..$salt$hash",
        ));
    };
    let (mut ln, mut r, mut p) = (None, None, None);
    for pair in params.split(',') {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| invalid(format, format!("parameter {pair:?} has no value")))?;
        let value: u32 = value
            .parse()
            .map_err(|_| invalid(format, format!("parameter {pair:?} is not a number")))?;
        match key {
            "ln" => ln = Some(value),
            "r" => r = Some(value),
            "p" => p = Some(value),
            _ => return Err(invalid(format, format!("unknown parameter {key:?}"))),
        }
    }
    let (Some(ln), Some(r), Some(p)) = (ln, r, p) else {
        return Err(invalid(format, "ln, r and p are all needed"));
    };
    let params = scrypt_params(format, ln, r, p)?;
    let salt = b64(format, "salt", salt)?;
    let expected = b64(format, "hash", hash)?;
    non_empty(format, &salt, &expected)?;
    Ok(Legacy::Scrypt {
        params,
        salt,
        expected,
    })
}

/// Werkzeug: `scrypt:N:r:p$salt$hex(hash)`; `rest` is after `scrypt:`.
fn parse_werkzeug_scrypt(rest: &str) -> Result<Legacy, String> {
    let format = "Werkzeug scrypt";
    let fields: Vec<&str> = rest.split('$').collect();
    let [method, salt, hash] = fields[..] else {
        return Err(invalid(format, "expected scrypt:N:r:p$salt$hash"));
    };
    let numbers: Vec<u64> = method
        .split(':')
        .map(|n| n.parse::<u64>())
        .collect::<Result<_, _>>()
        .map_err(|_| invalid(format, "N, r and p must be numbers"))?;
    let [n, r, p] = numbers[..] else {
        return Err(invalid(format, "expected scrypt:N:r:p"));
    };
    if !n.is_power_of_two() || n < 2 || r > u64::from(u32::MAX) || p > u64::from(u32::MAX) {
        return Err(invalid(format, "N must be a power of two, r and p small"));
    }
    let params = scrypt_params(format, n.trailing_zeros(), r as u32, p as u32)?;
    let expected = hex(format, hash)?;
    non_empty(format, salt.as_bytes(), &expected)?;
    Ok(Legacy::Scrypt {
        params,
        salt: salt.as_bytes().to_vec(),
        expected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made by other implementations (Python's hashlib, passlib's format,
    // Django's format, Werkzeug 3, bcryptjs), all of "correct horse".
    const VECTORS: [&str; 8] = [
        "$pbkdf2-sha256$i=1000,l=32$MDEyMzQ1Njc4OWFiY2RlZg$cBg8D2DungRB9k76szThf5ehfyBz991ay6PT8Srwk4M",
        "$pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg$cBg8D2DungRB9k76szThf5ehfyBz991ay6PT8Srwk4M",
        "$pbkdf2-sha512$1000$MDEyMzQ1Njc4OWFiY2RlZg$OM0FAoIqCVK1sWtxDiffVlBejtLa.ks4TP71JiecwuSZCG8iLbnlIEPOMoVX.i2B2wkSxjQ8CRGR9OkNGuIPMQ",
        "pbkdf2_sha256$1000$djangosalt123$WrZ0z9pVNKU2hkBgWfZabSktS5se+Mf84aO/j4oNU6E=",
        "pbkdf2:sha256:1000$0a6MNngxNFD5k5Ra$ab18ae0247c49499a57ab995326350b9001df6153d477a47a1e83a1b19cd07c2",
        "scrypt:1024:8:1$ZfUdmObqKNVeHuEv$726f955b0cb6ee302b53d3dbd22e1b2f8e67f2bca6b02df08f809c90b0e6d3a703e6da99894936511a5ef76382190010e156d901958b83d05566598012beb19d",
        "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$6g3umF+uVrJsObaTZhIbbTlgrvOEFcCItdwSjtPF67M",
        "$2b$04$JePKT4kBM3.D4htYF7jHoufVCTflajOeQAeHGGfbImlmvSDzVXQq6",
    ];

    #[test]
    fn hashes_made_elsewhere_verify_the_right_password_only() {
        for hash in VECTORS {
            let legacy = parse(hash).expect("recognised").expect("valid");
            assert!(legacy.verify(b"correct horse"), "{hash}");
            assert!(!legacy.verify(b"correct horsf"), "{hash}");
            assert!(!legacy.verify(b""), "{hash}");
        }
    }

    #[test]
    fn bcrypt_truncates_at_72_bytes_as_the_implementations_that_made_it() {
        // bcryptjs, of 72 x then "tail".
        let hash = "$2b$04$ysDNVqC4xA0WUBU1cZdLOeeInmU/HG09KRUgb81yWi.TcMnoPAD6m";
        let legacy = parse(hash).unwrap().unwrap();
        assert!(legacy.verify(format!("{}tail", "x".repeat(72)).as_bytes()));
        assert!(legacy.verify("x".repeat(72).as_bytes()));
        assert!(!legacy.verify("x".repeat(71).as_bytes()));
    }

    #[test]
    fn costs_beyond_the_limits_and_malformed_hashes_are_refused_with_a_reason() {
        let refused = |hash: &str| match parse(hash) {
            Some(Err(why)) => why,
            Some(Ok(_)) => panic!("accepted {hash}"),
            None => panic!("not recognised: {hash}"),
        };
        let bcrypt17 = VECTORS[7].replace("$04$", "$17$");
        assert!(refused(&bcrypt17).contains("beyond the limit"));
        assert!(refused(
            "$pbkdf2-sha256$i=20000000,l=32$MDEy$cBg8D2DungRB9k76szThf5ehfyBz991ay6PT8Srwk4M"
        )
        .contains("beyond the limit"));
        assert!(
            refused("$scrypt$ln=24,r=64,p=1$MDEy$6g3umF+uVrJsObaTZhIbbTlgrvOEFcCItdwSjtPF67M")
                .contains("beyond the limits")
        );
        assert!(refused("scrypt:1000:8:1$salt$00").contains("power of two"));
        assert!(refused("$pbkdf2-sha256$i=1000,l=32$MDEy$").contains("too short"));
        assert!(refused("pbkdf2:md5:1000$salt$00").contains("not supported"));
        assert!(refused("pbkdf2_sha256$x$salt$abc=").contains("not a number"));
        assert!(
            refused("pbkdf2_sha256$0$salt$WrZ0z9pVNKU2hkBgWfZabSktS5se+Mf84aO/j4oNU6E=")
                .contains("zero iterations")
        );
        assert!(refused("$2b$04$short").contains("bcrypt"));
        assert!(parse("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA").is_none());
        assert!(parse("plaintext").is_none());
    }
}
