//! An episode's timeline as OpenTimelineIO JSON: a `Timeline.1` whose
//! `Stack.1` holds a video `Track.1` (one `Clip.2` per shot) and audio
//! tracks (dialogue, music, with `Gap.1` between lines); subtitles are
//! `Marker.2`s on the picture track, their text in `comment`. Each clip's
//! media is an `ExternalReference.1`; times are `RationalTime.1` /
//! `TimeRange.1` at the cut's rate.
//!
//! Shapes: the OTIO file format and serialized schema,
//! <https://opentimelineio.readthedocs.io/en/latest/tutorials/otio-file-format-specification.html>
//! and <https://opentimelineio.readthedocs.io/en/latest/tutorials/otio-serialized-schema.html>.

use serde_json::{Value, json};

use crate::timeline::{Clip, ClipMedia, ClipSource, Span, Timeline, TrackKind};

fn time(frames: i64, rate: u32) -> Value {
    json!({"OTIO_SCHEMA": "RationalTime.1", "rate": f64::from(rate), "value": frames as f64})
}

fn range(span: Span, rate: u32) -> Value {
    json!({
        "OTIO_SCHEMA": "TimeRange.1",
        "start_time": time(span.start, rate),
        "duration": time(span.duration, rate),
    })
}

/// The fields every composable item has.
fn item(schema: &str, name: &str, source_range: Value) -> Value {
    json!({
        "OTIO_SCHEMA": schema,
        "metadata": {},
        "name": name,
        "source_range": source_range,
        "effects": [],
        "markers": [],
        "enabled": true,
        "color": null,
    })
}

fn clip(c: &Clip, media: &ClipMedia, rate: u32, locate: &dyn Fn(&ClipMedia) -> String) -> Value {
    let mut v = item("Clip.2", &media.asset_id, range(c.source_range(), rate));
    v["metadata"] = json!({"sfd": {"scene_id": c.scene_id, "asset_id": media.asset_id}});
    v["media_references"] = json!({
        "DEFAULT_MEDIA": {
            "OTIO_SCHEMA": "ExternalReference.1",
            "metadata": {},
            "name": media.asset_id,
            "available_range": null,
            "available_image_bounds": null,
            "target_url": locate(media),
        }
    });
    v["active_media_reference_key"] = json!("DEFAULT_MEDIA");
    v
}

fn gap(frames: i64, rate: u32) -> Value {
    item(
        "Gap.1",
        "",
        range(
            Span {
                start: 0,
                duration: frames,
            },
            rate,
        ),
    )
}

/// The children of a media track: its clips with gaps where nothing plays.
fn children(clips: &[Clip], rate: u32, locate: &dyn Fn(&ClipMedia) -> String) -> Vec<Value> {
    let mut out = Vec::new();
    let mut at = 0;
    for c in clips {
        if c.record.start > at {
            out.push(gap(c.record.start - at, rate));
        }
        out.push(match c.media() {
            Some(m) => clip(c, m, rate, locate),
            None => gap(c.record.duration, rate),
        });
        at = c.record.end();
    }
    out
}

/// The timeline as an `.otio` document; `locate` gives each file's
/// `target_url` (a URL, or a path relative to the document).
pub fn otio(t: &Timeline, locate: &dyn Fn(&ClipMedia) -> String) -> String {
    let rate = t.rate;
    let mut tracks = Vec::new();
    for track in &t.tracks {
        if track.kind == TrackKind::Subtitles {
            continue;
        }
        let mut v = item("Track.1", track.kind.label(), Value::Null);
        v["kind"] = json!(if track.kind.is_audio() { "Audio" } else { "Video" });
        v["children"] = Value::Array(children(&track.clips, rate, locate));
        if track.kind == TrackKind::Video {
            v["markers"] = Value::Array(subtitles(t));
        }
        tracks.push(v);
    }
    let mut stack = item("Stack.1", "tracks", Value::Null);
    stack["children"] = Value::Array(tracks);
    let doc = json!({
        "OTIO_SCHEMA": "Timeline.1",
        "metadata": {"sfd": {
            "drama_id": t.drama_id,
            "episode_id": t.episode_id,
            "width": t.width,
            "height": t.height,
        }},
        "name": t.name,
        "global_start_time": time(0, rate),
        "tracks": stack,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// The subtitles as markers of the picture track (in its time, which is
/// the cut's).
fn subtitles(t: &Timeline) -> Vec<Value> {
    t.clips(TrackKind::Subtitles)
        .iter()
        .filter_map(|c| match &c.source {
            ClipSource::Text(text) => Some(json!({
                "OTIO_SCHEMA": "Marker.2",
                "metadata": {"sfd": {"scene_id": c.scene_id, "subtitle": true}},
                "name": "subtitle",
                "color": "YELLOW",
                "marked_range": range(c.record, t.rate),
                "comment": text,
            })),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AssetKind;
    use crate::timeline::Track;

    fn clip(start: i64, duration: i64, source: ClipSource) -> Clip {
        Clip {
            scene_id: "s".into(),
            record: Span { start, duration },
            source_in: 0,
            source,
            still: None,
        }
    }

    #[test]
    fn lines_sit_after_gaps_and_subtitles_are_markers_of_the_picture() {
        let sound = |id: &str| {
            ClipSource::Media(ClipMedia {
                asset_id: id.into(),
                kind: AssetKind::Audio,
                url: format!("/media/{id}"),
            })
        };
        let t = Timeline {
            drama_id: "d".into(),
            episode_id: "ep1".into(),
            name: "D - E".into(),
            rate: 30,
            width: 720,
            height: 1280,
            tracks: vec![
                Track {
                    kind: TrackKind::Dialogue,
                    clips: vec![clip(30, 15, sound("a1")), clip(60, 30, sound("a2"))],
                },
                Track {
                    kind: TrackKind::Subtitles,
                    clips: vec![clip(30, 15, ClipSource::Text("Hi".into()))],
                },
            ],
        };
        let doc: Value = serde_json::from_str(&otio(&t, &|m| format!("media/{}", m.asset_id))).unwrap();
        let tracks = doc["tracks"]["children"].as_array().unwrap();
        assert_eq!(tracks.len(), 1, "subtitles are no track of their own");
        let items: Vec<(&str, f64)> = tracks[0]["children"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let schema = c["OTIO_SCHEMA"].as_str().unwrap();
                (schema, c["source_range"]["duration"]["value"].as_f64().unwrap())
            })
            .collect();
        assert_eq!(
            items,
            [("Gap.1", 30.0), ("Clip.2", 15.0), ("Gap.1", 15.0), ("Clip.2", 30.0)]
        );
        assert_eq!(tracks[0]["kind"], "Audio");
        assert_eq!(
            tracks[0]["children"][1]["media_references"]["DEFAULT_MEDIA"]["target_url"],
            "media/a1"
        );
    }
}
