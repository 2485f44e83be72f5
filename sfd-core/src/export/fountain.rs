//! The drama as a screenplay in Fountain (<https://fountain.io>): a title
//! page, a section per episode, a forced scene heading per scene, the
//! scene's description as action, and its spoken line as a character cue
//! and dialogue.

use super::timeline;
use crate::model::Drama;

/// Escapes markup Fountain reads anywhere in a line: emphasis (`*`, `_`),
/// boneyard (`/*` … `*/`), notes (`[[` … `]]`) and the escape itself.
fn escape_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev = None;
    for c in text.chars() {
        match c {
            '\\' | '*' | '_' => out.push('\\'),
            '[' | ']' if prev == Some(c) => out.push('\\'),
            _ => {}
        }
        out.push(c);
        prev = Some(c);
    }
    out
}

/// Fountain treats these as markup at the start of a line.
fn escape_action(line: &str) -> String {
    let escaped = escape_inline(line);
    let t = escaped.trim_end();
    let risky = t.starts_with(['!', '@', '#', '~', '.', '>', '=', '[', '/', '*', '_'])
        || (t.len() > 1 && t.chars().all(|c| !c.is_lowercase()) && t.chars().any(char::is_alphabetic));
    // `!` forces action: an all-capitals line would read as a character cue.
    if risky { format!("!{t}") } else { t.to_string() }
}

/// A heading or cue on one line, with nothing that starts markup.
fn one_line(text: &str) -> String {
    escape_inline(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The screenplay of `drama`.
pub fn fountain(drama: &Drama, default_seconds: u32) -> String {
    let mut out = String::new();
    out.push_str(&format!("Title: {}\n", one_line(&drama.title)));
    out.push_str("Credit: Written with sfd\n");
    out.push_str(&format!("Draft date: {}\n", drama.id));
    if !drama.description.trim().is_empty() {
        out.push_str(&format!("Notes: {}\n", one_line(&drama.description)));
    }
    out.push('\n');
    for (i, episode) in drama.episodes.iter().enumerate() {
        out.push_str(&format!("# Episode {}: {}\n\n", i + 1, one_line(&episode.title)));
        if !episode.description.trim().is_empty() {
            out.push_str(&format!("= {}\n\n", one_line(&episode.description)));
        }
        for (j, shot) in timeline(drama, episode, default_seconds).iter().enumerate() {
            // A leading `.` forces a scene heading.
            out.push_str(&format!(
                ".EPISODE {} SCENE {} - {}S\n\n",
                i + 1,
                j + 1,
                shot.duration.round()
            ));
            for line in shot.scene.description.lines().filter(|l| !l.trim().is_empty()) {
                out.push_str(&escape_action(line));
                out.push_str("\n\n");
            }
            if let Some(line) = shot.line() {
                // `@` forces a character cue; narration is a voice-over.
                let cue = match shot.speaker {
                    Some(name) => format!("@{}", one_line(&name.to_uppercase())),
                    None => "@NARRATOR (V.O.)".to_string(),
                };
                out.push_str(&cue);
                out.push('\n');
                for l in line.lines().filter(|l| !l.trim().is_empty()) {
                    out.push_str(&escape_inline(l.trim()));
                    out.push('\n');
                }
                out.push('\n');
            }
        }
    }
    out
}
