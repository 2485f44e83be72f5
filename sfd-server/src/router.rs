//! Every route, declared once in [`routes!`]'s table below: the table
//! yields the [`Route`] enum, the path matching, the dispatch to handlers
//! and (through [`ROUTES`]) the paths and methods of `openapi.json`, each
//! with its row as an [`Endpoint`]. A new route is one line of the table
//! plus its handler (and, in `openapi.rs`, `openapi_media.rs`,
//! `openapi_doors.rs` or `openapi_library.rs`, the words that describe it,
//! kept under its `Endpoint`).

use std::sync::LazyLock;

use http::request::Parts;
use http::{HeaderMap, Method, Request, StatusCode};
use hyper::body::Incoming;
use serde_json::Value;
use sfd_core::{Address, Asset, AssetOwner, Character, Episode, Level, Scene, levels};

use crate::error::HttpError;
use crate::http::{self as h, Answer, percent_decode};
use crate::state::AppState;
use crate::{dramas, export, library, media, nested, openapi, render};

pub use crate::nested::At;

/// One request as a handler sees it: the state, the request's head (its
/// method, URI and headers), and the body (JSON for a POST or PATCH, or the
/// raw stream for a route marked `stream`).
pub(crate) struct Call<'a> {
    /// The server's state.
    pub state: &'a AppState,
    /// The request's head; its method is one the route answers.
    pub parts: &'a Parts,
    /// The JSON body of a POST or PATCH.
    pub json: Option<Value>,
    /// The body of a `stream` route, unread.
    pub stream: Option<Incoming>,
}

impl<'a> Call<'a> {
    /// The method, one the route answers.
    fn method(&self) -> &'a Method {
        &self.parts.method
    }

    /// The request headers.
    fn headers(&self) -> &'a HeaderMap {
        &self.parts.headers
    }

    /// The query string, if any.
    fn query(&self) -> Option<&'a str> {
        self.parts.uri.query()
    }

    /// The whole request, its body unread, for a `stream` route whose
    /// handler speaks HTTP itself (MCP).
    fn request(&mut self) -> Result<Request<Incoming>, HttpError> {
        let body = self.stream()?;
        Ok(Request::from_parts(self.parts.clone(), body))
    }

    /// The unread body of a `stream` route.
    fn stream(&mut self) -> Result<Incoming, HttpError> {
        self.stream.take().ok_or_else(|| {
            HttpError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the body of this route was read before its handler",
            )
        })
    }
}

/// The types of the ids a fixed route takes from its path: all strings.
macro_rules! path_id {
    ($name:ident) => {
        String
    };
}

/// The route table. A fixed row is `Variant(ids) "template" flags { METHOD
/// => handler, … }`: its ids are the template's parameters in order;
/// `open` routes need no key (`open_get`: their GET needs none), `stream`
/// routes get their body unread (after auth and rate limits). A
/// level row is `Variant(fields) flags => handler`: its paths come from the
/// levels (see [`nested_route`]). A handler is an expression over the
/// [`Call`] named in the table's head and the row's ids.
macro_rules! routes {
    ($call:ident;
     fixed: [ $( $(#[$doc:meta])* $variant:ident $(( $($id:ident),* ))? $template:literal $($flag:ident)*
               { $($method:ident => $handler:expr),+ $(,)? } )* ]
     levels: [ $( $(#[$ldoc:meta])* $lvariant:ident ( $($field:ident : $ty:ty),* ) $($lflag:ident)* => $lhandler:expr ; )* ]
    ) => {
        /// A matched route with its decoded path ids.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Route {
            $( $(#[$doc])* $variant $(( $(path_id!($id)),* ))?, )*
            $( $(#[$ldoc])* $lvariant( $($ty),* ), )*
        }

        /// A row of the table without its ids: what `openapi.json`'s words
        /// for a route are kept under.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Endpoint {
            $( $(#[$doc])* $variant, )*
            $( $(#[$ldoc])* $lvariant, )*
        }

        /// The routes that are not the levels' collections, members, renders
        /// and uploads (those come from [`Level`]s, see [`ROUTES`]).
        const FIXED: &[(&str, &[Method], Endpoint)] = &[ $( ($template, &[$(Method::$method),+], Endpoint::$variant), )* ];

        impl Route {
            /// Its row of the table.
            pub fn endpoint(&self) -> Endpoint {
                match self {
                    $( Route::$variant { .. } => Endpoint::$variant, )*
                    $( Route::$lvariant { .. } => Endpoint::$lvariant, )*
                }
            }

            /// The fixed route at `template` with `ids` (the path's parameters in order).
            fn fixed(template: &str, ids: Vec<String>) -> Option<Route> {
                #[allow(unused_mut, unused_variables)]
                let mut ids = ids.into_iter();
                $( if template == $template {
                    return Some(Route::$variant $(( $({ let $id = ids.next()?; $id }),* ))?);
                } )*
                None
            }

            /// Whether the route is answered without a key for `method`.
            pub fn is_open(&self, method: &Method) -> bool {
                let flags: &[&str] = match self {
                    $( Route::$variant { .. } => &[$(stringify!($flag)),*], )*
                    $( Route::$lvariant { .. } => &[$(stringify!($lflag)),*], )*
                };
                flags.contains(&"open") || (*method == Method::GET && flags.contains(&"open_get"))
            }

            /// Whether its handler reads the body itself, as a stream.
            pub fn streams(&self) -> bool {
                match self {
                    $( Route::$variant { .. } => [$(stringify!($flag)),*].contains(&"stream"), )*
                    $( Route::$lvariant { .. } => [$(stringify!($lflag)),*].contains(&"stream"), )*
                }
            }
        }

        /// Calls the handler of `route` for `call`'s method (one it answers).
        pub(crate) async fn dispatch(route: Route, mut $call: Call<'_>) -> Answer {
            match route {
                $( Route::$variant $(( $($id),* ))? => {
                    $( if *$call.method() == Method::$method {
                        return $handler;
                    } )+
                    Err(not_allowed($call.method(), $template))
                } )*
                $( Route::$lvariant( $($field),* ) => $lhandler, )*
            }
        }
    };
}

/// The error for a method the table gives no handler (the caller checks
/// the methods first, so it is never sent).
fn not_allowed(method: &Method, template: &str) -> HttpError {
    HttpError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {template}"),
    )
}

routes! { c;
fixed: [
    /// `/health`
    Health "/health" open { GET => dramas::health(c.state).await }
    /// `/openapi.json`
    OpenApi "/openapi.json" open { GET => Ok(h::json(StatusCode::OK, &*openapi::SPEC)) }
    /// `/docs`
    Docs "/docs" open { GET => Ok(openapi::docs_page()) }
    /// `/metrics`: Prometheus text format.
    Metrics "/metrics" { GET => crate::metrics::answer() }
    /// `/dramas`
    /// A POST reads its own body: JSON, or a multipart form with a `reference_image`.
    Dramas "/dramas" stream {
        GET => dramas::list(c.state, c.query()).await,
        POST => {
            let body = c.stream()?;
            if crate::dramas_form::is_form(c.headers()) {
                crate::dramas_form::create(c.state, c.headers(), body).await
            } else {
                let json = h::read_json(c.headers(), body, c.state.inner.body_limit).await?;
                dramas::create(c.state, json).await
            }
        }
    }
    /// `/dramas/{id}`
    Drama(id) "/dramas/{id}" {
        GET => dramas::get(c.state, c.headers(), &id).await,
        PATCH => dramas::patch(c.state, c.headers(), &id, c.json).await,
        DELETE => dramas::delete(c.state, c.headers(), &id).await,
    }
    /// `/dramas/{id}/improve`
    Improve(id) "/dramas/{id}/improve" { POST => dramas::improve(c.state, &id, c.json).await }
    /// `/dramas/{id}/critic`
    Critic(id) "/dramas/{id}/critic" { POST => dramas::critic(c.state, &id, c.json).await }
    /// `/dramas/{id}/jobs`
    Jobs(id) "/dramas/{id}/jobs" { GET => dramas::jobs(c.state, &id).await }
    /// `/dramas/{id}/jobs/{jobId}`
    Job(id, job) "/dramas/{id}/jobs/{jobId}" { GET => dramas::job(c.state, &id, &job).await }
    /// `/dramas/{id}/jobs/{jobId}/cancel`
    JobCancel(id, job) "/dramas/{id}/jobs/{jobId}/cancel" { POST => dramas::cancel(c.state, &id, &job).await }
    /// `/dramas/{id}/jobs/{jobId}/events`
    JobEvents(id, job) "/dramas/{id}/jobs/{jobId}/events" { GET => dramas::events(c.state, &id, &job).await }
    /// `/dramas/{id}/render`
    Render(id) "/dramas/{id}/render" { POST => render::drama(c.state, &id, c.json).await }
    /// `/dramas/{id}/generate`: the old server's name for rendering a drama.
    DramaGenerate(id) "/dramas/{id}/generate" { POST => render::drama_alias(c.state, &id, c.json).await }
    /// `/dramas/{id}/episodes/{eid}/generate`: rendering one episode.
    EpisodeGenerate(id, e) "/dramas/{id}/episodes/{eid}/generate" {
        POST => render::episode_alias(c.state, &id, &e, c.json).await,
    }
    /// `/dramas/{id}/characters/{cid}/generate`: rendering a portrait.
    CharacterGenerate(id, ch) "/dramas/{id}/characters/{cid}/generate" {
        POST => render::character_alias(c.state, &id, &ch, c.json).await,
    }
    /// `/dramas/{id}/characters/{cid}/audition`
    Audition(id, ch) "/dramas/{id}/characters/{cid}/audition" {
        GET => render::get_audition(c.state, &id, &ch).await,
        POST => render::audition(c.state, &id, &ch, c.json).await,
    }
    /// `/dramas/{id}/characters/{cid}/voice_sample`: the character's reference
    /// voice clip (PUT, the raw audio; DELETE removes it).
    VoiceSample(id, ch) "/dramas/{id}/characters/{cid}/voice_sample" stream {
        PUT => {
            let body = c.stream()?;
            media::voice_sample(c.state, c.headers(), &id, &ch, body).await
        },
        DELETE => media::remove_voice_sample(c.state, &id, &ch).await,
    }
    /// `/dramas/{id}/cover_photo`
    Cover(id) "/dramas/{id}/cover_photo" {
        GET => render::get_cover(c.state, &id).await,
        POST => render::cover(c.state, &id, c.json).await,
    }
    /// `/media/{key}`: a stored media file, by its key (`media/…`).
    /// Open like a public bucket: its key holds the content hash and is
    /// listed nowhere, so only a document's reader finds it.
    Media(key) "/media/{key}" open stream { GET => media::get(c.state, c.headers(), &key).await }
    /// `/dramas/{id}/episodes/{eid}/assemble`
    Assemble(id, e) "/dramas/{id}/episodes/{eid}/assemble" { POST => export::assemble(c.state, &id, &e, c.json).await }
    /// `/dramas/{id}/export`
    Export(id) "/dramas/{id}/export" { GET => export::export(c.state, c.headers(), &id, c.query()).await }
    /// `/graphql`: GraphiQL (GET, open) and GraphQL (POST).
    GraphQl "/graphql" open_get {
        GET => Ok(crate::graphql::page()),
        POST => crate::graphql::execute(c.state, c.json).await,
    }
    /// `/mcp`: the Model Context Protocol over streamable HTTP; it reads its own body.
    Mcp "/mcp" stream { POST => Ok(crate::mcp::http(c.state, c.request()?).await) }
    /// `/dramas/{id}/critique`: the old viewer's name for `/critic`.
    Critique(id) "/dramas/{id}/critique" { POST => dramas::critic(c.state, &id, c.json).await }
    /// `/asset-library/list`
    LibraryList "/asset-library/list" { GET => library::list(c.state, c.query()).await }
    /// `/asset-library/upload`: multipart, read by its handler.
    LibraryUpload "/asset-library/upload" stream {
        POST => {
            let body = c.stream()?;
            library::upload(c.state, c.headers(), body).await
        }
    }
    /// `/asset-library/{assetId}`: the file (GET) or its removal (DELETE).
    LibraryAsset(id) "/asset-library/{assetId}" {
        GET => library::get(c.state, c.query(), &id).await,
        DELETE => library::delete(c.state, c.query(), &id).await,
    }
    /// `/asset-library/{assetId}/metadata`: the record.
    LibraryMetadata(id) "/asset-library/{assetId}/metadata" { GET => library::metadata(c.state, c.query(), &id).await }
]
levels: [
    /// `/dramas/{id}/characters[/{cid}]`
    Characters(at: At<()>) => nested::answer::<Character>(c.state, c.method(), c.headers(), at, c.json).await;
    /// `/dramas/{id}/episodes[/{eid}]`
    Episodes(at: At<()>) => nested::answer::<Episode>(c.state, c.method(), c.headers(), at, c.json).await;
    /// `/dramas/{id}/episodes/{eid}/scenes[/{sid}]`
    Scenes(at: At<String>) => nested::answer::<Scene>(c.state, c.method(), c.headers(), at, c.json).await;
    /// `…/assets[/{aid}]` of an owner.
    Assets(at: At<AssetOwner>) => nested::answer::<Asset>(c.state, c.method(), c.headers(), at, c.json).await;
    /// `…/assets/{aid}/render` at every owner level.
    AssetRender(d: String, o: AssetOwner, a: String) => render::asset(c.state, &d, &o, &a, c.json).await;
    /// `…/assets/{aid}/choose` at every owner level: keep another candidate.
    AssetChoose(d: String, o: AssetOwner, a: String) => render::choose(c.state, &d, &o, &a, c.json).await;
    /// `…/assets/{aid}/content` at every owner level.
    AssetContent(d: String, o: AssetOwner, a: String) stream => {
        let body = c.stream()?;
        media::upload(c.state, c.headers(), &d, &o, &a, body).await
    };
]
}

/// A template parameter that takes the rest of the path: a media key holds
/// slashes, and `MediaKey::parse` checks it whole.
const REST: &str = "{key}";

/// Every route: its path template, the methods it answers and its row of
/// the table. Each level
/// adds its collection (GET, POST) and member (GET, PATCH, DELETE) under
/// every parent, and each asset its `render` (POST) and `content` (PUT).
/// `openapi.json` describes exactly these (a test keeps them in step). The
/// studio page (`/`, `/studio/{file}`) is not here: it is a static page
/// beside the API, not part of it (see `studio.rs`).
pub static ROUTES: LazyLock<Vec<(&'static str, &'static [Method], Endpoint)>> = LazyLock::new(|| {
    const COLLECTION: &[Method] = &[Method::GET, Method::POST];
    const MEMBER: &[Method] = &[Method::GET, Method::PATCH, Method::DELETE];
    // Made once for the life of the process, like the fixed templates.
    let mut all = FIXED.to_vec();
    let mut add = |t: String, methods: &'static [Method]| {
        // A level's template is matched as a request's path is, so its row
        // is the one that answers it.
        if let Some(endpoint) = level_endpoint(&t) {
            all.push((&*t.leak(), methods, endpoint));
        }
    };
    for level in levels() {
        for parent in level.parents {
            add(level.collection_template(parent), COLLECTION);
            add(level.item_template(parent), MEMBER);
        }
    }
    for parent in Asset::INFO.parents {
        let item = Asset::INFO.item_template(parent);
        add(format!("{item}/render"), &[Method::POST]);
        add(format!("{item}/content"), &[Method::PUT]);
        add(format!("{item}/choose"), &[Method::POST]);
    }
    all
});

/// The row of a level's template (`/dramas/{id}/…`).
fn level_endpoint(template: &str) -> Option<Endpoint> {
    let segs: Vec<&str> = template.trim_start_matches('/').split('/').collect();
    let ["dramas", d, tail @ ..] = segs.as_slice() else {
        return None;
    };
    nested_route(d, tail).map(|(route, _)| route.endpoint())
}

/// The route table's entry for `template`: the template itself, static, and its methods.
fn entry(template: &str) -> (&'static str, &'static [Method]) {
    ROUTES
        .iter()
        .find(|(t, _, _)| *t == template)
        .map(|(t, m, _)| (*t, *m))
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
        "choose" => (Route::AssetChoose(o(d), owner, o(a)), format!("{item}/choose")),
        _ => return None,
    })
}

/// The fixed route `segs` match, with its template: a literal segment
/// must be equal, a parameter takes the segment (or, for [`REST`], the rest).
fn fixed_route(segs: &[&str]) -> Option<(Route, String)> {
    FIXED.iter().find_map(|(template, _, _)| {
        let parts: Vec<&str> = template.trim_start_matches('/').split('/').collect();
        let mut ids = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            if *part == REST && i + 1 == parts.len() {
                let rest = segs.get(i..).filter(|r| !r.is_empty())?;
                ids.push(rest.join("/"));
                return Some((Route::fixed(template, ids)?, template.to_string()));
            }
            let seg = segs.get(i)?;
            if part.starts_with('{') {
                ids.push(seg.to_string());
            } else if part != seg {
                return None;
            }
        }
        (segs.len() == parts.len()).then(|| Some((Route::fixed(template, ids)?, template.to_string())))?
    })
}

/// Matches a path, with its template and ids; `Ok(None)` when no route has this shape.
pub fn matched(path: &str) -> Result<Option<Matched>, HttpError> {
    let raw: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let segs: Vec<String> = raw.iter().map(|s| percent_decode(s, false)).collect::<Result<_, _>>()?;
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let found = match s.as_slice() {
        _ if let Some(r) = fixed_route(&s) => Some(r),
        ["dramas", d, tail @ ..] => nested_route(d, tail),
        _ => None,
    };
    let Some((route, template)) = found else {
        return Ok(None);
    };
    // Every path id is checked before anything reaches storage.
    for (seg, tmpl) in segs.iter().zip(template.trim_start_matches('/').split('/')) {
        if tmpl.starts_with('{')
            && tmpl != REST
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
        for (t, m, e) in ROUTES.iter() {
            let (route, got) = resolve(&sample(t))
                .unwrap()
                .unwrap_or_else(|| panic!("{t} does not resolve"));
            assert_eq!(got, *m, "{t}");
            assert_eq!(route.endpoint(), *e, "{t}");
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
    fn the_doors_library_and_critique_alias() {
        let m = matched("/graphql").unwrap().unwrap();
        assert_eq!(
            (m.route.clone(), m.methods),
            (Route::GraphQl, &[Method::GET, Method::POST][..])
        );
        // GraphiQL is open; a query needs the key.
        assert!(m.route.is_open(&Method::GET) && !m.route.is_open(&Method::POST));
        let m = matched("/mcp").unwrap().unwrap();
        assert!(m.route.streams() && !m.route.is_open(&Method::POST));
        let m = matched("/dramas/d1/critique").unwrap().unwrap();
        assert_eq!(
            (m.route, m.drama_id.as_deref()),
            (Route::Critique("d1".into()), Some("d1"))
        );
        assert_eq!(
            matched("/asset-library/list").unwrap().unwrap().route,
            Route::LibraryList
        );
        let m = matched("/asset-library/upload").unwrap().unwrap();
        assert_eq!(
            (m.route.clone(), m.methods),
            (Route::LibraryUpload, &[Method::POST][..])
        );
        assert!(m.route.streams());
        let m = matched("/asset-library/a1").unwrap().unwrap();
        assert_eq!(
            (m.route, m.template),
            (Route::LibraryAsset("a1".into()), "/asset-library/{assetId}")
        );
        let m = matched("/asset-library/a1/metadata").unwrap().unwrap();
        assert_eq!(m.route, Route::LibraryMetadata("a1".into()));
        assert_eq!(resolve("/asset-library").unwrap(), None);
        assert_eq!(resolve("/asset-library/a/b").unwrap(), None);
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
