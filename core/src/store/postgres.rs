//! The store for many hosts: PostgreSQL 13 or later. Schema created and
//! migrated on start (under an advisory lock, so hosts starting together
//! agree), a connection pool per process, rotation as one transaction that
//! locks the token's row.

use super::pool::Pool;
use super::sql::{
    bits_from_sql, bits_to_sql, from_sql, grant_from, secret_key, to_sql, Dialect, RowState,
    SqlStore, SCHEMA_VERSION,
};
use super::{
    Failures, GrantId, StoreError, StoreStats, StoredKey, Successors, TokenKind, TokenRecord,
};
use crate::token::TokenHash;
use postgres::config::SslMode;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres_rustls::MakeRustlsConnect;

/// A connection to the database (the dialect of [`PostgresStore`]).
pub struct PostgresConnection {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

impl std::fmt::Debug for PostgresConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresConnection").finish_non_exhaustive()
    }
}

/// The PostgreSQL store: `"store": {"type": "postgres", "url_env": "ROPC_DATABASE_URL"}`.
pub type PostgresStore = SqlStore<PostgresConnection>;

/// How [`PostgresStore::connect_with`] connects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostgresOptions {
    /// Connections per process (at least 1).
    pub pool_size: usize,
    /// How long connecting may take before it fails (unless the URL sets
    /// `connect_timeout`), and how long a call waits for a free connection.
    pub connect_timeout: Duration,
    /// The longest any statement may run before the call fails.
    pub statement_timeout: Duration,
    /// TLS to the server; `None`: as the URL's `sslmode` says (`require`:
    /// [`PostgresTls::Require`]; anything else: none).
    pub tls: Option<PostgresTls>,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            pool_size: 8,
            connect_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(10),
            tls: None,
        }
    }
}

/// TLS to PostgreSQL, by libpq's `sslmode` names (rustls on ring).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PostgresTls {
    /// Plain TCP (a private network or a local socket).
    Disable,
    /// Encrypted; the server's certificate is not verified, so an active
    /// attacker on the path could stand in for the server (libpq's
    /// `require` without a root certificate).
    Require,
    /// Encrypted, and the server's certificate verified against the CA
    /// certificates in `ca_file` (PEM), its name against the URL's host.
    VerifyFull {
        /// The CA certificates to trust, PEM.
        ca_file: std::path::PathBuf,
    },
}

/// The connector a TLS mode asks for; `None`: plain TCP.
fn connector(tls: &PostgresTls) -> Result<Option<MakeRustlsConnect>, StoreError> {
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{DigitallySignedStruct, SignatureScheme};

    /// `require`: any certificate, but the handshake's signatures are still
    /// checked (they prove the peer holds the certificate's key).
    #[derive(Debug)]
    struct Unverified(Arc<rustls::crypto::CryptoProvider>);
    impl ServerCertVerifier for Unverified {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }
        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }

    // rustls deprecates its ring provider for lacking post-quantum key
    // exchange; ring is ropc's one crypto library (aws-lc-rs would bring a
    // second, built with cmake), and a link to the database is not where a
    // harvest-now attack on classical key exchange is the first worry.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::new(format!("TLS: {e}")))?;
    let config = match tls {
        PostgresTls::Disable => return Ok(None),
        PostgresTls::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unverified(provider)))
            .with_no_client_auth(),
        PostgresTls::VerifyFull { ca_file } => {
            let unreadable = |e: &dyn std::fmt::Display| {
                StoreError::new(format!(
                    "cannot read the CA certificates in {}: {e}",
                    ca_file.display()
                ))
            };
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(ca_file).map_err(|e| unreadable(&e))? {
                roots
                    .add(cert.map_err(|e| unreadable(&e))?)
                    .map_err(|e| unreadable(&e))?;
            }
            if roots.is_empty() {
                return Err(unreadable(&"no certificate in the file"));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    };
    Ok(Some(MakeRustlsConnect::new(config)))
}

fn err(e: postgres::Error) -> StoreError {
    StoreError::new(format!("postgres: {}", describe(&e)))
}

/// An error with its cause: the client's own words are often only "db
/// error" or "error connecting to server", the reason (the server's
/// message and SQLSTATE, or the socket's error) sits beneath them. Neither
/// holds the connection URL or its password: the server never echoes a
/// password, and the client's messages name neither.
fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!(
            "{}: {} (SQLSTATE {})",
            db.severity(),
            db.message(),
            db.code().code()
        );
    }
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        cause = c.source();
    }
    text
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS ropc_grants (
    id BYTEA PRIMARY KEY, revoked BOOLEAN NOT NULL DEFAULT FALSE, expires_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS ropc_tokens (
    hash BYTEA NOT NULL, kind BIGINT NOT NULL, grant_id BYTEA NOT NULL,
    client_id TEXT NOT NULL, username TEXT NOT NULL, scope TEXT NOT NULL,
    issued_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, user_version BIGINT NOT NULL,
    rotated BOOLEAN NOT NULL DEFAULT FALSE,
    auth_time BIGINT NOT NULL DEFAULT 0, retired BOOLEAN NOT NULL DEFAULT FALSE,
    rotated_at BIGINT NOT NULL DEFAULT 0, successor BYTEA,
    retries BIGINT NOT NULL DEFAULT 0, successor_access BYTEA, jkt TEXT,
    PRIMARY KEY (hash, kind)
);
CREATE INDEX IF NOT EXISTS ropc_tokens_grant ON ropc_tokens (grant_id);
CREATE INDEX IF NOT EXISTS ropc_tokens_expiry ON ropc_tokens (expires_at);
CREATE INDEX IF NOT EXISTS ropc_grants_expiry ON ropc_grants (expires_at);
CREATE TABLE IF NOT EXISTS ropc_users (username TEXT PRIMARY KEY, version BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS ropc_credentials (username TEXT PRIMARY KEY, credential BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS ropc_failures (
    account TEXT PRIMARY KEY, count BIGINT NOT NULL, pending BIGINT NOT NULL,
    last BIGINT NOT NULL, pending_since BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS ropc_failures_last ON ropc_failures (last);
CREATE TABLE IF NOT EXISTS ropc_secrets (name TEXT PRIMARY KEY, value BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS ropc_signing_keys (
    kid TEXT PRIMARY KEY, alg TEXT NOT NULL, created_at BIGINT NOT NULL,
    activates_at BIGINT NOT NULL, public_jwk TEXT NOT NULL, sealed BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS ropc_replays (id BYTEA PRIMARY KEY, expires_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS ropc_replays_expiry ON ropc_replays (expires_at);
";

const LIVE: &str = "SELECT t.grant_id, t.client_id, t.username, t.scope, t.issued_at, t.expires_at, t.user_version, t.rotated,
           t.auth_time, t.retired, t.rotated_at, t.successor, t.retries, t.successor_access, t.jkt
    FROM ropc_tokens t JOIN ropc_grants g ON g.id = t.grant_id
    WHERE t.hash = $1 AND t.kind = $2 AND t.expires_at > $3 AND NOT g.revoked
      AND t.user_version = COALESCE((SELECT version FROM ropc_users WHERE username = t.username), 0)";
const LIVE_FOR_UPDATE: &str = "SELECT t.grant_id, t.client_id, t.username, t.scope, t.issued_at, t.expires_at, t.user_version, t.rotated,
           t.auth_time, t.retired, t.rotated_at, t.successor, t.retries, t.successor_access, t.jkt
    FROM ropc_tokens t JOIN ropc_grants g ON g.id = t.grant_id
    WHERE t.hash = $1 AND t.kind = $2 AND t.expires_at > $3 AND NOT g.revoked
      AND t.user_version = COALESCE((SELECT version FROM ropc_users WHERE username = t.username), 0)
    FOR UPDATE OF t";

/// Rotation's common case as one statement (one round trip, one commit):
/// the UPDATE is the compare-and-swap (a concurrent rotation waits on the
/// row and then finds it rotated), the successors are inserted only if it
/// matched, and they inherit from the old token as [`Successors`] says.
const ROTATE: &str = "WITH won AS (
    UPDATE ropc_tokens t SET rotated = TRUE, rotated_at = $3, successor = $5, successor_access = $8
    WHERE t.hash = $1 AND t.kind = 1 AND NOT t.rotated AND NOT t.retired AND t.client_id = $2 AND t.expires_at > $3
      AND ($11::bigint IS NULL OR t.auth_time + $11::bigint > $6)
      AND NOT (SELECT g.revoked FROM ropc_grants g WHERE g.id = t.grant_id)
      AND t.user_version = COALESCE((SELECT u.version FROM ropc_users u WHERE u.username = t.username), 0)
    RETURNING t.grant_id, t.client_id, t.username, t.scope, t.issued_at, t.expires_at, t.user_version, t.auth_time
  ), extended AS (
    UPDATE ropc_grants SET expires_at = GREATEST(expires_at, $4) WHERE id = (SELECT grant_id FROM won)
  ), successors AS (
    INSERT INTO ropc_tokens (hash, kind, grant_id, client_id, username, scope, issued_at, expires_at, user_version, auth_time, jkt)
    SELECT v.hash, v.kind, w.grant_id, w.client_id, w.username, COALESCE(v.scope, w.scope), $6,
           LEAST(v.expires_at, COALESCE(w.auth_time + $11::bigint, v.expires_at)), w.user_version, w.auth_time, v.jkt
    FROM won w CROSS JOIN (VALUES ($5::bytea, 1::bigint, NULL::text, $7::bigint, NULL::text),
                                  ($8::bytea, 0::bigint, $9::text, $10::bigint, $12::text))
         AS v (hash, kind, scope, expires_at, jkt)
  )
  SELECT grant_id, client_id, username, scope, issued_at, expires_at, user_version, FALSE,
         auth_time, FALSE, 0::bigint, NULL::bytea, 0::bigint, NULL::bytea, NULL::text FROM won";

/// Takes a lock that only ropc's migrations take, so that hosts starting at
/// once create the schema once.
const MIGRATION_LOCK: i64 = 0x726f_7063_0001;

fn connect(
    config: &postgres::Config,
    statement_timeout: Duration,
    tls: &Option<MakeRustlsConnect>,
) -> Result<Client, StoreError> {
    let connected = match tls {
        Some(tls) => config.connect(tls.clone()),
        None => config.connect(NoTls),
    };
    let mut client = connected
        .map_err(|e| StoreError::new(format!("cannot connect to PostgreSQL: {}", describe(&e))))?;
    client
        .batch_execute(&format!(
            "SET statement_timeout = {}",
            statement_timeout.as_millis()
        ))
        .map_err(err)?;
    Ok(client)
}

/// Brings the schema to [`SCHEMA_VERSION`], step by step, in one
/// transaction; returns the key that hashes the failure counters' names.
fn migrate(client: &mut Client) -> Result<[u8; 32], StoreError> {
    let mut tx = client.transaction().map_err(err)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(err)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS ropc_schema (version BIGINT NOT NULL)")
        .map_err(err)?;
    let version: Option<i64> = tx
        .query_one("SELECT max(version) FROM ropc_schema", &[])
        .and_then(|r| r.try_get(0))
        .map_err(err)?;
    match version {
        None => tx.batch_execute(SCHEMA).map_err(err)?,
        Some(v) if v > SCHEMA_VERSION => {
            return Err(StoreError::new(format!(
                "the database has schema version {v}, this ropc reads version {SCHEMA_VERSION}: upgrade ropc"
            )))
        }
        Some(v) => {
            if v < 2 {
                // Version 2 adds the host credential versions: a new table.
                tx.batch_execute(
                    "CREATE TABLE IF NOT EXISTS ropc_credentials (username TEXT PRIMARY KEY, credential BIGINT NOT NULL)",
                )
                .map_err(err)?;
            }
            if v < 3 {
                // Version 3: when the owner authenticated (known for a token
                // issued before: no later than its issue) and the rotation's
                // grace-window state.
                tx.batch_execute(
                    "ALTER TABLE ropc_tokens ADD COLUMN auth_time BIGINT NOT NULL DEFAULT 0;
                     UPDATE ropc_tokens SET auth_time = issued_at;
                     ALTER TABLE ropc_tokens ADD COLUMN retired BOOLEAN NOT NULL DEFAULT FALSE;
                     ALTER TABLE ropc_tokens ADD COLUMN rotated_at BIGINT NOT NULL DEFAULT 0;
                     ALTER TABLE ropc_tokens ADD COLUMN successor BYTEA;",
                )
                .map_err(err)?;
            }
            if v < 4 {
                // Version 4: failure counters under keyed hashes of the
                // names (the old rows hold names as typed: dropped, which
                // forgets the failures counted before the upgrade), and the
                // bounded grace-window retries.
                tx.batch_execute(
                    "CREATE TABLE IF NOT EXISTS ropc_secrets (name TEXT PRIMARY KEY, value BYTEA NOT NULL);
                     DELETE FROM ropc_failures;
                     ALTER TABLE ropc_tokens ADD COLUMN retries BIGINT NOT NULL DEFAULT 0;
                     ALTER TABLE ropc_tokens ADD COLUMN successor_access BYTEA;",
                )
                .map_err(err)?;
            }
            if v < 5 {
                // Version 5: the signing keys of JWT access tokens.
                tx.batch_execute(
                    "CREATE TABLE IF NOT EXISTS ropc_signing_keys (
                         kid TEXT PRIMARY KEY, alg TEXT NOT NULL, created_at BIGINT NOT NULL,
                         activates_at BIGINT NOT NULL, public_jwk TEXT NOT NULL, sealed BYTEA NOT NULL
                     );",
                )
                .map_err(err)?;
            }
            if v < 6 {
                // Version 6: the DPoP proofs used, and access tokens' keys.
                tx.batch_execute(
                    "CREATE TABLE IF NOT EXISTS ropc_replays (id BYTEA PRIMARY KEY, expires_at BIGINT NOT NULL);
                     CREATE INDEX IF NOT EXISTS ropc_replays_expiry ON ropc_replays (expires_at);
                     ALTER TABLE ropc_tokens ADD COLUMN IF NOT EXISTS jkt TEXT;",
                )
                .map_err(err)?;
            }
        }
    }
    if version != Some(SCHEMA_VERSION) {
        tx.execute(
            "INSERT INTO ropc_schema (version) VALUES ($1)",
            &[&SCHEMA_VERSION],
        )
        .map_err(err)?;
    }
    let mut fresh = [0u8; 32];
    crate::random::fill(&mut fresh);
    tx.execute(
        "INSERT INTO ropc_secrets (name, value) VALUES ('failures', $1) ON CONFLICT (name) DO NOTHING",
        &[&&fresh[..]],
    )
    .map_err(err)?;
    let key: Vec<u8> = tx
        .query_one(
            "SELECT value FROM ropc_secrets WHERE name = 'failures'",
            &[],
        )
        .and_then(|r| r.try_get(0))
        .map_err(err)?;
    tx.commit().map_err(err)?;
    secret_key(&key)
}

impl SqlStore<PostgresConnection> {
    /// Connects to the database at `url` with default options.
    pub fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        Self::connect_with(url, PostgresOptions::default())
    }

    /// Connects to the database at `url` (`postgres://user:password@host:port/db`
    /// or a key=value string), creates or migrates the schema, and keeps a
    /// pool. Fails within the connect timeout when the database is unreachable.
    pub fn connect_with(url: &str, options: PostgresOptions) -> Result<PostgresStore, StoreError> {
        let mut config = postgres::Config::from_str(url)
            .map_err(|e| StoreError::new(format!("the PostgreSQL URL is not valid: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        config.application_name("ropc");
        let tls = match options.tls {
            Some(tls) => tls,
            None if config.get_ssl_mode() == SslMode::Require => PostgresTls::Require,
            None => PostgresTls::Disable,
        };
        // A mode the connector serves: never fall back to plain text.
        config.ssl_mode(if tls == PostgresTls::Disable {
            SslMode::Disable
        } else {
            SslMode::Require
        });
        let tls = connector(&tls)?;
        let statement_timeout = options.statement_timeout;
        let mut first = connect(&config, statement_timeout, &tls)?;
        let failure_key = migrate(&mut first)?;
        let pool = Pool::new(
            options.pool_size,
            options.connect_timeout,
            Box::new(move || {
                connect(&config, statement_timeout, &tls).map(|client| PostgresConnection {
                    client,
                    statements: HashMap::new(),
                })
            }),
        );
        drop(first);
        Ok(SqlStore::from_pool(pool, "postgres", failure_key))
    }
}

impl PostgresConnection {
    fn statement(&mut self, sql: &'static str) -> Result<Statement, StoreError> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        let st = self.client.prepare(sql).map_err(err)?;
        self.statements.insert(sql, st.clone());
        Ok(st)
    }

    fn execute(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let st = self.statement(sql)?;
        self.client.execute(&st, params).map_err(err)
    }

    fn query_opt(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, StoreError> {
        let st = self.statement(sql)?;
        self.client.query_opt(&st, params).map_err(err)
    }
}

fn record(row: &Row) -> Result<(TokenRecord, RowState), StoreError> {
    let grant: &[u8] = row.try_get(0).map_err(err)?;
    let hash = |i: usize| match row.try_get::<_, Option<&[u8]>>(i).map_err(err)? {
        Some(bytes) => Ok(Some(TokenHash(bytes.try_into().map_err(|_| {
            StoreError::new("postgres: a successor hash is not 32 bytes")
        })?))),
        None => Ok::<_, StoreError>(None),
    };
    let (successor, successor_access) = (hash(11)?, hash(13)?);
    Ok((
        TokenRecord {
            grant: grant_from(grant)?,
            client_id: row.try_get::<_, &str>(1).map_err(err)?.into(),
            username: row.try_get::<_, &str>(2).map_err(err)?.into(),
            scope: row.try_get::<_, &str>(3).map_err(err)?.into(),
            issued_at: from_sql(row.try_get(4).map_err(err)?),
            expires_at: from_sql(row.try_get(5).map_err(err)?),
            user_version: from_sql(row.try_get(6).map_err(err)?),
            auth_time: from_sql(row.try_get(8).map_err(err)?),
            jkt: row
                .try_get::<_, Option<&str>>(14)
                .map_err(err)?
                .map(Into::into),
        },
        RowState {
            rotated: row.try_get(7).map_err(err)?,
            retired: row.try_get(9).map_err(err)?,
            rotated_at: from_sql(row.try_get(10).map_err(err)?),
            successor,
            retries: u32::try_from(row.try_get::<_, i64>(12).map_err(err)?).unwrap_or(u32::MAX),
            successor_access,
        },
    ))
}

fn failures_of(row: Option<Row>) -> Result<Option<Failures>, StoreError> {
    row.map(|r| {
        let get = |i: usize| r.try_get::<_, i64>(i).map_err(err);
        let n = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
        Ok(Failures {
            count: n(get(0)?),
            pending: n(get(1)?),
            last: from_sql(get(2)?),
            pending_since: from_sql(get(3)?),
        })
    })
    .transpose()
}

impl Dialect for PostgresConnection {
    fn begin_write(&mut self) -> Result<(), StoreError> {
        self.client.batch_execute("BEGIN").map_err(err)
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        self.client.batch_execute("COMMIT").map_err(err)
    }

    fn rollback(&mut self) {
        let _ = self.client.batch_execute("ROLLBACK");
    }

    fn live(
        &mut self,
        kind: TokenKind,
        hash: &TokenHash,
        now: u64,
        lock: bool,
    ) -> Result<Option<(TokenRecord, RowState)>, StoreError> {
        // FOR UPDATE: a concurrent rotation waits for this transaction, then
        // sees the token as rotated (READ COMMITTED re-reads the locked row).
        let sql = if lock { LIVE_FOR_UPDATE } else { LIVE };
        self.query_opt(sql, &[&&hash.0[..], &kind.code(), &to_sql(now)])?
            .as_ref()
            .map(record)
            .transpose()
    }

    fn insert_token(
        &mut self,
        kind: TokenKind,
        hash: &TokenHash,
        r: &TokenRecord,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ropc_tokens (hash, kind, grant_id, client_id, username, scope, issued_at, expires_at, user_version, auth_time, jkt)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &&hash.0[..],
                &kind.code(),
                &&r.grant.0[..],
                &&*r.client_id,
                &&*r.username,
                &&*r.scope,
                &to_sql(r.issued_at),
                &to_sql(r.expires_at),
                &to_sql(r.user_version),
                &to_sql(r.auth_time),
                &r.jkt.as_deref(),
            ],
        )
        .map(drop)
    }

    fn upsert_grant(&mut self, grant: &GrantId, expires_at: u64) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ropc_grants (id, expires_at) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET expires_at = GREATEST(ropc_grants.expires_at, excluded.expires_at)",
            &[&&grant.0[..], &to_sql(expires_at)],
        )
        .map(drop)
    }

    fn mark_rotated(
        &mut self,
        hash: &TokenHash,
        now: u64,
        successor: &TokenHash,
        successor_access: &TokenHash,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE ropc_tokens SET rotated = TRUE, rotated_at = $2, successor = $3, successor_access = $4 WHERE hash = $1 AND kind = 1",
            &[&&hash.0[..], &to_sql(now), &&successor.0[..], &&successor_access.0[..]],
        )
        .map(drop)
    }

    fn set_successor(
        &mut self,
        hash: &TokenHash,
        successor: &TokenHash,
        successor_access: &TokenHash,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE ropc_tokens SET successor = $2, successor_access = $3, retries = retries + 1 WHERE hash = $1 AND kind = 1",
            &[&&hash.0[..], &&successor.0[..], &&successor_access.0[..]],
        )
        .map(drop)
    }

    fn retire(&mut self, hash: &TokenHash) -> Result<(), StoreError> {
        self.execute(
            "UPDATE ropc_tokens SET retired = TRUE WHERE hash = $1 AND kind = 1",
            &[&&hash.0[..]],
        )
        .map(drop)
    }

    fn revoke_grant_id(&mut self, grant: &GrantId) -> Result<(), StoreError> {
        self.execute(
            "UPDATE ropc_grants SET revoked = TRUE WHERE id = $1",
            &[&&grant.0[..]],
        )
        .map(drop)
    }

    fn revoke_grant_of(&mut self, kind: TokenKind, hash: &TokenHash) -> Result<(), StoreError> {
        self.execute(
            "UPDATE ropc_grants SET revoked = TRUE WHERE id = (SELECT grant_id FROM ropc_tokens WHERE hash = $1 AND kind = $2)",
            &[&&hash.0[..], &kind.code()],
        )
        .map(drop)
    }

    fn take_token(
        &mut self,
        kind: TokenKind,
        hash: &TokenHash,
    ) -> Result<Option<TokenRecord>, StoreError> {
        let row = self.query_opt(
            "DELETE FROM ropc_tokens WHERE hash = $1 AND kind = $2
             RETURNING grant_id, client_id, username, scope, issued_at, expires_at, user_version, rotated,
                       auth_time, retired, rotated_at, successor, retries, successor_access, jkt",
            &[&&hash.0[..], &kind.code()],
        )?;
        Ok(row.as_ref().map(record).transpose()?.map(|(r, _)| r))
    }

    fn failures_locked(&mut self, account: &str) -> Result<Option<Failures>, StoreError> {
        // The row must exist to be locked: two first attempts at one name
        // must not both read "no failures".
        self.execute("INSERT INTO ropc_failures (account, count, pending, last, pending_since) VALUES ($1, 0, 0, 0, 0) ON CONFLICT DO NOTHING", &[&account])?;
        let row = self.query_opt(
            "SELECT count, pending, last, pending_since FROM ropc_failures WHERE account = $1 FOR UPDATE",
            &[&account],
        )?;
        // A placeholder row (all zero) means nothing counted yet.
        Ok(failures_of(row)?.filter(|f| *f != Failures::default()))
    }

    fn put_failures(&mut self, account: &str, f: Failures) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ropc_failures (account, count, pending, last, pending_since) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (account) DO UPDATE SET count = excluded.count, pending = excluded.pending,
               last = excluded.last, pending_since = excluded.pending_since",
            &[&account, &i64::from(f.count), &i64::from(f.pending), &to_sql(f.last), &to_sql(f.pending_since)],
        )
        .map(drop)
    }

    fn clear_failures(&mut self, account: &str) -> Result<(), StoreError> {
        self.execute("DELETE FROM ropc_failures WHERE account = $1", &[&account])
            .map(drop)
    }

    fn failures(&mut self, account: &str) -> Result<Option<Failures>, StoreError> {
        let row = self.query_opt(
            "SELECT count, pending, last, pending_since FROM ropc_failures WHERE account = $1",
            &[&account],
        )?;
        Ok(failures_of(row)?.filter(|f| *f != Failures::default()))
    }

    fn user_version(&mut self, username: &str) -> Result<u64, StoreError> {
        let row = self.query_opt(
            "SELECT version FROM ropc_users WHERE username = $1",
            &[&username],
        )?;
        row.map(|r| r.try_get::<_, i64>(0).map(from_sql).map_err(err))
            .transpose()
            .map(|v| v.unwrap_or(0))
    }

    fn insert_credential(&mut self, username: &str, credential: u64) -> Result<bool, StoreError> {
        let row = self.query_opt(
            "INSERT INTO ropc_credentials (username, credential) VALUES ($1, $2)
             ON CONFLICT (username) DO NOTHING RETURNING 1",
            &[&username, &bits_to_sql(credential)],
        )?;
        Ok(row.is_some())
    }

    fn credential_locked(&mut self, username: &str) -> Result<Option<u64>, StoreError> {
        let row = self.query_opt(
            "SELECT credential FROM ropc_credentials WHERE username = $1 FOR UPDATE",
            &[&username],
        )?;
        row.map(|r| r.try_get::<_, i64>(0).map(bits_from_sql).map_err(err))
            .transpose()
    }

    fn set_credential(&mut self, username: &str, credential: u64) -> Result<(), StoreError> {
        self.query_opt(
            "UPDATE ropc_credentials SET credential = $2 WHERE username = $1 RETURNING 1",
            &[&username, &bits_to_sql(credential)],
        )?;
        Ok(())
    }

    fn bump_user(&mut self, username: &str) -> Result<u64, StoreError> {
        let row = self.query_opt(
            "INSERT INTO ropc_users (username, version) VALUES ($1, 1)
             ON CONFLICT (username) DO UPDATE SET version = ropc_users.version + 1 RETURNING version",
            &[&username],
        )?;
        let row =
            row.ok_or_else(|| StoreError::new("postgres: the version update returned no row"))?;
        Ok(from_sql(row.try_get(0).map_err(err)?))
    }

    fn purge_batch(
        &mut self,
        now: u64,
        forget_before: u64,
        limit: usize,
    ) -> Result<usize, StoreError> {
        let (now, limit) = (to_sql(now), i64::try_from(limit).unwrap_or(i64::MAX));
        let mut n = self.execute(
            "DELETE FROM ropc_tokens WHERE (hash, kind) IN (SELECT hash, kind FROM ropc_tokens WHERE expires_at <= $1 LIMIT $2)",
            &[&now, &limit],
        )?;
        n += self.execute(
            "DELETE FROM ropc_tokens WHERE (hash, kind) IN (SELECT t.hash, t.kind FROM ropc_tokens t
                 JOIN ropc_grants g ON g.id = t.grant_id WHERE g.revoked LIMIT $1)",
            &[&limit],
        )?;
        self.execute(
            "DELETE FROM ropc_grants WHERE id IN (SELECT id FROM ropc_grants g WHERE (g.expires_at <= $1 OR g.revoked)
               AND NOT EXISTS (SELECT 1 FROM ropc_tokens t WHERE t.grant_id = g.id) LIMIT $2)",
            &[&now, &limit],
        )?;
        n += self.execute(
            "DELETE FROM ropc_failures WHERE account IN (SELECT account FROM ropc_failures WHERE last < $1 AND pending_since < $1 LIMIT $2)",
            &[&to_sql(forget_before), &limit],
        )?;
        self.execute(
            "DELETE FROM ropc_replays WHERE id IN (SELECT id FROM ropc_replays WHERE expires_at <= $1 LIMIT $2)",
            &[&now, &limit],
        )?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn try_rotate(
        &mut self,
        old: &TokenHash,
        client_id: &str,
        now: u64,
        next: &Successors,
    ) -> Result<Option<TokenRecord>, StoreError> {
        let row = self.query_opt(
            ROTATE,
            &[
                &&old.0[..],
                &client_id,
                &to_sql(now),
                &to_sql(next.refresh_expires_at.max(next.access_expires_at)),
                &&next.refresh.0[..],
                &to_sql(next.issued_at),
                &to_sql(next.refresh_expires_at),
                &&next.access.0[..],
                &next.access_scope.as_deref(),
                &to_sql(next.access_expires_at),
                &next.max_session.map(to_sql),
                &next.access_jkt.as_deref(),
            ],
        )?;
        Ok(row
            .as_ref()
            .map(record)
            .transpose()?
            .map(|(record, _)| record))
    }

    fn signing_keys(&mut self) -> Result<Vec<StoredKey>, StoreError> {
        let st = self.statement(
            "SELECT kid, alg, created_at, activates_at, public_jwk, sealed FROM ropc_signing_keys",
        )?;
        let rows = self.client.query(&st, &[]).map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(StoredKey {
                    kid: r.try_get(0).map_err(err)?,
                    alg: r.try_get(1).map_err(err)?,
                    created_at: from_sql(r.try_get(2).map_err(err)?),
                    activates_at: from_sql(r.try_get(3).map_err(err)?),
                    public_jwk: r.try_get(4).map_err(err)?,
                    sealed: r.try_get(5).map_err(err)?,
                })
            })
            .collect()
    }

    fn lock_signing_keys(&mut self) -> Result<(), StoreError> {
        // Serializes the adders (a row lock cannot: the table may be empty).
        self.client
            .batch_execute("LOCK TABLE ropc_signing_keys IN SHARE ROW EXCLUSIVE MODE")
            .map_err(err)
    }

    fn insert_signing_key(&mut self, key: &StoredKey) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ropc_signing_keys (kid, alg, created_at, activates_at, public_jwk, sealed)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &key.kid,
                &key.alg,
                &to_sql(key.created_at),
                &to_sql(key.activates_at),
                &key.public_jwk,
                &key.sealed,
            ],
        )?;
        Ok(())
    }

    fn delete_signing_key(&mut self, kid: &str) -> Result<(), StoreError> {
        self.execute("DELETE FROM ropc_signing_keys WHERE kid = $1", &[&kid])?;
        Ok(())
    }

    fn first_use(&mut self, id: &[u8; 32], expires_at: u64, now: u64) -> Result<bool, StoreError> {
        let n = self.execute(
            "INSERT INTO ropc_replays (id, expires_at) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at WHERE ropc_replays.expires_at <= $3",
            &[&&id[..], &to_sql(expires_at), &to_sql(now)],
        )?;
        Ok(n == 1)
    }

    fn stats(&mut self) -> Result<StoreStats, StoreError> {
        let row = self
            .query_opt(
                "SELECT (SELECT count(*) FROM ropc_tokens WHERE kind = 0), (SELECT count(*) FROM ropc_tokens WHERE kind = 1),
                        (SELECT count(*) FROM ropc_failures WHERE count > 0 OR pending > 0)",
                &[],
            )?
            .ok_or_else(|| StoreError::new("postgres: the count returned no row"))?;
        let n = |i: usize| -> Result<usize, StoreError> {
            Ok(usize::try_from(row.try_get::<_, i64>(i).map_err(err)?).unwrap_or(0))
        };
        Ok(StoreStats {
            access_tokens: n(0)?,
            refresh_tokens: n(1)?,
            throttled_accounts: n(2)?,
        })
    }
}
