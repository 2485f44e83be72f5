// The drama's actions: critique (and its scores), improve with feedback,
// generate again from the premise, render, reload and delete.

import { request } from "./api.js";
import { h, modal, path, refocus, toast } from "./dom.js";
import { trackJob } from "./jobs.js";

const SCORES = [
  ["hook", "Hook"],
  ["pacing", "Pacing"],
  ["character_consistency", "Character consistency"],
  ["cliffhangers", "Cliffhangers"],
  ["visual_clarity", "Visual clarity"],
];

/**
 * Runs `fn`, showing its error; the button is disabled meanwhile, and
 * gets back the focus it had (see `refocus`).
 */
async function busy(button, fn) {
  const focused = document.activeElement === button;
  button.disabled = true;
  try {
    await fn();
  } catch (err) {
    toast(err.message);
  } finally {
    button.disabled = false;
    if (focused) refocus(button);
  }
}

/** The buttons under the drama's head. */
export function actionBar(session, render) {
  const id = session.dramaId;
  const button = (text, onclick, cls = "secondary") => {
    const b = h("button", { type: "button", class: cls, text });
    b.addEventListener("click", () => busy(b, onclick));
    return b;
  };
  return h("div", { class: "actions", role: "group", "aria-label": "Drama actions" },
    button("Render…", async () => render("the whole drama", {}), "primary"),
    button("Critique", async () => {
      const { data } = await request("POST", path("dramas", id, "critic"), { body: {} });
      trackJob(data.dramaId, data.jobId);
    }),
    button("Improve…", async () => improve(session, "")),
    button("Generate again", async () => {
      const d = session.drama;
      const scenes = Math.max(1, ...(d.episodes || []).map((e) => (e.scenes || []).length));
      const { data } = await request("POST", "/dramas", {
        body: { premise: d.premise, episodes: Math.max(1, (d.episodes || []).length), scenes_per_episode: scenes },
      });
      trackJob(data.dramaId, data.jobId);
    }),
    button("Reload", () => session.reload()),
    button("Delete…", () => remove(session), "danger"));
}

/** Asks for feedback, then starts an improvement into a new drama. */
export async function improve(session, feedback) {
  const box = h("textarea", { id: "improve-feedback", name: "feedback", rows: 6, required: true, value: feedback });
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { method: "dialog" },
    h("h2", { id: "improve-title", text: "Improve this drama" }),
    h("p", { text: "The improved drama is saved as a new drama; this one stays as it is." }),
    h("label", { for: "improve-feedback", text: "Feedback" }), box, error,
    h("div", { class: "buttons" },
      h("button", { type: "submit", value: "improve", text: "Improve" }),
      h("button", { type: "submit", value: "cancel", class: "secondary", formnovalidate: true, text: "Cancel" })));
  const { dialog, closed } = modal("improve-title", form);
  form.addEventListener("submit", async (e) => {
    if (e.submitter && e.submitter.value === "cancel") return;
    e.preventDefault();
    try {
      const { data } = await request("POST", path("dramas", session.dramaId, "improve"), { body: { feedback: box.value } });
      trackJob(data.improvedId, data.jobId);
      dialog.close("started");
    } catch (err) {
      error.textContent = err.message;
    }
  });
  await closed;
}

/** Confirms, then deletes the drama (If-Match: only the version on screen). */
async function remove(session) {
  const d = session.drama;
  const form = h("form", { method: "dialog" },
    h("h2", { id: "delete-title", text: "Delete this drama?" }),
    h("p", {}, "“", h("strong", { text: d.title || d.id }), "” and everything in it will be deleted. This cannot be undone."),
    h("div", { class: "buttons" },
      h("button", { type: "submit", value: "delete", class: "danger", text: "Delete" }),
      h("button", { type: "submit", value: "cancel", class: "secondary", autofocus: true, text: "Keep it" })));
  const { closed } = modal("delete-title", form);
  if ((await closed) !== "delete") return;
  try {
    await request("DELETE", path("dramas", d.id), { ifMatch: session.etag });
    toast(`Deleted “${d.title || d.id}”.`);
    location.hash = "#/";
  } catch (err) {
    toast(err.status === 412
      ? "The drama changed elsewhere since you opened it; look at the newer version, then delete again."
      : `Not deleted: ${err.message}`);
    if (err.status === 412) await session.reload();
  }
}

/** The last critique: scores from 1 to 10, summary, strengths, weaknesses, suggestions. */
export function critiquePanel(session) {
  const c = session.critique;
  const list = (title, items) => (items && items.length ? [h("h3", { text: title }), h("ul", {}, items.map((t) => h("li", { text: t })))] : []);
  const scores = c.scores || {};
  return h("section", { class: "critique", "aria-labelledby": "critique-heading" },
    h("h2", { id: "critique-heading", text: "Critique" }),
    h("dl", { class: "scores" }, SCORES.map(([k, label]) => [
      h("dt", { text: label }),
      h("dd", { "data-score": k },
        h("meter", { min: 0, max: 10, low: 5, high: 8, optimum: 10, value: Number(scores[k]) || 0, "aria-label": `${label} score` }),
        h("span", { class: "score", text: `${scores[k] ?? "–"}/10` })),
    ])),
    c.summary && h("p", { text: c.summary }),
    list("Strengths", c.strengths), list("Weaknesses", c.weaknesses), list("Suggestions", c.suggestions),
    h("div", { class: "buttons" },
      h("button", { type: "button", text: "Improve with this feedback", onclick: () => improve(session, session.feedback || c.feedback || "") }),
      h("button", { type: "button", class: "secondary", text: "Hide", onclick: () => { session.critique = null; session.draw(); } })));
}
