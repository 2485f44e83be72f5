"""An episode handed to an editor, on Studio and Client: OpenTimelineIO read
by PyPI `opentimelineio`, the CMX 3600 EDL by its `otio-cmx3600-adapter`, the
CapCut/Jianying draft by PyPI `pyJianYingDraft`, and FCPXML validated by
PyPI `lxml` against sfd's FCPXML 1.10 DTD (tests/data/fcpxml-1.10.dtd); each
compared with the cut the assembly made from the same timeline (simulated
renderer, real ffmpeg)."""

import asyncio
import io
import json
import pathlib
import re
import shutil
import subprocess
import uuid
import zipfile
from fractions import Fraction

import pytest
from lxml import etree

import sfd

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="the cut needs ffmpeg")

RATE = 30


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module", params=["studio", "client"])
def cut(request, server_url, tmp_path_factory):
    """One rendered and assembled episode per target: the drama, its
    episode, the assembly's result and the MP4's frame count."""
    if request.param == "studio":
        api = sfd.Studio(storage="memory://", llm="simulated", render="simulated")
    else:
        api = sfd.Client(server_url)
    drama = api.generate("a corgi sails to Mars, 1 episode", id=unique("handoff"), scenes_per_episode=3)
    drama = api.render(drama["id"], progress=False)
    ep = drama["episodes"][0]
    result = api.assemble(drama["id"], ep["id"], progress=False)
    mp4 = tmp_path_factory.mktemp("cut") / "cut.mp4"
    api.download(result["url"], path=mp4)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=nb_frames", "-of", "csv=p=0", mp4],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result["rate"] == RATE and result["frames"] == int(probe.stdout.strip())
    return api, drama, ep, result


def api_base(api) -> str:
    return api.base_url.rstrip("/")


def videos(ep):
    """The episode's shots in cut order: each scene's video assets, in order."""
    return [a for sc in ep["scenes"] for a in sc["assets"] if a["kind"] == "video"]


def scene_frames(ep):
    """Each shot's frames as the assembly cut it: its clip's duration."""
    return [v["duration"] * RATE for v in videos(ep)]


def lines(ep):
    """The rendered dialogue lines: every scene's audio assets with a file."""
    return [a for sc in ep["scenes"] for a in sc["assets"] if a["kind"] == "audio" and a.get("url")]


def music(ep):
    """The episode's rendered music, if any (one audio track more)."""
    return [a for a in ep.get("assets", []) if a["kind"] == "audio" and a.get("url")]


def test_otio_loads_and_matches_the_cut(cut):
    otio = pytest.importorskip("opentimelineio")
    api, drama, ep, result = cut
    timeline = otio.adapters.read_from_string(api.export(drama["id"], "otio", ep["id"]).decode(), "otio_json")
    video = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    audio = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio]
    assert len(video) == 1 and len(audio) == 1 + len(music(ep))
    shots = list(video[0].find_clips())
    assert len(shots) == len(videos(ep))
    assert [c.source_range.duration.to_frames() for c in shots] == scene_frames(ep)
    assert all(c.source_range.start_time.to_frames() == 0 for c in shots)
    assert all(c.source_range.duration.rate == RATE for c in shots)
    assert timeline.duration().to_frames() == result["frames"]
    assert video[0].duration().to_seconds() == pytest.approx(result["duration"])
    # By URL: the server names its own address; the embedded Studio has none.
    for clip, shot in zip(shots, videos(ep)):
        url = shot["url"]
        expected = url if isinstance(api, sfd.Studio) else f"{api_base(api)}{url}"
        assert clip.media_reference.target_url == expected
    spoken = list(audio[0].find_clips())
    assert len(spoken) == len(lines(ep))
    for clip in spoken:
        # A line is heard inside its scene: from its first shot's start to its last shot's end.
        mine = [
            video[0].range_of_child_at_index(i)
            for i, s in enumerate(shots)
            if s.metadata["sfd"]["scene_id"] == clip.metadata["sfd"]["scene_id"]
        ]
        heard = audio[0].range_of_child(clip)
        assert mine[0].start_time <= heard.start_time
        assert heard.end_time_exclusive() <= mine[-1].end_time_exclusive()
    assert len(video[0].markers) == result["cues"]


def test_otio_bundle_holds_the_files_it_names(cut, tmp_path):
    otio = pytest.importorskip("opentimelineio")
    api, drama, ep, _ = cut
    path = tmp_path / "ep.zip"
    api.export(drama["id"], "otio", ep["id"], path=path, bundle="zip")
    z = zipfile.ZipFile(path)
    z.extractall(tmp_path)
    stem = f"{drama['id']}-{ep['id']}"
    timeline = otio.adapters.read_from_file(str(tmp_path / stem / f"{stem}.otio"))
    for clip in timeline.find_clips():
        url = clip.media_reference.target_url
        assert url.startswith("media/") and (tmp_path / stem / url).is_file()


def test_edl_reads_as_one_event_per_shot_adding_up_to_the_cut(cut):
    otio = pytest.importorskip("opentimelineio")
    pytest.importorskip("otio_cmx3600_adapter")
    api, drama, ep, result = cut
    edl = api.export(drama["id"], "edl", ep["id"]).decode()
    timeline = otio.adapters.read_from_string(edl, "cmx_3600", rate=RATE)
    (track,) = timeline.video_tracks()
    clips = list(track.find_clips())
    assert len(clips) == len(videos(ep))
    assert [c.source_range.duration.to_frames() for c in clips] == scene_frames(ep)
    assert track.duration().to_frames() == result["frames"]
    events = [line.split() for line in edl.splitlines() if re.match(r"\d{3}  ", line)]
    assert [e[0] for e in events] == [f"{n:03d}" for n in range(1, len(videos(ep)) + 1)]
    # The same through the async call.
    assert asyncio.run(api.export_async(drama["id"], "edl", ep["id"])).decode() == edl


def rational(t: str) -> Fraction:
    assert re.fullmatch(r"\d+(/\d+)?s", t), t
    return Fraction(t[:-1])


# sfd's subset of Apple's FCPXML 1.10 DTD, written from Apple's reference
# (its header says which pages and why Apple's own file is not shipped).
FCPXML_DTD = etree.DTD(str(pathlib.Path(__file__).parent / "data" / "fcpxml-1.10.dtd"))
TIME_ATTRS = {"offset", "start", "duration", "tcStart", "frameDuration"}


def check_fcpxml(doc: bytes) -> etree._Element:
    """The document parsed and validated against the DTD (content models,
    attributes, enumerations, IDs and IDREFs), and the times the DTD can
    only call CDATA checked as rational seconds."""
    assert doc.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n')
    root = etree.fromstring(doc, etree.XMLParser(resolve_entities=False, no_network=True))
    assert FCPXML_DTD.validate(root), str(FCPXML_DTD.error_log)
    for e in root.iter():
        for name in TIME_ATTRS & set(e.attrib):
            rational(e.get(name))
        if "lane" in e.attrib:
            int(e.get("lane"))
    return root


def test_fcpxml_follows_the_dtd_and_matches_the_cut(cut, tmp_path):
    api, drama, ep, result = cut
    root = check_fcpxml(api.export(drama["id"], "fcpxml", ep["id"]))
    assert root.find("resources/format").get("frameDuration") == f"1/{RATE}s"
    for asset in root.iter("asset"):
        assert asset.find("media-rep").get("kind") == "original-media"
    sequence = root.find("library/event/project/sequence")
    shots = sequence.findall("spine/asset-clip")
    assert len(shots) == len(videos(ep))
    durations = [rational(c.get("duration")) for c in shots]
    assert [d * RATE for d in durations] == scene_frames(ep)
    assert sum(durations) == rational(sequence.get("duration")) == Fraction(result["frames"], RATE)
    offset = Fraction(0)
    for clip, length in zip(shots, durations):
        assert rational(clip.get("offset")) == offset
        offset += length
    assert len(sequence.findall("spine/asset-clip/asset-clip[@lane='-1']")) == len(lines(ep))
    assert len(sequence.findall("spine/asset-clip/caption")) == result["cues"]

    path = tmp_path / "ep.zip"
    api.export(drama["id"], "fcpxml", ep["id"], path=path, bundle="zip")
    z = zipfile.ZipFile(path)
    stem = f"{drama['id']}-{ep['id']}"
    bundled = check_fcpxml(z.read(f"{stem}/{stem}.fcpxml"))
    for rep in bundled.iter("media-rep"):
        assert f"{stem}/{rep.get('src')}" in z.namelist()


def test_the_fcpxml_dtd_refuses_what_final_cut_pro_would(cut):
    """The DTD is no rubber stamp: the exported document, broken in ways
    Apple's DTD forbids, no longer validates."""
    api, drama, ep, _ = cut
    doc = api.export(drama["id"], "fcpxml", ep["id"])

    def broken(change) -> bool:
        root = etree.fromstring(doc)
        change(root)
        return not FCPXML_DTD.validate(root)

    shot = "library/event/project/sequence/spine/asset-clip"
    assert broken(lambda r: r.find(shot).attrib.pop("duration"))  # #REQUIRED
    assert broken(lambda r: r.find(shot).set("ref", "nowhere"))  # an IDREF to no ID
    assert broken(lambda r: r.append(r.find("resources")))  # resources after library
    assert broken(lambda r: r.find("library/event/project/sequence").set("audioRate", "47k"))  # not listed
    assert broken(lambda r: r.find("resources/asset").remove(r.find("resources/asset/media-rep")))
    assert broken(lambda r: r.set("version", "1.9"))  # #FIXED


def test_capcut_draft_loads_in_pyjianyingdraft_and_matches_the_cut(cut, tmp_path):
    draft = pytest.importorskip("pyJianYingDraft")
    api, drama, ep, result = cut
    data = api.export(drama["id"], "capcut", ep["id"])
    z = zipfile.ZipFile(io.BytesIO(data))
    assert z.testzip() is None
    z.extractall(tmp_path)
    stem = f"{drama['id']}-{ep['id']}"
    script = draft.DraftFolder(str(tmp_path)).load_template(stem)
    tracks = {t.track_type.name: t for t in script.imported_tracks}
    assert set(tracks) == {"video", "audio", "text"}
    assert len(tracks["video"].segments) == len(videos(ep))
    # Dialogue on one audio track, music on another when rendered.
    audio = [t for t in script.imported_tracks if t.track_type.name == "audio"]
    assert len(audio) == 1 + len(music(ep))
    assert sum(len(t.segments) for t in audio) == len(lines(ep)) + len(music(ep))
    assert len(tracks["text"].segments) == result["cues"]
    total = round(result["frames"] * 1_000_000 / RATE)
    assert script.duration == total
    assert sum(s.duration for s in tracks["video"].segments) == total
    starts = [s.start for s in tracks["video"].segments]
    ends = [s.start + s.duration for s in tracks["video"].segments]
    assert starts == [0] + ends[:-1]
    assert all(s.source_timerange.duration == s.duration for s in tracks["video"].segments)
    assert [round(s.duration * RATE / 1_000_000) for s in tracks["video"].segments] == scene_frames(ep)

    folder = pathlib.Path(tmp_path / stem)
    meta = json.loads((folder / "draft_meta_info.json").read_text())
    assert meta["tm_duration"] == total
    files = [m["file_Path"] for group in meta["draft_materials"] for m in group["value"]]
    assert len(files) == len(videos(ep)) + len(lines(ep)) + len(music(ep))
    content = json.loads((folder / "draft_content.json").read_text())
    paths = [m["path"] for m in content["materials"]["videos"] + content["materials"]["audios"]]
    for path in files + paths:
        assert f"{stem}/{path}" in z.namelist(), path


def test_an_episode_without_rendered_clips_is_409_naming_them(cut):
    api, _, _, _ = cut
    drama = api.generate("a corgi paints, 1 episode", id=unique("unrendered"), scenes_per_episode=2)
    ep = drama["episodes"][0]
    for format in ("otio", "fcpxml", "edl", "capcut"):
        with pytest.raises(sfd.ConflictError) as e:
            api.export(drama["id"], format, ep["id"])
        assert all(sc["id"] in str(e.value) for sc in ep["scenes"]), str(e.value)
        assert "render" in str(e.value)
