//! Stage 5 in process: the resource server's check against this server.

use super::*;

impl Server {
    /// Stage 5: whether `access_token` may be used on `resource` (and has
    /// `required_scope`, if given). Checks the token is active, the resource
    /// is within one of its scopes, and the access rules let its owner in.
    pub fn check(
        &self,
        access_token: &str,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<Principal, OAuthError> {
        check_arguments(resource, required_scope)?;
        let invalid = || OAuthError::invalid_token(BAD_ACCESS);
        if !looks_like_token(access_token) {
            return Err(invalid());
        }
        let record = self
            .store
            .access(&TokenHash::of(access_token), self.clock.now())?
            .ok_or_else(invalid)?;
        let groups = self.user_current(&record).ok_or_else(invalid)?;
        let scopes = self.registry.scope_set_of(&record.scope);
        authorize(
            &self.registry,
            &record.username,
            &groups,
            &scopes,
            resource,
            required_scope,
        )?;
        // String::from, not to_string: the latter goes through fmt, a
        // measurable share of a check.
        Ok(Principal {
            username: String::from(&*record.username),
            client_id: String::from(&*record.client_id),
            scopes: scopes
                .iter()
                .map(|id| String::from(&*self.registry.scopes[id].name))
                .collect(),
            groups: groups.iter().map(|g| String::from(&**g)).collect(),
            expires_at: record.expires_at,
        })
    }

    /// [`Server::check`] from a request's `Authorization` header, with the
    /// RFC 6750 response ready when the answer is no.
    pub fn check_request(
        &self,
        authorization: Option<&str>,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<Principal, Refusal> {
        let token = bearer(authorization, self.realm())?;
        self.check(&token, resource, required_scope)
            .map_err(|e| Refusal::new(Some(e), self.realm()))
    }
}
