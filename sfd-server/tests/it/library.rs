//! The asset library over HTTP (`/asset-library/…`, the old server's later
//! routes): a bucket the old server wrote lists unchanged, on a local
//! folder and on SeaweedFS; uploads round-trip through the client; bad
//! input answers `{error, message}`; a portrait that references a library
//! image receives its bytes.

use std::sync::Arc;
use std::time::Duration;

use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};
use serde_json::{Value, json};
use sfd_client::{AssetKind, JobStatus, LibraryTag, LibraryType, RenderRequest};
use sfd_core::{Asset, Character, Drama, ObjectStorage, SimulatedRenderer, StorageBuilder};

use crate::harness::{Options, TestServer};
use crate::media::render_with;
use crate::replica::shared_bucket;

const WAIT: Duration = Duration::from_secs(60);
const PNG: &[u8] = b"\x89PNG\r\n\x1a\na character sheet";

/// Two records and files as the old server's `AssetLibrary` wrote them.
fn old_records() -> Vec<Value> {
    let rec = |id: &str, t: &str, folder: &str, ext: &str, tag: &str| {
        let key = format!("10000/detective_drama/{folder}/{id}.{ext}");
        json!({"asset_id": id, "user_id": "10000", "project_name": "detective_drama", "asset_type": t, "tag": tag,
               "filename": format!("file.{ext}"), "created_at": "2025-11-02T10:00:00.123456Z",
               "updated_at": "2025-11-02T10:00:00.123456Z", "file_size": 17, "r2_key": key,
               "public_url": format!("https://pub.example.r2.dev/{key}"), "content_type": "image/png",
               "prompt": "Detective character"})
    };
    vec![
        rec(
            "9d1f0000-0000-4000-8000-000000000001",
            "image",
            "images",
            "png",
            "character",
        ),
        rec("9d1f0000-0000-4000-8000-000000000002", "video", "videos", "mp4", "clip"),
    ]
}

async fn lists_an_old_library_unchanged(storage: ObjectStorage) {
    let raw = Arc::clone(storage.object_store());
    let records = old_records();
    for rec in &records {
        let key = rec["r2_key"].as_str().unwrap();
        raw.put(&Path::from(key), PutPayload::from(PNG.to_vec())).await.unwrap();
        let meta = format!("{}.json", key.rsplit_once('.').unwrap().0);
        let body = serde_json::to_vec_pretty(rec).unwrap();
        raw.put(&Path::from(meta), PutPayload::from(body)).await.unwrap();
    }
    let s = TestServer::with(Options {
        storage: Some(Arc::new(storage)),
        ..Default::default()
    })
    .await;
    let http = reqwest::Client::new();
    let listed: Value = http
        .get(s.url("/asset-library/list?user_id=10000&project_name=detective_drama"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed,
        json!({"assets": records, "total": 2, "user_id": "10000", "project_name": "detective_drama"})
    );
    // The same through the client, filtered, and the file as stored.
    let lib = s.client.library("detective_drama");
    let clips = lib.list(None, Some(LibraryTag::Clip)).await.unwrap();
    assert_eq!(clips.assets.len(), 1);
    let id = "9d1f0000-0000-4000-8000-000000000001";
    assert_eq!(lib.file(LibraryType::Image, id).await.unwrap().as_ref(), PNG);
    assert_eq!(
        serde_json::to_value(lib.get(LibraryType::Image, id).await.unwrap()).unwrap(),
        records[0]
    );
    s.stop().await;
}

#[tokio::test]
async fn an_old_library_on_a_local_folder_lists_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    lists_an_old_library_unchanged(StorageBuilder::local(dir.path()).build().unwrap()).await;
}

#[tokio::test]
async fn an_old_library_on_seaweedfs_lists_unchanged() {
    let Some(url) = shared_bucket() else { return };
    lists_an_old_library_unchanged(StorageBuilder::from_url(&url).unwrap().build().unwrap()).await;
}

#[tokio::test]
async fn upload_list_get_delete_round_trip() {
    let s = TestServer::start().await;
    let lib = s.client.library("Series One");
    let mut meta = sfd_core::Object::new();
    meta.insert("prompt".into(), json!("the hero, front view"));
    let up = lib
        .upload(
            LibraryType::Image,
            LibraryTag::Character,
            "Hero Sheet.png",
            PNG,
            Some(&meta),
        )
        .await
        .unwrap();
    assert_eq!(
        up.r2_key,
        format!("library/10000/series_one/images/{}.png", up.asset_id)
    );
    let listed = lib.list(Some(LibraryType::Image), None).await.unwrap();
    assert_eq!((listed.total, listed.project_name.as_str()), (1, "Series One"));
    let rec = &listed.assets[0];
    assert_eq!(
        (rec.asset_id.as_str(), rec.tag),
        (up.asset_id.as_str(), LibraryTag::Character)
    );
    assert_eq!(rec.extra["prompt"], "the hero, front view");
    assert_eq!(lib.get(LibraryType::Image, &up.asset_id).await.unwrap(), *rec);
    // The file, by its public_url (this server's route, with the key).
    let got = reqwest::get(s.url(&up.public_url)).await.unwrap();
    assert_eq!(got.headers()["content-type"], "image/png");
    assert_eq!(got.bytes().await.unwrap().as_ref(), PNG);
    lib.delete(LibraryType::Image, &up.asset_id).await.unwrap();
    assert_eq!(lib.list(None, None).await.unwrap().total, 0);
    let gone = lib.file(LibraryType::Image, &up.asset_id).await.unwrap_err();
    assert_eq!(gone.status(), Some(404));
    // Text too.
    let note = lib
        .upload(
            LibraryType::Text,
            LibraryTag::Storyboard,
            "n.txt",
            &b"EXT. ROOF - NIGHT"[..],
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        lib.file(LibraryType::Text, &note.asset_id).await.unwrap().as_ref(),
        b"EXT. ROOF - NIGHT"
    );
}

/// The status and JSON body of a raw request.
async fn raw(rb: reqwest::RequestBuilder) -> (u16, Value) {
    let r = rb.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn form(asset_type: &str, tag: &str, file: &'static [u8]) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(file).file_name("f.png"))
        .text("project_name", "p1")
        .text("asset_type", asset_type.to_string())
        .text("tag", tag.to_string())
}

#[tokio::test]
async fn bad_types_tags_projects_and_files_are_4xx_with_error_bodies() {
    let s = TestServer::with_keys(&["k1"]).await;
    let http = reqwest::Client::new();
    let with_key = |rb: reqwest::RequestBuilder| rb.header("x-api-key", "k1");
    let cases = [
        (
            with_key(http.get(s.url("/asset-library/list?project_name=p1&tag=hero"))),
            400,
            "Invalid tag 'hero'",
        ),
        (
            with_key(http.get(s.url("/asset-library/list?project_name=p1&asset_type=audio"))),
            400,
            "Invalid asset_type",
        ),
        (
            with_key(http.get(s.url("/asset-library/list?user_id=10000"))),
            400,
            "project_name is required",
        ),
        (
            with_key(http.get(s.url("/asset-library/a1?project_name=p1"))),
            400,
            "project_name and asset_type",
        ),
        (
            with_key(http.delete(s.url("/asset-library/a1?asset_type=image"))),
            400,
            "project_name and asset_type",
        ),
        (
            with_key(http.get(s.url("/asset-library/a1?project_name=p1&asset_type=image"))),
            404,
            "not found",
        ),
        (
            with_key(
                http.post(s.url("/asset-library/upload"))
                    .multipart(form("image", "villain", PNG)),
            ),
            400,
            "Invalid tag",
        ),
        (
            with_key(
                http.post(s.url("/asset-library/upload"))
                    .multipart(form("sound", "clip", PNG)),
            ),
            400,
            "Invalid asset_type",
        ),
        // Sniffed: a PNG declared as a video, or text that is not text.
        (
            with_key(
                http.post(s.url("/asset-library/upload"))
                    .multipart(form("video", "clip", PNG)),
            ),
            415,
            "image/png",
        ),
        (
            with_key(http.post(s.url("/asset-library/upload")).json(&json!({}))),
            415,
            "multipart",
        ),
        (http.get(s.url("/asset-library/list?project_name=p1")), 401, "X-API-Key"),
        (
            http.post(s.url("/asset-library/upload"))
                .multipart(form("image", "clip", PNG)),
            401,
            "X-API-Key",
        ),
    ];
    for (rb, status, says) in cases {
        let (got, body) = raw(rb).await;
        assert_eq!(got, status, "{body}");
        let message = body["message"].as_str().unwrap();
        assert!(body["error"].is_string() && message.contains(says), "{body}");
    }
}

#[tokio::test]
async fn uploads_past_the_media_limit_are_413() {
    let s = TestServer::with(Options {
        media_limit: 8,
        ..Default::default()
    })
    .await;
    let rb = reqwest::Client::new()
        .post(s.url("/asset-library/upload"))
        .multipart(form("image", "clip", PNG));
    let (status, body) = raw(rb).await;
    assert_eq!(status, 413, "{body}");
    assert!(s.client.library("p1").list(None, None).await.unwrap().assets.is_empty());
}

#[tokio::test]
async fn a_portrait_that_references_a_library_image_receives_its_bytes() {
    let renderer = Arc::new(SimulatedRenderer::new().with_image_size(64));
    let s = TestServer::with(Options {
        render: render_with(Arc::clone(&renderer) as Arc<dyn sfd_core::Renderer>),
        ..Default::default()
    })
    .await;
    // By default a drama's references name user 10000's project named after the drama.
    let up = s
        .client
        .library("drama_withlibrary1")
        .upload(LibraryType::Image, LibraryTag::Character, "ava.png", PNG, None)
        .await
        .unwrap();
    let reference = format!("library:{}", up.asset_id);
    let mut drama = Drama::new("drama_withlibrary1", "Library", "A drama cast from the library", "ava");
    let mut ava = Character::new("char-ava", "Ava", "a detective in a trench coat");
    let mut portrait = Asset::new("char-ava-portrait", AssetKind::Image, "Ava, front view");
    portrait.depends_on = vec![reference.clone()];
    ava.assets.push(portrait);
    drama.characters.push(ava);
    s.client.import_drama(&drama).await.unwrap();

    let plan = s.client.render_plan(&drama.id, &RenderRequest::all()).await.unwrap();
    assert_eq!(
        plan.node("char-ava-portrait").unwrap().depends_on,
        std::slice::from_ref(&reference)
    );

    let job = s.client.generate_portrait(&drama.id, "char-ava").await.unwrap();
    let done = s.client.wait_for_job(&drama.id, &job.job_id, WAIT).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{done:?}");
    let calls = renderer.calls();
    let call = calls.iter().find(|c| c.label == "char-ava-portrait").unwrap();
    assert_eq!(call.references, [reference]);
    assert_eq!(call.reference_hashes, [sfd_core::sha256_hex(PNG)]);
    // A reference to nothing fails that asset, naming it.
    let mut broken = drama.clone();
    broken.id = "drama_withlibrary2".into();
    broken.characters[0].assets[0].depends_on = vec!["library:no-such-asset".into()];
    s.client.import_drama(&broken).await.unwrap();
    let job = s.client.generate_portrait(&broken.id, "char-ava").await.unwrap();
    let done = s.client.wait_for_job(&broken.id, &job.job_id, WAIT).await.unwrap();
    assert_eq!(done.status, JobStatus::Failed, "{done:?}");
    assert!(done.error.unwrap_or_default().contains("no-such-asset"));
}
