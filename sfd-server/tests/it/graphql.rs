//! GraphQL at `/graphql`: the old server's documented queries and
//! mutations (its GRAPHQL.md) answer what REST answers for the same drama.

use std::time::Duration;

use serde_json::{Value, json};
use sfd_core::{Drama, JobStatus, RenderConfig};

use crate::harness::{Options, TestServer, v5};

const WAIT: Duration = Duration::from_secs(60);

async fn gql(s: &TestServer, key: Option<&str>, query: &str) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(s.url("/graphql"))
        .json(&json!({ "query": query }));
    if let Some(k) = key {
        req = req.header("x-api-key", k);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// The `data` of a query that must succeed.
async fn data(s: &TestServer, query: &str) -> Value {
    let (status, body) = gql(s, None, query).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{query}: {body}");
    body["data"].clone()
}

fn character_fields(d: &Drama, id: &str) -> Value {
    let c = d.character(id).unwrap();
    json!({"id": c.id, "name": c.name, "description": c.description, "gender": c.gender,
           "voiceDescription": c.voice_description, "main": c.main, "url": c.url})
}

async fn server() -> TestServer {
    TestServer::with(Options {
        render: RenderConfig::simulated(),
        ..Default::default()
    })
    .await
}

#[tokio::test]
async fn graphql_documented_queries_answer_what_rest_answers() {
    let s = server().await;
    let stored = s.client.import_drama(&v5()).await.unwrap().value;
    let id = stored.id.clone();
    let rest = s.client.get_drama(&id).await.unwrap().value;

    // "Get Drama by ID"
    let q = format!(
        r#"query {{ drama(id: "{id}") {{ id title description premise url
            characters {{ id name description gender voiceDescription main url }}
            episodes {{ id title description url }} }} }}"#
    );
    let got = data(&s, &q).await["drama"].clone();
    let want = json!({
        "id": rest.id, "title": rest.title, "description": rest.description, "premise": rest.premise, "url": rest.url,
        "characters": rest.characters.iter().map(|c| character_fields(&rest, &c.id)).collect::<Vec<_>>(),
        "episodes": rest.episodes.iter().map(|e| json!({"id": e.id, "title": e.title, "description": e.description, "url": e.url})).collect::<Vec<_>>(),
    });
    assert_eq!(got, want);

    // "Get All Dramas"
    let got = data(
        &s,
        "query { dramas { id title description url characters { name main } episodes { title } } }",
    )
    .await;
    let page = s.client.list_dramas_page(100, None).await.unwrap();
    let mut want = Vec::new();
    for summary in &page.dramas {
        let d = s.client.get_drama(&summary.id).await.unwrap().value;
        want.push(json!({
            "id": d.id, "title": d.title, "description": d.description, "url": d.url,
            "characters": d.characters.iter().map(|c| json!({"name": c.name, "main": c.main})).collect::<Vec<_>>(),
            "episodes": d.episodes.iter().map(|e| json!({"title": e.title})).collect::<Vec<_>>(),
        }));
    }
    assert_eq!(got["dramas"], Value::Array(want));
    let got = data(&s, "{ dramaSummaries(limit: 10) { id title premise } }").await;
    assert_eq!(got["dramaSummaries"][0]["id"], json!(id));

    // "Get Drama with Cover Photo": none yet, like REST's 404.
    let got = data(
        &s,
        &format!(r#"query {{ drama(id: "{id}") {{ id title coverPhoto }} }}"#),
    )
    .await;
    assert_eq!(got["drama"], json!({"id": id, "title": rest.title, "coverPhoto": null}));
    assert!(s.client.cover_photo(&id).await.unwrap_err().is_not_found());
    // sfd's additions: an episode's shots follow its scenes, with their lines.
    let q = format!(r#"{{ drama(id: "{id}") {{ episodes {{ shots {{ sceneId start duration line }} }} }} }}"#);
    let shots = data(&s, &q).await["drama"]["episodes"][0]["shots"].clone();
    let ep = &rest.episodes[0];
    let ids: Vec<Value> = ep.scenes.iter().map(|sc| json!(sc.id)).collect();
    let got: Vec<Value> = shots
        .as_array()
        .unwrap()
        .iter()
        .map(|sh| sh["sceneId"].clone())
        .collect();
    assert_eq!(got, ids);
    assert_eq!(shots[0]["start"], json!(0.0));
    let spoken = ep.scenes[0]
        .assets
        .iter()
        .find(|a| a.kind == sfd_core::AssetKind::Audio);
    assert_eq!(shots[0]["line"], json!(spoken.map(|a| a.prompt.trim())));

    // The render plan is REST's dry run.
    let q = format!(r#"{{ renderPlan(dramaId: "{id}", selection: {{ kinds: [IMAGE], episodes: ["ep1"] }}) }}"#);
    let plan = data(&s, &q).await["renderPlan"].clone();
    let request = sfd_core::RenderRequest {
        kinds: Some(vec![sfd_core::AssetKind::Image]),
        episodes: Some(vec!["ep1".into()]),
        ..Default::default()
    };
    let rest_plan = s.client.render_plan(&id, &request).await.unwrap();
    assert_eq!(plan, serde_json::to_value(&rest_plan).unwrap());

    // A drama that is not there is null, as the old server answered.
    assert_eq!(
        data(&s, r#"{ drama(id: "drama_missing1") { id } }"#).await["drama"],
        Value::Null
    );
}

#[tokio::test]
async fn graphql_documented_mutations_start_jobs_that_rest_sees() {
    let s = server().await;
    let id = s.client.import_drama(&v5()).await.unwrap().value.id;

    // "Generate Character Image", as documented, plus the job it started.
    let q = format!(
        r#"mutation {{ generateCharacterImage(dramaId: "{id}", characterId: "char-corgi") {{ id name url job {{ jobId dramaId type status }} }} }}"#
    );
    let got = data(&s, &q).await["generateCharacterImage"].clone();
    assert_eq!(
        (got["id"].as_str(), got["name"].as_str()),
        (Some("char-corgi"), Some("Corgi Musk"))
    );
    let job_id = got["job"]["jobId"].as_str().unwrap().to_string();
    assert_eq!(got["job"]["type"], json!("generate_image"));
    let done = s.client.wait_for_job(&id, &job_id, WAIT).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);

    // The job, by id alone (the old schema's `job(id)`) and by drama, is REST's record.
    let q = format!(r#"{{ job(id: "{job_id}") {{ jobId dramaId type status r2Url completedJobs }} }}"#);
    let got = data(&s, &q).await["job"].clone();
    let rendered = done.result.as_ref().unwrap()["rendered"][0]["url"].clone();
    assert_eq!(
        got,
        json!({"jobId": job_id, "dramaId": id, "type": "generate_image", "status": "completed",
               "r2Url": rendered, "completedJobs": 1})
    );
    let q = format!(r#"{{ jobs(dramaId: "{id}", status: "completed") {{ jobId }} }}"#);
    let rest_jobs: Vec<Value> = s
        .client
        .list_jobs(&id)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.status == JobStatus::Completed)
        .map(|j| json!({"jobId": j.job_id}))
        .collect();
    assert_eq!(data(&s, &q).await["jobs"], Value::Array(rest_jobs));

    // The character now answers REST's data, its portrait with render metadata.
    let rest = s.client.get_drama(&id).await.unwrap().value;
    let q = format!(
        r#"{{ drama(id: "{id}") {{ characters {{ id name description gender voiceDescription main url }} }} }}"#
    );
    let got = data(&s, &q).await["drama"]["characters"][0].clone();
    assert_eq!(got, character_fields(&rest, "char-corgi"));
    let q = format!(
        r#"{{ drama(id: "{id}") {{ characters {{ id assets {{ id url render {{ provider contentType bytes jobId }} }} jobs {{ jobId }} }} }} }}"#
    );
    let corgi = data(&s, &q).await["drama"]["characters"][0].clone();
    let portrait = &rest.character("char-corgi").unwrap().assets[0];
    assert_eq!(corgi["assets"][0]["url"], json!(portrait.url));
    assert_eq!(corgi["assets"][0]["render"]["jobId"], json!(job_id));
    assert_eq!(corgi["jobs"], json!([{"jobId": job_id}]));

    // "Generate Cover Photo", as documented; its job is the drama's newest.
    let q = format!(
        r#"mutation {{ generateCoverPhoto(dramaId: "{id}") {{ id title url characters {{ name url }} job {{ jobId }} }} }}"#
    );
    let got = data(&s, &q).await["generateCoverPhoto"].clone();
    let rest = s.client.get_drama(&id).await.unwrap().value;
    assert_eq!(got["id"], json!(id));
    assert_eq!(got["title"], json!(rest.title));
    // The mutation answers the drama as its job starts; the job may fill a
    // portrait before REST reads it, so a url may only have gone from none
    // to REST's, never differ otherwise.
    let answered = got["characters"].as_array().unwrap();
    assert_eq!(answered.len(), rest.characters.len());
    for (a, c) in answered.iter().zip(&rest.characters) {
        assert_eq!(a["name"], json!(c.name));
        assert!(
            a["url"].is_null() || a["url"] == json!(c.url),
            "{a} against {:?}",
            c.url
        );
    }
    let job_id = got["job"]["jobId"].as_str().unwrap();
    let done = s.client.wait_for_job(&id, job_id, WAIT).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    let cover = s.client.cover_photo(&id).await.unwrap();
    let q = format!(r#"{{ drama(id: "{id}") {{ coverPhoto }} coverPhoto(dramaId: "{id}") }}"#);
    assert_eq!(
        data(&s, &q).await,
        json!({"drama": {"coverPhoto": cover}, "coverPhoto": cover})
    );
}

#[tokio::test]
async fn graphql_errors_carry_the_rest_message() {
    let s = server().await;
    let (status, body) = gql(
        &s,
        None,
        r#"mutation { generateCoverPhoto(dramaId: "drama_missing1") { id } }"#,
    )
    .await;
    assert_eq!(status, 200);
    let rest = reqwest::Client::new()
        .post(s.url("/dramas/drama_missing1/cover_photo"))
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status().as_u16(), 404);
    let rest: Value = rest.json().await.unwrap();
    let e = &body["errors"][0];
    assert_eq!(e["message"], rest["message"], "{body}");
    assert_eq!(e["extensions"], json!({"code": "not_found", "status": 404}));
    assert_eq!(e["path"], json!(["generateCoverPhoto"]));
}

#[tokio::test]
async fn graphql_depth_is_limited() {
    let s = server().await;
    let mut q = "name".to_string();
    for _ in 0..10 {
        q = format!("fields {{ type {{ {q} }} }}");
    }
    let (status, body) = gql(&s, None, &format!("{{ __schema {{ types {{ {q} }} }} }}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"], Value::Null, "{body}");
    let msg = body["errors"][0]["message"].as_str().unwrap();
    assert!(msg.contains("nested too deep"), "{msg}");
}

#[tokio::test]
async fn graphql_needs_the_key_when_keys_are_set() {
    let s = TestServer::with_keys(&["k1"]).await;
    let (status, body) = gql(&s, None, "{ dramaSummaries { id } }").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "unauthorized");
    let (status, body) = gql(&s, Some("wrong"), "{ dramaSummaries { id } }").await;
    assert_eq!((status, &body["error"]), (401, &json!("unauthorized")));
    let (status, body) = gql(&s, Some("k1"), "{ dramaSummaries { id } }").await;
    assert_eq!((status, body), (200, json!({"data": {"dramaSummaries": []}})));
    // The page is open like /docs; what it sends needs the key.
    let page = reqwest::get(s.url("/graphql")).await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text().await.unwrap().contains("GraphiQL.createFetcher"));
}
