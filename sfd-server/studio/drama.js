// The drama view: title, premise and cover, the cast, and the episodes as
// tabs, each a grid of scene cards. Every text field is edited in place.

import { request } from "./api.js";
import { h, path, safeUrl, toast } from "./dom.js";
import { Session, field } from "./edit.js";
import { actionBar, critiquePanel } from "./actions.js";
import { isDone, trackJob } from "./jobs.js";
import { libraryPanel } from "./library.js";
import { currentPlan, openRender } from "./render.js";
import { assetRow, castStrip, sceneCard } from "./scenes.js";
import { cutSection, isCut } from "./episode.js";
import { downloads } from "./downloads.js";
import { jobsPanel } from "./jobpanel.js";

const selected = new Map();

/** Shows drama `id` in `main`; returns what to do when the view is left. */
export async function showDrama(main, id) {
  const session = new Session(id, () => draw(main, session));
  // With the drama come its jobs (for the panel and the cuts' options) and
  // what a render would do now (to mark what is stale); neither is needed
  // to show the drama.
  const loadDrama = session.load.bind(session);
  session.load = async () => {
    const extras = Promise.all([
      request("GET", path("dramas", id, "jobs")).then(({ data }) => data.jobs, () => []),
      currentPlan(id).catch(() => null),
    ]);
    await loadDrama();
    [session.jobs, session.plan] = await extras;
  };
  const here = location.hash;
  await session.load();
  if (location.hash !== here) return null; // the user went elsewhere meanwhile
  document.title = `${session.drama.title || id} · sfd studio`;
  draw(main, session);
  const onDone = (e) => {
    const job = e.detail;
    if (job.dramaId !== id || main.querySelector(".drama")?.dataset.id !== id) return;
    if (job.type === "critic_drama" && job.status === "completed") {
      session.critique = job.result && job.result.critique;
      session.feedback = job.result && job.result.feedback;
      draw(main, session);
    } else if (job.type !== "improve_drama") {
      // A failed render may still have made some files.
      session.reload().catch((err) => toast(`Could not reload the drama: ${err.message}`));
    }
  };
  window.addEventListener("sfd:job-done", onDone);
  (session.jobs || []).filter((j) => !isDone(j.status)).forEach((j) => trackJob(id, j.jobId));
  return () => window.removeEventListener("sfd:job-done", onDone);
}

function draw(main, session) {
  const d = session.drama;
  const url = path("dramas", d.id);
  const render = (what, select, asset) => openRender(session, { what, select, asset });
  const onAssetRender = (asset, assetUrl) => render(`asset ${asset.id}`, { assets: [asset.id] }, { id: asset.id, url: assetUrl });
  const cover = (d.assets || []).find((a) => a.id === "cover");
  const coverUrl = cover && safeUrl(cover.url);
  session.fields = new Map();
  const open = openBoxes(main, d.id);
  main.replaceChildren(h("article", { class: "drama", "data-id": d.id },
    h("p", { class: "crumbs" }, h("a", { href: "#/", text: "Dramas" }), " / ", h("span", { text: d.id })),
    h("h1", { class: "sr-only", text: d.title || d.id }),
    h("div", { class: "drama-head" },
      coverUrl
        ? h("img", { class: "cover", src: coverUrl, alt: `Cover of ${d.title}` })
        : h("div", { class: "cover placeholder", role: "img", "aria-label": "No cover yet", text: "No cover yet" }),
      h("div", { class: "drama-text" },
        field(session, { key: `${url}#title`, label: "Title", url, name: "title", value: d.title, quiet: true, big: true }),
        field(session, { key: `${url}#description`, label: "Logline", url, name: "description", value: d.description }),
        field(session, { key: `${url}#premise`, label: "Premise", url, name: "premise", value: d.premise }),
        actionBar(session, render),
        downloads(d.id, null, d.title || d.id))),
    session.critique && critiquePanel(session),
    castStrip(session, onAssetRender),
    libraryPanel(session),
    episodes(session, render, onAssetRender),
    (d.assets || []).length > 0 && h("section", { class: "drama-assets", "aria-labelledby": "drama-assets-heading" },
      h("h2", { id: "drama-assets-heading", text: "Drama assets" }),
      d.assets.map((a) => assetRow(session, url, a, onAssetRender))),
    jobsPanel(session)));
  for (const box of main.querySelectorAll("details[data-key]")) if (open.has(box.dataset.key)) box.open = true;
}

/**
 * The keys of the `<details>` boxes open in the view of drama `id` (none
 * for another drama's): a redraw opens them again, so a box the user
 * opened (and a control in it that had the focus) stays where it was.
 */
function openBoxes(main, id) {
  if (main.querySelector(".drama")?.dataset.id !== id) return new Set();
  return new Set([...main.querySelectorAll("details[open][data-key]")].map((box) => box.dataset.key));
}

function episodes(session, render, onAssetRender) {
  const d = session.drama;
  const list = d.episodes || [];
  if (list.length === 0) {
    return h("section", { class: "episodes" }, h("h2", { text: "Episodes" }), h("p", { class: "muted", text: "No episodes yet." }));
  }
  let current = list.findIndex((e) => e.id === selected.get(d.id));
  if (current < 0) current = 0;
  const tabs = list.map((e, i) => h("button", {
    type: "button", role: "tab", id: `tab-${i}`, "aria-controls": `panel-${i}`, "data-id": e.id,
    "aria-selected": String(i === current), tabindex: i === current ? 0 : -1, text: `${i + 1}. ${e.title || e.id}`,
  }));
  const panels = list.map((e, i) => {
    const url = path("dramas", d.id, "episodes", e.id);
    return h("div", { role: "tabpanel", id: `panel-${i}`, "aria-labelledby": `tab-${i}`, class: "episode", "data-id": e.id, hidden: i !== current },
      h("div", { class: "episode-head" },
        h("div", { class: "episode-text" },
          field(session, { key: `${url}#title`, label: `Title of episode ${i + 1}`, url, name: "title", value: e.title, quiet: true, big: true }),
          field(session, { key: `${url}#description`, label: "Episode description", url, name: "description", value: e.description })),
        h("button", { type: "button", class: "secondary", text: "Render episode", "aria-label": `Render episode ${e.id}`, onclick: () => render(`episode ${e.id}`, { episodes: [e.id] }) })),
      cutSection(session, e, i),
      (e.assets || []).filter((a) => !isCut(e, a)).map((a) => assetRow(session, url, a, onAssetRender)),
      h("ol", { class: "scene-grid", "aria-label": `Scenes of episode ${i + 1}` },
        (e.scenes || []).map((s) => sceneCard(session, e, s, onAssetRender))));
  });
  const select = (i) => {
    tabs.forEach((t, j) => {
      t.setAttribute("aria-selected", String(i === j));
      t.tabIndex = i === j ? 0 : -1;
      panels[j].hidden = i !== j;
    });
    selected.set(d.id, list[i].id);
    tabs[i].focus();
  };
  tabs.forEach((t, i) => t.addEventListener("click", () => select(i)));
  const tablist = h("div", { role: "tablist", "aria-label": "Episodes", class: "tabs" }, tabs);
  tablist.addEventListener("keydown", (e) => {
    const i = tabs.indexOf(document.activeElement);
    if (i < 0) return;
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    select((to + tabs.length) % tabs.length);
  });
  return h("section", { class: "episodes", "aria-labelledby": "episodes-heading" },
    h("h2", { id: "episodes-heading", text: `Episodes (${list.length})` }), tablist, panels);
}
