//! `ropc._ropc`: the core for Python. Only conversions live here: Python
//! values in, core calls, Python values or exceptions (defined in
//! `ropc/_errors.py`) out. Slow calls run with the GIL released.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use ropc_core as core;
use ropc_core::secret::Wiped;
use std::sync::Arc;

mod accounts;

/// Raises the `ropc` exception class for an OAuth error, carrying the ready response.
fn oauth_error(
    py: Python<'_>,
    error: Option<&core::OAuthError>,
    resp: &core::HttpResponse,
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let errors = py.import("ropc._errors")?;
        let class = errors
            .getattr("OAuthError")?
            .getattr("class_for")?
            .call1((error.map(|e| e.code().as_str()),))?;
        let headers: Vec<(String, String)> = resp
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect();
        let value = class.call1((
            error.map(|e| e.code().as_str()),
            error.map_or(core::NO_CREDENTIALS, |e| e.description()),
            resp.status,
            headers,
            pyo3::types::PyBytes::new(py, resp.body.as_bytes()),
            error.and_then(|e| e.scope()),
        ))?;
        Ok(PyErr::from_value(value))
    };
    build().unwrap_or_else(|e| e)
}

fn config_error(py: Python<'_>, e: &core::ConfigError) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let class = py.import("ropc._errors")?.getattr("ConfigError")?;
        let (line, column) = e.position().unzip();
        Ok(PyErr::from_value(class.call1((
            e.to_string(),
            e.path(),
            e.message(),
            line,
            column,
            e.file(),
        ))?))
    };
    build().unwrap_or_else(|e| e)
}

/// Audit events to Python: `ropc._events.deliver(handler, json)` on ropc's
/// event thread, which takes the GIL only there (never on a request's path).
struct PyEvents {
    handler: Option<Py<PyAny>>,
    /// Whether the `ropc.audit` logger recorded INFO and WARNING when the
    /// server was made: without a handler, only those kinds are delivered
    /// (each delivery takes the GIL from the threads serving requests).
    logs_info: bool,
    logs_warnings: bool,
}

impl core::events::EventSink for PyEvents {
    fn event(&self, event: &core::events::Event) {
        let json = event.to_json();
        Python::attach(|py| {
            let handler = self.handler.as_ref().map(|h| h.bind(py).clone());
            let delivered = py
                .import("ropc._events")
                .and_then(|m| m.call_method1("deliver", (handler, json, event.kind.is_warning())));
            if let Err(e) = delivered {
                e.print(py);
            }
        });
    }

    /// The handler is owned (a `Py`); and a `del server` holds the GIL that
    /// delivery needs: dropping must not wait for the queue.
    fn wait_on_drop(&self) -> bool {
        false
    }

    fn wants(&self, kind: core::events::EventKind) -> bool {
        self.handler.is_some()
            || if kind.is_warning() {
                self.logs_warnings
            } else {
                self.logs_info
            }
    }
}

/// A configuration given as text, or written by us from a dict or keyword
/// arguments (then a line and column would point into JSON the user never
/// saw, and are left out).
struct ConfigText {
    json: String,
    written: bool,
}

impl ConfigText {
    fn error(&self, py: Python<'_>, e: core::ConfigError) -> PyErr {
        let e = if self.written {
            e.without_position()
        } else {
            e
        };
        config_error(py, &e)
    }
}

/// A request body: bytes, bytearray or memoryview as they are, or a str
/// as UTF-8 (as Node accepts a string); copied once, zeroed when dropped.
struct Body(Wiped<Vec<u8>>);

impl FromPyObject<'_, '_> for Body {
    type Error = PyErr;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> Result<Self, Self::Error> {
        if let Ok(b) = obj.cast::<pyo3::types::PyBytes>() {
            return Ok(Body(Wiped::new(b.as_bytes().to_vec())));
        }
        if obj.is_instance_of::<PyString>() {
            // Encoded by Python (its copy is Python's), then copied once.
            let encoded = obj.call_method1("encode", ("utf-8",))?;
            let encoded = encoded.cast_into::<pyo3::types::PyBytes>()?;
            return Ok(Body(Wiped::new(encoded.as_bytes().to_vec())));
        }
        if obj.is_instance_of::<pyo3::types::PyByteArray>()
            || obj.is_instance_of::<pyo3::types::PyMemoryView>()
        {
            let bytes = obj
                .call_method0("__bytes__")
                .or_else(|_| obj.py().get_type::<pyo3::types::PyBytes>().call1((obj,)))?;
            let bytes = bytes.cast_into::<pyo3::types::PyBytes>()?;
            return Ok(Body(Wiped::new(bytes.as_bytes().to_vec())));
        }
        if obj.is_none() {
            return Ok(Body(Wiped::new(Vec::new())));
        }
        Err(PyTypeError::new_err(format!(
            "body must be bytes, bytearray, memoryview or str, not {}",
            obj.get_type().name()?
        )))
    }
}

/// A configuration from a dict, a JSON string, or keyword arguments.
fn config_json(
    py: Python<'_>,
    config: Option<&Bound<'_, PyAny>>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<ConfigText> {
    let text = |json| ConfigText {
        json,
        written: false,
    };
    let written = |json| ConfigText {
        json,
        written: true,
    };
    match (config, kwargs.filter(|k| !k.is_empty())) {
        (Some(_), Some(_)) => Err(PyTypeError::new_err(
            "pass a configuration or keyword arguments, not both",
        )),
        (None, None) => Err(PyTypeError::new_err(
            "a configuration (dict or JSON string) or keyword arguments is required",
        )),
        (Some(c), None) if c.is_instance_of::<PyString>() => c.extract().map(text),
        (Some(c), None) if c.is_instance_of::<PyDict>() => py
            .import("json")?
            .call_method1("dumps", (c,))?
            .extract()
            .map(written),
        (Some(c), None) => Err(PyTypeError::new_err(format!(
            "the configuration must be a dict or a JSON string, not {}",
            c.get_type().name()?
        ))),
        (None, Some(k)) => py
            .import("json")?
            .call_method1("dumps", (k,))?
            .extract()
            .map(written),
    }
}

/// The headers an endpoint reads.
struct Found {
    content_type: Option<String>,
    /// Credentials: zeroed when dropped.
    authorization: Option<Wiped<String>>,
    /// A DPoP proof (RFC 9449).
    dpop: Option<String>,
}

/// The Content-Type, Authorization and DPoP headers from a mapping or pairs.
fn find_headers(headers: Option<&Bound<'_, PyAny>>) -> PyResult<Found> {
    let mut content_type: Option<String> = None;
    let mut dpop: Option<String> = None;
    let mut authorization: Vec<Wiped<String>> = Vec::new();
    let Some(headers) = headers.filter(|h| !h.is_none()) else {
        return Ok(Found {
            content_type: None,
            authorization: None,
            dpop: None,
        });
    };
    let pairs = if headers.hasattr("items")? {
        headers.call_method0("items")?
    } else {
        headers.clone()
    };
    for pair in pairs.try_iter()? {
        let (name, value): (String, String) = pair?.extract().map_err(|_| {
            PyTypeError::new_err(
                "headers must be a mapping of str to str, or an iterable of (str, str) pairs",
            )
        })?;
        let value = Wiped::new(value);
        if name.eq_ignore_ascii_case("content-type") {
            // A header that came twice is handed on joined (RFC 9110 §5.3).
            content_type = Some(match content_type {
                Some(first) => format!("{first}, {}", value.as_str()),
                None => value.to_string(),
            });
        } else if name.eq_ignore_ascii_case("authorization") {
            authorization.push(value);
        } else if name.eq_ignore_ascii_case("dpop") {
            // Two proofs are handed on joined: no proof reads as one.
            dpop = Some(match dpop {
                Some(first) => format!("{first}, {}", value.as_str()),
                None => value.to_string(),
            });
        }
    }
    // Two Authorization headers are handed on joined too: the core refuses
    // them with invalid_request. Joined in a string of its final size.
    let authorization = match authorization.len() {
        0 => None,
        n => {
            let len = authorization.iter().map(|v| v.len()).sum::<usize>() + 2 * (n - 1);
            let mut joined = Wiped::new(String::with_capacity(len));
            for (i, v) in authorization.iter().enumerate() {
                if i > 0 {
                    joined.push_str(", ");
                }
                joined.push_str(v);
            }
            Some(joined)
        }
    };
    Ok(Found {
        content_type,
        authorization,
        dpop,
    })
}

/// An HTTP response: send `status`, `headers` and `body` as they are.
#[pyclass(frozen, module = "ropc._ropc")]
struct Response {
    #[pyo3(get)]
    status: u16,
    #[pyo3(get)]
    headers: Vec<(String, String)>,
    /// May hold tokens: zeroed when the response is freed.
    body: Wiped<Vec<u8>>,
}

#[pymethods]
impl Response {
    /// The body, as bytes (JSON, or empty).
    #[getter]
    fn body(&self) -> &[u8] {
        &self.body
    }

    fn __repr__(&self) -> String {
        format!("<Response {} ({} bytes)>", self.status, self.body.len())
    }
}

impl From<core::HttpResponse> for Response {
    fn from(mut r: core::HttpResponse) -> Self {
        Response {
            status: r.status,
            headers: std::mem::take(&mut r.headers)
                .into_iter()
                .map(|(n, v)| (n.to_string(), v))
                .collect(),
            body: Wiped::new(std::mem::take(&mut r.body).into_bytes()),
        }
    }
}

/// A token response (RFC 6749 §5.1). Its repr hides the tokens.
#[pyclass(frozen, module = "ropc._ropc")]
struct TokenResponse {
    #[pyo3(get)]
    access_token: String,
    #[pyo3(get)]
    token_type: &'static str,
    #[pyo3(get)]
    expires_in: u64,
    #[pyo3(get)]
    refresh_token: Option<String>,
    #[pyo3(get)]
    scope: String,
}

#[pymethods]
impl TokenResponse {
    fn __repr__(&self) -> String {
        format!(
            "<TokenResponse scope={:?} expires_in={} refresh_token={}>",
            self.scope,
            self.expires_in,
            if self.refresh_token.is_some() {
                "yes"
            } else {
                "no"
            }
        )
    }
}

impl From<core::TokenResponse> for TokenResponse {
    fn from(mut t: core::TokenResponse) -> Self {
        TokenResponse {
            access_token: std::mem::take(&mut t.access_token),
            token_type: t.token_type,
            expires_in: t.expires_in,
            refresh_token: t.refresh_token.take(),
            scope: std::mem::take(&mut t.scope),
        }
    }
}

impl Drop for TokenResponse {
    /// Python has its own copies (each read of an attribute makes one);
    /// this one is zeroed before it is freed.
    fn drop(&mut self) {
        use ropc_core::secret::Wipe;
        self.access_token.wipe();
        if let Some(t) = &mut self.refresh_token {
            t.wipe();
        }
    }
}

/// Who is calling a resource.
#[pyclass(frozen, module = "ropc._ropc")]
pub(crate) struct Principal {
    #[pyo3(get)]
    username: String,
    #[pyo3(get)]
    client_id: String,
    #[pyo3(get)]
    scopes: Vec<String>,
    #[pyo3(get)]
    groups: Vec<String>,
    #[pyo3(get)]
    expires_at: u64,
}

#[pymethods]
impl Principal {
    fn __repr__(&self) -> String {
        format!(
            "<Principal {} via {} scopes={:?}>",
            self.username, self.client_id, self.scopes
        )
    }
}

impl From<core::Principal> for Principal {
    fn from(p: core::Principal) -> Self {
        Principal {
            username: p.username,
            client_id: p.client_id,
            scopes: p.scopes,
            groups: p.groups,
            expires_at: p.expires_at,
        }
    }
}

fn credentials(client_id: String, client_secret: Option<String>) -> core::ClientCredentials {
    let client_secret = client_secret.map(Wiped::new);
    core::ClientCredentials::presented(&client_id, client_secret.as_deref().map(String::as_str))
}

/// An authorization server. Safe to share between threads.
#[pyclass(frozen, module = "ropc._ropc")]
struct Server {
    inner: Arc<core::Server>,
}

/// A request for an endpoint as Python handed it: its headers found once,
/// run as a `core::HttpRequest` within its audit context.
struct EndpointCall {
    method: String,
    content_type: Option<String>,
    authorization: Option<Wiped<String>>,
    dpop: Option<String>,
    body: Wiped<Vec<u8>>,
    remote_addr: Option<String>,
    request_id: Option<String>,
}

impl EndpointCall {
    fn new(
        method: String,
        headers: Option<&Bound<'_, PyAny>>,
        body: Body,
        remote_addr: Option<String>,
        request_id: Option<String>,
    ) -> PyResult<EndpointCall> {
        let Found {
            content_type,
            authorization,
            dpop,
        } = find_headers(headers)?;
        Ok(EndpointCall {
            method,
            content_type,
            authorization,
            dpop,
            body: body.0,
            remote_addr,
            request_id,
        })
    }

    fn run<T>(&self, f: impl FnOnce(&core::HttpRequest<'_>) -> T) -> T {
        let req = core::HttpRequest {
            method: &self.method,
            content_type: self.content_type.as_deref(),
            authorization: self.authorization.as_ref().map(|a| a.as_str()),
            body: &self.body,
            dpop: self.dpop.as_deref(),
        };
        core::events::with_request_context(
            self.remote_addr.as_deref(),
            self.request_id.as_deref(),
            || f(&req),
        )
    }
}

impl Server {
    /// An endpoint's answer. A refresh or an introspection on the memory
    /// store takes microseconds and keeps the GIL (releasing and taking it
    /// back costs more, and under contention a thread waits up to the switch
    /// interval to get it back); what may block (argon2, a database, a host
    /// callback) runs without it.
    fn endpoint(
        &self,
        py: Python<'_>,
        which: core::Endpoint,
        call: EndpointCall,
    ) -> PyResult<Response> {
        let server = &self.inner;
        let resp = match call.run(|req| server.answer_inline(which, req)) {
            Ok(resp) => resp,
            Err(_) => py.detach(|| call.run(|req| server.answer(which, req))),
        };
        Ok(resp.into())
    }

    fn typed<T>(&self, py: Python<'_>, result: Result<T, core::OAuthError>) -> PyResult<T> {
        result.map_err(|e| oauth_error(py, Some(&e), &self.inner.error_response(&e)))
    }

    /// Runs `f`, the call `call`, without the GIL unless the core
    /// classifies it inline: a memory store's calls take microseconds and
    /// keep it (releasing costs more than they do).
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        call: core::Call<'_>,
        f: impl FnOnce() -> T + Send,
    ) -> T {
        if self.inner.blocking(call) == core::Blocking::Inline {
            f()
        } else {
            py.detach(f)
        }
    }

    /// A store failure: `TemporarilyUnavailable`, carrying the 503 response.
    fn store_error(&self, py: Python<'_>, e: core::StoreError) -> PyErr {
        let e = core::OAuthError::from(e);
        oauth_error(py, Some(&e), &self.inner.error_response(&e))
    }

    fn build(
        py: Python<'_>,
        config: core::Config,
        host_accounts: Option<&Bound<'_, PyAny>>,
        authorize: Option<&Bound<'_, PyAny>>,
        events: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut builder = core::Server::builder(config);
        // Audit events go to `events(dict)` and to the `ropc.audit` logger;
        // with neither listening, no event is made.
        let handler = events.filter(|e| !e.is_none());
        if let Some(h) = handler {
            if !h.is_callable() {
                return Err(PyTypeError::new_err(
                    "events must be a callable taking one event (a dict)",
                ));
            }
        }
        let (logs_info, logs_warnings): (bool, bool) = py
            .import("ropc._events")?
            .call_method0("levels")?
            .extract()?;
        if handler.is_some() || logs_info || logs_warnings {
            builder = builder.events(Arc::new(PyEvents {
                handler: handler.map(|h| h.clone().unbind()),
                logs_info,
                logs_warnings,
            }));
        }
        if let Some(a) = host_accounts.filter(|a| !a.is_none()) {
            builder = builder.accounts(Arc::new(accounts::PyAccounts::new(a)?));
        }
        if let Some(a) = authorize.filter(|a| !a.is_none()) {
            builder = builder.owner_authorizer(Arc::new(accounts::PyAuthorizer::new(a)?));
        }
        // Opening a database store may wait on the network: without the GIL.
        let server = py
            .detach(|| builder.build())
            .map_err(|e| config_error(py, &e))?;
        Ok(Server {
            inner: Arc::new(server),
        })
    }

    fn account_error(&self, py: Python<'_>, e: core::AccountError) -> PyErr {
        let reason = match &e {
            core::AccountError::Store(_) => "",
            core::AccountError::UnknownUser => "unknown_user",
            core::AccountError::InvalidHash(_) => "invalid_hash",
            _ => "not_configured",
        };
        if let core::AccountError::Store(e) = e {
            return self.store_error(py, e);
        }
        let build = || -> PyResult<PyErr> {
            let class = py.import("ropc._errors")?.getattr("AccountError")?;
            Ok(PyErr::from_value(class.call1((e.to_string(), reason))?))
        };
        build().unwrap_or_else(|e| e)
    }
}

#[pymethods]
impl Server {
    /// `Server(config)` with a dict or JSON string, or `Server(**fields)`.
    /// `host_accounts`: an object with `verify(username, password)` and
    /// `lookup(username)` that replaces the configured users; `authorize`:
    /// `authorize(principal, resource, scope) -> bool` (or an object with
    /// that method), asked after the token and scope checks.
    #[new]
    #[pyo3(signature = (config=None, *, host_accounts=None, authorize=None, events=None, **kwargs))]
    fn new(
        py: Python<'_>,
        config: Option<&Bound<'_, PyAny>>,
        host_accounts: Option<&Bound<'_, PyAny>>,
        authorize: Option<&Bound<'_, PyAny>>,
        events: Option<&Bound<'_, PyAny>>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let text = config_json(py, config, kwargs)?;
        let config = core::Config::from_json(&text.json).map_err(|e| text.error(py, e))?;
        Self::build(py, config, host_accounts, authorize, events)
    }

    /// A server from a JSON configuration file; callbacks as for `Server(...)`.
    #[staticmethod]
    #[pyo3(signature = (path, *, host_accounts=None, authorize=None, events=None))]
    fn from_file(
        py: Python<'_>,
        path: std::path::PathBuf,
        host_accounts: Option<&Bound<'_, PyAny>>,
        authorize: Option<&Bound<'_, PyAny>>,
        events: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let config = read_config_file(py, &path)?;
        Self::build(py, config, host_accounts, authorize, events)
    }

    /// Swaps in a new configuration (dict, JSON string or keyword fields)
    /// without dropping a token; callbacks stay. Raises `ConfigError` (and
    /// changes nothing) when it is invalid or moves the store.
    #[pyo3(signature = (config=None, **kwargs))]
    fn reload(
        &self,
        py: Python<'_>,
        config: Option<&Bound<'_, PyAny>>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let text = config_json(py, config, kwargs)?;
        let server = &self.inner;
        py.detach(|| server.reload_json(&text.json))
            .map_err(|e| text.error(py, e))
    }

    /// Swaps in the configuration in the file at `path` (read strictly as
    /// UTF-8 by the core); raises `ConfigError` (or `OSError` for a file
    /// that cannot be read) and changes nothing on a bad file.
    fn reload_file(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<()> {
        let config = read_config_file(py, &path)?;
        let server = &self.inner;
        py.detach(|| server.reload(config))
            .map_err(|e| config_error(py, &e.in_file(path.display().to_string())))
    }

    /// Drops this process's cached state of an owner (host accounts), so
    /// that the next check asks `lookup` again.
    fn forget_owner(&self, username: &str) {
        self.inner.forget_owner(username);
    }

    /// What the account layer did: a dict of counts (host callbacks, cache
    /// misses, paced answers, failures) and the pacing target.
    fn accounts_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.accounts_stats();
        let d = PyDict::new(py);
        d.set_item("verify_calls", s.verify_calls)?;
        d.set_item("lookup_calls", s.lookup_calls)?;
        d.set_item("paced", s.paced)?;
        d.set_item("failures", s.failures)?;
        d.set_item("pace_target_us", s.pace_target_us)?;
        Ok(d)
    }

    /// The realm of `WWW-Authenticate` challenges.
    #[getter]
    fn realm(&self) -> String {
        self.inner.realm()
    }

    /// The token endpoint: `method`, a mapping (or pairs) of headers, the raw body.
    #[pyo3(signature = (method, headers, body, *, remote_addr=None, request_id=None))]
    fn token_endpoint(
        &self,
        py: Python<'_>,
        method: String,
        headers: Option<&Bound<'_, PyAny>>,
        body: Body,
        remote_addr: Option<String>,
        request_id: Option<String>,
    ) -> PyResult<Response> {
        let call = EndpointCall::new(method, headers, body, remote_addr, request_id)?;
        self.endpoint(py, core::Endpoint::Token, call)
    }

    /// The introspection endpoint (RFC 7662).
    #[pyo3(signature = (method, headers, body, *, remote_addr=None, request_id=None))]
    fn introspection_endpoint(
        &self,
        py: Python<'_>,
        method: String,
        headers: Option<&Bound<'_, PyAny>>,
        body: Body,
        remote_addr: Option<String>,
        request_id: Option<String>,
    ) -> PyResult<Response> {
        let call = EndpointCall::new(method, headers, body, remote_addr, request_id)?;
        self.endpoint(py, core::Endpoint::Introspection, call)
    }

    /// The revocation endpoint (RFC 7009).
    #[pyo3(signature = (method, headers, body, *, remote_addr=None, request_id=None))]
    fn revocation_endpoint(
        &self,
        py: Python<'_>,
        method: String,
        headers: Option<&Bound<'_, PyAny>>,
        body: Body,
        remote_addr: Option<String>,
        request_id: Option<String>,
    ) -> PyResult<Response> {
        let call = EndpointCall::new(method, headers, body, remote_addr, request_id)?;
        self.endpoint(py, core::Endpoint::Revocation, call)
    }

    /// ``GET /jwks.json``: the key set resource servers verify JWT access
    /// tokens with (404 when the server signs nothing). It reads the store:
    /// without the GIL unless the store answers at once.
    fn key_set_endpoint(&self, py: Python<'_>, method: String) -> Response {
        let server = &self.inner;
        let req = core::HttpRequest {
            method: &method,
            content_type: None,
            authorization: None,
            body: b"",
            dpop: None,
        };
        self.run(py, core::Call::Store, || server.key_set_endpoint(&req))
            .into()
    }

    /// Forward-auth: the answer for the request a gateway holds, from the
    /// headers of the gateway's request (a mapping or (name, value) pairs):
    /// ``Authorization`` and the held request's method and target
    /// (``X-Forwarded-Method``/``X-Forwarded-Uri`` from Traefik,
    /// ``X-Original-Method``/``X-Original-URI`` as NGINX is set up to
    /// send, or, without those, a ``target`` under ``/auth`` with its
    /// ``method``, as Envoy's ext_authz sends the held request). 200 with
    /// ``X-Auth-User``, ``X-Auth-Client``, ``X-Auth-Scope``, or the RFC 6750
    /// refusal to pass back. It reads the store: without
    /// the GIL unless the store answers at once.
    #[pyo3(signature = (headers, method=None, target=None))]
    fn forward_auth(
        &self,
        py: Python<'_>,
        headers: &Bound<'_, PyAny>,
        method: Option<String>,
        target: Option<String>,
    ) -> PyResult<Response> {
        let pairs = if headers.hasattr("items")? {
            headers.call_method0("items")?
        } else {
            headers.clone()
        };
        let mut kept: Vec<(String, Wiped<String>)> = Vec::new();
        for pair in pairs.try_iter()? {
            let (name, value): (String, String) = pair?.extract().map_err(|_| {
                PyTypeError::new_err(
                    "headers must be a mapping of str to str, or an iterable of (str, str) pairs",
                )
            })?;
            kept.push((name, Wiped::new(value)));
        }
        let server = &self.inner;
        Ok(self
            .run(py, core::Call::Store, || {
                let (method, target) = (
                    method.as_deref().unwrap_or(""),
                    target.as_deref().unwrap_or(""),
                );
                let forwarded = core::Forwarded::from_request(method, target, |name| {
                    kept.iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.as_str())
                });
                server.forward_auth(&forwarded)
            })
            .into())
    }

    /// ``GET /.well-known/oauth-authorization-server``: the metadata
    /// (RFC 8414; 404 without an issuer).
    fn metadata_endpoint(&self, method: String) -> Response {
        let req = core::HttpRequest {
            method: &method,
            content_type: None,
            authorization: None,
            body: b"",
            dpop: None,
        };
        self.inner.metadata_endpoint(&req).into()
    }

    /// The endpoint named (``"token"``, ``"introspection"`` or ``"revocation"``)
    /// answered here, keeping the GIL, when the core classifies the request
    /// ``"inline"``; ``None`` otherwise (argon2, a database, a host callback:
    /// ``request_blocking`` says which), for event-loop glue to call the
    /// endpoint on a worker thread. One reading of the request.
    #[pyo3(signature = (endpoint, method, headers, body, *, remote_addr=None, request_id=None))]
    fn answer_inline(
        &self,
        endpoint: &str,
        method: String,
        headers: Option<&Bound<'_, PyAny>>,
        body: Body,
        remote_addr: Option<String>,
        request_id: Option<String>,
    ) -> PyResult<Option<Response>> {
        let which = core::Endpoint::from_name(endpoint).ok_or_else(|| {
            PyValueError::new_err(format!(
                "{endpoint:?} is not an endpoint: token, introspection or revocation"
            ))
        })?;
        let call = EndpointCall::new(method, headers, body, remote_addr, request_id)?;
        let server = &self.inner;
        Ok(call
            .run(|req| server.answer_inline(which, req))
            .ok()
            .map(Response::from))
    }

    /// The password grant; raises an `OAuthError` subclass when refused.
    #[pyo3(signature = (client_id, client_secret, username, password, scope=None))]
    fn password_grant(
        &self,
        py: Python<'_>,
        client_id: String,
        client_secret: Option<String>,
        username: String,
        password: String,
        scope: Option<String>,
    ) -> PyResult<TokenResponse> {
        let client = credentials(client_id, client_secret);
        let password = Wiped::new(password);
        let server = &self.inner;
        let result = self.run(py, core::Call::PasswordGrant, || {
            server.password_grant(&client, &username, &password, scope.as_deref())
        });
        self.typed(py, result).map(Into::into)
    }

    /// The refresh_token grant, with rotation.
    #[pyo3(signature = (client_id, client_secret, refresh_token, scope=None))]
    fn refresh_grant(
        &self,
        py: Python<'_>,
        client_id: String,
        client_secret: Option<String>,
        refresh_token: String,
        scope: Option<String>,
    ) -> PyResult<TokenResponse> {
        let client = credentials(client_id, client_secret);
        let refresh_token = Wiped::new(refresh_token);
        let server = &self.inner;
        let result = self.run(py, core::Call::AsClient(&client.client_id), || {
            server.refresh_grant(&client, &refresh_token, scope.as_deref())
        });
        self.typed(py, result).map(Into::into)
    }

    /// Introspection (RFC 7662): the response as a dict.
    #[pyo3(signature = (client_id, client_secret, token, token_type_hint=None))]
    fn introspect<'py>(
        &self,
        py: Python<'py>,
        client_id: String,
        client_secret: Option<String>,
        token: String,
        token_type_hint: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let client = credentials(client_id, client_secret);
        let token = Wiped::new(token);
        let server = &self.inner;
        let result = self.run(py, core::Call::AsClient(&client.client_id), || {
            server.introspect(&client, &token, token_type_hint.as_deref())
        });
        let info = self.typed(py, result)?;
        py.import("json")?.call_method1("loads", (info.to_json(),))
    }

    /// Revocation (RFC 7009). Unknown tokens succeed.
    #[pyo3(signature = (client_id, client_secret, token, token_type_hint=None))]
    fn revoke(
        &self,
        py: Python<'_>,
        client_id: String,
        client_secret: Option<String>,
        token: String,
        token_type_hint: Option<String>,
    ) -> PyResult<()> {
        let client = credentials(client_id, client_secret);
        let token = Wiped::new(token);
        let server = &self.inner;
        let result = self.run(py, core::Call::AsClient(&client.client_id), || {
            server.revoke(&client, &token, token_type_hint.as_deref())
        });
        self.typed(py, result)
    }

    /// Stage 5 with the token itself: a `Principal`, or an `OAuthError`
    /// subclass carrying the RFC 6750 response. The GIL is released when the
    /// store may wait on a disk or a network.
    #[pyo3(signature = (access_token, resource, scope=None))]
    fn check(
        &self,
        py: Python<'_>,
        access_token: &str,
        resource: &str,
        scope: Option<&str>,
    ) -> PyResult<Principal> {
        let server = &self.inner;
        let result = self.run(py, core::Call::Store, || {
            server.check(access_token, resource, scope)
        });
        result.map(Into::into).map_err(|e| {
            let refusal = core::Refusal::for_error(e, &server.realm());
            oauth_error(py, refusal.error.as_ref(), &refusal.response)
        })
    }

    /// Stage 5 from the request's Authorization header (None when absent).
    #[pyo3(signature = (authorization, resource, scope=None))]
    fn check_request(
        &self,
        py: Python<'_>,
        authorization: Option<&str>,
        resource: &str,
        scope: Option<&str>,
    ) -> PyResult<Principal> {
        let server = &self.inner;
        let result = self.run(py, core::Call::Store, || {
            server.check_request(authorization, resource, scope)
        });
        result
            .map(Into::into)
            .map_err(|r| oauth_error(py, r.error.as_ref(), &r.response))
    }

    /// Stage 5 for a request that may carry a DPoP-bound token (RFC 9449
    /// §7): ``Authorization: DPoP <token>`` with the request's ``DPoP``
    /// proof (``dpop``) for ``method`` and ``uri`` (the absolute URI the
    /// client reached: scheme, host, path), or a bearer token as
    /// ``check_request`` takes it. A refusal of a DPoP request carries a
    /// ``DPoP`` challenge.
    #[pyo3(signature = (authorization, dpop, method, uri, resource, scope=None))]
    #[allow(clippy::too_many_arguments)]
    fn check_with_proof(
        &self,
        py: Python<'_>,
        authorization: Option<&str>,
        dpop: Option<&str>,
        method: &str,
        uri: &str,
        resource: &str,
        scope: Option<&str>,
    ) -> PyResult<Principal> {
        let server = &self.inner;
        let result = self.run(py, core::Call::Store, || {
            server.check_with_proof(authorization, dpop, method, uri, resource, scope)
        });
        result
            .map(Into::into)
            .map_err(|r| oauth_error(py, r.error.as_ref(), &r.response))
    }

    /// Hashes a password with this server's argon2id parameters (GIL released).
    fn hash_password(&self, py: Python<'_>, password: String) -> PyResult<String> {
        let server = &self.inner;
        py.detach(|| server.hash_password(&password))
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// Sets a user's password hash and ends all its tokens (in every process
    /// sharing the store).
    fn set_user_password_hash(
        &self,
        py: Python<'_>,
        username: &str,
        password_hash: &str,
    ) -> PyResult<()> {
        let server = &self.inner;
        let result = py.detach(|| server.set_user_password_hash(username, password_hash));
        result.map_err(|e| self.account_error(py, e))
    }

    /// Enables or disables a user; disabling ends all its tokens.
    fn set_user_enabled(&self, py: Python<'_>, username: &str, enabled: bool) -> PyResult<()> {
        let server = &self.inner;
        let result = py.detach(|| server.set_user_enabled(username, enabled));
        result.map_err(|e| self.account_error(py, e))
    }

    /// Ends every token of a user, in every process sharing the store;
    /// False for an unknown user.
    fn revoke_user_tokens(&self, py: Python<'_>, username: &str) -> PyResult<bool> {
        let server = &self.inner;
        let result = py.detach(|| server.revoke_user_tokens(username));
        result.map_err(|e| self.store_error(py, e))
    }

    /// The server's metrics as Prometheus text, with the GIL released (it
    /// reads the store's counts).
    fn metrics(&self, py: Python<'_>) -> String {
        let server = &self.inner;
        py.detach(|| server.metrics_text())
    }

    /// Drops expired and revoked tokens now, in bounded batches; returns how many went.
    fn purge_expired(&self, py: Python<'_>) -> PyResult<usize> {
        let server = &self.inner;
        let result = py.detach(|| server.purge_expired());
        result.map_err(|e| self.store_error(py, e))
    }

    /// Where answering this endpoint request may run, as the core
    /// classifies it: ``"inline"`` (microseconds: answer in place),
    /// ``"cpu"`` (argon2) or ``"waits"`` (a database, a host callback):
    /// event-loop glue sends all but ``"inline"`` to a worker thread.
    fn request_blocking(
        &self,
        method: String,
        headers: Option<&Bound<'_, PyAny>>,
        body: Body,
    ) -> PyResult<&'static str> {
        let found = find_headers(headers)?;
        let req = core::HttpRequest {
            method: &method,
            content_type: found.content_type.as_deref(),
            authorization: found.authorization.as_ref().map(|a| a.as_str()),
            body: &body.0,
            dpop: found.dpop.as_deref(),
        };
        Ok(self.inner.blocking(core::Call::Request(&req)).name())
    }

    /// Where a typed call may run (as ``request_blocking``): ``call`` is
    /// ``"password_grant"``, ``"as_client"`` (refresh, introspect, revoke:
    /// ``client_id`` names the client), ``"store"`` (every other call: the
    /// checks, metrics, changes to owners) or ``"hash_password"``.
    #[pyo3(signature = (call, client_id=None))]
    fn call_blocking(&self, call: &str, client_id: Option<&str>) -> PyResult<&'static str> {
        let call = match (call, client_id) {
            ("password_grant", None) => core::Call::PasswordGrant,
            ("as_client", Some(id)) => core::Call::AsClient(id),
            ("store", None) => core::Call::Store,
            ("hash_password", None) => core::Call::HashPassword,
            ("as_client", None) => {
                return Err(PyValueError::new_err("\"as_client\" needs the client_id"))
            }
            (_, Some(_)) if matches!(call, "password_grant" | "store" | "hash_password") => {
                return Err(PyValueError::new_err(format!(
                    "{call:?} takes no client_id"
                )))
            }
            _ => {
                return Err(PyValueError::new_err(format!(
                    "{call:?} is not a call: password_grant, as_client, store or hash_password"
                )))
            }
        };
        Ok(self.inner.blocking(call).name())
    }

    /// The configuration as it is now (re-hashed passwords included), as JSON.
    fn config_json(&self) -> String {
        self.inner.config().to_json()
    }

    fn __repr__(&self) -> String {
        format!("<ropc.Server realm={:?}>", self.inner.realm())
    }
}

/// A resource server's guard, deciding from introspection responses.
#[pyclass(frozen, module = "ropc._ropc")]
struct ResourceGuard {
    inner: core::ResourceGuard,
}

#[pymethods]
impl ResourceGuard {
    /// `ResourceGuard(config)` with a dict or JSON string, or keyword arguments.
    #[new]
    #[pyo3(signature = (config=None, **kwargs))]
    fn new(
        py: Python<'_>,
        config: Option<&Bound<'_, PyAny>>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let text = config_json(py, config, kwargs)?;
        let guard = core::Config::from_json(&text.json)
            .and_then(|c| core::ResourceGuard::new(&c))
            .map_err(|e| text.error(py, e))?;
        Ok(ResourceGuard { inner: guard })
    }

    /// Swaps in the scopes and rules of a new configuration (dict, JSON
    /// string or keyword fields); raises `ConfigError`, changing nothing,
    /// when it is invalid.
    #[pyo3(signature = (config=None, **kwargs))]
    fn reload(
        &self,
        py: Python<'_>,
        config: Option<&Bound<'_, PyAny>>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let text = config_json(py, config, kwargs)?;
        self.inner
            .reload_json(&text.json)
            .map_err(|e| text.error(py, e))
    }

    /// Swaps in the scopes and rules in the file at `path` (read strictly
    /// as UTF-8 by the core); raises as `Server.reload_file`.
    fn reload_file(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<()> {
        let config = read_config_file(py, &path)?;
        self.inner
            .reload(&config)
            .map_err(|e| config_error(py, &e.in_file(path.display().to_string())))
    }

    /// The realm of challenges.
    #[getter]
    fn realm(&self) -> String {
        self.inner.realm()
    }

    /// The introspection request for `token`, authenticated as this
    /// resource server's client: (headers, body) to POST.
    fn introspection_request<'py>(
        &self,
        py: Python<'py>,
        token: &str,
        client_id: &str,
        client_secret: &str,
    ) -> (
        Vec<(&'static str, Bound<'py, PyString>)>,
        Bound<'py, pyo3::types::PyBytes>,
    ) {
        // Python gets its own copies; ours are zeroed as `call` drops.
        let call = self.inner.introspection_request(
            token,
            &core::ClientCredentials::new(client_id, client_secret),
        );
        let headers = vec![
            ("Content-Type", PyString::new(py, call.content_type)),
            ("Authorization", PyString::new(py, &call.authorization)),
        ];
        (headers, pyo3::types::PyBytes::new(py, call.body.as_bytes()))
    }

    /// Step one: the bearer token in an Authorization header.
    fn bearer_token<'py>(
        &self,
        py: Python<'py>,
        authorization: Option<&str>,
    ) -> PyResult<Bound<'py, PyString>> {
        self.inner
            .bearer_token(authorization)
            .map(|token| PyString::new(py, token))
            .map_err(|r| oauth_error(py, r.error.as_ref(), &r.response))
    }

    /// Until when (seconds since the epoch) an introspection response given
    /// at `now` may be kept for at most `max_seconds`: active answers only,
    /// never past `exp`; `None`: not at all.
    fn cache_until(&self, introspection: &[u8], now: f64, max_seconds: f64) -> Option<f64> {
        let json = std::str::from_utf8(introspection).ok()?;
        self.inner.cache_until(json, now, max_seconds)
    }

    /// The refusal when the authorization server could not be asked: a
    /// `TemporarilyUnavailable` carrying the core's 503 response (what a
    /// store outage answers at a check), returned, not raised.
    fn unavailable(&self, py: Python<'_>) -> Py<PyAny> {
        let r = self.inner.unavailable();
        oauth_error(py, r.error.as_ref(), &r.response)
            .into_value(py)
            .into_any()
    }

    /// Stage 5 offline for a JWT access token (RFC 9068) with ``keys``
    /// (the authorization server's key set): the signature, ``typ``,
    /// ``iss`` (this configuration's ``issuer``), ``aud`` (its
    /// ``audience``) and ``exp``, then the same rules as an introspection
    /// response. Raises an ``OAuthError`` carrying the RFC 6750 response.
    #[pyo3(signature = (token, keys, resource, scope=None))]
    fn check_jwt(
        &self,
        py: Python<'_>,
        token: &str,
        keys: &KeySet,
        resource: &str,
        scope: Option<&str>,
    ) -> PyResult<Principal> {
        self.inner
            .check_jwt(token, &keys.inner, resource, scope)
            .map(Into::into)
            .map_err(|e| {
                let r = core::Refusal::for_error(e, &self.inner.realm());
                oauth_error(py, r.error.as_ref(), &r.response)
            })
    }

    /// ``check_jwt`` from a request's Authorization header.
    #[pyo3(signature = (authorization, keys, resource, scope=None))]
    fn check_jwt_request(
        &self,
        py: Python<'_>,
        authorization: Option<&str>,
        keys: &KeySet,
        resource: &str,
        scope: Option<&str>,
    ) -> PyResult<Principal> {
        self.inner
            .check_jwt_request(authorization, &keys.inner, resource, scope)
            .map(Into::into)
            .map_err(|r| oauth_error(py, r.error.as_ref(), &r.response))
    }

    /// The access token of an ``Authorization: DPoP <token>`` header (RFC
    /// 9449); ``None`` for any other scheme; ``OAuthError`` for a malformed one.
    fn dpop_token(&self, py: Python<'_>, authorization: Option<&str>) -> PyResult<Option<String>> {
        self.inner
            .dpop_token(authorization)
            .map(|t| t.map(String::from))
            .map_err(|r| oauth_error(py, r.error.as_ref(), &r.response))
    }

    /// Stage 5 from an introspection answer (str) for a request that used
    /// the ``DPoP`` scheme: the proof (the ``DPoP`` header) for ``method``,
    /// ``uri`` (the absolute URI the client reached) and ``token``, used
    /// once here, made with the key the answer's ``cnf.jkt`` names.
    #[pyo3(signature = (introspection, token, dpop, method, uri, resource, scope=None))]
    #[allow(clippy::too_many_arguments)]
    fn check_introspection_with_proof(
        &self,
        py: Python<'_>,
        introspection: &str,
        token: &str,
        dpop: Option<&str>,
        method: &str,
        uri: &str,
        resource: &str,
        scope: Option<&str>,
    ) -> PyResult<Principal> {
        self.inner
            .check_introspection_with_proof(
                introspection,
                token,
                dpop,
                method,
                uri,
                resource,
                scope,
            )
            .map(Into::into)
            .map_err(|r| oauth_error(py, r.error.as_ref(), &r.response))
    }

    /// ``check_introspection_with_proof`` for a JWT checked offline with ``keys``.
    #[pyo3(signature = (token, keys, dpop, method, uri, resource, scope=None))]
    #[allow(clippy::too_many_arguments)]
    fn check_jwt_with_proof(
        &self,
        py: Python<'_>,
        token: &str,
        keys: &KeySet,
        dpop: Option<&str>,
        method: &str,
        uri: &str,
        resource: &str,
        scope: Option<&str>,
    ) -> PyResult<Principal> {
        self.inner
            .check_jwt_with_proof(token, &keys.inner, dpop, method, uri, resource, scope)
            .map(Into::into)
            .map_err(|r| oauth_error(py, r.error.as_ref(), &r.response))
    }

    /// Step two: decides from the introspection response (str, bytes or dict).
    #[pyo3(signature = (introspection, resource, scope=None))]
    fn check_introspection(
        &self,
        py: Python<'_>,
        introspection: &Bound<'_, PyAny>,
        resource: &str,
        scope: Option<&str>,
    ) -> PyResult<Principal> {
        let json: String = if introspection.is_instance_of::<PyDict>() {
            py.import("json")?
                .call_method1("dumps", (introspection,))?
                .extract()?
        } else if let Ok(bytes) = introspection.extract::<Vec<u8>>() {
            String::from_utf8(bytes)
                .map_err(|_| PyValueError::new_err("the introspection response is not UTF-8"))?
        } else {
            introspection.extract().map_err(|_| {
                PyTypeError::new_err("the introspection response must be str, bytes or dict")
            })?
        };
        self.inner
            .check_introspection_response(&json, resource, scope)
            .map(Into::into)
            .map_err(|r| oauth_error(py, r.error.as_ref(), &r.response))
    }
}

/// A key set (RFC 7517): the public keys JWT access tokens are verified
/// with, read strictly from a JWKS document (str or bytes).
#[pyclass(frozen, module = "ropc._ropc")]
struct KeySet {
    inner: std::sync::Arc<core::jws::KeySet>,
}

#[pymethods]
impl KeySet {
    /// ``KeySet(jwks)``; raises ``ValueError`` for a document that is not a
    /// key set of public Ed25519 or P-256 keys.
    #[new]
    fn new(jwks: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text: String = match jwks.extract::<Vec<u8>>() {
            Ok(bytes) if !jwks.is_instance_of::<PyString>() => String::from_utf8(bytes)
                .map_err(|_| PyValueError::new_err("the key set is not UTF-8"))?,
            _ => jwks
                .extract()
                .map_err(|_| PyTypeError::new_err("the key set must be str or bytes"))?,
        };
        core::jws::KeySet::from_json(&text)
            .map(|set| KeySet {
                inner: std::sync::Arc::new(set),
            })
            .map_err(|e| PyValueError::new_err(e.reason()))
    }

    /// The keys' ``kid``, in order.
    #[getter]
    fn kids(&self) -> Vec<String> {
        self.inner
            .keys()
            .iter()
            .map(|k| k.kid().to_string())
            .collect()
    }

    fn __len__(&self) -> usize {
        self.inner.keys().len()
    }

    fn __repr__(&self) -> String {
        format!("<ropc.KeySet kids={:?}>", self.kids())
    }
}

/// A resource server's copy of the authorization server's key set, and
/// when to fetch it (``ropc_core::key_cache``): the HTTP is the caller's
/// (``ropc.JwtChecker`` does it).
#[pyclass(frozen, module = "ropc._ropc")]
struct KeySetCache {
    inner: core::key_cache::KeySetCache,
}

const _: () = assert!(
    core::key_cache::DEFAULT_MAX_AGE_SECONDS == 600.0
        && core::key_cache::DEFAULT_MIN_REFETCH_SECONDS == 30.0
);

#[pymethods]
impl KeySetCache {
    /// ``KeySetCache(max_age_seconds=600, min_refetch_seconds=30)``.
    #[new]
    // Literal defaults, for the signature Python shows; the core's, checked below.
    #[pyo3(signature = (max_age_seconds=600.0, min_refetch_seconds=30.0))]
    fn new(max_age_seconds: f64, min_refetch_seconds: f64) -> PyResult<Self> {
        core::key_cache::KeySetCache::new(max_age_seconds, min_refetch_seconds)
            .map(|inner| KeySetCache { inner })
            .map_err(PyValueError::new_err)
    }

    /// What to do for ``token`` at ``now``: ``("not_jwt", None)``,
    /// ``("use", KeySet)``, ``("fetch", None)`` (fetch, hand the answer to
    /// ``fetched``, plan again with ``may_fetch=False``) or
    /// ``("unavailable", None)``.
    #[pyo3(signature = (token, now, may_fetch=true))]
    fn plan(&self, token: &str, now: f64, may_fetch: bool) -> (&'static str, Option<KeySet>) {
        use core::key_cache::KeyPlan;
        match self.inner.plan(token, now, may_fetch) {
            KeyPlan::NotJwt => ("not_jwt", None),
            KeyPlan::Use(inner) => ("use", Some(KeySet { inner })),
            KeyPlan::Fetch => ("fetch", None),
            KeyPlan::Unavailable => ("unavailable", None),
        }
    }

    /// The keys for ``token`` when no fetch could be wanted (fresh, and
    /// holding its key); ``None``: ``plan`` instead.
    fn ready(&self, token: &str, now: f64) -> Option<KeySet> {
        self.inner.ready(token, now).map(|inner| KeySet { inner })
    }

    /// A fetch's answer; raises ``ValueError`` (why, for the log) when it
    /// is not a key set, which then replaces nothing.
    #[pyo3(signature = (status, body, cache_control, now))]
    fn fetched(
        &self,
        status: u16,
        body: &[u8],
        cache_control: Option<&str>,
        now: f64,
    ) -> PyResult<()> {
        self.inner
            .fetched(status, body, cache_control, now)
            .map_err(PyValueError::new_err)
    }

    /// Key sets read so far.
    #[getter]
    fn fetches(&self) -> u64 {
        self.inner.fetches()
    }
}

/// Hashes a password with argon2id (OWASP's parameters by default) into a
/// PHC string, with the GIL released.
#[pyfunction]
#[pyo3(signature = (password, m_cost=None, t_cost=None, p_cost=None))]
fn hash_password(
    py: Python<'_>,
    password: String,
    m_cost: Option<u32>,
    t_cost: Option<u32>,
    p_cost: Option<u32>,
) -> PyResult<String> {
    let params = core::HashParams::default().with(m_cost, t_cost, p_cost);
    let password = Wiped::new(password);
    py.detach(|| core::hash_password(&password, params))
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The resource name of a request by ropc's one rule: `method` and the raw
/// request target (`/invoices/42?x=1`, before any decoding). Raises
/// `InvalidRequest`, carrying the RFC 6750 response for `realm`, for a
/// target a backend could read two ways.
#[pyfunction]
#[pyo3(signature = (method, target, realm="ropc"))]
fn resource_name(py: Python<'_>, method: &str, target: &str, realm: &str) -> PyResult<String> {
    core::resource_name(method, target).map_err(|e| {
        let refusal = core::Refusal::for_error(e, realm);
        oauth_error(py, refusal.error.as_ref(), &refusal.response)
    })
}

/// A configuration file, parsed. A missing or unreadable file is Python's
/// own error (FileNotFoundError, PermissionError: an OSError with errno,
/// strerror and filename); a malformed one is ConfigError naming the file.
fn read_config_file(py: Python<'_>, path: &std::path::Path) -> PyResult<core::Config> {
    core::Config::from_file(path).map_err(|e| {
        let file = path.display().to_string();
        match e.io_kind() {
            Some(std::io::ErrorKind::NotFound) => pyo3::exceptions::PyFileNotFoundError::new_err((
                libc_errno::ENOENT,
                "No such file or directory",
                file,
            )),
            Some(std::io::ErrorKind::PermissionDenied) => {
                pyo3::exceptions::PyPermissionError::new_err((
                    libc_errno::EACCES,
                    "Permission denied",
                    file,
                ))
            }
            _ => config_error(py, &e),
        }
    })
}

/// The errno values Python's own OSErrors carry for these two cases.
mod libc_errno {
    pub(crate) const ENOENT: i32 = 2;
    pub(crate) const EACCES: i32 = 13;
}

/// Validates a configuration file as a server would, without opening its
/// store; `host_accounts`: the server verifies owners with the host's
/// accounts. Returns a one-line summary; raises ConfigError (or
/// FileNotFoundError) otherwise.
#[pyfunction]
#[pyo3(signature = (path, *, host_accounts=false))]
fn check_config_file(
    py: Python<'_>,
    path: std::path::PathBuf,
    host_accounts: bool,
) -> PyResult<String> {
    let config = read_config_file(py, &path)?;
    config
        .check(host_accounts)
        .map(|summary| summary.to_string())
        .map_err(|e| config_error(py, &e.in_file(path.display().to_string())))
}

/// Runs one of the operators' commands (`python -m ropc ...`, the core's
/// `ropc_core::cli`) on the process's standard streams, with the GIL
/// released; returns the exit status.
#[pyfunction]
fn _cli(py: Python<'_>, args: Vec<String>) -> i32 {
    py.detach(|| core::cli::run(args))
}

/// A new client secret and the `sha256:` hash for the configuration.
#[pyfunction]
fn generate_client_secret() -> (String, String) {
    core::generate_client_secret()
}

/// The `sha256:` hash of a generated client secret.
#[pyfunction]
fn hash_client_secret(secret: &str) -> String {
    core::hash_client_secret(secret)
}

#[pymodule]
fn _ropc(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Server>()?;
    m.add_class::<ResourceGuard>()?;
    m.add_class::<KeySet>()?;
    m.add_class::<KeySetCache>()?;
    m.add_class::<Response>()?;
    m.add_class::<TokenResponse>()?;
    m.add_class::<Principal>()?;
    m.add_class::<accounts::Owner>()?;
    m.add_function(wrap_pyfunction!(accounts::_check_accounts, m)?)?;
    m.add_function(wrap_pyfunction!(hash_password, m)?)?;
    m.add_function(wrap_pyfunction!(check_config_file, m)?)?;
    m.add_function(wrap_pyfunction!(_cli, m)?)?;
    m.add_function(wrap_pyfunction!(generate_client_secret, m)?)?;
    m.add_function(wrap_pyfunction!(hash_client_secret, m)?)?;
    m.add_function(wrap_pyfunction!(resource_name, m)?)?;
    #[cfg(feature = "test-hooks")]
    {
        m.add_function(wrap_pyfunction!(_set_test_clock, m)?)?;
        m.add_function(wrap_pyfunction!(_advance_test_clock, m)?)?;
    }
    m.add("__version__", core::VERSION)?;
    m.add("MAX_BODY_BYTES", core::MAX_BODY_BYTES)?;
    m.add("METADATA_PATH", core::METADATA_PATH)?;
    Ok(())
}

/// For tests only (the `test-hooks` feature): servers made from now on use
/// a manual clock at ``now`` (seconds since the epoch); ``None``: the
/// system clock again.
#[cfg(feature = "test-hooks")]
#[pyfunction]
#[pyo3(signature = (now))]
fn _set_test_clock(now: Option<u64>) {
    core::test_clock::set(now);
}

/// For tests only (the `test-hooks` feature): moves the test clock on;
/// false when it is not set.
#[cfg(feature = "test-hooks")]
#[pyfunction]
fn _advance_test_clock(seconds: u64) -> bool {
    core::test_clock::advance(seconds)
}
