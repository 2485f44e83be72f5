//! Per-client rate limiting: a token bucket per API key (or per address
//! when auth is off), answering 429 with `Retry-After` when empty.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Token buckets keyed by client.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

/// The most clients tracked at once; idle ones are forgotten first.
const MAX_CLIENTS: usize = 10_000;

impl RateLimiter {
    /// `per_second` requests per second on average, bursts of up to `max(1, per_second)`.
    pub(crate) fn new(per_second: f64) -> Self {
        RateLimiter {
            per_second,
            burst: per_second.max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `client`, or says how long to wait for one.
    pub(crate) fn check(&self, client: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_CLIENTS && !map.contains_key(client) {
            let full_after = Duration::from_secs_f64(self.burst / self.per_second);
            map.retain(|_, (_, last)| now.duration_since(*last) < full_after);
        }
        let (tokens, last) = map.entry(client.to_string()).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.per_second).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / self.per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_and_clients_are_separate() {
        let r = RateLimiter::new(0.01);
        assert!(r.check("a").is_ok());
        let wait = r.check("a").unwrap_err();
        assert!(wait > Duration::from_secs(50));
        assert!(r.check("b").is_ok());
        let burst = RateLimiter::new(5.0);
        assert_eq!((0..5).filter(|_| burst.check("c").is_ok()).count(), 5);
        assert!(burst.check("c").is_err());
    }
}
