//! [`MiniMaxSpeech`]: MiniMax's synchronous text-to-speech, `t2a_v2`.
//!
//! Shapes from <https://platform.minimax.io/docs/api-reference/speech-t2a-http>
//! (as gateways that copy them document too:
//! <https://docs.yutoai.net/en/api/doc-7717229.html>):
//! `POST {base}/v1/t2a_v2` with `Authorization: Bearer` and `{model, text,
//! stream: false, voice_setting: {voice_id, speed, vol, pitch},
//! audio_setting: {sample_rate, bitrate, format, channel}, subtitle_enable,
//! output_format: "hex"}`, answering `{data: {audio (hex), status,
//! subtitle_file?}, extra_info: {audio_length (ms), usage_characters, …},
//! base_resp: {status_code, status_msg}}`. The subtitle file holds
//! sentence times (`[{text, time_begin, time_end}]`, ms); each sentence's
//! words are spread over its span, which is as fine as MiniMax times speech.
//!
//! A character's voice is the id in its `metadata.voice` (a system voice
//! or a cloned one), or the stable pick of [`crate::render::VOICES`] mapped
//! to a MiniMax system voice of the same register, or the voice cloned from
//! its reference clip.
//!
//! Quick cloning, <https://platform.minimax.io/docs/guides/speech-voice-clone>:
//! the clip is uploaded with `POST {base}/v1/files/upload` (multipart
//! `purpose=voice_clone` and `file`, answering `{file: {file_id, …},
//! base_resp}`, <https://platform.minimax.io/docs/api-reference/voice-cloning-uploadcloneaudio.md>),
//! then `POST {base}/v1/voice_clone` with `{file_id, voice_id}` (a voice id
//! the caller picks; <https://platform.minimax.io/docs/api-reference/voice-cloning-clone.md>)
//! answers `{base_resp, …}`. Both with `Authorization: Bearer`. A clone
//! whose answer was lost is found in `POST {base}/v1/get_voice` with
//! `{voice_type: "voice_cloning"}` (`{voice_cloning: [{voice_id, …}]}`, as
//! MiniMax's own MCP server reads it:
//! <https://app.unpkg.com/minimax-mcp-js@0.0.17/files/build/api/voice.js>).

use async_trait::async_trait;
use serde_json::{Value, json};

use super::super::provider::{Http, file_part, media_type_of};
use super::super::timing::{SpeechTiming, SpokenWord};
use super::super::{Lookup, Media, MediaRequest, ProviderConfig, Reference, Renderer, VoiceCloner, voice};
use super::bearer;
use super::minimax::envelope;
use crate::model::MediaUsage;
use crate::{LlmErrorKind, Result};

/// The model used when none is configured.
pub const DEFAULT_MINIMAX_SPEECH_MODEL: &str = "speech-02-hd";

/// Each of sfd's stable voices as a MiniMax system voice.
const SYSTEM: [(&str, &str); 10] = [
    ("alloy", "presenter_female"),
    ("ash", "male-qn-qingse"),
    ("ballad", "male-qn-jingying"),
    ("coral", "female-shaonv"),
    ("echo", "male-qn-badao"),
    ("fable", "audiobook_male_1"),
    ("nova", "female-tianmei"),
    ("onyx", "presenter_male"),
    ("sage", "female-yujie"),
    ("shimmer", "female-chengshu"),
];

/// Speech through MiniMax `t2a_v2` (`MINIMAX_API_KEY`).
#[derive(Debug, Clone)]
pub struct MiniMaxSpeech {
    http: Http,
}

impl MiniMaxSpeech {
    /// A client for `config` (base [`super::MINIMAX_API_BASE`], a key).
    pub fn new(config: ProviderConfig) -> Result<Self> {
        Ok(MiniMaxSpeech {
            http: Http::new("minimax", config)?,
        })
    }

    /// The JSON body of the call.
    pub fn request_body(&self, request: &MediaRequest) -> Value {
        let v = request.voice.clone().unwrap_or_else(voice::narrator);
        json!({
            "model": self.http.config.model(),
            "text": request.prompt,
            "stream": false,
            "voice_setting": {"voice_id": voice::provider_voice(&v, &SYSTEM), "speed": 1.0, "vol": 1.0, "pitch": 0},
            "audio_setting": {"sample_rate": 32000, "bitrate": 128000, "format": "mp3", "channel": 1},
            "subtitle_enable": true,
            "output_format": "hex",
        })
    }

    /// The sentence times of `subtitle_file`, as words; `None` when it
    /// cannot be read (the line keeps its length).
    async fn words(&self, url: &str) -> Option<Vec<SpokenWord>> {
        let reply = self.http.download(url).await.ok()?;
        let sentences: Vec<Value> = serde_json::from_slice(&reply.body).ok()?;
        let mut words = Vec::new();
        for s in &sentences {
            let (begin, end) = (s["time_begin"].as_f64()? / 1000.0, s["time_end"].as_f64()? / 1000.0);
            let text = s["text"].as_str()?;
            words.extend(
                SpeechTiming::spread(text, (end - begin).max(0.0))
                    .words
                    .into_iter()
                    .map(|w| SpokenWord {
                        start: w.start + begin,
                        end: w.end + begin,
                        ..w
                    }),
            );
        }
        Some(words)
    }
}

/// The voice id a clone named `name` is made under: MiniMax takes ids the
/// caller picks (letters first, then letters, digits, `-` and `_`).
pub(crate) fn clone_voice_id(name: &str) -> String {
    let id: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let id = id.trim_end_matches(['-', '_']);
    if id.starts_with(|c: char| c.is_ascii_alphabetic()) {
        id.to_string()
    } else {
        format!("sfd{id}")
    }
}

#[async_trait]
impl VoiceCloner for MiniMaxSpeech {
    fn provider(&self) -> &str {
        self.http.name
    }

    async fn clone_voice(&self, name: &str, sample: &Reference) -> Result<String> {
        // Uploading is not paid for: retried like any read.
        let url = self.http.url("v1/files/upload");
        let reply = self
            .http
            .send_raw(true, |c| {
                let form = reqwest::multipart::Form::new().text("purpose", "voice_clone").part(
                    "file",
                    file_part(&sample.name, sample.media_type, sample.bytes.clone())?,
                );
                Ok(bearer(&self.http, c.post(&url)).multipart(form))
            })
            .await?;
        let v = envelope(&self.http, &reply.body)?;
        let file_id = v["file"]["file_id"].clone();
        if file_id.is_null() {
            return Err(self
                .http
                .error(LlmErrorKind::Decode, "the upload's answer has no file.file_id", 1));
        }
        // The clone is sent once: a lost answer is looked up, never re-sent blindly.
        let voice_id = clone_voice_id(name);
        let url = self.http.url("v1/voice_clone");
        let body = json!({"file_id": file_id, "voice_id": voice_id});
        let reply = self
            .http
            .send_raw(false, |c| Ok(bearer(&self.http, c.post(&url)).json(&body)))
            .await?;
        envelope(&self.http, &reply.body)?;
        Ok(voice_id)
    }

    async fn find_voice(&self, name: &str) -> Result<Lookup> {
        let voice_id = clone_voice_id(name);
        let url = self.http.url("v1/get_voice");
        let body = json!({"voice_type": "voice_cloning"});
        let reply = self
            .http
            .send_raw(true, |c| Ok(bearer(&self.http, c.post(&url)).json(&body)))
            .await?;
        let v = envelope(&self.http, &reply.body)?;
        let found = v["voice_cloning"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|voice| voice["voice_id"].as_str() == Some(voice_id.as_str()));
        Ok(if found {
            Lookup::Found(voice_id)
        } else {
            Lookup::Missing
        })
    }
}

/// The bytes of a hex string.
fn from_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[async_trait]
impl Renderer for MiniMaxSpeech {
    async fn render(&self, request: MediaRequest) -> Result<Media> {
        self.http.check_speech(&request)?;
        let url = self.http.url("v1/t2a_v2");
        let body = self.request_body(&request);
        let reply = self
            .http
            .send_raw(true, |c| Ok(bearer(&self.http, c.post(&url)).json(&body)))
            .await?;
        let v = envelope(&self.http, &reply.body)?;
        let audio = v["data"]["audio"]
            .as_str()
            .and_then(from_hex)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| {
                self.http
                    .error(LlmErrorKind::Decode, "the answer has no data.audio (hex)", 1)
            })?;
        let media_type = media_type_of(&self.http, &audio, Some("audio/mpeg"))?;
        let duration = v["extra_info"]["audio_length"].as_f64().unwrap_or(0.0) / 1000.0;
        let words = match v["data"]["subtitle_file"].as_str() {
            Some(url) => self.words(url).await.unwrap_or_default(),
            None => Vec::new(),
        };
        let usage = MediaUsage {
            calls: 1,
            seconds: duration,
            characters: v["extra_info"]["usage_characters"]
                .as_u64()
                .unwrap_or(request.prompt.chars().count() as u64),
            ..Default::default()
        };
        let mut made = self.http.made(audio.into(), media_type, usage);
        made.speech = (duration > 0.0).then_some(SpeechTiming { duration, words });
        Ok(made)
    }

    fn provider(&self) -> &str {
        self.http.name
    }

    fn model(&self) -> &str {
        self.http.config.model()
    }

    fn cloner(&self) -> Option<&dyn VoiceCloner> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_decodes() {
        assert_eq!(super::from_hex("49443303").unwrap(), b"ID3\x03");
        assert!(super::from_hex("4").is_none() && super::from_hex("zz").is_none());
    }

    #[test]
    fn clone_voice_ids_start_with_a_letter() {
        assert_eq!(
            super::clone_voice_id("sfd-d1-char-a-0a1b2c3d"),
            "sfd-d1-char-a-0a1b2c3d"
        );
        assert_eq!(super::clone_voice_id("1x y_"), "sfd1x-y");
    }
}
