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
