//! Finished episodes: the `ffmpeg` wrapper and the `assemble_episode` job
//! that stitches scene clips, speech and subtitles into one vertical MP4.

#[cfg(feature = "jobs")]
pub(crate) mod cut;
#[cfg(feature = "jobs")]
pub(crate) mod format;
#[cfg(feature = "jobs")]
mod picture;
#[cfg(feature = "jobs")]
mod sound;

#[cfg(feature = "jobs")]
pub use cut::cut_id;
