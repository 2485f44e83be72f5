//! An episode's picture track as a CMX 3600 edit decision list: one cut
//! event per shot, source and record timecodes at the cut's rate (non-drop
//! frame), record time from 00:00:00:00 so it matches the MP4; the reel is
//! `AX` (an auxiliary source) and each event names its file in comments
//! (`* FROM CLIP NAME:`, and `* FROM FILE:` / `* SOURCE FILE:` as
//! OpenTimelineIO and DaVinci Resolve read them).
//!
//! Layout: the CMX event line (`NNN  REEL     CHANL TRANS    SRC-IN
//! SRC-OUT REC-IN REC-OUT`, `AX` for an auxiliary source, `C` a cut), as
//! in <https://www.easymanua.ls/videonics/ab-1-edit-suite/manual?p=88> and
//! the OTIO CMX 3600 adapter (its `EventLine.to_edl_format`),
//! <https://github.com/OpenTimelineIO/otio-cmx3600-adapter>.

use std::fmt::Write;

use crate::timeline::{ClipMedia, Timeline, TrackKind};

/// `HH:MM:SS:FF` of `frames` at `rate`, non-drop frame.
fn timecode(frames: i64, rate: u32) -> String {
    let rate = i64::from(rate.max(1));
    let f = frames.max(0);
    let seconds = f / rate;
    format!(
        "{:02}:{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        f % rate
    )
}

/// Text on one comment line: no line breaks.
fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The picture track as an `.edl`; `locate` names each event's file.
pub fn edl(t: &Timeline, locate: &dyn Fn(&ClipMedia) -> String) -> String {
    let mut out = String::new();
    let _ = write!(out, "TITLE: {}\nFCM: NON-DROP FRAME\n\n", flat(&t.name));
    let picture = t.clips(TrackKind::Video).iter().filter_map(|c| Some((c, c.media()?)));
    for (n, (c, media)) in picture.enumerate() {
        let src = c.source_range();
        let _ = writeln!(
            out,
            "{:03}  {:<8} {:<5} C        {} {} {} {}",
            n + 1,
            "AX",
            "V",
            timecode(src.start, t.rate),
            timecode(src.end(), t.rate),
            timecode(c.record.start, t.rate),
            timecode(c.record.end(), t.rate),
        );
        let file = flat(&locate(media));
        let _ = write!(
            out,
            "* FROM CLIP NAME:  {}\n* FROM FILE: {file}\n* SOURCE FILE: {file}\n\n",
            flat(&media.asset_id)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timecodes_count_frames_at_the_rate() {
        assert_eq!(timecode(0, 30), "00:00:00:00");
        assert_eq!(timecode(29, 30), "00:00:00:29");
        assert_eq!(timecode(30 * 3661 + 5, 30), "01:01:01:05");
        assert_eq!(flat("a\nb  c"), "a b c");
    }
}
