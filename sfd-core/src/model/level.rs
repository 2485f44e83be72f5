//! [`Level`]: one description of each nesting level of a drama (characters,
//! episodes, scenes, assets), which every layer (edits, HTTP routes, the
//! OpenAPI, the client, Python) reads instead of spelling the level out.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::id::slugify;
use super::{Asset, AssetOwner, Character, CharacterPatch, Drama, Episode, EpisodePatch, Patch, Scene, ScenePatch};
use super::{AssetPatch, SizeLimits};
use crate::error::EntityKind;
use crate::{Error, Result};

/// The members nested in a new member, which get ids under its own.
#[derive(Debug, Default)]
pub struct Nested<'a> {
    /// Its assets.
    pub assets: &'a mut [Asset],
    /// Its scenes (an episode's).
    pub scenes: &'a mut [Scene],
}

impl<'a> Nested<'a> {
    /// Only assets.
    pub fn assets(assets: &'a mut [Asset]) -> Self {
        Nested {
            assets,
            ..Nested::default()
        }
    }
}

/// A level's names, for code that picks a level at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelInfo {
    /// What a member is.
    pub kind: EntityKind,
    /// The plural: the JSON list key and the URL segment.
    pub plural: &'static str,
    /// The path parameter of a member's id, e.g. `{sid}`.
    pub id_param: &'static str,
    /// The templates of the parent's stretch of path below `/dramas/{id}`
    /// (its [`Address::TEMPLATES`]).
    pub parents: &'static [&'static str],
}

impl LevelInfo {
    /// A level of `kind` named `plural`, its members' ids at `id_param`,
    /// hanging at addresses of type `P`.
    pub const fn new<P: Address>(kind: EntityKind, plural: &'static str, id_param: &'static str) -> Self {
        LevelInfo {
            kind,
            plural,
            id_param,
            parents: P::TEMPLATES,
        }
    }

    /// The name of a member's schema: `Character`, `Episode`, `Scene`, `Asset`.
    pub fn schema(&self) -> String {
        let kind = self.kind.as_str();
        let mut name = kind[..1].to_ascii_uppercase();
        name.push_str(&kind[1..]);
        name
    }

    /// The collection template below `parent` (one of [`Self::parents`]),
    /// e.g. `/dramas/{id}/episodes/{eid}/scenes`.
    pub fn collection_template(&self, parent: &str) -> String {
        format!("/dramas/{{id}}{parent}/{}", self.plural)
    }

    /// The member template below `parent`, e.g. `/dramas/{id}/episodes/{eid}/scenes/{sid}`.
    pub fn item_template(&self, parent: &str) -> String {
        format!("{}/{}", self.collection_template(parent), self.id_param)
    }
}

/// Every level, in the order of the document.
pub fn levels() -> [LevelInfo; 4] {
    [Character::INFO, Episode::INFO, Scene::INFO, Asset::INFO]
}

/// The level whose plural (list key, URL segment) is `plural`.
pub fn level_by_plural(plural: &str) -> Option<LevelInfo> {
    levels().into_iter().find(|l| l.plural == plural)
}

/// Where a level's members hang in a drama, spelled as a stretch of URL
/// path below `/dramas/{id}`: nothing (the drama), an episode id (`String`),
/// or an [`AssetOwner`].
pub trait Address: Clone + std::fmt::Debug + PartialEq + Eq + Send + Sync + 'static {
    /// The templates of the stretches, e.g. `/episodes/{eid}`.
    const TEMPLATES: &'static [&'static str];

    /// The address a stretch of path segments names (the ids decoded), with
    /// the template of that stretch; `None` for another shape.
    fn parse(segs: &[&str]) -> Option<(Self, &'static str)>;

    /// The raw segments of the stretch (to be encoded).
    fn segments(&self) -> Vec<&str>;
}

/// The drama itself.
impl Address for () {
    const TEMPLATES: &'static [&'static str] = &[""];

    fn parse(segs: &[&str]) -> Option<((), &'static str)> {
        segs.is_empty().then_some(((), ""))
    }
    fn segments(&self) -> Vec<&str> {
        Vec::new()
    }
}

/// An episode, by its id.
impl Address for String {
    const TEMPLATES: &'static [&'static str] = &["/episodes/{eid}"];

    fn parse(segs: &[&str]) -> Option<(String, &'static str)> {
        match segs {
            ["episodes", e] => Some((e.to_string(), Self::TEMPLATES[0])),
            _ => None,
        }
    }
    fn segments(&self) -> Vec<&str> {
        vec!["episodes", self]
    }
}

/// The drama, a character, an episode or a scene.
impl Address for AssetOwner {
    const TEMPLATES: &'static [&'static str] = &[
        "",
        "/characters/{cid}",
        "/episodes/{eid}",
        "/episodes/{eid}/scenes/{sid}",
    ];

    fn parse(segs: &[&str]) -> Option<(AssetOwner, &'static str)> {
        let o = |x: &str| x.to_string();
        let t = Self::TEMPLATES;
        Some(match segs {
            [] => (AssetOwner::Drama, t[0]),
            ["characters", c] => (AssetOwner::Character(o(c)), t[1]),
            ["episodes", e] => (AssetOwner::Episode(o(e)), t[2]),
            ["episodes", e, "scenes", sc] => (AssetOwner::scene(o(e), o(sc)), t[3]),
            _ => return None,
        })
    }
    fn segments(&self) -> Vec<&str> {
        match self {
            AssetOwner::Drama => Vec::new(),
            AssetOwner::Character(c) => vec!["characters", c],
            AssetOwner::Episode(e) => vec!["episodes", e],
            AssetOwner::Scene { episode, scene } => vec!["episodes", episode, "scenes", scene],
        }
    }
}

/// `id` and `id_mut` of a member whose id is its `id` field.
macro_rules! id_field {
    () => {
        fn id(&self) -> &str {
            &self.id
        }
        fn id_mut(&mut self) -> &mut String {
            &mut self.id
        }
    };
}

/// `siblings` and `siblings_mut` of a level whose members are the drama's `$list`.
macro_rules! drama_list {
    ($list:ident) => {
        fn siblings<'a>(drama: &'a Drama, _: &()) -> Result<&'a [Self]> {
            Ok(&drama.$list)
        }
        fn siblings_mut<'a>(drama: &'a mut Drama, _: &()) -> Result<&'a mut Vec<Self>> {
            Ok(&mut drama.$list)
        }
    };
}

/// A nesting level of a drama: where its members live, how they are named,
/// patched and found, and what a member owns.
pub trait Level: Clone + std::fmt::Debug + Serialize + DeserializeOwned + SizeLimits + Send + Sync + 'static {
    /// Kind, plural, id parameter and parent templates.
    const INFO: LevelInfo;
    /// Where a list of members hangs: `()` for the drama, an episode id, an asset owner.
    type Parent: Address;
    /// The partial update of a member.
    type Patch: Patch<Target = Self> + Clone + Send + Sync + 'static;

    /// The member's id.
    fn id(&self) -> &str;

    /// The member's id, to assign one.
    fn id_mut(&mut self) -> &mut String;

    /// The members under `parent`, or `NotFound` for the parent.
    fn siblings<'a>(drama: &'a Drama, parent: &Self::Parent) -> Result<&'a [Self]>;

    /// The members under `parent`, to change, or `NotFound` for the parent.
    fn siblings_mut<'a>(drama: &'a mut Drama, parent: &Self::Parent) -> Result<&'a mut Vec<Self>>;

    /// The stem of the id a new member gets when it has none, at 1-based `position`.
    fn id_stem(&self, drama: &Drama, parent: &Self::Parent, position: usize) -> String;

    /// The members nested in this one, to name them when it is created.
    fn nested_mut(&mut self) -> Nested<'_> {
        Nested::default()
    }

    /// Its own id and those of everything nested in it: the references a
    /// delete drops.
    fn owned_ids(&self) -> Vec<String>;

    /// The member `id` under `parent`, or `NotFound`.
    fn find<'a>(drama: &'a Drama, parent: &Self::Parent, id: &str) -> Result<&'a Self> {
        Self::siblings(drama, parent)?
            .iter()
            .find(|m| m.id() == id)
            .ok_or_else(|| missing(Self::INFO.kind, id))
    }

    /// The member `id` under `parent`, to change, or `NotFound`.
    fn find_mut<'a>(drama: &'a mut Drama, parent: &Self::Parent, id: &str) -> Result<&'a mut Self> {
        Self::siblings_mut(drama, parent)?
            .iter_mut()
            .find(|m| m.id() == id)
            .ok_or_else(|| missing(Self::INFO.kind, id))
    }
}

fn missing(kind: EntityKind, id: &str) -> Error {
    Error::NotFound {
        kind,
        id: id.to_string(),
    }
}

fn with_assets(id: &str, assets: &[Asset]) -> Vec<String> {
    std::iter::once(id.to_string())
        .chain(assets.iter().map(|a| a.id.clone()))
        .collect()
}

impl Level for Character {
    const INFO: LevelInfo = LevelInfo::new::<()>(EntityKind::Character, "characters", "{cid}");
    type Parent = ();
    type Patch = CharacterPatch;

    id_field!();
    drama_list!(characters);
    /// `char-{slug of the name}`.
    fn id_stem(&self, _: &Drama, _: &(), _: usize) -> String {
        format!("char-{}", slugify(&self.name, "character"))
    }
    fn nested_mut(&mut self) -> Nested<'_> {
        Nested::assets(&mut self.assets)
    }
    fn owned_ids(&self) -> Vec<String> {
        with_assets(&self.id, &self.assets)
    }
}

impl Level for Episode {
    const INFO: LevelInfo = LevelInfo::new::<()>(EntityKind::Episode, "episodes", "{eid}");
    type Parent = ();
    type Patch = EpisodePatch;

    id_field!();
    drama_list!(episodes);
    /// `ep{n}`.
    fn id_stem(&self, _: &Drama, _: &(), position: usize) -> String {
        format!("ep{position}")
    }
    fn nested_mut(&mut self) -> Nested<'_> {
        Nested {
            assets: &mut self.assets,
            scenes: &mut self.scenes,
        }
    }
    fn owned_ids(&self) -> Vec<String> {
        let mut ids = with_assets(&self.id, &self.assets);
        ids.extend(self.scenes.iter().flat_map(Level::owned_ids));
        ids
    }
}

impl Level for Scene {
    const INFO: LevelInfo = LevelInfo::new::<String>(EntityKind::Scene, "scenes", "{sid}");
    /// The episode's id.
    type Parent = String;
    type Patch = ScenePatch;

    id_field!();
    fn siblings<'a>(drama: &'a Drama, episode: &String) -> Result<&'a [Self]> {
        Ok(&drama
            .episode(episode)
            .ok_or_else(|| missing(EntityKind::Episode, episode))?
            .scenes)
    }
    fn siblings_mut<'a>(drama: &'a mut Drama, episode: &String) -> Result<&'a mut Vec<Self>> {
        Ok(&mut drama.episode_mut(episode)?.scenes)
    }
    /// `{episode}-sc{n}`.
    fn id_stem(&self, _: &Drama, episode: &String, position: usize) -> String {
        format!("{episode}-sc{position}")
    }
    fn nested_mut(&mut self) -> Nested<'_> {
        Nested::assets(&mut self.assets)
    }
    fn owned_ids(&self) -> Vec<String> {
        with_assets(&self.id, &self.assets)
    }
}

impl Level for Asset {
    const INFO: LevelInfo = LevelInfo::new::<AssetOwner>(EntityKind::Asset, "assets", "{aid}");
    type Parent = AssetOwner;
    type Patch = AssetPatch;

    id_field!();
    fn siblings<'a>(drama: &'a Drama, owner: &AssetOwner) -> Result<&'a [Self]> {
        Ok(drama.assets_of(owner)?)
    }
    fn siblings_mut<'a>(drama: &'a mut Drama, owner: &AssetOwner) -> Result<&'a mut Vec<Self>> {
        drama.assets_of_mut(owner)
    }
    /// `{owner}-img` / `-vid` / `-aud`.
    fn id_stem(&self, drama: &Drama, owner: &AssetOwner, _: usize) -> String {
        format!("{}-{}", owner.id_stem(drama), self.kind.slug())
    }
    fn owned_ids(&self) -> Vec<String> {
        vec![self.id.clone()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AssetKind;

    fn drama() -> Drama {
        let mut d = Drama::new("d", "t", "x", "p");
        let mut ep = Episode::new("ep1", "t", "x");
        let mut sc = Scene::new("ep1-sc1", "x");
        sc.assets.push(Asset::new("ep1-sc1-img", AssetKind::Image, "p"));
        ep.scenes.push(sc);
        d.episodes.push(ep);
        d
    }

    #[test]
    fn templates_come_from_the_names() {
        assert_eq!(Scene::INFO.schema(), "Scene");
        assert_eq!(
            Scene::INFO.item_template(Scene::INFO.parents[0]),
            "/dramas/{id}/episodes/{eid}/scenes/{sid}"
        );
        assert_eq!(Character::INFO.collection_template(""), "/dramas/{id}/characters");
        assert_eq!(level_by_plural("assets"), Some(Asset::INFO));
        assert_eq!(level_by_plural("dramas"), None);
    }

    #[test]
    fn parents_read_back_what_they_write() {
        for owner in [
            AssetOwner::Drama,
            AssetOwner::Character("c".into()),
            AssetOwner::Episode("e".into()),
            AssetOwner::scene("e", "s"),
        ] {
            let segs = owner.segments();
            let (back, template) = AssetOwner::parse(&segs).unwrap();
            assert_eq!(back, owner);
            assert!(Asset::INFO.parents.contains(&template));
        }
        assert_eq!(String::parse(&["episodes", "e"]).unwrap().0, "e");
        assert!(String::parse(&[]).is_none());
        assert!(<()>::parse(&["x"]).is_none());
    }

    #[test]
    fn siblings_name_a_missing_parent() {
        let d = drama();
        let err = Scene::siblings(&d, &"ep9".to_string()).unwrap_err();
        assert_eq!(err.to_string(), "episode 'ep9' not found");
        let err = Scene::find(&d, &"ep1".to_string(), "nope").unwrap_err();
        assert_eq!(err.to_string(), "scene 'nope' not found");
        let a = Asset::find(&d, &AssetOwner::scene("ep1", "ep1-sc1"), "ep1-sc1-img").unwrap();
        assert_eq!(a.prompt, "p");
        assert_eq!(Episode::siblings(&d, &()).unwrap().len(), 1);
    }

    #[test]
    fn members_own_what_is_nested_in_them() {
        let d = drama();
        assert_eq!(d.episodes[0].owned_ids(), ["ep1", "ep1-sc1", "ep1-sc1-img"]);
        assert_eq!(d.episodes[0].scenes[0].assets[0].owned_ids(), ["ep1-sc1-img"]);
        let c = Character::new("", "Ava Stone", "x");
        assert_eq!(c.id_stem(&d, &(), 1), "char-ava-stone");
        let a = Asset::new("", AssetKind::Audio, "p");
        assert_eq!(a.id_stem(&d, &AssetOwner::Drama, 1), "d-aud");
        assert_eq!(Scene::new("", "x").id_stem(&d, &"ep1".to_string(), 2), "ep1-sc2");
    }
}
