//! Routing by `match` on path segments, with the table of every route.

use std::sync::LazyLock;

use http::Method;
use sfd_core::{Address, Asset, AssetOwner, Character, Episode, Level, Scene, levels};

use crate::error::HttpError;
use crate::http::percent_decode;

/// The routes that are not the levels' collections, members, renders and
/// uploads (those come from [`Level`]s, see [`ROUTES`]).
const FIXED: &[(&str, &[Method])] = &[
    ("/health", &[Method::GET]),
    ("/openapi.json", &[Method::GET]),
    ("/docs", &[Method::GET]),
    ("/metrics", &[Method::GET]),
    ("/dramas", &[Method::GET, Method::POST]),
    ("/dramas/{id}", &[Method::GET, Method::PATCH, Method::DELETE]),
    ("/dramas/{id}/improve", &[Method::POST]),
    ("/dramas/{id}/critic", &[Method::POST]),
    ("/dramas/{id}/jobs", &[Method::GET]),
    ("/dramas/{id}/jobs/{jobId}", &[Method::GET]),
    ("/dramas/{id}/jobs/{jobId}/cancel", &[Method::POST]),
    ("/dramas/{id}/jobs/{jobId}/events", &[Method::GET]),
    ("/dramas/{id}/render", &[Method::POST]),
    ("/dramas/{id}/generate", &[Method::POST]),
    ("/dramas/{id}/episodes/{eid}/generate", &[Method::POST]),
    ("/dramas/{id}/characters/{cid}/generate", &[Method::POST]),
    ("/dramas/{id}/characters/{cid}/audition", &[Method::GET, Method::POST]),
    ("/dramas/{id}/cover_photo", &[Method::GET, Method::POST]),
    ("/media/{key}", &[Method::GET]),
    ("/dramas/{id}/episodes/{eid}/assemble", &[Method::POST]),
    ("/dramas/{id}/export", &[Method::GET]),
    ("/graphql", &[Method::GET, Method::POST]),
    ("/mcp", &[Method::POST]),
    ("/dramas/{id}/critique", &[Method::POST]),
    ("/asset-library/list", &[Method::GET]),
    ("/asset-library/upload", &[Method::POST]),
    ("/asset-library/{assetId}", &[Method::GET, Method::DELETE]),
    ("/asset-library/{assetId}/metadata", &[Method::GET]),
];

/// Every route: its path template and the methods it answers. Each level
/// adds its collection (GET, POST) and member (GET, PATCH, DELETE) under
/// every parent, and each asset its `render` (POST) and `content` (PUT).
/// `openapi.json` describes exactly these (a test keeps them in step). The
/// studio page (`/`, `/studio/{file}`) is not here: it is a static page
/// beside the API, not part of it (see `studio.rs`).
pub static ROUTES: LazyLock<Vec<(&'static str, &'static [Method])>> = LazyLock::new(|| {
    const COLLECTION: &[Method] = &[Method::GET, Method::POST];
    const MEMBER: &[Method] = &[Method::GET, Method::PATCH, Method::DELETE];
    // Made once for the life of the process, like the fixed templates.
    let leak = |t: String| -> &'static str { t.leak() };
    let mut all = FIXED.to_vec();
    for level in levels() {
        for parent in level.parents {
            all.push((leak(level.collection_template(parent)), COLLECTION));
            all.push((leak(level.item_template(parent)), MEMBER));
        }
    }
    for parent in Asset::INFO.parents {
        let item = Asset::INFO.item_template(parent);
        all.push((leak(format!("{item}/render")), &[Method::POST]));
        all.push((leak(format!("{item}/content")), &[Method::PUT]));
    }
    all
});

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

/// A matched route with its decoded path ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/health`
    Health,
    /// `/openapi.json`
    OpenApi,
    /// `/docs`
    Docs,
    /// `/metrics`: Prometheus text format.
    Metrics,
    /// `/dramas`
    Dramas,
    /// `/dramas/{id}`
    Drama(String),
    /// `/dramas/{id}/improve`
    Improve(String),
    /// `/dramas/{id}/critic`
    Critic(String),
    /// `/dramas/{id}/jobs`
    Jobs(String),
    /// `/dramas/{id}/jobs/{jobId}`
    Job(String, String),
    /// `/dramas/{id}/jobs/{jobId}/cancel`
    JobCancel(String, String),
    /// `/dramas/{id}/jobs/{jobId}/events`
    JobEvents(String, String),
    /// `/dramas/{id}/characters[/{cid}]`
    Characters(At<()>),
    /// `/dramas/{id}/episodes[/{eid}]`
    Episodes(At<()>),
    /// `/dramas/{id}/episodes/{eid}/scenes[/{sid}]`
    Scenes(At<String>),
    /// `…/assets[/{aid}]` of an owner.
    Assets(At<AssetOwner>),
    /// `/dramas/{id}/render`
    Render(String),
    /// `…/assets/{aid}/render` at every owner level.
    AssetRender(String, AssetOwner, String),
    /// `…/assets/{aid}/content` at every owner level.
    AssetContent(String, AssetOwner, String),
    /// `/dramas/{id}/generate`: the old server's name for rendering a drama.
    DramaGenerate(String),
    /// `/dramas/{id}/episodes/{eid}/generate`: rendering one episode.
    EpisodeGenerate(String, String),
    /// `/dramas/{id}/characters/{cid}/generate`: rendering a portrait.
    CharacterGenerate(String, String),
    /// `/dramas/{id}/characters/{cid}/audition`
    Audition(String, String),
    /// `/dramas/{id}/cover_photo`
    Cover(String),
    /// `/media/{key}`: a stored media file, by its key (`media/…`).
    Media(String),
    /// `/dramas/{id}/episodes/{eid}/assemble`
    Assemble(String, String),
    /// `/dramas/{id}/export`
    Export(String),
    /// `/graphql`: GraphiQL (GET) and GraphQL (POST).
    GraphQl,
    /// `/mcp`: the Model Context Protocol over streamable HTTP.
    Mcp,
    /// `/asset-library/…`
    Library(crate::library::LibraryRoute),
}

/// The route table's entry for `template`: the template itself, static, and its methods.
fn entry(template: &str) -> (&'static str, &'static [Method]) {
    ROUTES
        .iter()
        .find(|(t, _)| *t == template)
        .map(|(t, m)| (*t, *m))
        .unwrap_or(("unmatched", &[]))
}

/// A matched path: the route, its methods, its template (a bounded label
/// for logs and metrics) and the drama and job ids it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// The route with its decoded ids.
    pub route: Route,
    /// The methods it answers.
    pub methods: &'static [Method],
    /// Its template, e.g. `/dramas/{id}/episodes/{eid}`.
    pub template: &'static str,
    /// The drama id in the path, if any.
    pub drama_id: Option<String>,
    /// The job id in the path, if any.
    pub job_id: Option<String>,
}

/// Matches a path; `Ok(None)` when no route has this shape.
pub fn resolve(path: &str) -> Result<Option<(Route, &'static [Method])>, HttpError> {
    Ok(matched(path)?.map(|m| (m.route, m.methods)))
}

/// `tail` (the path after `/dramas/{d}`) as a collection or member of level `L`, with its template.
fn at<L: Level>(d: &str, tail: &[&str]) -> Option<(At<L::Parent>, String)> {
    let info = L::INFO;
    let collection = || match tail {
        [stretch @ .., p] if *p == info.plural => {
            let (parent, t) = L::Parent::parse(stretch)?;
            Some((parent, info.collection_template(t), None))
        }
        _ => None,
    };
    let member = || match tail {
        [stretch @ .., p, id] if *p == info.plural => {
            let (parent, t) = L::Parent::parse(stretch)?;
            Some((parent, info.item_template(t), Some(id.to_string())))
        }
        _ => None,
    };
    let (parent, template, id) = collection().or_else(member)?;
    let drama = d.to_string();
    Some((At { drama, parent, id }, template))
}

/// The routes of the levels under `/dramas/{d}`: collections and members,
/// then an asset's `render` and `content`.
fn nested_route(d: &str, tail: &[&str]) -> Option<(Route, String)> {
    let o = |x: &str| x.to_string();
    if let Some((a, t)) = at::<Character>(d, tail) {
        return Some((Route::Characters(a), t));
    }
    if let Some((a, t)) = at::<Episode>(d, tail) {
        return Some((Route::Episodes(a), t));
    }
    if let Some((a, t)) = at::<Scene>(d, tail) {
        return Some((Route::Scenes(a), t));
    }
    if let Some((a, t)) = at::<Asset>(d, tail) {
        return Some((Route::Assets(a), t));
    }
    let [stretch @ .., "assets", a, verb] = tail else {
        return None;
    };
    let (owner, t) = AssetOwner::parse(stretch)?;
    let item = Asset::INFO.item_template(t);
    Some(match *verb {
        "render" => (Route::AssetRender(o(d), owner, o(a)), format!("{item}/render")),
        "content" => (Route::AssetContent(o(d), owner, o(a)), format!("{item}/content")),
        _ => return None,
    })
}

/// Matches a path, with its template and ids; `Ok(None)` when no route has this shape.
pub fn matched(path: &str) -> Result<Option<Matched>, HttpError> {
    let raw: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let segs: Vec<String> = raw.iter().map(|s| percent_decode(s, false)).collect::<Result<_, _>>()?;
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let o = |x: &str| x.to_string();
    let (route, template): (Route, String) = match s.as_slice() {
        ["health"] => (Route::Health, "/health".into()),
        ["openapi.json"] => (Route::OpenApi, "/openapi.json".into()),
        ["docs"] => (Route::Docs, "/docs".into()),
        ["metrics"] => (Route::Metrics, "/metrics".into()),
        ["graphql"] => (Route::GraphQl, "/graphql".into()),
        ["mcp"] => (Route::Mcp, "/mcp".into()),
        ["dramas"] => (Route::Dramas, "/dramas".into()),
        ["dramas", d] => (Route::Drama(o(d)), "/dramas/{id}".into()),
        ["dramas", d, "improve"] => (Route::Improve(o(d)), "/dramas/{id}/improve".into()),
        ["dramas", d, "critic"] => (Route::Critic(o(d)), "/dramas/{id}/critic".into()),
        // The old viewer's name for the critique.
        ["dramas", d, "critique"] => (Route::Critic(o(d)), "/dramas/{id}/critique".into()),
        ["asset-library", tail @ ..] => match crate::library::matched(tail) {
            Some((r, t)) => (Route::Library(r), t.into()),
            None => return Ok(None),
        },
        ["dramas", d, "jobs"] => (Route::Jobs(o(d)), "/dramas/{id}/jobs".into()),
        ["dramas", d, "jobs", j] => (Route::Job(o(d), o(j)), "/dramas/{id}/jobs/{jobId}".into()),
        ["dramas", d, "jobs", j, "cancel"] => (Route::JobCancel(o(d), o(j)), "/dramas/{id}/jobs/{jobId}/cancel".into()),
        ["dramas", d, "jobs", j, "events"] => (Route::JobEvents(o(d), o(j)), "/dramas/{id}/jobs/{jobId}/events".into()),
        ["dramas", d, "render"] => (Route::Render(o(d)), "/dramas/{id}/render".into()),
        ["dramas", d, "generate"] => (Route::DramaGenerate(o(d)), "/dramas/{id}/generate".into()),
        ["dramas", d, "cover_photo"] => (Route::Cover(o(d)), "/dramas/{id}/cover_photo".into()),
        ["dramas", d, "export"] => (Route::Export(o(d)), "/dramas/{id}/export".into()),
        ["dramas", d, "episodes", e, "assemble"] => (
            Route::Assemble(o(d), o(e)),
            "/dramas/{id}/episodes/{eid}/assemble".into(),
        ),
        ["dramas", d, "episodes", e, "generate"] => (
            Route::EpisodeGenerate(o(d), o(e)),
            "/dramas/{id}/episodes/{eid}/generate".into(),
        ),
        ["dramas", d, "characters", c, "generate"] => (
            Route::CharacterGenerate(o(d), o(c)),
            "/dramas/{id}/characters/{cid}/generate".into(),
        ),
        ["dramas", d, "characters", c, "audition"] => (
            Route::Audition(o(d), o(c)),
            "/dramas/{id}/characters/{cid}/audition".into(),
        ),
        ["dramas", d, tail @ ..] => match nested_route(d, tail) {
            Some(r) => r,
            None => return Ok(None),
        },
        // A media key holds slashes; `MediaKey::parse` checks it whole.
        ["media", key @ ..] if !key.is_empty() => {
            let (template, methods) = entry("/media/{key}");
            return Ok(Some(Matched {
                route: Route::Media(key.join("/")),
                methods,
                template,
                drama_id: None,
                job_id: None,
            }));
        }
        _ => return Ok(None),
    };
    // Every path id is checked before anything reaches storage.
    for (seg, tmpl) in segs.iter().zip(template.trim_start_matches('/').split('/')) {
        if tmpl.starts_with('{')
            && let Some(msg) = sfd_core::id::id_problem(seg)
        {
            return Err(HttpError::bad_request(format!("path parameter {tmpl}: {msg}")));
        }
    }
    let (template, methods) = entry(&template);
    let at = |name: &str| {
        let i = template.trim_start_matches('/').split('/').position(|t| t == name)?;
        segs.get(i).cloned()
    };
    let (drama_id, job_id) = (at("{id}"), at("{jobId}"));
    Ok(Some(Matched {
        route,
        methods,
        template,
        drama_id,
        job_id,
    }))
}

/// The `Allow` header value for a set of methods.
pub fn allow(methods: &[Method]) -> String {
    let mut v: Vec<&str> = methods.iter().map(Method::as_str).collect();
    v.push("OPTIONS");
    v.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A path for a template, with a sample id in every parameter.
    pub fn sample(template: &str) -> String {
        template
            .split('/')
            .map(|s| if s.starts_with('{') { "x1" } else { s })
            .collect::<Vec<_>>()
            .join("/")
    }

    #[test]
    fn every_template_resolves_to_its_methods() {
        for (t, m) in ROUTES.iter() {
            let (_, got) = resolve(&sample(t))
                .unwrap()
                .unwrap_or_else(|| panic!("{t} does not resolve"));
            assert_eq!(got, *m, "{t}");
        }
    }

    #[test]
    fn templates_and_ids_are_reported() {
        let m = matched("/dramas/d1/jobs/j2/events").unwrap().unwrap();
        assert_eq!(m.template, "/dramas/{id}/jobs/{jobId}/events");
        assert_eq!((m.drama_id.as_deref(), m.job_id.as_deref()), (Some("d1"), Some("j2")));
        let m = matched("/dramas/d1/episodes/e1/scenes/s1/assets/a1/render")
            .unwrap()
            .unwrap();
        assert_eq!(
            m.template,
            "/dramas/{id}/episodes/{eid}/scenes/{sid}/assets/{aid}/render"
        );
        assert_eq!((m.drama_id.as_deref(), m.job_id), (Some("d1"), None));
        assert_eq!(matched("/media/a/b.png").unwrap().unwrap().template, "/media/{key}");
        assert_eq!(matched("/metrics").unwrap().unwrap().route, Route::Metrics);
    }

    #[test]
    fn bad_ids_and_unknown_paths() {
        assert!(resolve("/dramas/a%2Fb").is_err());
        assert!(resolve("/dramas/..").is_err());
        assert!(resolve("/dramas/%zz").is_err());
        assert_eq!(resolve("/nope").unwrap(), None);
        assert_eq!(resolve("/dramas/x/nope").unwrap(), None);
        let (r, _) = resolve("/dramas/d1/episodes/ep1/scenes/ep1-sc1/assets/a")
            .unwrap()
            .unwrap();
        let at = At {
            drama: "d1".into(),
            parent: AssetOwner::scene("ep1", "ep1-sc1"),
            id: Some("a".into()),
        };
        assert_eq!(r, Route::Assets(at));
        // An id that is also a level's name is still an id.
        let (r, _) = resolve("/dramas/d1/episodes/ep1/scenes/scenes").unwrap().unwrap();
        let at = At {
            drama: "d1".into(),
            parent: "ep1".to_string(),
            id: Some("scenes".into()),
        };
        assert_eq!(r, Route::Scenes(at));
    }
}
