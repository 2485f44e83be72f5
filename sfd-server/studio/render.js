// Render: the dry-run plan first (counts by kind, estimated cost, stale
// assets), then the job. A drama or an episode renders through
// POST /dramas/{id}/render; one asset through its own …/render route.

import { request } from "./api.js";
import { h, modal, path, usd } from "./dom.js";
import { trackJob } from "./jobs.js";

const KINDS = ["image", "video", "audio"];
const ACTIONS = [
  ["render", "To render"],
  ["stale", "Stale"],
  ["skip", "Up to date"],
  ["blocked", "Blocked"],
];

/** The counts of a plan's nodes by kind and action. */
export function counts(plan) {
  const out = {};
  for (const n of plan.nodes || []) {
    const row = (out[n.kind] ||= { render: 0, stale: 0, skip: 0, blocked: 0 });
    row[n.action] = (row[n.action] || 0) + 1;
  }
  return out;
}

const owner = (o) => (typeof o === "string" ? o : JSON.stringify(o));

/** Best-of-N in a plan: `{images, count, judge, judgeCostUsd}` of the nodes that render candidates, or null. */
export function bestOf(plan) {
  const nodes = (plan.nodes || []).filter((n) => n.candidates && n.candidates.count > 1);
  if (nodes.length === 0) return null;
  return {
    images: nodes.length,
    count: Math.max(...nodes.map((n) => n.candidates.count)),
    judge: nodes[0].candidates.judge,
    judgeCostUsd: nodes.reduce((s, n) => s + (Number(n.candidates.judgeCostUsd) || 0), 0),
  };
}

function planView(plan) {
  const byKind = counts(plan);
  const best = bestOf(plan);
  const kinds = Object.keys(byKind);
  const stale = (plan.nodes || []).filter((n) => n.action === "stale" || n.action === "blocked");
  const todo = kinds.reduce((s, k) => s + byKind[k].render + byKind[k].stale, 0);
  return h("div", { class: "plan", "data-todo": todo },
    kinds.length === 0
      ? h("p", { text: "Nothing is selected." })
      : h("table", {},
        h("caption", { text: "Assets by kind" }),
        h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "Kind" }), ACTIONS.map(([, t]) => h("th", { scope: "col", text: t })))),
        h("tbody", {}, kinds.map((k) => h("tr", { "data-kind": k },
          h("th", { scope: "row", text: k }),
          ACTIONS.map(([a]) => h("td", { "data-action": a, text: String(byKind[k][a] || 0) })))))),
    h("p", { class: "cost" }, "Estimated cost: ", h("strong", { text: usd(plan.estimatedCostUsd) }),
      ` · ${todo} to render in ${plan.levels ?? "?"} step(s)`),
    best && h("p", { class: "best-of", "data-count": best.count },
      `Best of ${best.count}: ${best.images} image(s) render ${best.count} candidates each, judged by ${best.judge}; judging is estimated at `,
      h("strong", { text: usd(best.judgeCostUsd) }), " (in the cost above)."),
    stale.length > 0 && h("details", { open: true },
      h("summary", { text: `Stale or blocked (${stale.length})` }),
      h("ul", {}, stale.map((n) => h("li", { text: `${n.assetId} (${owner(n.owner)}, ${n.kind}): ${n.action}${n.reason ? ` — ${n.reason}` : ""}` })))),
    todo === 0 && h("p", { class: "muted", text: "Everything selected is up to date; tick “Render again” to render it anyway." }));
}

/**
 * Opens the render dialog for `what` (words for the heading); `select` is
 * the selection of the plan ({episodes}, {assets} or {} for all); `asset`
 * ({id, url}) when one asset renders through its own route; `kinds` and
 * `force` preset the choices (a retry asks for what the failed job asked).
 */
export async function openRender(session, { what, select, asset, kinds, force: forced = false }) {
  const id = session.dramaId;
  const kindBoxes = KINDS.map((k) => h("input", { type: "checkbox", id: `render-kind-${k}`, name: "kinds", value: k, checked: !kinds || kinds.includes(k) }));
  const force = h("input", { type: "checkbox", id: "render-force", name: "force", checked: forced });
  // Best-of-N: the server's default until the user sets a number.
  const perImage = h("input", { type: "number", id: "render-candidates", name: "candidates", min: 1, max: 8, step: 1, inputmode: "numeric", class: "narrow" });
  let touched = false;
  perImage.addEventListener("input", () => { touched = true; });
  const area = h("div", { class: "plan-area", "aria-live": "polite" }, h("p", { class: "muted", text: "Planning…" }));
  const start = h("button", { type: "submit", value: "start", text: "Start render", disabled: true });
  const form = h("form", { method: "dialog", class: "render-form" },
    h("h2", { id: "render-title", text: `Render ${what}` }),
    !asset && h("fieldset", {}, h("legend", { text: "Kinds" }),
      KINDS.map((k, i) => h("label", { class: "check", for: `render-kind-${k}` }, kindBoxes[i], ` ${k}`))),
    h("label", { class: "check", for: "render-force" }, force, " Render again even when up to date"),
    h("div", { class: "candidates-field" },
      h("label", { for: "render-candidates", text: "Candidates per image (best of N, a judge keeps the best)" }), perImage),
    area,
    h("div", { class: "buttons" }, start, h("button", { type: "submit", value: "close", class: "secondary", text: "Close" })));
  const { dialog, closed } = modal("render-title", form);

  const body = (dryRun) => {
    const kinds = KINDS.filter((_, i) => kindBoxes[i].checked);
    const n = Number(perImage.value);
    const candidates = touched && perImage.value !== "" && Number.isInteger(n) ? { candidates: n } : {};
    return { ...select, ...(asset ? {} : { kinds }), force: force.checked, ...candidates, ...(dryRun ? { dryRun: true } : {}) };
  };
  let asked = 0;
  const plan = async () => {
    const mine = ++asked;
    start.disabled = true;
    try {
      const { data } = await request("POST", path("dramas", id, "render"), { body: body(true) });
      if (mine !== asked) return;
      const view = planView(data);
      area.replaceChildren(view);
      const images = (data.nodes || []).some((n) => n.kind === "image" && (n.action === "render" || n.action === "stale"));
      if (!touched && images) perImage.value = String(bestOf(data)?.count || 1);
      start.disabled = Number(view.dataset.todo) === 0;
    } catch (err) {
      if (mine !== asked) return;
      area.replaceChildren(h("p", { class: "error", role: "alert", text: err.status === 404 || err.status === 405
        ? `This server cannot render yet (${err.message}).`
        : `No plan: ${err.message}` }));
    }
  };
  form.addEventListener("change", plan);
  form.addEventListener("submit", async (e) => {
    if (!e.submitter || e.submitter.value !== "start") return;
    e.preventDefault();
    start.disabled = true;
    try {
      // An asset's own route takes no candidates: asked for, the drama's route renders it.
      const { data } = asset && !("candidates" in body(false))
        ? await request("POST", `${asset.url}/render`, { body: { force: force.checked } })
        : await request("POST", path("dramas", id, "render"), { body: body(false) });
      trackJob(data.dramaId, data.jobId);
      dialog.close("started");
    } catch (err) {
      area.append(h("p", { class: "error", role: "alert", text: `Not started: ${err.message}` }));
      start.disabled = false;
    }
  });
  plan();
  await closed;
}

/**
 * What a render of everything would do now (a dry run: nothing is called),
 * or null when this server cannot render.
 */
export async function currentPlan(dramaId) {
  try {
    const { data } = await request("POST", path("dramas", dramaId, "render"), { body: { kinds: KINDS, dryRun: true } });
    return data;
  } catch (err) {
    if ([404, 405, 422, 503].includes(err.status)) return null;
    throw err;
  }
}
