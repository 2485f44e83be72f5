//! [`ComfyUi`]: a ComfyUI server (local or remote) running a workflow the
//! user gives, as a task.
//!
//! Shapes from <https://docs.comfy.org/development/comfyui-server/comms_routes>
//! and <https://docs.comfy.org/development/comfyui-server/api-examples>: a
//! reference is uploaded with `POST /upload/image` (multipart `image`,
//! answering `{name, subfolder, type}`); the workflow (API format) goes to
//! `POST /prompt` as `{prompt, client_id}`, answering `{prompt_id}` (or
//! `error` and `node_errors`); `GET /history/{prompt_id}` is `{}` until it
//! ran, then `{id: {status: {status_str, messages}, outputs: {node:
//! {images | gifs | videos: [{filename, subfolder, type}]}}}}`; files come
//! from `GET /view?filename=&subfolder=&type=`. `GET /history` and `GET
//! /queue` find a prompt by the `client_id` it was sent with.
//!
//! Placeholders in the workflow file: `{{prompt}}` (inside any string),
//! and as whole values `{{image}}` (the uploaded first reference),
//! `{{width}}`, `{{height}}`, `{{seconds}}`, `{{seed}}`.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::super::provider::{Http, file_part};
use super::super::{Lookup, Media, MediaRequest, ProviderConfig, TaskApi, TaskState};
use super::{MAX_DOWNLOAD, call, fetch_capped, field, task_failed, task_id};
use crate::model::MediaUsage;
use crate::{Error, LlmErrorKind, Result};

/// ComfyUI workflows (`SFD_COMFYUI_URL`, `SFD_COMFYUI_WORKFLOW`).
#[derive(Debug, Clone)]
pub struct ComfyUi {
    http: Http,
    workflow: Value,
}

/// Fills the placeholders of `workflow`.
pub(crate) fn fill(workflow: &Value, request: &MediaRequest, image: Option<&str>, seed: u64) -> Value {
    let (w, h) = request.aspect_ratio.fit(720);
    let whole = |name: &str| -> Option<Value> {
        match name {
            "{{image}}" => image.map(|i| json!(i)),
            "{{width}}" => Some(json!(w)),
            "{{height}}" => Some(json!(h)),
            "{{seconds}}" => Some(json!(request.duration.unwrap_or(5))),
            "{{seed}}" => Some(json!(seed)),
            _ => None,
        }
    };
    match workflow {
        Value::String(s) => whole(s).unwrap_or_else(|| Value::String(s.replace("{{prompt}}", &request.prompt))),
        Value::Array(a) => Value::Array(a.iter().map(|v| fill(v, request, image, seed)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), fill(v, request, image, seed)))
                .collect(),
        ),
        other => other.clone(),
    }
}

impl ComfyUi {
    /// A client of the server at `config`'s base running `workflow` (API format JSON).
    pub fn new(config: ProviderConfig, workflow: &str) -> Result<Self> {
        let workflow: Value = serde_json::from_str(workflow)
            .map_err(|e| Error::Config(format!("SFD_COMFYUI_WORKFLOW is not a JSON workflow: {e}")))?;
        if !workflow.is_object() {
            return Err(Error::Config(
                "SFD_COMFYUI_WORKFLOW must be a workflow in API format (an object of nodes)".into(),
            ));
        }
        Ok(ComfyUi {
            http: Http::new("comfyui", config)?,
            workflow,
        })
    }

    /// The first output file of a finished prompt: videos first, then images.
    fn output(&self, entry: &Value) -> Option<Value> {
        let outputs = entry["outputs"].as_object()?;
        ["videos", "gifs", "images", "audio"].iter().find_map(|k| {
            outputs
                .values()
                .find_map(|o| o[*k].as_array().and_then(|a| a.first()).cloned())
        })
    }

    /// The prompt id whose `extra_data.client_id` is `key` in a history or queue list.
    fn find_in(list: impl Iterator<Item = Value>, key: &str) -> Option<String> {
        list.into_iter().find_map(|p| {
            (p[3]["client_id"].as_str() == Some(key))
                .then(|| p[1].as_str().map(str::to_string))
                .flatten()
        })
    }
}

#[async_trait]
impl TaskApi for ComfyUi {
    fn provider(&self) -> &str {
        self.http.name
    }

    fn model(&self) -> &str {
        self.http.config.model()
    }

    async fn create(&self, request: &MediaRequest, idempotency_key: &str) -> Result<String> {
        let image = match request.references.first() {
            Some(r) => {
                let url = self.http.url("upload/image");
                let v = call(&self.http, true, |c| {
                    let part = file_part(&r.name, r.media_type, r.bytes.clone())?;
                    Ok(c.post(&url)
                        .multipart(reqwest::multipart::Form::new().part("image", part)))
                })
                .await?;
                Some(field(&self.http, &v, "/name")?.to_string())
            }
            None => None,
        };
        let seed = u64::from_str_radix(&crate::storage::sha256_hex(idempotency_key.as_bytes())[..12], 16).unwrap_or(0);
        let body =
            json!({"prompt": fill(&self.workflow, request, image.as_deref(), seed), "client_id": idempotency_key});
        let url = self.http.url("prompt");
        let v = call(&self.http, false, |c| Ok(c.post(&url).json(&body))).await?;
        task_id(&self.http, field(&self.http, &v, "/prompt_id")?)
    }

    async fn poll(&self, id: &str) -> Result<TaskState> {
        let url = self.http.url(&format!("history/{id}"));
        let v = call(&self.http, true, |c| Ok(c.get(&url))).await?;
        let Some(entry) = v.get(id) else {
            return Ok(TaskState::Running);
        };
        let status = &entry["status"];
        if status["status_str"].as_str() == Some("error") {
            let message = status["messages"]
                .as_array()
                .and_then(|m| m.iter().find(|e| e[0] == "execution_error"))
                .and_then(|e| e[1]["exception_message"].as_str())
                .unwrap_or("the workflow failed");
            return Ok(TaskState::Failed(task_failed(&self.http, id, "", message)));
        }
        if !status["completed"].as_bool().unwrap_or(true) {
            return Ok(TaskState::Running);
        }
        Ok(TaskState::Succeeded(entry.clone()))
    }

    async fn fetch(&self, id: &str, answer: &Value) -> Result<Media> {
        let file = self.output(answer).ok_or_else(|| {
            self.http
                .error(LlmErrorKind::Decode, format!("prompt {id} has no output file"), 1)
        })?;
        let param = |k: &str| file[k].as_str().unwrap_or_default().to_string();
        let url = self.http.url("view");
        let rb = self.http.client().get(&url).query(&[
            ("filename", param("filename")),
            ("subfolder", param("subfolder")),
            ("type", param("type")),
        ]);
        let (bytes, header) = fetch_capped(&self.http, rb, &url, MAX_DOWNLOAD).await?;
        let media_type = super::super::provider::media_type_of(&self.http, &bytes, header.as_deref())?;
        Ok(self.http.made(
            bytes,
            media_type,
            MediaUsage {
                calls: 1,
                ..Default::default()
            },
        ))
    }

    async fn find(&self, idempotency_key: &str) -> Result<Lookup> {
        let history = self.http.url("history");
        let v = call(&self.http, true, |c| Ok(c.get(&history))).await?;
        let done = v
            .as_object()
            .map(|o| o.values().map(|e| e["prompt"].clone()).collect::<Vec<_>>())
            .unwrap_or_default();
        let queue = self.http.url("queue");
        let q = call(&self.http, true, |c| Ok(c.get(&queue))).await?;
        let waiting = ["queue_running", "queue_pending"]
            .iter()
            .flat_map(|k| q[*k].as_array().cloned().unwrap_or_default());
        Ok(match Self::find_in(done.into_iter().chain(waiting), idempotency_key) {
            Some(id) => Lookup::Found(id),
            None => Lookup::Missing,
        })
    }
}
