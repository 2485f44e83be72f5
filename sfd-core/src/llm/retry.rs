//! Retry timing: exponential backoff with full jitter, honouring `Retry-After`.

use std::time::{Duration, SystemTime};

/// When and how often to retry a failed LLM request.
///
/// A request that got no answer started (refused or lost connection, 429,
/// 5xx) is retried up to `max_retries` times. One that timed out after it was
/// sent means the model was slow: sending it again costs the server the same
/// work, so it is retried at most `slow_retries` times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Retries, within `max_retries`, of a request that timed out waiting for the model.
    pub slow_retries: u32,
    /// The first backoff ceiling; doubles each retry.
    pub base: Duration,
    /// The largest pause, `Retry-After` included.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            slow_retries: 1,
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
            slow_retries: 0,
            ..Default::default()
        }
    }

    /// The policy for `attempts` requests in all (at least 1).
    pub fn attempts(attempts: u32) -> Self {
        let max_retries = attempts.max(1) - 1;
        RetryPolicy {
            max_retries,
            slow_retries: max_retries.min(1),
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

/// Reads `Retry-After` or `retry-after-ms` (milliseconds) values.
///
/// `Retry-After` is either a number of seconds or an HTTP-date
/// (<https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3>; a date already
/// past is no pause). A value too large for a `Duration` (`1e20`) is the
/// longest one; the policy's `max_delay` caps it anyway.
pub(crate) fn parse_retry_after(seconds: Option<&str>, millis: Option<&str>) -> Option<Duration> {
    retry_after_at(seconds, millis, SystemTime::now())
}

/// [`parse_retry_after`] at the time `now`.
fn retry_after_at(seconds: Option<&str>, millis: Option<&str>, now: SystemTime) -> Option<Duration> {
    let secs = |v: f64| (v.is_finite() && v >= 0.0).then(|| Duration::try_from_secs_f64(v).unwrap_or(Duration::MAX));
    if let Some(d) = millis
        .and_then(|v| v.trim().parse::<f64>().ok())
        .and_then(|ms| secs(ms / 1000.0))
    {
        return Some(d);
    }
    let value = seconds?.trim();
    match value.parse::<f64>() {
        Ok(v) => secs(v),
        Err(_) => {
            let at = httpdate::parse_http_date(value).ok()?;
            Some(at.duration_since(now).unwrap_or(Duration::ZERO))
        }
    }
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
        // Huge values do not panic; the policy caps them.
        let huge = parse_retry_after(Some("1e20"), None).unwrap();
        assert_eq!(
            RetryPolicy::default().delay(0, Some(huge)),
            RetryPolicy::default().max_delay
        );
        assert!(parse_retry_after(None, Some("1e300")).is_some());
        assert_eq!(parse_retry_after(Some("inf"), None), None);
    }

    #[test]
    fn parses_an_http_date() {
        // Sun, 06 Nov 1994 08:49:37 GMT.
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        let at = |v: &str| retry_after_at(Some(v), None, now);
        assert_eq!(at("Sun, 06 Nov 1994 08:51:07 GMT"), Some(Duration::from_secs(90)));
        // The obsolete forms RFC 9110 asks recipients to read too.
        assert_eq!(at("Sunday, 06-Nov-94 08:49:47 GMT"), Some(Duration::from_secs(10)));
        assert_eq!(at("Sun Nov  6 08:49:57 1994"), Some(Duration::from_secs(20)));
        // A date already past is no pause.
        assert_eq!(at("Sat, 05 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(Some("Sun, 06 Nov 1994"), None), None);
    }
}
