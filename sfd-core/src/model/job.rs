//! Job records (`JobStatusRecord` on the wire, camelCase).

use serde::{Deserialize, Serialize};

use super::Object;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobType {
    /// Generate a drama from a premise.
    GenerateDrama,
    /// Improve a drama from feedback into a new drama.
    ImproveDrama,
    /// Critique a drama. The old server's later versions wrote `critique_drama`.
    #[serde(alias = "critique_drama")]
    CriticDrama,
    /// Render an image asset.
    GenerateImage,
    /// Render a video asset.
    GenerateVideo,
    /// Render an audio asset.
    GenerateAudio,
    /// Render the selected assets of a drama, in `depends_on` order.
    RenderDrama,
    /// Stitch an episode's scenes into one vertical MP4 with voice and subtitles.
    AssembleEpisode,
}

impl JobType {
    /// Every job type, in the order the contract lists them.
    pub const ALL: [JobType; 8] = [
        JobType::GenerateDrama,
        JobType::ImproveDrama,
        JobType::CriticDrama,
        JobType::GenerateImage,
        JobType::GenerateVideo,
        JobType::GenerateAudio,
        JobType::RenderDrama,
        JobType::AssembleEpisode,
    ];
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Stored, waiting for a runner.
    Pending,
    /// A runner holds it.
    Processing,
    /// Finished with a result.
    Completed,
    /// Finished with an error.
    Failed,
    /// Stopped on request.
    Cancelled,
}

impl JobStatus {
    /// True once the job can no longer change.
    pub fn is_terminal(self) -> bool {
        matches!(self, JobStatus::Completed | JobStatus::Failed | JobStatus::Cancelled)
    }

    /// Whether `self → next` is an allowed transition:
    /// `pending → processing → completed | failed | cancelled`, and
    /// `pending → cancelled | failed`. A finished job never changes.
    pub fn can_become(self, next: JobStatus) -> bool {
        use JobStatus::*;
        matches!(
            (self, next),
            (Pending, Processing | Cancelled | Failed) | (Processing, Processing | Completed | Failed | Cancelled)
        )
    }
}

/// Progress of a running job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The stage, e.g. `outline` or `episodes`.
    pub stage: String,
    /// Units done in this stage.
    pub done: u32,
    /// Units in this stage.
    pub total: u32,
    /// Provider requests sent again so far in this job (after a timeout, a
    /// 429, a 5xx or a lost connection).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retries: u32,
    /// The latest wait or retry in words, e.g. `episode ep2: no answer within
    /// 600 s (OPENAI_TIMEOUT_SECS); sending it again (attempt 2 of 2)`;
    /// cleared when the stage advances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Progress {
    /// `done` of `total` units of `stage`, with no retries or note.
    pub fn new(stage: impl ToString, done: u32, total: u32) -> Self {
        Progress {
            stage: stage.to_string(),
            done,
            total,
            retries: 0,
            note: None,
        }
    }
}

/// Receives `{stage, done, total}` as generation advances.
pub type ProgressFn<'a> = &'a (dyn Fn(Progress) + Send + Sync);

/// A progress receiver that ignores everything.
pub fn no_progress(_: Progress) {}

/// A stored job: `JobStatusRecord` in the contract, plus `progress`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// `job_…`.
    pub job_id: String,
    /// What the job does.
    #[serde(rename = "type")]
    pub kind: JobType,
    /// Where it is.
    pub status: JobStatus,
    /// The drama it belongs to (for improvements: the new drama).
    pub drama_id: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: u64,
    /// When a runner first started it.
    #[serde(default)]
    pub started_at: Option<u64>,
    /// When it finished.
    #[serde(default)]
    pub completed_at: Option<u64>,
    /// What went wrong, in words a user can act on.
    #[serde(default)]
    pub error: Option<String>,
    /// `{dramaId, usage}` or `{feedback, usage}`.
    #[serde(default)]
    pub result: Option<Object>,
    /// The current stage and how far it is.
    #[serde(default)]
    pub progress: Option<Progress>,
    /// Everything needed to run (or re-run) the job.
    #[serde(default)]
    pub input: Option<JobInput>,
    /// How many times a runner has started the job.
    #[serde(default)]
    pub attempts: u32,
    /// The runner holding the job while it is `processing`.
    #[serde(default)]
    pub owner: Option<String>,
    /// Until when (ms since the epoch) the owner's lease holds.
    #[serde(default)]
    pub lease_until: Option<u64>,
    /// Fields this version does not know; kept as they are.
    #[serde(flatten)]
    pub extra: Object,
}

impl Job {
    /// A new pending job created now.
    pub fn new(job_id: impl Into<String>, kind: JobType, drama_id: impl Into<String>, created_at: u64) -> Self {
        Job {
            job_id: job_id.into(),
            kind,
            status: JobStatus::Pending,
            drama_id: drama_id.into(),
            created_at,
            started_at: None,
            completed_at: None,
            error: None,
            result: None,
            progress: None,
            input: None,
            attempts: 0,
            owner: None,
            lease_until: None,
            extra: Object::new(),
        }
    }
}

/// What a job works from (stored in the record, so any runner can run it again).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobInput {
    /// The premise (generation).
    #[serde(default)]
    pub premise: Option<String>,
    /// The feedback (improvement).
    #[serde(default)]
    pub feedback: Option<String>,
    /// The drama improved or critiqued.
    #[serde(default)]
    pub source_drama_id: Option<String>,
    /// The model to use instead of the configured one.
    #[serde(default)]
    pub model: Option<String>,
    /// Requested episodes (generation).
    #[serde(default)]
    pub episodes: Option<u32>,
    /// Requested scenes per episode (generation).
    #[serde(default)]
    pub scenes_per_episode: Option<u32>,
    /// `hierarchical` (default: outline, then episodes in parallel) or
    /// `one_shot` (a single call; for small models and comparisons).
    #[serde(default)]
    pub mode: Option<String>,
    /// What to render (render jobs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render: Option<super::RenderRequest>,
    /// The episode to assemble (assembly jobs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub episode: Option<String>,
    /// How to assemble it (assembly jobs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assemble: Option<super::AssembleRequest>,
    /// The media key of the user's reference image for the main character
    /// (generation from a multipart `POST /dramas`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_image: Option<String>,
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wire_shape_is_camel_case_with_nulls() {
        let job = Job::new("job_1", JobType::GenerateDrama, "drama_1", 5);
        assert_eq!(
            serde_json::to_value(&job).unwrap(),
            json!({"jobId": "job_1", "type": "generate_drama", "status": "pending", "dramaId": "drama_1",
                   "createdAt": 5, "startedAt": null, "completedAt": null, "error": null,
                   "result": null, "progress": null, "input": null, "attempts": 0, "owner": null,
                   "leaseUntil": null})
        );
    }

    #[test]
    fn the_later_critique_name_reads_as_critic_drama() {
        let t: JobType = serde_json::from_value(json!("critique_drama")).unwrap();
        assert_eq!(t, JobType::CriticDrama);
        assert_eq!(serde_json::to_value(t).unwrap(), json!("critic_drama"));
    }

    #[test]
    fn finished_jobs_never_change() {
        use JobStatus::*;
        for done in [Completed, Failed, Cancelled] {
            assert!(done.is_terminal());
            for next in [Pending, Processing, Completed, Failed, Cancelled] {
                assert!(!done.can_become(next));
            }
        }
        assert!(Pending.can_become(Processing));
        assert!(!Pending.can_become(Completed));
        assert!(Processing.can_become(Completed));
    }

    #[test]
    fn render_jobs_keep_their_request() {
        assert_eq!(
            serde_json::to_value(JobType::RenderDrama).unwrap(),
            json!("render_drama")
        );
        let input = JobInput {
            render: Some(super::super::RenderRequest::asset("a", true)),
            ..Default::default()
        };
        let back: JobInput = serde_json::from_value(serde_json::to_value(&input).unwrap()).unwrap();
        assert_eq!(back, input);
        assert!(
            serde_json::to_value(JobInput::default())
                .unwrap()
                .get("render")
                .is_none()
        );
    }

    #[test]
    fn all_lists_every_job_type_in_order() {
        // A new type fails to compile here until it has its place in `ALL`.
        let place = |t: JobType| match t {
            JobType::GenerateDrama => 0,
            JobType::ImproveDrama => 1,
            JobType::CriticDrama => 2,
            JobType::GenerateImage => 3,
            JobType::GenerateVideo => 4,
            JobType::GenerateAudio => 5,
            JobType::RenderDrama => 6,
            JobType::AssembleEpisode => 7,
        };
        for (i, t) in JobType::ALL.into_iter().enumerate() {
            assert_eq!(place(t), i);
        }
    }
}
