//! Request and response bodies of the HTTP contract.

use serde::{Deserialize, Serialize};

use super::{Character, Drama, Episode, GenerationRequest, Job, JobStatus, Object, Scene};

/// Body of `POST /dramas`: either a premise to generate from, or a whole drama to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CreateDramaRequest {
    /// Store this drama as it is (answers 201).
    Import {
        /// The document.
        drama: Box<Drama>,
    },
    /// Generate a drama (answers 202 with a job).
    Generate(GenerationRequest),
}

/// Answer to a request that started a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobResponse {
    /// The drama the job belongs to.
    pub drama_id: String,
    /// The job.
    pub job_id: String,
    /// Its status when the answer was made.
    pub status: JobStatus,
    /// Where to poll.
    pub message: String,
}

/// Body of `POST /dramas/{id}/improve`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImproveDramaRequest {
    /// What to change.
    pub feedback: String,
    /// The id of the improved drama; `{id}_improved_{ms}` when absent.
    #[serde(default)]
    pub new_drama_id: Option<String>,
    /// The LLM model to use instead of the configured one.
    #[serde(default)]
    pub model: Option<String>,
}

/// Answer to `POST /dramas/{id}/improve`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImproveDramaResponse {
    /// The drama that was improved.
    pub original_id: String,
    /// The drama the improvement is stored as.
    pub improved_id: String,
    /// The job doing it.
    pub job_id: String,
    /// Its status when the answer was made.
    pub status: JobStatus,
    /// Where to poll.
    pub message: String,
}

/// Body of `POST /dramas/{id}/critic` (may be empty).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CriticRequest {
    /// The LLM model to use instead of the configured one.
    #[serde(default)]
    pub model: Option<String>,
}

/// A drama as listed: the head of the document without its episodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DramaSummary {
    /// Drama id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Logline.
    pub description: String,
    /// Premise.
    pub premise: String,
    /// Rendered drama.
    #[serde(default)]
    pub url: Option<String>,
    /// Free-form data.
    #[serde(default)]
    pub metadata: Option<Object>,
    /// When the document was last written, in ms since the epoch.
    #[serde(default)]
    pub updated_at: Option<u64>,
    /// Set when the stored document cannot be read; the other fields are then empty.
    #[serde(default)]
    pub error: Option<String>,
}

/// One page of `GET /dramas`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DramaPage<T = DramaSummary> {
    /// The dramas on this page, in ascending id order.
    pub dramas: Vec<T>,
    /// Pass back to get the next page; `null` on the last page.
    pub cursor: Option<String>,
}

/// `GET /dramas/{id}/jobs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobList {
    /// The jobs, oldest first.
    pub jobs: Vec<Job>,
}

/// `GET /dramas/{id}/characters`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CharacterList {
    /// The cast.
    pub characters: Vec<Character>,
}

/// `GET /dramas/{id}/episodes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeList {
    /// The episodes.
    pub episodes: Vec<Episode>,
}

/// `GET …/episodes/{eid}/scenes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneList {
    /// The scenes.
    pub scenes: Vec<Scene>,
}

/// `GET …/assets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetList {
    /// The assets.
    pub assets: Vec<super::Asset>,
}

/// `{"success": true}`, the answer to a DELETE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Success {
    /// Always true.
    pub success: bool,
}

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// `ok` or `degraded`.
    pub status: String,
    /// ISO-8601 time of the answer.
    pub timestamp: String,
    /// Server version.
    pub version: String,
}

/// Every error body: `{"error": short title, "message": detail}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Short title, e.g. `not_found`.
    pub error: String,
    /// What happened and what to do.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn create_request_tells_premise_from_import() {
        let r: CreateDramaRequest = serde_json::from_value(json!({"premise": "p", "id": "x"})).unwrap();
        assert!(matches!(r, CreateDramaRequest::Generate(ref g) if g.id.as_deref() == Some("x")));
        let r: CreateDramaRequest =
            serde_json::from_value(json!({"premise": "p", "episodes": 2, "scenes_per_episode": 3})).unwrap();
        assert_eq!(
            r,
            CreateDramaRequest::Generate(GenerationRequest::new("p").with_episodes(2).with_scenes_per_episode(3))
        );
        let d = serde_json::to_value(Drama::new("d", "t", "x", "p")).unwrap();
        let r: CreateDramaRequest = serde_json::from_value(json!({ "drama": d })).unwrap();
        assert!(matches!(r, CreateDramaRequest::Import { .. }));
        assert!(serde_json::from_value::<CreateDramaRequest>(json!({"title": "x"})).is_err());
    }

    #[test]
    fn improve_request_is_camel_case() {
        let r: ImproveDramaRequest = serde_json::from_value(json!({"feedback": "more", "newDramaId": "n"})).unwrap();
        assert_eq!(r.new_drama_id.as_deref(), Some("n"));
    }
}
