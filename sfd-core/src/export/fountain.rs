//! The drama as a screenplay in Fountain (<https://fountain.io>): a title
//! page, a section per episode, a scene heading per scene
//! (`INT. LIGHTHOUSE - NIGHT`), the scene's description as action, and
//! every dialogue line as a character cue, its delivery as a
//! parenthetical, and its words.

use crate::model::{Drama, Line, Scene};

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

/// `YYYY-MM-DD` of a time in ms since the epoch (UTC), for `Draft date`.
pub fn draft_date(ms: u64) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let z = (ms / 86_400_000) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The screenplay of `drama`, dated `draft_date` (see [`draft_date`]).
pub fn fountain(drama: &Drama, draft_date: &str) -> String {
    let mut out = String::new();
    out.push_str(&format!("Title: {}\n", one_line(&drama.title)));
    out.push_str("Credit: Written with sfd\n");
    out.push_str(&format!("Draft date: {}\n", one_line(draft_date)));
    if !drama.description.trim().is_empty() {
        out.push_str(&format!("Notes: {}\n", one_line(&drama.description)));
    }
    out.push('\n');
    for (i, episode) in drama.episodes.iter().enumerate() {
        out.push_str(&format!("# Episode {}: {}\n\n", i + 1, one_line(&episode.title)));
        if !episode.description.trim().is_empty() {
            out.push_str(&format!("= {}\n\n", one_line(&episode.description)));
        }
        for (j, scene) in episode.scenes.iter().enumerate() {
            out.push_str(&heading(scene, i + 1, j + 1));
            out.push_str("\n\n");
            for line in scene.description.lines().filter(|l| !l.trim().is_empty()) {
                out.push_str(&escape_action(line));
                out.push_str("\n\n");
            }
            for line in scene.lines().iter().filter(|l| !l.text().is_empty()) {
                out.push_str(&dialogue(drama, line));
            }
        }
    }
    out
}

/// The scene's heading; a scene without one (an older document) gets a
/// forced heading naming its place in the drama.
fn heading(scene: &Scene, episode: usize, number: usize) -> String {
    match scene.heading().filter(|h| !h.location.trim().is_empty()) {
        // A heading starting `INT.`, `EXT.` or `INT./EXT.` needs no forcing.
        Some(h) => one_line(&h.to_string()),
        // A leading `.` forces a scene heading.
        None => format!(".EPISODE {episode} SCENE {number}"),
    }
}

/// A line as a character cue (`@` forces it; a narrator is a voice-over),
/// its delivery as a parenthetical, and its words.
fn dialogue(drama: &Drama, line: &Line<'_>) -> String {
    let cue = match line.speaker {
        Some(id) => drama.character(id).map_or(id, |c| c.name.as_str()).to_uppercase(),
        None => "NARRATOR (V.O.)".to_string(),
    };
    // A trailing `^` would make it dual dialogue.
    let mut out = format!("@{}\n", one_line(&cue).trim_end_matches('^'));
    let delivery = line.delivery().map(|d| one_line(&d.replace(['(', ')'], " ")));
    if let Some(d) = delivery.filter(|d| !d.is_empty()) {
        out.push_str(&format!("({d})\n"));
    }
    for l in line.text().lines().map(str::trim).filter(|l| !l.is_empty()) {
        // A line starting `(` would read as a parenthetical.
        let l = escape_inline(l);
        out.push_str(if l.starts_with('(') { "\\" } else { "" });
        out.push_str(&l);
        out.push('\n');
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draft_dates_are_calendar_dates() {
        assert_eq!(draft_date(0), "1970-01-01");
        assert_eq!(draft_date(1_796_601_600_000), "2026-12-07");
        assert_eq!(draft_date(951_782_400_000), "2000-02-29");
    }
}
