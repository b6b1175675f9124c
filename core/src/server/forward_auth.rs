//! Forward-auth: the check a gateway asks for before it passes a request
//! on (NGINX `auth_request`, Traefik ForwardAuth, Envoy `ext_authz` over
//! HTTP). The gateway sends the client's `Authorization` header and says
//! which request it is holding (its method and target, in headers); ropc
//! runs the resource check on that request's resource name and answers
//! 200 with who is calling in headers the gateway copies upstream, or the
//! RFC 6750 refusal, which the gateway passes back to the client.

use super::Server;
use crate::error::OAuthError;
use crate::http::HttpResponse;
use crate::resource::Refusal;
use crate::target::resource_name;

/// The request a gateway is holding, as its headers describe it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Forwarded<'a> {
    /// The client's `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The held request's method: `X-Forwarded-Method` (Traefik) or
    /// `X-Original-Method` (NGINX, as its configuration sets it).
    pub method: Option<&'a str>,
    /// The held request's target, path and query as the client sent them:
    /// `X-Forwarded-Uri` (Traefik) or `X-Original-URI` (NGINX's
    /// `$request_uri`).
    pub uri: Option<&'a str>,
    /// The client's `DPoP` proof (RFC 9449), for a DPoP-bound token.
    pub dpop: Option<&'a str>,
    /// The scheme the client used: `X-Forwarded-Proto` (`https` when the
    /// gateway does not say), for the URI a DPoP proof names.
    pub proto: Option<&'a str>,
    /// The host the client reached: `X-Forwarded-Host`, else `Host` (the
    /// held request's own, as Envoy forwards it).
    pub host: Option<&'a str>,
}

/// The headers forward-auth reads (lower case), for glue that hands on
/// only those.
pub const FORWARDED_HEADERS: [&str; 9] = [
    "authorization",
    "x-forwarded-method",
    "x-forwarded-uri",
    "x-original-method",
    "x-original-uri",
    "dpop",
    "x-forwarded-proto",
    "x-forwarded-host",
    "host",
];

/// Where forward-auth is served; a gateway that forwards the held request
/// whole (Envoy's `ext_authz` HTTP service, `path_prefix: "/auth"`) asks
/// under it: `GET /auth/docs/1` holds `GET /docs/1`.
pub const FORWARD_AUTH_PATH: &str = "/auth";

impl<'a> Forwarded<'a> {
    /// From the gateway's request: its headers as
    /// [`Forwarded::from_headers`] reads them; without them, a target under
    /// [`FORWARD_AUTH_PATH`] names the held request itself, with the
    /// request's own method (Envoy's `ext_authz` HTTP service).
    pub fn from_request(
        method: &'a str,
        target: &'a str,
        header: impl Fn(&str) -> Option<&'a str>,
    ) -> Forwarded<'a> {
        let mut f = Forwarded::from_headers(header);
        if f.method.is_none() && f.uri.is_none() {
            if let Some(held) = target
                .strip_prefix(FORWARD_AUTH_PATH)
                .filter(|rest| rest.starts_with('/'))
            {
                f.method = Some(method);
                f.uri = Some(held);
            }
        }
        f
    }

    /// From a request's headers, by `header(name)` (any case): the
    /// `Authorization` header and the held request's method and target,
    /// Traefik's names first, then NGINX's.
    pub fn from_headers(header: impl Fn(&str) -> Option<&'a str>) -> Forwarded<'a> {
        Forwarded {
            authorization: header("authorization"),
            method: header("x-forwarded-method").or_else(|| header("x-original-method")),
            uri: header("x-forwarded-uri").or_else(|| header("x-original-uri")),
            dpop: header("dpop"),
            proto: header("x-forwarded-proto"),
            host: header("x-forwarded-host").or_else(|| header("host")),
        }
    }
}

/// The headers a 200 carries for the gateway to copy upstream, unless the
/// configuration's `forward_auth` names others: the resource owner.
pub const FORWARDED_USER: &str = "X-Auth-User";
/// The client the token was issued to (by default).
pub const FORWARDED_CLIENT: &str = "X-Auth-Client";
/// The token's scopes, space-separated (by default).
pub const FORWARDED_SCOPE: &str = "X-Auth-Scope";

impl Server {
    /// A DPoP-bound token comes with its proof (the `DPoP` header, which
    /// gateways pass on) for the URI the gateway's `X-Forwarded-Proto` and
    /// `X-Forwarded-Host` (or `Host`) and the held target name.
    ///
    /// The forward-auth answer for the request a gateway holds: 200 with
    /// [`FORWARDED_USER`], [`FORWARDED_CLIENT`] and [`FORWARDED_SCOPE`]
    /// (or the names the configuration's `forward_auth` gives) when its
    /// token may be used on its resource; else the RFC 6750
    /// refusal (401 or 403 with `WWW-Authenticate`). A gateway that does
    /// not say which request it holds, or a target a backend could read two
    /// ways, gets 400 `invalid_request`, in the same form.
    pub fn forward_auth(&self, request: &Forwarded<'_>) -> HttpResponse {
        let refuse = |e: OAuthError| Refusal::for_error(e, &self.realm()).response;
        let (Some(method), Some(uri)) = (request.method, request.uri) else {
            return refuse(OAuthError::invalid_request(
                "the gateway did not say which request it holds (X-Forwarded-Method and X-Forwarded-Uri)",
            ));
        };
        let resource = match resource_name(method, uri) {
            Ok(r) => r,
            Err(e) => return refuse(e),
        };
        // A DPoP proof names the URI the client reached (RFC 9449 §4.3):
        // the gateway's scheme and host, the held request's target.
        let reached = format!(
            "{}://{}{}",
            request.proto.unwrap_or("https"),
            request.host.unwrap_or(""),
            uri
        );
        match self.check_with_proof(
            request.authorization,
            request.dpop,
            method,
            &reached,
            &resource,
            None,
        ) {
            Ok(p) => {
                let [user, client, scope] = self.registry.load().forward_headers;
                HttpResponse {
                    status: 200,
                    headers: vec![
                        (user, p.username),
                        (client, p.client_id),
                        (scope, p.scopes.join(" ")),
                        ("Cache-Control", "no-store".into()),
                    ],
                    body: String::new(),
                }
            }
            Err(refusal) => refusal.response,
        }
    }
}
