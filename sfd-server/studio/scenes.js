// Scene cards (9:16 frame with the image, the video that plays on click, the
// audio, the description and the asset prompts) and the cast strip.

import { h, initials, path, safeUrl, toast } from "./dom.js";
import { field } from "./edit.js";
import { dropTarget, replaceControl } from "./replace.js";
import { assetOwner, candidatesButton, characterOwner, sceneOwner } from "./candidates.js";
import { sheetForm, sheetView } from "./sheet.js";

/** The plan's word for an asset (`stale`, `render`, …), when a plan was read. */
const planned = (session, id) => session.plan?.nodes?.find((n) => n.assetId === id) || null;

/** The URL of the first asset of `kind` that has one. */
export function urlOf(assets, kind) {
  const a = (assets || []).find((x) => x.kind === kind && safeUrl(x.url));
  return a ? safeUrl(a.url) : null;
}

/**
 * A 9:16 frame: the image (or a placeholder), and when there is a video, a
 * play button; the video loads only when played, over the image.
 */
function frame(name, image, video) {
  const still = image
    ? h("img", { src: image, alt: `Image of ${name}`, loading: "lazy", decoding: "async" })
    : h("span", { text: "No image yet" });
  const el = h("div", {
    class: image ? "frame" : "frame placeholder", "data-media": image ? "image" : "none",
    role: image ? undefined : "img", "aria-label": image ? undefined : `No image yet for ${name}`,
  }, still);
  if (!video) return el;
  el.dataset.video = "true";
  const v = h("video", { src: video, poster: image, preload: "none", playsinline: true, loop: true, hidden: true, "aria-label": `Video of ${name}` });
  const button = h("button", { type: "button", class: "play", text: "▶", "aria-label": `Play the video of ${name}` });
  const toggle = () => {
    if (v.paused) {
      v.hidden = false;
      v.play().catch((err) => toast(`The video cannot play: ${err.message}`));
    } else {
      v.pause();
    }
  };
  still.addEventListener("click", toggle);
  v.addEventListener("click", toggle);
  button.addEventListener("click", toggle);
  v.addEventListener("play", () => { button.textContent = "❚❚"; button.setAttribute("aria-label", `Pause the video of ${name}`); });
  v.addEventListener("pause", () => { button.textContent = "▶"; button.setAttribute("aria-label", `Play the video of ${name}`); });
  el.append(v, button);
  return el;
}

/**
 * One asset: kind, whether it has a file, its prompt (editable), and
 * Render; its "Candidates" button only when its card has none
 * (`cardHasCandidates`: a scene's or a character's card shows one for all
 * its images).
 */
export function assetRow(session, ownerUrl, asset, onRender, cardHasCandidates = false) {
  const url = `${ownerUrl}/assets/${encodeURIComponent(asset.id)}`;
  const rendered = Boolean(safeUrl(asset.url));
  const stale = planned(session, asset.id)?.action === "stale";
  const uploaded = asset.metadata?.render?.provider === "upload";
  const state = stale ? "stale" : rendered ? (uploaded ? "uploaded" : "rendered") : "not rendered";
  const { control, status } = replaceControl(session, asset, url);
  return h("div", { class: "asset", "data-id": asset.id, "data-kind": asset.kind, "data-state": rendered ? "rendered" : "missing", "data-stale": stale ? "true" : undefined },
    h("div", { class: "asset-head" },
      h("span", { class: `badge kind-${asset.kind}`, text: asset.kind }),
      h("span", { class: "asset-id", text: asset.id }),
      h("span", { class: stale ? "badge stale" : "muted", text: state }),
      h("button", { type: "button", class: "secondary small", text: "Render", "aria-label": `Render ${asset.id}`, onclick: () => onRender(asset, url) }),
      control,
      !cardHasCandidates && candidatesButton(session, assetOwner(ownerUrl, asset), [asset])),
    status,
    field(session, { key: `${url}#prompt`, label: `Prompt of ${asset.id}`, url, name: "prompt", value: asset.prompt, quiet: true }));
}

/** A scene card. */
export function sceneCard(session, episode, scene, onRender) {
  const url = path("dramas", session.dramaId, "episodes", episode.id, "scenes", scene.id);
  const assets = scene.assets || [];
  const image = urlOf(assets, "image") || safeUrl(scene.image_url);
  const video = urlOf(assets, "video") || safeUrl(scene.video_url);
  const audio = urlOf(assets, "audio");
  const name = `scene ${scene.id}`;
  const stale = assets.filter((a) => planned(session, a.id)?.action === "stale").map((a) => a.id);
  const shown = frame(name, image, video);
  const status = h("div", { class: "replace-status", "aria-live": "polite" });
  dropTarget(session, shown, assets.map((a) => ({ asset: a, url: `${url}/assets/${encodeURIComponent(a.id)}` })), status);
  return h("li", { class: "scene", "data-id": scene.id, "data-stale": stale.length ? "true" : undefined },
    shown, status,
    candidatesButton(session, sceneOwner(session.dramaId, episode.id, scene.id), assets),
    stale.length > 0 && h("p", { class: "badge stale", title: `Stale: ${stale.join(", ")}`, text: `stale: ${stale.join(", ")}` }),
    audio && h("audio", { src: audio, controls: true, preload: "none", "aria-label": `Audio of ${name}` }),
    h("h4", { class: "scene-id", text: scene.id }),
    field(session, { key: `${url}#description`, label: `Description of ${name}`, url, name: "description", value: scene.description, quiet: true }),
    assets.length > 0 && h("details", { class: "prompts", "data-key": `prompts:${episode.id}/${scene.id}` },
      h("summary", { text: `Prompts (${assets.length})` }),
      assets.map((a) => assetRow(session, url, a, onRender, true))));
}

/** The cast strip: portraits from each character's `{id}-portrait` asset. */
export function castStrip(session, onRender) {
  const characters = session.drama.characters || [];
  const items = characters.map((c) => {
    const url = path("dramas", session.dramaId, "characters", c.id);
    const assets = c.assets || [];
    const portrait = assets.find((a) => a.id === `${c.id}-portrait`);
    const src = (portrait && safeUrl(portrait.url)) || safeUrl(c.url);
    const picture = src
      ? h("img", { class: "portrait", src, alt: `Portrait of ${c.name}`, loading: "lazy" })
      : h("div", { class: "portrait placeholder", role: "img", "aria-label": `No portrait yet for ${c.name}`, text: initials(c.name) });
    const status = h("div", { class: "replace-status", "aria-live": "polite" });
    if (portrait) dropTarget(session, picture, [{ asset: portrait, url: `${url}/assets/${encodeURIComponent(portrait.id)}` }], status);
    return h("li", { class: "character", "data-id": c.id },
      picture, status,
      h("div", { class: "character-name" },
        h("strong", { text: c.name }),
        c.main && h("span", { class: "badge", text: "main" })),
      h("p", { class: "character-description muted", text: c.description }),
      sheetView(c),
      candidatesButton(session, characterOwner(session.dramaId, c), assets),
      h("details", { "data-key": `edit:${c.id}` },
        h("summary", { text: "Edit", "aria-label": `Edit ${c.name}` }),
        field(session, { key: `${url}#name`, label: "Name", url, name: "name", value: c.name }),
        field(session, { key: `${url}#description`, label: "Description", url, name: "description", value: c.description }),
        sheetForm(session, c, url),
        assets.map((a) => assetRow(session, url, a, onRender, true))));
  });
  return h("section", { class: "cast", "aria-labelledby": "cast-heading" },
    h("h2", { id: "cast-heading", text: `Cast (${characters.length})` }),
    items.length ? h("ul", { class: "cast-list" }, items) : h("p", { class: "muted", text: "No characters yet." }));
}
