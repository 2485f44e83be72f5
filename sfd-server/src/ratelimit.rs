//! Per-client rate limiting: a token bucket per API key (or per address
//! when auth is off), answering 429 with `Retry-After` when empty.
//!
//! Buckets are keyed by a keyed hash of the API key, never the key itself,
//! so no key sits in memory longer than its request or reaches `Debug`.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Who a bucket belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Client {
    /// An API key, by a hash with a per-process random key.
    Key(u64),
    /// An address (auth off, or no key sent).
    Address(IpAddr),
}

/// Token buckets keyed by client.
pub(crate) struct RateLimiter {
    per_second: f64,
    burst: f64,
    hasher: RandomState,
    buckets: Mutex<HashMap<Client, (f64, Instant)>>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let clients = self.buckets.lock().map(|b| b.len()).unwrap_or_default();
        f.debug_struct("RateLimiter")
            .field("per_second", &self.per_second)
            .field("clients", &clients)
            .finish()
    }
}

/// The most clients tracked at once; idle ones are forgotten first.
const MAX_CLIENTS: usize = 10_000;

/// `secs` as a duration, the longest one when it does not fit.
fn seconds(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
}

impl RateLimiter {
    /// `per_second` requests per second on average, bursts of up to `max(1, per_second)`.
    pub(crate) fn new(per_second: f64) -> Self {
        RateLimiter {
            per_second,
            burst: per_second.max(1.0),
            hasher: RandomState::new(),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for the client holding `api_key`, or says how long to wait.
    pub(crate) fn check_key(&self, api_key: &[u8]) -> Result<(), Duration> {
        self.check(Client::Key(self.hasher.hash_one(api_key)))
    }

    /// Takes a token for the client at `addr`, or says how long to wait.
    pub(crate) fn check_address(&self, addr: IpAddr) -> Result<(), Duration> {
        self.check(Client::Address(addr))
    }

    fn check(&self, client: Client) -> Result<(), Duration> {
        let now = Instant::now();
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_CLIENTS && !map.contains_key(&client) {
            let full_after = seconds(self.burst / self.per_second);
            map.retain(|_, (_, last)| now.duration_since(*last) < full_after);
        }
        let (tokens, last) = map.entry(client).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.per_second).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(seconds((1.0 - *tokens) / self.per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_and_clients_are_separate() {
        let r = RateLimiter::new(0.01);
        assert!(r.check_key(b"a").is_ok());
        let wait = r.check_key(b"a").unwrap_err();
        assert!(wait > Duration::from_secs(50));
        assert!(r.check_key(b"b").is_ok());
        let burst = RateLimiter::new(5.0);
        let ip: IpAddr = [127, 0, 0, 1].into();
        assert_eq!((0..5).filter(|_| burst.check_address(ip).is_ok()).count(), 5);
        assert!(burst.check_address(ip).is_err());
    }

    #[test]
    fn a_tiny_rate_never_panics() {
        let r = RateLimiter::new(1e-300);
        assert!(r.check_key(b"k").is_ok());
        assert_eq!(r.check_key(b"k").unwrap_err(), Duration::MAX);
        r.check_address([10, 0, 0, 1].into()).unwrap();
    }

    #[test]
    fn keys_are_never_kept_or_printed() {
        let r = RateLimiter::new(1.0);
        r.check_key(b"sfd-secret-key").unwrap();
        let dbg = format!("{r:?}");
        assert!(!dbg.contains("sfd-secret-key") && dbg.contains("clients: 1"), "{dbg}");
    }
}
