//! Picking another candidate of a best-of-N image.

use super::Studio;
use crate::model::{Asset, AssetOwner, Candidates, RenderRecord};
use crate::render::save::point_owner;
use crate::storage::{StorageExt, Versioned};
use crate::{Error, Result};

impl Studio {
    /// Keeps candidate `key` (its media key or URL) of asset `asset_id`:
    /// the asset's `url` (and its scene's `image_url` or character's `url`)
    /// points at it from now on, so whatever takes this asset as an input
    /// becomes stale. [`Error::Invalid`] when the asset has no such candidate.
    pub async fn choose_candidate(
        &self,
        drama_id: &str,
        owner: &AssetOwner,
        asset_id: &str,
        key: &str,
    ) -> Result<Versioned<Asset>> {
        self.storage()
            .modify_drama(drama_id, None, |d| {
                let asset = d.asset_mut(owner, asset_id)?;
                let (Some(list), Some(mut record)) = (Candidates::of(asset), RenderRecord::of(asset)) else {
                    return Err(Error::invalid(
                        "key",
                        format!("asset '{asset_id}' has no candidates: render it with candidates above 1"),
                    ));
                };
                let Some(chosen) = list.candidates.iter().find(|c| c.key == key || c.url == key) else {
                    let keys: Vec<&str> = list.candidates.iter().map(|c| c.key.as_str()).collect();
                    return Err(Error::invalid(
                        "key",
                        format!(
                            "'{key}' is not a candidate of '{asset_id}'; its candidates are {}",
                            keys.join(", ")
                        ),
                    ));
                };
                asset.url = Some(chosen.url.clone());
                record.key = Some(chosen.key.clone());
                record.store(asset);
                list.store(asset);
                let (kind, url) = (asset.kind, chosen.url.clone());
                let out = asset.clone();
                point_owner(d, owner, asset_id, kind, &url)?;
                Ok(out)
            })
            .await
    }
}
