//! The asset library on every backend: a bucket the old server wrote
//! (`{user}/{project}/{type}s/{asset_id}.{ext}` with `{asset_id}.json`
//! beside it) lists unchanged; uploads round-trip in sfd's layout;
//! `migrate` moves the old assets under `library/`.

use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde_json::{Value, json};
use sfd_core::{Error, LibraryExt, LibraryProject, LibraryTag, LibraryType, LibraryUpload, MigrationAction, Object};

use crate::backends::TestStore;

crate::conformance_tests!(
    an_old_library_lists_unchanged,
    uploads_round_trip_in_sfds_layout,
    migrate_moves_the_old_library,
);

/// The smallest PNG header a sniffer recognises, and some bytes.
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\nnot really pixels";

async fn put_raw(store: &Arc<dyn ObjectStore>, path: &str, body: Vec<u8>) {
    store.put(&Path::from(path), PutPayload::from(body)).await.unwrap();
}

/// Records as the old server's `AssetLibrary.upload_asset` wrote them
/// (its `metadata` merged at the top level), with their files.
pub async fn seed_old_library(store: &Arc<dyn ObjectStore>) -> Vec<Value> {
    let base = "https://pub.example.r2.dev";
    let records = vec![
        json!({"asset_id": "0b6e4c1e-1111-4a8e-9a43-2a4c2b7f0001", "user_id": "10000", "project_name": "detective_drama",
               "asset_type": "image", "tag": "character", "filename": "hero.png",
               "created_at": "2025-11-02T10:00:00.123456Z", "updated_at": "2025-11-02T10:00:00.123456Z",
               "file_size": PNG.len(), "r2_key": "10000/detective_drama/images/0b6e4c1e-1111-4a8e-9a43-2a4c2b7f0001.png",
               "public_url": format!("{base}/10000/detective_drama/images/0b6e4c1e-1111-4a8e-9a43-2a4c2b7f0001.png"),
               "content_type": "image/png", "prompt": "Detective character", "seed": 7}),
        json!({"asset_id": "0b6e4c1e-2222-4a8e-9a43-2a4c2b7f0002", "user_id": "10000", "project_name": "detective_drama",
               "asset_type": "image", "tag": "storyboard", "filename": "board.jpeg",
               "created_at": "2025-11-03T10:00:00.000001Z", "updated_at": "2025-11-03T10:00:00.000001Z",
               "file_size": 4, "r2_key": "10000/detective_drama/images/0b6e4c1e-2222-4a8e-9a43-2a4c2b7f0002.jpeg",
               "public_url": format!("{base}/10000/detective_drama/images/0b6e4c1e-2222-4a8e-9a43-2a4c2b7f0002.jpeg"),
               "content_type": "image/jpeg"}),
        json!({"asset_id": "0b6e4c1e-3333-4a8e-9a43-2a4c2b7f0003", "user_id": "10000", "project_name": "detective_drama",
               "asset_type": "text", "tag": "clip", "filename": "notes.txt",
               "created_at": "2025-11-04T10:00:00.000000Z", "updated_at": "2025-11-04T10:00:00.000000Z",
               "file_size": 5, "r2_key": "10000/detective_drama/texts/0b6e4c1e-3333-4a8e-9a43-2a4c2b7f0003.txt",
               "public_url": format!("{base}/10000/detective_drama/texts/0b6e4c1e-3333-4a8e-9a43-2a4c2b7f0003.txt"),
               "content_type": "text/plain"}),
    ];
    let files: [&[u8]; 3] = [PNG, b"\xff\xd8\xff\xe0", b"notes"];
    for (rec, file) in records.iter().zip(files) {
        let key = rec["r2_key"].as_str().unwrap();
        put_raw(store, key, file.to_vec()).await;
        let json_key = format!("{}.json", key.rsplit_once('.').unwrap().0);
        put_raw(store, &json_key, serde_json::to_vec_pretty(rec).unwrap()).await;
    }
    // The old server's project record and another project: neither is listed.
    put_raw(store, "10000/detective_drama/meta/project.json", b"{}".to_vec()).await;
    put_raw(store, "10000/other/images/x.json", b"{\"asset_id\": \"x\"}".to_vec()).await;
    records
}

fn project() -> LibraryProject {
    LibraryProject::new("10000", "Detective Drama").unwrap()
}

async fn an_old_library_lists_unchanged(s: TestStore) {
    let seeded = seed_old_library(s.objects.object_store()).await;
    let listed = s.storage.list_library(&project(), None, None).await.unwrap();
    let listed: Vec<Value> = listed.iter().map(|a| serde_json::to_value(a).unwrap()).collect();
    assert_eq!(listed, seeded);
    let characters = s
        .storage
        .list_library(&project(), Some(LibraryType::Image), Some(LibraryTag::Character))
        .await
        .unwrap();
    assert_eq!(characters.len(), 1);
    let id = &characters[0].asset_id;
    let (rec, bytes) = s
        .storage
        .read_library(&project(), LibraryType::Image, id)
        .await
        .unwrap();
    assert_eq!(
        (rec.extra["prompt"].as_str(), bytes.as_ref()),
        (Some("Detective character"), PNG)
    );
    let (media_type, _) = s.storage.library_reference(&project(), id).await.unwrap();
    assert_eq!(media_type, sfd_core::MediaType::Png);
    // A text is no reference; a video asks for the right folder.
    let text = "0b6e4c1e-3333-4a8e-9a43-2a4c2b7f0003";
    assert!(s.storage.library_reference(&project(), text).await.is_err());
    let missing = s.storage.read_library(&project(), LibraryType::Video, id).await;
    assert!(matches!(missing, Err(Error::NotFound { .. })), "{missing:?}");
    // Deleting an old asset removes its file and record where they are.
    s.storage
        .delete_library(&project(), LibraryType::Text, text)
        .await
        .unwrap();
    assert_eq!(s.storage.list_library(&project(), None, None).await.unwrap().len(), 2);
    let gone = s
        .objects
        .object_store()
        .head(&Path::from(
            "10000/detective_drama/texts/0b6e4c1e-3333-4a8e-9a43-2a4c2b7f0003.txt",
        ))
        .await;
    assert!(matches!(gone, Err(object_store::Error::NotFound { .. })), "{gone:?}");
}

fn upload(asset_type: LibraryType, tag: LibraryTag, bytes: &'static [u8]) -> LibraryUpload {
    let mut metadata = Object::new();
    metadata.insert("prompt".into(), json!("a corgi in a suit"));
    metadata.insert("r2_key".into(), json!("../../etc/passwd"));
    LibraryUpload {
        asset_type,
        tag,
        filename: Some("Corgi Sheet.PNG".into()),
        bytes: Bytes::from_static(bytes),
        metadata,
    }
}

async fn uploads_round_trip_in_sfds_layout(s: TestStore) {
    let p = project();
    let rec = s
        .storage
        .upload_library(&p, upload(LibraryType::Image, LibraryTag::Character, PNG), None)
        .await
        .unwrap();
    let id = rec.asset_id.clone();
    assert_eq!(rec.r2_key, format!("library/10000/detective_drama/images/{id}.png"));
    assert_eq!(rec.filename.as_deref(), Some("corgi_sheet.png"));
    assert_eq!(rec.extra["prompt"], "a corgi in a suit");
    assert_eq!(
        rec.public_url.as_deref(),
        Some(format!("/asset-library/{id}?user_id=10000&project_name=detective_drama&asset_type=image").as_str())
    );
    let listed = s.storage.list_library(&p, None, None).await.unwrap();
    assert_eq!(listed, vec![rec.clone()]);
    let (got, bytes) = s.storage.read_library(&p, LibraryType::Image, &id).await.unwrap();
    assert_eq!((got, bytes.as_ref()), (rec, PNG));
    // The type is sniffed: a PNG is no video, and nothing is written.
    let wrong = s
        .storage
        .upload_library(&p, upload(LibraryType::Video, LibraryTag::Clip, PNG), None)
        .await;
    assert!(matches!(wrong, Err(Error::UnsupportedMediaType(_))), "{wrong:?}");
    s.storage.delete_library(&p, LibraryType::Image, &id).await.unwrap();
    assert!(s.storage.list_library(&p, None, None).await.unwrap().is_empty());
    let again = s.storage.delete_library(&p, LibraryType::Image, &id).await;
    assert!(matches!(again, Err(Error::NotFound { .. })), "{again:?}");
    let left: Vec<_> = futures::TryStreamExt::try_collect::<Vec<_>>(s.objects.object_store().list(None))
        .await
        .unwrap();
    assert!(
        left.iter().all(|m| !m.location.as_ref().starts_with("library/")),
        "{left:?}"
    );
}

async fn migrate_moves_the_old_library(s: TestStore) {
    let seeded = seed_old_library(s.objects.object_store()).await;
    let report = s.objects.migrate(true).await.unwrap();
    let moves = |r: &[sfd_core::Migration]| r.iter().filter(|m| m.action == MigrationAction::Move).count();
    assert_eq!(moves(&report), 6, "{report:?}");
    // A dry run changes nothing.
    assert_eq!(s.storage.list_library(&project(), None, None).await.unwrap().len(), 3);
    let report = s.objects.migrate(false).await.unwrap();
    assert_eq!(moves(&report), 6, "{report:?}");
    let listed = s.storage.list_library(&project(), None, None).await.unwrap();
    assert_eq!(listed.len(), 3);
    for (rec, old) in listed.iter().zip(&seeded) {
        let old_key = old["r2_key"].as_str().unwrap();
        assert_eq!(rec.r2_key, format!("library/{old_key}"));
        assert_eq!(
            rec.public_url.as_deref(),
            Some(format!("https://pub.example.r2.dev/library/{old_key}").as_str())
        );
        assert_eq!(
            rec.extra,
            serde_json::from_value::<sfd_core::LibraryAsset>(old.clone())
                .unwrap()
                .extra
        );
        let gone = s.objects.object_store().head(&Path::from(old_key)).await;
        assert!(matches!(gone, Err(object_store::Error::NotFound { .. })), "{gone:?}");
    }
    let (_, bytes) = s
        .storage
        .read_library(&project(), LibraryType::Image, &listed[0].asset_id)
        .await
        .unwrap();
    assert_eq!(bytes.as_ref(), PNG);
    // Again: nothing left to move.
    assert_eq!(moves(&s.objects.migrate(false).await.unwrap()), 0);
}
