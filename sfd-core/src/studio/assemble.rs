//! The studio's assembly call: an episode's scenes stitched into one MP4.

use super::Studio;
use crate::Result;
use crate::assemble::cut;
use crate::model::{AssembleRequest, Job, JobInput, JobType, now_ms};

impl Studio {
    /// Queues an `assemble_episode` job: the episode's scenes stitched into
    /// one vertical MP4. An episode without scenes is [`Error::Invalid`];
    /// without ffmpeg, [`Error::ToolMissing`] names it.
    pub async fn start_assembly(&self, drama_id: &str, episode_id: &str, request: AssembleRequest) -> Result<Job> {
        let config = self.render_config();
        cut::check(&**self.storage(), config.ffmpeg(), drama_id, episode_id).await?;
        let mut job = Job::new("", JobType::AssembleEpisode, drama_id, now_ms());
        job.input = Some(JobInput::Assemble {
            episode: episode_id.to_string(),
            request: Some(request),
        });
        self.jobs().submit(job).await
    }
}
