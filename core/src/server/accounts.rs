//! Account events that end a user's tokens everywhere, and store upkeep.

use super::*;

impl Server {
    /// Sets a user's password hash (a PHC string) and ends every token the
    /// user holds (RFC 9700 §4.14: revoke on security events), in every
    /// process that shares the store. The new hash is this process's: other
    /// workers load it with their configuration (see [`Server::config`]).
    pub fn set_user_password_hash(
        &self,
        username: &str,
        password_hash: &str,
    ) -> Result<(), AccountError> {
        let parsed = PasswordHashed::parse(password_hash).map_err(AccountError::InvalidHash)?;
        if !self.users.read().contains_key(username) {
            return Err(AccountError::UnknownUser);
        }
        // Tokens end first: if the store cannot record that, nothing changes.
        self.store.revoke_user(username)?;
        if let Some(user) = self.users.write().get_mut(username) {
            user.hash = parsed;
        }
        Ok(())
    }

    /// Enables or disables a user; disabling ends every token the user holds.
    pub fn set_user_enabled(&self, username: &str, enabled: bool) -> Result<(), AccountError> {
        let was_enabled = self
            .users
            .read()
            .get(username)
            .map(|u| u.enabled)
            .ok_or(AccountError::UnknownUser)?;
        if was_enabled && !enabled {
            self.store.revoke_user(username)?;
        }
        if let Some(user) = self.users.write().get_mut(username) {
            user.enabled = enabled;
        }
        Ok(())
    }

    /// Ends every token a user holds, without changing the password, in
    /// every process that shares the store. `Ok(false)` for an unknown user.
    pub fn revoke_user_tokens(&self, username: &str) -> Result<bool, StoreError> {
        if !self.users.read().contains_key(username) {
            return Ok(false);
        }
        self.store.revoke_user(username)?;
        Ok(true)
    }

    /// Drops expired tokens and stale counters now, in bounded batches (the
    /// store also does so as it goes).
    pub fn purge_expired(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        self.store.purge(
            now,
            now.saturating_sub(self.registry.config.throttle.forget_after_seconds),
        )
    }

    /// Counts from the store.
    pub fn stats(&self) -> Result<StoreStats, StoreError> {
        self.store.stats()
    }
}
