"""Characters that stay the same, from Python on Studio and Client (issue
29): best-of-N candidates and picking another, the casting sheet, and a
reference image for the main character (simulated renderer and judge)."""

import asyncio
import struct
import uuid
import zlib

import pytest

import sfd


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def png(rgb=(200, 40, 90), side: int = 8) -> bytes:
    """A real PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * side for _ in range(side))
    head = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def scene_images(drama):
    for ep in drama["episodes"]:
        for sc in ep["scenes"]:
            for a in sc["assets"]:
                if a["kind"] == "image":
                    yield ep, sc, a


def lead(drama):
    return next((c for c in drama["characters"] if c.get("main")), drama["characters"][0])


def test_best_of_three_scores_each_scene_image_and_keeps_the_best(api):
    drama = api.generate("a corgi opens a bakery, 1 episode", id=unique("best"), episodes=1, scenes_per_episode=2)
    plan = api.render_plan(drama["id"], kinds=["image"], candidates=3)
    images = [n for n in plan["nodes"] if n["kind"] == "image"]
    assert images and all(n["candidates"]["count"] == 3 for n in images)

    rendered = api.render(drama["id"], kinds=["image"], candidates=3, progress=False)
    shots = list(scene_images(rendered))
    assert shots
    for _, _, image in shots:
        made = sfd.candidates(image)
        # A round of 3; a second round only when none reached the threshold.
        assert len(made) in (3, 6), image["id"]
        assert len({c["key"] for c in made}) == len(made)
        assert all(0.0 <= c["score"] <= 1.0 and c["reason"] and c["url"] for c in made)
        kept = [c for c in made if c["kept"]]
        assert len(kept) == 1 and kept[0]["url"] == image["url"]
        assert kept[0]["score"] == max(c["score"] for c in made)
    with pytest.raises(sfd.ValidationError, match="candidates"):
        api.render_plan(drama["id"], candidates=9)


def test_choosing_another_candidate_replaces_the_image_and_makes_its_video_stale(api):
    drama = api.generate("a heist at sea, 1 episode", id=unique("choose"), episodes=1, scenes_per_episode=1)
    api.render(drama["id"], candidates=3, progress=False)
    ep, sc, image = next(scene_images(api.get_drama(drama["id"])))
    made = sfd.candidates(image)
    other = next(c for c in made if not c["kept"])
    was = next(c for c in made if c["kept"])
    assert {n["action"] for n in api.render_plan(drama["id"])["nodes"]} == {"skip"}

    asset = api.choose_candidate(drama["id"], image["id"], other["key"], episode_id=ep["id"], scene_id=sc["id"])
    assert asset["id"] == image["id"] and asset["url"] == other["url"]
    assert [c["key"] for c in sfd.candidates(asset) if c["kept"]] == [other["key"]]
    latest = api.get_drama(drama["id"])
    _, _, now = next(scene_images(latest))
    assert now["url"] == other["url"]
    assert api.download(now["url"]) == api.download(other["url"])
    stale = {n["assetId"] for n in api.render_plan(drama["id"])["nodes"] if n["action"] == "stale"}
    videos = {a["id"] for a in latest["episodes"][0]["scenes"][0]["assets"] if a["kind"] == "video"}
    assert videos and videos <= stale and image["id"] not in stale

    # Back to the judge's pick, by URL, with the async form.
    back = asyncio.run(
        api.choose_candidate_async(drama["id"], image["id"], was["url"], episode_id=ep["id"], scene_id=sc["id"])
    )
    assert back["url"] == was["url"]

    with pytest.raises(sfd.ValidationError, match="not a candidate"):
        api.choose_candidate(drama["id"], image["id"], "media/nope.png", episode_id=ep["id"], scene_id=sc["id"])
    video = next(iter(videos))
    with pytest.raises(sfd.ValidationError, match="no candidates"):
        api.choose_candidate(drama["id"], video, other["key"], episode_id=ep["id"], scene_id=sc["id"])
    with pytest.raises(sfd.NotFoundError):
        api.choose_candidate(drama["id"], "no-such-asset", other["key"], episode_id=ep["id"], scene_id=sc["id"])


def test_the_casting_sheet_is_listed_with_its_files(api):
    drama = api.generate("a corgi learns to surf, 1 episode", id=unique("sheet"), episodes=1, scenes_per_episode=1)
    cid = lead(drama)["id"]
    sheet = {"views": ["full-body", "profile"], "variants": {"wetsuit": "in a <yellow> wetsuit"}}
    api.update_character(drama["id"], cid, {"metadata": {"sheet": sheet}})
    rendered = api.render(drama["id"], characters=[cid], progress=False)

    entries = sfd.sheet(rendered, cid)
    assert [(e["role"], e["name"], e["id"]) for e in entries] == [
        ("portrait", None, f"{cid}-portrait"),
        ("view", "full-body", f"{cid}-view-full-body"),
        ("view", "profile", f"{cid}-view-profile"),
        ("variant", "wetsuit", f"{cid}-variant-wetsuit"),
    ]
    assert all(e["url"] and e["prompt"] and e["candidates"] == [] for e in entries)
    assert all(api.download(e["url"]).startswith(b"\x89PNG") for e in entries)
    assert "wetsuit" in entries[3]["prompt"]
    with pytest.raises(KeyError):
        sfd.sheet(rendered, "char-nobody")


def test_generate_with_a_reference_image_makes_it_the_leads_portrait(api, tmp_path):
    picture = png()
    drama = api.generate("a corgi becomes a tycoon, 1 episode", id=unique("ref"), scenes_per_episode=1,
                         reference_image=picture)
    portrait = sfd.sheet(drama, lead(drama)["id"])[0]
    assert portrait["role"] == "portrait" and portrait["url"]
    assert api.download(portrait["url"]) == picture
    plan = api.render_plan(drama["id"])
    assert {n["action"] for n in plan["nodes"] if n["assetId"] == portrait["id"]} <= {"skip"}

    path = tmp_path / "me.png"
    path.write_bytes(png((10, 200, 30)))
    again = asyncio.run(api.generate_async("a rooftop romance, 1 episode", id=unique("refpath"),
                                           scenes_per_episode=1, reference_image=path))
    assert api.download(sfd.sheet(again, lead(again)["id"])[0]["url"]) == path.read_bytes()

    with pytest.raises(sfd.SfdError, match="PNG, JPEG or WebP"):
        api.start_generation("a corgi, 1 episode", id=unique("refbad"), reference_image=b"GIF89a not allowed")
    with pytest.raises(ValueError, match="cannot read"):
        api.start_generation("a corgi, 1 episode", reference_image=tmp_path / "missing.png")


def test_the_storyboard_shows_candidates_and_the_sheet(api):
    drama = api.generate("a corgi runs for mayor, 1 episode", id=unique("board"), scenes_per_episode=1)
    cid = lead(drama)["id"]
    api.update_character(drama["id"], cid, {"metadata": {"sheet": {"views": ["back"]}}})
    rendered = api.render(drama["id"], kinds=["image"], candidates=2, progress=False)
    html = sfd.storyboard(rendered, api)._repr_html_()
    assert 'class="sfd-sheet"' in html and "<b>view: back</b>" in html and "<b>portrait</b>" in html
    _, _, image = next(scene_images(rendered))
    for c in sfd.candidates(image):
        assert f'data-key="{c["key"]}"' in html and f"score {c['score']:.3f}" in html
    assert html.count('class="sfd-kept"') == sum(
        1 for a in _images(rendered) for c in sfd.candidates(a) if c["kept"]
    )


def _images(drama):
    for c in drama["characters"]:
        yield from (a for a in c.get("assets") or [] if a["kind"] == "image")
    yield from (a for a in drama.get("assets") or [] if a["kind"] == "image")
    yield from (a for _, _, a in scene_images(drama))
