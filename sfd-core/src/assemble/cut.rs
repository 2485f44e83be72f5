//! The `assemble_episode` job: the episode's [`Timeline`], each shot of its
//! picture track as a uniform segment (its clip, or its image held still)
//! with its dialogue laid over, then one MP4 with the subtitle track, stored
//! as media and recorded on the episode.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use tokio::io::AsyncWriteExt;

use crate::export::{Cue, to_srt};
use crate::ffmpeg::Ffmpeg;
use crate::model::{
    ASSEMBLED_BY, AssembleRequest, AssembledEpisode, Asset, AssetKind, AudioMode, MediaKey, MediaType, Progress,
    ProgressFn, RenderRecord, SubtitleMode, now_ms,
};
use crate::render::RenderConfig;
use crate::storage::{MediaStore, Storage, StorageExt};
use crate::timeline::{Clip, ClipMedia, RATE as FPS, SHORT_SIDE, Timeline, TrackKind};
use crate::{EntityKind, Error, Result};

/// The id of an episode's cut asset.
pub fn cut_id(episode_id: &str) -> String {
    format!("{episode_id}-cut")
}

/// A folder removed when dropped.
struct Workdir(PathBuf);

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

/// The inputs of one segment, as found in storage.
struct Inputs {
    clip: Option<PathBuf>,
    still: Option<PathBuf>,
    speech: Option<PathBuf>,
    clip_sound: bool,
}

/// The ffmpeg arguments that make one segment of `seconds` at `w`×`h`.
fn segment_args(inputs: &Inputs, seconds: f64, (w, h): (u32, u32), audio: AudioMode, out: &Path) -> Vec<OsString> {
    let d = format!("{seconds:.3}");
    let mut args: Vec<OsString> = Vec::new();
    match (&inputs.clip, &inputs.still) {
        (Some(clip), _) => {
            args.extend(os(&["-i"]));
            args.push(clip.into());
        }
        (None, Some(still)) => {
            args.extend(os(&["-loop", "1", "-framerate", &FPS.to_string(), "-t", &d, "-i"]));
            args.push(still.into());
        }
        (None, None) => args.extend(os(&[
            "-f",
            "lavfi",
            "-t",
            &d,
            "-i",
            &format!("color=c=black:s={w}x{h}:r={FPS}"),
        ])),
    }
    let speech_at = inputs.speech.as_ref().map(|p| {
        args.extend(os(&["-i"]));
        args.push(p.into());
        1
    });
    let silence_at = 1 + usize::from(speech_at.is_some());
    args.extend(os(&["-f", "lavfi", "-t", &d, "-i", "anullsrc=r=48000:cl=stereo"]));
    let norm = format!("aresample=48000,aformat=channel_layouts=stereo,apad,atrim=0:{d},asetpts=PTS-STARTPTS");
    let video = format!(
        "[0:v]scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1,\
         fps={FPS},format=yuv420p,tpad=stop_mode=clone:stop_duration={d},trim=0:{d},setpts=PTS-STARTPTS[v]"
    );
    let clip_sound = inputs.clip.is_some() && inputs.clip_sound;
    let sound = match (audio, speech_at, clip_sound) {
        (AudioMode::Speech | AudioMode::Mix, Some(s), false) | (AudioMode::Speech, Some(s), true) => {
            format!("[{s}:a]{norm}[a]")
        }
        (AudioMode::Video | AudioMode::Mix, None, true) | (AudioMode::Video, Some(_), true) => {
            format!("[0:a]{norm}[a]")
        }
        // The clip's sound ducks under the speech whenever the speech is loud.
        (AudioMode::Mix, Some(s), true) => format!(
            "[{s}:a]{norm},asplit[sp][key];[0:a]{norm}[bg];\
             [bg][key]sidechaincompress=threshold=0.03:ratio=8:attack=20:release=300[duck];\
             [duck][sp]amix=inputs=2:duration=first:normalize=0[a]"
        ),
        _ => format!("[{silence_at}:a]{norm}[a]"),
    };
    args.extend(os(&["-filter_complex", &format!("{video};{sound}")]));
    args.extend(os(&[
        "-map",
        "[v]",
        "-map",
        "[a]",
        "-t",
        &d,
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        "-r",
        &FPS.to_string(),
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-ar",
        "48000",
        "-ac",
        "2",
    ]));
    args.push(out.into());
    args
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

/// What a segment shows.
enum Shown {
    Clip,
    Still,
    Blank,
}

/// One encoded segment.
struct Segment {
    out: PathBuf,
    shown: Shown,
    /// Seconds of speech laid over it.
    spoken: Option<f64>,
}

/// One shot of the picture track, with the line heard over it.
struct Shot<'a> {
    picture: &'a Clip,
    speech: Option<&'a ClipMedia>,
    seconds: f64,
}

/// Fetches the inputs of shot `i` into `dir` and encodes its segment.
#[allow(clippy::too_many_arguments)]
async fn segment(
    media: &dyn MediaStore,
    ffmpeg: &Ffmpeg,
    dir: &Path,
    i: usize,
    shot: &Shot<'_>,
    size: (u32, u32),
    audio: AudioMode,
    progress: &(dyn Fn(f64) + Send + Sync),
) -> Result<Segment> {
    let at = |what: &str| dir.join(format!("{i:03}-{what}"));
    let (clip, still, speech) = (at("clip.mp4"), at("still"), at("speech"));
    fn url(m: Option<&ClipMedia>, kind: AssetKind) -> Option<&str> {
        m.filter(|m| m.kind == kind).map(|m| m.url.as_str())
    }
    let picture = shot.picture.media();
    let has_clip = fetch(media, url(picture, AssetKind::Video), AssetKind::Video, &clip).await?;
    let still_url = url(picture, AssetKind::Image).or(url(shot.picture.still.as_ref(), AssetKind::Image));
    let has_still = !has_clip && fetch(media, still_url, AssetKind::Image, &still).await?;
    let has_speech = audio != AudioMode::Video
        && fetch(media, url(shot.speech, AssetKind::Audio), AssetKind::Audio, &speech).await?;
    let spoken = match has_speech {
        true => ffmpeg.duration(&speech).await?,
        false => None,
    };
    let inputs = Inputs {
        clip_sound: has_clip && ffmpeg.has_audio(&clip).await?,
        clip: has_clip.then_some(clip),
        still: has_still.then_some(still),
        speech: has_speech.then_some(speech),
    };
    let out = at("segment.mp4");
    let args = segment_args(&inputs, shot.seconds, size, audio, &out);
    ffmpeg.run(&args, progress).await?;
    let shown = match (has_clip, has_still) {
        (true, _) => Shown::Clip,
        (false, true) => Shown::Still,
        (false, false) => Shown::Blank,
    };
    Ok(Segment { out, shown, spoken })
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
    let size = config.aspect_ratio().fit(SHORT_SIDE);
    let plan = Timeline::of_episode(&drama, episode, config.video_duration(), size, |_| None);
    let dialogue = plan.clips(TrackKind::Dialogue);
    let shots: Vec<Shot<'_>> = plan
        .clips(TrackKind::Video)
        .iter()
        .map(|picture| Shot {
            picture,
            speech: dialogue
                .iter()
                .find(|d| d.scene_id == picture.scene_id)
                .and_then(Clip::media),
            seconds: plan.seconds(picture.record.duration),
        })
        .collect();
    let total = plan.seconds(plan.frames());
    let max = config.max_cut_seconds();
    if total > f64::from(max) {
        return Err(Error::invalid(
            "episode",
            format!(
                "episode '{episode_id}' lasts {:.0} s, over the {max} s an assembly may cut (SFD_MAX_CUT_SECONDS)",
                total.ceil()
            ),
        ));
    }
    let dir = Workdir(std::env::temp_dir().join(format!(
        "{WORKDIR_PREFIX}{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    )));
    std::fs::create_dir_all(&dir.0).map_err(|e| Error::Tool {
        tool: "assemble".into(),
        message: format!("cannot make a work folder: {e}"),
    })?;
    // Progress: seconds encoded, counted twice (segments, then the whole cut).
    let report = |seconds: f64| {
        progress(Progress::new(
            "assemble",
            (seconds * 10.0).round() as u32,
            (total * 20.0).round() as u32,
        ))
    };
    // Segments encode side by side (x264 alone keeps about one core busy
    // on short clips); each reports its own seconds, summed for the job.
    let parallel = std::thread::available_parallelism().map_or(1, usize::from).min(4);
    let done = std::sync::Mutex::new(vec![0.0f64; shots.len()]);
    let (done, report_ref, ffmpeg_ref, dir_path) = (&done, &report, &ffmpeg, dir.0.as_path());
    let on = |i: usize, limit: f64, s: f64| {
        let sum = {
            let mut d = done.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            d[i] = s.min(limit);
            d.iter().sum::<f64>()
        };
        report_ref(sum);
    };
    let on = &on;
    let jobs: Vec<_> = shots
        .iter()
        .enumerate()
        .map(|(i, shot)| {
            let progress = move |s: f64| on(i, shot.seconds, s);
            async move { segment(media, ffmpeg_ref, dir_path, i, shot, size, request.audio, &progress).await }
        })
        .collect();
    let segments: Vec<Segment> = futures::stream::iter(jobs).buffered(parallel).try_collect().await?;
    let mut list = String::new();
    let (mut stills, mut blank) = (Vec::new(), Vec::new());
    let spoken: Vec<Option<f64>> = segments.iter().map(|s| s.spoken).collect();
    for (seg, shot) in segments.iter().zip(&shots) {
        match seg.shown {
            Shown::Clip => {}
            Shown::Still => stills.push(shot.picture.scene_id.clone()),
            Shown::Blank => blank.push(shot.picture.scene_id.clone()),
        }
        list.push_str(&format!(
            "file '{}'\n",
            seg.out.display().to_string().replace('\'', "'\\''")
        ));
    }
    let list_path = dir.0.join("segments.txt");
    let subs_path = dir.0.join("subtitles.srt");
    // The same timeline, with each line as long as its speech turned out.
    let cut = Timeline::of_episode(&drama, episode, config.video_duration(), size, |i| {
        spoken.get(i).copied().flatten()
    });
    let cues: Vec<Cue> = cut.cues();
    let write = |p: &Path, text: &str| {
        std::fs::write(p, text).map_err(|e| Error::Tool {
            tool: "assemble".into(),
            message: format!("cannot write {}: {e}", p.display()),
        })
    };
    write(&list_path, &list)?;
    write(&subs_path, &to_srt(&cues))?;
    let out = dir.0.join("cut.mp4");
    let mut args = os(&["-f", "concat", "-safe", "0", "-i"]);
    args.push(list_path.clone().into());
    let with_track = request.subtitles == SubtitleMode::Track && !cues.is_empty();
    if with_track {
        args.extend(os(&["-i"]));
        args.push(subs_path.clone().into());
    }
    args.extend(os(&["-map", "0:v", "-map", "0:a"]));
    if with_track {
        args.extend(os(&[
            "-map",
            "1:s",
            "-c:s",
            "mov_text",
            "-metadata:s:s:0",
            "language=eng",
        ]));
    }
    if request.subtitles == SubtitleMode::Burn && !cues.is_empty() {
        args.extend(os(&["-vf", &format!("subtitles={}", filter_path(&subs_path))]));
        args.extend(os(&[
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
        ]));
    } else {
        args.extend(os(&["-c:v", "copy"]));
    }
    args.extend(os(&["-c:a", "copy", "-movflags", "+faststart"]));
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
