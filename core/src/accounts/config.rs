//! The default accounts: the configuration's `users`, argon2id hashes,
//! re-hashed on login when the parameters changed, changeable at run time
//! and on reload.

use super::{Accounts, HostError, Owner, Verification};
use crate::config::Config;
use crate::error::ConfigError;
use crate::names::{check_name, NameHasher};
use crate::password::{hash_password, reserve, HashParams, PasswordHashed, Passwords, Permit};
use arc_swap::ArcSwap;
use parking_lot::RwLock;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A validated user.
#[derive(Clone)]
pub(crate) struct User {
    pub(crate) username: Arc<str>,
    pub(crate) hash: PasswordHashed,
    pub(crate) groups: Arc<[Box<str>]>,
    pub(crate) enabled: bool,
}

/// Validates the configuration's `users`: each with the PHC string it was
/// configured with.
pub(crate) fn users_of(config: &Config) -> Result<Vec<(User, String)>, ConfigError> {
    let mut users = Vec::with_capacity(config.users.len());
    let mut names = HashSet::new();
    let mut folded: HashMap<String, usize> = HashMap::new();
    for (i, u) in config.users.iter().enumerate() {
        let path = format!("users[{i}]");
        check_name(&format!("{path}.username"), "a username", &u.username)?;
        let hash = PasswordHashed::parse(&u.password_hash)
            .map_err(|e| ConfigError::new(format!("{path}.password_hash"), e.to_string()))?;
        for (j, g) in u.groups.iter().enumerate() {
            check_name(&format!("{path}.groups[{j}]"), "a group name", g)?;
        }
        let user = User {
            username: u.username.as_str().into(),
            hash,
            groups: u.groups.iter().map(|g| g.as_str().into()).collect(),
            enabled: u.enabled,
        };
        if !names.insert(Arc::clone(&user.username)) {
            return Err(ConfigError::new(
                format!("{path}.username"),
                format!("duplicate username {:?}", u.username),
            ));
        }
        // One account, one name: a sign-in as "Alice " finds "alice", so
        // two users may not differ only in case, spacing or encoding.
        if let Some(j) = folded.insert(super::fold_name(&u.username).into_owned(), i) {
            return Err(ConfigError::new(
                format!("{path}.username"),
                format!(
                    "{:?} and users[{j}].username {:?} are one name spelt two ways (names are matched ignoring case, spacing and Unicode form)",
                    u.username, config.users[j].username
                ),
            ));
        }
        users.push((user, u.password_hash.clone()));
    }
    Ok(users)
}

/// Checks who the resource owners are, as a server (built or reloaded)
/// and `Config::check` alike require: with a host's accounts no `users`
/// may be configured; with the configured ones, the rules must name only
/// them ([`check_rule_names`]).
pub(crate) fn check_owners(
    config: &Config,
    users: &[(User, String)],
    host_accounts: bool,
) -> Result<(), ConfigError> {
    if !host_accounts {
        return check_rule_names(config, users);
    }
    if users.is_empty() {
        return Ok(());
    }
    Err(ConfigError::new(
        "users",
        "this server verifies resource owners with the host's accounts: list users there, not here",
    ))
}

/// Checks that every user and group the `rules` name is one of the
/// configured `users` or their groups: with the configuration's accounts a
/// misspelt name would otherwise load and silently let nobody in. (With a
/// host's accounts ropc cannot know the names, and does not check.)
pub(crate) fn check_rule_names(
    config: &Config,
    users: &[(User, String)],
) -> Result<(), ConfigError> {
    let names: HashSet<&str> = users.iter().map(|(u, _)| &*u.username).collect();
    let groups: HashSet<&str> = users
        .iter()
        .flat_map(|(u, _)| u.groups.iter().map(|g| &**g))
        .collect();
    for (i, rule) in config.rules.iter().enumerate() {
        for (j, name) in rule.users.iter().enumerate() {
            if name != "*" && !names.contains(name.as_str()) {
                return Err(ConfigError::new(
                    format!("rules[{i}].users[{j}]"),
                    format!("no configured user is named {name:?}"),
                ));
            }
        }
        for (j, name) in rule.groups.iter().enumerate() {
            if !groups.contains(name.as_str()) {
                return Err(ConfigError::new(
                    format!("rules[{i}].groups[{j}]"),
                    format!("no configured user is in a group named {name:?}"),
                ));
            }
        }
    }
    Ok(())
}

/// The resource owners listed in the configuration (`users`). Every
/// [`crate::Server`] built without [`crate::ServerBuilder::accounts`] uses
/// them; they also implement [`Accounts`], so that a host can wrap or test
/// against them.
pub struct ConfigAccounts {
    users: RwLock<HashMap<Arc<str>, Entry, NameHasher>>,
    /// The enabled users and their groups, which every check reads: a
    /// copy swapped whole when a user is enabled or disabled or the users
    /// replaced (under `users`' write lock). Reading it writes nothing
    /// shared, where a read lock on `users` made every check on every
    /// thread write one lock's word.
    owners: ArcSwap<Owners>,
    /// Each user's name as configured, by its folded form
    /// ([`super::fold_name`]): a sign-in under any spelling finds it.
    folded: ArcSwap<HashMap<Box<str>, Arc<str>>>,
    passwords: RwLock<Arc<Passwords>>,
}

fn folded_of(users: &HashMap<Arc<str>, Entry, NameHasher>) -> HashMap<Box<str>, Arc<str>> {
    users
        .keys()
        .map(|name| (super::fold_name(name).into(), Arc::clone(name)))
        .collect()
}

/// The enabled users' groups, by name.
type Owners = HashMap<Arc<str>, Arc<[Box<str>]>, NameHasher>;

fn owners_of(users: &HashMap<Arc<str>, Entry, NameHasher>) -> Owners {
    users
        .iter()
        .filter(|(_, e)| e.user.enabled)
        .map(|(name, e)| (Arc::clone(name), Arc::clone(&e.user.groups)))
        .collect()
}

struct Entry {
    user: User,
    /// The hash and state as the configuration gave them: a reload that
    /// leaves them alone keeps what changed at run time (re-hashing on
    /// login, a password set through the API).
    configured_hash: Arc<str>,
    configured_enabled: bool,
}

impl std::fmt::Debug for ConfigAccounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigAccounts")
            .field("users", &self.users.read().len())
            .finish()
    }
}

impl ConfigAccounts {
    pub(crate) fn new(users: Vec<(User, String)>, params: HashParams) -> ConfigAccounts {
        let users = users.into_iter().map(entry).collect();
        ConfigAccounts {
            owners: ArcSwap::from_pointee(owners_of(&users)),
            folded: ArcSwap::from_pointee(folded_of(&users)),
            users: RwLock::new(users),
            passwords: RwLock::new(Arc::new(Passwords::new(params))),
        }
    }

    /// The configured name of the user `name` spells (in any case,
    /// spacing or Unicode form), if any.
    pub(crate) fn resolve(&self, name: &str) -> Option<Arc<str>> {
        self.folded.load().get(&*super::fold_name(name)).cloned()
    }

    /// One argon2 verification whatever the outcome (a dummy one for an
    /// unknown user); re-hashes the hash of an enabled user whose password
    /// is right when it was made on older parameters. The one path behind
    /// [`ConfigAccounts::check`] and [`Accounts::verify`].
    fn verify_user(&self, permit: Permit, username: &str, password: &str) -> Checked {
        let passwords = Arc::clone(&self.passwords.read());
        let Some(user) = self.users.read().get(username).map(|e| e.user.clone()) else {
            passwords.verify_dummy(permit, password);
            return Checked::Unknown;
        };
        if !user.hash.verify_on_pool(permit, password) {
            return Checked::Wrong;
        }
        let rehashed = if user.enabled && user.hash.needs_rehash(passwords.params()) {
            self.rehash(&user, password, passwords.params())
        } else {
            None
        };
        Checked::Right(Box::new(user), rehashed)
    }

    /// Verifies a password: the user if it is right and the user enabled,
    /// with the new hash if it was re-made; otherwise why not (for the
    /// operator's events only: the client gets one answer).
    pub(crate) fn check(
        &self,
        permit: Permit,
        username: &str,
        password: &str,
    ) -> Result<(User, Option<String>), &'static str> {
        match self.verify_user(permit, username, password) {
            Checked::Right(user, rehashed) if user.enabled => Ok((*user, rehashed)),
            Checked::Right(..) => Err("disabled"),
            Checked::Wrong => Err("wrong_password"),
            Checked::Unknown => Err("unknown_user"),
        }
    }

    /// The work of a refused check, for a locked account.
    pub(crate) fn refuse(&self, permit: Permit, password: &str) {
        let passwords = Arc::clone(&self.passwords.read());
        passwords.verify_dummy(permit, password);
    }

    /// Upgrades a hash made on older parameters, unless the password changed meanwhile.
    fn rehash(&self, user: &User, password: &str, params: HashParams) -> Option<String> {
        let phc = hash_password(password, params).ok()?;
        let parsed = PasswordHashed::parse(&phc).ok()?;
        if let Some(e) = self.users.write().get_mut(&*user.username) {
            if e.user.hash.to_phc_string() == user.hash.to_phc_string() {
                e.user.hash = parsed;
                return Some(phc);
            }
        }
        None
    }

    /// `f` of the groups of an enabled user; `None` for unknown or
    /// disabled. Lent, not cloned: a user's groups are one `Arc` whose
    /// count every thread checking that user's tokens would write.
    pub(crate) fn with_groups<R>(
        &self,
        username: &str,
        f: impl FnOnce(&[Box<str>]) -> R,
    ) -> Option<R> {
        self.owners.load().get(username).map(|g| f(g))
    }

    pub(crate) fn is_enabled(&self, username: &str) -> Option<bool> {
        self.users.read().get(username).map(|e| e.user.enabled)
    }

    pub(crate) fn len(&self) -> usize {
        self.users.read().len()
    }

    pub(crate) fn set_hash(&self, username: &str, hash: PasswordHashed) {
        if let Some(e) = self.users.write().get_mut(username) {
            e.user.hash = hash;
        }
    }

    pub(crate) fn set_enabled(&self, username: &str, enabled: bool) {
        let mut users = self.users.write();
        if let Some(e) = users.get_mut(username) {
            e.user.enabled = enabled;
            self.owners.store(Arc::new(owners_of(&users)));
        }
    }

    /// The hash and enabled state now, for writing the configuration back.
    pub(crate) fn current(&self, username: &str) -> Option<(String, bool)> {
        let users = self.users.read();
        let e = users.get(username)?;
        Some((e.user.hash.to_phc_string(), e.user.enabled))
    }

    /// The users whose tokens a move to `users` must end: removed, disabled,
    /// or given another password hash by the configuration.
    pub(crate) fn ended_by(&self, users: &[(User, String)]) -> Vec<Arc<str>> {
        let old = self.users.read();
        let new: HashMap<&str, &(User, String)> =
            users.iter().map(|u| (&*u.0.username, u)).collect();
        old.iter()
            .filter(|(name, e)| match new.get(&***name) {
                None => true,
                Some((u, phc)) => {
                    **phc != *e.configured_hash || (u.enabled != e.configured_enabled && !u.enabled)
                }
            })
            .map(|(name, _)| Arc::clone(name))
            .collect()
    }

    /// Moves to the users of a new configuration. An entry the
    /// configuration did not change keeps its run-time hash and state.
    pub(crate) fn replace(&self, users: Vec<(User, String)>, params: HashParams) {
        let mut map = self.users.write();
        let mut next: HashMap<Arc<str>, Entry, NameHasher> = users.into_iter().map(entry).collect();
        for (name, e) in next.iter_mut() {
            if let Some(old) = map.get(name) {
                if old.configured_hash == e.configured_hash {
                    e.user.hash = old.user.hash.clone();
                }
                if old.configured_enabled == e.configured_enabled {
                    e.user.enabled = old.user.enabled;
                }
            }
        }
        *map = next;
        self.owners.store(Arc::new(owners_of(&map)));
        self.folded.store(Arc::new(folded_of(&map)));
        if self.passwords.read().params() != params {
            *self.passwords.write() = Arc::new(Passwords::new(params));
        }
    }
}

/// What one verification of a configured user found.
enum Checked {
    Unknown,
    Wrong,
    Right(Box<User>, Option<String>),
}

fn entry((user, phc): (User, String)) -> (Arc<str>, Entry) {
    (
        Arc::clone(&user.username),
        Entry {
            configured_enabled: user.enabled,
            configured_hash: phc.into(),
            user,
        },
    )
}

impl Accounts for ConfigAccounts {
    fn verify(&self, username: &str, password: &str) -> Result<Verification, HostError> {
        let permit =
            reserve().map_err(|_| HostError::new("the password verification pool is full"))?;
        let name = self.resolve(username);
        let user = match self.verify_user(permit, name.as_deref().unwrap_or(username), password) {
            Checked::Unknown => return Ok(Verification::UnknownUser),
            Checked::Wrong => return Ok(Verification::WrongPassword),
            Checked::Right(user, _) => user,
        };
        Ok(Verification::Verified(Owner {
            groups: user.groups.iter().map(|g| g.to_string()).collect(),
            enabled: user.enabled,
            // Configured users' credential versions are the store's own.
            credential: None,
            name: Some(user.username.to_string()),
        }))
    }

    fn lookup(&self, username: &str) -> Result<Option<Owner>, HostError> {
        let users = self.users.read();
        Ok(users.get(username).map(|e| Owner {
            groups: e.user.groups.iter().map(|g| g.to_string()).collect(),
            enabled: e.user.enabled,
            credential: None,
            name: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{RuleConfig, UserConfig};

    fn config(groups: &[&str], bob_enabled: bool) -> Config {
        let cheap = HashParams {
            m_cost: 64,
            t_cost: 1,
            p_cost: 1,
        };
        let phc = hash_password("pw", cheap).unwrap();
        let mut c = Config::default()
            .user(UserConfig::new("alice", &phc).groups(groups))
            .user(UserConfig::new("bob", &phc).enabled(bob_enabled))
            .rule(RuleConfig::new(&["GET /*"]).users(&["alice"]));
        c.password_hashing = cheap;
        c.allow_weak_password_hashing = true;
        c
    }

    fn groups_of(accounts: &ConfigAccounts, user: &str) -> Option<Vec<String>> {
        accounts.with_groups(user, |g| g.iter().map(|g| g.to_string()).collect())
    }

    /// A check's read of the groups counts no `Arc` up: the groups are
    /// lent from the published copy, which holds the one `Arc` the users'
    /// map shares with it.
    #[test]
    fn groups_are_lent_not_cloned() {
        let accounts = ConfigAccounts::from_config(&config(&["staff"], true)).unwrap();
        let groups = Arc::clone(&accounts.users.read()["alice"].user.groups);
        let before = Arc::strong_count(&groups);
        let during = accounts.with_groups("alice", |g| {
            assert_eq!(g, &[Box::<str>::from("staff")][..]);
            Arc::strong_count(&groups)
        });
        assert_eq!(during, Some(before));
        assert_eq!(accounts.with_groups("nobody", |_| ()), None);
    }

    /// The published owners follow every change of who is enabled, and a
    /// reload's new groups.
    #[test]
    fn the_owners_follow_enabling_disabling_and_reloads() {
        let accounts = ConfigAccounts::from_config(&config(&["staff"], false)).unwrap();
        assert_eq!(groups_of(&accounts, "alice"), Some(vec!["staff".into()]));
        assert_eq!(groups_of(&accounts, "bob"), None, "bob is disabled");
        accounts.set_enabled("bob", true);
        assert_eq!(groups_of(&accounts, "bob"), Some(vec![]));
        accounts.set_enabled("alice", false);
        assert_eq!(groups_of(&accounts, "alice"), None);
        accounts.set_enabled("nobody", true);
        assert_eq!(groups_of(&accounts, "nobody"), None);
        let (registry, users) =
            crate::registry::Registry::build_with(&config(&["staff", "admins"], true), users_of)
                .unwrap();
        accounts.replace(users, registry.hash_params);
        // alice's enabled state is the run-time one (the configuration did
        // not change it); her groups are the new configuration's.
        assert_eq!(groups_of(&accounts, "alice"), None);
        accounts.set_enabled("alice", true);
        assert_eq!(
            groups_of(&accounts, "alice"),
            Some(vec!["staff".into(), "admins".into()])
        );
        // bob's configured state changed (disabled → enabled): taken.
        assert_eq!(groups_of(&accounts, "bob"), Some(vec![]));
    }
}
