//! The media operations shared by `Studio` and `Client`: renders and their
//! plans, the choice of a best-of-N candidate, uploads (an asset's content,
//! a character's voice sample), downloads, episode cuts and exports.
//! Uploads take their content as bytes or stream it from a `path`;
//! downloads and exports write to a `path`, or come back as bytes through
//! [`fetch`].

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use sfd_core::{AssembleRequest, ByteStream, ExportFormat, ExportOptions, MediaKey, RenderRequest, Studio};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio_util::io::ReaderStream;

use crate::args::{arg, owner, parse, to_json};
use crate::target::{OpError, R, Target};

fn drama(a: &Value) -> R<String> {
    arg(a, "drama_id")
}

/// The render request in `request` (camelCase, as on the wire; empty: everything).
fn render_request(a: &Value) -> R<RenderRequest> {
    Ok(arg::<Option<RenderRequest>>(a, "request")?.unwrap_or_default())
}

fn unknown(op: &str) -> OpError {
    OpError::Args(format!("unknown operation '{op}'"))
}

/// Where an upload's bytes come from: `data`, or the file at `path`.
enum Content {
    Bytes(Vec<u8>),
    File(String),
}

fn content(a: &Value, data: Option<Vec<u8>>) -> R<Content> {
    match (data, arg::<Option<String>>(a, "path")?) {
        (Some(d), None) => Ok(Content::Bytes(d)),
        (None, Some(p)) => Ok(Content::File(p)),
        _ => Err(OpError::Args("give the content as bytes or as a path, not both".into())),
    }
}

/// The character of a voice sample operation.
fn character(a: &Value) -> R<String> {
    arg(a, "character_id")
}

/// The file at `path`, opened to stream an upload.
async fn open(path: &str) -> R<tokio::fs::File> {
    tokio::fs::File::open(path)
        .await
        .map_err(|e| OpError::Args(format!("cannot read '{path}': {e}")))
}

/// An upload's content as the studio takes it: one chunk, or the file streamed.
async fn stream_of(content: Content) -> R<ByteStream> {
    Ok(match content {
        Content::Bytes(d) => futures::stream::once(async move { Ok(Bytes::from(d)) }).boxed(),
        Content::File(p) => ReaderStream::new(open(&p).await?)
            .map_err(move |e| sfd_core::Error::invalid("path", format!("reading the file: {e}")))
            .boxed(),
    })
}

/// A media operation of the studio.
pub(crate) async fn studio_op(s: &Studio, op: &str, a: &Value, data: Option<Vec<u8>>) -> R<Value> {
    Ok(match op {
        "render" => to_json(&s.start_render(&drama(a)?, render_request(a)?).await?)?,
        "render_plan" => to_json(&s.plan_render(&drama(a)?, &render_request(a)?).await?)?,
        "render_asset" => to_json(
            &s.start_asset_render(
                &drama(a)?,
                &owner(a)?,
                &arg::<String>(a, "asset_id")?,
                arg::<Option<bool>>(a, "force")?.unwrap_or(false),
            )
            .await?,
        )?,
        "choose_candidate" => to_json(
            &s.choose_candidate(
                &drama(a)?,
                &owner(a)?,
                &arg::<String>(a, "asset_id")?,
                &arg::<String>(a, "key")?,
            )
            .await?
            .value,
        )?,
        "upload" => {
            let body = stream_of(content(a, data)?).await?;
            let asset = s
                .upload_asset_content(
                    &drama(a)?,
                    &owner(a)?,
                    &arg::<String>(a, "asset_id")?,
                    &arg::<String>(a, "content_type")?,
                    body,
                    u64::MAX,
                )
                .await?;
            to_json(&asset.value)?
        }
        "upload_voice_sample" => {
            let body = stream_of(content(a, data)?).await?;
            let (d, ch, ty) = (drama(a)?, character(a)?, arg::<String>(a, "content_type")?);
            to_json(&s.upload_voice_sample(&d, &ch, &ty, body, u64::MAX).await?.value)?
        }
        "remove_voice_sample" => to_json(&s.remove_voice_sample(&drama(a)?, &character(a)?).await?.value)?,
        "assemble" => to_json(
            &s.start_assembly(&drama(a)?, &arg::<String>(a, "episode_id")?, assemble_request(a)?)
                .await?,
        )?,
        "download" | "export" => {
            let body = studio_stream(s, op, a).await?;
            json!(to_path(a, async |file| drain(body, file).await).await?)
        }
        other => return Err(unknown(other)),
    })
}

/// A media operation of the client. Like the other `start_…` operations,
/// the ones that queue a job answer the job itself.
pub(crate) async fn client_op(c: &sfd_client::Client, op: &str, a: &Value, data: Option<Vec<u8>>) -> R<Value> {
    let job = |r: sfd_core::JobResponse| async move { to_json(&c.get_job(&r.drama_id, &r.job_id).await?) };
    Ok(match op {
        "render" => job(c.render(&drama(a)?, &render_request(a)?).await?).await?,
        "render_plan" => to_json(&c.render_plan(&drama(a)?, &render_request(a)?).await?)?,
        "render_asset" => {
            let force = arg::<Option<bool>>(a, "force")?.unwrap_or(false);
            job(c
                .render_asset(&drama(a)?, &owner(a)?, &arg::<String>(a, "asset_id")?, force)
                .await?)
            .await?
        }
        "choose_candidate" => to_json(
            &c.choose_candidate(
                &drama(a)?,
                &owner(a)?,
                &arg::<String>(a, "asset_id")?,
                &arg::<String>(a, "key")?,
            )
            .await?
            .value,
        )?,
        "upload" => {
            let (d, o, id, ty) = (
                drama(a)?,
                owner(a)?,
                arg::<String>(a, "asset_id")?,
                arg::<String>(a, "content_type")?,
            );
            let asset = match content(a, data)? {
                Content::Bytes(b) => c.upload_asset_content(&d, &o, &id, &ty, b).await?,
                Content::File(p) => c.upload_asset_file(&d, &o, &id, &ty, p).await?,
            };
            to_json(&asset.value)?
        }
        "upload_voice_sample" => {
            let (d, ch, ty) = (drama(a)?, character(a)?, arg::<String>(a, "content_type")?);
            let sample = match content(a, data)? {
                Content::Bytes(b) => c.upload_voice_sample(&d, &ch, &ty, b).await?,
                Content::File(p) => c.upload_voice_sample(&d, &ch, &ty, open(&p).await?).await?,
            };
            to_json(&sample.value)?
        }
        "remove_voice_sample" => to_json(&c.remove_voice_sample(&drama(a)?, &character(a)?).await?.value)?,
        "assemble" => {
            let (d, e) = (drama(a)?, arg::<String>(a, "episode_id")?);
            job(c.assemble_episode(&d, &e, &assemble_request(a)?).await?).await?
        }
        "download" | "export" => {
            json!(to_path(a, async |file| client_write(c, op, a, file).await).await?)
        }
        other => return Err(unknown(other)),
    })
}

/// Runs `download` or `export` and answers the bytes.
pub(crate) async fn fetch(target: &Target, op: &str, args: &str) -> R<Vec<u8>> {
    let a = parse(args)?;
    if op == "library_file" {
        return crate::library::fetch(target, &a).await;
    }
    let mut out = Vec::new();
    match target {
        Target::Studio(s) => drain(studio_stream(s, op, &a).await?, &mut out).await?,
        Target::Client(c) => client_write(c, op, &a, &mut out).await?,
    };
    Ok(out)
}

fn assemble_request(a: &Value) -> R<AssembleRequest> {
    Ok(arg::<Option<AssembleRequest>>(a, "request")?.unwrap_or_default())
}

/// The drama, format and options of an export; `bundle` is `"zip"` or absent.
fn export_args(a: &Value) -> R<(String, ExportFormat, ExportOptions)> {
    let bundle = match arg::<Option<String>>(a, "bundle")?.as_deref() {
        None | Some("none") => false,
        Some("zip") => true,
        Some(other) => return Err(OpError::Args(format!("bundle: '{other}' is not a bundle: use \"zip\""))),
    };
    let options = ExportOptions {
        episode: arg(a, "episode_id")?,
        bundle,
    };
    Ok((drama(a)?, arg(a, "format")?, options))
}

async fn studio_stream(s: &Studio, op: &str, a: &Value) -> R<ByteStream> {
    Ok(match op {
        "download" => {
            let url = arg::<String>(a, "url")?;
            let key = MediaKey::from_url(&url)
                .ok_or_else(|| OpError::Args(format!("'{url}' is not the URL of a stored media file")))?;
            s.read_media(key.path(), None).await?.body
        }
        "export" => {
            let (d, format, options) = export_args(a)?;
            s.export_with(&d, format, &options, None).await?.body
        }
        other => return Err(unknown(other)),
    })
}

/// Writes every chunk of `body` to `out`; answers how many bytes.
async fn drain<W: AsyncWrite + Unpin>(mut body: ByteStream, out: &mut W) -> R<u64> {
    let mut n = 0u64;
    while let Some(chunk) = body.try_next().await? {
        out.write_all(&chunk).await.map_err(io)?;
        n += chunk.len() as u64;
    }
    out.flush().await.map_err(io)?;
    Ok(n)
}

fn io(e: std::io::Error) -> OpError {
    OpError::Args(format!("cannot write the file: {e}"))
}

async fn client_write<W: AsyncWrite + Unpin>(c: &sfd_client::Client, op: &str, a: &Value, out: &mut W) -> R<u64> {
    Ok(match op {
        "download" => c.download_media(&arg::<String>(a, "url")?, out).await?,
        "export" => {
            let (d, format, options) = export_args(a)?;
            c.export_with(&d, format, &options, out).await?
        }
        other => return Err(unknown(other)),
    })
}

/// Runs `write` into a new file beside the argument `path` and moves it
/// there once complete; on failure the partial file is removed, so a file
/// already at `path` is left untouched and nothing half-written remains.
async fn to_path<F>(a: &Value, write: F) -> R<u64>
where
    F: AsyncFnOnce(&mut tokio::fs::File) -> R<u64>,
{
    static PARTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let path = arg::<String>(a, "path")?;
    let n = PARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let part = format!("{path}.{}-{n}.part", std::process::id());
    let mut file = create(&part).await?;
    let written = match write(&mut file).await {
        Ok(n) => match file.sync_all().await {
            Ok(()) => Ok(n),
            Err(e) => Err(OpError::Args(format!("cannot write '{path}': {e}"))),
        },
        Err(e) => Err(e),
    };
    drop(file);
    let moved = match written {
        Ok(n) => tokio::fs::rename(&part, &path)
            .await
            .map(|()| n)
            .map_err(|e| OpError::Args(format!("cannot write '{path}': {e}"))),
        Err(e) => Err(e),
    };
    if moved.is_err() {
        let _ = tokio::fs::remove_file(&part).await;
    }
    moved
}

async fn create(path: &str) -> R<tokio::fs::File> {
    tokio::fs::File::create(path)
        .await
        .map_err(|e| OpError::Args(format!("cannot write '{path}': {e}")))
}
