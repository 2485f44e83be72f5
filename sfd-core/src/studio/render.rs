//! The media functions of [`Studio`]: plan, render (a drama or one asset),
//! upload, read, and collect files no document points at any more.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::Studio;
use crate::error::EntityKind;
use crate::model::{
    Asset, AssetKind, AssetOwner, ByteRange, COVER_ID, CollectedMedia, Drama, Job, JobInput, JobType, MediaKey,
    MediaType, RenderPlan, RenderRecord, RenderRequest, audition_asset, audition_id, look_of, now_ms,
};
use crate::render::RenderConfig;
use crate::render::graph::hashes_now;
use crate::render::run::{check_plan, media_of, prepare};
use crate::storage::{ByteStream, ListOptions, MediaRead, STAGING_PREFIX, StorageExt, Versioned};
use crate::{Error, Result};

/// Dramas read at once while collecting.
const PAGE: usize = 1000;

/// How [`Studio::collect_media_with`] works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollectOptions {
    /// Only report; delete nothing.
    pub dry_run: bool,
    /// Files younger than this are kept, so a render that has written its
    /// file but not yet saved its URL never loses it (default 1 hour).
    pub min_age: Duration,
}

impl Default for CollectOptions {
    fn default() -> Self {
        CollectOptions {
            dry_run: true,
            min_age: Duration::from_secs(3600),
        }
    }
}

/// Every media key a drama points at.
fn referenced(drama: &Drama, into: &mut HashSet<String>) {
    let mut add = |url: Option<&str>| {
        if let Some(k) = url.and_then(|u| MediaKey::from_url(u).or_else(|| MediaKey::parse(u).ok())) {
            into.insert(k.path().to_string());
        }
    };
    add(drama.url.as_deref());
    for c in &drama.characters {
        add(c.url.as_deref());
        add(c.premise_url.as_deref());
        // A reference voice clip stays while the character names it.
        add(crate::render::VoiceSample::of(c).map(|s| s.key).as_deref());
    }
    for e in &drama.episodes {
        add(e.url.as_deref());
        for s in &e.scenes {
            add(s.image_url.as_deref());
            add(s.video_url.as_deref());
        }
    }
    let mut all: Vec<&Asset> = drama.assets.iter().collect();
    all.extend(drama.characters.iter().flat_map(|c| &c.assets));
    all.extend(
        drama
            .episodes
            .iter()
            .flat_map(|e| e.assets.iter().chain(e.scenes.iter().flat_map(|s| &s.assets))),
    );
    for a in all {
        add(a.url.as_deref());
        add(RenderRecord::of(a).and_then(|r| r.key).as_deref());
        // Every best-of-N candidate stays, so a user can pick another later.
        for c in crate::model::Candidates::of(a)
            .map(|c| c.candidates)
            .unwrap_or_default()
        {
            add(Some(&c.key));
        }
    }
}

/// The kind of asset `asset_id` of `owner`, or `NotFound`.
fn kind_of(drama: &Drama, owner: &AssetOwner, asset_id: &str) -> Result<AssetKind> {
    drama
        .assets_of(owner)?
        .iter()
        .find(|a| a.id == asset_id)
        .map(|a| a.kind)
        .ok_or_else(|| Error::NotFound {
            kind: EntityKind::Asset,
            id: asset_id.to_string(),
        })
}

fn job_type(kind: AssetKind) -> JobType {
    match kind {
        AssetKind::Image => JobType::GenerateImage,
        AssetKind::Video => JobType::GenerateVideo,
        AssetKind::Audio => JobType::GenerateAudio,
    }
}

impl Studio {
    /// The renderers, prices and media settings.
    pub fn render_config(&self) -> &Arc<RenderConfig> {
        self.jobs().render_config()
    }

    /// What rendering `request` would do and cost (the contract's
    /// RenderPlan). Calls nothing and writes nothing.
    pub async fn plan_render(&self, drama_id: &str, request: &RenderRequest) -> Result<RenderPlan> {
        let drama = self.storage().get_drama(drama_id).await?.value;
        crate::render::plan_render(&drama, request, self.render_config())
    }

    /// Checks `request` against the drama as it will be rendered, then adds
    /// missing portraits, cover and references (one CAS edit) and queues a
    /// job of the type `kind` picks from that drama.
    async fn queue_render(
        &self,
        drama_id: &str,
        request: RenderRequest,
        kind: impl Fn(&Drama) -> Result<JobType>,
    ) -> Result<Job> {
        let config = self.render_config();
        let storage = &**self.storage();
        let check = |d: &Drama| {
            let kind = kind(d)?;
            check_plan(d, &request, config, storage, None)?;
            Ok(kind)
        };
        let (_, kind) = prepare(storage, drama_id, config, check).await?;
        let mut job = Job::new("", kind, drama_id, now_ms());
        job.input = Some(JobInput::Render(request));
        self.jobs().submit(job).await
    }

    /// Queues a `render_drama` job for the assets `request` selects, in
    /// `depends_on` order. Invalid requests, cycles and dangling references
    /// are [`Error::Invalid`] (naming the ids); a kind with no renderer is
    /// [`Error::RendererNotConfigured`] (naming the settings). For a dry
    /// run, call [`Studio::plan_render`].
    pub async fn start_render(&self, drama_id: &str, request: RenderRequest) -> Result<Job> {
        if request.dry_run {
            return Err(Error::invalid("dryRun", "a dry run only plans: call plan_render"));
        }
        // One render of a drama at a time, across replicas (409 naming the job).
        super::exclusive::check(self.jobs(), drama_id).await?;
        let job = self
            .queue_render(drama_id, request, |_| Ok(JobType::RenderDrama))
            .await?;
        super::exclusive::keep_first(self.jobs(), drama_id, job).await
    }

    /// Queues a `generate_image|video|audio` job for asset `asset_id` of
    /// `owner`, rendering first what it needs that was never rendered. A
    /// character's portrait (`{cid}-portrait`) is added when missing.
    pub async fn start_asset_render(
        &self,
        drama_id: &str,
        owner: &AssetOwner,
        asset_id: &str,
        force: bool,
    ) -> Result<Job> {
        self.queue_render(drama_id, RenderRequest::asset(asset_id, force), |drama| {
            kind_of(drama, owner, asset_id).map(job_type)
        })
        .await
    }

    /// Queues the render of a character's audition: a short clip from its
    /// portrait, the asset `{cid}-audition` (added when missing, rendering
    /// the portrait first when it never was).
    pub async fn start_audition(&self, drama_id: &str, character_id: &str, force: bool) -> Result<Job> {
        let id = audition_id(character_id);
        let aspect = self.render_config().aspect_ratio().to_string();
        let drama = self.storage().get_drama(drama_id).await?.value;
        let character = drama.character(character_id).ok_or_else(|| Error::NotFound {
            kind: EntityKind::Character,
            id: character_id.to_string(),
        })?;
        let missing = !character.assets.iter().any(|a| a.id == id);
        if missing {
            self.storage()
                .modify_drama(drama_id, None, |d| {
                    let look = look_of(d).map(str::to_string);
                    let c = d.character_mut(character_id)?;
                    if !c.assets.iter().any(|a| a.id == id) {
                        let audition = audition_asset(c, look.as_deref(), &aspect);
                        c.assets.push(audition);
                    }
                    Ok(())
                })
                .await?;
        }
        let owner = AssetOwner::Character(character_id.to_string());
        self.start_asset_render(drama_id, &owner, &id, force).await
    }

    /// Queues the render of the drama's cover (`cover`, added when missing).
    pub async fn start_cover(&self, drama_id: &str, force: bool) -> Result<Job> {
        self.start_asset_render(drama_id, &AssetOwner::Drama, COVER_ID, force)
            .await
    }

    /// Stores a user's own file (a reference photo, a recorded line) as the
    /// content of an asset: streamed to storage, at most `limit` bytes
    /// ([`Error::MediaTooLarge`]); `content_type` must be a stored type of
    /// the asset's kind ([`Error::UnsupportedMediaType`] otherwise). Sets
    /// `url` and `metadata.render` (provider `upload`) in one CAS edit.
    pub async fn upload_asset_content(
        &self,
        drama_id: &str,
        owner: &AssetOwner,
        asset_id: &str,
        content_type: &str,
        body: ByteStream,
        limit: u64,
    ) -> Result<Versioned<Asset>> {
        let media_type = MediaType::from_mime(content_type)?;
        let drama = self.storage().get_drama(drama_id).await?.value;
        let kind = kind_of(&drama, owner, asset_id)?;
        if media_type.kind() != kind {
            return Err(Error::UnsupportedMediaType(format!(
                "{media_type} for {asset_id}, which is an {kind} asset"
            )));
        }
        let body = crate::storage::sniffed(body, media_type).await?;
        let media = media_of(&**self.storage())?;
        let info = media.upload_media(drama_id, asset_id, media_type, body, limit).await?;
        let config = self.render_config();
        self.storage()
            .modify_drama(drama_id, None, |d| {
                let asset = set_uploaded(d, owner, asset_id, &info, config)?;
                Ok(asset.clone())
            })
            .await
    }

    /// Reads a media file by key path (`media/…`), or a range of it.
    pub async fn read_media(&self, key: &str, range: Option<ByteRange>) -> Result<MediaRead> {
        let key = MediaKey::parse(key).map_err(|_| Error::NotFound {
            kind: EntityKind::Media,
            id: key.to_string(),
        })?;
        media_of(&**self.storage())?.read_media(&key, range).await
    }

    /// Finds the media files no drama points at any more (and uploads left
    /// unfinished), older than an hour, and deletes them unless `dry_run`.
    pub async fn collect_media(&self, dry_run: bool) -> Result<CollectedMedia> {
        self.collect_media_with(CollectOptions {
            dry_run,
            ..Default::default()
        })
        .await
    }

    /// Every media key some drama points at now.
    async fn referenced_media(&self) -> Result<HashSet<String>> {
        let mut used = HashSet::new();
        let mut page = ListOptions::new(PAGE);
        loop {
            let listed = self.storage().list_dramas_full(&page).await?;
            for d in &listed.dramas {
                referenced(d, &mut used);
            }
            match listed.cursor {
                Some(c) => page = page.with_cursor(c),
                None => return Ok(used),
            }
        }
    }

    /// [`Studio::collect_media`] with every option. A drama that cannot be
    /// read stops the collection before anything is deleted.
    pub async fn collect_media_with(&self, options: CollectOptions) -> Result<CollectedMedia> {
        let storage = self.storage();
        let media = media_of(&**storage)?;
        let used = self.referenced_media().await?;
        let cutoff = now_ms().saturating_sub(options.min_age.as_millis() as u64);
        let mut out = CollectedMedia {
            dry_run: options.dry_run,
            ..Default::default()
        };
        let mut unused = Vec::new();
        for f in media.list_media().await? {
            let ours = MediaKey::parse(&f.path).is_ok() || f.path.starts_with(STAGING_PREFIX);
            if used.contains(&f.path) || !ours || f.updated_at > cutoff {
                out.kept += 1;
            } else {
                unused.push(f);
            }
        }
        // A second look: a file referenced again meanwhile (the same bytes
        // stored again keep the old file, and its old time) is kept.
        let still_used = match unused.is_empty() {
            true => HashSet::new(),
            false => self.referenced_media().await?,
        };
        for f in unused {
            if still_used.contains(&f.path) {
                out.kept += 1;
                continue;
            }
            if !options.dry_run {
                media.delete_media(&f.path).await?;
            }
            out.bytes += f.size;
            out.files.push(f.path);
        }
        out.files.sort();
        Ok(out)
    }
}

/// Makes `info` (a user's own file) the content of `asset_id`: its `url` and
/// `metadata.render` (provider `upload`, the hashes it has now, so it is not
/// stale); for a portrait, the character's `url` too, so it is the
/// character's reference and everything drawn from the old one is stale.
pub(super) fn set_uploaded<'d>(
    d: &'d mut Drama,
    owner: &AssetOwner,
    asset_id: &str,
    info: &crate::storage::MediaInfo,
    config: &RenderConfig,
) -> Result<&'d mut crate::model::Asset> {
    let url = info.key.url(config.public_url());
    if let AssetOwner::Character(c) = owner
        && asset_id == crate::model::portrait_id(c)
    {
        d.character_mut(c)?.url = Some(url.clone());
    }
    let (prompt_hash, inputs_hash) = hashes_now(d, asset_id, config).unwrap_or_default();
    let asset = d.asset_mut(owner, asset_id)?;
    asset.url = Some(url);
    RenderRecord {
        provider: "upload".into(),
        model: String::new(),
        prompt_hash,
        inputs_hash,
        bytes: info.size,
        content_type: info.content_type().into(),
        rendered_at: now_ms(),
        usage: Default::default(),
        cost_usd: 0.0,
        key: Some(info.key.path().to_string()),
        job_id: None,
    }
    .store(asset);
    Ok(asset)
}
