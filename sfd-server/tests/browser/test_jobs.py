"""The drama's jobs and costs: a failed render shows its reason, retry
(through the estimate) completes it, a running job can be cancelled, and
the spend adds up what the documents and the jobs record.

The simulated renderer refuses prompts marked `[fail]`: that is the
provider failure here.
"""

import json

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conftest import Server, new_id, open_drama, small_drama, store, visit, wait


@pytest.fixture(scope="module")
def server():
    s = Server("--simulated-media")
    yield s
    s.stop()


def rows(driver, **attrs):
    sel = ".drama-jobs .job-row" + "".join(f'[data-{k}="{v}"]' for k, v in attrs.items())
    return driver.find_elements(By.CSS_SELECTOR, sel)


def test_a_failed_render_shows_its_reason_and_retry_completes_it(server, driver):
    drama = small_drama(new_id())
    scene = drama["episodes"][0]["scenes"][0]
    scene["assets"][0]["prompt"] = "Keyframe [fail] of the stairs"
    drama_id = store(server, drama)
    open_drama(driver, server, drama_id)
    wait(driver, lambda d: "No jobs yet." in d.find_element(By.CSS_SELECTOR, ".drama-jobs").text)

    card = driver.find_element(By.CSS_SELECTOR, f'.scene[data-id="{scene["id"]}"]')
    card.find_element(By.CSS_SELECTOR, "details.prompts summary").click()
    card.find_element(By.CSS_SELECTOR, f'.asset[data-id="{scene["id"]}-img"] button').click()
    wait(driver, EC.element_to_be_clickable((By.XPATH, '//dialog//button[normalize-space()="Start render"]'))).click()

    # The panel is drawn again as the drama is read again: ask for what is on screen each time.
    job_id = wait(driver, lambda d: rows(d, status="failed") and rows(d, status="failed")[0].get_attribute("data-job-id"))
    _, job, _ = server.api("GET", f"/dramas/{drama_id}/jobs/{job_id}")
    assert job["status"] == "failed" and "[fail]" in job["error"]
    wait(driver, lambda d: rows(d, **{"job-id": job_id})[0].find_element(By.CSS_SELECTOR, ".job-reason").text == job["error"])

    # The cause is fixed elsewhere; Retry shows the estimate first, then renders.
    path = f"/dramas/{drama_id}/episodes/ep1/scenes/{scene['id']}/assets/{scene['id']}-img"
    assert server.api("PATCH", path, {"prompt": "Keyframe of the stairs"})[0] == 200
    wait(driver, lambda d: rows(d, **{"job-id": job_id})[0].find_element(By.XPATH, './/button[normalize-space()="Retry"]').click() or True)
    wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog .plan .cost")))
    assert "Estimated cost" in driver.find_element(By.CSS_SELECTOR, "dialog .plan .cost").text
    wait(driver, EC.element_to_be_clickable((By.XPATH, '//dialog//button[normalize-space()="Start render"]'))).click()

    done = wait(driver, lambda d: [r.get_attribute("data-job-id") for r in rows(d, status="completed")])[0]
    _, again, _ = server.api("GET", f"/dramas/{drama_id}/jobs/{done}")
    assert again["status"] == "completed" and again["input"]["render"]["assets"] == [f"{scene['id']}-img"]
    _, asset, _ = server.api("GET", path)
    assert asset["url"]
    # The failure stays listed with its reason.
    wait(driver, lambda d: rows(d, **{"job-id": job_id})[0].find_element(By.CSS_SELECTOR, ".job-reason").text == job["error"])


def test_the_spend_adds_up_the_files_and_the_jobs(server, driver):
    drama = small_drama(new_id())
    drama["episodes"][0]["scenes"][0]["assets"][0]["metadata"] = {"render": {
        "provider": "elsewhere", "model": "m", "promptHash": "", "inputsHash": "", "bytes": 1,
        "contentType": "image/png", "renderedAt": 1, "usage": {}, "costUsd": 0.04}}
    drama_id = store(server, drama)
    open_drama(driver, server, drama_id)
    assert driver.find_element(By.CSS_SELECTOR, '.spend [data-spend="files"]').text == "$0.04"
    assert driver.find_element(By.CSS_SELECTOR, '.spend [data-spend="jobs"]').text == "$0.00"


def test_a_running_job_can_be_cancelled_from_the_panel(driver):
    # The simulated provider takes ten minutes over a prompt marked [hold].
    s = Server("--simulated-media")
    try:
        drama = small_drama(new_id())
        drama["episodes"][0]["scenes"][0]["assets"][0]["prompt"] = "Keyframe [hold]"
        drama_id = store(s, drama)
        _, started, _ = s.api("POST", f"/dramas/{drama_id}/render", {"kinds": ["image"]})
        open_drama(driver, s, drama_id)
        cancel = './/button[normalize-space()="Cancel"]'
        wait(driver, lambda d: rows(d, **{"job-id": started["jobId"]})[0].find_element(By.XPATH, cancel).click() or True)
        wait(driver, lambda d: rows(d, **{"job-id": started["jobId"], "status": "cancelled"}))
        assert s.api("GET", f"/dramas/{drama_id}/jobs/{started['jobId']}")[1]["status"] == "cancelled"
        # What was rendered before the cancel shows (the page reads the drama again).
        wait(driver, lambda d: d.execute_script("return [...document.images].every(i => i.complete)"))
        visit(driver, "about:blank")
    finally:
        s.stop()


def test_a_priced_render_shows_its_spend_from_the_files_and_the_job(driver, tmp_path):
    # The simulated model at a price (SFD_PRICES adds a model's prices):
    # its render then costs what a paid provider's would.
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"simulated": {"perImage": 0.05, "perSecond": 0.1, "perMillionCharacters": 15}}))
    s = Server("--simulated-media", env={"SFD_PRICES": str(prices)})
    try:
        drama_id = store(s, small_drama(new_id()))
        open_drama(driver, s, drama_id)
        # The estimate before the render is not free either.
        driver.find_element(By.XPATH, '//main//button[normalize-space()="Render…"]').click()
        estimate = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog .plan .cost")))
        assert "$0.00" not in estimate.text, estimate.text
        wait(driver, EC.element_to_be_clickable((By.XPATH, '//dialog//button[normalize-space()="Start render"]'))).click()
        wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, '.job[data-status="completed"][data-type="render_drama"]')))

        _, drama, _ = s.api("GET", f"/dramas/{drama_id}")
        _, jobs, _ = s.api("GET", f"/dramas/{drama_id}/jobs")
        assets = drama.get("assets", []) + [a for c in drama["characters"] for a in c.get("assets", [])] + [
            a for e in drama["episodes"] for a in e.get("assets", []) + [x for sc in e["scenes"] for x in sc["assets"]]]
        files = sum(a["metadata"]["render"]["costUsd"] for a in assets if a.get("metadata", {}).get("render"))
        spent = sum(j["result"]["costUsd"] for j in jobs["jobs"] if (j.get("result") or {}).get("costUsd") is not None)
        assert files > 0 and spent > 0, (files, spent)

        def shown(which, value):
            return f"${value:.{4 if 0 < value < 0.01 else 2}f}" == driver.find_element(By.CSS_SELECTOR, f'.spend [data-spend="{which}"]').text

        wait(driver, lambda d: shown("files", files) and shown("jobs", spent))
        visit(driver, "about:blank")
    finally:
        s.stop()
