//! Finished episodes: the `ffmpeg` wrapper and the `assemble_episode` job
//! that stitches scene clips, speech and subtitles into one vertical MP4.

#[cfg(feature = "jobs")]
pub(crate) mod cut;
mod ffmpeg;

#[cfg(feature = "jobs")]
pub use cut::{ASSEMBLED_BY, cut_id};
pub use ffmpeg::Ffmpeg;
