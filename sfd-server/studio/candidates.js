// Best-of-N candidates: an image rendered as several candidates keeps them,
// with the judge's scores, in `metadata.render.candidates`. A dialog shows
// them side by side (score, reason, which one is kept) and "Use this" keeps
// another through …/assets/{aid}/choose; what was made from the image is
// then stale, as the plan says.

import { request } from "./api.js";
import { h, modal, path, safeUrl, usd } from "./dom.js";
import { openRender } from "./render.js";

/** The candidates an asset keeps (`{candidates, warning, judgeCostUsd}`), or null. */
export function candidatesOf(asset) {
  const r = asset && asset.metadata && asset.metadata.render;
  return r && Array.isArray(r.candidates) && r.candidates.length > 0 ? r : null;
}

/** A score from 0 to 1 as "87%". */
export const percent = (score) => `${Math.round((Number(score) || 0) * 100)}%`;

/** Whether `c` is the candidate `asset` uses now. */
const isKept = (asset, c) => c.url === asset.url || (asset.metadata?.render?.key && c.key === asset.metadata.render.key);

/**
 * The "Candidates" button of an owner (a scene, a character, or one asset):
 * null when none of `assets` has candidates. `owner` is
 * `{url, name, find}`: the owner's API URL, its name in words, and how to
 * find its assets again in a newer drama.
 */
export function candidatesButton(session, owner, assets) {
  const images = assets.filter((a) => a.kind === "image" && candidatesOf(a));
  if (images.length === 0) return null;
  const n = images.reduce((s, a) => s + candidatesOf(a).candidates.length, 0);
  return h("button", {
    type: "button", class: "secondary small candidates-open", "data-owner": owner.name,
    text: `Candidates (${n})`, "aria-label": `Compare the candidates of ${owner.name}`,
    onclick: () => openCandidates(session, owner),
  });
}

/** The dialog of an owner's candidates; each choice is kept at once. */
export async function openCandidates(session, owner) {
  const body = h("div", { class: "candidates-body" });
  const status = h("p", { class: "candidates-status", role: "status", tabindex: -1 });
  const renderStale = h("button", { type: "submit", value: "render", hidden: true, text: "Render the stale assets…" });
  const form = h("form", { method: "dialog", class: "candidates-form" },
    h("h2", { id: "candidates-title", text: `Candidates of ${owner.name}` }),
    h("p", { class: "muted small", text: "Each image was rendered several times and a judge scored every candidate; the best was kept. Use another one if you prefer it." }),
    body, status,
    h("div", { class: "buttons" }, renderStale, h("button", { type: "submit", value: "close", class: "secondary", text: "Close" })));
  const { closed } = modal("candidates-title", form);
  let stale = [];

  const draw = () => {
    const assets = owner.find(session.drama).filter((a) => a.kind === "image" && candidatesOf(a));
    body.replaceChildren(...assets.map((a) => section(a)));
  };

  const choose = async (asset, c, index, error) => {
    for (const b of form.querySelectorAll(".use")) b.disabled = true;
    error.textContent = "";
    try {
      await request("POST", `${owner.url}/assets/${encodeURIComponent(asset.id)}/choose`, { body: { key: c.key } });
    } catch (err) {
      error.textContent = `Not changed: ${err.message}`;
      for (const b of form.querySelectorAll(".use")) b.disabled = false;
      return;
    }
    try {
      await session.reload();
    } catch (err) {
      status.textContent = `Kept, but the drama could not be read again: ${err.message}`;
      status.focus();
      return;
    }
    draw();
    stale = ((session.plan && session.plan.nodes) || []).filter((n) => n.action === "stale").map((n) => n.assetId);
    status.textContent = `${asset.id} now uses candidate ${index + 1}.` + (stale.length
      ? ` Stale now: ${stale.join(", ")}.`
      : " Nothing else depends on it.");
    renderStale.hidden = stale.length === 0;
    status.focus();
  };

  const section = (asset) => {
    const r = candidatesOf(asset);
    const error = h("p", { class: "error", role: "alert" });
    const best = Math.max(...r.candidates.map((c) => Number(c.score) || 0));
    return h("section", { class: "candidate-set", "data-asset": asset.id, "aria-labelledby": `cand-${asset.id}` },
      h("h3", { id: `cand-${asset.id}`, text: asset.id }),
      r.warning && h("p", { class: "stale-note", text: r.warning }),
      h("ol", { class: "candidate-list", "aria-label": `Candidates of ${asset.id}` },
        r.candidates.map((c, i) => item(asset, c, i, best, error))),
      Number(r.judgeCostUsd) > 0 && h("p", { class: "muted small", text: `Judging cost ${usd(r.judgeCostUsd)}.` }),
      error);
  };

  const item = (asset, c, i, best, error) => {
    const kept = isKept(asset, c);
    const src = safeUrl(c.url);
    const name = `candidate ${i + 1} of ${asset.id}`;
    const reason = `cand-${asset.id}-${i}-reason`;
    return h("li", { class: "candidate", "data-key": c.key, "data-score": String(c.score), "aria-current": kept ? "true" : undefined },
      src
        ? h("img", { src, alt: `Candidate ${i + 1}`, loading: "lazy", "aria-describedby": reason })
        : h("div", { class: "placeholder", role: "img", "aria-label": `No file for ${name}`, text: "?" }),
      h("div", { class: "candidate-score" },
        h("meter", { min: 0, max: 1, low: 0.5, high: 0.8, optimum: 1, value: Number(c.score) || 0, "aria-label": `Score of ${name}` }),
        h("strong", { class: "score", text: percent(c.score) }),
        Number(c.score) === best && h("span", { class: "badge", text: "best" })),
      h("p", { class: "candidate-reason small", id: reason, title: c.reason || "", text: c.reason || "No reason given." }),
      kept
        ? h("span", { class: "badge kept", text: "In use" })
        : h("button", {
          type: "button", class: "small use", text: "Use this",
          "aria-label": `Use ${name} (score ${percent(c.score)})`,
          onclick: () => choose(asset, c, i, error),
        }));
  };

  draw();
  if ((await closed) === "render" && stale.length > 0) {
    await openRender(session, { what: `the ${stale.length} stale asset(s)`, select: { assets: stale } });
  }
}

/** The owner record of a scene (for `candidatesButton`). */
export function sceneOwner(dramaId, episodeId, sceneId) {
  return {
    url: path("dramas", dramaId, "episodes", episodeId, "scenes", sceneId),
    name: `scene ${sceneId}`,
    find: (d) => (d.episodes || []).find((e) => e.id === episodeId)?.scenes?.find((s) => s.id === sceneId)?.assets || [],
  };
}

/** The owner record of a character. */
export function characterOwner(dramaId, character) {
  const id = character.id;
  return {
    url: path("dramas", dramaId, "characters", id),
    name: character.name || id,
    find: (d) => (d.characters || []).find((c) => c.id === id)?.assets || [],
  };
}

/** Every asset of a drama, at every level. */
function allAssets(d) {
  return [
    ...(d.assets || []),
    ...(d.characters || []).flatMap((c) => c.assets || []),
    ...(d.episodes || []).flatMap((e) => [...(e.assets || []), ...(e.scenes || []).flatMap((s) => s.assets || [])]),
  ];
}

/** The owner record of one asset whose owner is at `ownerUrl`. */
export function assetOwner(ownerUrl, asset) {
  return { url: ownerUrl, name: asset.id, find: (d) => allAssets(d).filter((a) => a.id === asset.id).slice(0, 1) };
}
