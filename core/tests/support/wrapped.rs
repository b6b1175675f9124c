//! A memory store behind a hook that sees every call first, by the name of
//! the `Store` method: a test counts calls or fails them without writing
//! the whole trait out again.

use ropc_core::*;

/// What a [`Wrapped`] store runs before each call; an error is the call's.
pub trait Before: Send + Sync {
    fn before(&self, call: &'static str) -> Result<(), StoreError>;
}

/// A [`MemoryStore`] whose every call goes through `hook` first.
#[derive(Default)]
pub struct Wrapped<H> {
    pub inner: MemoryStore,
    pub hook: H,
}

impl<H: Before> Store for Wrapped<H> {
    fn insert_grant(
        &self,
        access: (TokenHash, TokenRecord),
        refresh: Option<(TokenHash, TokenRecord)>,
    ) -> Result<(), StoreError> {
        self.hook.before("insert_grant")?;
        self.inner.insert_grant(access, refresh)
    }
    fn access(&self, hash: &TokenHash, now: u64) -> Result<Option<TokenRecord>, StoreError> {
        self.hook.before("access")?;
        self.inner.access(hash, now)
    }
    fn access_with(
        &self,
        hash: &TokenHash,
        now: u64,
        read: &mut dyn FnMut(TokenView<'_>),
    ) -> Result<bool, StoreError> {
        self.hook.before("access_with")?;
        self.inner.access_with(hash, now, read)
    }
    fn refresh(&self, hash: &TokenHash, now: u64) -> Result<Option<RefreshState>, StoreError> {
        self.hook.before("refresh")?;
        self.inner.refresh(hash, now)
    }
    fn rotate(
        &self,
        old: &TokenHash,
        client_id: &str,
        now: u64,
        next: &Successors,
    ) -> Result<Rotation, StoreError> {
        self.hook.before("rotate")?;
        self.inner.rotate(old, client_id, now, next)
    }
    fn remove(&self, kind: TokenKind, hash: &TokenHash) -> Result<Option<TokenRecord>, StoreError> {
        self.hook.before("remove")?;
        self.inner.remove(kind, hash)
    }
    fn revoke_grant(&self, kind: TokenKind, hash: &TokenHash) -> Result<(), StoreError> {
        self.hook.before("revoke_grant")?;
        self.inner.revoke_grant(kind, hash)
    }
    fn login_attempt(
        &self,
        account: &str,
        username: &str,
        now: u64,
        policy: &ThrottleConfig,
    ) -> Result<LoginAttempt, StoreError> {
        self.hook.before("login_attempt")?;
        self.inner.login_attempt(account, username, now, policy)
    }
    fn user_version(&self, username: &str) -> Result<u64, StoreError> {
        self.hook.before("user_version")?;
        self.inner.user_version(username)
    }
    fn login_finished(
        &self,
        account: &str,
        now: u64,
        succeeded: bool,
    ) -> Result<Option<Failures>, StoreError> {
        self.hook.before("login_finished")?;
        self.inner.login_finished(account, now, succeeded)
    }
    fn failures(&self, account: &str) -> Result<Option<Failures>, StoreError> {
        self.hook.before("failures")?;
        self.inner.failures(account)
    }
    fn revoke_user(&self, username: &str) -> Result<u64, StoreError> {
        self.hook.before("revoke_user")?;
        self.inner.revoke_user(username)
    }
    fn sync_credential(&self, username: &str, credential: u64) -> Result<u64, StoreError> {
        self.hook.before("sync_credential")?;
        self.inner.sync_credential(username, credential)
    }
    fn purge(&self, now: u64, forget_before: u64) -> Result<usize, StoreError> {
        self.hook.before("purge")?;
        self.inner.purge(now, forget_before)
    }
    fn stats(&self) -> Result<StoreStats, StoreError> {
        self.hook.before("stats")?;
        self.inner.stats()
    }
}
