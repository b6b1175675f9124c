//! The HTTP edge: requests in as method, content type, Authorization header
//! and body bytes; responses out as status, headers and a JSON body.

use crate::error::{ErrorCode, OAuthError, RETRY_AFTER_SECS};
use crate::secret::{Wipe, Wiped};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use percent_encoding::{percent_decode, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;

/// Largest request body read, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// An HTTP request to one of the authorization server's endpoints, as any
/// web framework can give it. The request URI is not taken: credentials in
/// it are never accepted (RFC 6749 §2.3.1).
#[derive(Clone, Copy, Debug)]
pub struct HttpRequest<'a> {
    /// The method, like `POST`.
    pub method: &'a str,
    /// The `Content-Type` header, if any.
    pub content_type: Option<&'a str>,
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    /// The raw body.
    pub body: &'a [u8],
    /// The `DPoP` header (RFC 9449), if any: a proof for the token endpoint.
    pub dpop: Option<&'a str>,
}

impl<'a> HttpRequest<'a> {
    /// A form POST, the usual shape of a token request.
    pub fn form_post(authorization: Option<&'a str>, body: &'a [u8]) -> Self {
        HttpRequest {
            method: "POST",
            content_type: Some("application/x-www-form-urlencoded"),
            authorization,
            body,
            dpop: None,
        }
    }
}

/// An HTTP response: send it as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header names and values, in order.
    pub headers: Vec<(&'static str, String)>,
    /// The body (JSON, or empty).
    pub body: String,
}

impl Drop for HttpResponse {
    /// A body may hold tokens: zeroed before its memory is freed. (Bindings
    /// copy the body out and let this drop, or take it and zero it themselves.)
    fn drop(&mut self) {
        self.body.wipe();
    }
}

/// JSON in a string allocated once at its exact size: a body holding tokens
/// leaves no copy behind in a buffer outgrown while it was written. (The
/// bindings use it too, for what they send that may hold a secret.)
///
/// # Panics
/// If `body` does not serialize, which a value of plain strings, numbers,
/// lists and maps always does.
pub fn json_exact(body: &impl Serialize) -> String {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, body).expect("response types always serialize");
    let mut out = Vec::with_capacity(count.0);
    serde_json::to_writer(&mut out, body).expect("response types always serialize");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

impl HttpResponse {
    /// The value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A `200 OK` JSON response that must not be cached (RFC 6749 §5.1).
    pub(crate) fn json(status: u16, body: &impl Serialize) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![
                ("Content-Type", "application/json;charset=UTF-8".into()),
                ("Cache-Control", "no-store".into()),
                ("Pragma", "no-cache".into()),
            ],
            body: json_exact(body),
        }
    }

    /// An error from the token, introspection or revocation endpoint
    /// (RFC 6749 §5.2): 400, or 401 with a Basic challenge for `invalid_client`.
    pub(crate) fn token_error(err: &OAuthError, realm: &str) -> HttpResponse {
        let mut resp = HttpResponse::json(err.code().status(), &ErrorBody::of(err));
        match err.code() {
            ErrorCode::InvalidClient => resp
                .headers
                .push(("WWW-Authenticate", format!("Basic realm=\"{realm}\""))),
            ErrorCode::TemporarilyUnavailable => resp
                .headers
                .push(("Retry-After", RETRY_AFTER_SECS.to_string())),
            _ => {}
        }
        resp
    }

    /// 405 for an endpoint that takes only POST.
    pub(crate) fn post_only(realm: &str) -> HttpResponse {
        let err = OAuthError::invalid_request("this endpoint accepts only POST");
        let mut resp = HttpResponse::token_error(&err, realm);
        resp.status = 405;
        resp.headers.push(("Allow", "POST".into()));
        resp
    }

    /// A resource server's refusal (RFC 6750 §3). `None`: the request had no
    /// credentials at all, so the challenge carries no error code.
    pub(crate) fn bearer_error(err: Option<&OAuthError>, realm: &str) -> HttpResponse {
        Self::challenge_error(err, &format!("Bearer realm=\"{realm}\""), realm)
    }

    /// The refusal of a request that used the `DPoP` scheme (RFC 9449
    /// §7.1): the same as [`HttpResponse::bearer_error`] under a `DPoP`
    /// challenge naming the algorithms proofs may use; a bad proof is 401.
    pub(crate) fn dpop_error(err: Option<&OAuthError>, realm: &str) -> HttpResponse {
        let mut resp = Self::challenge_error(err, &dpop_challenge(realm), realm);
        if err.is_some_and(|e| e.code() == ErrorCode::InvalidDpopProof) {
            resp.status = 401;
        }
        resp
    }

    fn challenge_error(err: Option<&OAuthError>, scheme: &str, realm: &str) -> HttpResponse {
        let Some(err) = err else {
            return HttpResponse {
                status: 401,
                headers: vec![("WWW-Authenticate", scheme.to_string())],
                body: String::new(),
            };
        };
        if matches!(
            err.code(),
            ErrorCode::TemporarilyUnavailable | ErrorCode::ServerError | ErrorCode::AccessDenied
        ) {
            // Not a statement about the token: no challenge, so that no
            // client takes it for one and discards a good token. For
            // access_denied the token is good and in scope, but the access
            // rules keep its owner out: RFC 6750 §3.1 has no such code for a
            // challenge, and a challenge would invite authenticating again,
            // which cannot help (RFC 9110 §15.5.4: 403, credentials
            // notwithstanding).
            return HttpResponse::token_error(err, realm);
        }
        let mut challenge = format!(
            "{scheme}, error=\"{}\", error_description=\"{}\"",
            err.code(),
            sanitize(err.description())
        );
        if let Some(scope) = err.scope() {
            challenge.push_str(&format!(", scope=\"{}\"", sanitize(scope)));
        }
        let mut resp = HttpResponse::json(err.code().status(), &ErrorBody::of(err));
        resp.headers.push(("WWW-Authenticate", challenge));
        resp
    }
}

/// Keeps only the characters RFC 6749 §5.2 allows in `error_description`
/// (which also makes it safe inside a quoted-string).
fn sanitize(s: &str) -> std::borrow::Cow<'_, str> {
    let ok = |c: char| matches!(c, '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e');
    if s.chars().all(ok) {
        s.into()
    } else {
        s.chars()
            .map(|c| if ok(c) { c } else { '?' })
            .collect::<String>()
            .into()
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'static str,
    error_description: std::borrow::Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
}

impl<'a> ErrorBody<'a> {
    fn of(err: &'a OAuthError) -> Self {
        ErrorBody {
            error: err.code().as_str(),
            error_description: sanitize(err.description()),
            scope: err.scope(),
        }
    }
}

/// A parsed `application/x-www-form-urlencoded` body.
/// The parameters the endpoints read, which an error may name.
const KNOWN_PARAMETERS: [&str; 10] = [
    "grant_type",
    "resource",
    "username",
    "password",
    "scope",
    "refresh_token",
    "token",
    "token_type_hint",
    "client_id",
    "client_secret",
];

/// The one parameter that may appear more than once (RFC 8707 §2).
const REPEATABLE: &str = "resource";

#[derive(Debug)]
pub(crate) struct Form {
    pairs: Vec<(String, String)>,
}

impl Drop for Form {
    /// Values hold passwords, secrets and tokens: zeroed before they are freed.
    fn drop(&mut self) {
        for (name, value) in &mut self.pairs {
            name.wipe();
            value.wipe();
        }
    }
}

impl Form {
    /// Checks method, content type and size, then parses the body.
    pub(crate) fn from_request(req: &HttpRequest<'_>) -> Result<Form, OAuthError> {
        let media = req
            .content_type
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim();
        if !media.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(OAuthError::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
        if req.body.len() > MAX_BODY_BYTES {
            return Err(OAuthError::invalid_request(
                "the request body is larger than 65536 bytes",
            ));
        }
        Form::parse(req.body)
    }

    pub(crate) fn parse(body: &[u8]) -> Result<Form, OAuthError> {
        // Built in place so that a pair decoded before an error is zeroed too.
        let mut form = Form {
            pairs: Vec::with_capacity(body.iter().filter(|b| **b == b'&').count() + 1),
        };
        for part in body.split(|b| *b == b'&').filter(|part| !part.is_empty()) {
            let mut it = part.splitn(2, |b| *b == b'=');
            let name = form_decode(it.next().unwrap_or(b""))?;
            let value = form_decode(it.next().unwrap_or(b""))?;
            // Within the capacity (it counts every '&'); and were the Vec to
            // grow, it would move the pairs' pointers, not the secrets.
            form.pairs.push((name, value));
        }
        let pairs = &form.pairs;
        // RFC 6749 §3.2: no parameter may appear twice, read or not, but
        // RFC 8707's `resource`, which may. A token request has a handful,
        // compared pairwise (a hashed set cost more than the rest of the
        // parsing); a long body goes through a set.
        let repeated = if pairs.len() <= 8 {
            (1..pairs.len())
                .filter(|&i| pairs[i].0 != REPEATABLE)
                .find(|&i| pairs[..i].iter().any(|(n, _)| *n == pairs[i].0))
                .map(|i| pairs[i].0.as_str())
        } else {
            let mut seen = std::collections::HashSet::with_capacity(pairs.len());
            pairs
                .iter()
                .map(|(n, _)| n.as_str())
                .filter(|n| *n != REPEATABLE)
                .find(|n| !seen.insert(*n))
        };
        if let Some(name) = repeated {
            return Err(
                match KNOWN_PARAMETERS.iter().find(|known| **known == name) {
                    Some(known) => OAuthError::invalid_request(format!(
                        "the parameter {known} appears more than once"
                    )),
                    // Not echoed: it could be anything, of any length.
                    None => OAuthError::invalid_request("a parameter appears more than once"),
                },
            );
        }
        Ok(form)
    }

    /// How many parameters the form holds.
    #[cfg(feature = "fuzzing")]
    pub(crate) fn len(&self) -> usize {
        self.pairs.len()
    }

    /// A parameter: `None` when absent or empty (RFC 6749 §3.2), an error
    /// when it appears more than once.
    pub(crate) fn get(&self, name: &'static str) -> Result<Option<&str>, OAuthError> {
        let mut found = None;
        for (n, v) in &self.pairs {
            if n == name {
                if found.is_some() {
                    return Err(OAuthError::invalid_request(format!(
                        "the parameter {name} appears more than once"
                    )));
                }
                found = Some(v.as_str());
            }
        }
        Ok(found.filter(|v| !v.is_empty()))
    }

    /// Every non-empty value of the one repeatable parameter, `resource`
    /// (RFC 8707 §2), in order.
    pub(crate) fn resources(&self) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(n, v)| n == REPEATABLE && !v.is_empty())
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A parameter that must be present.
    pub(crate) fn require(&self, name: &'static str) -> Result<&str, OAuthError> {
        self.get(name)?
            .ok_or_else(|| OAuthError::invalid_request(format!("the parameter {name} is missing")))
    }
}

/// What application/x-www-form-urlencoded leaves unescaped besides letters
/// and digits (the WHATWG serializer's set).
const FORM_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'*')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_');

/// Encodes one form-urlencoded component (a space becomes `%20`, which
/// every decoder reads as a space).
pub(crate) fn form_encode(raw: &str) -> String {
    // Sized first, then written once: a secret leaves no copy in a buffer
    // outgrown on the way.
    let encoded = utf8_percent_encode(raw, FORM_UNRESERVED);
    let mut out = String::with_capacity(encoded.clone().map(str::len).sum());
    out.extend(encoded);
    out
}

/// Decodes one form-urlencoded component: `+` is a space, `%XX` a byte, and
/// the result must be UTF-8.
///
/// Values may be passwords, secrets or tokens: every buffer here is
/// allocated once at its final size and the scratch copy is zeroed.
pub(crate) fn form_decode(raw: &[u8]) -> Result<String, OAuthError> {
    if raw.is_empty() {
        return Ok(String::new());
    }
    if !raw.iter().any(|&b| b == b'+' || b == b'%') {
        // Nothing to decode (a token, a client id, most names): one copy.
        return String::from_utf8(raw.to_vec()).map_err(|e| {
            e.into_bytes().wipe();
            OAuthError::invalid_request("parameters must be UTF-8")
        });
    }
    let spaced: Wiped<Vec<u8>> = Wiped::new(
        raw.iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect(),
    );
    // Decoding never lengthens: one allocation, never moved.
    let mut bytes = Vec::with_capacity(spaced.len());
    bytes.extend(percent_decode(&spaced));
    String::from_utf8(bytes).map_err(|e| {
        e.into_bytes().wipe();
        OAuthError::invalid_request("parameters must be UTF-8")
    })
}

/// Client credentials as presented, before they are checked.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    /// The client identifier.
    pub client_id: String,
    /// The secret; `None` when the client presented none (a public client).
    pub client_secret: Option<String>,
}

impl Drop for ClientCredentials {
    fn drop(&mut self) {
        if let Some(secret) = &mut self.client_secret {
            secret.wipe();
        }
    }
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl ClientCredentials {
    /// Credentials with a secret.
    pub fn new(client_id: &str, client_secret: &str) -> Self {
        ClientCredentials {
            client_id: client_id.into(),
            client_secret: Some(client_secret.into()),
        }
    }

    /// Credentials as a typed call (or a binding) receives them: a secret
    /// that is absent or empty is no secret, a public client's presentation
    /// (RFC 6749 §2.3.1 has no empty secrets). The one place that rule lives.
    pub fn presented(client_id: &str, client_secret: Option<&str>) -> Self {
        match client_secret.filter(|s| !s.is_empty()) {
            Some(secret) => ClientCredentials::new(client_id, secret),
            None => ClientCredentials::public(client_id),
        }
    }

    /// Only a client id, as a public client presents itself.
    pub fn public(client_id: &str) -> Self {
        ClientCredentials {
            client_id: client_id.into(),
            client_secret: None,
        }
    }

    /// The `Authorization: Basic ...` value for these credentials, with the
    /// id and secret form-urlencoded before the base64 (RFC 6749 §2.3.1).
    pub fn basic_authorization(&self) -> String {
        let id = Wiped::new(form_encode(&self.client_id));
        let secret = Wiped::new(form_encode(self.client_secret.as_deref().unwrap_or("")));
        let mut pair = Wiped::new(String::with_capacity(id.len() + 1 + secret.len()));
        pair.push_str(&id);
        pair.push(':');
        pair.push_str(&secret);
        let encoded = base64::engine::general_purpose::STANDARD;
        let mut header =
            String::with_capacity(6 + base64::encoded_len(pair.len(), true).unwrap_or(0));
        header.push_str("Basic ");
        encoded.encode_string(pair.as_bytes(), &mut header);
        header
    }

    /// Finds the client's credentials in a request: HTTP Basic
    /// (`client_secret_basic`, with the RFC's url-decoding) or the body
    /// (`client_secret_post`), never both.
    pub(crate) fn from_request(
        authorization: Option<&str>,
        form: &Form,
    ) -> Result<ClientCredentials, OAuthError> {
        let body_id = form.get("client_id")?;
        let body_secret = form.get("client_secret")?;
        match authorization {
            Some(header) => {
                refuse_repeated(header)?;
                let creds = parse_basic(header)?;
                if body_secret.is_some() {
                    return Err(OAuthError::invalid_request(
                        "the client authenticated with both HTTP Basic and client_secret in the body",
                    ));
                }
                if body_id.is_some_and(|id| id != creds.client_id) {
                    return Err(OAuthError::invalid_request(
                        "client_id in the body differs from the HTTP Basic one",
                    ));
                }
                Ok(creds)
            }
            None => match body_id {
                Some(id) => Ok(ClientCredentials {
                    client_id: id.into(),
                    client_secret: body_secret.map(Into::into),
                }),
                None => Err(OAuthError::invalid_client(
                    "client authentication is required",
                )),
            },
        }
    }
}

const BASE64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Parses `Authorization: Basic ...` into url-decoded client credentials.
fn parse_basic(header: &str) -> Result<ClientCredentials, OAuthError> {
    let (scheme, rest) = header.trim().split_once(' ').unwrap_or((header.trim(), ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client(
            "client authentication must use the HTTP Basic scheme",
        ));
    }
    let malformed = || OAuthError::invalid_client("malformed HTTP Basic credentials");
    let decoded = Wiped::new(
        BASE64_LENIENT
            .decode(rest.trim())
            .map_err(|_| malformed())?,
    );
    let colon = decoded
        .iter()
        .position(|b| *b == b':')
        .ok_or_else(malformed)?;
    let id = form_decode(&decoded[..colon]).map_err(|_| malformed())?;
    if id.is_empty() {
        return Err(malformed());
    }
    let secret = form_decode(&decoded[colon + 1..]).map_err(|_| malformed())?;
    Ok(ClientCredentials {
        client_id: id,
        client_secret: (!secret.is_empty()).then_some(secret),
    })
}

/// Bindings hand a header that came more than once as its values joined
/// with ", " (RFC 9110 §5.3). No credentials contain a comma (base64 and
/// b64token have none), so a comma means two Authorization headers, which
/// two layers could read differently (C and Node used the first, Python
/// the last): refused (RFC 6749 §3.2 forbids repeating a parameter).
fn refuse_repeated(header: &str) -> Result<(), OAuthError> {
    if header.contains(',') {
        return Err(OAuthError::invalid_request(
            "the Authorization header appears more than once",
        ));
    }
    Ok(())
}

/// Extracts the token from `Authorization: Bearer <token>` (RFC 6750 §2.1).
/// `Ok(None)`: no bearer credentials at all.
pub(crate) fn parse_bearer(header: Option<&str>) -> Result<Option<&str>, OAuthError> {
    parse_scheme(header, "bearer")
}

/// The access token of an `Authorization: DPoP <token>` header (RFC 9449
/// §7.1), as [`parse_bearer`] reads a bearer token.
pub(crate) fn parse_dpop(header: Option<&str>) -> Result<Option<&str>, OAuthError> {
    parse_scheme(header, "dpop")
}

fn parse_scheme<'a>(header: Option<&'a str>, wanted: &str) -> Result<Option<&'a str>, OAuthError> {
    let Some(header) = header.map(str::trim).filter(|h| !h.is_empty()) else {
        return Ok(None);
    };
    refuse_repeated(header)?;
    let (scheme, token) = header.split_once(' ').unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case(wanted) {
        return Ok(None);
    }
    let token = token.trim();
    // b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
    const B64TOKEN: crate::byte_class::ByteClass =
        crate::byte_class::ByteClass::alphanumeric_and(b"-._~+/");
    let body = token.trim_end_matches('=');
    if body.is_empty() || !B64TOKEN.all(body.as_bytes()) {
        return Err(OAuthError::invalid_request(if wanted == "bearer" {
            "the Bearer credentials are malformed"
        } else {
            "the DPoP credentials are malformed"
        }));
    }
    Ok(Some(token))
}

/// The `DPoP` challenge (RFC 9449 §7.1): the realm and the algorithms
/// proofs may use.
pub(crate) fn dpop_challenge(realm: &str) -> String {
    let algs = crate::dpop::ALGORITHMS.map(|a| a.name()).join(" ");
    format!("DPoP realm=\"{realm}\", algs=\"{algs}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_rules() {
        let f = Form::parse(b"a=1&b=&c=x+y%2Bz&&d").unwrap();
        assert_eq!(f.get("a").unwrap(), Some("1"));
        assert_eq!(f.get("b").unwrap(), None);
        assert_eq!(f.get("c").unwrap(), Some("x y+z"));
        assert_eq!(f.get("d").unwrap(), None);
        assert!(
            Form::parse(b"a=1&a=2").is_err(),
            "any repeated parameter is refused"
        );
        assert!(Form::parse(b"a=%FF").is_err());
        assert_eq!(
            Form::parse(b"a=%C3%A9").unwrap().get("a").unwrap(),
            Some("é")
        );
    }

    #[test]
    fn repeats_are_found_in_short_and_long_forms_alike() {
        // Up to 8 pairs are compared pairwise, more go through a set: the
        // same verdict and the same message either way.
        for filler in [0usize, 3, 6, 7, 20, 500] {
            let mut body: Vec<String> = (0..filler).map(|i| format!("x{i}=v")).collect();
            body.insert(0, "grant_type=password".into());
            let ok = body.join("&");
            let f = Form::parse(ok.as_bytes()).unwrap();
            assert_eq!(f.get("grant_type").unwrap(), Some("password"), "{filler}");
            body.push("grant_type=refresh_token".into());
            let known = Form::parse(body.join("&").as_bytes()).unwrap_err();
            assert!(
                known
                    .description()
                    .contains("grant_type appears more than once"),
                "{filler}: {known:?}"
            );
            body.pop();
            body.push(format!("x{}=w", filler / 2));
            if filler > 0 {
                let unknown = Form::parse(body.join("&").as_bytes()).unwrap_err();
                assert_eq!(
                    unknown.description(),
                    "a parameter appears more than once",
                    "{filler}"
                );
            }
        }
        // Names that differ only by encoding are the same name.
        assert!(Form::parse(b"scope=a&sc%6Fpe=b").is_err());
        assert!(Form::parse(b"a+b=1&a%20b=2").is_err());
    }

    #[test]
    fn values_with_nothing_to_decode_are_still_checked_for_utf8() {
        assert!(Form::parse(b"a=\xff").is_err());
        assert!(Form::parse(b"\xc3=1").is_err());
        assert_eq!(
            Form::parse("a=é".as_bytes()).unwrap().get("a").unwrap(),
            Some("é")
        );
        assert_eq!(Form::parse(b"=1&b=2").unwrap().get("b").unwrap(), Some("2"));
    }

    #[test]
    fn basic_is_url_decoded() {
        // id "my app", secret "p:s%" encoded before base64 (RFC 6749 §2.3.1)
        let header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("my+app:p%3As%25")
        );
        let c = parse_basic(&header).unwrap();
        assert_eq!(c.client_id, "my app");
        assert_eq!(c.client_secret.as_deref(), Some("p:s%"));
        assert!(parse_basic("Basic !!!").is_err());
        assert!(parse_basic("Bearer abc").is_err());
        assert!(!format!("{c:?}").contains("p:s%"));
    }

    #[test]
    fn basic_authorization_round_trips() {
        for (id, secret) in [("app", "s3cret"), ("my app", "p:s%&+ é"), ("a:b", "=")] {
            let header = ClientCredentials::new(id, secret).basic_authorization();
            let back = parse_basic(&header).unwrap();
            assert_eq!(
                (back.client_id.as_str(), back.client_secret.as_deref()),
                (id, Some(secret)),
                "{header}"
            );
        }
        assert_eq!(
            ClientCredentials::new("app", "app-secret").basic_authorization(),
            "Basic YXBwOmFwcC1zZWNyZXQ="
        );
    }

    #[test]
    fn bearer_header() {
        assert_eq!(parse_bearer(None).unwrap(), None);
        assert_eq!(parse_bearer(Some("Basic abc")).unwrap(), None);
        assert_eq!(parse_bearer(Some("Bearer abc-_")).unwrap(), Some("abc-_"));
        assert_eq!(parse_bearer(Some("bearer abc==")).unwrap(), Some("abc=="));
        assert!(parse_bearer(Some("Bearer")).is_err());
        assert!(parse_bearer(Some("Bearer a b")).is_err());
        assert!(parse_bearer(Some("Bearer a\"b")).is_err());
        // Every ASCII character inside a token: exactly RFC 6750's b64token
        // alphabet passes ('=' only as trailing padding; ',' is refused as a
        // repeated header; a space splits the token).
        for c in (0u8..128).map(char::from) {
            let ok = c.is_ascii_alphanumeric() || "-._~+/".contains(c);
            let header = format!("Bearer ab{c}cd");
            assert_eq!(
                parse_bearer(Some(&header)).is_ok_and(|t| t.is_some()),
                ok,
                "{c:?}"
            );
        }
        assert!(parse_bearer(Some("Bearer ab\u{e9}cd")).is_err());
        assert_eq!(parse_bearer(Some("Bearer ab+/==")).unwrap(), Some("ab+/=="));
    }

    #[test]
    fn descriptions_are_sanitized() {
        assert_eq!(sanitize("ok text"), "ok text");
        assert_eq!(sanitize("a\"b\\c\né"), "a?b?c??");
    }
}
