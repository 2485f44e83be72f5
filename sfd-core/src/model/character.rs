//! A character of the drama.
//!
//! `gender`, `voice_description` and `main` were added to the format after
//! the first dramas were stored. Older documents lack them; a character read
//! from such a document writes them back absent (not `null`) until they are
//! set, so old documents round-trip byte-for-byte as JSON values.

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Asset, Object};

/// A member of the cast.
#[derive(Debug, Clone, PartialEq)]
pub struct Character {
    /// Slug, unique within the drama (e.g. `char-corgi`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Look, personality, arc.
    pub description: String,
    /// Gender, free text.
    pub gender: Option<String>,
    /// How the character sounds, for voice generation.
    pub voice_description: Option<String>,
    /// Whether the character is a lead.
    pub main: bool,
    /// Rendered reference image.
    pub url: Option<String>,
    /// Rendered premise or profile page.
    pub premise_url: Option<String>,
    /// Character-level assets.
    pub assets: Vec<Asset>,
    /// Free-form data.
    pub metadata: Option<Object>,
    /// Fields this version does not know; kept as they are.
    pub extra: Object,
    legacy: Legacy,
}

/// Which of the newer fields were absent in the document this was read from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Legacy {
    no_gender: bool,
    no_voice: bool,
    no_main: bool,
}

impl Character {
    /// A new supporting character with no assets.
    pub fn new(id: impl Into<String>, name: impl Into<String>, description: impl Into<String>) -> Self {
        Character {
            id: id.into(),
            name: name.into(),
            description: description.into(),
            gender: None,
            voice_description: None,
            main: false,
            url: None,
            premise_url: None,
            assets: Vec::new(),
            metadata: None,
            extra: Object::new(),
            legacy: Legacy::default(),
        }
    }
}

#[derive(Deserialize)]
struct Wire {
    id: String,
    name: String,
    description: String,
    #[serde(default, deserialize_with = "present")]
    gender: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    voice_description: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    main: Option<Option<bool>>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    premise_url: Option<String>,
    #[serde(default)]
    assets: Vec<Asset>,
    #[serde(default)]
    metadata: Option<Object>,
    #[serde(flatten)]
    extra: Object,
}

/// Distinguishes a present field (even `null`) from an absent one.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl<'de> Deserialize<'de> for Character {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = Wire::deserialize(d)?;
        Ok(Character {
            legacy: Legacy {
                no_gender: w.gender.is_none(),
                no_voice: w.voice_description.is_none(),
                no_main: w.main.is_none(),
            },
            id: w.id,
            name: w.name,
            description: w.description,
            gender: w.gender.flatten(),
            voice_description: w.voice_description.flatten(),
            main: w.main.flatten().unwrap_or(false),
            url: w.url,
            premise_url: w.premise_url,
            assets: w.assets,
            metadata: w.metadata,
            extra: w.extra,
        })
    }
}

impl Serialize for Character {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("name", &self.name)?;
        m.serialize_entry("description", &self.description)?;
        if !(self.legacy.no_gender && self.gender.is_none()) {
            m.serialize_entry("gender", &self.gender)?;
        }
        if !(self.legacy.no_voice && self.voice_description.is_none()) {
            m.serialize_entry("voice_description", &self.voice_description)?;
        }
        if !self.legacy.no_main || self.main {
            m.serialize_entry("main", &self.main)?;
        }
        m.serialize_entry("url", &self.url)?;
        m.serialize_entry("premise_url", &self.premise_url)?;
        m.serialize_entry("assets", &self.assets)?;
        m.serialize_entry("metadata", &self.metadata)?;
        for (k, v) in &self.extra {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn new_characters_write_every_field() {
        let c = Character::new("char-a", "A", "d");
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({"id": "char-a", "name": "A", "description": "d", "gender": null,
                   "voice_description": null, "main": false, "url": null, "premise_url": null,
                   "assets": [], "metadata": null})
        );
    }

    #[test]
    fn older_documents_keep_newer_fields_absent() {
        let v = json!({"id": "c", "name": "n", "description": "d", "url": null,
                       "premise_url": null, "assets": [], "metadata": null, "mood": "shy"});
        let c: Character = serde_json::from_value(v.clone()).unwrap();
        assert!(!c.main);
        assert_eq!(serde_json::to_value(&c).unwrap(), v);
    }

    #[test]
    fn setting_a_newer_field_writes_it() {
        let v = json!({"id": "c", "name": "n", "description": "d"});
        let mut c: Character = serde_json::from_value(v).unwrap();
        c.voice_description = Some("gravelly".into());
        c.main = true;
        let out = serde_json::to_value(&c).unwrap();
        assert_eq!(out["voice_description"], "gravelly");
        assert_eq!(out["main"], true);
        assert!(out.get("gender").is_none());
    }

    #[test]
    fn explicit_null_is_kept() {
        let v = json!({"id": "c", "name": "n", "description": "d", "gender": null});
        let c: Character = serde_json::from_value(v).unwrap();
        assert_eq!(serde_json::to_value(&c).unwrap()["gender"], json!(null));
    }
}
