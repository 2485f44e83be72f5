//! Voices: each character speaks with the same voice in every scene.

use super::Voice;
use crate::model::Character;

/// The voices of OpenAI's speech API (and of compatible servers).
pub const VOICES: [&str; 10] = [
    "alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer",
];
/// The voice of narration (no speaking character).
pub const NARRATOR: &str = "fable";

const LOWER: [&str; 4] = ["ash", "ballad", "echo", "onyx"];
const HIGHER: [&str; 4] = ["coral", "nova", "sage", "shimmer"];

/// A stable 64-bit hash (FNV-1a): the same id picks the same voice in every
/// process and version.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The voice of `character`: `metadata.voice` when set, otherwise one picked
/// from its id (among lower or higher voices when its gender says so), with
/// instructions from its `voice_description`, and its reference clip
/// (`metadata.voice_sample`) for providers that clone voices.
pub fn voice_for(character: &Character) -> Voice {
    let chosen = character
        .metadata
        .as_ref()
        .and_then(|m| m.get("voice"))
        .and_then(|v| v.as_str())
        .filter(|v| !v.trim().is_empty())
        .map(str::to_string);
    let name = chosen.unwrap_or_else(|| {
        let gender = character.gender.as_deref().unwrap_or_default().to_ascii_lowercase();
        let pool: &[&str] = if ["female", "woman", "girl"].iter().any(|g| gender.contains(g)) {
            &HIGHER
        } else if ["male", "man", "boy"].iter().any(|g| gender.contains(g)) {
            &LOWER
        } else {
            &VOICES
        };
        pool[(fnv(&character.id) % pool.len() as u64) as usize].to_string()
    });
    let instructions = character
        .voice_description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| format!("You are {}. Speak like this: {d}", character.name));
    Voice {
        name,
        instructions,
        sample: super::VoiceSample::of(character),
    }
}

/// The voice id a provider is sent for `voice`: a provider's own id (set
/// in the character's `metadata.voice`) as it is, one of [`VOICES`] (the
/// stable pick) as the provider's counterpart in `table`
/// (`(openai_voice, provider_voice)` pairs, one per entry of [`VOICES`]).
pub(crate) fn provider_voice<'a>(voice: &'a Voice, table: &'a [(&'a str, &'a str)]) -> &'a str {
    table
        .iter()
        .find(|(ours, _)| *ours == voice.name)
        .map_or(voice.name.as_str(), |(_, theirs)| theirs)
}

/// The narrator's voice.
pub(crate) fn narrator() -> Voice {
    Voice {
        name: NARRATOR.to_string(),
        instructions: Some("Narrate like a calm storyteller, warm and clear.".to_string()),
        sample: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voices_are_stable_per_character() {
        let mut ava = Character::new("char-ava", "Ava", "x");
        ava.gender = Some("Female".into());
        ava.voice_description = Some("bright, quick".into());
        let v = voice_for(&ava);
        assert_eq!(v, voice_for(&ava.clone()));
        assert!(HIGHER.contains(&v.name.as_str()));
        assert!(v.instructions.unwrap().contains("bright, quick"));
        let mut rex = Character::new("char-rex", "Rex", "x");
        rex.gender = Some("male".into());
        assert!(LOWER.contains(&voice_for(&rex).name.as_str()));
        rex.metadata = Some(serde_json::json!({"voice": "alloy"}).as_object().cloned().unwrap());
        assert_eq!(voice_for(&rex).name, "alloy");
    }
}
