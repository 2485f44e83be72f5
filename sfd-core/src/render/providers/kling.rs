//! [`Kling`]: Kuaishou's video models, as an asynchronous task.
//!
//! Shapes from <https://app.klingai.com/global/dev/document-api/apiReference/model/imageToVideo>
//! and <https://app.klingai.com/global/dev/document-api/apiReference/commonInfo>:
//! every call carries `Authorization: Bearer {jwt}`, an HS256 token whose
//! `iss` is the access key, signed with the secret key, valid 30 minutes.
//! `POST {base}/v1/videos/text2video` (`model_name`, `prompt`, `duration`
//! as a string, `aspect_ratio`), `/v1/videos/image2video` (the first frame
//! as `image`, the last as `image_tail`, raw base64; an end frame asks for
//! `mode: pro`, the only mode several models take it in) or
//! `/v1/videos/multi-image2video` (1 to 4 subject references as
//! `image_list: [{image}]`, kling-v1-6 only,
//! <https://app.klingai.com/global/dev/document-api/apiReference/model/multiImageToVideo>),
//! with our `external_task_id`; answers
//! `{code: 0, data: {task_id, task_status}}`. `GET` the same path
//! `/{task_id}` until `task_status` is `succeed` (`data.task_result.videos[0].url`)
//! or `failed` (`task_status_msg`). A task can be looked up by its
//! `external_task_id`, so a create whose answer was lost is found, not repeated.

use async_trait::async_trait;
use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::super::provider::Http;
use super::super::{Lookup, Media, MediaRequest, ProviderConfig, TaskApi, TaskState};
use super::{base64_of, download, field, json, task_failed, task_id, video_only};
use crate::model::{MediaUsage, ReferenceRole};
use crate::{Error, Result};

/// The global Kling API base.
pub const KLING_API_BASE: &str = "https://api-singapore.klingai.com";
/// The model used when none is configured.
pub const DEFAULT_KLING_MODEL: &str = "kling-v2-1";

/// Kling clips (`KLING_ACCESS_KEY`, `KLING_SECRET_KEY`).
#[derive(Clone)]
pub struct Kling {
    http: Http,
    access_key: String,
    secret_key: String,
}

impl std::fmt::Debug for Kling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kling")
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    const BLOCK: usize = 64;
    let mut k = if key.len() > BLOCK {
        Sha256::digest(key).to_vec()
    } else {
        key.to_vec()
    };
    k.resize(BLOCK, 0);
    let pad = |b: u8| k.iter().map(|x| x ^ b).collect::<Vec<u8>>();
    let mut inner = Sha256::new();
    inner.update(pad(0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(pad(0x5c));
    outer.update(inner.finalize());
    outer.finalize().to_vec()
}

/// An HS256 JWT for `access_key`, valid from `now - 5` to `now + 1800`.
pub(crate) fn token(access_key: &str, secret_key: &str, now: u64) -> String {
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let header = b64(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = json!({"iss": access_key, "exp": now + 1800, "nbf": now.saturating_sub(5)});
    let payload = b64(claims.to_string().as_bytes());
    let signing = format!("{header}.{payload}");
    let signature = b64(&hmac_sha256(secret_key.as_bytes(), signing.as_bytes()));
    format!("{signing}.{signature}")
}

impl Kling {
    /// A client for `config` (base [`KLING_API_BASE`]) signing with the two keys.
    pub fn new(config: ProviderConfig, access_key: String, secret_key: String) -> Result<Self> {
        Ok(Kling {
            http: Http::new("kling", config)?,
            access_key,
            secret_key,
        })
    }

    fn signed(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        rb.bearer_auth(token(&self.access_key, &self.secret_key, now))
    }

    /// `text2video`, `image2video` (from a first frame) or
    /// `multi-image2video` (from subject references alone).
    fn endpoint(request: &MediaRequest) -> &'static str {
        if request.references.is_empty() {
            "text2video"
        } else if request.with_role(ReferenceRole::FirstFrame).next().is_some() {
            "image2video"
        } else {
            "multi-image2video"
        }
    }

    /// The body of the create call.
    pub fn request_body(&self, request: &MediaRequest, external_id: &str) -> Value {
        let mut body = json!({
            "model_name": self.http.config.model(),
            "prompt": request.prompt,
            "duration": request.duration.unwrap_or(5).to_string(),
            "mode": "std",
            "external_task_id": external_id,
        });
        match Self::endpoint(request) {
            "image2video" => {
                if let Some(first) = request.with_role(ReferenceRole::FirstFrame).next() {
                    body["image"] = json!(base64_of(first));
                }
                if let Some(last) = request.with_role(ReferenceRole::LastFrame).next() {
                    body["image_tail"] = json!(base64_of(last));
                    body["mode"] = json!("pro");
                }
            }
            "multi-image2video" => {
                let list: Vec<Value> = request
                    .with_role(ReferenceRole::Reference)
                    .map(|r| json!({"image": base64_of(r)}))
                    .collect();
                body["image_list"] = json!(list);
                body["aspect_ratio"] = json!(request.aspect_ratio.to_string());
            }
            _ => body["aspect_ratio"] = json!(request.aspect_ratio.to_string()),
        }
        body
    }

    fn answer(&self, body: &[u8]) -> Result<Value> {
        let v = json(&self.http, body)?;
        match v["code"].as_i64() {
            Some(0) | None => Ok(v),
            Some(code) => Err(self.http.error(
                crate::LlmErrorKind::BadRequest,
                format!("code {code}: {}", v["message"].as_str().unwrap_or_default()),
                1,
            )),
        }
    }
}

#[async_trait]
impl TaskApi for Kling {
    fn provider(&self) -> &str {
        self.http.name
    }

    fn model(&self) -> &str {
        self.http.config.model()
    }

    async fn create(&self, request: &MediaRequest, idempotency_key: &str) -> Result<String> {
        video_only(&self.http, request)?;
        let endpoint = Self::endpoint(request);
        let url = self.http.url(&format!("v1/videos/{endpoint}"));
        let body = self.request_body(request, idempotency_key);
        let reply = self
            .http
            .send_raw(false, |c| Ok(self.signed(c.post(&url)).json(&body)))
            .await?;
        let v = self.answer(&reply.body)?;
        // The endpoint is part of the id: a task is queried where it was made.
        Ok(format!(
            "{endpoint}/{}",
            task_id(&self.http, field(&self.http, &v, "/data/task_id")?)?
        ))
    }

    async fn poll(&self, id: &str) -> Result<TaskState> {
        let url = self.http.url(&format!("v1/videos/{}", task_id(&self.http, id)?));
        let reply = self.http.send_raw(true, |c| Ok(self.signed(c.get(&url)))).await?;
        let v = self.answer(&reply.body)?;
        Ok(match v["data"]["task_status"].as_str().unwrap_or_default() {
            "succeed" => TaskState::Succeeded(v),
            "processing" => TaskState::Running,
            "failed" => TaskState::Failed(task_failed(
                &self.http,
                id,
                "",
                v["data"]["task_status_msg"].as_str().unwrap_or_default(),
            )),
            _ => TaskState::Queued,
        })
    }

    async fn fetch(&self, _id: &str, answer: &Value) -> Result<Media> {
        let url = field(&self.http, answer, "/data/task_result/videos/0/url")?;
        let seconds = answer
            .pointer("/data/task_result/videos/0/duration")
            .and_then(|d| d.as_str().and_then(|s| s.parse().ok()).or(d.as_f64()))
            .unwrap_or_default();
        download(
            &self.http,
            url,
            MediaUsage {
                calls: 1,
                seconds,
                ..Default::default()
            },
        )
        .await
    }

    async fn find(&self, idempotency_key: &str) -> Result<Lookup> {
        for endpoint in ["image2video", "text2video", "multi-image2video"] {
            // The single-task query takes a task id or our external_task_id.
            let url = self.http.url(&format!(
                "v1/videos/{endpoint}/{}",
                task_id(&self.http, idempotency_key)?
            ));
            let reply = self.http.send_raw(true, |c| Ok(self.signed(c.get(&url)))).await;
            match reply {
                Ok(r) => {
                    let v = self.answer(&r.body)?;
                    if let Some(id) = v.pointer("/data/task_id").and_then(Value::as_str) {
                        return Ok(Lookup::Found(format!("{endpoint}/{}", task_id(&self.http, id)?)));
                    }
                }
                Err(Error::Render { status: Some(404), .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Lookup::Missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_an_hs256_jwt_signed_with_the_secret() {
        // RFC 4231 test case 2.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        let t = token("ak-1", "sk-1", 1_000);
        let parts: Vec<&str> = t.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[1])
            .unwrap();
        let claims: Value = serde_json::from_slice(&claims).unwrap();
        assert_eq!(claims, json!({"iss": "ak-1", "exp": 2800, "nbf": 995}));
        assert!(!t.contains("sk-1"));
    }
}
