//! Host accounts and the authorize hook from JavaScript: the one callback
//! adapter. ropc calls them from the libuv pool; each call is queued to the
//! JS thread through one threadsafe function (`dispatch(id, request)`), and
//! the worker waits, without blocking the event loop, until `index.js`
//! settles it (`settleCallback(id, answer)`) once the callback's value or
//! Promise is done, or until `accounts.callback_timeout_ms` passes. A
//! callback that throws or rejects is logged by `index.js` and becomes the
//! core's server error.

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use once_cell::sync::Lazy;
use ropc_core as core;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{sync_channel, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) type Dispatch = ThreadsafeFunction<
    (u32, crate::secret::Secret),
    Unknown<'static>,
    FnArgs<(u32, crate::secret::Secret)>,
    Status,
    false,
    true,
>;

/// Calls waiting for JavaScript, by id.
static PENDING: Lazy<Mutex<HashMap<u32, SyncSender<String>>>> =
    Lazy::new(|| Mutex::new(HashMap::new()));
static NEXT_ID: AtomicU32 = AtomicU32::new(1);

/// Hands a callback's answer (JSON) to the worker waiting for it. An answer
/// for a call that timed out meanwhile is dropped.
#[napi_derive::napi(catch_unwind)]
pub fn settle_callback(id: u32, answer: String) {
    let waiting = PENDING.lock().ok().and_then(|mut p| p.remove(&id));
    if let Some(tx) = waiting {
        let _ = tx.try_send(answer);
    }
}

/// The answers `index.js` sends back, already shaped from the callback's value.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum Answer {
    Verified {
        groups: Vec<String>,
        enabled: bool,
        #[serde(default)]
        credential: Option<u64>,
        #[serde(default)]
        name: Option<String>,
    },
    WrongPassword,
    UnknownUser,
    Owner {
        groups: Vec<String>,
        enabled: bool,
        #[serde(default)]
        credential: Option<u64>,
    },
    NoOwner,
    Allow {
        allowed: bool,
    },
    Error {
        message: String,
    },
}

pub(crate) struct JsCallbacks {
    dispatch: Arc<Dispatch>,
    timeout: Duration,
}

impl JsCallbacks {
    pub(crate) fn new(dispatch: Arc<Dispatch>, timeout_ms: u64) -> JsCallbacks {
        JsCallbacks {
            dispatch,
            timeout: Duration::from_millis(timeout_ms),
        }
    }

    /// Sends `request` to the JS thread and waits for its answer.
    fn ask(
        &self,
        what: &str,
        request: crate::secret::Secret,
    ) -> std::result::Result<Answer, core::HostError> {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = sync_channel(1);
        PENDING
            .lock()
            .map_err(|_| core::HostError::new("the callback table is poisoned"))?
            .insert(id, tx);
        let forget = || {
            if let Ok(mut p) = PENDING.lock() {
                p.remove(&id);
            }
        };
        let status = self
            .dispatch
            .call((id, request), ThreadsafeFunctionCallMode::NonBlocking);
        if status != Status::Ok {
            forget();
            return Err(core::HostError::new(format!(
                "the {what} callback could not be queued to JavaScript ({status})"
            )));
        }
        let answer = match rx.recv_timeout(self.timeout) {
            Ok(answer) => answer,
            Err(RecvTimeoutError::Timeout) => {
                forget();
                return Err(core::HostError::new(format!(
                    "the {what} callback did not settle within callback_timeout_ms ({} ms)",
                    self.timeout.as_millis()
                )));
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(core::HostError::new(format!(
                    "the {what} callback was dropped"
                )))
            }
        };
        match serde_json::from_str::<Answer>(&answer) {
            Ok(Answer::Error { message }) => Err(core::HostError::new(format!(
                "the {what} callback failed: {message}"
            ))),
            Ok(a) => Ok(a),
            Err(e) => Err(core::HostError::new(format!(
                "the {what} callback answered something ropc cannot use: {e}"
            ))),
        }
    }
}

fn unexpected(what: &str) -> core::HostError {
    core::HostError::new(format!("the {what} callback answered out of turn"))
}

impl core::Accounts for JsCallbacks {
    fn verify(
        &self,
        username: &str,
        password: &str,
    ) -> std::result::Result<core::Verification, core::HostError> {
        #[derive(serde::Serialize)]
        struct Verify<'a> {
            kind: &'static str,
            username: &'a str,
            password: &'a str,
        }
        let request = crate::secret::json(&Verify {
            kind: "verify",
            username,
            password,
        });
        match self.ask("verify", request)? {
            Answer::Verified {
                groups,
                enabled,
                credential,
                name,
            } => Ok(core::Verification::Verified(core::Owner {
                groups,
                enabled,
                credential,
                name,
            })),
            Answer::WrongPassword => Ok(core::Verification::WrongPassword),
            Answer::UnknownUser => Ok(core::Verification::UnknownUser),
            _ => Err(unexpected("verify")),
        }
    }

    fn lookup(&self, username: &str) -> std::result::Result<Option<core::Owner>, core::HostError> {
        let request =
            crate::secret::json(&serde_json::json!({"kind": "lookup", "username": username}));
        match self.ask("lookup", request)? {
            Answer::Owner {
                groups,
                enabled,
                credential,
            } => Ok(Some(core::Owner {
                groups,
                enabled,
                credential,
                name: None,
            })),
            Answer::NoOwner => Ok(None),
            _ => Err(unexpected("lookup")),
        }
    }
}

impl core::OwnerAuthorizer for JsCallbacks {
    fn authorize(
        &self,
        principal: &core::Principal,
        resource: &str,
        required_scope: Option<&str>,
    ) -> std::result::Result<bool, core::HostError> {
        let request = serde_json::json!({
            "kind": "authorize",
            "principal": {
                "username": principal.username,
                "clientId": principal.client_id,
                "scopes": principal.scopes,
                "groups": principal.groups,
                "expiresAt": principal.expires_at,
            },
            "resource": resource,
            "scope": required_scope,
        });
        let request = crate::secret::json(&request);
        match self.ask("authorize", request)? {
            Answer::Allow { allowed } => Ok(allowed),
            _ => Err(unexpected("authorize")),
        }
    }
}

/// The core's accounts conformance suite, run through this adapter on the
/// libuv pool (the callbacks need the event loop free): resolves to `null`,
/// or to what failed. For tests.
pub struct Conformance {
    accounts: Option<JsCallbacks>,
    fixture: core::conformance::accounts::Fixture,
}

impl Task for Conformance {
    type Output = Option<String>;
    type JsValue = Option<String>;

    fn compute(&mut self) -> Result<Option<String>> {
        let accounts = self
            .accounts
            .take()
            .ok_or_else(|| Error::from_reason("the check already ran"))?;
        let fixture = self.fixture.clone();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            core::conformance::accounts::run(&accounts, &fixture).err()
        }))
        .map_err(|_| Error::from_reason("the conformance suite panicked"))
    }

    fn resolve(&mut self, _env: Env, output: Option<String>) -> Result<Option<String>> {
        Ok(output)
    }
}

#[derive(Deserialize)]
struct FixtureJson {
    username: String,
    password: String,
    groups: Vec<String>,
    disabled: (String, String),
    unknown: String,
}

/// Starts the conformance suite on callbacks reached through `dispatch`.
#[napi_derive::napi]
pub fn check_accounts(
    dispatch: Function<'_, (u32, crate::secret::Secret), Unknown<'static>>,
    fixture: String,
) -> Result<AsyncTask<Conformance>> {
    let f: FixtureJson = serde_json::from_str(&fixture)
        .map_err(|e| Error::from_reason(format!("bad fixture: {e}")))?;
    let tsfn: Dispatch = dispatch
        .build_threadsafe_function::<(u32, crate::secret::Secret)>()
        .callee_handled::<false>()
        .weak::<true>()
        .build_callback(|ctx| Ok(FnArgs { data: ctx.value }))?;
    Ok(AsyncTask::new(Conformance {
        accounts: Some(JsCallbacks::new(Arc::new(tsfn), 10_000)),
        fixture: core::conformance::accounts::Fixture {
            username: f.username,
            password: f.password,
            groups: f.groups,
            disabled: f.disabled,
            unknown: f.unknown,
        },
    }))
}
