//! Routing by `match` on path segments, with the table of every route.

use http::Method;
use sfd_core::AssetOwner;

use crate::error::HttpError;
use crate::http::percent_decode;

/// Every route: its path template and the methods it answers.
/// `openapi.json` describes exactly these (a test keeps them in step). The
/// studio page (`/`, `/studio/{file}`) is not here: it is a static page
/// beside the API, not part of it (see `studio.rs`).
pub const ROUTES: &[(&str, &[Method])] = &[
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
    ("/dramas/{id}/assets", &[Method::GET, Method::POST]),
    (
        "/dramas/{id}/assets/{aid}",
        &[Method::GET, Method::PATCH, Method::DELETE],
    ),
    ("/dramas/{id}/characters", &[Method::GET, Method::POST]),
    (
        "/dramas/{id}/characters/{cid}",
        &[Method::GET, Method::PATCH, Method::DELETE],
    ),
    ("/dramas/{id}/characters/{cid}/assets", &[Method::GET, Method::POST]),
    (
        "/dramas/{id}/characters/{cid}/assets/{aid}",
        &[Method::GET, Method::PATCH, Method::DELETE],
    ),
    ("/dramas/{id}/episodes", &[Method::GET, Method::POST]),
    (
        "/dramas/{id}/episodes/{eid}",
        &[Method::GET, Method::PATCH, Method::DELETE],
    ),
    ("/dramas/{id}/episodes/{eid}/assets", &[Method::GET, Method::POST]),
    (
        "/dramas/{id}/episodes/{eid}/assets/{aid}",
        &[Method::GET, Method::PATCH, Method::DELETE],
    ),
    ("/dramas/{id}/episodes/{eid}/scenes", &[Method::GET, Method::POST]),
    (
        "/dramas/{id}/episodes/{eid}/scenes/{sid}",
        &[Method::GET, Method::PATCH, Method::DELETE],
    ),
    (
        "/dramas/{id}/episodes/{eid}/scenes/{sid}/assets",
        &[Method::GET, Method::POST],
    ),
    (
        "/dramas/{id}/episodes/{eid}/scenes/{sid}/assets/{aid}",
        &[Method::GET, Method::PATCH, Method::DELETE],
    ),
    ("/dramas/{id}/render", &[Method::POST]),
    ("/dramas/{id}/assets/{aid}/render", &[Method::POST]),
    ("/dramas/{id}/assets/{aid}/content", &[Method::PUT]),
    ("/dramas/{id}/characters/{cid}/assets/{aid}/render", &[Method::POST]),
    ("/dramas/{id}/characters/{cid}/assets/{aid}/content", &[Method::PUT]),
    ("/dramas/{id}/episodes/{eid}/assets/{aid}/render", &[Method::POST]),
    ("/dramas/{id}/episodes/{eid}/assets/{aid}/content", &[Method::PUT]),
    (
        "/dramas/{id}/episodes/{eid}/scenes/{sid}/assets/{aid}/render",
        &[Method::POST],
    ),
    (
        "/dramas/{id}/episodes/{eid}/scenes/{sid}/assets/{aid}/content",
        &[Method::PUT],
    ),
    ("/dramas/{id}/generate", &[Method::POST]),
    ("/dramas/{id}/episodes/{eid}/generate", &[Method::POST]),
    ("/dramas/{id}/characters/{cid}/generate", &[Method::POST]),
    ("/dramas/{id}/characters/{cid}/audition", &[Method::GET, Method::POST]),
    ("/dramas/{id}/cover_photo", &[Method::GET, Method::POST]),
    ("/media/{key}", &[Method::GET]),
    ("/dramas/{id}/episodes/{eid}/assemble", &[Method::POST]),
    ("/dramas/{id}/export", &[Method::GET]),
];

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
    /// `/dramas/{id}/characters`
    Characters(String),
    /// `/dramas/{id}/characters/{cid}`
    Character(String, String),
    /// `/dramas/{id}/episodes`
    Episodes(String),
    /// `/dramas/{id}/episodes/{eid}`
    Episode(String, String),
    /// `/dramas/{id}/episodes/{eid}/scenes`
    Scenes(String, String),
    /// `/dramas/{id}/episodes/{eid}/scenes/{sid}`
    Scene(String, String, String),
    /// The assets of an owner.
    Assets(String, AssetOwner),
    /// One asset of an owner.
    Asset(String, AssetOwner, String),
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
}

/// The owner of assets at `segs` (what lies between `/dramas/{id}` and
/// `/assets`), and the template of that stretch.
fn owner_at(segs: &[&str]) -> Option<(AssetOwner, &'static str)> {
    let o = |x: &str| x.to_string();
    Some(match segs {
        [] => (AssetOwner::Drama, ""),
        ["characters", c] => (AssetOwner::Character(o(c)), "/characters/{cid}"),
        ["episodes", e] => (AssetOwner::Episode(o(e)), "/episodes/{eid}"),
        ["episodes", e, "scenes", sc] => (AssetOwner::scene(o(e), o(sc)), "/episodes/{eid}/scenes/{sid}"),
        _ => return None,
    })
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

/// The asset routes under `/dramas/{d}`: `tail` is an owner's stretch
/// (none, a character, an episode, a scene), `assets`, then an optional
/// asset id and verb.
fn asset_route(d: &str, tail: &[&str]) -> Option<(Route, String)> {
    let o = |x: &str| x.to_string();
    let (i, (owner, at)) = [0, 2, 4]
        .into_iter()
        .filter(|i| tail.get(*i) == Some(&"assets"))
        .find_map(|i| Some((i, owner_at(&tail[..i])?)))?;
    let base = format!("/dramas/{{id}}{at}/assets");
    Some(match &tail[i + 1..] {
        [] => (Route::Assets(o(d), owner), base),
        [a] => (Route::Asset(o(d), owner, o(a)), format!("{base}/{{aid}}")),
        [a, "render"] => (Route::AssetRender(o(d), owner, o(a)), format!("{base}/{{aid}}/render")),
        [a, "content"] => (
            Route::AssetContent(o(d), owner, o(a)),
            format!("{base}/{{aid}}/content"),
        ),
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
        ["dramas"] => (Route::Dramas, "/dramas".into()),
        ["dramas", d] => (Route::Drama(o(d)), "/dramas/{id}".into()),
        ["dramas", d, "improve"] => (Route::Improve(o(d)), "/dramas/{id}/improve".into()),
        ["dramas", d, "critic"] => (Route::Critic(o(d)), "/dramas/{id}/critic".into()),
        ["dramas", d, "jobs"] => (Route::Jobs(o(d)), "/dramas/{id}/jobs".into()),
        ["dramas", d, "jobs", j] => (Route::Job(o(d), o(j)), "/dramas/{id}/jobs/{jobId}".into()),
        ["dramas", d, "jobs", j, "cancel"] => (Route::JobCancel(o(d), o(j)), "/dramas/{id}/jobs/{jobId}/cancel".into()),
        ["dramas", d, "jobs", j, "events"] => (Route::JobEvents(o(d), o(j)), "/dramas/{id}/jobs/{jobId}/events".into()),
        ["dramas", d, "characters"] => (Route::Characters(o(d)), "/dramas/{id}/characters".into()),
        ["dramas", d, "characters", c] => (Route::Character(o(d), o(c)), "/dramas/{id}/characters/{cid}".into()),
        ["dramas", d, "episodes"] => (Route::Episodes(o(d)), "/dramas/{id}/episodes".into()),
        ["dramas", d, "episodes", e] => (Route::Episode(o(d), o(e)), "/dramas/{id}/episodes/{eid}".into()),
        ["dramas", d, "episodes", e, "scenes"] => {
            (Route::Scenes(o(d), o(e)), "/dramas/{id}/episodes/{eid}/scenes".into())
        }
        ["dramas", d, "episodes", e, "scenes", sc] => (
            Route::Scene(o(d), o(e), o(sc)),
            "/dramas/{id}/episodes/{eid}/scenes/{sid}".into(),
        ),
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
        ["dramas", d, tail @ ..] => match asset_route(d, tail) {
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
        for (t, m) in ROUTES {
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
        assert_eq!(
            r,
            Route::Asset("d1".into(), AssetOwner::scene("ep1", "ep1-sc1"), "a".into())
        );
    }
}
