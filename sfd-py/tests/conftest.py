import json
import os
import pathlib
import socket
import subprocess
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def studio():
    import sfd

    return sfd.Studio(storage="memory://", llm="simulated")


@pytest.fixture(scope="session")
def server_url():
    """A real sfd-server on a free port (memory storage, simulated LLM)."""
    binary = os.environ.get("SFD_SERVER_BIN", str(ROOT / "target" / "debug" / "sfd-server"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--storage", "memory://", "--simulated-llm", "--simulated-media"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/health", timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        raise RuntimeError("sfd-server did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(params=["studio", "client"])
def api(request, server_url):
    """The same flows against the embedded Studio and the remote Client."""
    import sfd

    if request.param == "studio":
        return sfd.Studio(storage="memory://", llm="simulated", render="simulated")
    return sfd.Client(server_url)
