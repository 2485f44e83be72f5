//! The script in the formats writers use: Fountain, SRT, a CSV shot list,
//! and a streamed ZIP of the drama with every rendered file.

mod capcut;
mod csv;
mod edl;
mod fcpxml;
mod fountain;
mod otio;
mod srt;
mod timeline;
mod zip;

#[cfg(feature = "jobs")]
mod handoff;

pub use capcut::{CapcutDraft, capcut};
pub use csv::{SHOT_LIST_HEADER, shot_list};
pub use edl::edl;
pub use fcpxml::{FCPXML_VERSION, fcpxml};
pub use fountain::fountain;
#[cfg(feature = "jobs")]
pub(crate) use handoff::{absolute, bundled, pick_episode};
pub use otio::otio;
pub use srt::{Cue, cues, to_srt};
pub use timeline::{MAX_SCENE_SECONDS, Shot, timeline};
pub use zip::{ZipEntry, zip_stream};
