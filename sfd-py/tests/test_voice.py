"""A character's voice from an uploaded clip, from Python on Studio and
Client (issue 29 item 4): the sample is stored on the character, only its
lines become stale, removing it puts them back, and bad clips are refused."""

import asyncio
import io
import uuid
import wave

import pytest

import sfd


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def wav(seconds: float, rate: int = 8000) -> bytes:
    """A real PCM WAV of silence (mono, 8-bit), made with the `wave` module."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(rate)
        w.writeframes(b"\x80" * int(rate * seconds))
    return out.getvalue()


def lines(drama):
    """The spoken lines: audio assets of a scene drawn from a character."""
    ids = {c["id"] for c in drama["characters"]}
    for ep in drama["episodes"]:
        for sc in ep["scenes"]:
            for a in sc["assets"]:
                if a["kind"] == "audio" and (a.get("depends_on") or [None])[0] in ids:
                    yield a


def actions(api, drama_id):
    return {n["assetId"]: n["action"] for n in api.render_plan(drama_id, kinds=["audio"])["nodes"]}


def rendered_drama(api, prefix):
    drama = api.generate("two sisters run a night market stall, 1 episode", id=unique(prefix), scenes_per_episode=2)
    drama = api.render(drama["id"], kinds=["audio"], progress=False)
    spoken = list(lines(drama))
    speakers = {a["depends_on"][0] for a in spoken}
    assert len(speakers) >= 2, "the test needs lines of two characters"
    return drama, spoken, sorted(speakers)[0]


def test_a_voice_sample_makes_only_its_characters_lines_stale_until_removed(api, tmp_path):
    drama, spoken, cid = rendered_drama(api, "voice")
    assert set(actions(api, drama["id"]).values()) == {"skip"}

    clip = wav(2.5)
    character = api.upload_voice_sample(drama["id"], cid, clip)
    sample = character["metadata"]["voice_sample"]
    assert character["id"] == cid
    assert sample["contentType"] == "audio/wav" and sample["bytes"] == len(clip)
    assert sample["seconds"] == 2.5 and len(sample["hash"]) == 64
    assert sample["key"].startswith(f"media/{drama['id']}/{cid}-voice-") and sample["url"]
    assert api.download(sample["url"]) == clip

    now = actions(api, drama["id"])
    for a in spoken:
        expected = "stale" if a["depends_on"][0] == cid else "skip"
        assert now[a["id"]] == expected, (a["id"], a["depends_on"])

    # The same clip from a file: stored under the same hash, same plan.
    path = tmp_path / "sister.wav"
    path.write_bytes(clip)
    again = api.upload_voice_sample(drama["id"], cid, path)
    assert again["metadata"]["voice_sample"]["hash"] == sample["hash"]

    removed = api.remove_voice_sample(drama["id"], cid)
    assert "voice_sample" not in (removed.get("metadata") or {})
    stored = next(c for c in api.get_drama(drama["id"])["characters"] if c["id"] == cid)
    assert "voice_sample" not in (stored.get("metadata") or {})
    assert set(actions(api, drama["id"]).values()) == {"skip"}


def test_voice_samples_async(api):
    drama, spoken, cid = rendered_drama(api, "avoice")

    async def main():
        up = await api.upload_voice_sample_async(drama["id"], cid, wav(1), content_type="audio/wav")
        plan = await api.render_plan_async(drama["id"], kinds=["audio"])
        down = await api.remove_voice_sample_async(drama["id"], cid)
        return up, plan, down

    up, plan, down = asyncio.run(main())
    assert up["metadata"]["voice_sample"]["seconds"] == 1.0
    stale = {n["assetId"] for n in plan["nodes"] if n["action"] == "stale"}
    assert stale == {a["id"] for a in spoken if a["depends_on"][0] == cid}
    assert "voice_sample" not in (down.get("metadata") or {})


def test_bad_voice_samples_raise_the_mapped_exceptions(api):
    drama = api.generate("a lighthouse keeper's last night, 1 episode", id=unique("badvoice"), scenes_per_episode=1)
    cid = drama["characters"][0]["id"]
    # A type that is not audio: 415, `SfdError` itself.
    with pytest.raises(sfd.SfdError, match="voice sample") as e:
        api.upload_voice_sample(drama["id"], cid, wav(1), content_type="image/png")
    assert type(e.value) is sfd.SfdError
    # Bytes that are not the declared type.
    with pytest.raises(sfd.SfdError) as e:
        api.upload_voice_sample(drama["id"], cid, b"not a wave at all", content_type="audio/wav")
    assert type(e.value) is sfd.SfdError
    with pytest.raises(ValueError, match="content_type"):
        api.upload_voice_sample(drama["id"], cid, b"no known signature")
    with pytest.raises(sfd.NotFoundError):
        api.upload_voice_sample(drama["id"], "char-nobody", wav(1))
    with pytest.raises(sfd.NotFoundError):
        api.remove_voice_sample(drama["id"], "char-nobody")
    assert "voice_sample" not in (api.get_drama(drama["id"])["characters"][0].get("metadata") or {})
