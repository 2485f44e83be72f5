//! Following jobs: the live event stream, and waiting for the end.

use std::time::{Duration, Instant};

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use reqwest::Method;
use sfd_core::Job;

use crate::api::enc;
use crate::client::Client;
use crate::sse;
use crate::{Error, Result};

impl Client {
    /// The job's live events (`GET …/jobs/{jobId}/events`, Server-Sent
    /// Events): the job as it is after each status or progress change,
    /// ending after the final status.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// use futures::StreamExt;
    /// let mut events = client.job_events("my_drama", "job_123").await?;
    /// while let Some(job) = events.next().await {
    ///     let job = job?;
    ///     if let Some(p) = &job.progress { println!("{} {}/{}", p.stage, p.done, p.total); }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn job_events(&self, drama_id: &str, job_id: &str) -> Result<BoxStream<'static, Result<Job>>> {
        let path = format!("/dramas/{}/jobs/{}/events", enc(drama_id), enc(job_id));
        // The stream lives as long as the job: no per-request timeout.
        let resp = self
            .request(Method::GET, &path)
            .timeout(Duration::from_secs(24 * 3600))
            .header("accept", "text/event-stream")
            .send()
            .await?;
        if !resp.status().is_success() {
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            let body: sfd_core::ErrorBody = serde_json::from_str(&text).unwrap_or(sfd_core::ErrorBody {
                error: "http_error".into(),
                message: text,
            });
            return Err(Error::Api {
                status,
                error: body.error,
                message: body.message,
            });
        }
        let events = sse::events(resp.bytes_stream().boxed())
            .map_err(Error::Http)
            .try_filter_map(|ev| async move {
                match ev.event.as_str() {
                    "status" | "progress" => serde_json::from_str::<Job>(&ev.data)
                        .map(Some)
                        .map_err(|source| Error::Decode { source, body: ev.data }),
                    _ => Ok(None),
                }
            });
        Ok(events.boxed())
    }

    /// Waits until the job ends and returns it: follows the event stream,
    /// and falls back to polling with backoff when the stream is not
    /// available or breaks. [`Error::Timeout`] after `timeout`.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let started = client.generate_drama(&sfd_client::GenerationRequest::new("a heist in 3 episodes")).await?;
    /// let job = client.wait_for_job(&started.drama_id, &started.job_id, std::time::Duration::from_secs(600)).await?;
    /// println!("{:?}: {:?}", job.status, job.error);
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_job(&self, drama_id: &str, job_id: &str, timeout: Duration) -> Result<Job> {
        tokio::time::timeout(timeout, self.wait_inner(drama_id, job_id))
            .await
            .map_err(|_| Error::Timeout)?
    }

    async fn wait_inner(&self, drama_id: &str, job_id: &str) -> Result<Job> {
        if let Ok(mut events) = self.job_events(drama_id, job_id).await {
            while let Some(Ok(job)) = events.next().await {
                if job.status.is_terminal() {
                    return Ok(job);
                }
            }
        }
        self.poll_until_done(drama_id, job_id).await
    }

    /// Polls `GET …/jobs/{jobId}` with backoff (0.2 s doubling to 5 s) until the job ends.
    pub(crate) async fn poll_until_done(&self, drama_id: &str, job_id: &str) -> Result<Job> {
        let mut pause = Duration::from_millis(200);
        let started = Instant::now();
        loop {
            let job = self.get_job(drama_id, job_id).await?;
            if job.status.is_terminal() {
                return Ok(job);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(5));
            if started.elapsed() > Duration::from_secs(7 * 24 * 3600) {
                return Err(Error::Timeout);
            }
        }
    }
}
