//! Voice identity from a reference clip: a character's uploaded sample
//! (`metadata.voice_sample`), cloned once per (provider, sample) by the
//! providers that clone voices, and the provider's voice id kept on the
//! character (`metadata.voice_clone`) so every line, every later render
//! and a resumed job speak in it without cloning again.
//!
//! The sample's hash is part of each of that character's lines' inputs
//! (see [`super::inputs_hash`]): changing or removing it makes those
//! lines, and only those, stale. A provider that does not clone ignores
//! the sample (the plan says so, and which voice is used instead).

use std::fmt;

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::{Lookup, Reference};
use crate::Result;
use crate::model::{Character, MediaType};

/// The character metadata key of its reference clip:
/// `{key, url, hash, contentType, bytes, seconds?}`.
pub const VOICE_SAMPLE_METADATA: &str = "voice_sample";
/// The character metadata key of the voice cloned from its sample:
/// `{provider, sampleHash, voiceId}`.
pub const VOICE_CLONE_METADATA: &str = "voice_clone";

/// A character's reference clip, as its lines' [`super::Voice`] carries it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VoiceSample {
    /// The character it belongs to.
    pub character_id: String,
    /// Its media key (`media/{dramaId}/{cid}-voice-{sha256}.{ext}`).
    pub key: String,
    /// The SHA-256 of its bytes (what staleness and cloning go by).
    pub hash: String,
    /// Its type.
    pub media_type: MediaType,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its length in milliseconds, when known (a WAV's header tells it;
    /// ffprobe, when installed at upload, the other formats').
    pub millis: Option<u64>,
    /// The voice already cloned from it, when one was.
    pub clone: Option<ClonedVoice>,
}

/// A voice a provider cloned from a sample.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClonedVoice {
    /// The provider that cloned it (`elevenlabs`, `minimax`).
    pub provider: String,
    /// The hash of the sample it was cloned from.
    pub sample_hash: String,
    /// The provider's voice id.
    pub voice_id: String,
}

impl VoiceSample {
    /// The sample of `character` (its `metadata.voice_sample`), if any.
    pub fn of(character: &Character) -> Option<VoiceSample> {
        let m = character.metadata.as_ref()?;
        let s = m.get(VOICE_SAMPLE_METADATA)?;
        let key = s.get("key")?.as_str()?.to_string();
        let hash = s.get("hash")?.as_str()?.to_string();
        let media_type = MediaType::from_mime(s.get("contentType")?.as_str()?).ok()?;
        let clone = m.get(VOICE_CLONE_METADATA).and_then(|c| {
            Some(ClonedVoice {
                provider: c.get("provider")?.as_str()?.to_string(),
                sample_hash: c.get("sampleHash")?.as_str()?.to_string(),
                voice_id: c.get("voiceId")?.as_str()?.to_string(),
            })
        });
        Some(VoiceSample {
            character_id: character.id.clone(),
            key,
            hash,
            media_type,
            bytes: s.get("bytes").and_then(Value::as_u64).unwrap_or(0),
            millis: s
                .get("seconds")
                .and_then(Value::as_f64)
                .map(|v| (v * 1000.0).round() as u64),
            clone: clone.filter(|c| !c.voice_id.is_empty()),
        })
    }

    /// The voice `provider` already cloned from this very sample.
    pub fn cloned_by(&self, provider: &str) -> Option<&str> {
        self.clone
            .as_ref()
            .filter(|c| c.provider == provider && c.sample_hash == self.hash)
            .map(|c| c.voice_id.as_str())
    }

    /// The metadata entry of a sample stored under `key`.
    pub fn metadata(key: &crate::model::MediaKey, url: &str, bytes: u64, seconds: Option<f64>) -> Value {
        let mut v = json!({
            "key": key.path(),
            "url": url,
            "hash": key.hash(),
            "contentType": key.media_type().mime(),
            "bytes": bytes,
        });
        if let Some(s) = seconds {
            v["seconds"] = json!((s * 1000.0).round() / 1000.0);
        }
        v
    }
}

/// Records `voice_id`, cloned by `provider` from the sample of hash
/// `sample_hash`, on `metadata` (unless the sample changed since).
#[cfg_attr(not(feature = "jobs"), allow(dead_code))]
pub(crate) fn keep_clone(metadata: &mut Map<String, Value>, provider: &str, sample_hash: &str, voice_id: &str) -> bool {
    let same = metadata
        .get(VOICE_SAMPLE_METADATA)
        .and_then(|s| s.get("hash"))
        .and_then(Value::as_str)
        == Some(sample_hash);
    if same {
        metadata.insert(
            VOICE_CLONE_METADATA.into(),
            json!({"provider": provider, "sampleHash": sample_hash, "voiceId": voice_id}),
        );
    }
    same
}

/// The name a clone is made under: deterministic, so a clone whose answer
/// was lost is found again by it (`sfd-{dramaId}-{cid}-{hash8}`).
pub fn clone_name(drama_id: &str, character_id: &str, sample_hash: &str) -> String {
    let short: String = sample_hash.chars().take(8).collect();
    format!("sfd-{drama_id}-{character_id}-{short}")
}

/// What samples a provider clones from: its documented formats, lengths
/// and size (part of [`super::ModelCapabilities`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloneLimits {
    /// The types it takes; empty means any audio sfd stores.
    pub formats: Vec<MediaType>,
    /// The shortest sample, in seconds.
    pub min_seconds: Option<u32>,
    /// The longest sample, in seconds.
    pub max_seconds: Option<u32>,
    /// The largest file, in bytes.
    pub max_bytes: Option<u64>,
}

impl CloneLimits {
    /// Why `sample` cannot be cloned from, naming the limit; `Ok` when it can
    /// (a length that is not known is not refused).
    pub fn check(&self, sample: &VoiceSample) -> std::result::Result<(), String> {
        if !self.formats.is_empty() && !self.formats.contains(&sample.media_type) {
            let names: Vec<&str> = self.formats.iter().map(|f| f.ext()).collect();
            return Err(format!(
                "the voice sample is {}; it clones from {} files",
                sample.media_type,
                names.join(", ")
            ));
        }
        if let Some(max) = self.max_bytes.filter(|m| sample.bytes > *m) {
            return Err(format!(
                "the voice sample has {} bytes; it clones from at most {max} bytes",
                sample.bytes
            ));
        }
        let Some(ms) = sample.millis else {
            return Ok(());
        };
        let seconds = ms as f64 / 1000.0;
        if let Some(min) = self.min_seconds.filter(|m| seconds < f64::from(*m)) {
            return Err(format!(
                "the voice sample lasts {seconds:.1} s; it clones from at least {min} s"
            ));
        }
        if let Some(max) = self.max_seconds.filter(|m| seconds > f64::from(*m)) {
            return Err(format!(
                "the voice sample lasts {seconds:.1} s; it clones from at most {max} s"
            ));
        }
        Ok(())
    }
}

/// A speech provider that clones a voice from a sample (its
/// [`super::Renderer::cloner`]). Each call is paid: the render job calls
/// [`VoiceCloner::clone_voice`] once per (provider, sample) and looks a
/// clone whose answer was lost up with [`VoiceCloner::find_voice`] before
/// cloning again.
#[async_trait]
pub trait VoiceCloner: fmt::Debug + Send + Sync {
    /// The provider's name.
    fn provider(&self) -> &str;

    /// Clones `sample` under `name` (see [`clone_name`]) and returns the
    /// provider's voice id. Sent once, never retried blindly.
    async fn clone_voice(&self, name: &str, sample: &Reference) -> Result<String>;

    /// The voice a clone under `name` made, when its answer was lost.
    async fn find_voice(&self, name: &str) -> Result<Lookup>;
}

/// What the plan says of a line whose speaker has a reference clip, with
/// `renderer` speaking: `None` without a clip; `Err` naming the limit the
/// clip breaks; else a note and the clone's price, counted on the first
/// line of each character that clones (`counted`), 0 when unknown.
pub(crate) fn plan_note(
    renderer: &dyn super::Renderer,
    prices: &super::PriceTable,
    voice: &super::Voice,
    counted: &mut std::collections::HashSet<String>,
) -> Option<std::result::Result<(String, f64), String>> {
    let sample = voice.sample.as_ref()?;
    let provider = renderer.provider();
    let cid = &sample.character_id;
    let limits = renderer.capabilities().clones_voices;
    let (Some(limits), Some(_)) = (limits, renderer.cloner()) else {
        return Some(Ok((
            format!(
                "{cid}'s voice sample is not used: {provider} does not clone voices; the voice is {}",
                voice.name
            ),
            0.0,
        )));
    };
    if let Err(limit) = limits.check(sample) {
        return Some(Err(format!("{provider}: {cid}'s sample cannot be cloned: {limit}")));
    }
    if let Some(id) = sample.cloned_by(provider) {
        return Some(Ok((
            format!("speaks in the voice cloned from {cid}'s sample ({id})"),
            0.0,
        )));
    }
    if !counted.insert(cid.clone()) {
        return Some(Ok((
            format!("speaks in the voice cloned from {cid}'s sample (cloned once, above)"),
            0.0,
        )));
    }
    let price = prices.price(&format!("{provider}-{CLONE_PRICE}")).map(|p| p.per_call);
    let cost = match price {
        Some(p) => format!("${p}"),
        None => format!("price not known (set {provider}-{CLONE_PRICE} in SFD_PRICES)"),
    };
    Some(Ok((
        format!(
            "clone step: {provider} clones {cid}'s voice sample once, for every line of {cid} ({cost}){}",
            unchecked_length(&limits, sample)
        ),
        price.unwrap_or(0.0),
    )))
}

/// What the clone step adds when the sample's length is not known (no
/// ffprobe to read a non-WAV clip at upload) and `limits` bound it.
fn unchecked_length(limits: &CloneLimits, sample: &VoiceSample) -> String {
    if sample.millis.is_some() {
        return String::new();
    }
    let bounds = match (limits.min_seconds, limits.max_seconds) {
        (Some(min), Some(max)) => format!("{min} s to {max} s"),
        (Some(min), None) => format!("at least {min} s"),
        (None, Some(max)) => format!("at most {max} s"),
        (None, None) => return String::new(),
    };
    format!(
        "; its length is not known (ffprobe was missing, or could not read it, at upload), so the {bounds} it clones from is not checked"
    )
}

/// The price-table entry (`{provider}-voice-clone`, `perCall`) of a clone.
const CLONE_PRICE: &str = "voice-clone";

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(media_type: MediaType, bytes: u64, millis: Option<u64>) -> VoiceSample {
        VoiceSample {
            character_id: "char-a".into(),
            key: "k".into(),
            hash: "h".into(),
            media_type,
            bytes,
            millis,
            clone: None,
        }
    }

    #[test]
    fn limits_name_what_a_sample_breaks() {
        let limits = CloneLimits {
            formats: vec![MediaType::Mpeg, MediaType::Wav],
            min_seconds: Some(10),
            max_seconds: Some(300),
            max_bytes: Some(100),
        };
        assert!(limits.check(&sample(MediaType::Wav, 50, Some(12_000))).is_ok());
        assert!(limits.check(&sample(MediaType::Mpeg, 50, None)).is_ok());
        let short = limits.check(&sample(MediaType::Wav, 50, Some(4_000))).unwrap_err();
        assert!(short.contains("at least 10 s"), "{short}");
        let long = limits.check(&sample(MediaType::Wav, 50, Some(400_000))).unwrap_err();
        assert!(long.contains("at most 300 s"), "{long}");
        assert!(
            limits
                .check(&sample(MediaType::Wav, 500, None))
                .unwrap_err()
                .contains("100 bytes")
        );
        assert!(
            limits
                .check(&sample(MediaType::Ogg, 5, None))
                .unwrap_err()
                .contains("mp3, wav")
        );
    }

    #[test]
    fn a_sample_and_its_clone_are_read_from_metadata() {
        let mut c = Character::new("char-a", "A", "x");
        assert!(VoiceSample::of(&c).is_none());
        let key = crate::model::MediaKey::new("d1", "char-a-voice", &"a".repeat(64), MediaType::Wav).unwrap();
        let mut m = Map::new();
        m.insert(
            VOICE_SAMPLE_METADATA.into(),
            VoiceSample::metadata(&key, "/media/x", 10, Some(12.5)),
        );
        assert!(keep_clone(&mut m, "elevenlabs", &"a".repeat(64), "v1"));
        assert!(!keep_clone(&mut m.clone(), "elevenlabs", "other", "v2"));
        c.metadata = Some(m);
        let s = VoiceSample::of(&c).unwrap();
        assert_eq!((s.media_type, s.bytes, s.millis), (MediaType::Wav, 10, Some(12_500)));
        assert_eq!(s.cloned_by("elevenlabs"), Some("v1"));
        assert_eq!(s.cloned_by("minimax"), None);
        assert_eq!(clone_name("d1", "char-a", &s.hash), "sfd-d1-char-a-aaaaaaaa");
    }
}
