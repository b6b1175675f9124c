//! Refresh-token rotation's rule, written once, above every store (RFC 9700
//! §4.14.2, and the grace window the README states): a store locks the
//! presented token, reports its state, and does the step decided here.

use crate::store::{RefreshRow, RotationRule, RotationStep, StoreError, Successors};

/// How many times one rotated refresh token may be retried within its
/// client's grace window (a response lost twice running); the next
/// presentation is reuse and revokes the grant.
pub const MAX_REFRESH_RETRIES: u32 = 2;

/// The rule for one presentation of a refresh token: by `client_id`, whose
/// grace window is `grace_seconds` (0: none).
#[derive(Clone, Copy, Debug)]
pub struct RefreshPolicy<'a> {
    /// The client presenting the token.
    pub client_id: &'a str,
    /// The client's refresh grace window in seconds (0: none).
    pub grace_seconds: u64,
}

impl RefreshPolicy<'_> {
    /// Whether a token rotated at `rotated_at` and retried `retries` times
    /// since may be retried once more at `now`: within the grace window
    /// (exclusive of its end; never with no window) and fewer than
    /// [`MAX_REFRESH_RETRIES`] retries.
    pub fn retry_allowed(&self, rotated_at: u64, retries: u32, now: u64) -> bool {
        now < rotated_at.saturating_add(self.grace_seconds) && retries < MAX_REFRESH_RETRIES
    }
}

impl RotationRule for RefreshPolicy<'_> {
    fn client_id(&self) -> &str {
        self.client_id
    }

    /// Another client's token changes nothing; a retired token (a successor
    /// a retry superseded) is reuse; past the grant's maximum age, nothing;
    /// an active token rotates; a rotated one is a retry when within the
    /// window, retried fewer than [`MAX_REFRESH_RETRIES`] times and its
    /// successor never used (asked only then), and reuse otherwise.
    fn decide(
        &self,
        row: &RefreshRow<'_>,
        now: u64,
        next: &Successors,
        successor_unused: &mut dyn FnMut() -> Result<bool, StoreError>,
    ) -> Result<RotationStep, StoreError> {
        if *row.record.client_id != *self.client_id {
            return Ok(RotationStep::WrongClient);
        }
        if row.retired {
            return Ok(RotationStep::Revoke);
        }
        if next.records(row.record).is_none() {
            return Ok(RotationStep::Invalid);
        }
        if !row.rotated {
            return Ok(RotationStep::Rotate);
        }
        if self.retry_allowed(row.rotated_at, row.retries, now) && successor_unused()? {
            return Ok(RotationStep::Retry);
        }
        Ok(RotationStep::Revoke)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{GrantId, TokenRecord};
    use crate::token::TokenHash;

    /// The rotation rule, case by case (each store applies it; the
    /// conformance suite shows each does).
    #[test]
    fn the_rotation_rule_case_by_case() {
        let record = TokenRecord {
            grant: GrantId([1; 16]),
            client_id: "app".into(),
            username: "u".into(),
            scope: "read".into(),
            issued_at: 100,
            expires_at: 10_000,
            user_version: 0,
            auth_time: 100,
            jkt: None,
        };
        let next = |max_session: Option<u64>| Successors {
            refresh: TokenHash([2; 32]),
            access: TokenHash([3; 32]),
            issued_at: 200,
            refresh_expires_at: 2_000,
            access_expires_at: 300,
            access_scope: None,
            max_session,
            access_jkt: None,
        };
        let row = |rotated, retired, rotated_at, retries| RefreshRow {
            record: &record,
            rotated,
            retired,
            rotated_at,
            retries,
        };
        let decide = |row: RefreshRow<'_>, client: &str, max: Option<u64>, unused: bool| {
            let mut asked = false;
            let rule = RefreshPolicy {
                client_id: client,
                grace_seconds: 30,
            };
            let step = rule
                .decide(&row, 200, &next(max), &mut || {
                    asked = true;
                    Ok(unused)
                })
                .unwrap();
            (step, asked)
        };
        use RotationStep::*;
        for (case, got, want) in [
            (
                "another client's",
                decide(row(false, false, 0, 0), "other", None, true),
                (WrongClient, false),
            ),
            (
                "active",
                decide(row(false, false, 0, 0), "app", None, true),
                (Rotate, false),
            ),
            (
                "past the maximum age",
                decide(row(false, false, 0, 0), "app", Some(50), true),
                (Invalid, false),
            ),
            (
                "retired",
                decide(row(false, true, 0, 0), "app", None, true),
                (Revoke, false),
            ),
            (
                "a retry",
                decide(row(true, false, 190, 0), "app", None, true),
                (Retry, true),
            ),
            (
                "successor used",
                decide(row(true, false, 190, 0), "app", None, false),
                (Revoke, true),
            ),
            (
                "past the window",
                decide(row(true, false, 170, 0), "app", None, true),
                (Revoke, false),
            ),
            (
                "retries spent",
                decide(
                    row(true, false, 190, MAX_REFRESH_RETRIES),
                    "app",
                    None,
                    true,
                ),
                (Revoke, false),
            ),
        ] {
            assert_eq!(got, want, "{case}");
        }
    }
}
