//! An episode's timeline as a CapCut / Jianying draft: `draft_content.json`
//! (canvas, fps, duration, `materials` and `tracks`) and
//! `draft_meta_info.json` (the draft's name, length and the media it
//! imports). One `video` track with a segment per shot, one `audio` track
//! with the spoken lines, one `text` track with the subtitles; every time
//! is in microseconds (`target_timerange` on the cut, `source_timerange`
//! in the file), each boundary rounded once so the segments add up to the
//! draft's duration exactly.
//!
//! Shapes: the draft structure pyJianYingDraft reads and writes (its
//! `assets/draft_content_template.json`, `draft_meta_info.json` and the
//! segment and material JSON of `VideoSegment`, `AudioSegment`,
//! `TextSegment`), <https://github.com/GuanYixuan/pyJianYingDraft>.

use serde_json::{Value, json};

use crate::timeline::{Clip, ClipMedia, ClipSource, Span, Timeline, TrackKind};

/// The two files of a draft folder.
#[derive(Debug, Clone)]
pub struct CapcutDraft {
    /// `draft_content.json`.
    pub content: String,
    /// `draft_meta_info.json`.
    pub meta: String,
}

fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Microseconds of frame `n` at `rate`.
fn micros(n: i64, rate: u32) -> i64 {
    ((n as f64) * 1_000_000.0 / f64::from(rate.max(1))).round() as i64
}

/// `span` in microseconds, its end rounded on its own so spans that meet
/// still meet.
fn timerange(span: Span, rate: u32) -> Value {
    let start = micros(span.start, rate);
    json!({"start": start, "duration": micros(span.end(), rate) - start})
}

/// The fields every segment has, as pyJianYingDraft writes them.
fn segment(material_id: &str, record: Value, source: Value, extra: Vec<String>, visual: bool) -> Value {
    let mut v = json!({
        "enable_adjust": true,
        "enable_color_correct_adjust": false,
        "enable_color_curves": true,
        "enable_color_match_adjust": false,
        "enable_color_wheels": true,
        "enable_lut": true,
        "enable_smart_color_adjust": false,
        "last_nonzero_volume": 1.0,
        "reverse": false,
        "track_attribute": 0,
        "track_render_index": 0,
        "visible": true,
        "id": new_id(),
        "material_id": material_id,
        "target_timerange": record,
        "common_keyframes": [],
        "keyframe_refs": [],
        "source_timerange": source,
        "speed": 1.0,
        "volume": 1.0,
        "extra_material_refs": extra,
        "is_tone_modify": false,
        "clip": null,
        "hdr_settings": null,
        "render_index": 0,
    });
    if visual {
        v["clip"] = json!({
            "alpha": 1.0,
            "flip": {"horizontal": false, "vertical": false},
            "rotation": 0.0,
            "scale": {"x": 1.0, "y": 1.0},
            "transform": {"x": 0.0, "y": 0.0},
        });
        v["uniform_scale"] = json!({"on": true, "value": 1.0});
    }
    v
}

fn track(kind: &str, segments: Vec<Value>) -> Value {
    json!({
        "attribute": 0,
        "flag": 0,
        "id": new_id(),
        "is_default_name": false,
        "name": kind,
        "segments": segments,
        "type": kind,
    })
}

/// Everything the draft's JSON is built of, gathered track by track.
#[derive(Default)]
struct Parts {
    videos: Vec<Value>,
    audios: Vec<Value>,
    texts: Vec<Value>,
    speeds: Vec<Value>,
    imported: Vec<Value>,
    tracks: Vec<Value>,
}

impl Parts {
    fn speed(&mut self) -> String {
        let id = new_id();
        self.speeds
            .push(json!({"curve_speed": null, "id": id, "mode": 0, "speed": 1.0, "type": "speed"}));
        id
    }

    fn media(&mut self, t: &Timeline, c: &Clip, m: &ClipMedia, path: String) -> Value {
        let id = new_id();
        let source = timerange(c.source_range(), t.rate);
        let length = source["start"].as_i64().unwrap_or(0) + source["duration"].as_i64().unwrap_or(0);
        let name = path.rsplit('/').next().unwrap_or(&path).to_string();
        let audio = m.kind == crate::model::AssetKind::Audio;
        if audio {
            self.audios.push(json!({
                "app_id": 0, "category_id": "", "category_name": "local", "check_flag": 3,
                "copyright_limit_type": "none", "duration": length, "effect_id": "", "formula_id": "",
                "id": id, "local_material_id": id, "music_id": id, "name": name, "path": path,
                "source_platform": 0, "type": "extract_music", "wave_points": [],
            }));
        } else {
            self.videos.push(json!({
                "audio_fade": null, "category_id": "", "category_name": "local", "check_flag": 63487,
                "crop": {"upper_left_x": 0.0, "upper_left_y": 0.0, "upper_right_x": 1.0, "upper_right_y": 0.0,
                         "lower_left_x": 0.0, "lower_left_y": 1.0, "lower_right_x": 1.0, "lower_right_y": 1.0},
                "crop_ratio": "free", "crop_scale": 1.0, "duration": length, "height": t.height, "id": id,
                "local_material_id": "", "material_id": id, "material_name": name, "media_path": "",
                "path": path, "type": "video", "width": t.width,
            }));
        }
        self.imported.push(json!({
            "create_time": 0, "duration": length, "extra_info": name, "file_Path": path,
            "height": if audio { 0 } else { t.height }, "id": new_id(), "import_time": 0, "import_time_ms": 0,
            "item_source": 1, "md5": "", "metetype": if audio { "music" } else { "video" },
            "roughcut_time_range": {"duration": -1, "start": -1},
            "sub_time_range": {"duration": -1, "start": -1}, "type": 0,
            "width": if audio { 0 } else { t.width },
        }));
        let speed = self.speed();
        segment(&id, timerange(c.record, t.rate), source, vec![speed], !audio)
    }

    fn text(&mut self, t: &Timeline, c: &Clip, text: &str) -> Value {
        let id = new_id();
        let style = json!({
            "styles": [{
                "fill": {"alpha": 1.0, "content": {"render_type": "solid", "solid": {"alpha": 1.0, "color": [1.0, 1.0, 1.0]}}},
                "range": [0, text.chars().count()], "size": 8.0, "bold": false, "italic": false,
                "underline": false, "strokes": [],
            }],
            "text": text,
        });
        self.texts.push(json!({
            "id": id, "content": style.to_string(), "typesetting": 0, "alignment": 1,
            "letter_spacing": 0.0, "line_spacing": 0.02, "line_feed": 1, "line_max_width": 0.82,
            "force_apply_line_max_width": false, "check_flag": 7, "type": "subtitle", "global_alpha": 1.0,
        }));
        let mut s = segment(&id, timerange(c.record, t.rate), Value::Null, Vec::new(), true);
        // Subtitles sit low in the frame.
        s["clip"]["transform"]["y"] = json!(-0.75);
        s
    }
}

/// The timeline as a draft folder's two files; `locate` gives each file's
/// path (relative to the draft folder).
pub fn capcut(t: &Timeline, locate: &dyn Fn(&ClipMedia) -> String) -> CapcutDraft {
    let mut parts = Parts::default();
    for (order, tr) in t.tracks.iter().enumerate() {
        let kind = match tr.kind {
            TrackKind::Video => "video",
            TrackKind::Dialogue | TrackKind::Music => "audio",
            TrackKind::Subtitles => "text",
        };
        let mut segments = Vec::new();
        for c in &tr.clips {
            let mut s = match &c.source {
                ClipSource::Media(m) => parts.media(t, c, m, locate(m)),
                ClipSource::Text(text) => parts.text(t, c, text),
                ClipSource::Blank => continue,
            };
            s["render_index"] = json!(order);
            segments.push(s);
        }
        parts.tracks.push(track(kind, segments));
    }
    let duration = micros(t.frames(), t.rate);
    let draft_id = uuid::Uuid::new_v4().to_string().to_uppercase();
    let empty_materials = [
        "ai_translates",
        "audio_balances",
        "audio_effects",
        "audio_fades",
        "audio_track_indexes",
        "beats",
        "canvases",
        "chromas",
        "color_curves",
        "digital_humans",
        "drafts",
        "effects",
        "flowers",
        "green_screens",
        "handwrites",
        "hsl",
        "images",
        "log_color_wheels",
        "loudnesses",
        "manual_deformations",
        "masks",
        "material_animations",
        "material_colors",
        "multi_language_refs",
        "placeholders",
        "plugin_effects",
        "primary_color_wheels",
        "realtime_denoises",
        "shapes",
        "smart_crops",
        "smart_relights",
        "sound_channel_mappings",
        "stickers",
        "tail_leaders",
        "text_templates",
        "time_marks",
        "transitions",
        "video_effects",
        "video_trackings",
        "vocal_beautifys",
        "vocal_separations",
    ];
    let mut materials = serde_json::Map::new();
    for k in empty_materials {
        materials.insert(k.into(), json!([]));
    }
    materials.insert("videos".into(), Value::Array(parts.videos));
    materials.insert("audios".into(), Value::Array(parts.audios));
    materials.insert("texts".into(), Value::Array(parts.texts));
    materials.insert("speeds".into(), Value::Array(parts.speeds));
    let platform = json!({"app_id": 3704, "app_source": "lv", "app_version": "5.9.0", "os": "windows"});
    let content = json!({
        "canvas_config": {"width": t.width, "height": t.height, "ratio": "original"},
        "color_space": 0,
        "config": {
            "adjust_max_index": 1, "attachment_info": [], "combination_max_index": 1, "export_range": null,
            "extract_audio_last_index": 1, "lyrics_recognition_id": "", "lyrics_sync": true, "lyrics_taskinfo": [],
            "maintrack_adsorb": true, "material_save_mode": 0, "multi_language_current": "none",
            "multi_language_list": [], "multi_language_main": "none", "multi_language_mode": "none",
            "original_sound_last_index": 1, "record_audio_last_index": 1, "sticker_max_index": 1,
            "subtitle_keywords_config": null, "subtitle_recognition_id": "", "subtitle_sync": true,
            "subtitle_taskinfo": [], "system_font_list": [], "video_mute": false, "zoom_info_params": null,
        },
        "cover": null,
        "create_time": 0,
        "duration": duration,
        "extra_info": null,
        "fps": f64::from(t.rate),
        "free_render_index_mode_on": false,
        "group_container": null,
        "id": draft_id,
        "keyframe_graph_list": [],
        "keyframes": {"adjusts": [], "audios": [], "effects": [], "filters": [], "handwrites": [], "stickers": [], "texts": [], "videos": []},
        "last_modified_platform": platform,
        "platform": platform,
        "materials": materials,
        "mutable_config": null,
        "name": t.name,
        "new_version": "110.0.0",
        "relationships": [],
        "render_index_track_mode_on": false,
        "retouch_cover": null,
        "source": "default",
        "static_cover_image_path": "",
        "time_marks": null,
        "tracks": parts.tracks,
        "update_time": 0,
        "version": 360000,
    });
    let kinds = [0, 1, 2, 3, 6, 7, 8];
    let draft_materials: Vec<Value> = kinds
        .iter()
        .map(|&k| match k {
            0 => json!({"type": 0, "value": parts.imported}),
            k => json!({"type": k, "value": []}),
        })
        .collect();
    let meta = json!({
        "cloud_package_completed_time": "", "draft_cloud_capcut_purchase_info": "",
        "draft_cloud_last_action_download": false, "draft_cloud_materials": [], "draft_cloud_purchase_info": "",
        "draft_cloud_template_id": "", "draft_cloud_tutorial_info": "", "draft_cloud_videocut_purchase_info": "",
        "draft_cover": "", "draft_deeplink_url": "",
        "draft_enterprise_info": {"draft_enterprise_extra": "", "draft_enterprise_id": "", "draft_enterprise_name": "", "enterprise_material": []},
        "draft_fold_path": "", "draft_id": draft_id, "draft_is_ai_packaging_used": false, "draft_is_ai_shorts": false,
        "draft_is_ai_translate": false, "draft_is_article_video_draft": false, "draft_is_from_deeplink": "false",
        "draft_is_invisible": false, "draft_materials": draft_materials, "draft_materials_copied_info": [],
        "draft_name": t.name, "draft_new_version": "", "draft_removable_storage_device": "", "draft_root_path": "",
        "draft_segment_extra_info": [], "draft_type": "", "tm_draft_cloud_completed": "", "tm_draft_cloud_modified": 0,
        "tm_draft_removed": 0, "tm_duration": duration,
    });
    CapcutDraft {
        content: content.to_string(),
        meta: meta.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microsecond_ranges_meet_and_add_up() {
        let spans = [Span { start: 0, duration: 7 }, Span { start: 7, duration: 11 }];
        let total: i64 = spans
            .iter()
            .map(|s| timerange(*s, 30)["duration"].as_i64().unwrap())
            .sum();
        assert_eq!(total, micros(18, 30));
        assert_eq!(micros(30, 30), 1_000_000);
    }
}
