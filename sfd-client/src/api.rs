//! One method per route of the HTTP contract.

use futures::StreamExt;
use futures::stream::BoxStream;
use reqwest::Method;
use serde_json::json;
use sfd_core::{
    Address, Drama, DramaPage, DramaPatch, DramaSummary, GenerationRequest, Health, ImproveDramaResponse, Job, JobList,
    JobResponse, Level, Success,
};

use crate::Result;
use crate::client::{Client, Versioned, decode};

/// Percent-encodes a path segment (ids are plain, but never trust input).
pub(crate) fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The path of level `L`'s collection under `parent`, e.g. `/dramas/d/episodes/ep1/scenes`.
pub(crate) fn collection_path<L: Level>(drama_id: &str, parent: &L::Parent) -> String {
    let mut path = format!("/dramas/{}", enc(drama_id));
    for seg in parent.segments() {
        path.push('/');
        path.push_str(&enc(seg));
    }
    path.push('/');
    path.push_str(L::INFO.plural);
    path
}

/// The path of the member `id` of level `L` under `parent`.
pub(crate) fn member_path<L: Level>(drama_id: &str, parent: &L::Parent, id: &str) -> String {
    format!("{}/{}", collection_path::<L>(drama_id, parent), enc(id))
}

impl Client {
    /// Liveness, version and storage state (`GET /health`).
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let h = client.health().await?;
    /// # Ok(()) }
    /// ```
    pub async fn health(&self) -> Result<Health> {
        Ok(self.call::<Health, ()>(Method::GET, "/health", None, None).await?.value)
    }

    /// One page of dramas in ascending id order (`GET /dramas`); pass the returned cursor for the next.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let page = client.list_dramas_page(100, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn list_dramas_page(&self, limit: u32, cursor: Option<&str>) -> Result<DramaPage<DramaSummary>> {
        let mut q = vec![("limit", limit.to_string())];
        if let Some(c) = cursor {
            q.push(("cursor", c.to_string()));
        }
        let resp = self.send::<()>(Method::GET, "/dramas", &q, None, None).await?;
        Ok(decode(resp).await?.value)
    }

    /// Every drama, walking the pages through the cursor.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// use futures::StreamExt;
    /// let mut all = client.list_dramas(100);
    /// while let Some(d) = all.next().await { println!("{}", d?.title); }
    /// # Ok(()) }
    /// ```
    pub fn list_dramas(&self, page_size: u32) -> BoxStream<'_, Result<DramaSummary>> {
        futures::stream::try_unfold(
            (Some(None::<String>), Vec::<DramaSummary>::new()),
            move |(cursor, mut buf)| async move {
                let mut cursor = cursor;
                loop {
                    if let Some(d) = buf.pop() {
                        return Ok(Some((d, (cursor, buf))));
                    }
                    let Some(c) = cursor else { return Ok(None) };
                    let page = self.list_dramas_page(page_size, c.as_deref()).await?;
                    cursor = page.cursor.map(Some);
                    buf = page.dramas;
                    buf.reverse();
                    if buf.is_empty() && cursor.is_none() {
                        return Ok(None);
                    }
                }
            },
        )
        .boxed()
    }

    /// Starts generating a drama (`POST /dramas`, 202): the premise, and
    /// optionally the id, model, episodes and scenes per episode. Counts out
    /// of range answer 422 here, not a failed job later. Wait with
    /// [`Client::wait_for_job`].
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// use sfd_client::GenerationRequest;
    /// let req = GenerationRequest::new("a corgi becomes a tycoon").with_episodes(3).with_scenes_per_episode(4);
    /// let job = client.generate_drama(&req).await?;
    /// # Ok(()) }
    /// ```
    pub async fn generate_drama(&self, req: &GenerationRequest) -> Result<JobResponse> {
        Ok(self.call(Method::POST, "/dramas", Some(req), None).await?.value)
    }

    /// Stores a whole drama (`POST /dramas` with `{drama}`, 201); a taken id is a conflict.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let d = sfd_client::Drama::new("my_drama", "Title", "Logline", "Premise");
    /// client.import_drama(&d).await?;
    /// # Ok(()) }
    /// ```
    pub async fn import_drama(&self, drama: &Drama) -> Result<Versioned<Drama>> {
        self.call(Method::POST, "/dramas", Some(&json!({ "drama": drama })), None)
            .await
    }

    /// A drama and its version (`GET /dramas/{id}`).
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let d = client.get_drama("my_drama").await?;
    /// println!("{} at {:?}", d.value.title, d.etag);
    /// # Ok(()) }
    /// ```
    pub async fn get_drama(&self, id: &str) -> Result<Versioned<Drama>> {
        self.call::<_, ()>(Method::GET, &format!("/dramas/{}", enc(id)), None, None)
            .await
    }

    /// Updates the drama's head (`PATCH /dramas/{id}`); with `if_match`, only at that version.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let patch = sfd_client::DramaPatch { title: Some("New title".into()), ..Default::default() };
    /// client.update_drama("my_drama", &patch, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_drama(&self, id: &str, patch: &DramaPatch, if_match: Option<&str>) -> Result<Versioned<Drama>> {
        self.call(Method::PATCH, &format!("/dramas/{}", enc(id)), Some(patch), if_match)
            .await
    }

    /// Deletes a drama (`DELETE /dramas/{id}`).
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// client.delete_drama("my_drama", None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_drama(&self, id: &str, if_match: Option<&str>) -> Result<()> {
        self.call::<Success, ()>(Method::DELETE, &format!("/dramas/{}", enc(id)), None, if_match)
            .await?;
        Ok(())
    }

    /// Starts improving a drama from feedback into a new drama (`POST /dramas/{id}/improve`).
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let r = client.improve_drama("my_drama", "slow down episode 2", None, None).await?;
    /// println!("new drama: {}", r.improved_id);
    /// # Ok(()) }
    /// ```
    pub async fn improve_drama(
        &self,
        id: &str,
        feedback: &str,
        new_drama_id: Option<&str>,
        model: Option<&str>,
    ) -> Result<ImproveDramaResponse> {
        let body = json!({"feedback": feedback, "newDramaId": new_drama_id, "model": model});
        Ok(self
            .call(Method::POST, &format!("/dramas/{}/improve", enc(id)), Some(&body), None)
            .await?
            .value)
    }

    /// Starts a critique (`POST /dramas/{id}/critic`); the job's result holds `feedback`.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let job = client.critic_drama("my_drama", None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn critic_drama(&self, id: &str, model: Option<&str>) -> Result<JobResponse> {
        let body = json!({ "model": model });
        Ok(self
            .call(Method::POST, &format!("/dramas/{}/critic", enc(id)), Some(&body), None)
            .await?
            .value)
    }

    /// The drama's jobs, oldest first (`GET /dramas/{id}/jobs`).
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let jobs = client.list_jobs("my_drama").await?;
    /// # Ok(()) }
    /// ```
    pub async fn list_jobs(&self, drama_id: &str) -> Result<Vec<Job>> {
        let list: JobList = self
            .call::<_, ()>(Method::GET, &format!("/dramas/{}/jobs", enc(drama_id)), None, None)
            .await?
            .value;
        Ok(list.jobs)
    }

    /// One job of a drama (`GET /dramas/{id}/jobs/{jobId}`).
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let job = client.get_job("my_drama", "job_123").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_job(&self, drama_id: &str, job_id: &str) -> Result<Job> {
        Ok(self
            .call::<_, ()>(
                Method::GET,
                &format!("/dramas/{}/jobs/{}", enc(drama_id), enc(job_id)),
                None,
                None,
            )
            .await?
            .value)
    }

    /// Cancels a pending or running job (`POST …/jobs/{jobId}/cancel`).
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let job = client.cancel_job("my_drama", "job_123").await?;
    /// # Ok(()) }
    /// ```
    pub async fn cancel_job(&self, drama_id: &str, job_id: &str) -> Result<Job> {
        let path = format!("/dramas/{}/jobs/{}/cancel", enc(drama_id), enc(job_id));
        Ok(self.call::<_, ()>(Method::POST, &path, None, None).await?.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sfd_core::{Asset, AssetOwner, Character, Scene};

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(enc("ep1-sc2_x"), "ep1-sc2_x");
        assert_eq!(enc("../x"), "%2E%2E%2Fx");
        assert_eq!(
            collection_path::<Asset>("d", &AssetOwner::scene("ep1", "s")),
            "/dramas/d/episodes/ep1/scenes/s/assets"
        );
        assert_eq!(collection_path::<Character>("d", &()), "/dramas/d/characters");
        assert_eq!(
            member_path::<Scene>("d", &"ep 1".to_string(), "s/1"),
            "/dramas/d/episodes/ep%201/scenes/s%2F1"
        );
    }
}
