// Replacing media with one's own file: choose a file (or drop one on an
// image, clip or voice), watch it upload, read the server's error when it
// refuses the type or the size, then see what became stale and render it.

import { upload } from "./api.js";
import { h, modal, refocus, toast } from "./dom.js";
import { currentPlan, openRender } from "./render.js";

/** The types the upload route takes, by asset kind. */
export const ACCEPT = {
  image: "image/png,image/jpeg,image/webp",
  video: "video/mp4",
  audio: "audio/mpeg,audio/wav",
};

const WORD = { image: "image", video: "clip", audio: "voice" };

/**
 * Uploads `file` over `asset` (at `assetUrl`), showing progress in
 * `status`; the focus goes back to `opener` (the file chooser, or its twin
 * once the view is drawn again) when it is over.
 */
async function replace(session, asset, assetUrl, file, status, opener = null) {
  await uploadOver(session, asset, assetUrl, file, status);
  if (opener) refocus(opener);
}

/** The upload itself, then what became stale. */
async function uploadOver(session, asset, assetUrl, file, status) {
  const bar = h("progress", { max: file.size || 1, value: 0, "aria-label": `Upload of ${file.name}` });
  const note = h("span", { class: "muted small", text: `Uploading ${file.name}…` });
  status.replaceChildren(bar, note);
  status.dataset.state = "uploading";
  try {
    await upload(`${assetUrl}/content`, file, (sent, total) => {
      bar.max = total || 1;
      bar.value = sent;
    });
  } catch (err) {
    status.dataset.state = "error";
    const message = err.status === 413 || err.status === 415 ? err.message : `Not uploaded: ${err.message}`;
    status.replaceChildren(h("p", { class: "error", role: "alert", text: message }));
    return;
  }
  status.dataset.state = "done";
  await session.reload().catch((err) => toast(`Uploaded, but the drama could not be read again: ${err.message}`));
  await showStale(session, asset);
}

/** After a replacement: what is stale now, and a way to render it. */
async function showStale(session, asset) {
  const plan = await currentPlan(session.dramaId).catch(() => null);
  const stale = ((plan && plan.nodes) || []).filter((n) => n.action === "stale");
  if (stale.length === 0) {
    toast(`Replaced ${asset.id}; nothing else depends on it.`);
    return;
  }
  const form = h("form", { method: "dialog" },
    h("h2", { id: "stale-title", text: `Replaced ${asset.id}` }),
    h("p", { text: `${stale.length} asset(s) were made from the old file or from what changed, and are now stale:` }),
    h("ul", { class: "stale-list" }, stale.map((n) => h("li", { "data-id": n.assetId, text: `${n.assetId} (${n.kind})${n.reason ? ` — ${n.reason}` : ""}` }))),
    h("div", { class: "buttons" },
      h("button", { type: "submit", value: "render", text: "Render the stale assets…" }),
      h("button", { type: "submit", value: "later", class: "secondary", text: "Later" })));
  const { closed } = modal("stale-title", form);
  if ((await closed) === "render") {
    await openRender(session, { what: `the ${stale.length} stale asset(s)`, select: { assets: stale.map((n) => n.assetId) } });
  }
}

/**
 * The "Replace…" control of an asset: a file chooser (the control itself,
 * labelled), where its upload's progress and errors show.
 */
export function replaceControl(session, asset, assetUrl) {
  const word = WORD[asset.kind] || asset.kind;
  const status = h("div", { class: "replace-status", "aria-live": "polite" });
  const input = h("input", {
    type: "file", class: "sr-only", accept: ACCEPT[asset.kind] || "",
    "aria-label": `Replace the ${word} ${asset.id} with a file`, "data-asset": asset.id,
  });
  input.addEventListener("change", () => {
    const file = input.files && input.files[0];
    input.value = "";
    if (file) replace(session, asset, assetUrl, file, status, input);
  });
  const control = h("label", { class: "button secondary small replace" }, input, "Replace…");
  control.dataset.asset = asset.id;
  return { control, status };
}

/**
 * Makes `el` (an image, a clip, a portrait) take a dropped file for the
 * one of `targets` ({asset, url}) whose kind matches the file's type;
 * `status` shows the upload.
 */
export function dropTarget(session, el, targets, status) {
  const pick = (file) => {
    const kind = (file.type || "").split("/")[0];
    return targets.find((t) => t.asset.kind === kind) || null;
  };
  el.addEventListener("dragover", (e) => {
    if (![...(e.dataTransfer?.types || [])].includes("Files")) return;
    e.preventDefault();
    el.classList.add("drop");
  });
  el.addEventListener("dragleave", () => el.classList.remove("drop"));
  el.addEventListener("drop", (e) => {
    e.preventDefault();
    el.classList.remove("drop");
    const file = e.dataTransfer?.files?.[0];
    if (!file) return;
    const t = pick(file) || targets[0];
    if (!t) return;
    replace(session, t.asset, t.url, file, status);
  });
}
