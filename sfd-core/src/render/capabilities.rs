//! What each provider accepts, checked before anything is paid for: the
//! durations (a set or a range), the frames and sizes, how many reference
//! images, first and last frames, native audio.
//!
//! The plan (dry run) and the render job use the same [`fit`], so what the
//! plan shows is what is sent: the duration snapped to an accepted value,
//! the references kept within the cap, and a refusal that names the limit
//! instead of a paid 400.
//!
//! Sources of the limits (checked 2026): Sora `seconds` 4/8/12 and sizes
//! <https://platform.openai.com/docs/api-reference/videos/create>; Veo 4/6/8 s,
//! 16:9 and 9:16, up to 3 reference images
//! <https://ai.google.dev/gemini-api/docs/video>; Kling 5/10 s
//! <https://app.klingai.com/global/dev/document-api/apiReference/model/textToVideo>;
//! Seedance <https://docs.byteplus.com/en/docs/ModelArk/1520757>; Wan
//! <https://help.aliyun.com/zh/model-studio/image-to-video-api-reference>;
//! MiniMax Hailuo <https://platform.minimax.io/docs/api-reference/video-generation-t2v>.

use super::{AspectRatio, MediaRequest};
use crate::model::{AssetKind, PlanSent as Fitted, ReferenceRole};

/// The clip lengths a provider accepts, in whole seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Durations {
    /// Any length.
    Any,
    /// Only these lengths (ascending).
    Set(Vec<u32>),
    /// Any length from `min` to `max`, inclusive.
    Range {
        /// The shortest.
        min: u32,
        /// The longest.
        max: u32,
    },
}

impl Durations {
    /// The accepted length nearest to `asked` (a tie goes to the longer:
    /// a clip can be trimmed, not stretched).
    pub fn snap(&self, asked: u32) -> u32 {
        match self {
            Durations::Any => asked,
            Durations::Range { min, max } => asked.clamp(*min, *max),
            Durations::Set(set) => set
                .iter()
                .copied()
                .min_by_key(|s| (s.abs_diff(asked), std::cmp::Reverse(*s)))
                .unwrap_or(asked),
        }
    }
}

impl std::fmt::Display for Durations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Durations::Any => write!(f, "any length"),
            Durations::Range { min, max } => write!(f, "{min} to {max} s"),
            Durations::Set(set) => {
                let names: Vec<String> = set.iter().map(u32::to_string).collect();
                match names.split_last() {
                    Some((last, rest)) if !rest.is_empty() => write!(f, "{} or {last} s", rest.join(", ")),
                    _ => write!(f, "{} s", names.join("")),
                }
            }
        }
    }
}

/// What one provider (model) accepts. [`ModelCapabilities::of`] is the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelCapabilities {
    /// The name limits are reported under (e.g. `veo-3.1`).
    pub name: String,
    /// Clip lengths (videos).
    pub durations: Durations,
    /// The frames it can make; empty means any.
    pub aspect_ratios: Vec<AspectRatio>,
    /// The exact pixel sizes it makes, when it takes sizes rather than
    /// ratios; empty means any (720 pixels on the short side is asked).
    pub sizes: Vec<(u32, u32)>,
    /// The most reference images one call takes (`None`: no cap).
    pub max_references: Option<usize>,
    /// Whether a video can start from a given image.
    pub first_frame: bool,
    /// Whether a video can end on a given image.
    pub last_frame: bool,
    /// Whether subject references can be sent together with a first frame.
    pub references_with_frames: bool,
    /// Whether a clip can be made from subject references alone, with no
    /// first frame (Kling's `multi-image2video`, Seedance's
    /// `reference_image`); without it a clip with no keyframe starts on its
    /// first input.
    pub subject_references: bool,
    /// Whether its clips carry sound of their own.
    pub native_audio: bool,
    /// Speech: whether it clones voices from a reference clip, and what
    /// clips it takes.
    pub clones_voices: Option<super::CloneLimits>,
}

/// The speech providers that clone voices, and the samples they take:
/// ElevenLabs Instant Voice Cloning (<https://elevenlabs.io/docs/api-reference/add-voice>,
/// no documented length or size limit; the formats its uploads take),
/// MiniMax quick cloning (<https://platform.minimax.io/docs/guides/speech-voice-clone>:
/// mp3, m4a or wav, 10 s to 5 min, up to 20 MB).
fn clone_limits(provider: &str, model: &str) -> Option<super::CloneLimits> {
    use crate::model::MediaType;
    match provider {
        "elevenlabs" => Some(super::CloneLimits {
            formats: vec![
                MediaType::Mpeg,
                MediaType::Wav,
                MediaType::M4a,
                MediaType::Ogg,
                MediaType::Webm,
            ],
            min_seconds: None,
            max_seconds: None,
            max_bytes: None,
        }),
        "minimax" if model.starts_with("speech") => Some(super::CloneLimits {
            formats: vec![MediaType::Mpeg, MediaType::M4a, MediaType::Wav],
            min_seconds: Some(10),
            max_seconds: Some(300),
            max_bytes: Some(20 * 1024 * 1024),
        }),
        _ => None,
    }
}

fn ratios(list: &[(u32, u32)]) -> Vec<AspectRatio> {
    list.iter()
        .map(|&(width, height)| AspectRatio { width, height })
        .collect()
}

impl ModelCapabilities {
    /// A provider with no known limits (simulated, ComfyUI, unknown models).
    pub fn any(name: impl Into<String>) -> Self {
        ModelCapabilities {
            name: name.into(),
            durations: Durations::Any,
            aspect_ratios: Vec::new(),
            sizes: Vec::new(),
            max_references: None,
            first_frame: true,
            last_frame: true,
            references_with_frames: true,
            subject_references: false,
            native_audio: false,
            clones_voices: None,
        }
    }

    /// The table: the limits of `model` served by `provider`. Models are
    /// recognised by name wherever they are hosted (a Kling model on fal
    /// has Kling's limits); unknown ones have none.
    pub fn of(provider: &str, model: &str) -> Self {
        let m = model.to_ascii_lowercase();
        let name = model.to_string();
        let video = |durations, aspects: &[(u32, u32)], refs, last, with_frames, audio| ModelCapabilities {
            name: name.clone(),
            durations,
            aspect_ratios: ratios(aspects),
            sizes: Vec::new(),
            max_references: Some(refs),
            first_frame: true,
            last_frame: last,
            references_with_frames: with_frames,
            subject_references: false,
            native_audio: audio,
            clones_voices: None,
        };
        const WIDE_TALL: &[(u32, u32)] = &[(16, 9), (9, 16)];
        const WIDE_TALL_SQUARE: &[(u32, u32)] = &[(16, 9), (9, 16), (1, 1)];
        if let Some(limits) = clone_limits(provider, &m) {
            ModelCapabilities {
                clones_voices: Some(limits),
                ..ModelCapabilities::any(name)
            }
        } else if m.starts_with("sora") {
            let mut c = video(Durations::Set(vec![4, 8, 12]), WIDE_TALL, 1, false, false, true);
            c.sizes = vec![(720, 1280), (1280, 720)];
            if m.contains("pro") {
                c.sizes.extend([(1024, 1792), (1792, 1024)]);
            }
            c
        } else if m.contains("veo") {
            let audio = m.contains("veo-3");
            video(
                Durations::Set(vec![4, 6, 8]),
                WIDE_TALL,
                3,
                m.contains("3.1"),
                false,
                audio,
            )
        } else if m.contains("kling") {
            // `multi-image2video` takes 1 to 4 subject images, on kling-v1-6 only
            // <https://app.klingai.com/global/dev/document-api/apiReference/model/multiImageToVideo>.
            let mut c = video(Durations::Set(vec![5, 10]), WIDE_TALL_SQUARE, 4, true, false, false);
            c.subject_references = m.contains("v1-6");
            c
        } else if m.contains("seedance") {
            // First/last frames and `reference_image` never mix; reference images
            // are 1 to 4 on 1.0 lite i2v, up to 9 on 2.0; 1.0 pro fast takes a
            // first frame only <https://docs.byteplus.com/en/docs/ModelArk/1520757>.
            const ARK: &[(u32, u32)] = &[(16, 9), (4, 3), (1, 1), (3, 4), (9, 16), (21, 9)];
            let mut c = if m.contains("seedance-2") {
                video(Durations::Range { min: 4, max: 15 }, ARK, 9, true, false, true)
            } else {
                video(
                    Durations::Range { min: 2, max: 12 },
                    ARK,
                    4,
                    !m.contains("pro-fast"),
                    false,
                    m.contains("1-5"),
                )
            };
            c.subject_references = m.contains("seedance-2") || m.contains("lite-i2v");
            c
        } else if m.starts_with("wan") {
            let audio = m.contains("2.5") || m.contains("2.6");
            video(
                Durations::Set(vec![5, 10]),
                WIDE_TALL_SQUARE,
                1,
                m.contains("kf2v"),
                false,
                audio,
            )
        } else if m.contains("hailuo") || (provider == "minimax" && m.contains("video")) {
            video(Durations::Set(vec![6, 10]), &[], 1, m.contains("02"), false, false)
        } else if m.starts_with("gpt-image") {
            ModelCapabilities {
                max_references: Some(16),
                ..ModelCapabilities::any(name)
            }
        } else if (m.contains("gemini") && m.contains("image")) || m.contains("nano-banana") {
            // <https://ai.google.dev/gemini-api/docs/image-generation>: 2.5 Flash
            // Image works best with up to 3 inputs, the 3.x image models take 14.
            const GEMINI: &[(u32, u32)] = &[
                (1, 1),
                (2, 3),
                (3, 2),
                (3, 4),
                (4, 3),
                (4, 5),
                (5, 4),
                (9, 16),
                (16, 9),
                (21, 9),
            ];
            ModelCapabilities {
                aspect_ratios: ratios(GEMINI),
                max_references: Some(if m.contains("2.5") { 3 } else { 14 }),
                ..ModelCapabilities::any(name)
            }
        } else if m.contains("seedream") {
            ModelCapabilities {
                max_references: Some(14),
                ..ModelCapabilities::any(name)
            }
        } else {
            ModelCapabilities::any(name)
        }
    }

    /// The size to ask for a frame: the listed size of that shape, or 720
    /// pixels on the short side.
    pub fn size_for(&self, ratio: AspectRatio) -> (u32, u32) {
        let same = |(w, h): (u32, u32)| u64::from(w) * u64::from(ratio.height) == u64::from(h) * u64::from(ratio.width);
        self.sizes
            .iter()
            .copied()
            .find(|s| same(*s))
            .unwrap_or_else(|| ratio.fit(720))
    }
}

/// Which of a video's inputs are frames. The graph puts the clip's own
/// keyframe first and its `metadata.last_frame` right after it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Frames {
    /// The first input is the clip's keyframe, to start on.
    pub first: bool,
    /// The input after the keyframe is the frame to end on.
    pub last: bool,
}

/// Fits a `kind` call asking `duration` seconds at `ratio` with
/// `references` (whose leading `frames` are frames) to `caps`; `Err` names
/// the limit it cannot meet.
pub fn fit(
    caps: &ModelCapabilities,
    kind: AssetKind,
    duration: Option<u32>,
    ratio: AspectRatio,
    references: &[String],
    frames: Frames,
) -> Result<Fitted, String> {
    let name = &caps.name;
    let mut notes = Vec::new();
    if kind != AssetKind::Audio && !caps.aspect_ratios.is_empty() && !caps.aspect_ratios.contains(&ratio) {
        let accepted: Vec<String> = caps.aspect_ratios.iter().map(ToString::to_string).collect();
        return Err(format!("{name} makes only {} frames, not {ratio}", accepted.join(", ")));
    }
    let duration = match (kind, duration) {
        (AssetKind::Video, Some(asked)) => {
            let sent = caps.durations.snap(asked);
            if sent != asked {
                notes.push(format!(
                    "{asked} s snapped to {sent} s ({name} accepts {})",
                    caps.durations
                ));
            }
            Some(sent)
        }
        (_, d) => d,
    };
    let mut kept: Vec<String> = references.to_vec();
    let (mut roles, cap) = match kind {
        AssetKind::Video if !kept.is_empty() => video_roles(caps, &kept, frames)?,
        _ => (Vec::new(), caps.max_references),
    };
    if let Some(cap) = cap
        && kept.len() > cap
    {
        let dropped = kept.split_off(cap);
        notes.push(format!(
            "{} of {} references sent ({name} takes at most {cap}); left out: {}",
            kept.len(),
            kept.len() + dropped.len(),
            dropped.join(", ")
        ));
    }
    if kind == AssetKind::Video {
        roles.truncate(kept.len());
        roles.resize(kept.len(), ReferenceRole::Reference);
    }
    Ok(Fitted {
        duration_seconds: duration,
        aspect_ratio: ratio.to_string(),
        references: kept,
        roles,
        notes,
    })
}

/// The frames of a video's `references` and how many inputs it may send:
/// frames (first, then last) when it has a keyframe or the provider makes
/// no clip from subjects alone, else subject references only.
fn video_roles(
    caps: &ModelCapabilities,
    references: &[String],
    frames: Frames,
) -> Result<(Vec<ReferenceRole>, Option<usize>), String> {
    let name = &caps.name;
    if frames.last && !frames.first {
        return Err(format!(
            "the last frame {} needs a first frame: the clip has no keyframe of its own",
            references[0]
        ));
    }
    if !frames.first && caps.subject_references {
        return Ok((Vec::new(), caps.max_references));
    }
    if !caps.first_frame {
        return Err(format!(
            "{name} takes no first frame, and this clip starts from {}",
            references[0]
        ));
    }
    let mut roles = vec![ReferenceRole::FirstFrame];
    if frames.last {
        let last = references.get(1).map_or("", String::as_str);
        if !caps.last_frame {
            return Err(format!(
                "{name} takes no last frame, and this clip ends on {last} (metadata.last_frame)"
            ));
        }
        roles.push(ReferenceRole::LastFrame);
    }
    // Subject references beside frames, where the API takes them.
    let cap = match caps.references_with_frames {
        true => caps.max_references.map(|m| m.max(roles.len())),
        false => Some(roles.len()),
    };
    Ok((roles, cap))
}

/// Fits `request` to `caps` as [`fit`] does: snaps its duration and keeps
/// the references within the cap; `Err` names the limit.
pub(crate) fn fit_request(caps: &ModelCapabilities, mut request: MediaRequest) -> Result<MediaRequest, String> {
    let names: Vec<String> = request.references.iter().map(|r| r.name.clone()).collect();
    let fitted = fit(
        caps,
        request.kind,
        request.duration,
        request.aspect_ratio,
        &names,
        request.frames,
    )?;
    request.duration = fitted.duration_seconds;
    request.references.truncate(fitted.references.len());
    request.roles = fitted.roles;
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYFRAME: Frames = Frames {
        first: true,
        last: false,
    };

    fn caps_5_or_10() -> ModelCapabilities {
        ModelCapabilities::of("kling", "kling-v2-1")
    }

    #[test]
    fn durations_snap_to_the_nearest_accepted_value() {
        let set = Durations::Set(vec![5, 10]);
        assert_eq!((set.snap(7), set.snap(8), set.snap(3), set.snap(30)), (5, 10, 5, 10));
        assert_eq!(Durations::Set(vec![4, 8, 12]).snap(6), 8);
        assert_eq!(Durations::Set(vec![4, 8, 12]).snap(10), 12);
        let range = Durations::Range { min: 4, max: 15 };
        assert_eq!((range.snap(2), range.snap(7), range.snap(20)), (4, 7, 15));
        assert_eq!(set.to_string(), "5 or 10 s");
        assert_eq!(range.to_string(), "4 to 15 s");
    }

    #[test]
    fn a_seven_second_clip_is_snapped_and_says_so() {
        let f = fit(
            &caps_5_or_10(),
            AssetKind::Video,
            Some(7),
            AspectRatio::PORTRAIT,
            &[],
            Frames::default(),
        )
        .unwrap();
        assert_eq!(f.duration_seconds, Some(5));
        assert_eq!(f.notes, ["7 s snapped to 5 s (kling-v2-1 accepts 5 or 10 s)"]);
    }

    #[test]
    fn what_cannot_be_met_names_the_limit_and_references_stay_within_the_cap() {
        let square = AspectRatio { width: 1, height: 1 };
        let e = fit(
            &ModelCapabilities::of("veo", "veo-3.1-generate-preview"),
            AssetKind::Video,
            Some(8),
            square,
            &[],
            Frames::default(),
        )
        .unwrap_err();
        assert_eq!(e, "veo-3.1-generate-preview makes only 16:9, 9:16 frames, not 1:1");
        let refs: Vec<String> = (1..=6).map(|i| format!("p{i}")).collect();
        let img = ModelCapabilities {
            max_references: Some(4),
            ..ModelCapabilities::any("m")
        };
        let f = fit(
            &img,
            AssetKind::Image,
            None,
            AspectRatio::PORTRAIT,
            &refs,
            Frames::default(),
        )
        .unwrap();
        assert_eq!(f.references, ["p1", "p2", "p3", "p4"]);
        assert!(
            f.notes[0].contains("4 of 6 references") && f.notes[0].contains("at most 4"),
            "{:?}",
            f.notes
        );
        // Veo: a first frame excludes subject references, so one input goes.
        let v = fit(
            &ModelCapabilities::of("veo", "veo-3.0"),
            AssetKind::Video,
            Some(8),
            AspectRatio::PORTRAIT,
            &refs[..2],
            KEYFRAME,
        )
        .unwrap();
        assert_eq!(v.references, ["p1"]);
    }

    #[test]
    fn sora_sizes_are_exact() {
        let sora = ModelCapabilities::of("videos", "sora-2");
        assert_eq!(sora.size_for(AspectRatio::PORTRAIT), (720, 1280));
        assert_eq!(sora.size_for(AspectRatio { width: 16, height: 9 }), (1280, 720));
        assert_eq!(ModelCapabilities::any("x").size_for(AspectRatio::PORTRAIT), (720, 1280));
    }
}
