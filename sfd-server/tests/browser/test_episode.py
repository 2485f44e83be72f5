"""From a premise to a finished episode in the studio: generate, render
(simulated), assemble, watch the cut with its subtitles, download every
export, and replace a portrait with one's own file.

One drama is made for the module (generation, render and assembly take a
while on a small machine) and each test continues from it.
"""

import base64
import io
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
import wave

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import TARGET, Server, check_dialog, new_id, open_drama, png, small_drama, store, unnamed_controls, visit, wait

LONG = 300  # seconds an assembly may take on a loaded 2-core machine

# The Content-Type of each export, by format and bundle.
TYPES = {
    ("fountain", ""): "text/plain",
    ("csv", ""): "text/csv",
    ("zip", ""): "application/zip",
    ("srt", ""): "application/x-subrip",
    ("otio", ""): "application/json",
    ("otio", "zip"): "application/zip",
    ("fcpxml", ""): "application/xml",
    ("fcpxml", "zip"): "application/zip",
    ("edl", ""): "text/plain",
    ("edl", "zip"): "application/zip",
    ("capcut", ""): "application/zip",
}
DRAMA_WIDE = [("fountain", ""), ("csv", ""), ("zip", "")]
PER_EPISODE = [("srt", ""), ("otio", ""), ("otio", "zip"), ("fcpxml", ""), ("fcpxml", "zip"),
               ("edl", ""), ("edl", "zip"), ("capcut", "")]


# The server's ffmpeg: the real one, run through a script that writes each
# call's arguments to `calls.log` and, while `armed` exists, holds the call
# that writes the cut (`…/cut.mp4`), saying so in `held`, until the test
# writes a line to the `gate` pipe: an assembly can be seen running.
FFMPEG = """#!/bin/sh
dir="$(dirname "$0")"
printf '%s\\n' "$*" >> "$dir/calls.log"
case "$*" in
  *cut.mp4) if [ -e "$dir/armed" ]; then : > "$dir/held"; read -r _ < "$dir/gate"; fi ;;
esac
exec ffmpeg "$@"
"""


@pytest.fixture(scope="module")
def gate():
    """The folder of the held ffmpeg (see FFMPEG)."""
    d = pathlib.Path(tempfile.mkdtemp(prefix="sfd-ffmpeg-"))
    script = d / "ffmpeg"
    script.write_text(FFMPEG)
    script.chmod(0o755)
    (d / "ffprobe").symlink_to(shutil.which("ffprobe"))  # the server looks for it beside ffmpeg
    os.mkfifo(d / "gate")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def server(gate):
    s = Server("--simulated-media", env={"SFD_FFMPEG": str(gate / "ffmpeg")})
    yield s
    s.stop()


@pytest.fixture(scope="module")
def files():
    d = pathlib.Path(tempfile.mkdtemp(prefix="sfd-upload-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def long_wait(driver, condition, message=""):
    return WebDriverWait(driver, LONG).until(condition, message)


def shown_panel(driver):
    return driver.find_element(By.CSS_SELECTOR, ".episode:not([hidden])")


def ffprobe_fps(data):
    """The cut's frame rate, read from the file with ffprobe."""
    with tempfile.NamedTemporaryFile(suffix=".mp4") as f:
        f.write(data)
        f.flush()
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=r_frame_rate", "-of", "json", f.name],
            capture_output=True, text=True, check=True,
        ).stdout
    num, den = json.loads(out)["streams"][0]["r_frame_rate"].split("/")
    return int(num) / int(den)


@pytest.fixture(scope="module")
def assembled(server, driver):
    """Premise → generate → render → assemble, all through the page; the drama id."""
    visit(driver, server.url + "/")
    wait(driver, EC.element_to_be_clickable((By.ID, "premise"))).send_keys("A corgi runs a night bakery")
    # Two episodes: a one-episode export asked for the drama would be refused.
    for field_id, value in (("episodes", "2"), ("scenes", "1")):
        box = driver.find_element(By.ID, field_id)
        box.clear()
        box.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, ".new-drama button[type=submit]").click()
    wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, ".drama .scene")))
    drama_id = driver.find_element(By.CSS_SELECTOR, ".drama").get_attribute("data-id")

    driver.find_element(By.XPATH, '//main//button[normalize-space()="Render…"]').click()
    wait(driver, EC.element_to_be_clickable((By.XPATH, '//dialog//button[normalize-space()="Start render"]'))).click()
    long_wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, '.job[data-status="completed"][data-type="render_drama"]')))
    # The drama is read again once the render is done: the cut section is drawn anew.
    long_wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, ".episode:not([hidden]) .frame.placeholder"))

    assemble = wait(driver, EC.element_to_be_clickable((By.CSS_SELECTOR, ".episode:not([hidden]) .cut button")))
    assert assemble.text == "Assemble…"
    assemble.click()
    dialog = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog .assemble-form")))
    assert dialog.find_element(By.ID, "assemble-subtitles-track").is_selected()
    dialog.find_element(By.XPATH, './/button[normalize-space()="Assemble"]').click()
    long_wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, '.job[data-status="completed"][data-type="assemble_episode"]')))
    long_wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, '.cut[data-state="current"] video.cut-player')))
    return drama_id


def test_premise_to_a_cut_that_plays_with_its_subtitles(server, driver, assembled):
    drama_id = assembled
    _, drama, _ = server.api("GET", f"/dramas/{drama_id}")
    episode = drama["episodes"][0]
    _, jobs, _ = server.api("GET", f"/dramas/{drama_id}/jobs")
    job = next(j for j in jobs["jobs"] if j["type"] == "assemble_episode")
    assert job["status"] == "completed", job
    cut = job["result"]
    assert episode["url"] == cut["url"]

    video = driver.find_element(By.CSS_SELECTOR, ".episode:not([hidden]) video.cut-player")
    assert video.get_attribute("src") == server.url + cut["url"]
    wait(driver, lambda d: d.execute_script("return arguments[0].readyState", video) >= 2)
    with urllib.request.urlopen(server.url + cut["url"], timeout=30) as res:
        frame = 1 / ffprobe_fps(res.read())
    duration = driver.execute_script("return arguments[0].duration", video)
    assert abs(duration - cut["duration"]) <= frame, (duration, cut["duration"], frame)
    # It plays: time moves on.
    driver.execute_script("arguments[0].muted = true; arguments[0].play()", video)
    wait(driver, lambda d: d.execute_script("return arguments[0].currentTime", video) > 0)
    driver.execute_script("arguments[0].pause()", video)

    # The subtitles are a text track holding the episode's cues.
    track = video.find_element(By.CSS_SELECTOR, "track")
    assert track.get_attribute("kind") == "subtitles"
    wait(driver, lambda d: d.execute_script("return arguments[0].readyState", track) == 2)
    cues = driver.execute_script("return arguments[0].track.cues.length", track)
    assert cues == cut["cues"] > 0
    # The cut is not listed among the prompts to render.
    assert not driver.find_elements(By.CSS_SELECTOR, f'.asset[data-id="{episode["id"]}-cut"]')


def assemble_second_episode(driver, server, drama_id, subtitles, audio, while_held=None, gate=None):
    """Assembles the drama's second episode from its panel with these
    options; with `gate`, the cut's ffmpeg call is held and `while_held()`
    runs meanwhile. Returns the job's final record and the cut's ffmpeg call."""
    open_drama(driver, server, drama_id)
    _, drama, _ = server.api("GET", f"/dramas/{drama_id}")
    episode = drama["episodes"][1]
    driver.find_element(By.CSS_SELECTOR, f'[role=tab][data-id="{episode["id"]}"]').click()
    panel = f'.episode[data-id="{episode["id"]}"]'
    wait(driver, EC.element_to_be_clickable((By.CSS_SELECTOR, f"{panel} .cut button"))).click()
    dialog = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog .assemble-form")))
    dialog.find_element(By.ID, f"assemble-subtitles-{subtitles}").click()
    dialog.find_element(By.ID, f"assemble-audio-{audio}").click()
    _, before, _ = server.api("GET", f"/dramas/{drama_id}/jobs")
    known = {j["jobId"] for j in before["jobs"]}
    log = gate / "calls.log"
    calls = len(log.read_text().splitlines()) if log.exists() else 0
    armed = gate / "armed"
    if while_held:
        armed.touch()
    try:
        dialog.find_element(By.XPATH, './/button[normalize-space()="Assemble"]').click()
        job = wait(driver, lambda d: next((j for j in server.api("GET", f"/dramas/{drama_id}/jobs")[1]["jobs"]
                                           if j["type"] == "assemble_episode" and j["jobId"] not in known), None))
        # The options chosen are the ones the job was asked for.
        assert job["input"]["episode"] == episode["id"]
        assert job["input"]["assemble"] == {"subtitles": subtitles, "audio": audio}, job["input"]
        if while_held:
            long_wait(driver, lambda d: (gate / "held").exists(), "the cut's ffmpeg call is held")
            while_held(panel, job)
    finally:
        if while_held:
            armed.unlink()
            if (gate / "held").exists():
                (gate / "held").unlink()
                with open(gate / "gate", "w") as g:  # lets the held call go on
                    g.write("go\n")
    record = finished(server, drama_id, job["jobId"])
    assert record["status"] == "completed", record.get("error")
    long_wait(driver, EC.presence_of_element_located(
        (By.CSS_SELECTOR, f'{panel} .cut[data-state="current"] video.cut-player[src="{server.url}{record["result"]["url"]}"]')))
    cut = [c for c in log.read_text().splitlines()[calls:] if c.endswith("cut.mp4")]
    assert len(cut) == 1, cut
    return record, cut[0]


def subtitle_streams(url):
    """The subtitle streams of the file at `url`, read by ffprobe."""
    with urllib.request.urlopen(url, timeout=30) as res, tempfile.NamedTemporaryFile(suffix=".mp4") as f:
        f.write(res.read())
        f.flush()
        out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "s", "-show_entries", "stream=codec_name", "-of", "json", f.name],
                             capture_output=True, text=True, check=True).stdout
    return json.loads(out).get("streams", [])


def test_assembling_without_subtitles_and_with_mixed_sound_shows_its_progress(server, driver, assembled, gate):
    drama_id = assembled

    def while_held(panel, job):
        # The assembly is running (its cut is held): the episode shows its progress.
        line = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, f"{panel} .cut-progress")))
        bar = line.find_element(By.TAG_NAME, "progress")
        wait(driver, lambda d: float(bar.get_attribute("value")) > 0)
        assert "assembling" in line.text
        # (The bar follows the job's progress events; the record shows it still running.)
        status, running, _ = server.api("GET", f"/dramas/{drama_id}/jobs/{job['jobId']}")
        assert running["status"] == "processing", running
        assert float(bar.get_attribute("value")) < float(bar.get_attribute("max"))

    job, call = assemble_second_episode(driver, server, drama_id, "none", "mix", while_held, gate)
    panel = f'.episode[data-id="{job["result"]["episodeId"]}"]'
    # At the end the progress line goes away.
    wait(driver, EC.invisibility_of_element_located((By.CSS_SELECTOR, f"{panel} .cut-progress")))
    # No subtitles: none drawn, no stream in the file, no text track on the player.
    assert "subtitles=" not in call and "mov_text" not in call, call
    assert subtitle_streams(server.url + job["result"]["url"]) == []
    assert not driver.find_elements(By.CSS_SELECTOR, f"{panel} video.cut-player track")
    # With subtitles as a track (the default), the file has one.
    _, first, _ = server.api("GET", f"/dramas/{assembled}")
    assert [s["codec_name"] for s in subtitle_streams(server.url + first["episodes"][0]["url"])] == ["mov_text"]


def test_assembling_with_burned_subtitles_and_the_clips_sound(server, driver, assembled, gate):
    job, call = assemble_second_episode(driver, server, assembled, "burn", "video", gate=gate)
    panel = f'.episode[data-id="{job["result"]["episodeId"]}"]'
    # Burned: drawn into the picture by ffmpeg's subtitles filter, no
    # subtitle stream in the file, and no text track on the player.
    assert job["result"]["cues"] > 0 and "subtitles=" in call and "mov_text" not in call, call
    assert subtitle_streams(server.url + job["result"]["url"]) == []
    assert not driver.find_elements(By.CSS_SELECTOR, f"{panel} video.cut-player track")


def test_the_episode_view_with_its_player_at_desktop_and_390_px(server, driver, assembled):
    open_drama(driver, server, assembled)
    wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, ".cut video.cut-player")))

    def viewport(width, height):
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 700},
        )

    def show_cut():
        video = driver.find_element(By.CSS_SELECTOR, ".cut video.cut-player")
        driver.execute_script("document.querySelector('.episodes').scrollIntoView()")
        # A frame from within the cut, not the first black one.
        driver.execute_script("arguments[0].currentTime = 1", video)
        wait(driver, lambda d: d.execute_script("return arguments[0].readyState >= 2 && !arguments[0].seeking", video))
        return video

    try:
        viewport(1280, 900)
        show_cut()
        driver.save_screenshot(str(TARGET / "studio-episode-desktop.png"))
        viewport(390, 844)
        driver.refresh()
        wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, ".cut video.cut-player")))
        video = show_cut()
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 390
        rect = video.rect
        assert 200 <= rect["width"] <= 390 and rect["height"] > rect["width"]
        # Every button of the cut section can be reached without scrolling sideways.
        for b in driver.find_elements(By.CSS_SELECTOR, ".cut button, .cut summary"):
            assert b.rect["x"] >= 0 and b.rect["x"] + b.rect["width"] <= 390, b.text
        driver.save_screenshot(str(TARGET / "studio-episode-390.png"))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_every_export_format_downloads_for_the_drama_and_the_episode(server, driver, assembled):
    drama_id = assembled
    open_drama(driver, server, drama_id)
    _, drama, _ = server.api("GET", f"/dramas/{drama_id}")
    episodes = [e["id"] for e in drama["episodes"]]
    assert len(episodes) == 2
    spec = server.api("GET", "/openapi.json")[1]
    param = next(p for p in spec["paths"]["/dramas/{id}/export"]["get"]["parameters"] if p["name"] == "format")
    assert sorted(param["schema"]["enum"]) == sorted({f for f, _ in TYPES})
    # Every format is offered where it answers: the drama-wide ones for the
    # drama, the one-episode ones (with their bundles) for each episode.
    expected = {"": DRAMA_WIDE, **{e: PER_EPISODE for e in episodes}}
    count = sum(len(v) for v in expected.values())
    wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".download-list a")) == count)
    links = driver.find_elements(By.CSS_SELECTOR, ".download-list a")
    for scope, formats in expected.items():
        shown = [(a.get_attribute("data-format"), a.get_attribute("data-bundle")) for a in links
                 if a.find_element(By.XPATH, "ancestor::details").get_attribute("data-episode") == scope]
        assert shown == formats, scope
    for a in links:
        href = a.get_attribute("href")
        with urllib.request.urlopen(href, timeout=60) as res:
            assert res.status == 200, href
            kind = res.headers["Content-Type"].split(";")[0]
            body = res.read()
        assert kind == TYPES[(a.get_attribute("data-format"), a.get_attribute("data-bundle"))] and body, (href, kind)
    # Why the drama's list holds no one-episode format: asked without an
    # episode, the server refuses it for a drama of two.
    for fmt, _ in PER_EPISODE:
        status, body, _ = server.api("GET", f"/dramas/{drama_id}/export?format={fmt}")
        assert status == 422 and body["error"], (fmt, status, body)

    # A click saves the file in the browser (fetched with the key, if any).
    folder = tempfile.mkdtemp(prefix="sfd-downloads-")
    try:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": folder})
        driver.find_element(By.CSS_SELECTOR, 'details.downloads[data-episode=""] summary').click()
        link = next(a for a in links if a.get_attribute("data-format") == "csv")
        wait(driver, EC.element_to_be_clickable(link)).click()
        saved = pathlib.Path(folder)
        wait(driver, lambda d: [p for p in saved.iterdir() if p.suffix == ".csv"])
    finally:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "default"})
        shutil.rmtree(folder, ignore_errors=True)


def test_a_png_over_a_portrait_changes_it_and_marks_the_scenes_stale(server, driver, assembled, files):
    drama_id = assembled
    open_drama(driver, server, drama_id)
    _, drama, _ = server.api("GET", f"/dramas/{drama_id}")
    scenes = [s for e in drama["episodes"] for s in e["scenes"]]
    # A character drawn in a picture (a line's speaker is its voice, not its portrait).
    drawn = [(s, a) for s in scenes for a in s["assets"] if a["kind"] != "audio"]
    # One drawn in the first episode, the one assembled, so its cut becomes stale.
    first = drama["episodes"][0]
    cid = next(c["id"] for c in drama["characters"]
               if any(c["id"] in a["depends_on"] for s in first["scenes"] for a in s["assets"] if a["kind"] != "audio"))
    users = {s["id"] for s, a in drawn if cid in a["depends_on"]}
    pictures = {a["id"] for _, a in drawn if a["kind"] == "image" and cid in a["depends_on"]}
    old = next(a for c in drama["characters"] if c["id"] == cid for a in c["assets"] if a["id"] == f"{cid}-portrait")["url"]
    assert not driver.find_elements(By.CSS_SELECTOR, ".scene[data-stale]")

    picture = files / "portrait.png"
    picture.write_bytes(png(64, 64, (200, 40, 90)))
    card = driver.find_element(By.CSS_SELECTOR, f'.character[data-id="{cid}"]')
    card.find_element(By.CSS_SELECTOR, "details summary").click()
    chooser = card.find_element(By.CSS_SELECTOR, f'input[type=file][data-asset="{cid}-portrait"]')
    assert chooser.get_attribute("aria-label").startswith("Replace the image")
    chooser.send_keys(str(picture))

    # What became stale is listed, with a way to render it.
    stale = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog .stale-list")))
    listed = {li.get_attribute("data-id") for li in stale.find_elements(By.TAG_NAME, "li")}
    assert pictures <= listed
    assert driver.switch_to.active_element.tag_name == "button"  # the focus is in the dialog
    driver.find_element(By.XPATH, '//dialog//button[normalize-space()="Later"]').click()

    _, after, _ = server.api("GET", f"/dramas/{drama_id}")
    new = next(a for c in after["characters"] if c["id"] == cid for a in c["assets"] if a["id"] == f"{cid}-portrait")
    assert new["url"] != old and new["metadata"]["render"]["provider"] == "upload"
    img = wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, f'.character[data-id="{cid}"] img.portrait')))
    assert img.get_attribute("src") == server.url + new["url"]
    wait(driver, lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth === 64", img))
    marked = {c.get_attribute("data-id") for c in driver.find_elements(By.CSS_SELECTOR, ".scene[data-stale]")}
    assert marked == users
    # The cut no longer shows what the scenes hold.
    assert driver.find_element(By.CSS_SELECTOR, f'.cut[data-episode="{first["id"]}"]').get_attribute("data-state") == "stale"


def test_an_upload_over_the_limit_shows_the_servers_message(driver, files, console):
    s = Server("--simulated-media", env={"SFD_MEDIA_LIMIT": str(1024 * 1024)})
    try:
        drama_id = store(s, small_drama(new_id()))
        # 20 MB: the browser is still sending when the server has decided.
        body = png(40, 40, (10, 200, 10)) + b"\x00" * (20 * 1000 * 1000)
        big = files / "big.png"
        big.write_bytes(body)
        req = urllib.request.Request(f"{s.url}/dramas/{drama_id}/episodes/ep1/scenes/ep1-sc1/assets/ep1-sc1-img/content",
                                     data=body, method="PUT", headers={"Content-Type": "image/png"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(req, timeout=10)
        assert refused.value.code == 413
        message = json.loads(refused.value.read())["message"]

        console.expect("413")
        open_drama(driver, s, drama_id)
        card = driver.find_element(By.CSS_SELECTOR, '.scene[data-id="ep1-sc1"]')
        card.find_element(By.CSS_SELECTOR, "details.prompts summary").click()
        card.find_element(By.CSS_SELECTOR, 'input[type=file][data-asset="ep1-sc1-img"]').send_keys(str(big))
        error = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, '.asset[data-id="ep1-sc1-img"] .replace-status .error')))
        assert error.text == message

        # A type the server does not take: its message too.
        text = files / "notes.txt"
        text.write_text("not a picture")
        console.expect("415")
        card.find_element(By.CSS_SELECTOR, 'input[type=file][data-asset="ep1-sc1-img"]').send_keys(str(text))
        wait(driver, lambda d: "text/plain" in d.find_element(By.CSS_SELECTOR, '.asset[data-id="ep1-sc1-img"] .replace-status .error').text)
        _, drama, _ = s.api("GET", f"/dramas/{drama_id}")
        assert drama["episodes"][0]["scenes"][0]["assets"][0]["url"] is None
    finally:
        s.stop()


def test_focus_moves_into_a_dialog_and_back(server, driver):
    drama_id = store(server, small_drama(new_id()))
    open_drama(driver, server, drama_id)
    button = driver.find_element(By.CSS_SELECTOR, ".episode:not([hidden]) .cut button")
    assert button.get_attribute("aria-label") == "Assemble Night 1"
    button.send_keys(Keys.ENTER)
    wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog .assemble-form")))
    assert driver.execute_script("return !!document.activeElement.closest('dialog')")
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog[open]"))
    assert driver.switch_to.active_element == button


def test_with_api_keys_downloads_and_uploads_send_the_key(driver, files, console):
    console.expect(r"status of 401")  # the list, asked before the key is set
    keyed = Server("--simulated-media", env={"API_KEYS": "studio-key-1"}, key="studio-key-1")
    folder = tempfile.mkdtemp(prefix="sfd-downloads-")
    try:
        drama_id = store(keyed, small_drama(new_id()))
        visit(driver, keyed.url + "/")
        driver.execute_script("sessionStorage.setItem('sfd.apiKey', 'studio-key-1')")
        open_drama(driver, keyed, drama_id)

        # A download is fetched with the key (a plain link could not send it).
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": folder})
        box = driver.find_element(By.CSS_SELECTOR, 'details.downloads[data-episode=""]')
        box.find_element(By.TAG_NAME, "summary").click()
        wait(driver, lambda d: box.find_elements(By.CSS_SELECTOR, 'a[data-format="fountain"]'))[0].click()
        saved = pathlib.Path(folder)
        wait(driver, lambda d: [p for p in saved.iterdir() if p.suffix == ".fountain"])

        # So is an upload.
        picture = files / "keyed.png"
        picture.write_bytes(png(16, 16, (9, 9, 200)))
        card = driver.find_element(By.CSS_SELECTOR, '.scene[data-id="ep1-sc1"]')
        card.find_element(By.CSS_SELECTOR, "details.prompts summary").click()
        card.find_element(By.CSS_SELECTOR, 'input[type=file][data-asset="ep1-sc1-img"]').send_keys(str(picture))
        img = wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, '.scene[data-id="ep1-sc1"] .frame img')))
        wait(driver, lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth === 16", img))
    finally:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "default"})
        shutil.rmtree(folder, ignore_errors=True)
        driver.execute_script("sessionStorage.clear()")
        visit(driver, "about:blank")
        keyed.stop()


# Drops `file` (bytes given as base64) on `el` as a user dragging it from
# their desktop would: a DataTransfer holding a File, in dragover and drop
# events. Every state the scene's upload status goes through is recorded
# in `window.sfdSeen` (the upload may finish before selenium could look).
DROP = """
const [el, b64, name, type] = arguments;
const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const data = new DataTransfer();
data.items.add(new File([bytes], name, { type }));
const status = el.closest(".scene").querySelector(":scope > .replace-status");
window.sfdSeen = [];
const note = () => window.sfdSeen.push([status.dataset.state || "", !!status.querySelector("progress")]);
new MutationObserver(note).observe(status, { attributes: true, childList: true, subtree: true });
for (const kind of ["dragenter", "dragover", "drop"]) {
  el.dispatchEvent(new DragEvent(kind, { dataTransfer: data, bubbles: true, cancelable: true }));
}
"""


def finished(server, drama_id, job_id):
    """Follows the job's event stream to its end; returns the final record."""
    req = urllib.request.Request(f"{server.url}/dramas/{drama_id}/jobs/{job_id}/events")
    with urllib.request.urlopen(req, timeout=LONG) as res:
        for line in res:
            if line.startswith(b"event: end"):
                break
    return server.api("GET", f"/dramas/{drama_id}/jobs/{job_id}")[1]


def tiny_mp4(folder):
    """A valid one-second 64×64 H.264 clip, made by ffmpeg."""
    out = folder / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=blue:s=64x64:d=1:r=24",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out)], check=True)
    return out.read_bytes()


def tiny_wav():
    """A valid half-second silent mono WAV."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 4000)
    return buf.getvalue()


def test_dropping_a_clip_a_voice_and_an_image_replaces_them_and_renders_what_became_stale(server, driver, files):
    status, job, _ = server.api("POST", "/dramas", {"premise": "A corgi runs a night bakery", "episodes": 1, "scenes_per_episode": 1})
    assert status == 202, job
    drama_id = job["dramaId"]
    assert finished(server, drama_id, job["jobId"])["status"] == "completed"
    status, job, _ = server.api("POST", f"/dramas/{drama_id}/render", {})
    assert status == 202, job
    assert finished(server, drama_id, job["jobId"])["status"] == "completed"
    open_drama(driver, server, drama_id)
    _, drama, _ = server.api("GET", f"/dramas/{drama_id}")
    scene = drama["episodes"][0]["scenes"][0]

    def first(kind, d):
        s = next(x for x in d["episodes"][0]["scenes"] if x["id"] == scene["id"])
        return next(a for a in s["assets"] if a["kind"] == kind)

    def drop(data, name, kind):
        frame = driver.find_element(By.CSS_SELECTOR, f'.scene[data-id="{scene["id"]}"] .frame')
        driver.execute_script(DROP, frame, base64.b64encode(data).decode(), name, kind)
        wait(driver, lambda d: any(state == "done" for state, _ in d.execute_script("return window.sfdSeen")))
        seen = driver.execute_script("return window.sfdSeen")
        # The progress bar showed while the file went up, then the upload completed.
        assert ["uploading", True] in seen, seen
        assert not any(state == "error" for state, _ in seen), seen

    card = f'.scene[data-id="{scene["id"]}"]'
    for data, name, kind, shown in (
        (tiny_mp4(files), "clip.mp4", "video/mp4", f"{card} .frame video"),
        (tiny_wav(), "voice.wav", "audio/wav", f"{card} audio"),
    ):
        asset_kind = kind.split("/")[0]
        old = first(asset_kind, drama)["url"]
        drop(data, name, kind)
        wait(driver, lambda d: first(asset_kind, server.api("GET", f"/dramas/{drama_id}")[1])["url"] != old)
        new = first(asset_kind, server.api("GET", f"/dramas/{drama_id}")[1])
        assert new["metadata"]["render"]["provider"] == "upload" and new["metadata"]["render"]["contentType"] == kind
        # The card shows the new file (nothing depends on a clip or a voice: no stale dialog).
        wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, shown).get_attribute("src") == server.url + new["url"])
        assert not driver.find_elements(By.CSS_SELECTOR, "dialog[open]")

    # An image: what was made from it (or from what changed) is stale, and the dialog renders it.
    drop(png(48, 48, (250, 200, 0)), "still.png", "image/png")
    stale = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog .stale-list")))
    listed = {li.get_attribute("data-id") for li in stale.find_elements(By.TAG_NAME, "li")}
    _, plan, _ = server.api("POST", f"/dramas/{drama_id}/render", {"dryRun": True})
    assert listed == {n["assetId"] for n in plan["nodes"] if n["action"] == "stale"} != set()
    _, before, _ = server.api("GET", f"/dramas/{drama_id}")
    urls = {a["id"]: a["url"] for a in next(s for s in before["episodes"][0]["scenes"] if s["id"] == scene["id"])["assets"]}
    driver.find_element(By.XPATH, '//dialog//button[starts-with(normalize-space(), "Render the stale assets")]').click()
    wait(driver, EC.element_to_be_clickable((By.XPATH, '//dialog//button[normalize-space()="Start render"]'))).click()
    long_wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, '.job[data-status="completed"][data-type="render_drama"]')))
    long_wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, f"{card}[data-stale]"))
    _, plan, _ = server.api("POST", f"/dramas/{drama_id}/render", {"dryRun": True})
    assert not [n["assetId"] for n in plan["nodes"] if n["action"] == "stale"]
    _, after, _ = server.api("GET", f"/dramas/{drama_id}")
    for a in next(s for s in after["episodes"][0]["scenes"] if s["id"] == scene["id"])["assets"]:
        if a["id"] in listed:
            assert a["url"] != urls[a["id"]] and a["metadata"]["render"]["provider"] != "upload", a


def test_every_control_is_named_with_the_cut_the_jobs_and_each_dialog(server, driver, assembled, files):
    """Item 8 with everything on the page: the player and the cut's controls,
    job rows that can be cancelled and retried, and each dialog open."""
    drama_id = assembled
    _, drama, _ = server.api("GET", f"/dramas/{drama_id}")
    episode = drama["episodes"][0]
    scene = episode["scenes"][0]
    at = f"/dramas/{drama_id}/episodes/{episode['id']}/scenes/{scene['id']}/assets"
    images = [a for a in scene["assets"] if a["kind"] == "image"]
    held = None
    try:
        # A failed job (Retry) and a running one (Cancel): the simulated
        # provider refuses prompts marked [fail] and holds those marked [hold].
        for asset, mark in ((images[0], "[fail]"), (images[-1], "[hold]")):
            status, body, _ = server.api("PATCH", f"{at}/{asset['id']}", {"prompt": f"{asset['prompt']} {mark}"})
            assert status == 200, body
        status, failed, _ = server.api("POST", f"{at}/{images[0]['id']}/render", {})
        assert status == 202, failed
        assert finished(server, drama_id, failed["jobId"])["status"] == "failed"
        status, held, _ = server.api("POST", f"{at}/{images[-1]['id']}/render", {})
        assert status == 202, held
        open_drama(driver, server, drama_id)
        wait(driver, lambda d: d.find_elements(By.XPATH, f'//*[@data-job-id="{failed["jobId"]}"]//button[normalize-space()="Retry"]')
             and d.find_elements(By.XPATH, f'//*[@data-job-id="{held["jobId"]}"]//button[normalize-space()="Cancel"]'))
        wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, ".episode:not([hidden]) .cut video.cut-player")))
        assert driver.find_elements(By.CSS_SELECTOR, ".episode:not([hidden]) .cut button")
        for details in driver.find_elements(By.CSS_SELECTOR, "details:not([open]) > summary"):
            if details.is_displayed():
                details.click()
        assert unnamed_controls(driver) == []

        # Each dialog: the focus goes in, every control is named, and comes back.
        cut = driver.find_element(By.CSS_SELECTOR, ".episode:not([hidden]) .cut button")
        assert check_dialog(driver, cut).startswith("Assemble")
        render = driver.find_element(By.XPATH, '//main//button[normalize-space()="Render…"]')
        assert check_dialog(driver, render).startswith("Render")
        retry = driver.find_element(By.XPATH, f'//*[@data-job-id="{failed["jobId"]}"]//button[normalize-space()="Retry"]')
        assert check_dialog(driver, retry).startswith("Render")
        # Replacing a picture opens the dialog of what became stale.
        picture = files / "sweep.png"
        picture.write_bytes(png(32, 32, (1, 120, 240)))
        chooser = driver.find_element(By.CSS_SELECTOR, f'.scene[data-id="{scene["id"]}"] input[type=file][data-asset="{images[0]["id"]}"]')
        driver.execute_script("arguments[0].focus()", chooser)
        # Its chooser lies in the scene's "Prompts" box, which stays open
        # when the drama is drawn anew after the upload: the focus goes back.
        assert check_dialog(driver, chooser, lambda: chooser.send_keys(str(picture)), close="Later").startswith("Replaced")
        prompts = f'.scene[data-id="{scene["id"]}"] details.prompts'
        assert driver.find_element(By.CSS_SELECTOR, prompts).get_attribute("open") is not None
    finally:
        if held:
            server.api("POST", f"/dramas/{drama_id}/jobs/{held['jobId']}/cancel")
