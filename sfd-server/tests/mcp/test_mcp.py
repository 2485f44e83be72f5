"""MCP with the reference client (PyPI's `mcp`): over streamable HTTP at
/mcp of a real sfd-server and over stdio with `sfd-server mcp`, an agent
lists the tools, writes a drama with the simulated LLM, waits for the job,
renders it with the simulated renderer and reads the drama back.

Every wait is the server's own wait_for_job tool; nothing sleeps.
"""

import base64
import json
import os
import pathlib
import subprocess
import threading
import urllib.error
import urllib.request

import anyio
import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

ROOT = pathlib.Path(__file__).resolve().parents[3]
BINARY = os.environ.get("SFD_SERVER_BIN", str(ROOT / "target" / "debug" / "sfd-server"))
FLAGS = ["--storage", "memory://", "--simulated-llm", "--simulated-media"]
KEY = "mcp-test-key"
TOOLS = {
    "create_drama",
    "get_drama",
    "list_dramas",
    "patch_entity",
    "plan_render",
    "start_render",
    "assemble_episode",
    "export",
    "get_job",
    "wait_for_job",
    "cancel_job",
}


def _env():
    return {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "API_KEYS", "SFD_"))}


@pytest.fixture(scope="module")
def server():
    """A real sfd-server on a free port, with an API key."""
    proc = subprocess.Popen(
        [BINARY, "--port", "0", "--log-format", "json", "--api-keys", KEY, *FLAGS],
        env={**_env(), "RUST_LOG": "info"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    addr = None
    for line in proc.stdout:
        try:
            fields = json.loads(line).get("fields", {})
        except ValueError:
            continue
        if fields.get("message") == "sfd-server listening":
            addr = fields["addr"]
            break
    if addr is None:
        proc.wait(timeout=30)
        raise RuntimeError("sfd-server did not start")
    drain = threading.Thread(target=proc.stdout.read, daemon=True)
    drain.start()
    yield f"http://{addr}"
    proc.terminate()
    proc.wait(timeout=30)
    drain.join(timeout=30)
    proc.stdout.close()


async def _call(session, name, **arguments):
    result = await session.call_tool(name, arguments)
    text = result.content[0].text
    assert not result.is_error, f"{name}: {text}"
    return json.loads(text) if text.lstrip().startswith(("{", "[")) else text


async def _agent(session):
    """What an agent does: list, write, wait, render, wait, read back."""
    await session.initialize()
    tools = (await session.list_tools()).tools
    assert TOOLS <= {t.name for t in tools}
    for t in tools:
        assert t.input_schema["type"] == "object", t.name
        assert t.description, t.name
    create = next(t for t in tools if t.name == "create_drama")
    assert "premise" in create.input_schema["required"]

    job = await _call(session, "create_drama", premise="a corgi runs a rocket company", episodes=1, scenesPerEpisode=2)
    drama_id = job["dramaId"]
    assert job["type"] == "generate_drama"
    done = await _call(session, "wait_for_job", dramaId=drama_id, jobId=job["jobId"], timeoutSeconds=120)
    assert done["status"] == "completed", done

    drama = await _call(session, "get_drama", dramaId=drama_id)
    assert drama["id"] == drama_id and len(drama["episodes"]) == 1
    listed = await _call(session, "list_dramas", limit=10)
    assert drama_id in [d["id"] for d in listed["dramas"]]

    episode = drama["episodes"][0]
    patched = await _call(
        session, "patch_entity", dramaId=drama_id, level="episode", id=episode["id"], patch={"title": "Lift-off"}
    )
    assert patched["title"] == "Lift-off"

    plan = await _call(session, "plan_render", dramaId=drama_id, kinds=["image"])
    started = await _call(session, "start_render", dramaId=drama_id, kinds=["image"])
    assert started["estimatedCostUsd"] == plan["estimatedCostUsd"]
    assert started["job"]["type"] == "render_drama"
    done = await _call(session, "wait_for_job", dramaId=drama_id, jobId=started["job"]["jobId"], timeoutSeconds=120)
    assert done["status"] == "completed", done
    assert done["result"]["rendered"], done

    # Read back: the tool, the drama resource and a rendered file by its URL.
    drama = await _call(session, "get_drama", dramaId=drama_id)
    assert drama["episodes"][0]["title"] == "Lift-off"
    images = [a for ep in drama["episodes"] for sc in ep["scenes"] for a in sc["assets"] if a["kind"] == "image"]
    assert images and all(a["url"] for a in images), images
    assert images[0]["metadata"]["render"]["provider"] == "simulated"
    resource = await session.read_resource(f"sfd://dramas/{drama_id}")
    assert json.loads(resource.contents[0].text) == drama
    media = await session.read_resource(images[0]["url"])
    blob = base64.b64decode(media.contents[0].blob)
    assert media.contents[0].mime_type == "image/png" and blob.startswith(b"\x89PNG")
    listed = await session.list_resources()
    assert f"sfd://dramas/{drama_id}" in [str(r.uri) for r in listed.resources]

    screenplay = await _call(session, "export", dramaId=drama_id, format="fountain")
    assert "Lift-off".upper() in screenplay.upper()

    # A failure answers as a tool error with REST's message.
    missing = await session.call_tool("get_drama", {"dramaId": "drama_missing1"})
    assert missing.is_error and "drama 'drama_missing1' not found" in missing.content[0].text
    return drama_id


def test_mcp_over_streamable_http(server):
    async def main():
        http = create_mcp_http_client(headers={"X-API-Key": KEY})
        async with http, streamable_http_client(f"{server}/mcp", http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                drama_id = await _agent(session)
        # The same drama over REST.
        req = urllib.request.Request(f"{server}/dramas/{drama_id}", headers={"X-API-Key": KEY})
        with urllib.request.urlopen(req, timeout=30) as r:
            assert json.loads(r.read())["episodes"][0]["title"] == "Lift-off"

    anyio.run(main)


def test_mcp_needs_the_key(server):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).encode()
    req = urllib.request.Request(
        f"{server}/mcp",
        data=body,
        method="POST",
        headers={"content-type": "application/json", "accept": "application/json, text/event-stream"},
    )
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=30)
    assert e.value.code == 401
    assert json.loads(e.value.read())["error"] == "unauthorized"


def test_mcp_over_stdio():
    params = StdioServerParameters(command=BINARY, args=[*FLAGS, "mcp"], env={**_env(), "RUST_LOG": "warn"})

    async def main():
        with open(os.devnull, "w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write) as session:
                    await _agent(session)

    anyio.run(main)
