//! Slowing down guessing: a capped, growing delay after wrong passwords (per IP here, per
//! account in the database), and a rate limit on failed OAuth client authentication.

use std::collections::HashMap;

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The delay after `failures` consecutive failures: base, doubled each time, capped.
pub fn backoff(failures: u32, base_ms: u64, cap_ms: u64) -> Duration {
    if failures == 0 || base_ms == 0 {
        return Duration::ZERO;
    }
    let shift = (failures - 1).min(20);
    Duration::from_millis(base_ms.saturating_mul(1 << shift).min(cap_ms))
}

/// Consecutive wrong passwords per key (an IP address, or an entered login whether or not it
/// exists), forgotten after an hour of quiet or a success. The first `grace` failures cost
/// nothing: several people behind one address should not all wait for one typo.
pub struct Backoff<K> {
    base_ms: u64,
    cap_ms: u64,
    grace: u32,
    entries: Mutex<HashMap<K, (u32, Instant)>>,
}

impl<K: std::hash::Hash + Eq + Clone> Backoff<K> {
    pub fn new(base_ms: u64, cap_ms: u64, grace: u32) -> Self {
        Backoff { base_ms, cap_ms, grace, entries: Mutex::new(HashMap::new()) }
    }

    /// How long `key` must still wait before its next attempt.
    pub fn wait(&self, key: &K) -> Duration {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(key) {
            Some(&(failures, last)) => {
                backoff(failures.saturating_sub(self.grace), self.base_ms, self.cap_ms).saturating_sub(last.elapsed())
            }
            None => Duration::ZERO,
        }
    }

    pub fn failed(&self, key: &K) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() > 100_000 {
            entries.retain(|_, (_, last)| last.elapsed() < Duration::from_secs(3600));
        }
        let entry = entries.entry(key.clone()).or_insert((0, Instant::now()));
        entry.0 = entry.0.saturating_add(1);
        entry.1 = Instant::now();
    }

    pub fn succeeded(&self, key: &K) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }
}

/// Allows `per_minute` failures per key (client id or IP); past that, the key is refused until
/// the limiter has room again.
pub struct FailureLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
    blocked: Mutex<HashMap<String, Instant>>,
}

impl FailureLimiter {
    pub fn new(per_minute: u32) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN));
        FailureLimiter { limiter: RateLimiter::keyed(quota), blocked: Mutex::new(HashMap::new()) }
    }

    /// How long `key` must still wait, if it is blocked.
    pub fn blocked_for(&self, key: &str) -> Option<Duration> {
        let blocked = self.blocked.lock().unwrap_or_else(|e| e.into_inner());
        blocked.get(key).and_then(|until| until.checked_duration_since(Instant::now())).filter(|d| !d.is_zero())
    }

    pub fn failed(&self, key: &str) {
        if let Err(not_until) = self.limiter.check_key(&key.to_owned()) {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
            let mut blocked = self.blocked.lock().unwrap_or_else(|e| e.into_inner());
            if blocked.len() > 100_000 {
                let now = Instant::now();
                blocked.retain(|_, until| *until > now);
            }
            blocked.insert(key.to_owned(), Instant::now() + wait.max(Duration::from_secs(1)));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0, 1000, 30_000), Duration::ZERO);
        assert_eq!(backoff(1, 1000, 30_000), Duration::from_secs(1));
        assert_eq!(backoff(3, 1000, 30_000), Duration::from_secs(4));
        assert_eq!(backoff(40, 1000, 30_000), Duration::from_secs(30));
    }

    #[test]
    fn backoff_starts_after_the_grace_failures() {
        let ip: IpAddr = "10.0.0.1".parse().expect("ip");
        let b = Backoff::new(60_000, 60_000, 2);
        b.failed(&ip);
        b.failed(&ip);
        assert_eq!(b.wait(&ip), Duration::ZERO);
        b.failed(&ip);
        assert!(b.wait(&ip) > Duration::from_secs(50));
        b.succeeded(&ip);
        assert_eq!(b.wait(&ip), Duration::ZERO);
    }

    #[test]
    fn failures_past_the_quota_block_the_key() {
        let limiter = FailureLimiter::new(3);
        for _ in 0..3 {
            limiter.failed("client-a");
        }
        assert!(limiter.blocked_for("client-a").is_none());
        limiter.failed("client-a");
        assert!(limiter.blocked_for("client-a").is_some());
        assert!(limiter.blocked_for("client-b").is_none());
    }
}
