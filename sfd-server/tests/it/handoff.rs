//! An episode handed to an editor over HTTP (OTIO, FCPXML, EDL, CapCut),
//! checked against the cut the assembly makes from the same timeline. The
//! parsers of the formats themselves run in `sfd-py/tests/test_handoff.py`.

use sfd_client::{AssembleRequest, ExportFormat, ExportOptions};

use crate::assemble::{assemble, download, drama, probe, python, rendered};
use crate::harness::{Options, TestServer};
use crate::media::{Held, render_with};

async fn server() -> TestServer {
    TestServer::with(Options {
        render: render_with(Held::new(|_| false)),
        ..Default::default()
    })
    .await
}

async fn export(s: &TestServer, id: &str, format: ExportFormat, bundle: bool) -> Vec<u8> {
    let options = ExportOptions {
        episode: Some("ep1".into()),
        bundle,
    };
    let mut out = Vec::new();
    s.client.export_with(id, format, &options, &mut out).await.unwrap();
    out
}

/// `HH:MM:SS:FF` at 30 fps, in frames.
fn frames(tc: &str) -> i64 {
    let p: Vec<i64> = tc.split(':').map(|x| x.parse().unwrap()).collect();
    ((p[0] * 60 + p[1]) * 60 + p[2]) * 30 + p[3]
}

#[tokio::test]
async fn the_edl_has_one_event_per_shot_adding_up_to_the_cut() {
    let s = server().await;
    rendered(&s, "drama_edl1").await;
    let cut = assemble(&s, "drama_edl1", AssembleRequest::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let mp4 = download(&s, &cut.url, dir.path()).await;
    let counted: i64 = probe(&mp4, "stream=nb_frames").lines().next().unwrap().parse().unwrap();

    let edl = String::from_utf8(export(&s, "drama_edl1", ExportFormat::Edl, false).await).unwrap();
    assert!(
        edl.starts_with("TITLE: Rocket Corgi - Liftoff\nFCM: NON-DROP FRAME\n"),
        "{edl}"
    );
    let events: Vec<Vec<&str>> = edl
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(events.len(), 3, "{edl}");
    let mut at = 0;
    for (n, e) in events.iter().enumerate() {
        assert_eq!(e[..4], [format!("{:03}", n + 1).as_str(), "AX", "V", "C"], "{edl}");
        let (src_in, src_out, rec_in, rec_out) = (frames(e[4]), frames(e[5]), frames(e[6]), frames(e[7]));
        assert_eq!(rec_in, at, "record times are contiguous: {edl}");
        assert_eq!(src_out - src_in, rec_out - rec_in, "{edl}");
        at = rec_out;
    }
    assert_eq!(at, cut.frames, "{edl}");
    assert_eq!((cut.rate, cut.frames), (30, counted));
    // Each event names its file by this server's URL.
    let files: Vec<&str> = edl.lines().filter_map(|l| l.strip_prefix("* FROM FILE: ")).collect();
    assert_eq!(files.len(), 3);
    assert!(
        files
            .iter()
            .all(|f| f.starts_with(&format!("{}/media/media/drama_edl1/", s.base))),
        "{files:?}"
    );
}

#[tokio::test]
async fn a_bundle_holds_every_file_it_names_and_nothing_rendered_is_409() {
    let s = server().await;
    let d = rendered(&s, "drama_bun1").await;
    for format in [
        ExportFormat::Otio,
        ExportFormat::Fcpxml,
        ExportFormat::Edl,
        ExportFormat::Capcut,
    ] {
        let zip = export(&s, "drama_bun1", format, true).await;
        let names = python(
            "import io, sys, zipfile; z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read())); assert z.testzip() is None; print('\\n'.join(z.namelist()))",
            &zip,
        );
        let names: Vec<&str> = names.lines().collect();
        // Three clips, three lines and the episode's music, under media/
        // beside the document.
        let media = names.iter().filter(|n| n.starts_with("drama_bun1-ep1/media/")).count();
        assert_eq!(media, 7, "{format}: {names:?}");
        assert!(
            names.iter().any(|n| n.starts_with("drama_bun1-ep1/media/ep1-music-")),
            "{format}: {names:?}"
        );
        let document = match format {
            ExportFormat::Capcut => "drama_bun1-ep1/draft_content.json".to_string(),
            f => format!("drama_bun1-ep1/drama_bun1-ep1.{}", f.extension()),
        };
        assert!(names.contains(&document.as_str()), "{format}: {names:?}");
    }

    // An episode whose clips are not rendered: 409 naming the scenes.
    let mut unrendered = drama("drama_bun2");
    unrendered.episodes[0].scenes[1]
        .assets
        .retain(|a| a.id != "ep1-sc2-vid");
    s.client.import_drama(&unrendered).await.unwrap();
    for format in [
        ExportFormat::Otio,
        ExportFormat::Fcpxml,
        ExportFormat::Edl,
        ExportFormat::Capcut,
    ] {
        let r = reqwest::get(s.url(&format!("/dramas/drama_bun2/export?format={format}&episode=ep1")))
            .await
            .unwrap();
        assert_eq!(r.status(), 409, "{format}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"], "not_rendered", "{body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains("ep1-sc1, ep1-sc2, ep1-sc3"), "{message}");
    }
    // One scene short of its clip still names it.
    let mut d = d;
    d.id = "drama_bun3".into();
    d.episodes[0].scenes[1].assets.retain(|a| a.id != "ep1-sc2-vid");
    s.client.import_drama(&d).await.unwrap();
    let err = s
        .client
        .export("drama_bun3", ExportFormat::Otio, Some("ep1"), &mut Vec::new())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(409), "{err}");
    assert!(err.to_string().contains("scene ep1-sc2:"), "{err}");

    // Bad asks are 400s; the spec lists every format.
    for q in ["format=otio&bundle=tar", "format=avid", "bundle=zip"] {
        let r = reqwest::get(s.url(&format!("/dramas/drama_bun1/export?{q}")))
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{q}");
    }
    let spec: serde_json::Value = reqwest::get(s.url("/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let params = spec["paths"]["/dramas/{id}/export"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let format = params.iter().find(|p| p["name"] == "format").unwrap();
    let names: Vec<&str> = format["schema"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["fountain", "srt", "csv", "zip", "otio", "fcpxml", "edl", "capcut"]
    );
}
