//! Reading an operation's JSON arguments into sfd's types.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sfd_core::{GenerationRequest, Patch};

use crate::target::{OpError, R};

/// The arguments, a JSON object.
pub(crate) fn parse(args: &str) -> R<Value> {
    serde_json::from_str(args).map_err(|e| OpError::Args(format!("arguments are not JSON: {e}")))
}

/// One argument, `null` when it is missing.
pub(crate) fn arg<T: DeserializeOwned>(a: &Value, key: &str) -> R<T> {
    serde_json::from_value(a.get(key).cloned().unwrap_or(Value::Null))
        .map_err(|e| OpError::Args(format!("argument '{key}': {e}")))
}

/// The generation request in the arguments: premise, id, model, episodes, scenes_per_episode.
pub(crate) fn generation_request(a: &Value) -> R<GenerationRequest> {
    Ok(GenerationRequest {
        premise: arg(a, "premise")?,
        id: arg(a, "id")?,
        model: arg(a, "model")?,
        episodes: arg(a, "episodes")?,
        scenes_per_episode: arg(a, "scenes_per_episode")?,
    })
}

/// The main character's reference image of a generation: the upload's
/// `data`, or the file at `reference_path` (read whole: it is one picture);
/// `None` when neither is given.
pub(crate) async fn reference_image(a: &Value, data: Option<Vec<u8>>) -> R<Option<Vec<u8>>> {
    match (data, arg::<Option<String>>(a, "reference_path")?) {
        (Some(d), None) => Ok(Some(d)),
        (None, Some(p)) => tokio::fs::read(&p)
            .await
            .map(Some)
            .map_err(|e| OpError::Args(format!("cannot read '{p}': {e}"))),
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(OpError::Args(
            "give the reference image as bytes or as a path, not both".into(),
        )),
    }
}

pub(crate) fn patch<P: Patch>(a: &Value) -> R<P> {
    P::from_value(a.get("patch").cloned().unwrap_or(Value::Null))
        .map_err(|p| OpError::Core(sfd_core::Error::Invalid(p)))
}

/// A new entity from a dict whose `id` may be missing (assigned then).
pub(crate) fn entity<T: DeserializeOwned>(a: &Value, key: &str) -> R<T> {
    let mut v = a.get(key).cloned().unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.entry("id").or_insert_with(|| json!(""));
    }
    serde_json::from_value(v).map_err(|e| OpError::Core(sfd_core::Error::invalid(key, e.to_string())))
}

/// The owner of an asset from `episode_id` / `scene_id` / `character_id` (none: the drama).
pub(crate) fn owner(a: &Value) -> R<sfd_core::AssetOwner> {
    let (e, sc, c) = (
        arg::<Option<String>>(a, "episode_id")?,
        arg::<Option<String>>(a, "scene_id")?,
        arg::<Option<String>>(a, "character_id")?,
    );
    Ok(match (e, sc, c) {
        (Some(e), Some(sc), None) => sfd_core::AssetOwner::scene(e, sc),
        (Some(e), None, None) => sfd_core::AssetOwner::Episode(e),
        (None, None, Some(c)) => sfd_core::AssetOwner::Character(c),
        (None, None, None) => sfd_core::AssetOwner::Drama,
        _ => {
            return Err(OpError::Args(
                "name the asset's owner with episode_id (and scene_id), or character_id, or nothing for the drama"
                    .into(),
            ));
        }
    })
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> R<Value> {
    serde_json::to_value(v).map_err(|e| OpError::Args(e.to_string()))
}
