//! Operational metrics, emitted through the [`metrics`] facade.
//!
//! Every function here is a cheap no-op until the embedding process installs
//! a recorder (the server installs a Prometheus one and serves `/metrics`).
//! The names are part of the server's contract; labels hold only bounded
//! values (kinds, outcomes, providers, models), never ids.
//!
//! | name | type | labels |
//! | --- | --- | --- |
//! | `sfd_storage_operations_total` | counter | `op`, `outcome` |
//! | `sfd_storage_operation_seconds` | histogram | `op` |
//! | `sfd_storage_conflicts_total` | counter | `op` |
//! | `sfd_jobs_total` | counter | `type`, `status` |
//! | `sfd_job_duration_seconds` | histogram | `type`, `status` |
//! | `sfd_jobs_queue_depth` | gauge | |
//! | `sfd_llm_calls_total` | counter | `provider`, `model`, `outcome` |
//! | `sfd_llm_call_seconds` | histogram | `provider`, `model` |
//! | `sfd_llm_tokens_total` | counter | `provider`, `model`, `kind` |
//! | `sfd_render_calls_total` | counter | `provider`, `model`, `kind`, `outcome` |
//! | `sfd_render_call_seconds` | histogram | `provider`, `model`, `kind` |
//! | `sfd_render_bytes_total` | counter | `provider`, `model`, `kind` |
//! | `sfd_render_cost_usd_total` | counter (float, as a gauge that only grows) | `provider`, `model`, `kind` |
//! | `sfd_cache_reads_total` | counter | `result` |

use std::time::Duration;

/// Gives every metric above its help text; call once the recorder is installed.
pub fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!("sfd_storage_operations_total", "Storage operations by op and outcome");
    describe_histogram!(
        "sfd_storage_operation_seconds",
        "Storage operation latency in seconds, by op"
    );
    describe_counter!(
        "sfd_storage_conflicts_total",
        "Lost compare-and-swap writes (retried by edits when no If-Match was given)"
    );
    describe_counter!(
        "sfd_jobs_total",
        "Jobs by type and status reached (pending when submitted)"
    );
    describe_histogram!("sfd_job_duration_seconds", "How long finished jobs ran, in seconds");
    describe_gauge!(
        "sfd_jobs_queue_depth",
        "Unfinished jobs in the durable queue, as last counted"
    );
    describe_counter!("sfd_llm_calls_total", "LLM calls by provider, model and outcome");
    describe_histogram!("sfd_llm_call_seconds", "LLM call latency in seconds");
    describe_counter!("sfd_llm_tokens_total", "LLM tokens by kind (prompt, completion)");
    describe_counter!(
        "sfd_render_calls_total",
        "Render calls by provider, model, kind and outcome"
    );
    describe_histogram!("sfd_render_call_seconds", "Render call latency in seconds");
    describe_counter!("sfd_render_bytes_total", "Bytes of media rendered");
    describe_gauge!(
        "sfd_render_cost_usd_total",
        "Render cost in US dollars at the configured prices"
    );
    describe_counter!(
        "sfd_cache_reads_total",
        "Drama reads through the cache: hit (served unchecked within SFD_CACHE_TTL_MS), \
         revalidated (the store confirmed the cached version), shared (answered by a check another read \
         started after it arrived) or miss"
    );
}

/// A drama read through the cache: `hit`, `revalidated`, `shared` or `miss`.
pub fn cache_read(result: &'static str) {
    metrics::counter!("sfd_cache_reads_total", "result" => result).increment(1);
}

/// The wire name of a serialisable enum (`generate_drama`, `failed`), for a label.
pub fn label(value: impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "other".to_string(),
    }
}

/// `ok` or `error`, the outcome label of a call.
pub fn outcome<T, E>(r: &std::result::Result<T, E>) -> &'static str {
    if r.is_ok() { "ok" } else { "error" }
}

/// One storage operation: `op` (`get`, `put_create`, `put_update`,
/// `put_overwrite`, `delete`, `list`), its outcome (`ok`, `missing`,
/// `conflict`, `error`) and how long it took. A `conflict` (a lost
/// compare-and-swap or a taken key) also counts in `sfd_storage_conflicts_total`;
/// the edit loop retries those it can.
pub fn storage_operation(op: &'static str, outcome: &'static str, took: Duration) {
    metrics::counter!("sfd_storage_operations_total", "op" => op, "outcome" => outcome).increment(1);
    metrics::histogram!("sfd_storage_operation_seconds", "op" => op).record(took.as_secs_f64());
    if outcome == "conflict" {
        metrics::counter!("sfd_storage_conflicts_total", "op" => op).increment(1);
    }
}

/// A job reached `status` (`pending` when submitted, then `completed`,
/// `failed` or `cancelled`); `ran` is how long it ran, for a finished job.
pub fn job(kind: &str, status: &str, ran: Option<Duration>) {
    let (kind, status) = (kind.to_string(), status.to_string());
    metrics::counter!("sfd_jobs_total", "type" => kind.clone(), "status" => status.clone()).increment(1);
    if let Some(ran) = ran {
        metrics::histogram!("sfd_job_duration_seconds", "type" => kind, "status" => status).record(ran.as_secs_f64());
    }
}

/// The unfinished jobs (pending or running) in the durable queue, as the
/// runner last counted them.
pub fn queue_depth(entries: usize) {
    metrics::gauge!("sfd_jobs_queue_depth").set(entries as f64);
}

/// At most this many distinct `model` labels; later ones count as `other`,
/// so requests naming models of their own cannot grow the series without
/// bound.
const MAX_MODEL_LABELS: usize = 32;

/// The `model` label of `model`: itself while few models have been seen.
fn model_label(model: &str) -> String {
    static SEEN: std::sync::Mutex<std::collections::BTreeSet<String>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    if seen.contains(model) || (seen.len() < MAX_MODEL_LABELS && seen.insert(model.to_string())) {
        model.to_string()
    } else {
        "other".to_string()
    }
}

/// One LLM call with its outcome, duration and tokens.
pub fn llm_call(provider: &str, model: &str, outcome: &'static str, took: Duration, tokens: (u64, u64)) {
    let (p, m) = (provider.to_string(), model_label(model));
    metrics::counter!("sfd_llm_calls_total", "provider" => p.clone(), "model" => m.clone(), "outcome" => outcome)
        .increment(1);
    metrics::histogram!("sfd_llm_call_seconds", "provider" => p.clone(), "model" => m.clone())
        .record(took.as_secs_f64());
    let (prompt, completion) = tokens;
    metrics::counter!("sfd_llm_tokens_total", "provider" => p.clone(), "model" => m.clone(), "kind" => "prompt")
        .increment(prompt);
    metrics::counter!("sfd_llm_tokens_total", "provider" => p, "model" => m, "kind" => "completion")
        .increment(completion);
}

/// What one render call made, for [`render_call`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RenderMade {
    /// Bytes of the file made (0 when the call failed).
    pub bytes: u64,
    /// What it cost in US dollars, at the configured prices.
    pub cost_usd: f64,
}

/// One render call (`kind`: `image`, `video`, `audio`) with its outcome,
/// duration, bytes and cost.
pub fn render_call(provider: &str, model: &str, kind: &str, outcome: &'static str, took: Duration, made: RenderMade) {
    let (p, m, k) = (provider.to_string(), model_label(model), kind.to_string());
    metrics::counter!("sfd_render_calls_total", "provider" => p.clone(), "model" => m.clone(), "kind" => k.clone(), "outcome" => outcome)
        .increment(1);
    metrics::histogram!("sfd_render_call_seconds", "provider" => p.clone(), "model" => m.clone(), "kind" => k.clone())
        .record(took.as_secs_f64());
    metrics::counter!("sfd_render_bytes_total", "provider" => p.clone(), "model" => m.clone(), "kind" => k.clone())
        .increment(made.bytes);
    metrics::gauge!("sfd_render_cost_usd_total", "provider" => p, "model" => m, "kind" => k).increment(made.cost_usd);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_labels_are_bounded() {
        let labels: Vec<String> = (0..2 * super::MAX_MODEL_LABELS)
            .map(|i| super::model_label(&format!("bounded-test-model-{i}")))
            .collect();
        assert!(labels.iter().any(|l| l == "other"));
        assert!(labels.iter().filter(|l| *l != "other").count() <= super::MAX_MODEL_LABELS);
    }

    #[test]
    fn without_a_recorder_every_call_is_a_no_op() {
        storage_operation("get", "conflict", Duration::from_millis(1));
        job("generate_drama", "failed", Some(Duration::from_secs(1)));
        queue_depth(3);
        llm_call("openai", "m", "ok", Duration::ZERO, (1, 2));
        render_call("p", "m", "image", "error", Duration::ZERO, RenderMade::default());
        assert_eq!(outcome::<(), ()>(&Ok(())), "ok");
        assert_eq!(outcome::<(), ()>(&Err(())), "error");
    }
}
