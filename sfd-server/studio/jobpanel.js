// The drama's jobs and costs: every job (running, failed with its reason,
// cancelled, done), cancel and retry, and what the drama has cost: its
// files (each asset's `metadata.render.costUsd`), its render jobs (their
// results' `costUsd`, retries and replaced files included) and the LLM
// tokens its generations used.

import { request } from "./api.js";
import { h, path, refocus, time, toast, usd } from "./dom.js";
import { isDone, jobName, trackJob } from "./jobs.js";
import { openRender } from "./render.js";

const SHOWN = 8;

/** The panel on screen: a job followed anywhere on the page updates its row. */
let current = null;
window.addEventListener("sfd:job-update", (e) => {
  const job = e.detail;
  if (!current || !current.el.isConnected || job.dramaId !== current.session.dramaId) return;
  const jobs = current.session.jobs || (current.session.jobs = []);
  const i = jobs.findIndex((j) => j.jobId === job.jobId);
  const before = i < 0 ? null : jobs[i];
  if (i < 0) jobs.push(job);
  else jobs[i] = { ...jobs[i], ...job };
  // Progress alone moves the bar in place (a focused Cancel keeps the focus).
  const row = current.el.querySelector(`.job-row[data-job-id="${CSS.escape(job.jobId)}"]`);
  const bar = row && row.querySelector("progress");
  if (before && before.status === job.status && bar && job.progress && job.progress.total > 0) {
    bar.max = job.progress.total;
    bar.value = Math.min(job.progress.done, job.progress.total);
    bar.nextElementSibling.textContent = `${job.progress.stage} ${job.progress.done}/${job.progress.total}`;
    return;
  }
  current.fill();
});

/** Every asset of the drama, at every level. */
function allAssets(d) {
  return [
    ...(d.assets || []),
    ...(d.characters || []).flatMap((c) => c.assets || []),
    ...(d.episodes || []).flatMap((e) => [...(e.assets || []), ...(e.scenes || []).flatMap((s) => s.assets || [])]),
  ];
}

/** What the drama has cost, from its documents and its jobs. */
export function spend(drama, jobs) {
  const files = allAssets(drama).reduce((sum, a) => sum + (Number(a.metadata?.render?.costUsd) || 0), 0);
  const renders = jobs.filter((j) => j.result && "costUsd" in j.result);
  const jobsUsd = renders.reduce((sum, j) => sum + (Number(j.result.costUsd) || 0), 0);
  const tokens = jobs.reduce((sum, j) => {
    const u = j.result?.usage || {};
    return sum + (Number(u.promptTokens) || 0) + (Number(u.completionTokens) || 0);
  }, 0);
  return { files, jobs: jobsUsd, renders: renders.length, tokens };
}

/** How to run a job again, or null when it cannot be retried from here. */
function retryOf(session, job) {
  const id = session.dramaId;
  const input = job.input || {};
  if (input.render) {
    const r = input.render;
    const select = {};
    for (const k of ["episodes", "characters", "assets"]) if (Array.isArray(r[k])) select[k] = r[k];
    const what = select.assets ? `again: ${select.assets.join(", ")}` : select.episodes ? `again: ${select.episodes.join(", ")}` : "again";
    // Through the render dialog: the estimate shows before it starts.
    return () => openRender(session, { what, select, kinds: r.kinds || undefined, force: Boolean(r.force) });
  }
  if (job.type === "assemble_episode" && input.episode) {
    return async () => {
      const { data } = await request("POST", path("dramas", id, "episodes", input.episode, "assemble"), { body: input.assemble || {} });
      trackJob(data.dramaId, data.jobId);
    };
  }
  if (job.type === "critic_drama") {
    return async () => {
      const { data } = await request("POST", path("dramas", id, "critic"), { body: input.model ? { model: input.model } : {} });
      trackJob(data.dramaId, data.jobId);
    };
  }
  return null;
}

function jobRow(session, job, refresh) {
  const failed = job.status === "failed" || job.status === "cancelled";
  const p = job.progress;
  const cost = job.result && "costUsd" in job.result ? usd(job.result.costUsd) : null;
  const retry = failed ? retryOf(session, job) : null;
  const act = (text, label, fn, cls = "secondary small") => {
    const b = h("button", { type: "button", class: cls, text, "aria-label": label });
    b.addEventListener("click", async () => {
      const focused = document.activeElement === b;
      b.disabled = true;
      try {
        await fn();
        await refresh();
      } catch (err) {
        toast(`${text} failed: ${err.message}`);
      } finally {
        b.disabled = false;
        if (focused) refocus(b);
      }
    });
    return b;
  };
  return h("li", { class: "job-row", "data-job-id": job.jobId, "data-type": job.type, "data-status": job.status },
    h("div", { class: "job-head" },
      h("strong", { text: jobName(job.type) }),
      h("span", { class: "job-status badge", text: job.status }),
      h("span", { class: "muted small" }, time(job.createdAt)),
      cost && h("span", { class: "small", text: cost })),
    !isDone(job.status) && p && p.total > 0 && h("div", { class: "job-progress" },
      h("progress", { max: p.total, value: Math.min(p.done, p.total), "aria-label": `Progress of ${jobName(job.type)}` }),
      h("span", { class: "muted small", text: `${p.stage} ${p.done}/${p.total}` })),
    failed && h("p", { class: "error job-reason", text: job.error || `the job was ${job.status}` }),
    h("div", { class: "buttons" },
      !isDone(job.status) && act("Cancel", `Cancel ${jobName(job.type)} ${job.jobId}`, async () => {
        await request("POST", path("dramas", session.dramaId, "jobs", job.jobId, "cancel"));
      }),
      retry && act("Retry", `Retry ${jobName(job.type)} ${job.jobId}`, retry)));
}

/** The panel; `session.jobs` is the drama's job list, read with the drama. */
export function jobsPanel(session) {
  const list = h("ol", { class: "job-list", "aria-label": "Jobs of this drama" });
  const money = h("dl", { class: "spend" });
  const more = h("button", { type: "button", class: "secondary small", text: "Show all jobs" });
  let all = false;
  const refresh = async () => {
    const { data } = await request("GET", path("dramas", session.dramaId, "jobs"));
    session.jobs = data.jobs;
    fill();
  };
  const fill = () => {
    const jobs = [...(session.jobs || [])].sort((a, b) => b.createdAt - a.createdAt);
    const s = spend(session.drama, jobs);
    money.replaceChildren(
      h("dt", { text: "Current files" }), h("dd", { "data-spend": "files", text: usd(s.files) }),
      h("dt", { text: `Render jobs (${s.renders})` }), h("dd", { "data-spend": "jobs", text: usd(s.jobs) }),
      h("dt", { text: "LLM tokens" }), h("dd", { "data-spend": "tokens", text: s.tokens.toLocaleString() }));
    // Running and failed ones first, then the newest.
    const rank = (j) => (!isDone(j.status) ? 0 : j.status === "completed" ? 2 : 1);
    jobs.sort((a, b) => rank(a) - rank(b));
    const shown = all ? jobs : jobs.slice(0, SHOWN);
    // Drawn again as jobs move on: a button of the list that had the focus keeps it.
    const focused = list.contains(document.activeElement) ? document.activeElement.getAttribute("aria-label") : null;
    list.replaceChildren(...shown.map((j) => jobRow(session, j, refresh)));
    if (focused) [...list.querySelectorAll("button")].find((b) => b.getAttribute("aria-label") === focused)?.focus();
    if (jobs.length === 0) list.replaceChildren(h("li", { class: "muted", text: "No jobs yet." }));
    more.hidden = all || jobs.length <= SHOWN;
  };
  more.addEventListener("click", () => { all = true; fill(); });
  fill();
  const el = h("section", { class: "drama-jobs", "aria-labelledby": "drama-jobs-heading" },
    h("h2", { id: "drama-jobs-heading", text: "Jobs and costs" }),
    money, list, more);
  current = { el, session, fill };
  return el;
}
