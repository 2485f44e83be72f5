// The dramas: a "New drama" form, then the list with cover thumbnails,
// title and updated time, a page at a time with the cursor. The summaries
// carry no assets, so each card then asks for its drama's assets (a short
// list) to find the cover.

import { request } from "./api.js";
import { h, initials, safeUrl, time, toast } from "./dom.js";
import { trackJob } from "./jobs.js";

const PAGE = 12;

/** Shows the list in `main`. */
export async function showList(main) {
  document.title = "Dramas · sfd studio";
  const list = h("ul", { class: "drama-grid", "aria-label": "Dramas" });
  const more = h("button", { type: "button", class: "secondary", text: "Load more", hidden: true });
  const empty = h("p", { class: "muted", text: "No dramas yet: write a premise above.", hidden: true });
  let cursor = null;

  async function page() {
    more.disabled = true;
    const q = `limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const { data } = await request("GET", `/dramas?${q}`);
    const cards = data.dramas.map(card);
    list.append(...cards);
    cursor = data.cursor;
    more.hidden = !cursor;
    more.disabled = false;
    empty.hidden = list.children.length > 0;
    cards.forEach(cover);
  }
  more.addEventListener("click", () => page().catch((err) => { toast(err.message); more.disabled = false; }));

  main.replaceChildren(
    h("h1", { text: "Dramas" }),
    newDramaForm(),
    h("section", { class: "dramas", "aria-labelledby": "list-heading" },
      h("h2", { id: "list-heading", text: "Your dramas" }), empty, list, more));
  await page();
}

function card(d) {
  return h("li", { class: "drama-card", "data-id": d.id },
    h("a", { href: `#/dramas/${encodeURIComponent(d.id)}` },
      h("div", { class: "thumb placeholder", "aria-hidden": "true", text: initials(d.title || d.id) }),
      h("span", { class: "drama-title", text: d.title || d.id })),
    d.error
      ? h("span", { class: "error", text: d.error })
      : h("span", { class: "muted small" }, "Updated ", time(d.updated_at)));
}

/** Puts the drama's `cover` asset in place of the placeholder, once it has a file. */
async function cover(li) {
  if (li.querySelector(".error")) return;
  try {
    const { data } = await request("GET", `/dramas/${encodeURIComponent(li.dataset.id)}/assets`);
    const asset = data.assets.find((a) => a.id === "cover");
    const src = asset && safeUrl(asset.url);
    if (src) li.querySelector(".thumb").replaceWith(h("img", { class: "thumb", src, alt: "", loading: "lazy" }));
  } catch {
    // Deleted since the page was listed: the placeholder stays.
  }
}

function newDramaForm() {
  const premise = h("textarea", { id: "premise", name: "premise", rows: 3, required: true, placeholder: "A corgi inventor wants to become the richest dog in the world…" });
  const episodes = h("input", { id: "episodes", name: "episodes", type: "number", min: 1, max: 20, value: "3", required: true });
  const scenes = h("input", { id: "scenes", name: "scenes_per_episode", type: "number", min: 1, max: 12, value: "4", required: true });
  const error = h("p", { class: "error", role: "alert" });
  const submit = h("button", { type: "submit", text: "Generate" });
  const form = h("form", { class: "new-drama", "aria-labelledby": "new-heading" },
    h("h2", { id: "new-heading", text: "New drama" }),
    h("label", { for: "premise", text: "Premise" }), premise,
    h("div", { class: "counts" },
      h("div", {}, h("label", { for: "episodes", text: "Episodes" }), episodes),
      h("div", {}, h("label", { for: "scenes", text: "Scenes per episode" }), scenes)),
    error, h("div", { class: "buttons" }, submit));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    submit.disabled = true;
    try {
      const { data } = await request("POST", "/dramas", {
        body: { premise: premise.value, episodes: Number(episodes.value), scenes_per_episode: Number(scenes.value) },
      });
      premise.value = "";
      const job = await trackJob(data.dramaId, data.jobId);
      // Still on the list: open what was made.
      if (job.status === "completed" && form.isConnected) location.hash = `#/dramas/${encodeURIComponent(job.dramaId)}`;
    } catch (err) {
      error.textContent = err.message;
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
