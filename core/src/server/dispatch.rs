//! Requests to endpoints, and where each call may run.

use super::{Owners, Server};
use crate::error::{ErrorCode, OAuthError};
use crate::http::{ClientCredentials, Form, HttpRequest, HttpResponse};
use crate::metrics::Operation;
use std::cell::Cell;

/// Where a call may run, as the core classifies it for every binding:
/// by the slowest thing it may do.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Blocking {
    /// Microseconds of work, waiting on nothing: answer where you are (on
    /// an event loop; Python keeps the GIL).
    Inline = 0,
    /// Milliseconds of CPU (an argon2 verification): off an event loop, on
    /// a pool sized to the cores; Python releases the GIL.
    Cpu = 1,
    /// May wait on a disk, a network or a host's callback: off an event
    /// loop, on threads that may wait (not a pool sized to the cores);
    /// Python releases the GIL.
    Waits = 2,
}

impl Blocking {
    /// `"inline"`, `"cpu"` or `"waits"`: the name every binding uses.
    pub fn name(self) -> &'static str {
        match self {
            Blocking::Inline => "inline",
            Blocking::Cpu => "cpu",
            Blocking::Waits => "waits",
        }
    }
}

/// A call to classify with [`Server::blocking`].
#[derive(Clone, Copy, Debug)]
pub enum Call<'a> {
    /// An HTTP request to one of the endpoints.
    Request(&'a HttpRequest<'a>),
    /// The password grant ([`Server::password_grant`]).
    PasswordGrant,
    /// A typed call that authenticates `client_id` without a password:
    /// [`Server::refresh_grant`], [`Server::introspect`], [`Server::revoke`].
    AsClient(&'a str),
    /// Any other call on the server: the check, metrics, changes to owners,
    /// purging (each reads or writes the store; the check may ask the host).
    Store,
    /// [`Server::hash_password`]: argon2, always.
    HashPassword,
}

/// One of the three HTTP endpoints, for callers that choose one at run time
/// (a binding's glue, a router).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// [`Server::token_endpoint`].
    Token,
    /// [`Server::introspection_endpoint`].
    Introspection,
    /// [`Server::revocation_endpoint`].
    Revocation,
}

impl Endpoint {
    /// `"token"`, `"introspection"` or `"revocation"`.
    pub fn from_name(name: &str) -> Option<Endpoint> {
        match name {
            "token" => Some(Endpoint::Token),
            "introspection" => Some(Endpoint::Introspection),
            "revocation" => Some(Endpoint::Revocation),
            _ => None,
        }
    }
}

impl Server {
    /// The endpoint `which` answers `req`.
    pub fn answer(&self, which: Endpoint, req: &HttpRequest<'_>) -> HttpResponse {
        match which {
            Endpoint::Token => self.token_endpoint(req),
            Endpoint::Introspection => self.introspection_endpoint(req),
            Endpoint::Revocation => self.revocation_endpoint(req),
        }
    }

    /// Where a call may run: the one classification every binding's glue
    /// reads to pick in place, a CPU pool or a thread that may wait. The
    /// answer never changes what the call decides.
    pub fn blocking(&self, call: Call<'_>) -> Blocking {
        // A store that waits on a disk or a network, or host callbacks
        // (accounts, owner authorization), on any call that reaches them.
        let waits = self.store.store().may_block()
            || matches!(self.accounts, Owners::Host(_))
            || self.authorizer.is_some();
        let hashes = match call {
            Call::Request(req) => self.request_hashes(req),
            Call::PasswordGrant | Call::HashPassword => true,
            Call::AsClient(client_id) => self.client_secret_is_hashed(client_id),
            Call::Store => false,
        };
        match (call, waits, hashes) {
            (Call::HashPassword, _, _) => Blocking::Cpu,
            (_, true, _) => Blocking::Waits,
            (_, false, true) => Blocking::Cpu,
            (_, false, false) => Blocking::Inline,
        }
    }

    /// The endpoint's answer when the request is [`Blocking::Inline`];
    /// otherwise nothing is done and the error says where
    /// [`Server::answer`] should run instead. One parse of the request for
    /// the glue's in-place path.
    pub fn answer_inline(
        &self,
        which: Endpoint,
        req: &HttpRequest<'_>,
    ) -> Result<HttpResponse, Blocking> {
        match self.blocking(Call::Request(req)) {
            Blocking::Inline => Ok(self.answer(which, req)),
            elsewhere => Err(elsewhere),
        }
    }

    /// For a GET endpoint: 405 (with `Allow`) for any method but GET and
    /// HEAD, else `None`.
    pub(super) fn get_only(&self, req: &HttpRequest<'_>) -> Option<HttpResponse> {
        if req.method.eq_ignore_ascii_case("GET") || req.method.eq_ignore_ascii_case("HEAD") {
            return None;
        }
        let err = OAuthError::invalid_request("this endpoint accepts only GET");
        let mut resp = HttpResponse::token_error(&err, &self.realm());
        resp.status = 405;
        resp.headers.push(("Allow", "GET, HEAD".into()));
        Some(resp)
    }

    /// Whether answering `req` may run argon2: a password grant, or a
    /// client whose secret is an argon2 hash (or an unknown client, whose
    /// dummy is one).
    fn request_hashes(&self, req: &HttpRequest<'_>) -> bool {
        let Ok(form) = Form::from_request(req) else {
            return false;
        };
        if form.get("grant_type").ok().flatten() == Some("password") {
            return true;
        }
        ClientCredentials::from_request(req.authorization, &form)
            .ok()
            .is_some_and(|c| self.client_secret_is_hashed(&c.client_id))
    }

    /// Runs an endpoint and counts it once: a typed operation it called
    /// counts itself; anything refused before that counts as the operation
    /// it dispatched to (`op` until it says).
    pub(super) fn endpoint(
        &self,
        req: &HttpRequest<'_>,
        op: Operation,
        handle: impl FnOnce(ClientCredentials, &Form, &Dispatch) -> Result<HttpResponse, OAuthError>,
    ) -> HttpResponse {
        let dispatch = Dispatch {
            op: Cell::new(op),
            counted: Cell::new(false),
        };
        if !req.method.eq_ignore_ascii_case("POST") {
            self.metrics.request(op, Some(ErrorCode::InvalidRequest));
            return HttpResponse::post_only(&self.realm());
        }
        let result = Form::from_request(req)
            .and_then(|form| {
                ClientCredentials::from_request(req.authorization, &form).map(|c| (c, form))
            })
            .and_then(|(creds, form)| handle(creds, &form, &dispatch));
        if !dispatch.counted.get() {
            self.metrics.request(
                dispatch.op.get(),
                result.as_ref().err().map(OAuthError::code),
            );
        }
        result.unwrap_or_else(|e| HttpResponse::token_error(&e, &self.realm()))
    }
}

/// What an endpoint dispatched to: the operation a failure before the call
/// counts as, and whether the typed operation it called counted itself.
pub(super) struct Dispatch {
    op: Cell<Operation>,
    counted: Cell<bool>,
}

impl Dispatch {
    /// From here on, a failure counts as `op`.
    pub(super) fn to(&self, op: Operation) {
        self.op.set(op);
    }

    /// Calls a typed operation, which counts itself.
    pub(super) fn call<T>(&self, operation: impl FnOnce() -> T) -> T {
        self.counted.set(true);
        operation()
    }
}
