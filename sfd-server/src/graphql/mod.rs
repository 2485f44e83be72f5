//! GraphQL at `/graphql`: `POST` runs a query or mutation (or a batch of
//! them) through [`async_graphql`] with the server's state as context;
//! `GET` answers GraphiQL, served whole from the binary.
//!
//! Errors are GraphQL errors whose `message` is the one REST answers, with
//! `extensions.code` (REST's `error`) and `extensions.status`.

mod schema;
mod types;

use std::sync::LazyLock;

use async_graphql::{BatchRequest, Context, ErrorExtensions};
use http::{HeaderValue, Response, StatusCode, header};
use serde_json::Value;

use crate::error::HttpError;
use crate::http::{self as h, Body};
use crate::state::AppState;

static SCHEMA: LazyLock<schema::SfdSchema> = LazyLock::new(schema::build);

/// The schema in SDL, e.g. for code generators.
pub fn sdl() -> String {
    SCHEMA.sdl()
}

/// A core or HTTP error as a GraphQL error: REST's message, with its
/// `error` as `extensions.code` and its status as `extensions.status`.
pub(crate) fn gql(e: impl Into<HttpError>) -> async_graphql::Error {
    let e: HttpError = e.into();
    async_graphql::Error::new(e.message.clone()).extend_with(|_, ext| {
        ext.set("code", e.error);
        ext.set("status", e.status.as_u16());
    })
}

/// The server state a resolver runs with.
pub(crate) fn state<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a AppState> {
    ctx.data::<AppState>()
}

/// `POST /graphql`: `{query, variables?, operationName?}` or a list of them.
/// Answers 200 with `{data, errors}` as GraphQL over HTTP does; a body that
/// is no GraphQL request is REST's 422.
pub(crate) async fn execute(state: &AppState, body: Option<Value>) -> Result<Response<Body>, HttpError> {
    let body = h::required(body)?;
    let batch: BatchRequest = serde_json::from_value(body).map_err(|e| {
        HttpError::unprocessable(format!(
            "the body must be a GraphQL request {{query, variables?, operationName?}} or a list of them: {e}"
        ))
    })?;
    let batch = batch.data(state.clone());
    let answer = SCHEMA.execute_batch(batch).await;
    Ok(h::json(StatusCode::OK, &answer))
}

/// The GraphiQL page: React and GraphiQL inlined, nothing fetched from elsewhere.
const GRAPHIQL_HTML: &str = concat!(
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>sfd GraphQL</title>\n",
    "<link rel=\"icon\" href=\"data:,\">\n",
    "<!-- GraphiQL 2.4.7, React 18.3.1 and React DOM 18.3.1 (MIT); their licences are in sfd-server/src/graphql/graphiql/LICENSES.txt -->\n",
    "<style>html,body,#graphiql{height:100%;margin:0;}</style>\n<style>",
    include_str!("graphiql/graphiql.min.css"),
    "</style>\n</head><body><div id=\"graphiql\">Loading GraphiQL…</div>\n<script>",
    include_str!("graphiql/react.production.min.js"),
    "</script>\n<script>",
    include_str!("graphiql/react-dom.production.min.js"),
    "</script>\n<script>",
    include_str!("graphiql/graphiql.min.js"),
    "</script>\n<script>",
    include_str!("graphiql/page.js"),
    "</script>\n</body></html>\n"
);

/// `GET /graphql`: GraphiQL (no key needed; its requests send the key set in its Headers tab).
pub(crate) fn page() -> Response<Body> {
    let mut r = Response::new(h::full(GRAPHIQL_HTML));
    let hs = r.headers_mut();
    hs.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    hs.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_old_names_are_in_the_schema() {
        let sdl = sdl();
        for name in [
            "drama(id: String!): Drama",
            "dramas(limit: Int, cursor: String): [Drama!]!",
            "dramaSummaries(",
            "job(id: String!, dramaId: String): Job",
            "jobs(dramaId: String!, status: String): [Job!]!",
            "coverPhoto: String",
            "r2Url: String",
            "voiceDescription: String",
            "generateCharacterImage(dramaId: String!, characterId: String!",
            "generateCoverPhoto(dramaId: String!",
        ] {
            assert!(sdl.contains(name), "{name} missing from\n{sdl}");
        }
    }

    #[test]
    fn the_page_needs_nothing_from_elsewhere() {
        assert!(!GRAPHIQL_HTML.contains("<script src"));
        assert!(!GRAPHIQL_HTML.contains("<link rel=\"stylesheet"));
        assert!(!GRAPHIQL_HTML.contains("href=\"http"));
        assert!(GRAPHIQL_HTML.contains("GraphiQL.createFetcher"));
    }

    /// GraphiQL's introspection query (graphql-js 16, `TypeRef` eight
    /// `ofType`s deep) stays inside the depth limit.
    #[tokio::test]
    async fn introspection_fits_the_depth_limit() {
        let mut type_ref = "kind name".to_string();
        for _ in 0..8 {
            type_ref = format!("kind name ofType {{ {type_ref} }}");
        }
        let q = format!(
            "{{ __schema {{ types {{ name fields(includeDeprecated: true) {{ name args {{ name type {{ {type_ref} }} }} type {{ {type_ref} }} }} }} }} }}"
        );
        let r = SCHEMA.execute(q.as_str()).await;
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let mut deep = "name".to_string();
        for _ in 0..8 {
            deep = format!("fields {{ type {{ {deep} }} }}");
        }
        let deep = format!("{{ __schema {{ types {{ {deep} }} }} }}");
        let r = SCHEMA.execute(deep.as_str()).await;
        assert!(
            r.errors
                .iter()
                .any(|e| e.message.contains("too deep") || e.message.contains("depth")),
            "{:?}",
            r.errors
        );
    }
}
