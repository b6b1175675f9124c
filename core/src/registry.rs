//! The validated, immutable part of a server: scopes, clients, access rules
//! and settings. Users live beside it (they change at run time).

use crate::client_secret::{dummy_secret, SecretHash};
use crate::config::{ClientKind, Config, DEFAULT_JWT_ACCESS_TTL};
use crate::error::ConfigError;
pub use crate::names::MAX_NAME_BYTES;
use crate::names::{check_name, NameHasher};
use crate::password::HashParams;
use crate::pattern::Pattern;
use crate::scope::{is_scope_token, ScopeSet};
use std::collections::{HashMap, HashSet};

use std::sync::Arc;

/// Longest token lifetime accepted: ten years.
const MAX_TTL: u64 = 10 * 365 * 24 * 3600;

/// A validated scope.
pub(crate) struct Scope {
    pub(crate) name: Arc<str>,
    pub(crate) resources: Vec<Pattern>,
}

/// A validated client.
pub(crate) struct Client {
    pub(crate) id: Arc<str>,
    /// `None` for a public client.
    pub(crate) secret: Option<SecretHash>,
    pub(crate) password_grant: bool,
    pub(crate) refresh_grant: bool,
    pub(crate) scopes: ScopeSet,
    pub(crate) default_scopes: ScopeSet,
    pub(crate) refresh_tokens: bool,
    pub(crate) access_ttl: u64,
    pub(crate) refresh_ttl: u64,
    /// The grant's maximum age from the owner's sign-in.
    pub(crate) max_session: Option<u64>,
    /// The refresh grace window (0: none).
    pub(crate) refresh_grace: u64,
    pub(crate) introspect: bool,
    /// Its access tokens are JWTs (RFC 9068), for `audience`.
    pub(crate) jwt: bool,
    pub(crate) audience: Vec<Box<str>>,
    pub(crate) dpop: Dpop,
}

/// A client's use of DPoP (RFC 9449).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dpop {
    /// Proofs are ignored: bearer tokens.
    Off,
    /// A request with a proof gets a bound token.
    Allowed,
    /// A request without a proof is refused.
    Required,
}

/// The longest refresh grace window a client may have: long enough for a
/// retry after a lost response, short enough that a stolen rotated token
/// is soon worth nothing.
pub const MAX_REFRESH_GRACE_SECONDS: u64 = 300;

pub(crate) struct Rule {
    resources: Vec<Pattern>,
    any_user: bool,
    users: HashSet<Box<str>, NameHasher>,
    groups: HashSet<Box<str>, NameHasher>,
}

/// Scopes, clients, rules and settings, validated.
pub(crate) struct Registry {
    pub(crate) config: Config,
    pub(crate) scopes: Vec<Scope>,
    scope_index: HashMap<Box<str>, usize, NameHasher>,
    pub(crate) clients: HashMap<Box<str>, Client, NameHasher>,
    rules: Vec<Rule>,
    pub(crate) hash_params: HashParams,
    /// Verified against when a client id is unknown: of the costliest kind
    /// any client's secret is, so that an unknown id costs what a wrong
    /// secret does and client ids cannot be told apart by time.
    pub(crate) dummy_secret: SecretHash,
    /// The forward-auth identity headers: user, client, scope.
    pub(crate) forward_headers: [&'static str; 3],
    /// DPoP server nonces, when the configuration asks for them.
    pub(crate) dpop_nonce: Option<DpopNonces>,
}

/// The token endpoint's DPoP nonces (RFC 9449 §8).
pub(crate) struct DpopNonces {
    /// Seconds a nonce is accepted.
    pub(crate) lifetime: u64,
    /// The key the configuration names; none: the server's own, made when
    /// it started.
    pub(crate) key: Option<crate::dpop::NonceKey>,
}

/// The most a nonce may live: a day.
const MAX_NONCE_LIFETIME: u64 = 86_400;

fn dpop_nonces(config: &Config) -> Result<Option<DpopNonces>, ConfigError> {
    let Some(c) = &config.dpop_nonce else {
        return Ok(None);
    };
    if c.lifetime_seconds == 0 || c.lifetime_seconds > MAX_NONCE_LIFETIME {
        return Err(ConfigError::new(
            "dpop_nonce.lifetime_seconds",
            format!("a nonce lives 1 to {MAX_NONCE_LIFETIME} seconds"),
        ));
    }
    let given = crate::config::key_text(
        "dpop_nonce",
        ("key_env", c.key_env.as_deref()),
        ("key_file", c.key_file.as_deref()),
        "nonce key",
    )?;
    let Some((text, field)) = given else {
        if !matches!(config.store, crate::config::StoreConfig::Memory) {
            return Err(ConfigError::new(
                "dpop_nonce",
                "a shared store needs key_env or key_file: every host must make and accept the same nonces",
            ));
        }
        return Ok(Some(DpopNonces {
            lifetime: c.lifetime_seconds,
            key: None,
        }));
    };
    let key =
        crate::dpop::NonceKey::from_text(&text).map_err(|e| ConfigError::new(field, e.reason()))?;
    Ok(Some(DpopNonces {
        lifetime: c.lifetime_seconds,
        key: Some(key),
    }))
}

/// A configured header name as the `&'static str` responses carry: each
/// distinct name is kept once for the life of the process (a handful, however
/// many reloads), never once per configuration.
fn interned(name: &str) -> &'static str {
    static NAMES: parking_lot::Mutex<Vec<&'static str>> = parking_lot::Mutex::new(Vec::new());
    let mut names = NAMES.lock();
    if let Some(known) = names
        .iter()
        .find(|n| n.eq_ignore_ascii_case(name) && **n == name)
    {
        return known;
    }
    let leaked: &'static str = Box::leak(name.into());
    names.push(leaked);
    leaked
}

/// The forward-auth header names: HTTP field names (RFC 9110 §5.1: a
/// token), at most 64 bytes, distinct ignoring case, none that would
/// change how the response is read.
fn forward_headers(c: &crate::config::ForwardAuthConfig) -> Result<[&'static str; 3], ConfigError> {
    let fields = [
        ("forward_auth.user_header", &c.user_header),
        ("forward_auth.client_header", &c.client_header),
        ("forward_auth.scope_header", &c.scope_header),
    ];
    const RESERVED: [&str; 6] = [
        "content-type",
        "content-length",
        "cache-control",
        "www-authenticate",
        "set-cookie",
        "transfer-encoding",
    ];
    for (i, (path, name)) in fields.iter().enumerate() {
        let token = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !token {
            return Err(ConfigError::new(
                *path,
                "must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~), at most 64 bytes",
            ));
        }
        if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            return Err(ConfigError::new(
                *path,
                format!("{name} is a header the response itself needs"),
            ));
        }
        if fields[..i]
            .iter()
            .any(|(_, other)| other.eq_ignore_ascii_case(name))
        {
            return Err(ConfigError::new(*path, format!("{name} is named twice")));
        }
    }
    Ok(fields.map(|(_, n)| interned(n)))
}

fn check_ttl(path: &str, ttl: u64) -> Result<u64, ConfigError> {
    if ttl == 0 || ttl > MAX_TTL {
        return Err(ConfigError::new(
            path,
            format!("a lifetime must be 1 to {MAX_TTL} seconds"),
        ));
    }
    Ok(ttl)
}

fn patterns(path: &str, items: &[String]) -> Result<Vec<Pattern>, ConfigError> {
    items
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Pattern::parse(p)
                .map_err(|e| ConfigError::new(format!("{path}[{i}]"), format!("{e}: {p:?}")))
        })
        .collect()
}

impl Registry {
    /// The first client that takes DPoP proofs, if any: such a server
    /// challenges with both schemes, lists its proof algorithms and needs a
    /// store that keeps proofs.
    pub(crate) fn dpop_client(&self) -> Option<&Client> {
        self.clients.values().find(|c| c.dpop != Dpop::Off)
    }

    /// Validates a configuration (but its users); returns the registry.
    pub(crate) fn build(config: &Config) -> Result<Registry, ConfigError> {
        Self::build_with(config, |_| Ok(())).map(|(registry, ())| registry)
    }

    /// [`Registry::build`], with `users` validating the configuration's
    /// users where a server checks them (after the clients, before the
    /// rules, so that errors come in the document's order); returns both.
    pub(crate) fn build_with<T>(
        config: &Config,
        users: impl FnOnce(&Config) -> Result<T, ConfigError>,
    ) -> Result<(Registry, T), ConfigError> {
        let realm_ok = !config.realm.is_empty()
            && config
                .realm
                .bytes()
                .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
        if !realm_ok {
            return Err(ConfigError::new(
                "realm",
                "the realm must be printable ASCII without '\"' or '\\'",
            ));
        }
        if let Some(iss) = &config.issuer {
            check_name("issuer", "the issuer", iss)?;
        }
        check_ttl("access_token_ttl", config.access_token_ttl)?;
        check_ttl("refresh_token_ttl", config.refresh_token_ttl)?;
        let hash_params = config.password_hashing;
        hash_params
            .validate()
            .map_err(|e| ConfigError::new("password_hashing", e.to_string()))?;
        if !config.allow_weak_password_hashing {
            hash_params.check_strong().map_err(|e| {
                ConfigError::new(
                    "password_hashing",
                    format!("{e}; set allow_weak_password_hashing only in tests"),
                )
            })?;
        }
        let t = &config.throttle;
        if t.max_failures == 0
            || t.lockout_seconds == 0
            || t.forget_after_seconds < t.lockout_seconds
            || t.forget_after_seconds > MAX_TTL
        {
            return Err(ConfigError::new(
                "throttle",
                format!(
                    "max_failures and lockout_seconds must be positive, and forget_after_seconds at least \
                     lockout_seconds and at most {MAX_TTL} (ten years)"
                ),
            ));
        }

        let mut scopes = Vec::new();
        let mut scope_index = HashMap::default();
        for (i, s) in config.scopes.iter().enumerate() {
            let path = format!("scopes[{i}]");
            if !is_scope_token(&s.name) {
                return Err(ConfigError::new(
                    format!("{path}.name"),
                    format!("{:?} is not a scope token (RFC 6749 §3.3: printable ASCII, no space, '\"' or '\\')", s.name),
                ));
            }
            if scope_index.insert(s.name.as_str().into(), i).is_some() {
                return Err(ConfigError::new(
                    format!("{path}.name"),
                    format!("duplicate scope {:?}", s.name),
                ));
            }
            scopes.push(Scope {
                name: s.name.as_str().into(),
                resources: patterns(&format!("{path}.resources"), &s.resources)?,
            });
        }

        let mut registry = Registry {
            config: config.clone(),
            scopes,
            scope_index,
            clients: HashMap::default(),
            rules: Vec::new(),
            hash_params,
            dummy_secret: SecretHash::Sha256([0; 32]),
            forward_headers: forward_headers(&config.forward_auth)?,
            dpop_nonce: dpop_nonces(config)?,
        };

        // The kind of the first client secret: every other must be alike.
        let mut first_kind: Option<(usize, String)> = None;
        for (i, c) in config.clients.iter().enumerate() {
            let path = format!("clients[{i}]");
            check_name(&format!("{path}.id"), "a client id", &c.id)?;
            let secret = match (c.kind, &c.secret_hash) {
                (ClientKind::Confidential, Some(h)) => {
                    let secret = SecretHash::parse(h).map_err(|e| {
                        ConfigError::new(format!("{path}.secret_hash"), e.to_string())
                    })?;
                    // An unknown client id is answered in the time of the
                    // dummy secret; a wrong secret in its client's. Two kinds
                    // (SHA-256 and argon2: 0.4 ms against 18) or two argon2
                    // costs would tell which ids exist.
                    let kind = secret.kind();
                    match &first_kind {
                        None => first_kind = Some((i, kind)),
                        Some((j, first)) if *first != kind => {
                            return Err(ConfigError::new(
                                format!("{path}.secret_hash"),
                                format!(
                                    "client secrets of two kinds ({kind} here, {first} at clients[{j}]) answer an unknown client id and a wrong secret in different times, which tells client ids apart: hash every client secret alike (`ropc generate-secret` makes SHA-256 ones)"
                                ),
                            ));
                        }
                        Some(_) => {}
                    }
                    Some(secret)
                }
                (ClientKind::Confidential, None) => {
                    return Err(ConfigError::new(
                        format!("{path}.secret_hash"),
                        "a confidential client needs a secret hash",
                    ))
                }
                (ClientKind::Public, Some(_)) => {
                    return Err(ConfigError::new(
                        format!("{path}.secret_hash"),
                        "a public client has no secret",
                    ))
                }
                (ClientKind::Public, None) => None,
            };
            let (mut password_grant, mut refresh_grant) = (false, false);
            for (j, g) in c.grant_types.iter().enumerate() {
                match g.as_str() {
                    "password" => password_grant = true,
                    "refresh_token" => refresh_grant = true,
                    other => {
                        return Err(ConfigError::new(
                            format!("{path}.grant_types[{j}]"),
                            format!("unsupported grant type {other:?}: ropc implements \"password\" and \"refresh_token\""),
                        ))
                    }
                }
            }
            if secret.is_none() && (password_grant || refresh_grant) {
                return Err(ConfigError::new(
                    format!("{path}.grant_types"),
                    "public clients can never use the password or refresh_token grant (RFC 9700 §2.4)",
                ));
            }
            let refresh_tokens = c.refresh_tokens.unwrap_or(refresh_grant);
            if refresh_tokens && !refresh_grant {
                return Err(ConfigError::new(
                    format!("{path}.refresh_tokens"),
                    "a client that gets refresh tokens must be allowed the \"refresh_token\" grant",
                ));
            }
            let allowed = registry.scope_names(&format!("{path}.scopes"), &c.scopes)?;
            let defaults =
                registry.scope_names(&format!("{path}.default_scopes"), &c.default_scopes)?;
            if !defaults.is_subset(&allowed) {
                return Err(ConfigError::new(
                    format!("{path}.default_scopes"),
                    "default scopes must be among the client's scopes",
                ));
            }
            let client = Client {
                id: c.id.as_str().into(),
                secret,
                password_grant,
                refresh_grant,
                scopes: allowed,
                default_scopes: defaults,
                refresh_tokens,
                // A JWT cannot be recalled: unless the client says, it
                // lives minutes (README, "Signed tokens").
                access_ttl: check_ttl(
                    &format!("{path}.access_token_ttl"),
                    c.access_token_ttl.unwrap_or(
                        if c.access_token_format.as_deref() == Some("jwt") {
                            config.access_token_ttl.min(DEFAULT_JWT_ACCESS_TTL)
                        } else {
                            config.access_token_ttl
                        },
                    ),
                )?,
                refresh_ttl: check_ttl(
                    &format!("{path}.refresh_token_ttl"),
                    c.refresh_token_ttl.unwrap_or(config.refresh_token_ttl),
                )?,
                max_session: match c.max_session_seconds.or(config.max_session_seconds) {
                    Some(m) => Some(check_ttl(
                        &if c.max_session_seconds.is_some() {
                            format!("{path}.max_session_seconds")
                        } else {
                            "max_session_seconds".to_string()
                        },
                        m,
                    )?),
                    None => None,
                },
                refresh_grace: match c.refresh_grace_seconds.unwrap_or(0) {
                    g if g > MAX_REFRESH_GRACE_SECONDS => {
                        return Err(ConfigError::new(
                            format!("{path}.refresh_grace_seconds"),
                            format!("the refresh grace window is at most {MAX_REFRESH_GRACE_SECONDS} seconds"),
                        ))
                    }
                    g => g,
                },
                introspect: c.introspect,
                jwt: match c.access_token_format.as_deref() {
                    None | Some("opaque") => false,
                    Some("jwt") => {
                        if c.audience.is_empty() {
                            return Err(ConfigError::new(
                                format!("{path}.audience"),
                                "a client with JWT access tokens needs the audience they are for (aud, RFC 9068)",
                            ));
                        }
                        if config.issuer.as_deref().unwrap_or("").is_empty() {
                            return Err(ConfigError::new(
                                "issuer",
                                "JWT access tokens need the issuer they name (iss, RFC 9068)",
                            ));
                        }
                        if config.signing.is_none() {
                            return Err(ConfigError::new(
                                "signing",
                                "JWT access tokens need signing keys: set \"signing\" with a key-encryption key or key_files",
                            ));
                        }
                        true
                    }
                    Some(other) => {
                        return Err(ConfigError::new(
                            format!("{path}.access_token_format"),
                            format!("{other:?} is not one of \"opaque\", \"jwt\""),
                        ))
                    }
                },
                dpop: match c.dpop.as_deref() {
                    None | Some("off") => Dpop::Off,
                    Some(mode @ ("allowed" | "required")) => {
                        if config.issuer.as_deref().unwrap_or("").is_empty() {
                            return Err(ConfigError::new(
                                "issuer",
                                "DPoP needs the issuer: proofs name the token endpoint, the issuer's /token",
                            ));
                        }
                        if mode == "allowed" { Dpop::Allowed } else { Dpop::Required }
                    }
                    Some(other) => {
                        return Err(ConfigError::new(
                            format!("{path}.dpop"),
                            format!("{other:?} is not one of \"off\", \"allowed\", \"required\""),
                        ))
                    }
                },
                audience: {
                    for (j, a) in c.audience.iter().enumerate() {
                        check_name(&format!("{path}.audience[{j}]"), "an audience", a)?;
                    }
                    c.audience.iter().map(|a| a.as_str().into()).collect()
                },
            };
            if registry
                .clients
                .insert(c.id.as_str().into(), client)
                .is_some()
            {
                return Err(ConfigError::new(
                    format!("{path}.id"),
                    format!("duplicate client id {:?}", c.id),
                ));
            }
        }

        registry.dummy_secret =
            dummy_secret(registry.clients.values().filter_map(|c| c.secret.as_ref()))?;

        let users = users(config)?;

        for (i, r) in config.rules.iter().enumerate() {
            let path = format!("rules[{i}]");
            if r.resources.is_empty() || (r.users.is_empty() && r.groups.is_empty()) {
                return Err(ConfigError::new(
                    path,
                    "a rule needs resources and at least one user or group",
                ));
            }
            registry.rules.push(Rule {
                resources: patterns(&format!("{path}.resources"), &r.resources)?,
                any_user: r.users.iter().any(|u| u == "*"),
                users: r.users.iter().map(|u| u.as_str().into()).collect(),
                groups: r.groups.iter().map(|g| g.as_str().into()).collect(),
            });
        }
        Ok((registry, users))
    }

    fn scope_names(&self, path: &str, names: &[String]) -> Result<ScopeSet, ConfigError> {
        let ids = names
            .iter()
            .enumerate()
            .map(|(j, n)| {
                self.scope_id(n).ok_or_else(|| {
                    ConfigError::new(format!("{path}[{j}]"), format!("unknown scope {n:?}"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ScopeSet::from_ids(ids))
    }

    /// The index of a scope by name.
    pub(crate) fn scope_id(&self, name: &str) -> Option<usize> {
        // A few scopes (the usual case) are found faster by comparing than
        // by hashing: this runs for every scope of every token checked.
        if self.scopes.len() <= 16 {
            return self.scopes.iter().position(|s| *s.name == *name);
        }
        self.scope_index.get(name).copied()
    }

    /// The scopes named in a stored record's space-separated scope, as far
    /// as they are still configured: a scope removed from the configuration
    /// grants nothing any more, and positions never matter.
    pub(crate) fn scope_set_of(&self, names: &str) -> ScopeSet {
        ScopeSet::from_ids(names.split(' ').filter_map(|n| self.scope_id(n)))
    }

    /// The space-separated names of a set, in definition order.
    pub(crate) fn scope_string(&self, set: &ScopeSet) -> String {
        // One allocation, at its final size and one byte over: the C ABI
        // appends its NUL there rather than copying the string out (as it
        // does a token's, see `token::encode`).
        let len: usize = set.iter().map(|id| self.scopes[id].name.len() + 1).sum();
        let mut out = String::with_capacity(len.max(1));
        for id in set.iter() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&self.scopes[id].name);
        }
        out
    }

    /// The scopes whose resources include `resource`.
    pub(crate) fn scopes_covering(&self, resource: &str, username: &str) -> ScopeSet {
        ScopeSet::from_ids(
            self.scopes
                .iter()
                .enumerate()
                .filter(|(_, s)| s.resources.iter().any(|p| p.matches(resource, username)))
                .map(|(i, _)| i),
        )
    }

    /// Whether any of `set` covers `resource`.
    pub(crate) fn covers(&self, set: &ScopeSet, resource: &str, username: &str) -> bool {
        set.iter().any(|id| {
            self.scopes[id]
                .resources
                .iter()
                .any(|p| p.matches(resource, username))
        })
    }

    /// Whether the access rules let `username` (in `groups`) use `resource`.
    pub(crate) fn allowed(&self, username: &str, groups: &[Box<str>], resource: &str) -> bool {
        self.rules.iter().any(|r| {
            (r.any_user
                || r.users.contains(username)
                || groups.iter().any(|g| r.groups.contains(g)))
                && r.resources.iter().any(|p| p.matches(resource, username))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scope string is allocated once with one byte to spare, where the
    /// C ABI puts its NUL instead of copying the string (as for tokens).
    #[test]
    fn scope_strings_have_room_for_c_s_nul_and_no_more() {
        let config = Config::default()
            .scope("read", &["GET /*"])
            .scope("write", &["POST /*"])
            .scope("admin", &["* /admin/*"]);
        let reg = Registry::build(&config).unwrap();
        for names in ["read", "read write", "write admin", "read write admin", ""] {
            let s = reg.scope_string(&reg.scope_set_of(names));
            assert_eq!(s, names);
            assert_eq!(s.capacity(), s.len() + 1, "{names:?}");
        }
    }
}
