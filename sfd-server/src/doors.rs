//! What the two other doors onto the studio, GraphQL (`/graphql`) and MCP
//! (`/mcp`), both need beyond the REST handlers: where an asset hangs, a job
//! found by its id alone, and which jobs touched an entity.

use serde::Deserialize;
use sfd_core::{AssetKind, AssetOwner, Drama, Job, Key, ListOptions, RenderRequest, Storage, StorageExt};

/// Which assets a render covers (GraphQL's `RenderSelection`, MCP's render
/// tools' arguments): their union, every asset when none is given.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema, async_graphql::InputObject)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RenderSelection {
    /// The assets of these episodes and their scenes.
    pub episodes: Option<Vec<String>>,
    /// These characters' assets (their portraits).
    pub characters: Option<Vec<String>>,
    /// These assets.
    pub assets: Option<Vec<String>>,
    /// Only these kinds.
    pub kinds: Option<Vec<Kind>>,
    /// Render even what is up to date.
    #[serde(default)]
    #[graphql(default)]
    pub force: bool,
}

impl RenderSelection {
    /// The render request it makes.
    pub fn request(self) -> RenderRequest {
        RenderRequest {
            episodes: self.episodes,
            characters: self.characters,
            assets: self.assets,
            kinds: self.kinds.map(|ks| ks.into_iter().map(AssetKind::from).collect()),
            force: self.force,
            dry_run: false,
            candidates: None,
        }
    }
}

/// What an asset renders to, as the doors take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema, async_graphql::Enum)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Kind {
    /// Images (portraits, keyframes, the cover).
    Image,
    /// Video clips.
    Video,
    /// Speech and sound.
    Audio,
}

impl From<Kind> for AssetKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Image => AssetKind::Image,
            Kind::Video => AssetKind::Video,
            Kind::Audio => AssetKind::Audio,
        }
    }
}

/// The owner of asset `asset_id` in `drama`, wherever it hangs.
pub(crate) fn asset_owner(drama: &Drama, asset_id: &str) -> Option<AssetOwner> {
    let has = |assets: &[sfd_core::Asset]| assets.iter().any(|a| a.id == asset_id);
    if has(&drama.assets) {
        return Some(AssetOwner::Drama);
    }
    if let Some(c) = drama.characters.iter().find(|c| has(&c.assets)) {
        return Some(AssetOwner::Character(c.id.clone()));
    }
    for ep in &drama.episodes {
        if has(&ep.assets) {
            return Some(AssetOwner::Episode(ep.id.clone()));
        }
        if let Some(sc) = ep.scenes.iter().find(|s| has(&s.assets)) {
            return Some(AssetOwner::scene(&ep.id, &sc.id));
        }
    }
    None
}

/// The owner of `asset_id`, or the contract's 404 naming the asset.
pub(crate) fn require_owner(drama: &Drama, asset_id: &str) -> sfd_core::Result<AssetOwner> {
    asset_owner(drama, asset_id).ok_or_else(|| sfd_core::Error::NotFound {
        kind: sfd_core::EntityKind::Asset,
        id: asset_id.to_string(),
    })
}

/// A job by its id alone (the old server's `job(id)`). Jobs are stored
/// under their drama, so without it this looks in the work queue (jobs not
/// finished, whose drama may not exist yet) and then under each listed
/// drama: one read per drama. Pass the drama when it is known.
pub(crate) async fn find_job(storage: &dyn Storage, job_id: &str) -> sfd_core::Result<Option<Job>> {
    if let Some(msg) = sfd_core::id::id_problem(job_id) {
        return Err(sfd_core::Error::invalid("jobId", msg));
    }
    let found = |r: sfd_core::Result<sfd_core::Versioned<Job>>| match r {
        Ok(v) => Ok(Some(v.value)),
        Err(sfd_core::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    };
    // A queue entry is `queue/{createdAt}.{dramaId}.{jobId}.json`.
    let tail = format!(".{job_id}.json");
    let mut after: Option<String> = None;
    loop {
        let page = storage.list("queue/", after.as_deref(), 1000).await?;
        if let Some(hit) = page.iter().find(|l| l.path.ends_with(&tail)) {
            let name = hit.path.trim_start_matches("queue/").trim_end_matches(&tail);
            if let Some((_, drama_id)) = name.split_once('.')
                && let Some(job) = found(storage.get_job(drama_id, job_id).await)?
            {
                return Ok(Some(job));
            }
        }
        match page.last() {
            Some(last) if page.len() == 1000 => after = Some(last.path.clone()),
            _ => break,
        }
    }
    let mut opts = ListOptions::new(1000);
    loop {
        let page = storage.list_dramas(&opts).await?;
        for d in page.dramas {
            if let Some(job) = found(storage.get_job(&d.id, job_id).await)? {
                return Ok(Some(job));
            }
        }
        match page.cursor {
            Some(c) => opts.cursor = Some(c),
            None => return Ok(None),
        }
    }
}

/// What a job names: the characters, episodes and assets its render,
/// assembly or asset render was asked for.
pub(crate) fn job_touches(job: &Job, character: Option<&str>, episode: Option<&str>, assets: &[&str]) -> bool {
    let Some(input) = &job.input else {
        return false;
    };
    let named = |list: &Option<Vec<String>>, id: Option<&str>| {
        id.is_some_and(|id| list.as_ref().is_some_and(|l| l.iter().any(|x| x == id)))
    };
    if let Some(r) = input.render()
        && (named(&r.characters, character)
            || named(&r.episodes, episode)
            || r.assets
                .as_ref()
                .is_some_and(|l| l.iter().any(|a| assets.contains(&a.as_str()))))
    {
        return true;
    }
    episode.is_some() && input.episode() == episode
}

/// The key of drama `id`, checked (a bad id is the REST answer's 400/422).
pub(crate) fn check_drama_id(id: &str) -> sfd_core::Result<()> {
    Key::drama(id).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sfd_core::{Asset, AssetKind, Character, Episode, Scene};

    #[test]
    fn owners_are_found_at_every_level() {
        let mut d = Drama::new("d", "t", "x", "p");
        d.assets.push(Asset::new("cover", AssetKind::Image, "p"));
        let mut c = Character::new("c1", "C", "x");
        c.assets.push(Asset::new("c1-portrait", AssetKind::Image, "p"));
        d.characters.push(c);
        let mut ep = Episode::new("ep1", "t", "x");
        ep.assets.push(Asset::new("ep1-music", AssetKind::Audio, "p"));
        let mut sc = Scene::new("ep1-sc1", "x");
        sc.assets.push(Asset::new("ep1-sc1-img", AssetKind::Image, "p"));
        ep.scenes.push(sc);
        d.episodes.push(ep);
        assert_eq!(asset_owner(&d, "cover"), Some(AssetOwner::Drama));
        assert_eq!(asset_owner(&d, "c1-portrait"), Some(AssetOwner::Character("c1".into())));
        assert_eq!(asset_owner(&d, "ep1-music"), Some(AssetOwner::Episode("ep1".into())));
        assert_eq!(
            asset_owner(&d, "ep1-sc1-img"),
            Some(AssetOwner::scene("ep1", "ep1-sc1"))
        );
        assert_eq!(
            require_owner(&d, "nope").unwrap_err().to_string(),
            "asset 'nope' not found"
        );
    }
}
