//! The password grant (RFC 6749 §4.3), with the throttle (RFC 6749 §10.10,
//! RFC 9700 §2.4).

use super::TokenResponse;
use crate::accounts::Checked;
use crate::error::OAuthError;
use crate::events::{Event, EventKind};
use crate::http::ClientCredentials;
use crate::metrics::Operation;
use crate::names::MAX_NAME_BYTES;
use crate::password::MAX_PASSWORD_BYTES;
use crate::server::{busy, Owners, Server, BAD_CREDENTIALS};
use crate::throttle::Verdict;

impl Server {
    /// The password grant (RFC 6749 §4.3). Checks, in order: the client, its
    /// right to the grant, the scope, the throttle, the password; so a
    /// client that may not use the grant never causes a password check.
    pub fn password_grant(
        &self,
        client: &ClientCredentials,
        username: &str,
        password: &str,
        scope: Option<&str>,
    ) -> Result<TokenResponse, OAuthError> {
        self.password_grant_for(client, username, password, scope, &[], None)
    }

    /// [`Server::password_grant`] for the RFC 8707 `resource`s of a token
    /// request (the JWT's `aud`; none: the client's whole audience) and its
    /// DPoP proof (RFC 9449), if any.
    pub(crate) fn password_grant_for(
        &self,
        client: &ClientCredentials,
        username: &str,
        password: &str,
        scope: Option<&str>,
        resources: &[&str],
        dpop: Option<&str>,
    ) -> Result<TokenResponse, OAuthError> {
        self.counted(Operation::Password, || {
            let reg = self.registry.load();
            let client = Self::authenticate(&reg, client)?;
            if !client.password_grant {
                return Err(OAuthError::unauthorized_client(
                    "this client is not allowed the password grant",
                ));
            }
            if username.is_empty() || password.is_empty() {
                return Err(OAuthError::invalid_request(
                    "username and password are required",
                ));
            }
            if username.len() > MAX_NAME_BYTES {
                // Before any work: no configured name is longer, and an
                // attacker's 60 KB names must not cost counters their size.
                return Err(OAuthError::invalid_request(format!(
                    "the username is longer than {MAX_NAME_BYTES} bytes"
                )));
            }
            if crate::names::has_control(username) {
                // No account has such a name (configured names cannot), and a
                // host's directory or database must never see one.
                return Err(OAuthError::invalid_request(
                    "the username contains control characters",
                ));
            }
            let scopes = Self::scope_for(&reg, client, scope)?;
            let audience = Self::audience_for(client, resources)?;
            let jkt = self.dpop_key(&reg, client, dpop)?;
            if password.len() > MAX_PASSWORD_BYTES {
                return Err(OAuthError::invalid_request(format!(
                    "the password is longer than {MAX_PASSWORD_BYTES} bytes"
                )));
            }
            let started = match &self.accounts {
                Owners::Host(host) => Some(host.started()),
                Owners::Config(_) => None,
            };
            // A place on the bounded argon2 pool first: when it is full the
            // request is answered 503 before anything is counted or changed.
            let permit = match &self.accounts {
                Owners::Config(_) => Some(crate::password::reserve().map_err(busy)?),
                Owners::Host(_) => None,
            };
            let pace = || {
                if let (Owners::Host(host), Some(started)) = (&self.accounts, started) {
                    host.pace(started);
                }
            };
            // Counters are kept per name whether or not the account exists, so
            // a lock-out says nothing about which accounts exist. The attempt is
            // counted before the password is checked, in one atomic store
            // operation: concurrent guesses, in any number of processes sharing
            // the store, never get more checks than the throttle allows.
            //
            // One account, one counter: every spelling a directory would match
            // (case, spacing, Unicode form) counts on the folded name, and a
            // configured user is found under any of them and issued tokens
            // under the name as configured.
            let counter = crate::accounts::fold_name(username);
            let configured = match &self.accounts {
                Owners::Config(users) => users.resolve(username),
                Owners::Host(_) => None,
            };
            let expected: &str = configured.as_deref().unwrap_or(username);
            let now = self.clock.now();
            let policy = &reg.config.throttle;
            let verdict = self
                .store
                .call(|s| crate::throttle::attempt(s, &counter, now, policy))?;
            // Read before the password is checked, whatever the verdict: a
            // revocation during the check ends the token this grant issues.
            let version = self.store.call(|s| s.user_version(expected))?;
            match verdict {
                Verdict::Proceed => {}
                Verdict::Locked => {
                    // Exactly like a wrong password, in body and in work (one
                    // argon2 verification, or the host's paced time), as
                    // Keycloak does for direct grants: the attacker learns
                    // nothing; the operator learns from the log.
                    match (&self.accounts, permit) {
                        (Owners::Config(users), Some(permit)) => users.refuse(permit, password),
                        _ => pace(),
                    }
                    log::warn!(target: "ropc::throttle", "sign-in refused: the account {expected:?} is locked");
                    self.metrics.locked_refusal();
                    self.events.emit(EventKind::LoginFailed, |k| {
                        Event::new(k, now)
                            .client(&client.id)
                            .user(expected)
                            .reason("locked")
                    });
                    return Err(OAuthError::invalid_grant(BAD_CREDENTIALS));
                }
                Verdict::Busy => {
                    return Err(OAuthError::temporarily_unavailable(
                        "too many sign-ins for this account are in progress; retry shortly",
                    ))
                }
            }
            let mut credential = None;
            let mut host_name = None;
            let mut refused = "refused";
            let mut rehashed = None;
            let verified = match (&self.accounts, permit) {
                (Owners::Config(users), Some(permit)) => {
                    Ok(match users.check(permit, expected, password) {
                        Ok((_, phc)) => {
                            rehashed = phc;
                            true
                        }
                        Err(why) => {
                            refused = why;
                            false
                        }
                    })
                }
                (Owners::Config(_), None) => Ok(false),
                (Owners::Host(host), _) => host.verify(username, password, now).map(|c| match c {
                    Checked::Verified {
                        credential: c,
                        name,
                    } => {
                        credential = c;
                        host_name = name;
                        true
                    }
                    Checked::Refused => false,
                }),
            };
            // Every outcome makes the same store call; a host failure counts
            // as a failed attempt, so that failing the host buys no guesses.
            let mut ok = *verified.as_ref().unwrap_or(&false);
            // A host that names the account otherwise than it was typed (sign-in
            // by e-mail address, say): that name's own lock holds too.
            if let Some(name) = host_name.as_deref().filter(|_| ok) {
                let own = crate::accounts::fold_name(name);
                if own != counter
                    && self
                        .store
                        .call(|s| crate::throttle::is_locked(s, &own, now, policy))?
                {
                    ok = false;
                    refused = "locked";
                }
            }
            let subject: &str = host_name.as_deref().unwrap_or(expected);
            // Whether this sign-in ends a lock (read only when events are wanted).
            let was_locked = ok
                && self.events.wants(EventKind::AccountUnlocked)
                && self
                    .store
                    .call(|s| s.counter(&counter))?
                    .is_some_and(|f| f.count >= policy.max_failures);
            let after = self
                .store
                .call(|s| crate::throttle::finished(s, &counter, now, ok, policy))?;
            if !ok {
                let err = match verified {
                    Err(e) => {
                        refused = "host_error";
                        OAuthError::from(e)
                    }
                    Ok(_) => {
                        pace();
                        OAuthError::invalid_grant(BAD_CREDENTIALS)
                    }
                };
                self.events.emit(EventKind::LoginFailed, |k| {
                    Event::new(k, now)
                        .client(&client.id)
                        .user(subject)
                        .reason(refused)
                });
                // An admitted attempt that fails at or past the limit locks the
                // account from now (the first lock, or again after the one try
                // a lock that ran out lets through).
                if after.is_some_and(|f| f.count >= reg.config.throttle.max_failures) {
                    self.metrics.lockout();
                    self.events.emit(EventKind::AccountLocked, |k| {
                        Event::new(k, now).client(&client.id).user(subject)
                    });
                }
                return Err(err);
            }
            pace();
            if was_locked {
                self.events.emit(EventKind::AccountUnlocked, |k| {
                    Event::new(k, now).client(&client.id).user(subject)
                });
            }
            if let Some(phc) = rehashed {
                self.events.emit(EventKind::PasswordRehashed, |k| {
                    Event::new(k, now).user(subject).hash(phc)
                });
            }
            // A credential the host reports as changed ends the older tokens;
            // the new one is issued on the version after it.
            let user_version = match credential {
                Some(c) => self.store.call(|s| s.sync_credential(subject, c))?,
                None if subject != expected => self.store.call(|s| s.user_version(subject))?,
                None => version,
            };
            self.issue(
                &reg,
                client,
                subject,
                user_version,
                scopes,
                audience.as_deref(),
                jkt,
            )
        })
    }
}
