"""The drama's actions in the studio: critique, improve, delete, and images at asset URLs."""

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conftest import new_id, open_drama, small_drama, store, visit, wait


def click_button(driver, text):
    driver.find_element(By.XPATH, f'//main//button[normalize-space()="{text}"]').click()


def test_critique_shows_the_scores_of_the_job_result(server, driver):
    drama_id = store(server, small_drama(new_id()))
    open_drama(driver, server, drama_id)
    click_button(driver, "Critique")
    panel = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, ".critique")))
    _, jobs, _ = server.api("GET", f"/dramas/{drama_id}/jobs")
    (job,) = [j for j in jobs["jobs"] if j["type"] == "critic_drama"]
    scores = job["result"]["critique"]["scores"]
    for name, value in scores.items():
        cell = panel.find_element(By.CSS_SELECTOR, f'dd[data-score="{name}"]')
        assert cell.find_element(By.CSS_SELECTOR, ".score").text == f"{value}/10"
        assert cell.find_element(By.TAG_NAME, "meter").get_attribute("value") == str(value)
    assert len(scores) == 5


def test_improve_with_feedback_makes_a_new_drama(server, driver):
    drama_id = store(server, small_drama(new_id()))
    open_drama(driver, server, drama_id)
    click_button(driver, "Improve…")
    box = wait(driver, EC.visibility_of_element_located((By.ID, "improve-feedback")))
    box.send_keys("Give the keeper a secret.")
    driver.find_element(By.XPATH, '//dialog//button[normalize-space()="Improve"]').click()
    job = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, '.job[data-status="completed"][data-type="improve_drama"]')))
    job.find_element(By.LINK_TEXT, "Open the drama").click()
    # The view may be drawn again while the jobs panel updates: read the id
    # in the page, not through an element that a redraw can replace.
    shown = "const d = document.querySelector('.drama'); return d && d.querySelector('.scene') ? d.dataset.id : null"
    improved = wait(driver, lambda d: (d.execute_script(shown) or "").startswith(f"{drama_id}_improved_") and d.execute_script(shown))
    assert server.api("GET", f"/dramas/{improved}")[0] == 200
    assert server.api("GET", f"/dramas/{drama_id}")[0] == 200  # the original stays


def test_delete_asks_first_then_deletes(server, driver):
    drama_id = store(server, small_drama(new_id()))
    open_drama(driver, server, drama_id)
    click_button(driver, "Delete…")
    keep = wait(driver, EC.visibility_of_element_located((By.XPATH, '//dialog//button[normalize-space()="Keep it"]')))
    keep.click()
    wait(driver, EC.invisibility_of_element_located((By.CSS_SELECTOR, "dialog")))
    assert server.api("GET", f"/dramas/{drama_id}")[0] == 200

    click_button(driver, "Delete…")
    wait(driver, EC.visibility_of_element_located((By.XPATH, '//dialog//button[normalize-space()="Delete"]'))).click()
    wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, ".drama-grid")))
    assert driver.execute_script("return location.hash") == "#/"
    assert not driver.find_elements(By.CSS_SELECTOR, f'.drama-card[data-id="{drama_id}"]')
    assert server.api("GET", f"/dramas/{drama_id}")[0] == 404


def test_scene_cards_show_the_image_at_the_asset_url(server, driver):
    # A file this server already serves stands in for a rendered image.
    drama_id = store(server, small_drama(new_id(), image_url="/studio/icon.svg"))
    open_drama(driver, server, drama_id)
    panel = driver.find_element(By.CSS_SELECTOR, '.episode[data-id="ep1"]')
    assert not panel.find_elements(By.CSS_SELECTOR, ".frame.placeholder")
    images = panel.find_elements(By.CSS_SELECTOR, ".scene .frame img")
    assert len(images) == 2
    wait(driver, lambda d: all(d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", i) for i in images))
    # The videos are not rendered: each card still offers its image, no player.
    assert not panel.find_elements(By.CSS_SELECTOR, ".frame video")


def test_the_list_pages_with_the_cursor_and_shows_covers_and_times(server, driver):
    for _ in range(13):
        store(server, small_drama(new_id()))
    with_cover = small_drama(new_id(), title="Has a cover")
    with_cover["assets"] = [{"id": "cover", "kind": "image", "prompt": "The poster", "url": "/studio/icon.svg"}]
    store(server, with_cover)
    total = len(server.api("GET", "/dramas?limit=1000")[1]["dramas"])

    visit(driver, server.url + "/")
    wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".drama-card")) == 12)
    more = driver.find_element(By.XPATH, '//button[normalize-space()="Load more"]')
    while more.is_displayed():
        shown = len(driver.find_elements(By.CSS_SELECTOR, ".drama-card"))
        more.click()
        wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".drama-card")) > shown)
        wait(driver, lambda d: more.is_enabled())
    ids = [c.get_attribute("data-id") for c in driver.find_elements(By.CSS_SELECTOR, ".drama-card")]
    assert len(ids) == len(set(ids)) == total

    card = driver.find_element(By.CSS_SELECTOR, f'.drama-card[data-id="{with_cover["id"]}"]')
    thumb = wait(driver, lambda d: card.find_element(By.CSS_SELECTOR, "img.thumb"))
    wait(driver, lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", thumb))
    assert card.find_element(By.TAG_NAME, "time").get_attribute("datetime")
    others = driver.find_elements(By.CSS_SELECTOR, ".drama-card .thumb.placeholder")
    assert len(others) == total - 1
