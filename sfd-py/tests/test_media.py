"""Producing a drama from Python on Studio and Client: plan, render,
download, upload, storyboard, cut and export (simulated renderer)."""

import asyncio
import csv
import io
import shutil
import uuid
import zipfile

import pytest

import sfd

SIGNATURES = {"image": b"\x89PNG", "video": b"ftyp", "audio": b"RIFF"}


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def every_asset(drama):
    yield from drama.get("assets") or []
    for c in drama["characters"]:
        yield from c.get("assets") or []
    for ep in drama["episodes"]:
        yield from ep.get("assets") or []
        for sc in ep["scenes"]:
            yield from sc["assets"]


def looks_like(kind: str, data: bytes) -> bool:
    head = data[:12]
    return SIGNATURES[kind] in head


def test_plan_render_download_and_storyboard(api):
    drama = api.generate("a corgi opens a bakery, 1 episode", id=unique("render"), scenes_per_episode=2)
    plan = api.render_plan(drama["id"])
    assert plan["nodes"] and {n["action"] for n in plan["nodes"]} == {"render"}
    assert plan["estimatedCostUsd"] >= 0

    seen = []
    rendered = api.render(drama["id"], progress=seen.append)
    assert seen and all(set(p) == {"stage", "done", "total"} for p in seen)
    assets = list(every_asset(rendered))
    assert assets and all(a.get("url") for a in assets)
    for a in assets:
        assert looks_like(a["kind"], api.download(a["url"])), a["id"]
    again = api.render_plan(drama["id"])
    assert {n["action"] for n in again["nodes"]} == {"skip"}

    ep, sc = rendered["episodes"][0], rendered["episodes"][0]["scenes"][0]
    image = next(a for a in sc["assets"] if a["kind"] == "image")
    api.update_asset(
        drama["id"], image["id"], {"prompt": "<script>alert(1)</script> a new angle"},
        episode_id=ep["id"], scene_id=sc["id"],
    )
    latest = api.get_drama(drama["id"])
    stale = {n["assetId"] for n in api.render_plan(drama["id"])["nodes"] if n["action"] == "stale"}
    assert image["id"] in stale
    html = sfd.storyboard(latest, api)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    for tag in ("<img ", "<video ", "<audio "):
        assert tag in html
    assert 'data-state="stale"' in html
    if isinstance(api, sfd.Client):
        assert f'src="{api.base_url}/media/' in html
    else:
        assert 'src="data:image/png;base64,' in html


def test_storyboard_marks_missing_without_a_source():
    drama = {
        "id": "d", "title": "T", "description": "", "premise": "", "characters": [],
        "episodes": [{"id": "ep1", "title": "E", "description": "", "scenes": [
            {"id": "s1", "description": "x", "assets": [{"id": "s1-img", "kind": "image", "prompt": "p"}]},
        ]}],
    }
    html = sfd.storyboard(drama)._repr_html_()
    assert 'data-state="missing"' in html and "<img" not in html


def test_upload_bytes_and_files_then_download_to_a_path(api, tmp_path):
    drama = api.generate("a rooftop romance, 1 episode", id=unique("upload"), scenes_per_episode=1)
    rendered = api.render(drama["id"], kinds=["image"], progress=False)
    png = api.download(next(a for a in every_asset(rendered) if a.get("url"))["url"])
    ep, sc = drama["episodes"][0], drama["episodes"][0]["scenes"][0]
    image = next(a for a in sc["assets"] if a["kind"] == "image")
    asset = api.upload(drama["id"], image["id"], png, episode_id=ep["id"], scene_id=sc["id"])
    assert asset["url"] and asset["metadata"]["render"]["provider"] == "upload"
    assert api.download(asset["url"]) == png

    source = tmp_path / "mine.png"
    source.write_bytes(png)
    asset = api.upload(drama["id"], image["id"], source, episode_id=ep["id"], scene_id=sc["id"])
    target = tmp_path / "back.png"
    assert api.download(asset["url"], target) == len(png)
    assert target.read_bytes() == png

    with pytest.raises(ValueError, match="content_type"):
        api.upload(drama["id"], image["id"], b"not a known file", episode_id=ep["id"], scene_id=sc["id"])
    with pytest.raises(sfd.SfdError):
        api.upload(drama["id"], image["id"], png, content_type="audio/wav", episode_id=ep["id"], scene_id=sc["id"])


def test_async_render_and_download(api):
    async def main():
        drama = await api.generate_async("a heist at sea, 1 episode", id=unique("arender"), scenes_per_episode=1)
        plan = await api.render_plan_async(drama["id"])
        rendered = await api.render_async(drama["id"], progress=False)
        first = next(a for a in every_asset(rendered) if a["kind"] == "image")
        return plan, rendered, await api.download_async(first["url"])

    plan, rendered, data = asyncio.run(main())
    assert len(plan["nodes"]) == len(list(every_asset(rendered)))
    assert data.startswith(b"\x89PNG")


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="the cut needs ffmpeg")
def test_cut_and_exports(api, tmp_path):
    from screenplain.parsers import fountain

    drama = api.generate("a corgi runs for mayor, 1 episode", id=unique("cut"), scenes_per_episode=2)
    api.render(drama["id"], progress=False)
    ep = drama["episodes"][0]
    cut = api.assemble(drama["id"], ep["id"], progress=False)
    assert cut["episodeId"] == ep["id"] and cut["duration"] > 0 and cut["stills"] == []
    assert api.download(cut["url"])[4:8] == b"ftyp"

    script = api.export(drama["id"], "fountain").decode()
    play = fountain.parse(io.StringIO(script))
    assert play.title_page["Title"] == [drama["title"]]
    assert len(play.title_page["Draft date"][0]) == len("2026-12-07")
    kinds = [type(p).__name__ for p in play.paragraphs]
    assert kinds.count("Slug") == len(ep["scenes"])
    lines = [a for s in ep["scenes"] for a in s["assets"] if a["kind"] == "audio"]
    assert kinds.count("Dialog") == len(lines) > 0
    slugs = [str(p.line) for p in play.paragraphs if type(p).__name__ == "Slug"]
    assert all(s.startswith(("INT. ", "EXT. ", "INT./EXT. ")) for s in slugs), slugs

    rows = list(csv.reader(io.StringIO(api.export(drama["id"], "csv").decode(), newline="")))
    assert rows[0] == ["episode", "scene", "asset", "kind", "prompt", "duration", "url",
                       "heading", "framing", "camera", "speaker", "delivery"]
    assert len(rows) > len(ep["scenes"])

    srt = api.export(drama["id"], "srt", episode_id=ep["id"]).decode()
    assert "-->" in srt

    path = tmp_path / "drama.zip"
    assert api.export(drama["id"], "zip", path=path) == path.stat().st_size
    names = zipfile.ZipFile(path).namelist()
    assert f"{drama['id']}/drama.json" in names
    assert any(n.endswith(".mp4") for n in names)


def test_long_calls_show_a_tqdm_bar_by_default(capsys):
    pytest.importorskip("tqdm")
    studio = sfd.Studio(storage="memory://", llm="simulated", render="simulated")
    drama = studio.generate("a corgi learns to surf, 1 episode", scenes_per_episode=1)
    studio.render(drama["id"])
    err = capsys.readouterr().err
    assert "|" in err and "step" in err


def test_a_failed_download_to_a_path_leaves_no_file(api, tmp_path):
    target = tmp_path / "nothing.png"
    with pytest.raises((sfd.SfdError, ValueError)):
        api.download("/media/media/nope/ep1-sc1-img-" + "0" * 64 + ".png", target)
    assert not target.exists()


def test_a_failed_download_to_a_path_keeps_the_file_already_there(api, tmp_path):
    target = tmp_path / "mine.png"
    target.write_bytes(b"my own file")
    with pytest.raises((sfd.SfdError, ValueError)):
        api.download("/media/media/nope/ep1-sc1-img-" + "0" * 64 + ".png", target)
    assert target.read_bytes() == b"my own file"
    assert [p.name for p in tmp_path.iterdir()] == ["mine.png"]
