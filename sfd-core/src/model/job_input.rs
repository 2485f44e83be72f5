//! What a job works from, one variant per kind of work. It is stored in the
//! job record, so any runner can run the job again after a crash.
//!
//! On the wire `input` is the one flat camelCase object records have always
//! had (`premise`, `feedback`, `sourceDramaId`, `model`, `episodes`,
//! `scenesPerEpisode`, `mode`, `render`, `episode`, `assemble`): each
//! variant is written as that object, and read back from the field that only
//! its kind writes (`render`; `episode`/`assemble`; `feedback`; `premise`;
//! else a critique). So the records of every earlier version read unchanged,
//! and the JSON written is byte for byte what it was.

use serde::{Deserialize, Serialize};

use super::{AssembleRequest, RenderRequest};

/// What a job works from (stored in the record, so any runner can run it again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Fields", into = "Fields")]
pub enum JobInput {
    /// `generate_drama`: a drama from a premise.
    Generate(GenerateInput),
    /// `improve_drama`: a drama improved from feedback into a new one.
    Improve {
        /// The drama improved.
        source_drama_id: Option<String>,
        /// The feedback.
        feedback: String,
        /// The model to use instead of the configured one.
        model: Option<String>,
    },
    /// `critic_drama`: a critique of the job's drama.
    Critique {
        /// The drama critiqued (the job's own).
        source_drama_id: Option<String>,
        /// The model to use instead of the configured one.
        model: Option<String>,
    },
    /// `render_drama` and `generate_image|video|audio`: what to render.
    Render(RenderRequest),
    /// `assemble_episode`: the episode to assemble, and how.
    Assemble {
        /// The episode's id.
        episode: String,
        /// How to assemble it (the defaults when absent).
        request: Option<AssembleRequest>,
    },
}

/// What a `generate_drama` job works from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerateInput {
    /// The premise.
    pub premise: String,
    /// The model to use instead of the configured one.
    pub model: Option<String>,
    /// Requested episodes.
    pub episodes: Option<u32>,
    /// Requested scenes per episode.
    pub scenes_per_episode: Option<u32>,
    /// `hierarchical` (default: outline, then episodes in parallel) or
    /// `one_shot` (a single call; for small models and comparisons).
    pub mode: Option<String>,
    /// The media key of the user's reference image for the main character
    /// (generation from a multipart `POST /dramas`).
    pub reference_image: Option<String>,
}

impl JobInput {
    /// What a render job renders.
    pub fn render(&self) -> Option<&RenderRequest> {
        match self {
            JobInput::Render(r) => Some(r),
            _ => None,
        }
    }

    /// The premise of a generation.
    pub fn premise(&self) -> Option<&str> {
        match self {
            JobInput::Generate(g) => Some(&g.premise),
            _ => None,
        }
    }

    /// The episode an assembly cuts.
    pub fn episode(&self) -> Option<&str> {
        match self {
            JobInput::Assemble { episode, .. } => Some(episode),
            _ => None,
        }
    }
}

/// The flat wire shape of [`JobInput`], field for field what records hold.
#[derive(Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fields {
    #[serde(default)]
    premise: Option<String>,
    #[serde(default)]
    feedback: Option<String>,
    #[serde(default)]
    source_drama_id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    episodes: Option<u32>,
    #[serde(default)]
    scenes_per_episode: Option<u32>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    render: Option<RenderRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    episode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    assemble: Option<AssembleRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reference_image: Option<String>,
}

impl From<Fields> for JobInput {
    fn from(f: Fields) -> Self {
        if let Some(render) = f.render {
            return JobInput::Render(render);
        }
        if f.episode.is_some() || f.assemble.is_some() {
            return JobInput::Assemble {
                episode: f.episode.unwrap_or_default(),
                request: f.assemble,
            };
        }
        if let Some(feedback) = f.feedback {
            return JobInput::Improve {
                source_drama_id: f.source_drama_id,
                feedback,
                model: f.model,
            };
        }
        match f.premise {
            Some(premise) => JobInput::Generate(GenerateInput {
                premise,
                model: f.model,
                episodes: f.episodes,
                scenes_per_episode: f.scenes_per_episode,
                mode: f.mode,
                reference_image: f.reference_image,
            }),
            None => JobInput::Critique {
                source_drama_id: f.source_drama_id,
                model: f.model,
            },
        }
    }
}

impl From<JobInput> for Fields {
    fn from(input: JobInput) -> Self {
        match input {
            JobInput::Generate(g) => Fields {
                premise: Some(g.premise),
                model: g.model,
                episodes: g.episodes,
                scenes_per_episode: g.scenes_per_episode,
                mode: g.mode,
                reference_image: g.reference_image,
                ..Fields::default()
            },
            JobInput::Improve {
                source_drama_id,
                feedback,
                model,
            } => Fields {
                feedback: Some(feedback),
                source_drama_id,
                model,
                ..Fields::default()
            },
            JobInput::Critique { source_drama_id, model } => Fields {
                source_drama_id,
                model,
                ..Fields::default()
            },
            JobInput::Render(render) => Fields {
                render: Some(render),
                ..Fields::default()
            },
            JobInput::Assemble { episode, request } => Fields {
                episode: Some(episode),
                assemble: request,
                ..Fields::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn round_trip(input: &JobInput) -> serde_json::Value {
        let wire = serde_json::to_value(input).unwrap();
        assert_eq!(&serde_json::from_value::<JobInput>(wire.clone()).unwrap(), input);
        wire
    }

    #[test]
    fn every_variant_is_the_flat_object_records_always_held() {
        let nulls = json!({"premise": null, "feedback": null, "sourceDramaId": null, "model": null,
                           "episodes": null, "scenesPerEpisode": null, "mode": null});
        let with = |pairs: serde_json::Value| {
            let mut v = nulls.clone();
            v.as_object_mut().unwrap().extend(pairs.as_object().unwrap().clone());
            v
        };
        let generate = JobInput::Generate(GenerateInput {
            premise: "a heist".into(),
            episodes: Some(2),
            mode: Some("one_shot".into()),
            ..Default::default()
        });
        assert_eq!(
            round_trip(&generate),
            with(json!({"premise": "a heist", "episodes": 2, "mode": "one_shot"}))
        );
        let improve = JobInput::Improve {
            source_drama_id: Some("d".into()),
            feedback: "more".into(),
            model: None,
        };
        assert_eq!(
            round_trip(&improve),
            with(json!({"feedback": "more", "sourceDramaId": "d"}))
        );
        let critique = JobInput::Critique {
            source_drama_id: Some("d".into()),
            model: Some("m".into()),
        };
        assert_eq!(round_trip(&critique), with(json!({"sourceDramaId": "d", "model": "m"})));
        let render = JobInput::Render(RenderRequest::asset("a", true));
        let wire = round_trip(&render);
        assert_eq!(wire["render"]["assets"], json!(["a"]));
        assert_eq!(wire["premise"], json!(null));
        let assemble = JobInput::Assemble {
            episode: "ep1".into(),
            request: Some(AssembleRequest::default()),
        };
        let wire = round_trip(&assemble);
        assert_eq!(wire["episode"], json!("ep1"));
        assert!(wire["assemble"].is_object() && wire.get("render").is_none());
    }

    #[test]
    fn an_empty_record_reads_as_a_critique() {
        let input: JobInput = serde_json::from_value(json!({})).unwrap();
        assert_eq!(
            input,
            JobInput::Critique {
                source_drama_id: None,
                model: None
            }
        );
    }
}
