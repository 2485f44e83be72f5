//! Handlers of characters, episodes, scenes and assets: list, get, create,
//! patch and delete, each one atomic on the drama document.

use http::{HeaderMap, Method, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sfd_core::{
    Asset, AssetOwner, AssetPatch, Character, CharacterPatch, Drama, EditExt, EntityKind, Episode, EpisodePatch, Patch,
    Scene, ScenePatch, SizeLimits, StorageExt, Success, Version, Versioned,
};

use crate::error::HttpError;
use crate::http::{self as h, Body};
use crate::state::AppState;

type Answer = Result<Response<Body>, HttpError>;

/// Which nested collection a request is about.
pub enum Target<'a> {
    /// `/characters[/{cid}]`
    Characters,
    /// `/episodes[/{eid}]`
    Episodes,
    /// `/episodes/{eid}/scenes[/{sid}]`
    Scenes(&'a str),
    /// `…/assets[/{aid}]` of an owner
    Assets(&'a AssetOwner),
}

fn ok<T: Serialize>(status: StatusCode, value: &T, v: &Version) -> Response<Body> {
    h::with_etag(h::json(status, value), v)
}

/// The body of a POST: the entity in the shape GET returns, `id` optional;
/// 422 when a list in it is over its cap.
fn entity<T: DeserializeOwned + SizeLimits>(body: Option<Value>, what: &str) -> Result<T, HttpError> {
    let mut v = h::required(body)?;
    let Value::Object(map) = &mut v else {
        return Err(HttpError::unprocessable(format!("the {what} must be a JSON object")));
    };
    map.entry("id").or_insert_with(|| json!(""));
    let e: T = h::parse(v, what)?;
    let problems = e.size_problems();
    if !problems.is_empty() {
        return Err(HttpError::unprocessable(format!("{what}: {problems}")));
    }
    Ok(e)
}

fn patch<P: Patch>(body: Option<Value>) -> Result<P, HttpError> {
    P::from_value(h::required(body)?).map_err(|p| HttpError::unprocessable(p.to_string()))
}

fn find<'a, T>(items: &'a [T], id: &str, kind: EntityKind, id_of: fn(&T) -> &str) -> Result<&'a T, HttpError> {
    items
        .iter()
        .find(|x| id_of(x) == id)
        .ok_or_else(|| HttpError::not_found(kind, id))
}

fn scene_list<'a>(d: &'a Drama, episode: &str) -> Result<&'a [Scene], HttpError> {
    Ok(&d
        .episode(episode)
        .ok_or_else(|| HttpError::not_found(EntityKind::Episode, episode))?
        .scenes)
}

/// The collection routes: GET lists, POST creates.
pub async fn collection(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    drama: &str,
    target: Target<'_>,
    body: Option<Value>,
) -> Answer {
    let storage = &**state.studio().storage();
    let expected = h::expected(storage, headers, drama).await?;
    if method == Method::GET {
        let Versioned { value: d, version } = storage.get_drama(drama).await?;
        if h::none_match(headers, &version) {
            return Ok(h::not_modified(&version));
        }
        return Ok(match target {
            Target::Characters => ok(StatusCode::OK, &json!({"characters": d.characters}), &version),
            Target::Episodes => ok(StatusCode::OK, &json!({"episodes": d.episodes}), &version),
            Target::Scenes(e) => ok(StatusCode::OK, &json!({"scenes": scene_list(&d, e)?}), &version),
            Target::Assets(owner) => ok(StatusCode::OK, &json!({"assets": d.assets_of(owner)?}), &version),
        });
    }
    let exp = expected.as_ref();
    Ok(match target {
        Target::Characters => {
            let c: Character = entity(body, "character")?;
            let v = storage.create_character(drama, c, exp).await?;
            ok(StatusCode::CREATED, &v.value, &v.version)
        }
        Target::Episodes => {
            let e: Episode = entity(body, "episode")?;
            let v = storage.create_episode(drama, e, exp).await?;
            ok(StatusCode::CREATED, &v.value, &v.version)
        }
        Target::Scenes(ep) => {
            let s: Scene = entity(body, "scene")?;
            let v = storage.create_scene(drama, ep, s, exp).await?;
            ok(StatusCode::CREATED, &v.value, &v.version)
        }
        Target::Assets(owner) => {
            let a: Asset = entity(body, "asset")?;
            let v = storage.create_asset(drama, owner, a, exp).await?;
            ok(StatusCode::CREATED, &v.value, &v.version)
        }
    })
}

/// The item routes: GET reads, PATCH updates, DELETE removes.
pub async fn item(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    drama: &str,
    target: Target<'_>,
    id: &str,
    body: Option<Value>,
) -> Answer {
    let storage = &**state.studio().storage();
    let expected = h::expected(storage, headers, drama).await?;
    let exp = expected.as_ref();
    if method == Method::GET {
        let Versioned { value: d, version } = storage.get_drama(drama).await?;
        if h::none_match(headers, &version) {
            return Ok(h::not_modified(&version));
        }
        return Ok(match target {
            Target::Characters => ok(
                StatusCode::OK,
                find(&d.characters, id, EntityKind::Character, |c| &c.id)?,
                &version,
            ),
            Target::Episodes => ok(
                StatusCode::OK,
                find(&d.episodes, id, EntityKind::Episode, |e| &e.id)?,
                &version,
            ),
            Target::Scenes(e) => ok(
                StatusCode::OK,
                find(scene_list(&d, e)?, id, EntityKind::Scene, |s| &s.id)?,
                &version,
            ),
            Target::Assets(owner) => ok(
                StatusCode::OK,
                find(d.assets_of(owner)?, id, EntityKind::Asset, |a| &a.id)?,
                &version,
            ),
        });
    }
    if method == Method::DELETE {
        let v = match target {
            Target::Characters => storage.delete_character(drama, id, exp).await?,
            Target::Episodes => storage.delete_episode(drama, id, exp).await?,
            Target::Scenes(e) => storage.delete_scene(drama, e, id, exp).await?,
            Target::Assets(owner) => storage.delete_asset(drama, owner, id, exp).await?,
        };
        return Ok(ok(StatusCode::OK, &Success { success: true }, &v));
    }
    Ok(match target {
        Target::Characters => {
            let v = storage
                .update_character(drama, id, patch::<CharacterPatch>(body)?, exp)
                .await?;
            ok(StatusCode::OK, &v.value, &v.version)
        }
        Target::Episodes => {
            let v = storage
                .update_episode(drama, id, patch::<EpisodePatch>(body)?, exp)
                .await?;
            ok(StatusCode::OK, &v.value, &v.version)
        }
        Target::Scenes(e) => {
            let v = storage
                .update_scene(drama, e, id, patch::<ScenePatch>(body)?, exp)
                .await?;
            ok(StatusCode::OK, &v.value, &v.version)
        }
        Target::Assets(owner) => {
            let v = storage
                .update_asset(drama, owner, id, patch::<AssetPatch>(body)?, exp)
                .await?;
            ok(StatusCode::OK, &v.value, &v.version)
        }
    })
}
