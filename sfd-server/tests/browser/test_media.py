"""Rendering from the studio: the dry-run plan's counts, the render job, and
placeholders that become files.

These need the render routes and the simulated renderer (issue 12:
`POST /dramas/{id}/render`, `…/assets/{aid}/render`, `GET /media/{key}` and
`--simulated-media`). Until sfd-server has them they are skipped, saying so;
the day `--help` lists `--simulated-media` they run, and then fail rather
than skip if a route is missing.
"""

import collections
import json
import os
import subprocess
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conftest import TARGET, Server, visit, wait

BINARY = os.environ.get("SFD_SERVER_BIN", str(TARGET / "debug" / "sfd-server"))


def renders():
    out = subprocess.run([BINARY, "--help"], capture_output=True, text=True, check=False).stdout
    return "--simulated-media" in out


pytestmark = pytest.mark.skipif(
    not renders(),
    reason="sfd-server has no render routes or simulated renderer yet (issue 12: POST /dramas/{id}/render, --simulated-media)",
)


@pytest.fixture(scope="module")
def server():
    s = Server("--simulated-media")
    paths = s.api("GET", "/openapi.json")[1]["paths"]
    missing = [p for p in ("/dramas/{id}/render", "/media/{key}") if p not in paths]
    if missing:
        s.stop()
        pytest.fail(f"--simulated-media exists but the spec lacks {missing}")
    yield s
    s.stop()


def finished(server, drama_id, job_id):
    """Follows the job's event stream to its end; returns the final record."""
    req = urllib.request.Request(f"{server.url}/dramas/{drama_id}/jobs/{job_id}/events")
    with urllib.request.urlopen(req, timeout=120) as res:
        for line in res:
            if line.startswith(b"event: end"):
                break
    return server.api("GET", f"/dramas/{drama_id}/jobs/{job_id}")[1]


def generated(server):
    status, job, _ = server.api("POST", "/dramas", {"premise": "A corgi runs a night bakery", "episodes": 1, "scenes_per_episode": 2})
    assert status == 202, job
    assert finished(server, job["dramaId"], job["jobId"])["status"] == "completed"
    return job["dramaId"]


def open_generated(driver, server):
    drama_id = generated(server)
    visit(driver, f"{server.url}/#/dramas/{drama_id}")
    wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, f'.drama[data-id="{drama_id}"] .scene')))
    return drama_id


def shown_panel(driver):
    return driver.find_element(By.CSS_SELECTOR, ".episode:not([hidden])")


def images_loaded(driver, panel):
    """True when the panel has no placeholder and every image has pixels."""
    if panel.find_elements(By.CSS_SELECTOR, ".frame.placeholder"):
        return False
    images = panel.find_elements(By.CSS_SELECTOR, ".scene .frame img")
    return bool(images) and all(
        driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", i) for i in images
    )


def test_the_plan_shows_counts_then_the_render_turns_placeholders_into_files(server, driver):
    drama_id = open_generated(driver, server)
    scenes = len(shown_panel(driver).find_elements(By.CSS_SELECTOR, ".scene"))
    assert len(shown_panel(driver).find_elements(By.CSS_SELECTOR, ".frame.placeholder")) == scenes > 0

    driver.find_element(By.XPATH, '//main//button[normalize-space()="Render…"]').click()
    table = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog .plan table")))
    status, plan, _ = server.api("POST", f"/dramas/{drama_id}/render", {"kinds": ["image", "video", "audio"], "force": False, "dryRun": True})
    assert status == 200, plan
    expected = collections.Counter((n["kind"], n["action"]) for n in plan["nodes"])
    assert expected[("image", "render")] > 0
    for row in table.find_elements(By.CSS_SELECTOR, "tbody tr"):
        kind = row.get_attribute("data-kind")
        for cell in row.find_elements(By.CSS_SELECTOR, "td"):
            assert int(cell.text) == expected[(kind, cell.get_attribute("data-action"))], (kind, cell.get_attribute("data-action"))
    assert "Estimated cost" in driver.find_element(By.CSS_SELECTOR, "dialog .cost").text

    driver.find_element(By.XPATH, '//dialog//button[normalize-space()="Start render"]').click()
    job = wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, '.job[data-status="completed"][data-type="render_drama"]')))
    assert job.get_attribute("data-done") == job.get_attribute("data-total")
    wait(driver, lambda d: images_loaded(d, shown_panel(d)))

    _, drama, _ = server.api("GET", f"/dramas/{drama_id}")
    urls = {a["url"] for e in drama["episodes"] for s in e["scenes"] for a in s["assets"] if a["kind"] == "image"}
    shown = {i.get_attribute("src").removeprefix(server.url) for i in shown_panel(driver).find_elements(By.CSS_SELECTOR, ".frame img")}
    assert shown <= {u.removeprefix(server.url) for u in urls if u}
    for c in drama["characters"]:
        if any(a["id"] == f"{c['id']}-portrait" and a.get("url") for a in c["assets"]):
            img = driver.find_element(By.CSS_SELECTOR, f'.character[data-id="{c["id"]}"] img.portrait')
            wait(driver, lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img))


def test_one_asset_renders_through_its_own_route(server, driver):
    drama_id = open_generated(driver, server)
    card = shown_panel(driver).find_element(By.CSS_SELECTOR, ".scene")
    scene_id = card.get_attribute("data-id")
    card.find_element(By.CSS_SELECTOR, "details.prompts summary").click()
    row = card.find_element(By.CSS_SELECTOR, '.asset[data-kind="image"]')
    asset_id = row.get_attribute("data-id")
    row.find_element(By.TAG_NAME, "button").click()
    wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog .plan")))
    wait(driver, EC.element_to_be_clickable((By.XPATH, '//dialog//button[normalize-space()="Start render"]'))).click()
    wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, '.job[data-status="completed"][data-type="generate_image"]')))

    def rendered(d):
        img = d.find_elements(By.CSS_SELECTOR, f'.scene[data-id="{scene_id}"] .frame img')
        return img and d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img[0])

    wait(driver, rendered)
    _, drama, _ = server.api("GET", f"/dramas/{drama_id}")
    assets = {a["id"]: a for e in drama["episodes"] for s in e["scenes"] for a in s["assets"]}
    assert assets[asset_id]["url"]
    assert json.dumps(assets[asset_id]["metadata"]["render"])  # how it was made is recorded
