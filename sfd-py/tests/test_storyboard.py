import sfd
from conftest import fixture


def test_storyboard_escapes_everything():
    drama = fixture("corgi_musk_v5.json")
    drama["episodes"][0]["scenes"][0]["description"] = "<script>alert('x')</script>"
    html = sfd.storyboard(drama)._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert drama["title"] in html
    assert "ep1-sc1" in html


def test_validate_drama_lists_problems():
    problems = sfd.validate_drama('{"id": "../x", "title": "t", "description": "d", "premise": "p"}')
    assert problems and "id contains" in problems[0]


def test_storyboard_shows_the_sheet_and_candidates_escaped():
    drama = fixture("corgi_musk_v5.json")
    c = drama["characters"][0]
    cid = c["id"]
    c["assets"] = [
        {"id": f"{cid}-portrait", "kind": "image", "prompt": "portrait", "url": "/media/media/d/p.png"},
        {"id": f"{cid}-variant-suit", "kind": "image", "prompt": "<b>suit</b>", "url": "/media/media/d/v.png",
         "metadata": {"sheet": {"variant": "<suit>"}}},
    ]
    image = drama["episodes"][0]["scenes"][0]["assets"][0]
    image["kind"], image["url"] = "image", "/media/media/d/b.png"
    image["metadata"] = {"render": {"key": "media/d/b.png", "candidates": [
        {"key": "media/d/a.png", "url": "/media/media/d/a.png", "score": 0.4, "reason": "<script>x</script>"},
        {"key": "media/d/b.png", "url": "/media/media/d/b.png", "score": 0.9, "reason": "same face"},
    ]}}
    assert [e["role"] for e in sfd.sheet(drama, cid)] == ["portrait", "variant"]
    assert [(x["key"], x["kept"]) for x in sfd.candidates(image)] == [("media/d/a.png", False), ("media/d/b.png", True)]

    html = sfd.storyboard(drama)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<suit>" not in html and "variant: &lt;suit&gt;" in html and "&lt;b&gt;suit&lt;/b&gt;" in html
    assert html.count('class="sfd-candidate"') == 2 and html.count('class="sfd-kept"') == 1
    kept = html.index('data-key="media/d/b.png"')
    assert html.index("score 0.900") > kept > html.index('class="sfd-candidates"')
    assert html.index('data-key="media/d/b.png"') < html.index('data-key="media/d/a.png"')  # best first
