//! Account events that end a user's tokens everywhere, and store upkeep.

use super::{Owners, Server};
use crate::accounts::{AccountError, ConfigAccounts};
use crate::password::PasswordHashed;
use crate::store::StoreError;

impl Server {
    fn config_accounts(&self) -> Result<&ConfigAccounts, AccountError> {
        match &self.accounts {
            Owners::Config(users) => Ok(users),
            Owners::Host(_) => Err(AccountError::NotConfigured),
        }
    }

    /// Sets a configured user's password hash (a PHC string) and ends every
    /// token the user holds (RFC 9700 §4.14: revoke on security events), in
    /// every process that shares the store. The new hash is this process's:
    /// other workers load it with their configuration (see
    /// [`Server::config`] and [`Server::reload`]).
    /// [`AccountError::NotConfigured`] on host accounts.
    pub fn set_user_password_hash(
        &self,
        username: &str,
        password_hash: &str,
    ) -> Result<(), AccountError> {
        let users = self.config_accounts()?;
        let parsed = PasswordHashed::parse(password_hash).map_err(AccountError::InvalidHash)?;
        let username = &*users.resolve(username).ok_or(AccountError::UnknownUser)?;
        // Tokens end first: if the store cannot record that, nothing changes.
        self.store.call(|s| s.revoke_user(username))?;
        users.set_hash(username, parsed);
        self.user_tokens_ended(username, Some("password_changed"));
        Ok(())
    }

    fn user_tokens_ended(&self, username: &str, why: Option<&str>) {
        self.events
            .emit(crate::events::EventKind::UserTokensRevoked, |k| {
                let e = crate::events::Event::new(k, self.clock.now()).user(username);
                match why {
                    Some(why) => e.reason(why),
                    None => e,
                }
            });
    }

    /// Enables or disables a configured user; disabling ends every token
    /// the user holds. [`AccountError::NotConfigured`] on host accounts.
    pub fn set_user_enabled(&self, username: &str, enabled: bool) -> Result<(), AccountError> {
        let users = self.config_accounts()?;
        let username = &*users.resolve(username).ok_or(AccountError::UnknownUser)?;
        let was_enabled = users
            .is_enabled(username)
            .ok_or(AccountError::UnknownUser)?;
        if was_enabled && !enabled {
            self.store.call(|s| s.revoke_user(username))?;
            self.user_tokens_ended(username, Some("disabled"));
        }
        users.set_enabled(username, enabled);
        Ok(())
    }

    /// Ends every token a user holds, without changing the password, in
    /// every process that shares the store: call it when the host changes
    /// a password or disables someone. `Ok(false)` for a user the
    /// configuration does not list (configured users are found under any
    /// spelling of their name: see [`crate::fold_name`]); on host accounts
    /// every name is accepted (ropc cannot tell: pass the name tokens are
    /// issued to, [`crate::Owner::name`]) and this process's cached state
    /// of the owner is dropped too.
    pub fn revoke_user_tokens(&self, username: &str) -> Result<bool, StoreError> {
        let configured;
        let username = match &self.accounts {
            Owners::Config(users) => {
                let Some(name) = users.resolve(username) else {
                    return Ok(false);
                };
                configured = name;
                self.store.call(|s| s.revoke_user(&configured))?;
                &*configured
            }
            Owners::Host(host) => {
                self.store.call(|s| s.revoke_user(username))?;
                host.forget(username);
                username
            }
        };
        self.user_tokens_ended(username, None);
        Ok(true)
    }

    /// Drops this process's cached state of an owner (host accounts), so
    /// that the next check asks the host: for a change that need not end
    /// tokens, such as new groups. Nothing to do on configured users.
    pub fn forget_owner(&self, username: &str) {
        if let Owners::Host(host) = &self.accounts {
            host.forget(username);
        }
    }
}
