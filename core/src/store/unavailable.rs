//! A store that is always down, for testing what clients and applications
//! see during an outage: every call fails, so every endpoint that needs the
//! store answers `503 temporarily_unavailable` with `Retry-After`.

use super::{
    CounterStore, CredentialStore, Failures, RefreshState, Rotation, RotationRequest, Store,
    StoreError, StoreStats, TokenKind, TokenRecord, TokenStore,
};
use crate::token::TokenHash;

/// Fails every call (configuration: `"store": {"type": "unavailable"}`).
#[derive(Debug, Default, Clone, Copy)]
pub struct UnavailableStore;

fn down<T>() -> Result<T, StoreError> {
    Err(StoreError::new("the store is configured as unavailable"))
}

impl TokenStore for UnavailableStore {
    fn insert_grant(
        &self,
        _: (TokenHash, TokenRecord),
        _: Option<(TokenHash, TokenRecord)>,
    ) -> Result<(), StoreError> {
        down()
    }
    fn access(&self, _: &TokenHash, _: u64) -> Result<Option<TokenRecord>, StoreError> {
        down()
    }
    fn refresh(&self, _: &TokenHash, _: u64) -> Result<Option<RefreshState>, StoreError> {
        down()
    }
    fn rotate(&self, _: &TokenHash, _: &RotationRequest<'_>) -> Result<Rotation, StoreError> {
        down()
    }
    fn remove(&self, _: TokenKind, _: &TokenHash) -> Result<Option<TokenRecord>, StoreError> {
        down()
    }
    fn revoke_grant(&self, _: TokenKind, _: &TokenHash) -> Result<(), StoreError> {
        down()
    }
}

impl CounterStore for UnavailableStore {
    fn update_counter(
        &self,
        _: &str,
        _: u64,
        _: u64,
        _: &mut dyn FnMut(Option<Failures>) -> Option<Failures>,
    ) -> Result<Option<Failures>, StoreError> {
        down()
    }
    fn counter(&self, _: &str) -> Result<Option<Failures>, StoreError> {
        down()
    }
}

impl CredentialStore for UnavailableStore {
    fn user_version(&self, _: &str) -> Result<u64, StoreError> {
        down()
    }
    fn revoke_user(&self, _: &str) -> Result<u64, StoreError> {
        down()
    }
    fn sync_credential(&self, _: &str, _: u64) -> Result<u64, StoreError> {
        down()
    }
}

impl Store for UnavailableStore {
    fn purge(&self, _: u64, _: u64) -> Result<usize, StoreError> {
        down()
    }
    fn stats(&self) -> Result<StoreStats, StoreError> {
        down()
    }
    fn replays(&self) -> Option<&dyn super::ReplayStore> {
        // Offered, and failing like everything else: a client taking DPoP
        // proofs gets the outage's 503, not a configuration error.
        Some(self)
    }

    fn may_block(&self) -> bool {
        false
    }
}

impl super::ReplayStore for UnavailableStore {
    fn first_use(&self, _: &[u8; 32], _: u64, _: u64) -> Result<bool, StoreError> {
        down()
    }
}
