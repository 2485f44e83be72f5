//! The `assemble_episode` job: the episode's [`Timeline`], each shot of its
//! picture track as a uniform segment (its clip, or its image held still)
//! with its dialogue laid over, then one MP4 with the subtitle track, stored
//! as media and recorded on the episode.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use tokio::io::AsyncWriteExt;

use super::format::CutFormat;
use super::picture::{ShotFiles, Shown, concat_list};
use super::sound::file_of;
use crate::export::{Cue, to_srt};
use crate::ffmpeg::Ffmpeg;
use crate::model::{
    ASSEMBLED_BY, AssembleRequest, AssembledEpisode, Asset, AssetKind, MediaKey, MediaType, Progress, ProgressFn,
    RenderRecord, SubtitleMode, now_ms,
};
use crate::render::RenderConfig;
use crate::storage::{MediaStore, Storage, StorageExt};
use crate::timeline::{Timeline, TrackKind};
use crate::{EntityKind, Error, Result};

/// The id of an episode's cut asset.
pub fn cut_id(episode_id: &str) -> String {
    format!("{episode_id}-cut")
}

/// A folder removed when dropped.
pub(crate) struct Workdir(pub PathBuf);

impl Workdir {
    /// A new, empty work folder in the system's temporary folder.
    pub(crate) fn new() -> Result<Self> {
        let dir = Workdir(std::env::temp_dir().join(format!(
            "{WORKDIR_PREFIX}{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        )));
        std::fs::create_dir_all(&dir.0).map_err(|e| Error::Tool {
            tool: "assemble".into(),
            message: format!("cannot make a work folder: {e}"),
        })?;
        Ok(dir)
    }
}

/// The start of every work folder's name; the rest is `{pid}-{uuid}`.
const WORKDIR_PREFIX: &str = "sfd-cut-";

/// Removes the work folders of assemblies whose process is gone (a crash
/// leaves them behind); run when a job runner starts. Folders of live
/// processes on this machine are kept.
pub(crate) fn remove_stale_workdirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(WORKDIR_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let alive = pid == me || Path::new(&format!("/proc/{pid}")).exists();
        if !alive {
            tracing::info!(folder = %entry.path().display(), "removing the work folder of a crashed assembly");
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// Writes the media file at `url` (a key of this store) to `path`; `false`
/// when the URL names no file here. A file whose bytes are not a `kind`
/// file of its key's type is refused: ffmpeg only ever reads media.
async fn fetch(media: &dyn MediaStore, url: Option<&str>, kind: AssetKind, path: &Path) -> Result<bool> {
    let Some(key) = url.and_then(MediaKey::from_url) else {
        return Ok(false);
    };
    if key.media_type().kind() != kind {
        return Err(Error::UnsupportedMediaType(format!("{key} is not an {kind} file")));
    }
    let read = match media.read_media(&key, None).await {
        Ok(r) => r,
        Err(Error::NotFound { .. }) => return Ok(false),
        Err(e) => return Err(e),
    };
    let io = |e: std::io::Error| Error::Tool {
        tool: "assemble".into(),
        message: format!("cannot write {}: {e}", path.display()),
    };
    let mut file = tokio::fs::File::create(path).await.map_err(io)?;
    let mut body = crate::storage::sniffed(read.body, key.media_type())
        .await
        .map_err(|e| Error::UnsupportedMediaType(format!("{key}: {e}")))?;
    while let Some(chunk) = body.next().await {
        file.write_all(&chunk?).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    Ok(true)
}

/// Escapes a path for a filter argument (`subtitles=…`).
fn filter_path(path: &Path) -> String {
    path.display()
        .to_string()
        .replace('\\', "\\\\\\\\")
        .replace('\'', "\\\\\\'")
        .replace(':', "\\\\:")
}

/// Checks what an assembly needs before its job is queued: the episode
/// has scenes, and ffmpeg runs.
pub(crate) async fn check(storage: &dyn Storage, ffmpeg: &Ffmpeg, drama_id: &str, episode_id: &str) -> Result<()> {
    let drama = storage.get_drama(drama_id).await?.value;
    let episode = drama.episode(episode_id).ok_or_else(|| Error::NotFound {
        kind: EntityKind::Episode,
        id: episode_id.to_string(),
    })?;
    if episode.scenes.is_empty() {
        return Err(Error::invalid(
            "scenes",
            format!("episode '{episode_id}' has no scenes to assemble"),
        ));
    }
    ffmpeg.check().await
}

/// Every media file `plan` plays, fetched into `dir` (a few at a time):
/// its URL and where it now is. A URL naming no file here is left out.
async fn fetch_all(media: &dyn MediaStore, plan: &Timeline, dir: &Path) -> Result<HashMap<String, PathBuf>> {
    let jobs: Vec<_> = plan
        .media()
        .into_iter()
        .enumerate()
        .map(|(i, m)| async move {
            let path = dir.join(format!("in-{i:03}"));
            let found = fetch(media, Some(&m.url), m.kind, &path).await?;
            Ok::<_, Error>(found.then(|| (m.url.clone(), path)))
        })
        .collect();
    let found: Vec<Option<(String, PathBuf)>> = futures::stream::iter(jobs).buffered(4).try_collect().await?;
    Ok(found.into_iter().flatten().collect())
}

/// Runs the assembly of `episode_id` and records the cut.
pub(crate) async fn run(
    storage: Arc<dyn Storage>,
    config: Arc<RenderConfig>,
    drama_id: &str,
    episode_id: &str,
    request: AssembleRequest,
    progress: ProgressFn<'_>,
) -> Result<AssembledEpisode> {
    let ffmpeg = config.ffmpeg().clone();
    check(&*storage, &ffmpeg, drama_id, episode_id).await?;
    let media = storage
        .media()
        .ok_or_else(|| Error::Config(format!("{} keeps no media files", storage.describe())))?;
    let drama = storage.get_drama(drama_id).await?.value;
    let episode = drama.episode(episode_id).ok_or_else(|| Error::NotFound {
        kind: EntityKind::Episode,
        id: episode_id.to_string(),
    })?;
    let format = CutFormat::of(config.aspect_ratio());
    let size = (format.width, format.height);
    let plan = Timeline::of_episode(&drama, episode, config.video_duration(), size, |_| None);
    let max = config.max_cut_seconds();
    let planned = plan.seconds(plan.frames());
    if planned > f64::from(max) {
        return Err(Error::invalid(
            "episode",
            format!(
                "episode '{episode_id}' lasts {:.0} s, over the {max} s an assembly may cut (SFD_MAX_CUT_SECONDS)",
                planned.ceil()
            ),
        ));
    }
    let dir = Workdir::new()?;
    let files = fetch_all(media, &plan, &dir.0).await?;
    // What each line and the music hold: each line as long as its speech
    // turned out, and the rate and channels the mix is made at.
    let mut heard: HashMap<String, super::sound::Source> = HashMap::new();
    let mut spoken: HashMap<String, f64> = HashMap::new();
    let sounds: Vec<(bool, String, String)> = [TrackKind::Dialogue, TrackKind::Music]
        .into_iter()
        .flat_map(|t| plan.clips(t).iter().map(move |c| (t, c)))
        .filter_map(|(t, c)| {
            let m = c.media().filter(|m| m.kind == AssetKind::Audio)?;
            Some((t == TrackKind::Dialogue, m.asset_id.clone(), m.url.clone()))
        })
        .collect();
    for (line, asset_id, url) in sounds {
        if let Some(path) = files.get(&url)
            && let Some(h) = super::sound::heard(&ffmpeg, path).await?
        {
            if line && let Some(s) = h.sound.seconds {
                spoken.insert(asset_id, s);
            }
            heard.insert(url, h);
        }
    }
    let cut = Timeline::of_episode(&drama, episode, config.video_duration(), size, |id| {
        spoken.get(&id.id).copied()
    });
    let total = cut.seconds(cut.frames());
    // Progress: seconds of picture encoded, then seconds of the cut written.
    let report = |seconds: f64| {
        progress(Progress::new(
            "assemble",
            (seconds * 10.0).round() as u32,
            (total * 20.0).round() as u32,
        ))
    };
    let pictures = cut.clips(TrackKind::Video);
    let done = std::sync::Mutex::new(vec![0.0f64; pictures.len()]);
    let on = |i: usize, limit: f64, s: f64| {
        let sum = {
            let mut d = done.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            d[i] = s.min(limit);
            d.iter().sum::<f64>()
        };
        report(sum);
    };
    let (on, ffmpeg_ref, dir_path, files_ref, cut_ref) = (&on, &ffmpeg, dir.0.as_path(), &files, &cut);
    let jobs: Vec<_> = pictures
        .iter()
        .enumerate()
        .map(|(i, picture)| async move {
            let m = picture.media();
            let shot = ShotFiles {
                clip: file_of(files_ref, m, AssetKind::Video),
                still: file_of(files_ref, m, AssetKind::Image).or(file_of(
                    files_ref,
                    picture.still.as_ref(),
                    AssetKind::Image,
                )),
                from: cut_ref.seconds(picture.source_in),
                frames: picture.record.duration,
            };
            let limit = cut_ref.seconds(picture.record.duration);
            let made = super::picture::shot(ffmpeg_ref, format, dir_path, i, &shot, &move |s| on(i, limit, s)).await?;
            on(i, limit, limit);
            Ok::<_, Error>(made)
        })
        .collect();
    // Shots to encode go side by side (x264 keeps about one core busy on
    // short clips); clips already in the cut's format cost nothing here.
    let parallel = std::thread::available_parallelism().map_or(1, usize::from).min(4);
    let made: Vec<(PathBuf, Shown)> = futures::stream::iter(jobs).buffered(parallel).try_collect().await?;
    let (mut stills, mut blank) = (Vec::new(), Vec::new());
    for ((_, shown), picture) in made.iter().zip(pictures) {
        match shown {
            Shown::Still => stills.push(picture.scene_id.clone()),
            Shown::Blank => blank.push(picture.scene_id.clone()),
            Shown::Copied | Shown::Clip => {}
        }
    }
    let listed: Vec<(PathBuf, i64)> = made
        .iter()
        .zip(pictures)
        .map(|((path, _), p)| (path.clone(), p.record.duration))
        .collect();
    let sound = super::sound::of_timeline(&cut, request.audio, &files, &heard, &ffmpeg).await?;
    let list_path = dir.0.join("pictures.txt");
    let subs_path = dir.0.join("subtitles.srt");
    let cues: Vec<Cue> = cut.cues();
    let write = |p: &Path, text: &str| {
        std::fs::write(p, text).map_err(|e| Error::Tool {
            tool: "assemble".into(),
            message: format!("cannot write {}: {e}", p.display()),
        })
    };
    write(&list_path, &concat_list(&listed))?;
    write(&subs_path, &to_srt(&cues))?;
    let out = dir.0.join("cut.mp4");
    let mut args = os(&["-f", "concat", "-safe", "0", "-i"]);
    args.push(list_path.clone().into());
    let (sound_args, mut graph) = super::sound::mix(&sound, 1, "a");
    let subtitle_input = 1 + sound.lines.len() + sound.clips.len() + sound.music.len();
    args.extend(sound_args);
    let with_track = request.subtitles == SubtitleMode::Track && !cues.is_empty();
    let burn = request.subtitles == SubtitleMode::Burn && !cues.is_empty();
    if with_track {
        args.extend(os(&["-i"]));
        args.push(subs_path.clone().into());
    }
    if burn {
        graph.push_str(&format!(";[0:v]subtitles={}[v]", filter_path(&subs_path)));
    }
    args.extend(os(&[
        "-filter_complex",
        &graph,
        "-map",
        if burn { "[v]" } else { "0:v" },
        "-map",
        "[a]",
    ]));
    if with_track {
        args.extend(os(&[
            "-map",
            &format!("{subtitle_input}:s"),
            "-c:s",
            "mov_text",
            "-metadata:s:s:0",
            "language=eng",
        ]));
    }
    if burn {
        args.extend(CutFormat::encoder_args());
    } else {
        // Every shot is in the cut's format: its frames are copied.
        args.extend(os(&["-c:v", "copy"]));
    }
    args.extend(sound.format().encoder_args());
    args.extend(os(&[
        "-t",
        &format!("{total:.6}"),
        "-map_metadata",
        "-1",
        "-movflags",
        "+faststart",
    ]));
    args.push(out.clone().into());
    ffmpeg.run(&args, &|s| report(total + s.min(total))).await?;

    let file = tokio::fs::File::open(&out).await.map_err(|e| Error::Tool {
        tool: "assemble".into(),
        message: format!("the cut is missing: {e}"),
    })?;
    let body = tokio_util::io::ReaderStream::new(file)
        .map(|c| {
            c.map_err(|e| Error::Tool {
                tool: "assemble".into(),
                message: format!("cannot read the cut: {e}"),
            })
        })
        .boxed();
    let id = cut_id(episode_id);
    let info = media
        .upload_media(drama_id, &id, MediaType::Mp4, body, u64::MAX)
        .await?;
    let url = info.key.url(config.public_url());
    let seconds = total.round() as i64;
    let title = episode.title.clone();
    storage
        .modify_drama(drama_id, None, |d| {
            let e = d.episode_mut(episode_id)?;
            e.url = Some(url.clone());
            let cut = match e.assets.iter_mut().position(|a| a.id == id) {
                Some(i) => &mut e.assets[i],
                None => {
                    e.assets.push(Asset::new(
                        &id,
                        AssetKind::Video,
                        format!("The assembled episode: {title}"),
                    ));
                    let last = e.assets.len() - 1;
                    &mut e.assets[last]
                }
            };
            cut.url = Some(url.clone());
            cut.duration = Some(seconds);
            RenderRecord {
                provider: ASSEMBLED_BY.into(),
                model: "ffmpeg".into(),
                prompt_hash: String::new(),
                inputs_hash: String::new(),
                bytes: info.size,
                content_type: MediaType::Mp4.mime().into(),
                rendered_at: now_ms(),
                usage: Default::default(),
                cost_usd: 0.0,
                key: Some(info.key.path().to_string()),
                job_id: None,
            }
            .store(cut);
            Ok(())
        })
        .await?;
    report(total * 2.0);
    Ok(AssembledEpisode {
        episode_id: episode_id.to_string(),
        url,
        key: info.key.path().to_string(),
        duration: total,
        stills,
        blank,
        cues: cues.len(),
        bytes: info.size,
        rate: cut.rate,
        frames: cut.frames(),
    })
}
