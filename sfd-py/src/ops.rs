//! The operation table shared by `Studio` and `Client`: same names, same
//! JSON arguments, same JSON results.

use std::sync::Arc;
use std::time::Duration;

use pyo3::PyErr;
use pyo3::exceptions::PyValueError;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sfd_core::{
    Character, CharacterPatch, Drama, DramaPatch, EditExt, Episode, EpisodePatch, GenerationRequest, ListOptions, Llm,
    OpenAiConfig, OpenAiLlm, Patch, RunnerConfig, Scene, ScenePatch, SimulatedLlm, StorageBuilder, StorageExt, Studio,
};

use crate::errors;

/// What the operations run against.
pub(crate) enum Target {
    /// The embedded core.
    Studio(Studio),
    /// A remote server.
    Client(sfd_client::Client),
}

/// Why an operation failed.
pub(crate) enum OpError {
    Core(sfd_core::Error),
    Client(sfd_client::Error),
    Args(String),
}

impl From<sfd_core::Error> for OpError {
    fn from(e: sfd_core::Error) -> Self {
        OpError::Core(e)
    }
}

impl From<sfd_client::Error> for OpError {
    fn from(e: sfd_client::Error) -> Self {
        OpError::Client(e)
    }
}

impl OpError {
    pub(crate) fn into_py_err(self) -> PyErr {
        match self {
            OpError::Core(e) => errors::from_core(e),
            OpError::Client(e) => errors::from_client(e),
            OpError::Args(m) => PyValueError::new_err(m),
        }
    }
}

type R<T> = Result<T, OpError>;

/// A studio on `storage` with the LLM named by `llm`.
pub(crate) fn studio(storage: &str, llm: &str) -> sfd_core::Result<Target> {
    let rt = crate::runtime::get().map_err(|e| sfd_core::Error::Config(e.to_string()))?;
    let _inside = rt.enter();
    let storage = Arc::new(StorageBuilder::from_url(storage)?.build()?);
    let llm: Option<Arc<dyn Llm>> = match llm {
        "simulated" => Some(Arc::new(SimulatedLlm::instant())),
        "none" => None,
        "env" => match OpenAiConfig::from_env_vars(|k| std::env::var(k).ok())? {
            Some(c) => Some(Arc::new(OpenAiLlm::new(c)?)),
            None => None,
        },
        other => {
            return Err(sfd_core::Error::Config(format!(
                "llm must be 'env', 'simulated' or 'none', not '{other}'"
            )));
        }
    };
    Ok(Target::Studio(Studio::new(storage, llm, RunnerConfig::default())))
}

fn arg<T: DeserializeOwned>(a: &Value, key: &str) -> R<T> {
    serde_json::from_value(a.get(key).cloned().unwrap_or(Value::Null))
        .map_err(|e| OpError::Args(format!("argument '{key}': {e}")))
}

/// The generation request in the arguments: premise, id, model, episodes, scenes_per_episode.
fn generation_request(a: &Value) -> R<GenerationRequest> {
    Ok(GenerationRequest {
        premise: arg(a, "premise")?,
        id: arg(a, "id")?,
        model: arg(a, "model")?,
        episodes: arg(a, "episodes")?,
        scenes_per_episode: arg(a, "scenes_per_episode")?,
    })
}

fn patch<P: Patch>(a: &Value) -> R<P> {
    P::from_value(a.get("patch").cloned().unwrap_or(Value::Null))
        .map_err(|p| OpError::Core(sfd_core::Error::Invalid(p)))
}

/// A new entity from a dict whose `id` may be missing (assigned then).
fn entity<T: DeserializeOwned>(a: &Value, key: &str) -> R<T> {
    let mut v = a.get(key).cloned().unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.entry("id").or_insert_with(|| json!(""));
    }
    serde_json::from_value(v).map_err(|e| OpError::Core(sfd_core::Error::invalid(key, e.to_string())))
}

/// The owner of an asset from `episode_id` / `scene_id` / `character_id` (none: the drama).
fn owner(a: &Value) -> R<sfd_core::AssetOwner> {
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

fn to_json<T: serde::Serialize>(v: &T) -> R<Value> {
    serde_json::to_value(v).map_err(|e| OpError::Args(e.to_string()))
}

/// Runs `op` with JSON `args` and returns JSON.
pub(crate) async fn dispatch(target: &Target, op: &str, args: &str) -> Result<String, OpError> {
    let a: Value = serde_json::from_str(args).map_err(|e| OpError::Args(format!("arguments are not JSON: {e}")))?;
    let out = match target {
        Target::Studio(s) => studio_op(s, op, &a).await?,
        Target::Client(c) => client_op(c, op, &a).await?,
    };
    Ok(out.to_string())
}

async fn studio_op(s: &Studio, op: &str, a: &Value) -> R<Value> {
    let st = &**s.storage();
    let d = || arg::<String>(a, "drama_id");
    Ok(match op {
        "get_drama" => to_json(&st.get_drama(&arg::<String>(a, "id")?).await?.value)?,
        "list_dramas" => {
            let mut opts = ListOptions::new(arg::<Option<usize>>(a, "limit")?.unwrap_or(100));
            opts.cursor = arg(a, "cursor")?;
            to_json(&st.list_dramas(&opts).await?)?
        }
        "import_drama" => {
            let drama: Drama = arg(a, "drama")?;
            st.create_drama(&drama).await?;
            to_json(&drama)?
        }
        "update_drama" => to_json(
            &st.update_drama(&arg::<String>(a, "id")?, patch::<DramaPatch>(a)?, None)
                .await?
                .value,
        )?,
        "delete_drama" => {
            st.delete_drama(&arg::<String>(a, "id")?, None).await?;
            Value::Null
        }
        "create_character" => to_json(
            &st.create_character(&d()?, entity::<Character>(a, "character")?, None)
                .await?
                .value,
        )?,
        "update_character" => to_json(
            &st.update_character(
                &d()?,
                &arg::<String>(a, "character_id")?,
                patch::<CharacterPatch>(a)?,
                None,
            )
            .await?
            .value,
        )?,
        "delete_character" => {
            st.delete_character(&d()?, &arg::<String>(a, "character_id")?, None)
                .await?;
            Value::Null
        }
        "create_episode" => to_json(
            &st.create_episode(&d()?, entity::<Episode>(a, "episode")?, None)
                .await?
                .value,
        )?,
        "update_episode" => to_json(
            &st.update_episode(&d()?, &arg::<String>(a, "episode_id")?, patch::<EpisodePatch>(a)?, None)
                .await?
                .value,
        )?,
        "delete_episode" => {
            st.delete_episode(&d()?, &arg::<String>(a, "episode_id")?, None).await?;
            Value::Null
        }
        "create_scene" => to_json(
            &st.create_scene(
                &d()?,
                &arg::<String>(a, "episode_id")?,
                entity::<Scene>(a, "scene")?,
                None,
            )
            .await?
            .value,
        )?,
        "update_scene" => {
            let (e, sc) = (arg::<String>(a, "episode_id")?, arg::<String>(a, "scene_id")?);
            to_json(
                &st.update_scene(&d()?, &e, &sc, patch::<ScenePatch>(a)?, None)
                    .await?
                    .value,
            )?
        }
        "delete_scene" => {
            st.delete_scene(
                &d()?,
                &arg::<String>(a, "episode_id")?,
                &arg::<String>(a, "scene_id")?,
                None,
            )
            .await?;
            Value::Null
        }
        "create_asset" => to_json(
            &st.create_asset(&d()?, &owner(a)?, entity::<sfd_core::Asset>(a, "asset")?, None)
                .await?
                .value,
        )?,
        "update_asset" => to_json(
            &st.update_asset(
                &d()?,
                &owner(a)?,
                &arg::<String>(a, "asset_id")?,
                patch::<sfd_core::AssetPatch>(a)?,
                None,
            )
            .await?
            .value,
        )?,
        "delete_asset" => {
            st.delete_asset(&d()?, &owner(a)?, &arg::<String>(a, "asset_id")?, None)
                .await?;
            Value::Null
        }
        "start_generation" => to_json(&s.start_generation(generation_request(a)?).await?)?,
        "start_improvement" => to_json(
            &s.start_improvement(
                &arg::<String>(a, "id")?,
                &arg::<String>(a, "feedback")?,
                arg(a, "new_id")?,
                arg(a, "model")?,
            )
            .await?,
        )?,
        "start_critique" => to_json(&s.start_critique(&arg::<String>(a, "id")?, arg(a, "model")?).await?)?,
        "get_job" => to_json(&s.jobs().get(&d()?, &arg::<String>(a, "job_id")?).await?)?,
        "list_jobs" => to_json(&s.jobs().list(&d()?).await?)?,
        "cancel_job" => to_json(&s.jobs().cancel(&d()?, &arg::<String>(a, "job_id")?).await?)?,
        "wait_job" => {
            let (drama, job) = (d()?, arg::<String>(a, "job_id")?);
            let limit = Duration::from_millis(arg::<Option<u64>>(a, "timeout_ms")?.unwrap_or(u64::MAX / 4));
            match tokio::time::timeout(limit, s.jobs().wait(&drama, &job)).await {
                Ok(j) => to_json(&j?)?,
                Err(_) => to_json(&s.jobs().get(&drama, &job).await?)?,
            }
        }
        other => return Err(OpError::Args(format!("unknown operation '{other}'"))),
    })
}

async fn client_op(c: &sfd_client::Client, op: &str, a: &Value) -> R<Value> {
    let d = || arg::<String>(a, "drama_id");
    Ok(match op {
        "get_drama" => to_json(&c.get_drama(&arg::<String>(a, "id")?).await?.value)?,
        "list_dramas" => {
            let limit = arg::<Option<u32>>(a, "limit")?.unwrap_or(100);
            to_json(
                &c.list_dramas_page(limit, arg::<Option<String>>(a, "cursor")?.as_deref())
                    .await?,
            )?
        }
        "import_drama" => to_json(&c.import_drama(&arg::<Drama>(a, "drama")?).await?.value)?,
        "update_drama" => to_json(
            &c.update_drama(&arg::<String>(a, "id")?, &patch::<DramaPatch>(a)?, None)
                .await?
                .value,
        )?,
        "delete_drama" => {
            c.delete_drama(&arg::<String>(a, "id")?, None).await?;
            Value::Null
        }
        "create_character" => to_json(
            &c.create_character(&d()?, &entity::<Character>(a, "character")?, None)
                .await?
                .value,
        )?,
        "update_character" => to_json(
            &c.update_character(
                &d()?,
                &arg::<String>(a, "character_id")?,
                &patch::<CharacterPatch>(a)?,
                None,
            )
            .await?
            .value,
        )?,
        "delete_character" => {
            c.delete_character(&d()?, &arg::<String>(a, "character_id")?, None)
                .await?;
            Value::Null
        }
        "create_episode" => to_json(
            &c.create_episode(&d()?, &entity::<Episode>(a, "episode")?, None)
                .await?
                .value,
        )?,
        "update_episode" => to_json(
            &c.update_episode(
                &d()?,
                &arg::<String>(a, "episode_id")?,
                &patch::<EpisodePatch>(a)?,
                None,
            )
            .await?
            .value,
        )?,
        "delete_episode" => {
            c.delete_episode(&d()?, &arg::<String>(a, "episode_id")?, None).await?;
            Value::Null
        }
        "create_scene" => to_json(
            &c.create_scene(
                &d()?,
                &arg::<String>(a, "episode_id")?,
                &entity::<Scene>(a, "scene")?,
                None,
            )
            .await?
            .value,
        )?,
        "update_scene" => {
            let (e, sc) = (arg::<String>(a, "episode_id")?, arg::<String>(a, "scene_id")?);
            to_json(
                &c.update_scene(&d()?, &e, &sc, &patch::<ScenePatch>(a)?, None)
                    .await?
                    .value,
            )?
        }
        "delete_scene" => {
            c.delete_scene(
                &d()?,
                &arg::<String>(a, "episode_id")?,
                &arg::<String>(a, "scene_id")?,
                None,
            )
            .await?;
            Value::Null
        }
        "create_asset" => to_json(
            &c.create_asset(&d()?, &owner(a)?, &entity::<sfd_core::Asset>(a, "asset")?, None)
                .await?
                .value,
        )?,
        "update_asset" => to_json(
            &c.update_asset(
                &d()?,
                &owner(a)?,
                &arg::<String>(a, "asset_id")?,
                &patch::<sfd_core::AssetPatch>(a)?,
                None,
            )
            .await?
            .value,
        )?,
        "delete_asset" => {
            c.delete_asset(&d()?, &owner(a)?, &arg::<String>(a, "asset_id")?, None)
                .await?;
            Value::Null
        }
        "start_generation" => {
            let r = c.generate_drama(&generation_request(a)?).await?;
            to_json(&c.get_job(&r.drama_id, &r.job_id).await?)?
        }
        "start_improvement" => {
            let r = c
                .improve_drama(
                    &arg::<String>(a, "id")?,
                    &arg::<String>(a, "feedback")?,
                    arg::<Option<String>>(a, "new_id")?.as_deref(),
                    arg::<Option<String>>(a, "model")?.as_deref(),
                )
                .await?;
            to_json(&c.get_job(&r.improved_id, &r.job_id).await?)?
        }
        "start_critique" => {
            let r = c
                .critic_drama(&arg::<String>(a, "id")?, arg::<Option<String>>(a, "model")?.as_deref())
                .await?;
            to_json(&c.get_job(&r.drama_id, &r.job_id).await?)?
        }
        "get_job" => to_json(&c.get_job(&d()?, &arg::<String>(a, "job_id")?).await?)?,
        "list_jobs" => to_json(&c.list_jobs(&d()?).await?)?,
        "cancel_job" => to_json(&c.cancel_job(&d()?, &arg::<String>(a, "job_id")?).await?)?,
        "wait_job" => {
            let (drama, job) = (d()?, arg::<String>(a, "job_id")?);
            let limit = Duration::from_millis(arg::<Option<u64>>(a, "timeout_ms")?.unwrap_or(u64::MAX / 4));
            match c.wait_for_job(&drama, &job, limit).await {
                Ok(j) => to_json(&j)?,
                Err(sfd_client::Error::Timeout) => to_json(&c.get_job(&drama, &job).await?)?,
                Err(e) => return Err(e.into()),
            }
        }
        other => return Err(OpError::Args(format!("unknown operation '{other}'"))),
    })
}
