//! The one handler of every level's collection and members (characters,
//! episodes, scenes, assets): list, get, create, patch and delete, each
//! one atomic on the drama document.

use http::{HeaderMap, Method, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use sfd_core::{EditExt, Level, Patch, SizeLimits, StorageExt, Success, Version, Versioned};

use crate::error::HttpError;
use crate::http::{self as h, Answer, Body};
use crate::state::AppState;

/// A collection (`id` is `None`) or one member of a level: the drama, the
/// parent (`()`, an episode id or an asset owner) and the member's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At<P> {
    /// The drama id.
    pub drama: String,
    /// Where the collection hangs.
    pub parent: P,
    /// The member, or `None` for the collection.
    pub id: Option<String>,
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

/// `{"<plural>": [...]}`, the body of a collection's GET (keys sorted, as a JSON value's).
fn list<L: Level>(members: &[L]) -> Result<Value, HttpError> {
    let members = serde_json::to_value(members).map_err(|e| {
        HttpError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            format!("could not serialise the answer: {e}"),
        )
    })?;
    Ok(Value::Object(Map::from_iter([(L::INFO.plural.to_string(), members)])))
}

/// A level's routes: on the collection GET lists and POST creates; on a
/// member GET reads, PATCH updates and DELETE removes.
pub async fn answer<L: Level>(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    at: At<L::Parent>,
    body: Option<Value>,
) -> Answer {
    let storage = &**state.studio().storage();
    let At { drama, parent, id } = at;
    let expected = h::expected(storage, headers, &drama).await?;
    let exp = expected.as_ref();
    if method == Method::GET {
        let Versioned { value: d, version } = storage.get_drama(&drama).await?;
        if h::none_match(headers, &version) {
            return Ok(h::not_modified(&version));
        }
        return Ok(match id {
            None => ok(StatusCode::OK, &list(L::siblings(&d, &parent)?)?, &version),
            Some(id) => ok(StatusCode::OK, L::find(&d, &parent, &id)?, &version),
        });
    }
    let what = L::INFO.kind.as_str();
    Ok(match id {
        None => {
            let v = storage
                .create_member(&drama, parent, entity::<L>(body, what)?, exp)
                .await?;
            ok(StatusCode::CREATED, &v.value, &v.version)
        }
        Some(id) if method == Method::DELETE => {
            let v = storage.delete_member::<L>(&drama, parent, &id, exp).await?;
            ok(StatusCode::OK, &Success { success: true }, &v)
        }
        Some(id) => {
            let v = storage
                .update_member::<L>(&drama, parent, &id, patch(body)?, exp)
                .await?;
            ok(StatusCode::OK, &v.value, &v.version)
        }
    })
}
