//! Whether the owner behind a token still stands here.

use super::{Owners, Server};
use crate::error::OAuthError;
use crate::registry::Registry;
use crate::store::TokenRecord;

impl Server {
    /// `f` of the groups of the owner behind a token, if it still stands
    /// here: exists and is enabled, and the client it was issued to is
    /// still configured. (Credential versions, which end tokens everywhere,
    /// are the store's to check.) `Err` when the host's accounts failed.
    pub(super) fn owner_of<R>(
        &self,
        reg: &Registry,
        record: &TokenRecord,
        f: impl FnOnce(&[Box<str>]) -> R,
    ) -> Result<Option<R>, OAuthError> {
        self.with_owner(
            reg,
            &record.client_id,
            &record.username,
            record.user_version,
            f,
        )
    }

    /// [`Server::owner_of`] a token of `client_id`, `username` and
    /// `user_version`.
    pub(super) fn with_owner<R>(
        &self,
        reg: &Registry,
        client_id: &str,
        username: &str,
        user_version: u64,
        f: impl FnOnce(&[Box<str>]) -> R,
    ) -> Result<Option<R>, OAuthError> {
        if !reg.clients.contains_key(client_id) {
            return Ok(None);
        }
        match &self.accounts {
            Owners::Config(users) => Ok(users.with_groups(username, f)),
            Owners::Host(host) => {
                let (state, fresh) = host.state(username, self.clock.now())?;
                let Some(state) = state.filter(|s| s.enabled) else {
                    return Ok(None);
                };
                if let (true, Some(c)) = (fresh, state.credential) {
                    // A credential changed in the host since the token was
                    // issued ends it (and every older token, everywhere).
                    if self.store.call(|s| s.sync_credential(username, c))? != user_version {
                        return Ok(None);
                    }
                }
                Ok(Some(f(&state.groups)))
            }
        }
    }
}

/// An owner's groups, copied out of what [`Server::with_owner`] lends.
pub(super) fn owned_groups(groups: &[Box<str>]) -> Vec<String> {
    // String::from, not to_string: the latter goes through fmt, a
    // measurable share of a check.
    groups.iter().map(|g| String::from(&**g)).collect()
}
