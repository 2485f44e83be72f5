// The public HTTP API, and nothing else: JSON in and out, the API key kept
// for this tab, ETags for If-Match, and the job event stream read with
// fetch() (EventSource cannot send X-API-Key).

const KEY = "sfd.apiKey";

/** An error answer: its status, short title and message. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `the server answered ${status}`);
    this.status = status;
    this.error = body && body.error ? body.error : "error";
  }
}

let askKey = null;
let asking = null;

/** Sets how to ask the user for a key: `(refused: bool) => Promise<string>`. */
export function onKeyNeeded(fn) {
  askKey = fn;
}

function headers(extra) {
  const out = { ...extra };
  const key = sessionStorage.getItem(KEY);
  if (key) out["X-API-Key"] = key;
  return out;
}

/** Waits for a key from the user (one prompt for every request that needs it). */
async function needKey() {
  if (!askKey) throw new ApiError(401, { message: "a valid API key is required" });
  if (!asking) {
    const refused = sessionStorage.getItem(KEY) !== null;
    asking = askKey(refused).then((key) => {
      sessionStorage.setItem(KEY, key);
    }).finally(() => { asking = null; });
  }
  await asking;
}

async function send(method, path, init) {
  for (;;) {
    const res = await fetch(path, { method, ...init, headers: headers(init.headers) });
    if (res.status === 401) {
      await res.body?.cancel();
      await needKey();
      continue;
    }
    return res;
  }
}

/**
 * One API call. Resolves with `{data, etag, status}`; rejects with an
 * ApiError for an error answer. `ifMatch` sends If-Match.
 */
export async function request(method, path, { body, ifMatch } = {}) {
  const init = { headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  if (ifMatch) init.headers["If-Match"] = ifMatch;
  const res = await send(method, path, init);
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { error: "bad_answer", message: text.slice(0, 200) };
    }
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return { data, etag: res.headers.get("ETag"), status: res.status };
}

/** An error answer's body as an ApiError (for answers read as files). */
async function failure(res) {
  let body = null;
  try { body = await res.json(); } catch { body = null; }
  return new ApiError(res.status, body);
}

/** A file from the API, with the key: resolves with `{blob, filename}`. */
export async function download(path) {
  const res = await send("GET", path, { headers: {} });
  if (!res.ok) throw await failure(res);
  const disposition = res.headers.get("Content-Disposition") || "";
  const m = disposition.match(/filename="([^"]+)"/);
  return { blob: await res.blob(), filename: m ? m[1] : path.split("/").pop() };
}

/**
 * Sends `file` as the raw body of a PUT (XMLHttpRequest: fetch reports no
 * upload progress). `onProgress(sent, total)`; resolves with the parsed
 * answer, rejects with an ApiError carrying the server's message.
 */
export async function upload(path, file, onProgress) {
  for (;;) {
    const { status, text } = await new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("PUT", path);
      const hs = headers({ Accept: "application/json", "Content-Type": file.type || "application/octet-stream" });
      for (const [k, v] of Object.entries(hs)) xhr.setRequestHeader(k, v);
      xhr.upload.addEventListener("progress", (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size));
      xhr.addEventListener("load", () => resolve({ status: xhr.status, text: xhr.responseText }));
      xhr.addEventListener("error", () => reject(new ApiError(0, { message: "the upload did not reach the server (network error)" })));
      xhr.addEventListener("abort", () => reject(new ApiError(0, { message: "the upload was stopped" })));
      xhr.send(file);
    });
    if (status === 401) {
      await needKey();
      continue;
    }
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = { message: text.slice(0, 200) }; }
    if (status < 200 || status >= 300) throw new ApiError(status, data);
    return data;
  }
}

/** Posts a multipart form (an upload); resolves like `request`. */
export async function postForm(path, form) {
  const res = await send("POST", path, { body: form, headers: { Accept: "application/json" } });
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (!res.ok) throw new ApiError(res.status, data);
  return { data, status: res.status };
}

/** Server-Sent Events from `path`, as `{event, data}`, until the stream ends. */
export async function* events(path) {
  const res = await send("GET", path, { headers: { Accept: "text/event-stream" } });
  if (!res.ok || !res.body) throw await failure(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const ev = { event: "message", data: [] };
      for (const line of block.split("\n")) {
        if (line === "" || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let v = colon < 0 ? "" : line.slice(colon + 1);
        if (v.startsWith(" ")) v = v.slice(1);
        if (field === "event") ev.event = v;
        else if (field === "data") ev.data.push(v);
      }
      yield { event: ev.event, data: ev.data.join("\n") };
    }
  }
}
