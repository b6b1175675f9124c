//! JSON Web Signatures in compact form (RFC 7515), as RFC 9068 access
//! tokens use them: signing with a key of ropc's, and a strict reading
//! that a resource server can trust (RFC 8725). Signatures are `ring`'s:
//! Ed25519 (`EdDSA`, RFC 8037) and ECDSA P-256 with SHA-256 (`ES256`).
//!
//! The reading refuses, before any signature is checked: a token over
//! [`MAX_JWS_BYTES`], anything but three base64url parts without padding,
//! a header or payload that is not a JSON object or that repeats a member
//! (at any depth), an algorithm not allowed (never `none`, never an HMAC),
//! a `crit` header, a `typ` other than the one expected, and a `kid` not
//! in the key set. Every refusal is a [`JwsError`]; none panics.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::fmt;

/// base64url without padding.
fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The longest token read: far above any ropc issues (a few hundred
/// bytes), far below what would cost a resource server to parse.
pub const MAX_JWS_BYTES: usize = 8192;

/// A signature algorithm ropc signs and verifies with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// Ed25519 (RFC 8037): the default.
    EdDsa,
    /// ECDSA on P-256 with SHA-256.
    Es256,
}

impl Algorithm {
    /// The JOSE name: `"EdDSA"` or `"ES256"`.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::EdDsa => "EdDSA",
            Algorithm::Es256 => "ES256",
        }
    }

    /// The algorithm of a JOSE name; `None` for every other (`none`, the
    /// HMACs, RSA).
    pub fn from_name(name: &str) -> Option<Algorithm> {
        match name {
            "EdDSA" => Some(Algorithm::EdDsa),
            "ES256" => Some(Algorithm::Es256),
            _ => None,
        }
    }

    fn verification(self) -> &'static dyn signature::VerificationAlgorithm {
        match self {
            Algorithm::EdDsa => &signature::ED25519,
            Algorithm::Es256 => &signature::ECDSA_P256_SHA256_FIXED,
        }
    }
}

/// Why a token was not accepted. Its text is for logs and for the
/// `error_description` of an `invalid_token` answer: it never holds the
/// token or a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwsError(&'static str);

impl JwsError {
    /// What was wrong.
    pub fn reason(&self) -> &'static str {
        self.0
    }
}

impl fmt::Display for JwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for JwsError {}

/// A key pair of ropc's, able to sign: its `kid`, its algorithm and the
/// PKCS#8 document it was made from (kept by the caller, encrypted).
pub struct SigningKey {
    kid: String,
    pair: Pair,
}

enum Pair {
    Ed25519(Ed25519KeyPair),
    P256(EcdsaKeyPair),
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.algorithm().name())
            .finish_non_exhaustive()
    }
}

/// A fresh PKCS#8 document for a key of `alg` (the secret: keep it
/// encrypted). `None` only if the system's random generator failed.
pub fn generate_pkcs8(alg: Algorithm) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    let rng = SystemRandom::new();
    let doc = match alg {
        Algorithm::EdDsa => Ed25519KeyPair::generate_pkcs8(&rng).ok()?,
        Algorithm::Es256 => {
            EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).ok()?
        }
    };
    Some(zeroize::Zeroizing::new(doc.as_ref().to_vec()))
}

impl SigningKey {
    /// The key in the PKCS#8 document `pkcs8`, named `kid`. `None` when the
    /// document is not a key of `alg`.
    pub fn from_pkcs8(kid: &str, alg: Algorithm, pkcs8: &[u8]) -> Option<SigningKey> {
        let pair = match alg {
            Algorithm::EdDsa => {
                Pair::Ed25519(Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8).ok()?)
            }
            Algorithm::Es256 => Pair::P256(
                EcdsaKeyPair::from_pkcs8(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    pkcs8,
                    &SystemRandom::new(),
                )
                .ok()?,
            ),
        };
        Some(SigningKey {
            kid: kid.to_string(),
            pair,
        })
    }

    /// Its `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The key in an operator's PEM file (RFC 7468 `PRIVATE KEY`: PKCS#8,
    /// as `openssl genpkey` writes it), Ed25519 or P-256, named by its
    /// RFC 7638 thumbprint (so every host names it alike). The error says
    /// what is wrong and never holds the key.
    pub fn from_pem(pem: &[u8]) -> Result<SigningKey, JwsError> {
        let (label, der) =
            pem_rfc7468::decode_vec(pem).map_err(|_| JwsError("not a PEM document (RFC 7468)"))?;
        let der = zeroize::Zeroizing::new(der);
        if label != "PRIVATE KEY" {
            return Err(JwsError(
                "not a PKCS#8 \"PRIVATE KEY\" (convert with `openssl pkcs8 -topk8 -nocrypt`)",
            ));
        }
        let mut key = [Algorithm::EdDsa, Algorithm::Es256]
            .into_iter()
            .find_map(|alg| SigningKey::from_pkcs8("", alg, &der))
            .ok_or(JwsError("not an Ed25519 or P-256 private key"))?;
        key.kid = key.verifying_key().thumbprint();
        Ok(key)
    }

    /// Its algorithm.
    pub fn algorithm(&self) -> Algorithm {
        match self.pair {
            Pair::Ed25519(_) => Algorithm::EdDsa,
            Pair::P256(_) => Algorithm::Es256,
        }
    }

    /// Its public half, to publish.
    pub fn verifying_key(&self) -> VerifyingKey {
        let public = match &self.pair {
            Pair::Ed25519(p) => p.public_key().as_ref().to_vec(),
            Pair::P256(p) => p.public_key().as_ref().to_vec(),
        };
        VerifyingKey {
            kid: self.kid.clone(),
            alg: self.algorithm(),
            public,
        }
    }

    /// A compact JWS of `claims` (a JSON object) with the header `typ`,
    /// this key's `alg` and `kid`. `None` only if ECDSA's random generator
    /// failed.
    pub fn sign(&self, typ: &str, claims: &Map<String, Value>) -> Option<String> {
        let header =
            serde_json::json!({"alg": self.algorithm().name(), "kid": self.kid, "typ": typ});
        self.sign_with_header(&header, claims)
    }

    /// A compact JWS of `claims` under `header` as given (which must name
    /// this key's `alg`): for proofs whose header carries the public key
    /// itself (DPoP, RFC 9449) rather than a `kid`.
    pub fn sign_with_header(&self, header: &Value, claims: &Map<String, Value>) -> Option<String> {
        let mut out = encode(header.to_string().as_bytes());
        out.push('.');
        out.push_str(&encode(
            Value::Object(claims.clone()).to_string().as_bytes(),
        ));
        let signature = match &self.pair {
            Pair::Ed25519(p) => p.sign(out.as_bytes()).as_ref().to_vec(),
            Pair::P256(p) => p
                .sign(&SystemRandom::new(), out.as_bytes())
                .ok()?
                .as_ref()
                .to_vec(),
        };
        out.push('.');
        out.push_str(&encode(&signature));
        Some(out)
    }
}

/// A public key that verifies tokens: from a key of ropc's, or read from a
/// JWK.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyingKey {
    kid: String,
    alg: Algorithm,
    /// Ed25519: the 32-byte key; P-256: the uncompressed point (65 bytes).
    public: Vec<u8>,
}

impl VerifyingKey {
    /// Its `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Its algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// Its RFC 7638 thumbprint: the SHA-256 of the required members in
    /// lexicographic order, base64url.
    pub fn thumbprint(&self) -> String {
        let canonical = match self.alg {
            Algorithm::EdDsa => {
                format!(
                    r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
                    encode(&self.public)
                )
            }
            Algorithm::Es256 => format!(
                r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                encode(&self.public[1..33]),
                encode(&self.public[33..65])
            ),
        };
        encode(ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes()).as_ref())
    }

    /// As a public JWK (RFC 7517; RFC 8037 for Ed25519), with `use: sig`.
    pub fn to_jwk(&self) -> Value {
        match self.alg {
            Algorithm::EdDsa => serde_json::json!({
                "kty": "OKP", "crv": "Ed25519", "x": encode(&self.public),
                "kid": self.kid, "alg": "EdDSA", "use": "sig",
            }),
            Algorithm::Es256 => serde_json::json!({
                "kty": "EC", "crv": "P-256",
                "x": encode(&self.public[1..33]), "y": encode(&self.public[33..65]),
                "kid": self.kid, "alg": "ES256", "use": "sig",
            }),
        }
    }

    /// The key of a public JWK: `OKP`/`Ed25519` or `EC`/`P-256`, with a
    /// `kid`; `use`, when present, `sig`; `alg`, when present, the key's.
    /// A JWK holding a private part (`d`) is refused: a key set is public.
    pub fn from_jwk(jwk: &Map<String, Value>) -> Result<VerifyingKey, JwsError> {
        let kid = jwk
            .get("kid")
            .and_then(Value::as_str)
            .ok_or(JwsError("a key has no kid"))?;
        let mut key = VerifyingKey::from_public_jwk(jwk)?;
        key.kid = kid.to_string();
        Ok(key)
    }

    /// The key of a public JWK as [`VerifyingKey::from_jwk`] reads one, but
    /// needing no `kid`: it is named by its RFC 7638 thumbprint (a DPoP
    /// proof's `jwk`, RFC 9449 §4.2).
    pub fn from_public_jwk(jwk: &Map<String, Value>) -> Result<VerifyingKey, JwsError> {
        let text = |name: &str| jwk.get(name).and_then(Value::as_str);
        if jwk.contains_key("d") {
            return Err(JwsError("a key set holds a private key"));
        }
        if text("use").is_some_and(|u| u != "sig") {
            return Err(JwsError("a key is not for signatures"));
        }
        let bytes = |name: &str, len: usize| -> Result<Vec<u8>, JwsError> {
            let b = text(name)
                .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
                .ok_or(JwsError("a key's coordinates are not base64url"))?;
            if b.len() != len {
                return Err(JwsError("a key's coordinates have the wrong length"));
            }
            Ok(b)
        };
        let (alg, public) = match (text("kty"), text("crv")) {
            (Some("OKP"), Some("Ed25519")) => (Algorithm::EdDsa, bytes("x", 32)?),
            (Some("EC"), Some("P-256")) => {
                let mut point = vec![4u8];
                point.extend(bytes("x", 32)?);
                point.extend(bytes("y", 32)?);
                (Algorithm::Es256, point)
            }
            _ => return Err(JwsError("a key is neither Ed25519 nor P-256")),
        };
        if text("alg").is_some_and(|a| a != alg.name()) {
            return Err(JwsError("a key's alg does not match its type"));
        }
        let mut key = VerifyingKey {
            kid: String::new(),
            alg,
            public,
        };
        key.kid = key.thumbprint();
        Ok(key)
    }

    fn verify(&self, signed: &[u8], signature: &[u8]) -> bool {
        signature::UnparsedPublicKey::new(self.alg.verification(), &self.public)
            .verify(signed, signature)
            .is_ok()
    }
}

/// A key set (RFC 7517 §5): the keys a resource server accepts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeySet {
    keys: Vec<VerifyingKey>,
}

impl KeySet {
    /// A set of these keys.
    pub fn new(keys: Vec<VerifyingKey>) -> KeySet {
        KeySet { keys }
    }

    /// A JWKS document, read strictly: `{"keys": [...]}`, each key as
    /// [`VerifyingKey::from_jwk`] takes it, no `kid` twice.
    pub fn from_json(json: &str) -> Result<KeySet, JwsError> {
        let doc =
            strict_object(json.as_bytes()).ok_or(JwsError("the key set is not a JSON object"))?;
        let keys = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(JwsError("the key set has no keys array"))?;
        let mut out: Vec<VerifyingKey> = Vec::with_capacity(keys.len());
        for key in keys {
            let key =
                VerifyingKey::from_jwk(key.as_object().ok_or(JwsError("a key is not an object"))?)?;
            if out.iter().any(|k| k.kid == key.kid) {
                return Err(JwsError("a kid appears twice in the key set"));
            }
            out.push(key);
        }
        Ok(KeySet { keys: out })
    }

    /// As a JWKS document.
    pub fn to_json(&self) -> String {
        serde_json::json!({"keys": self.keys.iter().map(VerifyingKey::to_jwk).collect::<Vec<_>>()})
            .to_string()
    }

    /// The key named `kid`.
    pub fn get(&self, kid: &str) -> Option<&VerifyingKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// The keys.
    pub fn keys(&self) -> &[VerifyingKey] {
        &self.keys
    }
}

/// A token whose signature verified: its header's `kid` and its claims.
#[derive(Clone, Debug, PartialEq)]
pub struct Verified {
    /// The key that signed it.
    pub kid: String,
    /// The payload.
    pub claims: Map<String, Value>,
}

/// Whether `token` has the shape of a compact JWS (three parts), to tell
/// it from an opaque token before reading it.
pub fn looks_like_jws(token: &str) -> bool {
    token.bytes().filter(|b| *b == b'.').count() == 2
}

/// The `kid` a token's header names, read strictly but unverified: only to
/// tell whether a key set has the key (never to trust the token).
pub fn kid_of(token: &str) -> Option<String> {
    if token.len() > MAX_JWS_BYTES {
        return None;
    }
    let header = URL_SAFE_NO_PAD.decode(token.split('.').next()?).ok()?;
    strict_object(&header)?
        .get("kid")
        .and_then(Value::as_str)
        .map(String::from)
}

/// Reads and verifies `token`: every refusal in the module documentation,
/// then the signature by the key its `kid` names in `keys`, which must be
/// of an algorithm in `allowed`. `typ` is compared as RFC 9068 §4 says
/// (case-insensitively, with or without `application/`).
pub fn verify(
    token: &str,
    keys: &KeySet,
    allowed: &[Algorithm],
    typ: &str,
) -> Result<Verified, JwsError> {
    let parsed = parse(token, allowed, typ)?;
    let kid = parsed
        .header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or(JwsError("the token names no key"))?;
    let key = keys
        .get(kid)
        .ok_or(JwsError("the token's key is unknown"))?;
    let claims = parsed.claims_verified_by(key)?;
    Ok(Verified {
        kid: kid.to_string(),
        claims,
    })
}

/// A compact JWS read strictly but not yet verified: its header, its
/// algorithm (allowed), the bytes signed and the signature.
pub(crate) struct Parsed<'t> {
    pub(crate) header: Map<String, Value>,
    alg: Algorithm,
    signed: &'t [u8],
    payload: &'t str,
    signature: Vec<u8>,
}

/// The checks before any key: size, three base64url parts, a strict JSON
/// header, an allowed `alg`, no `crit`, the `typ` expected (compared as
/// RFC 9068 §4 says: case-insensitively, with or without `application/`).
pub(crate) fn parse<'t>(
    token: &'t str,
    allowed: &[Algorithm],
    typ: &str,
) -> Result<Parsed<'t>, JwsError> {
    if token.len() > MAX_JWS_BYTES {
        return Err(JwsError("the token is too long"));
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError("the token is not a compact JWS"));
    };
    let header =
        strict_object(&decode(h)?).ok_or(JwsError("the token's header is not a JSON object"))?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(Algorithm::from_name)
        .filter(|a| allowed.contains(a))
        .ok_or(JwsError("the token's algorithm is not allowed"))?;
    if header.contains_key("crit") {
        return Err(JwsError("the token has critical header parameters"));
    }
    let media = |t: &str| {
        let t = t.trim();
        match t.get(..12) {
            Some(p) if p.eq_ignore_ascii_case("application/") => t[12..].to_ascii_lowercase(),
            _ => t.to_ascii_lowercase(),
        }
    };
    let given = header.get("typ").and_then(Value::as_str).unwrap_or("");
    if media(given) != media(typ) {
        return Err(JwsError("the token's typ is not the one expected"));
    }
    Ok(Parsed {
        header,
        alg,
        signed: &token.as_bytes()[..h.len() + 1 + p.len()],
        payload: p,
        signature: decode(s)?,
    })
}

impl Parsed<'_> {
    /// The claims, once the signature verifies with `key` (of the token's
    /// `alg`) and the payload is a strict JSON object.
    pub(crate) fn claims_verified_by(
        &self,
        key: &VerifyingKey,
    ) -> Result<Map<String, Value>, JwsError> {
        if key.alg != self.alg {
            return Err(JwsError("the token's algorithm is not its key's"));
        }
        if !key.verify(self.signed, &self.signature) {
            return Err(JwsError("the token's signature does not verify"));
        }
        strict_object(&decode(self.payload)?)
            .ok_or(JwsError("the token's payload is not a JSON object"))
    }
}

/// base64url without padding, strictly.
fn decode(part: &str) -> Result<Vec<u8>, JwsError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwsError("a part of the token is not base64url"))
}

/// A JSON object, read refusing a member named twice at any depth (two
/// readers taking different ones is how a token says two things).
pub(crate) fn strict_object(bytes: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice::<Strict>(bytes).ok()?.0 {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// A JSON value whose objects name no member twice.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Strict, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Strict(value) = map.next_value()?;
            if out.insert(key, value).is_some() {
                return Err(de::Error::custom("a member named twice"));
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Map<String, Value> {
        serde_json::json!({"iss": "https://as.example", "sub": "alice", "scope": "read"})
            .as_object()
            .unwrap()
            .clone()
    }

    fn key(alg: Algorithm, kid: &str) -> SigningKey {
        SigningKey::from_pkcs8(kid, alg, &generate_pkcs8(alg).unwrap()).unwrap()
    }

    const BOTH: [Algorithm; 2] = [Algorithm::EdDsa, Algorithm::Es256];

    /// RFC 8037 A.1's Ed25519 key, as PKCS#8 v1 in PEM (as `openssl genpkey`
    /// writes one): its thumbprint is A.3's.
    #[test]
    fn an_operator_s_pem_key_is_named_by_its_rfc_7638_thumbprint() {
        let seed = URL_SAFE_NO_PAD
            .decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
            .unwrap();
        let mut der = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        der.extend_from_slice(&seed);
        let pem =
            pem_rfc7468::encode_string("PRIVATE KEY", pem_rfc7468::LineEnding::LF, &der).unwrap();
        let key = SigningKey::from_pem(pem.as_bytes()).unwrap();
        assert_eq!(key.kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
        assert_eq!(
            key.verifying_key().to_jwk()["x"],
            "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
        );
        // Deterministic (Ed25519): the same token from every host.
        assert_eq!(
            key.sign("at+jwt", &claims()),
            SigningKey::from_pem(pem.as_bytes())
                .unwrap()
                .sign("at+jwt", &claims())
        );
        // A P-256 key generated here reads too, with its own thumbprint.
        let p256 = generate_pkcs8(Algorithm::Es256).unwrap();
        let pem =
            pem_rfc7468::encode_string("PRIVATE KEY", pem_rfc7468::LineEnding::LF, &p256).unwrap();
        let k = SigningKey::from_pem(pem.as_bytes()).unwrap();
        assert_eq!((k.algorithm(), k.kid().len()), (Algorithm::Es256, 43));
        // Refused, saying why and never echoing the key.
        let sec1 = pem_rfc7468::encode_string("EC PRIVATE KEY", pem_rfc7468::LineEnding::LF, &der)
            .unwrap();
        assert!(SigningKey::from_pem(sec1.as_bytes())
            .unwrap_err()
            .reason()
            .contains("pkcs8"));
        assert!(SigningKey::from_pem(b"not pem").is_err());
        let junk = pem_rfc7468::encode_string("PRIVATE KEY", pem_rfc7468::LineEnding::LF, b"junk")
            .unwrap();
        assert_eq!(
            SigningKey::from_pem(junk.as_bytes()).unwrap_err().reason(),
            "not an Ed25519 or P-256 private key"
        );
    }

    #[test]
    fn a_signed_token_verifies_by_its_kid_with_either_algorithm() {
        for alg in BOTH {
            let k = key(alg, "k1");
            let other = key(alg, "k2");
            let set = KeySet::from_json(
                &KeySet::new(vec![other.verifying_key(), k.verifying_key()]).to_json(),
            )
            .unwrap();
            let token = k.sign("at+jwt", &claims()).unwrap();
            let v = verify(&token, &set, &BOTH, "at+jwt").unwrap();
            assert_eq!((v.kid.as_str(), &v.claims), ("k1", &claims()));
            assert!(verify(&token, &set, &BOTH, "application/AT+JWT").is_ok());
            let long = k.sign("application/at+jwt", &claims()).unwrap();
            assert!(
                verify(&long, &set, &BOTH, "at+jwt").is_ok(),
                "RFC 9068 §4: either form"
            );
            // Not the key set's, or not allowed: refused.
            let lone = KeySet::new(vec![other.verifying_key()]);
            assert_eq!(
                verify(&token, &lone, &BOTH, "at+jwt").unwrap_err().reason(),
                "the token's key is unknown"
            );
            let only_other = if alg == Algorithm::EdDsa {
                Algorithm::Es256
            } else {
                Algorithm::EdDsa
            };
            assert!(verify(&token, &set, &[only_other], "at+jwt").is_err());
            assert!(verify(&token, &set, &BOTH, "jwt").is_err(), "another typ");
        }
    }

    #[test]
    fn every_tampering_is_refused_and_none_panics() {
        let k = key(Algorithm::EdDsa, "k1");
        let set = KeySet::new(vec![k.verifying_key()]);
        let token = k.sign("at+jwt", &claims()).unwrap();
        let (h, rest) = token.split_once('.').unwrap();
        let (p, s) = rest.split_once('.').unwrap();
        let part = |v: Value| encode(v.to_string().as_bytes());
        let forged = |header: Value, payload: &str| format!("{}.{payload}.{s}", part(header));
        let cases: Vec<(String, &str)> = vec![
            (format!("{h}.{p}"), "not a compact JWS"),
            (format!("{token}.x"), "not a compact JWS"),
            (
                format!("{h}.{}.{s}", part(serde_json::json!({"sub": "mallory"}))),
                "signature",
            ),
            (format!("{h}.{p}.{}", encode(b"nope")), "signature"),
            (format!("{h}=.{p}.{s}"), "base64url"),
            (format!("{}.{p}.{s}", encode(b"[1]")), "header"),
            (
                forged(
                    serde_json::json!({"alg": "none", "kid": "k1", "typ": "at+jwt"}),
                    p,
                ),
                "algorithm",
            ),
            (
                forged(
                    serde_json::json!({"alg": "HS256", "kid": "k1", "typ": "at+jwt"}),
                    p,
                ),
                "algorithm",
            ),
            (
                forged(
                    serde_json::json!({"alg": "ES256", "kid": "k1", "typ": "at+jwt"}),
                    p,
                ),
                "not its key's",
            ),
            (
                forged(
                    serde_json::json!({"alg": "EdDSA", "kid": "k1", "typ": "at+jwt", "crit": ["exp"]}),
                    p,
                ),
                "critical",
            ),
            (
                forged(serde_json::json!({"alg": "EdDSA", "kid": "k1"}), p),
                "typ",
            ),
            (
                forged(serde_json::json!({"alg": "EdDSA", "typ": "at+jwt"}), p),
                "names no key",
            ),
            (
                format!(
                    "{}.{p}.{s}",
                    encode(br#"{"alg":"EdDSA","kid":"k1","typ":"at+jwt","kid":"k2"}"#)
                ),
                "header",
            ),
            ("a".repeat(MAX_JWS_BYTES + 1), "too long"),
        ];
        for (bad, why) in cases {
            let e = verify(&bad, &set, &BOTH, "at+jwt").unwrap_err();
            assert!(e.reason().contains(why), "{why}: {e}");
        }
        // A payload naming a member twice, correctly signed: refused.
        let signed = format!("{h}.{}", encode(br#"{"sub":"alice","sub":"admin"}"#));
        let sig = match &k.pair {
            Pair::Ed25519(p) => p.sign(signed.as_bytes()),
            Pair::P256(_) => unreachable!(),
        };
        let twice = format!("{signed}.{}", encode(sig.as_ref()));
        assert!(verify(&twice, &set, &BOTH, "at+jwt")
            .unwrap_err()
            .reason()
            .contains("payload"));
    }

    #[test]
    fn key_sets_are_read_strictly() {
        let k = key(Algorithm::Es256, "p");
        let mut jwk = k.verifying_key().to_jwk();
        assert_eq!(
            VerifyingKey::from_jwk(jwk.as_object().unwrap()).unwrap(),
            k.verifying_key()
        );
        for (change, why) in [
            (serde_json::json!({"d": "secret"}), "private"),
            (serde_json::json!({"use": "enc"}), "not for signatures"),
            (serde_json::json!({"alg": "EdDSA"}), "does not match"),
            (serde_json::json!({"crv": "P-384"}), "neither"),
            (serde_json::json!({"x": "AAAA"}), "wrong length"),
        ] {
            let mut bad = jwk.as_object().unwrap().clone();
            bad.extend(change.as_object().unwrap().clone());
            assert!(
                VerifyingKey::from_jwk(&bad)
                    .unwrap_err()
                    .reason()
                    .contains(why),
                "{why}"
            );
        }
        jwk.as_object_mut().unwrap().remove("kid");
        assert!(VerifyingKey::from_jwk(jwk.as_object().unwrap()).is_err());
        let one = k.verifying_key().to_jwk().to_string();
        assert!(
            KeySet::from_json(&format!(r#"{{"keys":[{one},{one}]}}"#)).is_err(),
            "a kid twice"
        );
        assert!(
            KeySet::from_json(r#"{"keys":[],"keys":[]}"#).is_err(),
            "a member twice"
        );
        assert!(KeySet::from_json("[]").is_err());
        assert_eq!(KeySet::from_json(r#"{"keys":[]}"#).unwrap().keys().len(), 0);
    }

    #[test]
    fn pkcs8_of_the_wrong_kind_is_refused() {
        let ed = generate_pkcs8(Algorithm::EdDsa).unwrap();
        assert!(SigningKey::from_pkcs8("k", Algorithm::Es256, &ed).is_none());
        assert!(SigningKey::from_pkcs8("k", Algorithm::EdDsa, b"not a key").is_none());
        assert_eq!(
            format!("{:?}", key(Algorithm::EdDsa, "k")),
            "SigningKey { kid: \"k\", alg: \"EdDSA\", .. }"
        );
    }
}
