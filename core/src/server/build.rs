//! Building a server, checking a configuration, reloading one.

use super::{Owners, Server};
use crate::accounts::config::users_of;
use crate::accounts::{Accounts, ConfigAccounts, HostAccounts};
use crate::clock::{Clock, SystemTimer, Timer};
use crate::config::{Config, StoreConfig};
use crate::error::{ConfigError, OAuthError};
use crate::http::HttpResponse;
use crate::password::{hash_password, HashError};
use crate::registry::Registry;
use crate::resource::OwnerAuthorizer;
use crate::store::Store;
use arc_swap::ArcSwap;
use parking_lot::Mutex;
use std::sync::Arc;

/// Builds a [`Server`] with a non-default store, clock, accounts or
/// owner-authorization hook.
pub struct ServerBuilder {
    config: Config,
    store: Option<Arc<dyn Store>>,
    clock: Option<Arc<dyn Clock>>,
    timer: Option<Arc<dyn Timer>>,
    accounts: Option<Arc<dyn Accounts>>,
    authorizer: Option<Arc<dyn OwnerAuthorizer>>,
    events: Option<(Arc<dyn crate::events::EventSink>, usize)>,
}

impl std::fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("custom_store", &self.store.is_some())
            .field("host_accounts", &self.accounts.is_some())
            .field("owner_authorizer", &self.authorizer.is_some())
            .finish()
    }
}

impl ServerBuilder {
    /// Uses `store` for tokens and counters, instead of the one the
    /// configuration's `store` field names.
    pub fn store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// Uses `clock` for all times.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Uses `timer` to pace answers about host accounts (tests pass a
    /// [`crate::ManualTimer`] to see exactly how long each answer took).
    pub fn timer(mut self, timer: Arc<dyn Timer>) -> Self {
        self.timer = Some(timer);
        self
    }

    /// Verifies resource owners with the host's `accounts` instead of the
    /// configuration's `users` (which must then be empty). See
    /// [`crate::accounts`] for what ropc adds around them.
    pub fn accounts(mut self, accounts: Arc<dyn Accounts>) -> Self {
        self.accounts = Some(accounts);
        self
    }

    /// Asks `authorizer` whether an owner may use a resource, after the
    /// token and scope checks; `accounts.authorize` in the configuration
    /// says whether the rules are consulted too.
    pub fn owner_authorizer(mut self, authorizer: Arc<dyn OwnerAuthorizer>) -> Self {
        self.authorizer = Some(authorizer);
        self
    }

    /// Sends the server's audit events ([`crate::events`]) to `sink`, on a
    /// thread of their own behind a queue of [`crate::events::QUEUE`].
    pub fn events(mut self, sink: Arc<dyn crate::events::EventSink>) -> Self {
        self.events = Some((sink, crate::events::QUEUE));
        self
    }

    /// As [`ServerBuilder::events`] with a queue of `capacity` events (at
    /// least 1): past it, events are dropped and counted.
    pub fn events_with_queue(
        mut self,
        sink: Arc<dyn crate::events::EventSink>,
        capacity: usize,
    ) -> Self {
        self.events = Some((sink, capacity.max(1)));
        self
    }

    /// Validates the configuration, opens its store (unless one was given)
    /// and builds the server.
    pub fn build(self) -> Result<Server, ConfigError> {
        let (registry, users) = Registry::build_with(&self.config, users_of)?;
        let timer = self.timer.unwrap_or_else(|| Arc::new(SystemTimer));
        crate::accounts::config::check_owners(&self.config, &users, self.accounts.is_some())?;
        let accounts = match self.accounts {
            Some(host) => Owners::Host(HostAccounts::new(
                host,
                self.config.accounts,
                Arc::clone(&timer),
            )),
            None => Owners::Config(ConfigAccounts::new(users, registry.hash_params)),
        };
        let store = match self.store {
            Some(store) => store,
            None => super::open_store::open(&self.config.store)?,
        };
        let metrics = Arc::new(crate::metrics::Metrics::default());
        let events = Arc::new(match self.events {
            Some((sink, capacity)) => crate::events::Events::to(sink, capacity),
            None => crate::events::Events::log_only(),
        });
        // The store's failures are counted, and its calls timed when it
        // is a database.
        let clock = self.clock.unwrap_or_else(crate::clock::default_clock);
        let signer = signer_of(&self.config, &registry, &*store, clock.now())?;
        dpop_needs_replays(&registry, &*store)?;
        let store = crate::metrics::Metered::new(
            store,
            Arc::clone(&metrics),
            Arc::clone(&events),
            Arc::clone(&clock),
        );
        Ok(Server {
            registry: ArcSwap::from_pointee(registry),
            accounts,
            authorizer: self.authorizer,
            store,
            clock,
            timer,
            signer,
            nonce_key: crate::dpop::NonceKey::random(),
            reloading: Mutex::new(()),
            metrics,
            events,
        })
    }
}

/// What a configuration holds, validated as a server validates it (see
/// [`Config::check`]): what an operator's "check this file" prints.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigSummary {
    /// Scopes defined.
    pub scopes: usize,
    /// Clients registered.
    pub clients: usize,
    /// Of them, those allowed the password grant.
    pub password_clients: usize,
    /// Configured users (none with a host's accounts).
    pub users: usize,
    /// Access rules.
    pub rules: usize,
    /// The store's kind: `memory`, `sqlite`, `postgres` (or `unavailable`).
    pub store: &'static str,
}

impl std::fmt::Display for ConfigSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} scopes, {} clients ({} with the password grant), {} users, {} rules, store: {}",
            self.scopes, self.clients, self.password_clients, self.users, self.rules, self.store
        )
    }
}

impl Config {
    /// Validates the configuration exactly as [`ServerBuilder::build`]
    /// does, without opening its store; `host_accounts` says the server
    /// will verify owners with a host's accounts (then `users` must be
    /// empty and the rules' names are not checked).
    pub fn check(&self, host_accounts: bool) -> Result<ConfigSummary, ConfigError> {
        let (_, users) = Registry::build_with(self, users_of)?;
        crate::accounts::config::check_owners(self, &users, host_accounts)?;
        super::open_store::settings(&self.store)?;
        Ok(ConfigSummary {
            scopes: self.scopes.len(),
            clients: self.clients.len(),
            password_clients: self
                .clients
                .iter()
                .filter(|c| c.grant_types.iter().any(|g| g == "password"))
                .count(),
            users: users.len(),
            rules: self.rules.len(),
            store: match self.store {
                StoreConfig::Memory => "memory",
                StoreConfig::Sqlite { .. } => "sqlite",
                StoreConfig::Postgres { .. } => "postgres",
                StoreConfig::Unavailable => "unavailable",
            },
        })
    }
}

impl Server {
    /// A builder, for a custom store or clock.
    pub fn builder(config: Config) -> ServerBuilder {
        ServerBuilder {
            config,
            store: None,
            clock: None,
            timer: None,
            accounts: None,
            authorizer: None,
            events: None,
        }
    }

    /// A server on the store its configuration names, with the system clock.
    pub fn from_config(config: Config) -> Result<Server, ConfigError> {
        Self::builder(config).build()
    }

    /// A server from a JSON configuration document.
    pub fn from_json(json: &str) -> Result<Server, ConfigError> {
        Self::from_config(Config::from_json(json)?)
    }

    /// A server from a JSON configuration file.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Server, ConfigError> {
        let path = path.as_ref();
        let config = Config::from_file(path)?;
        Self::from_config(config).map_err(|e| e.in_file(path.display().to_string()))
    }

    /// The realm of `WWW-Authenticate` challenges.
    pub fn realm(&self) -> String {
        self.registry.load().config.realm.clone()
    }

    /// The current configuration, with password hashes as they are now
    /// (after re-hashing on login and password changes): persist it to keep them.
    pub fn config(&self) -> Config {
        let mut config = self.registry.load().config.clone();
        if let Owners::Config(users) = &self.accounts {
            for u in &mut config.users {
                if let Some((hash, enabled)) = users.current(&u.username) {
                    u.password_hash = hash;
                    u.enabled = enabled;
                }
            }
        }
        config
    }

    /// Swaps in a new configuration (clients, users, scopes, rules and
    /// settings) at once, without dropping a token: a request sees the old
    /// configuration or the new one, never a mix. Tokens of a removed
    /// client or user stop working; users the new configuration removes,
    /// disables or gives another password hash lose their tokens in every
    /// process sharing the store. The store cannot change (restart for
    /// that); on an error nothing changes.
    pub fn reload(&self, config: Config) -> Result<(), ConfigError> {
        let _one_at_a_time = self.reloading.lock();
        let current = self.registry.load_full();
        if config.store != current.config.store {
            return Err(ConfigError::new(
                "store",
                "the store cannot change on a reload: restart the server to move it",
            ));
        }
        if config.signing != current.config.signing {
            return Err(ConfigError::new(
                "signing",
                "the signing keys' settings cannot change on a reload: restart the server",
            ));
        }
        let (registry, users) = Registry::build_with(&config, users_of)?;
        dpop_needs_replays(&registry, self.store.store())?;
        crate::accounts::config::check_owners(
            &config,
            &users,
            matches!(self.accounts, Owners::Host(_)),
        )?;
        match &self.accounts {
            Owners::Config(accounts) => {
                for name in accounts.ended_by(&users) {
                    self.store.call(|s| s.revoke_user(&name)).map_err(|e| {
                        ConfigError::new(
                            "users",
                            format!("the store could not end a changed user's tokens, nothing changed: {e}"),
                        )
                    })?;
                    self.events
                        .emit(crate::events::EventKind::UserTokensRevoked, |k| {
                            crate::events::Event::new(k, self.clock.now())
                                .user(&name)
                                .reason("reload")
                        });
                }
                accounts.replace(users, registry.hash_params);
            }
            Owners::Host(host) => {
                host.set_settings(config.accounts);
            }
        }
        self.registry.store(Arc::new(registry));
        Ok(())
    }

    /// [`Server::reload`] from a JSON document.
    pub fn reload_json(&self, json: &str) -> Result<(), ConfigError> {
        self.reload(Config::from_json(json)?)
    }

    /// [`Server::reload`] from a configuration file, read as
    /// [`Config::from_file`] reads it (strict UTF-8: a file cut inside a
    /// character, as an editor mid-write leaves it, is an error naming the
    /// file). What every binding's reload-on-SIGHUP calls.
    pub fn reload_file(&self, path: impl AsRef<std::path::Path>) -> Result<(), ConfigError> {
        self.reload(Config::from_file(path)?)
    }

    /// The token-endpoint response for an error from a typed call
    /// (RFC 6749 §5.2), for callers that parse requests themselves.
    pub fn error_response(&self, err: &OAuthError) -> HttpResponse {
        HttpResponse::token_error(err, &self.registry.load().config.realm)
    }

    /// Hashes a password with this server's parameters.
    pub fn hash_password(&self, password: &str) -> Result<String, HashError> {
        hash_password(password, self.registry.load().hash_params)
    }
}

impl ConfigAccounts {
    /// The `users` of a configuration (validated as a server would).
    pub fn from_config(config: &crate::Config) -> Result<ConfigAccounts, crate::ConfigError> {
        let (registry, users) = Registry::build_with(config, users_of)?;
        Ok(ConfigAccounts::new(users, registry.hash_params))
    }
}

/// A client taking DPoP proofs needs a store that remembers them.
fn dpop_needs_replays(registry: &Registry, store: &dyn Store) -> Result<(), ConfigError> {
    if store.replays().is_some() {
        return Ok(());
    }
    match registry.dpop_client() {
        Some(c) => Err(ConfigError::new(
            "store",
            format!(
                "client {:?} takes DPoP proofs, and this store keeps none (memory, SQLite and PostgreSQL do)",
                c.id
            ),
        )),
        None => Ok(()),
    }
}

/// The signer of JWT access tokens, when the configuration has `signing`:
/// on a store that keeps keys, its stored keys opening with the
/// configured key-encryption key. Tokens live at most the longest access
/// token lifetime any client has.
fn signer_of(
    config: &Config,
    registry: &Registry,
    store: &dyn Store,
    now: u64,
) -> Result<Option<super::signer::Signer>, ConfigError> {
    let Some(signing) = &config.signing else {
        return Ok(None);
    };
    let keep = registry
        .clients
        .values()
        .filter(|c| c.jwt)
        .map(|c| c.access_ttl)
        .max()
        .unwrap_or(0);
    let signer = super::signer::Signer::from_config(signing, keep)?;
    signer.check(store.keys(), now)?;
    Ok(Some(signer))
}
