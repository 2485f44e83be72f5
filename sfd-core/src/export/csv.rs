//! The shot list as CSV (RFC 4180): one row per asset of every scene, with
//! the scene's heading, a shot's framing and camera move, and a line's
//! speaker and delivery.

use super::timeline;
use crate::model::{Asset, AssetKind, Drama, Scene};

/// The header row.
pub const SHOT_LIST_HEADER: [&str; 12] = [
    "episode", "scene", "asset", "kind", "prompt", "duration", "url", "heading", "framing", "camera", "speaker",
    "delivery",
];

/// One cell. A cell a spreadsheet would read as a formula (starting with
/// `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`,
/// OWASP's rule against CSV injection.
fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

fn row(fields: &[&str]) -> String {
    let mut line = fields.iter().map(|f| field(f)).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

/// Every scene asset of `drama`, in order, with its scene's duration.
pub fn shot_list(drama: &Drama, default_seconds: u32) -> String {
    let mut out = row(&SHOT_LIST_HEADER);
    for episode in &drama.episodes {
        for shot in timeline(drama, episode, default_seconds) {
            let duration = format!("{}", shot.duration);
            let heading = shot.scene.heading().map(ToString::to_string).unwrap_or_default();
            for asset in &shot.scene.assets {
                let seconds = asset.duration.map_or_else(|| duration.clone(), |d| d.to_string());
                out.push_str(&row(&[
                    &episode.id,
                    &shot.scene.id,
                    &asset.id,
                    &asset.kind.to_string(),
                    &asset.prompt,
                    &seconds,
                    asset.url.as_deref().unwrap_or(""),
                    &heading,
                    asset.framing.as_deref().unwrap_or(""),
                    asset.camera.as_deref().unwrap_or(""),
                    &speaker(drama, shot.scene, asset),
                    asset.delivery.as_deref().unwrap_or(""),
                ]));
            }
        }
    }
    out
}

/// Who speaks an audio line: the character's name, or `narrator`; empty for other assets.
fn speaker(drama: &Drama, scene: &Scene, asset: &Asset) -> String {
    if asset.kind != AssetKind::Audio {
        return String::new();
    }
    let line = scene.lines().into_iter().find(|l| l.audio.id == asset.id);
    match line.and_then(|l| l.speaker) {
        Some(id) => drama.character(id).map_or(id, |c| c.name.as_str()).to_string(),
        None => "narrator".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_commas_quotes_and_newlines_are_quoted() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("say \"hi\"\nnow"), "\"say \"\"hi\"\"\nnow\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("-2+3"), "'-2+3");
    }
}
