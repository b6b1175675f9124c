//! The adapter around a host's [`Accounts`]: time limits, panics, pacing
//! and the owner-state cache, written once for every binding.

use super::{Accounts, AccountsStats, HostError, OwnerState, Verification};
use crate::clock::Timer;
use crate::config::AccountsConfig;
use crate::secret::Wiped;
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

/// The most owners whose state one process caches.
const MAX_CACHED_OWNERS: usize = 65_536;
/// How many recent password checks set the pacing target.
const SAMPLES: usize = 64;

pub(crate) struct HostAccounts {
    inner: Arc<dyn Accounts>,
    settings: RwLock<AccountsConfig>,
    timer: Arc<dyn Timer>,
    cache: Mutex<HashMap<Arc<str>, Cached>>,
    samples: Mutex<Samples>,
    verify_calls: AtomicU64,
    lookup_calls: AtomicU64,
    paced: AtomicU64,
    failures: AtomicU64,
}

struct Cached {
    state: Option<OwnerState>,
    fetched_at: u64,
}

#[derive(Default)]
struct Samples {
    micros: Vec<u64>,
    next: usize,
}

impl Samples {
    fn push(&mut self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        if self.micros.len() < SAMPLES {
            self.micros.push(us);
        } else {
            self.micros[self.next] = us;
        }
        self.next = (self.next + 1) % SAMPLES;
    }

    /// The time 9 in 10 recent checks took at most.
    fn p90(&self) -> Duration {
        if self.micros.is_empty() {
            return Duration::ZERO;
        }
        let mut sorted = self.micros.clone();
        sorted.sort_unstable();
        let i = (sorted.len() * 9 / 10).min(sorted.len() - 1);
        Duration::from_micros(sorted[i])
    }
}

/// Runs a host callback: a panic, or an answer later than `limit`, is a
/// failure, and the answer is dropped. Also says how long it took.
pub(crate) fn run_callback<T>(
    what: &str,
    limit: Duration,
    timer: &dyn Timer,
    f: impl FnOnce() -> Result<T, HostError>,
) -> (Result<T, HostError>, Duration) {
    let start = timer.now();
    let out = catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(HostError::new(format!("the {what} callback panicked"))));
    let took = timer.now().saturating_sub(start);
    let out = match out {
        Ok(_) if took > limit => Err(HostError::new(format!(
            "the {what} callback took {} ms, beyond callback_timeout_ms ({} ms); its answer was dropped",
            took.as_millis(),
            limit.as_millis()
        ))),
        other => other,
    };
    (out, took)
}

/// What the password grant learns from the host.
pub(crate) enum Checked {
    /// The password is right and the owner enabled; the host's credential
    /// version, if it keeps one, and the account's own name, if it gave one
    /// ([`super::Owner::name`]).
    Verified {
        credential: Option<u64>,
        name: Option<String>,
    },
    /// Unknown user, wrong password or disabled owner: one answer.
    Refused,
}

impl HostAccounts {
    pub(crate) fn new(
        inner: Arc<dyn Accounts>,
        settings: AccountsConfig,
        timer: Arc<dyn Timer>,
    ) -> HostAccounts {
        HostAccounts {
            inner,
            settings: RwLock::new(settings),
            timer,
            cache: Mutex::new(HashMap::new()),
            samples: Mutex::new(Samples::default()),
            verify_calls: AtomicU64::new(0),
            lookup_calls: AtomicU64::new(0),
            paced: AtomicU64::new(0),
            failures: AtomicU64::new(0),
        }
    }

    pub(crate) fn set_settings(&self, settings: AccountsConfig) {
        *self.settings.write() = settings;
        if settings.owner_cache_seconds == 0 {
            self.cache.lock().clear();
        }
    }

    /// Time now, for [`HostAccounts::pace`].
    pub(crate) fn started(&self) -> Duration {
        self.timer.now()
    }

    fn limit(&self) -> Duration {
        Duration::from_millis(self.settings.read().callback_timeout_ms)
    }

    fn call<T>(
        &self,
        what: &str,
        f: impl FnOnce() -> Result<T, HostError>,
    ) -> (Result<T, HostError>, Duration) {
        let limit = self.limit();
        let (out, took) = run_callback(what, limit, &*self.timer, f);
        if out.is_err() {
            self.failures.fetch_add(1, Relaxed);
        }
        (out, took)
    }

    /// Stage 3 on the host's accounts. Not paced: the caller paces once
    /// the whole attempt (store calls included) is done.
    pub(crate) fn verify(
        &self,
        username: &str,
        password: &str,
        now: u64,
    ) -> Result<Checked, HostError> {
        self.verify_calls.fetch_add(1, Relaxed);
        // The callback runs on the callback pool (the caller waits at most
        // the limit): it gets copies, the password's wiped when dropped.
        let limit = self.limit();
        let inner = Arc::clone(&self.inner);
        let (user, secret) = (username.to_owned(), Wiped::new(password.to_owned()));
        let asked = move || inner.verify(&user, &secret);
        let (answer, took) = self.call("verify", || {
            Ok(match super::deadline::within("verify", limit, asked)? {
                Verification::Verified(mut owner) => {
                    let name = owner.name.take();
                    if let Some(n) = &name {
                        if n.is_empty()
                            || n.len() > crate::MAX_NAME_BYTES
                            || crate::names::has_control(n)
                        {
                            return Err(HostError::new(
                                "an owner's name must be 1 to 256 bytes without control characters",
                            ));
                        }
                    }
                    Ok(Some((OwnerState::from_host(owner)?, name)))
                }
                Verification::WrongPassword => Ok(None),
                Verification::UnknownUser => Err(()),
            })
        });
        match answer? {
            Ok(Some((state, name))) => {
                self.samples.lock().push(took);
                let (enabled, credential) = (state.enabled, state.credential);
                self.remember(name.as_deref().unwrap_or(username), Some(state), now);
                Ok(if enabled {
                    Checked::Verified { credential, name }
                } else {
                    Checked::Refused
                })
            }
            Ok(None) => {
                self.samples.lock().push(took);
                Ok(Checked::Refused)
            }
            // Unknown: not a sample of the host's password check.
            Err(()) => Ok(Checked::Refused),
        }
    }

    /// The time every answer to a password grant takes at least.
    pub(crate) fn pace_target(&self) -> Duration {
        let floor = Duration::from_millis(self.settings.read().min_verify_ms);
        floor.max(self.samples.lock().p90())
    }

    /// Waits until the attempt begun at `started` has taken the pacing target.
    pub(crate) fn pace(&self, started: Duration) {
        self.paced.fetch_add(1, Relaxed);
        let spent = self.timer.now().saturating_sub(started);
        let target = self.pace_target();
        if spent < target {
            self.timer.sleep(target - spent);
        }
    }

    /// The owner's state, from the cache while it is fresh; and whether it
    /// was just asked of the host.
    pub(crate) fn state(
        &self,
        username: &str,
        now: u64,
    ) -> Result<(Option<OwnerState>, bool), HostError> {
        let ttl = self.settings.read().owner_cache_seconds;
        if ttl > 0 {
            if let Some(c) = self.cache.lock().get(username) {
                if now.saturating_sub(c.fetched_at) < ttl && c.fetched_at <= now {
                    return Ok((c.state.clone(), false));
                }
            }
        }
        self.lookup_calls.fetch_add(1, Relaxed);
        let (limit, inner, user) = (self.limit(), Arc::clone(&self.inner), username.to_owned());
        let (answer, _) = self.call("lookup", || {
            super::deadline::within("lookup", limit, move || inner.lookup(&user))?
                .map(OwnerState::from_host)
                .transpose()
        });
        let state = answer?;
        self.remember(username, state.clone(), now);
        Ok((state, true))
    }

    fn remember(&self, username: &str, state: Option<OwnerState>, now: u64) {
        let ttl = self.settings.read().owner_cache_seconds;
        if ttl == 0 {
            return;
        }
        let mut cache = self.cache.lock();
        if cache.len() >= MAX_CACHED_OWNERS && !cache.contains_key(username) {
            cache.retain(|_, c| now.saturating_sub(c.fetched_at) < ttl);
            if cache.len() >= MAX_CACHED_OWNERS {
                cache.clear();
            }
        }
        cache.insert(
            username.into(),
            Cached {
                state,
                fetched_at: now,
            },
        );
    }

    /// Drops this process's cached state of an owner.
    pub(crate) fn forget(&self, username: &str) {
        self.cache.lock().remove(username);
    }

    pub(crate) fn stats(&self) -> AccountsStats {
        AccountsStats {
            verify_calls: self.verify_calls.load(Relaxed),
            lookup_calls: self.lookup_calls.load(Relaxed),
            paced: self.paced.load(Relaxed),
            failures: self.failures.load(Relaxed),
            pace_target_us: u64::try_from(self.pace_target().as_micros()).unwrap_or(u64::MAX),
        }
    }
}
