//! The script in the formats writers use: Fountain, SRT, a CSV shot list,
//! and a streamed ZIP of the drama with every rendered file.

mod csv;
mod fountain;
mod srt;
mod timeline;
mod zip;

pub use csv::{SHOT_LIST_HEADER, shot_list};
pub use fountain::fountain;
pub use srt::{Cue, cues, to_srt};
pub use timeline::{Shot, timeline};
pub use zip::{ZipEntry, zip_stream};
