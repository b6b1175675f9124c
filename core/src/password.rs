//! Password hashing: argon2id, PHC strings, a length cap, dummy verification
//! for unknown accounts, and detection of hashes made on older parameters.

use crate::secret::Wiped;
use argon2::password_hash::{phc::PasswordHash, PasswordHasher};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use once_cell::sync::{Lazy, OnceCell};
use parking_lot::Mutex;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The longest password accepted, in bytes. Longer ones are refused before
/// any hashing so that a huge password cannot cost the server anything.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// argon2id cost parameters. The default is OWASP's profile: 19 MiB, 2 passes,
/// 1 lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashParams {
    /// Memory in KiB.
    pub m_cost: u32,
    /// Passes over memory.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

impl HashParams {
    /// OWASP's argon2id profile (m=19456 KiB, t=2, p=1).
    pub const OWASP: HashParams = HashParams {
        m_cost: 19456,
        t_cost: 2,
        p_cost: 1,
    };

    /// The most memory one verification may take (1 GiB), the most passes
    /// and lanes: beyond these a setting is a mistake that would exhaust
    /// the host, not a security choice.
    pub const MAX_M_COST: u32 = 1024 * 1024;
    /// See [`HashParams::MAX_M_COST`].
    pub const MAX_T_COST: u32 = 100;
    /// See [`HashParams::MAX_M_COST`].
    pub const MAX_P_COST: u32 = 16;

    fn to_argon2(self) -> Result<Params, ParamsError> {
        if self.m_cost > Self::MAX_M_COST
            || self.t_cost > Self::MAX_T_COST
            || self.p_cost > Self::MAX_P_COST
        {
            return Err(ParamsError::BeyondLimits(self));
        }
        Params::new(self.m_cost, self.t_cost, self.p_cost, None)
            .map_err(|e| ParamsError::Refused(self, e.to_string()))
    }

    /// These parameters with any of the given ones in their place (what a
    /// binding does with the ones its caller left out).
    pub fn with(self, m_cost: Option<u32>, t_cost: Option<u32>, p_cost: Option<u32>) -> Self {
        HashParams {
            m_cost: m_cost.unwrap_or(self.m_cost),
            t_cost: t_cost.unwrap_or(self.t_cost),
            p_cost: p_cost.unwrap_or(self.p_cost),
        }
    }

    /// Checks the parameters are ones argon2 accepts, within ropc's limits.
    pub fn validate(self) -> Result<(), ParamsError> {
        self.to_argon2().map(|_| ())
    }

    /// OWASP's equally strong argon2id settings (memory in KiB, passes),
    /// from its Password Storage Cheat Sheet: parameters at least as costly
    /// as one of them (and at least one lane) are [`HashParams::is_strong`].
    pub const OWASP_MINIMUMS: [(u32, u32); 5] =
        [(47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5)];

    /// Whether these parameters meet one of OWASP's minimums
    /// ([`HashParams::OWASP_MINIMUMS`]). A server refuses weaker ones unless
    /// its configuration sets `allow_weak_password_hashing` (for tests).
    pub fn is_strong(self) -> bool {
        self.p_cost >= 1
            && Self::OWASP_MINIMUMS
                .iter()
                .any(|&(m, t)| self.m_cost >= m && self.t_cost >= t)
    }

    /// [`HashParams::is_strong`], with the reason when not
    /// ([`ParamsError::Weak`]): one wording for the server and the CLI.
    pub fn check_strong(self) -> Result<(), ParamsError> {
        if self.is_strong() {
            Ok(())
        } else {
            Err(ParamsError::Weak(self))
        }
    }
}

impl Default for HashParams {
    fn default() -> Self {
        HashParams::OWASP
    }
}

/// Why a password could not be hashed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HashError {
    /// The password is longer than [`MAX_PASSWORD_BYTES`].
    TooLong,
    /// The password is empty.
    Empty,
    /// The parameters are not ones argon2 accepts.
    Params(ParamsError),
    /// argon2 failed to hash; says why.
    Failed(String),
}

/// Why argon2 parameters cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParamsError {
    /// Beyond [`HashParams::MAX_M_COST`], [`HashParams::MAX_T_COST`] or
    /// [`HashParams::MAX_P_COST`].
    BeyondLimits(HashParams),
    /// argon2 refuses them (for example, less memory than 8 KiB a lane); says why.
    Refused(HashParams, String),
    /// Below every one of OWASP's minimums ([`HashParams::OWASP_MINIMUMS`]).
    Weak(HashParams),
}

impl fmt::Display for ParamsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamsError::BeyondLimits(p) => write!(
                f,
                "argon2 parameters m={} t={} p={} are beyond the limits m<={} t<={} p<={}",
                p.m_cost,
                p.t_cost,
                p.p_cost,
                HashParams::MAX_M_COST,
                HashParams::MAX_T_COST,
                HashParams::MAX_P_COST
            ),
            ParamsError::Refused(p, why) => write!(
                f,
                "invalid argon2 parameters m={} t={} p={}: {why}",
                p.m_cost, p.t_cost, p.p_cost
            ),
            ParamsError::Weak(p) => {
                write!(
                    f,
                    "argon2id m={} t={} p={} is below OWASP's minimums (",
                    p.m_cost, p.t_cost, p.p_cost
                )?;
                for (i, (m, t)) in HashParams::OWASP_MINIMUMS.iter().enumerate() {
                    let sep = if i == 0 { "" } else { " or " };
                    write!(f, "{sep}m={m} KiB with t={t}")?;
                }
                f.write_str(")")
            }
        }
    }
}

impl std::error::Error for ParamsError {}

/// Why a password hash string cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PhcError {
    /// Not a PHC string at all; says why.
    Malformed(String),
    /// A PHC string of another algorithm (named).
    Unsupported(String),
    /// No salt or no hash in it.
    Incomplete,
    /// Its argon2 parameters, algorithm or version are not valid; says why.
    Invalid(String),
}

impl fmt::Display for PhcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhcError::Malformed(why) => write!(f, "not a PHC string: {why}"),
            PhcError::Unsupported(alg) => {
                write!(
                    f,
                    "unsupported password hash algorithm {alg:?}: use argon2id"
                )
            }
            PhcError::Incomplete => f.write_str("the PHC string has no salt or no hash"),
            PhcError::Invalid(why) => write!(f, "bad argon2 parameters: {why}"),
        }
    }
}

impl std::error::Error for PhcError {}

impl fmt::Display for HashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HashError::TooLong => {
                write!(f, "the password is longer than {MAX_PASSWORD_BYTES} bytes")
            }
            HashError::Empty => f.write_str("the password is empty"),
            HashError::Params(e) => e.fmt(f),
            HashError::Failed(why) => write!(f, "argon2 failed: {why}"),
        }
    }
}

impl std::error::Error for HashError {}

/// Hashes `password` with argon2id at `params` into a PHC string
/// (`$argon2id$v=19$m=19456,t=2,p=1$...`), with a fresh random salt.
pub fn hash_password(password: &str, params: HashParams) -> Result<String, HashError> {
    if password.is_empty() {
        return Err(HashError::Empty);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(HashError::TooLong);
    }
    let argon = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        params.to_argon2().map_err(HashError::Params)?,
    );
    let mut salt = [0u8; 16];
    crate::random::fill(&mut salt);
    argon
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError::Failed(e.to_string()))
}

/// A parsed, validated password hash: argon2 (a PHC string), or one of the
/// legacy formats an existing user base brings (bcrypt, PBKDF2, scrypt: see
/// [`crate::legacy_hash`]), which verify and are re-hashed to argon2id on the
/// next successful login. Its `Debug` shows only the algorithm and the
/// parameters, never the salt or hash.
#[derive(Clone)]
pub struct PasswordHashed {
    /// The string as given.
    encoded: Arc<str>,
    /// argon2's parameters; `None` for a legacy hash.
    params: Option<HashParams>,
    is_argon2id: bool,
    /// What a verification needs, decoded once: shared with the pool.
    prepared: Arc<Prepared>,
}

/// A hash decoded for verification.
enum Prepared {
    Argon2(Argon2Hash),
    Legacy(crate::legacy_hash::Legacy),
}

/// An argon2 hash's algorithm, parameters, salt and expected output.
struct Argon2Hash {
    algorithm: Algorithm,
    version: Version,
    params: Params,
    salt: Vec<u8>,
    expected: Vec<u8>,
}

impl fmt::Debug for PasswordHashed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.prepared {
            Prepared::Argon2(a) => write!(
                f,
                "PasswordHashed({}, {:?})",
                a.algorithm.as_str(),
                self.params
            ),
            Prepared::Legacy(l) => write!(f, "PasswordHashed({})", l.name()),
        }
    }
}

impl PasswordHashed {
    /// Parses a password hash: an argon2 PHC string (argon2id, argon2i or
    /// argon2d, version 0x13), or a bcrypt, PBKDF2 or scrypt hash in one of
    /// the formats [`crate::legacy_hash`] lists.
    pub fn parse(hash: &str) -> Result<PasswordHashed, PhcError> {
        match crate::legacy_hash::parse(hash) {
            Some(Ok(legacy)) => Ok(PasswordHashed {
                encoded: hash.into(),
                params: None,
                is_argon2id: false,
                prepared: Arc::new(Prepared::Legacy(legacy)),
            }),
            Some(Err(why)) => Err(PhcError::Invalid(why)),
            None => Self::parse_argon2(hash),
        }
    }

    /// Parses an argon2 PHC string only (client secrets).
    pub(crate) fn parse_argon2(phc: &str) -> Result<PasswordHashed, PhcError> {
        let parsed = PasswordHash::new(phc).map_err(|e| PhcError::Malformed(e.to_string()))?;
        let alg = parsed.algorithm.as_str();
        if !matches!(alg, "argon2id" | "argon2i" | "argon2d") {
            return Err(PhcError::Unsupported(alg.to_string()));
        }
        if parsed.salt.is_none() || parsed.hash.is_none() {
            return Err(PhcError::Incomplete);
        }
        let p = Params::try_from(&parsed).map_err(|e| PhcError::Invalid(e.to_string()))?;
        // The same limits as the parameters ropc hashes with: a stored hash
        // is read before any password is checked against it, so a cost
        // beyond them (m=4294967295: a 4 TiB allocation at the first login)
        // is refused where the hash enters, never met at a login.
        let params = HashParams {
            m_cost: p.m_cost(),
            t_cost: p.t_cost(),
            p_cost: p.p_cost(),
        };
        params
            .to_argon2()
            .map_err(|e| PhcError::Invalid(e.to_string()))?;
        let prepared = Argon2Hash {
            algorithm: Algorithm::try_from(alg)
                .map_err(|e| PhcError::Invalid(format!("algorithm: {e}")))?,
            version: Version::try_from(parsed.version.unwrap_or(0x13))
                .map_err(|e| PhcError::Invalid(format!("version: {e}")))?,
            params: p.clone(),
            salt: parsed.salt.as_ref().map(|s| s.to_vec()).unwrap_or_default(),
            expected: parsed
                .hash
                .as_ref()
                .map(|h| h.as_bytes().to_vec())
                .unwrap_or_default(),
        };
        Ok(PasswordHashed {
            encoded: parsed.to_string().into(),
            prepared: Arc::new(Prepared::Argon2(prepared)),
            is_argon2id: alg == "argon2id" && parsed.version.unwrap_or(0x13) == 0x13,
            params: Some(params),
        })
    }

    /// The hash string (for argon2, the PHC string in its canonical form).
    pub fn to_phc_string(&self) -> String {
        self.encoded.to_string()
    }

    /// Whether `password` matches, verified on the bounded pool under the
    /// caller's `permit` (see [`reserve`]); the caller waits for it.
    pub(crate) fn verify_on_pool(&self, permit: Permit, password: &str) -> bool {
        VERIFICATIONS.with(|n| n.set(n.get() + 1));
        permit.run(Arc::clone(&self.prepared), password)
    }

    /// The argon2 parameters the hash was made with (`None` for a legacy
    /// hash).
    pub(crate) fn params(&self) -> Option<HashParams> {
        self.params
    }

    /// Whether the hash was made with another algorithm or other parameters
    /// than `current`, so that it should be re-hashed after the next
    /// successful login.
    pub fn needs_rehash(&self, current: HashParams) -> bool {
        !self.is_argon2id || self.params != Some(current)
    }
}

thread_local! {
    static VERIFICATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many argon2 verifications this thread has run. Tests use it to show
/// that paths which must take the same time do the same work (counted, not
/// timed); a call runs its verification on the calling thread.
#[doc(hidden)]
pub fn argon2_verifications_on_this_thread() -> u64 {
    VERIFICATIONS.with(|n| n.get())
}

/// The server's password policy: the parameters new hashes get, and a dummy
/// hash at those parameters to verify against when an account is unknown.
pub(crate) struct Passwords {
    params: HashParams,
    dummy: OnceCell<PasswordHashed>,
}

impl Passwords {
    pub(crate) fn new(params: HashParams) -> Self {
        Passwords {
            params,
            dummy: OnceCell::new(),
        }
    }

    pub(crate) fn params(&self) -> HashParams {
        self.params
    }

    /// Spends the time a real verification would, for an unknown account,
    /// on the pool under the caller's permit.
    pub(crate) fn verify_dummy(&self, permit: Permit, password: &str) {
        let dummy = self.dummy.get_or_init(|| {
            let mut random = [0u8; 32];
            crate::random::fill(&mut random);
            let phc = hash_password(&crate::token::encode(&random), self.params)
                .expect("parameters were validated when the server was built");
            PasswordHashed::parse(&phc).expect("argon2 produced a valid PHC string")
        });
        let _ = dummy.verify_on_pool(permit, password);
    }
}

// ---- the bounded verification pool ------------------------------------------
//
// argon2 wants m_cost KiB per verification. Run on whatever thread called
// (a web server's, libuv's), every concurrent check allocated 19 MiB more and
// glibc kept the buffers per thread: the C example's RSS went from 5 MB to
// 650 MB, and cheap requests waited behind password checks on the same
// threads. Verifications now run on a few threads of their own (one per core
// by default) that reuse their buffers; a caller first takes a permit, of
// which there are threads + queue at most, so that past that a request is
// answered 503 at once instead of piling up memory.

/// The pool is full: answer `503 temporarily_unavailable`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Busy;

struct Job {
    prepared: Arc<Prepared>,
    password: Wiped<Vec<u8>>,
    reply: SyncSender<bool>,
}

struct Pool {
    jobs: Mutex<std::sync::mpsc::Sender<Job>>,
    outstanding: AtomicUsize,
    capacity: usize,
}

fn env_number(name: &str) -> Option<usize> {
    std::env::var(name)
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|n| *n > 0)
}

/// This process's pool, made on first use. A child made by `fork` (a
/// pre-forking server such as gunicorn --preload) has none of its parent's
/// threads: it gets a pool of its own instead of waiting for ever.
static POOL: Lazy<Mutex<Option<(u32, &'static Pool)>>> = Lazy::new(|| Mutex::new(None));

fn pool() -> &'static Pool {
    let pid = std::process::id();
    let mut current = POOL.lock();
    if let Some((owner, pool)) = *current {
        if owner == pid {
            return pool;
        }
    }
    // ROPC_VERIFY_THREADS (default: the cores) and ROPC_VERIFY_QUEUE
    // (default: 32 per thread) size the pool, for every binding alike.
    let threads = env_number("ROPC_VERIFY_THREADS")
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .min(256);
    let queue = env_number("ROPC_VERIFY_QUEUE")
        .unwrap_or(32 * threads)
        .min(1 << 20);
    let pool: &'static Pool = Box::leak(Box::new(Pool::start(threads, queue)));
    *current = Some((pid, pool));
    pool
}

impl Pool {
    fn start(threads: usize, queue: usize) -> Pool {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads {
            let rx = Arc::clone(&rx);
            let spawned = std::thread::Builder::new()
                .name(format!("ropc-argon2-{i}"))
                .spawn(move || work(&rx));
            if spawned.is_err() {
                log::error!(target: "ropc::password", "cannot start an argon2 thread");
            }
        }
        Pool {
            jobs: Mutex::new(tx),
            outstanding: AtomicUsize::new(0),
            capacity: threads + queue,
        }
    }

    fn reserve(&'static self) -> Result<Permit, Busy> {
        if self.outstanding.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.outstanding.fetch_sub(1, Ordering::AcqRel);
            return Err(Busy);
        }
        Ok(Permit(self))
    }
}

fn work(rx: &Mutex<std::sync::mpsc::Receiver<Job>>) {
    let mut blocks: Vec<Block> = Vec::new();
    loop {
        let job = match rx.lock().recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        let started = std::time::Instant::now();
        let ok = match &*job.prepared {
            Prepared::Argon2(p) => {
                let need = p.params.block_count();
                if blocks.len() < need {
                    blocks.resize(need, Block::default());
                }
                let mut out = Wiped::new(vec![0u8; p.expected.len()]);
                Argon2::new(p.algorithm, p.version, p.params.clone())
                    .hash_password_into_with_memory(
                        &job.password,
                        &p.salt,
                        &mut out[..],
                        &mut blocks[..need],
                    )
                    .is_ok()
                    && !p.expected.is_empty()
                    && bool::from(out.as_slice().ct_eq(&p.expected))
            }
            Prepared::Legacy(legacy) => legacy.verify(&job.password),
        };
        PASSWORD_SECONDS.observe(started);
        let _ = job.reply.send(ok);
    }
}

/// A place on the pool for one verification.
pub(crate) struct Permit(&'static Pool);

impl fmt::Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Permit")
    }
}

/// Verifications waiting or running on this process's pool.
pub(crate) fn queued() -> usize {
    pool().outstanding.load(Ordering::Relaxed)
}

/// Takes a place on the pool, or says it is full (threads busy and the
/// queue long): then nothing has been done and the request gets 503.
pub(crate) fn reserve() -> Result<Permit, Busy> {
    pool().reserve()
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.outstanding.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Permit {
    /// Runs one verification on the pool and waits for it.
    fn run(self, prepared: Arc<Prepared>, password: &str) -> bool {
        let (reply, answer) = sync_channel(1);
        let job = Job {
            prepared,
            password: Wiped::new(password.as_bytes().to_vec()),
            reply,
        };
        if self.0.jobs.lock().send(job).is_err() {
            return false;
        }
        answer.recv().unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: HashParams = HashParams {
        m_cost: 64,
        t_cost: 1,
        p_cost: 1,
    };

    #[test]
    fn hash_and_verify() {
        let phc = hash_password("correct horse", CHEAP).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        let h = PasswordHashed::parse(&phc).unwrap();
        assert!(h.verify_on_pool(reserve().unwrap(), "correct horse"));
        assert!(!h.verify_on_pool(reserve().unwrap(), "correct horsf"));
        assert!(!h.needs_rehash(CHEAP));
        assert!(h.needs_rehash(HashParams::OWASP));
        assert!(!format!("{h:?}").contains(&phc[30..]));
    }

    #[test]
    fn limits() {
        assert_eq!(hash_password("", CHEAP), Err(HashError::Empty));
        assert_eq!(
            hash_password(&"x".repeat(MAX_PASSWORD_BYTES + 1), CHEAP),
            Err(HashError::TooLong)
        );
        assert!(hash_password(&"x".repeat(MAX_PASSWORD_BYTES), CHEAP).is_ok());
        assert!(matches!(
            hash_password(
                "x",
                HashParams {
                    m_cost: 1,
                    t_cost: 1,
                    p_cost: 1
                }
            ),
            Err(HashError::Params(_))
        ));
    }

    #[test]
    fn rejects_what_is_no_known_hash() {
        assert!(PasswordHashed::parse("plaintext").is_err());
        assert!(PasswordHashed::parse("$md5$abc$def").is_err());
        assert!(PasswordHashed::parse_argon2("$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E").is_err());
    }

    #[test]
    fn argon2_hashes_beyond_the_limits_are_refused_when_parsed() {
        // The costs a stored hash names are bounded like the ones ropc
        // hashes with: memory first (4 TiB, 2.9 GiB), then passes, lanes.
        let salt_and_hash = "c2FsdHNhbHRzYWx0c2FsdA$2pKZ5p2UZlXDHJ2xkq9hYnCixr9+bMVlZH2Ia7qpPfo";
        for (params, refused) in [
            ("m=4294967295,t=2,p=1", true),
            ("m=3000000,t=2,p=1", true),
            ("m=1048577,t=1,p=1", true),
            ("m=19456,t=101,p=1", true),
            ("m=19456,t=2,p=17", true),
            ("m=1048576,t=100,p=16", false),
            ("m=19456,t=2,p=1", false),
        ] {
            for alg in ["argon2id", "argon2i", "argon2d"] {
                let phc = format!("${alg}$v=19${params}${salt_and_hash}");
                let got = PasswordHashed::parse(&phc);
                assert_eq!(got.is_err(), refused, "{phc}: {got:?}");
                if refused {
                    let why = got.unwrap_err().to_string();
                    assert!(why.contains("beyond the limits"), "{why}");
                    // Client secrets take the same door.
                    assert!(PasswordHashed::parse_argon2(&phc).is_err());
                }
            }
        }
    }

    #[test]
    fn argon2i_needs_rehash() {
        let argon = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            CHEAP.to_argon2().unwrap(),
        );
        let phc = argon
            .hash_password_with_salt(b"pw", b"saltsaltsaltsalt")
            .unwrap()
            .to_string();
        let h = PasswordHashed::parse(&phc).unwrap();
        assert!(h.verify_on_pool(reserve().unwrap(), "pw"));
        assert!(!h.verify_on_pool(reserve().unwrap(), "pW"));
        assert!(h.needs_rehash(CHEAP));
    }
}

#[cfg(test)]
mod pool_tests {
    use super::*;

    const CHEAP: HashParams = HashParams {
        m_cost: 64,
        t_cost: 1,
        p_cost: 1,
    };

    #[test]
    fn the_pool_answers_busy_past_its_capacity_and_frees_places() {
        // A pool of its own (1 thread, a queue of 2), not the process's.
        let pool: &'static Pool = Box::leak(Box::new(Pool::start(1, 2)));
        let held: Vec<Permit> = (0..3).map(|_| pool.reserve().unwrap()).collect();
        assert!(pool.reserve().is_err(), "threads + queue places, no more");
        let h = PasswordHashed::parse(&hash_password("pw", CHEAP).unwrap()).unwrap();
        let mut held = held.into_iter();
        assert!(h.verify_on_pool(held.next().unwrap(), "pw"));
        let again = pool
            .reserve()
            .expect("a finished verification frees its place");
        drop(again);
        drop(held);
        let all: Vec<Permit> = (0..3).map(|_| pool.reserve().unwrap()).collect();
        assert_eq!(all.len(), 3);
    }

    #[test]
    fn verifications_of_every_argon2_variant_run_on_the_pool() {
        for alg in [Algorithm::Argon2id, Algorithm::Argon2i, Algorithm::Argon2d] {
            let phc = Argon2::new(alg, Version::V0x13, Params::new(64, 1, 1, None).unwrap())
                .hash_password_with_salt(b"secret", b"saltsaltsaltsalt")
                .unwrap()
                .to_string();
            let h = PasswordHashed::parse(&phc).unwrap();
            assert!(h.verify_on_pool(reserve().unwrap(), "secret"), "{alg:?}");
            assert!(!h.verify_on_pool(reserve().unwrap(), "secreT"), "{alg:?}");
        }
    }
}

/// The verifications of this process (the pool is the process's).
pub(crate) static PASSWORD_SECONDS: once_cell::sync::Lazy<crate::histogram::Histogram> =
    once_cell::sync::Lazy::new(crate::histogram::Histogram::default);
