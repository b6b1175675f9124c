//! What makes a name (of a user, client, scope or group) acceptable, and
//! how names are hashed in the tables that hold them.

use crate::error::ConfigError;

/// Longest client id or username accepted.
pub const MAX_NAME_BYTES: usize = 256;

/// The hasher of the configured names (clients, scopes, rule members): fast,
/// seeded at random. Only the operator's configuration inserts into these
/// maps, so a caller's chosen names cannot pile up in one bucket.
pub(crate) type NameHasher = foldhash::fast::RandomState;

/// Whether a name holds a control character. No user, client, scope or
/// group name may (configured, from a host, asked for, or introspected):
/// a NUL would change it for C, a newline would forge log lines.
pub(crate) fn has_control(name: &str) -> bool {
    name.chars().any(char::is_control)
}

pub(crate) fn check_name(path: &str, what: &str, name: &str) -> Result<(), ConfigError> {
    if name.is_empty() || name.len() > MAX_NAME_BYTES || has_control(name) {
        return Err(ConfigError::new(
            path,
            format!("{what} must be 1 to {MAX_NAME_BYTES} bytes without control characters"),
        ));
    }
    Ok(())
}
