"""Best-of-N in the studio: the render dialog asks for candidates per image
and shows the judge's estimate; each image's candidates show with their
scores, the kept one marked; "Use this" keeps another, the frame shows it
and what was made from it is stale; a character's casting sheet shows as
labelled thumbnails and can be asked for. Issue 27 item 4, issue 29 item 7.
"""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from conftest import TARGET, Server, check_dialog, new_id, open_drama, small_drama, store, visit, wait
from test_media import finished, generated


@pytest.fixture(scope="module")
def server():
    s = Server("--simulated-media")
    yield s
    s.stop()


def loaded(driver, img):
    return driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img)


def scene_assets(drama):
    return {s["id"]: s["assets"] for e in drama["episodes"] for s in e["scenes"]}


def render_best_of_3(driver, server):
    """Generates a drama, then renders it from the page as best-of-3; returns its id."""
    drama_id = generated(server)
    visit(driver, f"{server.url}/#/dramas/{drama_id}")
    wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, f'.drama[data-id="{drama_id}"] .scene')))
    driver.find_element(By.XPATH, '//main//button[normalize-space()="Render…"]').click()
    wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog .plan table")))
    # The server's default is one candidate: no judge in the estimate.
    field = driver.find_element(By.ID, "render-candidates")
    assert field.get_attribute("value") == "1"
    assert not driver.find_elements(By.CSS_SELECTOR, "dialog .best-of")
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys("3", Keys.TAB)
    best = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, 'dialog .best-of[data-count="3"]')))
    status, plan, _ = server.api("POST", f"/dramas/{drama_id}/render", {"kinds": ["image", "video", "audio"], "dryRun": True, "candidates": 3})
    assert status == 200, plan
    images = sum(1 for n in plan["nodes"] if n.get("candidates", {}).get("count") == 3)
    assert images > 0
    assert f"{images} image(s) render 3 candidates each" in best.text
    assert "judged by simulated-judge" in best.text
    wait(driver, EC.element_to_be_clickable((By.XPATH, '//dialog//button[normalize-space()="Start render"]'))).click()
    job = wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, '.job[data-status="completed"][data-type="render_drama"]')))
    job_id = job.get_attribute("data-job-id")
    record = server.api("GET", f"/dramas/{drama_id}/jobs/{job_id}")[1]
    assert record["input"]["render"]["candidates"] == 3, record["input"]
    return drama_id


def test_each_image_shows_its_candidates_and_another_one_can_be_used(server, driver):
    drama_id = render_best_of_3(driver, server)
    _, drama, _ = server.api("GET", f"/dramas/{drama_id}")
    episode = drama["episodes"][0]
    scene = episode["scenes"][0]
    image = next(a for a in scene["assets"] if a["kind"] == "image" and a.get("url"))
    # Every scene of the shown episode has its candidates button once the render is read again.
    panel = driver.find_element(By.CSS_SELECTOR, ".episode:not([hidden])")
    for s in episode["scenes"]:
        wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, f'.scene[data-id="{s["id"]}"] > .candidates-open')))
        # Once per scene: its card's button covers its images (their rows have none).
        assert len(driver.find_elements(By.CSS_SELECTOR, f'.scene[data-id="{s["id"]}"] .candidates-open')) == 1
    assert panel.find_elements(By.CSS_SELECTOR, ".scene > .candidates-open")
    # Portraits were rendered as best-of-3 too.
    for c in drama["characters"]:
        driver.find_element(By.CSS_SELECTOR, f'.character[data-id="{c["id"]}"] > .candidates-open')
        assert len(driver.find_elements(By.CSS_SELECTOR, f'.character[data-id="{c["id"]}"] .candidates-open')) == 1

    label = f"Compare the candidates of scene {scene['id']}"
    # The dialog's controls are named, and Escape gives the focus back to its button.
    opener = driver.find_element(By.CSS_SELECTOR, f'.scene[data-id="{scene["id"]}"] > .candidates-open')
    assert check_dialog(driver, opener).startswith("Candidates")
    driver.find_element(By.CSS_SELECTOR, f'.scene[data-id="{scene["id"]}"] > .candidates-open').click()
    dialog = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog .candidates-form")))
    assert driver.switch_to.active_element.find_elements(By.XPATH, "ancestor::dialog"), "the focus moves into the dialog"
    sets = dialog.find_elements(By.CSS_SELECTOR, ".candidate-set")
    images = [a for a in scene["assets"] if a["kind"] == "image" and a.get("url")]
    assert [s.get_attribute("data-asset") for s in sets] == [a["id"] for a in images]
    for s in sets:
        items = s.find_elements(By.CSS_SELECTOR, ".candidate")
        assert len(items) == 3
        scores = [float(i.get_attribute("data-score")) for i in items]
        kept = s.find_elements(By.CSS_SELECTOR, '.candidate[aria-current="true"]')
        assert len(kept) == 1 and float(kept[0].get_attribute("data-score")) == max(scores)
        for i, score in zip(items, scores):
            assert i.find_element(By.CSS_SELECTOR, ".score").text == f"{round(score * 100)}%"
            reason = i.find_element(By.CSS_SELECTOR, ".candidate-reason")
            assert reason.text and i.find_element(By.TAG_NAME, "img").get_attribute("aria-describedby") == reason.get_attribute("id")
        # Only the ones not in use have a button, each labelled with its score.
        buttons = s.find_elements(By.CSS_SELECTOR, "button.use")
        assert len(buttons) == 2 and all(b.get_attribute("aria-label").startswith("Use candidate") for b in buttons)

    # Keep the lowest-scored candidate of the scene's first image.
    first = dialog.find_element(By.CSS_SELECTOR, f'.candidate-set[data-asset="{image["id"]}"]')
    chosen = min(image["metadata"]["render"]["candidates"], key=lambda c: c["score"])
    # From the keyboard: the button takes the focus and Enter presses it.
    use = first.find_element(By.CSS_SELECTOR, f'.candidate[data-key="{chosen["key"]}"] button.use')
    driver.execute_script("arguments[0].focus()", use)
    assert driver.switch_to.active_element == use
    use.send_keys(Keys.ENTER)
    status = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog .candidates-status")))
    wait(driver, lambda d: "now uses candidate" in status.text)
    kept = driver.find_element(By.CSS_SELECTOR, f'dialog .candidate-set[data-asset="{image["id"]}"] .candidate[aria-current="true"]')
    assert kept.get_attribute("data-key") == chosen["key"]
    assert driver.switch_to.active_element == status

    _, after, _ = server.api("GET", f"/dramas/{drama_id}")
    assert next(a for a in scene_assets(after)[scene["id"]] if a["id"] == image["id"])["url"] == chosen["url"]
    made_from = [a["id"] for a in scene["assets"] if image["id"] in a.get("depends_on", []) and a["kind"] == "video"]
    assert made_from, "the scene's video is made from the image"
    assert all(v in status.text for v in made_from)

    driver.find_element(By.XPATH, '//dialog//button[normalize-space()="Close"]').click()
    wait(driver, EC.invisibility_of_element_located((By.CSS_SELECTOR, "dialog .candidates-form")))
    assert driver.switch_to.active_element.get_attribute("aria-label") == label, "the focus comes back"
    card = driver.find_element(By.CSS_SELECTOR, f'.scene[data-id="{scene["id"]}"]')
    src = card.find_element(By.CSS_SELECTOR, ".frame img").get_attribute("src")
    assert src.removeprefix(server.url) == chosen["url"].removeprefix(server.url)
    assert card.get_attribute("data-stale") == "true"
    badge = card.find_element(By.CSS_SELECTOR, ".badge.stale").text
    assert all(v in badge for v in made_from), badge


def test_the_servers_refusal_shows_in_the_dialog(server, driver, console):
    drama_id = render_best_of_3(driver, server)
    _, drama, _ = server.api("GET", f"/dramas/{drama_id}")
    episode = drama["episodes"][0]
    scene = episode["scenes"][0]
    image = next(a for a in scene["assets"] if a["kind"] == "image" and a.get("url"))
    wait(driver, EC.element_to_be_clickable((By.CSS_SELECTOR, f'.scene[data-id="{scene["id"]}"] > .candidates-open'))).click()
    dialog = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog .candidates-form")))
    # Meanwhile the image loses its candidates elsewhere (a new single render would do the same).
    url = f"/dramas/{drama_id}/episodes/{episode['id']}/scenes/{scene['id']}/assets/{image['id']}"
    render = {k: v for k, v in image["metadata"]["render"].items() if k != "candidates"}
    status, body, _ = server.api("PATCH", url, {"metadata": {**image["metadata"], "render": render}})
    assert status == 200, body
    console.expect(r"choose - Failed to load resource: the server responded with a status of 422")
    dialog.find_element(By.CSS_SELECTOR, f'.candidate-set[data-asset="{image["id"]}"] button.use').click()
    error = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, f'dialog .candidate-set[data-asset="{image["id"]}"] .error[role="alert"]')))
    assert "has no candidates" in error.text and error.text.startswith("Not changed:")
    driver.find_element(By.XPATH, '//dialog//button[normalize-space()="Close"]').click()


def test_a_casting_sheet_shows_as_labelled_thumbnails_and_can_be_asked_for(server, driver):
    d = small_drama(new_id())
    d["characters"][0]["metadata"] = {"sheet": {"views": ["full-body"], "variants": {"Wet suit": "in a yellow wetsuit"}}}
    drama_id = store(server, d)
    open_drama(driver, server, drama_id)
    sheet = driver.find_element(By.CSS_SELECTOR, '.character[data-id="char-corgi"] ul.sheet')
    assert sheet.get_attribute("aria-label") == "Casting sheet of Pip the Corgi"
    items = sheet.find_elements(By.CSS_SELECTOR, ".sheet-item")
    assert [i.get_attribute("data-id") for i in items] == ["char-corgi-portrait", "char-corgi-view-full-body", "char-corgi-variant-wet-suit"]
    assert [i.find_element(By.CSS_SELECTOR, ".sheet-label").get_attribute("textContent") for i in items] == ["portrait", "full-body", "Wet suit"]
    assert all(i.get_attribute("data-state") == "missing" for i in items)
    assert not driver.find_elements(By.CSS_SELECTOR, '.character[data-id="char-keeper"] ul.sheet')

    # Ask for one more view through the form.
    card = driver.find_element(By.CSS_SELECTOR, '.character[data-id="char-corgi"]')
    card.find_element(By.CSS_SELECTOR, "details > summary").click()
    views = card.find_element(By.ID, "sheet-char-corgi-views")
    views.send_keys(", profile")
    card.find_element(By.CSS_SELECTOR, '.sheet-form button[type="submit"]').click()
    wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, '.character[data-id="char-corgi"] .sheet-item[data-id="char-corgi-view-profile"]')))
    _, after, _ = server.api("GET", f"/dramas/{drama_id}")
    assert after["characters"][0]["metadata"]["sheet"] == {"views": ["full-body", "profile"], "variants": {"Wet suit": "in a yellow wetsuit"}}

    # A render makes the sheet: every thumbnail becomes a picture.
    status, job, _ = server.api("POST", f"/dramas/{drama_id}/render", {"kinds": ["image"]})
    assert status == 202, job
    assert finished(server, drama_id, job["jobId"])["status"] == "completed"
    open_drama(driver, server, drama_id)
    items = driver.find_elements(By.CSS_SELECTOR, '.character[data-id="char-corgi"] .sheet-item')
    assert len(items) == 4 and all(i.get_attribute("data-state") == "rendered" for i in items)
    for i in items:
        img = i.find_element(By.TAG_NAME, "img")
        assert img.get_attribute("alt").startswith("Pip the Corgi, ")
        wait(driver, lambda dr: loaded(dr, img))
    driver.execute_script("document.querySelector('.cast').scrollIntoView()")
    driver.save_screenshot(str(TARGET / "studio-sheet.png"))


def test_the_candidates_fit_390_px_and_are_saved_as_screenshots(server, driver):
    drama_id = render_best_of_3(driver, server)
    _, drama, _ = server.api("GET", f"/dramas/{drama_id}")
    scene = drama["episodes"][0]["scenes"][0]

    def viewport(width, height):
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 700},
        )

    def show():
        wait(driver, EC.element_to_be_clickable((By.CSS_SELECTOR, f'.scene[data-id="{scene["id"]}"] > .candidates-open'))).click()
        dialog = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog .candidates-form")))
        for img in dialog.find_elements(By.CSS_SELECTOR, ".candidate img"):
            driver.execute_script("arguments[0].loading = 'eager'", img)
            wait(driver, lambda d: loaded(d, img))
        driver.execute_script("arguments[0].scrollTop = 0", dialog.find_element(By.XPATH, "ancestor::dialog"))
        return dialog

    try:
        viewport(1280, 900)
        show()
        driver.save_screenshot(str(TARGET / "studio-candidates-desktop.png"))
        driver.find_element(By.XPATH, '//dialog//button[normalize-space()="Close"]').click()
        viewport(390, 844)
        driver.refresh()
        wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, ".drama .scene")))
        dialog = show()
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 390
        box = dialog.find_element(By.XPATH, "ancestor::dialog").rect
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        for b in dialog.find_elements(By.CSS_SELECTOR, "button"):
            driver.execute_script("arguments[0].scrollIntoView({block: 'nearest'})", b)
            assert b.rect["x"] >= 0 and b.rect["x"] + b.rect["width"] <= 390, b.text
        driver.execute_script("arguments[0].scrollTop = 0", dialog.find_element(By.XPATH, "ancestor::dialog"))
        driver.save_screenshot(str(TARGET / "studio-candidates-390.png"))
        driver.find_element(By.XPATH, '//dialog//button[normalize-space()="Close"]').click()
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
