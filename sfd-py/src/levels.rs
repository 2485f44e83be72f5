//! The verbs at every nesting level: the operations `create`, `update` and
//! `delete` with a `level` argument (`character`, `episode`, `scene`,
//! `asset`), for the studio and the client alike.

use serde_json::Value;
use sfd_core::{Asset, AssetOwner, Character, EditExt, Episode, Level, Scene, levels};

use crate::args::{arg, entity, owner, patch, to_json};
use crate::target::{OpError, R, Target};

/// A level's parent, read from the arguments.
trait ParentArgs: Sized {
    fn from_args(a: &Value) -> R<Self>;
}

/// Characters and episodes hang from the drama.
impl ParentArgs for () {
    fn from_args(_: &Value) -> R<()> {
        Ok(())
    }
}

/// Scenes hang from `episode_id`.
impl ParentArgs for String {
    fn from_args(a: &Value) -> R<String> {
        arg(a, "episode_id")
    }
}

/// Assets hang from `episode_id` (and `scene_id`), `character_id`, or the drama.
impl ParentArgs for AssetOwner {
    fn from_args(a: &Value) -> R<AssetOwner> {
        owner(a)
    }
}

/// Runs a level's verb; `None` for an operation that is not one.
pub(crate) async fn level_op(target: &Target, op: &str, a: &Value) -> R<Option<Value>> {
    if !["create", "update", "delete"].contains(&op) {
        return Ok(None);
    }
    let level = arg::<String>(a, "level")?;
    match level.as_str() {
        "character" => verb::<Character>(target, op, a).await,
        "episode" => verb::<Episode>(target, op, a).await,
        "scene" => verb::<Scene>(target, op, a).await,
        "asset" => verb::<Asset>(target, op, a).await,
        other => {
            let known: Vec<&str> = levels().iter().map(|l| l.kind.as_str()).collect();
            Err(OpError::Args(format!(
                "argument 'level': '{other}' is not one of {}",
                known.join(", ")
            )))
        }
    }
}

/// `op` at level `L`: the drama is `drama_id`, the parent as [`ParentArgs`]
/// reads it, the member `{kind}_id`, a new member `{kind}` and a change `patch`.
async fn verb<L: Level>(target: &Target, op: &str, a: &Value) -> R<Option<Value>>
where
    L::Parent: ParentArgs,
{
    let d = arg::<String>(a, "drama_id")?;
    let parent = L::Parent::from_args(a)?;
    let kind = L::INFO.kind.as_str();
    let id = || arg::<String>(a, &format!("{kind}_id"));
    Ok(Some(match (target, op) {
        (Target::Studio(s), "create") => {
            let made = s.storage().create_member(&d, parent, entity::<L>(a, kind)?, None);
            to_json(&made.await?.value)?
        }
        (Target::Studio(s), "update") => {
            let id = id()?;
            let changed = s.storage().update_member::<L>(&d, parent, &id, patch(a)?, None);
            to_json(&changed.await?.value)?
        }
        (Target::Studio(s), _) => {
            s.storage().delete_member::<L>(&d, parent, &id()?, None).await?;
            Value::Null
        }
        (Target::Client(c), "create") => {
            to_json(&c.create_member(&d, &parent, &entity::<L>(a, kind)?, None).await?.value)?
        }
        (Target::Client(c), "update") => {
            to_json(&c.update_member::<L>(&d, &parent, &id()?, &patch(a)?, None).await?.value)?
        }
        (Target::Client(c), _) => {
            c.delete_member::<L>(&d, &parent, &id()?, None).await?;
            Value::Null
        }
    }))
}
