//! Finding a presented token in the store, as introspection, revocation
//! and the check read it.

use super::Server;
use crate::registry::Registry;
use crate::scope::ScopeSet;
use crate::store::{GrantId, RefreshState, StoreError, TokenKind, TokenView};
use crate::token::{looks_like_access_token, TokenHash};

/// `token_type_hint` values (RFC 7009 §2.1, RFC 7662 §2.1); anything else
/// is ignored and every type is searched.
pub(super) fn search_order(hint: Option<&str>) -> [TokenKind; 2] {
    if hint == Some("refresh_token") {
        [TokenKind::Refresh, TokenKind::Access]
    } else {
        [TokenKind::Access, TokenKind::Refresh]
    }
}

/// A live token as a check, an introspection or a revocation reads it,
/// copied out of the store. An access token is lent
/// ([`Store::access_with`]), so no `Arc` that a client's or user's tokens
/// share is counted up and down by threads reading at once.
pub(super) struct Found {
    pub(super) kind: TokenKind,
    pub(super) hash: TokenHash,
    /// A rotated refresh token is live only to detect reuse.
    pub(super) usable: bool,
    pub(super) grant: GrantId,
    pub(super) client_id: String,
    pub(super) username: String,
    pub(super) scope: ScopeSet,
    pub(super) issued_at: u64,
    pub(super) expires_at: u64,
    pub(super) user_version: u64,
    pub(super) auth_time: u64,
    /// The DPoP key an access token is bound to.
    pub(super) jkt: Option<String>,
}

impl Found {
    pub(super) fn of(
        kind: TokenKind,
        hash: TokenHash,
        usable: bool,
        t: TokenView<'_>,
        reg: &Registry,
    ) -> Found {
        // String::from, not to_string: the latter goes through fmt, a
        // measurable share of a check.
        Found {
            kind,
            hash,
            usable,
            grant: t.grant,
            client_id: String::from(t.client_id),
            username: String::from(t.username),
            scope: reg.scope_set_of(t.scope),
            issued_at: t.issued_at,
            expires_at: t.expires_at,
            user_version: t.user_version,
            auth_time: t.auth_time,
            jkt: t.jkt.map(String::from),
        }
    }
}

impl Server {
    /// A live token of either kind.
    pub(super) fn find(
        &self,
        reg: &Registry,
        token: &str,
        hint: Option<&str>,
    ) -> Result<Option<Found>, StoreError> {
        if !looks_like_access_token(token) {
            return Ok(None);
        }
        let hash = TokenHash::of(token);
        let now = self.clock.now();
        for kind in search_order(hint) {
            let mut found = None;
            match kind {
                TokenKind::Access => found = self.lent_access(reg, hash, now)?,
                TokenKind::Refresh => {
                    if let Some(state) = self.store.call(|s| s.refresh(&hash, now))? {
                        let (r, usable) = match &state {
                            RefreshState::Active(r) => (r, true),
                            RefreshState::Rotated(r) | RefreshState::Retired(r) => (r, false),
                        };
                        found = Some(Found::of(kind, hash, usable, r.view(), reg));
                    }
                }
            }
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// A live access token, copied out of the store's lent record.
    pub(super) fn lent_access(
        &self,
        reg: &Registry,
        hash: TokenHash,
        now: u64,
    ) -> Result<Option<Found>, StoreError> {
        let mut found = None;
        self.store.call(|s| {
            s.access_with(&hash, now, &mut |t| {
                found = Some(Found::of(TokenKind::Access, hash, true, t, reg));
            })
        })?;
        Ok(found)
    }
}
