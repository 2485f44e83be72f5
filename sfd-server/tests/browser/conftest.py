"""The studio page in real headless Chromium, against a real sfd-server.

Every wait is an explicit WebDriverWait on a condition of the page; nothing
sleeps and nothing is timed. One browser serves the whole module; after each
test the browser console must hold no error but the ones the test expects.
"""

import json
import os
import pathlib
import re
import shutil
import struct
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request
import uuid
import zlib

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[3]
TARGET = ROOT / "target"
WAIT = 20  # seconds a condition may take before a test fails


class Server:
    """A real sfd-server process on a free port."""

    def __init__(self, *args, env=None, key=None, llm=True):
        binary = os.environ.get("SFD_SERVER_BIN", str(TARGET / "debug" / "sfd-server"))
        self.key = key
        self.proc = subprocess.Popen(
            [binary, "--port", "0", "--storage", "memory://", "--log-format", "json", *(["--simulated-llm"] if llm else []), *args],
            env={**{k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}, "RUST_LOG": "info", **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # The server logs the address it bound; read up to that line, then
        # drain the rest so the server never blocks on a full pipe.
        addr = None
        for line in self.proc.stdout:
            try:
                fields = json.loads(line).get("fields", {})
            except ValueError:
                continue
            if fields.get("message") == "sfd-server listening":
                addr = fields["addr"]
                break
        if addr is None:
            self.proc.wait(timeout=30)
            raise RuntimeError("sfd-server did not start")
        self.drain = threading.Thread(target=self.proc.stdout.read, daemon=True)
        self.drain.start()
        self.url = f"http://{addr}"

    def api(self, method, path, body=None, headers=None):
        """One request: (status, parsed JSON body, headers)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        if self.key:
            req.add_header("X-API-Key", self.key)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                raw = res.read()
                return res.status, (json.loads(raw) if raw else None), res.headers
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, (json.loads(raw) if raw else None), e.headers

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        if getattr(self, "drain", None):
            self.drain.join()
        self.proc.stdout.close()


def small_drama(drama_id, title="The Lighthouse Corgi", description="A keeper's dog keeps the light on.", image_url=None):
    """A small drama: two characters, two episodes of two scenes, image and video prompts."""
    def scene(e, s):
        sid = f"ep{e}-sc{s}"
        return {
            "id": sid,
            "description": f"Scene {s} of episode {e}: the corgi climbs the stairs.",
            "assets": [
                {"id": f"{sid}-img", "kind": "image", "depends_on": ["char-corgi"], "prompt": f"Keyframe {sid}", "url": image_url},
                {"id": f"{sid}-vid", "kind": "video", "depends_on": [f"{sid}-img"], "prompt": f"Motion {sid}", "duration": 5},
            ],
        }

    return {
        "id": drama_id,
        "title": title,
        "description": description,
        "premise": "A corgi keeps a lighthouse running through a storm.",
        "characters": [
            {"id": "char-corgi", "name": "Pip the Corgi", "description": "Small, brave, always hungry.", "main": True},
            {"id": "char-keeper", "name": "Old Maren", "description": "The keeper, gruff and kind.", "main": False},
        ],
        "episodes": [
            {"id": f"ep{e}", "title": f"Night {e}", "description": f"The storm, night {e}.", "scenes": [scene(e, s) for s in (1, 2)]}
            for e in (1, 2)
        ],
    }


def png(width, height, rgb):
    """A valid PNG of one colour."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def store(server, drama):
    status, body, _ = server.api("POST", "/dramas", {"drama": drama})
    assert status == 201, body
    return drama["id"]


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def driver():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    chromedriver = shutil.which("chromedriver")
    assert chromium and chromedriver, "chromium and chromedriver are required (Debian: apt-get install chromium chromium-driver)"
    profile = tempfile.mkdtemp(prefix="sfd-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,900", f"--user-data-dir={profile}",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(options=opts, service=Service(executable_path=chromedriver))
    yield d
    d.quit()
    shutil.rmtree(profile, ignore_errors=True)


class Console:
    """The browser console of one test: errors must be expected ones."""

    def __init__(self, driver):
        self.driver = driver
        self.expected = []
        self.entries = []

    def expect(self, pattern):
        """Allows console errors matching `pattern` (a regex) in this test."""
        self.expected.append(re.compile(pattern))

    def read(self):
        self.entries.extend(self.driver.get_log("browser"))
        return self.entries

    def errors(self):
        return [
            e for e in self.read()
            if e["level"] == "SEVERE" and not any(p.search(e["message"]) for p in self.expected)
        ]


@pytest.fixture(autouse=True)
def console(driver):
    driver.get_log("browser")  # what earlier tests left
    c = Console(driver)
    yield c
    assert c.errors() == [], "console errors"


def wait(driver, condition, message=""):
    """Waits for `condition`; a redraw of the page in between only means asking again."""
    return WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(condition, message)


def new_id(prefix="drama"):
    """A fresh drama id."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def visit(driver, url):
    """Loads `url` as a new page (a change of the hash alone would keep the old one)."""
    driver.get("about:blank")
    driver.get(url)


def open_drama(driver, server, drama_id):
    """Opens the drama view and waits for its scene cards."""
    visit(driver, f"{server.url}/#/dramas/{drama_id}")
    wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, f'.drama[data-id="{drama_id}"] .scene')))


def scene_field(driver, drama_id, episode, scene, name="description"):
    """The in-place editor of one field of a scene."""
    key = f"/dramas/{drama_id}/episodes/{episode}/scenes/{scene}#{name}"
    return driver.find_element(By.CSS_SELECTOR, f'.field[data-key="{key}"]')


# Every control (within `arguments[0]`, or the page) that has no accessible
# name: its label, aria-label, aria-labelledby, or (for a button, a link or
# a summary) its text.
UNNAMED = """
const root = arguments[0] || document;
const name = (el) => (el.labels && el.labels.length && el.labels[0].textContent.trim())
    || el.getAttribute('aria-label') || (el.getAttribute('aria-labelledby')
        && document.getElementById(el.getAttribute('aria-labelledby'))?.textContent.trim())
    || (el.matches('input, textarea, select') ? '' : el.textContent.trim());
return [...root.querySelectorAll('a[href], button, input, textarea, select, summary, [role=tab], video, audio')]
    .filter((el) => !el.matches('video, audio') || el.controls)
    .filter((el) => !name(el)).map((el) => el.outerHTML.slice(0, 160));
"""


def unnamed_controls(driver, root=None):
    """The controls of the page (or of `root`) that a screen reader could not name."""
    return driver.execute_script(UNNAMED, root)


def check_dialog(driver, opener, open_it=None, close="escape", back=True):
    """Opens a dialog from `opener` (a click, or `open_it()`): the focus moves
    into it, every control in it is named, and closing it (Escape, or a click
    on the button named `close`) gives the focus back to the opener (or, when
    the view was drawn again meanwhile, to its twin: the control of the same
    name; not checked with `back=False`). Returns the dialog's heading."""
    from selenium.webdriver.common.keys import Keys

    label = opener.get_attribute("aria-label") or opener.text
    (open_it or opener.click)()
    dialog = wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog[open]")))
    wait(driver, lambda d: d.execute_script("return !!document.activeElement.closest('dialog[open]')"))
    assert unnamed_controls(driver, dialog) == [], dialog.get_attribute("outerHTML")[:200]
    heading = dialog.find_element(By.CSS_SELECTOR, "h2").text
    if close == "escape":
        driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    else:
        dialog.find_element(By.XPATH, f'.//button[normalize-space()="{close}"]').click()
    wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog[open]"))
    def returned(d):
        try:
            return d.execute_script("return document.activeElement === arguments[0]", opener)
        except StaleElementReferenceException:  # drawn again: its twin
            a = d.switch_to.active_element
            return (a.get_attribute("aria-label") or a.text) == label

    if back:
        WebDriverWait(driver, WAIT).until(returned, f"the focus goes back to {label}")
    return heading
