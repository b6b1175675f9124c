//! The embedded store: one SQLite file (bundled SQLite, WAL), shared safely
//! by every process on a host, durable across crashes (`kill -9`) and, with
//! `synchronous=FULL` (the default), across power loss.

use super::pool::Pool;
use super::sql::{
    bits_from_sql, bits_to_sql, from_sql, grant_from, secret_key, to_sql, Dialect, RowState,
    SqlStore, SCHEMA_VERSION,
};
use super::{Failures, GrantId, StoreError, StoreStats, StoredKey, TokenKind, TokenRecord};
use crate::token::TokenHash;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A connection to the SQLite file (the dialect of [`SqliteStore`]).
pub struct SqliteConnection {
    conn: Connection,
}

impl std::fmt::Debug for SqliteConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteConnection").finish_non_exhaustive()
    }
}

/// The SQLite store: `"store": {"type": "sqlite", "path": "/var/lib/ropc/ropc.db"}`.
pub type SqliteStore = SqlStore<SqliteConnection>;

/// How [`SqliteStore::open_with`] opens the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqliteOptions {
    /// Connections per process (at least 1).
    pub pool_size: usize,
    /// How long a statement waits for another process's write lock before
    /// the call fails (and the endpoint answers 503).
    pub busy_timeout: Duration,
    /// `true` (the default): every commit is on disk before it is answered
    /// (`synchronous=FULL`), so not even a power cut loses an issued token;
    /// `false`: `synchronous=NORMAL`, faster, and still safe across process
    /// crashes, but the last commits may be lost on power loss.
    pub durable: bool,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            pool_size: 4,
            busy_timeout: Duration::from_secs(5),
            durable: true,
        }
    }
}

fn err(e: rusqlite::Error) -> StoreError {
    StoreError::new(format!("sqlite: {e}"))
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS ropc_grants (
    id BLOB PRIMARY KEY, revoked INTEGER NOT NULL DEFAULT 0, expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ropc_tokens (
    hash BLOB NOT NULL, kind INTEGER NOT NULL, grant_id BLOB NOT NULL,
    client_id TEXT NOT NULL, username TEXT NOT NULL, scope TEXT NOT NULL,
    issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, user_version INTEGER NOT NULL,
    rotated INTEGER NOT NULL DEFAULT 0,
    auth_time INTEGER NOT NULL DEFAULT 0, retired INTEGER NOT NULL DEFAULT 0,
    rotated_at INTEGER NOT NULL DEFAULT 0, successor BLOB,
    retries INTEGER NOT NULL DEFAULT 0, successor_access BLOB, jkt TEXT,
    PRIMARY KEY (hash, kind)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ropc_tokens_grant ON ropc_tokens (grant_id);
CREATE INDEX IF NOT EXISTS ropc_tokens_expiry ON ropc_tokens (expires_at);
CREATE INDEX IF NOT EXISTS ropc_grants_expiry ON ropc_grants (expires_at);
CREATE TABLE IF NOT EXISTS ropc_users (username TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ropc_credentials (username TEXT PRIMARY KEY, credential INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ropc_failures (
    account TEXT PRIMARY KEY, count INTEGER NOT NULL, pending INTEGER NOT NULL,
    last INTEGER NOT NULL, pending_since INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ropc_failures_last ON ropc_failures (last);
CREATE TABLE IF NOT EXISTS ropc_secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ropc_signing_keys (
    kid TEXT PRIMARY KEY, alg TEXT NOT NULL, created_at INTEGER NOT NULL,
    activates_at INTEGER NOT NULL, public_jwk TEXT NOT NULL, sealed BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ropc_replays (id BLOB PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ropc_replays_expiry ON ropc_replays (expires_at);
";

const LIVE: &str = "SELECT t.grant_id, t.client_id, t.username, t.scope, t.issued_at, t.expires_at, t.user_version, t.rotated,
           t.auth_time, t.retired, t.rotated_at, t.successor, t.retries, t.successor_access, t.jkt
    FROM ropc_tokens t JOIN ropc_grants g ON g.id = t.grant_id
    WHERE t.hash = ?1 AND t.kind = ?2 AND t.expires_at > ?3 AND g.revoked = 0
      AND t.user_version = COALESCE((SELECT version FROM ropc_users WHERE username = t.username), 0)";

/// Creates the database file, readable and writable by its owner only,
/// unless it exists: SQLite would create it under the process's umask
/// (0644 as a rule: every local user could read the tokens' owners and
/// the failure counters), and it gives the `-wal` and `-shm` files it
/// makes beside the database the database's own mode. A file that exists
/// keeps the mode its operator gave it; one others may read is logged.
fn create_private(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if let Ok(meta) = std::fs::metadata(path) {
                    let mode = meta.permissions().mode();
                    if mode & 0o077 != 0 && meta.is_file() {
                        log::warn!(
                            target: "ropc::store",
                            "the SQLite database {} has mode {:o}: other local users can read or write it (chmod 600 it)",
                            path.display(),
                            mode & 0o777
                        );
                    }
                }
            }
            Err(e) => {
                return Err(StoreError::new(format!(
                    "cannot create the SQLite database {}: {e}",
                    path.display()
                )))
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn open_connection(path: &Path, options: &SqliteOptions) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| {
        StoreError::new(format!(
            "cannot open the SQLite database {}: {e}",
            path.display()
        ))
    })?;
    conn.busy_timeout(options.busy_timeout).map_err(err)?;
    let sync = if options.durable { "FULL" } else { "NORMAL" };
    let pragmas = format!("PRAGMA journal_mode = WAL; PRAGMA synchronous = {sync};");
    patiently(options.busy_timeout, || conn.execute_batch(&pragmas)).map_err(err)?;
    Ok(conn)
}

/// Another connection holds the lock SQLite needs.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Waiting for a lock SQLite answers without its busy handler: turning a
/// new file to WAL while another connection does, or a contended `BEGIN
/// IMMEDIATE` that would deadlock. Workers started together on a new file
/// meet exactly these.
struct Patience {
    deadline: std::time::Instant,
    pause: Duration,
}

impl Patience {
    fn new(timeout: Duration) -> Patience {
        Patience {
            deadline: std::time::Instant::now() + timeout,
            pause: Duration::from_millis(1),
        }
    }

    /// After `e`: whether to try again, having waited a little longer each
    /// time (the database was busy or locked and the timeout has not run out).
    fn again(&mut self, e: &rusqlite::Error) -> bool {
        if !is_busy(e) || std::time::Instant::now() >= self.deadline {
            return false;
        }
        std::thread::sleep(self.pause);
        self.pause = (self.pause * 2).min(Duration::from_millis(50));
        true
    }
}

/// `work`, again while the database is busy or locked, until `timeout`.
fn patiently<T>(
    timeout: Duration,
    mut work: impl FnMut() -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let mut patience = Patience::new(timeout);
    loop {
        match work() {
            Err(e) if patience.again(&e) => {}
            other => return other,
        }
    }
}

/// Brings the schema to [`SCHEMA_VERSION`], step by step, in one
/// transaction; returns the key that hashes the failure counters' names.
fn migrate(conn: &mut Connection, timeout: Duration) -> Result<[u8; 32], StoreError> {
    // Patiently, as the pragmas: another worker may be migrating.
    let mut patience = Patience::new(timeout);
    let tx = loop {
        match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
            Ok(tx) => break tx,
            Err(e) if patience.again(&e) => {}
            Err(e) => return Err(err(e)),
        }
    };
    tx.execute_batch("CREATE TABLE IF NOT EXISTS ropc_schema (version INTEGER NOT NULL)")
        .map_err(err)?;
    let version: Option<i64> = tx
        .query_row("SELECT max(version) FROM ropc_schema", [], |r| r.get(0))
        .map_err(err)?;
    match version {
        None => tx.execute_batch(SCHEMA).map_err(err)?,
        Some(v) if v > SCHEMA_VERSION => {
            return Err(StoreError::new(format!(
                "the database has schema version {v}, this ropc reads version {SCHEMA_VERSION}: upgrade ropc"
            )))
        }
        Some(v) => {
            if v < 2 {
                // Version 2 adds the host credential versions: a new table.
                tx.execute_batch(
                    "CREATE TABLE IF NOT EXISTS ropc_credentials (username TEXT PRIMARY KEY, credential INTEGER NOT NULL) WITHOUT ROWID",
                )
                .map_err(err)?;
            }
            if v < 3 {
                // Version 3: when the owner authenticated (known for a token
                // issued before: no later than its issue) and the rotation's
                // grace-window state.
                tx.execute_batch(
                    "ALTER TABLE ropc_tokens ADD COLUMN auth_time INTEGER NOT NULL DEFAULT 0;
                     UPDATE ropc_tokens SET auth_time = issued_at;
                     ALTER TABLE ropc_tokens ADD COLUMN retired INTEGER NOT NULL DEFAULT 0;
                     ALTER TABLE ropc_tokens ADD COLUMN rotated_at INTEGER NOT NULL DEFAULT 0;
                     ALTER TABLE ropc_tokens ADD COLUMN successor BLOB;",
                )
                .map_err(err)?;
            }
            if v < 4 {
                // Version 4: failure counters under keyed hashes of the
                // names (the old rows hold names as typed, passwords typed
                // into the username field among them: dropped, which
                // forgets the failures counted before the upgrade), and
                // the bounded grace-window retries.
                tx.execute_batch(
                    "CREATE TABLE IF NOT EXISTS ropc_secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
                     DELETE FROM ropc_failures;
                     ALTER TABLE ropc_tokens ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
                     ALTER TABLE ropc_tokens ADD COLUMN successor_access BLOB;",
                )
                .map_err(err)?;
            }
            if v < 5 {
                // Version 5: the signing keys of JWT access tokens.
                tx.execute_batch(
                    "CREATE TABLE IF NOT EXISTS ropc_signing_keys (
                         kid TEXT PRIMARY KEY, alg TEXT NOT NULL, created_at INTEGER NOT NULL,
                         activates_at INTEGER NOT NULL, public_jwk TEXT NOT NULL, sealed BLOB NOT NULL
                     ) WITHOUT ROWID;",
                )
                .map_err(err)?;
            }
            if v < 6 {
                // Version 6: the DPoP proofs used, and access tokens' keys.
                tx.execute_batch(
                    "CREATE TABLE IF NOT EXISTS ropc_replays (id BLOB PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
                     CREATE INDEX IF NOT EXISTS ropc_replays_expiry ON ropc_replays (expires_at);
                     ALTER TABLE ropc_tokens ADD COLUMN jkt TEXT;",
                )
                .map_err(err)?;
            }
        }
    }
    if version != Some(SCHEMA_VERSION) {
        tx.execute(
            "INSERT INTO ropc_schema (version) VALUES (?1)",
            [SCHEMA_VERSION],
        )
        .map_err(err)?;
    }
    let mut fresh = [0u8; 32];
    crate::random::fill(&mut fresh);
    tx.execute(
        "INSERT INTO ropc_secrets (name, value) VALUES ('failures', ?1) ON CONFLICT (name) DO NOTHING",
        [&fresh[..]],
    )
    .map_err(err)?;
    let key: Vec<u8> = tx
        .query_row(
            "SELECT value FROM ropc_secrets WHERE name = 'failures'",
            [],
            |r| r.get(0),
        )
        .map_err(err)?;
    tx.commit().map_err(err)?;
    secret_key(&key)
}

impl SqlStore<SqliteConnection> {
    /// Opens (creating if needed) the database at `path` with default options.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// Opens the database at `path`, creating it and its tables if needed.
    pub fn open_with(
        path: impl AsRef<Path>,
        options: SqliteOptions,
    ) -> Result<SqliteStore, StoreError> {
        let path: PathBuf = path.as_ref().to_path_buf();
        create_private(&path)?;
        let mut first = open_connection(&path, &options)?;
        let failure_key = migrate(&mut first, options.busy_timeout)?;
        let pool = Pool::new(
            options.pool_size,
            options.busy_timeout,
            Box::new(move || {
                open_connection(&path, &options).map(|conn| SqliteConnection { conn })
            }),
        );
        drop(first);
        Ok(SqlStore::from_pool(pool, "sqlite", failure_key))
    }
}

fn record(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Vec<u8>, TokenRecordParts)> {
    Ok((
        r.get(0)?,
        TokenRecordParts {
            client_id: r.get(1)?,
            username: r.get(2)?,
            scope: r.get(3)?,
            issued_at: r.get(4)?,
            expires_at: r.get(5)?,
            user_version: r.get(6)?,
            rotated: r.get::<_, i64>(7)? != 0,
            auth_time: r.get(8)?,
            retired: r.get::<_, i64>(9)? != 0,
            rotated_at: r.get(10)?,
            successor: r.get(11)?,
            retries: r.get(12)?,
            successor_access: r.get(13)?,
            jkt: r.get(14)?,
        },
    ))
}

struct TokenRecordParts {
    client_id: String,
    username: String,
    scope: String,
    issued_at: i64,
    expires_at: i64,
    user_version: i64,
    rotated: bool,
    auth_time: i64,
    retired: bool,
    rotated_at: i64,
    successor: Option<Vec<u8>>,
    retries: i64,
    successor_access: Option<Vec<u8>>,
    jkt: Option<String>,
}

impl TokenRecordParts {
    fn into_record(self, grant: &[u8]) -> Result<(TokenRecord, RowState), StoreError> {
        let hash = |bytes: Option<Vec<u8>>| match bytes {
            Some(bytes) => Ok(Some(TokenHash(bytes.try_into().map_err(|_| {
                StoreError::new("sqlite: a successor hash is not 32 bytes")
            })?))),
            None => Ok::<_, StoreError>(None),
        };
        let successor = hash(self.successor)?;
        let successor_access = hash(self.successor_access)?;
        Ok((
            TokenRecord {
                grant: grant_from(grant)?,
                client_id: self.client_id.into(),
                username: self.username.into(),
                scope: self.scope.into(),
                issued_at: from_sql(self.issued_at),
                expires_at: from_sql(self.expires_at),
                user_version: from_sql(self.user_version),
                auth_time: from_sql(self.auth_time),
                jkt: self.jkt.map(Into::into),
            },
            RowState {
                rotated: self.rotated,
                retired: self.retired,
                rotated_at: from_sql(self.rotated_at),
                successor,
                retries: u32::try_from(self.retries).unwrap_or(u32::MAX),
                successor_access,
            },
        ))
    }
}

impl Dialect for SqliteConnection {
    fn begin_write(&mut self) -> Result<(), StoreError> {
        // IMMEDIATE: take the write lock now, so two processes never both
        // read a token as active and then race to rotate it.
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(err)
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        self.conn.execute_batch("COMMIT").map_err(err)
    }

    fn rollback(&mut self) {
        let _ = self.conn.execute_batch("ROLLBACK");
    }

    fn live(
        &mut self,
        kind: TokenKind,
        hash: &TokenHash,
        now: u64,
        _lock: bool,
    ) -> Result<Option<(TokenRecord, RowState)>, StoreError> {
        let mut st = self.conn.prepare_cached(LIVE).map_err(err)?;
        let row = st
            .query_row(params![&hash.0[..], kind.code(), to_sql(now)], record)
            .optional()
            .map_err(err)?;
        row.map(|(grant, parts)| parts.into_record(&grant))
            .transpose()
    }

    fn insert_token(
        &mut self,
        kind: TokenKind,
        hash: &TokenHash,
        r: &TokenRecord,
    ) -> Result<(), StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "INSERT INTO ropc_tokens (hash, kind, grant_id, client_id, username, scope, issued_at, expires_at, user_version, auth_time, jkt)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .map_err(err)?;
        st.execute(params![
            &hash.0[..],
            kind.code(),
            &r.grant.0[..],
            &*r.client_id,
            &*r.username,
            &*r.scope,
            to_sql(r.issued_at),
            to_sql(r.expires_at),
            to_sql(r.user_version),
            to_sql(r.auth_time),
            r.jkt.as_deref()
        ])
        .map_err(err)?;
        Ok(())
    }

    fn upsert_grant(&mut self, grant: &GrantId, expires_at: u64) -> Result<(), StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "INSERT INTO ropc_grants (id, expires_at) VALUES (?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)",
            )
            .map_err(err)?;
        st.execute(params![&grant.0[..], to_sql(expires_at)])
            .map_err(err)?;
        Ok(())
    }

    fn mark_rotated(
        &mut self,
        hash: &TokenHash,
        now: u64,
        successor: &TokenHash,
        successor_access: &TokenHash,
    ) -> Result<(), StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "UPDATE ropc_tokens SET rotated = 1, rotated_at = ?2, successor = ?3, successor_access = ?4 WHERE hash = ?1 AND kind = 1",
            )
            .map_err(err)?;
        st.execute(params![
            &hash.0[..],
            to_sql(now),
            &successor.0[..],
            &successor_access.0[..]
        ])
        .map_err(err)?;
        Ok(())
    }

    fn set_successor(
        &mut self,
        hash: &TokenHash,
        successor: &TokenHash,
        successor_access: &TokenHash,
    ) -> Result<(), StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "UPDATE ropc_tokens SET successor = ?2, successor_access = ?3, retries = retries + 1 WHERE hash = ?1 AND kind = 1",
            )
            .map_err(err)?;
        st.execute(params![
            &hash.0[..],
            &successor.0[..],
            &successor_access.0[..]
        ])
        .map_err(err)?;
        Ok(())
    }

    fn retire(&mut self, hash: &TokenHash) -> Result<(), StoreError> {
        let mut st = self
            .conn
            .prepare_cached("UPDATE ropc_tokens SET retired = 1 WHERE hash = ?1 AND kind = 1")
            .map_err(err)?;
        st.execute(params![&hash.0[..]]).map_err(err)?;
        Ok(())
    }

    fn revoke_grant_id(&mut self, grant: &GrantId) -> Result<(), StoreError> {
        let mut st = self
            .conn
            .prepare_cached("UPDATE ropc_grants SET revoked = 1 WHERE id = ?1")
            .map_err(err)?;
        st.execute(params![&grant.0[..]]).map_err(err)?;
        Ok(())
    }

    fn revoke_grant_of(&mut self, kind: TokenKind, hash: &TokenHash) -> Result<(), StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "UPDATE ropc_grants SET revoked = 1
                 WHERE id = (SELECT grant_id FROM ropc_tokens WHERE hash = ?1 AND kind = ?2)",
            )
            .map_err(err)?;
        st.execute(params![&hash.0[..], kind.code()]).map_err(err)?;
        Ok(())
    }

    fn take_token(
        &mut self,
        kind: TokenKind,
        hash: &TokenHash,
    ) -> Result<Option<TokenRecord>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "DELETE FROM ropc_tokens WHERE hash = ?1 AND kind = ?2
                 RETURNING grant_id, client_id, username, scope, issued_at, expires_at, user_version, rotated,
                           auth_time, retired, rotated_at, successor, retries, successor_access, jkt",
            )
            .map_err(err)?;
        let row = st
            .query_row(params![&hash.0[..], kind.code()], record)
            .optional()
            .map_err(err)?;
        Ok(row
            .map(|(grant, parts)| parts.into_record(&grant))
            .transpose()?
            .map(|(r, _)| r))
    }

    fn failures_locked(&mut self, account: &str) -> Result<Option<Failures>, StoreError> {
        // Inside BEGIN IMMEDIATE the whole database is this writer's.
        Dialect::failures(self, account)
    }

    fn put_failures(&mut self, account: &str, f: Failures) -> Result<(), StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "INSERT INTO ropc_failures (account, count, pending, last, pending_since) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (account) DO UPDATE SET count = excluded.count, pending = excluded.pending,
                   last = excluded.last, pending_since = excluded.pending_since",
            )
            .map_err(err)?;
        st.execute(params![
            account,
            i64::from(f.count),
            i64::from(f.pending),
            to_sql(f.last),
            to_sql(f.pending_since)
        ])
        .map_err(err)?;
        Ok(())
    }

    fn clear_failures(&mut self, account: &str) -> Result<(), StoreError> {
        let mut st = self
            .conn
            .prepare_cached("DELETE FROM ropc_failures WHERE account = ?1")
            .map_err(err)?;
        st.execute(params![account]).map_err(err)?;
        Ok(())
    }

    fn failures(&mut self, account: &str) -> Result<Option<Failures>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT count, pending, last, pending_since FROM ropc_failures WHERE account = ?1",
            )
            .map_err(err)?;
        let row: Option<(i64, i64, i64, i64)> = st
            .query_row(params![account], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()
            .map_err(err)?;
        Ok(row.map(|(count, pending, last, pending_since)| Failures {
            count: u32::try_from(count).unwrap_or(u32::MAX),
            pending: u32::try_from(pending).unwrap_or(u32::MAX),
            last: from_sql(last),
            pending_since: from_sql(pending_since),
        }))
    }

    fn user_version(&mut self, username: &str) -> Result<u64, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT version FROM ropc_users WHERE username = ?1")
            .map_err(err)?;
        let v: Option<i64> = st
            .query_row(params![username], |r| r.get(0))
            .optional()
            .map_err(err)?;
        Ok(v.map_or(0, from_sql))
    }

    fn bump_user(&mut self, username: &str) -> Result<u64, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "INSERT INTO ropc_users (username, version) VALUES (?1, 1)
                 ON CONFLICT (username) DO UPDATE SET version = version + 1 RETURNING version",
            )
            .map_err(err)?;
        let v: i64 = st.query_row(params![username], |r| r.get(0)).map_err(err)?;
        Ok(from_sql(v))
    }

    fn insert_credential(&mut self, username: &str, credential: u64) -> Result<bool, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "INSERT INTO ropc_credentials (username, credential) VALUES (?1, ?2) ON CONFLICT (username) DO NOTHING",
            )
            .map_err(err)?;
        Ok(st
            .execute(params![username, bits_to_sql(credential)])
            .map_err(err)?
            == 1)
    }

    fn credential_locked(&mut self, username: &str) -> Result<Option<u64>, StoreError> {
        // Inside BEGIN IMMEDIATE: the database's write lock is held already.
        let mut st = self
            .conn
            .prepare_cached("SELECT credential FROM ropc_credentials WHERE username = ?1")
            .map_err(err)?;
        let v: Option<i64> = st
            .query_row(params![username], |r| r.get(0))
            .optional()
            .map_err(err)?;
        Ok(v.map(bits_from_sql))
    }

    fn set_credential(&mut self, username: &str, credential: u64) -> Result<(), StoreError> {
        let mut st = self
            .conn
            .prepare_cached("UPDATE ropc_credentials SET credential = ?2 WHERE username = ?1")
            .map_err(err)?;
        st.execute(params![username, bits_to_sql(credential)])
            .map_err(err)?;
        Ok(())
    }

    fn purge_batch(
        &mut self,
        now: u64,
        forget_before: u64,
        limit: usize,
    ) -> Result<usize, StoreError> {
        let (now, limit) = (to_sql(now), i64::try_from(limit).unwrap_or(i64::MAX));
        let mut n = 0;
        for sql in [
            "DELETE FROM ropc_tokens WHERE (hash, kind) IN (SELECT hash, kind FROM ropc_tokens WHERE expires_at <= ?1 LIMIT ?2)",
            "DELETE FROM ropc_tokens WHERE (hash, kind) IN (SELECT t.hash, t.kind FROM ropc_tokens t
                 JOIN ropc_grants g ON g.id = t.grant_id WHERE g.revoked = 1 LIMIT ?2)",
        ] {
            n += self.conn.prepare_cached(sql).map_err(err)?.execute(params![now, limit]).map_err(err)?;
        }
        self.conn
            .prepare_cached(
                "DELETE FROM ropc_grants WHERE id IN (SELECT id FROM ropc_grants g WHERE (g.expires_at <= ?1 OR g.revoked = 1)
                   AND NOT EXISTS (SELECT 1 FROM ropc_tokens t WHERE t.grant_id = g.id) LIMIT ?2)",
            )
            .map_err(err)?
            .execute(params![now, limit])
            .map_err(err)?;
        n += self
            .conn
            .prepare_cached("DELETE FROM ropc_failures WHERE account IN (SELECT account FROM ropc_failures WHERE last < ?1 AND pending_since < ?1 LIMIT ?2)")
            .map_err(err)?
            .execute(params![to_sql(forget_before), limit])
            .map_err(err)?;
        self.conn
            .prepare_cached("DELETE FROM ropc_replays WHERE id IN (SELECT id FROM ropc_replays WHERE expires_at <= ?1 LIMIT ?2)")
            .map_err(err)?
            .execute(params![now, limit])
            .map_err(err)?;
        Ok(n)
    }

    fn signing_keys(&mut self) -> Result<Vec<StoredKey>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT kid, alg, created_at, activates_at, public_jwk, sealed FROM ropc_signing_keys",
            )
            .map_err(err)?;
        let rows = st
            .query_map([], |r| {
                Ok(StoredKey {
                    kid: r.get(0)?,
                    alg: r.get(1)?,
                    created_at: from_sql(r.get(2)?),
                    activates_at: from_sql(r.get(3)?),
                    public_jwk: r.get(4)?,
                    sealed: r.get(5)?,
                })
            })
            .map_err(err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err)
    }

    fn insert_signing_key(&mut self, key: &StoredKey) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO ropc_signing_keys (kid, alg, created_at, activates_at, public_jwk, sealed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(err)?
            .execute(params![
                key.kid,
                key.alg,
                to_sql(key.created_at),
                to_sql(key.activates_at),
                key.public_jwk,
                key.sealed
            ])
            .map_err(err)?;
        Ok(())
    }

    fn delete_signing_key(&mut self, kid: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("DELETE FROM ropc_signing_keys WHERE kid = ?1")
            .map_err(err)?
            .execute(params![kid])
            .map_err(err)?;
        Ok(())
    }

    fn first_use(&mut self, id: &[u8; 32], expires_at: u64, now: u64) -> Result<bool, StoreError> {
        let n = self
            .conn
            .prepare_cached(
                "INSERT INTO ropc_replays (id, expires_at) VALUES (?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at WHERE ropc_replays.expires_at <= ?3",
            )
            .map_err(err)?
            .execute(params![&id[..], to_sql(expires_at), to_sql(now)])
            .map_err(err)?;
        Ok(n == 1)
    }

    fn stats(&mut self) -> Result<StoreStats, StoreError> {
        let count = |c: &Connection, sql: &str| -> Result<usize, StoreError> {
            let n: i64 = c.query_row(sql, [], |r| r.get(0)).map_err(err)?;
            Ok(usize::try_from(n).unwrap_or(0))
        };
        Ok(StoreStats {
            access_tokens: count(
                &self.conn,
                "SELECT count(*) FROM ropc_tokens WHERE kind = 0",
            )?,
            refresh_tokens: count(
                &self.conn,
                "SELECT count(*) FROM ropc_tokens WHERE kind = 1",
            )?,
            throttled_accounts: count(&self.conn, "SELECT count(*) FROM ropc_failures")?,
        })
    }
}
