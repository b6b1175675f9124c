//! The refresh_token grant (RFC 6749 §6) with rotation and reuse detection
//! (RFC 9700 §4.14.2); the rule itself is crate::rotation.

use super::TokenResponse;
use crate::error::OAuthError;
use crate::events::{Event, EventKind};
use crate::http::ClientCredentials;
use crate::metrics::Operation;
use crate::server::owners::owned_groups;
use crate::server::{Owners, Server, BAD_REFRESH};
use crate::store::{RefreshState, Rotation, RotationRequest, Successors, TokenKind};
use crate::token::{looks_like_token, mint_two, TokenHash};

impl Server {
    /// The refresh_token grant (RFC 6749 §6) with rotation (RFC 9700 §4.14):
    /// the token is exchanged for a new one; presenting it again revokes its
    /// whole grant. The scope may narrow, never widen.
    pub fn refresh_grant(
        &self,
        client: &ClientCredentials,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> Result<TokenResponse, OAuthError> {
        self.refresh_grant_for(client, refresh_token, scope, &[], None)
    }

    /// [`Server::refresh_grant`] for the RFC 8707 `resource`s of a token
    /// request (the new JWT's `aud`; none: the client's whole audience)
    /// and its DPoP proof (RFC 9449 §5: the new access token is bound to
    /// the proof's key; a confidential client's refresh token never is).
    pub(crate) fn refresh_grant_for(
        &self,
        client: &ClientCredentials,
        refresh_token: &str,
        scope: Option<&str>,
        resources: &[&str],
        dpop: Option<&str>,
    ) -> Result<TokenResponse, OAuthError> {
        self.counted(Operation::Refresh, || {
            let reg = self.registry.load();
            let client = Self::authenticate(&reg, client)?;
            if !client.refresh_grant {
                return Err(OAuthError::unauthorized_client(
                    "this client is not allowed the refresh_token grant",
                ));
            }
            if refresh_token.is_empty() {
                return Err(OAuthError::invalid_request(
                    "the parameter refresh_token is missing",
                ));
            }
            let audience = Self::audience_for(client, resources)?;
            let invalid = || OAuthError::invalid_grant(BAD_REFRESH);
            if !looks_like_token(refresh_token) {
                return Err(invalid());
            }
            let hash = TokenHash::of(refresh_token);
            let now = self.clock.now();
            let [(new_refresh, new_refresh_hash), (mut new_access, new_access_hash)] = mint_two();
            let mut next = Successors {
                refresh: new_refresh_hash,
                access: new_access_hash,
                issued_at: now,
                refresh_expires_at: now.saturating_add(client.refresh_ttl),
                access_expires_at: now.saturating_add(client.access_ttl),
                access_scope: None,
                max_session: client.max_session,
                // Checked before anything is spent: a bad proof leaves the
                // client its refresh token.
                access_jkt: self.dpop_key(&reg, client, dpop)?,
            };
            let host_accounts = matches!(self.accounts, Owners::Host(_));
            if scope.is_some() || host_accounts || client.jwt {
                // Narrowing needs the scope granted originally, and a host's
                // owner is asked before the token is spent (a host failure
                // must leave the client its token): one read first.
                // A rotated token goes on to the swap, which tells a retry
                // within the grace window from reuse (and revokes on reuse).
                let record = match self.store.call(|s| s.refresh(&hash, now))? {
                    // A retired one goes on too: the swap revokes its grant.
                    Some(
                        RefreshState::Active(r) | RefreshState::Rotated(r) | RefreshState::Retired(r),
                    ) if *r.client_id == *client.id => r,
                    _ => return Err(invalid()),
                };
                if let Some(requested) = scope {
                    let granted = reg.scope_set_of(&record.scope);
                    let narrowed =
                        Self::scope_within(&reg, requested, &granted, "was not granted originally")?;
                    next.access_scope = Some(reg.scope_string(&narrowed).into());
                }
                if host_accounts && self.owner_of(&reg, &record, |_| ())?.is_none() {
                    self.store
                        .call(|s| s.revoke_grant(TokenKind::Refresh, &hash))?;
                    return Err(invalid());
                }
                if client.jwt {
                    // A new JWT for the new access token, minted before the
                    // swap stores its hash: the grant's subject, scope and
                    // sign-in time, its maximum age bounding it.
                    let scope = match &next.access_scope {
                        Some(narrowed) => narrowed.to_string(),
                        None => reg.scope_string(&reg.scope_set_of(&record.scope)),
                    };
                    let end = next.session_end(&record).unwrap_or(u64::MAX);
                    let groups = self.owner_of(&reg, &record, owned_groups)?;
                    let (jwt, jwt_hash) = self.mint_jwt(
                        &reg,
                        client,
                        audience.as_deref(),
                        next.access_jkt.as_deref(),
                        &record.username,
                        &scope,
                        groups,
                        now,
                        next.access_expires_at.min(end),
                        record.auth_time,
                    )?;
                    new_access = jwt;
                    next.access = jwt_hash;
                }
            }
            // The swap decides everything else in one store operation (on
            // PostgreSQL, one statement): the token is active and this client's,
            // or it was rotated before (reuse: the store revokes the lineage),
            // or it is not a live token.
            let rule = crate::rotation::RefreshPolicy {
                client_id: &client.id,
                grace_seconds: client.refresh_grace,
            };
            let request = RotationRequest {
                now,
                next: &next,
                rule: &rule,
            };
            let rotation = self.store.call(|s| s.rotate(&hash, &request))?;
            self.metrics.rotation(&rotation);
            match &rotation {
                Rotation::Rotated(old) | Rotation::Retried(old) => {
                    let kind = if matches!(rotation, Rotation::Retried(_)) {
                        EventKind::RefreshRetried
                    } else {
                        EventKind::TokenRefreshed
                    };
                    self.events.emit(kind, |k| {
                        Event::new(k, now)
                            .client(&client.id)
                            .user(&old.username)
                            .grant(&old.grant)
                    });
                }
                Rotation::Reused(old) => self.events.emit(EventKind::RefreshReuse, |k| {
                    Event::new(k, now)
                        .client(&client.id)
                        .user(&old.username)
                        .grant(&old.grant)
                }),
                _ => {}
            }
            let old = match rotation {
                Rotation::Rotated(old) => old,
                Rotation::Retried(old) => {
                    log::info!(
                        target: "ropc::refresh",
                        "a rotated refresh token of {:?} came back within client {:?}'s grace window: its unused successor is retired and a new pair issued",
                        &*old.username,
                        &*client.id
                    );
                    old
                }
                Rotation::Reused(_) => {
                    log::warn!(
                        target: "ropc::refresh",
                        "a rotated or retired refresh token was presented again by client {:?}: its grant is revoked (RFC 9700 §4.14.2)",
                        &*client.id
                    );
                    return Err(invalid());
                }
                Rotation::WrongClient | Rotation::Invalid => return Err(invalid()),
            };
            if !host_accounts && self.owner_of(&reg, &old, |_| ())?.is_none() {
                // The owner no longer stands here (removed or disabled): end the
                // grant, successors included.
                self.store
                    .call(|s| s.revoke_grant(TokenKind::Refresh, &next.refresh))?;
                return Err(invalid());
            }
            // The grant's maximum age may end the new access token early.
            let end = next.session_end(&old).unwrap_or(u64::MAX);
            let scope = match next.access_scope {
                Some(narrowed) => narrowed.to_string(),
                None => reg.scope_string(&reg.scope_set_of(&old.scope)),
            };
            Ok(TokenResponse {
                access_token: new_access,
                token_type: super::token_type(next.access_jkt.is_some()),
                expires_in: client.access_ttl.min(end.saturating_sub(now)),
                refresh_token: Some(new_refresh),
                scope,
            })
        })
    }
}
