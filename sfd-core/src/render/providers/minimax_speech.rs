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
//! to a MiniMax system voice of the same register.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::super::provider::{Http, media_type_of};
use super::super::timing::{SpeechTiming, SpokenWord};
use super::super::{Media, MediaRequest, ProviderConfig, Renderer, voice};
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
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_decodes() {
        assert_eq!(super::from_hex("49443303").unwrap(), b"ID3\x03");
        assert!(super::from_hex("4").is_none() && super::from_hex("zz").is_none());
    }
}
