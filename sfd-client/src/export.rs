//! Finished episodes and exports.

use reqwest::Method;
use sfd_core::{AssembleRequest, ExportFormat, ExportOptions, JobResponse};
use tokio::io::AsyncWrite;

use crate::Result;
use crate::api::enc;
use crate::client::{Client, api_error, copy_body};

impl Client {
    /// Queues an `assemble_episode` job: the episode as one 9:16 MP4 with
    /// speech and subtitles; the job's result names scenes shown as stills.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let job = client.assemble_episode("my_drama", "ep1", &sfd_client::AssembleRequest::default()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn assemble_episode(
        &self,
        drama_id: &str,
        episode_id: &str,
        request: &AssembleRequest,
    ) -> Result<JobResponse> {
        let path = format!("/dramas/{}/episodes/{}/assemble", enc(drama_id), enc(episode_id));
        Ok(self.call(Method::POST, &path, Some(request), None).await?.value)
    }

    /// Writes the drama in `format` to `out` (an SRT or an editor's
    /// timeline is `episode`'s) and returns the bytes written.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let mut script = Vec::new();
    /// client.export("my_drama", sfd_client::ExportFormat::Fountain, None, &mut script).await?;
    /// # Ok(()) }
    /// ```
    pub async fn export<W: AsyncWrite + Unpin>(
        &self,
        drama_id: &str,
        format: ExportFormat,
        episode: Option<&str>,
        out: &mut W,
    ) -> Result<u64> {
        let options = ExportOptions {
            episode: episode.map(str::to_string),
            bundle: false,
        };
        self.export_with(drama_id, format, &options, out).await
    }

    /// Writes the drama in `format` with `options` to `out`: an editor's
    /// timeline (OTIO, FCPXML, EDL) by URL, or with `options.bundle` as a
    /// ZIP holding its media; a CapCut draft is always a ZIP. Answers 409
    /// ([`crate::Error`] with status 409) naming the scenes whose clips are
    /// not rendered yet.
    ///
    /// ```no_run
    /// # async fn run(client: sfd_client::Client) -> sfd_client::Result<()> {
    /// let options = sfd_client::ExportOptions { episode: Some("ep1".into()), bundle: true };
    /// let mut file = tokio::fs::File::create("ep1.otio.zip").await?;
    /// client.export_with("my_drama", sfd_client::ExportFormat::Otio, &options, &mut file).await?;
    /// # Ok(()) }
    /// ```
    pub async fn export_with<W: AsyncWrite + Unpin>(
        &self,
        drama_id: &str,
        format: ExportFormat,
        options: &ExportOptions,
        out: &mut W,
    ) -> Result<u64> {
        let path = format!("/dramas/{}/export", enc(drama_id));
        let mut query = vec![("format", format.to_string())];
        if let Some(e) = &options.episode {
            query.push(("episode", e.clone()));
        }
        if options.bundle {
            query.push(("bundle", "zip".into()));
        }
        let resp = self.send::<()>(Method::GET, &path, &query, None, None).await?;
        if !resp.status().is_success() {
            return Err(api_error(resp).await);
        }
        copy_body(resp, out).await
    }
}
