//! The conformance suite: what every [`Store`] must do, as checks any
//! implementation can run (cargo feature `conformance`).
//!
//! ```
//! use ropc_core::{conformance::store as conformance, MemoryStore, Store};
//! use std::sync::Arc;
//! // In a test of your store: handles on the same storage, as processes have.
//! let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
//! conformance::run(&|| Arc::clone(&store));
//! conformance::run_shared(&*store, &*store);
//! ```
//!
//! [`run`] checks one store's semantics; [`run_shared`] checks that two
//! handles on the same storage (two processes, two hosts) see one state. The
//! checks use fresh random tokens and names, so a store whose storage other
//! tests also use (a shared test database) gives the same verdict. Each check
//! panics with a message naming the rule broken.

use crate::config::ThrottleConfig;
use crate::random::fill as fill_random;
use crate::rotation::{RefreshPolicy, MAX_REFRESH_RETRIES};
use crate::store::{
    Failures, GrantId, RefreshState, Rotation, RotationRequest, Store, StoreError, Successors,
    TokenKind, TokenRecord, TokenStore,
};
use crate::throttle::{self, Verdict};
use crate::token::TokenHash;
use std::sync::{Arc, Barrier};

/// Makes a store to check. It may return handles on the same storage.
pub type Factory<'a> = &'a (dyn Fn() -> Arc<dyn Store> + Sync);

const NOW: u64 = 1_700_000_000;

fn hash() -> TokenHash {
    let mut h = [0u8; 32];
    fill_random(&mut h);
    TokenHash(h)
}

fn name(prefix: &str) -> String {
    let mut b = [0u8; 8];
    fill_random(&mut b);
    format!(
        "{prefix}-{}",
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    )
}

fn record(grant: GrantId, user: &str, expires_at: u64) -> TokenRecord {
    TokenRecord {
        grant,
        client_id: "app".into(),
        username: user.into(),
        scope: "read write:é".into(),
        issued_at: NOW,
        expires_at,
        user_version: 0,
        auth_time: NOW - 30,
        jkt: None,
    }
}

/// A grant with both tokens: (access hash, refresh hash, access record, refresh record).
fn grant(store: &dyn Store, user: &str) -> (TokenHash, TokenHash, TokenRecord, TokenRecord) {
    let g = GrantId::random();
    let (a, r) = (hash(), hash());
    let (ra, rr) = (record(g, user, NOW + 60), record(g, user, NOW + 600));
    store
        .insert_grant((a, ra.clone()), Some((r, rr.clone())))
        .expect("insert_grant");
    (a, r, ra, rr)
}

/// Successors, and the presenting client's grace window: what the server
/// hands a rotation (the window goes to the rule).
#[derive(Clone, Debug)]
struct Next {
    successors: Successors,
    grace_seconds: u64,
}

impl std::ops::Deref for Next {
    type Target = Successors;
    fn deref(&self) -> &Successors {
        &self.successors
    }
}

/// A rotation as the server asks for it: under the core's rule.
trait RotateAs {
    fn rotate_as(
        &self,
        old: &TokenHash,
        client_id: &str,
        now: u64,
        next: &Next,
    ) -> Result<Rotation, StoreError>;
}

impl<S: TokenStore + ?Sized> RotateAs for S {
    fn rotate_as(
        &self,
        old: &TokenHash,
        client_id: &str,
        now: u64,
        next: &Next,
    ) -> Result<Rotation, StoreError> {
        let rule = RefreshPolicy {
            client_id,
            grace_seconds: next.grace_seconds,
        };
        let request = RotationRequest {
            now,
            next: &next.successors,
            rule: &rule,
        };
        self.rotate(old, &request)
    }
}

/// A login attempt as the server makes it: the verdict, then the
/// credential version read.
fn login_attempt(
    store: &dyn Store,
    account: &str,
    username: &str,
    now: u64,
    policy: &ThrottleConfig,
) -> Result<(Verdict, u64), StoreError> {
    let verdict = throttle::attempt(store, account, now, policy)?;
    Ok((verdict, store.user_version(username)?))
}

/// The outcome of an admitted attempt, as the server records it.
fn login_finished(
    store: &dyn Store,
    account: &str,
    now: u64,
    succeeded: bool,
) -> Result<Option<Failures>, StoreError> {
    store.update_counter(account, now, 0, &mut |before| {
        throttle::finish(before, now, succeeded)
    })
}

fn successors(narrowed: Option<&str>) -> Next {
    Next {
        grace_seconds: 0,
        successors: Successors {
            refresh: hash(),
            access: hash(),
            issued_at: NOW + 1,
            refresh_expires_at: NOW + 900,
            access_expires_at: NOW + 120,
            access_scope: narrowed.map(Into::into),
            max_session: None,
            access_jkt: None,
        },
    }
}

/// Successors at `now`, with a grace window and a maximum session age.
fn successors_at(now: u64, grace_seconds: u64, max_session: Option<u64>) -> Next {
    Next {
        grace_seconds,
        successors: Successors {
            issued_at: now,
            refresh_expires_at: now + 900,
            access_expires_at: now + 120,
            max_session,
            ..successors(None).successors
        },
    }
}

/// Rotates `old` as `client` at NOW + 1: (new access, new refresh, outcome).
fn rotate(store: &dyn Store, old: &TokenHash, client: &str) -> (TokenHash, TokenHash, Rotation) {
    let next = successors(None);
    let out = store
        .rotate_as(old, client, NOW + 1, &next)
        .expect("rotate");
    (next.access, next.refresh, out)
}

/// `store.access`, checked against `store.access_with` (which every
/// check goes through): whether the token is live, and what it holds, the
/// same both ways.
fn lent_access(
    store: &dyn Store,
    hash: &TokenHash,
    now: u64,
) -> Result<Option<TokenRecord>, StoreError> {
    let record = store.access(hash, now)?;
    let mut lent = None;
    let live = store.access_with(hash, now, &mut |t| lent = Some(TokenRecord::from(t)))?;
    assert_eq!(live, record.is_some(), "access_with and access disagree");
    assert_eq!(lent, record, "access_with lent another record");
    Ok(record)
}

/// Every single-store check, in turn: [`tokens`], [`counters`],
/// [`credentials`], then the upkeep that spans them.
pub fn run(make: Factory<'_>) {
    tokens(make);
    counters(make);
    credentials(make);
    purge_drops_only_the_dead(&*make());
    if make().keys().is_some() {
        signing_keys(make);
    }
    if make().replays().is_some() {
        replays(make);
    }
}

/// What a [`crate::store::ReplayStore`] must do (for a store whose
/// [`Store::replays`] gives one): a proof's first use is one, its second is
/// not until its record runs out, and of racing hosts exactly one gets the
/// first use.
pub fn replays(make: Factory<'_>) {
    let store = make();
    let replays = store.replays().expect("this store keeps used proofs");
    // Ids of this run alone (a shared database holds other runs' too).
    let base = crate::token::TokenHash::of(&name("proof")).0;
    let id = |n: u8| {
        let mut id = base;
        id[0] = n;
        id
    };
    assert!(
        replays
            .first_use(&id(1), NOW + 120, NOW)
            .expect("first_use"),
        "first use"
    );
    assert!(
        !replays
            .first_use(&id(1), NOW + 120, NOW + 1)
            .expect("first_use"),
        "a replay"
    );
    assert!(
        !replays
            .first_use(&id(1), NOW + 999, NOW + 119)
            .expect("first_use"),
        "until it runs out"
    );
    assert!(
        replays
            .first_use(&id(2), NOW + 120, NOW)
            .expect("first_use"),
        "another proof"
    );
    assert!(
        replays
            .first_use(&id(1), NOW + 240, NOW + 120)
            .expect("first_use"),
        "its record ran out (expiry is exclusive, as for tokens)"
    );
    assert!(
        !replays
            .first_use(&id(1), NOW + 240, NOW + 121)
            .expect("first_use"),
        "recorded anew"
    );
    // Racing hosts with one proof: one first use.
    let handles: Vec<Arc<dyn Store>> = (0..RACERS).map(|_| make()).collect();
    let barrier = Barrier::new(RACERS);
    let firsts = std::thread::scope(|s| {
        let joins: Vec<_> = handles
            .iter()
            .map(|h| {
                let (barrier, id) = (&barrier, id(3));
                s.spawn(move || {
                    barrier.wait();
                    h.replays()
                        .expect("replays")
                        .first_use(&id, NOW + 120, NOW)
                        .expect("first_use")
                })
            })
            .collect();
        joins
            .into_iter()
            .map(|j| j.join().is_ok_and(|b| b))
            .filter(|first| *first)
            .count()
    });
    assert_eq!(
        firsts, 1,
        "of racing hosts, exactly one gets a proof's first use"
    );
}

/// What a [`crate::store::KeyStore`] must do (for a store whose
/// [`Store::keys`] gives one): keep keys as given, add the next key by a
/// compare-and-set on the newest, of racing hosts exactly one.
pub fn signing_keys(make: Factory<'_>) {
    let store = make();
    let keys = store.keys().expect("this store keeps signing keys");
    let key = |kid: &str, activates_at: u64| crate::store::StoredKey {
        kid: kid.to_string(),
        alg: "EdDSA".into(),
        created_at: NOW,
        activates_at,
        public_jwk: format!(r#"{{"kid":"{kid}"}}"#),
        sealed: vec![1, 2, 3, 0, 255],
    };
    let prefix = name("k");
    let mine = |ks: Vec<crate::store::StoredKey>| -> Vec<crate::store::StoredKey> {
        ks.into_iter()
            .filter(|k| k.kid.starts_with(&prefix))
            .collect()
    };
    let newest =
        |ks: &[crate::store::StoredKey]| crate::store::keys::newest(ks).map(|k| k.kid.clone());
    let before = keys.signing_keys().expect("signing_keys");
    let first = key(&format!("{prefix}-1"), NOW + 1_000_000);
    assert!(
        keys.add_signing_key(first.clone(), newest(&before).as_deref())
            .expect("add"),
        "a key is added when the newest is as the caller read it"
    );
    assert_eq!(
        mine(keys.signing_keys().expect("signing_keys")),
        vec![first.clone()],
        "kept as given"
    );
    assert!(
        !keys
            .add_signing_key(
                key(&format!("{prefix}-x"), NOW + 2_000_000),
                newest(&before).as_deref()
            )
            .expect("add"),
        "a stale read adds nothing"
    );
    // Racing hosts, each having read the same newest key: one adds.
    let handles: Vec<Arc<dyn Store>> = (0..RACERS).map(|_| make()).collect();
    let barrier = Barrier::new(RACERS);
    let first_kid = first.kid.clone();
    let added = std::thread::scope(|s| {
        let joins: Vec<_> = handles
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let (barrier, first_kid, key) = (&barrier, &first_kid, &key);
                let prefix = &prefix;
                s.spawn(move || {
                    barrier.wait();
                    h.keys()
                        .expect("keys")
                        .add_signing_key(
                            key(&format!("{prefix}-r{i}"), NOW + 3_000_000),
                            Some(first_kid),
                        )
                        .expect("add")
                })
            })
            .collect();
        joins
            .into_iter()
            .map(|j| j.join().is_ok_and(|b| b))
            .filter(|added| *added)
            .count()
    });
    assert_eq!(added, 1, "of racing hosts, exactly one adds the next key");
    assert_eq!(mine(keys.signing_keys().expect("signing_keys")).len(), 2);
    keys.remove_signing_key(&first.kid).expect("remove");
    keys.remove_signing_key("no such key")
        .expect("removing nothing is no error");
    let left = mine(keys.signing_keys().expect("signing_keys"));
    assert_eq!(left.len(), 1);
    assert!(left[0].kid.starts_with(&format!("{prefix}-r")));
    keys.remove_signing_key(&left[0].kid).expect("remove");
}

/// What a [`crate::store::TokenStore`] must do: records, liveness,
/// rotation under the core's rule, revocation.
pub fn tokens(make: Factory<'_>) {
    records_round_trip(&*make());
    bound_tokens_keep_their_key(&*make());
    expiry_is_exclusive(&*make());
    rotation_is_a_compare_and_swap(&*make());
    reuse_revokes_the_lineage(&*make());
    wrong_client_and_unknown_change_nothing(&*make());
    revoking_a_grant_through_any_token(&*make());
    removing_one_token(&*make());
    a_retry_within_the_grace_window_retires_the_unused_successor(&*make());
    a_retired_successor_presented_is_reuse(&*make());
    a_retry_is_reuse_outside_the_window_or_after_the_successor_was_used(&*make());
    the_maximum_session_age_bounds_every_rotation(&*make());
    concurrent_rotations_have_one_winner(make);
    concurrent_retries_leave_one_active_refresh_token(make);
}

/// What a [`crate::store::CounterStore`] must do: an atomic
/// read-modify-write, and the throttle's rule applied through it.
pub fn counters(make: Factory<'_>) {
    counter_updates_are_atomic(make);
    the_throttle_counts_atomically(&*make());
    concurrent_guesses_get_the_limit(make);
}

/// What a [`crate::store::CredentialStore`] must do: versions that only
/// grow and end older tokens, and a compare-and-set on host credentials.
pub fn credentials(make: Factory<'_>) {
    user_versions_end_tokens(&*make());
    host_credentials_end_tokens_when_they_change(&*make());
    concurrent_credential_changes_move_the_version_once(make);
}

/// `update_counter` is one atomic read-modify-write: concurrent updates of
/// one counter, from every handle, each see the one before (none is
/// lost); `None` deletes the counter; what is stored is what is returned.
pub fn counter_updates_are_atomic(make: Factory<'_>) {
    const EACH: u32 = 20;
    let stores: Vec<Arc<dyn Store>> = (0..RACERS).map(|_| make()).collect();
    let who = name("counted");
    let bump = |store: &dyn Store| {
        store
            .update_counter(&who, NOW, 0, &mut |before| {
                let mut f = before.unwrap_or_default();
                f.count += 1;
                f.last = NOW;
                Some(f)
            })
            .expect("update_counter")
    };
    std::thread::scope(|s| {
        for store in &stores {
            let bump = &bump;
            s.spawn(move || {
                for _ in 0..EACH {
                    bump(&**store);
                }
            });
        }
    });
    let total = EACH * RACERS as u32;
    assert_eq!(
        stores[0].counter(&who).expect("counter").map(|f| f.count),
        Some(total),
        "an update was lost: updates of one counter must be atomic"
    );
    let after = bump(&*stores[0]).expect("a counter after an update");
    assert_eq!(after.count, total + 1, "the update returns what it stored");
    let gone = stores[0]
        .update_counter(&who, NOW, 0, &mut |_| None)
        .expect("update_counter");
    assert_eq!(gone, None);
    assert_eq!(
        stores[0].counter(&who).expect("counter"),
        None,
        "None deletes"
    );
}

/// Records come back equal to what was stored, whatever their text.
pub fn records_round_trip(store: &dyn Store) {
    let user = name("ünïcode user");
    let (a, r, ra, rr) = grant(store, &user);
    assert_eq!(
        lent_access(store, &a, NOW).expect("access"),
        Some(ra),
        "an access record must come back as stored"
    );
    assert_eq!(
        store.refresh(&r, NOW).expect("refresh"),
        Some(RefreshState::Active(rr)),
        "a refresh record must come back as stored"
    );
    assert_eq!(
        lent_access(store, &r, NOW).expect("access"),
        None,
        "a refresh token is not an access token"
    );
    assert_eq!(
        store.refresh(&a, NOW).expect("refresh"),
        None,
        "an access token is not a refresh token"
    );
    assert_eq!(
        lent_access(store, &hash(), NOW).expect("access"),
        None,
        "unknown tokens are None"
    );
    let solo = hash();
    let rs = record(GrantId::random(), &user, NOW + 60);
    store
        .insert_grant((solo, rs.clone()), None)
        .expect("insert_grant without refresh");
    assert_eq!(lent_access(store, &solo, NOW).expect("access"), Some(rs));
    assert!(
        store.stats().expect("stats").access_tokens >= 2,
        "stats count what is held"
    );
}

/// A DPoP-bound access token keeps the thumbprint of its key (`jkt`), as
/// stored and lent; a rotation binds the new access token to the key the
/// successors name and never binds the new refresh token.
pub fn bound_tokens_keep_their_key(store: &dyn Store) {
    let user = name("bound");
    let (key, other) = (
        "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I",
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
    );
    let g = GrantId::random();
    let (a, r) = (hash(), hash());
    let ra = TokenRecord {
        jkt: Some(key.into()),
        ..record(g, &user, NOW + 60)
    };
    let rr = record(g, &user, NOW + 600);
    store
        .insert_grant((a, ra.clone()), Some((r, rr.clone())))
        .expect("insert_grant");
    let lent = lent_access(store, &a, NOW).expect("access").expect("live");
    assert_eq!(
        lent.jkt.as_deref(),
        Some(key),
        "a bound token keeps its key"
    );
    assert_eq!(lent, ra);
    assert_eq!(lent.scope, ra.scope, "and its scope, as it was");
    let mut next = successors(None);
    next.successors.access_jkt = Some(other.into());
    assert_eq!(
        store.rotate_as(&r, "app", NOW + 1, &next).expect("rotate"),
        Rotation::Rotated(rr)
    );
    let new_access = lent_access(store, &next.successors.access, NOW + 1)
        .expect("access")
        .expect("the new access token");
    assert_eq!(
        new_access.jkt.as_deref(),
        Some(other),
        "bound to the refresh's proof key"
    );
    match store
        .refresh(&next.successors.refresh, NOW + 1)
        .expect("refresh")
    {
        Some(RefreshState::Active(fresh)) => {
            assert_eq!(fresh.jkt, None, "refresh tokens are never bound")
        }
        other => panic!("the new refresh token: {other:?}"),
    }
    let (a2, r2, _) = rotate(store, &next.successors.refresh, "app");
    let plain = lent_access(store, &a2, NOW + 1)
        .expect("access")
        .expect("live");
    assert_eq!(plain.jkt, None, "a rotation without a key binds nothing");
    assert!(store.refresh(&r2, NOW + 1).expect("refresh").is_some());
}

/// A token is valid while `now < expires_at`.
pub fn expiry_is_exclusive(store: &dyn Store) {
    let (a, r, _, _) = grant(store, &name("u"));
    assert!(lent_access(store, &a, NOW + 59).expect("access").is_some());
    assert_eq!(
        lent_access(store, &a, NOW + 60).expect("access"),
        None,
        "expired at expires_at"
    );
    assert!(store.refresh(&r, NOW + 599).expect("refresh").is_some());
    assert_eq!(store.refresh(&r, NOW + 600).expect("refresh"), None);
    let out = store
        .rotate_as(&r, "app", NOW + 600, &successors(None))
        .expect("rotate");
    assert_eq!(
        out,
        Rotation::Invalid,
        "an expired refresh token cannot be rotated"
    );
}

/// Rotation marks the old token rotated and stores successors that inherit
/// its grant, client, owner, version and scope ([`Successors`]).
pub fn rotation_is_a_compare_and_swap(store: &dyn Store) {
    let user = name("u");
    let (a1, r1, _, rr) = grant(store, &user);
    let (a2, r2, out) = rotate(store, &r1, "app");
    assert_eq!(
        out,
        Rotation::Rotated(rr.clone()),
        "rotate returns the old token's record"
    );
    assert_eq!(
        store.refresh(&r1, NOW + 1).expect("refresh"),
        Some(RefreshState::Rotated(rr.clone())),
        "the old token is kept, rotated"
    );
    let (refresh, access) = successors(None)
        .records(&rr)
        .expect("within any maximum age");
    assert_eq!(
        store.refresh(&r2, NOW + 1).expect("refresh"),
        Some(RefreshState::Active(refresh)),
        "the successor is active and inherits grant, client, owner, version and scope"
    );
    assert_eq!(
        lent_access(store, &a2, NOW + 1).expect("access"),
        Some(access),
        "the new access token is stored"
    );
    assert!(
        lent_access(store, &a1, NOW + 1).expect("access").is_some(),
        "rotation does not end the old access token"
    );

    let narrowed = successors(Some("read"));
    let out = store
        .rotate_as(&r2, "app", NOW + 1, &narrowed)
        .expect("rotate");
    assert!(
        matches!(out, Rotation::Rotated(_)),
        "the successor rotates in turn"
    );
    let stored = lent_access(store, &narrowed.access, NOW + 1)
        .expect("access")
        .expect("stored");
    assert_eq!(
        &*stored.scope, "read",
        "a narrowed access token keeps its narrower scope"
    );
    let next = store.refresh(&narrowed.refresh, NOW + 1).expect("refresh");
    assert!(
        matches!(next, Some(RefreshState::Active(r)) if r.scope == rr.scope && r.grant == rr.grant),
        "the refresh token keeps the scope granted originally"
    );
}

/// Presenting a rotated token again revokes every token of its grant.
pub fn reuse_revokes_the_lineage(store: &dyn Store) {
    let user = name("u");
    let (a1, r1, _, _) = grant(store, &user);
    let (a2, r2, _) = rotate(store, &r1, "app");
    let (a3, r3, out) = rotate(store, &r1, "app");
    assert!(
        matches!(out, Rotation::Reused(_)),
        "a rotated token presented again is reuse"
    );
    for (what, t) in [
        ("first access", a1),
        ("second access", a2),
        ("reuse's access", a3),
    ] {
        assert_eq!(
            lent_access(store, &t, NOW + 1).expect("access"),
            None,
            "reuse must end the {what} token"
        );
    }
    for (what, t) in [("rotated", r1), ("successor", r2), ("reuse's", r3)] {
        assert_eq!(
            store.refresh(&t, NOW + 1).expect("refresh"),
            None,
            "reuse must end the {what} refresh token"
        );
    }
    let (_, _, after) = rotate(store, &r2, "app");
    assert_eq!(
        after,
        Rotation::Invalid,
        "nothing of a revoked lineage rotates"
    );
}

/// A rotated token presented again within the grace window, while its
/// successor was never used, retires that successor, deletes the access
/// token issued with it and issues new tokens in their place, at most
/// [`MAX_REFRESH_RETRIES`] times; the next presentation is
/// reuse. The lineage goes on from the last successor.
pub fn a_retry_within_the_grace_window_retires_the_unused_successor(store: &dyn Store) {
    let user = name("u");
    let (_, r1, _, rr) = grant(store, &user);
    let first = successors_at(NOW + 1, 30, None);
    assert_eq!(
        store
            .rotate_as(&r1, "app", NOW + 1, &first)
            .expect("rotate"),
        Rotation::Rotated(rr.clone())
    );
    let retry = successors_at(NOW + 20, 30, None);
    assert_eq!(
        store
            .rotate_as(&r1, "app", NOW + 20, &retry)
            .expect("rotate"),
        Rotation::Retried(rr.clone()),
        "a retry within the window gets new tokens, with the old token's record"
    );
    assert!(
        matches!(
            store.refresh(&first.refresh, NOW + 20).expect("refresh"),
            Some(RefreshState::Retired(_))
        ),
        "the unused successor is retired"
    );
    assert_eq!(
        lent_access(store, &first.access, NOW + 20).expect("access"),
        None,
        "the abandoned branch's access token ends with the decision"
    );
    assert!(
        matches!(store.refresh(&retry.refresh, NOW + 20).expect("refresh"), Some(RefreshState::Active(r)) if r.grant == rr.grant && r.auth_time == rr.auth_time),
        "the new refresh token is the lineage's active one, same grant, same sign-in time"
    );
    // A second retry within the window (the window runs from the first
    // rotation) retires the retry's successor in turn.
    let again = successors_at(NOW + 25, 30, None);
    assert!(matches!(
        store
            .rotate_as(&r1, "app", NOW + 25, &again)
            .expect("rotate"),
        Rotation::Retried(_)
    ));
    assert!(matches!(
        store.refresh(&retry.refresh, NOW + 25).expect("refresh"),
        Some(RefreshState::Retired(_))
    ));
    assert_eq!(
        lent_access(store, &retry.access, NOW + 25).expect("access"),
        None
    );
    // The lineage goes on from the last one.
    let on = successors_at(NOW + 26, 30, None);
    assert!(matches!(
        store
            .rotate_as(&again.refresh, "app", NOW + 26, &on)
            .expect("rotate"),
        Rotation::Rotated(_)
    ));

    // Retries are bounded: once spent, the next one, in the window and
    // with an unused successor, is reuse.
    let (_, r1, _, _) = grant(store, &user);
    let mut last = successors_at(NOW + 1, 30, None);
    assert!(matches!(
        store.rotate_as(&r1, "app", NOW + 1, &last).expect("rotate"),
        Rotation::Rotated(_)
    ));
    for i in 0..MAX_REFRESH_RETRIES {
        last = successors_at(NOW + 2 + u64::from(i), 30, None);
        assert!(matches!(
            store
                .rotate_as(&r1, "app", last.issued_at, &last)
                .expect("rotate"),
            Rotation::Retried(_)
        ));
    }
    let over = successors_at(NOW + 10, 30, None);
    assert!(
        matches!(
            store
                .rotate_as(&r1, "app", NOW + 10, &over)
                .expect("rotate"),
            Rotation::Reused(_)
        ),
        "a retry past the bound is reuse"
    );
    assert_eq!(
        lent_access(store, &last.access, NOW + 10).expect("access"),
        None,
        "and revokes the lineage"
    );
}

/// A successor that a retry retired, presented again, is reuse: two parties
/// hold tokens of the lineage (a thief retried a stolen token before the
/// client used its own, or the other way round). The grant is revoked,
/// whichever branch each holds.
pub fn a_retired_successor_presented_is_reuse(store: &dyn Store) {
    let (_, r1, _, _) = grant(store, &name("u"));
    let client = successors_at(NOW + 1, 30, None);
    assert!(matches!(
        store
            .rotate_as(&r1, "app", NOW + 1, &client)
            .expect("rotate"),
        Rotation::Rotated(_)
    ));
    let thief = successors_at(NOW + 5, 30, None);
    assert!(matches!(
        store
            .rotate_as(&r1, "app", NOW + 5, &thief)
            .expect("rotate"),
        Rotation::Retried(_)
    ));
    let late = successors_at(NOW + 6, 30, None);
    let RefreshState::Retired(record) = store
        .refresh(&client.refresh, NOW + 6)
        .expect("refresh")
        .expect("held")
    else {
        panic!("the client's successor is retired")
    };
    assert_eq!(
        store
            .rotate_as(&client.refresh, "other", NOW + 6, &late)
            .expect("rotate"),
        Rotation::WrongClient,
        "another client's presentation changes nothing"
    );
    assert_eq!(
        store
            .rotate_as(&client.refresh, "app", NOW + 6, &late)
            .expect("rotate"),
        Rotation::Reused(record),
        "a retired token presented is reuse"
    );
    // The thief's retry is revoked with the grant; the presentation that
    // was reuse stored no successors at all.
    for (what, t) in [
        ("the retry's tokens end", &thief),
        ("reuse stores no successor", &late),
    ] {
        assert_eq!(
            lent_access(store, &t.access, NOW + 6).expect("access"),
            None,
            "{what}"
        );
        assert_eq!(
            store.refresh(&t.refresh, NOW + 6).expect("refresh"),
            None,
            "{what}"
        );
    }
}

/// Outside the window, or once the successor was used, a rotated token
/// presented again is reuse: the lineage is revoked, as without a window.
pub fn a_retry_is_reuse_outside_the_window_or_after_the_successor_was_used(store: &dyn Store) {
    // Outside the window: at rotated_at + grace exactly.
    let (_, r1, _, _) = grant(store, &name("u"));
    let first = successors_at(NOW + 1, 30, None);
    assert!(matches!(
        store
            .rotate_as(&r1, "app", NOW + 1, &first)
            .expect("rotate"),
        Rotation::Rotated(_)
    ));
    let late = successors_at(NOW + 31, 30, None);
    assert!(
        matches!(
            store
                .rotate_as(&r1, "app", NOW + 31, &late)
                .expect("rotate"),
            Rotation::Reused(_)
        ),
        "the window is exclusive of its end"
    );
    assert_eq!(
        lent_access(store, &first.access, NOW + 31).expect("access"),
        None,
        "the lineage is revoked"
    );

    // Within the window but the successor was used (rotated): reuse.
    let (_, r1, _, _) = grant(store, &name("u"));
    let first = successors_at(NOW + 1, 30, None);
    assert!(matches!(
        store
            .rotate_as(&r1, "app", NOW + 1, &first)
            .expect("rotate"),
        Rotation::Rotated(_)
    ));
    let used = successors_at(NOW + 2, 30, None);
    assert!(matches!(
        store
            .rotate_as(&first.refresh, "app", NOW + 2, &used)
            .expect("rotate"),
        Rotation::Rotated(_)
    ));
    let replay = successors_at(NOW + 3, 30, None);
    assert!(
        matches!(
            store
                .rotate_as(&r1, "app", NOW + 3, &replay)
                .expect("rotate"),
            Rotation::Reused(_)
        ),
        "a token two rotations back is a copy in someone else's hands"
    );
    assert_eq!(
        lent_access(store, &used.access, NOW + 3).expect("access"),
        None
    );

    // No window (0): reuse at once, as RFC 9700 §4.14.2 has it.
    let (_, r1, _, _) = grant(store, &name("u"));
    assert!(matches!(
        store
            .rotate_as(&r1, "app", NOW + 1, &successors_at(NOW + 1, 0, None))
            .expect("rotate"),
        Rotation::Rotated(_)
    ));
    assert!(matches!(
        store
            .rotate_as(&r1, "app", NOW + 1, &successors_at(NOW + 1, 0, None))
            .expect("rotate"),
        Rotation::Reused(_)
    ));
    // Another client's retry changes nothing.
    let (_, r1, _, _) = grant(store, &name("u"));
    let first = successors_at(NOW + 1, 30, None);
    assert!(matches!(
        store
            .rotate_as(&r1, "app", NOW + 1, &first)
            .expect("rotate"),
        Rotation::Rotated(_)
    ));
    assert_eq!(
        store
            .rotate_as(&r1, "other", NOW + 2, &successors_at(NOW + 2, 30, None))
            .expect("rotate"),
        Rotation::WrongClient
    );
    assert!(matches!(
        store.refresh(&first.refresh, NOW + 2).expect("refresh"),
        Some(RefreshState::Active(_))
    ));
}

/// Successors expire by the grant's maximum age (from the sign-in, kept
/// across rotations); past it there is no rotation, and nothing is revoked.
pub fn the_maximum_session_age_bounds_every_rotation(store: &dyn Store) {
    let (a1, r1, _, rr) = grant(store, &name("u"));
    // The sign-in was at NOW - 30; a maximum age of 100 ends the grant at NOW + 70.
    let next = successors_at(NOW + 1, 0, Some(100));
    assert!(matches!(
        store.rotate_as(&r1, "app", NOW + 1, &next).expect("rotate"),
        Rotation::Rotated(_)
    ));
    let refreshed = store.refresh(&next.refresh, NOW + 1).expect("refresh");
    assert!(
        matches!(&refreshed, Some(RefreshState::Active(r)) if r.expires_at == NOW + 70 && r.auth_time == rr.auth_time),
        "the successor expires at the grant's end: {refreshed:?}"
    );
    assert_eq!(
        lent_access(store, &next.access, NOW + 1)
            .expect("access")
            .map(|r| r.expires_at),
        Some(NOW + 70)
    );
    assert_eq!(
        store.refresh(&next.refresh, NOW + 70).expect("refresh"),
        None,
        "and is dead there"
    );
    // Past the maximum (a lower one set later), no rotation: Invalid, and
    // the token is left as it was.
    let (_, r2, _, _) = grant(store, &name("u"));
    assert_eq!(
        store
            .rotate_as(&r2, "app", NOW + 1, &successors_at(NOW + 1, 0, Some(31)))
            .expect("rotate"),
        Rotation::Invalid,
        "the grant is past its maximum age"
    );
    assert!(matches!(
        store.refresh(&r2, NOW + 1).expect("refresh"),
        Some(RefreshState::Active(_))
    ));
    assert!(lent_access(store, &a1, NOW + 1).expect("access").is_some());
}

/// Another client's token and unknown tokens leave everything as it was.
pub fn wrong_client_and_unknown_change_nothing(store: &dyn Store) {
    let user = name("u");
    let (_, r, _, rr) = grant(store, &user);
    let (a2, _, out) = rotate(store, &r, "intruder");
    assert_eq!(out, Rotation::WrongClient);
    assert_eq!(
        lent_access(store, &a2, NOW + 1).expect("access"),
        None,
        "nothing stored for a wrong client"
    );
    assert_eq!(
        store.refresh(&r, NOW + 1).expect("refresh"),
        Some(RefreshState::Active(rr)),
        "the token stays active"
    );
    let (_, _, unknown) = rotate(store, &hash(), "app");
    assert_eq!(unknown, Rotation::Invalid);
}

/// Revoking through an access or a refresh token ends the grant, and only it.
pub fn revoking_a_grant_through_any_token(store: &dyn Store) {
    let user = name("u");
    let (a, r, _, _) = grant(store, &user);
    let (other_a, other_r, _, _) = grant(store, &user);
    store
        .revoke_grant(TokenKind::Access, &a)
        .expect("revoke_grant");
    assert_eq!(lent_access(store, &a, NOW).expect("access"), None);
    assert_eq!(
        store.refresh(&r, NOW).expect("refresh"),
        None,
        "revoking through the access token ends the refresh token"
    );
    assert!(
        lent_access(store, &other_a, NOW).expect("access").is_some(),
        "other grants are untouched"
    );
    store
        .revoke_grant(TokenKind::Refresh, &other_r)
        .expect("revoke_grant");
    assert_eq!(
        lent_access(store, &other_a, NOW).expect("access"),
        None,
        "revoking through the refresh token ends the access token"
    );
    let solo = hash();
    store
        .insert_grant((solo, record(GrantId::random(), &user, NOW + 60)), None)
        .expect("insert");
    store
        .revoke_grant(TokenKind::Access, &solo)
        .expect("revoke_grant");
    assert_eq!(
        lent_access(store, &solo, NOW).expect("access"),
        None,
        "a grant without refresh token is revoked too"
    );
    store
        .revoke_grant(TokenKind::Refresh, &hash())
        .expect("revoking an unknown token is no error");
}

/// `remove` takes one token and returns its record.
pub fn removing_one_token(store: &dyn Store) {
    let (a, r, ra, _) = grant(store, &name("u"));
    assert_eq!(
        store.remove(TokenKind::Access, &a).expect("remove"),
        Some(ra)
    );
    assert_eq!(lent_access(store, &a, NOW).expect("access"), None);
    assert_eq!(
        store.remove(TokenKind::Access, &a).expect("remove"),
        None,
        "a second remove finds nothing"
    );
    assert!(
        store.refresh(&r, NOW).expect("refresh").is_some(),
        "removing the access token leaves the refresh token"
    );
}

/// Credential versions start at 0, only grow, and end older tokens.
pub fn user_versions_end_tokens(store: &dyn Store) {
    let (alice, bob) = (name("alice"), name("bob"));
    assert_eq!(
        store.user_version(&alice).expect("user_version"),
        0,
        "versions start at 0"
    );
    let (a, r, _, _) = grant(store, &alice);
    let (bob_a, _, _, _) = grant(store, &bob);
    assert_eq!(store.revoke_user(&alice).expect("revoke_user"), 1);
    assert_eq!(
        lent_access(store, &a, NOW).expect("access"),
        None,
        "a version bump ends access tokens"
    );
    assert_eq!(
        store.refresh(&r, NOW).expect("refresh"),
        None,
        "and refresh tokens"
    );
    let (_, _, out) = rotate(store, &r, "app");
    assert_eq!(out, Rotation::Invalid, "an ended token cannot be rotated");
    assert!(
        lent_access(store, &bob_a, NOW).expect("access").is_some(),
        "other users are untouched"
    );
    assert_eq!(store.user_version(&alice).expect("user_version"), 1);
    assert_eq!(store.user_version(&alice).expect("user_version"), 1);
    assert_eq!(store.user_version(&bob).expect("user_version"), 0);
    // The counter and the user are named apart: the version is the user's.
    let counter = name("counter");
    assert_eq!(
        store.user_version(&alice).expect("user_version"),
        1,
        "the version of the user named, not of the counter"
    );
    login_finished(store, &counter, NOW, false).expect("login_finished");
    assert_eq!(
        store.counter(&counter).expect("failures").map(|f| f.count),
        Some(1),
        "the attempt counts on the counter named"
    );
    let mut fresh = record(GrantId::random(), &alice, NOW + 60);
    fresh.user_version = 1;
    let t = hash();
    store.insert_grant((t, fresh), None).expect("insert");
    assert!(
        lent_access(store, &t, NOW).expect("access").is_some(),
        "tokens of the current version live"
    );
    assert_eq!(
        store.revoke_user(&alice).expect("revoke_user"),
        2,
        "versions only grow"
    );
}

/// A host's credential version: the first one seen is recorded, the same
/// one again changes nothing, a different one ends older tokens. Any u64
/// (a hash) is kept bit for bit.
pub fn host_credentials_end_tokens_when_they_change(store: &dyn Store) {
    let (carol, dan) = (name("carol"), name("dan"));
    let (a, _, _, _) = grant(store, &carol);
    let (dan_a, _, _, _) = grant(store, &dan);
    assert_eq!(
        store.sync_credential(&carol, 7).expect("sync_credential"),
        0,
        "the first credential seen is only recorded"
    );
    assert_eq!(
        store.sync_credential(&carol, 7).expect("sync_credential"),
        0
    );
    assert!(
        lent_access(store, &a, NOW).expect("access").is_some(),
        "an unchanged credential keeps tokens"
    );
    assert_eq!(
        store.sync_credential(&carol, 8).expect("sync_credential"),
        1,
        "a new credential moves the version on"
    );
    assert_eq!(
        lent_access(store, &a, NOW).expect("access"),
        None,
        "and ends older tokens"
    );
    assert!(
        lent_access(store, &dan_a, NOW).expect("access").is_some(),
        "other users are untouched"
    );
    for (c, v) in [
        (u64::MAX, 2),
        (u64::MAX - 1, 3),
        (u64::MAX - 1, 3),
        (1 << 63, 4),
    ] {
        assert_eq!(
            store.sync_credential(&carol, c).expect("sync_credential"),
            v,
            "credentials near u64::MAX are told apart"
        );
    }
}

/// Many threads reporting one new credential at once move the version on
/// exactly once.
pub fn concurrent_credential_changes_move_the_version_once(make: Factory<'_>) {
    let store = make();
    let user = name("erin");
    store.sync_credential(&user, 1).expect("sync_credential");
    let versions: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| store.sync_credential(&user, 2).expect("sync_credential")))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    assert!(
        versions.iter().all(|v| *v == 1),
        "one change, one new version: {versions:?}"
    );
}

/// The throttle follows the throttle's rule exactly.
pub fn the_throttle_counts_atomically(store: &dyn Store) {
    let p = ThrottleConfig {
        max_failures: 2,
        lockout_seconds: 10,
        forget_after_seconds: 100,
    };
    let who = name("guessed");
    let mut model = None;
    // (seconds after NOW, outcome of the check if it proceeds)
    let script = [
        (0, false),
        (1, false),
        (2, false),
        (11, false),
        (12, false),
        (200, true),
        (201, false),
    ];
    for (i, (t, succeeded)) in script.into_iter().enumerate() {
        let (expected, after) = throttle::step(model, NOW + t, &p);
        model = Some(after);
        let got = login_attempt(store, &who, &who, NOW + t, &p).expect("login_attempt");
        assert_eq!(
            got.0, expected,
            "attempt {i} at +{t}s: the verdict must follow the throttle's rule"
        );
        if expected == Verdict::Proceed {
            model = throttle::finish(model, NOW + t, succeeded);
            login_finished(store, &who, NOW + t, succeeded).expect("login_finished");
        }
        assert_eq!(
            store.counter(&who).expect("failures"),
            model,
            "attempt {i}: the counter after"
        );
    }
    let (_, pending) = throttle::step(model, NOW + 202, &p);
    login_attempt(store, &who, &who, NOW + 202, &p).expect("login_attempt");
    assert_eq!(
        store.counter(&who).expect("failures"),
        Some(pending),
        "an admitted attempt is pending"
    );
    login_finished(store, &who, NOW + 202, true).expect("login_finished");
    assert_eq!(
        store.counter(&who).expect("failures"),
        None,
        "a success with nothing pending leaves no counter"
    );
}

/// Purge drops expired tokens, revoked grants and stale counters, and
/// nothing live.
pub fn purge_drops_only_the_dead(store: &dyn Store) {
    let user = name("u");
    let (a, r, _, _) = grant(store, &user);
    let (dead_a, dead_r, _, _) = grant(store, &user);
    store
        .revoke_grant(TokenKind::Refresh, &dead_r)
        .expect("revoke_grant");
    let p = ThrottleConfig::default();
    let (old, recent) = (name("old"), name("recent"));
    login_attempt(store, &old, &old, NOW - 1000, &p).expect("login_attempt");
    login_attempt(store, &recent, &recent, NOW, &p).expect("login_attempt");
    let dropped = store.purge(NOW + 61, NOW - 10).expect("purge");
    assert!(dropped >= 4, "purge counts what it dropped: {dropped}");
    assert_eq!(
        store.remove(TokenKind::Access, &a).expect("remove"),
        None,
        "the expired access token was dropped"
    );
    assert!(
        store.refresh(&r, NOW + 61).expect("refresh").is_some(),
        "the live refresh token stays"
    );
    assert_eq!(
        store.remove(TokenKind::Access, &dead_a).expect("remove"),
        None,
        "tokens of revoked grants go"
    );
    assert_eq!(
        store.counter(&old).expect("failures"),
        None,
        "stale counters go"
    );
    assert!(
        store.counter(&recent).expect("failures").is_some(),
        "recent counters stay"
    );
}

const RACERS: usize = 16;

/// Of many concurrent rotations of one token, exactly one wins.
pub fn concurrent_rotations_have_one_winner(make: Factory<'_>) {
    let stores: Vec<Arc<dyn Store>> = (0..RACERS).map(|_| make()).collect();
    let user = name("u");
    let (_, r, _, _) = grant(&*stores[0], &user);
    let barrier = Barrier::new(RACERS);
    let outcomes: Vec<Rotation> = std::thread::scope(|s| {
        let handles: Vec<_> = stores
            .iter()
            .map(|store| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    rotate(&**store, &r, "app").2
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("racer"))
            .collect()
    });
    let wins = outcomes
        .iter()
        .filter(|o| matches!(o, Rotation::Rotated(_)))
        .count();
    assert_eq!(
        wins, 1,
        "exactly one concurrent rotation may win: {outcomes:?}"
    );
}

/// Concurrent presentations of one rotated token within the grace window,
/// in any number of processes, are serialized: as many as the retry bound
/// allows are retries, and while they are all the grant keeps exactly one
/// active refresh token (the others retired) and goes on from it; one more
/// is reuse and revokes the grant, so none stays active.
pub fn concurrent_retries_leave_one_active_refresh_token(make: Factory<'_>) {
    let bound = MAX_REFRESH_RETRIES as usize;
    for racers in [bound, RACERS] {
        let stores: Vec<Arc<dyn Store>> = (0..racers).map(|_| make()).collect();
        let (_, r, _, _) = grant(&*stores[0], &name("u"));
        let first = successors_at(NOW + 1, 60, None);
        assert!(matches!(
            stores[0]
                .rotate_as(&r, "app", NOW + 1, &first)
                .expect("rotate"),
            Rotation::Rotated(_)
        ));
        let barrier = Barrier::new(racers);
        let results: Vec<(Rotation, TokenHash)> = std::thread::scope(|s| {
            let handles: Vec<_> = stores
                .iter()
                .map(|store| {
                    let barrier = &barrier;
                    s.spawn(move || {
                        let next = successors_at(NOW + 2, 60, None);
                        barrier.wait();
                        (
                            store.rotate_as(&r, "app", NOW + 2, &next).expect("rotate"),
                            next.refresh,
                        )
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("racer"))
                .collect()
        });
        let count = |f: fn(&Rotation) -> bool| results.iter().filter(|(o, _)| f(o)).count();
        let retried = count(|o| matches!(o, Rotation::Retried(_)));
        let reused = count(|o| matches!(o, Rotation::Reused(_)));
        let invalid = count(|o| matches!(o, Rotation::Invalid));
        assert_eq!(
            retried,
            bound.min(racers),
            "retries up to the bound: {results:?}"
        );
        // Past the bound: reuse, which revokes the grant; a presentation
        // that waited on it finds the grant revoked (invalid) or, where the
        // database re-reads only the token's row, reuse again.
        assert_eq!(reused + invalid, racers - retried, "{results:?}");
        assert_eq!(
            reused > 0,
            racers > bound,
            "reuse past the bound: {results:?}"
        );
        let active: Vec<_> = std::iter::once(first.refresh)
            .chain(results.iter().map(|(_, h)| *h))
            .filter(|h| {
                matches!(
                    stores[0].refresh(h, NOW + 2).expect("refresh"),
                    Some(RefreshState::Active(_))
                )
            })
            .collect();
        if racers > bound {
            assert_eq!(
                active.len(),
                0,
                "reuse leaves no refresh token of the grant"
            );
            continue;
        }
        assert_eq!(
            active.len(),
            1,
            "exactly one refresh token of the grant stays active"
        );
        let next = successors_at(NOW + 3, 60, None);
        assert!(
            matches!(
                stores[0]
                    .rotate_as(&active[0], "app", NOW + 3, &next)
                    .expect("rotate"),
                Rotation::Rotated(_)
            ),
            "and the lineage continues from it"
        );
    }
}

/// Of many concurrent attempts at one account, only `max_failures` proceed;
/// the others are busy (nothing failed yet), not locked.
pub fn concurrent_guesses_get_the_limit(make: Factory<'_>) {
    let stores: Vec<Arc<dyn Store>> = (0..RACERS).map(|_| make()).collect();
    let p = ThrottleConfig {
        max_failures: 3,
        lockout_seconds: 100,
        forget_after_seconds: 1000,
    };
    let who = name("target");
    let barrier = Barrier::new(RACERS);
    let verdicts: Vec<Verdict> = std::thread::scope(|s| {
        let handles: Vec<_> = stores
            .iter()
            .map(|store| {
                let (barrier, who, p) = (&barrier, &who, &p);
                s.spawn(move || {
                    barrier.wait();
                    login_attempt(&**store, who, who, NOW, p)
                        .expect("login_attempt")
                        .0
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("guesser"))
            .collect()
    });
    let proceeded = verdicts.iter().filter(|v| **v == Verdict::Proceed).count();
    assert_eq!(
        proceeded, 3,
        "concurrent attempts must not get more checks than max_failures: {verdicts:?}"
    );
    assert!(
        verdicts.iter().all(|v| *v != Verdict::Locked),
        "nothing failed, nothing is locked: {verdicts:?}"
    );
    for store in stores.iter().take(3) {
        login_finished(&**store, &who, NOW, false).expect("login_finished");
    }
    assert_eq!(
        login_attempt(&*stores[0], &who, &who, NOW, &p)
            .expect("login_attempt")
            .0,
        Verdict::Locked
    );
}

/// Two handles on the same storage (as two processes or hosts have) see one
/// state: what one writes, the other reads, revokes and rotates.
pub fn run_shared(first: &dyn Store, second: &dyn Store) {
    let user = name("u");
    let (a, r, ra, _) = grant(first, &user);
    assert_eq!(
        lent_access(second, &a, NOW).expect("access"),
        Some(ra),
        "a token saved by one handle is found by the other"
    );
    let (a2, _, out) = rotate(second, &r, "app");
    assert!(matches!(out, Rotation::Rotated(_)));
    assert!(
        lent_access(first, &a2, NOW + 1).expect("access").is_some(),
        "a rotation by one is seen by the other"
    );
    let retry = successors_at(NOW + 2, 60, None);
    assert!(
        matches!(
            first.rotate_as(&r, "app", NOW + 2, &retry).expect("rotate"),
            Rotation::Retried(_)
        ),
        "a retry within the window is seen across handles"
    );
    assert!(matches!(
        second.refresh(&retry.refresh, NOW + 2).expect("refresh"),
        Some(RefreshState::Active(_))
    ));
    let (_, _, reuse) = rotate(first, &r, "app");
    assert!(
        matches!(reuse, Rotation::Reused(_)),
        "reuse is detected across handles"
    );
    assert_eq!(
        lent_access(second, &a2, NOW + 1).expect("access"),
        None,
        "and revokes the lineage for both"
    );
    let (b, _, _, _) = grant(first, &user);
    second.revoke_user(&user).expect("revoke_user");
    assert_eq!(
        lent_access(first, &b, NOW).expect("access"),
        None,
        "a user's tokens end everywhere"
    );
    let host_user = name("h");
    let (c, _, _, _) = grant(first, &host_user);
    first
        .sync_credential(&host_user, 1)
        .expect("sync_credential");
    assert_eq!(
        second.sync_credential(&host_user, 1).expect("sync"),
        0,
        "recorded for both handles"
    );
    assert_eq!(second.sync_credential(&host_user, 2).expect("sync"), 1);
    assert_eq!(
        lent_access(first, &c, NOW).expect("access"),
        None,
        "a credential change seen by one handle ends tokens for both"
    );
    let p = ThrottleConfig {
        max_failures: 2,
        lockout_seconds: 100,
        forget_after_seconds: 1000,
    };
    let who = name("guessed");
    for store in [first, second] {
        assert_eq!(
            login_attempt(store, &who, &who, NOW, &p)
                .expect("attempt")
                .0,
            Verdict::Proceed
        );
        login_finished(store, &who, NOW, false).expect("finished");
    }
    assert_eq!(
        login_attempt(first, &who, &who, NOW, &p)
            .expect("attempt")
            .0,
        Verdict::Locked,
        "failures count across handles"
    );
}
