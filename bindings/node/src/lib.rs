//! The native half of the `ropc` npm package. Only conversions live here;
//! `index.js` turns the outcomes into thrown errors and JS-shaped values.
//! Every server call asks the core where it may run
//! (`core::Server::blocking`): answered on the calling thread when inline
//! (microseconds), else a Promise, from libuv's pool for CPU work (argon2)
//! and from ropc's waiting threads for what may wait (a database, a
//! JavaScript callback). One native method per call, no `...Sync` twin.
//! No panic crosses into Node: sync exports use `catch_unwind`, and every
//! task's `compute` runs inside `catch_unwind` too.

#![deny(clippy::unwrap_used)]

mod secret;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use ropc_core as core;
use secret::{bytes, opt, Secret};
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

pub mod callbacks;

/// A token response.
#[napi(object)]
pub struct NativeTokens {
    pub access_token: Secret,
    pub token_type: String,
    pub expires_in: f64,
    pub refresh_token: Option<Secret>,
    pub scope: String,
}

/// What a call returns to JS: one value, of the kind the call makes.
pub enum Value {
    Tokens(NativeTokens),
    /// A principal packed by `packed_principal`.
    Principal(String),
    /// A packed HTTP response (see `response`), introspection JSON, a
    /// bearer token, a PHC hash, a count.
    Text(Secret),
    Unit,
}

impl TypeName for Value {
    fn type_name() -> &'static str {
        "Value"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ToNapiValue for Value {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        value: Self,
    ) -> Result<napi::sys::napi_value> {
        // SAFETY: the caller's contract, passed on unchanged.
        unsafe {
            match value {
                Value::Tokens(t) => NativeTokens::to_napi_value(env, t),
                Value::Principal(p) => String::to_napi_value(env, p),
                Value::Text(t) => Secret::to_napi_value(env, t),
                Value::Unit => <()>::to_napi_value(env, ()),
            }
        }
    }
}

/// Why a call failed. It is thrown to JS as an error whose message carries
/// it (see `THROWN`), which the JS layer turns into its error class
/// (`OAuthError`, `AccountError`, `ConfigError`): one convention for every
/// call, sync or async.
pub enum Failure {
    Refused(Refused),
    Argument(String),
    Config(core::ConfigError),
}

/// Marks an error thrown for a `Failure`: its message is this, then the
/// failure as JSON, which the JS layer (`errors.js`) parses into its class.
const THROWN: &str = "\u{1}ropc:";

/// The JS error for `failure`: the failure as JSON after `THROWN`.
fn thrown(failure: Failure) -> Error {
    let json = match failure {
        Failure::Refused(r) => {
            // Packed as every response crosses (see `response`).
            let response = response(r.response);
            serde_json::json!({
                "ropc": "oauth",
                "code": r.error.as_ref().map(|e| e.code().as_str()),
                "description": r.error.as_ref().map_or(core::NO_CREDENTIALS, |e| e.description()),
                "scope": r.error.as_ref().and_then(|e| e.scope()),
                "response": response.as_str(),
            })
        }
        Failure::Argument(message) => serde_json::json!({"ropc": "argument", "message": message}),
        Failure::Config(e) => {
            let f = config_failure(&e);
            serde_json::json!({"ropc": "config", "path": f.path, "message": f.message, "text": f.text,
                               "textWithoutPosition": f.text_without_position, "line": f.line,
                               "column": f.column, "file": f.file})
        }
    };
    Error::new(Status::GenericFailure, format!("{THROWN}{json}"))
}

/// A request to POST to the introspection endpoint.
#[napi(object)]
pub struct NativeIntrospectionRequest {
    pub content_type: String,
    pub authorization: Secret,
    pub body: Secret,
}

/// A configuration that cannot be loaded.
#[napi(object)]
pub struct ConfigFailure {
    pub path: String,
    pub message: String,
    pub text: String,
    /// `text` without the line and column (for a configuration the JS layer
    /// wrote from an object, whose JSON the user never saw).
    pub text_without_position: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub file: Option<String>,
}

pub struct Refused {
    error: Option<core::OAuthError>,
    response: core::HttpResponse,
}

/// What a job computes, off the JS thread (not visible to JS).
pub enum Done {
    Response(core::HttpResponse),
    Tokens(std::result::Result<core::TokenResponse, Refused>),
    Text(std::result::Result<String, Refused>),
    Unit(std::result::Result<(), Refused>),
    Principal(std::result::Result<core::Principal, Refused>),
    Argument(std::result::Result<String, String>),
    /// An account change: done (with a result as text), a bad argument, or a store failure.
    Account(std::result::Result<String, AccountFailure>),
    /// A reload: done, or what is wrong with the configuration.
    Config(std::result::Result<(), core::ConfigError>),
}

/// Why an account change was not made.
pub enum AccountFailure {
    Argument(String),
    Refused(Refused),
}

/// An HTTP response for JS as one string, unpacked by `toResponse` in
/// errors.js: the status, the number of headers, each header's name and
/// value, every one of these followed by a NUL, then the body. One string
/// crosses N-API where an object of headers and a Buffer cost several
/// times the endpoint's own work. No header holds a NUL (the core writes
/// them, in printable ASCII), and the body is all that follows. The body may
/// hold tokens: this copy is zeroed once V8 has its own.
fn response(r: core::HttpResponse) -> Secret {
    let head: usize = r.headers.iter().map(|(n, v)| n.len() + v.len() + 2).sum();
    let mut s = String::with_capacity(8 + head + r.body.len());
    s.push_str(&r.status.to_string());
    s.push('\0');
    s.push_str(&r.headers.len().to_string());
    s.push('\0');
    for (name, value) in &r.headers {
        s.push_str(name);
        s.push('\0');
        s.push_str(value);
        s.push('\0');
    }
    s.push_str(&r.body);
    Secret(s)
}

/// A job's result as the value to return, or the failure to throw.
fn split(done: Done) -> std::result::Result<Value, Failure> {
    Ok(match done {
        Done::Response(r) => Value::Text(response(r)),
        Done::Tokens(Ok(mut t)) => Value::Tokens(NativeTokens {
            access_token: Secret(std::mem::take(&mut t.access_token)),
            token_type: t.token_type.to_string(),
            expires_in: t.expires_in as f64,
            refresh_token: t.refresh_token.take().map(Secret),
            scope: std::mem::take(&mut t.scope),
        }),
        Done::Principal(Ok(p)) => Value::Principal(packed_principal(&p)),
        Done::Text(Ok(s)) | Done::Argument(Ok(s)) | Done::Account(Ok(s)) => Value::Text(Secret(s)),
        Done::Unit(Ok(())) | Done::Config(Ok(())) => Value::Unit,
        Done::Argument(Err(m)) | Done::Account(Err(AccountFailure::Argument(m))) => {
            return Err(Failure::Argument(m))
        }
        Done::Account(Err(AccountFailure::Refused(r)))
        | Done::Tokens(Err(r))
        | Done::Text(Err(r))
        | Done::Unit(Err(r))
        | Done::Principal(Err(r)) => return Err(Failure::Refused(r)),
        Done::Config(Err(e)) => return Err(Failure::Config(e)),
    })
}

type JobFn = Box<dyn FnOnce() -> Done + Send>;

/// Work for the libuv pool.
pub struct Job(Option<JobFn>);

fn run(f: JobFn) -> Result<Done> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|_| Error::from_reason("ropc panicked (a bug: please report it)"))
}

impl Task for Job {
    type Output = Done;
    type JsValue = Value;

    fn compute(&mut self) -> Result<Done> {
        let f = self
            .0
            .take()
            .ok_or_else(|| Error::from_reason("the task already ran"))?;
        run(f)
    }

    fn resolve(&mut self, _env: Env, done: Done) -> Result<Value> {
        split(done).map_err(thrown)
    }
}

fn job(f: impl FnOnce() -> Done + Send + 'static) -> AsyncTask<Job> {
    AsyncTask::new(Job(Some(Box::new(f))))
}

/// Where a call that does not run inline goes: libuv's pool for CPU work,
/// or, for calls that may wait (a database, JavaScript callbacks: their
/// Promises and the pacing of their answers), ropc's own waiting threads,
/// so that libuv's four threads never wait and a hung directory cannot
/// starve every other login. Either way the caller gets a Promise.
pub enum Scheduled {
    Libuv(AsyncTask<Job>),
    Waiting(JobFn),
}

impl ToNapiValue for Scheduled {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        match val {
            Scheduled::Libuv(task) => AsyncTask::to_napi_value(env, task),
            Scheduled::Waiting(f) => {
                type Settle = Box<dyn FnOnce(Env) -> Result<Value> + Send>;
                let env = Env::from_raw(env);
                let (deferred, promise) = env.create_deferred::<Value, Settle>()?;
                core::accounts::WAITING.spawn(Box::new(move || match run(f) {
                    Ok(done) => deferred.resolve(Box::new(move |_| split(done).map_err(thrown))),
                    Err(e) => deferred.reject(e),
                }));
                Ok(promise.raw())
            }
        }
    }
}

fn now(f: impl FnOnce() -> Done) -> Result<Value> {
    let done = catch_unwind(AssertUnwindSafe(f))
        .map_err(|_| Error::from_reason("ropc panicked (a bug: please report it)"))?;
    split(done).map_err(thrown)
}

/// A call's outcome: the value now, when the core classified the call
/// inline, or a Promise of it, scheduled where its class belongs.
pub enum Answer {
    Now(Value),
    Later(Scheduled),
}

impl ToNapiValue for Answer {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        // SAFETY: the caller's contract, passed on unchanged.
        unsafe {
            match val {
                Answer::Now(v) => Value::to_napi_value(env, v),
                Answer::Later(s) => Scheduled::to_napi_value(env, s),
            }
        }
    }
}

/// Runs `f` where the core's classification `class` says: here, on
/// libuv's pool (CPU) or on ropc's waiting threads (waits).
fn place(class: core::Blocking, f: impl FnOnce() -> Done + Send + 'static) -> Result<Answer> {
    Ok(match class {
        core::Blocking::Inline => Answer::Now(now(f)?),
        core::Blocking::Cpu => Answer::Later(Scheduled::Libuv(job(f))),
        core::Blocking::Waits => Answer::Later(Scheduled::Waiting(Box::new(f))),
    })
}

fn credentials(client_id: String, client_secret: Option<Secret>) -> core::ClientCredentials {
    core::ClientCredentials::presented(&client_id, opt(&client_secret))
}

fn refused(server: &core::Server) -> impl Fn(core::OAuthError) -> Refused + '_ {
    move |e| Refused {
        response: server.error_response(&e),
        error: Some(e),
    }
}

fn from_refusal(r: core::Refusal) -> Refused {
    Refused {
        error: r.error,
        response: r.response,
    }
}

/// The same configuration failure, in the configuration file `file`
/// (`Server.fromFile`): the core words it.
#[napi(catch_unwind)]
pub fn config_failure_in_file(failure: ConfigFailure, file: String) -> ConfigFailure {
    let mut e = core::ConfigError::new(failure.path, failure.message).in_file(file);
    if let (Some(line), Some(column)) = (failure.line, failure.column) {
        e = e.at(line as usize, column as usize);
    }
    config_failure(&e)
}

fn config_failure(e: &core::ConfigError) -> ConfigFailure {
    let (line, column) = e.position().unzip();
    let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    ConfigFailure {
        path: e.path().to_string(),
        message: e.message().to_string(),
        text: e.to_string(),
        text_without_position: e.clone().without_position().to_string(),
        line: line.map(small),
        column: column.map(small),
        file: e.file().map(String::from),
    }
}

/// The authorization server.
#[napi]
pub struct NativeServer {
    inner: Arc<core::Server>,
}

/// The request's remote address and id, for its audit events.
type Context = (Opt, Opt);

#[allow(clippy::too_many_arguments)]
fn endpoint_job(
    server: Arc<core::Server>,
    method: String,
    content_type: Option<String>,
    authorization: Option<Secret>,
    body: ropc_core::secret::Wiped<Vec<u8>>,
    dpop: Option<String>,
    context: Context,
    which: core::Endpoint,
) -> impl FnOnce() -> Done + Send + 'static {
    move || {
        Done::Response(core::events::with_request_context(
            context.0.as_deref(),
            context.1.as_deref(),
            || {
                server.answer(
                    which,
                    &core::HttpRequest {
                        method: &method,
                        content_type: content_type.as_deref(),
                        authorization: opt(&authorization),
                        body: &body,
                        dpop: dpop.as_deref(),
                    },
                )
            },
        ))
    }
}

/// Defines a server call from its job builder: `$call` names it for the
/// core's classification (`place`).
macro_rules! op {
    ($name:ident, $builder:ident, $call:expr, ($($arg:ident: $ty:ty),*)) => {
        #[napi]
        impl NativeServer {
            #[napi(catch_unwind)]
            pub fn $name(&self, $($arg: $ty),*) -> Result<Answer> {
                let class = self.inner.blocking($call);
                place(class, $builder(Arc::clone(&self.inner), $($arg),*))
            }
        }
    };
}

type Server = Arc<core::Server>;
type Opt = Option<String>;
type OptSecret = Option<Secret>;

fn password_job(
    s: Server,
    id: String,
    secret: OptSecret,
    username: String,
    password: Secret,
    scope: Opt,
) -> impl FnOnce() -> Done + Send + 'static {
    move || {
        Done::Tokens(
            s.password_grant(
                &credentials(id, secret),
                &username,
                password.as_str(),
                scope.as_deref(),
            )
            .map_err(refused(&s)),
        )
    }
}
fn refresh_job(
    s: Server,
    id: String,
    secret: OptSecret,
    token: Secret,
    scope: Opt,
) -> impl FnOnce() -> Done + Send + 'static {
    move || {
        Done::Tokens(
            s.refresh_grant(&credentials(id, secret), token.as_str(), scope.as_deref())
                .map_err(refused(&s)),
        )
    }
}
fn introspect_job(
    s: Server,
    id: String,
    secret: OptSecret,
    token: Secret,
    hint: Opt,
) -> impl FnOnce() -> Done + Send + 'static {
    move || {
        Done::Text(
            s.introspect(&credentials(id, secret), token.as_str(), hint.as_deref())
                .map(|i| i.to_json())
                .map_err(refused(&s)),
        )
    }
}
fn revoke_job(
    s: Server,
    id: String,
    secret: OptSecret,
    token: Secret,
    hint: Opt,
) -> impl FnOnce() -> Done + Send + 'static {
    move || {
        Done::Unit(
            s.revoke(&credentials(id, secret), token.as_str(), hint.as_deref())
                .map_err(refused(&s)),
        )
    }
}
fn store_refused(s: &core::Server, e: core::StoreError) -> Refused {
    refused(s)(core::OAuthError::from(e))
}
fn account(s: &core::Server, r: std::result::Result<(), core::AccountError>) -> Done {
    Done::Account(r.map(|_| String::new()).map_err(|e| match e {
        core::AccountError::Store(e) => AccountFailure::Refused(store_refused(s, e)),
        other => AccountFailure::Argument(other.to_string()),
    }))
}
fn set_password_job(
    s: Server,
    username: String,
    hash: String,
) -> impl FnOnce() -> Done + Send + 'static {
    move || account(&s, s.set_user_password_hash(&username, &hash))
}
fn set_enabled_job(
    s: Server,
    username: String,
    enabled: bool,
) -> impl FnOnce() -> Done + Send + 'static {
    move || account(&s, s.set_user_enabled(&username, enabled))
}
fn revoke_user_job(s: Server, username: String) -> impl FnOnce() -> Done + Send + 'static {
    move || {
        Done::Text(
            s.revoke_user_tokens(&username)
                .map(|b| b.to_string())
                .map_err(|e| store_refused(&s, e)),
        )
    }
}
fn purge_job(s: Server) -> impl FnOnce() -> Done + Send + 'static {
    move || {
        Done::Text(
            s.purge_expired()
                .map(|n| n.to_string())
                .map_err(|e| store_refused(&s, e)),
        )
    }
}
fn metrics_job(s: Server) -> impl FnOnce() -> Done + Send + 'static {
    move || Done::Text(Ok(s.metrics_text()))
}
fn check_job(
    s: Server,
    token: Secret,
    resource: String,
    scope: Opt,
) -> impl FnOnce() -> Done + Send + 'static {
    move || {
        Done::Principal(
            s.check(token.as_str(), &resource, scope.as_deref())
                .map_err(|e| from_refusal(core::Refusal::for_error(e, &s.realm()))),
        )
    }
}
fn check_request_job(
    s: Server,
    authorization: OptSecret,
    resource: String,
    scope: Opt,
) -> impl FnOnce() -> Done + Send + 'static {
    move || {
        Done::Principal(
            s.check_request(opt(&authorization), &resource, scope.as_deref())
                .map_err(from_refusal),
        )
    }
}
fn check_with_proof_job(
    s: Server,
    authorization: OptSecret,
    dpop: Opt,
    method: String,
    uri: String,
    resource: String,
    scope: Opt,
) -> impl FnOnce() -> Done + Send + 'static {
    move || {
        Done::Principal(
            s.check_with_proof(
                opt(&authorization),
                dpop.as_deref(),
                &method,
                &uri,
                &resource,
                scope.as_deref(),
            )
            .map_err(from_refusal),
        )
    }
}
fn server_hash_job(s: Server, password: Secret) -> impl FnOnce() -> Done + Send + 'static {
    move || {
        Done::Argument(
            s.hash_password(password.as_str())
                .map_err(|e| e.to_string()),
        )
    }
}

impl NativeServer {
    /// An endpoint's answer: here when the core classifies the request
    /// inline (one reading of it, the body borrowed), else a Promise of it
    /// from where its class belongs.
    #[allow(clippy::too_many_arguments)]
    fn endpoint(
        &self,
        which: core::Endpoint,
        method: String,
        content_type: Opt,
        authorization: OptSecret,
        body: Buffer,
        dpop: Opt,
        remote_addr: Opt,
        request_id: Opt,
    ) -> Result<Answer> {
        let req = core::HttpRequest {
            method: &method,
            content_type: content_type.as_deref(),
            authorization: opt(&authorization),
            body: &body,
            dpop: dpop.as_deref(),
        };
        let inline = core::events::with_request_context(
            remote_addr.as_deref(),
            request_id.as_deref(),
            || self.inner.answer_inline(which, &req),
        );
        match inline {
            Ok(resp) => Ok(Answer::Now(Value::Text(response(resp)))),
            Err(class) => {
                let body = bytes(&body);
                let context = (remote_addr, request_id);
                let s = Arc::clone(&self.inner);
                place(
                    class,
                    endpoint_job(
                        s,
                        method,
                        content_type,
                        authorization,
                        body,
                        dpop,
                        context,
                        which,
                    ),
                )
            }
        }
    }
}

/// A bodiless request with `method`, for the GET endpoints.
fn get_request(method: &str) -> core::HttpRequest<'_> {
    core::HttpRequest {
        method,
        content_type: None,
        authorization: None,
        body: b"",
        dpop: None,
    }
}

/// The endpoint named (`"token"`, `"introspection"` or `"revocation"`):
/// its packed response (see `response`).
#[napi]
impl NativeServer {
    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn answer(
        &self,
        endpoint: String,
        method: String,
        content_type: Opt,
        authorization: OptSecret,
        body: Buffer,
        dpop: Opt,
        remote_addr: Opt,
        request_id: Opt,
    ) -> Result<Answer> {
        let which = core::Endpoint::from_name(&endpoint).ok_or_else(|| {
            Error::new(
                Status::InvalidArg,
                format!("{endpoint:?} is not an endpoint: token, introspection or revocation"),
            )
        })?;
        self.endpoint(
            which,
            method,
            content_type,
            authorization,
            body,
            dpop,
            remote_addr,
            request_id,
        )
    }
}

use core::Call;
op!(password_grant, password_job, Call::PasswordGrant, (client_id: String, client_secret: OptSecret, username: String, password: Secret, scope: Opt));
op!(refresh_grant, refresh_job, Call::AsClient(&client_id), (client_id: String, client_secret: OptSecret, refresh_token: Secret, scope: Opt));
op!(introspect, introspect_job, Call::AsClient(&client_id), (client_id: String, client_secret: OptSecret, token: Secret, token_type_hint: Opt));
op!(revoke, revoke_job, Call::AsClient(&client_id), (client_id: String, client_secret: OptSecret, token: Secret, token_type_hint: Opt));
op!(hash_password, server_hash_job, Call::HashPassword, (password: Secret));
op!(set_user_password_hash, set_password_job, Call::Store, (username: String, password_hash: String));
op!(set_user_enabled, set_enabled_job, Call::Store, (username: String, enabled: bool));
op!(revoke_user_tokens, revoke_user_job, Call::Store, (username: String));
op!(purge_expired, purge_job, Call::Store, ());
op!(metrics, metrics_job, Call::Store, ());
op!(check, check_job, Call::Store, (access_token: Secret, resource: String, scope: Opt));
op!(check_request, check_request_job, Call::Store, (authorization: OptSecret, resource: String, scope: Opt));
op!(check_with_proof, check_with_proof_job, Call::Store, (authorization: OptSecret, dpop: Opt, method: String, uri: String, resource: String, scope: Opt));

#[napi]
impl NativeServer {
    /// The realm of challenges.
    #[napi(getter)]
    pub fn realm(&self) -> String {
        self.inner.realm().to_string()
    }

    /// `GET /jwks.json`: the key set (packed response); it reads the store.
    #[napi(catch_unwind)]
    pub fn key_set_endpoint(&self, method: String) -> Result<Answer> {
        let s = Arc::clone(&self.inner);
        place(self.inner.blocking(Call::Store), move || {
            Done::Response(s.key_set_endpoint(&get_request(&method)))
        })
    }

    /// Forward-auth for the request a gateway holds, from the gateway's
    /// headers flattened as `[name, value, ...]` (those `forwardedHeaders`
    /// names); packed response. It reads the store.
    #[napi(catch_unwind)]
    pub fn forward_auth(
        &self,
        method: String,
        target: String,
        pairs: Vec<Secret>,
    ) -> Result<Answer> {
        let s = Arc::clone(&self.inner);
        place(self.inner.blocking(Call::Store), move || {
            let forwarded = core::Forwarded::from_request(&method, &target, |name| {
                pairs
                    .chunks_exact(2)
                    .find(|p| p[0].as_str().eq_ignore_ascii_case(name))
                    .map(|p| p[1].as_str())
            });
            Done::Response(s.forward_auth(&forwarded))
        })
    }

    /// `GET /.well-known/oauth-authorization-server` (packed response).
    #[napi(catch_unwind)]
    pub fn metadata_endpoint(&self, method: String) -> Secret {
        response(self.inner.metadata_endpoint(&get_request(&method)))
    }

    /// Where an endpoint request may run, as the core classifies it:
    /// `"inline"`, `"cpu"` or `"waits"`.
    #[napi(catch_unwind)]
    pub fn request_blocking(
        &self,
        method: String,
        content_type: Opt,
        authorization: OptSecret,
        body: Buffer,
    ) -> &'static str {
        let req = core::HttpRequest {
            method: &method,
            content_type: content_type.as_deref(),
            authorization: opt(&authorization),
            body: &body,
            dpop: None,
        };
        self.inner.blocking(Call::Request(&req)).name()
    }

    /// Where a typed call may run: `call` is `"password_grant"`,
    /// `"as_client"` (with `client_id`), `"store"` or `"hash_password"`.
    #[napi(catch_unwind)]
    pub fn call_blocking(&self, call: String, client_id: Opt) -> Result<&'static str> {
        let call = match (call.as_str(), client_id.as_deref()) {
            ("password_grant", None) => Call::PasswordGrant,
            ("as_client", Some(id)) => Call::AsClient(id),
            ("store", None) => Call::Store,
            ("hash_password", None) => Call::HashPassword,
            _ => {
                return Err(Error::new(
                    Status::InvalidArg,
                    format!(
                        "{call:?} is not a call (password_grant, store, hash_password; \
                         as_client with the client id)"
                    ),
                ))
            }
        };
        Ok(self.inner.blocking(call).name())
    }

    /// Swaps in a new configuration on the libuv pool (a reload may end
    /// users' tokens in the store); callbacks stay.
    #[napi]
    pub fn reload(&self, json: String) -> AsyncTask<Job> {
        let s = Arc::clone(&self.inner);
        job(move || Done::Config(s.reload_json(&json)))
    }

    /// The same from a file, read by the core (strict UTF-8).
    #[napi]
    pub fn reload_file(&self, path: String) -> AsyncTask<Job> {
        let s = Arc::clone(&self.inner);
        job(move || Done::Config(s.reload_file(&path)))
    }

    /// Drops this process's cached state of an owner (host accounts).
    #[napi(catch_unwind)]
    pub fn forget_owner(&self, username: String) {
        self.inner.forget_owner(&username);
    }

    /// What the account layer did.
    #[napi(catch_unwind)]
    pub fn accounts_stats(&self) -> NativeAccountsStats {
        let s = self.inner.accounts_stats();
        NativeAccountsStats {
            verify_calls: s.verify_calls as f64,
            lookup_calls: s.lookup_calls as f64,
            paced: s.paced as f64,
            failures: s.failures as f64,
            pace_target_us: s.pace_target_us as f64,
        }
    }

    /// The token-endpoint response for an error (RFC 6749 §5.2), for a
    /// caller answering by itself: `code` is an RFC code (`server_error`, ...).
    #[napi(catch_unwind)]
    pub fn error_response(&self, code: String, description: String) -> Result<Secret> {
        let code = core::ErrorCode::parse(&code).ok_or_else(|| {
            Error::new(
                Status::InvalidArg,
                format!("{code:?} is not an OAuth error code"),
            )
        })?;
        let err = core::OAuthError::new(code, description);
        Ok(response(self.inner.error_response(&err)))
    }

    /// The configuration as it is now, as JSON.
    #[napi(catch_unwind)]
    pub fn config_json(&self) -> String {
        self.inner.config().to_json()
    }
}

/// A principal for JS as one string, unpacked by `principalOf` in args.js:
/// the username, the client id, the scopes joined by spaces, the groups
/// joined by U+0001, each followed by a NUL, then `expires_at` in decimal.
/// One string crosses N-API where an object with two arrays costs more
/// than the check itself. No name holds a NUL or U+0001 (the configuration
/// refuses control characters in names; scope tokens hold no space).
fn packed_principal(p: &core::Principal) -> String {
    let lists: usize = p.scopes.iter().chain(&p.groups).map(|s| s.len() + 1).sum();
    let mut s = String::with_capacity(p.username.len() + p.client_id.len() + lists + 24);
    s.push_str(&p.username);
    s.push('\0');
    s.push_str(&p.client_id);
    s.push('\0');
    join_into(&mut s, &p.scopes, ' ');
    s.push('\0');
    join_into(&mut s, &p.groups, '\u{1}');
    s.push('\0');
    let _ = write!(s, "{}", p.expires_at); // writing to a String cannot fail
    s
}

fn join_into(s: &mut String, items: &[String], separator: char) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            s.push(separator);
        }
        s.push_str(item);
    }
}

/// Counts from the account layer.
#[napi(object)]
pub struct NativeAccountsStats {
    pub verify_calls: f64,
    pub lookup_calls: f64,
    pub paced: f64,
    pub failures: f64,
    pub pace_target_us: f64,
}

/// The resource name of a request by ropc's one rule, or the RFC 6750
/// refusal (for `realm`) of a target a backend could read two ways.
#[napi(catch_unwind)]
pub fn resource_name(method: String, target: String, realm: String) -> Result<String> {
    core::resource_name(&method, &target).map_err(|e| {
        let refusal = from_refusal(core::Refusal::for_error(e, &realm));
        thrown(Failure::Refused(refusal))
    })
}

/// A server from a JSON configuration, or what is wrong with it.
#[napi(catch_unwind)]
pub fn create_server(
    json: String,
    events: Option<Function<'_, String, Unknown<'static>>>,
    warnings_only: bool,
) -> Result<NativeServer> {
    let config = match core::Config::from_json(&json) {
        Ok(c) => c,
        Err(e) => return Err(thrown(Failure::Config(e))),
    };
    let builder = with_events(core::Server::builder(config), events, warnings_only)?;
    match builder.build() {
        Ok(s) => Ok(NativeServer { inner: Arc::new(s) }),
        Err(e) => Err(thrown(Failure::Config(e))),
    }
}

/// Audit events to JavaScript: each is queued to the JS thread as JSON
/// (`server.js` parses it and calls `options.events`); no request waits.
struct JsEvents {
    tsfn: ThreadsafeFunction<String, Unknown<'static>, String, Status, false, true>,
    /// No `options.events`: only the warnings (reuse, locks, store errors),
    /// which `server.js` logs, as Python logs them to `ropc.audit`; the
    /// INFO events of every grant and check are never made.
    warnings_only: bool,
}

impl core::events::EventSink for JsEvents {
    fn event(&self, event: &core::events::Event) {
        let _ = self
            .tsfn
            .call(event.to_json(), ThreadsafeFunctionCallMode::NonBlocking);
    }

    fn wants(&self, kind: core::events::EventKind) -> bool {
        !self.warnings_only || kind.is_warning()
    }

    /// The function is owned; nothing to wait for when the server goes.
    fn wait_on_drop(&self) -> bool {
        false
    }
}

fn with_events(
    builder: core::ServerBuilder,
    events: Option<Function<'_, String, Unknown<'static>>>,
    warnings_only: bool,
) -> Result<core::ServerBuilder> {
    let Some(f) = events else {
        return Ok(builder);
    };
    // Weak: the events must not keep the process alive by themselves.
    let tsfn = f
        .build_threadsafe_function::<String>()
        .callee_handled::<false>()
        .weak::<true>()
        .build()?;
    Ok(builder.events(Arc::new(JsEvents {
        tsfn,
        warnings_only,
    })))
}

/// A server whose resource owners (`accounts`) and/or owner authorization
/// (`authorize`) are JavaScript's, reached through `dispatch(id, request)`.
#[napi(catch_unwind)]
pub fn create_server_with_callbacks(
    json: String,
    dispatch: Function<'_, (u32, crate::secret::Secret), Unknown<'static>>,
    accounts: bool,
    authorize: bool,
    events: Option<Function<'_, String, Unknown<'static>>>,
    warnings_only: bool,
) -> Result<NativeServer> {
    let config = match core::Config::from_json(&json) {
        Ok(c) => c,
        Err(e) => return Err(thrown(Failure::Config(e))),
    };
    // Weak: the server must not keep the process alive by itself.
    let tsfn: callbacks::Dispatch = dispatch
        .build_threadsafe_function::<(u32, crate::secret::Secret)>()
        .callee_handled::<false>()
        .weak::<true>()
        // FnArgs: the tuple becomes two arguments, not one array.
        .build_callback(|ctx| Ok(FnArgs { data: ctx.value }))?;
    let js = Arc::new(callbacks::JsCallbacks::new(
        Arc::new(tsfn),
        config.accounts.callback_timeout_ms,
    ));
    let mut builder = with_events(core::Server::builder(config), events, warnings_only)?;
    if accounts {
        builder = builder.accounts(js.clone());
    }
    if authorize {
        builder = builder.owner_authorizer(js);
    }
    match builder.build() {
        Ok(s) => Ok(NativeServer { inner: Arc::new(s) }),
        Err(e) => Err(thrown(Failure::Config(e))),
    }
}

/// A resource server's guard.
#[napi]
pub struct NativeGuard {
    inner: core::ResourceGuard,
}

#[napi]
impl NativeGuard {
    /// The realm of challenges.
    #[napi(getter)]
    pub fn realm(&self) -> String {
        self.inner.realm()
    }

    /// Swaps in the scopes and rules of a new configuration, or says what is wrong.
    #[napi(catch_unwind)]
    pub fn reload(&self, json: String) -> Result<()> {
        self.inner
            .reload_json(&json)
            .map_err(|e| thrown(Failure::Config(e)))
    }

    /// The same from a file, read by the core (strict UTF-8).
    #[napi(catch_unwind)]
    pub fn reload_file(&self, path: String) -> Result<()> {
        self.inner
            .reload_file(&path)
            .map_err(|e| thrown(Failure::Config(e)))
    }

    /// The introspection request for `token`, authenticated as this
    /// resource server's client.
    #[napi(catch_unwind)]
    pub fn introspection_request(
        &self,
        token: Secret,
        client_id: String,
        client_secret: Secret,
    ) -> NativeIntrospectionRequest {
        let mut call = self.inner.introspection_request(
            token.as_str(),
            &core::ClientCredentials::new(&client_id, client_secret.as_str()),
        );
        NativeIntrospectionRequest {
            content_type: call.content_type.to_string(),
            authorization: Secret(std::mem::take(&mut call.authorization)),
            body: Secret(std::mem::take(&mut call.body)),
        }
    }

    /// Step one: the bearer token (in `text`) or the refusal.
    #[napi(catch_unwind)]
    pub fn bearer_token(&self, authorization: OptSecret) -> Result<Secret> {
        self.inner
            .bearer_token(opt(&authorization))
            .map(|t| Secret(t.to_string()))
            .map_err(|r| thrown(Failure::Refused(from_refusal(r))))
    }

    /// Until when an introspection response given at `now` may be kept for
    /// at most `max_seconds` (active answers only, never past `exp`).
    #[napi(catch_unwind)]
    pub fn cache_until(
        &self,
        introspection_json: String,
        now: f64,
        max_seconds: f64,
    ) -> Option<f64> {
        self.inner
            .cache_until(&introspection_json, now, max_seconds)
    }

    /// The refusal when the authorization server could not be asked (503
    /// `temporarily_unavailable` with `Retry-After`), thrown as every
    /// refusal is (`guard.js` hands it back as a value).
    #[napi(catch_unwind)]
    pub fn unavailable(&self) -> Result<Value> {
        split(Done::Principal(Err(from_refusal(self.inner.unavailable())))).map_err(thrown)
    }

    /// Step two: decides from the introspection response's JSON.
    #[napi(catch_unwind)]
    pub fn check_introspection(
        &self,
        introspection_json: String,
        resource: String,
        scope: Option<String>,
    ) -> Result<Value> {
        let r = self.inner.check_introspection_response(
            &introspection_json,
            &resource,
            scope.as_deref(),
        );
        split(Done::Principal(r.map_err(from_refusal))).map_err(thrown)
    }

    /// Stage 5 offline for a JWT access token with the key set `keys`;
    /// the packed principal, or the refusal (RFC 6750) thrown.
    #[napi(catch_unwind)]
    pub fn check_jwt_request(
        &self,
        authorization: OptSecret,
        keys: &NativeKeySet,
        resource: String,
        scope: Option<String>,
    ) -> Result<Value> {
        let r = self.inner.check_jwt_request(
            opt(&authorization),
            &keys.inner,
            &resource,
            scope.as_deref(),
        );
        split(Done::Principal(r.map_err(from_refusal))).map_err(thrown)
    }

    /// The token of an `Authorization: DPoP` header; null for another
    /// scheme; the refusal thrown for a malformed one.
    #[napi(catch_unwind)]
    pub fn dpop_token(&self, authorization: OptSecret) -> Result<Option<Secret>> {
        self.inner
            .dpop_token(opt(&authorization))
            .map(|t| t.map(|t| Secret(t.to_string())))
            .map_err(|r| thrown(Failure::Refused(from_refusal(r))))
    }

    /// Stage 5 from an introspection answer with the request's DPoP proof.
    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn check_introspection_with_proof(
        &self,
        introspection: String,
        token: Secret,
        dpop: Opt,
        method: String,
        uri: String,
        resource: String,
        scope: Opt,
    ) -> Result<Value> {
        let r = self.inner.check_introspection_with_proof(
            &introspection,
            token.as_str(),
            dpop.as_deref(),
            &method,
            &uri,
            &resource,
            scope.as_deref(),
        );
        split(Done::Principal(r.map_err(from_refusal))).map_err(thrown)
    }

    /// The same for a JWT checked offline with `keys`.
    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn check_jwt_with_proof(
        &self,
        token: Secret,
        keys: &NativeKeySet,
        dpop: Opt,
        method: String,
        uri: String,
        resource: String,
        scope: Opt,
    ) -> Result<Value> {
        let r = self.inner.check_jwt_with_proof(
            token.as_str(),
            &keys.inner,
            dpop.as_deref(),
            &method,
            &uri,
            &resource,
            scope.as_deref(),
        );
        split(Done::Principal(r.map_err(from_refusal))).map_err(thrown)
    }
}

/// A key set (RFC 7517), read strictly.
#[napi]
pub struct NativeKeySet {
    inner: std::sync::Arc<core::jws::KeySet>,
}

#[napi]
impl NativeKeySet {
    /// The keys' `kid`, in order.
    #[napi(getter)]
    pub fn kids(&self) -> Vec<String> {
        self.inner
            .keys()
            .iter()
            .map(|k| k.kid().to_string())
            .collect()
    }
}

/// A resource server's copy of a key set and when to fetch it
/// (`ropc_core::key_cache`); the HTTP is the caller's (`JwtChecker`).
#[napi]
pub struct NativeKeySetCache {
    inner: core::key_cache::KeySetCache,
}

#[napi]
impl NativeKeySetCache {
    /// What to do for `token` at `now`: `[what, keys]`, `what` one of
    /// `not_jwt`, `use` (with the keys), `fetch`, `unavailable`.
    #[napi(catch_unwind)]
    pub fn plan(
        &self,
        token: String,
        now: f64,
        may_fetch: bool,
    ) -> (&'static str, Option<NativeKeySet>) {
        use core::key_cache::KeyPlan;
        match self.inner.plan(&token, now, may_fetch) {
            KeyPlan::NotJwt => ("not_jwt", None),
            KeyPlan::Use(inner) => ("use", Some(NativeKeySet { inner })),
            KeyPlan::Fetch => ("fetch", None),
            KeyPlan::Unavailable => ("unavailable", None),
        }
    }

    /// A fetch's answer; null when it replaced the set, else why not.
    #[napi(catch_unwind)]
    pub fn fetched(
        &self,
        status: u32,
        body: Buffer,
        cache_control: Option<String>,
        now: f64,
    ) -> Option<String> {
        let status = u16::try_from(status).unwrap_or(0);
        self.inner
            .fetched(status, &body, cache_control.as_deref(), now)
            .err()
    }

    /// Key sets read so far.
    #[napi(getter)]
    pub fn fetches(&self) -> f64 {
        self.inner.fetches() as f64
    }
}

/// A key-set cache; why not, for bad ages.
#[napi(catch_unwind)]
pub fn create_key_set_cache(
    max_age_seconds: f64,
    min_refetch_seconds: f64,
) -> Result<NativeKeySetCache> {
    core::key_cache::KeySetCache::new(max_age_seconds, min_refetch_seconds)
        .map(|inner| NativeKeySetCache { inner })
        .map_err(|e| Error::new(Status::InvalidArg, e))
}

/// The headers forward-auth reads, lower case.
#[napi(catch_unwind)]
pub fn forwarded_headers() -> Vec<&'static str> {
    core::FORWARDED_HEADERS.to_vec()
}

/// A key set from a JWKS document; why not, when it is not one.
#[napi(catch_unwind)]
pub fn create_key_set(json: String) -> Result<NativeKeySet> {
    core::jws::KeySet::from_json(&json)
        .map(|set| NativeKeySet {
            inner: std::sync::Arc::new(set),
        })
        .map_err(|e| Error::new(Status::InvalidArg, format!("not a key set: {}", e.reason())))
}

/// A guard from a JSON configuration, or what is wrong with it.
#[napi(catch_unwind)]
pub fn create_guard(json: String) -> Result<NativeGuard> {
    match core::Config::from_json(&json).and_then(|c| core::ResourceGuard::new(&c)) {
        Ok(g) => Ok(NativeGuard { inner: g }),
        Err(e) => Err(thrown(Failure::Config(e))),
    }
}

fn hash_job(
    password: Secret,
    m_cost: Option<u32>,
    t_cost: Option<u32>,
    p_cost: Option<u32>,
) -> impl FnOnce() -> Done + Send + 'static {
    move || {
        Done::Argument(
            core::hash_password(
                password.as_str(),
                core::HashParams::default().with(m_cost, t_cost, p_cost),
            )
            .map_err(|e| e.to_string()),
        )
    }
}

/// argon2id PHC hash of a password: on the libuv pool, or, when `sync`
/// (`hashPasswordSync`, for scripts), on the calling thread.
#[napi(catch_unwind)]
pub fn hash_password(
    password: Secret,
    m_cost: Option<u32>,
    t_cost: Option<u32>,
    p_cost: Option<u32>,
    sync: bool,
) -> Result<Answer> {
    let class = if sync {
        core::Blocking::Inline
    } else {
        core::Blocking::Cpu
    };
    place(class, hash_job(password, m_cost, t_cost, p_cost))
}

/// Runs one of the operators' commands (`npx ropc ...`, the core's
/// `ropc_core::cli`) on the process's standard streams; returns the exit
/// status. For the command-line tool only: it blocks, reading stdin.
#[napi(catch_unwind)]
pub fn cli(args: Vec<String>) -> i32 {
    core::cli::run(args)
}

/// A new client secret and its `sha256:` hash, as `[secret, hash]`.
#[napi(catch_unwind)]
pub fn generate_client_secret() -> Vec<String> {
    let (secret, hash) = core::generate_client_secret();
    vec![secret, hash]
}

/// The `sha256:` hash of a generated client secret.
#[napi(catch_unwind)]
pub fn hash_client_secret(secret: String) -> String {
    core::hash_client_secret(&secret)
}

/// The library version.
#[napi(catch_unwind)]
pub fn version() -> String {
    core::VERSION.to_string()
}

/// The largest request body the endpoints read.
#[napi(catch_unwind)]
pub fn max_body_bytes() -> u32 {
    u32::try_from(core::MAX_BODY_BYTES).unwrap_or(u32::MAX)
}

/// For tests only (the `test-hooks` feature, never in a published build):
/// panics inside a libuv task, to prove the process survives.
#[cfg(feature = "test-hooks")]
#[napi]
pub fn panic_in_task_for_tests() -> AsyncTask<Job> {
    job(|| panic!("deliberate panic in a task"))
}

/// For tests only (the `test-hooks` feature): panics in a synchronous call.
#[cfg(feature = "test-hooks")]
#[napi(catch_unwind)]
pub fn panic_sync_for_tests() -> u32 {
    panic!("deliberate panic in a sync call")
}

/// For tests only (the `test-hooks` feature): servers created from now on
/// use a manual clock at `now` (seconds since the epoch); `null`: the
/// system clock again.
#[cfg(feature = "test-hooks")]
#[napi(catch_unwind)]
pub fn set_test_clock_for_tests(now: Option<f64>) {
    core::test_clock::set(now.map(|n| n as u64));
}

/// For tests only (the `test-hooks` feature): moves the test clock on.
#[cfg(feature = "test-hooks")]
#[napi(catch_unwind)]
pub fn advance_test_clock_for_tests(seconds: f64) -> bool {
    core::test_clock::advance(seconds as u64)
}
