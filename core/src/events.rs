//! Audit events: what happened, for the operator, never with a password,
//! secret or token in it.
//!
//! A server built with [`crate::ServerBuilder::events`] hands each event to
//! a queue of its own (bounded: [`QUEUE`]) and one thread delivers them to
//! the sink and to the `log` crate (target `ropc::audit`): a slow, failing
//! or panicking sink never slows a grant, and events it cannot keep up with
//! are dropped and counted (`ropc_events_dropped_total`). Without a sink the
//! events go to `log` alone, written where they happen, and are not even
//! made unless that target is enabled.
//!
//! The remote address and request id of the request an event comes from
//! are the host's to say: [`with_request_context`] (the bindings' HTTP
//! endpoints take them as arguments).

use serde::Serialize;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::Arc;

/// Events waiting for the sink, at most.
pub const QUEUE: usize = 4096;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// A password grant issued tokens.
    TokenIssued,
    /// A refresh token was rotated for new tokens.
    TokenRefreshed,
    /// A rotated refresh token came back within the client's grace window.
    RefreshRetried,
    /// A rotated refresh token was presented again: its grant is revoked.
    RefreshReuse,
    /// A sign-in was refused; `reason` says why (for the operator only).
    LoginFailed,
    /// This failure locked the account.
    AccountLocked,
    /// A sign-in succeeded on an account that had been locked.
    AccountUnlocked,
    /// A token was revoked (RFC 7009).
    TokenRevoked,
    /// Every token of a user was ended.
    UserTokensRevoked,
    /// A client introspected a token; `reason` is `active` or `inactive`.
    Introspected,
    /// A configured user's hash was re-made on current parameters;
    /// `password_hash` is the new one, for the host to persist.
    PasswordRehashed,
    /// The store failed (the request was answered 503); `reason` is its message.
    StoreError,
}

impl EventKind {
    /// Whether an operator should be warned (reuse, a lock, a store
    /// failure) rather than informed: the level every logger uses.
    pub fn is_warning(self) -> bool {
        matches!(
            self,
            EventKind::RefreshReuse | EventKind::AccountLocked | EventKind::StoreError
        )
    }
}

/// One event. Names and ids only: never a password, secret or token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// When, seconds since the epoch.
    pub time: u64,
    /// The client concerned (for an introspection, the caller).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The resource owner concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The grant (lineage), in hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
    /// The request's remote address, when the host gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_addr: Option<String>,
    /// The request's id, when the host gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Why (a sign-in refused: `unknown_user`, `wrong_password`,
    /// `disabled`, `locked`, `refused` by host accounts, `host_error`; an
    /// introspection: `active` or `inactive`; a store error: its message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The new hash of a re-hashed password (a hash, not a secret).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
}

impl Event {
    /// An event of `kind` at `time`, the thread's request context filled in.
    pub(crate) fn new(kind: EventKind, time: u64) -> Event {
        let (remote_addr, request_id) = CONTEXT.with(|c| c.borrow().clone());
        Event {
            kind,
            time,
            client_id: None,
            username: None,
            grant_id: None,
            remote_addr,
            request_id,
            reason: None,
            password_hash: None,
        }
    }

    pub(crate) fn client(mut self, id: &str) -> Self {
        self.client_id = Some(id.to_string());
        self
    }

    pub(crate) fn user(mut self, name: &str) -> Self {
        self.username = Some(name.to_string());
        self
    }

    pub(crate) fn grant(mut self, grant: &crate::store::GrantId) -> Self {
        self.grant_id = Some(grant.to_hex());
        self
    }

    pub(crate) fn reason(mut self, why: impl Into<String>) -> Self {
        self.reason = Some(why.into());
        self
    }

    pub(crate) fn hash(mut self, phc: String) -> Self {
        self.password_hash = Some(phc);
        self
    }

    /// The event as one JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an Event always serializes")
    }
}

/// Receives events, on ropc's delivery thread (one at a time, in order).
pub trait EventSink: Send + Sync {
    /// One event. A panic is caught and logged; the next event comes anyway.
    fn event(&self, event: &Event);

    /// Whether dropping the server waits until the events queued so far
    /// are delivered (true: a sink that borrows what its server's owner
    /// frees, as C userdata does). A sink that owns what it uses and whose
    /// delivery may need a lock the dropping thread holds (Python's GIL)
    /// says false.
    fn wait_on_drop(&self) -> bool {
        true
    }

    /// Whether this sink wants events of `kind`. One it does not want is
    /// not queued (only logged, if `log` records it): a sink that would
    /// drop most events (Python's, when nothing listens for INFO) then
    /// costs its delivery thread nothing.
    fn wants(&self, kind: EventKind) -> bool {
        let _ = kind;
        true
    }
}

impl<F: Fn(&Event) + Send + Sync> EventSink for F {
    fn event(&self, event: &Event) {
        self(event)
    }
}

thread_local! {
    static CONTEXT: RefCell<(Option<String>, Option<String>)> = const { RefCell::new((None, None)) };
}

/// Runs `f` with this request's remote address and id attached to every
/// event it causes (on this thread).
pub fn with_request_context<T>(
    remote_addr: Option<&str>,
    request_id: Option<&str>,
    f: impl FnOnce() -> T,
) -> T {
    let previous = CONTEXT.with(|c| {
        c.replace((
            remote_addr.map(str::to_string),
            request_id.map(str::to_string),
        ))
    });
    struct Restore(Option<(Option<String>, Option<String>)>);
    impl Drop for Restore {
        fn drop(&mut self) {
            if let Some(p) = self.0.take() {
                CONTEXT.with(|c| *c.borrow_mut() = p);
            }
        }
    }
    let _restore = Restore(Some(previous));
    f()
}

/// Sets (or, with `None`s, clears) this thread's request context until the
/// next call: for hosts that cannot pass a closure (the C ABI).
pub fn set_request_context(remote_addr: Option<&str>, request_id: Option<&str>) {
    CONTEXT.with(|c| {
        *c.borrow_mut() = (
            remote_addr.map(str::to_string),
            request_id.map(str::to_string),
        )
    });
}

/// Where a server's events go.
pub(crate) struct Events {
    /// The delivery thread's queue, and its sink (asked what it wants).
    queue: Option<(SyncSender<Event>, Arc<dyn EventSink>)>,
    thread: Option<std::thread::JoinHandle<()>>,
    pub(crate) dropped: Arc<AtomicU64>,
}

impl Drop for Events {
    /// The server is going: the events queued are delivered first, so that
    /// no sink is called after its server is freed.
    fn drop(&mut self) {
        self.queue = None;
        if let Some(thread) = self.thread.take() {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

/// The level an event of `kind` is logged at.
fn level_of(kind: EventKind) -> log::Level {
    if kind.is_warning() {
        log::Level::Warn
    } else {
        log::Level::Info
    }
}

fn log_event(e: &Event) {
    log::log!(target: "ropc::audit", level_of(e.kind), "{}", e.to_json());
}

impl Events {
    /// Events to `log` only.
    pub(crate) fn log_only() -> Events {
        Events {
            queue: None,
            thread: None,
            dropped: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Events to `sink` (and `log`) through a bounded queue of `capacity`
    /// and a delivery thread of their own.
    pub(crate) fn to(sink: Arc<dyn EventSink>, capacity: usize) -> Events {
        let (tx, rx) = sync_channel::<Event>(capacity);
        let wait = sink.wait_on_drop();
        let asked = Arc::clone(&sink);
        let spawned = std::thread::Builder::new()
            .name("ropc-events".into())
            .spawn(move || {
                for e in rx {
                    log_event(&e);
                    let delivered =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sink.event(&e)));
                    if delivered.is_err() {
                        log::error!(target: "ropc::audit", "the event sink panicked on a {:?} event", e.kind);
                    }
                }
            });
        let Ok(thread) = spawned else {
            log::error!(target: "ropc::audit", "cannot start the event thread: events go to the log only");
            return Events::log_only();
        };
        Events {
            queue: Some((tx, asked)),
            thread: wait.then_some(thread),
            dropped: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Whether an event of `kind` would reach anything: the sink, if it
    /// wants the kind, or the log at the kind's level. What no one wants is
    /// never made (nor any store read done only for it).
    pub(crate) fn wants(&self, kind: EventKind) -> bool {
        self.to_sink(kind) || log::log_enabled!(target: "ropc::audit", level_of(kind))
    }

    fn to_sink(&self, kind: EventKind) -> bool {
        matches!(&self.queue, Some((_, sink)) if sink.wants(kind))
    }

    /// Sends an event of `kind`, made by `make` (given the kind) only if
    /// something wants it; never waits.
    pub(crate) fn emit(&self, kind: EventKind, make: impl FnOnce(EventKind) -> Event) {
        let to_sink = self.to_sink(kind);
        if !to_sink && !log::log_enabled!(target: "ropc::audit", level_of(kind)) {
            return;
        }
        let e = make(kind);
        debug_assert_eq!(e.kind, kind);
        match &self.queue {
            Some((tx, _)) if to_sink => match tx.try_send(e) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                    self.dropped.fetch_add(1, Ordering::Relaxed);
                }
            },
            // No sink, or one that does not want this kind: the log only.
            _ => log_event(&e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Wants warnings only, and keeps what it gets.
    #[derive(Default)]
    struct Warnings(Mutex<Vec<EventKind>>);

    impl EventSink for Warnings {
        fn event(&self, e: &Event) {
            self.0.lock().unwrap().push(e.kind);
        }

        fn wants(&self, kind: EventKind) -> bool {
            kind.is_warning()
        }
    }

    #[test]
    fn an_event_no_one_wants_is_never_made() {
        // No logger is installed in this test binary: the log wants nothing.
        assert!(!log::log_enabled!(target: "ropc::audit", log::Level::Warn));
        let sink = Arc::new(Warnings::default());
        let events = Events::to(sink.clone(), 8);
        assert!(!events.wants(EventKind::TokenIssued));
        assert!(events.wants(EventKind::RefreshReuse));
        events.emit(EventKind::TokenIssued, |_| {
            panic!("an unwanted event was made")
        });
        events.emit(EventKind::RefreshReuse, |k| Event::new(k, 1));
        drop(events); // delivers what is queued, then joins
        assert_eq!(*sink.0.lock().unwrap(), vec![EventKind::RefreshReuse]);

        let none = Events::log_only();
        assert!(!none.wants(EventKind::StoreError));
        none.emit(EventKind::StoreError, |_| panic!("made for no one"));
    }
}
