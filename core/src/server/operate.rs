//! Operating a server: metrics, counts, purging.

use super::{Owners, Server};
use crate::accounts::AccountsStats;
use crate::store::{StoreError, StoreStats};

impl Server {
    /// The server's metrics as Prometheus text (exposition format 0.0.4):
    /// see [`crate::metrics`] for each. Reads the store's counts, so it may
    /// wait on a database store (a failure leaves `ropc_live_tokens` out
    /// and is counted in `ropc_store_errors_total`).
    pub fn metrics_text(&self) -> String {
        let stats = self.store.call(|s| s.stats()).ok();
        self.metrics.text(
            stats,
            crate::password::queued(),
            self.events
                .dropped
                .load(std::sync::atomic::Ordering::Relaxed),
        )
    }

    /// What the account layer did: host callbacks, cache misses, paced
    /// answers. All zero on configured users.
    pub fn accounts_stats(&self) -> AccountsStats {
        match &self.accounts {
            Owners::Host(host) => host.stats(),
            Owners::Config(_) => AccountsStats::default(),
        }
    }

    /// Drops expired tokens and stale counters now, in bounded batches (the
    /// store also does so as it goes).
    pub fn purge_expired(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let forget_before =
            crate::throttle::forget_before(now, &self.registry.load().config.throttle);
        self.store.call(|s| s.purge(now, forget_before))
    }

    /// Counts from the store.
    pub fn stats(&self) -> Result<StoreStats, StoreError> {
        self.store.call(|s| s.stats())
    }
}
