import asyncio
import uuid

import pytest

import sfd
from conftest import fixture


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def test_generate_sync(api):
    seen = []
    drama = api.generate("a corgi becomes a tycoon, 2 episodes", id=unique("gen"), progress=seen.append)
    assert len(drama["episodes"]) == 2
    assert drama["episodes"][0]["scenes"][0]["assets"][1]["depends_on"] == [
        drama["episodes"][0]["scenes"][0]["assets"][0]["id"]
    ]
    assert all(set(p) == {"stage", "done", "total"} for p in seen)


def test_generate_async_and_three_at_once(api):
    async def main():
        one = await api.generate_async("a heist, 1 episode", id=unique("a"))
        three = await asyncio.gather(*(api.generate_async(f"story {i}, 1 episode") for i in range(3)))
        return one, three

    one, three = asyncio.run(main())
    assert len(one["episodes"]) == 1
    assert len({d["id"] for d in three}) == 3


def test_edit_list_delete(api):
    drama = api.generate("a rooftop romance, 1 episode", id=unique("edit"))
    ep = drama["episodes"][0]
    sc = ep["scenes"][0]
    scene = api.update_scene(drama["id"], ep["id"], sc["id"], {"description": "Dawn on the roof."})
    assert scene["description"] == "Dawn on the roof."
    added = api.create_scene(drama["id"], ep["id"], {"description": "A new beat"})
    assert added["id"].startswith(ep["id"] + "-sc")
    asset = api.create_asset(drama["id"], {"kind": "audio", "prompt": "rain"}, episode_id=ep["id"], scene_id=sc["id"])
    assert asset["id"].startswith(f"{sc['id']}-aud")  # generated scenes may have a voiced line already
    assert api.update_asset(drama["id"], asset["id"], {"url": "https://cdn/a.mp3"}, episode_id=ep["id"], scene_id=sc["id"])["url"]
    api.delete_asset(drama["id"], asset["id"], episode_id=ep["id"], scene_id=sc["id"])
    top = api.create_asset(drama["id"], {"kind": "image", "prompt": "poster"})
    api.delete_asset(drama["id"], top["id"])
    character = api.create_character(drama["id"], {"name": "Rex Bolt", "description": "a rival"})
    assert api.update_character(drama["id"], character["id"], {"main": True})["main"] is True
    api.delete_character(drama["id"], character["id"])
    episode = api.create_episode(drama["id"], {"title": "Coda", "description": "after"})
    assert api.update_episode(drama["id"], episode["id"], {"title": "Epilogue"})["title"] == "Epilogue"
    api.delete_episode(drama["id"], episode["id"])
    api.delete_scene(drama["id"], ep["id"], added["id"])
    ids = [d["id"] for d in api.list_dramas(limit=1000)["dramas"]]
    assert drama["id"] in ids
    api.delete_drama(drama["id"])
    with pytest.raises(sfd.NotFoundError):
        api.get_drama(drama["id"])


def test_errors_map_to_classes(api):
    with pytest.raises(sfd.NotFoundError):
        api.get_drama(unique("missing"))
    doc = fixture("corgi_musk_v4.json")
    doc["id"] = unique("dup")
    api.import_drama(doc)
    with pytest.raises(sfd.ConflictError):
        api.import_drama(doc)
    with pytest.raises(sfd.ValidationError) as info:
        api.update_drama(doc["id"], {"title": None})
    assert info.value.problems
    with pytest.raises(sfd.ValidationError):
        api.list_dramas(cursor="garbage")
    assert issubclass(sfd.NotFoundError, sfd.SfdError)


def test_fixtures_round_trip_unchanged(api):
    for name in ["corgi_musk_v4.json", "corgi_musk_v5.json"]:
        doc = fixture(name)
        doc["id"] = unique("fx")
        api.import_drama(doc)
        assert api.get_drama(doc["id"]) == doc


def test_improve_and_critique(api):
    drama = api.generate("a courtroom twist, 2 episodes", id=unique("imp"))
    result = api.critique(drama["id"])
    assert result["feedback"] and "scores" in result["critique"]
    better = api.improve(drama["id"], result["feedback"], new_id=unique("imp2"))
    assert better["characters"] == drama["characters"]
    jobs = api.list_jobs(drama["id"])
    assert [j["type"] for j in jobs] == ["generate_drama", "critic_drama"]


def test_studio_without_llm_names_the_setting():
    s = sfd.Studio(storage="memory://", llm="none")
    with pytest.raises(sfd.LlmError, match="OPENAI_API_KEY"):
        s.start_generation("p")


def test_counts_are_sent_and_checked_at_the_door(api):
    drama = api.generate("a premise that names no count", id=unique("counts"), episodes=2, scenes_per_episode=3)
    assert [len(e["scenes"]) for e in drama["episodes"]] == [3, 3]

    async def main():
        return await api.generate_async("no count either", episodes=1, scenes_per_episode=2)

    one = asyncio.run(main())
    assert [len(e["scenes"]) for e in one["episodes"]] == [2]
    for bad in ({"episodes": 0}, {"episodes": 21}, {"scenes_per_episode": 13}):
        with pytest.raises(sfd.ValidationError):
            api.start_generation("p", **bad)


def test_a_level_verb_names_a_wrong_level(api):
    with pytest.raises(ValueError, match="'nope' is not one of character, episode, scene, asset"):
        api._create("nope", "any_drama", {})
