//! Introspection (RFC 7662) and revocation (RFC 7009).

use super::*;
use crate::events::{Event, EventKind};

impl Server {
    /// A live token of either kind (and whether it is usable: a rotated
    /// refresh token is live only to detect reuse).
    fn find(
        &self,
        token: &str,
        hint: Option<&str>,
    ) -> Result<Option<(TokenKind, TokenHash, TokenRecord, bool)>, StoreError> {
        if !looks_like_token(token) {
            return Ok(None);
        }
        let hash = TokenHash::of(token);
        let now = self.clock.now();
        for kind in search_order(hint) {
            let found = match kind {
                TokenKind::Access => self.store.access(&hash, now)?.map(|r| (r, true)),
                TokenKind::Refresh => self.store.refresh(&hash, now)?.map(|s| match s {
                    RefreshState::Active(r) => (r, true),
                    RefreshState::Rotated(r) | RefreshState::Retired(r) => (r, false),
                }),
            };
            if let Some((record, usable)) = found {
                return Ok(Some((kind, hash, record, usable)));
            }
        }
        Ok(None)
    }

    /// The work of [`Server::introspect`], uncounted (the endpoints count it).
    pub(crate) fn introspect_impl(
        &self,
        caller: &ClientCredentials,
        token: &str,
        hint: Option<&str>,
    ) -> Result<Introspection, OAuthError> {
        let reg = self.registry.load();
        let caller = Self::authenticate(&reg, caller)?;
        let now = self.clock.now();
        let inactive = || {
            self.events.emit(EventKind::Introspected, |k| {
                Event::new(k, now).client(&caller.id).reason("inactive")
            });
            Ok(Introspection::default())
        };
        let Some((kind, _, record, usable)) = self.find(token, hint)? else {
            return inactive();
        };
        if !usable || !(caller.introspect || *record.client_id == *caller.id) {
            return inactive();
        }
        let Some(groups) = self.owner_of(&reg, &record, |g| {
            g.iter().map(|g| g.to_string()).collect::<Vec<_>>()
        })?
        else {
            return inactive();
        };
        self.events.emit(EventKind::Introspected, |k| {
            Event::new(k, now)
                .client(&caller.id)
                .user(&record.username)
                .grant(&record.grant)
                .reason("active")
        });
        Ok(Introspection {
            active: true,
            scope: Some(reg.scope_string(&reg.scope_set_of(&record.scope))),
            client_id: Some(record.client_id.to_string()),
            username: Some(record.username.to_string()),
            token_type: Some(if kind == TokenKind::Access {
                "Bearer"
            } else {
                "refresh_token"
            }),
            exp: Some(record.expires_at),
            iat: Some(record.issued_at),
            sub: Some(record.username.to_string()),
            iss: reg.config.issuer.clone(),
            groups: Some(groups),
            auth_time: Some(record.auth_time),
            session_exp: reg
                .clients
                .get(&*record.client_id)
                .and_then(|c| c.max_session)
                .map(|m| record.auth_time.saturating_add(m)),
        })
    }

    /// The work of [`Server::revoke`], uncounted (the endpoints count it).
    pub(crate) fn revoke_impl(
        &self,
        caller: &ClientCredentials,
        token: &str,
        hint: Option<&str>,
    ) -> Result<(), OAuthError> {
        let reg = self.registry.load();
        let caller = Self::authenticate(&reg, caller)?;
        let Some((kind, hash, record, _)) = self.find(token, hint)? else {
            return Ok(());
        };
        if *record.client_id != *caller.id {
            // RFC 7009 §2.1 says to refuse, but a refusal here and a success
            // for an unknown token would tell any client whether a token it
            // holds is live. The answer is the unknown token's (§2.2: 200),
            // nothing is revoked, and the operator hears of it.
            log::warn!(
                target: "ropc::revocation",
                "client {:?} asked to revoke a token issued to another client; nothing was revoked",
                &*caller.id
            );
            return Ok(());
        }
        match kind {
            TokenKind::Refresh => self.store.revoke_grant(kind, &hash)?,
            TokenKind::Access => {
                self.store.remove(kind, &hash)?;
            }
        }
        self.events.emit(EventKind::TokenRevoked, |k| {
            Event::new(k, self.clock.now())
                .client(&caller.id)
                .user(&record.username)
                .grant(&record.grant)
                .reason(if kind == TokenKind::Refresh {
                    "refresh_token"
                } else {
                    "access_token"
                })
        });
        Ok(())
    }
}
