//! Retry timing: exponential backoff with full jitter, honouring `Retry-After`.

use std::time::Duration;

/// When and how often to retry a failed LLM request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The first backoff ceiling; doubles each retry.
    pub base: Duration,
    /// The largest pause, `Retry-After` included.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            base: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..Default::default()
        }
    }

    /// The pause before retry number `retry` (0-based): the server's
    /// `Retry-After` when given, otherwise a random time up to `base · 2^retry`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(d) = retry_after {
            return d.min(self.max_delay);
        }
        let ceiling = self.base.saturating_mul(1u32 << retry.min(16)).min(self.max_delay);
        let r = uuid::Uuid::new_v4().as_u128() as u64;
        let micros = ceiling.as_micros() as u64;
        Duration::from_micros(if micros == 0 { 0 } else { r % micros })
    }
}

/// Reads `Retry-After` (seconds) or `retry-after-ms` (milliseconds) values.
pub(crate) fn parse_retry_after(seconds: Option<&str>, millis: Option<&str>) -> Option<Duration> {
    if let Some(ms) = millis.and_then(|v| v.trim().parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let s = seconds?.trim().parse::<f64>().ok()?;
    (s.is_finite() && s >= 0.0).then(|| Duration::from_secs_f64(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_wins_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(0, Some(Duration::from_secs(2))), Duration::from_secs(2));
        assert_eq!(p.delay(0, Some(Duration::from_secs(999))), p.max_delay);
        for retry in 0..8 {
            assert!(p.delay(retry, None) <= p.max_delay);
        }
        assert!(p.delay(0, None) <= p.base);
    }

    #[test]
    fn parses_both_headers() {
        assert_eq!(parse_retry_after(Some("3"), None), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after(Some("3"), Some("250")),
            Some(Duration::from_millis(250))
        );
        assert_eq!(parse_retry_after(Some("soon"), None), None);
        assert_eq!(parse_retry_after(Some("-1"), None), None);
    }
}
