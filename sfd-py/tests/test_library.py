"""The asset library from Python, on Studio and Client: upload, list, get,
file, delete (sync and async), bad input, and a portrait rendered from a
library image."""

import asyncio
import uuid

import pytest

import sfd

PNG = b"\x89PNG\r\n\x1a\na character sheet"


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def test_upload_list_get_file_delete(api, tmp_path):
    project = unique("series")
    up = api.upload_library(project, "image", "character", PNG, filename="Hero.png", metadata={"prompt": "the hero"})
    assert set(up) == {"asset_id", "asset_type", "tag", "r2_key", "public_url", "created_at"}
    assert up["r2_key"] == f"library/10000/{project}/images/{up['asset_id']}.png"
    listed = api.list_library(project)
    assert listed["total"] == 1 and listed["project_name"] == project
    record = listed["assets"][0]
    assert record["prompt"] == "the hero" and record["filename"] == "hero.png"
    assert api.library_asset(project, "image", up["asset_id"]) == record
    assert api.library_file(project, "image", up["asset_id"]) == PNG
    assert api.list_library(project, tag="clip")["assets"] == []

    note = tmp_path / "note.txt"
    note.write_text("EXT. ROOF - NIGHT")
    text = api.upload_library(project, "text", "storyboard", note, user_id="alice")
    assert api.library_file(project, "text", text["asset_id"], user_id="alice") == b"EXT. ROOF - NIGHT"
    assert api.list_library(project)["total"] == 1

    api.delete_library(project, "image", up["asset_id"])
    assert api.list_library(project)["assets"] == []
    with pytest.raises(sfd.NotFoundError):
        api.library_file(project, "image", up["asset_id"])


def test_the_async_twins(api):
    async def flow():
        project = unique("async")
        up = await api.upload_library_async(project, "image", "storyboard", PNG)
        assert (await api.list_library_async(project, asset_type="image"))["total"] == 1
        assert (await api.library_asset_async(project, "image", up["asset_id"]))["tag"] == "storyboard"
        assert await api.library_file_async(project, "image", up["asset_id"]) == PNG
        await api.delete_library_async(project, "image", up["asset_id"])
        assert (await api.list_library_async(project))["total"] == 0

    asyncio.run(flow())


def test_bad_types_tags_and_files_are_refused(api):
    project = unique("bad")
    with pytest.raises((ValueError, sfd.SfdError)):
        api.upload_library(project, "image", "villain", PNG)
    with pytest.raises((ValueError, sfd.SfdError)):
        api.list_library(project, asset_type="sound")
    with pytest.raises(sfd.SfdError, match="image/png"):
        api.upload_library(project, "video", "clip", PNG)
    assert api.list_library(project)["total"] == 0


def test_a_portrait_referencing_a_library_image_renders(api):
    drama_id = unique("cast")
    up = api.upload_library(drama_id, "image", "character", PNG)
    ref = f"library:{up['asset_id']}"
    portrait = {"id": "char-ava-portrait", "kind": "image", "prompt": "Ava, front view", "depends_on": [ref]}
    character = {"id": "char-ava", "name": "Ava", "description": "a detective", "assets": [portrait]}
    api.import_drama({"id": drama_id, "title": "t", "description": "d", "premise": "p", "characters": [character]})
    node = next(n for n in api.render_plan(drama_id)["nodes"] if n["assetId"] == "char-ava-portrait")
    assert node["dependsOn"] == [ref]
    rendered = api.render(drama_id, characters=["char-ava"], progress=False)
    assert rendered["characters"][0]["assets"][0]["url"]
