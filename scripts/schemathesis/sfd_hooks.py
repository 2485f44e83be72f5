"""Schemathesis hooks for sfd's fuzz run.

Real data to reach. Before fuzzing, a drama with known ids at every level
(characters, episodes, scenes, assets at each owner) and a finished job are
stored on the server named by SFD_FUZZ_BASE. Every path parameter gets that
data's id as its only valid value, so every operation gets well-formed cases
that reach its logic instead of 404s; bodies, queries and headers are still
fuzzed, and the coverage phase still sends ids outside the data. The drama is
put back as it was before every case, so one case's DELETE does not turn the
rest into 404s. At the end the number of cases that got a 2xx is reported,
per operation, and written to SFD_FUZZ_REPORT as JSON.

Headers. HTTP forbids control bytes (NUL, ESC, ...) in header field values
(RFC 9110, section 5.5). A request carrying them is not HTTP, and hyper
refuses it at the protocol level, before any route runs, with a bare 400.
Such headers are dropped before sending, so every case that reaches sfd is a
real HTTP request; all bodies, paths and queries are still sent exactly as
generated.
"""

import atexit
import collections
import json
import os
import sys
import time
import urllib.error
import urllib.request

import schemathesis

BASE = os.environ.get("SFD_FUZZ_BASE", "http://127.0.0.1:8000")
REPORT = os.environ.get("SFD_FUZZ_REPORT")
DRAMA = "seed_drama"


# Every seeded image was rendered as best-of-2, so `…/choose` has a candidate to keep.
CANDIDATE = "media/seed_drama/candidate-2.png"


def _asset(aid, depends_on=()):
    render = {
        "provider": "simulated", "model": "simulated", "promptHash": "", "inputsHash": "", "bytes": 1,
        "contentType": "image/png", "renderedAt": 0,
        "candidates": [
            {"key": "media/seed_drama/candidate-1.png", "url": "/media/seed_drama/candidate-1.png", "score": 0.9,
             "reason": "seeded"},
            {"key": CANDIDATE, "url": "/" + CANDIDATE, "score": 0.8, "reason": "seeded"},
        ],
    }
    return {"id": aid, "kind": "image", "prompt": "a keyframe", "depends_on": list(depends_on),
            "metadata": {"render": render}}


SEED = {
    "id": DRAMA,
    "title": "Seed",
    "description": "the drama every fuzzed case can reach",
    "premise": "a corgi tycoon",
    "characters": [
        {"id": "char-hero", "name": "Hero", "description": "brave", "assets": [_asset("char-hero-img")]}
    ],
    "assets": [_asset("seed-img", ["char-hero"])],
    "episodes": [
        {
            "id": "ep1",
            "title": "One",
            "description": "the first",
            "assets": [_asset("ep1-img")],
            "scenes": [{"id": "ep1-sc1", "description": "a scene", "assets": [_asset("ep1-sc1-img", ["char-hero"])]}],
        }
    ],
}


def _request(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None


def _reset_seed():
    _request("DELETE", f"/dramas/{DRAMA}")
    status, _ = _request("POST", "/dramas", {"drama": SEED})
    if status != 201:
        raise RuntimeError(f"could not store the seed drama: {status}")


def _seed_job():
    _reset_seed()
    status, job = _request("POST", f"/dramas/{DRAMA}/critic", {})
    if status != 202:
        raise RuntimeError(f"could not start the seed job: {status}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        _, record = _request("GET", f"/dramas/{DRAMA}/jobs/{job['jobId']}")
        if record and record["status"] in ("completed", "failed", "cancelled"):
            return job["jobId"]
        time.sleep(0.1)
    raise RuntimeError("the seed job did not finish")


JOB = _seed_job()


def _seed_media():
    """A stored file for GET /media/{key}: the seed drama's cover, rendered."""
    _reset_seed()
    status, job = _request("POST", f"/dramas/{DRAMA}/assets/seed-img/render", {})
    if status != 202:
        raise RuntimeError(f"could not start the seed render: {status}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        _, record = _request("GET", f"/dramas/{DRAMA}/jobs/{job['jobId']}")
        if record and record["status"] in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.1)
    _, drama = _request("GET", f"/dramas/{DRAMA}")
    url = next((a["url"] for a in drama["assets"] if a["id"] == "seed-img" and a.get("url")), None)
    if not url or not url.startswith("/media/"):
        raise RuntimeError(f"the seed render stored no file: {drama['assets']}")
    return url[len("/media/"):]


MEDIA_KEY = _seed_media()
# From here on the seed carries a rendered cover and audition, so their GET
# routes have something to answer.
SEED["assets"].append(dict(_asset("cover"), url=f"/media/{MEDIA_KEY}"))
SEED["characters"][0]["assets"].append(
    {"id": "char-hero-audition", "kind": "video", "prompt": "an audition", "url": f"/media/{MEDIA_KEY}"}
)


# The asset library: every `/asset-library/{assetId}` case names a text asset
# of project `seed` (user 10000), uploaded afresh before the case is sent
# (server-assigned ids cannot be pinned ahead, and a DELETE case removes it).
LIBRARY = {"user_id": "10000", "project_name": "seed", "asset_type": "text"}
LIBRARY_PLACEHOLDER = "library_seed"


def _upload_library_seed():
    boundary = "sfdseedboundary"
    fields = dict(LIBRARY, tag="storyboard")
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="seed.txt"\r\n'
                 "Content-Type: text/plain\r\n\r\nEXT. ROOF - NIGHT\r\n")
    body = ("".join(parts) + f"--{boundary}--\r\n").encode()
    req = urllib.request.Request(BASE + "/asset-library/upload", data=body, method="POST",
                                 headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())["asset_id"]


def _examples(path):
    """The id of the seeded data each path parameter of `path` names."""
    aid = "seed-img"
    if "/characters/" in path:
        aid = "char-hero-img"
    if "/episodes/" in path:
        aid = "ep1-sc1-img" if "/scenes/" in path else "ep1-img"
    return {"id": DRAMA, "cid": "char-hero", "eid": "ep1", "sid": "ep1-sc1", "aid": aid, "jobId": JOB, "key": MEDIA_KEY,
            "assetId": LIBRARY_PLACEHOLDER}


DOCUMENTED = set()

# The voice-sample upload takes audio, for which schemathesis ships no sample
# file: its bytes go out as generated (like application/octet-stream), and
# every other case sends a real one-second WAV so the route also reaches its
# success path.
AUDIO_TYPES = ["audio/mpeg", "audio/wav", "audio/mp4", "audio/ogg", "audio/webm"]
schemathesis.serializer.alias(AUDIO_TYPES, "application/octet-stream")
VOICE_CASES = collections.Counter()


def _wav():
    import io
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 8000)
    return buf.getvalue()


@schemathesis.hook
def before_load_schema(ctx, raw_schema):
    for path, item in raw_schema.get("paths", {}).items():
        values = _examples(path)
        for method, operation in item.items():
            DOCUMENTED.add(f"{method.upper()} {path}")
            for param in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if param.get("in") == "path" and param.get("name") in values:
                    value = values[param["name"]]
                    param["schema"] = {"type": "string", "enum": [value]}
                    param["example"] = value
                # A library asset's case names the seeded asset's project and type.
                if "{assetId}" in path and param.get("in") == "query" and param.get("name") in LIBRARY:
                    value = LIBRARY[param["name"]]
                    param["schema"] = {"type": "string", "enum": [value]}
                    param["example"] = value


def _is_http_field_value(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return all(c == "\t" or (0x20 <= ord(c) and ord(c) != 0x7F) for c in value)


@schemathesis.hook
def before_call(ctx, case, kwargs):
    if case.headers:
        for name in [k for k, v in case.headers.items() if not _is_http_field_value(v)]:
            del case.headers[name]
    _reset_seed()
    if case.path.endswith("/voice_sample") and case.method.upper() == "PUT":
        VOICE_CASES[case.media_type] += 1
        if VOICE_CASES[case.media_type] % 2:
            case.body = _wav()
            case.media_type = "audio/wav"
            case.headers = {**(case.headers or {}), "Content-Type": "audio/wav"}
    if case.path.endswith("/choose") and isinstance(case.body, dict):
        case.body["key"] = CANDIDATE
    if (case.path_parameters or {}).get("assetId") == LIBRARY_PLACEHOLDER:
        case.path_parameters["assetId"] = _upload_library_seed()


CASES = collections.Counter()
SUCCESSES = collections.Counter()


@schemathesis.hook
def after_call(ctx, case, response):
    # Only the documented operations; probes with other methods (405) are not counted.
    label = f"{case.method.upper()} {case.path}"
    if label in DOCUMENTED:
        CASES[label] += 1
        if 200 <= response.status_code < 300:
            SUCCESSES[label] += 1


@atexit.register
def _report():
    if not CASES:
        return
    tested = sorted(op for op in DOCUMENTED if CASES[op])
    never = [op for op in tested if SUCCESSES[op] == 0]
    total, ok = sum(CASES.values()), sum(SUCCESSES.values())
    print(f"\nsfd fuzz: {ok} of {total} cases got a 2xx, over {len(tested)} operations", file=sys.stderr)
    for op in tested:
        print(f"  {SUCCESSES[op]:4d} / {CASES[op]:4d}  {op}", file=sys.stderr)
    if never:
        print(f"operations that never got a 2xx: {never}", file=sys.stderr)
    if REPORT:
        with open(REPORT, "w") as f:
            operations = {op: [SUCCESSES[op], CASES[op]] for op in tested}
            json.dump({"cases": total, "success": ok, "operations": operations, "never": never}, f)
