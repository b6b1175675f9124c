//! Introspection (RFC 7662) and revocation (RFC 7009).

use super::*;
use crate::events::{Event, EventKind};

impl Server {
    /// A live token of either kind.
    fn find(
        &self,
        reg: &Registry,
        token: &str,
        hint: Option<&str>,
    ) -> Result<Option<Found>, StoreError> {
        if !looks_like_token(token) {
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
        let Some(found) = self.find(&reg, token, hint)? else {
            return inactive();
        };
        if !found.usable || !(caller.introspect || *found.client_id == *caller.id) {
            return inactive();
        }
        let Some(groups) = self.with_owner(
            &reg,
            &found.client_id,
            &found.username,
            found.user_version,
            owned_groups,
        )?
        else {
            return inactive();
        };
        self.events.emit(EventKind::Introspected, |k| {
            Event::new(k, now)
                .client(&caller.id)
                .user(&found.username)
                .grant(&found.grant)
                .reason("active")
        });
        Ok(Introspection {
            active: true,
            scope: Some(reg.scope_string(&found.scope)),
            token_type: Some(if found.kind == TokenKind::Access {
                "Bearer"
            } else {
                "refresh_token"
            }),
            exp: Some(found.expires_at),
            iat: Some(found.issued_at),
            sub: Some(found.username.clone()),
            iss: reg.config.issuer.clone(),
            groups: Some(groups),
            auth_time: Some(found.auth_time),
            session_exp: reg
                .clients
                .get(&*found.client_id)
                .and_then(|c| c.max_session)
                .map(|m| found.auth_time.saturating_add(m)),
            client_id: Some(found.client_id),
            username: Some(found.username),
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
        let Some(Found {
            kind,
            hash,
            client_id,
            username,
            grant,
            ..
        }) = self.find(&reg, token, hint)?
        else {
            return Ok(());
        };
        if *client_id != *caller.id {
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
            TokenKind::Refresh => self.store.call(|s| s.revoke_grant(kind, &hash))?,
            TokenKind::Access => {
                self.store.call(|s| s.remove(kind, &hash))?;
            }
        }
        self.events.emit(EventKind::TokenRevoked, |k| {
            Event::new(k, self.clock.now())
                .client(&caller.id)
                .user(&username)
                .grant(&grant)
                .reason(if kind == TokenKind::Refresh {
                    "refresh_token"
                } else {
                    "access_token"
                })
        });
        Ok(())
    }
}
