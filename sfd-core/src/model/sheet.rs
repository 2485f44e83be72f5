//! A character's casting sheet: the portrait plus views (full body,
//! profile…) and named variants (a costume, an age) that a shot can ask
//! for. Each is an image asset of the character depending on the
//! character (its portrait), so it is rendered after the portrait, in
//! `depends_on` order, and priced in the plan like any other.
//!
//! A character asks for its sheet in `metadata.sheet`:
//! `{"views": ["full-body", "profile"], "variants": {"wetsuit": "in a yellow wetsuit"}}`.
//! The assets are `{cid}-view-{name}` and `{cid}-variant-{name}`, each with
//! `metadata.sheet` naming what it is. A shot (its keyframe or video) asks
//! for a variant with `metadata.variants`: `{"char-ava": "wetsuit"}`.
//!
//! The prompts sfd wrote for a portrait and a sheet follow the character:
//! when its description or the drama's look changes, they are written
//! again, so the portrait, the sheet and every shot using them are stale.

use serde_json::{Value, json};

use super::{Asset, AssetKind, Character, Drama, look_of, portrait_id, portrait_prompt};

/// The key of the sheet in a character's (and a sheet asset's) `metadata`.
pub const SHEET_METADATA: &str = "sheet";

/// What a sheet asset shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SheetEntry {
    /// A view of the character as designed (`full-body`, `profile`, `back`…).
    View(String),
    /// A named variant (costume, age) and how it differs.
    Variant(String, String),
}

impl SheetEntry {
    /// Its asset id for character `cid`.
    pub fn asset_id(&self, cid: &str) -> String {
        match self {
            SheetEntry::View(v) => format!("{cid}-view-{}", slug(v)),
            SheetEntry::Variant(v, _) => format!("{cid}-variant-{}", slug(v)),
        }
    }

    fn marker(&self) -> Value {
        match self {
            SheetEntry::View(v) => json!({"view": v}),
            SheetEntry::Variant(v, _) => json!({"variant": v}),
        }
    }
}

/// `[A-Za-z0-9-]` of `name`, lowercase, other runs as one `-`.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').chars().take(40).collect()
}

/// The sheet `character` asks for in `metadata.sheet` (views, then variants).
pub fn sheet_of(character: &Character) -> Vec<SheetEntry> {
    let Some(sheet) = character.metadata.as_ref().and_then(|m| m.get(SHEET_METADATA)) else {
        return Vec::new();
    };
    let mut out: Vec<SheetEntry> = sheet["views"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|v| !slug(v).is_empty())
        .map(|v| SheetEntry::View(v.trim().to_string()))
        .collect();
    if let Some(variants) = sheet["variants"].as_object() {
        out.extend(
            variants
                .iter()
                .filter(|(name, _)| !slug(name).is_empty())
                .map(|(name, how)| {
                    SheetEntry::Variant(name.trim().to_string(), how.as_str().unwrap_or("").to_string())
                }),
        );
    }
    out
}

/// The prompt of a sheet image.
pub fn sheet_prompt(character: &Character, entry: &SheetEntry, look: Option<&str>, aspect_ratio: &str) -> String {
    let what = match entry {
        SheetEntry::View(v) => format!("{v} view"),
        SheetEntry::Variant(v, how) => format!("variant \"{v}\" ({})", how.trim()),
    };
    let style = match look {
        Some(l) => format!("Visual style: {l}. Frame: {aspect_ratio}."),
        None => format!("Frame: {aspect_ratio}."),
    };
    format!(
        "Character sheet of {}, {what}: {} The same face and design as the reference portrait, plain background. {style}",
        character.name,
        character.description.trim(),
    )
}

/// The frame a prompt sfd wrote ends with (`Frame: 9:16.`).
fn frame_of(prompt: &str) -> Option<&str> {
    let at = prompt.rfind("Frame: ")?;
    prompt[at + 7..].strip_suffix('.')
}

/// The variant shot `asset` asks of `character_id` (`metadata.variants`).
pub fn variant_asked(asset: &Asset, character_id: &str) -> Option<String> {
    let v = asset.metadata.as_ref()?.get("variants")?.get(character_id)?.as_str()?;
    Some(SheetEntry::Variant(v.to_string(), String::new()).asset_id(character_id))
}

/// Adds the sheet assets characters ask for, and writes again the prompts
/// sfd wrote for portraits and sheets whose character or look changed;
/// the ids are added to `changed`.
pub(crate) fn complete_sheets(drama: &mut Drama, aspect_ratio: &str, changed: &mut Vec<String>) {
    let look = look_of(drama).map(str::to_string);
    let look = look.as_deref();
    for c in &mut drama.characters {
        let character = c.clone();
        for entry in sheet_of(&character) {
            let id = entry.asset_id(&character.id);
            if !c.assets.iter().any(|a| a.id == id) {
                let mut a = Asset::new(
                    &id,
                    AssetKind::Image,
                    sheet_prompt(&character, &entry, look, aspect_ratio),
                );
                a.depends_on = vec![character.id.clone()];
                a.metadata
                    .get_or_insert_default()
                    .insert(SHEET_METADATA.into(), entry.marker());
                c.assets.push(a);
                changed.push(id);
            }
        }
        let entries = sheet_of(&character);
        for a in &mut c.assets {
            let Some(frame) = frame_of(&a.prompt).map(str::to_string) else {
                continue;
            };
            let now = if a.id == portrait_id(&character.id) && a.prompt.starts_with("Character reference portrait of ")
            {
                portrait_prompt(&character, look, &frame)
            } else if let Some(entry) = entries.iter().find(|e| e.asset_id(&character.id) == a.id)
                && a.prompt.starts_with("Character sheet of ")
            {
                sheet_prompt(&character, entry, look, &frame)
            } else {
                continue;
            };
            if now != a.prompt {
                a.prompt = now;
                changed.push(a.id.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::make_renderable;

    #[test]
    fn a_sheet_is_added_and_follows_the_character() {
        let mut d = Drama::new("d", "t", "x", "p");
        let mut c = Character::new("char-ava", "Ava", "a border collie engineer");
        c.metadata.get_or_insert_default().insert(
            SHEET_METADATA.into(),
            json!({"views": ["full-body", "Profile"], "variants": {"Wet suit": "in a yellow wetsuit"}}),
        );
        d.characters.push(c);
        make_renderable(&mut d, "9:16");
        let ids: Vec<&str> = d.characters[0].assets.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "char-ava-portrait",
                "char-ava-view-full-body",
                "char-ava-view-profile",
                "char-ava-variant-wet-suit"
            ]
        );
        let variant = &d.characters[0].assets[3];
        assert_eq!(variant.depends_on, ["char-ava"]);
        assert!(variant.prompt.contains("yellow wetsuit") && variant.prompt.ends_with("Frame: 9:16."));
        assert!(
            make_renderable(&mut d.clone(), "9:16").is_empty(),
            "a second pass changes nothing"
        );

        // A new description is written into the portrait and the sheet; the frame stays.
        d.characters[0].description = "a grey border collie astronaut".into();
        let changed = make_renderable(&mut d, "16:9");
        assert_eq!(changed.len(), 4, "{changed:?}");
        assert!(
            d.characters[0]
                .assets
                .iter()
                .all(|a| a.prompt.contains("grey border collie astronaut"))
        );
        assert!(
            d.characters[0]
                .assets
                .iter()
                .all(|a| a.prompt.ends_with("Frame: 9:16."))
        );
        // A prompt a user wrote is theirs.
        d.characters[0].assets[0].prompt = "my own portrait prompt. Frame: 9:16.".into();
        d.characters[0].description = "changed again".into();
        make_renderable(&mut d, "9:16");
        assert_eq!(d.characters[0].assets[0].prompt, "my own portrait prompt. Frame: 9:16.");

        let mut shot = Asset::new("s1-img", AssetKind::Image, "x");
        shot.metadata
            .get_or_insert_default()
            .insert("variants".into(), json!({"char-ava": "Wet suit"}));
        assert_eq!(
            variant_asked(&shot, "char-ava").as_deref(),
            Some("char-ava-variant-wet-suit")
        );
        assert_eq!(variant_asked(&shot, "char-bo"), None);
    }
}
