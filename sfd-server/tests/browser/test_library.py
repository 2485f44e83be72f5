"""The asset library panel of the studio: the drama's library is listed,
a file is uploaded, and a library image becomes a character's reference."""

import base64
import pathlib

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from conftest import new_id, open_drama, small_drama, store, wait

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


def test_upload_list_and_pick_a_library_image(server, driver, tmp_path: pathlib.Path):
    drama_id = store(server, small_drama(new_id()))
    open_drama(driver, server, drama_id)
    panel = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "section.library")))
    wait(driver, lambda d: "No library assets yet." in panel.text, "the empty library")
    sheet = tmp_path / "pip-sheet.png"
    sheet.write_bytes(PNG)
    panel.find_element(By.CSS_SELECTOR, 'input[type="file"]').send_keys(str(sheet))
    Select(panel.find_element(By.CSS_SELECTOR, 'select[name="tag"]')).select_by_value("character")
    panel.find_element(By.XPATH, './/button[normalize-space()="Upload to library"]').click()
    item = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "section.library .library-item")))
    assert "pip-sheet.png" in item.text and "image · character" in item.text
    _, listed, _ = server.api("GET", f"/asset-library/list?project_name={drama_id}")
    (asset,) = listed["assets"]
    assert asset["asset_id"] == item.get_attribute("data-id")

    Select(item.find_element(By.TAG_NAME, "select")).select_by_value("char-corgi")
    wait(driver, lambda d: "reference of Pip the Corgi" in d.find_element(By.CSS_SELECTOR, "section.library .library-item").text,
         "the pick shows")
    _, drama, _ = server.api("GET", f"/dramas/{drama_id}")
    portrait = drama["characters"][0]["assets"][0]
    assert portrait["id"] == "char-corgi-portrait"
    assert portrait["depends_on"] == [f"library:{asset['asset_id']}"]
