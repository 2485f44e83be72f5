"""The studio's text flows: generate, edit, 412, auth, escaping, keyboard, 390 px."""

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from conftest import TARGET, Server, new_id, open_drama, scene_field, small_drama, store, unnamed_controls, visit, wait

XSS = "<img src=x onerror=alert(1)>"


def test_a_premise_becomes_a_drama_with_live_progress_and_a_cast(server, driver, console):
    visit(driver, server.url + "/")
    premise = wait(driver, EC.element_to_be_clickable((By.ID, "premise")))
    premise.send_keys("A corgi inventor wants to become the richest dog in the world")
    for field_id, value in (("episodes", "2"), ("scenes", "2")):
        box = driver.find_element(By.ID, field_id)
        box.clear()
        box.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, ".new-drama button[type=submit]").click()

    job = wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, '.job[data-status="completed"][data-type="generate_drama"]')))
    assert job.get_attribute("data-stage") == "episodes"
    assert job.get_attribute("data-done") == job.get_attribute("data-total") == "2"
    bar = job.find_element(By.TAG_NAME, "progress")
    assert bar.get_attribute("value") == bar.get_attribute("max") == "2"

    # The page opens the new drama: its cast is the API's cast.
    wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, ".cast .character")))
    drama_id = driver.find_element(By.CSS_SELECTOR, ".drama").get_attribute("data-id")
    status, drama, _ = server.api("GET", f"/dramas/{drama_id}")
    assert status == 200
    assert [len(e["scenes"]) for e in drama["episodes"]] == [2, 2]
    names = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".cast .character-name strong")]
    assert names == [c["name"] for c in drama["characters"]] and names
    # Progress came through the event stream, not the polling fallback.
    assert not [e for e in console.read() if "polling instead" in e["message"]]


def test_an_edited_scene_description_reaches_the_api(server, driver):
    drama_id = store(server, small_drama(new_id()))
    open_drama(driver, server, drama_id)
    field = scene_field(driver, drama_id, "ep1", "ep1-sc2")
    box = field.find_element(By.TAG_NAME, "textarea")
    box.clear()
    box.send_keys("The corgi rings the storm bell.")
    field.find_element(By.CSS_SELECTOR, ".field-actions button").click()
    wait(driver, lambda d: field.get_attribute("data-saved") == "true")
    _, scene, _ = server.api("GET", f"/dramas/{drama_id}/episodes/ep1/scenes/ep1-sc2")
    assert scene["description"] == "The corgi rings the storm bell."


def test_an_edit_after_a_concurrent_patch_says_so_and_keeps_the_typed_text(server, driver, console):
    console.expect(r"status of 412")
    drama_id = store(server, small_drama(new_id()))
    open_drama(driver, server, drama_id)
    status, _, _ = server.api(
        "PATCH", f"/dramas/{drama_id}/episodes/ep1/scenes/ep1-sc1", {"description": "Maren lights the lamp herself."}
    )
    assert status == 200

    typed = "Pip pulls the lever with his teeth."
    box = scene_field(driver, drama_id, "ep1", "ep1-sc1").find_element(By.TAG_NAME, "textarea")
    box.clear()
    box.send_keys(typed)
    scene_field(driver, drama_id, "ep1", "ep1-sc1").find_element(By.CSS_SELECTOR, ".field-actions button").click()

    def shown_note(d):
        note = scene_field(d, drama_id, "ep1", "ep1-sc1").find_element(By.CSS_SELECTOR, ".conflict")
        return note if note.is_displayed() else False

    note = wait(driver, shown_note)
    assert "changed elsewhere" in note.text
    assert note.find_element(By.CSS_SELECTOR, ".newer").text == "Maren lights the lamp herself."
    field = scene_field(driver, drama_id, "ep1", "ep1-sc1")
    assert field.find_element(By.TAG_NAME, "textarea").get_attribute("value") == typed
    _, scene, _ = server.api("GET", f"/dramas/{drama_id}/episodes/ep1/scenes/ep1-sc1")
    assert scene["description"] == "Maren lights the lamp herself."  # nothing overwritten

    # Saving again, now against the newer version, replaces it.
    field.find_element(By.CSS_SELECTOR, ".field-actions button").click()
    wait(driver, lambda d: scene_field(d, drama_id, "ep1", "ep1-sc1").get_attribute("data-saved") == "true")
    _, scene, _ = server.api("GET", f"/dramas/{drama_id}/episodes/ep1/scenes/ep1-sc1")
    assert scene["description"] == typed


def test_a_generation_the_server_cannot_run_shows_why(driver, console):
    console.expect(r"status of 503")
    bare = Server(llm=False)
    try:
        visit(driver, bare.url + "/")
        wait(driver, EC.element_to_be_clickable((By.ID, "premise"))).send_keys("A corgi without a writer")
        driver.find_element(By.CSS_SELECTOR, ".new-drama button[type=submit]").click()
        error = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, ".new-drama .error")))
        assert "OPENAI_API_KEY" in error.text
        assert driver.find_element(By.ID, "premise").get_attribute("value") == "A corgi without a writer"
    finally:
        bare.stop()


def test_with_api_keys_the_page_asks_for_a_key_then_lists(driver, console):
    console.expect(r"status of 401")
    keyed = Server(env={"API_KEYS": "studio-key-1,studio-key-2"}, key="studio-key-2")
    try:
        drama_id = store(keyed, small_drama(new_id(), title="Behind the key"))
        visit(driver, keyed.url + "/")
        dialog = wait(driver, EC.visibility_of_element_located((By.ID, "key-dialog")))
        dialog.find_element(By.ID, "key-input").send_keys("wrong-key")
        dialog.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait(driver, lambda d: "not accepted" in d.find_element(By.ID, "key-error").text)
        dialog.find_element(By.ID, "key-input").send_keys("studio-key-2", Keys.ENTER)
        card = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, f'.drama-card[data-id="{drama_id}"]')))
        assert "Behind the key" in card.text
        assert not dialog.is_displayed()
        # The key is kept for the tab: a reload lists without asking.
        driver.refresh()
        wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, f'.drama-card[data-id="{drama_id}"]')))
        assert not driver.find_element(By.ID, "key-dialog").is_displayed()
        assert driver.execute_script("return sessionStorage.getItem('sfd.apiKey')") == "studio-key-2"
    finally:
        driver.execute_script("sessionStorage.clear()")
        keyed.stop()


def test_markup_in_a_document_shows_as_text_and_runs_nothing(server, driver):
    drama = small_drama(new_id(), title=XSS)
    drama["episodes"][0]["scenes"][0]["description"] = XSS
    drama["characters"][0]["name"] = XSS
    drama_id = store(server, drama)

    visit(driver, server.url + "/")
    card = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, f'.drama-card[data-id="{drama_id}"]')))
    assert card.find_element(By.CSS_SELECTOR, ".drama-title").text == XSS
    card.find_element(By.TAG_NAME, "a").click()
    wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, f'.drama[data-id="{drama_id}"] .scene')))

    box = scene_field(driver, drama_id, "ep1", "ep1-sc1").find_element(By.TAG_NAME, "textarea")
    assert box.get_attribute("value") == XSS
    assert driver.find_element(By.CSS_SELECTOR, ".cast .character-name strong").text == XSS
    assert driver.find_element(By.CSS_SELECTOR, "h1").get_attribute("textContent") == XSS
    # No element was made from the markup, so no image can fail and no handler can run.
    wait(driver, lambda d: d.execute_script("return [...document.images].every(i => i.complete)"))
    assert driver.execute_script("return [...document.querySelectorAll('img')].filter(i => i.getAttribute('src') === 'x').length") == 0
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text


def test_every_control_is_labelled_and_reachable_by_keyboard(server, driver):
    drama_id = store(server, small_drama(new_id()))
    open_drama(driver, server, drama_id)
    assert unnamed_controls(driver) == []
    # Every control is in the tab order (none removed with a negative tabindex but the inactive tabs).
    untabbable = driver.execute_script("""
        return [...document.querySelectorAll('a[href], button, input, textarea, summary')]
            .filter((el) => el.tabIndex < 0 && el.getAttribute('role') !== 'tab').length;
    """)
    assert untabbable == 0

    # Episodes are tabs: arrow keys move between them.
    first = driver.find_element(By.CSS_SELECTOR, '[role=tab][data-id="ep1"]')
    first.click()
    first.send_keys(Keys.ARROW_RIGHT)
    second = driver.find_element(By.CSS_SELECTOR, '[role=tab][data-id="ep2"]')
    wait(driver, lambda d: second.get_attribute("aria-selected") == "true")
    assert driver.switch_to.active_element == second
    assert driver.find_element(By.CSS_SELECTOR, '.episode[data-id="ep2"]').is_displayed()
    assert not driver.find_element(By.CSS_SELECTOR, '.episode[data-id="ep1"]').is_displayed()

    # From the top of the list page, Tab reaches the premise box.
    visit(driver, server.url + "/")
    wait(driver, EC.presence_of_element_located((By.ID, "premise")))
    driver.execute_script("document.activeElement.blur()")
    for _ in range(20):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        if driver.switch_to.active_element.get_attribute("id") == "premise":
            break
    assert driver.switch_to.active_element.get_attribute("id") == "premise"


def test_the_drama_view_fits_390_px_and_is_saved_as_screenshots(server, driver):
    drama_id = store(server, small_drama(new_id()))
    open_drama(driver, server, drama_id)
    TARGET.mkdir(exist_ok=True)

    def viewport(width, height):
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 700},
        )

    try:
        viewport(1280, 1300)
        driver.save_screenshot(str(TARGET / "studio-drama-desktop.png"))
        viewport(390, 844)
        driver.refresh()
        wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, ".drama .scene")))
        assert driver.execute_script("return innerWidth") == 390
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 390
        # Two scene cards side by side, each a 9:16 frame.
        frame = driver.find_element(By.CSS_SELECTOR, ".scene .frame").rect
        assert 100 < frame["width"] < 195
        assert abs(frame["height"] / frame["width"] - 16 / 9) < 0.02
        viewport(390, 1500)
        driver.save_screenshot(str(TARGET / "studio-drama-390.png"))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
