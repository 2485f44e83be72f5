"""`/docs` in Chromium: Swagger UI lists every operation of /openapi.json,
and a try-it call on a nested route answers 200 with the key from Authorize."""

import pathlib
import tempfile

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from conftest import Server, new_id, png, small_drama, store, visit, wait

KEY = "docs-key-1"


@pytest.fixture(scope="module")
def server():
    s = Server("--simulated-media", env={"API_KEYS": KEY}, key=KEY)
    yield s
    s.stop()


def operations(driver):
    return {
        (b.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text.lower(),
         b.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path"))
        for b in driver.find_elements(By.CSS_SELECTOR, ".opblock")
    }


def test_docs_list_every_operation_of_the_spec(server, driver):
    spec = server.api("GET", "/openapi.json")[1]
    want = {(m, p) for p, item in spec["paths"].items() for m in item}
    assert spec["components"]["securitySchemes"]["ApiKey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    visit(driver, server.url + "/docs")
    wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) == len(want))
    assert operations(driver) == want
    # An upload takes a file.
    upload = driver.find_element(By.CSS_SELECTOR, '.opblock-put .opblock-summary-path[data-path$="/content"]')
    upload.click()
    block = upload.find_element(By.XPATH, "ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' opblock ')][1]")
    wait(driver, lambda d: block.find_elements(By.CSS_SELECTOR, "input[type=file]"))


def test_try_it_on_a_nested_get_with_the_key_answers_200(server, driver):
    drama_id = store(server, small_drama(new_id()))
    visit(driver, server.url + "/docs")
    wait(driver, EC.element_to_be_clickable((By.CSS_SELECTOR, "button.authorize"))).click()
    box = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, ".auth-container input")))
    box.send_keys(KEY)
    driver.find_element(By.CSS_SELECTOR, ".auth-container button[type=submit]").click()
    driver.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.btn-done").click()

    block = operation(driver, "get", "/dramas/{id}/episodes/{eid}/scenes/{sid}", id=drama_id, eid="ep1", sid="ep1-sc2")
    assert executed(driver, block) == "200"
    body = block.find_element(By.CSS_SELECTOR, ".live-responses-table .microlight, .live-responses-table pre").text
    assert '"ep1-sc2"' in body

    # An upload, tried from the page: a PNG becomes the scene image's file.
    block = operation(driver, "put", "/dramas/{id}/episodes/{eid}/scenes/{sid}/assets/{aid}/content",
                      id=drama_id, eid="ep1", sid="ep1-sc1", aid="ep1-sc1-img")
    Select(block.find_element(By.CSS_SELECTOR, ".opblock-section-request-body select")).select_by_visible_text("image/png")
    with tempfile.TemporaryDirectory() as folder:
        picture = pathlib.Path(folder) / "p.png"
        picture.write_bytes(png(8, 8, (1, 2, 3)))
        block.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(picture))
        assert executed(driver, block) == "200"
    _, asset, _ = server.api("GET", f"/dramas/{drama_id}/episodes/ep1/scenes/ep1-sc1/assets/ep1-sc1-img")
    assert asset["metadata"]["render"]["provider"] == "upload"


def operation(driver, method, path, **params):
    """Opens one operation and fills in its path parameters; its block."""
    summary = driver.find_element(By.CSS_SELECTOR, f'.opblock-{method} .opblock-summary-path[data-path="{path}"]')
    driver.execute_script("arguments[0].scrollIntoView()", summary)
    summary.click()
    block = summary.find_element(By.XPATH, "ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' opblock ')][1]")
    for name, value in params.items():
        field = wait(driver, lambda d: block.find_element(By.CSS_SELECTOR, f'tr[data-param-name="{name}"] input'))
        field.send_keys(value)
    return block


def executed(driver, block):
    """Runs the operation; the status it answered."""
    block.find_element(By.CSS_SELECTOR, "button.execute").click()
    status = wait(driver, lambda d: block.find_element(By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status"))
    return status.text.strip()
