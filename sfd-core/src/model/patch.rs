//! Partial updates (`PATCH` bodies).
//!
//! A field left out is not touched. A nullable field set to `null` is
//! cleared. A required field set to `null` is rejected: the old server
//! wrote such nulls and the document could never be read again.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::{Asset, Character, Drama, Episode, Object, Problem, Problems, Scene};

/// A partial update of one kind of entity.
pub trait Patch: DeserializeOwned + Serialize {
    /// The entity it changes.
    type Target;
    /// Fields that must never be `null`.
    const REQUIRED: &'static [&'static str];

    /// Writes the fields that are set into `target`.
    fn apply(self, target: &mut Self::Target);

    /// Parses a JSON body, naming every field that is `null` but required,
    /// unknown, or of the wrong type.
    fn from_value(value: Value) -> Result<Self, Problems> {
        let Value::Object(map) = &value else {
            return Err(Problems::one("", "the body must be a JSON object"));
        };
        let nulls: Vec<Problem> = Self::REQUIRED
            .iter()
            .filter(|f| map.get(**f).is_some_and(Value::is_null))
            .map(|f| Problem {
                path: (*f).to_string(),
                message: "null is not allowed: this field is required".into(),
            })
            .collect();
        if !nulls.is_empty() {
            return Err(Problems(nulls));
        }
        serde_json::from_value(value).map_err(|e| Problems::one("", e.to_string()))
    }
}

/// Present and not null.
fn required<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    match Option::<T>::deserialize(d)? {
        Some(v) => Ok(Some(v)),
        None => Err(D::Error::custom("null is not allowed: this field is required")),
    }
}

/// Present, possibly null (clears the field).
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

/// Changes to a drama's head.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DramaPatch {
    /// New title.
    #[serde(default, deserialize_with = "required", skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New description.
    #[serde(default, deserialize_with = "required", skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New premise.
    #[serde(default, deserialize_with = "required", skip_serializing_if = "Option::is_none")]
    pub premise: Option<String>,
    /// New metadata; `Some(None)` clears it.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Option<Object>>,
}

impl Patch for DramaPatch {
    type Target = Drama;
    const REQUIRED: &'static [&'static str] = &["title", "description", "premise"];

    fn apply(self, d: &mut Drama) {
        set(&mut d.title, self.title);
        set(&mut d.description, self.description);
        set(&mut d.premise, self.premise);
        set(&mut d.metadata, self.metadata);
    }
}

/// Changes to a character.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CharacterPatch {
    /// New name.
    #[serde(default, deserialize_with = "required", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New description.
    #[serde(default, deserialize_with = "required", skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New gender; `Some(None)` clears it.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub gender: Option<Option<String>>,
    /// New voice description; `Some(None)` clears it.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub voice_description: Option<Option<String>>,
    /// Lead or not.
    #[serde(default, deserialize_with = "required", skip_serializing_if = "Option::is_none")]
    pub main: Option<bool>,
    /// New URL; `Some(None)` clears it.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub url: Option<Option<String>>,
    /// New metadata; `Some(None)` clears it.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Option<Object>>,
}

impl Patch for CharacterPatch {
    type Target = Character;
    const REQUIRED: &'static [&'static str] = &["name", "description", "main"];

    fn apply(self, c: &mut Character) {
        set(&mut c.name, self.name);
        set(&mut c.description, self.description);
        set(&mut c.gender, self.gender);
        set(&mut c.voice_description, self.voice_description);
        set(&mut c.main, self.main);
        set(&mut c.url, self.url);
        set(&mut c.metadata, self.metadata);
    }
}

/// Changes to an episode.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpisodePatch {
    /// New title.
    #[serde(default, deserialize_with = "required", skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New description.
    #[serde(default, deserialize_with = "required", skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New premise; `Some(None)` clears it.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub premise: Option<Option<String>>,
    /// New URL; `Some(None)` clears it.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub url: Option<Option<String>>,
    /// New metadata; `Some(None)` clears it.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Option<Object>>,
}

impl Patch for EpisodePatch {
    type Target = Episode;
    const REQUIRED: &'static [&'static str] = &["title", "description"];

    fn apply(self, e: &mut Episode) {
        set(&mut e.title, self.title);
        set(&mut e.description, self.description);
        set(&mut e.premise, self.premise);
        set(&mut e.url, self.url);
        set(&mut e.metadata, self.metadata);
    }
}

/// Changes to a scene.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenePatch {
    /// New heading; `Some(None)` clears it.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub heading: Option<Option<super::Heading>>,
    /// New description.
    #[serde(default, deserialize_with = "required", skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New image URL; `Some(None)` clears it.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub image_url: Option<Option<String>>,
    /// New video URL; `Some(None)` clears it.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub video_url: Option<Option<String>>,
    /// New metadata; `Some(None)` clears it.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Option<Object>>,
}

impl Patch for ScenePatch {
    type Target = Scene;
    const REQUIRED: &'static [&'static str] = &["description"];

    fn apply(self, s: &mut Scene) {
        set(&mut s.heading, self.heading);
        set(&mut s.description, self.description);
        set(&mut s.image_url, self.image_url);
        set(&mut s.video_url, self.video_url);
        set(&mut s.metadata, self.metadata);
    }
}

/// Changes to an asset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetPatch {
    /// New prompt.
    #[serde(default, deserialize_with = "required", skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// New URL; `Some(None)` clears it.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub url: Option<Option<String>>,
    /// New duration; `Some(None)` clears it.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub duration: Option<Option<i64>>,
    /// New dependencies.
    #[serde(default, deserialize_with = "required", skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<Vec<String>>,
    /// New framing of a shot; `Some(None)` clears it.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub framing: Option<Option<String>>,
    /// New camera move of a shot; `Some(None)` clears it.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub camera: Option<Option<String>>,
    /// New delivery note of a line; `Some(None)` clears it.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Option<String>>,
    /// New metadata; `Some(None)` clears it.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Option<Object>>,
}

impl Patch for AssetPatch {
    type Target = Asset;
    const REQUIRED: &'static [&'static str] = &["prompt", "depends_on"];

    fn apply(self, a: &mut Asset) {
        set(&mut a.prompt, self.prompt);
        set(&mut a.url, self.url);
        set(&mut a.duration, self.duration);
        set(&mut a.depends_on, self.depends_on);
        set(&mut a.framing, self.framing);
        set(&mut a.camera, self.camera);
        set(&mut a.delivery, self.delivery);
        set(&mut a.metadata, self.metadata);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn null_in_a_required_field_is_rejected_by_name() {
        let err = ScenePatch::from_value(json!({"description": null})).unwrap_err();
        assert_eq!(err.0[0].path, "description");
        let err = AssetPatch::from_value(json!({"prompt": null, "depends_on": null})).unwrap_err();
        assert_eq!(err.0.len(), 2);
        // Plain serde also refuses.
        assert!(serde_json::from_value::<DramaPatch>(json!({"title": null})).is_err());
    }

    #[test]
    fn null_clears_a_nullable_field_and_absent_keeps_it() {
        let mut s = Scene::new("s", "d");
        s.image_url = Some("u".into());
        s.video_url = Some("v".into());
        ScenePatch::from_value(json!({"image_url": null, "description": "new"}))
            .unwrap()
            .apply(&mut s);
        assert_eq!(s.image_url, None);
        assert_eq!(s.video_url.as_deref(), Some("v"));
        assert_eq!(s.description, "new");
        ScenePatch::from_value(json!({"heading": {"setting": "interior", "location": "lab", "time": "night"}}))
            .unwrap()
            .apply(&mut s);
        assert_eq!(
            s.heading().map(ToString::to_string).as_deref(),
            Some("INT. LAB - NIGHT")
        );
        let mut a = Asset::new("a", crate::model::AssetKind::Audio, "Hi.");
        AssetPatch::from_value(json!({"delivery": "whispering"}))
            .unwrap()
            .apply(&mut a);
        assert_eq!(a.delivery.as_deref(), Some("whispering"));
    }

    #[test]
    fn unknown_fields_and_wrong_types_are_rejected() {
        let err = EpisodePatch::from_value(json!({"titel": "x"})).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
        assert!(CharacterPatch::from_value(json!({"main": "yes"})).is_err());
        assert!(DramaPatch::from_value(json!([1])).is_err());
    }

    #[test]
    fn serialising_a_patch_writes_only_what_is_set() {
        let p = AssetPatch {
            url: Some(None),
            ..Default::default()
        };
        assert_eq!(serde_json::to_value(&p).unwrap(), json!({"url": null}));
    }
}
