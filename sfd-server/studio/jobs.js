// Jobs: live progress from the event stream (polling when the stream is not
// available), with stage, done and total, cancel, and the failure message.

import { events, request } from "./api.js";
import { h, path, toast } from "./dom.js";

const TERMINAL = new Set(["completed", "failed", "cancelled"]);
const POLL_MS = 1000;

const NAMES = {
  generate_drama: "Generating a drama",
  improve_drama: "Improving a drama",
  critic_drama: "Critiquing",
  render_drama: "Rendering",
  generate_image: "Rendering an image",
  generate_video: "Rendering a video",
  generate_audio: "Rendering audio",
  assemble_episode: "Assembling an episode",
};

/** The words for a job type. */
export const jobName = (type) => NAMES[type] || type;

/** Whether a job status is final. */
export const isDone = (status) => TERMINAL.has(status);

const followed = new Map();

/**
 * Shows a job in the jobs panel and follows it to its end. Resolves with
 * the final record; "sfd:job-done" is dispatched on window with it.
 */
export function trackJob(dramaId, jobId) {
  if (followed.has(jobId)) return followed.get(jobId);
  const item = new JobItem(dramaId, jobId);
  const onUpdate = (job) => {
    item.update(job);
    window.dispatchEvent(new CustomEvent("sfd:job-update", { detail: job }));
  };
  const done = follow(dramaId, jobId, onUpdate).then(
    (job) => {
      onUpdate(job);
      window.dispatchEvent(new CustomEvent("sfd:job-done", { detail: job }));
      return job;
    },
    (err) => {
      item.lost(err);
      throw err;
    },
  );
  done.catch(() => {});
  followed.set(jobId, done);
  return done;
}

async function follow(dramaId, jobId, update) {
  const base = path("dramas", dramaId, "jobs", jobId);
  try {
    for await (const ev of events(base + "/events")) {
      if ((ev.event === "status" || ev.event === "progress") && ev.data) update(JSON.parse(ev.data));
    }
  } catch (err) {
    console.info("job events unavailable, polling instead:", err.message);
  }
  // The stream has ended (or never started): the record has the last word.
  for (;;) {
    const { data } = await request("GET", base);
    if (isDone(data.status)) return data;
    update(data);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

class JobItem {
  constructor(dramaId, jobId) {
    this.dramaId = dramaId;
    this.jobId = jobId;
    this.title = h("strong", { class: "job-title", text: "Job" });
    this.status = h("span", { class: "job-status badge", text: "pending" });
    this.progress = h("progress", { max: 1, value: 0, "aria-label": `Progress of job ${jobId}` });
    this.stage = h("span", { class: "job-stage muted", text: "waiting to start" });
    this.error = h("p", { class: "error", role: "alert", hidden: true });
    this.extra = h("div", { class: "job-extra" });
    this.cancel = h("button", { type: "button", class: "secondary", text: "Cancel", onclick: () => this.doCancel() });
    this.dismiss = h("button", {
      type: "button", class: "secondary", text: "Dismiss", hidden: true,
      onclick: () => { this.el.remove(); followed.delete(jobId); },
    });
    this.el = h("article", { class: "job", "data-job-id": jobId, "data-status": "pending" },
      h("div", { class: "job-head" }, this.title, this.status),
      h("div", { class: "job-progress" }, this.progress, this.stage),
      this.error, this.extra,
      h("div", { class: "buttons" }, this.cancel, this.dismiss));
    document.getElementById("jobs").prepend(this.el);
  }

  update(job) {
    this.title.textContent = `${jobName(job.type)} · ${job.dramaId}`;
    this.status.textContent = job.status;
    this.el.dataset.type = job.type;
    this.el.dataset.status = job.status;
    const p = job.progress;
    if (p && p.total > 0) {
      this.progress.max = p.total;
      this.progress.value = Math.min(p.done, p.total);
      this.stage.textContent = `${p.stage} ${p.done}/${p.total}`;
      this.el.dataset.stage = p.stage;
      this.el.dataset.done = String(p.done);
      this.el.dataset.total = String(p.total);
    } else if (job.status === "processing") {
      this.stage.textContent = "started";
    }
    if (!isDone(job.status)) return;
    if (job.status === "completed" && !(p && p.total > 0)) {
      this.progress.max = 1;
      this.progress.value = 1;
      this.stage.textContent = "done";
    }
    this.cancel.hidden = true;
    this.dismiss.hidden = false;
    if (job.status === "failed" || job.status === "cancelled") {
      this.error.textContent = job.error || `the job was ${job.status}`;
      this.error.hidden = false;
    }
    if (job.status === "completed" && (job.type === "generate_drama" || job.type === "improve_drama")) {
      this.extra.replaceChildren(h("a", { href: `#/dramas/${encodeURIComponent(job.dramaId)}`, text: "Open the drama" }));
    }
  }

  lost(err) {
    this.status.textContent = "unknown";
    this.error.textContent = `Lost track of the job: ${err.message}`;
    this.error.hidden = false;
    this.cancel.hidden = true;
    this.dismiss.hidden = false;
  }

  async doCancel() {
    this.cancel.disabled = true;
    try {
      const { data } = await request("POST", path("dramas", this.dramaId, "jobs", this.jobId, "cancel"));
      this.update(data);
    } catch (err) {
      toast(`Could not cancel: ${err.message}`);
      this.cancel.disabled = false;
    }
  }
}
