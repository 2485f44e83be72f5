//! An episode's timeline as Final Cut Pro XML 1.10: a `format` (the cut's
//! size and `frameDuration`), one `asset` per file with its `media-rep`,
//! then library → event → project → sequence → spine, one `asset-clip`
//! per shot. Each shot's spoken line is a connected `asset-clip` below it
//! (`lane="-1"`, role dialogue) and its subtitle a connected `caption`
//! above it (`lane="1"`, SRT role). Every time is a rational number of
//! seconds at the cut's rate (`"60/30s"`).
//!
//! Shapes: Apple's FCPXML reference,
//! <https://developer.apple.com/documentation/professional_video_applications/fcpxml_reference>,
//! its `asset-clip` and `caption` pages,
//! <https://developer.apple.com/documentation/professional-video-applications/asset-clip.md>,
//! <https://developer.apple.com/documentation/professional-video-applications/caption.md>,
//! and the DTDs' rule for times ("a rational number of seconds, e.g.
//! 1001/30000s"),
//! <https://developer.apple.com/library/archive/documentation/Miscellaneous/Conceptual/LegacyDTDsFinalCutPro/FCPXMLDTDv1.6/FCPXMLDTDv1.6.html>.
//! The Python hand-off tests validate every document against
//! `sfd-py/tests/data/fcpxml-1.10.dtd`, the subset of Apple's DTD written
//! here: an element or attribute added here is added there too.

use std::collections::HashMap;
use std::fmt::Write;

use crate::model::AssetKind;
use crate::timeline::{Clip, ClipMedia, ClipSource, Timeline, TrackKind};

/// The FCPXML version written.
pub const FCPXML_VERSION: &str = "1.10";

/// `frames` at `rate` as FCPXML time.
fn time(frames: i64, rate: u32) -> String {
    match frames {
        0 => "0s".into(),
        n => format!("{n}/{rate}s"),
    }
}

/// `s` escaped for an attribute or text.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            c if (c as u32) < 0x20 && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// The clips of `kind` connected to `shot`: those that start during it
/// (a clip may run on past its end, as a music bed does).
fn connected<'a>(t: &'a Timeline, kind: TrackKind, shot: &Clip) -> impl Iterator<Item = &'a Clip> {
    let (from, to) = (shot.record.start, shot.record.end());
    t.clips(kind)
        .iter()
        .filter(move |c| c.record.start >= from && c.record.start < to)
}

/// The timeline as an `.fcpxml` document; `locate` gives each file's
/// `media-rep` `src` (a URL, or a path relative to the document).
pub fn fcpxml(t: &Timeline, locate: &dyn Fn(&ClipMedia) -> String) -> String {
    let rate = t.rate;
    // Resource ids: r1 is the format, then one per file, in track order.
    let mut ids: HashMap<&str, String> = HashMap::new();
    let mut resources = String::new();
    let _ = writeln!(
        resources,
        "    <format id=\"r1\" frameDuration=\"1/{rate}s\" width=\"{}\" height=\"{}\"/>",
        t.width, t.height
    );
    for track in &t.tracks {
        for c in &track.clips {
            let Some(m) = c.media() else { continue };
            if ids.contains_key(m.url.as_str()) {
                continue;
            }
            let id = format!("r{}", ids.len() + 2);
            let kind = match m.kind {
                AssetKind::Audio => "hasAudio=\"1\" audioSources=\"1\"".to_string(),
                _ => "hasVideo=\"1\" videoSources=\"1\" format=\"r1\"".to_string(),
            };
            let _ = write!(
                resources,
                "    <asset id=\"{id}\" name=\"{}\" start=\"0s\" duration=\"{}\" {kind}>\n      \
                 <media-rep kind=\"original-media\" src=\"{}\"/>\n    </asset>\n",
                esc(&m.asset_id),
                time(c.source_range().end(), rate),
                esc(&locate(m)),
            );
            ids.insert(m.url.as_str(), id);
        }
    }
    let mut spine = String::new();
    let mut styles = 0usize;
    for shot in t.clips(TrackKind::Video) {
        let Some(m) = shot.media() else {
            let _ = writeln!(
                spine,
                "          <gap name=\"{}\" offset=\"{}\" start=\"0s\" duration=\"{}\"/>",
                esc(&shot.scene_id),
                time(shot.record.start, rate),
                time(shot.record.duration, rate)
            );
            continue;
        };
        let src = shot.source_range();
        let _ = writeln!(
            spine,
            "          <asset-clip ref=\"{}\" name=\"{}\" offset=\"{}\" start=\"{}\" duration=\"{}\">",
            ids.get(m.url.as_str()).map_or("r1", String::as_str),
            esc(&shot.scene_id),
            time(shot.record.start, rate),
            time(src.start, rate),
            time(src.duration, rate),
        );
        // A connected clip's offset is in its parent's time: the parent's
        // start plus how far into the shot it begins.
        let inner = |c: &Clip| time(src.start + c.record.start - shot.record.start, rate);
        for (kind, lane, role) in [(TrackKind::Dialogue, -1, "dialogue"), (TrackKind::Music, -2, "music")] {
            for sound in connected(t, kind, shot) {
                let Some(a) = sound.media() else { continue };
                let _ = writeln!(
                    spine,
                    "            <asset-clip ref=\"{}\" lane=\"{lane}\" name=\"{}\" offset=\"{}\" start=\"{}\" duration=\"{}\" audioRole=\"{role}\"/>",
                    ids.get(a.url.as_str()).map_or("r1", String::as_str),
                    esc(&a.asset_id),
                    inner(sound),
                    time(sound.source_in, rate),
                    time(sound.record.duration, rate),
                );
            }
        }
        for sub in connected(t, TrackKind::Subtitles, shot) {
            let ClipSource::Text(text) = &sub.source else { continue };
            styles += 1;
            let _ = write!(
                spine,
                "            <caption lane=\"1\" name=\"{}\" offset=\"{}\" start=\"0s\" duration=\"{}\" role=\"SRT?captionFormat=SRT.en\">\n              \
                 <text placement=\"bottom\"><text-style ref=\"ts{styles}\">{}</text-style></text>\n              \
                 <text-style-def id=\"ts{styles}\"><text-style font=\"Helvetica\" fontSize=\"13\" fontColor=\"1 1 1 1\" backgroundColor=\"0 0 0 1\"/></text-style-def>\n            \
                 </caption>\n",
                esc(&sub.scene_id),
                inner(sub),
                time(sub.record.duration, rate),
                esc(text),
            );
        }
        spine.push_str("          </asset-clip>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE fcpxml>\n<fcpxml version=\"{FCPXML_VERSION}\">\n  \
         <resources>\n{resources}  </resources>\n  <library>\n    <event name=\"{event}\">\n      \
         <project name=\"{project}\">\n        <sequence format=\"r1\" duration=\"{duration}\" tcStart=\"0s\" \
         tcFormat=\"NDF\" audioLayout=\"stereo\" audioRate=\"48k\">\n          <spine>\n{spine}          </spine>\n        \
         </sequence>\n      </project>\n    </event>\n  </library>\n</fcpxml>\n",
        event = esc(&t.drama_id),
        project = esc(&t.name),
        duration = time(t.frames(), rate),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::{Span, Track};

    fn media(id: &str, kind: AssetKind) -> ClipSource {
        ClipSource::Media(ClipMedia {
            asset_id: id.into(),
            kind,
            url: format!("https://cdn.example/{id}"),
        })
    }

    fn clip(scene: &str, start: i64, duration: i64, source: ClipSource) -> Clip {
        Clip {
            scene_id: scene.into(),
            record: Span { start, duration },
            source_in: 0,
            source,
            still: None,
        }
    }

    #[test]
    fn sound_connects_to_the_shot_it_starts_in_even_past_its_end() {
        let t = Timeline {
            drama_id: "d".into(),
            episode_id: "ep1".into(),
            name: "D - E <1>".into(),
            rate: 30,
            width: 720,
            height: 1280,
            tracks: vec![
                Track {
                    kind: TrackKind::Video,
                    clips: vec![
                        clip("s1", 0, 60, media("v1", AssetKind::Video)),
                        clip("s2", 60, 90, media("v2", AssetKind::Video)),
                    ],
                },
                Track {
                    kind: TrackKind::Music,
                    clips: vec![clip("s1", 30, 120, media("bed", AssetKind::Audio))],
                },
                Track {
                    kind: TrackKind::Subtitles,
                    clips: vec![clip("s2", 60, 45, ClipSource::Text("A & B".into()))],
                },
            ],
        };
        let xml = fcpxml(&t, &|m| m.url.clone());
        assert!(xml.contains("<asset-clip ref=\"r4\" lane=\"-2\" name=\"bed\" offset=\"30/30s\" start=\"0s\" duration=\"120/30s\" audioRole=\"music\"/>"), "{xml}");
        assert!(xml.contains("<text-style ref=\"ts1\">A &amp; B</text-style>"), "{xml}");
        assert!(xml.contains("<project name=\"D - E &lt;1&gt;\">"), "{xml}");
        assert!(xml.contains("<sequence format=\"r1\" duration=\"150/30s\""), "{xml}");
    }

    #[test]
    fn times_are_rational_and_text_is_escaped() {
        assert_eq!(time(0, 30), "0s");
        assert_eq!(time(60, 30), "60/30s");
        assert_eq!(esc("a<b & \"c\"\n"), "a&lt;b &amp; &quot;c&quot;&#10;");
    }
}
