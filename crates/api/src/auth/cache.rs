//! Callers recently authenticated, kept for a few seconds so that a busy client does not cost a
//! database round trip per request (the session row, or the application and its revoked
//! tokens).
//!
//! What this trades: a change made elsewhere (a sign-out, a revoked token, a deactivated
//! application or administrator on another node, or by the command line) takes effect here
//! within the cache's time to live (`--auth-cache-seconds`, default 2; 0 turns the cache off).
//! A change made through this node takes effect at once: [`guard`](super::guard) empties the
//! cache after every successful request that changes who may do what.

use std::time::{Duration, Instant};

use sha2::Digest as _;

use super::Principal;

/// At most this many callers are kept; beyond, the least recently used go first.
const CAPACITY: usize = 10_000;

#[derive(Clone)]
struct Entry {
    principal: Principal,
    until: Instant,
}

pub struct PrincipalCache {
    ttl: Duration,
    entries: Option<quick_cache::sync::Cache<[u8; 32], Entry>>,
}

/// The cache key of a credential: its SHA-256, so that no credential is kept in memory longer
/// than the request that carried it.
pub fn key(kind: &str, credential: &str) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    h.update(kind.as_bytes());
    h.update([0]);
    h.update(credential.as_bytes());
    h.finalize().into()
}

impl PrincipalCache {
    pub fn new(ttl: Duration) -> Self {
        let entries = (!ttl.is_zero()).then(|| quick_cache::sync::Cache::new(CAPACITY));
        PrincipalCache { ttl, entries }
    }

    pub fn get(&self, key: &[u8; 32]) -> Option<Principal> {
        let entry = self.entries.as_ref()?.get(key)?;
        (Instant::now() < entry.until).then_some(entry.principal)
    }

    /// Keeps `principal` for the time to live, or less when its credential ends sooner
    /// (`ends_in`: what is left of an access token's lifetime).
    pub fn put(&self, key: [u8; 32], principal: Principal, ends_in: Option<Duration>) {
        if let Some(entries) = &self.entries {
            let ttl = ends_in.map_or(self.ttl, |d| d.min(self.ttl));
            entries.insert(key, Entry { principal, until: Instant::now() + ttl });
        }
    }

    /// Forgets every caller: something changed who may do what.
    pub fn clear(&self) {
        if let Some(entries) = &self.entries {
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AppPrincipal;

    fn app(name: &str) -> Principal {
        Principal::App(AppPrincipal { client_id: name.into(), name: name.into(), scopes: vec![] })
    }

    #[test]
    fn entries_end_with_their_time_to_live_or_their_credential() {
        let cache = PrincipalCache::new(Duration::from_millis(300));
        cache.put(key("bearer", "a"), app("a"), None);
        cache.put(key("bearer", "b"), app("b"), Some(Duration::from_millis(20)));
        assert!(cache.get(&key("bearer", "a")).is_some());
        assert!(cache.get(&key("session", "a")).is_none(), "the kind is part of the key");
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.get(&key("bearer", "b")).is_none(), "ends with the token");
        assert!(cache.get(&key("bearer", "a")).is_some());
        std::thread::sleep(Duration::from_millis(300));
        assert!(cache.get(&key("bearer", "a")).is_none(), "ends with the time to live");
    }

    #[test]
    fn clear_forgets_and_zero_turns_it_off() {
        let cache = PrincipalCache::new(Duration::from_secs(60));
        cache.put(key("bearer", "a"), app("a"), None);
        cache.clear();
        assert!(cache.get(&key("bearer", "a")).is_none());
        let off = PrincipalCache::new(Duration::ZERO);
        off.put(key("bearer", "a"), app("a"), None);
        assert!(off.get(&key("bearer", "a")).is_none());
    }
}
