//! The drama document: drama → characters, episodes → scenes → assets.
//!
//! Every level keeps the fields it does not know in `extra`, so a document
//! written by a newer or older producer survives a round trip unchanged.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A JSON object: free-form `metadata` and unknown fields.
pub type Object = Map<String, Value>;

/// The metadata key of a drama's creation time, in ms since the epoch.
pub const CREATED_AT: &str = "created_at";

/// What an asset renders to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AssetKind {
    /// A still image (a keyframe).
    Image,
    /// A video clip; it carries a `duration` in seconds.
    Video,
    /// An audio clip (voice, music, effect).
    Audio,
}

impl AssetKind {
    /// The short suffix used in generated asset ids (`img`, `vid`, `aud`).
    pub fn slug(self) -> &'static str {
        match self {
            AssetKind::Image => "img",
            AssetKind::Video => "vid",
            AssetKind::Audio => "aud",
        }
    }

    /// The kind's place in a per-kind array (image 0, video 1, audio 2).
    pub fn index(self) -> usize {
        match self {
            AssetKind::Image => 0,
            AssetKind::Video => 1,
            AssetKind::Audio => 2,
        }
    }
}

/// A prompt for an image, video or audio, plus its URL once rendered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Asset {
    /// Slug, unique within the drama (e.g. `ep1-sc2-img`).
    pub id: String,
    /// What the asset renders to.
    pub kind: AssetKind,
    /// Ids this asset needs first: characters for an image, the image for a video.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// The generation prompt.
    pub prompt: String,
    /// Length in seconds (videos).
    #[serde(default)]
    pub duration: Option<i64>,
    /// A shot's framing (`close-up`, `medium`, `wide`…); videos only, absent when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framing: Option<String>,
    /// A shot's camera move (`static`, `dolly in`, `pan left`…); videos only, absent when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera: Option<String>,
    /// How a dialogue line is spoken (`whispering`, `angry`…); audio lines only, absent when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<String>,
    /// Where the rendered asset lives.
    #[serde(default)]
    pub url: Option<String>,
    /// Free-form data.
    #[serde(default)]
    pub metadata: Option<Object>,
    /// Fields this version does not know; kept as they are.
    #[serde(flatten)]
    pub extra: Object,
}

impl Asset {
    /// A new asset with no dependencies, duration or URL.
    pub fn new(id: impl Into<String>, kind: AssetKind, prompt: impl Into<String>) -> Self {
        Asset {
            id: id.into(),
            kind,
            depends_on: Vec::new(),
            prompt: prompt.into(),
            duration: None,
            framing: None,
            camera: None,
            delivery: None,
            url: None,
            metadata: None,
            extra: Object::new(),
        }
    }
}

/// One scene of an episode, with its assets: its shots (video assets, each
/// with its keyframe image) and its dialogue lines (audio assets); see
/// [`Scene::shots`] and [`Scene::lines`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scene {
    /// Slug, unique within the drama (e.g. `ep1-sc2`).
    pub id: String,
    /// Where and when it plays (`INT. LIGHTHOUSE - NIGHT`); absent when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading: Option<super::Heading>,
    /// What happens in the scene.
    pub description: String,
    /// Rendered keyframe.
    #[serde(default)]
    pub image_url: Option<String>,
    /// Rendered clip.
    #[serde(default)]
    pub video_url: Option<String>,
    /// The scene's image, video and audio prompts.
    #[serde(default)]
    pub assets: Vec<Asset>,
    /// Free-form data.
    #[serde(default)]
    pub metadata: Option<Object>,
    /// Fields this version does not know; kept as they are.
    #[serde(flatten)]
    pub extra: Object,
}

impl Scene {
    /// A new scene with no assets.
    pub fn new(id: impl Into<String>, description: impl Into<String>) -> Self {
        Scene {
            id: id.into(),
            heading: None,
            description: description.into(),
            image_url: None,
            video_url: None,
            assets: Vec::new(),
            metadata: None,
            extra: Object::new(),
        }
    }
}

/// One episode of a drama.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    /// Slug, unique within the drama (e.g. `ep1`).
    pub id: String,
    /// Episode title.
    pub title: String,
    /// Synopsis.
    pub description: String,
    /// The premise this episode was written from.
    #[serde(default)]
    pub premise: Option<String>,
    /// Rendered episode.
    #[serde(default)]
    pub url: Option<String>,
    /// Scenes in order.
    #[serde(default)]
    pub scenes: Vec<Scene>,
    /// Episode-level assets.
    #[serde(default)]
    pub assets: Vec<Asset>,
    /// Free-form data.
    #[serde(default)]
    pub metadata: Option<Object>,
    /// Fields this version does not know; kept as they are.
    #[serde(flatten)]
    pub extra: Object,
}

impl Episode {
    /// A new episode with no scenes.
    pub fn new(id: impl Into<String>, title: impl Into<String>, description: impl Into<String>) -> Self {
        Episode {
            id: id.into(),
            title: title.into(),
            description: description.into(),
            premise: None,
            url: None,
            scenes: Vec::new(),
            assets: Vec::new(),
            metadata: None,
            extra: Object::new(),
        }
    }
}

/// A whole short-form drama.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drama {
    /// `drama_…` when made by sfd; clients may choose their own.
    pub id: String,
    /// Title.
    pub title: String,
    /// Logline or synopsis.
    pub description: String,
    /// The premise the drama was generated from.
    pub premise: String,
    /// Rendered drama.
    #[serde(default)]
    pub url: Option<String>,
    /// The cast.
    #[serde(default)]
    pub characters: Vec<super::Character>,
    /// Episodes in order.
    #[serde(default)]
    pub episodes: Vec<Episode>,
    /// Drama-level assets.
    #[serde(default)]
    pub assets: Vec<Asset>,
    /// Free-form data.
    #[serde(default)]
    pub metadata: Option<Object>,
    /// Fields this version does not know; kept as they are.
    #[serde(flatten)]
    pub extra: Object,
}

impl Drama {
    /// A new, empty drama.
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        description: impl Into<String>,
        premise: impl Into<String>,
    ) -> Self {
        Drama {
            id: id.into(),
            title: title.into(),
            description: description.into(),
            premise: premise.into(),
            url: None,
            characters: Vec::new(),
            episodes: Vec::new(),
            assets: Vec::new(),
            metadata: None,
            extra: Object::new(),
        }
    }

    /// Parses a document from JSON bytes.
    pub fn from_slice(bytes: &[u8]) -> serde_json::Result<Self> {
        serde_json::from_slice(bytes)
    }

    /// Serialises the document to compact JSON bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        // A Drama only holds strings, numbers and JSON maps with string keys,
        // so serialisation cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// When the drama was first stored, in ms since the epoch
    /// (`metadata.created_at`, set on new dramas).
    pub fn created_at(&self) -> Option<u64> {
        self.metadata.as_ref()?.get(CREATED_AT)?.as_u64()
    }

    /// Records `now` (ms since the epoch) as the creation time, unless one is recorded.
    pub fn stamp_created_at(&mut self, now: u64) {
        let meta = self.metadata.get_or_insert_with(Object::new);
        if !meta.get(CREATED_AT).is_some_and(serde_json::Value::is_u64) {
            meta.insert(CREATED_AT.into(), now.into());
        }
    }

    /// The episode with this id.
    pub fn episode(&self, id: &str) -> Option<&Episode> {
        self.episodes.iter().find(|e| e.id == id)
    }

    /// The character with this id.
    pub fn character(&self, id: &str) -> Option<&super::Character> {
        self.characters.iter().find(|c| c.id == id)
    }

    /// The scene `scene` of episode `episode`.
    pub fn scene(&self, episode: &str, scene: &str) -> Option<&Scene> {
        self.episode(episode)?.scenes.iter().find(|s| s.id == scene)
    }

    /// Every id in the document below the drama itself, in document order.
    pub fn inner_ids(&self) -> impl Iterator<Item = &str> {
        let characters = self
            .characters
            .iter()
            .flat_map(|c| std::iter::once(c.id.as_str()).chain(c.assets.iter().map(|a| a.id.as_str())));
        let episodes = self.episodes.iter().flat_map(|e| {
            std::iter::once(e.id.as_str())
                .chain(e.assets.iter().map(|a| a.id.as_str()))
                .chain(
                    e.scenes
                        .iter()
                        .flat_map(|s| std::iter::once(s.id.as_str()).chain(s.assets.iter().map(|a| a.id.as_str()))),
                )
        });
        characters
            .chain(self.assets.iter().map(|a| a.id.as_str()))
            .chain(episodes)
    }

    /// Every asset in the document, mutably.
    pub fn assets_mut(&mut self) -> impl Iterator<Item = &mut Asset> {
        let c = self.characters.iter_mut().flat_map(|c| c.assets.iter_mut());
        let e = self.episodes.iter_mut().flat_map(|e| {
            e.assets
                .iter_mut()
                .chain(e.scenes.iter_mut().flat_map(|s| s.assets.iter_mut()))
        });
        self.assets.iter_mut().chain(c).chain(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn optional_fields_default_and_serialise_as_null() {
        let asset: Asset = serde_json::from_value(json!({"id": "a", "kind": "video", "prompt": "p"}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(asset.depends_on.is_empty());
        let back = serde_json::to_value(&asset).unwrap_or_default();
        assert_eq!(
            back,
            json!({"id": "a", "kind": "video", "depends_on": [], "prompt": "p", "duration": null, "url": null, "metadata": null})
        );
    }

    #[test]
    fn unknown_fields_survive() {
        let v = json!({"id": "s", "description": "d", "image_url": null, "video_url": null,
                       "assets": [], "metadata": {"k": 1}, "camera": {"lens": "35mm"}});
        let scene: Scene = serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(scene.extra["camera"]["lens"], "35mm");
        assert_eq!(serde_json::to_value(&scene).unwrap_or_default(), v);
    }

    #[test]
    fn missing_required_field_is_an_error() {
        let err = serde_json::from_value::<Episode>(json!({"id": "ep1", "title": "t"}))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("description"), "{err}");
    }

    #[test]
    fn inner_ids_cover_every_level() {
        let mut d = Drama::new("d", "t", "x", "p");
        d.assets.push(Asset::new("poster", AssetKind::Image, "p"));
        let mut ep = Episode::new("ep1", "t", "x");
        let mut sc = Scene::new("ep1-sc1", "x");
        sc.assets.push(Asset::new("ep1-sc1-img", AssetKind::Image, "p"));
        ep.scenes.push(sc);
        d.episodes.push(ep);
        d.characters.push(crate::model::Character::new("char-a", "A", "x"));
        let ids: Vec<_> = d.inner_ids().collect();
        assert_eq!(ids, ["char-a", "poster", "ep1", "ep1-sc1", "ep1-sc1-img"]);
        assert_eq!(d.assets_mut().count(), 2);
    }
}
